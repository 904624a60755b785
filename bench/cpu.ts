// npm run bench:cpu — where the cores go in the clip pipeline on tfjs-wasm: (a) the network alone, (b) the clip
// pipeline with smoothing off, (c) with smoothing on (the same calls as `npm run bench`), each timed and accounted
// for in CPU time per Chromium process kind (renderer: the page, tfjs-wasm's threads, decode/encode; gpu: the WebGPU
// device, SwiftShader here) and per thread group, read from /proc before and after the timed frames (Linux only).
// With --compare DIR, the same runs in a second checkout (its own server and browser), alternated with this tree's
// round by round: a paired A/B under the same load. JSON on stdout and in bench/results/cpu-<tag>.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openSession, type Session } from '../src/cli/browser.ts';
import type { GpuMode } from '../src/cli/gpu.ts';
import { DEFAULT_TEMPORAL } from '../src/engine/constants.ts';
import type { NetworkResult, PipelineResult } from './suite-page.ts';
import { browserRoots, cpuSnapshot, cpuUse, type CpuSnapshot, type CpuUse } from './proc-cpu.ts';
import { GPU_CHOICES, ROOT, SHARED_MEDIA, log, machine, median, option, parseBenchArgs, round, run } from './util.ts';

parseBenchArgs(
  `npm run bench:cpu [-- options]
CPU time per frame of each Chromium process kind (renderer, gpu, …) for the network alone (a) and the clip pipeline
with smoothing off (b) and on (c), on tfjs-wasm; wall time beside it
  --frames N                frames of the shared 640×360 clip per timed run (default 24)
  --size PX                 the network's short side (default 256)
  --rounds N                rounds of (b), (c) (default 3); with --compare each round runs both trees, alternately
  --compare DIR             another checkout (node_modules and public/ in place): its runs alternate with this tree's
  --threads N[,M]           tfjs-wasm's threads in this tree's page [and the compared one's] (default every core);
                            with two counts and no --compare, the second page is this tree again
  --modes b,c               which pipeline runs (default b,c; (a) always runs once per page)
  --gpu hardware|software|auto   the WebGPU adapter (default auto)
  --tag NAME                bench/results/cpu-NAME.json (default: the host name)
  env: STYLECAST_BENCH_TAG (--tag's default)`,
  { name: 'bench:cpu', valued: ['frames', 'size', 'rounds', 'compare', 'threads', 'modes', 'gpu', 'tag'], choices: { gpu: GPU_CHOICES } },
);

const FRAMES = Number(option('frames') ?? 24);
const SIZE = Number(option('size') ?? 256);
const ROUNDS = Number(option('rounds') ?? 3);
const THREADS = option('threads')?.split(',').map(Number);
const COMPARE = option('compare') ?? (THREADS && THREADS.length > 1 ? ROOT : undefined);
const MODES = (option('modes') ?? 'b,c').split(',');
const GPU = (option('gpu') ?? 'auto') as GpuMode;
const TAG = (option('tag') ?? process.env.STYLECAST_BENCH_TAG ?? hostname()).replace(/[^A-Za-z0-9._-]+/g, '-');
const CLIP = join(SHARED_MEDIA, 'video', 'pexels-854100-people-walking-sidewalk-640x360-6s.webm');
const WARM = 2;
const NETWORK_REPS = 15;

interface Tree {
  name: string;
  root: string;
  session: Session;
  browser: number;
  marks: CpuSnapshot[];
}

interface Run {
  tree: string;
  mode: 'a' | 'b' | 'c';
  round: number;
  load_1min: number | null;
  ms_per_frame: number;
  stage_ms: PipelineResult['stageMs'] | null;
  cpu_per_frame: CpuUse;
}

async function open(name: string, root: string, files: Record<string, string>, threads?: number): Promise<Tree> {
  const before = new Set(browserRoots());
  const session = await openSession(root, files, '/bench/suite.html', "typeof window.benchInit === 'function'", [], { gpu: GPU });
  const mine = browserRoots().filter((p) => !before.has(p));
  if (mine.length !== 1) {
    await session.close();
    throw new Error(`cannot tell this session's browser process (${mine.length} new ones)`);
  }
  const tree: Tree = { name, root, session, browser: mine[0], marks: [] };
  await session.page.exposeFunction('benchTimedStart', () => void (tree.marks = [cpuSnapshot(tree.browser)]));
  await session.page.exposeFunction('benchTimedEnd', () => void tree.marks.push(cpuSnapshot(tree.browser)));
  session.page.on('console', (m) => m.type() === 'error' && log(`page (${name}): ${m.text()}`));
  const info = await session.page.evaluate((n) => window.benchInit('wasm', n), threads);
  log(`bench:cpu: ${name} (${root}): ${info.backend}, ${info.wasmThreads} wasm threads, smoothing: ${info.smoothing}`);
  return tree;
}

async function pipeline(tree: Tree, temporal: number, n: number): Promise<Run> {
  tree.marks = [];
  const r = await tree.session.page.evaluate(([s, t, c, w]) => window.benchPipeline(s, t, c, w), [SIZE, temporal, `clip-${FRAMES}.webm`, `clip-${WARM}.webm`] as [number, number, string, string]);
  const [a, b] = tree.marks;
  if (!a || !b) throw new Error('the page did not call the timing hooks (an old bench/suite-page.ts?)');
  const cpu = cpuUse(a, b, r.frames);
  return { tree: tree.name, mode: temporal ? 'c' : 'b', round: n, load_1min: machine().loadavg_1_5_15[0], ms_per_frame: round(r.msPerFrame, 1)!, stage_ms: r.stageMs, cpu_per_frame: cpu };
}

async function network(tree: Tree): Promise<Run> {
  const a = cpuSnapshot(tree.browser);
  const r: NetworkResult = await tree.session.page.evaluate(([s, n]) => window.benchNetwork(s, n, 640, 360), [SIZE, NETWORK_REPS] as [number, number]);
  const b = cpuSnapshot(tree.browser);
  return { tree: tree.name, mode: 'a', round: 0, load_1min: machine().loadavg_1_5_15[0], ms_per_frame: round(median(r.ms), 1)!, stage_ms: null, cpu_per_frame: cpuUse(a, b, r.ms.length + 1) };
}

const ratio = (a: number | null, b: number | null) => (a && b ? round(a / b, 3) : null);

const line = (r: Run) => {
  const c = r.cpu_per_frame;
  const kinds = Object.entries(c.core_ms).filter(([, v]) => v >= 1).map(([k, v]) => `${k} ${v}`).join(', ');
  return `bench:cpu: ${r.tree} (${r.mode}) round ${r.round}: ${r.ms_per_frame} ms/frame wall; core-ms/frame ${c.total_core_ms} (${kinds}); load ${r.load_1min}`;
};

/** Medians of the runs of one tree and mode: wall, and core-ms per kind. */
function summary(runs: Run[]) {
  const kinds = [...new Set(runs.flatMap((r) => Object.keys(r.cpu_per_frame.core_ms)))];
  const med = (f: (r: Run) => number) => round(median(runs.map(f)), 1);
  return {
    runs: runs.length,
    ms_per_frame: med((r) => r.ms_per_frame),
    total_core_ms_per_frame: med((r) => r.cpu_per_frame.total_core_ms),
    core_ms_per_frame: Object.fromEntries(kinds.map((k) => [k, med((r) => r.cpu_per_frame.core_ms[k] ?? 0)]).filter(([, v]) => (v as number) >= 0.5)),
    wait_ms_per_frame: Object.fromEntries(kinds.map((k) => [k, med((r) => r.cpu_per_frame.wait_ms[k] ?? 0)]).filter(([, v]) => (v as number) >= 0.5)),
    /** Cores busy on average over the timed frames (total core-ms ÷ wall). */
    cores_busy: med((r) => r.cpu_per_frame.total_core_ms / r.cpu_per_frame.wall_ms),
  };
}

async function main() {
  const atStart = machine();
  const dir = mkdtempSync(join(tmpdir(), 'stylecast-bench-cpu-'));
  const trees: Tree[] = [];
  const runs: Run[] = [];
  try {
    const files: Record<string, string> = {};
    for (const n of [FRAMES, WARM]) {
      const path = join(dir, `clip-${n}.webm`);
      await run('ffmpeg', ['-v', 'error', '-y', '-i', CLIP, '-frames:v', String(n), '-c:v', 'copy', '-an', path]);
      files[`clip-${n}.webm`] = path;
    }
    trees.push(await open('this', ROOT, files, THREADS?.[0]));
    if (COMPARE) trees.push(await open('compare', resolve(COMPARE), files, THREADS?.[1]));
    for (const t of trees) {
      const r = await network(t);
      log(line(r));
      runs.push(r);
    }
    for (let n = 1; n <= ROUNDS; n++) {
      // Alternate which tree goes first, round by round, so neither always runs right after the other's (c).
      const order = n % 2 ? trees : [...trees].reverse();
      for (const temporal of MODES.map((m) => (m === 'c' ? DEFAULT_TEMPORAL : 0))) {
        for (const t of order) {
          const r = await pipeline(t, temporal, n);
          log(line(r));
          runs.push(r);
        }
      }
    }
  } finally {
    for (const t of trees) await t.session.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
  const by = (tree: string, mode: Run['mode']) => runs.filter((r) => r.tree === tree && r.mode === mode);
  const summaries = Object.fromEntries(trees.map((t) => [t.name, { a: summary(by(t.name, 'a')), b: summary(by(t.name, 'b')), c: summary(by(t.name, 'c')) }]));
  const paired = COMPARE
    ? Object.fromEntries(
        (['b', 'c'] as const).map((m) => {
          const mine = by('this', m);
          const theirs = by('compare', m);
          if (!mine.length) return [m, null];
          const ratios = mine.map((r, i) => round(r.ms_per_frame / theirs[i].ms_per_frame, 3)!);
          const cpu = mine.map((r, i) => round(r.cpu_per_frame.total_core_ms / theirs[i].cpu_per_frame.total_core_ms, 3)!);
          return [m, { wall_this_over_compare: ratios, wall_median: round(median(ratios), 3), core_ms_this_over_compare: cpu, core_ms_median: round(median(cpu), 3), faster: `${ratios.filter((x) => x < 1).length}/${ratios.length}` }];
        }),
      )
    : null;
  const doc = {
    benchmark: 'bench:cpu',
    date: new Date().toISOString(),
    machine: { tag: TAG, hostname: hostname(), gpu: GPU, atStart, atEnd: machine() },
    setup: `wasm, network ${SIZE} px, ${FRAMES}-frame cut of the shared 640×360 clip (after a ${WARM}-frame warm-up clip), (c) at α ${DEFAULT_TEMPORAL}; CPU time from /proc (utime + stime per thread; schedstat's run-queue wait) between the timed clip's start and end, per frame${COMPARE ? `; compare: ${resolve(COMPARE)}, alternated round by round` : ''}`,
    trees: trees.map((t, i) => ({ name: t.name, root: t.root, threads: THREADS?.[i] ?? 'every core' })),
    summary: summaries,
    ratios: Object.fromEntries(trees.map((t) => [t.name, { c_over_b: ratio(summaries[t.name].c.ms_per_frame, summaries[t.name].b.ms_per_frame), c_minus_b_core_ms: summaries[t.name].b.runs && summaries[t.name].c.runs ? round(summaries[t.name].c.total_core_ms_per_frame! - summaries[t.name].b.total_core_ms_per_frame!, 1) : null }])),
    paired,
    runs,
  };
  const text = JSON.stringify(doc, null, 2) + '\n';
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results', `cpu-${TAG}.json`), text);
  process.stdout.write(text);
}

main().catch((e) => {
  log(`bench:cpu failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
