// npm run bench:upsample — guided upsampling against the cubic: how well the output's edges agree with the input's at
// full resolution, how much of the stylised picture is kept, and what each costs, at 720p and 1080p outputs from a
// 256-px inference (tfjs-wasm network; the present on WebGPU). JSON on stdout and in bench/results/upsample-<host>.json.
// Options: --reps N (timed runs per figure, default 15), --sizes 1280x720,1920x1080, --pngs <dir> (write the outputs),
// --gpu hardware|software|auto (default software: this machine has no GPU), --tag NAME (default the host name),
// --cases 0,2 / --variants 0,1 (indices into CASES / VARIANTS: a subset, e.g. while tuning), --pipeline-only,
// --pipeline-runs N (clips per setting, default 2); --pipeline-only writes upsample-<tag>-pipeline.json.
// Then the product end to end: a 1280×720 H.264 clip (frames of a shared video) through createStylizer + stylizeFile
// on wasm with smoothing (the output presented on the WebGPU device), guided and cubic in turn: ms per frame.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSession } from '../src/cli/browser.ts';
import type { GpuMode } from '../src/cli/gpu.ts';
import type { CaseResult, PipelineRun, Variant } from './upsample-page.ts';
import { GPU_CHOICES, ROOT, SHARED_MEDIA, log, machine, median, parseBenchArgs, round, run } from './util.ts';

const USAGE = `npm run bench:upsample [-- options]
guided upsampling against the cubic at 720p and 1080p from a 256-px inference: edge agreement, style kept, cost;
then a 1280×720 clip end to end, guided and cubic in turn
  --reps N                  timed runs per figure (default 15)
  --sizes WxH,...           output sizes (default 1280x720,1920x1080)
  --pngs DIR                write the outputs there as PNGs
  --gpu hardware|software|auto   the WebGPU adapter (default software: this machine has no GPU)
  --cases 0,2               indices into CASES, a subset (default all 4)
  --variants 0,1            indices into VARIANTS, a subset (default all 6; 0 is the cubic every figure is set against)
  --pipeline-only           only the end-to-end part (writes upsample-<tag>-pipeline.json)
  --pipeline-runs N         clips per setting in the end-to-end part (default 2)
  --tag NAME                bench/results/upsample-NAME.json (default: the host name)
  env: STYLECAST_BENCH_TAG (--tag's default)`;
const { option, flag } = parseBenchArgs(USAGE, {
  choices: { gpu: GPU_CHOICES },
  name: 'bench:upsample',
  valued: ['reps', 'sizes', 'pngs', 'gpu', 'cases', 'variants', 'pipeline-runs', 'tag'],
  flags: ['pipeline-only'],
});
const REPS = Number(option('reps') ?? 15);
const SIZES = (option('sizes') ?? '1280x720,1920x1080').split(',').map((s) => s.split('x').map(Number) as [number, number]);
const PNG_DIR = option('pngs');
const GPU = (option('gpu') ?? 'software') as GpuMode;
const TAG = (option('tag') ?? process.env.STYLECAST_BENCH_TAG ?? hostname()).replace(/[^A-Za-z0-9._-]+/g, '-');
const INFER = 256;
const PIPELINE_ONLY = flag('pipeline-only');
const PIPELINE_RUNS = Number(option('pipeline-runs') ?? 2);
/** The end-to-end clip: frames of a shared video at 1280×720 (an upscale of the 960×540 source: its detail is the source's). */
const PIPELINE_SOURCE = 'pexels-854100-people-walking-sidewalk-960x540.mp4';
const PIPELINE_FRAMES = 8;
const PIPELINE_TEMPORAL = 0.7;

/** Photos with people, a crowd and a street; a style each (strokes of different scales). */
const CASES: [string, string][] = [
  ['pexels-elly-fairytale-3822220.jpg', 'udnie'],
  ['pexels-davide-de-giovanni-3171822.jpg', 'starry_night'],
  ['tubingen.jpg', 'udnie'],
  ['chicago.jpg', 'starry_night'],
];

const VARIANTS: Variant[] = [
  { name: 'cubic', guided: null, timed: true },
  { name: 'guided detail r2 eps1e-3 (default)', guided: { mode: 'detail', radius: 2, eps: 1e-3 }, timed: true },
  { name: 'guided detail r1 eps1e-3', guided: { mode: 'detail', radius: 1, eps: 1e-3 } },
  { name: 'guided detail r2 eps1e-2', guided: { mode: 'detail', radius: 2, eps: 1e-2 } },
  { name: 'guided filter r2 eps1e-3', guided: { mode: 'filter', radius: 2, eps: 1e-3 }, timed: true },
  { name: 'guided filter r2 eps1e-4', guided: { mode: 'filter', radius: 2, eps: 1e-4 } },
];

const pick = <T>(all: T[], name: string): T[] => (option(name) ? option(name)!.split(',').map((i) => all[Number(i)]) : all);
const RUN_CASES = pick(CASES, 'cases');
const RUN_VARIANTS = pick(VARIANTS, 'variants');

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

async function main() {
  const atStart = machine();
  const files: Record<string, string> = Object.fromEntries(RUN_CASES.map(([photo]) => [photo, join(SHARED_MEDIA, 'photos', photo)]));
  const dir = mkdtempSync(join(tmpdir(), 'stylecast-bench-upsample-'));
  const clip = join(dir, 'clip-1280x720.mp4');
  await run('ffmpeg', ['-v', 'error', '-y', '-i', join(SHARED_MEDIA, 'video', PIPELINE_SOURCE), '-frames:v', String(PIPELINE_FRAMES), '-vf', 'scale=1280:720:flags=lanczos', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-an', clip]);
  files['clip-1280x720.mp4'] = clip;
  const pipeline: PipelineRun[] = [];
  log(`bench:upsample: starting Chromium (--gpu ${GPU})…`);
  const session = await openSession(ROOT, files, '/bench/upsample.html', "typeof window.benchUpInit === 'function'", [], { gpu: GPU });
  const cases: CaseResult[] = [];
  let where: string;
  try {
    where = await session.page.evaluate(() => window.benchUpInit());
    for (const [W, H] of PIPELINE_ONLY ? [] : SIZES) {
      for (const [photo, style] of RUN_CASES) {
        log(`bench:upsample: ${photo} (${style}) at ${W}×${H}…`);
        const c = await session.page.evaluate(([p, s, w, h, size, v, reps, pngs]) => window.benchUpCase(p, s, w, h, size, v, reps, pngs), [photo, style, W, H, INFER, RUN_VARIANTS, REPS, !!PNG_DIR] as const);
        if (PNG_DIR) {
          mkdirSync(PNG_DIR, { recursive: true });
          for (const v of c.variants) {
            writeFileSync(join(PNG_DIR, `${photo.replace(/\.jpg$/, '')}-${W}x${H}-${v.name.replace(/[^a-z0-9]+/gi, '_')}.png`), Buffer.from(v.png!, 'base64'));
            delete v.png;
          }
        }
        const cubicMs = median(c.variants[0].ms)!;
        const cubicMin = Math.min(...c.variants[0].ms);
        log(
          c.variants
            .map(
              (v) =>
                `  ${v.name}: grad corr ${v.edges.gradientCorrelation.toFixed(3)}, edge F ${v.edges.edgeF.toFixed(3)}, keep ${v.keep.toFixed(2)}` +
                (v.ms.length ? `, median ${median(v.ms)!.toFixed(0)} ms (${(median(v.ms)! / cubicMs).toFixed(2)}× cubic), min ${Math.min(...v.ms).toFixed(0)} ms (${(Math.min(...v.ms) / cubicMin).toFixed(2)}×)` : ''),
            )
            .join('\n'),
        );
        cases.push(c);
      }
    }
    // The product end to end, guided and cubic alternating (one warm-up clip first).
    await session.page.evaluate(([c, t]) => window.benchUpPipeline(c, 'guided', 256, t), ['clip-1280x720.mp4', PIPELINE_TEMPORAL] as const);
    for (let i = 0; i < PIPELINE_RUNS; i++) {
      for (const u of ['guided', 'cubic'] as const) {
        const r = await session.page.evaluate(([c, up, t]) => window.benchUpPipeline(c, up, 256, t), ['clip-1280x720.mp4', u, PIPELINE_TEMPORAL] as const);
        log(`bench:upsample: pipeline ${r.width}×${r.height}, ${u}: ${r.msPerFrame.toFixed(0)} ms/frame (${r.upsampling})`);
        pipeline.push(r);
      }
    }
  } finally {
    await session.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const pipelineMs = (u: string) => pipeline.filter((r) => r.upsample === u).map((r) => r.msPerFrame);
  const bySize = (PIPELINE_ONLY ? [] : SIZES).map(([W, H]) => {
    const rows = cases.filter((c) => c.width === W && c.height === H);
    const cubicMs = rows.map((c) => median(c.variants[0].ms)!);
    return {
      output: `${W}x${H}`,
      inference: `${rows[0].inferWidth}x${rows[0].inferHeight}`,
      photos: rows.length,
      network_ms_wasm: round(mean(rows.map((c) => c.networkMs)), 1),
      cpu_path_cubic_ms: round(mean(rows.map((c) => median(c.cpuCubicMs)!)), 1),
      upload_ms: round(mean(rows.map((c) => median(c.uploadMs)!)), 1),
      low_import_ms: round(mean(rows.map((c) => median(c.lowImportMs)!)), 1),
      variants: RUN_VARIANTS.map((v, i) => ({
        name: v.name,
        settings: v.guided,
        gradient_correlation: round(mean(rows.map((c) => c.variants[i].edges.gradientCorrelation)), 3),
        edge_f: round(mean(rows.map((c) => c.variants[i].edges.edgeF)), 3),
        mean_gradient: round(mean(rows.map((c) => c.variants[i].edges.meanGradient)), 4),
        keep_mean_abs_255: round(mean(rows.map((c) => c.variants[i].keep)), 2),
        ...(v.timed
          ? {
              present_ms_median: round(mean(rows.map((c) => median(c.variants[i].ms)!)), 1),
              present_ms_min: round(mean(rows.map((c) => Math.min(...c.variants[i].ms))), 1),
              present_ms_ratio_to_cubic_median: round(mean(rows.map((c, k) => median(c.variants[i].ms)! / cubicMs[k])), 2),
              present_ms_ratio_to_cubic_min: round(mean(rows.map((c) => Math.min(...c.variants[i].ms) / Math.min(...c.variants[0].ms))), 2),
            }
          : {}),
      })),
    };
  });
  const doc = {
    benchmark: 'bench:upsample',
    date: new Date().toISOString(),
    machine: { tag: TAG, hostname: hostname(), gpu: GPU, atStart, atEnd: machine() },
    where,
    setup: {
      input: `shared photos drawn (cover, canvas "high" smoothing) at the output size and wrapped as a VideoFrame: ${RUN_CASES.map((c) => c.join(' / ')).join(', ')}`,
      network: `Magenta's transformer on tfjs-wasm at a ${INFER}-px short side; its input is the frame imported on the GPU at that size (what the WebGPU path feeds it)`,
      present: 'GpuCanvasSink.present on WebGPU: the cubic (Mitchell–Netravali, the product\'s non-guided path) or guided by the frame (settings per variant)',
      edges: 'Rec.601 luma of the output and of the input at full resolution; gradient_correlation = Pearson correlation of Sobel magnitudes; edge_f = F-score of the strongest 10 % of gradients of each, matched within 1 px',
      keep: 'mean |output box-shrunk to the network size − the network output| over RGB, 0..255: how much of the stylised picture changed at its own resolution (the cubic\'s value is the floor of a resample round trip)',
      timing: `${REPS} runs of each variant after a warm-up, interleaved (variant after variant, so a change of load falls on all alike): submit → onSubmittedWorkDone; medians and minima, and per photo the ratio to the cubic's. On SwiftShader (no GPU here) these are CPU-emulation times: quote ratios, not fps`,
    },
    by_size: bySize,
    pipeline: {
      setup: `createStylizer({ backend: 'wasm', size: 256, temporal: ${PIPELINE_TEMPORAL}, style: 'udnie' }) + stylizeFile on ${PIPELINE_FRAMES} frames of ${PIPELINE_SOURCE} scaled to 1280×720 (H.264), guided and cubic alternating, ${PIPELINE_RUNS} clips each after a warm-up clip; ms per frame = elapsedMs / frames (decode, network, smoothing, present, encode)`,
      guided_ms_per_frame_median: round(median(pipelineMs('guided')), 1),
      cubic_ms_per_frame_median: round(median(pipelineMs('cubic')), 1),
      ratio_guided_to_cubic: round(median(pipelineMs('guided'))! / median(pipelineMs('cubic'))!, 2),
      upsampling: pipeline.find((r) => r.upsample === 'guided')?.upsampling ?? null,
      runs: pipeline.map((r) => ({ ...r, msPerFrame: round(r.msPerFrame, 1) })),
    },
    cases: cases.map((c) => ({
      ...c,
      cpuCubicMs: c.cpuCubicMs.map((v) => round(v, 1)),
      lowImportMs: c.lowImportMs.map((v) => round(v, 1)),
      uploadMs: c.uploadMs.map((v) => round(v, 1)),
      variants: c.variants.map((v) => ({ ...v, ms: v.ms.map((x) => round(x, 1)) })),
    })),
  };
  const text = JSON.stringify(doc, null, 2) + '\n';
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results', `upsample-${TAG}${PIPELINE_ONLY ? '-pipeline' : ''}.json`), text);
  process.stdout.write(text);
}

main().catch((e) => {
  log(`bench:upsample failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
