// npm run bench:temporal — Lai et al. (2018) warping error of the real CLI's output with temporal smoothing off
// and on, on the first frames of the two shared clips, scored with reference flows independent of ours (OpenCV
// DIS-medium and DeepFlow on the input frames), plus the detail kept, the change on static regions and the
// per-frame stage times the CLI reports. One JSON document on stdout.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SIZE, DEFAULT_TEMPORAL, DEFAULT_TEMPORAL_METHOD, type TemporalMethod } from '../src/engine/constants.ts';
import { PYTHON, ROOT, SHARED_MEDIA, log, machine, parseBenchArgs, round, run } from './util.ts';

parseBenchArgs(
  `npm run bench:temporal
warping error (Lai et al., against DIS-medium and DeepFlow of the input) of the real CLI's output with smoothing off
and on, on the first 50 frames of the two shared clips, with the detail kept and the per-frame stage times. No options;
settings through the environment:
  STYLECAST_BENCH_QUICK=1          off and the default only (for trying a change; publish full runs)
  STYLECAST_BENCH_SIZE=PX          the network's short side (default ${DEFAULT_SIZE})
  STYLECAST_BENCH_FLOW_SIZE=PX     the flow's short side (default the engine's own choice)
  STYLECAST_BENCH_KEEP=1 (keep the temporary folder), STYLECAST_BENCH_PYTHON (default /usr/bin/python3),
  STYLECAST_GPU (the CLI's WebGPU adapter)`,
  { name: 'bench:temporal' },
);

const CLIPS = [
  { name: 'people-walking (static camera)', file: 'pexels-854100-people-walking-sidewalk-960x540.mp4' },
  { name: 'interior (camera pan)', file: 'pexels-3770033-interior-design-960x540.mp4' },
];
const FRAMES = 50;
const STYLE = 'starry_night';
const SIZE = Number(process.env.STYLECAST_BENCH_SIZE ?? DEFAULT_SIZE);
/**
 * The flow's short side: unset = the engine's own choice (96 px on this machine's software adapter); set it to the
 * inference size to score a full-resolution flow (with the device's own settings: on a software adapter its 5×5
 * windows and occlusions by crowding; a hardware GPU also has 7×7 windows, 6 iterations and the forward–backward test).
 */
const FLOW_SIZE = process.env.STYLECAST_BENCH_FLOW_SIZE;
const FLOW_ARGS = FLOW_SIZE ? ['--flow-size', FLOW_SIZE] : [];
/** Scoring resolution (outputs keep the input's 960×540; all are decoded and scaled here). */
const EVAL: [number, number] = [640, 360];
/**
 * Off, the default, the plain average at the same α (the baseline the default must beat on detail), and α 0.9.
 * STYLECAST_BENCH_QUICK=1: off and the default only (for trying a change; publish full runs).
 */
const ALL_VARIANTS: { name: string; temporal: number; method: TemporalMethod }[] = [
  { name: 'off', temporal: 0, method: DEFAULT_TEMPORAL_METHOD },
  { name: `default (${DEFAULT_TEMPORAL}, ${DEFAULT_TEMPORAL_METHOD})`, temporal: DEFAULT_TEMPORAL, method: DEFAULT_TEMPORAL_METHOD },
  { name: `${DEFAULT_TEMPORAL}, average`, temporal: DEFAULT_TEMPORAL, method: 'average' },
  { name: `0.9, ${DEFAULT_TEMPORAL_METHOD}`, temporal: 0.9, method: DEFAULT_TEMPORAL_METHOD },
];
const VARIANTS = process.env.STYLECAST_BENCH_QUICK ? ALL_VARIANTS.slice(0, 2) : ALL_VARIANTS;

interface CliRun {
  temporal: number;
  method: TemporalMethod;
  wall_s: number;
  network_ms_per_frame: number | null;
  flow_blend_ms_per_frame: number | null;
  /** The CLI's closing lines, verbatim. */
  report: string[];
}

function parseCli(stderr: string): Pick<CliRun, 'network_ms_per_frame' | 'flow_blend_ms_per_frame' | 'report'> {
  const m = /per frame: network ([\d.]+) ms(?:, flow \+ blend ([\d.]+) ms)?/.exec(stderr);
  if (!m) throw new Error(`no "per frame:" line in the CLI's output:\n${stderr.slice(-1500)}`);
  return {
    network_ms_per_frame: Number(m[1]),
    flow_blend_ms_per_frame: m[2] === undefined ? null : Number(m[2]),
    report: stderr.split('\n').filter((l) => /stylecast: (wrote|temporal)/.test(l)),
  };
}

/** Decodes a video to raw rgb24 at EVAL size (area filter); returns the path. */
async function decode(video: string, out: string): Promise<string> {
  await run('ffmpeg', ['-v', 'error', '-y', '-i', video, '-vf', `scale=${EVAL[0]}:${EVAL[1]}:flags=area`, '-pix_fmt', 'rgb24', '-f', 'rawvideo', out]);
  return out;
}

interface ScoreOutput {
  e_warp: Record<string, number>;
  e_warp_static: Record<string, number>;
  e_warp_moving: Record<string, number>;
  detail_sobel: number;
  static_frame_change: number;
  static_abs_diff_vs_off?: number;
  abs_diff_vs_off?: number;
  uncovered_abs_diff_vs_off?: number;
  moving_abs_diff_vs_off?: number;
}
interface ScoreClip {
  name: string;
  frames: number;
  frames_decoded: Record<string, number>;
  reference_seconds: Record<string, number>;
  mask_fraction: Record<string, number>;
  static_fraction: number;
  input_mean_motion_px: Record<string, number>;
  outputs: Record<string, ScoreOutput>;
}

async function main() {
  const started = Date.now();
  const machineAtStart = machine();
  const dir = mkdtempSync(join(tmpdir(), 'stylecast-bench-temporal-'));
  try {
    const runs: Record<string, Record<string, CliRun>> = {};
    const job = { width: EVAL[0], height: EVAL[1], clips: [] as { name: string; input: string; outputs: Record<string, string> }[] };
    for (const [ci, clip] of CLIPS.entries()) {
      const cut = join(dir, `clip${ci}.mp4`);
      // The first FRAMES frames, re-encoded near-losslessly (the CLI and the scoring both read this file).
      await run('ffmpeg', ['-v', 'error', '-y', '-i', join(SHARED_MEDIA, 'video', clip.file), '-frames:v', String(FRAMES), '-an', '-c:v', 'libx264', '-crf', '10', '-pix_fmt', 'yuv420p', cut]);
      const outputs: Record<string, string> = {};
      runs[clip.name] = {};
      for (const v of VARIANTS) {
        const out = join(dir, `clip${ci}-${v.temporal}-${v.method}.mp4`);
        log(`bench:temporal: ${clip.name}, temporal ${v.temporal} ${v.method}: running the CLI…`);
        const t0 = Date.now();
        const { stderr } = await run('node', [join(ROOT, 'bin/stylecast.mjs'), 'stylize', cut, '-o', out, '--style', STYLE, '--size', String(SIZE), '--temporal', String(v.temporal), '--temporal-method', v.method, ...FLOW_ARGS]);
        const cli: CliRun = { temporal: v.temporal, method: v.method, wall_s: round((Date.now() - t0) / 1000, 1)!, ...parseCli(stderr) };
        log(`bench:temporal:   ${cli.report.join(' ').replace(/stylecast: /g, '')}`);
        runs[clip.name][v.name] = cli;
        outputs[v.name] = await decode(out, join(dir, `clip${ci}-${v.temporal}-${v.method}.rgb`));
      }
      job.clips.push({ name: clip.name, input: await decode(cut, join(dir, `clip${ci}-input.rgb`)), outputs });
    }
    log('bench:temporal: scoring (reference flows DIS-medium and DeepFlow on the input frames)…');
    writeFileSync(join(dir, 'job.json'), JSON.stringify(job));
    const scored = JSON.parse((await run(PYTHON, [join(ROOT, 'bench/temporal_eval.py'), join(dir, 'job.json')], { echo: true })).stdout) as { opencv: string; clips: ScoreClip[] };

    const clips = scored.clips.map((c) => {
      const off = c.outputs.off;
      const variants = Object.fromEntries(
        VARIANTS.map((v) => {
          const o = c.outputs[v.name];
          const cli = runs[c.name][v.name];
          const ratio = (a: number, b: number) => round(a / b, 3);
          return [
            v.name,
            {
              temporal: v.temporal,
              method: v.method,
              e_warp: { dis_medium: round(o.e_warp.dis_medium, 6), deepflow: round(o.e_warp.deepflow, 6) },
              detail_sobel: round(o.detail_sobel, 5),
              static_frame_change: round(o.static_frame_change, 5),
              ...(v.temporal > 0
                ? {
                    ratio_to_off: {
                      e_warp_dis_medium: ratio(o.e_warp.dis_medium, off.e_warp.dis_medium),
                      e_warp_deepflow: ratio(o.e_warp.deepflow, off.e_warp.deepflow),
                      e_warp_dis_medium_static: ratio(o.e_warp_static.dis_medium, off.e_warp_static.dis_medium),
                      e_warp_dis_medium_moving: ratio(o.e_warp_moving.dis_medium, off.e_warp_moving.dis_medium),
                      detail: ratio(o.detail_sobel, off.detail_sobel),
                      static_frame_change: ratio(o.static_frame_change, off.static_frame_change),
                    },
                    goal_e_warp_at_most_half_of_off: { dis_medium: o.e_warp.dis_medium <= 0.5 * off.e_warp.dis_medium, deepflow: o.e_warp.deepflow <= 0.5 * off.e_warp.deepflow },
                    static_abs_diff_vs_off: round(o.static_abs_diff_vs_off ?? null, 5),
                    abs_diff_vs_off: round(o.abs_diff_vs_off ?? null, 5),
                    // Ghosting: how far from the per-frame output where frame t+1 shows what t did not (history has
                    // nothing to give there), beside the moving pixels history does cover.
                    uncovered_abs_diff_vs_off: round(o.uncovered_abs_diff_vs_off ?? null, 5),
                    moving_abs_diff_vs_off: round(o.moving_abs_diff_vs_off ?? null, 5),
                  }
                : {}),
              cli: { ...cli },
            },
          ];
        }),
      );
      const inp = c.outputs.input;
      return {
        clip: c.name,
        frames: c.frames,
        frames_decoded: c.frames_decoded,
        input_mean_motion_px: Object.fromEntries(Object.entries(c.input_mean_motion_px).map(([k, v]) => [k, round(v, 3)])),
        ruder_mask_fraction: Object.fromEntries(Object.entries(c.mask_fraction).map(([k, v]) => [k, round(v, 3)])),
        static_fraction: round(c.static_fraction, 3),
        input_e_warp: { dis_medium: round(inp.e_warp.dis_medium, 6), deepflow: round(inp.e_warp.deepflow, 6) },
        reference_seconds: Object.fromEntries(Object.entries(c.reference_seconds).map(([k, v]) => [k, round(v, 1)])),
        variants,
      };
    });
    const summary = clips.map((c) => ({
      clip: c.clip,
      ...Object.fromEntries(
        VARIANTS.filter((v) => v.temporal > 0).map((v) => {
          const r = c.variants[v.name] as {
            ratio_to_off: Record<string, number | null>;
            static_abs_diff_vs_off: number | null;
            uncovered_abs_diff_vs_off: number | null;
            moving_abs_diff_vs_off: number | null;
            cli: CliRun;
          };
          return [
            v.name,
            {
              e_warp_on_over_off: {
                dis_medium: r.ratio_to_off.e_warp_dis_medium,
                deepflow: r.ratio_to_off.e_warp_deepflow,
                dis_medium_static_regions: r.ratio_to_off.e_warp_dis_medium_static,
                dis_medium_moving_regions: r.ratio_to_off.e_warp_dis_medium_moving,
              },
              detail_on_over_off: r.ratio_to_off.detail,
              static_abs_diff_vs_off: r.static_abs_diff_vs_off,
              uncovered_abs_diff_vs_off: r.uncovered_abs_diff_vs_off,
              moving_abs_diff_vs_off: r.moving_abs_diff_vs_off,
              flow_blend_ms_per_frame: r.cli.flow_blend_ms_per_frame,
              network_ms_per_frame: r.cli.network_ms_per_frame,
            },
          ];
        }),
      ),
    }));
    const doc = {
      benchmark: 'bench:temporal',
      date: new Date().toISOString(),
      machine: { atStart: machineAtStart, atEnd: machine() },
      goal: 'E_warp with temporal smoothing on ≤ 0.5 × off, while the stylisation stays (detail ratio near 1)',
      setup: {
        command: `node bin/stylecast.mjs stylize <clip> -o out.mp4 --style ${STYLE} --size ${SIZE} --temporal <α> --temporal-method <method>${FLOW_SIZE ? ` --flow-size ${FLOW_SIZE}` : ''} (the CLI picks its backend; its report is under cli.report)`,
        clips: `first ${FRAMES} frames of ../shared/media/video/{${CLIPS.map((c) => c.file).join(', ')}}, re-encoded with libx264 crf 10; outputs keep 960×540`,
        scoring: `input and outputs decoded with ffmpeg and scaled to ${EVAL.join('×')} (area filter). E_warp (Lai et al. 2018) = mean over t of Σ_x M·‖O_t(x) − O_{t+1}(x + f(x))‖² / Σ_x M, RGB in [0,1] summed over channels, f = reference flow t → t+1 of the INPUT frames (OpenCV DIS medium preset, and DeepFlow), M = Ruder et al. forward–backward test (|w_f + w_b(x + w_f)|² ≤ 0.01(|w_f|² + |w_b|²) + 0.5) and x + f inside the frame. detail = mean Sobel gradient magnitude of the output's luma. static regions: input DIS-medium flow magnitude < 0.5 px; static_abs_diff_vs_off = mean |O_on − O_off| (RGB, [0,1]) there; static_frame_change = mean |O_t − O_{t+1}| there. input_e_warp = the same error on the input frames (what the reference flow leaves unexplained).`,
        times: 'network / flow + blend ms per frame are the CLI\'s own figures ("per frame:" line); on this machine WebGPU is SwiftShader (CPU emulation), so the temporal stage plans a reduced flow (short side 96 px, 4 iterations) and its ms are not GPU figures.',
        opencv: scored.opencv,
      },
      summary,
      clips,
      total_seconds: round((Date.now() - started) / 1000, 0),
    };
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  } finally {
    if (process.env.STYLECAST_BENCH_KEEP) log(`bench:temporal: kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  log(`bench:temporal failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
