// Guided upsampling on tfjs's own WebGPU device (the GPU path: the network's input buffer is the low-resolution guide,
// the frame's external texture the full-resolution one): no device error, and the output agrees better with the
// input's edges than the cubic's. Tiny sizes: tfjs-webgpu on SwiftShader is slow.
import { expect, inject, it } from 'vitest';
import { edgeAgreement } from '../../bench/edges.ts';
import { createFrameStylizer, inferenceGeometry } from '../../src/engine/pipeline/frame.ts';
import { initBackend } from '../../src/engine/stylise/backend.ts';
import { StyleModel } from '../../src/engine/stylise/model.ts';
import { temporalDevice } from '../../src/engine/gpu/device.ts';

it('on WebGPU, guided output agrees better with the input\'s edges than cubic, with and without smoothing', async () => {
  const choice = await initBackend('webgpu');
  expect(choice.name).toBe('webgpu');
  const device = choice.device!;
  const errors: string[] = [];
  device.addEventListener('uncapturederror', (e) => errors.push((e as GPUUncapturedErrorEvent).error.message));
  const model = await StyleModel.load();
  const style = await model.presetVector('udnie');
  const [W, H] = [256, 144];
  const r = await fetch(`${inject('sharedMedia')}/photos/tubingen.jpg`);
  const img = await createImageBitmap(await r.blob());
  const c = new OffscreenCanvas(W, H);
  const ctx = c.getContext('2d', { willReadFrequently: true })!;
  const s = Math.max(W / img.width, H / img.height);
  ctx.drawImage(img, (W - img.width * s) / 2, (H - img.height * s) / 2, img.width * s, img.height * s);
  const rgba = ctx.getImageData(0, 0, W, H).data;
  const frame = new VideoFrame(c, { timestamp: 0 });
  const frames = createFrameStylizer(choice, model, inferenceGeometry(W, H, 48), { gpu: await temporalDevice(choice) });
  const read = async () => {
    await device.queue.onSubmittedWorkDone();
    const out = new OffscreenCanvas(W, H).getContext('2d', { willReadFrequently: true })!;
    const bitmap = await createImageBitmap(frames.canvas);
    out.drawImage(bitmap, 0, 0);
    bitmap.close();
    return out.getImageData(0, 0, W, H).data;
  };
  try {
    const score: Record<string, number> = {};
    for (const temporal of [0, 0.7]) {
      for (const upsample of ['cubic', 'guided'] as const) {
        frames.reset();
        await frames.render(frame, style, temporal, { upsample });
        score[`${upsample} α${temporal}`] = edgeAgreement(await read(), rgba, W, H).gradientCorrelation;
      }
    }
    console.log(`WebGPU ${W}×${H} from 48 px: gradient correlation ${JSON.stringify(score)}`);
    expect(score['guided α0']).toBeGreaterThan(score['cubic α0'] + 0.05);
    expect(score['guided α0.7']).toBeGreaterThan(score['cubic α0.7'] + 0.05);
    await device.queue.onSubmittedWorkDone();
    expect(errors).toEqual([]);
  } finally {
    frame.close();
    img.close();
    frames.dispose();
    style.dispose();
    model.dispose();
  }
});
