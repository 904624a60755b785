// The mask models in real Chromium: our conversions against the original .tflite files run by LiteRT.js (the
// reference runtime, test-only), the person mask against a hand-labelled person, face recall against hand-labelled
// faces in a crowd, WebGPU against wasm at a small size, and no tensor left behind.
import { loadAndCompile, loadLiteRt, Tensor as LiteTensor, type CompiledModel } from '@litertjs/core';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { MaskModels, type Face } from '../../src/engine/masks/index.ts';
import { ROLES, type MaskRole } from '../../src/engine/models/roles.ts';
import labels from '../fixtures/mask-labels.json';

const MASKS = '/models/mediapipe-masks';
const TFLITE: Record<MaskRole, string> = {
  person: '/node_modules/@mediapipe/selfie_segmentation/selfie_segmentation.tflite',
  'person-landscape': '/node_modules/@mediapipe/selfie_segmentation/selfie_segmentation_landscape.tflite',
  'face-short': '/node_modules/@mediapipe/face_detection/face_detection_short_range.tflite',
  'face-full': '/node_modules/@mediapipe/face_detection/face_detection_full_range.tflite',
};

type Box = [number, number, number, number];

async function photo(file: string): Promise<tf.Tensor3D> {
  const img = await createImageBitmap(await (await fetch(`${inject('sharedMedia')}/photos/${file}`)).blob());
  const t = tf.tidy(() => tf.div(tf.browser.fromPixels(img).toFloat(), 255) as tf.Tensor3D);
  img.close();
  return t;
}

const iou = (a: Box, b: Box) => {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
};

const pixels = (f: Face, [w, h]: number[]): Box => [f.box.x * w, f.box.y * h, (f.box.x + f.box.width) * w, (f.box.y + f.box.height) * h];

/** Waits until `done()` holds (checked every 50 ms), at most `ms`. */
async function until(done: () => boolean, ms: number): Promise<void> {
  for (const end = performance.now() + ms; !done() && performance.now() < end; ) await new Promise((r) => setTimeout(r, 50));
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

beforeAll(async () => {
  setWasmPaths('/wasm/');
  expect(await tf.setBackend('wasm')).toBe(true);
});

describe('converted mask models against the original .tflite files on LiteRT.js', () => {
  let lite: Record<string, CompiledModel> = {};
  beforeAll(async () => {
    await loadLiteRt('/node_modules/@litertjs/core/wasm/');
    for (const [role, url] of Object.entries(TFLITE)) lite[role] = await loadAndCompile(url, { accelerator: 'wasm' });
  });

  /** Both runtimes on the same input (the role's size and value range, from a real photo); outputs by our names. */
  async function both(role: MaskRole, file: string) {
    const spec = ROLES[role];
    const input = spec.inputs[0];
    if (input.kind !== 'image') throw new Error('image input expected');
    const image = await photo(file);
    const x = tf.tidy(() => {
      const fitted = tf.image.resizeBilinear(image.expandDims(0) as tf.Tensor4D, [input.size![0], input.size![1]], false, true);
      return tf.add(tf.mul(fitted, input.range[1] - input.range[0]), input.range[0]);
    });
    const values = (await x.data()) as Float32Array;
    const ours = await tf.loadGraphModel(`${MASKS}/${spec.dir}/model.json`);
    const outs = [ours.execute({ [input.name]: x }, spec.outputs.map((o) => o.name))].flat() as tf.Tensor[];
    const mine = await Promise.all(outs.map(async (t) => (await t.data()) as Float32Array));
    const inTensor = new LiteTensor(values, [1, input.size![0], input.size![1], 3]);
    const theirsT = await lite[role].run(inTensor);
    // LiteRT gives the TFLite outputs in the file's order; ours are matched to them by shape.
    const theirs = theirsT.map((t) => t.toTypedArray() as Float32Array);
    const details = lite[role].getOutputDetails();
    theirsT.forEach((t) => t.delete());
    inTensor.delete();
    tf.dispose([image, x, ...outs]);
    ours.dispose();
    return { mine, theirs, shapes: details.map((d) => Array.from(d.shape)) };
  }

  it('the person segmenter (MediaPipe\'s custom Convolution2DTransposeBias inside) matches on the person photo', async () => {
    const { mine, theirs, shapes } = await both('person', labels.person.photo);
    expect(shapes).toEqual([[1, 256, 256, 1]]);
    const d = maxAbs(mine[0], theirs[0]);
    console.log(`person segmenter: max |ours − LiteRT| = ${d.toExponential(2)} over ${mine[0].length} mask values`);
    expect(d).toBeLessThanOrEqual(2e-3);
    // and the mask is not trivially flat: both see a person and a background
    expect(Math.max(...theirs[0])).toBeGreaterThan(0.9);
    expect(Math.min(...theirs[0])).toBeLessThan(0.1);
  });

  it('the short-range face detector matches on the crowd photo (box regressors and score logits)', async () => {
    const { mine, theirs, shapes } = await both('face-short', labels.faces.photo);
    // TFLite outputs: regressors [1,896,16] then classificators [1,896,1]; ours in the role's order (the same).
    expect(shapes).toEqual([[1, 896, 16], [1, 896, 1]]);
    const dBoxes = maxAbs(mine[0], theirs[0]);
    const dScores = maxAbs(mine[1], theirs[1]);
    console.log(`face detector: max |ours − LiteRT| regressors ${dBoxes.toExponential(2)} (px of 128), logits ${dScores.toExponential(2)}`);
    expect(dBoxes).toBeLessThanOrEqual(2e-2);
    expect(dScores).toBeLessThanOrEqual(2e-2);
    expect(Math.max(...theirs[1])).toBeGreaterThan(0); // some anchor sees a face (logit > 0)
  });

  it('the landscape person segmenter and the full-range face detector match too', async () => {
    const person = await both('person-landscape', labels.person.photo);
    expect(person.shapes).toEqual([[1, 144, 256, 1]]);
    const faces = await both('face-full', labels.faces.photo);
    expect(faces.shapes).toEqual([[1, 2304, 16], [1, 2304, 1]]);
    const d = [maxAbs(person.mine[0], person.theirs[0]), maxAbs(faces.mine[0], faces.theirs[0]), maxAbs(faces.mine[1], faces.theirs[1])];
    console.log(`landscape mask ${d[0].toExponential(2)}; full-range regressors ${d[1].toExponential(2)}, logits ${d[2].toExponential(2)}`);
    expect(d[0]).toBeLessThanOrEqual(2e-3);
    expect(d[1]).toBeLessThanOrEqual(2e-2);
    expect(d[2]).toBeLessThanOrEqual(2e-2);
  });
});

describe('masks on real photos (tfjs-wasm)', () => {
  let masks: MaskModels;
  beforeAll(async () => {
    masks = await MaskModels.load();
  });

  it('the person mask covers the hand-labelled person and nothing else', async () => {
    const image = await photo(labels.person.photo);
    const mask = masks.personMask(image);
    const [h, w] = labels.person.size;
    expect(mask.shape).toEqual([h, w, 1]);
    const m = await mask.data();
    let [x0, y0, x1, y1, n, inBox] = [w, h, 0, 0, 0, 0];
    const [bx0, by0, bx1, by1] = labels.person.box;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        if (m[y * w + x] <= 0.5) continue;
        n++;
        [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x + 1), Math.max(y1, y + 1)];
        if (x >= bx0 && x < bx1 && y >= by0 && y < by1) inBox++;
      }
    const boxIou = iou([x0, y0, x1, y1], labels.person.box as Box);
    console.log(`person: mask bbox [${x0},${y0},${x1},${y1}] vs hand box [${labels.person.box}]: IoU ${boxIou.toFixed(3)}; ${((100 * inBox) / n).toFixed(1)} % of ${n} mask pixels inside it`);
    expect(boxIou).toBeGreaterThanOrEqual(0.85);
    expect(inBox / n).toBeGreaterThanOrEqual(0.97);
    for (const [x, y] of labels.person.inside) expect(m[y * w + x], `inside ${x},${y}`).toBeGreaterThan(0.5);
    for (const [x, y] of labels.person.outside) expect(m[y * w + x], `outside ${x},${y}`).toBeLessThan(0.5);
    tf.dispose([image, mask]);
  });

  it('finds ≥ 90 % of the hand-labelled faces in the crowd (short-range, tiles 4), with keypoints inside them', async () => {
    const image = await photo(labels.faces.photo);
    const faces = await masks.detectFaces(image, { tiles: 4 });
    image.dispose();
    const size = labels.faces.size;
    const boxes = faces.map((f) => pixels(f, size));
    const required = labels.faces.boxes.filter((l) => !('partial' in l && l.partial));
    const found = required.filter((l) => boxes.some((b) => iou(b, l.box as Box) >= 0.3));
    const unmatched = boxes.filter((b) => !labels.faces.boxes.some((l) => iou(b, l.box as Box) >= 0.3));
    console.log(`crowd: ${faces.length} faces, recall ${found.length}/${required.length}, ${unmatched.length} not matching any label; missed: ${required.filter((l) => !found.includes(l)).map((l) => l.who).join('; ')}`);
    expect(found.length / required.length).toBeGreaterThanOrEqual(0.9);
    expect(unmatched.length / faces.length).toBeLessThanOrEqual(0.2);
    for (const f of faces) {
      expect(f.keypoints).toHaveLength(6);
      expect(f.score).toBeGreaterThanOrEqual(0.5);
      expect(f.score).toBeLessThanOrEqual(1);
      // the eyes and the nose lie inside the face's own box (a little margin: BlazeFace boxes are tight)
      const [x0, y0, x1, y1] = pixels(f, size);
      const m = 0.15 * (x1 - x0);
      for (const k of f.keypoints.slice(0, 3)) {
        expect(k.x * size[0]).toBeGreaterThan(x0 - m);
        expect(k.x * size[0]).toBeLessThan(x1 + m);
        expect(k.y * size[1]).toBeGreaterThan(y0 - m);
        expect(k.y * size[1]).toBeLessThan(y1 + m);
      }
    }
  });

  it('one frame late: submitFaces starts one detection at a time and latestFaces gives its result', async () => {
    const image = await photo(labels.faces.photo);
    expect(masks.latestFaces()).toBeNull();
    expect(masks.submitFaces(image, 1, { tiles: 2 })).toBe(true);
    expect(masks.submitFaces(image, 2, { tiles: 2 })).toBe(false); // the first is still being read back
    image.dispose(); // the GPU work is queued: the input may go
    await expect.poll(() => masks.latestFaces()?.tag, { timeout: 60_000 }).toBe(1);
    expect(masks.latestFaces()!.faces.length).toBeGreaterThan(0);
  });

  it('refuses bad inputs with INVALID_ARGUMENT', async () => {
    const gray = tf.zeros([32, 32, 1]);
    expect(() => masks.personMask(gray as tf.Tensor3D)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    await expect(masks.detectFaces(gray as tf.Tensor3D)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const rgb = tf.zeros([32, 32, 3]);
    expect(() => masks.personMask(rgb as tf.Tensor3D, [0, 5])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    await expect(masks.detectFaces(rgb as tf.Tensor3D, { tiles: 99 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    tf.dispose([gray, rgb]);
  });

  it('a missing model directory is MODEL_LOAD_FAILED naming the file', async () => {
    await expect(MaskModels.load({ modelsUrl: '/nowhere' })).rejects.toMatchObject({
      code: 'MODEL_LOAD_FAILED',
      message: expect.stringMatching(/person segmenter from \/nowhere\/mediapipe-masks\/person-segmenter\/model\.json/),
    });
  });
});

describe('WebGPU and WebGL (SwiftShader here) against wasm, small inputs; no tensor left behind', () => {
  /** A 160×120 cut of the crowd around five faces (whole frame only, no tiles), and the person photo at 96². */
  async function inputs() {
    const crowd = await photo(labels.faces.photo);
    const person = await photo(labels.person.photo);
    const cut = tf.tidy(() => tf.image.resizeBilinear(tf.slice(crowd, [0, 640, 0], [300, 400, 3]), [120, 160], false, true));
    const small = tf.tidy(() => tf.image.resizeBilinear(person, [96, 96], false, true));
    tf.dispose([crowd, person]);
    return { cut, small };
  }

  async function run(backend: 'wasm' | 'webgpu' | 'webgl') {
    expect(await tf.setBackend(backend)).toBe(true);
    await tf.ready();
    const masks = await MaskModels.load();
    const { cut, small } = await inputs();
    const mask = masks.personMask(small, [48, 48]);
    const maskValues = Float32Array.from(await mask.data());
    mask.dispose();
    const faces = await masks.detectFaces(cut);
    // tensors come back to where they were once every read-back has arrived (the weights and anchors stay)
    const before = tf.memory().numTensors;
    masks.personMask(small).dispose();
    masks.submitFaces(cut, 1);
    await masks.detectFaces(cut);
    await until(() => masks.latestFaces() !== null && tf.memory().numTensors === before, 120_000);
    const after = tf.memory().numTensors;
    tf.dispose([cut, small]);
    masks.dispose();
    return { maskValues, faces, before, after };
  }

  let wasm: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    wasm = await run('wasm');
    console.log(`wasm: ${wasm.faces.length} faces, tensors ${wasm.before} → ${wasm.after}`);
  });

  // One test per backend, each within its own time limit (SwiftShader: about a minute each at load 30).
  for (const backend of ['webgpu', 'webgl'] as const) {
    it(`${backend}: the same mask and faces as wasm; tensors flat`, async () => {
      const r = await run(backend);
      await tf.setBackend('wasm');
      console.log(`${backend}: ${r.faces.length} faces, tensors ${r.before} → ${r.after}`);
      expect(wasm.faces.length).toBeGreaterThan(0);
      expect(wasm.after).toBe(wasm.before);
      expect(r.after).toBe(r.before); // every read-back arrived and nothing else was left
      expect(maxAbs(r.maskValues, wasm.maskValues)).toBeLessThanOrEqual(1e-2);
      expect(r.faces.length).toBe(wasm.faces.length);
      for (const [i, f] of wasm.faces.entries()) {
        const g = r.faces[i];
        expect(Math.abs(g.box.x - f.box.x) + Math.abs(g.box.y - f.box.y) + Math.abs(g.box.width - f.box.width)).toBeLessThan(0.01);
        expect(Math.abs(g.score - f.score)).toBeLessThan(0.01);
      }
    });
  }
});
