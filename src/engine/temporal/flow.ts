// Dense optical flow on the GPU: coarse-to-fine iterative Lucas–Kanade over a luma pyramid.
//
// Design note — why pyramidal LK and not DIS: DIS (Kroeger et al. 2016) is inverse-compositional LK on sparse
// patches, then densification and variational refinement; its speed comes from skipping pixels, which a CPU
// needs and a GPU does not. Solving a full (2R+1)² window at *every* pixel is the same estimator made dense,
// maps to one thread per pixel with no scatter/gather between patches, and the image gradient is computed once
// per frame and reused for both flow directions. Coarse-to-fine over a binomial pyramid handles large motion; a
// Tikhonov term keeps textureless regions at the coarser estimate instead of letting them diverge; a 3×3 median
// after each level removes the outliers of the per-pixel solve (motion blur, noise).
// Per-pixel LK fits the intensities best (lowest warp residual of all methods on real footage in bench:flow) but
// its field is rough, and the temporal stage carries strokes along it: a rough field jitters, stretches and
// shears them. So the medians are iterated (5 passes per level), the finest level gets an edge-aware smoothing
// (flow_smooth.wgsl, the part of a variational smoothness term), and the finest level keeps zero motion where its
// window cannot tell zero from the estimate and the coarser levels saw (almost) no motion — a still background
// under sensor and codec noise, or flat pavement, where LK otherwise wanders by a fraction of a pixel every frame
// and drags the carried strokes with it. Measured with bench:temporal's E_warp on the first 50 frames of the
// walking clip (software plan, strokes, α 0.7; on ÷ off, DIS-medium reference): 0.567 → 0.543 (medians) →
// 0.527 (+ smoothing) → 0.475 (+ zero test; still background 0.73 → 0.53), detail 0.878 → 0.892; interior pan
// 0.300 → 0.296. Without the "coarser levels saw no motion" condition the zero test gives more (walking 0.435,
// interior 0.249) but snaps flat areas of a real 3–4 px translation to zero (test EPE 0.23 → 0.34 px).
// bench:flow with all three: mean EPE 0.253 px = 0.70× DIS fast, 10 of 12 pairs at or below it (before: 0.285 px,
// 0.78×, 8 of 12); real footage against DeepFlow 1.58 px (1.68), warp residual still the lowest of all methods.
// Measured against OpenCV's DIS presets and Farneback by `npm run bench:flow` (bench/results/flow.json). λ: 1e-4
// lets flat noisy areas wander (real footage, 96-px software plan); 1e-2 holds low-texture areas back so hard that
// their error grows ~8× at 640×480 (0.11 → 1.1 px) and the mean passes DIS "fast" (1.26×); 1e-3 keeps the mean at
// 0.78× DIS fast, and the 96-px software plan at 0.53 px (1e-2: 0.69).
import { dispatch, type Bound, type ComputeProgram } from '../gpu/program.ts';
import { BufferSet, temporalPipelines, type TemporalPrograms } from './pipelines.ts';

export interface FlowSettings {
  /** Lucas–Kanade iterations per level. */
  iterations: number;
  /** The LK window's radius on the finest level (3: 7×7, as on the coarser levels; 2: 5×5, about half the work). */
  fineRadius: 2 | 3;
  /** The LK window's radius on the coarser levels. */
  coarseRadius: 2 | 3;
  /**
   * How the confidence finds occlusions: 'forward-backward' solves the flow both ways and tests that they agree
   * (Ruder et al.) and that something of frame t−1 lands on each pixel of t; 'crowding' solves only the backward
   * flow and distrusts the pixels of t that land where other pixels of t land too (in an occlusion, the occluder's
   * trailing edge and the background it uncovers come from the same place of t−1): half the flow's work.
   */
  occlusion: 'forward-backward' | 'crowding';
  /**
   * The flow is solved on one frame in `solveEvery` (1: every frame). In between, the last backward flow is taken
   * again (motion assumed steady over two frames): the pyramid, confidence, warp and blend still run on every frame,
   * so where the motion changed the photometric test distrusts the stale flow and the output stays per-frame there.
   */
  solveEvery: number;
  /**
   * Taps per axis of the kernel that resamples the previous output along the flow (warp.wgsl; not the flow's, but the
   * plan's): 6, Lanczos-3; 4, the Keys cubic, 16 taps instead of 36.
   */
  warpTaps: 4 | 6;
  /**
   * The resolution of the low band that compose.wgsl blends (the plan's too): 'full', blur_rows.wgsl and compose's
   * vertical half at the output's size; 'half', low_half.wgsl at half the size, taken back up bilinearly at the same
   * overall σ.
   */
  lowBand: 'full' | 'half';
  /** Tikhonov regulariser on the structure tensor (luma in [0,1], Scharr gradients). */
  lambda: number;
  /** Bilateral window: luma difference at which a pixel's weight falls to e^(−1/2). */
  sigmaLuma: number;
  /** The coarsest level's short side is at least this many pixels. */
  minLevelSize: number;
  maxLevels: number;
  /** 3×3 median passes after each level's solve (odd: raw → flow → raw → … → flow). */
  medianPasses: number;
  /** Edge-aware smoothing of the finest level after its medians (flow_smooth.wgsl): passes (even), radius, σs. */
  smoothPasses: number;
  smoothRadius: number;
  smoothSigmaSpace: number;
  smoothSigmaLuma: number;
  smoothSigmaFlow: number;
}

export const DEFAULT_FLOW: FlowSettings = {
  iterations: 6,
  fineRadius: 3,
  coarseRadius: 3,
  occlusion: 'forward-backward',
  solveEvery: 1,
  warpTaps: 6,
  lowBand: 'full',
  lambda: 1e-3,
  sigmaLuma: 0.15,
  minLevelSize: 12,
  maxLevels: 6,
  medianPasses: 5,
  smoothPasses: 2,
  smoothRadius: 2,
  smoothSigmaSpace: 1.5,
  smoothSigmaLuma: 0.1,
  smoothSigmaFlow: 1,
};

export interface Size {
  width: number;
  height: number;
}

export function pyramidSizes(width: number, height: number, s: FlowSettings = DEFAULT_FLOW): Size[] {
  const sizes: Size[] = [{ width, height }];
  while (sizes.length < s.maxLevels) {
    const last = sizes[sizes.length - 1];
    const next = { width: Math.ceil(last.width / 2), height: Math.ceil(last.height / 2) };
    if (Math.min(next.width, next.height) < s.minLevelSize) break;
    sizes.push(next);
  }
  return sizes;
}

interface PyramidLevel {
  size: Size;
  luma: GPUBuffer;
  grad: GPUBuffer;
}

let nextId = 0;

/** The luma pyramid of one frame, with the gradients that LK needs of a reference image. */
export class LumaPyramid {
  readonly id = nextId++;
  readonly levels: PyramidLevel[];
  readonly #groups: { program: ComputeProgram; group: Bound; size: Size }[];
  /** The luma pass's group per RGB input buffer (an importer reuses its buffer: built once per input). */
  readonly #lumaGroups = new WeakMap<GPUBuffer, Bound>();
  readonly #lumaGroup: (rgb: GPUBuffer) => Bound;
  readonly #programs: TemporalPrograms;

  constructor(device: GPUDevice, programs: TemporalPrograms, buffers: BufferSet, sizes: Size[]) {
    this.levels = sizes.map((size, l) => {
      const n = size.width * size.height;
      return {
        size,
        luma: buffers.storage(`luma L${l}`, n * 4),
        grad: buffers.storage(`grad L${l}`, n * 8),
      };
    });
    // luma and gradient share one Params { size } per level.
    const params = this.levels.map((lv, l) => buffers.uniform(`pyramid params L${l}`, programs.gradient.uniforms({ size: [lv.size.width, lv.size.height] })));
    const level0 = this.levels[0];
    this.#lumaGroup = (rgb) => {
      let group = this.#lumaGroups.get(rgb);
      if (!group) this.#lumaGroups.set(rgb, (group = programs.luma.bind(device, { rgb, luma: level0.luma, params: params[0] })));
      return group;
    };
    this.#groups = [];
    this.levels.forEach((lv, l) => {
      if (l > 0) {
        const prev = this.levels[l - 1];
        const down = buffers.uniform(
          `downsample L${l}`,
          programs.downsample.uniforms({ src_size: [prev.size.width, prev.size.height], dst_size: [lv.size.width, lv.size.height] }),
        );
        this.#groups.push({ program: programs.downsample, group: programs.downsample.bind(device, { src: prev.luma, dst: lv.luma, params: down }), size: lv.size });
      }
    });
    this.levels.forEach((lv, l) => {
      this.#groups.push({ program: programs.gradient, group: programs.gradient.bind(device, { luma: lv.luma, grad: lv.grad, params: params[l] }), size: lv.size });
    });
    this.#programs = programs;
  }

  /** Records the passes that fill the pyramid from an RGB float buffer of level 0's size. */
  build(pass: GPUComputePassEncoder, rgb: GPUBuffer): void {
    const { width, height } = this.levels[0].size;
    dispatch(pass, this.#programs.luma, this.#lumaGroup(rgb), width, height);
    for (const g of this.#groups) dispatch(pass, g.program, g.group, g.size.width, g.size.height);
  }
}

/** A flow field per pyramid level (level 0 is the result), plus scratch for the median filter. */
export class FlowField {
  readonly levels: { flow: GPUBuffer; raw: GPUBuffer; size: Size }[];

  constructor(buffers: BufferSet, sizes: Size[], label: string) {
    this.levels = sizes.map((size, l) => ({
      size,
      flow: buffers.storage(`${label} flow L${l}`, size.width * size.height * 8),
      raw: buffers.storage(`${label} raw L${l}`, size.width * size.height * 8),
    }));
  }

  get result(): GPUBuffer {
    return this.levels[0].flow;
  }
}

/** Runs coarse-to-fine LK between two pyramids of the same sizes; bind groups are cached per pair. */
export class FlowSolver {
  readonly #device: GPUDevice;
  readonly #programs: TemporalPrograms;
  readonly #lkParams: GPUBuffer[];
  readonly #medianParams: GPUBuffer[];
  readonly #smoothParams: GPUBuffer;
  readonly #smoothPasses: number;
  readonly #medianPasses: number;
  readonly #fineLk: ComputeProgram;
  readonly #coarseLk: ComputeProgram;
  readonly #groups = new Map<string, { lk: Bound; median: [Bound, Bound]; smooth: [Bound, Bound] | null }[]>();
  /** Bound as the "coarser flow" of the coarsest level, which has none (the shader ignores it there). */
  readonly #noCoarse: GPUBuffer;
  readonly sizes: Size[];

  constructor(device: GPUDevice, buffers: BufferSet, sizes: Size[], settings: FlowSettings = DEFAULT_FLOW) {
    this.#device = device;
    const programs = (this.#programs = temporalPipelines(device));
    this.sizes = sizes;
    this.#lkParams = sizes.map((size, l) => {
      const coarse = sizes[l + 1] ?? size;
      const data = programs.lk.uniforms({
        size: [size.width, size.height],
        coarse_size: [coarse.width, coarse.height],
        has_coarse: l + 1 < sizes.length ? 1 : 0,
        iterations: settings.iterations,
        lambda: settings.lambda,
        sigma_luma: settings.sigmaLuma,
        zero_test: l === 0 ? 1 : 0,
      });
      return buffers.uniform(`lk params L${l}`, data);
    });
    this.#medianParams = sizes.map((s, l) => buffers.uniform(`median params L${l}`, programs.median.uniforms({ size: [s.width, s.height] })));
    if (settings.medianPasses < 1 || settings.medianPasses % 2 !== 1) throw new RangeError(`medianPasses must be odd, got ${settings.medianPasses}`);
    if (settings.smoothPasses < 0 || settings.smoothPasses % 2 !== 0) throw new RangeError(`smoothPasses must be even, got ${settings.smoothPasses}`);
    const smooth = programs.smooth.uniforms({
      size: [sizes[0].width, sizes[0].height],
      radius: settings.smoothRadius,
      sigma_space: settings.smoothSigmaSpace,
      sigma_luma: settings.smoothSigmaLuma,
      sigma_flow: settings.smoothSigmaFlow,
    });
    this.#smoothParams = buffers.uniform('smooth params L0', smooth);
    this.#smoothPasses = settings.smoothPasses;
    this.#medianPasses = settings.medianPasses;
    this.#fineLk = settings.fineRadius === 2 ? programs.lk5 : programs.lk;
    this.#coarseLk = settings.coarseRadius === 2 ? programs.lk5 : programs.lk;
    this.#noCoarse = buffers.storage('no coarser flow', 16);
  }

  /** Records the passes for the flow mapping pixels of `from` to their place in `to`, into `out`. */
  solve(pass: GPUComputePassEncoder, from: LumaPyramid, to: LumaPyramid, out: FlowField): void {
    const key = `${from.id}>${to.id}>${out.result.label}`;
    let groups = this.#groups.get(key);
    if (!groups) {
      const { median, smooth } = this.#programs;
      const device = this.#device;
      groups = this.sizes.map((_, l) => {
        const a = from.levels[l];
        const b = to.levels[l];
        const o = out.levels[l];
        const coarse = out.levels[l + 1]?.flow ?? this.#noCoarse;
        return {
          lk: (l === 0 ? this.#fineLk : this.#coarseLk).bind(device, { i0: a.luma, grad0: a.grad, i1: b.luma, coarse, flow: o.raw, params: this.#lkParams[l] }),
          median: [
            median.bind(device, { src: o.raw, dst: o.flow, params: this.#medianParams[l] }),
            median.bind(device, { src: o.flow, dst: o.raw, params: this.#medianParams[l] }),
          ],
          // Finest level only; flow → raw → flow, so that an even number of passes ends where the medians did.
          smooth:
            l === 0
              ? [
                  smooth.bind(device, { src: o.flow, luma: a.luma, dst: o.raw, params: this.#smoothParams }),
                  smooth.bind(device, { src: o.raw, luma: a.luma, dst: o.flow, params: this.#smoothParams }),
                ]
              : null,
        };
      });
      this.#groups.set(key, groups);
    }
    for (let l = this.sizes.length - 1; l >= 0; l--) {
      const { width, height } = this.sizes[l];
      const { median, smooth } = this.#programs;
      dispatch(pass, l === 0 ? this.#fineLk : this.#coarseLk, groups[l].lk, width, height);
      for (let k = 0; k < this.#medianPasses; k++) dispatch(pass, median, groups[l].median[k % 2], width, height);
      const smoothGroups = groups[l].smooth;
      if (smoothGroups) for (let k = 0; k < this.#smoothPasses; k++) dispatch(pass, smooth, smoothGroups[k % 2], width, height);
    }
  }
}
