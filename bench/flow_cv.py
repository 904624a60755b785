#!/usr/bin/python3
"""OpenCV side of `npm run bench:flow` (run with Debian's /usr/bin/python3, which has cv2 with the optflow module).

Reads the manifest bench/flow.ts wrote (PNG pairs made in the browser, ground truth, evaluation masks, our flow
as raw float32) and prints one JSON document: per case, the EPE of our flow, OpenCV DIS (ultrafast, fast, medium)
and Farneback against the truth, and OpenCV's time; on real frames (no truth), the photometric warping residual
of each method and its EPE against DeepFlow.
"""
import json
import sys
import time

import cv2
import numpy as np

DIS_PRESETS = {
    "dis_ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "dis_fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "dis_medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}
# Farneback as in OpenCV's samples, with 5 levels so the large translation is within reach.
FARNEBACK = dict(pyr_scale=0.5, levels=5, winsize=15, iterations=3, poly_n=5, poly_sigma=1.2, flags=0)


def read_flow(path, width, height):
    return np.fromfile(path, dtype="<f4").reshape(height, width, 2)


def upsample_flow(flow, width, height):
    """A flow at a smaller size, as the blend uses it: bilinear at each pixel centre, vectors scaled to pixels here."""
    h, w = flow.shape[:2]
    up = cv2.resize(flow, (width, height), interpolation=cv2.INTER_LINEAR)
    up[..., 0] *= width / w
    up[..., 1] *= height / h
    return up


def methods(reps):
    """name → (function(gray_a, gray_b) → flow); each OpenCV object made once, as a video loop would."""
    out = {}
    for name, preset in DIS_PRESETS.items():
        dis = cv2.DISOpticalFlow_create(preset)
        out[name] = lambda a, b, dis=dis: dis.calc(a, b, None)
    out["farneback"] = lambda a, b: cv2.calcOpticalFlowFarneback(a, b, None, **FARNEBACK)
    return out


def timed(fn, a, b, reps):
    flow = fn(a, b)  # warm-up
    ms = []
    for _ in range(reps):
        t0 = time.perf_counter()
        flow = fn(a, b)
        ms.append((time.perf_counter() - t0) * 1000)
    return flow, ms


def epe(flow, truth, mask=None):
    e = np.linalg.norm(flow - truth, axis=2)
    return float(e[mask].mean()) if mask is not None else float(e.mean())


def residual(flow, rgb_a, rgb_b):
    """Mean |I_b(x + f(x)) − I_a(x)| over RGB in [0, 1], on pixels whose match x + f lies inside b."""
    h, w = flow.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    mx, my = gx + flow[..., 0], gy + flow[..., 1]
    warped = cv2.remap(rgb_b, mx, my, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    inside = (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)
    return float(np.abs(warped - rgb_a)[inside].mean()), float(inside.mean())


FLAT_GRADIENT = 0.02


def flat_mask(grey_a):
    """Low-texture pixels: mean Sobel gradient magnitude of the luma (in [0, 1], Gaussian-smoothed with σ 1.5 px so
    that noise does not count as texture) over the 7×7 window below FLAT_GRADIENT."""
    g = cv2.GaussianBlur(grey_a.astype(np.float32) / 255.0, (0, 0), 1.5)
    mag = np.hypot(cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3))
    return cv2.blur(mag, (7, 7)) < FLAT_GRADIENT


def split_epe(flow, truth, mask, flat):
    """EPE on the low-texture and on the textured part of the scored pixels (None where a part is empty)."""
    parts = {"low_texture": mask & flat, "textured": mask & ~flat}
    return {k: (epe(flow, truth, m) if m.any() else None) for k, m in parts.items()}


def load(path):
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), bgr.astype(np.float32) / 255.0


def median(v):
    return float(np.median(v)) if len(v) else None


def all_flows(c, ga, gb, fns, reps):
    """Ours (full and software plan, upsampled to the case's size) and every OpenCV method, with its timings."""
    w, h = c["width"], c["height"]
    flows = {"ours": read_flow(c["ours"], w, h)}
    sw = c["ours_software_plan"]
    flows["ours_software_plan"] = upsample_flow(read_flow(sw["path"], sw["width"], sw["height"]), w, h)
    ms = {}
    for name, fn in fns.items():
        flows[name], ms[name] = timed(fn, ga, gb, reps)
    return flows, ms


def main():
    manifest = json.load(open(sys.argv[1]))
    reps = manifest.get("reps", 5)
    fns = methods(reps)
    deepflow = cv2.optflow.createOptFlow_DeepFlow()
    out = {"opencv": cv2.__version__, "low_texture_gradient": FLAT_GRADIENT, "threads": cv2.getNumThreads(), "farneback": FARNEBACK, "synthetic": [], "real": []}
    for c in manifest["synthetic"]:
        w, h = c["width"], c["height"]
        ga, _ = load(c["a"])
        gb, _ = load(c["b"])
        truth = read_flow(c["truth"], w, h)
        mask = np.fromfile(c["mask"], dtype=np.uint8).reshape(h, w).astype(bool)
        flat = flat_mask(ga)
        flows, ms = all_flows(c, ga, gb, fns, reps)
        row = {
            "name": c["name"],
            "epe": {k: epe(f, truth, mask) for k, f in flows.items()},
            "epe_zero_flow": epe(np.zeros_like(truth), truth, mask),
            "epe_by_texture": {k: split_epe(f, truth, mask, flat) for k, f in flows.items()},
            "low_texture_fraction": float((mask & flat).sum() / mask.sum()),
            "mean_true_motion_px": float(np.linalg.norm(truth, axis=2)[mask].mean()),
            "scored_fraction": float(mask.mean()),
            "opencv_ms_median": {k: median(v) for k, v in ms.items()},
        }
        print(f"  {c['name']}: " + ", ".join(f"{k} {v:.3f}" for k, v in row["epe"].items()), file=sys.stderr)
        out["synthetic"].append(row)
    for c in manifest["real"]:
        w, h = c["width"], c["height"]
        ga, ca = load(c["a"])
        gb, cb = load(c["b"])
        flows, ms = all_flows(c, ga, gb, fns, reps)
        flat = flat_mask(ga)
        all_px = np.ones(flat.shape, bool)
        ref, ms["deepflow"] = timed(lambda a, b: deepflow.calc(a, b, None), ga, gb, 1)
        res = {k: residual(f, ca, cb) for k, f in flows.items()}
        res["deepflow"] = residual(ref, ca, cb)
        res["zero_flow"] = residual(np.zeros_like(ref), ca, cb)
        row = {
            "name": c["name"],
            "residual": {k: v[0] for k, v in res.items()},
            "residual_inside_fraction": {k: v[1] for k, v in res.items()},
            "epe_vs_deepflow": {k: epe(f, ref) for k, f in flows.items()},
            "epe_vs_deepflow_by_texture": {k: split_epe(f, ref, all_px, flat) for k, f in flows.items()},
            "low_texture_fraction": float(flat.mean()),
            "deepflow_mean_motion_px": float(np.linalg.norm(ref, axis=2).mean()),
            "opencv_ms_median": {k: median(v) for k, v in ms.items()},
        }
        print(f"  {c['name']}: residual " + ", ".join(f"{k} {v:.4f}" for k, v in row["residual"].items()), file=sys.stderr)
        out["real"].append(row)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
