// The page bench/suite.ts drives (one page per tfjs backend, all in one browser): the network alone, the engine's
// whole clip pipeline with smoothing off and on, the per-frame-readback loop public demos use, memory over many
// frames of the engine's per-frame path, and the live path on a fake camera. Every function returns plain data.
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { ALL_FORMATS, BlobSource, BufferTarget, Conversion, Input, Mp4OutputFormat, Output, QUALITY_HIGH, VideoSampleSink, getFirstEncodableVideoCodec, type VideoSample } from 'mediabunny';
import { IO_PREFIX } from '../src/cli/protocol.ts';
import { DEFAULT_STYLE, createLiveStylizer, createStylizer, type BackendName, type Stylizer, type Upsample } from '../src/engine/index.ts';
import { initBackend, type BackendChoice } from '../src/engine/stylise/backend.ts';
import { temporalDevice } from '../src/engine/gpu/device.ts';
import { createFrameStylizer, inferenceGeometry } from '../src/engine/pipeline/frame.ts';
import { StyleModel } from '../src/engine/stylise/model.ts';

/** The memory loop's frames (a cut of the shared 640×360 clip). */
const CLIP_W = 640;
const CLIP_H = 360;

export interface PageInfo {
  backend: BackendName;
  reason: string;
  probes: BackendChoice['probes'];
  tfjs: string;
  tfBackend: string;
  /** tfjs-wasm's thread pool (wasm only). */
  wasmThreads: number | null;
  crossOriginIsolated: boolean;
  smoothing: string;
  /** WebGPU adapter as the page sees it (null without one). */
  webgpuAdapter: Record<string, string | boolean | undefined> | null;
  /** WebGL's unmasked renderer string. */
  webglRenderer: string | null;
  userAgent: string;
  hardwareConcurrency: number;
}

export interface NetworkResult {
  inferWidth: number;
  inferHeight: number;
  warmupMs: number;
  /** transformer.execute on a resident [1,h,w,3] tensor + await data(), per run. */
  ms: number[];
}

export interface PipelineResult {
  frames: number;
  elapsedMs: number;
  msPerFrame: number;
  stageMs: { network: number; temporal: number | null };
  temporal: number;
  temporalMethod: string;
  codec: string;
  inferWidth: number;
  inferHeight: number;
  warmup: { frames: number; elapsedMs: number };
  numTensors: number;
  /** How the output was enlarged, as the stylizer says. */
  upsampling: string;
}

export interface DemoResult {
  frames: number;
  elapsedMs: number;
  msPerFrame: number;
  /** Per frame: fromPixels → model → toPixels(canvas) (the part a demo's loop times), ms. */
  modelAndReadbackMs: number[];
  encoded: boolean;
  codec: string | null;
  inferWidth: number;
  inferHeight: number;
  warmupMs: number;
}

export interface MemorySample {
  frame: number;
  numTensors: number;
  numBytes: number;
  usedJSHeapSize: number | null;
  /** The same just before that gc(): shows the counter is live (it moves with garbage). */
  usedJSHeapSizeBeforeGc: number | null;
  /** performance.measureUserAgentSpecificMemory() (cross-origin isolated pages; the page and its workers). */
  uaSpecificMemoryBytes: number | null;
  /** tfjs-wasm's linear memory (grows, never shrinks). */
  wasmHeapBytes: number | null;
  ms: number;
}

export interface MemoryResult {
  inferWidth: number;
  inferHeight: number;
  temporal: number;
  smoothing: boolean;
  frames: number;
  msPerFrame: number;
  gcExposed: boolean;
  preciseMemoryInfo: boolean;
  samples: MemorySample[];
}

export interface LiveSample {
  t: number;
  stats: Record<string, unknown> | null;
}

export interface LiveResult {
  backend: string;
  smoothing: string;
  camera: MediaTrackSettings;
  /** ms from process() to the first stylised frame counted by stats(). */
  firstFrameMs: number;
  samples: LiveSample[];
  error: string | null;
  tensorsLeft: number;
}

declare global {
  interface Window {
    /** `threads`: tfjs-wasm's pool (default: every core, as the engine picks). */
    benchInit(backend: BackendName, threads?: number): Promise<PageInfo>;
    benchNetwork(size: number, reps: number, width: number, height: number): Promise<NetworkResult>;
    /**
     * Set by a driver that accounts for CPU time (bench/cpu.ts, with page.exposeFunction): awaited right before and
     * after the timed clip of `benchPipeline` (after its warm-up clip), so its snapshots cover the timed frames only.
     */
    benchTimedStart?(): Promise<void>;
    benchTimedEnd?(): Promise<void>;
    benchPipeline(size: number, temporal: number, clip: string, warmClip: string, upsample?: Upsample): Promise<PipelineResult>;
    benchDemo(size: number, clip: string, warmClip: string, encode: boolean, width: number, height: number): Promise<DemoResult>;
    benchMemory(size: number, frames: number, every: number, temporal: number, clip: string): Promise<MemoryResult>;
    benchLive(seconds: number, size: number, temporal: number): Promise<LiveResult>;
    benchDispose(): Promise<number>;
  }
}

let backendName: BackendName | null = null;
let choice: BackendChoice | null = null;
let model: StyleModel | null = null;
let vector: tf.Tensor4D | null = null;
let stylizer: Stylizer | null = null;
const blobs = new Map<string, Blob>();

async function clip(name: string): Promise<Blob> {
  let b = blobs.get(name);
  if (!b) {
    const r = await fetch(IO_PREFIX + encodeURIComponent(name));
    if (!r.ok) throw new Error(`cannot load ${name}: HTTP ${r.status}`);
    blobs.set(name, (b = await r.blob()));
  }
  return b;
}

function need(): BackendName {
  if (!backendName) throw new Error('benchInit first');
  return backendName;
}

/** The model and the preset's style vector, loaded once per page (separately from the stylizer's own copy). */
async function styleModel(): Promise<{ model: StyleModel; vector: tf.Tensor4D }> {
  need();
  model ??= await StyleModel.load();
  vector ??= await model.presetVector(DEFAULT_STYLE);
  return { model, vector };
}

const geometry = (size: number, width = CLIP_W, height = CLIP_H) => inferenceGeometry(width, height, size);

window.benchInit = async (backend, threads) => {
  backendName = backend;
  choice = await initBackend(backend, undefined, threads);
  const gpu = await temporalDevice(choice);
  let webgpuAdapter: PageInfo['webgpuAdapter'] = null;
  const adapter = await navigator.gpu?.requestAdapter().catch(() => null);
  if (adapter) {
    const i = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
    webgpuAdapter = { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: i.isFallbackAdapter };
  }
  return {
    backend: choice.name,
    reason: choice.reason,
    probes: choice.probes,
    tfjs: tf.version.tfjs,
    tfBackend: tf.getBackend(),
    wasmThreads: choice.name === 'wasm' ? getThreadsCount() : null,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    smoothing: gpu.detail,
    webgpuAdapter,
    webglRenderer: choice.probes.find((p) => p.name === 'webgl' && p.available)?.detail ?? null,
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
  };
};

// (a) The network alone: the transformer on a resident input tensor with a fixed style vector.
window.benchNetwork = async (size, reps, width, height) => {
  const { model, vector } = await styleModel();
  const g = geometry(size, width, height);
  const x = tf.randomUniform([1, g.inferHeight, g.inferWidth, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const once = async () => {
    const t0 = performance.now();
    const y = model.transform(x, vector);
    await y.data();
    y.dispose();
    return performance.now() - t0;
  };
  try {
    const warmupMs = await once();
    const ms: number[] = [];
    for (let i = 0; i < reps; i++) ms.push(await once());
    return { inferWidth: g.inferWidth, inferHeight: g.inferHeight, warmupMs, ms };
  } finally {
    x.dispose();
  }
};

// (b), (c) The engine's whole clip pipeline: createStylizer + stylizeFile (decode, per-frame path, encode, mux).
window.benchPipeline = async (size, temporal, clipName, warmClip, upsample = 'guided') => {
  stylizer ??= await createStylizer({ backend: need(), size, temporal: 0, style: DEFAULT_STYLE });
  stylizer.setSize(size);
  stylizer.setTemporal(temporal);
  stylizer.setUpsample(upsample);
  const warm = await stylizer.stylizeFile(await clip(warmClip));
  const timed = await clip(clipName);
  await window.benchTimedStart?.();
  const r = await stylizer.stylizeFile(timed);
  await window.benchTimedEnd?.();
  return {
    frames: r.frames,
    elapsedMs: r.elapsedMs,
    msPerFrame: r.elapsedMs / r.frames,
    stageMs: r.stageMs,
    temporal: r.temporal,
    temporalMethod: r.temporalMethod,
    codec: r.codec,
    inferWidth: r.inferWidth,
    inferHeight: r.inferHeight,
    warmup: { frames: warm.frames, elapsedMs: warm.elapsedMs },
    numTensors: tf.memory().numTensors,
    upsampling: stylizer.upsampling('clip').detail,
  };
};

/**
 * (d) What public demos do per frame: draw the frame on a canvas at the network's size, tf.browser.fromPixels,
 * the model, tf.browser.toPixels(tensor, canvas) (readback + putImageData on a 2D canvas). `encode`: inside the same
 * Mediabunny Conversion → MP4 loop the engine uses (same decoder, encoder settings, output size; the 2D canvas is
 * drawn up to the clip's size and returned for encoding); else decode (VideoSampleSink) + the loop only.
 */
window.benchDemo = async (size, clipName, warmClip, encode, W, H) => {
  const { model, vector } = await styleModel();
  const g = geometry(size, W, H);
  const [w, h] = [g.inferWidth, g.inferHeight];
  const input = document.createElement('canvas');
  [input.width, input.height] = [w, h];
  const ictx = input.getContext('2d')!;
  const display = document.createElement('canvas');
  [display.width, display.height] = [w, h];
  const modelAndReadbackMs: number[] = [];
  const step = async (sample: VideoSample) => {
    sample.draw(ictx, 0, 0, w, h);
    const t0 = performance.now();
    const y = tf.tidy(() => {
      const x = tf.div(tf.browser.fromPixels(input).toFloat(), 255).expandDims(0) as tf.Tensor4D;
      return tf.clipByValue(model.transform(x, vector), 0, 1).squeeze([0]) as tf.Tensor3D;
    });
    await tf.browser.toPixels(y, display);
    y.dispose();
    modelAndReadbackMs.push(performance.now() - t0);
  };

  const decodeOnly = async (blob: Blob) => {
    const source = new Input({ formats: ALL_FORMATS, source: new BlobSource(blob) });
    try {
      const track = await source.getPrimaryVideoTrack();
      if (!track) throw new Error('no video track');
      let frames = 0;
      for await (const sample of new VideoSampleSink(track).samples()) {
        try {
          await step(sample);
          frames++;
        } finally {
          sample.close();
        }
      }
      return { frames, codec: null };
    } finally {
      source.dispose();
    }
  };

  const withEncode = async (blob: Blob) => {
    const source = new Input({ formats: ALL_FORMATS, source: new BlobSource(blob) });
    try {
      const codec = await getFirstEncodableVideoCodec(['avc', 'vp9'], { width: W, height: H });
      if (!codec) throw new Error('no encodable codec');
      const out = new OffscreenCanvas(W, H);
      const octx = out.getContext('2d')!;
      const output = new Output({ format: new Mp4OutputFormat({ fastStart: 'in-memory' }), target: new BufferTarget() });
      let frames = 0;
      const conversion = await Conversion.init({
        input: source,
        output,
        video: {
          codec,
          quality: QUALITY_HIGH,
          forceTranscode: true,
          processedWidth: W,
          processedHeight: H,
          process: async (sample: VideoSample) => {
            await step(sample);
            octx.drawImage(display, 0, 0, W, H);
            frames++;
            return out;
          },
        },
      });
      await conversion.execute();
      if (!(output.target as BufferTarget).buffer) throw new Error('no MP4 written');
      return { frames, codec };
    } finally {
      source.dispose();
    }
  };

  const run = encode ? withEncode : decodeOnly;
  let t0 = performance.now();
  await run(await clip(warmClip));
  const warmupMs = performance.now() - t0;
  modelAndReadbackMs.length = 0;
  const blob = await clip(clipName);
  t0 = performance.now();
  const { frames, codec } = await run(blob);
  const elapsedMs = performance.now() - t0;
  return { frames, elapsedMs, msPerFrame: elapsedMs / frames, modelAndReadbackMs, encoded: encode, codec, inferWidth: w, inferHeight: h, warmupMs };
};

/**
 * (g) Memory over many frames of the engine's per-frame path (createFrameStylizer(...).render, as stylizeFile and the
 * live stream call it), cycling a few decoded frames as new VideoFrames. Samples after a gc() when it is exposed.
 */
window.benchMemory = async (size, frames, every, temporal, clipName) => {
  const { model, vector } = await styleModel();
  const gpu = await temporalDevice(choice!);
  const g = geometry(size);
  const renderer = createFrameStylizer(choice!, model, g, { gpu });
  const bitmaps: ImageBitmap[] = [];
  const source = new Input({ formats: ALL_FORMATS, source: new BlobSource(await clip(clipName)) });
  try {
    const track = await source.getPrimaryVideoTrack();
    for await (const sample of new VideoSampleSink(track!).samples()) {
      const vf = sample.toVideoFrame();
      bitmaps.push(await createImageBitmap(vf));
      vf.close();
      sample.close();
      if (bitmaps.length === 8) break;
    }
  } finally {
    source.dispose();
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  // performance.memory returns a new snapshot on every read: never keep the object.
  const heap = () => (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? null;
  const uaMemory = (performance as Performance & { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> }).measureUserAgentSpecificMemory;
  const wasmHeap = () => (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.byteLength ?? null;
  let uaUsable = true;
  const samples: MemorySample[] = [];
  const started = performance.now();
  const sample = async (frame: number) => {
    const before = heap();
    gc?.();
    const m = tf.memory();
    // It waits for every same-origin agent, and tfjs-wasm's pthread workers (blocked in Atomics.wait) never answer
    // once there is more than one: give up on it after one timeout.
    let ua: number | null = null;
    if (uaMemory && uaUsable) {
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 3000));
      const got = await Promise.race([uaMemory.call(performance).then((r) => r.bytes).catch(() => null), timeout]);
      if (got === 'timeout') uaUsable = false;
      else ua = got;
    }
    samples.push({
      frame,
      numTensors: m.numTensors,
      numBytes: m.numBytes,
      usedJSHeapSize: heap(),
      usedJSHeapSizeBeforeGc: before,
      uaSpecificMemoryBytes: ua,
      wasmHeapBytes: wasmHeap(),
      ms: performance.now() - started,
    });
  };
  const render = async (i: number) => {
    const vf = new VideoFrame(bitmaps[i % bitmaps.length], { timestamp: i * 40_000 });
    try {
      await renderer.render(vf, vector, renderer.smoothing ? temporal : 0);
    } finally {
      vf.close();
    }
  };
  try {
    for (let i = 0; i < 20; i++) await render(i); // warm-up: pipelines, pools
    await sample(0);
    const t0 = performance.now();
    for (let i = 1; i <= frames; i++) {
      await render(i);
      if (i % every === 0) await sample(i);
    }
    return {
      inferWidth: g.inferWidth,
      inferHeight: g.inferHeight,
      temporal: renderer.smoothing ? temporal : 0,
      smoothing: renderer.smoothing,
      frames,
      msPerFrame: (performance.now() - t0) / frames,
      gcExposed: gc !== undefined,
      preciseMemoryInfo: samples.some((x) => x.usedJSHeapSizeBeforeGc !== null && x.usedJSHeapSizeBeforeGc % 100_000 !== 0),
      samples,
    };
  } finally {
    renderer.dispose();
    for (const b of bitmaps) b.close();
  }
};

// (e) The live path: fake camera → createLiveStylizer (worker) → stylised MediaStream shown in a <video>.
window.benchLive = async (seconds, size, temporal) => {
  const camera = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 } });
  const live = await createLiveStylizer({ size, temporal, style: DEFAULT_STYLE });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  try {
    const t0 = performance.now();
    const out = await live.process(camera);
    const video = document.createElement('video');
    video.muted = true;
    video.srcObject = out;
    document.body.append(video);
    void video.play().catch(() => {});
    let first = 0;
    while (!first) {
      const s = await live.stats();
      if (s && s.framesOut > 0) first = performance.now() - t0;
      else if (live.error) throw live.error;
      else if (performance.now() - t0 > 120_000) throw new Error('no stylised frame in 120 s');
      else await sleep(20);
    }
    const samples: LiveSample[] = [];
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end + 1) {
      const s = await live.stats();
      samples.push({ t: performance.now(), stats: s ? { ...s } : null });
      await sleep(1000);
    }
    await live.stop();
    video.srcObject = null;
    video.remove();
    return {
      backend: live.backend,
      smoothing: live.smoothing,
      camera: camera.getVideoTracks()[0].getSettings(),
      firstFrameMs: first,
      samples,
      error: live.error ? String(live.error) : null,
      tensorsLeft: await live.dispose(),
    };
  } finally {
    camera.getTracks().forEach((t) => t.stop());
    await live.dispose().catch(() => 0);
  }
};

window.benchDispose = async () => {
  stylizer?.dispose();
  stylizer = null;
  vector?.dispose();
  vector = null;
  model?.dispose();
  model = null;
  return tf.memory().numTensors;
};
