// The GPU present (separable Mitchell–Netravali on WebGPU) against the CPU path's scaler: the same picture whether
// or not a frame went through the GPU, at the sizes the engine enlarges to; exact at 1:1.
import { expect, it } from 'vitest';
import { GpuCanvasSink } from '../../src/engine/gpu/present.ts';
import { RgbxScaler } from '../../src/engine/stylise/tensors.ts';
import { gpuDeviceForFile } from './gpu-device.ts';

const gpu = gpuDeviceForFile();

/** A smooth random picture with some sharp edges: RGB floats in [0, 1]. */
function picture(w: number, h: number, seed: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(w * h * 3);
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const f = Array.from({ length: 9 }, () => rand() * 0.3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        const v = 0.5 + 0.3 * Math.sin(x * f[c] + y * f[c + 3] + f[c + 6] * 10) + (x % 17 < 3 ? 0.15 : 0) - (y % 11 < 2 ? 0.15 : 0);
        out[(y * w + x) * 3 + c] = Math.min(1, Math.max(0, v));
      }
  return out;
}

async function presented(device: GPUDevice, values: Float32Array<ArrayBuffer>, w: number, h: number, W: number, H: number, sink?: GpuCanvasSink): Promise<Uint8ClampedArray> {
  const src = device.createBuffer({ size: values.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(src, 0, values);
  const own = !sink;
  sink ??= new GpuCanvasSink(device, W, H);
  try {
    sink.present(src, w, h);
    await device.queue.onSubmittedWorkDone();
    const ctx = new OffscreenCanvas(W, H).getContext('2d', { willReadFrequently: true })!;
    ctx.drawImage(await createImageBitmap(sink.canvas), 0, 0);
    return ctx.getImageData(0, 0, W, H).data;
  } finally {
    if (own) sink.dispose();
    src.destroy();
  }
}

function compare(a: Uint8ClampedArray, b: Uint8ClampedArray): { mean: number; worst: number } {
  let sum = 0;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    worst = Math.max(worst, d);
  }
  return { mean: sum / a.length, worst };
}

it.each([
  [228, 128, 320, 180],
  [456, 256, 640, 360],
  [96, 54, 641, 359],
])('enlarges %i×%i to %i×%i as the CPU path does', async (w, h, W, H) => {
  const values = picture(w, h, w + h);
  const gpuPixels = await presented(gpu.device, values, w, h, W, H);
  const cpuPixels = new Uint8ClampedArray(W * H * 4);
  new RgbxScaler(w, h, W, H).write(values, cpuPixels);
  const { mean, worst } = compare(gpuPixels, cpuPixels);
  console.log(`${w}×${h} → ${W}×${H}: GPU present vs RgbxScaler mean |Δ| ${mean.toFixed(3)}/255, max ${worst}/255`);
  expect(mean).toBeLessThan(0.5);
  expect(worst).toBeLessThanOrEqual(2);
});

it('at 1:1 draws the pixels unfiltered, and follows a source whose size changes between frames', async () => {
  const device = gpu.device;
  const [W, H] = [64, 40];
  const sink = new GpuCanvasSink(device, W, H);
  try {
    const same = picture(W, H, 7);
    const expected = new Uint8ClampedArray(W * H * 4);
    for (let i = 0; i < W * H; i++) {
      for (let c = 0; c < 3; c++) expected[i * 4 + c] = Math.round(same[i * 3 + c] * 255);
      expected[i * 4 + 3] = 255;
    }
    expect(compare(await presented(device, same, W, H, W, H, sink), expected).worst).toBeLessThanOrEqual(1);
    // A smaller source (the live governor lowered the size), then the full one again, on the same sink.
    const small = picture(32, 20, 8);
    const cpu = new Uint8ClampedArray(W * H * 4);
    new RgbxScaler(32, 20, W, H).write(small, cpu);
    expect(compare(await presented(device, small, 32, 20, W, H, sink), cpu).worst).toBeLessThanOrEqual(2);
    expect(compare(await presented(device, same, W, H, W, H, sink), expected).worst).toBeLessThanOrEqual(1);
  } finally {
    sink.dispose();
  }
});
