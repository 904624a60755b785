// Memory while the CLI stylises a very large file: `npm run bench:longfile [-- options]`.
//
// Generates a large input at run time (never committed): a 10-second 960×540 cut of the shared walking clip with
// strong per-frame noise, H.264 at qp 1 (near-incompressible: ~0.7 MB a frame) with an AAC track, looped by ffmpeg
// (-stream_loop, packets copied) up to the target size, in a temporary folder that is removed afterwards. Then runs
// `stylecast stylize <it> -o <tmp>/out.mp4 --size 64 --temporal 0` (SwiftShader: STYLECAST_GPU=software) and samples,
// every second, the resident memory of the CLI (VmRSS) and of every Chromium process under it (VmRSS, and Pss from
// smaps_rollup: shared pages counted once across processes). Frames processed come from the CLI's progress lines
// (every tenth of the clip), interpolated between them. Reported per run: the peaks, and the least-squares slope of
// each series against frames processed (MB per 1000 frames, r²) over the conversion, whole and second half.
//
// Options: --mb N (target input size, default 2048); --before-cli PATH (a bin/stylecast.mjs of an older build: runs it
// and this one on a smaller input, --before-mb N, default 300, for a before/after on equal terms); --skip-main (only
// the before/after pair); --tag NAME (the results file's machine name, default the host name).
// Writes bench/results/longfile-<tag>.json; prints it on stdout. Memory is the figure here, not speed (the machine
// may be shared).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ROOT, SHARED_MEDIA, log, machine, parseBenchArgs, round, run } from './util.ts';

const USAGE = `npm run bench:longfile [-- options]
memory (RSS, PSS of the CLI and each Chromium process) while the CLI stylises a very large generated file
  --mb N                    target input size in MiB (default 2048)
  --before-cli PATH         a bin/stylecast.mjs of an older build: it and this one on a smaller input, in turn
  --before-mb N             that smaller input's size in MiB (default 300)
  --skip-main               only the before/after pair
  --tag NAME                bench/results/longfile-NAME.json (default: the host name)
  env: STYLECAST_BENCH_TAG (--tag's default)`;
const { option, flag } = parseBenchArgs(USAGE, { name: 'bench:longfile', valued: ['mb', 'before-cli', 'before-mb', 'tag'], flags: ['skip-main'] });
const TARGET_MB = Number(option('mb') ?? 2048);
const BEFORE_CLI = option('before-cli');
const BEFORE_MB = Number(option('before-mb') ?? 300);
const SKIP_MAIN = flag('skip-main');
const TAG = (option('tag') ?? process.env.STYLECAST_BENCH_TAG ?? hostname()).replace(/[^A-Za-z0-9._-]+/g, '-');
const CLI = resolve(ROOT, 'bin/stylecast.mjs');
const WALKING = resolve(SHARED_MEDIA, 'video/pexels-854100-people-walking-sidewalk-960x540.mp4');
const STYLE_ARGS = ['--size', '64', '--temporal', '0'];
const MB = 1024 * 1024;

/** A 10-second noisy cut, then looped (packets copied) to at least `mb` MiB. */
async function makeInput(dir: string, mb: number): Promise<{ path: string; bytes: number }> {
  const seg = join(dir, `seg.mp4`);
  try {
    statSync(seg);
  } catch {
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', WALKING, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '10',
      '-vf', 'scale=960:540,noise=alls=40:allf=t+u', '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '1', '-pix_fmt', 'yuv420p', '-r', '30',
      '-c:a', 'aac', '-b:a', '128k', '-shortest', seg]);
  }
  const segBytes = statSync(seg).size;
  const loops = Math.max(0, Math.ceil((mb * MB) / segBytes) - 1);
  const path = join(dir, `input-${mb}mb.mp4`);
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-stream_loop', String(loops), '-i', seg, '-c', 'copy', path]);
  return { path, bytes: statSync(path).size };
}

/** Processes under `root` (itself included), from /proc: pid → [ppid, command line]. */
function tree(root: number): { pid: number; cmd: string }[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {}
  }
  const inside = (pid: number): boolean => {
    for (let p = pid, n = 0; p > 1 && n < 64; p = parent.get(p) ?? 0, n++) if (p === root) return true;
    return false;
  };
  const out: { pid: number; cmd: string }[] = [];
  for (const pid of parent.keys()) {
    if (!inside(pid)) continue;
    try {
      out.push({ pid, cmd: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ') });
    } catch {}
  }
  return out;
}

const kb = (text: string, key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
function memory(pid: number): { rss: number; pss: number } | null {
  try {
    const rss = kb(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS');
    let pss = rss;
    try {
      pss = kb(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss');
    } catch {}
    return { rss: rss / 1024, pss: pss / 1024 };
  } catch {
    return null;
  }
}

const kind = (cmd: string) => /--type=([\w-]+)/.exec(cmd)?.[1] ?? (/chrom/i.test(cmd) ? 'browser' : 'other');

interface Sample {
  t: number;
  cliRssMB: number;
  chromiumRssMB: number;
  chromiumPssMB: number;
  /** Chromium's RSS by process type (browser, renderer, gpu-process, utility, zygote). */
  byType: Record<string, number>;
  processes: number;
}

/** Least squares y = a + b·x; b per 1000 x, r². */
function fit(xs: number[], ys: number[]): { perThousandFrames: number | null; r2: number | null } {
  const n = xs.length;
  if (n < 3) return { perThousandFrames: null, r2: null };
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  if (sxx === 0) return { perThousandFrames: null, r2: null };
  const b = sxy / sxx;
  return { perThousandFrames: round(b * 1000, 3), r2: syy === 0 ? 1 : round((sxy * sxy) / (sxx * syy), 3) };
}

async function stylise(label: string, cli: string, input: { path: string; bytes: number }, dir: string) {
  const out = join(dir, `out-${label}.mp4`);
  log(`longfile: ${label}: ${cli} stylize ${(input.bytes / MB).toFixed(0)} MiB …`);
  const started = performance.now();
  const child = spawn(process.execPath, [cli, 'stylize', input.path, '-o', out, ...STYLE_ARGS], {
    cwd: ROOT,
    env: { ...process.env, STYLECAST_GPU: 'software' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const progress: { t: number; frames: number; total: number }[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    const text = d.toString();
    stderr += text;
    const t = (performance.now() - started) / 1000;
    for (const m of text.matchAll(/stylecast: (\d+)\/(\d+) frames/g)) progress.push({ t, frames: Number(m[1]), total: Number(m[2]) });
  });
  const samples: Sample[] = [];
  const timer = setInterval(() => {
    const t = (performance.now() - started) / 1000;
    const procs = tree(child.pid!);
    const s: Sample = { t: round(t, 1)!, cliRssMB: 0, chromiumRssMB: 0, chromiumPssMB: 0, byType: {}, processes: 0 };
    for (const p of procs) {
      const m = memory(p.pid);
      if (!m) continue;
      if (p.pid === child.pid) {
        s.cliRssMB = round(m.rss, 1)!;
        continue;
      }
      if (!/chrom/i.test(p.cmd)) continue;
      s.processes++;
      s.chromiumRssMB += m.rss;
      s.chromiumPssMB += m.pss;
      const k = kind(p.cmd);
      s.byType[k] = round((s.byType[k] ?? 0) + m.rss, 1)!;
    }
    s.chromiumRssMB = round(s.chromiumRssMB, 1)!;
    s.chromiumPssMB = round(s.chromiumPssMB, 1)!;
    samples.push(s);
  }, 1000);
  const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  clearInterval(timer);
  const seconds = (performance.now() - started) / 1000;
  const outBytes = (() => {
    try {
      return statSync(out).size;
    } catch {
      return 0;
    }
  })();
  rmSync(out, { force: true });
  if (code !== 0) throw new Error(`${label}: the CLI exited with ${code}:\n${stderr.slice(-2000)}`);
  // Frames processed at each sample, interpolated between progress lines (first: frame 1; last: every frame).
  const framesAt = (t: number): number | null => {
    if (!progress.length || t < progress[0].t) return null;
    for (let i = 1; i < progress.length; i++) {
      const a = progress[i - 1], b = progress[i];
      if (t <= b.t) return a.frames + ((b.frames - a.frames) * (t - a.t)) / Math.max(1e-9, b.t - a.t);
    }
    return null; // after the last frame: finishing, writing, closing
  };
  const during = samples.map((s) => ({ s, f: framesAt(s.t) })).filter((x): x is { s: Sample; f: number } => x.f !== null);
  const half = during.filter((x) => x.f >= (progress.at(-1)?.frames ?? 0) / 2);
  const series = (pick: (s: Sample) => number) => ({
    peakMB: round(Math.max(...samples.map(pick)), 1),
    atFirstFrameMB: during.length ? pick(during[0].s) : null,
    atLastFrameMB: during.length ? pick(during.at(-1)!.s) : null,
    slope: fit(during.map((x) => x.f), during.map((x) => pick(x.s))),
    slopeSecondHalf: fit(half.map((x) => x.f), half.map((x) => pick(x.s))),
  });
  const frames = progress.at(-1)?.frames ?? 0;
  const result = {
    label,
    cli,
    inputBytes: input.bytes,
    outputBytes: outBytes,
    frames,
    seconds: round(seconds, 1),
    msPerFrame: frames ? round((seconds * 1000) / frames, 1) : null,
    cli_rss: series((s) => s.cliRssMB),
    chromium_rss_sum: series((s) => s.chromiumRssMB),
    chromium_pss_sum: series((s) => s.chromiumPssMB),
    renderer_rss: series((s) => s.byType.renderer ?? 0),
    gpu_process_rss: series((s) => s.byType['gpu-process'] ?? 0),
    browser_rss: series((s) => s.byType.browser ?? 0),
    // At most ~240 samples kept in the file (every k-th), with the frames interpolated at each.
    samples: samples.filter((_, i) => i % Math.max(1, Math.ceil(samples.length / 240)) === 0).map((s) => ({ ...s, frames: round(framesAt(s.t), 0) })),
    load: machine().loadavg_1_5_15,
    lastLines: stderr.trim().split('\n').slice(-4),
  };
  log(`longfile: ${label}: ${frames} frames in ${result.seconds} s; CLI peak ${result.cli_rss.peakMB} MB (slope ${result.cli_rss.slope.perThousandFrames} MB/1000 frames), Chromium RSS peak ${result.chromium_rss_sum.peakMB} MB (slope ${result.chromium_rss_sum.slope.perThousandFrames}), PSS peak ${result.chromium_pss_sum.peakMB} MB (slope ${result.chromium_pss_sum.slope.perThousandFrames})`);
  return result;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'stylecast-longfile-'));
  const atStart = machine();
  const runs: Awaited<ReturnType<typeof stylise>>[] = [];
  try {
    if (BEFORE_CLI) {
      const small = await makeInput(dir, BEFORE_MB);
      log(`longfile: input ${small.path}: ${(small.bytes / MB).toFixed(0)} MiB`);
      runs.push(await stylise('before-blob', resolve(BEFORE_CLI), small, dir));
      runs.push(await stylise('after-stream-small', CLI, small, dir));
      rmSync(small.path, { force: true });
    }
    if (!SKIP_MAIN) {
      const big = await makeInput(dir, TARGET_MB);
      log(`longfile: input ${big.path}: ${(big.bytes / MB).toFixed(0)} MiB`);
      runs.push(await stylise('after-stream', CLI, big, dir));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const doc = {
    bench: 'longfile',
    date: new Date().toISOString(),
    machine: { tag: TAG, hostname: hostname(), atStart, atEnd: machine() },
    settings: { styleArgs: STYLE_ARGS, gpu: 'software (SwiftShader)', input: '960×540 H.264 qp 1 ultrafast (walking clip + noise), AAC, 10-s cut looped with -c copy' },
    notes: [
      'Memory in MB (MiB). chromium_rss_sum adds every Chromium process\'s VmRSS (shared pages counted in each); chromium_pss_sum adds Pss (shared pages split): the fairer total.',
      'slope: least squares of memory against frames processed (interpolated between the CLI\'s progress lines, every tenth of the clip), MB per 1000 frames, over the conversion; slopeSecondHalf over its second half.',
      'before-blob: the CLI before streaming (the page fetched the whole input as a Blob and built the MP4 in memory, then PUT it); after-*: ranged reads (UrlSource) and the MP4 written in pieces as it is made.',
    ],
    runs,
  };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  const file = join(ROOT, `bench/results/longfile-${TAG}.json`);
  writeFileSync(file, JSON.stringify(doc, null, 1) + '\n');
  process.stdout.write(JSON.stringify(doc) + '\n');
  log(`longfile: wrote ${file}`);
}

await main();
