#!/usr/bin/python3
"""Scoring side of `npm run bench:temporal` (run with Debian's /usr/bin/python3, which has cv2 with optflow).

Input: a JSON job naming, per clip, the input frames and each output's frames as raw rgb24 files of the same
size (decoded by ffmpeg). Prints one JSON document with, per clip and output:
  - E_warp (Lai et al. 2018): mean over t of sum_x M(x)·||O_t(x) − O_{t+1}(x + f(x))||² / sum_x M(x), RGB in
    [0, 1] summed over channels (as Lai et al.'s evaluation code does), f = the reference flow t → t+1 of the
    INPUT frames, M = 0 where the Ruder et al. forward–backward test fails
    (|w_f + w_b(x + w_f)|² > 0.01(|w_f|² + |w_b(x + w_f)|²) + 0.5) or x + f leaves the frame;
    with two reference flows, OpenCV DIS (medium preset) and DeepFlow, both independent of the engine's flow;
  - detail: mean Sobel gradient magnitude of the output's luma (all frames);
  - on static regions of the input (reference flow magnitude < 0.5 px): mean |O − O_off| (RGB) and the
    frame-to-frame change mean |O_t − O_{t+1}|.
  - ghosting: mean |O − O_off| (RGB) on the pixels of frame t+1 that frame t does not show (uncovered: the
    DIS-medium backward flow t+1 → t fails the forward–backward test there), where history has nothing to give
    and a trail of the occluder would show, beside the same on the moving pixels that pass it.
"""
import json
import sys
import time

import cv2
import numpy as np

STATIC_PX = 0.5


def frames(path, width, height):
    data = np.fromfile(path, dtype=np.uint8)
    n = data.size // (width * height * 3)
    if n * width * height * 3 != data.size:
        raise ValueError(f"{path}: {data.size} bytes is not a whole number of {width}x{height} rgb24 frames")
    return data.reshape(n, height, width, 3)


def grey(rgb):
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def warp(img, flow):
    h, w = flow.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(img, gx + flow[..., 0], gy + flow[..., 1], interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def ruder_mask(fwd, bwd):
    """1 where the flow t → t+1 passes the forward–backward test and lands inside the frame."""
    h, w = fwd.shape[:2]
    bwd_at = warp(bwd, fwd)  # w_b sampled at x + w_f
    s = fwd + bwd_at
    fail = (s**2).sum(2) > 0.01 * ((fwd**2).sum(2) + (bwd_at**2).sum(2)) + 0.5
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    mx, my = gx + fwd[..., 0], gy + fwd[..., 1]
    inside = (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)
    return (~fail & inside).astype(np.float32)


def reference_flows(inp, make):
    """Forward (t → t+1) and backward (t+1 → t) flows of consecutive input frames, and the seconds they took."""
    g = [grey(f) for f in inp]
    fwd, bwd = [], []
    t0 = time.perf_counter()
    for t in range(len(g) - 1):
        fwd.append(make().calc(g[t], g[t + 1], None))
        bwd.append(make().calc(g[t + 1], g[t], None))
    return fwd, bwd, time.perf_counter() - t0


def e_warp(out, fwd, masks):
    errs = []
    for t in range(len(fwd)):
        a = out[t].astype(np.float32) / 255.0
        b = warp(out[t + 1].astype(np.float32) / 255.0, fwd[t])
        m = masks[t]
        errs.append(float((m[..., None] * (a - b) ** 2).sum() / max(m.sum(), 1.0)))
    return float(np.mean(errs)), errs


def detail(out):
    vals = []
    for f in out:
        g = grey(f).astype(np.float32) / 255.0
        gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
        vals.append(float(np.sqrt(gx * gx + gy * gy).mean()))
    return float(np.mean(vals))


def main():
    job = json.load(open(sys.argv[1]))
    w, h = job["width"], job["height"]
    refs = {
        "dis_medium": lambda: cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM),
        "deepflow": cv2.optflow.createOptFlow_DeepFlow,
    }
    result = {"opencv": cv2.__version__, "clips": []}
    for clip in job["clips"]:
        inp = frames(clip["input"], w, h)
        outs = {k: frames(p, w, h) for k, p in clip["outputs"].items()}
        n = min([len(inp)] + [len(o) for o in outs.values()])
        counts = {"input": len(inp), **{k: len(o) for k, o in outs.items()}}
        inp = inp[:n]
        outs = {k: o[:n] for k, o in outs.items()}
        flows, masks, seconds, backs = {}, {}, {}, {}
        for name, make in refs.items():
            fwd, bwd, s = reference_flows(inp, make)
            flows[name] = fwd
            backs[name] = bwd
            masks[name] = [ruder_mask(f, b) for f, b in zip(fwd, bwd)]
            seconds[name] = s
            print(f"  {clip['name']}: {name} reference flow on {n} input frames in {s:.1f} s", file=sys.stderr)
        static = [np.linalg.norm(f, axis=2) < STATIC_PX for f in flows["dis_medium"]]
        # Uncovered in frame t+1 (index t): the backward reference flow fails the test; moving and passing, for scale.
        bwd_dis = backs["dis_medium"]
        back_dis = [ruder_mask(b, f) for f, b in zip(flows["dis_medium"], bwd_dis)]
        uncovered = [m < 0.5 for m in back_dis]
        moving_kept = [(m >= 0.5) & (np.linalg.norm(b, axis=2) >= STATIC_PX) for m, b in zip(back_dis, bwd_dis)]
        off = outs.get("off")
        row = {
            "name": clip["name"],
            "frames": n,
            "frames_decoded": counts,
            "reference_seconds": seconds,
            "mask_fraction": {k: float(np.mean([m.mean() for m in v])) for k, v in masks.items()},
            "static_fraction": float(np.mean([s.mean() for s in static])),
            "input_mean_motion_px": {k: float(np.mean([np.linalg.norm(f, axis=2).mean() for f in v])) for k, v in flows.items()},
            "outputs": {},
        }
        # The input itself, for scale: how much of E_warp the reference flow cannot explain even on real pixels.
        for name, out in [("input", inp)] + list(outs.items()):
            r = {"e_warp": {}, "e_warp_per_frame": {}, "e_warp_static": {}, "e_warp_moving": {}}
            for ref in refs:
                r["e_warp"][ref], r["e_warp_per_frame"][ref] = e_warp(out, flows[ref], masks[ref])
                # Where it comes from: still background against what moves (static = DIS-medium motion < 0.5 px).
                r["e_warp_static"][ref], _ = e_warp(out, flows[ref], [m * s for m, s in zip(masks[ref], static)])
                r["e_warp_moving"][ref], _ = e_warp(out, flows[ref], [m * ~s for m, s in zip(masks[ref], static)])
            r["detail_sobel"] = detail(out)
            r["static_frame_change"] = float(
                np.mean([np.abs(out[t].astype(np.float32) - out[t + 1].astype(np.float32))[static[t]].mean() / 255.0 for t in range(n - 1)])
            )
            if off is not None and name not in ("input", "off"):
                d = [np.abs(out[t].astype(np.float32) - off[t].astype(np.float32)) / 255.0 for t in range(n - 1)]
                r["static_abs_diff_vs_off"] = float(np.mean([x[static[t]].mean() for t, x in enumerate(d)]))
                r["abs_diff_vs_off"] = float(np.mean([x.mean() for x in d]))
                d1 = [np.abs(out[t + 1].astype(np.float32) - off[t + 1].astype(np.float32)).mean(2) / 255.0 for t in range(n - 1)]
                r["uncovered_abs_diff_vs_off"] = float(np.mean([x[u].mean() for x, u in zip(d1, uncovered) if u.any()]))
                r["moving_abs_diff_vs_off"] = float(np.mean([x[m].mean() for x, m in zip(d1, moving_kept) if m.any()]))
            row["outputs"][name] = r
            print(
                f"  {clip['name']} {name}: E_warp DIS {r['e_warp']['dis_medium']:.5f} (static {r['e_warp_static']['dis_medium']:.5f}, "
                f"moving {r['e_warp_moving']['dis_medium']:.5f}), DeepFlow {r['e_warp']['deepflow']:.5f}, detail {r['detail_sobel']:.4f}",
                file=sys.stderr,
            )
        result["clips"].append(row)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
