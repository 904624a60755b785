// The frame pipeline's WGSL programs compiled ahead, once per device: started as soon as the engine has its device
// (the model loads meanwhile) and awaited by FrameStylizer.warm, so the first frame finds the pipelines it runs in the
// cache instead of compiling them on the device's thread in front of its own work.
import { importFrame } from '../gpu/frame-import.ts';
import { guided, guidedCoeffs, guidedRows, present, presentRows } from '../gpu/present.ts';
import { warmPrograms } from '../gpu/program.ts';
import { temporalPrograms as t } from '../temporal/pipelines.ts';

/**
 * What the first frame runs: its import, the present (guided and cubic), and the temporal stage's first pass (the
 * flow pyramid of the frame and the compose; no flow, warp or confidence yet: there is no previous frame).
 */
export const FIRST_FRAME_PROGRAMS = [importFrame, guidedRows, guidedCoeffs, guided, presentRows, present, t.luma, t.downsample, t.gradient, t.compose];
/**
 * What later frames add: the flow, its confidence, the warp. Compiled after the first set (the flow's solver is the
 * largest compile), while the first frame runs. The region programs are in neither: per-region strength is off by
 * default, and its stage compiles them when it is made.
 */
export const LATER_PROGRAMS = Object.values(t).filter((p) => !(FIRST_FRAME_PROGRAMS as readonly unknown[]).includes(p));

const warmed = new WeakMap<GPUDevice, Promise<void>>();

/**
 * Compiles FIRST_FRAME_PROGRAMS on `device` (render programs for the canvas's preferred format), then LATER_PROGRAMS;
 * resolves once the first set is in the cache. The same promise for every call on one device.
 */
export function warmFramePrograms(device: GPUDevice): Promise<void> {
  let first = warmed.get(device);
  if (!first) {
    const format = navigator.gpu.getPreferredCanvasFormat();
    first = warmPrograms(device, FIRST_FRAME_PROGRAMS, format);
    void first.then(() => warmPrograms(device, LATER_PROGRAMS, format));
    warmed.set(device, first);
  }
  return first;
}
