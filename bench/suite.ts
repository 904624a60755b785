// npm run bench — stylecast's speed benchmark, every backend side by side in one run (one browser, one page per
// backend): (a) the network alone, (b) the engine's clip pipeline per frame with smoothing off, (c) with smoothing
// on, (d) the per-frame-readback loop public demos use, (e) the live path on a fake camera, (f) the first stylised
// frame after navigation (cold and warm) and the CLI's start-up, (g) memory over many frames. A readable table on
// stderr; one JSON document on stdout, also written to bench/results/suite-<machine>.json, plus an SVG chart.
//
//   npm run bench [-- --quick] [--gpu hardware|software|auto] [--mem-frames N] [--live-seconds S] [--tag NAME]
//   env: STYLECAST_BENCH_QUICK=1, STYLECAST_BENCH_MEM_FRAMES, STYLECAST_BENCH_LIVE_SECONDS, STYLECAST_BENCH_TAG
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openSession, type Session } from '../src/cli/browser.ts';
import type { GpuMode } from '../src/cli/gpu.ts';
import { DEFAULT_SIZE, DEFAULT_TEMPORAL, DEFAULT_TEMPORAL_METHOD, type BackendName } from '../src/engine/constants.ts';
import type { FirstFrameResult } from './suite-first.ts';
import type { DemoResult, LiveResult, MemoryResult, NetworkResult, PipelineResult } from './suite-page.ts';
import { ROOT, SHARED_MEDIA, log, machine, median, parseBenchArgs, round, run } from './util.ts';

// ---------- options ----------

const USAGE = `npm run bench [-- options]
speed, every backend side by side: the network alone, the clip pipeline with smoothing off and on, the per-frame-readback
loop, the live path (e), the first frame and the CLI's start-up (f), memory over many frames (g)
  --quick                   fewer frames, sizes and repeats (also STYLECAST_BENCH_QUICK=1)
  --gpu hardware|software|auto   the WebGPU adapter to ask for (default auto; also STYLECAST_GPU)
  --backends a,b            only these backends (wasm, webgpu, webgl; none: no per-backend part)
  --sizes 128,256           only these short sides
  --no-extras | --extras e,f,g   skip or pick the live (e), first-frame (f) and memory (g) parts
  --mem-frames N, --mem-frames-smooth N, --live-seconds S, --first-reps N
                            (defaults 10000, 500, 15, 3; quick 1000, 200, 6, 1)
  --first-compare DIR       run (f) alternately with another checkout's
  --first-built             (f) also of the app from the built site (dist/: npm run build) as npm start serves it
  --tag NAME                bench/results/suite-NAME.json (default: the host name)
  --svg FILE, --svg-from RESULT.json   where the chart goes (default bench/results/suite.svg, the README's, for a
                            run over every size and backend; suite-TAG.svg when --sizes or --backends narrow it);
                            redraw it from a saved result
  env: STYLECAST_BENCH_MEM_FRAMES, STYLECAST_BENCH_MEM_FRAMES_SMOOTH, STYLECAST_BENCH_LIVE_SECONDS,
       STYLECAST_BENCH_FIRST_REPS, STYLECAST_BENCH_TAG (the options' defaults)`;
const { option, flag } = parseBenchArgs(USAGE, {
  name: 'bench',
  valued: ['gpu', 'backends', 'sizes', 'extras', 'mem-frames', 'mem-frames-smooth', 'live-seconds', 'first-reps', 'first-compare', 'tag', 'svg', 'svg-from'],
  flags: ['quick', 'no-extras', 'first-built'],
});
const QUICK = flag('quick') || !!process.env.STYLECAST_BENCH_QUICK;
const GPU = option('gpu') ?? process.env.STYLECAST_GPU;
if (GPU !== undefined && !['hardware', 'software', 'auto'].includes(GPU)) {
  log(`bench: --gpu must be hardware, software or auto, got "${GPU}"`);
  process.exit(2);
}
const intOption = (name: string, env: string, fallback: number) => {
  const v = Number(option(name) ?? process.env[env] ?? fallback);
  if (!Number.isInteger(v) || v <= 0) {
    log(`bench: --${name} must be a whole number above 0`);
    process.exit(2);
  }
  return v;
};

const CLIP = join(SHARED_MEDIA, 'video', 'pexels-854100-people-walking-sidewalk-640x360-6s.webm');
/**
 * The engine never upscales (the network's short side is at most the frame's), so sizes above 360 px use the same
 * footage at 960×540 (H.264): the shared clip's source.
 */
const CLIP_540 = join(SHARED_MEDIA, 'video', 'pexels-854100-people-walking-sidewalk-960x540.mp4');
interface Source {
  clip: string;
  warm: string;
  width: number;
  height: number;
}
const source = (size: number, frames: number): Source =>
  size <= 360
    ? { clip: `clip-${frames}.webm`, warm: `clip-${WARM_FRAMES}.webm`, width: 640, height: 360 }
    : { clip: `clip540-${frames}.mp4`, warm: `clip540-${WARM_FRAMES}.mp4`, width: 960, height: 540 };
const STYLE = 'starry_night';

interface BackendPlan {
  backend: BackendName;
  sizes: number[];
  /** Frames of the clip for (b), (c), (d). */
  frames: number;
  /** Timed runs of (a) after one warm-up. */
  reps: number;
  /** Why this backend is capped (shown in the JSON). */
  note: string;
}

/**
 * wasm is the only fast backend here; WebGPU and WebGL are SwiftShader (CPU emulation: transformer 128² ≈ 1.9 s on
 * webgpu, 0.8 s on webgl), so they run small sizes and 3 frames: enough to see the path work and its shape, not speed.
 */
const PLANS: BackendPlan[] = QUICK
  ? [{ backend: 'wasm', sizes: [128, 256], frames: 8, reps: 5, note: 'quick mode' }]
  : [
      { backend: 'wasm', sizes: [128, 256, 384, 512], frames: 24, reps: 15, note: '' },
      { backend: 'webgl', sizes: [64, 128], frames: 3, reps: 3, note: 'capped: 64/128 px, 3 frames (software GPU here)' },
      { backend: 'webgpu', sizes: [64, 128], frames: 3, reps: 3, note: 'capped: 64/128 px, 3 frames (software GPU here)' },
    ];
/**
 * Development aids: `--backends wasm,webgpu` and `--sizes 64,128` narrow the plan (`--backends none`: no per-backend
 * part); `--no-extras` skips (e), (f), (g); `--extras f` (or `e,g`, …) runs only those of them; `--first-reps N`
 * repeats (f) N times. The first frame alone: `npm run bench -- --backends none --extras f`.
 */
const ONLY_BACKENDS = option('backends')?.split(',');
const ONLY_SIZES = option('sizes')?.split(',').map(Number);
const EXTRA_PARTS = ['e', 'f', 'g'] as const;
const EXTRAS = new Set<string>(flag('no-extras') ? [] : (option('extras')?.split(',') ?? EXTRA_PARTS));
if ([...EXTRAS].some((p) => !(EXTRA_PARTS as readonly string[]).includes(p))) {
  log(`bench: --extras takes a list of ${EXTRA_PARTS.join(', ')}, got "${option('extras')}"`);
  process.exit(2);
}
const PLAN = PLANS.filter((p) => !ONLY_BACKENDS || ONLY_BACKENDS.includes(p.backend)).map((p) => ({
  ...p,
  sizes: ONLY_SIZES ? p.sizes.filter((s) => ONLY_SIZES.includes(s)) : p.sizes,
}));
/** Warm-up clip for every pipeline measurement (compiles shaders, sizes pools) before the timed clip. */
const WARM_FRAMES = 2;
const MEM_SIZE = 32;
const MEM_FRAMES = intOption('mem-frames', 'STYLECAST_BENCH_MEM_FRAMES', QUICK ? 1000 : 10_000);
/** The same loop with smoothing on: the temporal stage on this machine's software WebGPU costs ~100 ms a frame. */
const MEM_FRAMES_SMOOTH = intOption('mem-frames-smooth', 'STYLECAST_BENCH_MEM_FRAMES_SMOOTH', QUICK ? 200 : 500);
const MEM_SAMPLES = QUICK ? 20 : 40;
const LIVE_SECONDS = intOption('live-seconds', 'STYLECAST_BENCH_LIVE_SECONDS', QUICK ? 6 : 15);
const LIVE_RUNS = QUICK ? [DEFAULT_TEMPORAL] : [DEFAULT_TEMPORAL, 0];
const FIRST_REPS = intOption('first-reps', 'STYLECAST_BENCH_FIRST_REPS', QUICK ? 1 : 3);
/**
 * `--first-compare DIR`: a checkout of another commit (a git worktree of the baseline, its node_modules and public/
 * files in place) whose (f) runs in the same run, alternately with this tree's (baseline, this, baseline, this, …),
 * each served by its own dev server and browser: before/after under the same load.
 */
const FIRST_COMPARE = option('first-compare');
/** `--first-built`: (f) also loads the app from the built site (dist/), served as `npm start` serves it. */
const FIRST_BUILT = flag('first-built');
const CLI_RUNS = QUICK ? 2 : 5;
const TAG = (option('tag') ?? process.env.STYLECAST_BENCH_TAG ?? hostname()).replace(/[^A-Za-z0-9._-]+/g, '-') + (QUICK ? '-quick' : '');

const GOALS = {
  size: 256,
  backend: 'wasm',
  b_over_a_max: 1.15,
  c_over_b_max: 1.35,
  memory_slope: '≈ 0 per 1000 frames',
  first_frame_ms_max: 2000,
};

// ---------- small helpers ----------

const r1 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? null : round(v, 1));
const ratio = (a: number | null | undefined, b: number | null | undefined) => (a && b ? round(a / b, 3) : null);
const errorText = (e: unknown) => (e instanceof Error ? e.message.split('\n')[0] : String(e));

/** Least-squares slope of y over x, scaled to "per 1000 x", with r². */
function slope(points: [number, number][]): { per1000: number | null; r2: number | null } {
  const pts = points.filter(([, y]) => Number.isFinite(y));
  if (pts.length < 3) return { per1000: null, r2: null };
  const n = pts.length;
  const mx = pts.reduce((s, [x]) => s + x, 0) / n;
  const my = pts.reduce((s, [, y]) => s + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const [x, y] of pts) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
    syy += (y - my) ** 2;
  }
  const b = sxy / sxx;
  return { per1000: round(b * 1000, 3), r2: syy ? round((sxy * sxy) / (sxx * syy), 3) : null };
}

async function step<T>(label: string, f: () => Promise<T>): Promise<T | { error: string }> {
  const t0 = performance.now();
  try {
    const r = await f();
    log(`bench: ${label}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return r;
  } catch (e) {
    log(`bench: ${label} FAILED: ${errorText(e)}`);
    return { error: errorText(e) };
  }
}
const ok = <T extends object>(v: T | { error: string } | undefined): v is T => !!v && !('error' in v);

/** Cuts the first `frames` frames of the clip without re-encoding (VP9 packets copied: the same pixels). */
async function cut(dir: string, frames: number, large = false): Promise<string> {
  const path = join(dir, large ? `clip540-${frames}.mp4` : `clip-${frames}.webm`);
  await run('ffmpeg', ['-v', 'error', '-y', '-i', large ? CLIP_540 : CLIP, '-frames:v', String(frames), '-c:v', 'copy', '-an', path]);
  return path;
}

async function newPage(session: Session, path: string, ready: string): Promise<Page> {
  const page = await session.page.context().newPage();
  page.on('console', (m) => m.type() === 'error' && log(`page: ${m.text()}`));
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  await page.goto(new URL(path, session.page.url()).href);
  await page.waitForFunction(ready, null, { timeout: 120_000 });
  return page;
}

const READY = "typeof window.benchInit === 'function'";

// ---------- the measurements ----------

interface SizeRow {
  size: number;
  infer: string;
  clip: string;
  a_network: Record<string, unknown> | { error: string };
  b_pipeline_off: Record<string, unknown> | { error: string };
  c_pipeline_on: Record<string, unknown> | { error: string };
  c_pipeline_on_cubic: Record<string, unknown> | { error: string };
  d_demo_encode: Record<string, unknown> | { error: string };
  d_demo_display: Record<string, unknown> | { error: string };
  ratios: { b_over_a: number | null; c_over_b: number | null; c_cubic_over_b: number | null; d_over_b: number | null; d_display_over_b: number | null };
  ms_per_frame: { a: number | null; b: number | null; c: number | null; c_cubic: number | null; d: number | null; d_display: number | null };
}

async function benchBackend(session: Session, plan: BackendPlan) {
  const page = await newPage(session, '/bench/suite.html', READY);
  try {
    const info = await page.evaluate((b) => window.benchInit(b), plan.backend);
    log(`bench: ${plan.backend}: ${info.reason}`);
    const rows: SizeRow[] = [];
    for (const size of plan.sizes) {
      const label = `${plan.backend} ${size}px`;
      const src = source(size, plan.frames);
      const [clipName, warmName] = [src.clip, src.warm];
      const load = () => machine().loadavg_1_5_15[0];
      const a = await step(`${label} (a) network`, async () => {
        const r = await page.evaluate(([s, n, w, h]) => window.benchNetwork(s, n, w, h), [size, plan.reps, src.width, src.height] as [number, number, number, number]);
        return { r, load: load() };
      });
      const b = await step(`${label} (b) pipeline, smoothing off`, async () => ({
        r: await page.evaluate(([s, c, w]) => window.benchPipeline(s, 0, c, w), [size, clipName, warmName] as [number, string, string]),
        load: load(),
      }));
      const c = await step(`${label} (c) pipeline, smoothing ${DEFAULT_TEMPORAL}`, async () => ({
        r: await page.evaluate(([s, t, c, w]) => window.benchPipeline(s, t, c, w), [size, DEFAULT_TEMPORAL, clipName, warmName] as [number, number, string, string]),
        load: load(),
      }));
      // (c') The same with the cubic: what guided upsampling costs where the output is presented on a device (a clip
      // on a CPU backend with a software adapter is read back and enlarged by the cubic either way).
      const cc = await step(`${label} (c') pipeline, smoothing ${DEFAULT_TEMPORAL}, cubic`, async () => ({
        r: await page.evaluate(([s, t, c, w]) => window.benchPipeline(s, t, c, w, 'cubic'), [size, DEFAULT_TEMPORAL, clipName, warmName] as [number, number, string, string]),
        load: load(),
      }));
      const d = await step(`${label} (d) demo loop + encode`, async () => ({
        r: await page.evaluate(([s, c, w, W, H]) => window.benchDemo(s, c, w, true, W, H), [size, clipName, warmName, src.width, src.height] as [number, string, string, number, number]),
        load: load(),
      }));
      const dd = await step(`${label} (d) demo loop, display only`, async () => ({
        r: await page.evaluate(([s, c, w, W, H]) => window.benchDemo(s, c, w, false, W, H), [size, clipName, warmName, src.width, src.height] as [number, string, string, number, number]),
        load: load(),
      }));
      // (a) once more after the pipelines: the load on this shared machine drifts; the median is over both batches.
      const a2 = plan.backend === 'wasm' ? await step(`${label} (a) network, second batch`, async () => page.evaluate(([s, n, w, h]) => window.benchNetwork(s, n, w, h), [size, plan.reps, src.width, src.height] as [number, number, number, number])) : null;
      if (ok(a) && a2 && ok(a2)) (a as { r: NetworkResult }).r.ms.push(...a2.ms);
      const net = ok(a) ? (a as { r: NetworkResult }).r : null;
      const pipe = (v: typeof b) => (ok(v) ? (v as { r: PipelineResult }).r : null);
      const demo = (v: typeof d) => (ok(v) ? (v as { r: DemoResult }).r : null);
      const [pb, pc, pcc, pd, pdd] = [pipe(b), pipe(c), pipe(cc), demo(d), demo(dd)];
      const ms = { a: r1(net && median(net.ms)), b: r1(pb?.msPerFrame), c: r1(pc?.msPerFrame), c_cubic: r1(pcc?.msPerFrame), d: r1(pd?.msPerFrame), d_display: r1(pdd?.msPerFrame) };
      const pipeJson = (p: PipelineResult | null, v: typeof b, temporal: number) =>
        p
          ? {
              what: `createStylizer({ backend: '${plan.backend}', size: ${size}, temporal: ${temporal}${temporal ? `, temporalMethod: default '${DEFAULT_TEMPORAL_METHOD}'` : ''} }) + stylizeFile(${p.frames}-frame ${src.width}×${src.height} ${src.width === 640 ? 'VP9' : 'H.264'} cut): open, decode, per-frame path, encode (${p.codec}, ${src.width}×${src.height}), mux; warm (a ${WARM_FRAMES}-frame clip ran first)`,
              frames: p.frames,
              elapsed_ms: r1(p.elapsedMs),
              ms_per_frame: r1(p.msPerFrame),
              stage_ms: { network: r1(p.stageMs.network), temporal: r1(p.stageMs.temporal) },
              temporal_used: p.temporal,
              temporal_method: p.temporalMethod,
              upsampling: p.upsampling,
              warmup: { frames: p.warmup.frames, elapsed_ms: r1(p.warmup.elapsedMs) },
              tensors_after: p.numTensors,
              load_1min: (v as { load: number }).load,
            }
          : (v as { error: string });
      const demoJson = (p: DemoResult | null, v: typeof d) =>
        p
          ? {
              what: p.encoded
                ? `Mediabunny Conversion (same decoder/encoder/${p.codec} ${src.width}×${src.height} as (b)); per frame: VideoSample.draw → canvas ${p.inferWidth}×${p.inferHeight} → tf.browser.fromPixels → /255 → transformer → clip → tf.browser.toPixels(canvas) (readback + putImageData) → drawImage up to ${src.width}×${src.height} → encode`
                : `decode only (Mediabunny VideoSampleSink, no encoding); per frame: VideoSample.draw → canvas ${p.inferWidth}×${p.inferHeight} → tf.browser.fromPixels → /255 → transformer → clip → tf.browser.toPixels(canvas) (readback + putImageData on the display canvas)`,
              frames: p.frames,
              elapsed_ms: r1(p.elapsedMs),
              ms_per_frame: r1(p.msPerFrame),
              model_and_readback_ms_median: r1(median(p.modelAndReadbackMs)),
              warmup_ms: r1(p.warmupMs),
              load_1min: (v as { load: number }).load,
            }
          : (v as { error: string });
      const row: SizeRow = {
        size,
        clip: `${src.width}x${src.height}, ${plan.frames} frames`,
        infer: net ? `${net.inferWidth}x${net.inferHeight}` : pb ? `${pb.inferWidth}x${pb.inferHeight}` : '?',
        a_network: net
          ? {
              what: `StyleModel.transform(resident [1,h,w,3] tensor, preset vector) + await data(); one warm-up, median of the runs${plan.backend === 'wasm' ? ' (two batches: before (b) and after (d))' : ''}`,
              median_ms: ms.a,
              runs_ms: net.ms.map((v) => r1(v)),
              warmup_ms: r1(net.warmupMs),
              load_1min: (a as { load: number }).load,
            }
          : (a as { error: string }),
        b_pipeline_off: pipeJson(pb, b, 0),
        c_pipeline_on: pipeJson(pc, c, DEFAULT_TEMPORAL),
        c_pipeline_on_cubic: pipeJson(pcc, cc, DEFAULT_TEMPORAL),
        d_demo_encode: demoJson(pd, d),
        d_demo_display: demoJson(pdd, dd),
        ratios: { b_over_a: ratio(ms.b, ms.a), c_over_b: ratio(ms.c, ms.b), c_cubic_over_b: ratio(ms.c_cubic, ms.b), d_over_b: ratio(ms.d, ms.b), d_display_over_b: ratio(ms.d_display, ms.b) },
        ms_per_frame: ms,
      };
      rows.push(row);
    }
    const tensorsLeft = await page.evaluate(() => window.benchDispose());
    return { info, plan: { ...plan, clip_frames: plan.frames, warmup_frames: WARM_FRAMES }, rows, tensors_left_after_dispose: tensorsLeft };
  } finally {
    await page.close();
  }
}

async function benchMemory(session: Session, frames: number, temporal: number) {
  const page = await newPage(session, '/bench/suite.html', READY);
  const every = Math.max(1, Math.round(frames / MEM_SAMPLES));
  try {
    await page.evaluate(() => window.benchInit('wasm'));
    const r: MemoryResult = await page.evaluate(
      ([s, f, e, t, c]) => window.benchMemory(s, f, e, t, c),
      [MEM_SIZE, frames, every, temporal, `clip-${WARM_FRAMES + 6}.webm`] as [number, number, number, number, string],
    );
    const series = (key: 'numTensors' | 'numBytes' | 'usedJSHeapSize' | 'uaSpecificMemoryBytes' | 'wasmHeapBytes') => r.samples.map((s) => [s.frame, s[key] ?? NaN] as [number, number]);
    const first = r.samples[0];
    const last = r.samples[r.samples.length - 1];
    return {
      what: `the engine's per-frame path (createFrameStylizer(wasm).render, smoothing ${r.temporal ? `on, α ${r.temporal}` : r.smoothing ? 'off (α 0; output still presented on the WebGPU canvas)' : 'unavailable'}) on 640×360 VideoFrames (8 decoded frames cycled, a new VideoFrame each time, closed after) at a ${r.inferWidth}×${r.inferHeight} network input; 20 warm-up frames, then a sample every ${every} frames${r.gcExposed ? ' after gc()' : ''}`,
      frames: r.frames,
      ms_per_frame: r1(r.msPerFrame),
      /** The same over the second half of the samples only (after JIT and pools have settled). */
      slope_per_1000_frames_second_half: {
        numTensors: slope(series('numTensors').slice(Math.floor(r.samples.length / 2))),
        usedJSHeapSize_bytes: slope(series('usedJSHeapSize').slice(Math.floor(r.samples.length / 2))),
        ua_specific_memory_bytes: slope(series('uaSpecificMemoryBytes').slice(Math.floor(r.samples.length / 2))),
      },
      slope_per_1000_frames: {
        numTensors: slope(series('numTensors')),
        numBytes: slope(series('numBytes')),
        usedJSHeapSize_bytes: slope(series('usedJSHeapSize')),
        ua_specific_memory_bytes: slope(series('uaSpecificMemoryBytes')),
        wasm_heap_bytes: slope(series('wasmHeapBytes')),
      },
      first_sample: first,
      last_sample: last,
      gc_exposed: r.gcExposed,
      precise_memory_info: r.preciseMemoryInfo,
      samples: r.samples.map((s) => ({ ...s, ms: r1(s.ms) })),
    };
  } finally {
    await page.close();
  }
}

const KNOWN_LIVE_KEYS = new Set(['running', 'framesIn', 'framesOut', 'dropped', 'fps', 'networkMs', 'temporalMs', 'width', 'height', 'inferWidth', 'inferHeight', 'backend', 'smoothing', 'temporal', 'temporalMethod', 'numTensors']);

async function benchLive(session: Session, temporal: number) {
  const page = await newPage(session, '/bench/suite.html', READY);
  try {
    const r: LiveResult = await page.evaluate(([s, size, t]) => window.benchLive(s, size, t), [LIVE_SECONDS, DEFAULT_SIZE, temporal] as [number, number, number]);
    const withStats = r.samples.filter((s) => s.stats) as { t: number; stats: Record<string, unknown> }[];
    const [s0, s1] = [withStats[0], withStats[withStats.length - 1]];
    const num = (s: { stats: Record<string, unknown> } | undefined, k: string) => (s && typeof s.stats[k] === 'number' ? (s.stats[k] as number) : null);
    const seconds = s0 && s1 ? (s1.t - s0.t) / 1000 : 0;
    const nums = (k: string) => withStats.map((s) => s.stats[k]).filter((v): v is number => typeof v === 'number');
    const extra = Object.fromEntries(
      [...new Set(withStats.flatMap((s) => Object.keys(s.stats)))].filter((k) => !KNOWN_LIVE_KEYS.has(k)).map((k) => [k, s1?.stats[k] ?? null]),
    );
    return {
      what: `getUserMedia (fake camera) → createLiveStylizer({ size: ${DEFAULT_SIZE}, temporal: ${temporal} }) (worker, automatic backend) → process(stream) → a <video>; stats() once a second for ${LIVE_SECONDS} s after the first frame`,
      backend: r.backend,
      smoothing: r.smoothing,
      camera: r.camera,
      temporal,
      first_frame_ms_after_process: r1(r.firstFrameMs),
      window_s: round(seconds, 2),
      fps_mean: s0 && s1 && seconds > 0 ? round(((num(s1, 'framesOut') ?? 0) - (num(s0, 'framesOut') ?? 0)) / seconds, 2) : null,
      frames_in: s0 && s1 ? (num(s1, 'framesIn') ?? 0) - (num(s0, 'framesIn') ?? 0) : null,
      frames_out: s0 && s1 ? (num(s1, 'framesOut') ?? 0) - (num(s0, 'framesOut') ?? 0) : null,
      dropped: s0 && s1 ? (num(s1, 'dropped') ?? 0) - (num(s0, 'dropped') ?? 0) : null,
      dropped_total: num(s1, 'dropped'),
      network_ms_median: r1(median(nums('networkMs'))),
      temporal_ms_median: r1(median(nums('temporalMs'))),
      latency_ms_median: 'latencyMs' in (s1?.stats ?? {}) ? r1(median(nums('latencyMs'))) : null,
      latency_ms_last: num(s1, 'latencyMs'),
      governor: s1?.stats.governor ?? null,
      other_stats_fields: extra,
      infer: s1 ? `${num(s1, 'inferWidth')}x${num(s1, 'inferHeight')}` : null,
      error: r.error,
      tensors_left_after_dispose: r.tensorsLeft,
      samples: r.samples.map((s) => ({ t_s: s0 ? round((s.t - s0.t) / 1000, 2) : null, ...(s.stats ?? {}) })),
    };
  } finally {
    await page.close();
  }
}

/** Navigation → first stylised frame, in a fresh browser context (cold HTTP cache), then reloaded in it (warm). */
async function benchFirstFrame(session: Session, reps = FIRST_REPS, builtOrigin: string | null = null) {
  const browser = session.page.context().browser();
  if (!browser) throw new Error('no browser handle');
  const base = session.page.url();
  const TIMEOUT = 120_000;
  const enginePage = async (page: Page) => {
    await page.goto(new URL('/bench/suite-first.html', base).href, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction('window.benchFirst !== undefined', null, { timeout: TIMEOUT });
    return (await page.evaluate(() => window.benchFirst!)) as FirstFrameResult;
  };
  /**
   * The app itself (`/`, its defaults: the demo clip, automatic backend). Its first frame two ways: `firstFrame`, its
   * stats() polled every 20 ms until framesOut > 0 (a round trip to the engine's worker, answered between its tasks,
   * so up to a frame's network work late); `firstFrameTrack`, the first frame read off its output track
   * (`__stylecast.output`, a reader attached as soon as process() has returned it), as the engine page reads its own.
   * `appMarks`: the app's User Timing marks (`app:…`, [name, ms since navigation start] in order), where it sets them.
   */
  const appPage = async (page: Page, origin = base) => {
    await page.goto(new URL('/', origin).href, { waitUntil: 'domcontentloaded' });
    return await page.evaluate(async (timeout) => {
      type Live = { stats(): Promise<{ framesOut: number; inferWidth: number; inferHeight: number; backend: string; firstFrameMs: number | null } | null> };
      const w = window as unknown as { __stylecast?: { live?: Live | null; output?: MediaStream | null } };
      const started = performance.now();
      // No named functions in here: tsx wraps them in a helper (__name) the page does not have.
      let track: Promise<{ at: number; framesOut: number | null }> | null = null;
      void (async () => {
        while (!track && performance.now() - started < timeout) {
          const out = w.__stylecast?.output;
          const video = out?.getVideoTracks()[0];
          if (video) {
            track = (async () => {
              const reader = new MediaStreamTrackProcessor({ track: video }).readable.getReader();
              const { value } = await reader.read();
              const at = performance.now();
              value?.close();
              reader.releaseLock();
              const s = await w.__stylecast?.live?.stats().catch(() => null);
              return { at, framesOut: s ? s.framesOut : null };
            })();
          } else await new Promise((r) => setTimeout(r, 4));
        }
      })();
      let polled: { firstFrame: number; framesOut: number; infer: string; backend: string; streamFirstFrameMs: number | null } | null = null;
      while (!polled) {
        const live = w.__stylecast?.live;
        const s = live ? await live.stats().catch(() => null) : null;
        // streamFirstFrameMs: the engine's own figure (LiveStats.firstFrameMs, the worker's run start → first frame out).
        if (s && s.framesOut > 0) polled = { firstFrame: performance.now(), framesOut: s.framesOut, infer: `${s.inferWidth}x${s.inferHeight}`, backend: s.backend, streamFirstFrameMs: s.firstFrameMs };
        else if (performance.now() - started > timeout) throw new Error('the app showed no stylised frame');
        else await new Promise((r) => setTimeout(r, 20));
      }
      const t = track ? await (track as Promise<{ at: number; framesOut: number | null }>) : null;
      const entries = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
      return {
        ...polled,
        firstFrameTrack: t ? t.at : null,
        /** framesOut a moment after the track's first frame: 0 or 1 when the reader saw the run's first frame. */
        framesOutAfterTrackFrame: t ? t.framesOut : null,
        appMarks: performance
          .getEntriesByType('mark')
          .filter((m) => m.name.startsWith('app:'))
          .map((m) => [m.name, Math.round(m.startTime * 10) / 10]),
        pageResources: {
          count: entries.length,
          transferBytes: entries.reduce((s, e) => s + e.transferSize, 0),
          fromCache: entries.filter((e) => e.transferSize === 0 && e.decodedBodySize > 0).length,
          revalidated: entries.filter((e) => e.transferSize > 0 && e.transferSize < e.encodedBodySize).length,
        },
      };
    }, TIMEOUT);
  };
  // Prime Vite (module transforms, the worker) in a throwaway context, so "cold" is the browser's cold, not the dev server's.
  {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await enginePage(page).catch((e) => log(`bench: first-frame priming (engine page): ${errorText(e)}`));
    await appPage(page).catch((e) => log(`bench: first-frame priming (app): ${errorText(e)}`));
    await ctx.close();
  }
  const runs: { page: string; cold: unknown; warm: unknown }[] = [];
  const pages: [string, (page: Page) => Promise<unknown>][] = [
    ['engine', enginePage],
    ['app', (p) => appPage(p)],
  ];
  // --first-built: the app as `npm start` serves it (the built site, dist/, by `vite preview`), same browser.
  if (builtOrigin) pages.push(['app-built', (p) => appPage(p, builtOrigin)]);
  // Repetition by repetition, every page in turn (the load moves between repetitions, so pages compare within one).
  for (let i = 0; i < reps; i++) {
    for (const [name, measure] of pages) {
      const ctx = await browser.newContext();
      try {
        const settle = () => new Promise((r) => setTimeout(r, 1500));
        const fresh = async () => {
          const page = await ctx.newPage();
          page.on('pageerror', (e) => log(`page error: ${e.message}`));
          return page;
        };
        await settle();
        let page = await fresh();
        const cold = await measure(page).catch((e) => ({ error: errorText(e) }));
        await page.close();
        await settle();
        page = await fresh();
        const warm = await measure(page).catch((e) => ({ error: errorText(e) }));
        runs.push({ page: name, cold, warm });
        const ms = (v: unknown) => (v && typeof v === 'object' && 'marks' in v ? (v as FirstFrameResult).marks.firstFrame : v && typeof v === 'object' && 'firstFrame' in v ? (v as { firstFrame: number }).firstFrame : NaN);
        const track = (v: unknown) => (v && typeof v === 'object' && 'firstFrameTrack' in v && typeof v.firstFrameTrack === 'number' ? `, track ${v.firstFrameTrack.toFixed(0)}` : '');
        log(`bench: first frame (${name} page) cold ${ms(cold).toFixed(0)}${track(cold)} ms, warm ${ms(warm).toFixed(0)}${track(warm)} ms`);
      } finally {
        await ctx.close();
      }
    }
  }
  return summariseFirst(runs);
}

type FirstRun = { page: string; cold: unknown; warm: unknown };

/** Medians of the (f) runs, by page and cache. */
function summariseFirst(runs: FirstRun[]) {
  const pick = (page: string, which: 'cold' | 'warm') =>
    runs
      .filter((r) => r.page === page)
      .map((r) => r[which] as Record<string, unknown>)
      .map((v) => (v && 'marks' in v ? (v as unknown as FirstFrameResult).marks.firstFrame : v && typeof v.firstFrame === 'number' ? (v.firstFrame as number) : NaN))
      .filter(Number.isFinite);
  const pickTrack = (which: 'cold' | 'warm', page = 'app') =>
    runs
      .filter((r) => r.page === page)
      .map((r) => (r[which] as { firstFrameTrack?: unknown } | null)?.firstFrameTrack)
      .filter((v): v is number => typeof v === 'number');
  const summary = (page: string) => ({
    cold_ms_median: r1(median(pick(page, 'cold'))),
    warm_ms_median: r1(median(pick(page, 'warm'))),
    cold_ms: pick(page, 'cold').map(r1),
    warm_ms: pick(page, 'warm').map(r1),
  });
  return {
    what:
      'ms from navigation start (performance.now() in the page) to the first stylised frame, models installed on disk; cold = a fresh browser context (empty HTTP cache), warm = the same URL in a new page of that context after the first page closed (HTTP cache; Vite answers its source modules with 304s, pre-bundled dependencies are cached as immutable). Served by the Vite dev server (pre-bundled dependencies, modules transformed on a priming load first).',
    engine_page: {
      what: `bench/suite-first.html: the demo clip in a <video> + createLiveStylizer({ size: ${DEFAULT_SIZE}, style: '${STYLE}' }) (worker, automatic backend) + process(video.captureStream()); first frame read off the output track`,
      ...summary('engine'),
    },
    app: {
      what: "the app ('/', its defaults: demo clip, size 192, automatic backend); first frame = its live.stats().framesOut > 0, polled every 20 ms (a round trip to the engine's worker)",
      ...summary('app'),
      track: {
        what: "the app's first frame read off its output track (__stylecast.output, a reader attached once process() returned it), as the engine page reads its own",
        cold_ms_median: r1(median(pickTrack('cold'))),
        warm_ms_median: r1(median(pickTrack('warm'))),
        cold_ms: pickTrack('cold').map(r1),
        warm_ms: pickTrack('warm').map(r1),
      },
    },
    ...(runs.some((r) => r.page === 'app-built')
      ? {
          app_built: {
            what: "the same app from the built site (dist/, `npm run build`) as `npm start` serves it (`vite preview`: no module transforms, ETag revalidation); first frame by its stats() poll, and off its output track",
            ...summary('app-built'),
            track: {
              cold_ms_median: r1(median(pickTrack('cold', 'app-built'))),
              warm_ms_median: r1(median(pickTrack('warm', 'app-built'))),
              cold_ms: pickTrack('cold', 'app-built').map(r1),
              warm_ms: pickTrack('warm', 'app-built').map(r1),
            },
          },
        }
      : {}),
    runs,
  };
}

/** ms to the first frame of one (f) result, NaN for an error. */
const firstFrameMs = (v: unknown) =>
  v && typeof v === 'object' && 'marks' in v ? (v as FirstFrameResult).marks.firstFrame : v && typeof v === 'object' && 'firstFrame' in v && typeof v.firstFrame === 'number' ? v.firstFrame : NaN;

/**
 * Paired ratios this/baseline of the (f) runs, repetition by repetition (the two trees ran one after the other in
 * each, at about the same load), by page and cache, with their median: what a comparison on a shared machine can say.
 */
function pairedFirst(runs: { baseline: FirstRun[]; this: FirstRun[] }) {
  const out: Record<string, Record<string, { ratios: (number | null)[]; median: number | null; faster: string }>> = {};
  const trackMs = (v: unknown) => (v && typeof v === 'object' && 'firstFrameTrack' in v && typeof v.firstFrameTrack === 'number' ? v.firstFrameTrack : NaN);
  for (const [key, page, ms] of [
    ['engine', 'engine', firstFrameMs],
    ['app', 'app', firstFrameMs],
    ['app_track', 'app', trackMs],
    ['app_built', 'app-built', firstFrameMs],
    ['app_built_track', 'app-built', trackMs],
  ] as const) {
    out[key] = {};
    for (const which of ['cold', 'warm'] as const) {
      const b = runs.baseline.filter((r) => r.page === page).map((r) => ms(r[which]));
      const t = runs.this.filter((r) => r.page === page).map((r) => ms(r[which]));
      const ratios = t.map((v, i) => (Number.isFinite(v) && Number.isFinite(b[i]) ? round(v / b[i], 3) : null));
      const valid = ratios.filter((r): r is number => r !== null);
      out[key][which] = { ratios, median: round(median(valid), 3), faster: `${valid.filter((r) => r < 1).length}/${valid.length}` };
    }
  }
  return out;
}

/** A tree's built site (dist/) as `npm start` serves it: `vite preview`, on a free port (--first-built). */
async function previewBuilt(root: string): Promise<{ origin: string; close(): Promise<void> }> {
  if (!existsSync(join(root, 'dist', 'index.html'))) throw new Error(`--first-built: ${root}/dist has no index.html (npm run build there)`);
  const { preview } = await import('vite');
  const server = await preview({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'error', preview: { host: '127.0.0.1', port: 0 } });
  const origin = server.resolvedUrls?.local[0];
  if (!origin) {
    await server.close();
    throw new Error('vite preview gave no address');
  }
  return { origin, close: () => server.close() };
}

/** (f) of the --first-compare tree and of this one, one repetition each in turn; both summarised as (f) is. */
async function compareFirstFrame(session: Session, baseline: Session, dir: string) {
  const runs: { baseline: FirstRun[]; this: FirstRun[] } = { baseline: [], this: [] };
  const builtBaseline = FIRST_BUILT ? await previewBuilt(dir) : null;
  const builtThis = FIRST_BUILT ? await previewBuilt(ROOT).catch(async (e) => {
    await builtBaseline?.close();
    throw e;
  }) : null;
  /** The 1-minute load average before each repetition and after the last. */
  const load: (number | null)[] = [];
  try {
    for (let i = 0; i < FIRST_REPS; i++) {
      load.push(machine().loadavg_1_5_15[0]);
      for (const [name, s] of [
        ['baseline', baseline],
        ['this', session],
      ] as const) {
        log(`bench: (f) compare, repetition ${i + 1}/${FIRST_REPS}: ${name}`);
        const built = name === 'baseline' ? builtBaseline : builtThis;
        runs[name].push(...(await benchFirstFrame(s, 1, built?.origin ?? null)).runs);
      }
    }
    load.push(machine().loadavg_1_5_15[0]);
  } finally {
    await builtBaseline?.close();
    await builtThis?.close();
  }
  const git = (cwd: string, ...args: string[]) => spawnSync('git', args, { cwd, encoding: 'utf8' }).stdout.trim();
  const tree = (cwd: string) => ({ dir: cwd, commit: git(cwd, 'rev-parse', 'HEAD'), uncommitted_changes: git(cwd, 'status', '--porcelain', '--untracked-files=no').split('\n').filter(Boolean).length });
  return {
    what: `(f) for two trees in one run, alternately (baseline first in each repetition), each on its own dev server and browser; ${FIRST_REPS} repetitions each`,
    baseline: { ...tree(dir), ...summariseFirst(runs.baseline) },
    this: { ...tree(ROOT), ...summariseFirst(runs.this) },
    paired_this_over_baseline: pairedFirst(runs),
    loadavg_1min_per_repetition: load,
  };
}

function benchCli() {
  const times: number[] = [];
  let status: number | null = null;
  let out = '';
  for (let i = 0; i < CLI_RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/stylecast.mjs'), '--help'], { cwd: ROOT, encoding: 'utf8' });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    status = r.status;
    out = (r.stdout || r.stderr || '').split('\n')[0];
  }
  return {
    what: `wall time of \`node bin/stylecast.mjs --help\` (${CLI_RUNS} runs, spawned one after another)`,
    median_ms: r1(median(times)),
    first_ms: r1(times[0]),
    runs_ms: times.map(r1),
    exit_status: status,
    first_line: out,
  };
}

// ---------- output ----------

function table(backends: { backend: string; rows: SizeRow[] }[]): string {
  const head = ['backend', 'size', 'infer', 'a net', 'b off', 'c on', "c' cubic", 'd demo', 'd disp', 'b/a', 'c/b', "c'/b", 'd/b', 'ddisp/b', 'b:net', 'c:net', 'c:temporal'];
  const lines: string[][] = [head];
  const f = (v: number | null | undefined) => (v === null || v === undefined ? '—' : String(v));
  for (const { backend, rows } of backends) {
    for (const r of rows) {
      const stage = (v: unknown, k: 'network' | 'temporal') => (v && typeof v === 'object' && 'stage_ms' in v ? (v as { stage_ms: Record<string, number | null> }).stage_ms[k] : null);
      lines.push([
        backend,
        String(r.size),
        r.infer,
        f(r.ms_per_frame.a),
        f(r.ms_per_frame.b),
        f(r.ms_per_frame.c),
        f(r.ms_per_frame.c_cubic),
        f(r.ms_per_frame.d),
        f(r.ms_per_frame.d_display),
        f(r.ratios.b_over_a),
        f(r.ratios.c_over_b),
        f(r.ratios.c_cubic_over_b),
        f(r.ratios.d_over_b),
        f(r.ratios.d_display_over_b),
        f(stage(r.b_pipeline_off, 'network')),
        f(stage(r.c_pipeline_on, 'network')),
        f(stage(r.c_pipeline_on, 'temporal')),
      ]);
    }
  }
  const widths = head.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  return lines.map((l) => l.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Grouped bars: ms/frame of a, b, c, d (and d without encoding) per size on wasm. Hand-written SVG. */
function chart(rows: SizeRow[], subtitle: string): string {
  const series = [
    { key: 'a', label: '(a) network alone', colour: '#4c78a8' },
    { key: 'b', label: '(b) pipeline, smoothing off', colour: '#54a24b' },
    { key: 'c', label: `(c) pipeline, smoothing ${DEFAULT_TEMPORAL}`, colour: '#e45756' },
    { key: 'c_cubic', label: "(c') the same, cubic", colour: '#ff9da6' },
    { key: 'd', label: '(d) demo readback loop + encode', colour: '#f58518' },
    { key: 'd_display', label: '(d) demo loop, no encode', colour: '#b279a2' },
  ] as const;
  const W = 760;
  const H = 450;
  const m = { left: 64, right: 16, top: 56, bottom: 112 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const max = Math.max(1, ...rows.flatMap((r) => series.map((s) => r.ms_per_frame[s.key] ?? 0)));
  const stepV = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000].find((v) => max / v <= 6) ?? 10_000;
  const top = Math.ceil(max / stepV) * stepV;
  const y = (v: number) => m.top + ph - (v / top) * ph;
  const group = pw / Math.max(1, rows.length);
  const bw = Math.min(22, (group * 0.8) / series.length);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${m.left}" y="22" font-size="15" font-weight="600">stylecast on tfjs-wasm: ms per frame by the network's short side</text>`);
  out.push(`<text x="${m.left}" y="40" fill="#555">${esc(subtitle)}</text>`);
  for (let v = 0; v <= top + 1e-9; v += stepV) {
    out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${m.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#555">${v}</text>`);
  }
  out.push(`<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#555">ms per frame</text>`);
  rows.forEach((r, gi) => {
    const x0 = m.left + gi * group + (group - bw * series.length) / 2;
    series.forEach((s, si) => {
      const v = r.ms_per_frame[s.key];
      if (v === null || v === undefined) return;
      const x = x0 + si * bw;
      out.push(`<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${(m.top + ph - y(v)).toFixed(1)}" fill="${s.colour}"><title>${esc(`${s.label}, ${r.size} px: ${v} ms`)}</title></rect>`);
      out.push(`<text x="${(x + (bw - 2) / 2).toFixed(1)}" y="${(y(v) - 3).toFixed(1)}" text-anchor="middle" font-size="9" fill="#333">${Math.round(v)}</text>`);
    });
    out.push(`<text x="${(m.left + gi * group + group / 2).toFixed(1)}" y="${m.top + ph + 16}" text-anchor="middle">${r.size} px (${r.infer.replace('x', '×')})</text>`);
  });
  out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="#333"/>`);
  series.forEach((s, i) => {
    const lx = m.left + (i % 3) * 230;
    const ly = H - 72 + Math.floor(i / 3) * 18;
    out.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${s.colour}"/>`);
    out.push(`<text x="${lx + 18}" y="${ly}">${esc(s.label)}</text>`);
  });
  const notes = [
    'ms/frame = elapsed ÷ frames; 640×360 clip (960×540 footage above 360 px). No GPU on this machine: (b) and (c) present',
    'through, and (c) smooths on, SwiftShader (software WebGPU), which competes with tfjs-wasm for the same 2 cores.',
  ];
  notes.forEach((n, i) => out.push(`<text x="${m.left}" y="${H - 24 + i * 14}" font-size="10.5" fill="#777">${esc(n)}</text>`));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

// ---------- main ----------

/** `--svg-from bench/results/suite-<machine>.json [--svg out.svg]`: redraw the chart from a saved run, nothing else. */
function redraw(path: string) {
  const saved = JSON.parse(readFileSync(path, 'utf8')) as {
    date: string;
    mode: string;
    chromium: string;
    machine: { atStart: ReturnType<typeof machine> };
    backends: { wasm?: { rows: SizeRow[] } };
  };
  if (!saved.backends.wasm?.rows) throw new Error(`${path} has no wasm rows`);
  const m = saved.machine.atStart;
  const out = option('svg') ?? join(ROOT, 'bench/results', saved.mode === 'quick' ? 'suite-quick.svg' : 'suite.svg');
  writeFileSync(out, chart(saved.backends.wasm.rows, `${m.cpus} × ${m.cpu}, load ${m.loadavg_1_5_15[0]}; Chromium ${saved.chromium}; ${saved.date.slice(0, 10)}${saved.mode === 'quick' ? ' (quick mode)' : ''}`));
  log(`bench: wrote ${out}`);
}

async function main() {
  const svgFrom = option('svg-from');
  if (svgFrom) return redraw(svgFrom);
  const started = Date.now();
  const machineAtStart = machine();
  const dir = mkdtempSync(join(tmpdir(), 'stylecast-bench-suite-'));
  const frameCounts = [...new Set([WARM_FRAMES, WARM_FRAMES + 6, ...PLAN.map((p) => p.frames)])];
  const files: Record<string, string> = {};
  for (const n of frameCounts) files[`clip-${n}.webm`] = await cut(dir, n);
  const large = PLAN.filter((p) => p.sizes.some((s) => s > 360));
  for (const n of new Set([WARM_FRAMES, ...large.map((p) => p.frames)])) if (large.length) files[`clip540-${n}.mp4`] = await cut(dir, n, true);
  log(`bench: ${QUICK ? 'QUICK mode; ' : ''}clips cut (${frameCounts.join(', ')} frames); starting Chromium…`);
  const extraArgs = [
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    '--autoplay-policy=no-user-gesture-required',
    '--enable-precise-memory-info',
    '--js-flags=--expose-gc',
    '--enable-blink-features=ForceEagerMeasureMemory',
  ];
  // The Vite dev server (openSession's default): bench pages are not part of the built site.
  const session = await openSession(ROOT, files, '/bench/suite.html', READY, extraArgs, { gpu: GPU as GpuMode | undefined }).catch((e) => {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  log(`bench: GPU: ${session.gpu.note}`);
  let doc: Record<string, unknown>;
  try {
    const chromium = session.page.context().browser()?.version() ?? null;
    const backends: Record<string, unknown> = {};
    const tables: { backend: string; rows: SizeRow[] }[] = [];
    for (const plan of PLAN) {
      const r = await step(`${plan.backend}: all sizes`, () => benchBackend(session, plan));
      backends[plan.backend] = r;
      if (ok(r)) tables.push({ backend: plan.backend, rows: r.rows });
    }
    const skipped = { error: 'skipped (--no-extras / --extras)' };
    const memory = EXTRAS.has('g') ? await step(`(g) memory, ${MEM_FRAMES} frames at ${MEM_SIZE} px, smoothing off`, () => benchMemory(session, MEM_FRAMES, 0)) : skipped;
    const memorySmooth = EXTRAS.has('g')
      ? await step(`(g) memory, ${MEM_FRAMES_SMOOTH} frames at ${MEM_SIZE} px, smoothing ${DEFAULT_TEMPORAL}`, () => benchMemory(session, MEM_FRAMES_SMOOTH, DEFAULT_TEMPORAL))
      : skipped;
    const live: unknown[] = [];
    for (const t of EXTRAS.has('e') ? LIVE_RUNS : []) live.push(await step(`(e) live, temporal ${t}, ${LIVE_SECONDS} s`, () => benchLive(session, t)));
    let firstCompare: Awaited<ReturnType<typeof compareFirstFrame>> | { error: string } | null = null;
    if (EXTRAS.has('f') && FIRST_COMPARE) {
      firstCompare = await step(`(f) first frame after navigation, this tree and ${FIRST_COMPARE} alternately`, async () => {
        const baseline = await openSession(FIRST_COMPARE, files, '/bench/suite.html', READY, extraArgs, { gpu: GPU as GpuMode | undefined });
        try {
          return await compareFirstFrame(session, baseline, FIRST_COMPARE);
        } finally {
          await baseline.close();
        }
      });
    }
    const firstFrame = !EXTRAS.has('f')
      ? skipped
      : firstCompare
        ? ok(firstCompare)
          ? firstCompare.this
          : firstCompare
        : await step('(f) first frame after navigation', async () => {
            const built = FIRST_BUILT ? await previewBuilt(ROOT) : null;
            try {
              return await benchFirstFrame(session, FIRST_REPS, built?.origin ?? null);
            } finally {
              await built?.close();
            }
          });
    await session.close();
    const cli = benchCli();
    log(`bench: (f) CLI --help: median ${cli.median_ms} ms (first ${cli.first_ms} ms)`);

    const wasm = tables.find((t) => t.backend === 'wasm');
    const at256 = wasm?.rows.find((r) => r.size === GOALS.size);
    const mem = ok(memory) ? memory : null;
    const ff = ok(firstFrame) ? firstFrame : null;
    doc = {
      benchmark: 'npm run bench (bench/suite.ts)',
      mode: QUICK ? 'quick' : 'full',
      date: new Date().toISOString(),
      duration_s: Math.round((Date.now() - started) / 1000),
      machine: { tag: TAG, hostname: hostname(), atStart: machineAtStart, atEnd: machine() },
      chromium,
      node: process.version,
      gpu: { requested: GPU ?? null, ...session.gpu },
      server: 'Vite dev server (openSession)',
      notes: [
        "This machine's WebGPU and WebGL are SwiftShader (CPU emulation): their timings are not GPU speeds; only wasm figures and ratios mean anything here.",
        'All timings are wall-clock in one browser on a shared machine: see the load averages next to each figure.',
        `Clips: the first N frames of ${CLIP.split('/').pop()} (640×360 VP9, 25 fps), packets copied with ffmpeg (no re-encode); every pipeline measurement first runs a ${WARM_FRAMES}-frame clip (warm-up).`,
        `Sizes above 360 px: the engine never upscales (the network's short side is at most the frame's), so those rows use the same footage at 960×540 (${CLIP_540.split('/').pop()}, H.264, first N frames, packets copied); decode and encode are then at 960×540.`,
        "(c') = (c) with upsample 'cubic': what guided upsampling costs where the output is presented on a device. A clip on a CPU backend whose smoothing device is a software adapter is read back and enlarged by the cubic either way (pipeline/frame.ts readsBack), so there (c') = (c).",
        'ms/frame of (b), (c), (d) = elapsed / frames, so each includes its share of the per-clip fixed costs (demuxer, decoder and encoder set-up, MP4 finalise).',
      ],
      goals_at_256px_wasm: {
        b_over_a: { goal: `≤ ${GOALS.b_over_a_max}`, measured: at256?.ratios.b_over_a ?? null },
        c_over_b: { goal: `≤ ${GOALS.c_over_b_max}`, measured: at256?.ratios.c_over_b ?? null },
        c_cubic_over_b: { goal: null, measured: at256?.ratios.c_cubic_over_b ?? null },
        d_over_b: { goal: null, measured: at256?.ratios.d_over_b ?? null },
        memory_slope_per_1000_frames: {
          goal: GOALS.memory_slope,
          measured_smoothing_off: mem?.slope_per_1000_frames ?? null,
          measured_smoothing_on: ok(memorySmooth) ? memorySmooth.slope_per_1000_frames : null,
        },
        first_frame_ms: { goal: `≤ ${GOALS.first_frame_ms_max} with models cached (warm)`, measured: ff ? { engine_page: { cold: ff.engine_page.cold_ms_median, warm: ff.engine_page.warm_ms_median }, app: { cold: ff.app.cold_ms_median, warm: ff.app.warm_ms_median } } : null },
      },
      backends,
      memory,
      memory_smoothing_on: memorySmooth,
      live,
      first_frame: firstFrame,
      ...(firstCompare ? { first_frame_compare: firstCompare } : {}),
      cli_startup: cli,
    };

    log('');
    log('ms per frame (a: network alone; b: pipeline smoothing off; c: smoothing on; d: demo readback loop + encode; d disp: same without encoding) and ratios:');
    log(table(tables));
    for (const [name, m] of [
      ['smoothing off', mem],
      [`smoothing ${DEFAULT_TEMPORAL}`, ok(memorySmooth) ? memorySmooth : null],
    ] as const) {
      if (!m) continue;
      const s = m.slope_per_1000_frames;
      log(`(g) memory, ${name}, ${m.frames} frames (${m.ms_per_frame} ms/frame): per 1000 frames numTensors ${s.numTensors.per1000}, numBytes ${s.numBytes.per1000}, JS heap ${s.usedJSHeapSize_bytes.per1000} B (r² ${s.usedJSHeapSize_bytes.r2}; second half ${m.slope_per_1000_frames_second_half.usedJSHeapSize_bytes.per1000} B), page+workers ${s.ua_specific_memory_bytes.per1000} B, wasm heap ${s.wasm_heap_bytes.per1000} B`);
    }
    for (const l of live) {
      if (!ok(l as object)) continue;
      const v = l as Awaited<ReturnType<typeof benchLive>>;
      log(`(e) live α ${v.temporal}: ${v.fps_mean} fps, ${v.dropped} dropped of ${v.frames_in! + v.dropped!} in ${v.window_s} s, network ${v.network_ms_median} ms, temporal ${v.temporal_ms_median} ms, latency ${v.latency_ms_median ?? 'null'}, governor ${JSON.stringify(v.governor)}`);
    }
    if (firstCompare && ok(firstCompare)) {
      for (const which of ['baseline', 'this'] as const) {
        const c = firstCompare[which];
        log(`(f) ${which} (${c.commit.slice(0, 7)}${c.uncommitted_changes ? ` + ${c.uncommitted_changes} changed files` : ''}): engine page cold ${c.engine_page.cold_ms_median} / warm ${c.engine_page.warm_ms_median} ms; app cold ${c.app.cold_ms_median} / warm ${c.app.warm_ms_median} ms (off its track: ${c.app.track.cold_ms_median} / ${c.app.track.warm_ms_median} ms)`);
      }
      const p = firstCompare.paired_this_over_baseline;
      log(`(f) paired this/baseline, medians: engine page cold ${p.engine.cold.median} (faster ${p.engine.cold.faster}) / warm ${p.engine.warm.median} (${p.engine.warm.faster}); app cold ${p.app.cold.median} (${p.app.cold.faster}) / warm ${p.app.warm.median} (${p.app.warm.faster}); app off its track cold ${p.app_track.cold.median} (${p.app_track.cold.faster}) / warm ${p.app_track.warm.median} (${p.app_track.warm.faster}); load ${firstCompare.loadavg_1min_per_repetition.join(' ')}`);
    }
    if (ff) log(`(f) first frame: engine page cold ${ff.engine_page.cold_ms_median} / warm ${ff.engine_page.warm_ms_median} ms; app cold ${ff.app.cold_ms_median} / warm ${ff.app.warm_ms_median} ms (off its track: ${ff.app.track.cold_ms_median} / ${ff.app.track.warm_ms_median} ms)${'app_built' in ff && ff.app_built ? `; the built app cold ${ff.app_built.cold_ms_median} / warm ${ff.app_built.warm_ms_median} ms (off its track: ${ff.app_built.track.cold_ms_median} / ${ff.app_built.track.warm_ms_median} ms)` : ''}; CLI --help ${cli.median_ms} ms`);

    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    const jsonPath = join(ROOT, 'bench/results', `suite-${TAG}.json`);
    writeFileSync(jsonPath, JSON.stringify(doc, null, 2) + '\n');
    if (wasm) {
      const m = machineAtStart;
      // The README's chart is redrawn only by a full run; a run narrowed by --sizes or --backends draws its own.
      const narrowed = option('sizes') !== undefined || option('backends') !== undefined;
      const svgPath = option('svg') ?? join(ROOT, 'bench/results', narrowed ? `suite-${TAG}.svg` : QUICK ? 'suite-quick.svg' : 'suite.svg');
      writeFileSync(svgPath, chart(wasm.rows, `${m.cpus} × ${m.cpu}, load ${m.loadavg_1_5_15[0]}; Chromium ${chromium}; ${new Date().toISOString().slice(0, 10)}${QUICK ? ' (quick mode)' : ''}`));
      log(`bench: wrote ${jsonPath} and ${svgPath}`);
    }
  } finally {
    await session.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
}

main().catch((e) => {
  log(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
