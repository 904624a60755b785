// npm run bench:soak — memory over a long run (not a test). Two parts:
//  cli:  `stylecast stylize` through its binary on a long low-resolution clip made here by ffmpeg (the walking clip
//        looped, never committed), the RSS and PSS of every process sampled every few seconds: the CLI's node process
//        and each Chromium process by type (browser, renderer, GPU, utility, zygote…), against the frames done (read
//        from the CLI's own progress bar, which it draws per frame on a terminal: it runs under script(1)).
//  live: the live path on a fake camera (Chromium's --use-file-for-fake-video-capture, a y4m made here) for --minutes,
//        the same sampling against the frames shown.
// For each process type: least-squares slope per 1000 frames with r², the first and second halves' slopes, start,
// end and peak. A summary on stderr; JSON on stdout and in bench/results/soak-<machine>[-tag].json.
//
//   npm run bench:soak [-- --frames 10000] [--size 64] [--minutes 30] [--only cli|live] [--every 2] [--tag NAME]
//                      [--temporal 0.7] [--backend wasm] [--inspect] [--memory-infra] [--dumps 5]
//                      [--dump-detail light|detailed|background] [--dump-gc]
// --inspect: the cli part in this process instead of through the binary (the same page, job and static server the
// CLI uses: openSession + runOnPage) with CDP attached, adding the page's JS heap after a forced GC, tf.memory() and
// Chromium's own counters to every sample — to tell a leak from a warm-up.
// --memory-infra (live part): Chromium's memory-infra dumps of every process (bench/memory-infra.ts) at --dumps evenly
// spaced moments of the run (the first once the stream runs, the last before it stops) and once more after it stops:
// each allocator's size (malloc, PartitionAlloc's partitions, V8 per isolate, Oilpan, GPU, shared memory, media, cc…)
// and the growth between the first and the last, per process — to attribute a process's growth to an allocator
// (--dump-detail: memory-infra's level of detail, default light; --dump-gc: a GC in every process before each dump). Every
// sample also reads the engine worker's tfjs figures (tensors, the tfjs-wasm heap) and the governor's level.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CDPSession, Page } from 'playwright-core';
import { parseArgs, type StylizeArgs } from '../src/cli/args.ts';
import { openSession } from '../src/cli/browser.ts';
import { exposeProgress, runOnPage, stylizeJob } from '../src/cli/job.ts';
import type { Progress } from '../src/engine/index.ts';
import { anonRegions, dumpGrowth, memoryDump, workerSession, type ProcessDump } from './memory-infra.ts';
import type { SoakLiveSample } from './soak-page.ts';
import { ROOT, SHARED_MEDIA, log, machine, parseBenchArgs, round, run } from './util.ts';

// ---------- options ----------

const USAGE = `npm run bench:soak [-- options]
memory over a long run: the CLI on a long low-resolution clip, and the live path on a fake camera; RSS/PSS per process
  --only cli|live           one part (default both)
  --frames N                frames of the cli part's clip (default 10000)
  --size PX                 the network's short side (default 64)
  --temporal A              smoothing (default 0.7)
  --backend NAME            the CLI's --backend (default: its automatic choice)
  --minutes M               the live part's length (default 30)
  --every S                 seconds between samples (default 2)
  --inspect                 the cli part in this process with CDP attached (JS heap, tf.memory(), Chromium's counters)
  --memory-infra            (live part) Chromium's memory-infra dumps of every process, --dumps times and after the stop
  --dumps N                 how many (default 5)
  --dump-detail light|detailed|background   their level of detail (default light)
  --dump-gc                 a GC in every process before each dump
  --tag NAME                bench/results/soak-<host>-NAME.json (default: the host name alone)
  env: STYLECAST_GPU (default software here)`;
const { option, flag } = parseBenchArgs(USAGE, {
  name: 'bench:soak',
  valued: ['only', 'frames', 'size', 'temporal', 'backend', 'minutes', 'every', 'dumps', 'dump-detail', 'tag'],
  flags: ['inspect', 'memory-infra', 'dump-gc'],
});
const number = (name: string, fallback: number, integer = true) => {
  const v = Number(option(name) ?? fallback);
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    log(`bench:soak: --${name} must be a ${integer ? 'whole ' : ''}number above 0`);
    process.exit(2);
  }
  return v;
};
const FRAMES = number('frames', 10_000);
const SIZE = number('size', 64);
const MINUTES = number('minutes', 30, false);
const EVERY_S = number('every', 2, false);
const TEMPORAL = option('temporal') ?? '0.7';
const BACKEND = option('backend');
const ONLY = option('only');
const INSPECT = flag('inspect');
const MEMORY_INFRA = flag('memory-infra');
const DUMPS = number('dumps', 5);
const DUMP_DETAIL = option('dump-detail') ?? 'light';
if (!['background', 'light', 'detailed'].includes(DUMP_DETAIL)) {
  log('bench:soak: --dump-detail must be background, light or detailed');
  process.exit(2);
}
const DUMP_GC = flag('dump-gc');
if (ONLY !== undefined && ONLY !== 'cli' && ONLY !== 'live') {
  log('bench:soak: --only must be cli or live');
  process.exit(2);
}
const TAG = [hostname(), option('tag')].filter(Boolean).join('-').replace(/[^A-Za-z0-9._-]+/g, '-');
const WALKING = join(SHARED_MEDIA, 'video', 'pexels-854100-people-walking-sidewalk-960x540.mp4');
/** The clip's frame size: the network's input at --size 64 is 114×64 (the engine never upscales). */
const CLIP_W = 128;
const CLIP_H = 72;

/**
 * Ctrl-C (or SIGTERM) ends the running part early: its samples so far are analysed and written (`stopped` says so),
 * the CLI is cancelled (it cleans up after itself) and the browser closed. A second signal exits at once.
 */
let stopRequested = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    log(`bench:soak: ${signal}: stopping; the samples so far will be written (again to exit at once)`);
  });
}

// ---------- processes ----------

export interface Proc {
  pid: number;
  ppid: number;
  cmd: string;
}

/** Every process under `root` (not `root` itself), from /proc. */
export function descendants(root: number): Proc[] {
  const all: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      all.push({ pid: Number(name), ppid, cmd });
    } catch {
      // gone meanwhile
    }
  }
  const out: Proc[] = [];
  const walk = (p: number) => {
    for (const c of all.filter((x) => x.ppid === p)) {
      out.push(c);
      walk(c.pid);
    }
  };
  walk(root);
  return out;
}

/** A process's kind: "cli", "browser", "renderer", "gpu", "utility:<service>", "zygote", … or null (shells). */
export function kind(cmd: string): string | null {
  if (/stylecast\.mjs/.test(cmd)) return 'cli';
  const type = /--type=([\w-]+)/.exec(cmd)?.[1];
  if (!type) return /chrom/i.test(cmd.split(' ')[0]) ? 'browser' : null;
  if (type === 'gpu-process') return 'gpu';
  if (type === 'utility') {
    const sub = /--utility-sub-type=([\w.]+)/.exec(cmd)?.[1] ?? '';
    return `utility:${sub.replace(/\.mojom\.\w+$/, '').replace(/^.*\./, '') || 'other'}`;
  }
  return type;
}

/** Resident and proportional set sizes in bytes (PSS shares the pages a process shares with others). */
function memoryOf(pid: number): { rss: number; anon: number; pss: number | null; cpu: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
    const rss = field('VmRSS');
    // RssAnon is the process's own memory (heaps, JS, buffers): where a leak shows. The rest of RSS is file pages
    // (the chromium binary's code as more of it runs, shared by every Chromium) and shared memory.
    const anon = field('RssAnon');
    let pss: number | null = null;
    try {
      pss = Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? NaN) * 1024;
    } catch {}
    // CPU seconds so far (utime + stime, in clock ticks of 1/100 s): the busiest renderer is the job's page.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(fields[11]) + Number(fields[12])) / 100;
    return Number.isFinite(rss) ? { rss, anon, pss, cpu } : null;
  } catch {
    return null;
  }
}

interface Sample {
  /** Seconds since the part started. */
  t: number;
  frames: number;
  /** Per process: kind, rss, pss. */
  procs: { pid: number; kind: string; rss: number; anon: number; pss: number | null; cpu: number }[];
  /** In-page figures, when the part can read them (live, --inspect). */
  page?: Record<string, number | null>;
  load1: number;
}

function sampleProcesses(root: number, includeRoot: string | null): Sample['procs'] {
  const procs: Sample['procs'] = [];
  if (includeRoot) {
    const m = memoryOf(root);
    if (m) procs.push({ pid: root, kind: includeRoot, ...m });
  }
  for (const p of descendants(root)) {
    const k = kind(p.cmd);
    if (!k) continue;
    const m = memoryOf(p.pid);
    if (m) procs.push({ pid: p.pid, kind: k, ...m });
  }
  return procs;
}

// ---------- statistics ----------

/** Least squares y = a + b·x: slope b, r². */
export function fit(xs: number[], ys: number[]): { slope: number; r2: number } | null {
  const n = xs.length;
  if (n < 3) return null;
  const mx = xs.reduce((s, v) => s + v, 0) / n;
  const my = ys.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
    syy += (ys[i] - my) ** 2;
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { slope, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}

interface SeriesSummary {
  samples: number;
  /** Per 1000 frames, KB (1 KB = 1024 bytes; counts as they are), over all samples with frames done, then each half (by frames). */
  slope_kb_per_1000_frames: number | null;
  r2: number | null;
  first_half_slope_kb_per_1000_frames: number | null;
  second_half_slope_kb_per_1000_frames: number | null;
  second_half_r2: number | null;
  /** MB, or the count for counts. */
  start_mb: number;
  end_mb: number;
  peak_mb: number;
}

const MB = 1024 * 1024;

/** `counts`: the values are counts (tensors, nodes), reported as they are and per 1000 frames, not in KB/MB. */
export function summarise(points: { frames: number; value: number }[], counts = false): SeriesSummary | null {
  const unit = counts ? 1 : 1024;
  const big = counts ? 1 : MB;
  const pts = points.filter((p) => p.frames > 0);
  if (!pts.length) return null;
  const maxFrames = pts[pts.length - 1].frames;
  const half = maxFrames / 2;
  const per1000 = (f: ReturnType<typeof fit>) => (f ? round((f.slope * 1000) / unit, 1) : null);
  const all = fit(pts.map((p) => p.frames), pts.map((p) => p.value));
  const a = pts.filter((p) => p.frames <= half);
  const b = pts.filter((p) => p.frames > half);
  const fa = fit(a.map((p) => p.frames), a.map((p) => p.value));
  const fb = fit(b.map((p) => p.frames), b.map((p) => p.value));
  return {
    samples: pts.length,
    slope_kb_per_1000_frames: per1000(all),
    r2: all ? round(all.r2, 3) : null,
    first_half_slope_kb_per_1000_frames: per1000(fa),
    second_half_slope_kb_per_1000_frames: per1000(fb),
    second_half_r2: fb ? round(fb.r2, 3) : null,
    start_mb: round(pts[0].value / big, 1)!,
    end_mb: round(pts[pts.length - 1].value / big, 1)!,
    peak_mb: round(Math.max(...pts.map((p) => p.value)) / big, 1)!,
  };
}

/** Per kind (all its processes summed at each sample), RSS and PSS; the page's figures per name. */
function analyse(samples: Sample[]) {
  const kinds = [...new Set(samples.flatMap((s) => s.procs.map((p) => p.kind)))].sort();
  const byKind: Record<string, { processes: number; rss: SeriesSummary | null; anon: SeriesSummary | null; pss: SeriesSummary | null }> = {};
  for (const k of kinds) {
    const pids = new Set(samples.flatMap((s) => s.procs.filter((p) => p.kind === k).map((p) => p.pid)));
    const at = (field: 'rss' | 'anon' | 'pss') =>
      samples
        .filter((s) => s.procs.some((p) => p.kind === k))
        .map((s) => ({ frames: s.frames, value: s.procs.filter((p) => p.kind === k).reduce((n, p) => n + (p[field] ?? 0), 0) }));
    byKind[k] = { processes: pids.size, rss: summarise(at('rss')), anon: summarise(at('anon')), pss: summarise(at('pss')) };
  }
  // Each process on its own too (a type can hold several: the job's page, a spare renderer…).
  const byProcess: Record<string, SeriesSummary | null> = {};
  const anonByProcess: Record<string, SeriesSummary | null> = {};
  for (const key of new Set(samples.flatMap((s) => s.procs.map((p) => `${p.kind}:${p.pid}`)))) {
    const pts = samples.flatMap((s) => s.procs.filter((p) => `${p.kind}:${p.pid}` === key).map((p) => ({ frames: s.frames, value: p.rss })));
    const cpu = Math.max(0, ...samples.flatMap((s) => s.procs.filter((p) => `${p.kind}:${p.pid}` === key).map((p) => p.cpu)));
    byProcess[key] = summarise(pts);
    anonByProcess[key] = summarise(samples.flatMap((s) => s.procs.filter((p) => `${p.kind}:${p.pid}` === key).map((p) => ({ frames: s.frames, value: p.anon }))));
    if (byProcess[key]) Object.assign(byProcess[key]!, { cpu_seconds: round(cpu, 1) });
  }
  const total = summarise(samples.map((s) => ({ frames: s.frames, value: s.procs.reduce((n, p) => n + (p.pss ?? p.rss), 0) })));
  const page: Record<string, SeriesSummary | null> = {};
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.page ?? {})))];
  for (const name of names) {
    const pts = samples.filter((s) => typeof s.page?.[name] === 'number').map((s) => ({ frames: s.frames, value: s.page![name]! }));
    page[name] = summarise(pts, !/Heap|Bytes|Size/.test(name));
  }
  return { byKind, byProcess, anonByProcess, totalPss: total, page };
}

function printSummary(title: string, a: ReturnType<typeof analyse>) {
  log(`\n${title}`);
  log('  kind                 procs  RSS start → end (peak) MB   slope KB/1000 fr (r²)   1st half → 2nd half');
  const row = (name: string, n: number | string, s: SeriesSummary | null) => {
    if (!s) return;
    log(
      `  ${name.padEnd(20)} ${String(n).padStart(5)}  ${`${s.start_mb} → ${s.end_mb} (${s.peak_mb})`.padEnd(26)} ${`${s.slope_kb_per_1000_frames} (${s.r2})`.padEnd(23)} ${s.first_half_slope_kb_per_1000_frames} → ${s.second_half_slope_kb_per_1000_frames}`,
    );
  };
  for (const [k, v] of Object.entries(a.byKind)) row(k, v.processes, v.rss);
  for (const [k, v] of Object.entries(a.byProcess)) {
    if (!/^(renderer|gpu|cli|node|browser)/.test(k)) continue;
    row(`  ${k} ${(v as { cpu_seconds?: number } | null)?.cpu_seconds ?? '?'} s`, 1, v);
    row(`    anon`, '', a.anonByProcess[k]);
  }
  row('all (PSS)', '', a.totalPss);
  for (const [k, v] of Object.entries(a.page)) row(`page ${k}`, '', v);
}

// ---------- media ----------

async function longClip(dir: string, frames: number): Promise<string> {
  const out = join(dir, `soak-${frames}.mp4`);
  await run('ffmpeg', ['-v', 'error', '-y', '-stream_loop', '-1', '-i', WALKING, '-frames:v', String(frames), '-vf', `scale=${CLIP_W}:${CLIP_H}`, '-c:v', 'libx264', '-preset', 'veryfast', '-g', '250', '-an', out]);
  return out;
}

async function cameraY4m(dir: string): Promise<string> {
  const out = join(dir, 'camera.y4m');
  await run('ffmpeg', ['-v', 'error', '-y', '-i', WALKING, '-t', '6', '-vf', 'scale=160:90,fps=20', '-pix_fmt', 'yuv420p', out]);
  return out;
}

// ---------- the CLI part ----------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function soakCli(dir: string) {
  const clip = await longClip(dir, FRAMES);
  const output = join(dir, 'out.mp4');
  const args = ['stylize', clip, '-o', output, '--size', String(SIZE), '--temporal', TEMPORAL, ...(BACKEND ? ['--backend', BACKEND] : [])];
  log(`bench:soak: cli: ${FRAMES} frames of ${CLIP_W}×${CLIP_H} at --size ${SIZE}, --temporal ${TEMPORAL}${INSPECT ? ', in this process (--inspect)' : ''}; sampling every ${EVERY_S} s`);
  return INSPECT ? inspectCli(args, output) : binaryCli(args, output);
}

/** The CLI through its binary, on a pseudo-terminal so that it draws its progress bar on every frame. */
async function binaryCli(args: string[], output: string) {
  const command = [process.execPath, join(ROOT, 'bin/stylecast.mjs'), ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child: ChildProcess = spawn('script', ['-q', '-f', '-e', '-c', command, '/dev/null'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STYLECAST_GPU: process.env.STYLECAST_GPU ?? 'software', COLUMNS: '200' } });
  let text = '';
  let frames = 0;
  let total = 0;
  const onData = (d: Buffer) => {
    text = (text + d.toString()).slice(-4000);
    const all = [...text.matchAll(/(\d+)\/(\d+) frames/g)];
    const last = all[all.length - 1];
    if (last) {
      frames = Number(last[1]);
      total = Number(last[2]);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let log_ = '';
  child.stdout!.on('data', (d: Buffer) => (log_ = (log_ + d.toString()).slice(-20000)));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  let done: number | null | undefined;
  void exited.then((c) => (done = c));
  const samples: Sample[] = [];
  const t0 = performance.now();
  let lastReport = 0;
  let stopped = false;
  while (done === undefined) {
    if (stopRequested && !stopped) {
      stopped = true;
      // The CLI under script(1): its node process gets the Ctrl-C (it cancels, cleans up and exits; script follows).
      for (const p of descendants(child.pid!)) if (kind(p.cmd) === 'cli') process.kill(p.pid, 'SIGINT');
    }
    const procs = sampleProcesses(child.pid!, null);
    samples.push({ t: round((performance.now() - t0) / 1000, 1)!, frames, procs, load1: machine().loadavg_1_5_15[0] ?? 0 });
    if (frames - lastReport >= 500) {
      lastReport = frames;
      const r = (k: string) => procs.filter((p) => p.kind === k).reduce((n, p) => n + p.rss, 0) / MB;
      log(`bench:soak: ${frames}/${total} frames, ${((performance.now() - t0) / 1000).toFixed(0)} s; RSS MB cli ${r('cli').toFixed(0)}, renderer ${r('renderer').toFixed(0)}, gpu ${r('gpu').toFixed(0)}, browser ${r('browser').toFixed(0)}`);
    }
    await Promise.race([sleep(EVERY_S * 1000), exited]);
  }
  const report = log_.replace(/\r[^\n]*(?=\r)/g, '').split(/\r?\n/).filter((l) => /stylecast: (wrote|temporal|GPU|start-up)|\([A-Z_]+\)$/.test(l.trim())).map((l) => l.replace(/^.*\r/, '').trim());
  return { exitCode: done, frames, total, report, outputBytes: statOrNull(output), samples, stopped };
}

const statOrNull = (p: string) => {
  try {
    return statSync(p).size;
  } catch {
    return null;
  }
};

/** The same page and job as the CLI's, in this process, with the page's own counters sampled through CDP. */
async function inspectCli(argvCli: string[], output: string) {
  const args = parseArgs(argvCli, ROOT) as StylizeArgs;
  const extra = ['--enable-precise-memory-info', '--js-flags=--expose-gc'];
  const session = await openSession(ROOT, { input: args.input }, undefined, undefined, extra, { gpu: args.gpu, server: 'static', uploadTo: { output }, onSignal: () => {} });
  const samples: Sample[] = [];
  let frames = 0;
  let total = 0;
  try {
    const cdp: CDPSession = await session.page.context().newCDPSession(session.page);
    await cdp.send('Performance.enable');
    await exposeProgress(session.page, session.guard, (p: Progress) => {
      frames = p.framesDone;
      total = p.framesTotal;
    });
    let result: unknown;
    const job = runOnPage(session.page, session.guard, stylizeJob(args)).then((r) => (result = r));
    const t0 = performance.now();
    let lastReport = 0;
    // Heap snapshots at a third and at nine tenths of the frames (--inspect only): what grew in between.
    const snapshotsAt = [Math.round(FRAMES / 3), Math.round((FRAMES * 9) / 10)];
    const censuses: { frames: number; census: Map<string, { count: number; size: number }> }[] = [];
    while (result === undefined && !stopRequested) {
      if (censuses.length < snapshotsAt.length && frames >= snapshotsAt[censuses.length]) {
        const at = frames;
        censuses.push({ frames: at, census: await heapCensus(cdp) });
        log(`bench:soak: heap snapshot at frame ${at}`);
      }
      const page = await pageCounters(session.page, cdp).catch(() => undefined);
      const procs = sampleProcesses(process.pid, 'node (in-process)');
      samples.push({ t: round((performance.now() - t0) / 1000, 1)!, frames, procs, page, load1: machine().loadavg_1_5_15[0] ?? 0 });
      if (frames - lastReport >= 500) {
        lastReport = frames;
        const r = procs.filter((p) => p.kind === 'renderer').reduce((n, p) => n + p.rss, 0) / MB;
        log(`bench:soak: ${frames}/${total} frames; renderer RSS ${r.toFixed(0)} MB; page ${JSON.stringify(page)}`);
      }
      await Promise.race([sleep(EVERY_S * 1000), job]);
    }
    const heapGrowth = censuses.length === 2 ? { fromFrame: censuses[0].frames, toFrame: censuses[1].frames, top: censusGrowth(censuses[0].census, censuses[1].census) } : null;
    if (heapGrowth) log(`bench:soak: JS heap growth from frame ${heapGrowth.fromFrame} to ${heapGrowth.toFrame}:\n${heapGrowth.top.map((g) => `  ${g.kb} KB, ${g.count} × ${g.key}`).join('\n')}`);
    return { exitCode: result === undefined ? null : (result as { ok: boolean }).ok ? 0 : 1, stopped: result === undefined, frames, total, report: [JSON.stringify(result).slice(0, 2000)], outputBytes: statOrNull(output), samples, heapGrowth };
  } finally {
    await session.close();
  }
}

/** A heap snapshot of the page summed by node type and constructor: count and self size. */
async function heapCensus(cdp: CDPSession): Promise<Map<string, { count: number; size: number }>> {
  const chunks: string[] = [];
  const onChunk = (e: { chunk: string }) => chunks.push(e.chunk);
  cdp.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
  try {
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  } finally {
    cdp.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
  }
  const snap = JSON.parse(chunks.join('')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  const fields = snap.snapshot.meta.node_fields;
  const [T, N, S] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const types = snap.snapshot.meta.node_types[0];
  const census = new Map<string, { count: number; size: number }>();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + T]];
    const key = type === 'object' || type === 'closure' || type === 'native' ? `${type} ${snap.strings[snap.nodes[i + N]].slice(0, 60)}` : `(${type})`;
    const c = census.get(key) ?? { count: 0, size: 0 };
    c.count++;
    c.size += snap.nodes[i + S];
    census.set(key, c);
  }
  return census;
}

/** What grew between two censuses: the 20 largest growths by self size. */
function censusGrowth(a: Map<string, { count: number; size: number }>, b: Map<string, { count: number; size: number }>) {
  return [...b.entries()]
    .map(([key, v]) => ({ key, count: v.count - (a.get(key)?.count ?? 0), kb: round((v.size - (a.get(key)?.size ?? 0)) / 1024, 1)! }))
    .sort((x, y) => y.kb - x.kb)
    .slice(0, 20);
}

/** The page's JS heap after a forced GC, tf.memory() (tfjs keeps its engine on the global object), Chromium's counters. */
async function pageCounters(page: Page, cdp: CDPSession): Promise<Record<string, number | null>> {
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number; totalSize: number };
  const metrics = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  const m = (name: string) => metrics.metrics.find((x) => x.name === name)?.value ?? null;
  const tf = await page.evaluate(() => {
    const engine = (globalThis as { _tfengine?: { memory(): { numTensors: number; numBytes: number; numDataBuffers: number }; backendInstance?: { wasm?: { HEAPU8?: Uint8Array } } } })._tfengine;
    if (!engine) return null;
    return { ...engine.memory(), wasmHeap: engine.backendInstance?.wasm?.HEAPU8?.buffer.byteLength ?? null };
  });
  return {
    jsHeapUsed: heap.usedSize,
    jsHeapTotal: heap.totalSize,
    tfTensors: tf?.numTensors ?? null,
    tfBytes: tf?.numBytes ?? null,
    tfDataBuffers: tf?.numDataBuffers ?? null,
    wasmHeapBytes: tf?.wasmHeap ?? null,
    domNodes: m('Nodes'),
    jsEventListeners: m('JSEventListeners'),
  };
}

// ---------- the live part ----------

interface MemoryInfraDump {
  label: string;
  /** Seconds since the stream started. */
  t: number;
  frames: number;
  /** False when some process did not answer in time (the others are there). */
  complete: boolean;
  /** How long the dump took. */
  seconds: number;
  processes: (ProcessDump & { kind: string | null })[];
  /** Renderers' and the GPU process's anonymous memory by region (anonRegions), read just before the dump. */
  regions: Record<string, ReturnType<typeof anonRegions>>;
  /** The engine worker's V8 heap right after a forced GC (bytes): used, and committed (total). */
  workerHeapAfterGc: { usedSize: number; totalSize: number } | null;
}

/**
 * Per process in the dumps: its totals and allocators at each dump, and the allocators that grew most between the
 * first dump and the last one taken while the stream ran (bytes in the dumps, MB and KB per 1000 frames here).
 */
function memoryInfraSummary(dumps: MemoryInfraDump[]) {
  const running = dumps.filter((d) => d.label !== 'after stop');
  if (running.length < 2) return null;
  const [first, last] = [running[0], running[running.length - 1]];
  const frames = last.frames - first.frames;
  const out: Record<string, unknown> = {};
  for (const b of last.processes) {
    const a = first.processes.find((p) => p.pid === b.pid);
    if (!a) continue;
    const key = `${b.kind ?? b.name}:${b.pid}`;
    const growth = dumpGrowth(a, b, 30).map((g) => ({
      allocator: g.allocator,
      mb: dumps.map((d) => {
        const p = d.processes.find((x) => x.pid === b.pid);
        return p ? round((p.allocators[g.allocator] ?? 0) / MB, 2) : null;
      }),
      kb_per_1000_frames: frames > 0 ? round((g.growth / 1024 / frames) * 1000, 1) : null,
    }));
    const totals = Object.fromEntries(Object.keys(b.totals).map((k) => [k, dumps.map((d) => {
      const p = d.processes.find((x) => x.pid === b.pid);
      return p?.totals[k] === undefined ? null : round(p.totals[k] / MB, 2);
    })]));
    out[key] = { name: b.name, labels: b.labels, totals_mb: totals, top_growth: growth };
  }
  // Anonymous regions by growth between the first and the last running dump, per process (KB at each dump).
  const regions: Record<string, { start: string; span_mb: number; anon_mb: (number | null)[]; kb_per_1000_frames: number | null }[]> = {};
  for (const key of Object.keys(last.regions)) {
    const starts = new Set(running.flatMap((d) => (d.regions[key] ?? []).map((r) => r.start)));
    const rows = [...starts].map((start) => {
      const at = dumps.map((d) => d.regions[key]?.find((r) => r.start === start) ?? null);
      const span = Math.max(...at.map((r) => r?.span_mb ?? 0));
      const a = first.regions[key]?.find((r) => r.start === start)?.anon_kb ?? 0;
      const b = last.regions[key]?.find((r) => r.start === start)?.anon_kb ?? 0;
      return { start, span_mb: span, anon_mb: at.map((r) => (r ? round(r.anon_kb / 1024, 2) : null)), growth_kb: b - a, kb_per_1000_frames: frames > 0 ? round(((b - a) / frames) * 1000, 1) : null };
    });
    regions[key] = rows.sort((x, y) => Math.abs(y.growth_kb) - Math.abs(x.growth_kb)).slice(0, 12);
  }
  return { regions, dumps: dumps.map((d) => ({ label: d.label, t: d.t, frames: d.frames, complete: d.complete, seconds: d.seconds, workerHeapAfterGcMb: d.workerHeapAfterGc ? { used: round(d.workerHeapAfterGc.usedSize / MB, 2), total: round(d.workerHeapAfterGc.totalSize / MB, 2) } : null })), fromFrame: first.frames, toFrame: last.frames, processes: out };
}

function printMemoryInfra(summary: ReturnType<typeof memoryInfraSummary>) {
  if (!summary) return;
  log(`\nmemory-infra: dumps ${summary.dumps.map((d) => `${d.label} (frame ${d.frames}${d.complete ? '' : ', incomplete'}; worker JS heap after GC ${d.workerHeapAfterGcMb ? `${d.workerHeapAfterGcMb.used} of ${d.workerHeapAfterGcMb.total} MB` : '?'})`).join(', ')}; MB at each, growth from the first to the last while running`);
  for (const [key, v] of Object.entries(summary.processes) as [string, { totals_mb: Record<string, (number | null)[]>; top_growth: { allocator: string; mb: (number | null)[]; kb_per_1000_frames: number | null }[] }][]) {
    if (!/^(renderer|gpu|browser)/.test(key)) continue;
    log(`  ${key}: ${Object.entries(v.totals_mb).map(([k, s]) => `${k} ${s.join(' → ')}`).join('; ')}`);
    for (const g of v.top_growth.slice(0, 15)) log(`    ${g.allocator.padEnd(48)} ${g.mb.join(' → ')}  (${g.kb_per_1000_frames} KB/1000 fr)`);
  }
  log('  anonymous memory (smaps) by 4 GiB window of the address space (span: what is mapped there), MB at each dump:');
  for (const [key, rows] of Object.entries(summary.regions)) {
    log(`  ${key}`);
    for (const r of rows.slice(0, 8)) log(`    ${r.start} span ${r.span_mb} MB: ${r.anon_mb.join(' → ')}  (${r.kb_per_1000_frames} KB/1000 fr)`);
  }
}

async function soakLive(dir: string) {
  const y4m = await cameraY4m(dir);
  const extra = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${y4m}`, '--autoplay-policy=no-user-gesture-required', '--enable-precise-memory-info'];
  log(`bench:soak: live: fake camera 160×90 at 20 fps, size ${SIZE}, temporal ${TEMPORAL}, for ${MINUTES} min; sampling every ${EVERY_S} s`);
  // The Vite dev server (openSession's default): bench pages are not part of the built site.
  // onSignal: Ctrl-C is the bench's own (its handler above stops the part and writes what was sampled), not the
  // session's default exit.
  const session = await openSession(ROOT, {}, '/bench/soak.html', "typeof window.soakLiveStart === 'function'", extra, { gpu: (process.env.STYLECAST_GPU as 'software' | undefined) ?? 'software', onSignal: () => {} });
  const samples: Sample[] = [];
  const dumps: MemoryInfraDump[] = [];
  try {
    const started = await session.page.evaluate(([s, t]) => window.soakLiveStart(s, t), [SIZE, Number(TEMPORAL)] as [number, number]);
    log(`bench:soak: live: ${JSON.stringify(started)}`);
    const t0 = performance.now();
    const end = t0 + MINUTES * 60_000;
    let last: SoakLiveSample | null = null;
    let lastReport = 0;
    // --memory-infra: a browser-level session (memory-infra dumps every process), dumps at evenly spaced moments.
    const browserCdp = MEMORY_INFRA ? await session.page.context().browser()!.newBrowserCDPSession() : null;
    const dumpAt = MEMORY_INFRA ? Array.from({ length: DUMPS - 1 }, (_, i) => t0 + (i * MINUTES * 60_000) / Math.max(1, DUMPS - 1)) : [];
    const dump = async (label: string, frames: number) => {
      const t = round((performance.now() - t0) / 1000, 1)!;
      const started = performance.now();
      // The trace's pids are the system's: name each process as the samples do.
      const kinds = new Map(sampleProcesses(process.pid, 'node (bench + Vite)').map((p) => [p.pid, p.kind]));
      const regions = Object.fromEntries([...kinds].filter(([, k]) => k === 'renderer' || k === 'gpu').map(([pid, k]) => [`${k}:${pid}`, anonRegions(pid)]));
      const { complete, processes } = await memoryDump(browserCdp!, DUMP_DETAIL as 'light', DUMP_GC);
      // The worker's live JS heap: used after a full GC (what is really kept), and the heap's committed size then.
      let workerHeapAfterGc: { usedSize: number; totalSize: number } | null = null;
      if (workerCdp) {
        await workerCdp('HeapProfiler.collectGarbage').catch(() => null);
        workerHeapAfterGc = (await workerCdp('Runtime.getHeapUsage').catch(() => null)) as typeof workerHeapAfterGc;
      }
      dumps.push({ label, t, frames, complete, seconds: round((performance.now() - started) / 1000, 1)!, processes: processes.map((p) => ({ kind: kinds.get(p.pid) ?? null, ...p })), regions, workerHeapAfterGc });
      const r = processes.filter((p) => kinds.get(p.pid) === 'renderer').map((p) => `${p.pid}: ${(p.totals.private_footprint_bytes / MB).toFixed(1)} MB private, malloc ${((p.allocators.malloc ?? 0) / MB).toFixed(1)}, partition_alloc ${((p.allocators.partition_alloc ?? 0) / MB).toFixed(1)}, v8 ${((p.allocators.v8 ?? 0) / MB).toFixed(1)}`);
      log(`bench:soak: memory-infra dump "${label}" at ${t} s, frame ${frames}: ${processes.length} processes${complete ? '' : ' (incomplete: some did not answer in time)'}; renderers ${r.join('; ')}`);
    };
    // The engine's worker (tfjs lives there, not on the page): its tensors and tfjs-wasm heap, and through CDP its V8
    // heap (used and committed at every sample; used after a forced GC at each dump).
    const engineWorker = () => session.page.workers().find((w) => /live-worker/.test(w.url())) ?? null;
    const workerCdp = browserCdp ? await workerSession(browserCdp, /live-worker/).catch(() => null) : null;
    if (browserCdp && !workerCdp) log('bench:soak: the engine worker\'s CDP session could not be opened: no worker heap figures');
    while (performance.now() < end && !stopRequested) {
      last = await session.page.evaluate(() => window.soakLiveSample());
      if (last.error) throw new Error(`the live stream failed: ${last.error}`);
      const procs = sampleProcesses(process.pid, 'node (bench + Vite)');
      const frames = last.stats?.framesOut ?? 0;
      const page: Record<string, number | null> = { usedJSHeapSize: last.usedJSHeapSize, governorLevel: last.stats?.governor?.level ?? null, inferWidth: last.stats?.inferWidth ?? null };
      if (MEMORY_INFRA) {
        const w = await engineWorker()?.evaluate(() => {
          const engine = (globalThis as { _tfengine?: { memory(): { numTensors: number; numBytes: number }; backendInstance?: { wasm?: { HEAPU8?: Uint8Array } } } })._tfengine;
          return engine ? { tensors: engine.memory().numTensors, bytes: engine.memory().numBytes, heap: engine.backendInstance?.wasm?.HEAPU8?.buffer.byteLength ?? null } : null;
        }).catch(() => null);
        Object.assign(page, { workerTensors: w?.tensors ?? null, workerTensorBytes: w?.bytes ?? null, workerWasmHeapBytes: w?.heap ?? null });
        const heap = (await workerCdp?.('Runtime.getHeapUsage').catch(() => null)) as { usedSize: number; totalSize: number } | null;
        Object.assign(page, { workerJsHeapUsed: heap?.usedSize ?? null, workerJsHeapTotal: heap?.totalSize ?? null });
      }
      samples.push({ t: round((performance.now() - t0) / 1000, 1)!, frames, procs, page, load1: machine().loadavg_1_5_15[0] ?? 0 });
      if (dumpAt.length && performance.now() >= dumpAt[0]) {
        dumpAt.shift();
        await dump(dumps.length === 0 ? 'start' : `during ${dumps.length}`, frames).catch((e) => log(`bench:soak: memory-infra dump failed: ${e instanceof Error ? e.message : String(e)}`));
      }
      if (performance.now() - lastReport > 60_000) {
        lastReport = performance.now();
        const r = (k: string) => procs.filter((p) => p.kind === k).reduce((n, p) => n + p.rss, 0) / MB;
        const a = (k: string) => procs.filter((p) => p.kind === k).reduce((n, p) => n + p.anon, 0) / MB;
        log(`bench:soak: live ${((performance.now() - t0) / 60_000).toFixed(1)} min, ${frames} frames (${last.stats?.fps.toFixed(1)} fps, level ${page.governorLevel}); RSS MB renderer ${r('renderer').toFixed(0)} (anon ${a('renderer').toFixed(1)}), gpu ${r('gpu').toFixed(0)}, browser ${r('browser').toFixed(0)}; load ${machine().loadavg_1_5_15[0]}${MEMORY_INFRA ? `; worker tensors ${page.workerTensors}, wasm heap ${page.workerWasmHeapBytes === null ? '?' : (page.workerWasmHeapBytes / MB).toFixed(1)} MB` : ''}`);
      }
      await sleep(EVERY_S * 1000);
    }
    const minutes = round((performance.now() - t0) / 60_000, 2);
    if (browserCdp) await dump('end', last?.stats?.framesOut ?? 0).catch((e) => log(`bench:soak: memory-infra dump failed: ${e instanceof Error ? e.message : String(e)}`));
    const stopped = await session.page.evaluate(() => window.soakLiveStop());
    if (browserCdp) {
      await sleep(5000); // what the stopped stream's pipeline hands back
      await dump('after stop', last?.stats?.framesOut ?? 0).catch((e) => log(`bench:soak: memory-infra dump failed: ${e instanceof Error ? e.message : String(e)}`));
    }
    return { started, stats: last?.stats ?? null, tensorsLeft: stopped.tensorsLeft, samples, stopped: stopRequested, minutes, dumps };
  } finally {
    await session.close();
  }
}

// ---------- main ----------

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'stylecast-bench-soak-'));
  const atStart = machine();
  const startedAt = new Date().toISOString();
  const doc: Record<string, unknown> = {
    benchmark: 'npm run bench:soak (bench/soak.ts)',
    date: startedAt,
    machine: { tag: TAG, hostname: hostname(), atStart },
    settings: { frames: FRAMES, clip: `${CLIP_W}×${CLIP_H} H.264, the walking clip looped`, size: SIZE, temporal: Number(TEMPORAL), backend: BACKEND ?? 'auto', minutes: MINUTES, everySeconds: EVERY_S, inspect: INSPECT, memoryInfra: MEMORY_INFRA ? { dumps: DUMPS, detail: DUMP_DETAIL, gc: DUMP_GC } : false },
    notes: [
      'anon = RssAnon, the process\'s own memory (where a leak shows); the rest of RSS is file pages (mostly the chromium binary\'s code, paged in as more of it runs, shared and reclaimable) and shared memory.',
      'RSS counts shared pages in every process that maps them; PSS divides them among every process on the machine that maps them ("all (PSS)" is the sum), so it moves when other Chromiums start or stop on a shared machine: RSS is the figure to read.',
      'Slopes are least squares over the samples taken while frames were being made (start-up and finalising left out), per 1000 frames, in KB; halves split by frames.',
      'The machine is shared: load averages are in each sample; memory, not speed, is what this measures.',
    ],
  };
  try {
    if (ONLY !== 'live') {
      const r = await soakCli(dir);
      const a = analyse(r.samples);
      printSummary(`cli: ${r.frames}/${r.total} frames, exit ${r.exitCode}`, a);
      doc.cli = { exitCode: r.exitCode, stoppedEarly: r.stopped, frames: r.frames, total: r.total, outputBytes: r.outputBytes, report: r.report, ...a, ...('heapGrowth' in r ? { heapGrowth: r.heapGrowth } : {}), samples: compact(r.samples) };
    }
    if (ONLY !== 'cli' && !stopRequested) {
      const r = await soakLive(dir);
      const a = analyse(r.samples);
      printSummary(`live: ${r.stats?.framesOut ?? 0} frames in ${r.minutes} min`, a);
      const infra = MEMORY_INFRA ? memoryInfraSummary(r.dumps) : null;
      printMemoryInfra(infra);
      doc.live = { minutes: r.minutes, stoppedEarly: r.stopped, started: r.started, lastStats: r.stats, tensorsLeft: r.tensorsLeft, ...a, ...(MEMORY_INFRA ? { memoryInfra: infra, memoryInfraDumps: r.dumps } : {}), samples: compact(r.samples) };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  (doc.machine as Record<string, unknown>).atEnd = machine();
  const json = JSON.stringify(doc);
  process.stdout.write(json + '\n');
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  const path = join(ROOT, 'bench/results', `soak-${TAG}.json`);
  writeFileSync(path, json + '\n');
  log(`bench:soak: wrote ${path}`);
}

/** Samples as compact rows: t, frames, load, then per process kind:pid → [RSS, RssAnon, PSS] in MB. */
function compact(samples: Sample[]) {
  // At most ~400 rows in the file (evenly thinned; the summaries above use every sample).
  const step = Math.max(1, Math.ceil(samples.length / 400));
  return samples.filter((_, i) => i % step === 0 || i === samples.length - 1).map((s) => ({
    t: s.t,
    frames: s.frames,
    load1: s.load1,
    mb: Object.fromEntries(s.procs.map((p) => [`${p.kind}:${p.pid}`, [round(p.rss / MB, 1), round(p.anon / MB, 1), p.pss === null ? null : round(p.pss / MB, 1)]])),
    ...(s.page ? { page: s.page } : {}),
  }));
}

await main();
