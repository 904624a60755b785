// Per-region strength through the real frame pipeline (tfjs-wasm network, our WGSL on the engine's WebGPU device) on
// a shared photo with a face labelled by hand: strengths 1/1/1 give today's output exactly; a protected face keeps
// more of the input's structure; outside the dilated face mask the output is the unprotected output exactly.
import { expect, inject, it } from 'vitest';
import { inBox, luma, meanAbsWhere, ssim, type PixelBox } from '../../bench/region-metrics.ts';
import { canvasPixels, drawnPhoto } from '../../bench/photo.ts';
import { createFrameStylizer, inferenceGeometry, type RenderOptions } from '../../src/engine/pipeline/frame.ts';
import { PERSON_EVERY, ellipseBounds, faceEllipse, masksNeeded, regionTuning, type MaskSource, type RegionFace, type RegionRequest, type RegionSettings } from '../../src/engine/regions/index.ts';
import { initBackend } from '../../src/engine/stylise/backend.ts';
import { StyleModel, blendVectors } from '../../src/engine/stylise/model.ts';
import { createStylizer, isStylecastError } from '../../src/engine/index.ts';
import { gpuDeviceForFile } from './gpu-device.ts';

const gpu = gpuDeviceForFile();

/**
 * The portrait, a window around the face (photo pixels 303..559 × 343..487 of 853×853) drawn at w×h, and the face
 * labelled by hand in that window (BlazeFace-like box: brows to chin; the face is tilted back, in profile).
 */
const WINDOW = { x: 303, y: 343, width: 256, height: 144 };
const FACE: RegionFace = { box: { x: (406 - 303) / 256, y: (384 - 343) / 144, width: 50 / 256, height: 62 / 144 } };

const portrait = (w: number, h: number) => drawnPhoto(`${inject('sharedMedia')}/photos/pexels-elly-fairytale-3822220.jpg`, w, h, WINDOW);

it('strengths 1/1/1 are today\'s output exactly; a face at 0.3 keeps its structure and nothing outside its mask changes', async () => {
  const choice = await initBackend('wasm');
  const model = await StyleModel.load();
  const style = await model.presetVector('udnie');
  const [W, H] = [256, 144];
  const { frame, rgba } = await portrait(W, H);
  const geometry = inferenceGeometry(W, H, 96);
  const frames = createFrameStylizer(choice, model, geometry, { gpu: { device: gpu.device, software: true, detail: 'test' } });
  const content = frames.contentVector(frame);
  // Cached across frames by strength, as the Stylizer does (a vector made inside the network's tidy would be freed).
  const vectors = new Map<number, ReturnType<typeof blendVectors>>();
  const request = (settings: RegionSettings): RegionRequest => ({
    settings,
    source: null,
    masks: { faces: [FACE], person: null },
    vector: (s) => {
      let v = vectors.get(s);
      if (!v) vectors.set(s, (v = blendVectors(style, content, s)));
      return v;
    },
  });
  const render = async (options: RenderOptions) => {
    await frames.render(frame, style, 0, options);
    await gpu.device.queue.onSubmittedWorkDone();
    return canvasPixels(frames.canvas);
  };
  try {
    for (const upsample of ['cubic', 'guided'] as const) {
      const today = await render({ upsample });
      const same = await render({ upsample, regions: request({ face: 1, person: 1, background: 1, adaptiveDetail: 0 }) });
      expect(meanAbsWhere(same, today, W, H, () => true).mean).toBe(0);

      const kept = await render({ upsample, regions: request({ face: 0.3, person: 1, background: 1, adaptiveDetail: 0 }) });
      // The face's box in output pixels, and its feathered ellipse dilated by the enlargement's reach (4 network px).
      const box: PixelBox = {
        x0: Math.round(FACE.box.x * W), y0: Math.round(FACE.box.y * H),
        x1: Math.round((FACE.box.x + FACE.box.width) * W), y1: Math.round((FACE.box.y + FACE.box.height) * H),
      };
      const e = ellipseBounds(faceEllipse(FACE, geometry.inferWidth, geometry.inferHeight));
      const sx = W / geometry.inferWidth;
      const sy = H / geometry.inferHeight;
      const dilated: PixelBox = { x0: (e.x0 - 4) * sx, y0: (e.y0 - 4) * sy, x1: (e.x1 + 4) * sx, y1: (e.y1 + 4) * sy };
      const outside = meanAbsWhere(kept, today, W, H, (x, y) => !inBox(dilated)(x + 0.5, y + 0.5));
      const inside = meanAbsWhere(kept, today, W, H, inBox(box));
      const lin = luma(rgba, W, H);
      const before = ssim(lin, luma(today, W, H), W, box);
      const after = ssim(lin, luma(kept, W, H), W, box);
      console.log(`${upsample}: face SSIM ${before.toFixed(3)} → ${after.toFixed(3)} at face strength 0.3; inside the box |Δ| ${inside.mean.toFixed(2)}/255; outside the dilated mask (${outside.pixels} px) ${outside.mean}`);
      expect(outside.pixels).toBeGreaterThan(W * H * 0.5);
      expect(outside.mean).toBe(0);
      expect(inside.mean).toBeGreaterThan(3);
      expect(after).toBeGreaterThan(before + 0.05);
    }
  } finally {
    frame.close();
    frames.dispose();
    for (const v of vectors.values()) v.dispose();
    content.dispose();
    style.dispose();
    model.dispose();
  }
});

it('region options are checked at the public boundary; regionSupport says where they run', async () => {
  const stylizer = await createStylizer({ backend: 'wasm', size: 64, regions: { face: 0.3 }, adaptiveDetail: true });
  try {
    expect(stylizer.regions).toEqual({ face: 0.3, person: 1, background: 1, adaptiveDetail: 0.6 });
    expect(stylizer.regionSupport.available).toBe(true);
    expect(stylizer.regionSupport.detail).toMatch(/with the person and face masks$/); // loaded by createStylizer
    const refused = (f: () => void) => {
      try {
        f();
      } catch (e) {
        return isStylecastError(e) ? `${e.code}: ${e.message}` : String(e);
      }
      return 'accepted';
    };
    expect(refused(() => stylizer.setRegions({ face: 1.5 }))).toMatch(/^INVALID_ARGUMENT: regions\.face must be a number from 0 to 1/);
    expect(refused(() => stylizer.setRegions({ hair: 0.5 } as never))).toMatch(/^INVALID_ARGUMENT: regions has no "hair"/);
    expect(refused(() => stylizer.setAdaptiveDetail(-1))).toMatch(/^INVALID_ARGUMENT: adaptiveDetail must be a number from 0 to 1/);
    expect(refused(() => stylizer.setRegions({ person: 0 }, false))).toBe('accepted');
    expect(stylizer.regions).toEqual({ face: 0.3, person: 0, background: 1, adaptiveDetail: 0 });
  } finally {
    stylizer.dispose();
  }
  await expect(createStylizer({ backend: 'wasm', size: 64, regions: { background: Number.NaN } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
});

it('with the real mask networks (MediaPipe person and face, set-up installed): the crowd\'s faces are found and kept, one frame late', async () => {
  const { MaskModels } = await import('../../src/engine/masks/index.ts');
  const choice = await initBackend('wasm');
  const [model, masks] = await Promise.all([StyleModel.load(), MaskModels.load()]);
  const style = await model.presetVector('starry_night');
  const [W, H] = [320, 214];
  const r = await fetch(`${inject('sharedMedia')}/photos/pexels-davide-de-giovanni-3171822.jpg`);
  const img = await createImageBitmap(await r.blob());
  const c = new OffscreenCanvas(W, H);
  const ctx = c.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(img, 0, 0, W, H);
  img.close();
  const frame = new VideoFrame(c, { timestamp: 0 });
  // Hand-labelled faces of the crowd (photo px of 1280×853, brows to chin), the ones fully in the picture.
  const labels: PixelBox[] = [[596, 260, 116, 130], [964, 200, 126, 150], [1114, 280, 142, 150], [130, 310, 120, 140], [184, 120, 106, 120], [470, 80, 110, 120], [890, 70, 100, 120]]
    .map(([x, y, w, h]) => ({ x0: Math.round((x * W) / 1280), y0: Math.round((y * H) / 853), x1: Math.round(((x + w) * W) / 1280), y1: Math.round(((y + h) * H) / 853) }));
  const geometry = inferenceGeometry(W, H, 192);
  const frames = createFrameStylizer(choice, model, geometry, { gpu: { device: gpu.device, software: true, detail: 'test' } });
  const content = frames.contentVector(frame);
  const weak = new Map<number, ReturnType<typeof blendVectors>>();
  const request: RegionRequest = {
    settings: { face: 0.3, person: 1, background: 1, adaptiveDetail: 0 },
    source: masks,
    vector: (s) => {
      let v = weak.get(s);
      if (!v) weak.set(s, (v = blendVectors(style, content, s)));
      return v;
    },
  };
  try {
    await frames.render(frame, style, 0, { upsample: 'cubic' });
    await gpu.device.queue.onSubmittedWorkDone();
    const off = await canvasPixels(frames.canvas);
    // The detector's boxes arrive a frame late: render until they are in (the same picture: a still camera).
    let kept = off;
    for (let k = 0; k < 6; k++) {
      await frames.render(frame, style, 0, { upsample: 'cubic', regions: request });
      await gpu.device.queue.onSubmittedWorkDone();
      await new Promise((res) => setTimeout(res, 200));
      if (masks.latestFaces()?.faces.length) {
        await frames.render(frame, style, 0, { upsample: 'cubic', regions: request });
        await gpu.device.queue.onSubmittedWorkDone();
        kept = await canvasPixels(frames.canvas);
        break;
      }
    }
    const found = masks.latestFaces()?.faces ?? [];
    const lin = luma(await (async () => {
      const d = new Uint8ClampedArray(W * H * 4);
      await frame.copyTo(d, { format: 'RGBA' });
      return d;
    })(), W, H);
    const changed = labels.filter((b) => meanAbsWhere(kept, off, W, H, inBox(b)).mean > 3);
    const gain = labels.map((b) => ssim(lin, luma(kept, W, H), W, b) - ssim(lin, luma(off, W, H), W, b));
    console.log(`detector: ${found.length} faces; ${changed.length}/${labels.length} labelled faces changed; SSIM gain per face ${gain.map((g) => g.toFixed(2)).join(' ')}`);
    expect(found.length).toBeGreaterThanOrEqual(5);
    expect(changed.length).toBeGreaterThanOrEqual(5);
    expect(gain.filter((g) => g > 0.05).length).toBeGreaterThanOrEqual(5);
  } finally {
    frame.close();
    frames.dispose();
    for (const v of weak.values()) v.dispose();
    content.dispose();
    style.dispose();
    masks.dispose();
    model.dispose();
  }
});

it('the person segmenter runs on every other frame under smoothing (a real count of its runs), every frame without; strengths 1/1/1 run none and are today\'s output', async () => {
  const { MaskModels } = await import('../../src/engine/masks/index.ts');
  const choice = await initBackend('wasm');
  const [model, masks] = await Promise.all([StyleModel.load(), MaskModels.load()]);
  const style = await model.presetVector('udnie');
  // A pan over the portrait (the person labelled by hand in tests/fixtures/mask-labels.json: photo px 129..731 ×
  // 151..812 of 853²): an 800×450 window moving 12 photo px a frame, drawn at 160×90.
  const [W, H] = [160, 90];
  const r = await fetch(`${inject('sharedMedia')}/photos/pexels-elly-fairytale-3822220.jpg`);
  const img = await createImageBitmap(await r.blob());
  const pan = Array.from({ length: 5 }, (_, k) => {
    const c = new OffscreenCanvas(W, H);
    const ctx = c.getContext('2d')!;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(img, 20 + 12 * k, 200, 800, 450, 0, 0, W, H);
    return new VideoFrame(c, { timestamp: k * 40_000 });
  });
  img.close();
  // The person's box in the window of frame 2, shrunk by a sixth on each side (well inside the silhouette).
  const [px0, py0, px1, py1] = [(129 - 44) / 5, 0, (731 - 44) / 5, H];
  const inner: PixelBox = { x0: px0 + (px1 - px0) / 6, y0: py0 + (py1 - py0) / 6, x1: px1 - (px1 - px0) / 6, y1: py1 - (py1 - py0) / 6 };
  let personRuns = 0;
  // The real networks; only the segmenter's calls are counted.
  const counted: MaskSource = {
    personMask: (x) => (personRuns++, masks.personMask(x)),
    submitFaces: (x, tag, o) => masks.submitFaces(x, tag, o),
    latestFaces: () => masks.latestFaces(),
  };
  const geometry = inferenceGeometry(W, H, 64);
  const vectors = new Map<number, ReturnType<typeof blendVectors>>();
  let content = null as ReturnType<typeof blendVectors> | null;
  const request = (settings: RegionSettings): RegionRequest => ({
    settings,
    source: counted,
    vector: (s) => {
      let v = vectors.get(s);
      if (!v) vectors.set(s, (v = blendVectors(style, content!, s)));
      return v;
    },
  });
  /** The pan through a new frame stylizer; returns frame 2's and 3's output and the segmenter's runs. */
  const run = async (temporal: number, settings: RegionSettings | null, personEvery: number | null = null) => {
    regionTuning.personEvery = personEvery;
    personRuns = 0;
    const frames = createFrameStylizer(choice, model, geometry, { gpu: { device: gpu.device, software: true, detail: 'test' } });
    content ??= frames.contentVector(pan[0]);
    const out: Uint8ClampedArray[] = [];
    try {
      for (const [k, frame] of pan.entries()) {
        await frames.render(frame, style, temporal, { upsample: 'cubic', ...(settings ? { regions: request(settings) } : {}) });
        await gpu.device.queue.onSubmittedWorkDone();
        if (k === 2 || k === 3) out.push(await canvasPixels(frames.canvas));
      }
    } finally {
      frames.dispose();
      regionTuning.personEvery = null;
    }
    return { out, runs: personRuns };
  };
  const person = { face: 0.3, person: 0.3, background: 1, adaptiveDetail: 0 }; // the person mask alone (faces = person)
  try {
    expect(masksNeeded(person)).toEqual({ person: true, faces: false });
    const today = await run(0.5, null);
    const same = await run(0.5, { face: 1, person: 1, background: 1, adaptiveDetail: 0 });
    expect(same.runs).toBe(0);
    for (const k of [0, 1]) expect(meanAbsWhere(same.out[k], today.out[k], W, H, () => true).mean).toBe(0);

    const every = await run(0.5, person, 1);
    const half = await run(0.5, person);
    const unsmoothed = await run(0, person);
    console.log(`segmenter runs over 5 frames: smoothing, PERSON_EVERY ${PERSON_EVERY}: ${half.runs}; every frame: ${every.runs}; smoothing off: ${unsmoothed.runs}`);
    expect(half.runs).toBe(3); // frames 0, 2, 4
    expect(every.runs).toBe(5);
    expect(unsmoothed.runs).toBe(5);
    // Frame 3 took the mask of frame 2 carried along the flow: inside the person it is rendered like the frame that
    // ran the segmenter (far closer to it than to the unprotected output).
    const protection = meanAbsWhere(every.out[1], today.out[1], W, H, inBox(inner)).mean;
    const carried = meanAbsWhere(half.out[1], every.out[1], W, H, inBox(inner)).mean;
    console.log(`frame 3 inside the person: |every frame − unprotected| ${protection.toFixed(2)}/255, |every other frame − every frame| ${carried.toFixed(2)}/255`);
    expect(protection).toBeGreaterThan(3);
    expect(carried).toBeLessThan(protection * 0.25);
  } finally {
    for (const f of pan) f.close();
    for (const v of vectors.values()) v.dispose();
    content?.dispose();
    style.dispose();
    masks.dispose();
    model.dispose();
  }
});
