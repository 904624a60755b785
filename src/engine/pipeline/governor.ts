// The live governor: holds a target frame rate by trading quality for time. Pure (no browser API), so its
// decisions are unit-tested in Node with made-up costs.
//
// Quality levels, best first: guided upsampling gives way to the plain cubic (it costs about a fifth of a frame on a
// software adapter); then the inference size steps down from the user's size to a floor; at the floor the optical
// flow's size halves, then the flow is solved on every other frame only (the last one taken again in between: about a
// quarter of the smoothing's cost, and still far less flicker than none — bench/results/temporal-software-trials.json);
// last, smoothing turns off. Each frame reports how long it kept the pipeline busy;
// the governor jumps straight to the level whose estimated cost fits the budget (cost scales with pixels), and
// climbs back one level at a time when the next level up is estimated, or was measured, to fit with room.

/** Short side the governor never goes below (unless the user's own size is smaller). */
export const LIVE_FLOOR_SIZE = 96;
/** Short side the flow never goes below when the governor shrinks it. */
export const LIVE_FLOOR_FLOW = 48;
/** Default live target, frames per second. */
export const DEFAULT_TARGET_FPS = 24;
/** Frames not counted at the start and after a change: the first frames at a new size include its warm-up. */
const SETTLE_FRAMES = 2;
/** Each size step multiplies the short side by this (≈ 0.64× the pixels). */
const SIZE_STEP = 0.8;
/**
 * A frame's cost with guided upsampling against the cubic, as measured end to end on a software adapter
 * (bench/results/upsample-vm-pipeline.json: 1.20×); a hardware GPU pays less, and the measured cost corrects it.
 */
const GUIDED_COST = 1.2;
/**
 * A frame's cost with smoothing against without, where the flow is solved every frame, until frames report their
 * stage costs: then 1 + smoothing's time over the network's, as measured (a software adapter's smoothing costs
 * several networks at small sizes: bench/results/suite-vm-wasm.json, (c)/(b) 4.3 at 128 px).
 */
const SMOOTHING_COST = 1.35;
/** Bounds of the measured factor (a stall or a 0-ms reading must not throw the estimates out). */
const SMOOTHING_COST_RANGE: [number, number] = [1.05, 8];
/** The share of smoothing's cost left when the flow is solved every other frame (LK, medians and smoothing are about half of the stage: bench:stages --only passes). */
const FLOW_EVERY_2_SHARE = 0.75;

export interface QualityLevel {
  /** Short side of the network's input, px (multiple of 4). */
  size: number;
  /** Short side of the optical flow, px; undefined = the engine's default for the device. */
  flowSize: number | undefined;
  /** Temporal smoothing on at this level (when the user asked for it). */
  smoothing: boolean;
  /** The flow is solved on one frame in this many (1: every frame; see FlowSettings.solveEvery). */
  flowEvery: number;
  /** Guided upsampling at this level (when the user asked for it and it runs: output on a WebGPU device). */
  guided: boolean;
}

export interface GovernorState {
  /** Frames per second the governor aims for. */
  targetFps: number;
  /** 0 = best quality (the user's settings); `levels - 1` = the floor. */
  level: number;
  levels: number;
  size: number;
  flowSize: number | null;
  smoothing: boolean;
  /** The flow is solved on one frame in this many (1: every frame). */
  flowEvery: number;
  /** How the output is enlarged at this level. */
  upsample: 'guided' | 'cubic';
  /** Smoothed time one frame keeps the pipeline busy, ms (null until measured). */
  frameMs: number | null;
  /** Frames per second the current level can give (1000 / frameMs). */
  capacityFps: number | null;
  /** At the floor and still slower than the target: the target cannot be reached on this machine. */
  belowTarget: boolean;
  /** Not adaptive: the governor measures but keeps the user's quality. */
  fixed: boolean;
  /** One sentence for an overlay. */
  summary: string;
}

export interface GovernorOptions {
  targetFps: number;
  /** The user's inference size (best quality). */
  size: number;
  /** Smoothing requested by the user (α > 0 and a WebGPU device exists). */
  smoothing: boolean;
  /** The user's flow size, if set; else the engine's default. */
  flowSize?: number;
  /** Guided upsampling asked for and possible (the output is presented on a WebGPU device). */
  guided?: boolean;
  /** The flow's default short side at a given inference size (e.g. 96 on a software adapter), for halving. */
  defaultFlowSide?: (size: number) => number;
  /** false: keep the user's settings whatever the speed (the governor only measures). */
  enabled?: boolean;
}

const round4 = (v: number) => Math.max(16, Math.round(v / 4) * 4);

/** The ladder of quality levels for these settings, best first. */
export function qualityLevels(o: GovernorOptions): QualityLevel[] {
  const levels: QualityLevel[] = [];
  const floor = Math.min(o.size, LIVE_FLOOR_SIZE);
  let s = o.size;
  if (o.guided) levels.push({ size: s, flowSize: o.flowSize, smoothing: o.smoothing, flowEvery: 1, guided: true });
  for (;;) {
    levels.push({ size: s, flowSize: o.flowSize, smoothing: o.smoothing, flowEvery: 1, guided: false });
    if (s <= floor) break;
    s = Math.max(floor, round4(s * SIZE_STEP));
  }
  if (o.smoothing) {
    const side = Math.min(o.flowSize ?? o.defaultFlowSide?.(floor) ?? floor, floor);
    const half = Math.max(LIVE_FLOOR_FLOW, Math.round(side / 2));
    if (half < side) levels.push({ size: floor, flowSize: half, smoothing: true, flowEvery: 1, guided: false });
    levels.push({ size: floor, flowSize: half < side ? half : o.flowSize, smoothing: true, flowEvery: 2, guided: false });
    levels.push({ size: floor, flowSize: undefined, smoothing: false, flowEvery: 1, guided: false });
  }
  return levels;
}

/**
 * Relative cost of a level against another: the network dominates and scales with pixels; smoothing and guided
 * upsampling add a share.
 */
function relativeCost(a: QualityLevel, b: QualityLevel, smoothingCost = SMOOTHING_COST): number {
  const smoothing = (l: QualityLevel) => (l.smoothing ? 1 + (smoothingCost - 1) * (l.flowEvery === 2 ? FLOW_EVERY_2_SHARE : 1) : 1);
  const px = (l: QualityLevel) => l.size * l.size * smoothing(l) * (l.guided ? GUIDED_COST : 1);
  return px(a) / px(b);
}

export class Governor {
  readonly levels: QualityLevel[];
  #level = 0;
  #targetFps: number;
  readonly #enabled: boolean;
  #ema: number | null = null;
  /** Frames to ignore at the start and after a change (a new size compiles, allocates and warms up). */
  #settle = SETTLE_FRAMES;
  /** Last measured cost per level, ms, and when (ms clock of `observe`). */
  readonly #measured = new Map<number, { ms: number; at: number }>();
  #lastChange = -Infinity;
  /** Smoothing's cost factor (see SMOOTHING_COST), learnt from the frames' stage costs; null until a frame reports them. */
  #smoothingCost: number | null = null;

  constructor(options: GovernorOptions) {
    if (!(options.targetFps > 0 && Number.isFinite(options.targetFps))) throw new RangeError(`targetFps must be a positive number, got ${options.targetFps}`);
    this.levels = qualityLevels(options);
    this.#targetFps = options.targetFps;
    this.#enabled = options.enabled ?? true;
  }

  get current(): QualityLevel {
    return this.levels[this.#level];
  }

  get targetFps(): number {
    return this.#targetFps;
  }

  set targetFps(fps: number) {
    if (!(fps > 0 && Number.isFinite(fps))) throw new RangeError(`targetFps must be a positive number, got ${fps}`);
    this.#targetFps = fps;
  }

  /** Smoothing's cost factor in the estimates: learnt (see `observe`) or the default. */
  get smoothingCost(): number {
    return this.#smoothingCost ?? SMOOTHING_COST;
  }

  get budgetMs(): number {
    return 1000 / this.#targetFps;
  }

  /**
   * One frame kept the pipeline busy for `busyMs` (read → shown); `now` is a ms clock. `stages`, when the frame
   * reports them: its network's and smoothing's times, from which smoothing's real share of a frame is learnt (the
   * estimate of every level with and without it). Returns the level to use for the next frame (the same object when
   * nothing changes).
   */
  observe(busyMs: number, now: number, stages?: { networkMs: number; temporalMs: number | null }): QualityLevel {
    if (!(busyMs >= 0 && Number.isFinite(busyMs))) return this.current;
    if (this.#settle > 0) {
      this.#settle--;
      return this.current;
    }
    if (stages && this.current.smoothing && this.current.flowEvery === 1 && stages.temporalMs !== null && stages.networkMs > 0 && stages.temporalMs >= 0) {
      const [lo, hi] = SMOOTHING_COST_RANGE;
      const factor = Math.min(hi, Math.max(lo, 1 + stages.temporalMs / stages.networkMs));
      this.#smoothingCost = this.#smoothingCost === null ? factor : 0.8 * this.#smoothingCost + 0.2 * factor;
    }
    this.#ema = this.#ema === null ? busyMs : 0.7 * this.#ema + 0.3 * busyMs;
    this.#measured.set(this.#level, { ms: this.#ema, at: now });
    if (!this.#enabled) return this.current;
    const budget = this.budgetMs;
    if (this.#ema > budget * 1.15 && this.#level < this.levels.length - 1) {
      // Too slow: the best level whose estimated cost fits, at least one step down.
      let next = this.#level + 1;
      while (next < this.levels.length - 1 && this.#ema * relativeCost(this.levels[next], this.current, this.smoothingCost) > budget) next++;
      return this.#change(next, now);
    }
    if (this.#level > 0 && now - this.#lastChange > 2000) {
      const up = this.#level - 1;
      const known = this.#measured.get(up);
      const estimate = known && now - known.at < 15_000 ? known.ms : this.#ema * relativeCost(this.levels[up], this.current, this.smoothingCost);
      if (estimate < budget * 0.85) return this.#change(up, now);
    }
    return this.current;
  }

  #change(level: number, now: number): QualityLevel {
    this.#level = level;
    this.#ema = null;
    this.#settle = SETTLE_FRAMES;
    this.#lastChange = now;
    return this.current;
  }

  state(): GovernorState {
    const l = this.current;
    const frameMs = this.#ema ?? this.#measured.get(this.#level)?.ms ?? null;
    const capacityFps = frameMs ? 1000 / frameMs : null;
    const atFloor = this.#level === this.levels.length - 1;
    const belowTarget = atFloor && capacityFps !== null && capacityFps < this.#targetFps * 0.87;
    const what = `${l.size} px${l.smoothing ? (l.flowSize ? `, flow ${l.flowSize} px` : ', smoothing on') : ', smoothing off'}${l.smoothing && l.flowEvery > 1 ? ', flow every other frame' : ''}${l.guided ? ', guided upsampling' : ''}`;
    const summary = !this.#enabled
      ? `fixed quality (${what})`
      : belowTarget
        ? `at its floor (${what}) and still below ${fmt(this.#targetFps)} fps: about ${fmt(capacityFps!)} fps is the most this machine gives`
        : this.#level === 0
          ? `full quality (${what}) for ${fmt(this.#targetFps)} fps`
          : `lowered to ${what} to hold ${fmt(this.#targetFps)} fps`;
    return { targetFps: this.#targetFps, level: this.#level, levels: this.levels.length, size: l.size, flowSize: l.flowSize ?? null, smoothing: l.smoothing, flowEvery: l.flowEvery, upsample: l.guided ? 'guided' : 'cubic', frameMs, capacityFps, belowTarget, fixed: !this.#enabled, summary };
  }
}

const fmt = (fps: number) => (fps >= 10 ? fps.toFixed(0) : fps.toFixed(1));

/**
 * The frame rate actually delivered, below 1 fps too: frames over the span they took (last few seconds), and when
 * output stalls the rate falls with the time since the last frame instead of holding its old value.
 */
export class RateMeter {
  readonly #times: number[] = [];
  readonly #windowMs: number;

  constructor(windowMs = 3000) {
    this.#windowMs = windowMs;
  }

  tick(now: number): void {
    this.#times.push(now);
    // Keep at least two frames, so a rate below 1/window still has a span.
    while (this.#times.length > 2 && this.#times[0] < now - this.#windowMs) this.#times.shift();
  }

  rate(now: number): number {
    const n = this.#times.length;
    if (n < 2) return 0;
    const first = this.#times[0];
    const last = this.#times[n - 1];
    const fps = ((n - 1) * 1000) / Math.max(1e-3, last - first);
    const sinceLast = now - last;
    const gap = (last - first) / (n - 1);
    // No frame for longer than the usual gap: the rate so far overstates it.
    return sinceLast > gap ? Math.min(fps, 1000 / sinceLast) : fps;
  }
}
