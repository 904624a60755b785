// The frame pipeline's WGSL programs compiled ahead, per device: what the first frame runs, started as soon as the
// engine has its device (the model loads meanwhile) and awaited by FrameStylizer.warm, so the first frame finds its
// pipelines in the cache instead of compiling them on the device's thread in front of its own work; what later frames
// add, once the first frame's work is done (see GpuOutput in frame.ts), so those compiles do not compete with it.
import { importFrame } from '../gpu/frame-import.ts';
import { guided, guidedCoeffs, guidedRows, present, presentRows } from '../gpu/present.ts';
import { warmPrograms, type ComputeProgram, type RenderProgram } from '../gpu/program.ts';
import { pyramidSizes, type FlowSettings, type Size } from '../temporal/flow.ts';
import { temporalPrograms as t } from '../temporal/pipelines.ts';

export type FrameProgram = ComputeProgram | RenderProgram;

/**
 * What the first frame runs on every path with a device: its import and the temporal stage's first pass (the flow
 * pyramid of the frame and the compose; no flow, warp or confidence yet: there is no previous frame).
 */
export const FIRST_FRAME_PROGRAMS: readonly FrameProgram[] = [importFrame, t.luma, t.downsample, t.gradient, t.compose];
/** The guided enlargement on the device's canvas (the default where the output is larger than the network's). */
export const GUIDED_PROGRAMS: readonly FrameProgram[] = [guidedRows, guidedCoeffs, guided];
/** The cubic enlargement on the device's canvas (`upsample` 'cubic', or an output at the network's own size). */
export const CUBIC_PROGRAMS: readonly FrameProgram[] = [presentRows, present];
/** The present on the device's canvas (guided and cubic): not on a path whose frames are read back (see readsBack). */
export const PRESENT_PROGRAMS: readonly FrameProgram[] = [...GUIDED_PROGRAMS, ...CUBIC_PROGRAMS];
/**
 * What a live stream's first frame runs (see FramePath.presentFirst): the import and the guided present, nothing of
 * the temporal stage. The engine compiles these as soon as it has a device, while the model loads.
 */
export const LIVE_FIRST_PROGRAMS: readonly FrameProgram[] = [importFrame, ...GUIDED_PROGRAMS];
/** The same on a software adapter, where that frame is enlarged by the cubic (see FrameStylizerOptions.presentFirst). */
export const LIVE_FIRST_PROGRAMS_SOFTWARE: readonly FrameProgram[] = [importFrame, ...CUBIC_PROGRAMS];

/** How a frame stylizer's frames go through the device: what decides which programs it runs. */
export interface FramePath {
  /** Presented on a canvas of the device (false: read back for the CPU's cubic, see readsBack). */
  presented: boolean;
  /**
   * The first frame is presented as the network made it and the temporal stage starts on the second (a live
   * stream's, see FrameStylizerOptions.presentFirst): that frame runs only the import and the present — guided, or
   * the cubic where `enlarged` is false (an output at the network's own size) — and the stage's first pass compiles
   * after it.
   */
  presentFirst?: { enlarged: boolean; cubic?: boolean };
  /** The temporal stage's flow (flowPlan): its finest level's LK window and its pyramid's depth. */
  flow: { size: Size; settings: FlowSettings };
}

/**
 * The programs a frame stylizer on `path` runs: `first`, its first frame (the present's only where it presents);
 * `next`, what the second frame adds where the first is presented unsmoothed (`presentFirst`: the temporal stage's
 * first pass and the other present), else nothing; `later`, what the frames after the first smoothed one add — the
 * flow with only the LK windows its plan uses (its settings' fineRadius on the finest level, coarseRadius on the
 * others: today the 5×5 `lk5` on a software plan and the 7×7 `lk` on a hardware one), its confidence, the warp.
 * The region programs are in none: per-region strength is off by default, and its stage compiles them when made.
 */
export function framePrograms(path: FramePath): { first: FrameProgram[]; next: FrameProgram[]; later: FrameProgram[] } {
  const { size, settings } = path.flow;
  const levels = pyramidSizes(size.width, size.height, settings).length;
  const lkOf = (radius: 2 | 3) => (radius === 2 ? t.lk5 : t.lk);
  const lk = [...new Set([lkOf(settings.fineRadius), ...(levels > 1 ? [lkOf(settings.coarseRadius)] : [])])];
  const later = [...lk, t.median, ...(settings.smoothPasses > 0 ? [t.smooth] : []), t.splat, t.confidence, settings.warpTaps === 4 ? t.warp4 : t.warp, settings.lowBand === 'half' ? t.lowHalf : t.blurRows];
  if (path.presented && path.presentFirst) {
    const shown = path.presentFirst.enlarged && !path.presentFirst.cubic ? GUIDED_PROGRAMS : CUBIC_PROGRAMS;
    return {
      first: [importFrame, ...shown],
      next: [...FIRST_FRAME_PROGRAMS.filter((p) => p !== importFrame), ...PRESENT_PROGRAMS.filter((p) => !shown.includes(p))],
      later,
    };
  }
  return { first: [...FIRST_FRAME_PROGRAMS, ...(path.presented ? PRESENT_PROGRAMS : [])], next: [], later };
}

/**
 * Compiles `programs` on `device` ahead (render programs for the canvas's preferred format): resolves once they are
 * all in the cache; never rejects. Programs already compiled or under way are not compiled again (gpu/program.ts).
 */
export function warmFramePrograms(device: GPUDevice, programs: readonly FrameProgram[]): Promise<void> {
  return warmPrograms(device, programs, navigator.gpu.getPreferredCanvasFormat());
}
