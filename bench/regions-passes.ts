// npm run bench:regions-passes — where the region stage's WGSL time goes on the crowd (bench:regions' crowd clip, its
// first frame's ten labelled faces, faces at strength 0.3 with the faces' crop pass): each of the stage's dispatches
// at the network's size, recorded as the stage encodes a frame with its own weak pass and one carrying the last along
// a flow (as under smoothing) and a frame run alone (as bench:regions times the stage), replayed alone (submit → queue
// done, less an empty submission's time), in rounds interleaved with the network alone (tfjs-wasm, same size).
// The map's dispatches are replayed with its pipeline constant CULL false too (every face for every pixel, as before
// the per-workgroup skip), A/B in turn within each round (the per-round ratio is what the machine's load moves least),
// and the two strength maps compared bit for bit (--no-ab: not). --full-map: each frame recorded by a stage with its
// map at the full size too (MAP_SCALE 1, the map and blend as before the half-size map), replayed in the same rounds;
// per frame, the ratio of the sums of its dispatches (this / full map) in each round, and per dispatch in order.
// Options: --rounds N (default 9, after a warm-up), --size PX (256), --clip crowd|portrait (crowd), --gpu (software),
// --tag NAME (default the host name). JSON on stdout and in bench/results/regions-passes-<tag>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { openSession } from '../src/cli/browser.ts';
import type { GpuMode } from '../src/cli/gpu.ts';
import { CLIPS, facesAt } from './regions-clips.ts';
import type { PassesResult } from './regions-passes-page.ts';
import { GPU_CHOICES, ROOT, log, machine, median, parseBenchArgs, round } from './util.ts';

const USAGE = `npm run bench:regions-passes [-- options]
where the region stage's WGSL time goes on bench:regions' crowd: each dispatch replayed alone, beside the network
  --rounds N                timed rounds after a warm-up (default 9)
  --size PX                 the network's short side (default 256)
  --clip crowd|portrait     bench:regions' clip whose first frame's faces are used (default crowd)
  --gpu hardware|software|auto   the WebGPU adapter (default software)
  --no-ab                   no A/B of the map with CULL false, no bit-for-bit comparison
  --skip-ab                 A/B of the blends with SKIP false (the weak lookup one trip everywhere), outputs compared
  --full-map                A/B against the stage with its map at the full size (MAP_SCALE 1), per frame
  --tag NAME                bench/results/regions-passes-NAME.json (default: the host name)
  env: STYLECAST_BENCH_TAG (--tag's default)`;
const { option, flag } = parseBenchArgs(USAGE, { name: 'bench:regions-passes', valued: ['rounds', 'size', 'clip', 'gpu', 'tag'], flags: ['no-ab', 'full-map', 'skip-ab'], choices: { gpu: GPU_CHOICES } });
const ROUNDS = Number(option('rounds') ?? 9);
const SIZE = Number(option('size') ?? 256);
const GPU = (option('gpu') ?? 'software') as GpuMode;
const CLIP = option('clip') ?? 'crowd';
const AB = !flag('no-ab');
const FULL_MAP = flag('full-map');
const SKIP_AB = flag('skip-ab');
const TAG = (option('tag') ?? process.env.STYLECAST_BENCH_TAG ?? hostname()).replace(/[^A-Za-z0-9._-]+/g, '-');
const FACE = 0.3;

async function main() {
  const clip = CLIPS.find((c) => c.name === CLIP);
  if (!clip) throw new Error(`--clip: ${CLIP} is none of ${CLIPS.map((c) => c.name).join(', ')}`);
  const atStart = machine();
  const session = await openSession(ROOT, {}, '/bench/regions-passes.html', "typeof window.benchRegionPasses === 'function'", [], { gpu: GPU });
  let r: PassesResult;
  try {
    log(`bench:regions-passes: ${clip.name}, ${ROUNDS} rounds…`);
    const args = { width: 640, height: 360, size: SIZE, style: clip.style, faces: facesAt(clip, 0), faceStrength: FACE, rounds: ROUNDS, unculled: AB, unskipped: SKIP_AB, fullMap: FULL_MAP };
    r = await session.page.evaluate((a) => window.benchRegionPasses(a), args);
  } finally {
    await session.close();
  }
  const net = median(r.network)!;
  const passes = Object.entries(r.passes).map(([name, ms]) => ({ pass: name, median_ms: round(median(ms), 2), share_of_network_median_of_rounds: round(median(ms.map((m, k) => m / r.network[k])), 3), runs_ms: ms.map((m) => round(m, 2)) }));
  const ab = AB || SKIP_AB
    ? Object.keys(r.passes)
        .filter((k) => k.includes('(variant)'))
        .map((k) => {
          const mine = r.passes[k.replace(' (variant)', '')];
          const theirs = r.passes[k];
          const ratios = mine.map((m, i) => m / theirs[i]);
          return { pass: k.replace(' (variant)', ''), this_over_variant_per_round: ratios.map((x) => round(x, 3)), median: round(median(ratios), 3), this_ms: round(median(mine), 2), variant_ms: round(median(theirs), 2) };
        })
    : [];
  // --full-map: per frame, this stage's dispatches against the full-map stage's (the same sequence), round by round.
  const frames = [...new Set(Object.keys(r.passes).map((k) => k.split(': ')[0]))].filter((f) => !f.endsWith(' [full map]'));
  const ofFrame = (f: string) => Object.entries(r.passes).filter(([k]) => k.split(': ')[0] === f && !k.includes('(variant)'));
  const fullMap = FULL_MAP
    ? frames.map((f) => {
        const mine = ofFrame(f);
        const theirs = ofFrame(`${f} [full map]`);
        const sum = (e: [string, number[]][]) => r.network.map((_, k) => e.reduce((a, [, ms]) => a + ms[k], 0));
        const [a, b] = [sum(mine), sum(theirs)];
        const ratios = a.map((m, k) => m / b[k]);
        return {
          frame: f,
          this_over_full_map_per_round: ratios.map((x) => round(x, 3)),
          median: round(median(ratios), 3),
          this_ms: round(median(a), 2),
          full_map_ms: round(median(b), 2),
          this_share_of_network: round(median(a.map((m, k) => m / r.network[k])), 3),
          full_map_share_of_network: round(median(b.map((m, k) => m / r.network[k])), 3),
          dispatches: mine.map(([k, ms], j) => ({
            this: k.split(': ')[1],
            full_map: theirs[j]?.[0].split(': ')[1],
            median_of_rounds_ratio: theirs[j] ? round(median(ms.map((m, i) => m / theirs[j][1][i])), 3) : null,
          })),
        };
      })
    : [];
  for (const f of fullMap) log(`  A/B ${f.frame}: ${f.this_ms} ms / full map ${f.full_map_ms} ms, median of the rounds' ratios ${f.median}`);
  for (const p of passes) log(`  ${p.pass}: ${p.median_ms} ms (${((p.share_of_network_median_of_rounds ?? 0) * 100).toFixed(1)} % of the network)`);
  for (const a of ab) log(`  A/B ${a.pass}: this ${a.this_ms} ms / variant ${a.variant_ms} ms, median of the rounds' ratios ${a.median}`);
  const doc = {
    benchmark: 'bench:regions-passes',
    date: new Date().toISOString(),
    machine: { tag: TAG, hostname: hostname(), gpu: GPU, atStart, atEnd: machine() },
    where: r.info,
    setup: `${clip.name} (${clip.photo}): bench:regions' clip's first frame's ${clip.faces.length} labelled faces at face strength ${FACE} (the faces' crop pass, rect ${JSON.stringify(r.weakRect)}), stage at ${r.inferWidth}×${r.inferHeight}; each dispatch replayed alone 3 times per round (median, less an empty submission's), ${ROUNDS} rounds after a warm-up, each round after one network run (transform + data(), same size); ${[AB ? 'the map with CULL false' : '', SKIP_AB ? 'the blends with SKIP false' : ''].filter(Boolean).join(' and ') || 'no variant'} (variant) and this one in turn, order swapped every replay`,
    variant: [AB ? 'the map with CULL false (every face for every pixel)' : '', SKIP_AB ? 'the blends with SKIP false (the weak lookup one trip for every pixel, as the branch before)' : ''].filter(Boolean).join('; ') || null,
    variant_strength_map_bit_identical: r.variantSame,
    variant_blend_output_bit_identical: r.blendVariantSame,
    strength_map_pixels_below_1: r.weakened,
    network_ms: { median: round(net, 1), runs: r.network.map((m) => round(m, 1)) },
    passes,
    ab,
    full_map: FULL_MAP ? { what: 'this stage (map at 1/MAP_SCALE of the size, the blend looking it up bilinearly) against the same stage with regionTuning.mapScale 1 (map at the full size, the blend reading it at the pixel: as before), recorded on the same frames and replayed in the same rounds', frames: fullMap } : null,
  };
  const text = JSON.stringify(doc, null, 2) + '\n';
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results', `regions-passes-${TAG}.json`), text);
  process.stdout.write(text);
}

main().catch((e) => {
  log(`bench:regions-passes failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
