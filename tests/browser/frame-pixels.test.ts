// The CPU backends' copy in and copy out: VideoFrame → input tensor (FrameReader) and output tensor → RGBA bytes
// (rgbToImage, RgbxScaler for an encoder's VideoFrames) must give what the 2D canvas and tf.browser.toPixels gave,
// only sooner; shrinking must not alias.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { temporalDevice } from '../../src/engine/gpu/device.ts';
import { createFrameStylizer, inferenceGeometry, readsBack } from '../../src/engine/pipeline/frame.ts';
import { Canvas2DSink } from '../../src/engine/sinks/canvas.ts';
import { PendingFrame } from '../../src/engine/sinks/pending-frame.ts';
import { initBackend } from '../../src/engine/stylise/backend.ts';
import { StyleModel } from '../../src/engine/stylise/model.ts';
import { FrameReader, RgbxScaler, pixelsToInput, rgbToImage } from '../../src/engine/stylise/tensors.ts';

beforeAll(async () => {
  expect((await initBackend('wasm')).name).toBe('wasm');
});

/** A smooth colour field with some edges (what video holds), as a canvas-backed frame. */
function picture(w: number, h: number): VideoFrame {
  const c = new OffscreenCanvas(w, h);
  const ctx = c.getContext('2d')!;
  const g = ctx.createLinearGradient(0, 0, w, h);
  g.addColorStop(0, '#203060');
  g.addColorStop(0.5, '#c08040');
  g.addColorStop(1, '#40a070');
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, w, h);
  ctx.fillStyle = '#f0f0e0';
  ctx.beginPath();
  ctx.arc(w * 0.3, h * 0.5, Math.min(w, h) * 0.2, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = '#101010';
  ctx.fillRect(w * 0.6, h * 0.2, w * 0.15, h * 0.6);
  return new VideoFrame(c, { timestamp: 0 });
}

/** The same picture as a decoder hands it over: I420 in its own buffer (CPU memory, not a canvas). */
async function asI420(frame: VideoFrame): Promise<VideoFrame> {
  const { codedWidth: w, codedHeight: h } = frame;
  const rgba = new Uint8Array(w * h * 4);
  await frame.copyTo(rgba, { format: 'RGBA' });
  const cw = Math.ceil(w / 2);
  const ch = Math.ceil(h / 2);
  const yuv = new Uint8Array(w * h + 2 * cw * ch);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      yuv[y * w + x] = Math.round(16 + (65.481 * rgba[i] + 128.553 * rgba[i + 1] + 24.966 * rgba[i + 2]) / 255);
    }
  }
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const i = (Math.min(2 * y, h - 1) * w + Math.min(2 * x, w - 1)) * 4;
      const [r, g, b] = [rgba[i], rgba[i + 1], rgba[i + 2]];
      yuv[w * h + y * cw + x] = Math.round(128 + (-37.797 * r - 74.203 * g + 112 * b) / 255);
      yuv[w * h + cw * ch + y * cw + x] = Math.round(128 + (112 * r - 93.786 * g - 18.214 * b) / 255);
    }
  }
  return new VideoFrame(yuv, { format: 'I420', codedWidth: w, codedHeight: h, timestamp: 0, colorSpace: { matrix: 'smpte170m', primaries: 'smpte170m', transfer: 'smpte170m', fullRange: false } });
}

/** What the engine did before: drawImage at the network's size on a 2D canvas, getImageData, fromPixels. */
function viaCanvas(frame: VideoFrame, w: number, h: number): tf.Tensor4D {
  const ctx = new OffscreenCanvas(w, h).getContext('2d', { willReadFrequently: true })!;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(frame, 0, 0, w, h);
  return pixelsToInput(ctx.getImageData(0, 0, w, h));
}

async function meanAndMaxDiff(a: tf.Tensor, b: tf.Tensor): Promise<[number, number]> {
  const [d, m] = tf.tidy(() => {
    const abs = tf.abs(tf.sub(a, b));
    return [abs.mean(), abs.max()];
  });
  const [mean, max] = await Promise.all([d.data(), m.data()]);
  tf.dispose([d, m]);
  return [mean[0], max[0]];
}

it.each([
  [640, 360, 456, 256, 'canvas'],
  [640, 360, 456, 256, 'I420'],
  [960, 540, 456, 256, 'I420'], // shrunk by more than 2: 2×2 blocks averaged first
  [1280, 720, 228, 128, 'I420'], // 5×5 blocks
  [643, 361, 228, 128, 'canvas'], // odd sizes: the last blocks are partial
] as const)('%i×%i → %i×%i (%s frame) matches the 2D canvas path', async (W, H, w, h, kind) => {
  const canvasFrame = picture(W, H);
  const frame = kind === 'I420' ? await asI420(canvasFrame) : canvasFrame;
  const reader = new FrameReader();
  const before = tf.memory().numTensors;
  const x = await reader.read(frame, w, h);
  expect(x.shape).toEqual([1, h, w, 3]);
  const ref = viaCanvas(frame, w, h);
  const [mean, max] = await meanAndMaxDiff(x, ref);
  console.log(`${W}×${H} ${kind} → ${w}×${h}: mean |Δ| ${(mean * 255).toFixed(2)}/255, max ${(max * 255).toFixed(0)}/255`);
  expect(mean).toBeLessThan(2 / 255); // resampling filters differ slightly at edges
  expect(max).toBeLessThan(0.5);
  // Reused buffers: a second frame through the same reader reads that frame, not the first one's leftovers.
  const again = await reader.read(frame, w, h);
  expect((await meanAndMaxDiff(again, x))[1]).toBe(0);
  tf.dispose([x, ref, again]);
  expect(tf.memory().numTensors).toBe(before);
  frame.close();
  canvasFrame.close();
});

it('shrinking 4× averages 1-px stripes to flat grey (no aliasing)', async () => {
  const c = new OffscreenCanvas(256, 128);
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, 256, 128);
  ctx.fillStyle = '#fff';
  for (let x = 0; x < 256; x += 2) ctx.fillRect(x, 0, 1, 128);
  const frame = new VideoFrame(c, { timestamp: 0 });
  const x = await new FrameReader().read(frame, 64, 32);
  frame.close();
  const v = await x.data();
  x.dispose();
  let [min, max, sum] = [1, 0, 0];
  for (const p of v) [min, max, sum] = [Math.min(min, p), Math.max(max, p), sum + p];
  expect(sum / v.length).toBeCloseTo(0.5, 1);
  expect(max - min).toBeLessThan(0.1);
});

it('rgbToImage gives the bytes tf.browser.toPixels gives', async () => {
  const t = tf.randomUniform([37, 53, 3], 0, 1, 'float32', 3) as tf.Tensor3D;
  const expected = await tf.browser.toPixels(t);
  const image = new ImageData(53, 37);
  rgbToImage((await t.data()) as Float32Array, image);
  t.dispose();
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i] - image.data[i]));
  expect(worst).toBeLessThanOrEqual(1); // rounding of exact halves may differ
});

it('RgbxScaler enlarges as the 2D canvas did (drawImage with "high" smoothing)', async () => {
  const [w, h, W, H] = [228, 128, 320, 180];
  const t = tf.tidy(() => tf.image.resizeBilinear(tf.randomUniform([1, 16, 28, 3], 0, 1, 'float32', 5) as tf.Tensor4D, [h, w]).squeeze([0])) as tf.Tensor3D;
  const values = (await t.data()) as Float32Array;
  t.dispose();
  const out = new Uint8ClampedArray(W * H * 4);
  new RgbxScaler(w, h, W, H).write(values, out);
  const image = new ImageData(w, h);
  rgbToImage(values, image);
  const sink = new Canvas2DSink(W, H);
  sink.present(image);
  const ctx = new OffscreenCanvas(W, H).getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(sink.canvas, 0, 0);
  const ref = ctx.getImageData(0, 0, W, H).data;
  let sum = 0;
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ref[i] - out[i]);
    sum += d;
    worst = Math.max(worst, d);
  }
  console.log(`RgbxScaler vs canvas: mean |Δ| ${(sum / ref.length).toFixed(2)}/255, max ${worst}/255`);
  expect(sum / ref.length).toBeLessThan(0.5);
  expect(worst).toBeLessThan(16);
});

/** Mean |frame − canvas| over RGB, in 0..255 (same size); closes the frame. */
async function frameVsCanvas(frame: VideoFrame, canvas: OffscreenCanvas): Promise<number> {
  const { displayWidth: w, displayHeight: h } = frame;
  const a = new Uint8Array(w * h * 4);
  await frame.copyTo(a, { format: 'RGBA' });
  frame.close();
  const ctx = new OffscreenCanvas(w, h).getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(canvas, 0, 0);
  const b = ctx.getImageData(0, 0, w, h).data;
  let sum = 0;
  for (let i = 0; i < a.length; i++) if (i % 4 !== 3) sum += Math.abs(a[i] - b[i]);
  return sum / (w * h * 3);
}

it('a CPU frame stylizer made with frames: true hands out VideoFrames at the output size, and draws no canvas', async () => {
  const choice = await initBackend('wasm');
  const model = await StyleModel.load();
  const style = await model.presetVector('udnie');
  const geometry = inferenceGeometry(160, 90, 64);
  const noGpu = { device: null, software: false, detail: 'test' };
  const frames = createFrameStylizer(choice, model, geometry, { gpu: noGpu, frames: true });
  const shown = createFrameStylizer(choice, model, geometry, { gpu: noGpu });
  const input = picture(160, 90);
  try {
    expect(frames.takeFrame(0)).toBeNull(); // nothing rendered yet
    await frames.render(input, style, 0);
    await shown.render(input, style, 0);
    const out = frames.takeFrame(40_000, 40_000) as VideoFrame; // no device: the pixels are here already
    expect(out).toBeInstanceOf(VideoFrame);
    expect([out.format, out.displayWidth, out.displayHeight, out.timestamp, out.duration]).toEqual(['RGBX', 160, 90, 40_000, 40_000]);
    expect(() => frames.canvas).toThrow(/takeFrame/);
    expect(shown.takeFrame(0)).toBeNull();
    // The same picture as the canvas path draws.
    expect(await frameVsCanvas(out, shown.canvas)).toBeLessThan(0.5);
  } finally {
    input.close();
    frames.dispose();
    shown.dispose();
    style.dispose();
    model.dispose();
  }
});

it('with smoothing on a software adapter, a clip frame stylizer reads the blended frame back: the same pixels as presenting it (cubic) on the device', async () => {
  const choice = await initBackend('wasm');
  const model = await StyleModel.load();
  const style = await model.presetVector('udnie');
  const geometry = inferenceGeometry(160, 90, 64);
  const found = await temporalDevice(choice);
  expect(found.device, found.detail).not.toBeNull();
  // Whatever this machine's adapter, take the software adapter's way (a real device all the same).
  const gpu = { ...found, software: true };
  expect(readsBack(choice, gpu)).toBe(true);
  expect(readsBack(choice, { ...found, software: false })).toBe(false); // a hardware device presents
  const back = createFrameStylizer(choice, model, geometry, { gpu, frames: true });
  const shown = createFrameStylizer(choice, model, geometry, { gpu });
  const inputs = [0, 1, 2].map((i) => picture(160 + i * 4, 90 + i * 2)).map((f, i) => {
    // Three frames of a slow pan: the flow and the blend have something to do.
    const c = new OffscreenCanvas(160, 90);
    c.getContext('2d')!.drawImage(f, -i * 2, -i, f.displayWidth, f.displayHeight);
    f.close();
    return new VideoFrame(c, { timestamp: i * 40_000 });
  });
  try {
    expect(() => back.canvas).toThrow(/takeFrame/);
    let worst = 0;
    for (const [i, input] of inputs.entries()) {
      const t = await back.render(input, style, 0.7, { upsample: 'cubic' });
      await shown.render(input, style, 0.7, { upsample: 'cubic' });
      if (i > 0) expect(t.temporalMs).toBeGreaterThan(0);
      const pending = back.takeFrame(input.timestamp);
      // The read lands after render returned: handed out as a frame to wait for (nothing waited for the device).
      expect(pending).toBeInstanceOf(PendingFrame);
      const out = await (pending as PendingFrame).ready();
      expect([out.format, out.displayWidth, out.displayHeight]).toEqual(['RGBX', 160, 90]);
      worst = Math.max(worst, await frameVsCanvas(out, shown.canvas));
    }
    expect(worst).toBeLessThan(1);
  } finally {
    inputs.forEach((f) => f.close());
    back.dispose();
    shown.dispose();
    style.dispose();
    model.dispose();
  }
});
