// The temporal stage: warps the previous output into the current frame along the optical flow and combines it
// with the new stylised frame, entirely on the GPU (no readback). Method "strokes" (default) splits the
// difference into bands: the low band is blended by α·confidence, the brush strokes are carried whole where the
// flow is trusted and refreshed after a while (shaders/compose.wgsl); "average" is the plain
// out = mix(stylised_t, warp(out_{t−1}), α·confidence).
import { DEFAULT_FLOW, FlowField, FlowSolver, LumaPyramid, pyramidSizes, type FlowSettings, type Size } from './flow.ts';
import { DEFAULT_TEMPORAL_METHOD, type TemporalMethod } from '../constants.ts';
import { dispatch, type Bound } from '../gpu/program.ts';
import { BufferSet, temporalPipelines, type TemporalPrograms } from './pipelines.ts';

/** Scene-cut thresholds (mean luma residual after warping; share of flow-inconsistent pixels). */
export const CUT_RESIDUAL = 0.1;
export const CUT_INCONSISTENT = 0.6;

/**
 * Flow resolution for an output of width×height: the same on a hardware GPU; on a software adapter (SwiftShader,
 * where flow costs several times the network) the short side is capped at SOFTWARE_FLOW_SIDE, with fewer iterations.
 * `side` overrides the size: the flow's short side in pixels (never above the output's); the settings stay the
 * device's (a smaller flow on a software adapter is still solved the software way). `solveEvery` (see FlowSettings):
 * the live governor's rung below the halved flow.
 * Tried and rejected for the software plan: the forward flow (it only tests the backward one) solved down to half
 * that size and upsampled saves a quarter of the stage, but bench:temporal's walking clip went from 0.45 to 0.54 of
 * off (moving regions 0.44 → 0.53: small people's motion boundaries fail the consistency test), with its zero-motion
 * test on that level too. Also tried (bench/results/temporal-software-trials.json): a 72 px short side takes walking
 * to 0.497 of off (static regions 0.51 → 0.62), above the 0.48 reference; 3 iterations instead of 4 is nearly
 * neutral (walking 0.447 → 0.456, interior 0.274 → 0.275, same detail) but saves only a small share of the stage.
 * A 5×5 LK window on the finest level (`fineRadius` 2; 7×7 on the coarser ones) is neutral too — walking 0.552 →
 * 0.541 of off, interior 0.375 → 0.386, detail 1.017 → 1.018 and 0.995 → 0.996 (quick runs with the clip read back
 * and enlarged by the cubic) — and makes the whole stage 0.83× as long (A/B per frame on the walking clip,
 * bench/results/stages-vm-fine-radius.json): the software plan uses it.
 * So does the 5×5 window on the coarser levels (`coarseRadius` 2: walking 0.541 → 0.537, interior 0.386 → 0.397,
 * detail unchanged), and occlusions found by crowding (`occlusion` 'crowding', see FlowSettings: no forward flow).
 * Together the stage takes 0.62× as long (median of 10 frames paired on the walking clip, the old plan 1.61× this one,
 * bench/results/stages-passes-vm-software-plan.json); walking 0.541 → 0.530 of off, interior 0.386 → 0.317, at detail
 * 1.017 → 1.019 and 0.997 → 0.987; where frame t+1 uncovers what t hid, the output departs from the per-frame one a
 * little more (mean |on − off| 0.055 → 0.057 and 0.082 → 0.094: crowding trusts a little more history there than
 * the forward–backward test did) (bench/results/temporal-software-trials.json). Tried and rejected there: 3 medians a
 * level and no edge-aware smoothing (walking 0.578, interior 0.454); no candidate search on the finest level, with the
 * coarser windows at 5×5 (walking 0.601, static regions 0.63 → 0.78); the flow solved every other frame
 * (`solveEvery` 2: about a quarter of the stage): a pan keeps its flow (interior 0.312 → 0.311) but walking people do
 * not (walking 0.532 → 0.664 of off, moving regions 0.51 → 0.66).
 * The warp resamples the history with the Keys cubic (`warpTaps` 4: 4×4 taps instead of Lanczos-3's 6×6; on SwiftShader
 * its cost goes with the taps read): the stage takes 0.92× as long (Lanczos-3's 1.087× this one, median of 12 paired
 * frames on the walking clip, load 1.6, bench/results/stages-passes-vm-warp-taps.json) at the same flicker and detail
 * (bench:temporal quick against main at 0a81220: walking 0.532 → 0.531 of off, detail 1.019 → 1.019; interior
 * 0.311 → 0.309, 0.985 → 0.986; bench/results/temporal-software-trials.json). The softer kernel's loss compounds over
 * the frames a stroke is carried, but probably too little to show: the walking clip's still background has an exactly
 * zero flow (one tap, either kernel), and a 16-frame half-pixel pan (temporal.test) keeps the output as sharp.
 * The low band is blurred at half size (`lowBand` 'half', shaders/low_half.wgsl: a quarter of the pixels, compose reads
 * 4 values bilinearly instead of blurring 11 down the column) at the same overall σ: the stage takes 0.88× as long
 * (the full-size band's 1.13× this one, median of 108 frames paired in 5 runs, per run 0.70–1.34, load 9–22:
 * bench/results/stages-passes-vm-h5-lowhalf-strain*.json) at the same flicker and detail (bench:temporal quick against
 * main at 0e8914b: walking 0.533 → 0.533 of off, detail 1.018 → 1.018; interior 0.309 → 0.310, 0.985 → 0.987; uncovered
 * |on − off| 0.0573 / 0.0940 → 0.0573 / 0.0944; bench/results/temporal-software-trials.json). σ = 2 network px is
 * wide enough that a half-size blur taken back up bilinearly differs from the full-size one by 0.6 % of what the
 * stage changes (temporal.test). With the warp's strain computed once per flow pixel (in confidence.wgsl) the two
 * together against main before them (0e8914b): 0.94× as long (the old 1.066× this one, median of 48 paired frames in
 * two runs, load 11–18, stages-passes-vm-h5-old-both-{1,2}.json: a local flag ran 0e8914b's warp and full-size band
 * in turn); the strain alone does not show above that noise (the old 0.97× this one, 48 frames,
 * stages-passes-vm-h5-old-strain-{1,2}.json), the warp replayed alone does (the old 1.18× this one, median of 5 runs,
 * 0.69–1.29, stages-passes-vm-h5-lowhalf-strain*.json). The warp then reads flow, confidence and strain packed in one
 * value per flow pixel (4 loads instead of 9, same output): the stage with the warp before that 1.035× this one (72
 * paired frames in 3 runs, 0.99–1.05, load 13–18, stages-passes-vm-h5-warp-field-*.json): within the noise.
 * Measured and not worth doing (2026-12-02, host vm): fewer median dispatches. Replayed alone, each dispatch on the
 * tiny levels costs ~2 ms, but that is the submission's, not the pass's: a stage with 1 median a level instead of 5 (16
 * dispatches fewer) takes 0.996× as long (12 paired frames, load 1.6,
 * bench/results/stages-passes-vm-medians-one-pass.json), so a level's medians folded into one dispatch (with workgroup
 * barriers, which SwiftShader runs as coroutines) cannot pay. Neither did splitting LK's match_window into a solve half
 * and a cost half (lk_r2 replayed alone 1.02–1.04×, two runs at load 1.7, not kept: the compiler already drops the half
 * a caller does not use), nor the compose's Gaussian weights by recurrence (compose replayed alone 1.13–1.23× as long,
 * three runs at load 1.6–1.8; in blur_rows, 0.72×, it is kept). Rejected: LK's candidate search only where the coarse
 * flows around a pixel differ by more than 1 px instead of 0.25 (finest lk_r2 replayed alone 0.88×, one run): walking
 * 0.533 → 0.587 of off, static regions 0.64 → 0.88 (bench/results/temporal-software-trials.json).
 * In CPU time (2026-12-02, `npm run bench:cpu`: /proc's counters of the bench's browser; wasm at 256 px on the shared
 * clip, load 8–27, bench/results/cpu-vm-*.json): with smoothing the GPU process (SwiftShader: two worker threads of
 * ~190 core-ms each, its main thread 30–60) takes 370–540 core-ms a frame, as much as the network's renderer
 * (350–550); the renderer's own core-ms with smoothing stay within their spread without (−70 to +85 a frame between
 * paired runs). So (c) ≤ 1.35 × (b) on two cores needs the stage at a fraction of the network's CPU, not a different
 * order of the same work: waiting for the stage before the next network (see CpuFrameStylizer.render) spent the same
 * core-ms and was slower. tfjs-wasm's second thread spins
 * when the cores are busy: with 1 thread instead of 2 the renderer took 0.54–0.67× the core-ms in (c) (0.53–0.72× in
 * (b)), SwiftShader the same, and (c) ran 1.31× faster (4 of 4 rounds, load 10–13, cpu-vm-threads-3.json; 1.09×, 3 of
 * 4, at load 8–12) — loaded-machine figures, where a spinning thread is worst; a quiet
 * `npm run bench:cpu -- --threads 2,1` decides whether a software adapter's machine should leave it a core.
 */
export const SOFTWARE_FLOW_SIDE = 96;
/** The flow's settings on a software adapter (see flowPlan). */
export const SOFTWARE_FLOW: FlowSettings = { ...DEFAULT_FLOW, iterations: 4, fineRadius: 2, coarseRadius: 2, occlusion: 'crowding', warpTaps: 4, lowBand: 'half' };

export function flowPlan(width: number, height: number, software: boolean, side?: number, solveEvery = 1): { size: Size; settings: FlowSettings } {
  const cap = side ?? (software ? SOFTWARE_FLOW_SIDE : Infinity);
  const scale = Math.min(1, cap / Math.min(width, height));
  return {
    size: { width: Math.max(8, Math.round(width * scale)), height: Math.max(8, Math.round(height * scale)) },
    settings: { ...(software ? SOFTWARE_FLOW : DEFAULT_FLOW), solveEvery },
  };
}


/** Longest life of carried strokes, in frames, at temporal strength α (refreshed from the network after it). */
export function maxStrokeAge(alpha: number): number {
  return 4 + 20 * alpha;
}

/**
 * Gaussian σ, in network pixels, that splits colour and shading (blended) from brush strokes (carried). The
 * network is fully convolutional, so its strokes are the same size in its own pixels at any inference size: σ is a
 * constant, not a fraction of the frame.
 */
export const LOW_BAND_SIGMA = 2;

export interface TemporalCost {
  /** Time of flow + confidence + blend for a frame, in ms. */
  ms: number;
  /** "gpu": the GPU's own timestamps (timestamp-query); "queue": CPU-observed, submit to done. */
  clock: 'gpu' | 'queue';
}

/**
 * Times the stage's compute pass without stalling the frame: with the device's timestamp-query feature, the GPU
 * writes begin/end stamps that are read back (16 bytes, never pixels) when they are ready; without it, the time from
 * submit to the queue reporting done. Either way nobody waits for it: `last` is the newest finished measurement.
 */
class PassTimer {
  readonly #query: { set: GPUQuerySet; resolve: GPUBuffer; read: GPUBuffer } | null;
  #reading = false;
  #pending: Promise<void> = Promise.resolve();
  last: TemporalCost | null = null;

  /**
   * `software`: the adapter emulates a GPU (SwiftShader), whose timestamps do not track the time the emulation
   * takes (measured here: 2.9 ms stamped against 50 ms to done), so the queue's clock is used.
   */
  constructor(device: GPUDevice, buffers: BufferSet, software: boolean) {
    this.#query = device.features.has('timestamp-query') && !software
      ? {
          set: buffers.own(device.createQuerySet({ label: 'temporal timestamps', type: 'timestamp', count: 2 })),
          resolve: buffers.raw('temporal timestamps', 16, GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC),
          read: buffers.raw('temporal timestamps read', 16, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST),
        }
      : null;
  }

  /** Compute-pass descriptor fields that make the GPU stamp this pass (none without timestamp-query). */
  passTimestamps(): Pick<GPUComputePassDescriptor, 'timestampWrites'> {
    const q = this.#query;
    return q && !this.#reading ? { timestampWrites: { querySet: q.set, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {};
  }

  /** Call with the encoder of the pass `passTimestamps` described, before finishing it. */
  encode(encoder: GPUCommandEncoder): boolean {
    const q = this.#query;
    if (!q || this.#reading) return false;
    encoder.resolveQuerySet(q.set, 0, 2, q.resolve, 0);
    encoder.copyBufferToBuffer(q.resolve, 0, q.read, 0, 16);
    return true;
  }

  /** After submit (`done`: the queue has finished it): collect this frame's figure when it is ready. */
  submitted(started: number, stamped: boolean, done: Promise<boolean>): void {
    const q = this.#query;
    if (q && stamped) {
      this.#reading = true;
      this.#pending = q.read
        .mapAsync(GPUMapMode.READ)
        .then(() => {
          const [begin, end] = new BigUint64Array(q.read.getMappedRange());
          if (end > begin) this.last = { ms: Number(end - begin) / 1e6, clock: 'gpu' };
          q.read.unmap();
        })
        .catch(() => undefined) // destroyed or device lost: no figure
        .finally(() => (this.#reading = false));
    } else if (!q) {
      this.#pending = done.then((ok) => void (ok && (this.last = { ms: performance.now() - started, clock: 'queue' })));
    }
  }

  /** Resolves when the newest measurement has landed in `last`. */
  settled(): Promise<void> {
    return this.#pending;
  }
}

/**
 * Owns every buffer that persists across frames (two luma pyramids, two flow fields, confidence, two outputs)
 * for one frame size; creates them once, destroys them in `dispose()`.
 */
export class TemporalStage {
  /** The output's size (the stylised frames'). */
  readonly size: Size;
  /** The flow's size (the input frames' for `process`); may be smaller than `size`. */
  readonly flowSize: Size;
  readonly #device: GPUDevice;
  readonly #programs: TemporalPrograms;
  readonly #buffers: BufferSet;
  readonly #pyramids: [LumaPyramid, LumaPyramid];
  readonly #solver: FlowSolver;
  readonly #back: FlowField;
  /** The forward flow (t−1 → t), for the forward–backward test; null where occlusions are found by crowding. */
  readonly #fwd: FlowField | null;
  readonly #confidence: GPUBuffer;
  readonly #stats: GPUBuffer;
  readonly #coverage: GPUBuffer;
  /** (backward flow, confidence, strain) per flow pixel, packed for the warp (confidence.wgsl → warp.wgsl). */
  readonly #field: GPUBuffer;
  readonly #splatGroup: Bound;
  readonly #outputs: [GPUBuffer, GPUBuffer];
  /** The outputs again as (RGB, stroke age) per pixel: what the warp reads back the next frame. */
  readonly #history: [GPUBuffer, GPUBuffer];
  readonly #diff: GPUBuffer;
  readonly #rows: GPUBuffer;
  readonly #carried: GPUBuffer;
  readonly #confidenceGroups: Bound[];
  readonly #warpParams: GPUBuffer;
  /** warp.wgsl with the plan's kernel (FlowSettings.warpTaps). */
  readonly #warp: TemporalPrograms['warp'];
  /** The low band's passes: blur_rows (lowBand 'full'), or low_half's two (lowBand 'half'). */
  readonly #lowPasses: { program: TemporalPrograms['blurRows'] | TemporalPrograms['lowHalf']; group: Bound; width: number; height: number }[];
  /** What compose reads as `rows`: blur_rows' output, or the low band at half size. */
  readonly #low: GPUBuffer;
  readonly #lowHalf: boolean;
  /**
   * Warp and compose groups per parity, per stylised buffer: everything else they bind is fixed for the parity, and
   * the network hands back a few pooled buffers, so each group is built once and found again on later frames.
   */
  readonly #frameGroups: [WeakMap<GPUBuffer, { warp: Bound; compose: Bound }>, WeakMap<GPUBuffer, { warp: Bound; compose: Bound }>] = [new WeakMap(), new WeakMap()];
  readonly #composeParams: GPUBuffer;
  readonly #sigma: number;
  /** How history and the new frame are combined; may change between frames. */
  method: TemporalMethod = DEFAULT_TEMPORAL_METHOD;
  /**
   * Work recorded into the stage's pass once a frame's flow and confidence are there (null on a first frame: no
   * flow) and before the blend reads `stylised` — the region stage writes `stylised` there from masks it carries
   * along this very flow, and reads the scene-cut stats of it (`stats`, see confidence.wgsl) to carry nothing over a cut.
   */
  beforeBlend: ((pass: GPUComputePassEncoder, flow: { back: GPUBuffer; confidence: GPUBuffer; stats: GPUBuffer; width: number; height: number } | null) => void) | null = null;
  #frame = 0;
  #first = true;
  /** Frames since the flow was last solved (see FlowSettings.solveEvery). */
  #sinceSolve = Infinity;
  readonly #solveEvery: number;
  readonly #timer: PassTimer;

  constructor(
    device: GPUDevice,
    width: number,
    height: number,
    flowSize: Size = { width, height },
    settings: FlowSettings = DEFAULT_FLOW,
    options: { software?: boolean } = {},
  ) {
    this.#device = device;
    this.size = { width, height };
    this.flowSize = flowSize;
    const programs = (this.#programs = temporalPipelines(device));
    this.#buffers = new BufferSet(device);
    const sizes = pyramidSizes(flowSize.width, flowSize.height, settings);
    const n = flowSize.width * flowSize.height;
    this.#pyramids = [0, 1].map(() => new LumaPyramid(device, programs, this.#buffers, sizes)) as [LumaPyramid, LumaPyramid];
    this.#solver = new FlowSolver(device, this.#buffers, sizes, settings);
    if (!Number.isInteger(settings.solveEvery) || settings.solveEvery < 1) throw new RangeError(`solveEvery must be a whole number ≥ 1, got ${settings.solveEvery}`);
    this.#solveEvery = settings.solveEvery;
    this.#back = new FlowField(this.#buffers, sizes, 'back');
    this.#fwd = settings.occlusion === 'forward-backward' ? new FlowField(this.#buffers, sizes, 'fwd') : null;
    // Splatted along the forward flow: what of t−1 lands on each pixel of t; along the backward one (crowding): how
    // many pixels of t land on each pixel of t−1.
    const splatted = this.#fwd?.result ?? this.#back.result;
    this.#confidence = this.#buffers.storage('confidence', n * 4);
    this.#stats = this.#buffers.storage('cut stats', 16);
    this.#coverage = this.#buffers.storage('coverage', n * 4);
    this.#field = this.#buffers.storage('flow, confidence, strain', n * 16);
    const m = width * height;
    this.#outputs = [this.#buffers.storage('temporal out 0', m * 12), this.#buffers.storage('temporal out 1', m * 12)];
    this.#history = [this.#buffers.storage('history 0', m * 16), this.#buffers.storage('history 1', m * 16)];
    this.#diff = this.#buffers.storage('warped difference', m * 16);
    this.#lowHalf = settings.lowBand === 'half';
    const half = { width: Math.ceil(width / 2), height: Math.ceil(height / 2) };
    this.#rows = this.#buffers.storage('difference, rows blurred', (this.#lowHalf ? half.width * half.height : m) * 16);
    this.#carried = this.#buffers.storage('carried age and strain', m * 8);
    this.#sigma = LOW_BAND_SIGMA;
    // confidence and splat share one Params at the flow's size (splat reads its `size` only).
    const sizeUniform = this.#buffers.uniform(
      'flow size',
      programs.confidence.uniforms({ size: [flowSize.width, flowSize.height], crowding: this.#fwd ? 0 : 1 }),
    );
    this.#confidenceGroups = [0, 1].map((parity) =>
      programs.confidence.bind(device, {
        back: this.#back.result,
        fwd: splatted,
        cur: this.#pyramids[parity].levels[0].luma,
        prev: this.#pyramids[1 - parity].levels[0].luma,
        confidence: this.#confidence,
        stats: this.#stats,
        params: sizeUniform,
        coverage: this.#coverage,
        field: this.#field,
      }),
    );
    this.#splatGroup = programs.splat.bind(device, { fwd: splatted, coverage: this.#coverage, params: sizeUniform });
    this.#warp = settings.warpTaps === 4 ? programs.warp4 : programs.warp;
    this.#warpParams = this.#buffers.uniform('warp params', this.#warp.uniforms({ size: [width, height], flow_size: [flowSize.width, flowSize.height] }));
    if (this.#lowHalf) {
      // σs such that the row pair's box (¼ px²), the Gaussian and the bilinear upsample (¾ px²) add up to σ² on each
      // axis (low_half.wgsl); floored at ½ px for a σ too small for it to matter.
      const sx = Math.sqrt(Math.max(0.25, this.#sigma ** 2 - 0.75));
      const sy = Math.sqrt(Math.max(0.25, this.#sigma ** 2 - 1)) / 2;
      const low = (this.#low = this.#buffers.storage('low band, half size', half.width * half.height * 16));
      const { lowHalf } = programs;
      const rowsParams = this.#buffers.uniform('low rows params', lowHalf.uniforms({ src_size: [width, height], dst_size: [half.width, half.height], sigma: sx, axis: 0 }));
      const colsParams = this.#buffers.uniform('low cols params', lowHalf.uniforms({ src_size: [half.width, half.height], dst_size: [half.width, half.height], sigma: sy, axis: 1 }));
      this.#lowPasses = [
        { program: lowHalf, group: lowHalf.bind(device, { src: this.#diff, dst: this.#rows, params: rowsParams }), ...half },
        { program: lowHalf, group: lowHalf.bind(device, { src: this.#rows, dst: low, params: colsParams }), ...half },
      ];
    } else {
      this.#low = this.#rows;
      const blurParams = this.#buffers.uniform('blur params', programs.blurRows.uniforms({ size: [width, height], sigma: this.#sigma }));
      this.#lowPasses = [{ program: programs.blurRows, group: programs.blurRows.bind(device, { src: this.#diff, dst: this.#rows, params: blurParams }), width, height }];
    }
    this.#composeParams = this.#buffers.raw('compose params', programs.compose.uniformSize, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    this.#timer = new PassTimer(device, this.#buffers, options.software ?? false);
  }

  /**
   * Flow + blend cost of the newest frame whose measurement has finished (usually the previous one: nothing waits
   * for the GPU to report it), or null.
   */
  get cost(): TemporalCost | null {
    return this.#timer.last;
  }

  /** Resolves once the cost of the last processed frame is in `cost`. */
  async settledCost(): Promise<TemporalCost | null> {
    await this.#timer.settled();
    return this.#timer.last;
  }


  /** Forget the history: the next frame is output as stylised (first frame, seek, new clip). */
  reset(): void {
    this.#first = true;
    this.#sinceSolve = Infinity;
  }

  /**
   * `input`: the frame as float32 NHWC RGB at `flowSize`; `stylised`: the network's output, same layout, at
   * `size`. Returns the blended output (owned by this stage, valid until the next call).
   * Nothing here waits for the GPU: the work is submitted in queue order after whatever made `input` and
   * `stylised`, and the output is read by whatever is submitted next.
   * `beforeBlend`, when set, is recorded into the same pass between the flow and the blend.
   */
  process(input: GPUBuffer, stylised: GPUBuffer, alpha: number): GPUBuffer {
    const { width, height } = this.size;
    const flow = this.flowSize;
    const parity = this.#frame % 2;
    const cur = this.#pyramids[parity];
    const prev = this.#pyramids[1 - parity];
    const out = this.#outputs[parity];
    const first = this.#first;

    const programs = this.#programs;

    const params = programs.compose.uniforms({
      size: [width, height],
      flow_size: [flow.width, flow.height],
      alpha,
      first: first ? 1 : 0,
      cut_residual: CUT_RESIDUAL,
      cut_inconsistent: CUT_INCONSISTENT,
      sigma: this.#sigma,
      mode: this.method === 'strokes' ? 1 : 0,
      max_age: maxStrokeAge(alpha),
      cell: Math.max(8, Math.min(width, height) / 10),
      low_half: this.#lowHalf ? 1 : 0,
    });
    this.#device.queue.writeBuffer(this.#composeParams, 0, params);
    const { warp: warpGroup, compose: composeGroup } = this.#groupsFor(parity, stylised);

    const started = performance.now();
    const encoder = this.#device.createCommandEncoder({ label: 'temporal' });
    encoder.clearBuffer(this.#stats);
    encoder.clearBuffer(this.#coverage);
    const pass = encoder.beginComputePass({ label: 'temporal', ...this.#timer.passTimestamps() });
    cur.build(pass, input);
    if (!first) {
      // A stale flow is never taken across a reset (the first flow after one is solved).
      if (this.#sinceSolve + 1 >= this.#solveEvery) {
        this.#solver.solve(pass, cur, prev, this.#back);
        if (this.#fwd) this.#solver.solve(pass, prev, cur, this.#fwd);
        this.#sinceSolve = 0;
      } else {
        this.#sinceSolve++;
      }
      dispatch(pass, programs.splat, this.#splatGroup, flow.width, flow.height);
      dispatch(pass, programs.confidence, this.#confidenceGroups[parity], flow.width, flow.height);
    }
    this.beforeBlend?.(pass, first ? null : { back: this.#back.result, confidence: this.#confidence, stats: this.#stats, width: flow.width, height: flow.height });
    if (!first && alpha > 0) {
      dispatch(pass, this.#warp, warpGroup, width, height);
      for (const low of this.#lowPasses) dispatch(pass, low.program, low.group, low.width, low.height);
    }
    dispatch(pass, programs.compose, composeGroup, width, height);
    pass.end();
    const stamped = this.#timer.encode(encoder);
    this.#device.queue.submit([encoder.finish()]);
    const done = this.#device.queue.onSubmittedWorkDone().then(() => true, () => false);
    this.#timer.submitted(started, stamped, done);
    this.#frame++;
    this.#first = false;
    return out;
  }

  /** The warp and compose groups of frame parity `parity` reading `stylised` (built on first use). */
  #groupsFor(parity: number, stylised: GPUBuffer): { warp: Bound; compose: Bound } {
    const cache = this.#frameGroups[parity];
    let groups = cache.get(stylised);
    if (!groups) {
      const { compose } = this.#programs;
      const device = this.#device;
      groups = {
        warp: this.#warp.bind(device, {
          stylised,
          previous: this.#history[1 - parity],
          field: this.#field,
          diff: this.#diff,
          carried: this.#carried,
          params: this.#warpParams,
        }),
        compose: compose.bind(device, {
          stylised,
          diff: this.#diff,
          rows: this.#low,
          stats: this.#stats,
          carried: this.#carried,
          result: this.#outputs[parity],
          history: this.#history[parity],
          params: this.#composeParams,
        }),
      };
      cache.set(stylised, groups);
    }
    return groups;
  }

  /** Flow t → t−1 of the last processed frame (for tests and the flow tool). */
  get backwardFlow(): GPUBuffer {
    return this.#back.result;
  }
  /** Flow t−1 → t of the last processed frame; null where occlusions are found by crowding (see FlowSettings). */
  get forwardFlow(): GPUBuffer | null {
    return this.#fwd?.result ?? null;
  }
  get confidence(): GPUBuffer {
    return this.#confidence;
  }

  dispose(): void {
    this.#buffers.destroy();
  }
}
