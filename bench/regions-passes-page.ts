// The page bench/regions-passes.ts drives: the region stage's dispatches on the network's size, recorded as the stage
// encodes frames (a frame with its own weak pass and one carrying the last along a flow, as under smoothing, and one
// run alone, as bench:regions' WGSL figure), then each replayed alone in a submission of its own (same inputs as in
// the frame), in rounds interleaved with the network alone (tfjs-wasm) and with the map program's CULL false
// (A/B).
import * as tf from '@tensorflow/tfjs';
import { temporalDevice } from '../src/engine/gpu/device.ts';
import { readBuffer } from '../src/engine/temporal/estimate.ts';
import { inferenceGeometry } from '../src/engine/pipeline/frame.ts';
import { RegionStage, regionBlendCarriedFullMapProgram, regionBlendCarriedProgram, regionBlendFullMapProgram, regionBlendProgram, regionMapPlainProgram, regionTuning, unskipped, type RegionFace, type RegionFrame, type RegionSettings } from '../src/engine/regions/index.ts';
import { initBackend } from '../src/engine/stylise/backend.ts';
import { StyleModel } from '../src/engine/stylise/model.ts';
import { dispatchRecordingDevice, type NotedDispatch } from './dispatch-recorder.ts';

export interface PassesCase {
  width: number;
  height: number;
  size: number;
  style: string;
  faces: RegionFace[];
  faceStrength: number;
  rounds: number;
  /** The map's dispatches replayed with CULL false too (every face for every pixel), in turn. */
  unculled: boolean;
  /** The blend's dispatches replayed with SKIP false too (the weak lookup's loop one trip everywhere), in turn. */
  unskipped: boolean;
  /**
   * Each frame also recorded by a stage with its map at the full size (regionTuning.mapScale 1: the map and blend as
   * before MAP_SCALE), its frame named "<frame> [full map]", replayed in the same rounds.
   */
  fullMap: boolean;
}

export interface PassesResult {
  info: string;
  inferWidth: number;
  inferHeight: number;
  /** The weak pass's rect (the faces' crop), normalised. */
  weakRect: { x: number; y: number; width: number; height: number };
  network: number[];
  /** "<frame>: <program> <grid>" → ms per round (median of the round's replays, less an empty submission's). */
  passes: Record<string, number[]>;
  /** Whether the map with CULL false gave the same strength map as the stage's own, bit for bit, per recorded map dispatch. */
  variantSame: boolean[];
  /** Whether the blend with SKIP false gave the same output as the stage's own, bit for bit, per recorded blend dispatch. */
  blendVariantSame: boolean[];
  /** Pixels of each recorded map's strength map below 1 (the faces drawn: a check that the map ran), of its pixels. */
  weakened: { below: number; of: number }[];
}

declare global {
  interface Window {
    benchRegionPasses(c: PassesCase): Promise<PassesResult>;
  }
}

interface Noted extends NotedDispatch {
  frame: string;
  stage?: RegionStage;
  /** The stage's output buffer on that frame. */
  out?: GPUBuffer;
}

/** A view of the device whose compute passes note every dispatch, with the frame's name. */
const recording = (real: GPUDevice, noted: Noted[], frame: () => string): GPUDevice => dispatchRecordingDevice(real, (d) => noted.push({ frame: frame(), ...d }));

const middle = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

window.benchRegionPasses = async (c) => {
  const choice = await initBackend('wasm');
  const gpu = await temporalDevice(choice);
  if (!gpu.device) throw new Error(`no WebGPU device: ${gpu.detail}`);
  const device = gpu.device;
  const model = await StyleModel.load();
  const styleVec = await model.presetVector(c.style);
  const { inferWidth: iw, inferHeight: ih } = inferenceGeometry(c.width, c.height, c.size);
  const noted: Noted[] = [];
  const stages: RegionStage[] = [];
  const planner = new RegionStage(device, iw, ih);
  const plan = planner.plan({ face: c.faceStrength, person: 1, background: 1, adaptiveDetail: 0 }, { faces: c.faces, person: null }, false)!;
  planner.dispose();
  const random = (floats: number) => {
    const d = new Float32Array(floats);
    for (let i = 0; i < floats; i++) d[i] = Math.random();
    const b = device.createBuffer({ size: d.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(b, 0, d);
    return b;
  };
  const settings: RegionSettings = { face: c.faceStrength, person: 1, background: 1, adaptiveDetail: 0 };
  const masks = { faces: c.faces, person: null, facesAge: 0 };
  const full = random(iw * ih * 3);
  const input = random(iw * ih * 3);
  const weak = random(plan.width * plan.height * 3);
  // A flow at half the size: a small motion everywhere, trusted (the masks carried as under smoothing), no cut.
  const fw = iw / 2;
  const fh = ih / 2;
  const backData = new Float32Array(fw * fh * 2).fill(0.7);
  const back = device.createBuffer({ size: backData.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(back, 0, backData);
  const confidenceData = new Float32Array(fw * fh).fill(1);
  const confidence = device.createBuffer({ size: confidenceData.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(confidence, 0, confidenceData);
  const stats = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
  const flow = { back, confidence, stats, width: fw, height: fh };
  const frame = (own: boolean): RegionFrame => ({ full, weak: own ? { buffer: weak, pass: plan } : null, input, settings, masks });
  const x = tf.randomUniform([1, ih, iw, 3]) as tf.Tensor4D;
  try {
    // The steady state under smoothing: a frame with its own weak pass, one with the last carried along the flow
    // (after a first frame with nothing carried yet); and a frame run alone (no flow), as bench:regions times the
    // stage's WGSL. A stage of its own for each (the stage's uniforms are one buffer: the last frame's).
    device.pushErrorScope('validation');
    const kinds: [string, boolean[], 1 | null][] = (
      [
        ['smoothed, carried weak pass', [true, false]],
        ['smoothed, own weak pass', [true, false, true]],
        ['alone (stage.run)', [true]],
      ] as [string, boolean[]][]
    ).flatMap(([name, owns]) => [[name, owns, null], ...(c.fullMap ? [[`${name} [full map]`, owns, 1] as [string, boolean[], 1]] : [])]);
    for (const [name, owns, mapScale] of kinds) {
      regionTuning.mapScale = mapScale;
      const s = new RegionStage(device, iw, ih);
      stages.push(s);
      owns.forEach((own, k) => {
        const last = k === owns.length - 1;
        const smoothed = !name.startsWith('alone');
        const p = s.plan(settings, masks, smoothed);
        if (!!p?.carried === own) throw new Error(`${name}: the plan of frame ${k} is ${p?.carried ? '' : 'not '}carried`);
        const before = noted.length;
        const e = (last ? recording(device, noted, () => name) : device).createCommandEncoder();
        const pass = e.beginComputePass();
        const out = s.encode(pass, frame(own), smoothed && k > 0 ? flow : null);
        pass.end();
        device.queue.submit([e.finish()]);
        for (const d of noted.slice(before)) Object.assign(d, { stage: s, out });
      });
    }
    regionTuning.mapScale = null;
    await device.queue.onSubmittedWorkDone();
    const invalid = await device.popErrorScope();
    if (invalid) throw new Error(`the stage's dispatches: ${invalid.message}`);

    // B: the same map with CULL false (regions_map.wgsl: every face for every pixel, as before the culling).
    // And the blends with SKIP false (regions_blend.wgsl: the weak lookup's loop one trip everywhere, as the branch before).
    const variants = new Map<string, GPUComputePipeline>();
    if (c.unculled) variants.set(regionMapPlainProgram.name, unskipped(regionMapPlainProgram).pipeline(device));
    if (c.unskipped) for (const p of [regionBlendProgram, regionBlendCarriedProgram, regionBlendFullMapProgram, regionBlendCarriedFullMapProgram]) variants.set(p.name, unskipped(p).pipeline(device));
    const variant = variants.get(regionMapPlainProgram.name) ?? null;
    const submit = async (d: Noted | null, pipeline?: GPUComputePipeline): Promise<number> => {
      const e = device.createCommandEncoder();
      const p = e.beginComputePass();
      if (d) {
        p.setPipeline(pipeline ?? d.pipeline);
        for (const [n, g] of d.groups) p.setBindGroup(n, g);
        p.dispatchWorkgroups(...d.grid);
      }
      p.end();
      const t0 = performance.now();
      device.queue.submit([e.finish()]);
      await device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    };
    const isMap = (d: Noted) => d.pipeline.label === regionMapPlainProgram.name;
    const key = (d: Noted, v = false) => `${d.frame}: ${d.pipeline.label}${v ? ' (variant)' : ''} ${d.grid.join('×')}`;
    const passes: Record<string, number[]> = {};
    const network: number[] = [];
    const REPS = 3;
    for (let round = 0; round <= c.rounds; round++) {
      const t0 = performance.now();
      const y = model.transform(x, styleVec);
      await y.data();
      y.dispose();
      const net = performance.now() - t0;
      const empty: number[] = [];
      const times = new Map<string, number[]>();
      for (let r = 0; r < REPS; r++) {
        empty.push(await submit(null));
        for (const d of noted) {
          // A and B in turn, the order swapped every rep.
          const vp = variants.get(d.pipeline.label);
          const order = vp ? (r % 2 ? [true, false] : [false, true]) : [false];
          for (const v of order) {
            const ms = await submit(d, v ? vp : undefined);
            const k = key(d, v);
            (times.get(k) ?? times.set(k, []).get(k)!).push(ms);
          }
        }
      }
      if (round === 0) continue; // warm-up
      network.push(net);
      const base = middle(empty);
      for (const [k, v] of times) (passes[k] ??= []).push(Math.max(0, middle(v) - base));
    }
    // The variant's strength map against the stage's own, on each recorded map dispatch.
    const variantSame: boolean[] = [];
    const weakened: { below: number; of: number }[] = [];
    if (variant) {
      for (const d of noted.filter(isMap)) {
        const { width: mw, height: mh } = d.stage!.map;
        await submit(d);
        const a = new Uint32Array(await readBuffer(device, d.stage!.strength, mw * mh * 4));
        await submit(d, variant);
        const b = new Uint32Array(await readBuffer(device, d.stage!.strength, mw * mh * 4));
        variantSame.push(a.every((v, i) => v === b[i]));
        weakened.push({ below: new Float32Array(a.buffer).filter((v) => v < 1).length, of: mw * mh });
      }
    }
    // The blend variants' output against the stage's own (the map's dispatch of the frame replayed first: the blend
    // reads its strength map).
    const blendVariantSame: boolean[] = [];
    for (const d of noted) {
      const vp = d.pipeline.label !== regionMapPlainProgram.name ? variants.get(d.pipeline.label) : undefined;
      if (!vp) continue;
      const before = noted.filter((e) => e.frame === d.frame && e.stage === d.stage && noted.indexOf(e) < noted.indexOf(d));
      const floats = iw * ih * 3;
      for (const e of before) await submit(e);
      await submit(d);
      const a = new Uint32Array(await readBuffer(device, d.out!, floats * 4));
      for (const e of before) await submit(e);
      await submit(d, vp);
      const b = new Uint32Array(await readBuffer(device, d.out!, floats * 4));
      blendVariantSame.push(a.every((v, i) => v === b[i]));
    }
    return { info: `network: tfjs ${choice.name}; regions ${gpu.detail}`, inferWidth: iw, inferHeight: ih, weakRect: plan.rect, network, passes, variantSame, blendVariantSame, weakened };
  } finally {
    x.dispose();
    styleVec.dispose();
    for (const st of stages) st.dispose();
    for (const b of [full, input, weak, back, confidence, stats]) b.destroy();
  }
};
