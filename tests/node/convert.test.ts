// The converter against the shipped conversion (the test oracle in ../shared) and the original TFLite outputs,
// on tfjs-wasm in Node; and its refusals (unsupported ops, wrong inputs/outputs) through `stylecast convert`.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertTflite } from '../../src/convert/index.ts';
import { float16Bits } from '../../src/convert/float16.ts';
import { checkModelDir } from '../../src/convert/model-dir.ts';
import { loadGraphModel, readModelDir } from '../../src/setup/graph-model.ts';
import { tfliteModel } from './tflite-fixture.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHARED = resolve(ROOT, '../shared/models/magenta-arbitrary-style-mobile');
const INSTALLED = resolve(ROOT, 'public/models/magenta-arbitrary-style-mobile');

/** RGB bytes of a PNG through ffmpeg, as [1,H,W,3] in [0,1]. */
function png(path: string): tf.Tensor4D {
  const probe = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', path]).toString().trim();
  const [w, h] = probe.split(',').map(Number);
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 64 << 20 });
  return tf.tidy(() => tf.div(tf.tensor4d(new Uint8Array(raw), [1, h, w, 3], 'int32').toFloat(), 255) as tf.Tensor4D);
}

const cosine = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) (ab += a[i] * b[i]), (aa += a[i] * a[i]), (bb += b[i] * b[i]);
  return ab / Math.sqrt(aa * bb);
};

const maxAbs = async (a: tf.Tensor, b: tf.Tensor) => (await tf.max(tf.abs(tf.sub(a, b))).data())[0];

interface Case {
  content_png: string;
  style_png: string;
  bottleneck_tflite_int8: number[];
  expected_png: string;
}

describe('converting the original TFLite models', () => {
  const expected = JSON.parse(readFileSync(join(SHARED, 'reference/expected.json'), 'utf8')) as { cases: Case[] };
  const ours: Record<string, tf.GraphModel> = {};
  const shipped: Record<string, tf.GraphModel> = {};

  beforeAll(async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    for (const [role, file] of [['style-predictor', 'style_predict_quantized_256.tflite'], ['style-transformer', 'style_transfer_f16_384.tflite']]) {
      ours[role] = await loadGraphModel(convertTflite(readFileSync(join(SHARED, 'original-tflite', file)), file).files);
      shipped[role] = await loadGraphModel(readModelDir(join(SHARED, role)));
    }
  });
  afterAll(() => [...Object.values(ours), ...Object.values(shipped)].forEach((m) => m.dispose()));

  it('names the inputs and outputs as the engine expects', () => {
    expect(ours['style-predictor'].inputs.map((i) => i.name)).toEqual(['style_image']);
    expect(ours['style-predictor'].outputs.map((o) => o.name)).toEqual(['style_bottleneck']);
    expect(ours['style-transformer'].inputs.map((i) => i.name).sort()).toEqual(['content_image', 'style_bottleneck']);
    expect(ours['style-transformer'].outputs.map((o) => o.name)).toEqual(['stylized_image']);
  });

  for (const name of ['starry_night', 'great_wave_off_kanagawa', 'composition_vii']) {
    it(`${name}: predictor matches the shipped conversion (cosine ≥ 0.9999) and the TFLite vector (cosine ≥ 0.999)`, async () => {
      const c = expected.cases.find((x) => x.style_png.includes(name))!;
      const style = png(join(SHARED, 'reference', c.style_png));
      const a = ours['style-predictor'].execute({ style_image: style }, 'style_bottleneck') as tf.Tensor;
      const b = shipped['style-predictor'].execute({ style_image: style }, 'style_bottleneck') as tf.Tensor;
      expect(a.shape).toEqual([1, 1, 1, 100]);
      expect(cosine(await a.data(), await b.data())).toBeGreaterThanOrEqual(0.9999);
      expect(cosine(await a.data(), c.bottleneck_tflite_int8)).toBeGreaterThanOrEqual(0.999);
      tf.dispose([style, a, b]);
    });

    it(`${name}: transformer matches the shipped conversion (max abs ≤ 1e-4) and the TFLite output (≤ 2/255)`, async () => {
      const c = expected.cases.find((x) => x.style_png.includes(name))!;
      const content = png(join(SHARED, 'reference', c.content_png));
      const want = png(join(SHARED, 'reference', c.expected_png));
      const v = tf.tensor4d(c.bottleneck_tflite_int8, [1, 1, 1, 100]);
      const a = ours['style-transformer'].execute({ content_image: content, style_bottleneck: v }, 'stylized_image') as tf.Tensor;
      const b = shipped['style-transformer'].execute({ content_image: content, style_bottleneck: v }, 'stylized_image') as tf.Tensor;
      expect(a.shape).toEqual(want.shape);
      expect(await maxAbs(a, b)).toBeLessThanOrEqual(1e-4);
      expect(await maxAbs(tf.round(tf.mul(a, 255)), tf.round(tf.mul(want, 255)))).toBeLessThanOrEqual(2);
      tf.dispose([content, want, v, a, b]);
    });
  }

  it('the transformer runs at sizes other than the fixed 384² of the TFLite file', async () => {
    const content = tf.randomUniform([1, 72, 128, 3], 0, 1, 'float32', 7);
    const v = tf.randomNormal([1, 1, 1, 100], 0, 1, 'float32', 8);
    const a = ours['style-transformer'].execute({ content_image: content, style_bottleneck: v }, 'stylized_image') as tf.Tensor;
    const b = shipped['style-transformer'].execute({ content_image: content, style_bottleneck: v }, 'stylized_image') as tf.Tensor;
    expect(a.shape).toEqual([1, 72, 128, 3]);
    expect(await maxAbs(a, b)).toBeLessThanOrEqual(1e-4);
    tf.dispose([content, v, a, b]);
  });

  it('the preset vectors set-up computed match the shipped bottlenecks.json (cosine ≥ 0.9999)', () => {
    const ours = JSON.parse(readFileSync(join(INSTALLED, 'styles/bottlenecks.json'), 'utf8')).presets;
    const theirs = JSON.parse(readFileSync(join(SHARED, 'styles/bottlenecks.json'), 'utf8')).presets;
    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
    for (const name of Object.keys(theirs)) {
      expect(ours[name].file).toBe(theirs[name].file);
      expect(cosine(ours[name].bottleneck_tfjs, theirs[name].bottleneck_tfjs), name).toBeGreaterThanOrEqual(0.9999);
    }
  });
});

describe('ops beyond the Magenta models', () => {
  it('PAD, CONV_2D without bias (+ fused RELU6), RESIZE_BILINEAR (made relative), MEAN, TANH, SQRT, DIV give what tfjs gives', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    const filter = Float32Array.from({ length: 100 * 3 }, (_, i) => Math.sin(i));
    const f32 = (v: number[]) => Float32Array.from(v);
    const i32 = (v: number[]) => Int32Array.from(v);
    const tensors = [
      { name: 'image', shape: [1, 4, 4, 3] },
      { name: 'paddings', shape: [4, 2], data: i32([0, 0, 1, 1, 1, 1, 0, 0]) },
      { name: 'padded', shape: [1, 6, 6, 3] },
      { name: 'filter', shape: [100, 1, 1, 3], data: filter },
      { name: 'conv', shape: [1, 6, 6, 100] },
      { name: 'size', shape: [2], data: i32([12, 12]) },
      { name: 'resized', shape: [1, 12, 12, 100] },
      { name: 'axes', shape: [2], data: i32([1, 2]) },
      { name: 'mean', shape: [1, 1, 1, 100] },
      { name: 'tanh', shape: [1, 1, 1, 100] },
      { name: 'sqrt', shape: [1, 1, 1, 100] },
      { name: 'divisor', shape: [], data: f32([2]) },
      { name: 'vector', shape: [1, 1, 1, 100] },
    ];
    const ops = [
      { code: 34, inputs: [0, 1], outputs: [2] }, // PAD
      { code: 3, inputs: [2, 3, -1], outputs: [4], options: { type: 1, fields: [{ field: 0, kind: 'int8' as const, value: 1 }, { field: 1, kind: 'int32' as const, value: 1 }, { field: 2, kind: 'int32' as const, value: 1 }, { field: 3, kind: 'int8' as const, value: 3 }] } }, // CONV_2D VALID, RELU6
      { code: 23, inputs: [4, 5], outputs: [6] }, // RESIZE_BILINEAR
      { code: 40, inputs: [6, 7], outputs: [8], options: { type: 27, fields: [{ field: 0, kind: 'int8' as const, value: 1 }] } }, // MEAN keep_dims
      { code: 28, inputs: [8], outputs: [9] }, // TANH
      { code: 75, inputs: [9], outputs: [10] }, // SQRT
      { code: 42, inputs: [10, 11], outputs: [12] }, // DIV
    ];
    const converted = convertTflite(tfliteModel(tensors, ops, [0], [12]), 'fixture.tflite');
    expect(converted.role).toBe('predictor');
    const model = await loadGraphModel(converted.files);
    const image = tf.randomUniform([1, 5, 7, 3], 0, 1, 'float32', 3); // not the 4×4 of the file
    const got = model.execute({ style_image: image }, 'style_bottleneck') as tf.Tensor;
    const want = tf.tidy(() => {
      const padded = tf.pad(image, [[0, 0], [1, 1], [1, 1], [0, 0]]);
      const conv = tf.relu6(tf.conv2d(padded as tf.Tensor4D, tf.tensor4d(filter, [100, 1, 1, 3]).transpose([1, 2, 3, 0]) as tf.Tensor4D, 1, 'valid'));
      const resized = tf.image.resizeBilinear(conv, [14, 18]);
      return tf.div(tf.sqrt(tf.tanh(tf.mean(resized, [1, 2], true))), 2);
    });
    expect(got.shape).toEqual([1, 1, 1, 100]);
    expect(await maxAbs(got, want)).toBeLessThanOrEqual(1e-6); // float32 constants stay float32
    tf.dispose([image, got, want]);
    model.dispose();
  });
});

describe('float16 weights', () => {
  it('rounds to nearest even, with subnormals, overflow and NaN', () => {
    expect(float16Bits(1)).toBe(0x3c00);
    expect(float16Bits(-2)).toBe(0xc000);
    expect(float16Bits(65504)).toBe(0x7bff);
    expect(float16Bits(65520)).toBe(0x7c00); // rounds up to infinity
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(float16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(float16Bits(2 ** -26)).toBe(0x0000);
    expect(float16Bits(NaN) & 0x7e00).toBe(0x7e00);
  });
});

describe('stylecast convert', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stylecast-convert-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/stylecast.mjs'), 'convert', ...args], { encoding: 'utf8' });

  it('writes a model directory that loads, from a user\'s TFLite file', async () => {
    const out = join(dir, 'transformer');
    const r = cli(join(SHARED, 'original-tflite/style_transfer_f16_384.tflite'), '-o', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/wrote a style transformer to/);
    const model = await loadGraphModel(readModelDir(out));
    expect(model.outputs.map((o) => o.name)).toEqual(['stylized_image']);
    model.dispose();
  });

  it('fails naming every op outside the supported set and where it is; nothing is written', () => {
    const file = join(dir, 'unsupported.tflite');
    const tensors = ['image', 'probabilities', 'rectified', 'vector'].map((name, i) => ({ name, shape: i < 3 ? [1, 8, 8, 3] : [1, 1, 1, 100] }));
    const ops = [
      { code: 25, inputs: [0], outputs: [1] }, // SOFTMAX
      { code: 19, inputs: [1], outputs: [2] }, // RELU: supported, fed by the op that is not
      { code: 32, custom: 'MyPool', inputs: [2], outputs: [3] },
    ];
    writeFileSync(file, tfliteModel(tensors, ops, [0], [3]));
    const out = join(dir, 'unsupported-out');
    const r = cli(file, '-o', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('2 problem(s), so nothing was written');
    expect(r.stderr).toContain('operator 0 SOFTMAX (output "probabilities")');
    expect(r.stderr).toContain('operator 2 CUSTOM "MyPool" (output "vector")');
    expect(r.stderr).not.toContain('operator 1 '); // the RELU is fine: only its input is missing
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a model without the expected inputs and outputs, saying what it has and what is needed', () => {
    const file = join(dir, 'classifier.tflite');
    writeFileSync(file, tfliteModel([{ name: 'pixels', shape: [1, 8, 8, 3] }, { name: 'logits', shape: [1, 10] }], [{ code: 25, inputs: [0], outputs: [1] }], [0], [1]));
    const r = cli(file, '-o', join(dir, 'classifier-out'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the model has inputs "pixels" [1,8,8,3] and outputs "logits" [1,10], but stylecast needs a style predictor');
  });
});

describe('model directories', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stylecast-models-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts the installed models', () => expect(checkModelDir(INSTALLED)).toEqual([]));

  it('refuses a directory without the expected inputs and outputs, naming what is missing', () => {
    const bad = join(dir, 'bad');
    for (const role of ['style-predictor', 'style-transformer']) mkdirSync(join(bad, role), { recursive: true });
    // a predictor put where the transformer belongs
    cpSync(join(INSTALLED, 'style-predictor/model.json'), join(bad, 'style-transformer/model.json'));
    expect(checkModelDir(bad)).toEqual([
      `${join(bad, 'style-predictor/model.json')} is missing (the style predictor; make it with "stylecast convert <model.tflite> -o ${join(bad, 'style-predictor')}")`,
      `${join(bad, 'style-transformer/model.json')} cannot be the style transformer: missing input "content_image", input "style_bottleneck", output "stylized_image"`,
    ]);
  });
});
