// npm run bench:flow — EPE and time of our WGSL flow against OpenCV DIS (ultrafast, fast, medium) and Farneback,
// on the same pixels: known-flow pairs made from real photos in the browser (320×240 and 640×480), and real
// consecutive video frames (320×180) scored by warping residual and against DeepFlow. One JSON document on stdout.
import { mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { openSession } from '../src/cli/browser.ts';
import type { FlowRun, OursResult } from './flow-page.ts';
import { PHOTO_FILES } from './pairs.ts';
import { PYTHON, ROOT, SHARED_MEDIA, log, machine, median, parseBenchArgs, round, run } from './util.ts';

parseBenchArgs(
  `npm run bench:flow
EPE and time of our WGSL flow against OpenCV DIS (ultrafast, fast, medium) and Farneback: known-flow pairs from real
photos (320×240, 640×480) and real consecutive video frames (320×180, warping residual and against DeepFlow). No options.
  env: STYLECAST_GPU (the WebGPU adapter, default software here), STYLECAST_BENCH_KEEP=1 (keep the temporary folder),
       STYLECAST_BENCH_PYTHON (a python3 with cv2, default /usr/bin/python3)`,
  { name: 'bench:flow' },
);

const SIZES: [number, number][] = [
  [320, 240],
  [640, 480],
];
const CLIPS = ['pexels-854100-people-walking-sidewalk-960x540.mp4', 'pexels-3770033-interior-design-960x540.mp4'];
const REAL_PAIRS: [number, number][] = [
  [30, 31],
  [60, 62],
];
const REAL_SIZE: [number, number] = [320, 180];
/** Timed runs per method and pair (after one warm-up). */
const REPS_OURS = 3;
const REPS_OPENCV = 5;

interface Manifest {
  reps: number;
  synthetic: Record<string, unknown>[];
  real: Record<string, unknown>[];
}

/** Frames n of the clip, scaled to REAL_SIZE with an area filter, as PNG files named `<prefix>-<n>.png`. */
async function extractFrames(clip: string, frames: number[], dir: string, prefix: string): Promise<Map<number, string>> {
  const sorted = [...new Set(frames)].sort((a, b) => a - b);
  const select = sorted.map((n) => `eq(n\\,${n})`).join('+');
  const pattern = join(dir, `${prefix}-tmp-%d.png`);
  await run('ffmpeg', ['-v', 'error', '-y', '-i', clip, '-vf', `select='${select}',scale=${REAL_SIZE[0]}:${REAL_SIZE[1]}:flags=area`, '-vsync', '0', '-start_number', '0', pattern]);
  const out = new Map<number, string>();
  sorted.forEach((n, i) => {
    const path = join(dir, `${prefix}-${n}.png`);
    renameSync(join(dir, `${prefix}-tmp-${i}.png`), path);
    out.set(n, path);
  });
  const left = readdirSync(dir).filter((f) => f.startsWith(`${prefix}-tmp-`));
  if (left.length) throw new Error(`ffmpeg gave more frames than asked: ${left.join(', ')}`);
  return out;
}

function writeRun(dir: string, name: string, r: FlowRun): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.from(r.flow, 'base64'));
  return path;
}

const ms = (r: FlowRun) => ({ median: round(median(r.ms), 1), runs: r.ms.map((v) => round(v, 1)) });

async function main() {
  const machineAtStart = machine();
  const dir = mkdtempSync(join(tmpdir(), 'stylecast-bench-flow-'));
  try {
    const files: Record<string, string> = Object.fromEntries(Object.values(PHOTO_FILES).map((f) => [f, join(SHARED_MEDIA, 'photos', f)]));
    const realInputs: { name: string; a: string; b: string }[] = [];
    for (const clip of CLIPS) {
      const prefix = clip.split('-').slice(0, 2).join('-') === 'pexels-854100' ? 'walking' : 'interior';
      const frames = await extractFrames(join(SHARED_MEDIA, 'video', clip), REAL_PAIRS.flat(), dir, prefix);
      for (const [x, y] of REAL_PAIRS) {
        const [a, b] = [frames.get(x)!, frames.get(y)!];
        files[basename(a)] = a;
        files[basename(b)] = b;
        realInputs.push({ name: `${prefix}-${x}to${y}-${REAL_SIZE[0]}x${REAL_SIZE[1]}`, a, b });
      }
    }

    log('bench:flow: starting Chromium (WebGPU = SwiftShader)…');
    const session = await openSession(ROOT, files, '/bench/flow.html', "typeof window.benchFlowInit === 'function'", [], { gpu: process.env.STYLECAST_GPU ? undefined : 'software' });
    const manifest: Manifest = { reps: REPS_OPENCV, synthetic: [], real: [] };
    const oursMeta = new Map<string, { full: ReturnType<typeof ms>; softwarePlan: ReturnType<typeof ms> & { size: string; iterations: number } }>();
    const meta = (o: OursResult) => ({
      full: ms(o.full),
      softwarePlan: { ...ms(o.softwarePlan), size: `${o.softwarePlan.width}x${o.softwarePlan.height}`, iterations: o.softwarePlan.iterations },
    });
    let device = '';
    const caseInfo = new Map<string, { kind: string; params: Record<string, unknown>; size: string }>();
    try {
      session.page.on('console', (m) => m.type() === 'error' && log(`page: ${m.text()}`));
      device = await session.page.evaluate(() => window.benchFlowInit());
      log(`bench:flow: our flow: ${device}`);
      for (const [w, h] of SIZES) {
        const count = await session.page.evaluate(([w, h]) => window.benchFlowCaseCount(w, h), [w, h]);
        for (let i = 0; i < count; i++) {
          const c = await session.page.evaluate(([w, h, i, r]) => window.benchFlowSynthetic(w, h, i, r), [w, h, i, REPS_OURS]);
          log(`bench:flow: ${c.name}: ours ${median(c.ours.full.ms)?.toFixed(0)} ms (SwiftShader)`);
          const p = (s: string) => join(dir, `${c.name}-${s}`);
          writeFileSync(p('a.png'), Buffer.from(c.a, 'base64'));
          writeFileSync(p('b.png'), Buffer.from(c.b, 'base64'));
          writeFileSync(p('truth.f32'), Buffer.from(c.truth, 'base64'));
          writeFileSync(p('mask.u8'), Buffer.from(c.mask, 'base64'));
          manifest.synthetic.push({
            name: c.name,
            width: w,
            height: h,
            a: p('a.png'),
            b: p('b.png'),
            truth: p('truth.f32'),
            mask: p('mask.u8'),
            ours: writeRun(dir, `${c.name}-ours.f32`, c.ours.full),
            ours_software_plan: { path: writeRun(dir, `${c.name}-ours-sw.f32`, c.ours.softwarePlan), width: c.ours.softwarePlan.width, height: c.ours.softwarePlan.height },
          });
          oursMeta.set(c.name, meta(c.ours));
          caseInfo.set(c.name, { kind: c.kind, params: c.params, size: `${w}x${h}` });
        }
      }
      for (const r of realInputs) {
        const o = await session.page.evaluate(([a, b, reps]) => window.benchFlowReal(a, b, reps), [basename(r.a), basename(r.b), REPS_OURS] as [string, string, number]);
        log(`bench:flow: ${r.name}: ours ${median(o.full.ms)?.toFixed(0)} ms (SwiftShader)`);
        manifest.real.push({
          name: r.name,
          width: REAL_SIZE[0],
          height: REAL_SIZE[1],
          a: r.a,
          b: r.b,
          ours: writeRun(dir, `${r.name}-ours.f32`, o.full),
          ours_software_plan: { path: writeRun(dir, `${r.name}-ours-sw.f32`, o.softwarePlan), width: o.softwarePlan.width, height: o.softwarePlan.height },
        });
        oursMeta.set(r.name, meta(o));
      }
    } finally {
      await session.close();
    }

    log('bench:flow: OpenCV (DIS, Farneback, DeepFlow) on the same PNGs…');
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    const cv = JSON.parse((await run(PYTHON, [join(ROOT, 'bench/flow_cv.py'), join(dir, 'manifest.json')], { echo: true })).stdout) as {
      opencv: string;
      threads: number;
      farneback: Record<string, unknown>;
      low_texture_gradient: number;
      synthetic: { name: string; epe: Record<string, number>; epe_by_texture: Record<string, Record<string, number | null>>; low_texture_fraction: number; epe_zero_flow: number; mean_true_motion_px: number; scored_fraction: number; opencv_ms_median: Record<string, number> }[];
      real: {
        name: string;
        residual: Record<string, number>;
        residual_inside_fraction: Record<string, number>;
        epe_vs_deepflow: Record<string, number>;
        epe_vs_deepflow_by_texture: Record<string, Record<string, number | null>>;
        low_texture_fraction: number;
        deepflow_mean_motion_px: number;
        opencv_ms_median: Record<string, number>;
      }[];
    };

    const roundAll = (o: Record<string, number>, d = 4) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v, d)]));
    const roundTexture = (o: Record<string, Record<string, number | null>>) =>
      Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([part, e]) => [part, round(e, 4)]))]));
    const synthetic = cv.synthetic.map((c) => ({
      name: c.name,
      ...caseInfo.get(c.name)!,
      mean_true_motion_px: round(c.mean_true_motion_px, 3),
      scored_fraction: round(c.scored_fraction, 3),
      epe_px: roundAll(c.epe),
      epe_zero_flow_px: round(c.epe_zero_flow, 3),
      low_texture_fraction: round(c.low_texture_fraction, 3),
      epe_px_by_texture: roundTexture(c.epe_by_texture),
      epe_ratio_ours_to_dis_fast: round(c.epe.ours / c.epe.dis_fast, 3),
      ours_at_or_below_dis_fast: c.epe.ours <= c.epe.dis_fast,
      opencv_ms_median: roundAll(c.opencv_ms_median, 2),
      ours_ms_swiftshader: oursMeta.get(c.name),
    }));
    const real = cv.real.map((c) => ({
      name: c.name,
      residual_mean_abs_rgb: roundAll(c.residual, 5),
      residual_inside_fraction: roundAll(c.residual_inside_fraction, 3),
      epe_vs_deepflow_px: roundAll(c.epe_vs_deepflow),
      low_texture_fraction: round(c.low_texture_fraction, 3),
      epe_vs_deepflow_px_by_texture: roundTexture(c.epe_vs_deepflow_by_texture),
      deepflow_mean_motion_px: round(c.deepflow_mean_motion_px, 3),
      opencv_ms_median: roundAll(c.opencv_ms_median, 2),
      ours_ms_swiftshader: oursMeta.get(c.name),
    }));

    const methods = Object.keys(cv.synthetic[0].epe);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const geomean = (v: number[]) => Math.exp(mean(v.map(Math.log)));
    const bySize = (size: string | null) => cv.synthetic.filter((c) => size === null || caseInfo.get(c.name)!.size === size);
    const summarise = (rows: typeof cv.synthetic) => {
      const meanEpe = Object.fromEntries(methods.map((m) => [m, round(mean(rows.map((r) => r.epe[m])))]));
      return {
        cases: rows.length,
        mean_epe_px: meanEpe,
        epe_ratio_ours_to_dis_fast_of_means: round(mean(rows.map((r) => r.epe.ours)) / mean(rows.map((r) => r.epe.dis_fast)), 3),
        epe_ratio_ours_to_dis_fast_geomean: round(geomean(rows.map((r) => r.epe.ours / r.epe.dis_fast)), 3),
        cases_ours_at_or_below_dis_fast: rows.filter((r) => r.epe.ours <= r.epe.dis_fast).length,
        cases_ours_at_or_below_dis_medium: rows.filter((r) => r.epe.ours <= r.epe.dis_medium).length,
      };
    };
    const realMethods = Object.keys(cv.real[0].residual);
    const doc = {
      benchmark: 'bench:flow',
      date: new Date().toISOString(),
      machine: { atStart: machineAtStart, atEnd: machine() },
      goal: "our EPE at or below OpenCV DIS 'fast'",
      setup: {
        ours: `estimateFlow (src/engine/temporal/estimate.ts), default settings, full resolution, WebGPU on ${device}`,
        ours_software_plan:
          'what the temporal stage actually computes on a software adapter (flowPlan: short side 96 px, 4 iterations, frames imported at that size by bilinear sampling), upsampled bilinearly to full size for scoring',
        opencv: `OpenCV ${cv.opencv} (${cv.threads} threads), DISOpticalFlow presets ULTRAFAST/FAST/MEDIUM with default options, Farneback ${JSON.stringify(cv.farneback)}; grey = Rec.601 luma of the same 8-bit PNGs`,
        synthetic:
          `known-flow pairs from photos/${PHOTO_FILES.main} (object: ${PHOTO_FILES.object}; low-texture case: ${PHOTO_FILES.flat}) drawn with a 2D canvas (imageSmoothingQuality high); EPE = mean |f − truth| over the scored mask (frame border, a band around the object outline and occluded background excluded); motions given at 320×240 are scaled ×2 at 640×480`,
        real: `frames of the two shared 960×540 clips scaled to ${REAL_SIZE.join('×')} with ffmpeg (area filter); no ground truth: residual = mean |I_b(x + f(x)) − I_a(x)| over RGB in [0,1] on pixels whose match is inside b (bilinear); EPE against OpenCV DeepFlow on all pixels`,
        low_texture: `pixels whose 7×7 mean Sobel gradient magnitude of a's luma (in [0,1], smoothed by a Gaussian of σ 1.5 px) is below ${cv.low_texture_gradient}; *_by_texture splits the EPE there and elsewhere`,
        timing: `median of ${REPS_OURS} (ours) / ${REPS_OPENCV} (OpenCV) runs after one warm-up. OURS IS TIMED ON SWIFTSHADER (a CPU emulation of a GPU): wall time of estimateFlow including upload, buffer allocation and readback — NOT comparable with OpenCV's native CPU times or with any real GPU.`,
      },
      summary: {
        all: summarise(bySize(null)),
        ...Object.fromEntries(SIZES.map(([w, h]) => [`${w}x${h}`, summarise(bySize(`${w}x${h}`))])),
        real_mean_residual: Object.fromEntries(realMethods.map((m) => [m, round(mean(cv.real.map((r) => r.residual[m])), 5)])),
        real_mean_epe_vs_deepflow_px: Object.fromEntries(Object.keys(cv.real[0].epe_vs_deepflow).map((m) => [m, round(mean(cv.real.map((r) => r.epe_vs_deepflow[m])))])),
      },
      synthetic,
      real,
    };
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  } finally {
    if (process.env.STYLECAST_BENCH_KEEP) log(`bench:flow: kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  log(`bench:flow failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
