// The frame importer (VideoFrame → float32 NHWC on the GPU) on real WebGPU: shrinking must not alias.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FrameImporter } from '../../src/engine/gpu/frame-import.ts';
import { initBackend } from '../../src/engine/stylise/backend.ts';
import { temporalDevice } from '../../src/engine/gpu/device.ts';
import { readBuffer } from '../../src/engine/temporal/estimate.ts';

let device: GPUDevice;
let importer: FrameImporter;
beforeAll(async () => {
  const { device: d } = await temporalDevice(await initBackend('wasm'));
  if (!d) throw new Error('no WebGPU device');
  device = d;
  importer = new FrameImporter(device);
});
afterAll(() => importer.dispose());

/** 1-px black and white stripes (the finest texture a frame can hold), `w`×`h`. */
function stripes(w: number, h: number): VideoFrame {
  const c = new OffscreenCanvas(w, h);
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, w, h);
  ctx.fillStyle = '#fff';
  for (let x = 0; x < w; x += 2) ctx.fillRect(x, 0, 1, h);
  return new VideoFrame(c, { timestamp: 0 });
}

it.each([
  [2, 1],
  [5.5, 0.5],
])('shrinking %f× averages the footprint (stripes → flat grey), offset %f px', async (factor, shift) => {
  const frame = stripes(Math.round(64 * factor), Math.round(48 * factor));
  // A crop shifted by a fraction of a source pixel: a single tap per pixel would land on black or white.
  const rect = { x: shift / frame.displayWidth, y: 0, width: 1 - shift / frame.displayWidth, height: 1 };
  const out = new Float32Array(await readBuffer(device, importer.import(frame, 64, 48, rect), 64 * 48 * 12));
  frame.close();
  let min = 1;
  let max = 0;
  let sum = 0;
  for (const v of out) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  console.log(`${factor}×: mean ${(sum / out.length).toFixed(3)}, range ${min.toFixed(3)}..${max.toFixed(3)}`);
  expect(sum / out.length).toBeCloseTo(0.5, 1);
  expect(max - min).toBeLessThan(0.25);
});
