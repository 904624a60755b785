// Guided upsampling (shaders/guided*.wgsl): the stylised frame enlarged to the output's size guided by the
// full-resolution input. "cubic" is today's enlargement exactly; guided agrees better with the input's edges on a
// real photo stylised by the real network; the sink frees what it makes (resize, dispose).
import { expect, inject, it } from 'vitest';
import { edgeAgreement } from '../../bench/edges.ts';
import { canvasPixels, drawnPhoto } from '../../bench/photo.ts';
import { GpuCanvasSink } from '../../src/engine/gpu/present.ts';
import { FrameImporter } from '../../src/engine/gpu/frame-import.ts';
import { readBuffer } from '../../src/engine/temporal/estimate.ts';
import { createFrameStylizer, inferenceGeometry } from '../../src/engine/pipeline/frame.ts';
import { initBackend } from '../../src/engine/stylise/backend.ts';
import { StyleModel } from '../../src/engine/stylise/model.ts';
import type { Upsample } from '../../src/engine/constants.ts';
import { createStylizer, isStylecastError } from '../../src/engine/index.ts';
import { gpuDeviceForFile } from './gpu-device.ts';

const gpu = gpuDeviceForFile();

/** A shared photo drawn to w×h (cover), as a frame and as RGBA bytes. */
const photoFrame = (name: string, w: number, h: number) => drawnPhoto(`${inject('sharedMedia')}/photos/${name}`, w, h);

function maxDiff(a: Uint8ClampedArray, b: Uint8ClampedArray): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

it('on a real photo stylised by the network, guided output agrees better with the input\'s edges than cubic; cubic is today\'s output', async () => {
  const choice = await initBackend('wasm');
  const model = await StyleModel.load();
  const style = await model.presetVector('udnie');
  const [W, H] = [384, 216];
  const { frame, rgba } = await photoFrame('pexels-elly-fairytale-3822220.jpg', W, H);
  const geometry = inferenceGeometry(W, H, 64);
  const device = { device: gpu.device, software: true, detail: 'test' };
  const made = countBuffers(gpu.device);
  const onGpu = createFrameStylizer(choice, model, geometry, { gpu: device });
  const onCpu = createFrameStylizer(choice, model, geometry, { gpu: { device: null, software: false, detail: 'test' }, frames: true });
  try {
    const out: Partial<Record<Upsample, Uint8ClampedArray>> = {};
    for (const upsample of ['cubic', 'guided'] as const) {
      await onGpu.render(frame, style, 0, { upsample });
      await gpu.device.queue.onSubmittedWorkDone();
      out[upsample] = await canvasPixels(onGpu.canvas);
    }
    // Cubic again after a guided frame: nothing of the guided path stays behind.
    await onGpu.render(frame, style, 0, { upsample: 'cubic' });
    await gpu.device.queue.onSubmittedWorkDone();
    expect(maxDiff(await canvasPixels(onGpu.canvas), out.cubic!)).toBe(0);
    // Cubic is what the CPU path draws (today's enlargement, within the present's rounding).
    await onCpu.render(frame, style, 0, { upsample: 'guided' }); // the CPU path has no guide: cubic whatever asked
    const cpuFrame = onCpu.takeFrame(0) as VideoFrame; // no device: the pixels are here already
    expect(cpuFrame).toBeInstanceOf(VideoFrame);
    const cpu = new Uint8ClampedArray(W * H * 4);
    await cpuFrame.copyTo(cpu, { format: 'RGBA' });
    cpuFrame.close();
    expect(maxDiff(out.cubic!, cpu)).toBeLessThanOrEqual(2);

    const cubic = edgeAgreement(out.cubic!, rgba, W, H);
    const guided = edgeAgreement(out.guided!, rgba, W, H);
    console.log(`${geometry.inferWidth}×${geometry.inferHeight} → ${W}×${H}: cubic ${JSON.stringify(cubic)}; guided ${JSON.stringify(guided)}`);
    expect(guided.gradientCorrelation).toBeGreaterThan(cubic.gradientCorrelation + 0.05);
    expect(guided.edgeF).toBeGreaterThan(cubic.edgeF);
    // The stylised picture is kept: guided differs from cubic by detail, not by its colours.
    let sum = 0;
    for (let i = 0; i < cpu.length; i++) if (i % 4 !== 3) sum += out.guided![i] - out.cubic![i];
    expect(Math.abs(sum / (W * H * 3))).toBeLessThan(2);
  } finally {
    frame.close();
    onGpu.dispose();
    onCpu.dispose();
    style.dispose();
    model.dispose();
    made.stop();
  }
  // Every buffer the frame stylizer made (import, smoothing, present, guide upload) is destroyed with it.
  expect(made.live()).toEqual([]);
});

/** Counts the buffers `device` makes from now on that are not destroyed (their labels); `stop` ends the count. */
function countBuffers(device: GPUDevice): { live(): string[]; stop(): void } {
  const live = new Set<GPUBuffer>();
  const create = device.createBuffer.bind(device);
  device.createBuffer = (d: GPUBufferDescriptor) => {
    const b = create(d);
    const destroy = b.destroy.bind(b);
    live.add(b);
    b.destroy = () => (live.delete(b), destroy());
    return b;
  };
  return { live: () => [...live].map((b) => b.label), stop: () => void (device.createBuffer = create) };
}

it('the guided sink frees every buffer it made, through source-size changes and dispose', async () => {
  const device = gpu.device;
  const made = countBuffers(device);
  const importer = new FrameImporter(device);
  const { frame } = await photoFrame('tubingen.jpg', 96, 64);
  const sink = new GpuCanvasSink(device, 96, 64);
  try {
    expect(made.live().length).toBeGreaterThan(0);
    for (const [w, h] of [[24, 16], [48, 32], [24, 16], [96, 64]]) {
      const low = importer.import(frame, w, h);
      sink.present(low, w, h, { frame: importer.texture(frame), low });
      await device.queue.onSubmittedWorkDone();
    }
    // The last source was the canvas's size: drawn as it is (nothing to enlarge, nothing for a guide to add).
    const low = new Float32Array(await readBuffer(device, importer.import(frame, 96, 64)));
    const ctx = new OffscreenCanvas(96, 64).getContext('2d', { willReadFrequently: true })!;
    ctx.drawImage(sink.canvas, 0, 0);
    const shown = ctx.getImageData(0, 0, 96, 64).data;
    let worst = 0;
    for (let i = 0; i < 96 * 64; i++) for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(shown[i * 4 + c] - low[i * 3 + c] * 255));
    expect(worst).toBeLessThanOrEqual(1);
    sink.dispose();
    importer.dispose();
    expect(made.live()).toEqual([]);
  } finally {
    made.stop();
    frame.close();
  }
});

it('upsample is checked at the public boundary, and the stylizer says which enlargement runs', async () => {
  for (const bad of ['bilinear', 'GUIDED', 1, null]) {
    const e = await createStylizer({ backend: 'wasm', size: 32, upsample: bad as unknown as Upsample }).catch((x: unknown) => x);
    expect(isStylecastError(e) && e.code).toBe('INVALID_ARGUMENT');
    expect(String((e as Error).message)).toMatch(/upsample must be one of guided, cubic/);
  }
  const s = await createStylizer({ backend: 'wasm', size: 32, temporal: 0.5 });
  try {
    expect(s.upsample).toBe('guided');
    // wasm with smoothing: live output is presented on the WebGPU device, guided; a clip too where the device is a
    // hardware one, while on a software adapter a clip's frames come back to the CPU after smoothing: cubic, said so.
    expect(s.upsampling('live')).toMatchObject({ method: 'guided', detail: expect.stringMatching(/^guided by the full-resolution input, on /) });
    if (s.smoothing.software) expect(s.upsampling('clip')).toMatchObject({ method: 'cubic', detail: expect.stringMatching(/comes back from the software WebGPU device after smoothing/) });
    else expect(s.upsampling('clip').method).toBe('guided');
    // A clip with smoothing off on wasm goes through the CPU: cubic, said so; live still presents on the device.
    s.setTemporal(0);
    expect(s.upsampling('clip')).toMatchObject({ method: 'cubic', detail: expect.stringMatching(/goes through the CPU/) });
    expect(s.upsampling('live').method).toBe('guided');
    s.setUpsample('cubic');
    expect(s.upsampling('live')).toEqual({ method: 'cubic', detail: 'cubic (Mitchell–Netravali), as asked' });
    expect(() => s.setUpsample('sharp' as Upsample)).toThrow(/upsample must be one of guided, cubic, got "sharp"/);
    expect(s.upsample).toBe('cubic');
  } finally {
    s.dispose();
  }
});
