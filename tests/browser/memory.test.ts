// Every tensor has one owner: the count stays flat across hundreds of frames, on wasm and on WebGPU.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/stylise/backend.ts';
import { temporalDevice } from '../../src/engine/gpu/device.ts';
import { createFrameStylizer, inferenceGeometry } from '../../src/engine/pipeline/frame.ts';
import { StyleModel } from '../../src/engine/stylise/model.ts';
import { createStylizer } from '../../src/engine/index.ts';

function syntheticFrame(i: number, width: number, height: number): VideoFrame {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = `hsl(${(i * 7) % 360} 70% 50%)`;
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#fff';
  ctx.fillRect((i * 3) % width, height / 4, width / 5, height / 2);
  return new VideoFrame(canvas, { timestamp: i * 40_000 });
}

async function framesLeaveNoTensors(backend: 'wasm' | 'webgpu', frames: number, width: number, height: number) {
  const choice = await initBackend(backend);
  expect(choice.name).toBe(backend);
  const model = await StyleModel.load();
  const style = await model.presetVector('the_scream');
  const gpu = await temporalDevice(choice);
  expect(gpu.device).not.toBeNull();
  const stylizer = createFrameStylizer(choice, model, inferenceGeometry(width, height, 32), { gpu });
  expect(stylizer.smoothing).toBe(true);
  const counts: number[] = [];
  const costs: number[] = [];
  for (let i = 0; i < frames; i++) {
    const frame = syntheticFrame(i, width, height);
    try {
      if (i % 50 === 0) tf.dispose(stylizer.contentVector(frame));
      const timing = await stylizer.render(frame, style, 0.7);
      // The cost is the newest *finished* measurement: nothing waits for the GPU, so early frames may have none yet.
      if (timing.temporalMs !== null) costs.push(timing.temporalMs);
    } finally {
      frame.close();
    }
    counts.push(tf.memory().numTensors);
  }
  stylizer.dispose();
  style.dispose();
  expect(costs.length).toBeGreaterThan(frames / 2);
  expect(Math.min(...costs)).toBeGreaterThan(0);
  const afterWarmup = counts.slice(2);
  expect(Math.max(...afterWarmup)).toBe(Math.min(...afterWarmup));
  model.dispose();
  return counts;
}

describe('tensor ownership', () => {
  it('wasm: numTensors flat over 300 frames', async () => {
    await initBackend('wasm');
    const before = tf.memory().numTensors;
    await framesLeaveNoTensors('wasm', 300, 64, 36);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('webgpu: numTensors flat over 12 frames (SwiftShader is slow)', async () => {
    await initBackend('webgpu');
    const before = tf.memory().numTensors;
    await framesLeaveNoTensors('webgpu', 12, 48, 32);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a whole clip through stylizeFile, then dispose, leaves no tensors', async () => {
    await initBackend('wasm');
    const before = tf.memory().numTensors;
    const stylizer = await createStylizer({ backend: 'wasm', size: 32, strength: 0.7, mix: { style: 'udnie', weight: 0.3 } });
    const clip = await (await fetch('/media/video/pexels-854100-people-walking-sidewalk-640x360-6s.webm')).blob();
    const seen: number[] = [];
    const costs: number[] = [];
    const result = await stylizer.stylizeFile(clip, {
      onProgress: (p) => {
        seen.push(p.framesDone);
        expect(p.frame?.networkMs).toBeGreaterThan(0);
        const cost = p.frame?.temporalMs;
        if (cost !== null && cost !== undefined) costs.push(cost);
      },
    });
    expect(result.frames).toBe(150);
    expect(seen.at(-1)).toBe(150);
    expect(costs.length).toBeGreaterThan(75);
    expect(Math.min(...costs)).toBeGreaterThan(0);
    expect(result.width).toBe(640);
    expect(result.blob.size).toBeGreaterThan(10_000);
    stylizer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('cancelling', () => {
  it('a cancelled clip rejects with CANCELLED, leaves no tensors, and the stylizer works again', async () => {
    await initBackend('wasm');
    const before = tf.memory().numTensors;
    const stylizer = await createStylizer({ backend: 'wasm', size: 32, temporal: 0 });
    const clip = await (await fetch('/media/video/pexels-854100-people-walking-sidewalk-640x360-6s.webm')).blob();
    const controller = new AbortController();
    const cancelled = stylizer.stylizeFile(clip, { signal: controller.signal, onProgress: (p) => p.framesDone === 5 && controller.abort() });
    await expect(cancelled).rejects.toMatchObject({ name: 'StylecastError', code: 'CANCELLED' });
    await expect(stylizer.stylizeFile(new Blob([]))).rejects.toMatchObject({ code: 'EMPTY_INPUT' });
    expect(() => stylizer.setStrength(2)).toThrow(/strength must be a number from 0 to 1/);
    stylizer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('colour preservation', () => {
  it('keeps the input colours (luminance transfer) and differs from plain stylisation', async () => {
    const choice = await initBackend('wasm');
    const model = await StyleModel.load();
    const style = await model.presetVector('great_wave_off_kanagawa');
    const geometry = inferenceGeometry(64, 48, 48);
    const stylizer = createFrameStylizer(choice, model, geometry, { gpu: { device: null, software: false, detail: 'off' } });
    const frame = syntheticFrame(3, 64, 48);
    const chroma = (px: Uint8ClampedArray) => {
      // mean of (R − G, B − G): a crude colour signature
      let rg = 0, bg = 0;
      for (let i = 0; i < px.length; i += 4) (rg += px[i] - px[i + 1]), (bg += px[i + 2] - px[i + 1]);
      return [rg / (px.length / 4), bg / (px.length / 4)];
    };
    const read = () => {
      const c = new OffscreenCanvas(64, 48);
      const ctx = c.getContext('2d')!;
      ctx.drawImage(stylizer.canvas, 0, 0);
      return ctx.getImageData(0, 0, 64, 48).data;
    };
    const input = new OffscreenCanvas(64, 48).getContext('2d')!;
    input.drawImage(frame, 0, 0);
    const inChroma = chroma(input.getImageData(0, 0, 64, 48).data);
    await stylizer.render(frame, style, 0, { preserveColour: true });
    const kept = chroma(read());
    await stylizer.render(frame, style, 0);
    const plain = chroma(read());
    frame.close();
    stylizer.dispose();
    style.dispose();
    model.dispose();
    const dist = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1]);
    console.log(`chroma in ${inChroma.map((v) => v.toFixed(1))}, kept ${kept.map((v) => v.toFixed(1))}, plain ${plain.map((v) => v.toFixed(1))}`);
    expect(dist(kept, inChroma)).toBeLessThan(20);
    expect(dist(plain, inChroma)).toBeGreaterThan(2 * dist(kept, inChroma));
  });
});
