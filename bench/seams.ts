// npm run bench:seams — do the joins of `stylize --segment` show? The real CLI stylises the first frames of the two
// shared clips whole and cut into short segments, with several warm-ups K (the frames each segment starts early),
// and the outputs are scored as bench:temporal scores them (bench/temporal_eval.py: Lai et al. warping error against
// reference flows of the input, DIS-medium and DeepFlow). For each output, the warping error of the frame pairs that
// straddle a join is set against that of the pairs inside the segments: with a warm segment start the two should match
// (goal: join ≤ 1.2 × inside), and without a warm-up (K = 0) a join restarts the smoothing from nothing. One JSON
// document on stdout, nothing written: redirect it to keep it (`npm run -s bench:seams > bench/results/seams-<host>.json`).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TEMPORAL, DEFAULT_TEMPORAL_METHOD } from '../src/engine/constants.ts';
import { PYTHON, ROOT, SHARED_MEDIA, log, machine, parseBenchArgs, round, run } from './util.ts';

parseBenchArgs(
  `npm run bench:seams
do the joins of \`stylize --segment\` show: warping error of the frame pairs across a join against those inside the
segments, whole and cut, for several warm-ups K. Prints one JSON document on stdout and writes no file (redirect it:
npm run -s bench:seams > bench/results/seams-HOST.json). No options; settings through the environment:
  STYLECAST_BENCH_QUICK=1          24 frames at 128 px, K = 0,8
  STYLECAST_BENCH_CLIPS=N          the first N of the two clips (default 2; 1 = the walking clip)
  STYLECAST_BENCH_FRAMES=N         frames per clip (default 48, quick 24)
  STYLECAST_BENCH_SEGMENT_FRAMES=N frames per segment (default 8)
  STYLECAST_BENCH_SIZE=PX          the network's short side (default 192, quick 128)
  STYLECAST_BENCH_WARMUPS=K,...    warm-ups tried (default 0,2,4,8,16, quick 0,8)
  STYLECAST_BENCH_JOBS=N           the CLI's --jobs for the segmented runs (default 2)
  STYLECAST_BENCH_KEEP=1 (keep the temporary folder), STYLECAST_BENCH_PYTHON (default /usr/bin/python3),
  STYLECAST_GPU (the CLI's WebGPU adapter)`,
  { name: 'bench:seams' },
);

const ALL_CLIPS = [
  { name: 'people-walking (static camera)', file: 'pexels-854100-people-walking-sidewalk-960x540.mp4' },
  { name: 'interior (camera pan)', file: 'pexels-3770033-interior-design-960x540.mp4' },
];
/** STYLECAST_BENCH_CLIPS=1: the walking clip only (static camera: where strokes are carried longest, the hardest case). */
const CLIPS = ALL_CLIPS.slice(0, Number(process.env.STYLECAST_BENCH_CLIPS ?? ALL_CLIPS.length));
const QUICK = !!process.env.STYLECAST_BENCH_QUICK;
/** Frames of each clip, and frames a segment (the clips are 25 fps). */
const FRAMES = Number(process.env.STYLECAST_BENCH_FRAMES ?? (QUICK ? 24 : 48));
const SEGMENT_FRAMES = Number(process.env.STYLECAST_BENCH_SEGMENT_FRAMES ?? 8);
const FPS = 25;
const STYLE = 'starry_night';
const SIZE = Number(process.env.STYLECAST_BENCH_SIZE ?? (QUICK ? 128 : 192));
/** Warm-ups tried (0 = none); the default the CLI ships is among them. */
const WARMUPS = (process.env.STYLECAST_BENCH_WARMUPS ?? (QUICK ? '0,8' : '0,2,4,8,16')).split(',').map(Number);
const JOBS = Number(process.env.STYLECAST_BENCH_JOBS ?? 2);
const EVAL: [number, number] = [640, 360];
const GOAL = 1.2;

async function decode(video: string, out: string): Promise<string> {
  await run('ffmpeg', ['-v', 'error', '-y', '-i', video, '-vf', `scale=${EVAL[0]}:${EVAL[1]}:flags=area`, '-pix_fmt', 'rgb24', '-f', 'rawvideo', out]);
  return out;
}

interface Scored {
  e_warp: Record<string, number>;
  e_warp_per_frame: Record<string, number[]>;
  detail_sobel: number;
}

const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);

async function main() {
  const started = Date.now();
  const machineAtStart = machine();
  const dir = mkdtempSync(join(tmpdir(), 'stylecast-bench-seams-'));
  try {
    const segmentSeconds = SEGMENT_FRAMES / FPS;
    /** Pair t → t+1 straddles a join when t+1 starts a segment. */
    const joins = Array.from({ length: Math.ceil(FRAMES / SEGMENT_FRAMES) - 1 }, (_, i) => (i + 1) * SEGMENT_FRAMES - 1);
    const variants = [{ name: 'whole', args: [] as string[] }, ...WARMUPS.map((k) => ({ name: `segments, K=${k}`, args: ['--segment', String(segmentSeconds), '--warmup', String(k), '--jobs', String(JOBS)] }))];
    const job = { width: EVAL[0], height: EVAL[1], clips: [] as { name: string; input: string; outputs: Record<string, string> }[] };
    const wall: Record<string, Record<string, number>> = {};
    for (const [ci, clip] of CLIPS.entries()) {
      const cut = join(dir, `clip${ci}.mp4`);
      await run('ffmpeg', ['-v', 'error', '-y', '-i', join(SHARED_MEDIA, 'video', clip.file), '-frames:v', String(FRAMES), '-an', '-c:v', 'libx264', '-crf', '10', '-pix_fmt', 'yuv420p', cut]);
      const outputs: Record<string, string> = {};
      wall[clip.name] = {};
      for (const v of variants) {
        const out = join(dir, `clip${ci}-${v.name.replace(/\W+/g, '_')}.mp4`);
        log(`bench:seams: ${clip.name}, ${v.name}: running the CLI…`);
        const t0 = Date.now();
        await run('node', [join(ROOT, 'bin/stylecast.mjs'), 'stylize', cut, '-o', out, '--style', STYLE, '--size', String(SIZE), '--temporal', String(DEFAULT_TEMPORAL), '--quiet', ...v.args]);
        wall[clip.name][v.name] = round((Date.now() - t0) / 1000, 1)!;
        outputs[v.name] = await decode(out, out.replace(/\.mp4$/, '.rgb'));
      }
      job.clips.push({ name: clip.name, input: await decode(cut, join(dir, `clip${ci}-input.rgb`)), outputs });
    }
    log('bench:seams: scoring (reference flows DIS-medium and DeepFlow on the input frames)…');
    writeFileSync(join(dir, 'job.json'), JSON.stringify(job));
    const scored = JSON.parse((await run(PYTHON, [join(ROOT, 'bench/temporal_eval.py'), join(dir, 'job.json')], { echo: true })).stdout) as {
      opencv: string;
      clips: { name: string; frames: number; outputs: Record<string, Scored> }[];
    };
    const refs = ['dis_medium', 'deepflow'];
    const clips = scored.clips.map((c) => {
      const pairs = c.frames - 1;
      const joinSet = new Set(joins.filter((t) => t < pairs));
      const split = (o: Scored, ref: string) => {
        const per = o.e_warp_per_frame[ref];
        const across = per.filter((_, t) => joinSet.has(t));
        const inside = per.filter((_, t) => !joinSet.has(t));
        return { across: mean(across), inside: mean(inside), ratio: mean(across) / mean(inside), per_join: [...joinSet].map((t) => per[t] / mean(inside)) };
      };
      return {
        clip: c.name,
        frames: c.frames,
        joins_at_pairs: [...joinSet],
        variants: Object.fromEntries(
          variants.map((v) => {
            const o = c.outputs[v.name];
            return [
              v.name,
              {
                e_warp: Object.fromEntries(refs.map((r) => [r, round(o.e_warp[r], 6)])),
                ...Object.fromEntries(
                  refs.map((r) => {
                    const s = split(o, r);
                    return [`${r}_across_joins_vs_inside`, { across: round(s.across, 6), inside: round(s.inside, 6), ratio: round(s.ratio, 3), each_join_over_inside: s.per_join.map((v) => round(v, 3)) }];
                  }),
                ),
                detail_sobel: round(o.detail_sobel, 5),
                wall_s: wall[c.name][v.name],
              },
            ];
          }),
        ),
      };
    });
    // The goal per K: the ratio across/inside, pooled over both clips (mean of the per-clip ratios) for each reference.
    const summary = Object.fromEntries(
      variants.map((v) => [
        v.name,
        Object.fromEntries(
          refs.map((r) => {
            const ratios = clips.map((c) => (c.variants[v.name] as unknown as Record<string, { ratio: number }>)[`${r}_across_joins_vs_inside`].ratio);
            return [r, { ratio_per_clip: ratios, mean_ratio: round(mean(ratios), 3), goal_met: v.name === 'whole' ? null : mean(ratios) <= GOAL }];
          }),
        ),
      ]),
    );
    // The smallest warm-up that meets the goal on both references (what DEFAULT_WARMUP_FRAMES should be, at least).
    const ratioOf = (name: string, r: string) => (summary[name] as Record<string, { mean_ratio: number }>)[r].mean_ratio;
    const meets = WARMUPS.filter((k) => k > 0 && refs.every((r) => ratioOf(`segments, K=${k}`, r) <= GOAL));
    const smallest_warmup_meeting_goal = meets.length ? Math.min(...meets) : null;
    const doc = {
      benchmark: 'bench:seams',
      date: new Date().toISOString(),
      host: hostname(),
      machine: { atStart: machineAtStart, atEnd: machine() },
      goal: `warping error across a join ≤ ${GOAL} × inside the segments with the warm-up; measurably worse without (K = 0)`,
      setup: {
        command: `node bin/stylecast.mjs stylize <clip> -o out.mp4 --style ${STYLE} --size ${SIZE} --temporal ${DEFAULT_TEMPORAL} (${DEFAULT_TEMPORAL_METHOD}) [--segment ${segmentSeconds} --warmup K --jobs ${JOBS}]`,
        clips: `first ${FRAMES} frames of ../shared/media/video/{${CLIPS.map((c) => c.file).join(', ')}} (25 fps), re-encoded with libx264 crf 10; segments of ${SEGMENT_FRAMES} frames (${segmentSeconds} s): ${joins.length} joins per clip`,
        scoring: `as bench:temporal (bench/temporal_eval.py): E_warp per frame pair t → t+1 (Lai et al. 2018, reference flow of the INPUT frames, Ruder mask), scored at ${EVAL.join('×')}; "across" = mean over the pairs whose t+1 starts a segment, "inside" = mean over every other pair of the same output; "whole" is the clip stylised in one piece (its pairs at the same places, for scale)`,
        opencv: scored.opencv,
      },
      summary,
      smallest_warmup_meeting_goal,
      clips,
      total_seconds: round((Date.now() - started) / 1000, 0),
    };
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  } finally {
    if (process.env.STYLECAST_BENCH_KEEP) log(`bench:seams: kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  log(`bench:seams failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
