// The live governor's decisions, with made-up frame costs: which level it picks, when it climbs back, and what
// it says when even its floor is too slow.
import { describe, expect, it } from 'vitest';
import { Governor, LIVE_FLOOR_SIZE, RateMeter, qualityLevels } from '../../src/engine/pipeline/governor.ts';

/** A pipeline whose frame cost scales with pixels (and 35 % more with smoothing), `msAt256` at 256 px with smoothing. */
const costOf = (msAt256: number) => (l: { size: number; smoothing: boolean }) => msAt256 * ((l.size * l.size) / (256 * 256)) * (l.smoothing ? 1 : 1 / 1.35);

function drive(g: Governor, cost: (l: { size: number; smoothing: boolean; guided: boolean }) => number, frames: number, start = 0, stepMs = 50): number {
  let now = start;
  for (let i = 0; i < frames; i++) {
    g.observe(cost(g.current), now);
    now += stepMs;
  }
  return now;
}

describe('quality ladder', () => {
  it('steps the size down to the floor, then halves the flow, then solves it every other frame, then turns smoothing off', () => {
    const levels = qualityLevels({ targetFps: 24, size: 256, smoothing: true, defaultFlowSide: () => 96 });
    expect(levels[0]).toEqual({ size: 256, flowSize: undefined, smoothing: true, flowEvery: 1, guided: false });
    const sizes = levels.map((l) => l.size);
    expect(sizes.every((s, i) => i === 0 || s <= sizes[i - 1])).toBe(true);
    expect(sizes.every((s) => s % 4 === 0)).toBe(true);
    expect(levels.slice(0, -3).every((l) => l.flowEvery === 1 && l.smoothing)).toBe(true);
    expect(levels.at(-3)).toEqual({ size: LIVE_FLOOR_SIZE, flowSize: 48, smoothing: true, flowEvery: 1, guided: false });
    expect(levels.at(-2)).toEqual({ size: LIVE_FLOOR_SIZE, flowSize: 48, smoothing: true, flowEvery: 2, guided: false });
    expect(levels.at(-1)).toEqual({ size: LIVE_FLOOR_SIZE, flowSize: undefined, smoothing: false, flowEvery: 1, guided: false });
  });

  it('solves the flow every other frame before giving smoothing up where the flow cannot halve, and says so', () => {
    const levels = qualityLevels({ targetFps: 24, size: 96, smoothing: true, flowSize: 48 });
    expect(levels).toEqual([
      { size: 96, flowSize: 48, smoothing: true, flowEvery: 1, guided: false },
      { size: 96, flowSize: 48, smoothing: true, flowEvery: 2, guided: false },
      { size: 96, flowSize: undefined, smoothing: false, flowEvery: 1, guided: false },
    ]);
    const g = new Governor({ targetFps: 24, size: 96, smoothing: true, flowSize: 48 });
    let now = 0;
    // 80 ms a frame against a 41.7 ms budget: down to smoothing off.
    for (let i = 0; i < 10; i++) g.observe(80, (now += 80));
    expect(g.state().smoothing).toBe(false);
    // Then 25 ms a frame without smoothing: after 2 s it climbs one rung, to the flow solved every other frame.
    for (let i = 0; i < 100 && !g.state().smoothing; i++) g.observe(25, (now += 25));
    expect(g.state().level).toBe(1);
    expect(g.state().flowEvery).toBe(2);
    expect(g.state().summary).toContain('flow every other frame');
  });

  it('gives up guided upsampling first, at the same size, before any size step', () => {
    const levels = qualityLevels({ targetFps: 24, size: 256, smoothing: true, guided: true, defaultFlowSide: () => 96 });
    expect(levels.slice(0, 2)).toEqual([
      { size: 256, flowSize: undefined, smoothing: true, flowEvery: 1, guided: true },
      { size: 256, flowSize: undefined, smoothing: true, flowEvery: 1, guided: false },
    ]);
    expect(levels.slice(1).every((l) => !l.guided)).toBe(true);
    expect(levels.length).toBe(qualityLevels({ targetFps: 24, size: 256, smoothing: true, defaultFlowSide: () => 96 }).length + 1);
  });

  it('never raises a size the user set below the floor, and has no smoothing steps when smoothing is off', () => {
    expect(qualityLevels({ targetFps: 24, size: 64, smoothing: false })).toEqual([{ size: 64, flowSize: undefined, smoothing: false, flowEvery: 1, guided: false }]);
  });
});

describe('governor', () => {
  it('keeps full quality when it fits the budget', () => {
    const g = new Governor({ targetFps: 24, size: 256, smoothing: true });
    drive(g, costOf(20), 50);
    expect(g.state()).toMatchObject({ level: 0, size: 256, smoothing: true, belowTarget: false });
  });

  it('drops guided upsampling, and only that, when it is all that stands between it and the target', () => {
    const g = new Governor({ targetFps: 24, size: 256, smoothing: true, guided: true, defaultFlowSide: () => 96 });
    // 48 ms a frame at full quality against a 41.7 ms budget (+15 % before it acts): without guided's fifth it fits.
    drive(g, (l) => (l.guided ? 48 : 48 / 1.2) * (l.size / 256) ** 2, 60);
    expect(g.state()).toMatchObject({ level: 1, size: 256, smoothing: true, upsample: 'cubic', belowTarget: false });
    expect(g.state().summary).toMatch(/lowered to 256 px, smoothing on/);
    const full = new Governor({ targetFps: 24, size: 256, smoothing: true, guided: true });
    drive(full, () => 20, 40);
    expect(full.state()).toMatchObject({ level: 0, upsample: 'guided' });
    expect(full.state().summary).toMatch(/full quality .*guided upsampling/);
  });

  it('drops straight to a level that fits, then holds it', () => {
    const g = new Governor({ targetFps: 24, size: 256, smoothing: true, defaultFlowSide: () => 96 });
    // 120 ms at 256 px: needs about a third of the pixels to fit 41.7 ms.
    drive(g, costOf(120), 60);
    const s = g.state();
    expect(s.level).toBeGreaterThan(0);
    expect(s.size).toBeLessThan(256);
    expect(costOf(120)(g.current)).toBeLessThanOrEqual(1000 / 24 * 1.15);
    expect(s.belowTarget).toBe(false);
    expect(s.summary).toMatch(/lowered to/);
  });

  it('runs at the floor and says so when nothing reaches the target', () => {
    const g = new Governor({ targetFps: 24, size: 256, smoothing: true, defaultFlowSide: () => 96 });
    drive(g, costOf(3000), 40);
    const s = g.state();
    expect(s.level).toBe(s.levels - 1);
    expect(s.smoothing).toBe(false);
    expect(s.belowTarget).toBe(true);
    expect(s.capacityFps).toBeLessThan(24);
    expect(s.summary).toMatch(/at its floor .* below 24 fps/);
  });

  it('climbs back when the load goes away, one level at a time, not before 2 s', () => {
    const g = new Governor({ targetFps: 24, size: 256, smoothing: true });
    let now = drive(g, costOf(200), 30);
    const low = g.state().level;
    expect(low).toBeGreaterThan(0);
    // The machine gets 20× faster: the governor climbs back to full quality.
    now = drive(g, costOf(10), 10, now, 50);
    expect(g.state().level).toBe(low); // 0.5 s later: still waiting
    drive(g, costOf(10), 400, now, 50);
    expect(g.state().level).toBe(0);
  });

  it('does not oscillate around a level it measured too slow', () => {
    const g = new Governor({ targetFps: 24, size: 256, smoothing: true });
    const changes: number[] = [];
    let last = g.state().level;
    let now = 0;
    for (let i = 0; i < 600; i++) {
      g.observe(costOf(60)(g.current), now);
      now += 50;
      if (g.state().level !== last) changes.push(i);
      last = g.state().level;
    }
    // One move down; at most one probe up within the window a measurement stays valid (15 s = 300 frames here).
    expect(changes.length).toBeLessThanOrEqual(3);
  });

  it("learns smoothing's share from the frames' stage costs, and picks the rung that fits by it", () => {
    // 120 ms a frame against a 100 ms budget, at the floor with the flow at 48 px. The default share (1.35) says the
    // flow every other frame would still take ~112 ms: off. Frames that report smoothing at 100 ms beside a 30 ms
    // network (a software adapter) say it takes ~97 ms: that rung.
    const run = (stages?: { networkMs: number; temporalMs: number | null }) => {
      const g = new Governor({ targetFps: 10, size: 96, smoothing: true, flowSize: 48 });
      let now = 0;
      for (let i = 0; i < 3; i++) g.observe(120, (now += 120), stages);
      return g;
    };
    const told = run({ networkMs: 30, temporalMs: 100 });
    expect(told.smoothingCost).toBeCloseTo(1 + 100 / 30, 5);
    expect(told.state()).toMatchObject({ level: 1, smoothing: true, flowEvery: 2 });
    const untold = run();
    expect(untold.smoothingCost).toBe(1.35);
    expect(untold.state()).toMatchObject({ level: 2, smoothing: false });
    // Nothing measured (temporalMs null) or an absurd reading changes nothing, or stays within bounds.
    expect(run({ networkMs: 30, temporalMs: null }).smoothingCost).toBe(1.35);
    expect(run({ networkMs: 1, temporalMs: 5000 }).smoothingCost).toBe(8);
  });

  it('measures but never changes quality when disabled', () => {
    const g = new Governor({ targetFps: 24, size: 256, smoothing: true, enabled: false });
    drive(g, costOf(3000), 40);
    expect(g.state()).toMatchObject({ level: 0, size: 256 });
    expect(g.state().summary).toMatch(/fixed quality/);
    expect(g.state().fixed).toBe(true);
  });

  it('refuses a target that is not a positive number', () => {
    expect(() => new Governor({ targetFps: 0, size: 256, smoothing: true })).toThrow(RangeError);
  });
});

describe('rate meter', () => {
  it('reports rates below 1 fps and falls while output stalls', () => {
    const m = new RateMeter();
    m.tick(0);
    m.tick(5000);
    expect(m.rate(5000)).toBeCloseTo(0.2, 5);
    m.tick(10_000);
    expect(m.rate(10_000)).toBeCloseTo(0.2, 5);
    expect(m.rate(20_000)).toBeCloseTo(0.1, 5); // 10 s without a frame
  });

  it('averages over its window at normal rates', () => {
    const m = new RateMeter(3000);
    for (let t = 0; t <= 10_000; t += 40) m.tick(t);
    expect(m.rate(10_000)).toBeCloseTo(25, 1);
  });
});
