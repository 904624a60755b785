// The offline path: a clip in, an MP4 out, every frame through the frame pipeline with its timestamp.
import type { VideoCodec } from 'mediabunny';
import type { BackendName, TemporalMethod } from '../constants.ts';
import { convertToMp4, type Progress } from '../sinks/mp4.ts';
import { DEFAULT_MAX_FRAME_SIDE, openVideo } from '../sources/file.ts';
import type { TemporalDevice } from '../gpu/device.ts';
import type { PipelineContext } from './context.ts';
import { createFrameStylizer, inferenceGeometry, type FrameGeometry, type FrameStylizer, type FrameTiming } from './frame.ts';

/** No WebGPU for this clip's frames (the 2d path). */
const NO_GPU: TemporalDevice = { device: null, software: false, detail: 'not used: smoothing is off for this clip' };

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

/**
 * A whole clip to MP4 (H.264 where supported, else VP9), audio copied through: Mediabunny's Conversion is the loop
 * (demux, decode, our frame pipeline per frame, encode, mux). Arguments are checked by the caller.
 */
export async function stylizeClip(ctx: PipelineContext, file: Blob, options: StylizeFileOptions = {}): Promise<StylizeResult> {
  const started = performance.now();
  const maxSide = ctx.backend.device?.limits.maxTextureDimension2D ?? DEFAULT_MAX_FRAME_SIDE;
  const settings = ctx.settings();
  const video = await openVideo(file, maxSide);
  let geometry: FrameGeometry;
  let frames: FrameStylizer;
  try {
    geometry = inferenceGeometry(video.width, video.height, settings.size);
    // Without smoothing a CPU backend has no GPU work: its frames take the 2d path (one copy in, one out) instead of an
    // upload to, a present on and a readback from a WebGPU device (a software one on a machine without a GPU).
    // Measured at 640×360 on wasm: 128 px 67 → 62 ms a frame, 256 px unchanged.
    const gpu = settings.temporal === 0 && !ctx.backend.device ? NO_GPU : ctx.gpu;
    // Two surfaces: the encoder takes frame t while frame t+1 renders (GPU work overlaps the next network). `frames`:
    // on the 2d path the encoder gets VideoFrames made from the pixels in CPU memory, not a canvas it must read back.
    frames = createFrameStylizer(ctx.backend, ctx.model, geometry, { gpu, flowSide: settings.flowSize, surfaces: 2, frames: true });
  } catch (e) {
    video.input.dispose(); // the clip's reader is ours until the converter takes it
    throw e;
  }
  const alpha = frames.smoothing ? settings.temporal : 0;
  let warmed = false;
  const totals = { network: 0, networkFrames: 0, temporal: 0, temporalFrames: 0 };
  let last: FrameTiming | undefined;
  const onProgress = options.onProgress;
  ctx.newContent(); // a new clip: its own content vector
  try {
    const result = await convertToMp4(video, {
      signal: options.signal,
      lagOne: frames.smoothing, // GPU work in flight: encode a frame late so it overlaps the next frame's
      onProgress: onProgress && ((p) => onProgress({ ...p, frame: last })),
      render: async (frame) => {
        ctx.check();
        if (!warmed) {
          warmed = true;
          await frames.warm(ctx.bottleneck(frame, frames));
        }
        const t = await frames.render(frame, ctx.bottleneck(frame, frames), alpha, { preserveColour: settings.preserveColour, temporalMethod: settings.temporalMethod });
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
        return frames.takeFrame(frame.timestamp, frame.duration ?? undefined) ?? frames.canvas;
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
      backend: ctx.backend.name,
      elapsedMs: performance.now() - started,
      temporal: alpha,
      temporalMethod: settings.temporalMethod,
      stageMs: {
        network: totals.networkFrames ? totals.network / totals.networkFrames : 0,
        temporal: totals.temporalFrames ? totals.temporal / totals.temporalFrames : null,
      },
    };
  } finally {
    frames.dispose();
    video.input.dispose();
  }
}
