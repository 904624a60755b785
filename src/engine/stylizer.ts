import * as tf from '@tensorflow/tfjs';
import { StylecastError, invalidArgument } from './errors.ts';
import { convertToMp4, type Progress } from './sinks/mp4.ts';
import { DEFAULT_MAX_FRAME_SIDE, openVideo } from './sources/file.ts';
import { BACKENDS, DEFAULT_SIZE, DEFAULT_STYLE, DEFAULT_TEMPORAL, DEFAULT_TEMPORAL_METHOD, MAX_SIZE, MIN_SIZE, TEMPORAL_METHODS, type BackendName, type TemporalMethod } from './constants.ts';
import { initBackend, temporalDevice, type BackendChoice, type TemporalDevice } from './stylise/backend.ts';
import { createFrameStylizer, inferenceGeometry, type FrameGeometry, type FrameStylizer, type FrameTiming } from './stylise/frame.ts';
import { StyleModel, blendVectors } from './stylise/model.ts';
import type { VideoCodec } from 'mediabunny';
import { DEFAULT_TARGET_FPS, Governor, RateMeter, type GovernorState } from './pipeline/governor.ts';
import { flowPlan } from './temporal/index.ts';

/** A preset name, or any image the browser can decode. */
export type StyleSource = string | Blob | ImageBitmap | ImageData | HTMLImageElement | HTMLCanvasElement | OffscreenCanvas;

export interface StylizerOptions {
  /** Force a tfjs backend; default: the fastest that runs here (software GPUs rank below wasm). */
  backend?: BackendName;
  /** Base URL of the installed models and presets (default `/models`). */
  modelsUrl?: string;
  /** URL of a model directory of one's own (style-predictor/, style-transformer/), e.g. from `stylecast convert`. */
  modelDir?: string;
  /** Base URL of tfjs-wasm's .wasm files (default `/wasm/`). */
  wasmUrl?: string;
  /** Initial style (default `starry_night`). */
  style?: StyleSource;
  /** 0..1 (default 1). */
  strength?: number;
  /** A second style blended in with `weight` (0 = only the first style, 1 = only this one). */
  mix?: { style: StyleSource; weight: number } | null;
  /** Short side of the network's input in pixels, rounded to a multiple of 4 (default 256). */
  size?: number;
  /** Temporal smoothing strength α, 0..1 (0 = per-frame output; default DEFAULT_TEMPORAL). */
  temporal?: number;
  /** How smoothing combines history and the new frame (default "strokes"; "average" is the plain blend). */
  temporalMethod?: TemporalMethod;
  /** Keep the input's colours; the style changes only luminance (default false). */
  preserveColour?: boolean;
  /** Short side of the optical flow in pixels (default: full resolution on a hardware GPU, 96 on a software one). */
  flowSize?: number;
  /** Live streams: the frame rate the governor holds by lowering quality (default 24). */
  targetFps?: number;
  /** Live streams: false keeps the size, flow size and smoothing fixed whatever the speed (default true). */
  adaptive?: boolean;
  /** Threads for the wasm backend (default: every core the browser reports; tfjs's own default is half). */
  threads?: number;
}

/** Frames between refreshes of the content's style vector (strength < 1) in a live stream. */
const CONTENT_REFRESH = 150;

/** What a live stream is doing, for an overlay. */
export interface LiveStats {
  running: boolean;
  framesIn: number;
  framesOut: number;
  /** Frames the camera produced that we never saw because we were busy (from timestamp gaps). */
  dropped: number;
  /** Output frames per second actually delivered (over the last few seconds; below 1 when that slow). */
  fps: number;
  /**
   * Camera frame to screen, ms, for the last frame shown: from the frame's capture timestamp (matched to our clock by
   * the earliest delivery seen) to its output being handed to the display. Null until measured.
   */
  latencyMs: number | null;
  /** What the live governor chose (size, flow size, smoothing) and whether the target is reachable here. */
  governor: GovernorState | null;
  /** Timestamp (µs) of the input frame the last shown output was made from. */
  shownTimestamp: number | null;
  /** From the stream's start to its first stylised frame on screen, ms (shader compiles included). */
  firstFrameMs: number | null;
  /** Last frame's stage costs, ms. */
  networkMs: number;
  temporalMs: number | null;
  width: number;
  height: number;
  inferWidth: number;
  inferHeight: number;
  backend: BackendName;
  smoothing: string;
  temporal: number;
  temporalMethod: TemporalMethod;
  /** tfjs tensors alive in this engine (flat while running; 0 after dispose). */
  numTensors: number;
}

export interface StreamSinks {
  /** Where stylised frames are written (a MediaStreamTrackGenerator's writable), with the input's timestamps. */
  writable?: WritableStream<VideoFrame> | null;
  /** Where stylised frames are shown (a canvas transferred from the page); its size follows the input. */
  canvas?: OffscreenCanvas | null;
  /** The camera's frame rate, to count dropped frames from timestamp gaps. */
  frameRate?: number;
  /**
   * Where the input frame each shown output was made from is drawn (a 2d canvas transferred from the page), so a
   * before/after view compares the same moment.
   */
  before?: OffscreenCanvas | null;
}

export interface StylizeFileOptions {
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

export interface StylizeResult {
  blob: Blob;
  frames: number;
  width: number;
  height: number;
  codec: VideoCodec;
  hasAudio: boolean;
  inferWidth: number;
  inferHeight: number;
  backend: BackendName;
  elapsedMs: number;
  /** The α used, or 0 when smoothing was unavailable. */
  temporal: number;
  temporalMethod: TemporalMethod;
  /** Mean per-frame cost of each stage, ms. */
  stageMs: { network: number; temporal: number | null };
}


const checkUnit = (name: string, v: unknown): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) throw invalidArgument(`${name} must be a number from 0 to 1, got ${String(v)}.`);
  return v;
};
const checkFps = (v: unknown): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 1 || v > 240) throw invalidArgument(`targetFps must be a number of frames per second from 1 to 240, got ${String(v)}.`);
  return v;
};
const checkSize = (v: unknown): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < MIN_SIZE || v > MAX_SIZE) {
    throw invalidArgument(`size must be a number of pixels from ${MIN_SIZE} to ${MAX_SIZE}, got ${String(v)}.`);
  }
  return Math.round(v / 4) * 4;
};

export async function createStylizer(options: StylizerOptions = {}): Promise<Stylizer> {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options must be an object.');
  if (options.backend !== undefined && !BACKENDS.includes(options.backend)) {
    throw invalidArgument(`backend must be one of ${BACKENDS.join(', ')}, got "${String(options.backend)}".`);
  }
  const strength = checkUnit('strength', options.strength ?? 1);
  const size = checkSize(options.size ?? DEFAULT_SIZE);
  if (options.mix) checkUnit('mix weight', options.mix.weight);
  const temporal = checkUnit('temporal', options.temporal ?? DEFAULT_TEMPORAL);
  if (options.flowSize !== undefined && !(Number.isInteger(options.flowSize) && options.flowSize >= MIN_SIZE && options.flowSize <= MAX_SIZE)) {
    throw invalidArgument(`flowSize must be a whole number of pixels from ${MIN_SIZE} to ${MAX_SIZE}, got ${String(options.flowSize)}.`);
  }
  if (options.targetFps !== undefined) checkFps(options.targetFps);
  if (options.adaptive !== undefined && typeof options.adaptive !== 'boolean') throw invalidArgument(`adaptive must be true or false, got ${String(options.adaptive)}.`);
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1)) {
    throw invalidArgument(`threads must be a whole number ≥ 1, got ${String(options.threads)}.`);
  }
  const backend = await initBackend(options.backend, options.wasmUrl, options.threads);
  const [model, gpu] = await Promise.all([StyleModel.load({ modelsUrl: options.modelsUrl, modelDir: options.modelDir }), temporalDevice(backend)]);
  const stylizer = new Stylizer(backend, gpu, model, strength, size, temporal, options.flowSize);
  if (options.preserveColour !== undefined) stylizer.setPreserveColour(options.preserveColour);
  if (options.temporalMethod !== undefined) stylizer.setTemporalMethod(options.temporalMethod);
  if (options.targetFps !== undefined) stylizer.setTargetFps(options.targetFps);
  if (options.adaptive !== undefined) stylizer.setAdaptive(options.adaptive);
  try {
    await stylizer.setStyle(options.style ?? DEFAULT_STYLE);
    if (options.mix) await stylizer.mixStyles(options.mix.style, options.mix.weight);
  } catch (e) {
    stylizer.dispose();
    throw e;
  }
  return stylizer;
}

/** The engine's public face: one style state, one backend, clips in, MP4s out. */
export class Stylizer {
  readonly backend: BackendChoice;
  /** Where temporal smoothing runs, or why it is off. */
  readonly smoothing: TemporalDevice;
  readonly #model: StyleModel;
  #style: tf.Tensor4D | null = null;
  #mix: tf.Tensor4D | null = null;
  #mixWeight = 0;
  #strength: number;
  #size: number;
  #temporal: number;
  #preserveColour = false;
  #temporalMethod: TemporalMethod = DEFAULT_TEMPORAL_METHOD;
  #busy = false;
  #disposed = false;
  /** The effective style vector for the current settings, rebuilt when they change (or the content moves on). */
  #bottleneck: tf.Tensor4D | null = null;
  #bottleneckAge = 0;
  #deviceLost: string | null = null;

  readonly #flowSize: number | undefined;

  constructor(backend: BackendChoice, smoothing: TemporalDevice, model: StyleModel, strength: number, size: number, temporal: number, flowSize?: number) {
    this.#flowSize = flowSize;
    this.backend = backend;
    this.smoothing = smoothing;
    this.#model = model;
    this.#strength = strength;
    this.#size = size;
    this.#temporal = temporal;
    for (const device of new Set([backend.device, smoothing.device])) {
      device?.lost.then((info) => (this.#deviceLost = info.message || info.reason || 'unknown reason'));
    }
  }

  get presets(): string[] {
    return this.#model.presetNames;
  }
  get strength(): number {
    return this.#strength;
  }
  get size(): number {
    return this.#size;
  }
  get temporal(): number {
    return this.#temporal;
  }
  get temporalMethod(): TemporalMethod {
    return this.#temporalMethod;
  }

  presetImageUrl(name: string): string {
    return this.#model.presetImageUrl(name);
  }

  #alive(): void {
    if (this.#disposed) throw invalidArgument('This stylizer has been disposed.');
    if (this.#deviceLost) throw new StylecastError('DEVICE_LOST', `The GPU device was lost (${this.#deviceLost}); create a new stylizer.`);
  }

  async #vector(style: StyleSource): Promise<tf.Tensor4D> {
    if (typeof style === 'string') return await this.#model.presetVector(style);
    let pixels: ImageBitmap | ImageData | HTMLImageElement | HTMLCanvasElement;
    let owned: ImageBitmap | null = null;
    if (style instanceof Blob || (typeof OffscreenCanvas !== 'undefined' && style instanceof OffscreenCanvas)) {
      try {
        owned = await createImageBitmap(style);
      } catch (e) {
        throw new StylecastError('STYLE_IMAGE_UNREADABLE', 'The style image could not be decoded (use a PNG, JPEG, WebP or GIF).', { cause: e });
      }
      pixels = owned;
    } else if (
      style instanceof ImageData ||
      (typeof ImageBitmap !== 'undefined' && style instanceof ImageBitmap) ||
      (typeof HTMLImageElement !== 'undefined' && style instanceof HTMLImageElement) ||
      (typeof HTMLCanvasElement !== 'undefined' && style instanceof HTMLCanvasElement)
    ) {
      pixels = style;
    } else {
      throw invalidArgument('style must be a preset name or an image (Blob, ImageBitmap, ImageData, image or canvas element).');
    }
    try {
      if (pixels.width < 1 || pixels.height < 1) throw new StylecastError('STYLE_IMAGE_UNREADABLE', 'The style image is empty.');
      return tf.tidy(() => this.#model.predict(tf.div(tf.browser.fromPixels(pixels).toFloat(), 255).expandDims(0) as tf.Tensor4D));
    } finally {
      owned?.close();
    }
  }

  /** Sets the style from a preset name or an image. */
  async setStyle(style: StyleSource): Promise<void> {
    this.#alive();
    const v = await this.#vector(style);
    this.#style?.dispose();
    this.#style = v;
    this.#invalidate();
  }

  /** Blends a second style in: `(1−weight)·style + weight·other`. `null` removes the mix. */
  async mixStyles(other: StyleSource | null, weight = 0.5): Promise<void> {
    this.#alive();
    if (other === null) {
      this.#mix?.dispose();
      this.#mix = null;
      this.#invalidate();
      return;
    }
    checkUnit('mix weight', weight);
    const v = await this.#vector(other);
    this.#mix?.dispose();
    this.#mix = v;
    this.#mixWeight = weight;
    this.#invalidate();
  }

  setStrength(strength: number): void {
    this.#alive();
    this.#strength = checkUnit('strength', strength);
    this.#invalidate();
  }

  #invalidate(): void {
    this.#bottleneck?.dispose();
    this.#bottleneck = null;
  }

  /**
   * The style vector for `frame`: cached; with strength < 1 it blends in the content's own vector, refreshed every
   * CONTENT_REFRESH frames so a live scene that changes keeps its strength right.
   */
  #bottleneckFor(frame: VideoFrame, frames: FrameStylizer): tf.Tensor4D {
    if (this.#bottleneck && (this.#strength === 1 || this.#bottleneckAge++ < CONTENT_REFRESH)) return this.#bottleneck;
    this.#invalidate();
    const content = this.#strength < 1 ? frames.contentVector(frame) : null;
    this.#bottleneck = this.#effective(content);
    this.#bottleneckAge = 0;
    content?.dispose();
    return this.#bottleneck;
  }

  /** Temporal smoothing strength α (0 = per-frame output). Ignored, and reported off, without WebGPU. */
  setTemporal(alpha: number): void {
    this.#alive();
    this.#temporal = checkUnit('temporal', alpha);
  }

  /** How smoothing combines history and the new frame: "strokes" (default) or "average". */
  setTemporalMethod(method: TemporalMethod): void {
    this.#alive();
    if (!TEMPORAL_METHODS.includes(method)) {
      throw invalidArgument(`temporalMethod must be one of ${TEMPORAL_METHODS.join(', ')}, got "${String(method)}".`);
    }
    this.#temporalMethod = method;
  }

  /** Keep the input's colours and transfer only texture (luminance). */
  setPreserveColour(on: boolean): void {
    this.#alive();
    if (typeof on !== 'boolean') throw invalidArgument(`preserveColour must be true or false, got ${String(on)}.`);
    this.#preserveColour = on;
  }

  setSize(size: number): void {
    this.#alive();
    this.#size = checkSize(size);
  }

  #targetFps = DEFAULT_TARGET_FPS;
  #adaptive = true;

  /** Live streams: the frame rate the governor holds by lowering the size, then the flow size, then smoothing. */
  setTargetFps(fps: number): void {
    this.#alive();
    this.#targetFps = checkFps(fps);
  }

  /** Live streams: false keeps the quality fixed (the governor only measures). */
  setAdaptive(on: boolean): void {
    this.#alive();
    if (typeof on !== 'boolean') throw invalidArgument(`adaptive must be true or false, got ${String(on)}.`);
    this.#adaptive = on;
  }

  /** The style vector to use for a clip, given its content vector (needed only when strength < 1). */
  #effective(content: tf.Tensor4D | null): tf.Tensor4D {
    return tf.tidy(() => {
      const style = this.#mix ? blendVectors(this.#mix, this.#style!, this.#mixWeight) : this.#style!.clone();
      return content ? blendVectors(style, content, this.#strength) : style;
    });
  }

  /** Stylises a whole clip into an MP4 (H.264 where supported, else VP9), audio copied through. */
  async stylizeFile(file: Blob, options: StylizeFileOptions = {}): Promise<StylizeResult> {
    this.#alive();
    if (!(file instanceof Blob)) throw invalidArgument('stylizeFile needs a File or Blob.');
    if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw invalidArgument('onProgress must be a function.');
    if (this.#busy) throw invalidArgument('This stylizer is already converting a clip: wait for it or cancel it first.');
    this.#busy = true;
    const started = performance.now();
    const maxSide = this.backend.device?.limits.maxTextureDimension2D ?? DEFAULT_MAX_FRAME_SIDE;
    try {
      const video = await openVideo(file, maxSide);
      let geometry: FrameGeometry;
      let frames: FrameStylizer;
      try {
        geometry = inferenceGeometry(video.width, video.height, this.#size);
        // Two surfaces: the encoder takes frame t while frame t+1 renders (GPU work overlaps the next network).
        frames = createFrameStylizer(this.backend, this.#model, geometry, { gpu: this.smoothing, flowSide: this.#flowSize, surfaces: 2 });
      } catch (e) {
        video.input.dispose(); // the clip's reader is ours until the converter takes it
        throw e;
      }
      const alpha = frames.smoothing ? this.#temporal : 0;
      let warmed = false;
      const totals = { network: 0, networkFrames: 0, temporal: 0, temporalFrames: 0 };
      let last: FrameTiming | undefined;
      const onProgress = options.onProgress;
      this.#invalidate(); // a new clip: its own content vector
      try {
        const result = await convertToMp4(video, {
          signal: options.signal,
          lagOne: this.smoothing.device !== null,
          onProgress: onProgress && ((p) => onProgress({ ...p, frame: last })),
          render: async (frame) => {
            this.#alive();
            if (!warmed) {
              warmed = true;
              await frames.warm(this.#bottleneckFor(frame, frames));
            }
            const t = await frames.render(frame, this.#bottleneckFor(frame, frames), alpha, { preserveColour: this.#preserveColour, temporalMethod: this.#temporalMethod });
            last = t;
            if (t.networkMs > 0) {
              // On WebGPU a frame's cost arrives a frame or two later (nothing waits for the GPU): average what came.
              totals.network += t.networkMs;
              totals.networkFrames++;
            }
            if (t.temporalMs !== null) {
              totals.temporal += t.temporalMs;
              totals.temporalFrames++;
            }
            return frames.canvas;
          },
        });
        return {
          blob: new Blob([result.data], { type: 'video/mp4' }),
          frames: result.frames,
          width: result.width,
          height: result.height,
          codec: result.codec,
          hasAudio: result.hasAudio,
          inferWidth: geometry.inferWidth,
          inferHeight: geometry.inferHeight,
          backend: this.backend.name,
          elapsedMs: performance.now() - started,
          temporal: alpha,
          temporalMethod: this.#temporalMethod,
          stageMs: {
            network: totals.networkFrames ? totals.network / totals.networkFrames : 0,
            temporal: totals.temporalFrames ? totals.temporal / totals.temporalFrames : null,
          },
        };
      } finally {
        frames.dispose();
        video.input.dispose();
      }
    } finally {
      this.#busy = false;
    }
  }

  #live: LiveStats | null = null;
  #stopLive = false;

  /** Live statistics (null before the first stream). */
  stats(): LiveStats | null {
    if (!this.#live) return null;
    return { ...this.#live, fps: this.#liveRate.rate(performance.now()), governor: this.#governor?.state() ?? null, numTensors: tf.memory().numTensors };
  }

  readonly #liveRate = new RateMeter();
  #governor: Governor | null = null;

  /** Stops a running stream after the frame in hand. */
  stopStream(): void {
    this.#stopLive = true;
  }

  /**
   * Stylises a live stream of frames until it ends or `stopStream()`: each frame read is stylised, shown on the
   * canvas and written out with its timestamp, then closed. A source faster than us drops frames on its own
   * (MediaStreamTrackProcessor keeps only the newest), so latency stays bounded; the gaps are counted.
   */
  async stylizeStream(readable: ReadableStream<VideoFrame>, sinks: StreamSinks = {}): Promise<void> {
    this.#alive();
    if (!(readable instanceof ReadableStream)) throw invalidArgument('stylizeStream needs a ReadableStream of VideoFrames.');
    if (this.#busy) throw invalidArgument('This stylizer is busy with another clip or stream.');
    this.#busy = true;
    this.#stopLive = false;
    const reader = readable.getReader();
    const writer = sinks.writable?.getWriter() ?? null;
    const before = sinks.before ? new BeforeView(sinks.before) : null;
    const interval = sinks.frameRate && sinks.frameRate > 0 ? 1e6 / sinks.frameRate : null;
    let frames: FrameStylizer | null = null;
    let framesKey = '';
    let governorKey = '';
    let lastTimestamp: number | null = null;
    /** Earliest (arrival − capture timestamp) seen, ms: the camera's clock against ours. */
    let clockOffset = Infinity;
    this.#liveRate.reset();
    this.#governor = null;
    const streamStarted = performance.now();
    const stats: LiveStats = (this.#live = {
      running: true, framesIn: 0, framesOut: 0, dropped: 0, fps: 0, latencyMs: null, governor: null, shownTimestamp: null, firstFrameMs: null,
      networkMs: 0, temporalMs: null, width: 0, height: 0, inferWidth: 0, inferHeight: 0, backend: this.backend.name,
      smoothing: this.smoothing.detail, temporal: 0, temporalMethod: this.#temporalMethod, numTensors: 0,
    });
    try {
      while (!this.#stopLive) {
        const { value: frame, done } = await reader.read();
        if (done || !frame) break;
        const arrived = performance.now();
        try {
          stats.framesIn++;
          if (lastTimestamp !== null && interval) stats.dropped += Math.max(0, Math.round((frame.timestamp - lastTimestamp) / interval) - 1);
          if (lastTimestamp !== null && frame.timestamp < lastTimestamp) {
            frames?.reset(); // the source went back: a seek (or a looping clip)
            clockOffset = Infinity;
          }
          lastTimestamp = frame.timestamp;
          clockOffset = Math.min(clockOffset, arrived - frame.timestamp / 1000);
          this.#alive();

          // The governor's ladder follows the user's settings; its level picks this frame's quality.
          const canSmooth = this.smoothing.device !== null;
          const gKey = `${this.#size}|${canSmooth && this.#temporal > 0}|${this.#flowSize}|${this.#adaptive}`;
          if (!this.#governor || gKey !== governorKey) {
            const software = this.smoothing.software;
            this.#governor = new Governor({
              targetFps: this.#targetFps, size: this.#size, smoothing: canSmooth && this.#temporal > 0, flowSize: this.#flowSize, enabled: this.#adaptive,
              defaultFlowSide: (side) => flowPlan(side, side, software).size.width,
            });
            governorKey = gKey;
          }
          this.#governor.targetFps = this.#targetFps;
          const level = this.#governor.current;
          const g = inferenceGeometry(frame.displayWidth, frame.displayHeight, level.size);
          const fKey = `${JSON.stringify(g)}|${level.flowSize}`;
          if (!frames || fKey !== framesKey) {
            frames?.dispose();
            frames = null;
            frames = createFrameStylizer(this.backend, this.#model, g, { gpu: this.smoothing, canvas: sinks.canvas ?? undefined, flowSide: level.flowSize });
            framesKey = fKey;
            await frames.warm(this.#bottleneckFor(frame, frames));
            Object.assign(stats, { width: g.width, height: g.height, inferWidth: g.inferWidth, inferHeight: g.inferHeight });
          }
          const alpha = frames.smoothing && level.smoothing ? this.#temporal : 0;
          const t = await frames.render(frame, this.#bottleneckFor(frame, frames), alpha, { preserveColour: this.#preserveColour, temporalMethod: this.#temporalMethod });
          before?.draw(frame);
          stats.shownTimestamp = frame.timestamp; // on the canvas now (the track may still refuse it below)
          Object.assign(stats, { networkMs: t.networkMs, temporalMs: t.temporalMs, temporal: alpha, temporalMethod: this.#temporalMethod });
          if (writer) {
            const out = new VideoFrame(frames.canvas, { timestamp: frame.timestamp });
            try {
              await writer.write(out); // write() closes it
            } catch {
              out.close(); // not taken: ours to close
              break; // the output track was stopped: nobody is listening any more
            }
          }
          const shown = performance.now();
          stats.firstFrameMs ??= shown - streamStarted;
          stats.framesOut++;
          stats.latencyMs = shown - (frame.timestamp / 1000 + clockOffset);
          this.#liveRate.tick(shown);
          this.#governor.observe(shown - arrived, shown);
        } finally {
          frame.close();
        }
      }
    } finally {
      stats.running = false;
      stats.governor = this.#governor?.state() ?? null;
      frames?.dispose();
      this.#invalidate();
      reader.releaseLock();
      await readable.cancel().catch(() => {});
      await writer?.close().catch(() => {});
      this.#busy = false;
    }
  }

  /** Frees the model and every tensor this stylizer holds. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#stopLive = true;
    this.#invalidate();
    this.#style?.dispose();
    this.#mix?.dispose();
    this.#model.dispose();
  }
}

/** The input frames beside the output: drawn when their output is shown, so both halves show the same moment. */
class BeforeView {
  readonly #canvas: OffscreenCanvas;
  readonly #ctx: OffscreenCanvasRenderingContext2D;

  constructor(canvas: OffscreenCanvas) {
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) throw invalidArgument('The "before" canvas has no 2d context (was it given another kind of context?).');
    this.#canvas = canvas;
    this.#ctx = ctx;
  }

  draw(frame: VideoFrame): void {
    const { displayWidth: w, displayHeight: h } = frame;
    if (this.#canvas.width !== w || this.#canvas.height !== h) {
      this.#canvas.width = w;
      this.#canvas.height = h;
    }
    this.#ctx.drawImage(frame, 0, 0, w, h);
  }
}
