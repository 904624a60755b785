// Our WGSL flow, confidence, warp and blend on real WebGPU in Chromium, against image pairs with known motion.
import { beforeAll, describe, expect, it } from 'vitest';
import { FrameImporter } from '../../src/engine/gpu/frame-import.ts';
import { gpuDeviceForFile } from './gpu-device.ts';
import { estimateFlow, readBuffer } from '../../src/engine/temporal/estimate.ts';
import { DEFAULT_FLOW } from '../../src/engine/temporal/flow.ts';
import { TemporalStage } from '../../src/engine/temporal/index.ts';
import { compose } from './affine.ts';
import { H, W, about, baseTransform, draw, endPointError, globalPair, objectPair, photo, translate, type Pair } from './flow-fixtures.ts';

const gpu = gpuDeviceForFile();
let device: GPUDevice;
let img: ImageBitmap;

beforeAll(async () => {
  device = gpu.device;
  img = await photo();
});

const flowOf = async (p: Pair) => (await estimateFlow(device, p.a, p.b)).flow;

describe('optical flow (pyramidal Lucas–Kanade in WGSL)', () => {
  it.each([
    ['translation (3.4, −2.2) px', translate(3.4, -2.2), 0.25],
    ['large translation (−11.3, 7.6) px', translate(-11.3, 7.6), 0.4],
    ['rotation 3° about the centre', about(W / 2, H / 2, 1, 3), 0.4],
    ['zoom ×1.06 about the centre', about(W / 2, H / 2, 1.06, 0), 0.4],
  ])('%s', async (_name, t, bound) => {
    const pair = globalPair(img, t);
    const flow = await flowOf(pair);
    const epe = endPointError(flow, pair.truth, pair.mask);
    const zero = endPointError(new Float32Array(flow.length), pair.truth, pair.mask);
    console.log(`${_name}: EPE ${epe.toFixed(3)} px (zero flow: ${zero.toFixed(2)})`);
    expect(epe).toBeLessThan(bound);
  });

  it('a still scene under sensor noise stays still; slow real motion under the same noise is kept', async () => {
    // Independent noise (σ 2 levels) on both frames of a still picture: LK alone wanders (EPE 0.041 px, 85 % of
    // pixels under 0.05 px, measured without the zero-motion test) and drags carried strokes with it; with the
    // test: 0.009 px, 96 %.
    const still = globalPair(img, translate(0, 0), 6, 2);
    const flow = await flowOf(still);
    let still5 = 0;
    let n = 0;
    for (let i = 0; i < still.mask.length; i++) {
      if (!still.mask[i]) continue;
      n++;
      if (Math.hypot(flow[i * 2], flow[i * 2 + 1]) < 0.05) still5++;
    }
    const stillEpe = endPointError(flow, still.truth, still.mask);
    // A real half-pixel drift under the same noise must not be snapped to zero where the picture shows it.
    const slow = globalPair(img, translate(0.6, -0.4), 6, 2);
    const slowEpe = endPointError(await flowOf(slow), slow.truth, slow.mask);
    console.log(`still + noise: ${((100 * still5) / n).toFixed(1)} % under 0.05 px, EPE ${stillEpe.toFixed(3)} px; drift (0.6, −0.4) + noise: EPE ${slowEpe.toFixed(3)} px`);
    expect(still5 / n).toBeGreaterThan(0.9);
    expect(stillEpe).toBeLessThan(0.02);
    expect(slowEpe).toBeLessThan(0.25);
  });

  it('a moving object over a moving background: both motions recovered', async () => {
    const pair = objectPair(img, await photo('chicago.jpg'), [1.5, 0.5], [-4, 3]);
    const flow = await flowOf(pair);
    const epe = endPointError(flow, pair.truth, pair.mask);
    console.log(`moving object: EPE ${epe.toFixed(3)} px`);
    expect(epe).toBeLessThan(0.6);
  });
});

/** Float32 NHWC RGB of a canvas, uploaded as the "stylised" input of the stage. */
function rgbBuffer(canvas: OffscreenCanvas): { buffer: GPUBuffer; data: Float32Array<ArrayBuffer> } {
  const px = canvas.getContext('2d')!.getImageData(0, 0, W, H).data;
  const data = new Float32Array(W * H * 3);
  for (let i = 0; i < W * H; i++) for (let c = 0; c < 3; c++) data[i * 3 + c] = px[i * 4 + c] / 255;
  const buffer = device.createBuffer({ size: data.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
  device.queue.writeBuffer(buffer, 0, data);
  return { buffer, data };
}

/** Runs frames through a TemporalStage with stylised := the frame itself (or `stylise(frame, k)`), returns each output. */
async function runStage(
  frames: OffscreenCanvas[],
  alpha: number,
  stage = new TemporalStage(device, W, H),
  stylise?: (canvas: OffscreenCanvas, k: number) => Float32Array<ArrayBuffer>,
) {
  const importer = new FrameImporter(device);
  const outputs: Float32Array[] = [];
  const confidences: Float32Array[] = [];
  const stylised: Float32Array[] = [];
  const flows: Float32Array[] = [];
  try {
    for (const canvas of frames) {
      const frame = new VideoFrame(canvas, { timestamp: 0 });
      const input = importer.import(frame, W, H);
      frame.close();
      const s = rgbBuffer(canvas);
      if (stylise) {
        s.data = stylise(canvas, stylised.length);
        device.queue.writeBuffer(s.buffer, 0, s.data);
      }
      const out = stage.process(input, s.buffer, alpha);
      outputs.push(new Float32Array(await readBuffer(device, out, W * H * 12)));
      confidences.push(new Float32Array(await readBuffer(device, stage.confidence, W * H * 4)));
      flows.push(new Float32Array(await readBuffer(device, stage.backwardFlow, W * H * 8)));
      stylised.push(s.data);
      s.buffer.destroy();
    }
  } finally {
    importer.dispose();
    stage.dispose();
  }
  return { outputs, confidences, stylised, flows };
}

const meanAbs = (a: Float32Array, b: Float32Array, pixels: (i: number) => boolean) => {
  let s = 0;
  let n = 0;
  for (let i = 0; i < a.length / 3; i++) {
    if (!pixels(i)) continue;
    for (let c = 0; c < 3; c++) s += Math.abs(a[i * 3 + c] - b[i * 3 + c]);
    n += 3;
  }
  return s / n;
};

describe('confidence, warp and blend', () => {
  it.each(['forward-backward', 'crowding'] as const)('marks the region a moving object uncovers as not to be trusted (occlusions by %s)', async (occlusion) => {
    // The object moves 6 px against the background: after the fixture's margins the uncovered strip is ~3 px wide.
    // (At 4 px it is 1–2 px, under the 7×7 LK window's resolution: half of it was marked, half smeared over.)
    const pair = objectPair(img, await photo('chicago.jpg'), [1.5, 0.5], [-6, 4]);
    const stage = new TemporalStage(device, W, H, { width: W, height: H }, { ...DEFAULT_FLOW, occlusion });
    expect(stage.forwardFlow === null).toBe(occlusion === 'crowding');
    const { confidences } = await runStage([pair.a, pair.b], 0.8, stage);
    const c = confidences[1];
    const mean = (m: Uint8Array) => {
      let s = 0, n = 0;
      m.forEach((v, i) => v && ((s += c[i]), n++));
      return s / n;
    };
    console.log(`confidence (${occlusion}): uncovered ${mean(pair.uncovered).toFixed(3)}, background ${mean(pair.background).toFixed(3)}`);
    expect(pair.uncovered.reduce((a, b) => a + b, 0)).toBeGreaterThan(50);
    expect(mean(pair.background)).toBeGreaterThan(0.75);
    expect(mean(pair.uncovered)).toBeLessThan(0.5 * mean(pair.background));
  });

  it('warping the previous frame by the flow reproduces the next frame away from occlusions', async () => {
    const pair = globalPair(img, about(W / 2, H / 2, 1.02, 1.5));
    const { outputs, confidences, stylised } = await runStage([pair.a, pair.b], 1);
    const trusted = (i: number) => confidences[1][i] > 0.8 && pair.mask[i] === 1;
    let count = 0;
    for (let i = 0; i < W * H; i++) if (trusted(i)) count++;
    expect(count).toBeGreaterThan(W * H * 0.5);
    const before = meanAbs(stylised[0], stylised[1], trusted); // a against b, unwarped
    const after = meanAbs(outputs[1], stylised[1], trusted); // warp(a) against b (α = 1, where trusted)
    console.log(`|a − b| ${before.toFixed(4)} → |warp(a) − b| ${after.toFixed(4)} on ${count} trusted pixels`);
    expect(before).toBeGreaterThan(0.04);
    expect(after).toBeLessThan(before / 3); // bilinear resampling, twice, costs a little
  });

  it('α = 0 gives exactly the per-frame output', async () => {
    const pair = globalPair(img, translate(2, 1));
    const { outputs, stylised } = await runStage([pair.a, pair.b, pair.a], 0);
    outputs.forEach((o, k) => expect(o).toEqual(stylised[k]));
  });

  it.each(['forward-backward', 'crowding'] as const)('blends when the shot continues, and a hard cut resets to the new frame exactly (occlusions by %s)', async (occlusion) => {
    const first = globalPair(img, translate(1.5, 0.5));
    const other = globalPair(await photo('golden_gate_sq.jpg'), translate(0, 0));
    const stage = new TemporalStage(device, W, H, { width: W, height: H }, { ...DEFAULT_FLOW, occlusion });
    const { outputs, stylised } = await runStage([first.a, first.b, other.a], 0.8, stage);
    expect(outputs[0]).toEqual(stylised[0]); // first frame: nothing to blend with
    expect(meanAbs(outputs[1], stylised[1], () => true)).toBeGreaterThan(0.003); // blended
    expect(outputs[2]).toEqual(stylised[2]); // the cut: no ghost of the previous shot
  });

  it('reset() starts a new history (a seek)', async () => {
    const pair = globalPair(img, translate(1.5, 0.5));
    const stage = new TemporalStage(device, W, H);
    const importer = new FrameImporter(device);
    const s = rgbBuffer(pair.b);
    try {
      for (const canvas of [pair.a]) {
        const f = new VideoFrame(canvas, { timestamp: 0 });
        const a = rgbBuffer(canvas);
        stage.process(importer.import(f, W, H), a.buffer, 0.8);
        f.close();
        a.buffer.destroy();
      }
      stage.reset();
      const f = new VideoFrame(pair.b, { timestamp: 0 });
      const out = stage.process(importer.import(f, W, H), s.buffer, 0.8);
      f.close();
      expect(new Float32Array(await readBuffer(device, out, W * H * 12))).toEqual(s.data);
      const cost = await stage.settledCost();
      console.log(`temporal cost ${JSON.stringify(cost)}`);
      expect(cost?.ms).toBeGreaterThan(0);
    } finally {
      s.buffer.destroy();
      importer.dispose();
      stage.dispose();
    }
  });
});

describe('the flow solved every other frame (FlowSettings.solveEvery 2, the software plan)', () => {
  // Frames of one photo panned by `at(k)` px at frame k.
  const run = (at: (k: number) => [number, number], n: number) =>
    runStage(
      Array.from({ length: n }, (_, k) => draw(img, compose(translate(...at(k)), baseTransform(img)))),
      0.8,
      new TemporalStage(device, W, H, { width: W, height: H }, { ...DEFAULT_FLOW, occlusion: 'crowding', solveEvery: 2 }),
    );
  const inner = (i: number) => {
    const x = i % W;
    const y = Math.floor(i / W);
    return x >= 8 && y >= 8 && x < W - 8 && y < H - 8;
  };
  const meanOf = (c: Float32Array) => {
    let s = 0, n = 0;
    c.forEach((v, i) => inner(i) && ((s += v), n++));
    return s / n;
  };

  it('solves on frames 1, 3, …; frame 2 takes frame 1\'s flow again, and trusts it while the motion holds', async () => {
    const { flows, confidences } = await run((k) => [1.5 * k, 0.5 * k], 4);
    expect(flows[2]).toEqual(flows[1]); // taken again, not solved
    expect(flows[3]).not.toEqual(flows[2]); // solved again (same motion, other pixels: never bit-identical)
    let ex = 0, ey = 0, n = 0;
    for (let i = 0; i < W * H; i++) if (inner(i)) ((ex += Math.abs(flows[1][2 * i] + 1.5)), (ey += Math.abs(flows[1][2 * i + 1] + 0.5)), n++);
    expect(ex / n + ey / n).toBeLessThan(0.3); // t → t−1 of a (1.5, 0.5) px/frame pan
    console.log(`steady pan: confidence ${confidences.map((c) => meanOf(c).toFixed(3)).join(' ')}`);
    expect(meanOf(confidences[2])).toBeGreaterThan(0.75);
  });

  it('distrusts the stale flow where the motion changed (the output stays close to the frame itself)', async () => {
    // Right by 3 px, then back by 3 px: frame 2's stale flow points the wrong way.
    const { confidences, outputs, stylised } = await run((k) => [k === 1 ? 3 : 0, 0], 3);
    const departs = meanAbs(outputs[2], stylised[2], inner);
    console.log(`reversed pan: confidence ${confidences.map((c) => meanOf(c).toFixed(3)).join(' ')}; frame 2 departs from itself by ${departs.toFixed(4)} (frame 1: ${meanAbs(outputs[1], stylised[1], inner).toFixed(4)}; frames 0 and 1: ${meanAbs(stylised[0], stylised[1], inner).toFixed(4)})`);
    expect(meanOf(confidences[1])).toBeGreaterThan(0.75);
    expect(meanOf(confidences[2])).toBeLessThan(0.5 * meanOf(confidences[1]));
    expect(departs).toBeLessThan(0.01);
  });
});

describe('strokes are carried, not averaged', () => {
  // A pan of `step` px a frame (frame_k(x) = frame_0(x + k·step)); "stylised" = the frame plus brush-like texture
  // that is new every frame, as the network's strokes are (it is not shift-stable).
  const frames = (step: number, length = 8) => Array.from({ length }, (_, k) => draw(img, compose(translate(-k * step, 0), baseTransform(img))));
  const strokes = (canvas: OffscreenCanvas, k: number) => {
    const base = rgbBuffer(canvas);
    base.buffer.destroy();
    let seed = 0x9e3779b9 ^ (k * 0x85ebca6b);
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    // Random values every 3 px, bilinearly interpolated: blobs and streaks a few pixels across, like strokes.
    const gw = Math.ceil(W / 3) + 2;
    const grid = new Float32Array(gw * (Math.ceil(H / 3) + 2)).map(() => (random() - 0.5) * 0.4);
    return base.data.map((v, i) => {
      const p = Math.floor(i / 3);
      const [gx, gy] = [(p % W) / 3, Math.floor(p / W) / 3];
      const [x0, y0] = [Math.floor(gx), Math.floor(gy)];
      const [fx, fy] = [gx - x0, gy - y0];
      const g = (x: number, y: number) => grid[y * gw + x];
      const t = (1 - fy) * ((1 - fx) * g(x0, y0) + fx * g(x0 + 1, y0)) + fy * ((1 - fx) * g(x0, y0 + 1) + fx * g(x0 + 1, y0 + 1));
      return Math.min(1, Math.max(0, v + t));
    });
  };
  const interior = (i: number) => i % W >= 8 && i % W < W - 8 && Math.floor(i / W) >= 8 && Math.floor(i / W) < H - 8;
  /** Mean |O_t(x) − O_{t−1}(x + step)| over the interior, frames 2.. (what the eye sees as flicker). */
  const flicker = (outputs: Float32Array[], step: number) => {
    let s = 0;
    let n = 0;
    for (let t = 2; t < outputs.length; t++) {
      for (let i = 0; i < W * H; i++) {
        if (!interior(i)) continue;
        const f = step % 1; // linear between the two pixels around x + step
        const at = (k: number, c: number) => outputs[t - 1][(i + Math.floor(step) + k) * 3 + c];
        for (let c = 0; c < 3; c++) s += Math.abs(outputs[t][i * 3 + c] - ((1 - f) * at(0, c) + f * at(1, c)));
        n += 3;
      }
    }
    return s / n;
  };
  /**
   * How sharp the strokes the output keeps are: R = O_t − frame_t is the stroke layer (new, carried or averaged);
   * mean |R − box5×5(R)| over the interior, frames 2... Averaging layers that do not line up lowers it; so does
   * blurring carried strokes.
   */
  const strokeDetail = (outputs: Float32Array[], plain: Float32Array[]) => {
    let s = 0;
    let n = 0;
    for (let t = 2; t < outputs.length; t++) {
      const r = outputs[t].map((v, i) => v - plain[t][i]);
      for (let i = 0; i < W * H; i++) {
        if (!interior(i)) continue;
        for (let c = 0; c < 3; c++) {
          let box = 0;
          for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) box += r[(i + dy * W + dx) * 3 + c];
          s += Math.abs(r[i * 3 + c] - box / 25);
          n++;
        }
      }
    }
    return s / n;
  };

  // 1 px: whole-pixel moves; 0.5 px: the history is resampled half-way between pixels every frame, where a soft
  // interpolation kernel would blur the carried strokes a little more each time (there the stroke layer R also
  // holds what resampling the photo leaves, and the flicker figure the linear interpolation of the reference).
  it.each([1, 0.5])('cuts flicker without smearing the strokes (against per-frame output and the plain average), pan %f px/frame', async (step) => {
    const run = async (alpha: number, method: 'strokes' | 'average') => {
      const stage = new TemporalStage(device, W, H);
      stage.method = method;
      return (await runStage(frames(step), alpha, stage, strokes)).outputs;
    };
    const plain = frames(step).map((c) => {
      const b = rgbBuffer(c);
      b.buffer.destroy();
      return b.data;
    });
    const off = await run(0, 'strokes');
    const carried = await run(0.7, 'strokes');
    const averaged = await run(0.7, 'average');
    const f = { off: flicker(off, step), strokes: flicker(carried, step), average: flicker(averaged, step) };
    const d = { off: strokeDetail(off, plain), strokes: strokeDetail(carried, plain), average: strokeDetail(averaged, plain) };
    console.log(`flicker off ${f.off.toFixed(4)}, strokes ${f.strokes.toFixed(4)}, average ${f.average.toFixed(4)}; detail off ${d.off.toFixed(4)}, strokes ${d.strokes.toFixed(4)}, average ${d.average.toFixed(4)}`);
    expect(f.strokes).toBeLessThan(0.5 * f.off);
    expect(d.strokes).toBeGreaterThan(0.85 * d.off);
    expect(d.average).toBeLessThan(0.85 * d.strokes); // averaging strokes that do not line up smears them
  });

  // The software plan resamples the history with the Keys cubic (4×4 taps, FlowSettings.warpTaps 4) instead of
  // Lanczos-3 (6×6): softer, and the loss compounds over the frames a stroke is carried. A pan of 0.5 px a frame
  // resamples every pixel half-way between pixels every frame (the worst case) for 16 frames. Measured (SwiftShader):
  // sharpness off 0.209, Lanczos-3 0.189, Keys 0.192; bilinear weights in the 4-tap path gave 0.139 and fail.
  it('the 4-tap warp keeps the carried strokes about as sharp as Lanczos-3 (0.5 px/frame, 16 frames)', async () => {
    const step = 0.5;
    const run = async (warpTaps: 4 | 6) =>
      (await runStage(frames(step, 16), 0.7, new TemporalStage(device, W, H, { width: W, height: H }, { ...DEFAULT_FLOW, warpTaps }), strokes)).outputs;
    const off = (await runStage(frames(step, 16), 0, new TemporalStage(device, W, H), strokes)).outputs;
    const [six, four] = [await run(6), await run(4)];
    // Sharpness of the output itself (as bench:temporal's detail): mean |central difference| over the interior and
    // the last 8 frames. (strokeDetail would count what resampling the photo leaves as detail.)
    const sharpness = (outputs: Float32Array[]) => {
      let s = 0;
      let n = 0;
      for (let t = 8; t < outputs.length; t++) {
        const o = outputs[t];
        for (let i = 0; i < W * H; i++) {
          if (!interior(i)) continue;
          for (let c = 0; c < 3; c++) s += Math.abs(o[(i + 1) * 3 + c] - o[(i - 1) * 3 + c]) + Math.abs(o[(i + W) * 3 + c] - o[(i - W) * 3 + c]);
          n += 3;
        }
      }
      return s / n;
    };
    const d = { off: sharpness(off), six: sharpness(six), four: sharpness(four) };
    const f = { off: flicker(off, step), six: flicker(six, step), four: flicker(four, step) };
    console.log(`16 frames at 0.5 px: detail off ${d.off.toFixed(4)}, Lanczos-3 ${d.six.toFixed(4)}, Keys ${d.four.toFixed(4)}; flicker off ${f.off.toFixed(4)}, Lanczos-3 ${f.six.toFixed(4)}, Keys ${f.four.toFixed(4)}`);
    expect(four).not.toEqual(six);
    expect(d.four).toBeGreaterThan(0.97 * d.six);
    expect(f.four).toBeLessThan(0.5 * f.off);
  });

  // The software plan blurs the low band at half size and takes it back up bilinearly (FlowSettings.lowBand 'half',
  // low_half.wgsl), at the full-size band's overall σ: what it blends must be nearly the full-size band's. Measured
  // (SwiftShader): |half − full| 0.0005 against |full − off| 0.080 (0.6 %), flicker 0.0091 both, stroke detail 0.0339
  // and 0.0340; with both half-size σs twice what they should be, |half − full| 0.0098 (12 %) and this fails.
  it('the low band at half size blends as the full-size one (1 px/frame, 8 frames)', async () => {
    const step = 1;
    const plain = frames(step).map((c) => {
      const b = rgbBuffer(c);
      b.buffer.destroy();
      return b.data;
    });
    const run = async (alpha: number, lowBand: 'full' | 'half') =>
      (await runStage(frames(step), alpha, new TemporalStage(device, W, H, { width: W, height: H }, { ...DEFAULT_FLOW, lowBand }), strokes)).outputs;
    const [off, full, half] = [await run(0, 'full'), await run(0.7, 'full'), await run(0.7, 'half')];
    // Per frame from the second on: how far half is from full, against how far the stage moves full from off.
    let apart = 0;
    let moved = 0;
    for (let t = 1; t < off.length; t++) {
      apart += meanAbs(half[t], full[t], interior);
      moved += meanAbs(full[t], off[t], interior);
    }
    const f = { off: flicker(off, step), full: flicker(full, step), half: flicker(half, step) };
    const d = { full: strokeDetail(full, plain), half: strokeDetail(half, plain) };
    console.log(`low band half vs full: |half − full| ${(apart / 7).toFixed(5)}, |full − off| ${(moved / 7).toFixed(5)}; flicker off ${f.off.toFixed(4)}, full ${f.full.toFixed(4)}, half ${f.half.toFixed(4)}; detail full ${d.full.toFixed(4)}, half ${d.half.toFixed(4)}`);
    expect(half).not.toEqual(full);
    expect(apart).toBeLessThan(0.02 * moved);
    expect(f.half).toBeLessThan(1.05 * f.full);
    expect(d.half).toBeGreaterThan(0.97 * d.full);
  });
});
