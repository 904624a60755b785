// The page bench/upsample.ts drives: a shared photo at the output size (720p, 1080p) → the network at 256 px on
// tfjs-wasm (its input is the GPU import of the frame, as on the WebGPU path) → the present on WebGPU, enlarged by
// the cubic or guided by the frame (several settings of the guided filter) → read back and scored against the photo.
import * as tf from '@tensorflow/tfjs';
import { temporalDevice } from '../src/engine/gpu/device.ts';
import { FrameImporter } from '../src/engine/gpu/frame-import.ts';
import { GpuCanvasSink, type GuidedSettings } from '../src/engine/gpu/present.ts';
import { inferenceGeometry } from '../src/engine/pipeline/frame.ts';
import { initBackend } from '../src/engine/stylise/backend.ts';
import { StyleModel } from '../src/engine/stylise/model.ts';
import { RgbxScaler } from '../src/engine/stylise/tensors.ts';
import { readBuffer } from '../src/engine/temporal/estimate.ts';
import { createStylizer, type Stylizer } from '../src/engine/index.ts';
import type { Upsample } from '../src/engine/constants.ts';
import { edgeAgreement, type EdgeAgreement } from './edges.ts';
import { base64, canvasPixels, drawnPhoto } from './photo.ts';

const IO = '/__stylecast/';

/** A variant: the cubic, or the guided present with these settings. */
export interface Variant {
  name: string;
  guided: GuidedSettings | null;
  /** Timed too (the others are scored only: timing every setting on a loaded 2-core box is noise). */
  timed?: boolean;
}

export interface VariantResult {
  name: string;
  /** Submit → queue done of the present alone, ms per run (empty when not timed). */
  ms: number[];
  edges: EdgeAgreement;
  /** Mean |output shrunk back to the network's size − the network's output| over RGB, in 0..255: the style kept. */
  keep: number;
  /** A PNG of the output (only when asked), base64. */
  png?: string;
}

export interface CaseResult {
  photo: string;
  style: string;
  width: number;
  height: number;
  inferWidth: number;
  inferHeight: number;
  /** The network on wasm at the inference size, ms (one run after a warm-up). */
  networkMs: number;
  /** The CPU path's cubic (RgbxScaler to RGBX bytes at the output size), ms per run. */
  cpuCubicMs: number[];
  /** Importing the frame at the network's size on the GPU (what guided needs on a CPU backend; free on WebGPU), ms. */
  lowImportMs: number[];
  /** Uploading the network's output to the device (the CPU backends' copy out), ms. */
  uploadMs: number[];
  variants: VariantResult[];
}

declare global {
  interface Window {
    benchUpInit(): Promise<string>;
    benchUpPipeline(clip: string, upsample: Upsample, size: number, temporal: number): Promise<PipelineRun>;
    benchUpCase(photo: string, style: string, width: number, height: number, size: number, variants: Variant[], reps: number, pngs: boolean): Promise<CaseResult>;
  }
}

/** One clip through the product (createStylizer + stylizeFile: decode, network, smoothing, present, encode). */
export interface PipelineRun {
  upsample: Upsample;
  /** What the stylizer says ran. */
  upsampling: string;
  frames: number;
  msPerFrame: number;
  width: number;
  height: number;
}

let device: GPUDevice;
let stylizer: Stylizer | null = null;
let model: StyleModel;

window.benchUpInit = async () => {
  const choice = await initBackend('wasm');
  const gpu = await temporalDevice(choice);
  if (!gpu.device) throw new Error(`no WebGPU device: ${gpu.detail}`);
  device = gpu.device;
  model = await StyleModel.load();
  return `tfjs ${choice.name}; present ${gpu.detail}`;
};

/** Mean |box-shrunk `rgba` (W×H) − `p` (w×h RGB in 0..1)| over RGB, in 0..255. */
function keepScore(rgba: Uint8ClampedArray, W: number, H: number, p: Float32Array, w: number, h: number): number {
  const sum = new Float64Array(w * h * 3);
  const count = new Float64Array(w * h);
  for (let Y = 0; Y < H; Y++) {
    const y = Math.min(h - 1, Math.floor(((Y + 0.5) * h) / H));
    for (let X = 0; X < W; X++) {
      const x = Math.min(w - 1, Math.floor(((X + 0.5) * w) / W));
      const k = y * w + x;
      count[k]++;
      for (let c = 0; c < 3; c++) sum[k * 3 + c] += rgba[(Y * W + X) * 4 + c];
    }
  }
  let d = 0;
  for (let k = 0; k < w * h; k++) for (let c = 0; c < 3; c++) d += Math.abs(sum[k * 3 + c] / count[k] - p[k * 3 + c] * 255);
  return d / (w * h * 3);
}

async function timed(reps: number, run: () => void | Promise<void>): Promise<number[]> {
  await run(); // warm-up: pipelines, buffers
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await run();
    out.push(performance.now() - t);
  }
  return out;
}

window.benchUpCase = async (photo, styleName, W, H, size, variants, reps, pngs) => {
  const { inferWidth: w, inferHeight: h } = inferenceGeometry(W, H, size);
  const { frame, rgba } = await drawnPhoto(IO + encodeURIComponent(photo), W, H);
  const importer = new FrameImporter(device);
  const sink = new GpuCanvasSink(device, W, H);
  const style = await model.presetVector(styleName);
  const src = device.createBuffer({ label: 'bench stylised', size: w * h * 12, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  try {
    // The network's input as the WebGPU path makes it: the frame imported on the GPU at the inference size.
    const low = importer.import(frame, w, h);
    const input = new Float32Array(await readBuffer(device, low, w * h * 12));
    const x = tf.tensor4d(input, [1, h, w, 3]);
    model.transform(x, style).dispose(); // warm-up
    const t0 = performance.now();
    const y = model.transform(x, style);
    const p = (await y.data()) as Float32Array<ArrayBuffer>;
    const networkMs = performance.now() - t0;
    x.dispose();
    y.dispose();
    const uploadMs = await timed(reps, async () => {
      device.queue.writeBuffer(src, 0, p);
      await device.queue.onSubmittedWorkDone();
    });
    const scaler = new RgbxScaler(w, h, W, H);
    const rgbx = new Uint8ClampedArray(W * H * 4);
    const cpuCubicMs = await timed(reps, () => scaler.write(p, rgbx));
    const lowImportMs = await timed(reps, async () => {
      importer.import(frame, w, h);
      await device.queue.onSubmittedWorkDone();
    });
    const presents = variants.map((v) => () => {
      if (v.guided) sink.guidedSettings = { ...v.guided };
      sink.present(src, w, h, v.guided ? { frame: importer.texture(frame), low } : undefined);
    });
    const results: VariantResult[] = [];
    for (const [i, v] of variants.entries()) {
      presents[i](); // also the warm-up: pipelines, buffers
      await device.queue.onSubmittedWorkDone();
      const out = await canvasPixels(sink.canvas);
      results.push({
        name: v.name,
        ms: [],
        edges: edgeAgreement(out, rgba, W, H),
        keep: keepScore(out, W, H, p, w, h),
        ...(pngs ? { png: await base64(await sink.canvas.convertToBlob({ type: 'image/png' })) } : {}),
      });
    }
    // Timed interleaved (variant after variant, rep after rep), so a change of load falls on all of them alike.
    for (let r = 0; r < reps; r++) {
      for (const [i, present] of presents.entries()) {
        if (!variants[i].timed) continue;
        const t = performance.now();
        present();
        await device.queue.onSubmittedWorkDone();
        results[i].ms.push(performance.now() - t);
      }
    }
    return { photo, style: styleName, width: W, height: H, inferWidth: w, inferHeight: h, networkMs, cpuCubicMs, lowImportMs, uploadMs, variants: results };
  } finally {
    frame.close();
    src.destroy();
    sink.dispose();
    importer.dispose();
    style.dispose();
  }
};

window.benchUpPipeline = async (clip, upsample, size, temporal) => {
  stylizer ??= await createStylizer({ backend: 'wasm', size, temporal, style: 'udnie' });
  stylizer.setSize(size);
  stylizer.setTemporal(temporal);
  stylizer.setUpsample(upsample);
  const r = await fetch(IO + encodeURIComponent(clip));
  if (!r.ok) throw new Error(`cannot load ${clip}: HTTP ${r.status}`);
  const out = await stylizer.stylizeFile(await r.blob());
  return { upsample, upsampling: stylizer.upsampling().detail, frames: out.frames, msPerFrame: out.elapsedMs / out.frames, width: out.width, height: out.height };
};
