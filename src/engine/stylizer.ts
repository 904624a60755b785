import * as tf from '@tensorflow/tfjs-core';
import { StylecastError, invalidArgument } from './errors.ts';
import { BACKENDS, DEFAULT_SIZE, DEFAULT_STYLE, DEFAULT_TEMPORAL, DEFAULT_TEMPORAL_METHOD, MAX_SIZE, MIN_SIZE, TEMPORAL_METHODS, type BackendName, type TemporalMethod } from './constants.ts';
import { initBackend, type BackendChoice } from './stylise/backend.ts';
import { temporalDevice, type TemporalDevice } from './gpu/device.ts';
import { LIVE_FIRST_PROGRAMS, LIVE_FIRST_PROGRAMS_SOFTWARE, warmFramePrograms } from './pipeline/warm.ts';
import { readsBack, type FrameStylizer } from './pipeline/frame.ts';
import type { PipelineContext } from './pipeline/context.ts';
import type { ClipResult, StylizeFileOptions, StylizeResult } from './pipeline/clip.ts';
import type { Mp4Destination, OutputChunk } from './sinks/mp4.ts';
import { checkGifSize } from './sinks/gif-size.ts';
import { LiveStream, type LiveStats, type StreamSinks } from './pipeline/stream.ts';
import { StyleModel, blendVectors } from './stylise/model.ts';
import { pixelsToInput } from './stylise/tensors.ts';
import { DEFAULT_TARGET_FPS } from './pipeline/governor.ts';
import { checkPreview } from './sinks/preview.ts';
import { DEFAULT_UPSAMPLE, UPSAMPLES, type Upsample } from './constants.ts';
import { MaskModels } from './masks/index.ts';
import { DEFAULT_ADAPTIVE_DETAIL, DEFAULT_REGIONS, masksNeeded, regionsActive, type MaskSource, type RegionRequest, type RegionSettings, type RegionStrengths } from './regions/index.ts';

export type { LiveStats, OutputChunk, StreamSinks, StylizeFileOptions, StylizeResult };

/**
 * stylizeFile writing the MP4 as it is made instead of returning it: `output` gets the file in chunks (each with its
 * byte position; in order, a later one may overwrite bytes already written), so no whole file is held in memory.
 * Only a stylizeFile that resolved means the file is complete (the stream is closed on failure and cancellation too).
 * `comment`: the MP4's metadata comment (a function is given the number of frames the file will hold).
 */
export type StreamedFileOptions = StylizeFileOptions & Required<Pick<Mp4Destination, 'output'>> & Pick<Mp4Destination, 'comment' | 'format' | 'gifFps' | 'gifSize'>;
/** stylizeFile's result when the MP4 went to `output`. */
export type StreamedResult = Omit<StylizeResult, 'blob'> & { blob: null };

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
  /**
   * How the stylised frame is enlarged to the output's size (default "guided"): "guided" by the full-resolution input
   * (sharp edges at 720p/1080p; where the output is presented on a WebGPU device), or "cubic" (Mitchell–Netravali,
   * the enlargement of a 2D canvas). Where the output goes through the CPU (no WebGPU; a clip on wasm/webgl with
   * smoothing off, or smoothed on a software adapter) it is cubic whatever this says: see `upsampling`.
   */
  upsample?: Upsample;
  /**
   * Per-region strength, each 0..1 times `strength` (default 1, 1, 1: as without): `face` (the faces), `person` (the
   * rest of the people), `background`. Needs WebGPU (see `regionSupport`).
   */
  regions?: Partial<RegionStrengths>;
  /** Less style where the input has fine structure (edges, text, hair), more on flat areas: true, or 0..1 (default off). */
  adaptiveDetail?: boolean | number;
}

/** Region strengths and adaptive detail checked at the boundary (INVALID_ARGUMENT naming the field). */
function checkRegions(regions: unknown, adaptive: unknown, current: RegionSettings): RegionSettings {
  const out = { ...current };
  if (regions !== undefined) {
    if (typeof regions !== 'object' || regions === null) throw invalidArgument(`regions must be an object like { face: 0.3, person: 1, background: 1 }, got ${String(regions)}.`);
    for (const key of Object.keys(regions)) {
      if (key !== 'face' && key !== 'person' && key !== 'background') throw invalidArgument(`regions has no "${key}": use face, person and background (each 0 to 1).`);
      out[key] = checkUnit(`regions.${key}`, (regions as Record<string, unknown>)[key]);
    }
  }
  if (adaptive !== undefined) {
    if (typeof adaptive === 'boolean') out.adaptiveDetail = adaptive ? DEFAULT_ADAPTIVE_DETAIL : 0;
    else out.adaptiveDetail = checkUnit('adaptiveDetail', adaptive);
  }
  return out;
}

/** Frames between refreshes of the content's style vector (strength < 1) in a live stream. */
const CONTENT_REFRESH = 150;

type FilePath = typeof import('./pipeline/files.ts');
let files: Promise<FilePath> | null = null;

/**
 * The file path's code (pipeline/files.ts: Mediabunny and what stands on it), loaded once by the first clip or
 * content vector: a live stream never needs it. A failed load (the server gone, a stale build's chunk) is said as
 * such, and the next call tries again.
 */
function loadFiles(): Promise<FilePath> {
  files ??= import('./pipeline/files.ts').catch((e: unknown) => {
    files = null;
    throw new StylecastError('WORKER_FAILED', `The engine's file converter (its video reader and writer) could not be loaded: ${e instanceof Error ? e.message : String(e)}. Reload the page; if that does not help, the server no longer has this version of stylecast.`, { cause: e });
  });
  return files;
}

const checkUnit = (name: string, v: unknown): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) throw invalidArgument(`${name} must be a number from 0 to 1, got ${String(v)}.`);
  return v;
};
const checkFps = (v: unknown): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 1 || v > 240) throw invalidArgument(`targetFps must be a number of frames per second from 1 to 240, got ${String(v)}.`);
  return v;
};
const checkUpsample = (v: unknown): Upsample => {
  if (!UPSAMPLES.includes(v as Upsample)) throw invalidArgument(`upsample must be one of ${UPSAMPLES.join(', ')}, got ${typeof v === 'string' ? `"${v}"` : String(v)}.`);
  return v as Upsample;
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
  const regions = checkRegions(options.regions, options.adaptiveDetail, DEFAULT_REGIONS);
  if (options.upsample !== undefined) checkUpsample(options.upsample);
  const t0 = performance.now();
  // Filled in as each phase ends; the stylizer holds it from its construction (all set by the time it is returned).
  const times = { backendMs: 0, modelMs: 0, deviceMs: 0, masksMs: 0, totalMs: 0 } satisfies StartupTimes;
  const done = (phase: keyof StartupTimes) => (times[phase] = Math.round(performance.now() - t0));
  // The model's files download while the backend starts (they need no tensors): see StyleModel.fetch.
  const files = StyleModel.fetch({ modelsUrl: options.modelsUrl, modelDir: options.modelDir });
  const backend = await initBackend(options.backend, options.wasmUrl, options.threads);
  done('backendMs');
  const [model, gpu] = await Promise.all([
    StyleModel.load(files.location, files, { predictor: 'on-demand' }).finally(() => done('modelMs')),
    temporalDevice(backend).then((gpu) => {
      done('deviceMs');
      // What a live stream's first frame runs on this device (its import and the guided present: the temporal stage
      // starts on its second frame, see FrameStylizerOptions.presentFirst) starts compiling as soon as there is a
      // device, while the model loads (see pipeline/warm.ts). Only that: on a software adapter a compile is CPU work,
      // and more of them here ran on into the first frame. A clip compiles its own first frame's at its start.
      if (gpu.device) void warmFramePrograms(gpu.device, gpu.software ? LIVE_FIRST_PROGRAMS_SOFTWARE : LIVE_FIRST_PROGRAMS);
      return gpu;
    }),
  ]);
  const stylizer = new Stylizer(backend, gpu, model, strength, size, temporal, options.flowSize, times);
  if (options.preserveColour !== undefined) stylizer.setPreserveColour(options.preserveColour);
  if (options.temporalMethod !== undefined) stylizer.setTemporalMethod(options.temporalMethod);
  if (options.targetFps !== undefined) stylizer.setTargetFps(options.targetFps);
  if (options.adaptive !== undefined) stylizer.setAdaptive(options.adaptive);
  if (options.upsample !== undefined) stylizer.setUpsample(options.upsample);
  stylizer.setRegions({ face: regions.face, person: regions.person, background: regions.background }, regions.adaptiveDetail);
  await stylizer.useMaskModels(options.modelsUrl); // loads them now when regions are on, so a clip's first frame has masks
  done('masksMs');
  try {
    await stylizer.setStyle(options.style ?? DEFAULT_STYLE);
    if (options.mix) await stylizer.mixStyles(options.mix.style, options.mix.weight);
  } catch (e) {
    stylizer.dispose();
    throw e;
  }
  done('totalMs');
  return stylizer;
}

/**
 * Where createStylizer's time went: ms from its start to the end of each phase (rounded). The model's files download
 * from the start; `modelMs` is when its graphs were made (after the backend), `deviceMs` when the smoothing device was
 * there (side by side with the model), `masksMs` when the mask models were loaded (only with per-region strength on),
 * `totalMs` when the style was set and the stylizer returned.
 */
export interface StartupTimes {
  backendMs: number;
  modelMs: number;
  deviceMs: number;
  masksMs: number;
  totalMs: number;
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
  /** The content vector given for the clip being converted (one for all its parts), if any. */
  #fixedContent: tf.Tensor4D | null = null;
  #deviceLost: string | null = null;

  readonly #flowSize: number | undefined;
  /** Where createStylizer's time went (null for a stylizer made otherwise). */
  readonly startup: Readonly<StartupTimes> | null;
  /** What the pipeline reads from this stylizer while frames flow. */
  readonly #context: PipelineContext;

  constructor(backend: BackendChoice, smoothing: TemporalDevice, model: StyleModel, strength: number, size: number, temporal: number, flowSize?: number, startup: StartupTimes | null = null) {
    this.startup = startup;
    this.#flowSize = flowSize;
    this.backend = backend;
    this.smoothing = smoothing;
    this.#model = model;
    this.#strength = strength;
    this.#size = size;
    this.#temporal = temporal;
    this.#context = {
      backend,
      gpu: smoothing,
      model,
      settings: () => ({
        size: this.#size,
        temporal: this.#temporal,
        temporalMethod: this.#temporalMethod,
        preserveColour: this.#preserveColour,
        flowSize: this.#flowSize,
        targetFps: this.#targetFps,
        adaptive: this.#adaptive,
        upsample: this.#upsample,
        regions: this.#regions,
      }),
      regions: async (frame, frames) => {
        if (frames.regions && regionsActive(this.#regions) && !this.#model.predictorLoaded) await this.#model.predictorReady();
        return this.#regionRequest(frame, frames);
      },
      bottleneck: async (frame, frames) => {
        if (this.#strength < 1 && !this.#fixedContent && !this.#model.predictorLoaded) await this.#model.predictorReady();
        return this.#bottleneckFor(frame, frames);
      },
      check: () => this.#alive(),
      newContent: (content) => {
        this.#invalidate();
        this.#fixedContent?.dispose();
        this.#fixedContent = content ? tf.tensor4d(Array.from(content), [1, 1, 1, content.length]) : null;
      },
    };
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
      await this.#model.predictorReady();
      return tf.tidy(() => this.#model.predict(pixelsToInput(pixels)));
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
    for (const v of this.#weakVectors.values()) v.dispose();
    this.#weakVectors.clear();
    this.#content?.dispose();
    this.#content = null;
  }

  #regions: RegionSettings = DEFAULT_REGIONS;
  /** The mask networks (set by the engine once loaded; null: no masks, background strength and detail only). */
  #maskSource: MaskSource | null = null;
  /** Style vectors at a relative strength (the weak passes'), and the content vector they blend with. */
  readonly #weakVectors = new Map<number, tf.Tensor4D>();
  #content: tf.Tensor4D | null = null;

  /**
   * Where per-region strength can run: a WebGPU device (the same as smoothing's). Without one, regions are off and
   * the output is the whole-frame strength.
   */
  get regionSupport(): { available: boolean; detail: string } {
    const masks = this.#maskSource
      ? 'with the person and face masks'
      : this.#masksError
        ? `without masks (they could not be loaded: ${this.#masksError})`
        : this.#masksLoading
          ? 'with the person and face masks (loading)'
          : 'masks loaded when a region needs them';
    return this.smoothing.device
      ? { available: true, detail: `on the same WebGPU device as smoothing, ${masks}` }
      : { available: false, detail: 'off: this browser has no WebGPU, so per-region strength and adaptive detail are unavailable' };
  }

  /** The per-region strengths and adaptive detail in use. */
  get regions(): RegionSettings {
    return { ...this.#regions };
  }

  /**
   * Per-region strength: `face`, `person`, `background`, each 0..1 times the global strength (any left out stays as
   * it is); `adaptiveDetail`: true, false or 0..1. All 1 and no adaptive detail: exactly the output without.
   */
  setRegions(regions: Partial<RegionStrengths>, adaptiveDetail?: boolean | number): void {
    this.#alive();
    this.#regions = checkRegions(regions, adaptiveDetail, this.#regions);
    void this.#loadMasks();
  }

  /** Adaptive detail alone: true, false or 0..1. */
  setAdaptiveDetail(adaptiveDetail: boolean | number): void {
    this.#alive();
    if (adaptiveDetail === undefined) throw invalidArgument('adaptiveDetail must be true, false or a number from 0 to 1, got undefined.');
    this.#regions = checkRegions(undefined, adaptiveDetail, this.#regions);
  }

  /** The engine's mask networks (src/engine/masks), or null to run without masks. */
  setMaskSource(source: MaskSource | null): void {
    this.#maskSource = source;
  }

  #masksUrl: string | undefined;
  #masksLoading: Promise<void> | null = null;
  #masksError: string | null = null;

  /**
   * The mask networks (MediaPipe's person segmenter and face detector, installed by set-up) from `modelsUrl`: loaded
   * once regions need a mask (now, or when setRegions asks for one; until then frames go without masks). One that
   * cannot load leaves regions on the background strength and adaptive detail alone, said in regionSupport.
   */
  useMaskModels(modelsUrl?: string): Promise<void> {
    this.#masksUrl = modelsUrl;
    return this.#loadMasks();
  }

  #loadMasks(): Promise<void> {
    const need = masksNeeded(this.#regions);
    if (this.#maskSource || this.#masksError || !regionsActive(this.#regions) || !(need.faces || need.person)) return this.#masksLoading ?? Promise.resolve();
    this.#masksLoading ??= MaskModels.load({ modelsUrl: this.#masksUrl }).then(
      (models) => {
        if (this.#disposed) models.dispose();
        else this.#maskSource = models;
      },
      (e: unknown) => void (this.#masksError = e instanceof Error ? e.message : String(e)),
    );
    return this.#masksLoading;
  }

  #regionRequest(frame: VideoFrame, frames: FrameStylizer): RegionRequest | undefined {
    if (!frames.regions || !regionsActive(this.#regions)) return undefined;
    // The content vector now, before the frame's own imports (on the GPU it is an import of its own).
    this.#content ??= frames.contentVector(frame);
    const content = this.#content;
    return {
      settings: this.#regions,
      source: this.#maskSource,
      vector: (relative) => {
        const key = Math.round(relative * 1000) / 1000;
        let v = this.#weakVectors.get(key);
        if (!v) {
          if (this.#weakVectors.size >= 8) this.#invalidateWeak();
          v = tf.tidy(() => {
            const style = this.#mix ? blendVectors(this.#mix, this.#style!, this.#mixWeight) : this.#style!.clone();
            return blendVectors(style, content, this.#strength * key);
          });
          this.#weakVectors.set(key, v);
        }
        return v;
      },
    };
  }

  #invalidateWeak(): void {
    for (const v of this.#weakVectors.values()) v.dispose();
    this.#weakVectors.clear();
  }

  /**
   * The style vector for `frame`: cached; with strength < 1 it blends in the content's own vector, refreshed every
   * CONTENT_REFRESH frames so a live scene that changes keeps its strength right.
   */
  #bottleneckFor(frame: VideoFrame, frames: FrameStylizer): tf.Tensor4D {
    if (this.#bottleneck && (this.#strength === 1 || this.#fixedContent || this.#bottleneckAge++ < CONTENT_REFRESH)) return this.#bottleneck;
    this.#invalidate();
    if (this.#fixedContent) {
      this.#bottleneck = this.#effective(this.#strength < 1 ? this.#fixedContent : null);
      return this.#bottleneck;
    }
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

  #upsample: Upsample = DEFAULT_UPSAMPLE;

  /** How the output is enlarged to the frame's size: "guided" (default) or "cubic" (see StylizerOptions.upsample). */
  setUpsample(upsample: Upsample): void {
    this.#alive();
    this.#upsample = checkUpsample(upsample);
  }

  get upsample(): Upsample {
    return this.#upsample;
  }

  /**
   * The enlargement that actually runs, and one sentence on why: guided only where the output is presented on a
   * WebGPU device. A clip on a CPU backend with smoothing off goes through the CPU (no device work at all, which is
   * faster there), and so does everything in a browser without WebGPU: cubic, said so.
   */
  upsampling(kind: 'clip' | 'live' = 'clip'): { method: Upsample; detail: string } {
    const cubic = 'cubic (Mitchell–Netravali)';
    if (this.#upsample === 'cubic') return { method: 'cubic', detail: `${cubic}, as asked` };
    const device = this.backend.device ?? this.smoothing.device;
    if (!device) return { method: 'cubic', detail: `${cubic}: this browser has no WebGPU, so the output is enlarged on the CPU and guided upsampling is unavailable` };
    if (!this.backend.device && kind === 'clip' && this.#temporal === 0) {
      return { method: 'cubic', detail: `${cubic}: with smoothing off a clip on ${this.backend.name} goes through the CPU, where guided upsampling does not run` };
    }
    if (kind === 'clip' && readsBack(this.backend, this.smoothing)) {
      return {
        method: 'cubic',
        detail: `${cubic}: a clip on ${this.backend.name} comes back from the software WebGPU device after smoothing and is enlarged on the CPU (guided there would take several times as long; it needs a GPU)`,
      };
    }
    return { method: 'guided', detail: `guided by the full-resolution input, ${this.smoothing.detail.replace(/^(on|off)\b/, 'on')}` };
  }

  /** The style vector to use for a clip, given its content vector (needed only when strength < 1). */
  #effective(content: tf.Tensor4D | null): tf.Tensor4D {
    return tf.tidy(() => {
      const style = this.#mix ? blendVectors(this.#mix, this.#style!, this.#mixWeight) : this.#style!.clone();
      return content ? blendVectors(style, content, this.#strength) : style;
    });
  }

  /**
   * Stylises a whole clip into an MP4 (H.264 where supported, else VP9), audio copied through. An animated GIF or WebP
   * is a clip too: every frame with its own duration, no audio. With `format: 'gif'` the output is an animated GIF
   * (sinks/gif.ts) at most `gifSize` px on its long side (default 480): a video's frames at most `gifFps` a second
   * (default 15) without its sound, an image's every frame a GIF can show (or at most `gifFps` a second, when given).
   */
  async stylizeFile(file: Blob | string | URL, options: StreamedFileOptions): Promise<StreamedResult>;
  async stylizeFile(file: Blob | string | URL, options?: StylizeFileOptions & Pick<Mp4Destination, 'format' | 'gifFps' | 'gifSize'>): Promise<StylizeResult>;
  /**
   * `file`: a File or Blob, or the URL of one (read by ranged requests as the conversion goes, a bounded part cached:
   * for files too large to hold; the server should answer `Range`). With `output` (StreamedFileOptions) the MP4 is
   * written there as it is made and the result's `blob` is null.
   */
  async stylizeFile(file: Blob | string | URL, options: StylizeFileOptions & Mp4Destination = {}): Promise<ClipResult> {
    this.#alive();
    let url: URL | null = null;
    if (typeof file === 'string' || file instanceof URL) {
      try {
        url = new URL(file, globalThis.location?.href);
      } catch {
        throw invalidArgument(`stylizeFile: "${String(file)}" is not a URL.`);
      }
    } else if (!(file instanceof Blob)) {
      throw invalidArgument('stylizeFile needs a File, a Blob or a URL.');
    }
    if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw invalidArgument('onProgress must be a function.');
    if (options.output !== undefined && !(options.output instanceof WritableStream)) throw invalidArgument('output must be a WritableStream.');
    if (options.comment !== undefined && typeof options.comment !== 'string' && typeof options.comment !== 'function') throw invalidArgument('comment must be a string or a function.');
    if (options.format !== undefined && options.format !== 'mp4' && options.format !== 'gif') throw invalidArgument(`format must be "mp4" or "gif", got "${String(options.format)}".`);
    const { SNIFF_BYTES, animatedImageType, checkGifFps, checkRange, stylizeAnimatedImage, stylizeClip, stylizeVideoToGif, urlBlob, urlHead } = await loadFiles();
    this.#alive(); // disposed while it loaded
    if (options.gifFps !== undefined) checkGifFps(options.gifFps);
    if (options.gifSize !== undefined) checkGifSize(options.gifSize);
    checkPreview(options.preview);
    checkRange(options.range, options.warmupFrames);
    if (options.contentVector !== undefined) this.#checkContentVector(options.contentVector);
    if (this.#busy) throw invalidArgument('This stylizer is already converting a clip: wait for it or cancel it first.');
    this.#busy = true;
    try {
      // An animated GIF or WebP (by its bytes) is a clip of its frames (read whole); anything else goes to the video reader.
      const image = await animatedImageType(url ? await urlHead(url, SNIFF_BYTES) : (file as Blob));
      if (image && options.range) throw invalidArgument('A range is for video clips; an animated image is stylised whole.');
      if (image) return await stylizeAnimatedImage(this.#context, url ? await urlBlob(url) : (file as Blob), image, options);
      if (options.format === 'gif') {
        if (options.range) throw invalidArgument('A range is for MP4 output; a GIF is made from the whole clip.');
        return await stylizeVideoToGif(this.#context, url ?? (file as Blob), options);
      }
      return await stylizeClip(this.#context, url ?? (file as Blob), options);
    } finally {
      this.#fixedContent?.dispose();
      this.#fixedContent = null;
      this.#invalidate();
      this.#busy = false;
    }
  }

  #checkContentVector(v: unknown): void {
    const n = this.#style?.shape[3] ?? 0;
    const ok = typeof v === 'object' && v !== null && (v as ArrayLike<number>).length === n && Array.from(v as ArrayLike<number>).every((x) => typeof x === 'number' && Number.isFinite(x));
    if (!ok) throw invalidArgument(`contentVector must be ${n} finite numbers (from stylizer.contentVector(file)).`);
  }

  /**
   * The content's style vector of a clip (its first frame, upright, centre square), for `stylizeFile`'s
   * `contentVector`: computed once per clip and given to every part of it, so all parts blend the same style when
   * strength < 1. `file` as for stylizeFile (a video; not an animated image).
   */
  async contentVector(file: Blob | string | URL): Promise<number[]> {
    this.#alive();
    let source: Blob | URL;
    if (file instanceof Blob) source = file;
    else if (typeof file === 'string' || file instanceof URL) {
      try {
        source = new URL(file, globalThis.location?.href);
      } catch {
        throw invalidArgument(`contentVector: "${String(file)}" is not a URL.`);
      }
    } else throw invalidArgument('contentVector needs a File, a Blob or a URL.');
    const { clipContentVector } = await loadFiles();
    this.#alive(); // disposed while it loaded
    if (this.#busy) throw invalidArgument('This stylizer is busy with a clip or stream.');
    this.#busy = true;
    try {
      return await clipContentVector(this.#context, source);
    } finally {
      this.#busy = false;
    }
  }

  #stream: LiveStream | null = null;

  /** Live statistics of the running (or last) stream; null before the first. */
  stats(): LiveStats | null {
    return this.#stream?.stats() ?? null;
  }

  /** Stops a running stream after the frame in hand. */
  stopStream(): void {
    this.#stream?.stop();
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
    const stream = (this.#stream = new LiveStream(this.#context));
    try {
      await stream.run(readable, sinks);
    } finally {
      this.#invalidate();
      this.#busy = false;
    }
  }


  /** Frees the model and every tensor this stylizer holds. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#stream?.stop();
    this.#invalidate();
    this.#style?.dispose();
    this.#mix?.dispose();
    this.#model.dispose();
    (this.#maskSource as { dispose?: () => void } | null)?.dispose?.();
    this.#maskSource = null;
  }
}
