// The converted tfjs transformer against the original TFLite outputs (reference/expected.json), on tfjs-wasm in Node.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const SHARED = resolve(import.meta.dirname, '../../../shared/models/magenta-arbitrary-style-mobile');
const INSTALLED = resolve(import.meta.dirname, '../../public/models/magenta-arbitrary-style-mobile');

interface Case {
  content_png: string;
  style_png: string;
  bottleneck_tflite_int8: number[];
  expected_png: string;
}

/** RGB bytes of a PNG through ffmpeg (no image library needed), as [1,H,W,3] in [0,1]. */
function png(path: string): tf.Tensor4D {
  const probe = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', path]).toString().trim();
  const [w, h] = probe.split(',').map(Number);
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 64 << 20 });
  return tf.tidy(() => tf.div(tf.tensor4d(new Uint8Array(raw), [1, h, w, 3], 'int32').toFloat(), 255) as tf.Tensor4D);
}

async function loadGraph(dir: string): Promise<tf.GraphModel> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const buffers = json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map((p) => readFileSync(join(dir, p))));
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const weightSpecs = json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights);
  return tf.loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData, format: json.format }));
}

const cosine = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) (ab += a[i] * b[i]), (aa += a[i] * a[i]), (bb += b[i] * b[i]);
  return ab / Math.sqrt(aa * bb);
};

describe('magenta model on tfjs-wasm (Node) against the original TFLite', () => {
  const expected = JSON.parse(readFileSync(join(SHARED, 'reference/expected.json'), 'utf8')) as { cases: Case[] };
  let transformer: tf.GraphModel;
  let predictor: tf.GraphModel;

  beforeAll(async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    transformer = await loadGraph(join(INSTALLED, 'style-transformer'));
    predictor = await loadGraph(join(INSTALLED, 'style-predictor'));
  });

  it('has reference cases', () => expect(expected.cases.length).toBeGreaterThanOrEqual(3));

  for (const [i, name] of ['starry_night', 'great_wave_off_kanagawa', 'composition_vii'].entries()) {
    it(`transformer output for ${name} is within 2/255 of the TFLite output`, async () => {
      const c = expected.cases.find((x) => x.style_png.includes(name)) ?? expected.cases[i];
      const content = png(join(SHARED, 'reference', c.content_png));
      const want = png(join(SHARED, 'reference', c.expected_png));
      const b = tf.tensor4d(c.bottleneck_tflite_int8, [1, 1, 1, 100]);
      const got = transformer.execute({ content_image: content, style_bottleneck: b }, 'stylized_image') as tf.Tensor4D;
      expect(got.shape).toEqual(want.shape);
      const maxAbs = (await tf.max(tf.abs(tf.sub(tf.round(tf.mul(got, 255)), tf.round(tf.mul(want, 255))))).data())[0] / 255;
      expect(maxAbs).toBeLessThanOrEqual(2 / 255);
      tf.dispose([content, want, b, got]);
    });
  }

  it('predictor gives the TFLite style vector (cosine ≥ 0.999)', async () => {
    const c = expected.cases.find((x) => x.style_png.includes('starry_night'))!;
    const style = png(join(SHARED, 'reference', c.style_png));
    const v = predictor.execute({ style_image: style }, 'style_bottleneck') as tf.Tensor;
    expect(v.shape).toEqual([1, 1, 1, 100]);
    expect(cosine(await v.data(), c.bottleneck_tflite_int8)).toBeGreaterThanOrEqual(0.999);
    tf.dispose([style, v]);
  });
});
