// The real model on real backends in real Chromium: WebGPU (SwiftShader here) against wasm at a small size.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { StyleModel } from '../../src/engine/stylise/model.ts';

const REF = '/models/magenta-arbitrary-style-mobile';

async function content(size: number): Promise<tf.Tensor4D> {
  const img = await createImageBitmap(await (await fetch(`${REF}/styles/udnie.jpg`)).blob());
  const t = tf.tidy(() => tf.image.resizeBilinear(tf.div(tf.browser.fromPixels(img).toFloat(), 255) as tf.Tensor3D, [size, size]).expandDims(0) as tf.Tensor4D);
  img.close();
  return t;
}

async function run(backend: 'wasm' | 'webgpu', size: number) {
  expect(await tf.setBackend(backend)).toBe(true);
  await tf.ready();
  const model = await StyleModel.load();
  const x = await content(size);
  const b = await model.presetVector('starry_night');
  // The warm-up compiles the shaders (WebGPU) without running them; the real run after it must be unchanged.
  await model.compile(size, size, b);
  const y = model.transform(x, b);
  const values = Float32Array.from(await y.data());
  const shape = y.shape;
  tf.dispose([x, b, y]);
  model.dispose();
  return { values, shape };
}

describe('style transformer in Chromium', () => {
  it('serves every preset image and vector', async () => {
    setWasmPaths('/wasm/');
    expect(await tf.setBackend('wasm')).toBe(true);
    const model = await StyleModel.load();
    expect(model.presetNames.length).toBe(12);
    for (const name of model.presetNames) {
      const r = await fetch(model.presetImageUrl(name));
      expect(r.headers.get('content-type'), name).toMatch(/image\/jpeg/);
      expect((await r.blob()).size).toBeGreaterThan(10_000);
    }
    await expect(model.presetVector('nope')).rejects.toThrow(/Unknown style preset "nope"/);
    model.dispose();
  });

  it('a model directory of its own: presets get vectors from its predictor; a broken one is refused by name', async () => {
    const own = await StyleModel.load({ modelDir: `${REF}` });
    const bundled = await StyleModel.load();
    const [a, b] = [await own.presetVector('udnie'), await bundled.presetVector('udnie')];
    const cos = tf.tidy(() => tf.sum(tf.mul(a, b)).div(tf.norm(a).mul(tf.norm(b))).dataSync()[0]);
    expect(cos).toBeGreaterThan(0.999); // computed from the image by the same predictor
    tf.dispose([a, b]);
    own.dispose();
    bundled.dispose();
    await expect(StyleModel.load({ modelDir: `${REF}/styles` })).rejects.toMatchObject({
      code: 'MODEL_LOAD_FAILED',
      message: expect.stringMatching(/style predictor from .*styles\/style-predictor\/model\.json/),
    });
  });

  it("the engine's way: files fetched before the backend starts, the predictor's graph made only when awaited", async () => {
    const files = StyleModel.fetch(); // before any backend is set: no tensors in it
    setWasmPaths('/wasm/');
    expect(await tf.setBackend('wasm')).toBe(true);
    const before = tf.memory().numTensors;
    const model = await StyleModel.load({}, files, { predictor: 'on-demand' });
    const transformerOnly = tf.memory().numTensors - before;
    expect(model.predictorLoaded).toBe(false);
    const preset = await model.presetVector('udnie'); // precomputed: needs no predictor
    expect(model.predictorLoaded).toBe(false);
    const img = await createImageBitmap(await (await fetch(model.presetImageUrl('udnie'))).blob());
    const x = tf.tidy(() => tf.div(tf.browser.fromPixels(img).toFloat(), 255).expandDims(0) as tf.Tensor4D);
    img.close();
    expect(() => model.predict(x)).toThrow(/predictorReady/);
    await model.predictorReady();
    expect(model.predictorLoaded).toBe(true);
    expect(tf.memory().numTensors - before).toBeGreaterThan(transformerOnly + 1 /* the preset vector */ + 1 /* x */ + 10);
    const v = model.predict(x);
    const cos = tf.tidy(() => tf.sum(tf.mul(v, preset)).div(tf.norm(v).mul(tf.norm(preset))).dataSync()[0]);
    expect(cos).toBeGreaterThan(0.999); // the same vector set-up computed from the same image
    tf.dispose([x, v, preset]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("a predictor whose weights fail to download: MODEL_LOAD_FAILED when it is first needed, and the next call downloads them again", async () => {
    setWasmPaths('/wasm/');
    expect(await tf.setBackend('wasm')).toBe(true);
    const realFetch = globalThis.fetch;
    let refused = 0;
    // The network failing for the predictor's weight shards only (a dropped connection), until told otherwise.
    let failing = true;
    globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
      if (failing && /style-predictor\/group1-shard/.test(String(input instanceof Request ? input.url : input))) {
        refused++;
        return Promise.resolve(new Response('busy', { status: 503 }));
      }
      return realFetch(input, init);
    };
    try {
      const model = await StyleModel.load({}, StyleModel.fetch(), { predictor: 'on-demand' }); // the transformer is enough
      expect(refused).toBe(0); // the predictor's weights are asked for only when it is needed
      await expect(model.predictorReady()).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', message: expect.stringMatching(/style predictor from .*HTTP 503 for .*group1-shard/) });
      expect(model.predictorLoaded).toBe(false);
      expect(refused).toBeGreaterThan(0);
      failing = false;
      await model.predictorReady();
      expect(model.predictorLoaded).toBe(true);
      model.dispose();
    } finally {
      globalThis.fetch = realFetch;
    }
  });

  it('gives the same output on WebGPU (after the compile-only warm-up) as on wasm (64×64)', async () => {
    setWasmPaths('/wasm/');
    tf.env().set('WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD', 0);
    const wasm = await run('wasm', 64);
    const gpu = await run('webgpu', 64);
    expect(gpu.shape).toEqual([1, 64, 64, 3]);
    expect(wasm.shape).toEqual(gpu.shape);
    let max = 0;
    for (let i = 0; i < wasm.values.length; i++) max = Math.max(max, Math.abs(wasm.values[i] - gpu.values[i]));
    expect(max).toBeLessThan(1e-3);
    // and it is a picture, not a constant
    const mean = wasm.values.reduce((a, v) => a + v, 0) / wasm.values.length;
    const sd = Math.sqrt(wasm.values.reduce((a, v) => a + (v - mean) ** 2, 0) / wasm.values.length);
    expect(sd).toBeGreaterThan(0.05);
  });
});
