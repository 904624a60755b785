// The page bench/regions.ts drives: a pan clip (made by ffmpeg from a shared photo) decoded frame by frame →
// the engine's frame pipeline (tfjs-wasm network, our WGSL on the WebGPU device, smoothing and guided present as
// configured) with per-region strength off, with the faces' crop pass, and with a whole-frame weak pass; and a plain
// cross-fade with the camera picture under the same feathered face mask, for comparison. Faces are the hand-labelled
// boxes the script carries along the pan. Scored in the page: SSIM of luma inside the face boxes, the style
// predictor's vector of the face crops against the style's, the change outside the dilated masks, ms per frame.
import * as tf from '@tensorflow/tfjs';
import { ALL_FORMATS, BlobSource, Input, VideoSampleSink } from 'mediabunny';
import { temporalDevice } from '../src/engine/gpu/device.ts';
import { createFrameStylizer, inferenceGeometry } from '../src/engine/pipeline/frame.ts';
import { flowPlan } from '../src/engine/temporal/index.ts';
import { FACE_EVERY, PERSON_EVERY, FACE_FEATHER, FACE_TILES, WEAK_EVERY, RegionStage, masksNeeded, ellipseBounds, faceEllipse, planWeakPass, regionTuning, type MaskSource, type RegionFace, type RegionRequest, type WeakPass } from '../src/engine/regions/index.ts';
import type { BackendChoice } from '../src/engine/stylise/backend.ts';
import { initBackend } from '../src/engine/stylise/backend.ts';
import { StyleModel, blendVectors } from '../src/engine/stylise/model.ts';
import { MaskModels } from '../src/engine/masks/index.ts';
import { inBox, luma, meanAbsWhere, ssim, type PixelBox } from './region-metrics.ts';

const IO = '/__stylecast/';

/** One way of running the engine: regions off, or on with some of regionTuning's knobs (null/absent: the engine's). */
export interface EngineVariant {
  name: string;
  regions: boolean;
  crop?: boolean;
  structure?: number | null;
  structureBelow?: number | null;
  cropBudget?: number | null;
  weakEvery?: number | null;
  /** regionTuning.mapScale (MAP_SCALE: 1 the map at the full size). */
  mapScale?: 1 | 2 | null;
  /**
   * The faces from the engine's own detector (frameMasks with a source, on the engine's cadence: late, every
   * FACE_EVERY frames under smoothing) instead of the labelled boxes: what the detection's cadence costs in quality.
   */
  detect?: boolean;
  /** regionTuning.faceEvery (FACE_EVERY), with `detect`. */
  faceEvery?: number | null;
}

export interface RegionsCase {
  clip: string;
  style: string;
  size: number;
  temporal: number;
  faceStrength: number;
  /** Per frame, the labelled faces (normalised). */
  faces: RegionFace[][];
  /** Timed rounds of the cost section (after one warm-up). */
  costRounds: number;
  /** The engine variants to run, 'unprotected' (regions off) first. */
  variants: EngineVariant[];
}

export interface VariantScores {
  name: string;
  /** Mean SSIM of luma, input vs output, over the face boxes (fully in the picture) of every frame. */
  faceSsim: number;
  /** Mean cosine between the predictor's vector of each face crop and the style's. */
  faceStyleCosine: number;
  /** Mean |output − unprotected| over RGB (0..255) outside the dilated face masks, and inside the face boxes. */
  outsideMeanAbs: number;
  insideMeanAbs: number;
  /** Wall ms per frame (render → GPU queue done), frames 2.. (the first compiles). */
  msPerFrame: number[];
  /** Labelled faces the face detector (tiles 3) finds in the output (IoU ≥ 0.3), and their mean IoU. */
  detected: number;
  detectedIoU: number;
  /**
   * Engine variants with regions: their weak pass timed alone (the median frame's plan under the variant's knobs;
   * interleaved with the rest of the cost rounds), its share of the network's pixels, and how often it runs.
   */
  weakPass?: { ms: number[]; pixelShare: number; every: number };
}

export interface RegionsResult {
  clip: string;
  width: number;
  height: number;
  inferWidth: number;
  inferHeight: number;
  frames: number;
  facesScored: number;
  /** The network alone on the frame at the inference size (+ data()), ms, 5 runs. */
  networkMs: number[];
  /** The photo's (input's) own face crops: their style cosine and SSIM 1 by definition. */
  inputFaceStyleCosine: number;
  /** Labelled faces the detector finds in the input frames, and their mean IoU. */
  inputDetected: number;
  inputDetectedIoU: number;
  variants: VariantScores[];
  /** Each part of the region work timed on its own, interleaved with the network alone (ms per run). */
  cost: RegionCost;
}

export interface RegionCost {
  /** The weak pass's size per frame (the default plan: the faces' crop), as a share of the frame's network pixels. */
  weakPixelShare: number[];
  /** How often the engine's default runs the weak pass under smoothing (WEAK_EVERY): its cost counts 1/weakEvery. */
  weakEvery: number;
  /** How often the engine runs face detection (FACE_EVERY). */
  faceEvery: number;
  network: number[];
  /** The network on the median frame's crop (the weak pass). */
  weakPass: number[];
  /**
   * The masks these settings need, per frame as the engine runs them: the person mask only when it changes something
   * (not for faces alone), face detection (tiles as the engine) once every FACE_EVERY frames.
   */
  masks: number[];
  /** The region stage's two WGSL passes at the network's size (submit → queue done). */
  wgsl: number[];
  /** The same with the map at the full size (regionTuning.mapScale 1, as before MAP_SCALE), timed in the same rounds. */
  wgslFullMap: number[];
  /**
   * The stage's WGSL as the engine records it under smoothing, per frame, by the weak pass's cadence N (the engine's
   * WEAK_EVERY and each variant's): a cycle of N frames, each in a pass with a flow as the temporal stage's (so no
   * luma test), the first with a weak pass of its own, the others carrying it along the flow (the carried blend over
   * the whole frame); the cycle's time over N. Timed in the same rounds.
   */
  wgslCycle: Record<number, number[]>;
}

declare global {
  interface Window {
    benchRegionsInit(): Promise<string>;
    benchRegionsCase(c: RegionsCase): Promise<RegionsResult>;
  }
}

let choice: BackendChoice;
let device: GPUDevice;
let model: StyleModel;
let masks: MaskModels;

window.benchRegionsInit = async () => {
  choice = await initBackend('wasm');
  const gpu = await temporalDevice(choice);
  if (!gpu.device) throw new Error(`no WebGPU device: ${gpu.detail}`);
  device = gpu.device;
  [model, masks] = await Promise.all([StyleModel.load(), MaskModels.load()]);
  return `network: tfjs ${choice.name}; regions, smoothing and present ${gpu.detail}`;
};

async function decode(name: string): Promise<VideoFrame[]> {
  const r = await fetch(IO + name);
  if (!r.ok) throw new Error(`cannot load ${name}: HTTP ${r.status}`);
  const input = new Input({ formats: ALL_FORMATS, source: new BlobSource(await r.blob()) });
  const track = await input.getPrimaryVideoTrack();
  if (!track) throw new Error(`${name} has no video track`);
  const frames: VideoFrame[] = [];
  for await (const sample of new VideoSampleSink(track).samples()) {
    frames.push(sample.toVideoFrame());
    sample.close();
  }
  input.dispose();
  return frames;
}

async function rgbaOf(source: VideoFrame | OffscreenCanvas, w: number, h: number): Promise<Uint8ClampedArray> {
  const ctx = new OffscreenCanvas(w, h).getContext('2d', { willReadFrequently: true })!;
  if (source instanceof VideoFrame) ctx.drawImage(source, 0, 0, w, h);
  else {
    const bitmap = await createImageBitmap(source);
    ctx.drawImage(bitmap, 0, 0);
    bitmap.close();
  }
  return ctx.getImageData(0, 0, w, h).data;
}

const boxOf = (f: RegionFace, w: number, h: number): PixelBox => ({
  x0: Math.round(f.box.x * w), y0: Math.round(f.box.y * h), x1: Math.round((f.box.x + f.box.width) * w), y1: Math.round((f.box.y + f.box.height) * h),
});
const inside = (b: PixelBox, w: number, h: number) => b.x0 >= 0 && b.y0 >= 0 && b.x1 <= w && b.y1 <= h;

/** The feathered ellipse mask of `faces` at w×h (the face mask regions_map.wgsl draws), max over faces. */
function faceMask(faces: RegionFace[], w: number, h: number): Float32Array {
  const m = new Float32Array(w * h);
  const smooth = (a: number, b: number, x: number) => {
    const t = Math.min(1, Math.max(0, (x - a) / (b - a)));
    return t * t * (3 - 2 * t);
  };
  for (const f of faces) {
    const e = faceEllipse(f, w, h);
    const c = Math.cos(e.angle);
    const s = Math.sin(e.angle);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const dx = x - e.cx;
        const dy = y - e.cy;
        const r = Math.hypot((c * dx + s * dy) / e.ax, (-s * dx + c * dy) / e.ay);
        m[y * w + x] = Math.max(m[y * w + x], 1 - smooth(1 - FACE_FEATHER, 1 + FACE_FEATHER, r));
      }
    }
  }
  return m;
}

/** The predictor's vector of a square crop around `b` (1.3× its larger side), cosine with `style`. */
async function styleCosine(rgba: Uint8ClampedArray, w: number, h: number, b: PixelBox, style: Float32Array): Promise<number> {
  const side = Math.round(1.3 * Math.max(b.x1 - b.x0, b.y1 - b.y0));
  const cx = (b.x0 + b.x1) / 2;
  const cy = (b.y0 + b.y1) / 2;
  const x0 = Math.max(0, Math.min(w - side, Math.round(cx - side / 2)));
  const y0 = Math.max(0, Math.min(h - side, Math.round(cy - side / 2)));
  const s = Math.min(side, w, h);
  const v = tf.tidy(() => {
    const img = tf.tensor3d(Int32Array.from(rgba), [h, w, 4], 'int32').slice([y0, x0, 0], [s, s, 3]).toFloat().div(255).expandDims(0) as tf.Tensor4D;
    return model.predict(img);
  });
  const data = (await v.data()) as Float32Array;
  v.dispose();
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < data.length; i++) {
    dot += data[i] * style[i];
    na += data[i] * data[i];
    nb += style[i] * style[i];
  }
  return dot / Math.sqrt(na * nb);
}

const iou = (a: PixelBox, b: PixelBox) => {
  const w = Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0));
  const h = Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
  const i = w * h;
  return i / ((a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - i);
};

/** The labelled boxes the face detector finds in `rgba` (best IoU ≥ 0.3 each): how many, and the IoUs. */
async function detect(rgba: Uint8ClampedArray, w: number, h: number, labels: PixelBox[]): Promise<number[]> {
  const x = tf.tidy(() => tf.tensor3d(Int32Array.from(rgba), [h, w, 4], 'int32').slice([0, 0, 0], [h, w, 3]).toFloat().div(255) as tf.Tensor3D);
  const faces = await masks.detectFaces(x, { tiles: 3 });
  x.dispose();
  const boxes = faces.map((f) => boxOf(f, w, h));
  return labels.map((l) => Math.max(0, ...boxes.map((b) => iou(l, b)))).filter((v) => v >= 0.3);
}

/**
 * The engine's face detector as a mask source of a variant's own (MaskModels.submitFaces' way: queued now, read back
 * asynchronously, one at a time), so that one variant's late boxes never reach the next (the models are shared).
 */
function detectorSource(): MaskSource {
  let latest: { faces: RegionFace[]; tag: number } | null = null;
  let inflight = false;
  return {
    personMask: () => {
      throw new Error('bench:regions weakens faces alone: no person mask');
    },
    submitFaces: (x, tag = 0, options) => {
      if (inflight) return false;
      inflight = true;
      masks
        .detectFaces(x, options)
        .then((faces) => void (latest = { faces, tag }))
        .finally(() => void (inflight = false));
      return true;
    },
    latestFaces: () => latest,
  };
}

window.benchRegionsCase = async (c: RegionsCase) => {
  const frames = await decode(c.clip);
  const W = frames[0].displayWidth;
  const H = frames[0].displayHeight;
  const geometry = inferenceGeometry(W, H, c.size);
  const styleVec = await model.presetVector(c.style);
  const styleData = (await styleVec.data()) as Float32Array;
  const gpu = { device, software: true, detail: 'bench' };
  const inputs = await Promise.all(frames.map((f) => rgbaOf(f, W, H)));
  try {
    // The network alone at this size (its input from the first frame).
    const x = tf.tidy(() => tf.image.resizeBilinear(tf.tensor3d(Int32Array.from(inputs[0]), [H, W, 4], 'int32').slice([0, 0, 0], [H, W, 3]).toFloat().div(255).expandDims(0) as tf.Tensor4D, [geometry.inferHeight, geometry.inferWidth]));
    const networkMs: number[] = [];
    for (let k = 0; k < 6; k++) {
      const t0 = performance.now();
      const y = model.transform(x, styleVec);
      await y.data();
      y.dispose();
      if (k > 0) networkMs.push(performance.now() - t0);
    }
    x.dispose();

    const engineVariants = c.variants;
    if (engineVariants[0]?.regions !== false) throw new Error('the first variant must be unprotected (regions off)');
    const tune = (v: EngineVariant) => {
      regionTuning.crop = v.crop ?? true;
      regionTuning.structure = v.structure ?? null;
      regionTuning.structureBelow = v.structureBelow ?? null;
      regionTuning.cropBudget = v.cropBudget ?? null;
      regionTuning.weakEvery = v.weakEvery ?? null;
      regionTuning.mapScale = v.mapScale ?? null;
      regionTuning.faceEvery = v.faceEvery ?? null;
    };
    const untune = () => tune({ name: '', regions: false });
    const outputs: Uint8ClampedArray[][] = [];
    const ms: number[][] = [];
    for (const v of engineVariants) {
      tune(v);
      const fs = createFrameStylizer(choice, model, geometry, { gpu });
      const source = v.detect ? detectorSource() : null;
      const content = fs.contentVector(frames[0]);
      const vectors = new Map<number, tf.Tensor4D>();
      const outs: Uint8ClampedArray[] = [];
      const times: number[] = [];
      try {
        for (let k = 0; k < frames.length; k++) {
          const request: RegionRequest | undefined = v.regions
            ? {
                settings: { face: c.faceStrength, person: 1, background: 1, adaptiveDetail: 0 },
                source,
                masks: source ? undefined : { faces: c.faces[k], person: null },
                vector: (s) => {
                  let vec = vectors.get(s);
                  if (!vec) vectors.set(s, (vec = blendVectors(styleVec, content, s)));
                  return vec;
                },
              }
            : undefined;
          const t0 = performance.now();
          await fs.render(frames[k], styleVec, c.temporal, { regions: request });
          await device.queue.onSubmittedWorkDone();
          if (k > 0) times.push(performance.now() - t0);
          outs.push(await rgbaOf(fs.canvas, W, H));
        }
      } finally {
        fs.dispose();
        content.dispose();
        for (const vec of vectors.values()) vec.dispose();
        untune();
      }
      outputs.push(outs);
      ms.push(times);
    }
    // The plain cross-fade with the camera picture under the same face mask: out = s·stylised + (1 − s)·input.
    const crossfade = outputs[0].map((off, k) => {
      const m = faceMask(c.faces[k], W, H);
      const out = new Uint8ClampedArray(off.length);
      for (let i = 0; i < W * H; i++) {
        const t = 1 - (1 - c.faceStrength) * m[i];
        for (let ch = 0; ch < 4; ch++) out[i * 4 + ch] = Math.round(t * off[i * 4 + ch] + (1 - t) * inputs[k][i * 4 + ch]);
      }
      return out;
    });
    const all = [...outputs, crossfade];
    const names = [...engineVariants.map((v) => v.name), `cross-fade with the input at ${c.faceStrength} (not the engine)`];
    const scores = names.map((name) => ({ name, ssim: [] as number[], cos: [] as number[], outside: [] as number[], insideAbs: [] as number[], det: [] as number[] }));
    const inputCos: number[] = [];
    const inputDet: number[] = [];
    let facesScored = 0;
    for (let k = 0; k < frames.length; k++) {
      const lin = luma(inputs[k], W, H);
      const boxes = c.faces[k].map((f) => boxOf(f, W, H)).filter((b) => inside(b, W, H));
      // Dilated masks: each face's feathered ellipse bounds at the network's size, 4 network px more, in output px.
      const sx = W / geometry.inferWidth;
      const sy = H / geometry.inferHeight;
      const dilated = c.faces[k].map((f) => {
        const e = ellipseBounds(faceEllipse(f, geometry.inferWidth, geometry.inferHeight));
        return { x0: (e.x0 - 4) * sx, y0: (e.y0 - 4) * sy, x1: (e.x1 + 4) * sx, y1: (e.y1 + 4) * sy };
      });
      const outsideAll = (x: number, y: number) => !dilated.some((d) => inBox(d)(x + 0.5, y + 0.5));
      for (const b of boxes) inputCos.push(await styleCosine(inputs[k], W, H, b, styleData));
      inputDet.push(...(await detect(inputs[k], W, H, boxes)));
      facesScored += boxes.length;
      for (let v = 0; v < all.length; v++) {
        const out = all[v][k];
        const lo = luma(out, W, H);
        for (const b of boxes) {
          scores[v].ssim.push(ssim(lin, lo, W, b));
          scores[v].cos.push(await styleCosine(out, W, H, b, styleData));
          scores[v].insideAbs.push(meanAbsWhere(out, outputs[0][k], W, H, inBox(b)).mean);
        }
        scores[v].outside.push(meanAbsWhere(out, outputs[0][k], W, H, outsideAll).mean);
        scores[v].det.push(...(await detect(out, W, H, boxes)));
      }
    }
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    // The region work's parts, each timed on its own, interleaved with the network (5 rounds after a warm-up).
    const iw = geometry.inferWidth;
    const ih = geometry.inferHeight;
    const planFor = (v: EngineVariant) => {
      tune(v);
      try {
        const plans = c.faces.map((f) => planWeakPass({ face: c.faceStrength, person: 1, background: 1, adaptiveDetail: 0 }, true, false, f.map((x) => faceEllipse(x, iw, ih)), iw, ih));
        const median = [...plans].filter((p) => p).sort((a, b) => a!.width * a!.height - b!.width * b!.height)[Math.floor(plans.length / 2)]!;
        return { plans, median, every: v.weakEvery ?? WEAK_EVERY };
      } finally {
        untune();
      }
    };
    const { plans, median } = planFor({ name: 'default', regions: true });
    const weakPixelShare = plans.map((p) => (p ? (p.width * p.height) / (iw * ih) : 0));
    const cost: RegionCost = { weakPixelShare, weakEvery: WEAK_EVERY, faceEvery: FACE_EVERY, network: [], weakPass: [], masks: [], wgsl: [], wgslFullMap: [], wgslCycle: {} };
    const full = tf.tidy(() => tf.randomUniform([1, ih, iw, 3]) as tf.Tensor4D);
    const crop = tf.tidy(() => tf.randomUniform([1, median.height, median.width, 3]) as tf.Tensor4D);
    // Each variant's own weak pass (a crop of its median plan's size), timed in the same rounds.
    const variantCrops = engineVariants.map((v) => {
      if (!v.regions) return null;
      const p: { median: WeakPass; every: number } = planFor(v);
      return { ...p, input: tf.tidy(() => tf.randomUniform([1, p.median.height, p.median.width, 3]) as tf.Tensor4D), ms: [] as number[] };
    });
    const stage = new RegionStage(device, iw, ih);
    const fullMapStage = new RegionStage(device, iw, ih);
    // The cycles (see RegionCost.wgslCycle): a stage of their own per cadence, a still flow trusted everywhere.
    const cadences = [...new Set([WEAK_EVERY, ...variantCrops.filter((vc) => vc).map((vc) => vc!.every)])];
    const cycleStages = new Map(cadences.map((n) => [n, new RegionStage(device, iw, ih)]));
    for (const n of cadences) cost.wgslCycle[n] = [];
    const flowSize = flowPlan(iw, ih, true).size;
    const flowBuf = (bytes: number, fill?: number) => {
      const b = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      if (fill !== undefined) device.queue.writeBuffer(b, 0, new Float32Array(bytes / 4).fill(fill));
      return b;
    };
    // The temporal stage's cut sums of a flow with no cut (confidence.wgsl: residual, inconsistent pixels, pixels inside).
    const stats = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(stats, 0, new Uint32Array([0, 0, flowSize.width * flowSize.height, 0]));
    const flow = { back: flowBuf(flowSize.width * flowSize.height * 8), confidence: flowBuf(flowSize.width * flowSize.height * 4, 1), stats, ...flowSize };
    const cycle = async (n: number) => {
      const cycleStage = cycleStages.get(n)!;
      const settings = { face: c.faceStrength, person: 1, background: 1, adaptiveDetail: 0 };
      const frameMasks = { faces: c.faces[0], person: null };
      regionTuning.weakEvery = n;
      try {
        const t = await timed(async () => {
          for (let f = 0; f < n; f++) {
            const plan = cycleStage.plan(settings, frameMasks, true);
            const encoder = device.createCommandEncoder();
            const pass = encoder.beginComputePass();
            cycleStage.encode(pass, { full: fullBuf, weak: plan?.carried ? null : { buffer: weakBuf, pass: median }, input: fullBuf, settings, masks: frameMasks }, flow);
            pass.end();
            device.queue.submit([encoder.finish()]);
          }
          await device.queue.onSubmittedWorkDone();
        });
        return t / n;
      } finally {
        regionTuning.weakEvery = null;
      }
    };
    const fullBuf = device.createBuffer({ size: iw * ih * 12, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    const weakBuf = device.createBuffer({ size: median.width * median.height * 12, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    const timed = async (f: () => Promise<unknown>) => {
      const t0 = performance.now();
      await f();
      return performance.now() - t0;
    };
    try {
      for (let round = 0; round <= c.costRounds; round++) {
        const net = await timed(async () => {
          const y = model.transform(full, styleVec);
          await y.data();
          y.dispose();
        });
        const weak = await timed(async () => {
          const y = model.transform(crop, styleVec);
          await y.data();
          y.dispose();
        });
        const need = masksNeeded({ face: c.faceStrength, person: 1, background: 1, adaptiveDetail: 0 });
        const person = !need.person ? 0 : await timed(async () => {
          const p = masks.personMask(full);
          await p.data();
          p.dispose();
        });
        const faces = !need.faces ? 0 : await timed(() => masks.detectFaces(full, { tiles: FACE_TILES }));
        const m = person / PERSON_EVERY + faces / FACE_EVERY; // the pipeline runs smoothed here: the cadences under smoothing
        const g = await timed(async () => {
          stage.run({ full: fullBuf, weak: { buffer: weakBuf, pass: median }, input: fullBuf, settings: { face: c.faceStrength, person: 1, background: 1, adaptiveDetail: 0 }, masks: { faces: c.faces[0], person: null } });
          await device.queue.onSubmittedWorkDone();
        });
        regionTuning.mapScale = 1;
        const g1 = await timed(async () => {
          fullMapStage.run({ full: fullBuf, weak: { buffer: weakBuf, pass: median }, input: fullBuf, settings: { face: c.faceStrength, person: 1, background: 1, adaptiveDetail: 0 }, masks: { faces: c.faces[0], person: null } });
          await device.queue.onSubmittedWorkDone();
        });
        regionTuning.mapScale = null;
        const cycles: number[] = [];
        for (const n of cadences) cycles.push(await cycle(n));
        const variantMs: number[] = [];
        for (const vc of variantCrops) {
          if (!vc) continue;
          variantMs.push(
            await timed(async () => {
              const y = model.transform(vc.input, styleVec);
              await y.data();
              y.dispose();
            }),
          );
        }
        if (round === 0) continue;
        variantCrops.filter((vc) => vc).forEach((vc, k) => vc!.ms.push(variantMs[k]));
        cost.network.push(net);
        cost.weakPass.push(weak);
        cost.masks.push(m);
        cost.wgsl.push(g);
        cost.wgslFullMap.push(g1);
        cadences.forEach((n, k) => cost.wgslCycle[n].push(cycles[k]));
      }
    } finally {
      full.dispose();
      crop.dispose();
      for (const vc of variantCrops) vc?.input.dispose();
      stage.dispose();
      fullMapStage.dispose();
      for (const cs of cycleStages.values()) cs.dispose();
      for (const b of [flow.back, flow.confidence, flow.stats]) b.destroy();
      fullBuf.destroy();
      weakBuf.destroy();
    }
    return {
      cost,
      clip: c.clip,
      width: W,
      height: H,
      inferWidth: geometry.inferWidth,
      inferHeight: geometry.inferHeight,
      frames: frames.length,
      facesScored,
      networkMs,
      inputFaceStyleCosine: mean(inputCos),
      inputDetected: inputDet.length,
      inputDetectedIoU: mean(inputDet),
      variants: scores.map((s, v) => ({
        name: s.name,
        faceSsim: mean(s.ssim),
        faceStyleCosine: mean(s.cos),
        outsideMeanAbs: mean(s.outside),
        insideMeanAbs: mean(s.insideAbs),
        msPerFrame: ms[v] ?? [],
        detected: s.det.length,
        detectedIoU: mean(s.det),
        weakPass: variantCrops[v] ? { ms: variantCrops[v]!.ms, pixelShare: (variantCrops[v]!.median.width * variantCrops[v]!.median.height) / (iw * ih), every: variantCrops[v]!.every } : undefined,
      })),
    };
  } finally {
    for (const f of frames) f.close();
    styleVec.dispose();
  }
};
