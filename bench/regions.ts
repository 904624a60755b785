// npm run bench:regions — per-region strength on portrait pan clips made at run time with ffmpeg from the shared
// photos with people (the portrait, the crowd): SSIM of luma between input and output inside the face boxes, the style
// kept on the faces (cosine between the style predictor's vector of each face crop and the style image's), the change
// outside the dilated face masks, and the per-frame cost of the region work next to the network on the same backend.
// Compared: unprotected; the engine's faces' crop pass (the default); a whole-frame weak pass; a plain cross-fade with
// the input. Faces are labelled by hand in each photo (below) and carried along the pan exactly (the crop offset is
// known per frame). JSON on stdout and in bench/results/regions-<host>.json.
// Options: --frames N (default 12), --face-strength S (0.3), --size PX (256), --temporal A (0.7), --gpu (software),
// --tag NAME (default the host name), --clips portrait,crowd (default both; a subset writes regions-<tag>-<clips>.json,
// leaving the full run's file as it is), --variants LIST (the engine variants besides 'unprotected', comma-separated;
// each 'default' or '+'-joined knobs of regionTuning: 'budget:X' (CROP_BUDGET), 'every:N' (WEAK_EVERY),
// 'structure:X' (STRUCTURE), 'below:X' (STRUCTURE_BELOW), 'map:1|2' (MAP_SCALE), 'whole' (faces take the whole-frame
// pass), 'detect' (the faces from the engine's own detector on its cadence, late as in the engine, instead of the
// labelled boxes; scored against the labels all the same), 'faces:N' (FACE_EVERY, with detect); default: default, structure:0,
// structure:0.6, whole+structure:0), --cost-rounds N (9: the cost section's timed rounds). The cost's headline is the
// median over rounds of each round's share (the parts and the network timed side by side in that round), which the
// machine's load moves less than a ratio of medians taken minutes apart. The stage's WGSL is timed with the strength map
// at the full size too (MAP_SCALE 1, as before), in the same rounds.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSession } from '../src/cli/browser.ts';
import type { GpuMode } from '../src/cli/gpu.ts';
import { CLIPS, facesAt } from './regions-clips.ts';
import type { EngineVariant, RegionsResult } from './regions-page.ts';
import { GPU_CHOICES, ROOT, SHARED_MEDIA, log, machine, median, parseBenchArgs, round, run } from './util.ts';

/** The median over rounds of round k's (weak/every + masks·scale + wgsl) / network. */
function roundShare(cost: RegionsResult['cost'], weakMs: number[], every: number, masksScale = 1): number {
  return median(cost.network.map((n, k) => (weakMs[k] / every + cost.masks[k] * masksScale + cost.wgsl[k]) / n))!;
}

/** The same with the stage's WGSL as recorded under smoothing at that cadence (RegionCost.wgslCycle). */
function roundShareRecorded(cost: RegionsResult['cost'], weakMs: number[], every: number, masksScale = 1): number {
  return median(cost.network.map((n, k) => (weakMs[k] / every + cost.masks[k] * masksScale + cost.wgslCycle[every][k]) / n))!;
}

/** A variant's masks next to the engine's: face detection every `faceEvery` frames instead of FACE_EVERY. */
const masksScaleOf = (v: EngineVariant | undefined, faceEvery: number) => (v?.faceEvery ? faceEvery / v.faceEvery : 1);

const USAGE = `npm run bench:regions [-- options]
per-region strength on portrait pan clips: SSIM and style kept in the faces, change outside, the region work's cost
  --frames N                frames per clip (default 12)
  --face-strength S         the faces' strength (default 0.3)
  --size PX                 the network's short side (default 256)
  --temporal A              smoothing (default 0.7)
  --gpu hardware|software|auto   the WebGPU adapter (default software)
  --clips portrait,crowd    a subset (default both; a subset writes regions-<tag>-<clips>.json)
  --variants LIST           engine variants besides 'unprotected', comma-separated: 'default' or '+'-joined knobs
                            budget:X, every:N, structure:X, below:X, map:1|2 (MAP_SCALE), whole,
                            detect (faces from the engine's detector, late, not the labels), faces:N (FACE_EVERY)
                            (default default,structure:0,structure:0.6,whole+structure:0)
  --cost-rounds N           the cost section's timed rounds (default 9)
  --tag NAME                bench/results/regions-NAME.json (default: the host name)
  env: STYLECAST_BENCH_TAG (--tag's default)`;
const { option } = parseBenchArgs(USAGE, {
  choices: { gpu: GPU_CHOICES },
  name: 'bench:regions',
  valued: ['frames', 'face-strength', 'size', 'temporal', 'gpu', 'clips', 'variants', 'cost-rounds', 'tag'],
});
const FRAMES = Number(option('frames') ?? 12);
const FACE = Number(option('face-strength') ?? 0.3);
const SIZE = Number(option('size') ?? 256);
const TEMPORAL = Number(option('temporal') ?? 0.7);
const GPU = (option('gpu') ?? 'software') as GpuMode;
const TAG = (option('tag') ?? process.env.STYLECAST_BENCH_TAG ?? hostname()).replace(/[^A-Za-z0-9._-]+/g, '-');
const OUT: [number, number] = [640, 360];
const ONLY = option('clips')?.split(',').filter(Boolean) ?? null;
const COST_ROUNDS = Number(option('cost-rounds') ?? 9);
const VARIANTS: EngineVariant[] = [
  { name: 'unprotected', regions: false },
  ...(option('variants') ?? 'default,structure:0,structure:0.6,whole+structure:0').split(',').filter(Boolean).map(variant),
];

/** 'default' or '+'-joined knobs ('budget:X', 'every:N', 'structure:X', 'whole') → an engine variant, named. */
function variant(spec: string): EngineVariant {
  const v: EngineVariant = { name: '', regions: true };
  const said: string[] = [];
  for (const knob of spec === 'default' ? [] : spec.split('+')) {
    const [key, value] = knob.split(':');
    const x = Number(value);
    if (key === 'whole') v.crop = false;
    else if (key === 'budget' && x > 0) v.cropBudget = x;
    else if (key === 'every' && Number.isInteger(x) && x >= 1) v.weakEvery = x;
    else if (key === 'structure' && x >= 0) v.structure = x;
    else if (key === 'below' && x >= 0) v.structureBelow = x;
    else if (key === 'map' && (x === 1 || x === 2)) v.mapScale = x;
    else if (key === 'detect' && value === undefined) v.detect = true;
    else if (key === 'faces' && Number.isInteger(x) && x >= 1) v.faceEvery = x;
    else throw new Error(`--variants: cannot read "${knob}" (budget:X, every:N, structure:X, below:X, map:1|2, whole, detect, faces:N)`);
    said.push(
      key === 'whole' ? 'whole-frame weak pass'
      : key === 'budget' ? `crop ≤ ${x} of the frame's pixels`
      : key === 'every' ? `weak pass every ${x} frames`
      : key === 'below' ? `structure + ${x}·(1 − scale) below 1×`
      : key === 'map' ? `strength map at 1/${x} of the size`
      : key === 'detect' ? 'faces from the engine\'s detector (not the labels)'
      : key === 'faces' ? `face detection every ${x} frames`
      : x === 0 ? 'no structure' : `structure ${x}`,
    );
  }
  v.name = `face ${FACE}: ${said.length ? said.join(', ') : 'the engine\'s default'}`;
  return v;
}

const RUN = ONLY ? CLIPS.filter((c) => ONLY.includes(c.name)) : CLIPS;

async function main() {
  const atStart = machine();
  const dir = mkdtempSync(join(tmpdir(), 'stylecast-bench-regions-'));
  const files: Record<string, string> = {};
  try {
    for (const c of RUN) {
      const out = join(dir, `${c.name}.mp4`);
      const [ww, wh] = c.win;
      const crop = `crop=${ww}:${wh}:'${c.start[0]}+${c.step[0]}*n':'${c.start[1]}+${c.step[1]}*n'`;
      await run('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-i', join(SHARED_MEDIA, 'photos', c.photo), '-vf', `${crop},scale=${OUT[0]}:${OUT[1]}:flags=lanczos,format=yuv420p`, '-frames:v', String(FRAMES), '-r', '24', '-c:v', 'libx264', '-crf', '10', out]);
      files[`${c.name}.mp4`] = out;
    }
    log(`bench:regions: clips made (${FRAMES} frames each, ${OUT.join('×')}); starting Chromium (--gpu ${GPU})…`);
    const session = await openSession(ROOT, files, '/bench/regions.html', "typeof window.benchRegionsInit === 'function'", [], { gpu: GPU });
    const results: (RegionsResult & { style: string; photo: string })[] = [];
    let where: string;
    try {
      where = await session.page.evaluate(() => window.benchRegionsInit());
      for (const c of RUN) {
        log(`bench:regions: ${c.name} (${c.photo}, ${c.style})…`);
        const faces = Array.from({ length: FRAMES }, (_, n) => facesAt(c, n));
        const r = await session.page.evaluate((args) => window.benchRegionsCase(args), { clip: `${c.name}.mp4`, style: c.style, size: SIZE, temporal: TEMPORAL, faceStrength: FACE, faces, variants: VARIANTS, costRounds: COST_ROUNDS });
        const net = median(r.networkMs)!;
        const off = median(r.variants[0].msPerFrame)!;
        log(`  network alone ${net.toFixed(0)} ms; ${r.facesScored} face boxes scored; the photo's faces: style cosine ${r.inputFaceStyleCosine.toFixed(3)}, detector finds ${r.inputDetected} (IoU ${r.inputDetectedIoU.toFixed(2)})`);
        for (const v of r.variants) {
          const m = v.msPerFrame.length ? median(v.msPerFrame)! : null;
          log(`  ${v.name}: face SSIM ${v.faceSsim.toFixed(3)}, face style cosine ${v.faceStyleCosine.toFixed(3)}, faces found ${v.detected}/${r.inputDetected}, |Δ| outside ${v.outsideMeanAbs.toFixed(3)}, inside ${v.insideMeanAbs.toFixed(1)}${m === null ? '' : `, ${m.toFixed(0)} ms/frame (region work ${(m - off).toFixed(0)} ms = ${((100 * (m - off)) / net).toFixed(0)} % of the network)`}`);
        }
        const k = r.cost;
        const parts = { weak: median(k.weakPass)! / k.weakEvery, masks: median(k.masks)!, wgsl: median(k.wgsl)! };
        const n = median(k.network)!;
        log(`  cost, each part alone (medians of ${COST_ROUNDS}, interleaved): network ${n.toFixed(0)} ms; weak pass ${median(k.weakPass)!.toFixed(0)} ms (crop ${(100 * median(k.weakPixelShare)!).toFixed(0)} % of the frame's pixels) every ${k.weakEvery} frame(s) = ${parts.weak.toFixed(0)} ms/frame, masks ${parts.masks.toFixed(0)} ms, WGSL ${parts.wgsl.toFixed(0)} ms: region work ${((100 * (parts.weak + parts.masks + parts.wgsl)) / n).toFixed(0)} % of the network (${((100 * (parts.weak + parts.wgsl)) / n).toFixed(0)} % without masks); median of the rounds' shares ${(100 * roundShare(k, k.weakPass, k.weakEvery)).toFixed(0)} % (face detection every ${k.faceEvery + 1} frames instead of ${k.faceEvery} would make it ${(100 * roundShare(k, k.weakPass, k.weakEvery, k.faceEvery / (k.faceEvery + 1))).toFixed(0)} %)`);
        log(`  the stage's WGSL as recorded under smoothing (a cycle of a pass of its own and the frames carrying it, with a flow), per frame: ${Object.entries(k.wgslCycle).map(([e, ms]) => `weak pass every ${e}: ${median(ms)!.toFixed(0)} ms`).join(', ')}; region work with it, median of the rounds' shares ${(100 * roundShareRecorded(k, k.weakPass, k.weakEvery)).toFixed(0)} % (face detection every ${k.faceEvery + 1} frames: ${(100 * roundShareRecorded(k, k.weakPass, k.weakEvery, k.faceEvery / (k.faceEvery + 1))).toFixed(0)} %)`);
        r.variants.forEach((v, i) => {
          if (!v.weakPass) return;
          const w = median(v.weakPass.ms)! / v.weakPass.every;
          const scale = masksScaleOf(VARIANTS[i], k.faceEvery);
          log(`    ${v.name}: weak pass ${median(v.weakPass.ms)!.toFixed(0)} ms (${(100 * v.weakPass.pixelShare).toFixed(0)} % of the pixels) every ${v.weakPass.every} = ${w.toFixed(0)} ms/frame: region work ${((100 * (w + parts.masks * scale + parts.wgsl)) / n).toFixed(0)} % of the network (median of the rounds' shares ${(100 * roundShare(k, v.weakPass.ms, v.weakPass.every, scale)).toFixed(0)} %; with the WGSL as recorded ${(100 * roundShareRecorded(k, v.weakPass.ms, v.weakPass.every, scale)).toFixed(0)} %)`);
        });
        results.push({ ...r, style: c.style, photo: c.photo });
      }
    } finally {
      await session.close();
    }
    const doc = {
      benchmark: 'bench:regions',
      date: new Date().toISOString(),
      machine: { tag: TAG, hostname: hostname(), gpu: GPU, atStart, atEnd: machine() },
      where,
      setup: {
        clips: `ffmpeg pans over the shared photos (window moving ${RUN.map((c) => `${c.step[0]} px/frame over ${c.win.join('×')}`).join(', ')} photo px), ${FRAMES} frames at ${OUT.join('×')}, H.264 crf 10; made at run time, not kept`,
        faces: 'boxes labelled by hand in each photo (brows to chin, like BlazeFace), carried exactly along the pan; no detector and no person mask in these figures (masks cost not included), except in a \'detect\' variant: the faces from the engine\'s own detector on its cadence (tiles FACE_TILES, boxes a frame late), scored against the labels',
        pipeline: `createFrameStylizer on tfjs-wasm at a ${SIZE}-px short side, temporal ${TEMPORAL} (strokes), guided present; face strength ${FACE}, person and background 1`,
        variants: `unprotected; ${VARIANTS.slice(1).map((v) => v.name).join('; ')} (the engine's default: the network with the weak vector on the faces' rectangle at up to 2× the frame's resolution, ≤ CROP_BUDGET of its pixels, below 1× when the crop is larger, every WEAK_EVERY frames under smoothing, carried along the flow in between, with the input's luma structure taken back by STRUCTURE·(1 − s)); a plain cross-fade with the input under the same feathered mask (computed in the page, not an engine mode)`,
        detector: 'MaskModels.detectFaces (BlazeFace short-range, tiles 3) on each input and output frame at 640×360; a labelled face counts as found when a detection overlaps it with IoU ≥ 0.3',
        scores: 'face SSIM: mean SSIM (7×7, luma) input vs output inside each face box fully in the picture; face style cosine: cosine between the style predictor\'s vector of a square crop 1.3× the box and the style image\'s vector (the photo\'s own crops give the floor); outside: mean |output − unprotected| over RGB (0..255) outside each face\'s feathered ellipse dilated by 4 network px; inside: the same inside the boxes',
        timing: `cost_each_part_alone: the network (transform + data() at the inference size), the weak pass (the same on the median frame's faces' crop, counted 1/WEAK_EVERY per frame), the masks as the engine runs them for these settings (face detection with the engine's tiles, once every FACE_EVERY frames (face_detection_every); no person mask for faces alone) and the region stage's WGSL (submit → queue done), interleaved, ${COST_ROUNDS} rounds after a warm-up, medians; region work = weak pass + masks + WGSL; region_work_share_median_of_rounds: the median over rounds of that round's share. The WGSL there is a frame with a weak pass of its own in a pass of its own (no flow: with the luma cut test); ..._as_recorded: the WGSL as the engine records it under smoothing instead (region_wgsl_as_recorded_ms_by_weak_every: a cycle of WEAK_EVERY frames with a still flow, a pass of its own then the frames carrying it, over the cycle; no luma test), in the same rounds; a variant's figures take its own weak pass, its cadence's cycle and its face detection cadence. Also the wall ms per frame of each variant (render → queue done, frames 2..N), which the machine's load swamps. SwiftShader emulates the GPU here (the WGSL figure is CPU emulation; the networks run on tfjs-wasm)`,
      },
      goals: { faceSsimAtFace03: 0.79, regionWorkShareOfNetwork: 0.4 },
      clips: results.map((r) => {
        const net = median(r.networkMs)!;
        const off = median(r.variants[0].msPerFrame)!;
        return {
          name: r.clip,
          photo: r.photo,
          style: r.style,
          size: `${r.width}x${r.height}`,
          inference: `${r.inferWidth}x${r.inferHeight}`,
          frames: r.frames,
          faces_scored: r.facesScored,
          network_ms_median: round(net, 1),
          cost_each_part_alone: {
            network_ms: round(median(r.cost.network)!, 1),
            weak_pass_ms: round(median(r.cost.weakPass)!, 1),
            weak_pass_pixel_share_median: round(median(r.cost.weakPixelShare)!, 3),
            weak_pass_every: r.cost.weakEvery,
            masks_ms: round(median(r.cost.masks)!, 1),
            region_wgsl_ms: round(median(r.cost.wgsl)!, 1),
            region_wgsl_full_map_ms: round(median(r.cost.wgslFullMap)!, 1),
            region_wgsl_over_full_map_median_of_rounds: round(median(r.cost.wgsl.map((g, k) => g / r.cost.wgslFullMap[k]))!, 3),
            region_work_share_median_of_rounds_with_full_map: round(median(r.cost.network.map((n, k) => (r.cost.weakPass[k] / r.cost.weakEvery + r.cost.masks[k] + r.cost.wgslFullMap[k]) / n))!, 3),
            region_work_share_of_network: round((median(r.cost.weakPass)! / r.cost.weakEvery + median(r.cost.masks)! + median(r.cost.wgsl)!) / median(r.cost.network)!, 3),
            region_work_share_median_of_rounds: round(roundShare(r.cost, r.cost.weakPass, r.cost.weakEvery), 3),
            face_detection_every: r.cost.faceEvery,
            region_work_share_if_faces_every_next: round(roundShare(r.cost, r.cost.weakPass, r.cost.weakEvery, r.cost.faceEvery / (r.cost.faceEvery + 1)), 3),
            region_work_share_without_masks: round((median(r.cost.weakPass)! / r.cost.weakEvery + median(r.cost.wgsl)!) / median(r.cost.network)!, 3),
            region_wgsl_as_recorded_ms_by_weak_every: Object.fromEntries(Object.entries(r.cost.wgslCycle).map(([e, ms]) => [e, round(median(ms)!, 1)])),
            region_work_share_median_of_rounds_as_recorded: round(roundShareRecorded(r.cost, r.cost.weakPass, r.cost.weakEvery), 3),
            region_work_share_as_recorded_if_faces_every_next: round(roundShareRecorded(r.cost, r.cost.weakPass, r.cost.weakEvery, r.cost.faceEvery / (r.cost.faceEvery + 1)), 3),
            raw_ms: { network: r.cost.network.map((x) => round(x, 1)), weak_pass: r.cost.weakPass.map((x) => round(x, 1)), masks: r.cost.masks.map((x) => round(x, 1)), wgsl: r.cost.wgsl.map((x) => round(x, 1)), wgsl_full_map: r.cost.wgslFullMap.map((x) => round(x, 1)), wgsl_as_recorded: Object.fromEntries(Object.entries(r.cost.wgslCycle).map(([e, ms]) => [e, ms.map((x) => round(x, 1))])) },
          },
          input_face_style_cosine: round(r.inputFaceStyleCosine, 4),
          input_faces_detected: r.inputDetected,
          input_detected_iou: round(r.inputDetectedIoU, 3),
          variants: r.variants.map((v, i) => {
            const m = v.msPerFrame.length ? median(v.msPerFrame)! : null;
            const scale = masksScaleOf(VARIANTS[i], r.cost.faceEvery);
            return {
              name: v.name,
              face_ssim: round(v.faceSsim, 4),
              face_style_cosine: round(v.faceStyleCosine, 4),
              outside_mean_abs_255: round(v.outsideMeanAbs, 4),
              inside_mean_abs_255: round(v.insideMeanAbs, 2),
              faces_detected: v.detected,
              faces_detected_share_of_input: r.inputDetected ? round(v.detected / r.inputDetected, 3) : null,
              detected_iou: round(v.detectedIoU, 3),
              ms_per_frame_median: m === null ? null : round(m, 1),
              region_work_ms: m === null ? null : round(m - off, 1),
              region_work_share_of_network: m === null ? null : round((m - off) / net, 3),
              ms_per_frame: v.msPerFrame.map((x) => round(x, 1)),
              weak_pass: v.weakPass
                ? {
                    ms_median: round(median(v.weakPass.ms)!, 1),
                    pixel_share: round(v.weakPass.pixelShare, 3),
                    every: v.weakPass.every,
                    face_detection_every: VARIANTS[i]?.faceEvery ?? r.cost.faceEvery,
                    region_work_share_of_network: round((median(v.weakPass.ms)! / v.weakPass.every + median(r.cost.masks)! * scale + median(r.cost.wgsl)!) / median(r.cost.network)!, 3),
                    region_work_share_median_of_rounds: round(roundShare(r.cost, v.weakPass.ms, v.weakPass.every, scale), 3),
                    region_work_share_median_of_rounds_as_recorded: round(roundShareRecorded(r.cost, v.weakPass.ms, v.weakPass.every, scale), 3),
                  }
                : null,
            };
          }),
        };
      }),
    };
    const text = JSON.stringify(doc, null, 2) + '\n';
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results', `regions-${TAG}${ONLY ? `-${RUN.map((c) => c.name).join('-')}` : ''}.json`), text);
    process.stdout.write(text);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  log(`bench:regions failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
