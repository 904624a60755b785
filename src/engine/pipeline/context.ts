// What the pipeline reads from its owner (the Stylizer) while frames flow: the device and model it runs on, the
// settings as they are now (a live stream follows every change at the next frame) and the style vector.
import type * as tf from '@tensorflow/tfjs-core';
import type { TemporalMethod, Upsample } from '../constants.ts';
import type { TemporalDevice } from '../gpu/device.ts';
import type { BackendChoice } from '../stylise/backend.ts';
import type { StyleModel } from '../stylise/model.ts';
import type { FrameStylizer } from './frame.ts';
import type { RegionRequest, RegionSettings } from '../regions/index.ts';

export interface FrameSettings {
  /** Short side of the network's input, px. */
  size: number;
  /** Temporal smoothing α (0 = per-frame output). */
  temporal: number;
  temporalMethod: TemporalMethod;
  preserveColour: boolean;
  /** Short side of the flow, px; undefined = the device's default. */
  flowSize: number | undefined;
  /** Live streams: the governor's target and whether it may lower quality. */
  targetFps: number;
  adaptive: boolean;
  /** How the output is enlarged to the frame's size (the CPU path is cubic whatever this says). */
  upsample: Upsample;
  /** Per-region strength and adaptive detail (all 1 and 0: off). */
  regions: RegionSettings;
}

export interface PipelineContext {
  readonly backend: BackendChoice;
  /** Where our WGSL runs (none: smoothing off). */
  readonly gpu: TemporalDevice;
  readonly model: StyleModel;
  settings(): FrameSettings;
  /**
   * The style vector for this frame: owned by the context (cached; strength < 1 blends in the content's). Waits only
   * the first time the content's vector is needed while the style predictor is still loading (see StyleModel).
   */
  bottleneck(frame: VideoFrame, frames: FrameStylizer): Promise<tf.Tensor4D>;
  /** This frame's per-region strength request for `frames`, or undefined when regions are off or unavailable (waits like `bottleneck`). */
  regions(frame: VideoFrame, frames: FrameStylizer): Promise<RegionRequest | undefined>;
  /** Throws the reason the pipeline must stop (disposed, device lost). */
  check(): void;
  /**
   * A new clip or stream: the content's style vector is recomputed from its frames, or, when `content` is given (a
   * vector computed once for the whole clip), that one is used for every frame.
   */
  newContent(content?: ArrayLike<number>): void;
}
