// npm run bench:stages — where a frame's time goes on a CPU backend (tfjs-wasm) with smoothing on a WebGPU device of
// our own: every step timed alone (its GPU work waited for before the next starts, so nothing overlaps and each
// figure is that step's own cost), beside the steps of the smoothing-off path on the same frames. JSON on stdout and
// in bench/results/stages-<tag>.json. Options: --frames N (timed frames, default 8), --size PX (default 256),
// --gpu hardware|software|auto (default auto), --tag NAME (default the host name).
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSession } from '../src/cli/browser.ts';
import type { GpuMode } from '../src/cli/gpu.ts';
import type { StageRun } from './stages-page.ts';
import { ROOT, SHARED_MEDIA, log, machine, median, option, round, run } from './util.ts';

const FRAMES = Number(option('frames') ?? 8);
const SIZE = Number(option('size') ?? 256);
const GPU = (option('gpu') ?? 'auto') as GpuMode;
const TAG = (option('tag') ?? process.env.STYLECAST_BENCH_TAG ?? hostname()).replace(/[^A-Za-z0-9._-]+/g, '-');
const CLIP = 'pexels-854100-people-walking-sidewalk-640x360-6s.webm';

async function main() {
  const atStart = machine();
  const dir = mkdtempSync(join(tmpdir(), 'stylecast-bench-stages-'));
  const files: Record<string, string> = {};
  let r: StageRun;
  try {
    // Consecutive frames of a static-camera clip (people walking past a still background), as PNGs.
    await run('ffmpeg', ['-v', 'error', '-i', join(SHARED_MEDIA, 'video', CLIP), '-frames:v', String(FRAMES + 2), join(dir, 'f%03d.png')]);
    for (const f of readdirSync(dir).sort()) files[f] = join(dir, f);
    const session = await openSession(ROOT, files, '/bench/stages.html', "typeof window.benchStages === 'function'", [], { gpu: GPU });
    try {
      log(`bench:stages: ${FRAMES} frames at 640×360, network ${SIZE} px…`);
      r = await session.page.evaluate(([f, s]) => window.benchStages(f, 640, 360, s), [Object.keys(files), SIZE] as const);
    } finally {
      await session.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
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
