// The converter's ops for MediaPipe's mask models (HARD_SWISH, AVERAGE_POOL_2D, MAX_POOL_2D, RESHAPE,
// CONCATENATION and the custom Convolution2DTransposeBias), each in a one-op TFLite fixture, converted and run on
// tfjs-wasm, against a plain-JS computation of what TFLite defines the op to do (loops over NHWC arrays; no tfjs).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGraph } from '../../src/convert/graph.ts';
import { ConvertError, convertTflite } from '../../src/convert/index.ts';
import { modelFiles } from '../../src/convert/model-json.ts';
import { readTflite } from '../../src/convert/tflite.ts';
import { imageInput, ROLES } from '../../src/engine/models/roles.ts';
import { loadGraphModel } from '../../src/setup/graph-model.ts';
import type { Manifest } from '../../src/setup/manifest.ts';
import { tfliteModel, type FixtureOp, type FixtureTensor } from './tflite-fixture.ts';

const OP = { AVERAGE_POOL_2D: 1, CONCATENATION: 2, MAX_POOL_2D: 17, RESHAPE: 22, CUSTOM: 32, HARD_SWISH: 117 };
const OPTIONS = { Pool2DOptions: 5, ConcatenationOptions: 10 };
const int8 = (field: number, value: number) => ({ field, kind: 'int8' as const, value });
const int32 = (field: number, value: number) => ({ field, kind: 'int32' as const, value });

/** Deterministic values in [-a, a]. */
const values = (n: number, seed: number, a = 1) => Float32Array.from({ length: n }, (_, i) => a * Math.sin(i * 1.618 + seed * 7.1 + Math.cos(i * 0.37)));
const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

interface Run {
  out: Float32Array;
  shape: number[];
  ops: string[];
}

/** Converts a one-input, one-output fixture (input fixed-size, as the mask models) and runs it on `x`. */
async function run(tensors: FixtureTensor[], ops: FixtureOp[], x: Float32Array): Promise<Run> {
  const input = 0;
  const output = tensors.length - 1;
  const model = readTflite(tfliteModel(tensors, ops, [input], [output]));
  const graph = buildGraph(model, { role: 'person', names: new Map([[input, 'person_image'], [output, 'person_mask']]), fixedSize: new Set([input]) }, 'fixture');
  const gm = await loadGraphModel(modelFiles(graph, 'person', 'fixture', 'test').files);
  const xt = tf.tensor(x, tensors[input].shape);
  const y = gm.execute({ person_image: xt }, 'person_mask') as tf.Tensor;
  const result = { out: (await y.data()) as Float32Array, shape: y.shape, ops: graph.nodes.map((n) => n.op) };
  tf.dispose([xt, y]);
  gm.dispose();
  return result;
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** TF/TFLite SAME padding before the data: floor of half the total. */
const samePad = (inSize: number, k: number, s: number) => {
  const out = Math.ceil(inSize / s);
  return { out, before: Math.floor(Math.max((out - 1) * s + k - inSize, 0) / 2) };
};

/** Pooling over an NHWC [1,h,w,c] array; padded positions take no part (TFLite's average divides by the count). */
function poolRef(x: Float32Array, [h, w, c]: number[], k: [number, number], s: [number, number], same: boolean, max: boolean) {
  const ph = same ? samePad(h, k[0], s[0]) : { out: Math.floor((h - k[0]) / s[0]) + 1, before: 0 };
  const pw = same ? samePad(w, k[1], s[1]) : { out: Math.floor((w - k[1]) / s[1]) + 1, before: 0 };
  const out = new Float32Array(ph.out * pw.out * c);
  for (let oy = 0; oy < ph.out; oy++)
    for (let ox = 0; ox < pw.out; ox++)
      for (let ch = 0; ch < c; ch++) {
        let acc = max ? -Infinity : 0;
        let n = 0;
        for (let ky = 0; ky < k[0]; ky++)
          for (let kx = 0; kx < k[1]; kx++) {
            const iy = oy * s[0] + ky - ph.before;
            const ix = ox * s[1] + kx - pw.before;
            if (iy < 0 || ix < 0 || iy >= h || ix >= w) continue;
            const v = x[(iy * w + ix) * c + ch];
            acc = max ? Math.max(acc, v) : acc + v;
            n++;
          }
        out[(oy * pw.out + ox) * c + ch] = max ? acc : acc / n;
      }
  return { out, shape: [1, ph.out, pw.out, c] };
}

/**
 * A transposed convolution by scattering: every input pixel adds filter · value into the output window it maps to
 * (TFLite's TransposeConv: out[oy] += x[iy] · W[ky] where oy = iy·s + ky − pad_before), then the bias.
 * Filter [O,KH,KW,I] as TFLite stores it.
 */
function transposeConvRef(x: Float32Array, [h, w, ci]: number[], f: Float32Array, [co, kh, kw]: number[], bias: Float32Array, s: [number, number], same: boolean) {
  const oh = same ? h * s[0] : (h - 1) * s[0] + kh;
  const ow = same ? w * s[1] : (w - 1) * s[1] + kw;
  const padT = Math.floor(Math.max((h - 1) * s[0] + kh - oh, 0) / 2);
  const padL = Math.floor(Math.max((w - 1) * s[1] + kw - ow, 0) / 2);
  const out = new Float32Array(oh * ow * co);
  for (let y = 0; y < oh; y++) for (let xx = 0; xx < ow; xx++) for (let o = 0; o < co; o++) out[(y * ow + xx) * co + o] = bias[o];
  for (let iy = 0; iy < h; iy++)
    for (let ix = 0; ix < w; ix++)
      for (let ky = 0; ky < kh; ky++)
        for (let kx = 0; kx < kw; kx++) {
          const oy = iy * s[0] + ky - padT;
          const ox = ix * s[1] + kx - padL;
          if (oy < 0 || ox < 0 || oy >= oh || ox >= ow) continue;
          for (let o = 0; o < co; o++) {
            let acc = 0;
            for (let i = 0; i < ci; i++) acc += x[(iy * w + ix) * ci + i] * f[((o * kh + ky) * kw + kx) * ci + i];
            out[(oy * ow + ox) * co + o] += acc;
          }
        }
  return { out, shape: [1, oh, ow, co] };
}

const transposeOptions = (padding: number, sw: number, sh: number) => new Uint8Array(Int32Array.from([padding, sw, sh]).buffer);

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
});

describe('converter ops for the mask models, against plain-JS references', () => {
  it('HARD_SWISH is x · relu6(x + 3) / 6', async () => {
    const shape = [1, 4, 5, 3];
    const x = values(size(shape), 1, 5);
    const r = await run([{ name: 'x', shape }, { name: 'y', shape }], [{ code: OP.HARD_SWISH, inputs: [0], outputs: [1] }], x);
    const want = x.map((v) => (v * Math.min(Math.max(v + 3, 0), 6)) / 6);
    expect(r.shape).toEqual(shape);
    expect(maxDiff(r.out, want)).toBeLessThanOrEqual(1e-6);
    expect(Math.min(...x)).toBeLessThan(-3); // both flat ends and the curve are exercised
    expect(Math.max(...x)).toBeGreaterThan(3);
  });

  for (const [label, k, s, same, max, act] of [
    ['AVERAGE_POOL_2D 3×3 stride 2 SAME (padding not counted)', [3, 3], [2, 2], true, false, 0],
    ['AVERAGE_POOL_2D 2×3 stride 2×1 VALID with fused RELU', [2, 3], [2, 1], false, false, 1],
    ['MAX_POOL_2D 2×2 stride 2 VALID', [2, 2], [2, 2], false, true, 0],
    ['MAX_POOL_2D 3×3 stride 2 SAME', [3, 3], [2, 2], true, true, 0],
  ] as const) {
    it(label, async () => {
      const shape = [1, 7, 6, 4];
      const x = values(size(shape), 2);
      const ref = poolRef(x, shape.slice(1), [k[0], k[1]], [s[0], s[1]], same, max);
      const want = act === 1 ? ref.out.map((v) => Math.max(v, 0)) : ref.out;
      const options = { type: OPTIONS.Pool2DOptions, fields: [int8(0, same ? 0 : 1), int32(1, s[1]), int32(2, s[0]), int32(3, k[1]), int32(4, k[0]), int8(5, act)] };
      const r = await run([{ name: 'x', shape }, { name: 'y', shape: ref.shape }], [{ code: max ? OP.MAX_POOL_2D : OP.AVERAGE_POOL_2D, inputs: [0], outputs: [1], options }], x);
      expect(r.shape).toEqual(ref.shape);
      expect(maxDiff(r.out, want)).toBeLessThanOrEqual(1e-6);
      expect(r.ops).toContain(max ? 'MaxPool' : 'AvgPool');
    });
  }

  it('AVERAGE_POOL_2D over the whole picture becomes a Mean over height and width', async () => {
    const shape = [1, 6, 5, 8];
    const x = values(size(shape), 3);
    const ref = poolRef(x, shape.slice(1), [6, 5], [6, 5], false, false);
    const options = { type: OPTIONS.Pool2DOptions, fields: [int8(0, 1), int32(1, 5), int32(2, 6), int32(3, 5), int32(4, 6), int8(5, 0)] };
    const r = await run([{ name: 'x', shape }, { name: 'y', shape: [1, 1, 1, 8] }], [{ code: OP.AVERAGE_POOL_2D, inputs: [0], outputs: [1], options }], x);
    expect(r.shape).toEqual([1, 1, 1, 8]);
    expect(maxDiff(r.out, ref.out)).toBeLessThanOrEqual(1e-6);
    expect(r.ops).toContain('Mean');
    expect(r.ops).not.toContain('AvgPool');
  });

  it('RESHAPE to a constant shape keeps the values in order (row-major)', async () => {
    const shape = [1, 4, 4, 6];
    const x = values(size(shape), 4);
    const r = await run(
      [{ name: 'x', shape }, { name: 'new_shape', shape: [3], data: Int32Array.from([1, 48, 2]) }, { name: 'y', shape: [1, 48, 2] }],
      [{ code: OP.RESHAPE, inputs: [0, 1], outputs: [2] }],
      x,
    );
    expect(r.shape).toEqual([1, 48, 2]);
    expect(maxDiff(r.out, x)).toBe(0);
  });

  it('CONCATENATION along axis 1, and along axis −1 with fused RELU', async () => {
    const shape = [1, 3, 4];
    const x = values(size(shape), 5);
    const c1 = values(2 * 4, 6);
    const r1 = await run(
      [{ name: 'x', shape }, { name: 'c', shape: [1, 2, 4], data: c1 }, { name: 'y', shape: [1, 5, 4] }],
      [{ code: OP.CONCATENATION, inputs: [0, 1], outputs: [2], options: { type: OPTIONS.ConcatenationOptions, fields: [int32(0, 1)] } }],
      x,
    );
    expect(r1.shape).toEqual([1, 5, 4]);
    expect(maxDiff(r1.out, [...x, ...c1])).toBe(0);

    const c2 = values(3 * 2, 7);
    const want: number[] = [];
    for (let row = 0; row < 3; row++) want.push(...x.slice(row * 4, row * 4 + 4), ...c2.slice(row * 2, row * 2 + 2));
    const r2 = await run(
      [{ name: 'x', shape }, { name: 'c', shape: [1, 3, 2], data: c2 }, { name: 'y', shape: [1, 3, 6] }],
      [{ code: OP.CONCATENATION, inputs: [0, 1], outputs: [2], options: { type: OPTIONS.ConcatenationOptions, fields: [int32(0, -1), int8(1, 1)] } }],
      x,
    );
    expect(r2.shape).toEqual([1, 3, 6]);
    expect(maxDiff(r2.out, want.map((v) => Math.max(v, 0)))).toBe(0);
  });

  for (const [label, k, s, same] of [
    ['2×2 stride 2 SAME (the selfie model\'s last layer)', [2, 2], [2, 2], true],
    ['3×3 stride 2 VALID', [3, 3], [2, 2], false],
    ['3×3 stride 1 SAME', [3, 3], [1, 1], true],
  ] as const) {
    it(`CUSTOM Convolution2DTransposeBias ${label}: a transposed convolution plus a bias, options read from the op`, async () => {
      const shape = [1, 5, 6, 4];
      const co = 3;
      const x = values(size(shape), 8);
      const f = values(co * k[0] * k[1] * 4, 9);
      const bias = values(co, 10);
      const ref = transposeConvRef(x, shape.slice(1), f, [co, k[0], k[1]], bias, [s[0], s[1]], same);
      const r = await run(
        [
          { name: 'x', shape },
          { name: 'filter', shape: [co, k[0], k[1], 4], data: f },
          { name: 'bias', shape: [co], data: bias },
          { name: 'y', shape: ref.shape },
        ],
        [{ code: OP.CUSTOM, custom: 'Convolution2DTransposeBias', inputs: [0, 1, 2], outputs: [3], customOptions: transposeOptions(same ? 1 : 2, s[1], s[0]) }],
        x,
      );
      expect(r.shape).toEqual(ref.shape);
      expect(maxDiff(r.out, ref.out)).toBeLessThanOrEqual(1e-5);
    });
  }

  it('refuses a transposed convolution in a model of any input size, and one without its options', () => {
    const tensors = [
      { name: 'image', shape: [1, 8, 8, 3] },
      { name: 'filter', shape: [100, 2, 2, 3], data: values(1200, 11) },
      { name: 'up', shape: [1, 16, 16, 100] },
      { name: 'axes', shape: [2], data: Int32Array.from([1, 2]) },
      { name: 'vector', shape: [1, 1, 1, 100] },
    ];
    const mean = { code: 40, inputs: [2, 3], outputs: [4], options: { type: 27, fields: [int8(0, 1)] } };
    const dynamic = tfliteModel(tensors, [{ code: OP.CUSTOM, custom: 'Convolution2DTransposeBias', inputs: [0, 1, -1], outputs: [2], customOptions: transposeOptions(1, 2, 2) }, mean], [0], [4]);
    expect(() => convertTflite(dynamic, 'dynamic.tflite')).toThrow(ConvertError);
    expect(() => convertTflite(dynamic, 'dynamic.tflite')).toThrow(/Convolution2DTransposeBias" \(output "up"\): a transposed convolution needs a model with fixed-size inputs/);
    const bare = tfliteModel(tensors, [{ code: OP.CUSTOM, custom: 'Convolution2DTransposeBias', inputs: [0, 1, -1], outputs: [2] }, mean], [0], [4]);
    expect(() => convertTflite(bare, 'bare.tflite')).toThrow(/its options \(padding, stride width, stride height\) are missing/);
  });
});

describe('the MediaPipe models from the npm packages', () => {
  const ROOT = new URL('../..', import.meta.url).pathname;
  const manifest = JSON.parse(readFileSync(join(ROOT, 'public/models/manifest.json'), 'utf8')) as Manifest;
  for (const a of manifest.assets.filter((x) => x.kind === 'mask model source')) {
    it(`${a.name} converts as the role of ${a.builds}/, with that role's input size, and runs`, async () => {
      const { role, files } = convertTflite(readFileSync(join(ROOT, 'node_modules', a.npm!.package, a.npm!.file)), a.name);
      expect(ROLES[role].dir).toBe(a.builds);
      const input = imageInput(role);
      const model = await loadGraphModel(files);
      expect(model.inputs.map((i) => [i.name, i.shape])).toEqual([[input.name, [-1, input.size![0], input.size![1], 3]]]);
      const x = tf.zeros([1, input.size![0], input.size![1], 3]);
      const outs = [model.execute({ [input.name]: x }, ROLES[role].outputs.map((o) => o.name))].flat() as tf.Tensor[];
      expect(outs.map((o) => o.shape)).toEqual(ROLES[role].outputs.map((o) => o.shape));
      tf.dispose([x, ...outs]);
      model.dispose();
    });
  }
});
