import common from '../../../shaders/flow_common.wgsl?raw';
import blurRows from '../../../shaders/blur_rows.wgsl?raw';
import compose from '../../../shaders/compose.wgsl?raw';
import confidence from '../../../shaders/confidence.wgsl?raw';
import downsample from '../../../shaders/downsample.wgsl?raw';
import flowMedian from '../../../shaders/flow_median.wgsl?raw';
import flowSmooth from '../../../shaders/flow_smooth.wgsl?raw';
import lk from '../../../shaders/lk.wgsl?raw';
import lowHalf from '../../../shaders/low_half.wgsl?raw';
import luma from '../../../shaders/luma.wgsl?raw';
import splat from '../../../shaders/splat.wgsl?raw';
import gradient from '../../../shaders/gradient.wgsl?raw';
import warp from '../../../shaders/warp.wgsl?raw';
import { defineProgram } from '../gpu/program.ts';

const R = 'read-only-storage';
const W = 'storage';
const U = 'uniform';
const size = 'vec2<u32>';
const shader = (code: string) => `${common}\n${code}`;

/** lk.wgsl with its window radius set to `radius` (its pipeline constant RADIUS; 3: 7×7, the shader's own; 2: 5×5). */
function lkProgram(radius: 2 | 3) {
  return defineProgram({
    name: radius === 3 ? 'lk' : `lk_r${radius}`,
    code: shader(lk),
    bindings: { i0: R, grad0: R, i1: R, coarse: R, flow: W, params: U },
    uniforms: { size, coarse_size: size, has_coarse: 'u32', iterations: 'u32', lambda: 'f32', sigma_luma: 'f32', zero_test: 'u32' },
    constants: { RADIUS: radius },
  });
}

/** warp.wgsl with `taps` per axis (its pipeline constant TAPS; 6: Lanczos-3, the shader's own; 4: the Keys cubic). */
function warpProgram(taps: 4 | 6) {
  return defineProgram({
    name: taps === 6 ? 'warp' : `warp_${taps}`,
    code: shader(warp),
    bindings: { stylised: R, previous: R, field: R, diff: W, carried: W, params: U },
    uniforms: { size, flow_size: size },
    constants: { TAPS: taps },
  });
}

/** Every compute program of the temporal stage, declared once (bindings and uniforms as in its WGSL). */
export const temporalPrograms = {
  luma: defineProgram({ name: 'luma', code: shader(luma), bindings: { rgb: R, luma: W, params: U }, uniforms: { size } }),
  downsample: defineProgram({
    name: 'downsample',
    code: shader(downsample),
    bindings: { src: R, dst: W, params: U },
    uniforms: { src_size: size, dst_size: size },
  }),
  gradient: defineProgram({ name: 'gradient', code: shader(gradient), bindings: { luma: R, grad: W, params: U }, uniforms: { size } }),
  lk: lkProgram(3),
  /** The same solve on a 5×5 window (the software plan's finest level: see flowPlan). */
  lk5: lkProgram(2),
  median: defineProgram({ name: 'flow_median', code: shader(flowMedian), bindings: { src: R, dst: W, params: U }, uniforms: { size } }),
  smooth: defineProgram({
    name: 'flow_smooth',
    code: shader(flowSmooth),
    bindings: { src: R, luma: R, dst: W, params: U },
    uniforms: { size, radius: 'i32', sigma_space: 'f32', sigma_luma: 'f32', sigma_flow: 'f32' },
  }),
  splat: defineProgram({ name: 'splat', code: shader(splat), bindings: { fwd: R, coverage: W, params: U }, uniforms: { size } }),
  confidence: defineProgram({
    name: 'confidence',
    code: shader(confidence),
    bindings: { back: R, fwd: R, cur: R, prev: R, confidence: W, stats: W, params: U, coverage: R, field: W },
    uniforms: { size, crowding: 'u32' },
  }),
  warp: warpProgram(6),
  /** The same warp with a 4×4 kernel (the software plan's: see FlowSettings.warpTaps). */
  warp4: warpProgram(4),
  blurRows: defineProgram({
    name: 'blur_rows',
    code: shader(blurRows),
    bindings: { src: R, dst: W, params: U },
    uniforms: { size, sigma: 'f32' },
  }),
  /** The low band at half size, in two passes (the software plan's: see FlowSettings.lowBand). */
  lowHalf: defineProgram({
    name: 'low_half',
    code: shader(lowHalf),
    bindings: { src: R, dst: W, params: U },
    uniforms: { src_size: size, dst_size: size, sigma: 'f32', axis: 'u32' },
  }),
  compose: defineProgram({
    name: 'compose',
    code: shader(compose),
    bindings: { stylised: R, diff: R, rows: R, stats: R, carried: R, result: W, history: W, params: U },
    uniforms: {
      size,
      flow_size: size,
      alpha: 'f32',
      first: 'u32',
      cut_residual: 'f32',
      cut_inconsistent: 'f32',
      sigma: 'f32',
      mode: 'u32',
      max_age: 'f32',
      cell: 'f32',
      low_half: 'u32',
    },
  }),
};

export type TemporalPrograms = typeof temporalPrograms;

/**
 * The stage's programs. Their pipelines are compiled ahead by the frame pipeline's warm-up (pipeline/warm.ts, with the
 * device's async calls) or else on first use, and cached per device.
 */
export function temporalPipelines(_device: GPUDevice): TemporalPrograms {
  return temporalPrograms;
}

/** Owns the buffers it creates and destroys them together. */
export class BufferSet {
  readonly #device: GPUDevice;
  readonly #buffers: GPUBuffer[] = [];
  readonly #querySets: GPUQuerySet[] = [];

  constructor(device: GPUDevice) {
    this.#device = device;
  }

  storage(label: string, bytes: number): GPUBuffer {
    return this.#make(label, Math.max(16, bytes), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
  }

  /** A uniform buffer holding `data` (e.g. `program.uniforms({...})`), rewritable with `queue.writeBuffer`. */
  uniform(label: string, data: ArrayBuffer): GPUBuffer {
    const b = this.#make(label, Math.max(16, data.byteLength), GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    this.#device.queue.writeBuffer(b, 0, data);
    return b;
  }

  /** A buffer of any usage, owned like the others. */
  raw(label: string, bytes: number, usage: number): GPUBuffer {
    return this.#make(label, bytes, usage);
  }

  /** Takes ownership of a query set: destroyed with the buffers. */
  own(set: GPUQuerySet): GPUQuerySet {
    this.#querySets.push(set);
    return set;
  }

  #make(label: string, size: number, usage: number): GPUBuffer {
    const b = this.#device.createBuffer({ label, size: Math.ceil(size / 4) * 4, usage });
    this.#buffers.push(b);
    return b;
  }

  destroy(): void {
    for (const b of this.#buffers) b.destroy();
    for (const q of this.#querySets) q.destroy();
    this.#buffers.length = 0;
    this.#querySets.length = 0;
  }
}
