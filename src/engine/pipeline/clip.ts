// The offline path: a clip in, an MP4 out, every frame through the frame pipeline with its timestamp.
import { VideoSampleSink, type VideoCodec, type VideoSample } from 'mediabunny';
import { StylecastError } from '../errors.ts';
import type { BackendName, TemporalMethod } from '../constants.ts';
import { convertToMp4, type Mp4Destination, type Progress } from '../sinks/mp4.ts';
import { PendingFrame } from '../sinks/pending-frame.ts';
import { ClipPreview } from '../sinks/preview.ts';
import { DEFAULT_MAX_FRAME_SIDE, openVideo } from '../sources/file.ts';
import type { TemporalDevice } from '../gpu/device.ts';
import type { PipelineContext } from './context.ts';
import { regionsActive } from '../regions/index.ts';
import { maxStrokeAge } from '../temporal/index.ts';
import { presentedTimestamps, resolveRange, type ClipRange, type ResolvedRange } from './range.ts';
import { createFrameStylizer, inferenceGeometry, type FrameGeometry, type FrameStylizer, type FrameTiming } from './frame.ts';

/** No WebGPU for this clip's frames (the 2d path). */
const NO_GPU: TemporalDevice = { device: null, software: false, detail: 'not used: smoothing is off for this clip' };

export interface StylizeFileOptions {
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /**
   * A 2D canvas (or one not yet given a context) to show the clip on while it converts: a few times a second the
   * frame about to be encoded is drawn on it, scaled to at most 480 px; sized to the output's aspect.
   */
  preview?: OffscreenCanvas | HTMLCanvasElement;
  /**
   * Only these frames of the clip (frame-exact by index, or by time; see ClipRange). The output's timestamps are
   * re-based so its first frame is at 0 (a part is a normal MP4 on its own; `result.range.offsetSeconds` says where it
   * sat), and it has no audio (parts are joined with the source's sound, copied once).
   */
  range?: ClipRange;
  /**
   * With a range: the frames before it decoded, stylised and smoothed, then dropped, so the temporal history is warm at
   * its first kept frame (a part joined to the one before shows no seam). Default 0.
   */
  warmupFrames?: number;
  /**
   * The content's style vector (used when strength < 1), from `stylizer.contentVector(file)`: computed once per clip
   * and given to each of its parts, so they all blend the same style. Without it, a clip (or a part) takes its own
   * from its first frame.
   */
  contentVector?: ArrayLike<number>;
}

export interface StylizeResult {
  blob: Blob;
  frames: number;
  width: number;
  height: number;
  /** The video codec, or 'gif' for an animated GIF (`format: 'gif'`). */
  codec: VideoCodec | 'gif';
  hasAudio: boolean;
  inferWidth: number;
  inferHeight: number;
  backend: BackendName;
  elapsedMs: number;
  /** The α used, or 0 when smoothing was unavailable. */
  temporal: number;
  temporalMethod: TemporalMethod;
  /**
   * Mean per-frame cost of each stage, ms. `regions`: the per-region work (masks, weak pass; see
   * FrameTiming.regionsMs), over the frames it ran; null when regions were off.
   */
  stageMs: { network: number; temporal: number | null; regions: number | null };
  /**
   * A GIF (`format: 'gif'`): what it was made from (a video, or an animated image), the frame-rate cap, the source's
   * presented frames and rate (the GIF keeps `frames` of them), whether a sound track was left out, and the source's
   * size (the GIF is `width`×`height`: at most `gifSize` on the long side).
   */
  gif?: GifFacts;
  /** With a range: the frames kept (presented frames, end exclusive), the warm-up, and where the first sat in the clip. */
  range?: { startFrame: number; endFrame: number; warmupFrames: number; offsetSeconds: number };
}

/** What a GIF kept of its source (StylizeResult.gif). */
export interface GifFacts {
  source: 'video' | 'image';
  fps: number;
  sourceFrames: number;
  sourceFps: number;
  audioDropped: boolean;
  sourceWidth: number;
  sourceHeight: number;
}

/** A result whose MP4 may have been streamed to `Mp4Destination.output` instead (then `blob` is null). */
export type ClipResult = Omit<StylizeResult, 'blob'> & { blob: Blob | null };

/**
 * The frame pipeline for a clip or an animated image at `geometry`. Without smoothing a CPU backend has no GPU work:
 * its frames take the 2d path (one copy in, one out) instead of an upload to, a present on and a readback from a
 * WebGPU device (a software one on a machine without a GPU); measured at 640×360 on wasm: 128 px 67 → 62 ms a frame,
 * 256 px unchanged. Two surfaces: the encoder takes frame t while frame t+1 renders (GPU work overlaps the next
 * network). `frames`: on the 2d path the encoder gets VideoFrames made from the pixels in CPU memory, not a canvas it
 * must read back.
 */
export function clipFrameStylizer(ctx: PipelineContext, geometry: FrameGeometry): FrameStylizer {
  const settings = ctx.settings();
  const gpu = settings.temporal === 0 && !ctx.backend.device && !regionsActive(settings.regions) ? NO_GPU : ctx.gpu;
  return createFrameStylizer(ctx.backend, ctx.model, geometry, { gpu, flowSide: settings.flowSize, surfaces: 2, frames: true });
}

/** A clip's per-frame bookkeeping: stage costs, the last frame's, the preview. */
export class ClipFrames {
  readonly #totals = { network: 0, networkFrames: 0, temporal: 0, temporalFrames: 0, regions: 0, regionsFrames: 0 };
  readonly #preview: ClipPreview | null;
  last: FrameTiming | undefined;

  constructor(options: StylizeFileOptions) {
    this.#preview = options.preview ? new ClipPreview(options.preview) : null;
  }

  /** After a frame rendered: counts its costs. */
  add(t: FrameTiming): void {
    this.last = t;
    if (t.networkMs > 0) {
      // On WebGPU a frame's cost arrives a frame or two later (nothing waits for the GPU): average what came.
      this.#totals.network += t.networkMs;
      this.#totals.networkFrames++;
    }
    if (t.temporalMs !== null) {
      this.#totals.temporal += t.temporalMs;
      this.#totals.temporalFrames++;
    }
    if (t.regionsMs !== null) {
      this.#totals.regions += t.regionsMs;
      this.#totals.regionsFrames++;
    }
  }

  /**
   * The frame about to be encoded (the output at width×height): shown now and then; `last` always. A frame still on
   * its way is shown once it is ready: the same frame comes back, wrapped so.
   */
  show<T extends OffscreenCanvas | VideoFrame | PendingFrame>(out: T, width: number, height: number, last = false): T {
    if (out instanceof PendingFrame) return (this.#preview ? out.after((f) => this.#preview!.offer(f, width, height, last)) : out) as T;
    this.#preview?.offer(out as OffscreenCanvas | VideoFrame, width, height, last);
    return out;
  }

  /** The result's fields that do not come from the encoder. */
  summary(ctx: PipelineContext, geometry: FrameGeometry, started: number, alpha: number): Omit<StylizeResult, 'blob' | 'frames' | 'width' | 'height' | 'codec' | 'hasAudio'> {
    const t = this.#totals;
    return {
      inferWidth: geometry.inferWidth,
      inferHeight: geometry.inferHeight,
      backend: ctx.backend.name,
      elapsedMs: performance.now() - started,
      temporal: alpha,
      temporalMethod: ctx.settings().temporalMethod,
      stageMs: {
        network: t.networkFrames ? t.network / t.networkFrames : 0,
        temporal: t.temporalFrames ? t.temporal / t.temporalFrames : null,
        regions: t.regionsFrames ? t.regions / t.regionsFrames : null,
      },
    };
  }
}

/**
 * A whole clip to MP4 (H.264 where supported, else VP9), audio copied through: Mediabunny's Conversion is the loop
 * (demux, decode, our frame pipeline per frame, encode, mux). Arguments are checked by the caller.
 */
export async function stylizeClip(ctx: PipelineContext, file: Blob | URL, options: StylizeFileOptions & Mp4Destination = {}): Promise<ClipResult> {
  const started = performance.now();
  const maxSide = ctx.backend.device?.limits.maxTextureDimension2D ?? DEFAULT_MAX_FRAME_SIDE;
  const settings = ctx.settings();
  const video = await openVideo(file, maxSide);
  let geometry: FrameGeometry;
  let frames: FrameStylizer;
  let clip: ClipFrames;
  let part: ResolvedRange | null = null;
  try {
    // Carried strokes live maxStrokeAge frames (as the shader holds it, a 32-bit float): a warm-up starts on that grid
    // (see resolveRange).
    const strokes = settings.temporal > 0 && settings.temporalMethod === 'strokes' && (!!ctx.backend.device || !!ctx.gpu.device);
    if (options.range) part = await resolveRange(video, options.range, options.warmupFrames ?? 0, strokes ? Math.ceil(Math.fround(maxStrokeAge(settings.temporal))) : 1);
    geometry = inferenceGeometry(video.width, video.height, settings.size);
    clip = new ClipFrames(options);
    frames = clipFrameStylizer(ctx, geometry);
  } catch (e) {
    video.input.dispose(); // the clip's reader is ours until the converter takes it
    throw e;
  }
  const alpha = frames.smoothing ? settings.temporal : 0;
  let warmed = false;
  let rendered = 0;
  const onProgress = options.onProgress;
  ctx.newContent(options.contentVector); // a new clip: its own content vector (or the one given for the whole clip)
  const framesTotal = part ? part.endFrame - part.warmFrom : video.frames;
  try {
    const result = await convertToMp4(video, {
      signal: options.signal,
      output: options.output,
      comment: options.comment,
      lagOne: frames.smoothing, // GPU work in flight: encode a frame late so it overlaps the next frame's
      part: part ? { trim: part.trim, framesTotal, warmup: part.startFrame - part.warmFrom, shiftSeconds: part.shiftSeconds } : undefined,
      onProgress: onProgress && ((p) => onProgress({ ...p, frame: clip.last })),
      render: async (frame) => {
        ctx.check();
        if (!warmed) {
          warmed = true;
          await frames.warm(await ctx.bottleneck(frame, frames));
        }
        clip.add(await frames.render(frame, await ctx.bottleneck(frame, frames), alpha, { preserveColour: settings.preserveColour, temporalMethod: settings.temporalMethod, upsample: settings.upsample, regions: await ctx.regions(frame, frames) }));
        const out = frames.takeFrame(frame.timestamp, frame.duration ?? undefined) ?? frames.canvas;
        return clip.show(out, geometry.width, geometry.height, ++rendered === framesTotal);
      },
    });
    return {
      blob: result.data && new Blob([result.data], { type: 'video/mp4' }),
      frames: result.frames,
      width: result.width,
      height: result.height,
      codec: result.codec,
      hasAudio: result.hasAudio,
      ...clip.summary(ctx, geometry, started, alpha),
      ...(part ? { range: { startFrame: part.startFrame, endFrame: part.endFrame, warmupFrames: part.startFrame - part.warmFrom, offsetSeconds: part.offsetSeconds } } : {}),
    };
  } finally {
    frames.dispose();
    video.input.dispose();
  }
}

/**
 * A clip's content vector (strength < 1 blends it in): from its first presented frame, upright (rotation metadata
 * applied, as the conversion hands frames over), through the same frame stylizer a conversion of it would use.
 */
export async function clipContentVector(ctx: PipelineContext, file: Blob | URL): Promise<number[]> {
  const maxSide = ctx.backend.device?.limits.maxTextureDimension2D ?? DEFAULT_MAX_FRAME_SIDE;
  const video = await openVideo(file, maxSide);
  let frames: FrameStylizer | null = null;
  let sample: VideoSample | null = null;
  let frame: VideoFrame | null = null;
  try {
    const [first] = await presentedTimestamps(video);
    sample = await new VideoSampleSink(video.track).getSample(video.startSeconds ?? first);
    if (!sample) throw new StylecastError('CORRUPT_INPUT', 'The first frame of the input could not be decoded.');
    const canvas = new OffscreenCanvas(video.width, video.height);
    const c2d = canvas.getContext('2d');
    if (!c2d) throw new Error('OffscreenCanvas has no 2d context');
    sample.drawWithFit(c2d, { fit: 'fill' });
    frame = new VideoFrame(canvas, { timestamp: 0 });
    frames = clipFrameStylizer(ctx, inferenceGeometry(video.width, video.height, ctx.settings().size));
    await ctx.model.predictorReady();
    const v = frames.contentVector(frame);
    try {
      return Array.from(await v.data());
    } finally {
      v.dispose();
    }
  } finally {
    frame?.close();
    sample?.close();
    frames?.dispose();
    video.input.dispose();
  }
}
