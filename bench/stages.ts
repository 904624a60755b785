// npm run bench:stages — where a frame's time goes on a CPU backend (tfjs-wasm) with smoothing on a WebGPU device of
// our own: every step timed alone (its GPU work waited for before the next starts, so nothing overlaps and each
// figure is that step's own cost), beside the steps of the smoothing-off path on the same frames. JSON on stdout and
// in bench/results/stages-<tag>.json. Options: --frames N (timed frames, default 8), --size PX (default 256),
// --gpu hardware|software|auto (default auto), --tag NAME (default the host name).
// --only passes: the temporal stage alone, each of its dispatches replayed by itself (same inputs as in the frame) and
// timed, grouped by program and grid (bench/results/stages-passes-<tag>.json): where the stage's time goes.
// --variant PROGRAM=FILE.wgsl (with --only passes): PROGRAM's dispatches replayed with that WGSL as well, in turn
// with the original, for an A/B of a shader change in one page. --flow JSON (with --only passes): a second stage with
// these FlowSettings over the plan's, timed on the same frames in turn with the plan's.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSession } from '../src/cli/browser.ts';
import type { GpuMode } from '../src/cli/gpu.ts';
import type { StageRun } from './stages-page.ts';
import { GPU_CHOICES, ROOT, SHARED_MEDIA, log, machine, median, option, parseBenchArgs, round, run } from './util.ts';

parseBenchArgs(
  `npm run bench:stages [-- options]
where a frame's time goes on tfjs-wasm with smoothing on a WebGPU device: every step timed alone, beside the
smoothing-off path's steps on the same frames
  --frames N                timed frames (default 8)
  --size PX                 the network's short side (default 256)
  --gpu hardware|software|auto   the WebGPU adapter (default auto)
  --only passes             the temporal stage alone, each dispatch replayed by itself (stages-passes-<tag>.json)
  --variant PROGRAM=FILE.wgsl   (with --only passes) PROGRAM's dispatches replayed with that WGSL too, in turn
  --flow JSON               (with --only passes) a second stage with these FlowSettings over the plan's, in turn
  --tag NAME                bench/results/stages-NAME.json (default: the host name)
  env: STYLECAST_BENCH_TAG (--tag's default)`,
  { name: 'bench:stages', valued: ['frames', 'size', 'gpu', 'only', 'variant', 'flow', 'tag'], choices: { gpu: GPU_CHOICES, only: ['passes'] } },
);

const FRAMES = Number(option('frames') ?? 8);
const SIZE = Number(option('size') ?? 256);
const GPU = (option('gpu') ?? 'auto') as GpuMode;
const TAG = (option('tag') ?? process.env.STYLECAST_BENCH_TAG ?? hostname()).replace(/[^A-Za-z0-9._-]+/g, '-');
const ONLY = option('only') as 'passes' | undefined;
/** --variant PROGRAM=FILE.wgsl: replay PROGRAM's dispatches with this WGSL too (flow_common.wgsl is put in front). */
const VARIANT = option('variant');
/** --flow JSON (with --only passes): FlowSettings over the plan's, for a second stage timed in turn with the plan's. */
const FLOW = option('flow');
const CLIP = 'pexels-854100-people-walking-sidewalk-640x360-6s.webm';

/** With --flow: the stage with those settings over the plan's, per frame (paired), and their median. */
function pairedFlow(steps: Record<string, number[]>) {
  const mine = steps['on: temporal stage'];
  const theirs = steps['on: temporal stage, flow settings given'];
  if (!FLOW || !mine || !theirs) return {};
  const ratios = theirs.map((t, i) => round(t / mine[i], 3) ?? 0);
  return { flow_settings_given: JSON.parse(FLOW) as unknown, stage_ratio_given_over_plan: { per_frame: ratios, median: round(median(ratios), 3) } };
}

async function main() {
  const atStart = machine();
  const dir = mkdtempSync(join(tmpdir(), 'stylecast-bench-stages-'));
  const files: Record<string, string> = {};
  let r: StageRun;
  const variant = VARIANT
    ? { program: VARIANT.split('=')[0], code: `${readFileSync(join(ROOT, 'shaders/flow_common.wgsl'), 'utf8')}\n${readFileSync(VARIANT.split('=')[1], 'utf8')}` }
    : undefined;
  try {
    // Consecutive frames of a static-camera clip (people walking past a still background), as PNGs.
    await run('ffmpeg', ['-v', 'error', '-i', join(SHARED_MEDIA, 'video', CLIP), '-frames:v', String(FRAMES + 2), join(dir, 'f%03d.png')]);
    for (const f of readdirSync(dir).sort()) files[f] = join(dir, f);
    const session = await openSession(ROOT, files, '/bench/stages.html', "typeof window.benchStages === 'function'", [], { gpu: GPU });
    try {
      log(`bench:stages: ${FRAMES} frames at 640×360, network ${SIZE} px…`);
      r = await session.page.evaluate(([f, s, o, v, fl]) => window.benchStages(f, 640, 360, s, o, v, fl), [Object.keys(files), SIZE, ONLY, variant, FLOW ? JSON.parse(FLOW) : undefined] as const);
    } finally {
      await session.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const passes = r.passes
    .map((p) => ({ program: p.program, grid: p.grid, count: p.count, median_ms: round(median(p.ms), 2) ?? 0 }))
    .sort((a, b) => b.median_ms - a.median_ms);
  const passTotal = passes.reduce((a, p) => a + p.median_ms, 0);
  const passDoc = {
    what: "the temporal stage's dispatches, each replayed alone in a submission of its own (same inputs as in the frame), grouped by program and grid; ms per frame, median over frames, less an empty submission's time per dispatch",
    total_ms: round(passTotal, 1),
    dispatches: passes.reduce((a, p) => a + p.count, 0),
    by_program: Object.entries(
      passes.reduce<Record<string, number>>((a, p) => ({ ...a, [p.program]: (a[p.program] ?? 0) + p.median_ms }), {}),
    )
      .sort((a, b) => b[1] - a[1])
      .map(([program, ms]) => ({ program, ms: round(ms, 1), share: round(ms / passTotal, 3) })),
    passes,
  };
  if (ONLY === 'passes') {
    const doc = { benchmark: 'bench:stages --only passes', date: new Date().toISOString(), machine: { tag: TAG, hostname: hostname(), gpu: GPU, atStart, atEnd: machine() }, where: r.info, setup: `${FRAMES} consecutive frames (after 2 untimed) of ${CLIP}; stage at ${r.inferWidth}×${r.inferHeight}, flow at ${r.flowWidth}×${r.flowHeight}`, temporal_passes: passDoc, ...pairedFlow(r.steps), steps: Object.fromEntries(Object.entries(r.steps).map(([k, v]) => [k, round(median(v), 1)])) };
    const text = JSON.stringify(doc, null, 2) + '\n';
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results', `stages-passes-${TAG}.json`), text);
    process.stdout.write(text);
    return;
  }
  const steps = Object.fromEntries(Object.entries(r.steps).map(([k, v]) => [k, { median_ms: round(median(v), 1), runs_ms: v.map((x) => round(x, 1)) }]));
  const sum = (prefix: string[]) => round(Object.entries(r.steps).filter(([k]) => prefix.some((p) => k.startsWith(p))).reduce((a, [, v]) => a + median(v)!, 0), 1);
  const doc = {
    benchmark: 'bench:stages',
    date: new Date().toISOString(),
    machine: { tag: TAG, hostname: hostname(), gpu: GPU, atStart, atEnd: machine() },
    where: r.info,
    setup: `${FRAMES} consecutive frames (after 2 untimed) of ${CLIP} (640×360, static camera); network at ${r.inferWidth}×${r.inferHeight}; flow at ${r.flowWidth}×${r.flowHeight}; each step then onSubmittedWorkDone, one at a time: figures are each step's own cost, not the pipeline's overlapped wall time`,
    steps,
    sums_ms: {
      shared: sum(['read', 'network']),
      smoothing_off: sum(['off:']),
      smoothing_on_presented_guided: sum(['on: upload', 'on: import', 'on: temporal', 'on: present guided', 'on: VideoFrame']),
      smoothing_on_presented_cubic: sum(['on: upload stylised', 'on: import', 'on: temporal', 'on: present cubic', 'on: VideoFrame']),
      smoothing_on_read_back: sum(['on: upload stylised', 'on: import', 'on: temporal', 'on: read back']),
    },
    overlap: {
      what: "the temporal stage (flow + blend) and the next frame's network: one after the other, or the network run while the stage is on the device's queue; ratio < 1 = overlapping pays",
      ratio: round(median(r.steps['pair: smoothing while network'])! / median(r.steps['pair: smoothing then network'])!, 3),
    },
  };
  const text = JSON.stringify(doc, null, 2) + '\n';
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results', `stages-${TAG}.json`), text);
  process.stdout.write(text);
}

main().catch((e) => {
  log(`bench:stages failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
