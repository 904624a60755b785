// The mask stage: MediaPipe's person segmenter and face detector (converted by set-up into
// public/models/mediapipe-masks/) on the active tfjs backend. The person mask stays a tensor (no readback); face
// detection reads back only its best candidates, asynchronously, and merges them on the CPU.
import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { loadRoleGraph } from '../models/load.ts';
import { StylecastError, invalidArgument } from '../errors.ts';
import { imageInput, MASK_SET, ROLES, type MaskRole } from '../models/roles.ts';
import { anchorCentres, candidatesToFaces, FACE_DETECTORS, weightedNms, type Face, type FaceDetectorParams } from './anchors.ts';

export type { Face, Point } from './anchors.ts';

export type FaceModel = 'short' | 'full';
export type PersonModel = 'general' | 'landscape';

export interface MaskModelOptions {
  /** Where set-up installed the models (`${modelsUrl}/mediapipe-masks/…`); default '/models'. */
  modelsUrl?: string;
  /** The face detector: BlazeFace short-range (128², the default: with tiles it found more faces in a crowd than full-range) or full-range (192²). */
  faceModel?: FaceModel;
  /** The person segmenter: MediaPipe's general (256²) or landscape (144×256) selfie model. */
  personModel?: PersonModel;
}

export interface DetectOptions {
  /**
   * Also run the detector on grids of overlapping square tiles, 2 to n along the longer side (besides the whole
   * frame), all in one batch, for small faces; default 0 (the whole frame only).
   */
  tiles?: number;
  /**
   * How many of the best-scoring anchors (over the whole frame and every tile) are read back, 17 floats each;
   * default 32 without tiles (2.2 KB), 64 × tiles with them (several anchors fire on each face, at every scale: the
   * 17-face crowd photo with tiles 4 found 7, 11, 15 and 16 faces with 32, 64, 128 and 256).
   */
  candidates?: number;
}

/** Region of the frame one detector input covers, as tf.image.cropAndResize's box: [y1, x1, y2, x2], where 0..1 spans pixel centres 0..H−1. */
type CropBox = [number, number, number, number];

const loadGraph = (base: string, role: MaskRole): Promise<GraphModel> =>
  loadRoleGraph(`${base}/${ROLES[role].dir}/model.json`, role, ROLES[role].title, 'Run "npm run setup" to install it.');

/** [1,H,W,3] view of an RGB [H,W,3] or [1,H,W,3] input (validated). */
function asBatch(input: tf.Tensor, what: string): tf.Tensor4D {
  const ok = (input.rank === 3 && input.shape[2] === 3) || (input.rank === 4 && input.shape[0] === 1 && input.shape[3] === 3);
  if (!ok || input.dtype !== 'float32') {
    throw invalidArgument(`${what} takes a float32 RGB tensor [H,W,3] or [1,H,W,3] with values in 0..1; got ${input.dtype} [${input.shape.join(',')}].`);
  }
  return (input.rank === 3 ? tf.expandDims(input, 0) : input) as tf.Tensor4D;
}

/**
 * Crop boxes: the whole frame letterboxed into a square, then for g = 2..tiles a grid of squares, g along the longer
 * side (as many as fit along the shorter), each overlapping its neighbours by about a quarter.
 */
function detectorRegions(h: number, w: number, tiles: number): CropBox[] {
  const box = (cy: number, cx: number, side: number): CropBox => {
    // Centre (pixels) and side (pixels) → cropAndResize box: pixel p ↔ p / (size − 1).
    const [dy, dx] = [(side - 1) / 2 / Math.max(h - 1, 1), (side - 1) / 2 / Math.max(w - 1, 1)];
    const [y, x] = [cy / Math.max(h - 1, 1), cx / Math.max(w - 1, 1)];
    return [y - dy, x - dx, y + dy, x + dx];
  };
  const out: CropBox[] = [box((h - 1) / 2, (w - 1) / 2, Math.max(h, w))];
  for (let g = 2; g <= tiles; g++) {
    // g tiles along the longer side, squares that overlap their neighbours by a quarter.
    const side = Math.max(h, w) / (g * 0.75 + 0.25);
    const along = (size: number) => {
      const n = Math.max(1, Math.ceil((size - side) / (side * 0.75)) + 1);
      return Array.from({ length: n }, (_, i) => (n === 1 ? (size - 1) / 2 : side / 2 - 0.5 + (i * (size - side)) / (n - 1)));
    };
    for (const cy of along(h)) for (const cx of along(w)) out.push(box(cy, cx, side));
  }
  return out;
}

/**
 * How a detector input's [0,1] maps onto the frame's [0,1] (pixel centres), per axis: frame = u·scale + offset.
 * Input sample i sits at u = (i + 0.5)/S and comes from frame pixel b0·(N−1) + i·(b1 − b0)·(N−1)/(S − 1).
 */
function axisMap(b0: number, b1: number, size: number, n: number): { scale: number; offset: number } {
  const step = ((b1 - b0) * (n - 1)) / (size - 1);
  return { scale: (size * step) / n, offset: (b0 * (n - 1) - 0.5 * step + 0.5) / n };
}

/** Per crop, the scale and offset of each of the 16 decoded values (centre x, y, width, height, 6 × keypoint x, y). */
function cropMaps(regions: CropBox[], size: number, h: number, w: number): { scale: number[]; offset: number[] } {
  const scale: number[] = [];
  const offset: number[] = [];
  for (const b of regions) {
    const x = axisMap(b[1], b[3], size, w);
    const y = axisMap(b[0], b[2], size, h);
    for (let v = 0; v < 16; v++) {
      const isX = v % 2 === 0;
      const m = isX ? x : y;
      scale.push(m.scale);
      offset.push(v === 2 || v === 3 ? 0 : m.offset); // width and height only scale
    }
  }
  return { scale, offset };
}

/** A face's box clipped to the frame. */
function clipped(f: Face): Face {
  const x0 = Math.max(0, f.box.x);
  const y0 = Math.max(0, f.box.y);
  const x1 = Math.min(1, f.box.x + f.box.width);
  const y1 = Math.min(1, f.box.y + f.box.height);
  return { ...f, box: { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) } };
}

/** MediaPipe's person segmenter and face detector as tfjs graph models, with their pre- and post-processing. */
export class MaskModels {
  readonly #person: GraphModel;
  readonly #face: GraphModel;
  readonly #personRole: MaskRole;
  readonly #faceRole: 'face-short' | 'face-full';
  readonly #params: FaceDetectorParams;
  readonly #anchors: tf.Tensor2D;
  /** 1 where a decoded value is a position (anchor offset added), 0 for width and height. */
  readonly #offsetMask: tf.Tensor1D;
  #inflight = false;
  #latest: { faces: Face[]; tag: number } | null = null;
  #disposed = false;

  private constructor(person: GraphModel, face: GraphModel, personRole: MaskRole, faceRole: 'face-short' | 'face-full') {
    this.#person = person;
    this.#face = face;
    this.#personRole = personRole;
    this.#faceRole = faceRole;
    this.#params = FACE_DETECTORS[faceRole];
    const centres = anchorCentres(this.#params);
    this.#anchors = tf.tensor2d(centres, [centres.length / 2, 2]);
    this.#offsetMask = tf.tensor1d([1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  }

  static async load(options: MaskModelOptions = {}): Promise<MaskModels> {
    const faceModel = options.faceModel ?? 'short';
    const personModel = options.personModel ?? 'general';
    if (faceModel !== 'short' && faceModel !== 'full') throw invalidArgument(`faceModel must be "short" or "full", not ${JSON.stringify(faceModel)}.`);
    if (personModel !== 'general' && personModel !== 'landscape') throw invalidArgument(`personModel must be "general" or "landscape", not ${JSON.stringify(personModel)}.`);
    const base = `${(options.modelsUrl ?? '/models').replace(/\/$/, '')}/${MASK_SET}`;
    const personRole: MaskRole = personModel === 'general' ? 'person' : 'person-landscape';
    const faceRole = faceModel === 'short' ? 'face-short' : 'face-full';
    const [person, face] = await Promise.allSettled([loadGraph(base, personRole), loadGraph(base, faceRole)]);
    if (person.status === 'fulfilled' && face.status === 'fulfilled') return new MaskModels(person.value, face.value, personRole, faceRole);
    for (const r of [person, face]) if (r.status === 'fulfilled') r.value.dispose();
    throw [person, face].find((r): r is PromiseRejectedResult => r.status === 'rejected')!.reason;
  }

  get faceModel(): FaceModel {
    return this.#faceRole === 'face-short' ? 'short' : 'full';
  }

  #alive(): void {
    if (this.#disposed) throw new StylecastError('INVALID_ARGUMENT', 'The mask models were disposed.');
  }

  /**
   * Person segmentation of `input` (float32 RGB [H,W,3] or [1,H,W,3] in 0..1, any size): the whole frame is
   * stretched to the model's size (256² or 144×256), and the mask comes back bilinearly resized to `size`
   * ([h, w], default the input's H×W) as a NEW tensor [h,w,1] in 0..1 (1 = person). No readback.
   */
  personMask(input: tf.Tensor3D | tf.Tensor4D, size?: [number, number]): tf.Tensor3D {
    this.#alive();
    if (size !== undefined && !(Array.isArray(size) && size.length === 2 && size.every((d) => Number.isInteger(d) && d > 0))) {
      throw invalidArgument(`personMask's size must be [height, width] in whole pixels, not ${JSON.stringify(size)}.`);
    }
    const spec = imageInput(this.#personRole);
    return tf.tidy(() => {
      const x = asBatch(input, 'personMask');
      const [, h, w] = x.shape;
      const fitted = tf.image.resizeBilinear(x, [spec.size![0], spec.size![1]], false, true);
      const [lo, hi] = spec.range;
      const normalised = lo === 0 && hi === 1 ? fitted : tf.add(tf.mul(fitted, hi - lo), lo);
      const mask = this.#person.execute({ [spec.name]: normalised }, ROLES[this.#personRole].outputs[0].name) as tf.Tensor4D;
      const out = tf.image.resizeBilinear(mask, size ?? [h, w], false, true);
      return tf.clipByValue(tf.squeeze(out, [0]), 0, 1) as tf.Tensor3D;
    });
  }

  /**
   * Queues the detector on the GPU (synchronously: `input` may be disposed once this returns) and returns the
   * tensor of the best K candidates over all crops, [K·17] (score, then box and keypoints in the frame's [0,1]).
   */
  #queue(input: tf.Tensor3D | tf.Tensor4D, options: DetectOptions): tf.Tensor {
    this.#alive();
    const tiles = options.tiles ?? 0;
    const k = options.candidates ?? (tiles ? 64 * tiles : 32);
    if (!Number.isInteger(tiles) || tiles < 0 || tiles > 8) throw invalidArgument(`tiles must be a whole number from 0 to 8, not ${JSON.stringify(tiles)}.`);
    if (!Number.isInteger(k) || k < 1) throw invalidArgument(`candidates must be a positive whole number, not ${JSON.stringify(k)}.`);
    const spec = imageInput(this.#faceRole);
    const s = this.#params.size;
    const x = asBatch(input, 'detectFaces');
    const [, h, w] = x.shape;
    const regions = detectorRegions(h, w, tiles);
    const candidates = tf.tidy(() => {
      // Letterbox (and tiles) in one op: outside the frame is black (0), which the range maps to −1.
      const crops = tf.image.cropAndResize(x, tf.tensor2d(regions.flat(), [regions.length, 4]), tf.zeros([regions.length], 'int32'), [s, s], 'bilinear', 0);
      const [lo, hi] = spec.range;
      const normalised = tf.add(tf.mul(crops, hi - lo), lo);
      const [regressors, logits] = this.#face.execute({ [spec.name]: normalised }, ROLES[this.#faceRole].outputs.map((o) => o.name)) as tf.Tensor3D[];
      const [t, n] = [regions.length, logits.shape[1]];
      const scores = tf.sigmoid(tf.clipByValue(tf.reshape(logits, [t * n]), -100, 100)) as tf.Tensor1D; // [T·N]
      // Every anchor of every crop decoded into the frame's [0,1] (cheap: T·N·16 values), then the best K overall.
      const anchors = tf.mul(tf.tile(this.#anchors, [1, 8]), this.#offsetMask); // [N,16]: x,y of the anchor, 0 for w,h
      const decoded = tf.add(tf.div(regressors, s), anchors); // [T,N,16] in the crop's [0,1]
      const maps = cropMaps(regions, s, h, w);
      const framed = tf.add(tf.mul(decoded, tf.tensor3d(maps.scale, [t, 1, 16])), tf.tensor3d(maps.offset, [t, 1, 16]));
      const top = tf.topk(scores, Math.min(k, t * n));
      const rows = tf.gather(tf.reshape(framed, [t * n, 16]), top.indices); // [K,16]
      return tf.reshape(tf.concat([tf.expandDims(top.values, 1), rows], 1), [-1]);
    });
    if (x !== input) x.dispose();
    return candidates;
  }

  #finish(c: ArrayLike<number>): Face[] {
    return weightedNms(candidatesToFaces(c, this.#params.minScore), this.#params.minSuppressionIou).map(clipped);
  }

  /**
   * Faces in `input` (float32 RGB [H,W,3] or [1,H,W,3] in 0..1), in the input's normalised [0,1] coordinates
   * (top-left origin), best first. The GPU work is queued before this returns: anchors decoded and mapped to the
   * frame on the GPU, and only the best `candidates` read back (`data()`, asynchronous; never a blocking read) to be
   * merged by weighted non-maximum suppression on the CPU.
   */
  async detectFaces(input: tf.Tensor3D | tf.Tensor4D, options: DetectOptions = {}): Promise<Face[]> {
    const candidates = this.#queue(input, options);
    try {
      return this.#finish(await candidates.data());
    } finally {
      candidates.dispose();
    }
  }

  /**
   * For the hot path: starts a detection on `input` unless one is still running (then returns false and does
   * nothing). Its result shows in `latestFaces()` when the read-back arrives, typically a frame later.
   */
  submitFaces(input: tf.Tensor3D | tf.Tensor4D, tag = 0, options: DetectOptions = {}): boolean {
    if (this.#inflight) return false;
    const candidates = this.#queue(input, options);
    this.#inflight = true;
    candidates
      .data()
      .then((c) => {
        if (!this.#disposed) this.#latest = { faces: this.#finish(c), tag };
      })
      .catch(() => {})
      .finally(() => {
        candidates.dispose();
        this.#inflight = false;
      });
    return true;
  }

  /** The most recent completed detection (null before the first); never waits. */
  latestFaces(): { faces: Face[]; tag: number } | null {
    return this.#latest;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#person.dispose();
    this.#face.dispose();
    tf.dispose([this.#anchors, this.#offsetMask]);
  }
}
