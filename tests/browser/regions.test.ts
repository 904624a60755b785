// The region stage's WGSL on real WebGPU in Chromium, driven by hand-made masks and face boxes: the strength map,
// the blend with the weak pass (whole frame and a crop), masks carried along the temporal stage's flow and dying
// out, adaptive detail, and the output left bit for bit as it was outside the (dilated) masks.
import { ALL_FORMATS, BlobSource, Input, VideoSampleSink } from 'mediabunny';
import { describe, expect, inject, it } from 'vitest';
import { FrameImporter } from '../../src/engine/gpu/frame-import.ts';
import { readBuffer } from '../../src/engine/temporal/estimate.ts';
import { TemporalStage } from '../../src/engine/temporal/index.ts';
import {
  CROP_BUDGET, DEFAULT_REGIONS, FACE_EVERY, FACE_EVERY_STILL, MAP_SCALE, MASK_CARRY, PERSON_EVERY, STRUCTURE, STRUCTURE_BELOW, WEAK_EVERY, RegionStage, ellipseBounds, faceEllipse, frameMasks, masksNeeded, planWeakPass, regionTuning, regionsActive,
  LUMA_CUT, lumaGrid, nearFaces, regionMapPlainProgram, structureFor, unskipped, type MaskSource, type RegionFace, type RegionMasks, type RegionSettings, type WeakPass,
} from '../../src/engine/regions/index.ts';
import { gpuDeviceForFile } from './gpu-device.ts';

const gpu = gpuDeviceForFile();
const W = 64;
const H = 48;

function upload(data: Float32Array<ArrayBuffer>): GPUBuffer {
  const b = gpu.device.createBuffer({ size: data.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
  gpu.device.queue.writeBuffer(b, 0, data);
  return b;
}

/** A full-strength "stylised" frame with a value of its own at every pixel. */
function fullFrame(): Float32Array<ArrayBuffer> {
  const d = new Float32Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) d.set([x / W, y / H, ((x * 7 + y * 3) % 11) / 11], (y * W + x) * 3);
  return d;
}
const constant = (w: number, h: number, rgb: number[]) => {
  const d = new Float32Array(w * h * 3);
  for (let i = 0; i < w * h; i++) d.set(rgb, i * 3);
  return d;
};

const FACE: RegionFace = { box: { x: 0.3, y: 0.35, width: 0.2, height: 0.25 } };
/** Person mask at a quarter of the stage's size: 1 in a block of columns 2..7, rows 3..11. */
const PW = 16;
const PH = 12;
function personMask(): Float32Array {
  const d = new Float32Array(PW * PH);
  for (let y = 3; y < PH; y++) for (let x = 2; x < 8; x++) d[y * PW + x] = 1;
  return d;
}
/**
 * Stage pixels the person mask can reach through its bilinear lookup (a mask pixel is 4 stage pixels), and the
 * blend's lookup of the map (MAP_REACH).
 */
const nearPerson = (x: number, y: number) => x >= 2 * 4 - 4 - MAP_REACH && x < 8 * 4 + 4 + MAP_REACH && y >= 3 * 4 - 4 - MAP_REACH;

async function read(buffer: GPUBuffer, floats: number): Promise<Float32Array> {
  return new Float32Array(await readBuffer(gpu.device, buffer, floats * 4));
}

/**
 * The stage's last strength map (channels 1) or masks (2: face, person) as a function of the stage's pixel: the map
 * pixel covering it (the map is at 1/MAP_SCALE of the size each way, the full size with adaptive detail).
 */
async function readMap(stage: RegionStage, channels: 1 | 2): Promise<{ at: (x: number, y: number, c?: number) => number; values: Float32Array }> {
  const { scale, width, height } = stage.map;
  const values = await read(channels === 1 ? stage.strength : stage.masks, width * height * channels);
  return { values, at: (x, y, c = 0) => values[(Math.floor(y / scale) * width + Math.floor(x / scale)) * channels + c] };
}
/**
 * How far the blend reaches from a map pixel's point, in the stage's pixels: it looks the map up bilinearly, from
 * points at most 1.5 px away (MAP_SCALE 2).
 */
const MAP_REACH = 2;


/** A temporal stage whose flow carries a region stage's masks (its `beforeBlend`), and an importer for its frames. */
function carrying(device: GPUDevice): { temporal: TemporalStage; stage: RegionStage; importer: FrameImporter } {
  const temporal = new TemporalStage(device, W, H);
  const stage = new RegionStage(device, W, H);
  temporal.beforeBlend = stage.recordPending;
  return { temporal, stage, importer: new FrameImporter(device) };
}
/**
 * Frame k of a picture of random 4×4 blocks (from `seed`) panning right by `d` px a frame, at W×H: texture the flow
 * can follow.
 */
function panning(d: number, seed: number): (k: number) => VideoFrame {
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 255;
  const bw = (W + 3 * d) / 4;
  const blocks = Array.from({ length: bw * (H / 4) }, () => [rand(), rand(), rand()]);
  return (k) => {
    const canvas = new OffscreenCanvas(W, H);
    const ctx = canvas.getContext('2d')!;
    for (let by = 0; by < H / 4; by++) for (let bx = 0; bx < bw; bx++) {
      const [r, g, b] = blocks[by * bw + bx];
      ctx.fillStyle = `rgb(${r | 0}, ${g | 0}, ${b | 0})`;
      ctx.fillRect(bx * 4 + k * d - 3 * d, by * 4, 4, 4);
    }
    return new VideoFrame(canvas, { timestamp: k });
  };
}
describe('per-region strength (regions_map.wgsl, regions_blend.wgsl)', () => {
  it('strengths 1/1/1 without adaptive detail is no stage at all; masks that change nothing are not computed', () => {
    expect(regionsActive(DEFAULT_REGIONS)).toBe(false);
    expect(regionsActive({ ...DEFAULT_REGIONS, face: 0.99 })).toBe(true);
    expect(regionsActive({ ...DEFAULT_REGIONS, adaptiveDetail: 0.5 })).toBe(true);
    expect(masksNeeded({ face: 0.3, person: 1, background: 1, adaptiveDetail: 0 })).toEqual({ person: false, faces: true });
    expect(masksNeeded({ face: 0.3, person: 0.3, background: 1, adaptiveDetail: 0 })).toEqual({ person: true, faces: false });
    expect(masksNeeded({ face: 1, person: 0, background: 1, adaptiveDetail: 0 })).toEqual({ person: true, faces: true });
  });

  it('faces alone: a crop pass around the faces at up to twice the resolution; anything else the whole frame', () => {
    const e = faceEllipse(FACE, 456, 256);
    const face = planWeakPass({ face: 0.3, person: 1, background: 1, adaptiveDetail: 0 }, true, false, [e], 456, 256)!;
    expect(face.crop).toBe(true);
    expect(face.strength).toBeCloseTo(0.3);
    const b = ellipseBounds(e);
    expect(face.rect.x * 456).toBeLessThanOrEqual(b.x0);
    expect((face.rect.x + face.rect.width) * 456).toBeGreaterThanOrEqual(b.x1);
    // The crop runs finer than the frame (here ×1.1, where the budget of CROP_BUDGET of the frame's pixels stops it).
    expect(face.width / (face.rect.width * 456)).toBeGreaterThan(1.05);
    expect(face.width / (face.rect.width * 456)).toBeLessThanOrEqual(2.05);
    expect(face.width * face.height).toBeLessThanOrEqual(CROP_BUDGET * 456 * 256 * 1.05);
    expect(structureFor(face, 456)).toBe(STRUCTURE);
    // Faces all over the frame (a crowd): the crop covers it, below the frame's resolution within the budget, and
    // takes more of the input's structure back.
    const crowd = [0.05, 0.3, 0.55, 0.8].flatMap((x) => [0.1, 0.55].map((y) => faceEllipse({ box: { x, y, width: 0.12, height: 0.3 } }, 456, 256)));
    const many = planWeakPass({ face: 0.3, person: 1, background: 1, adaptiveDetail: 0 }, true, false, crowd, 456, 256)!;
    expect(many.crop).toBe(true);
    expect(many.rect.width * many.rect.height).toBeGreaterThan(0.8);
    expect(many.width * many.height).toBeLessThanOrEqual(CROP_BUDGET * 456 * 256 * 1.05);
    const scale = many.width / (many.rect.width * 456);
    expect(scale).toBeLessThan(0.6);
    expect(structureFor(many, 456)).toBeCloseTo(STRUCTURE + STRUCTURE_BELOW * (1 - scale), 6);
    // A small face (the crowd's) gets twice the resolution.
    const small = planWeakPass({ face: 0.3, person: 1, background: 1, adaptiveDetail: 0 }, true, false, [faceEllipse({ box: { x: 0.5, y: 0.5, width: 0.04, height: 0.06 } }, 456, 256)], 456, 256)!;
    expect(small.width / (small.rect.width * 456)).toBeCloseTo(2, 0);
    const person = planWeakPass({ face: 0.3, person: 0.6, background: 1, adaptiveDetail: 0 }, true, true, [e], 456, 256)!;
    expect(person).toMatchObject({ crop: false, width: 456, height: 256, rect: { x: 0, y: 0, width: 1, height: 1 } });
    expect(person.strength).toBeCloseTo(0.3);
    expect(planWeakPass({ face: 0.3, person: 1, background: 1, adaptiveDetail: 0 }, false, false, [], 456, 256)).toBeNull();
    expect(planWeakPass({ face: 1, person: 1, background: 1, adaptiveDetail: 0.5 }, false, false, [], 456, 256)!.strength).toBeCloseTo(0.5);
  });

  it('strength map and blend: the weak pass on the face, part of it on the person, the full frame bit for bit elsewhere', async () => {
    const device = gpu.device;
    const stage = new RegionStage(device, W, H);
    const full = fullFrame();
    const fullBuf = upload(full);
    const weakRgb = [0.2, 0.6, 0.3];
    const weakBuf = upload(constant(W, H, weakRgb));
    const settings: RegionSettings = { face: 0.3, person: 0.6, background: 1, adaptiveDetail: 0 };
    const masks: RegionMasks = { faces: [FACE], person: { data: personMask(), width: PW, height: PH } };
    try {
      const plan = stage.plan(settings, masks)!;
      expect(plan.crop).toBe(false);
      const out = await read(stage.run({ full: fullBuf, weak: { buffer: weakBuf, pass: plan }, input: null, settings, masks }), W * H * 3);
      const s = (await readMap(stage, 1)).at;
      const e = faceEllipse(FACE, W, H);
      const b = ellipseBounds(e);
      const at = (x: number, y: number) => Array.from(out.subarray((y * W + x) * 3, (y * W + x) * 3 + 3));
      const fullAt = (x: number, y: number) => Array.from(full.subarray((y * W + x) * 3, (y * W + x) * 3 + 3));
      // The face's centre: face strength, the weak pass itself.
      const [cx, cy] = [Math.round(e.cx), Math.round(e.cy)];
      expect(s(cx, cy)).toBeCloseTo(0.3, 5);
      at(cx, cy).forEach((v, c) => expect(v).toBeCloseTo(weakRgb[c], 5));
      // Inside the person, away from the face: 0.6, i.e. (0.6 − 0.3)/(1 − 0.3) of the full frame.
      const [px, py] = [12, 44];
      expect(s(px, py)).toBeCloseTo(0.6, 5);
      const t = 0.3 / 0.7;
      at(px, py).forEach((v, c) => expect(v).toBeCloseTo(weakRgb[c] * (1 - t) + fullAt(px, py)[c] * t, 5));
      // Everywhere outside the face's feathered ellipse and the person's reach (and the blend's lookup of the map):
      // exactly the full frame.
      const r = 1 + MAP_REACH;
      let outside = 0;
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          if ((x >= b.x0 - r && x <= b.x1 + r && y >= b.y0 - r && y <= b.y1 + r) || nearPerson(x, y)) continue;
          outside++;
          expect(s(x, y)).toBe(1);
          expect(at(x, y)).toEqual(fullAt(x, y).map((v) => Math.fround(v)));
        }
      }
      expect(outside).toBeGreaterThan(W * H * 0.3);
      // The blend's strength: the map (at 1/MAP_SCALE of the size) bilinearly at the pixel's point in it,
      // (x + 0.5)/k − 0.5 clamped, by weights of 1 − s — the output is the weak pass and the full frame mixed by it.
      const { scale: k, width: mw, height: mh } = stage.map;
      expect(k).toBe(MAP_SCALE);
      expect([mw, mh]).toEqual([W / k, H / k]);
      const sv = (await readMap(stage, 1)).values;
      const lookup = (x: number, y: number) => {
        const u = (v: number, n: number) => Math.min(n - 1, Math.max(0, (v + 0.5) / k - 0.5));
        const [qx, qy] = [u(x, mw), u(y, mh)];
        const [x0, y0] = [Math.floor(qx), Math.floor(qy)];
        const [x1, y1] = [Math.min(x0 + 1, mw - 1), Math.min(y0 + 1, mh - 1)];
        const [fx, fy] = [qx - x0, qy - y0];
        const v = (i: number, j: number) => 1 - sv[j * mw + i];
        return 1 - ((v(x0, y0) * (1 - fx) + v(x1, y0) * fx) * (1 - fy) + (v(x0, y1) * (1 - fx) + v(x1, y1) * fx) * fy);
      };
      let worst = 0;
      let between = 0;
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const sx = lookup(x, y);
          if (sx > 0.31 && sx < 0.99) between++;
          const tt = Math.min(1, Math.max(0, (sx - 0.3) / 0.7));
          at(x, y).forEach((v, c) => (worst = Math.max(worst, Math.abs(v - (weakRgb[c] * (1 - tt) + fullAt(x, y)[c] * tt)))));
        }
      }
      expect(between).toBeGreaterThan(50); // the feathered edges: strengths between the regions'
      expect(worst).toBeLessThan(1e-5);
      // Against the map at the full size (MAP_SCALE 1, as before): the same picture but for the edges' sub-pixel course.
      regionTuning.mapScale = 1;
      const fine = new RegionStage(device, W, H);
      try {
        fine.plan(settings, masks);
        const ref = await read(fine.run({ full: fullBuf, weak: { buffer: weakBuf, pass: plan }, input: null, settings, masks }), W * H * 3);
        expect(fine.map).toEqual({ scale: 1, width: W, height: H });
        let max = 0;
        let sum = 0;
        for (let i = 0; i < W * H * 3; i++) (max = Math.max(max, Math.abs(out[i] - ref[i]))), (sum += Math.abs(out[i] - ref[i]));
        console.log(`map at 1/${MAP_SCALE} against the full size: output |Δ| mean ${(sum / (W * H * 3)).toFixed(5)}, max ${max.toFixed(4)}`);
        expect(sum / (W * H * 3)).toBeLessThan(0.005);
        expect(max).toBeLessThan(0.15);
      } finally {
        regionTuning.mapScale = null;
        fine.dispose();
      }
    } finally {
      stage.dispose();
      fullBuf.destroy();
      weakBuf.destroy();
    }
  });

  it.each([2, 1] as const)('faces culled per 8×8 workgroup (nearFaces): the same face mask as every face for every pixel, bit for bit, on ten faces (map scale %i)', async (mapScale) => {
    const device = gpu.device;
    regionTuning.mapScale = mapScale;
    // A stage whose size is no multiple of 8 (partial tiles at the right and bottom), ten faces: overlapping each
    // other and tile borders, turned (eyes' keypoints), one tiny, some across the image's border or mostly outside it.
    const [w, h] = [101, 61];
    const face = (x: number, y: number, bw: number, bh: number, tilt = 0): RegionFace => ({
      box: { x, y, width: bw, height: bh },
      ...(tilt ? { keypoints: [{ x: x + bw * 0.3, y: y + bh * 0.4 - tilt }, { x: x + bw * 0.7, y: y + bh * 0.4 + tilt }] } : {}),
    });
    const faces = [
      face(0.05, 0.1, 0.12, 0.2), face(0.12, 0.15, 0.1, 0.18, 0.03), face(0.3, 0.3, 0.15, 0.25, -0.05), face(0.5, 0.05, 0.08, 0.12),
      face(0.62, 0.4, 0.2, 0.3, 0.04), face(-0.06, 0.7, 0.12, 0.25), face(0.9, 0.85, 0.15, 0.2), face(0.45, -0.08, 0.1, 0.15),
      face(0.7, 0.1, 0.02, 0.03), face(0.2, 0.75, 0.1, 0.15, 0.02),
    ];
    const settings: RegionSettings = { face: 0.3, person: 1, background: 1, adaptiveDetail: 0 };
    const masks: RegionMasks = { faces, person: null };
    const stages = [new RegionStage(device, w, h), new RegionStage(device, w, h)];
    const fullBuf = upload(new Float32Array(w * h * 3));
    // The map with its pipeline constant CULL false (every face for every pixel, the loop before the culling), swapped
    // into the second stage's pass for the map's dispatch.
    const unculled = unskipped(regionMapPlainProgram).pipeline(device);
    try {
      const ellipses = stages[0].ellipses(masks);
      expect(ellipses).toHaveLength(10);
      const { scale: k, width: mw, height: mh } = stages[0].mapFor(false);
      expect(k).toBe(mapScale);
      const near = nearFaces(ellipses, mw, mh, undefined, [k, k]);
      const bits = Array.from(near, (m) => m.toString(2).replace(/0/g, '').length);
      // The culling culls: tiles near no face, none near all ten.
      expect(bits.filter((b) => b === 0).length).toBeGreaterThan(0);
      expect(Math.max(...bits)).toBeLessThan(10);
      for (const [k, stage] of stages.entries()) {
        stage.plan(settings, masks);
        const encoder = device.createCommandEncoder();
        const real = encoder.beginComputePass();
        const pass = k === 0 ? real : new Proxy(real, {
          get: (t, key) => {
            if (key === 'setPipeline') return (p: GPUComputePipeline) => t.setPipeline(p.label === regionMapPlainProgram.name ? unculled : p);
            const v = Reflect.get(t, key);
            return typeof v === 'function' ? v.bind(t) : v;
          },
        });
        stage.encode(pass, { full: fullBuf, weak: null, input: null, settings, masks }, null);
        real.end();
        device.queue.submit([encoder.finish()]);
      }
      expect(stages.map((s) => s.map)).toEqual([{ scale: k, width: mw, height: mh }, { scale: k, width: mw, height: mh }]);
      const [culled, every] = await Promise.all(stages.map((s) => read(s.masks, mw * mh * 2)));
      const faceMask = (m: Float32Array) => Float32Array.from({ length: mw * mh }, (_, i) => m[i * 2]);
      const [a, b] = [faceMask(culled), faceMask(every)];
      let drawn = 0;
      let cut = 0;
      for (let i = 0; i < mw * mh; i++) {
        expect(a[i]).toBe(b[i]);
        if (a[i] > 0) drawn++;
        // Pixels whose tile is near no face: 0.
        const tile = Math.floor(Math.floor(i / mw) / 8) * Math.ceil(mw / 8) + Math.floor((i % mw) / 8);
        if (near[tile] === 0) {
          cut++;
          expect(a[i]).toBe(0);
        }
      }
      // Both drawn faces and culled tiles are a good part of the picture; the feathered edges reach tile borders.
      expect(drawn).toBeGreaterThan(mw * mh * 0.2);
      expect(cut).toBeGreaterThan(0);
      // Against the ellipses in double precision (faceEllipse's, as the host gives them) at the points the map's
      // pixels stand for, (q + 0.5)·k − 0.5: the same mask to 1e-4.
      for (let qy = 0; qy < mh; qy++) {
        for (let qx = 0; qx < mw; qx++) {
          const [x, y] = [(qx + 0.5) * k - 0.5, (qy + 0.5) * k - 0.5];
          let u = Infinity;
          for (const e of ellipses) {
            const [c, s] = [Math.cos(e.angle), Math.sin(e.angle)];
            const r = Math.hypot((c * (x - e.cx) + s * (y - e.cy)) / e.ax, (-s * (x - e.cx) + c * (y - e.cy)) / e.ay);
            u = Math.min(u, (r - 1) / e.feather);
          }
          const t = Math.min(1, Math.max(0, (u + 1) / 2));
          expect(Math.abs(a[qy * mw + qx] - (1 - t * t * (3 - 2 * t)))).toBeLessThan(1e-4);
        }
      }
    } finally {
      regionTuning.mapScale = null;
      for (const s of stages) s.dispose();
      fullBuf.destroy();
    }
  });

  it('a crop pass is looked up where it belongs: its own colour on the face, the full frame around it', async () => {
    const device = gpu.device;
    const stage = new RegionStage(device, W, H);
    const full = fullFrame();
    const fullBuf = upload(full);
    const settings: RegionSettings = { face: 0, person: 1, background: 1, adaptiveDetail: 0 };
    const masks: RegionMasks = { faces: [FACE], person: null };
    const plan = stage.plan(settings, masks) as WeakPass;
    expect(plan.crop).toBe(true);
    // The crop's left half one colour, its right half another: the face's centre must show the right one.
    const crop = new Float32Array(plan.width * plan.height * 3);
    for (let y = 0; y < plan.height; y++) for (let x = 0; x < plan.width; x++) crop.set(x < plan.width / 2 ? [1, 0, 0] : [0, 0, 1], (y * plan.width + x) * 3);
    const weakBuf = upload(crop);
    try {
      const out = await read(stage.run({ full: fullBuf, weak: { buffer: weakBuf, pass: plan }, input: null, settings, masks }), W * H * 3);
      const e = faceEllipse(FACE, W, H);
      const splitX = (plan.rect.x + plan.rect.width / 2) * W;
      const left = Math.floor(splitX - 2);
      const right = Math.ceil(splitX + 1);
      const y = Math.round(e.cy);
      expect(Array.from(out.subarray((y * W + left) * 3, (y * W + left) * 3 + 3))).toEqual([1, 0, 0]);
      expect(Array.from(out.subarray((y * W + right) * 3, (y * W + right) * 3 + 3))).toEqual([0, 0, 1]);
      const x0 = Math.floor(plan.rect.x * W) - 1;
      expect(Array.from(out.subarray((y * W + x0) * 3, (y * W + x0) * 3 + 3))).toEqual(Array.from(full.subarray((y * W + x0) * 3, (y * W + x0) * 3 + 3)));
    } finally {
      stage.dispose();
      fullBuf.destroy();
      weakBuf.destroy();
    }
  });

  it('masks are carried along the temporal stage\'s flow: a face that vanishes fades over a few frames, then the output is the full frame again', async () => {
    const device = gpu.device;
    const { temporal, stage, importer } = carrying(device);
    // A still, textured picture: the flow is zero and trusted.
    const canvas = new OffscreenCanvas(W, H);
    const ctx = canvas.getContext('2d')!;
    for (let y = 0; y < H; y += 4) for (let x = 0; x < W; x += 4) {
      ctx.fillStyle = `rgb(${(x * 37 + y * 11) % 256}, ${(x * 5 + y * 29) % 256}, ${(x * y) % 256})`;
      ctx.fillRect(x, y, 4, 4);
    }
    const full = fullFrame();
    const fullBuf = upload(full);
    const weakBuf = upload(constant(W, H, [0.2, 0.6, 0.3]));
    const settings: RegionSettings = { face: 0.3, person: 1, background: 0.99, adaptiveDetail: 0 };
    const e = faceEllipse(FACE, W, H);
    const [cx, cy] = [Math.round(e.cx), Math.round(e.cy)];
    const faceAt: number[] = [];
    try {
      for (let k = 0; k < 16; k++) {
        const masks: RegionMasks = { faces: k === 0 ? [FACE] : [], person: null };
        const plan = stage.plan(settings, masks)!;
        expect(plan.crop).toBe(false); // background < 1: the whole frame
        const frame = new VideoFrame(canvas, { timestamp: k });
        const input = importer.import(frame, W, H);
        frame.close();
        const region = stage.defer({ full: fullBuf, weak: { buffer: weakBuf, pass: plan }, input: null, settings, masks });
        temporal.process(input, region, 0.5);
        faceAt.push((await readMap(stage, 2)).at(cx, cy, 0));
      }
      console.log(`face mask at the centre, frame by frame: ${faceAt.map((v) => v.toFixed(3)).join(' ')}`);
      expect(faceAt[0]).toBe(1);
      expect(faceAt[1]).toBeGreaterThan(MASK_CARRY * 0.8);
      expect(faceAt[1]).toBeLessThanOrEqual(MASK_CARRY + 1e-6);
      for (let k = 2; k < 16; k++) expect(faceAt[k]).toBeLessThanOrEqual(faceAt[k - 1]);
      expect(faceAt[15]).toBe(0);
      expect((await readMap(stage, 1)).at(cx, cy)).toBeCloseTo(0.99, 6);
    } finally {
      for (const owner of [importer, temporal, stage]) owner.dispose();
      fullBuf.destroy();
      weakBuf.destroy();
    }
  });

  it('the person mask on every other frame under smoothing (PERSON_EVERY): in between the last one is carried along the flow', async () => {
    expect(PERSON_EVERY).toBe(2);
    const device = gpu.device;
    const { temporal, stage, importer } = carrying(device);
    // A textured picture panning right by D px a frame (random 4×4 blocks: the flow has something to follow).
    const D = 4;
    const picture = panning(D, 7);
    // The person at the stage's size: a block of columns x0..x1−1, rows 8..39, moving with the picture.
    const block = (x0: number) => {
      const d = new Float32Array(W * H);
      for (let y = 8; y < 40; y++) for (let x = x0; x < x0 + 24; x++) d[y * W + x] = 1;
      return d;
    };
    const fullBuf = upload(fullFrame());
    const weakBuf = upload(constant(W, H, [0.2, 0.6, 0.3]));
    const settings: RegionSettings = { face: 1, person: 0.3, background: 1, adaptiveDetail: 0 };
    const due: boolean[] = [];
    const personAt: Float32Array[] = [];
    try {
      for (let k = 0; k < 4; k++) {
        due.push(stage.personDue(true));
        const masks: RegionMasks = { faces: [], person: due[k] ? { data: block(16 + k * D), width: W, height: H } : 'carried' };
        const plan = stage.plan(settings, masks)!;
        expect(plan.crop).toBe(false);
        const frame = picture(k);
        const input = importer.import(frame, W, H);
        frame.close();
        temporal.process(input, stage.defer({ full: fullBuf, weak: { buffer: weakBuf, pass: plan }, input: null, settings, masks }), 0.5);
        const m = await readMap(stage, 2);
        personAt.push(Float32Array.from({ length: W * H }, (_, i) => m.at(i % W, Math.floor(i / W), 1)));
      }
      expect(due).toEqual([true, false, true, false]);
      expect(stage.personDue(false)).toBe(true); // no flow to carry it (smoothing off): every frame
      // The face detector's cadence (frameMasks): FACE_EVERY with a flow, FACE_EVERY_STILL without, now after a reset.
      expect(stage.faceCadence(true)).toEqual({ every: FACE_EVERY, restart: false });
      expect(stage.faceCadence(false)).toEqual({ every: FACE_EVERY_STILL, restart: false });
      stage.reset();
      expect(stage.personDue(true)).toBe(true); // nothing to carry after a reset
      expect(stage.faceCadence(true)).toEqual({ every: FACE_EVERY, restart: true });
      // Carried frames: the mask moved with the picture (compared over the rows the person spans, away from the
      // left edge, where the pan brings in pixels the flow cannot trust).
      const err = (m: Float32Array, want: Float32Array) => {
        let sum = 0;
        let n = 0;
        for (let y = 10; y < 38; y++) for (let x = 8; x < W; x++) (sum += Math.abs(m[y * W + x] - want[y * W + x])), n++;
        return sum / n;
      };
      for (const k of [1, 3]) {
        const moved = err(personAt[k], block(16 + k * D));
        const held = err(personAt[k], block(16 + (k - 1) * D));
        console.log(`carried person mask, frame ${k}: mean |m − the block where it moved| ${moved.toFixed(4)}, |m − where it was| ${held.toFixed(4)}`);
        expect(held).toBeGreaterThan(0.05);
        expect(moved).toBeLessThan(held * 0.35);
      }
      // The first frame: exactly the new mask (nothing to carry yet).
      expect(err(personAt[0], block(16))).toBe(0);
    } finally {
      for (const owner of [importer, temporal, stage]) owner.dispose();
      fullBuf.destroy();
      weakBuf.destroy();
    }
  });

  it('the weak pass on every other frame under smoothing (WEAK_EVERY): in between the last one is looked up along the flow', async () => {
    expect(WEAK_EVERY).toBe(2);
    const device = gpu.device;
    const { temporal, stage, importer } = carrying(device);
    // A textured picture panning right by D px a frame, as in the person mask's test.
    const D = 4;
    const picture = panning(D, 11);
    // The weak pass of frame k: a pattern moving with the picture (period 16 px along x).
    const weakOf = (k: number) => {
      const d = new Float32Array(W * H * 3);
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) d.set([0.5 + 0.4 * Math.sin((2 * Math.PI * (x - k * D)) / 16), y / H, 0.5], (y * W + x) * 3);
      return d;
    };
    // Everyone is the person (strength 0.3, the weak pass itself: t = 0), so the output is the weak pass everywhere.
    const all = new Float32Array(W * H).fill(1);
    const fullBuf = upload(fullFrame());
    const weakBufs: GPUBuffer[] = [];
    const settings: RegionSettings = { face: 1, person: 0.3, background: 1, adaptiveDetail: 0 };
    const carried: boolean[] = [];
    const outs: Float32Array[] = [];
    try {
      for (let k = 0; k < 4; k++) {
        const masks: RegionMasks = { faces: [], person: { data: all, width: W, height: H } };
        const plan = stage.plan(settings, masks, true)!;
        carried.push(plan.carried === true);
        let weak: { buffer: GPUBuffer; pass: WeakPass } | null = null;
        if (!plan.carried) {
          weakBufs.push(upload(weakOf(k)));
          weak = { buffer: weakBufs[weakBufs.length - 1], pass: plan };
        }
        const frame = picture(k);
        const input = importer.import(frame, W, H);
        frame.close();
        const region = stage.defer({ full: fullBuf, weak, input: null, settings, masks });
        temporal.process(input, region, 0.5);
        outs.push(await read(region, W * H * 3));
      }
      expect(carried).toEqual([false, true, false, true]);
      expect(stage.plan(settings, { faces: [], person: { data: all, width: W, height: H } }, false)!.carried).toBeFalsy(); // no flow: a pass of its own
      const err = (out: Float32Array, want: Float32Array) => {
        let sum = 0;
        let n = 0;
        for (let y = 4; y < H - 4; y++) for (let x = 8; x < W - 4; x++) (sum += Math.abs(out[(y * W + x) * 3] - want[(y * W + x) * 3])), n++;
        return sum / n;
      };
      expect(err(outs[0], weakOf(0))).toBe(0);
      expect(err(outs[2], weakOf(2))).toBe(0);
      for (const k of [1, 3]) {
        const moved = err(outs[k], weakOf(k));
        const held = err(outs[k], weakOf(k - 1));
        console.log(`carried weak pass, frame ${k}: mean |out − the pass where it moved| ${moved.toFixed(4)}, |out − where it was| ${held.toFixed(4)}`);
        expect(held).toBeGreaterThan(0.1);
        expect(moved).toBeLessThan(held * 0.35);
      }
    } finally {
      for (const owner of [importer, temporal, stage]) owner.dispose();
      fullBuf.destroy();
      for (const b of weakBufs) b.destroy();
    }
  });

  it('a scene cut on a carried frame: nothing of the old shot\'s weak pass or masks reaches the new shot', async () => {
    // Shot A (frame 0): a face, a person on the left half, the weak pass all red. Shot B from frame 1: another
    // picture, its own full-strength frame; frame 1 carries the weak pass and the person mask (WEAK_EVERY,
    // PERSON_EVERY) and face boxes where shot A's face was, given as the frame's own (no `facesAge`: as if shot B had
    // a face there too, so that region asks for the weak pass; the last shot's late boxes are the next test's). With
    // WEAK_EVERY 3 frame 2 carries the weak pass again, along a flow inside shot B (no cut there): the pass is still
    // shot A's.
    const device = gpu.device;
    const shotA = panning(4, 11);
    const shotB = panning(4, 97);
    const fullA = fullFrame();
    const fullB = fullFrame().map((v, i) => (i % 3 === 2 ? 1 - v : v * 0.5));
    const left = new Float32Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W / 2; x++) left[y * W + x] = 1;
    const settings: RegionSettings = { face: 0, person: 0.3, background: 1, adaptiveDetail: 0 };
    const e = faceEllipse(FACE, W, H);
    const b = ellipseBounds(e);
    const bufs: GPUBuffer[] = [];
    const keep = (buf: GPUBuffer) => (bufs.push(buf), buf);
    for (const weakEvery of [2, 3]) {
      regionTuning.weakEvery = weakEvery;
      const { temporal, stage, importer } = carrying(device);
      try {
        const carried: boolean[] = [];
        for (let k = 0; k < 3; k++) {
          const masks: RegionMasks = { faces: [FACE], person: stage.personDue(true) ? { data: k === 0 ? left : new Float32Array(W * H), width: W, height: H } : 'carried' };
          const plan = stage.plan(settings, masks, true)!;
          carried.push(plan.carried === true);
          const weak = plan.carried ? null : { buffer: keep(upload(constant(W, H, k === 0 ? [1, 0, 0] : [0, 1, 0]))), pass: plan };
          const frame = (k === 0 ? shotA : shotB)(k);
          const input = importer.import(frame, W, H);
          frame.close();
          const region = stage.defer({ full: keep(upload(k === 0 ? fullA : fullB)), weak, input: null, settings, masks });
          const shown = await read(temporal.process(input, region, 0.5), W * H * 3);
          const out = await read(region, W * H * 3);
          // The temporal stage found the cut: it shows the region stage's frame 1 as it is.
          if (k === 1) expect(shown).toEqual(out);
          if (k === 0 || !carried[k]) continue;
          // A carried frame of shot B: the carried weak pass is shot A's, so none of it; the output is shot B's
          // full-strength frame bit for bit — inside shot A's face region (strength 0 there) and everywhere else.
          const mixed: string[] = [];
          for (let y = 0; y < H; y++) {
            for (let x = 0; x < W; x++) {
              const i = (y * W + x) * 3;
              const got = Array.from(out.subarray(i, i + 3));
              const want = Array.from(fullB.subarray(i, i + 3)).map((v) => Math.fround(v));
              if (got.some((v, c) => v !== want[c])) mixed.push(`(${x},${y}) ${got.map((v) => v.toFixed(3))}`);
            }
          }
          const inFace = mixed.filter((m) => {
            const [x, y] = m.slice(1).split(')')[0].split(',').map(Number);
            return x >= b.x0 && x <= b.x1 && y >= b.y0 && y <= b.y1;
          });
          console.log(`WEAK_EVERY ${weakEvery}, frame ${k} (carried, shot B): ${mixed.length} pixels differ from shot B's frame, ${inFace.length} in shot A's face region; first: ${mixed.slice(0, 3).join('; ')}`);
          expect(inFace).toEqual([]);
          expect(mixed).toEqual([]);
          if (k === 1) {
            // On the cut itself no mask is carried over from shot A: the person mask is none (none new this frame).
            const m = (await readMap(stage, 2)).values;
            expect(Math.max(...m.filter((_, i) => i % 2 === 1))).toBe(0);
          }
        }
        expect(carried).toEqual(weakEvery === 2 ? [false, true, false] : [false, true, true]);
      } finally {
        regionTuning.weakEvery = null;
        for (const owner of [importer, temporal, stage]) owner.dispose();
      }
    }
    for (const buf of bufs) buf.destroy();
  });

  it('a scene cut with the last shot\'s face boxes (the detector\'s come late): its ellipses are not drawn on the new shot until a box of the new shot arrives — with smoothing and without', async () => {
    // Shot A (frame 0) has a face at FACE; shot B (frames 1–3) one elsewhere (FACE_B). The detector's boxes come late
    // (`facesAge`): frame 1, the cut, still has shot A's (detected on frame 0), frame 2 too (the detection of frame 1
    // not back yet: FACE_EVERY), frame 3 shot B's (detected on frame 2). Faces alone are weakened (a crop pass of
    // the frame's own every frame), so a drawn ellipse shows as the weak pass's colour. With smoothing the temporal
    // stage's flow finds the cut; without, there is no flow and the stage's own luma test (regions_luma.wgsl) must:
    // it gets the frames (`input`; no structure taken back, so the colours stay exact) and shot B holds still (its
    // cells are ~2 px here, where a 4-px pan of 4-px random blocks is a new picture to it: real pans are the clips'
    // test below).
    const device = gpu.device;
    const FACE_B: RegionFace = { box: { x: 0.65, y: 0.3, width: 0.2, height: 0.25 } };
    const fullB = fullFrame().map((v, i) => (i % 3 === 2 ? 1 - v : v * 0.5));
    const settings: RegionSettings = { face: 0, person: 1, background: 1, adaptiveDetail: 0 };
    const shots: { faces: RegionFace[]; facesAge: number }[] = [
      { faces: [FACE], facesAge: 0 },
      { faces: [FACE], facesAge: 1 },
      { faces: [FACE], facesAge: 2 },
      { faces: [FACE_B], facesAge: 1 },
    ];
    for (const smoothing of [true, false]) {
      const shotA = panning(4, 11);
      const shotB = panning(smoothing ? 4 : 0, 97);
      const bufs: GPUBuffer[] = [];
      const keep = (buf: GPUBuffer) => (bufs.push(buf), buf);
      regionTuning.weakEvery = 1;
      regionTuning.structure = smoothing ? null : 0;
      regionTuning.structureBelow = smoothing ? null : 0;
      const { temporal, stage, importer } = carrying(device);
      try {
        const differ: number[] = [];
        const faceMax: number[] = [];
        let outsideB = 0;
        const at = (out: Float32Array, f: RegionFace) => {
          const e = faceEllipse(f, W, H);
          const i = (Math.round(e.cy) * W + Math.round(e.cx)) * 3;
          return Array.from(out.subarray(i, i + 3));
        };
        for (const [k, { faces, facesAge }] of shots.entries()) {
          const masks: RegionMasks = { faces, facesAge, person: null };
          const plan = stage.plan(settings, masks, smoothing)!;
          expect(plan.crop && !plan.carried).toBe(true);
          const weak = { buffer: keep(upload(constant(plan.width, plan.height, [0, 1, 0]))), pass: plan };
          const frame = (k === 0 ? shotA : shotB)(k);
          const input = importer.import(frame, W, H);
          frame.close();
          const full = k === 0 ? fullFrame() : fullB;
          let out: Float32Array;
          if (smoothing) {
            const region = stage.defer({ full: keep(upload(full)), weak, input: null, settings, masks });
            const shown = await read(temporal.process(input, region, 0.5), W * H * 3);
            out = await read(region, W * H * 3);
            if (k === 1) expect(shown).toEqual(out); // the temporal stage found the cut
          } else {
            out = await read(stage.run({ full: keep(upload(full)), weak, input, settings, masks }), W * H * 3);
          }
          const m = (await readMap(stage, 2)).values;
          faceMax.push(Math.max(...m.filter((_, i) => i % 2 === 0)));
          let changed = 0;
          for (let i = 0; i < W * H; i++) if ([0, 1, 2].some((c) => out[i * 3 + c] !== full[i * 3 + c])) changed++;
          differ.push(changed);
          if (k === 0) expect(at(out, FACE)).toEqual([0, 1, 0]);
          if (k === 3) {
            // Shot B's face appears (with smoothing faded in by the carry: m = 1 − MASK_CARRY·confidence on its first
            // frame), and nothing changes outside its ellipse and the blend's lookup of the map (at shot A's face
            // neither).
            const b = ellipseBounds(faceEllipse(FACE_B, W, H));
            const r = MAP_REACH;
            for (let i = 0; i < W * H; i++) {
              const [x, y] = [i % W, Math.floor(i / W)];
              if (!(x >= b.x0 - r && x <= b.x1 + r && y >= b.y0 - r && y <= b.y1 + r) && [0, 1, 2].some((c) => out[i * 3 + c] !== full[i * 3 + c])) outsideB++;
            }
          }
        }
        console.log(`${smoothing ? 'smoothing' : 'no smoothing'}: face mask's maximum frame by frame: ${faceMax.map((v) => v.toFixed(3)).join(' ')}; pixels differing from the full-strength frame: ${differ.join(' ')}; on frame 3 outside shot B's face: ${outsideB}`);
        // Frames 1 and 2: shot A's ellipse is not drawn (no face mask at all), the output is shot B's full frame.
        expect([faceMax[1], faceMax[2]]).toEqual([0, 0]);
        expect([differ[1], differ[2]]).toEqual([0, 0]);
        // Frames 0 and 3: the frame's own shot's face is.
        expect(faceMax[0]).toBe(1);
        expect(faceMax[3]).toBeGreaterThanOrEqual(smoothing ? 1 - MASK_CARRY - 1e-6 : 1);
        expect(differ[0]).toBeGreaterThan(50);
        expect(differ[3]).toBeGreaterThan(50);
        expect(outsideB).toBe(0);
      } finally {
        regionTuning.weakEvery = null;
        regionTuning.structure = null;
        regionTuning.structureBelow = null;
        for (const owner of [importer, temporal, stage]) owner.dispose();
        for (const buf of bufs) buf.destroy();
      }
    }
  });

  it('without smoothing, the stage\'s own cut test (regions_luma.wgsl) on real clips: no cut within the walking and interior clips (every frame, and every other), one where they are spliced', async () => {
    // At the network's size for 16:9 (456×256, the grid LUMA_CUT was chosen on). A face box at the top left, handed
    // every frame as detected on the frame before (facesAge 1): drawn unless this frame is a cut (or the first), so
    // its mask at the ellipse's centre says, frame by frame, what the stage decided (the map read back: a test's
    // readback, the stage never waits). Two stages: one sees every frame, one every other (a live run drops frames).
    // The sequence: the walking clip's 150 frames, the interior clip's 150, the walking clip's first 10 again.
    const device = gpu.device;
    const [SW, SH] = [456, 256];
    expect(lumaGrid(SW, SH)).toEqual([32, 18]);
    const TOP: RegionFace = { box: { x: 0.02, y: 0.02, width: 0.08, height: 0.12 } };
    const e = faceEllipse(TOP, SW, SH);
    const [cx, cy] = [Math.round(e.cx), Math.round(e.cy)];
    const settings: RegionSettings = { face: 0, person: 1, background: 1, adaptiveDetail: 0 };
    const importer = new FrameImporter(device);
    const stages = [new RegionStage(device, SW, SH), new RegionStage(device, SW, SH)];
    const full = upload(new Float32Array(SW * SH * 3));
    const cuts: number[][] = [[], []];
    const frames = [0, 0];
    const clips = [
      ['walking', '/media/video/pexels-854100-people-walking-sidewalk-640x360-6s.webm', Infinity],
      ['interior', `${inject('sharedMedia')}/video/pexels-3770033-interior-design-640x360-6s.webm`, Infinity],
      ['walking again', '/media/video/pexels-854100-people-walking-sidewalk-640x360-6s.webm', 10],
    ] as const;
    const starts: number[] = [];
    let n = 0;
    try {
      for (const [, url, count] of clips) {
        starts.push(n);
        const input = new Input({ source: new BlobSource(await (await fetch(url)).blob()), formats: ALL_FORMATS });
        try {
          for await (const sample of new VideoSampleSink((await input.getPrimaryVideoTrack())!).samples()) {
            const frame = sample.toVideoFrame();
            sample.close();
            const rgb = importer.import(frame, SW, SH);
            frame.close();
            for (const [j, stage] of stages.entries()) {
              if (j === 1 && n % 2 === 1) continue;
              const masks: RegionMasks = { faces: [TOP], facesAge: 1, person: null };
              stage.plan(settings, masks, false);
              stage.run({ full, weak: null, input: rgb, settings, masks });
              if (frames[j] > 0 && (await readMap(stage, 2)).at(cx, cy, 0) === 0) cuts[j].push(n);
              frames[j]++;
            }
            if (++n - starts[starts.length - 1] >= count) break;
          }
        } finally {
          input.dispose();
        }
      }
      console.log(`luma cut test (LUMA_CUT ${LUMA_CUT}), clips start at frames ${starts.join(', ')} of ${n}: cuts found every frame at ${cuts[0].join(', ')}; every other frame at ${cuts[1].join(', ')}`);
      expect(starts).toEqual([0, 150, 300]);
      expect(cuts[0]).toEqual([150, 300]);
      expect(cuts[1]).toEqual([150, 300]);
    } finally {
      for (const stage of stages) stage.dispose();
      importer.dispose();
      full.destroy();
    }
  });

  it('frameMasks: detections tagged with the stage\'s frame number, the faces handed on with their age in it', async () => {
    expect(FACE_EVERY).toBe(3);
    expect(FACE_EVERY_STILL).toBe(2);
    const tags: number[] = [];
    let latest: { faces: RegionFace[]; tag: number } | null = null;
    const source: MaskSource = {
      personMask: () => {
        throw new Error('no person mask under these settings');
      },
      submitFaces: (_x, tag) => (tags.push(tag!), true),
      latestFaces: () => latest,
    };
    const request = { settings: { face: 0.3, person: 1, background: 1, adaptiveDetail: 0 }, source, vector: () => null as never };
    const ages: number[] = [];
    for (const [frame, arrived] of [[10, null], [11, 10], [12, 10], [13, 12]] as const) {
      latest = arrived === null ? null : { faces: [FACE], tag: arrived };
      ages.push((await frameMasks(request, null as never, true, true, frame, { every: 2 })).masks.facesAge!);
    }
    expect(tags).toEqual([10, 12]); // every 2nd frame (FACE_EVERY_STILL), tagged with the stage's number
    expect(ages).toEqual([0, 1, 2, 1]);
    latest = { faces: [FACE], tag: 20 }; // another clock's (a source shared with another stage): of unknown age
    expect((await frameMasks(request, null as never, true, true, 14)).masks.facesAge).toBe(Infinity);
    // The stage's cadence (RegionStage.faceCadence): every 3rd frame; a due frame whose detection cannot start (one
    // still reading back) leaves it due on the next; a restart (the first frame after a reset) detects now.
    const paced: number[] = [];
    let busy = false;
    const pacedRequest = { ...request, source: { ...source, submitFaces: (_x: unknown, tag?: number) => !busy && (paced.push(tag!), true) } };
    for (let frame = 20; frame < 30; frame++) {
      busy = frame === 23;
      await frameMasks(pacedRequest, null as never, true, true, frame, { every: 3, restart: frame === 26 });
    }
    expect(paced).toEqual([20, 24, 26, 29]);
  });

  it('adaptive detail: less style on fine structure, all of it on a flat area', async () => {
    const device = gpu.device;
    const stage = new RegionStage(device, W, H);
    // Left half flat grey; right half a 1-px checkerboard (text, hair at the network's size).
    const input = new Float32Array(W * H * 3);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) input.fill(x < W / 2 ? 0.5 : (x + y) % 2 ? 0.9 : 0.1, (y * W + x) * 3, (y * W + x) * 3 + 3);
    const inputBuf = upload(input);
    const fullBuf = upload(fullFrame());
    const weakBuf = upload(constant(W, H, [0, 0, 0]));
    const settings: RegionSettings = { face: 1, person: 1, background: 1, adaptiveDetail: 0.6 };
    const masks: RegionMasks = { faces: [], person: null };
    try {
      const plan = stage.plan(settings, masks)!;
      expect(plan.strength).toBeCloseTo(0.4);
      stage.run({ full: fullBuf, weak: { buffer: weakBuf, pass: plan }, input: inputBuf, settings, masks });
      const s = await read(stage.strength, W * H);
      expect(s[20 * W + 10]).toBe(1);
      expect(s[20 * W + 50]).toBeCloseTo(0.4, 5);
    } finally {
      stage.dispose();
      inputBuf.destroy();
      fullBuf.destroy();
      weakBuf.destroy();
    }
  });
});
