import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { ROLE_DIRS } from '../../convert/signature.ts';
import { fetchRoleGraph, graphFrom, type FetchedGraph } from '../models/load.ts';
import { BOTTLENECK_SIZE, ROLES, STYLE_SIZE, type StyleRole } from '../models/roles.ts';
import { StylecastError, invalidArgument } from '../errors.ts';
import { pixelsToInput } from './tensors.ts';

export const MODEL_DIR = ROLES.predictor.modelSet;
export { STYLE_SIZE };
export const BOTTLENECK_SHAPE: [number, number, number, number] = [1, 1, 1, BOTTLENECK_SIZE];

interface PresetFile {
  presets: Record<string, { file: string; bottleneck_tfjs: number[] }>;
}

export interface ModelLocation {
  /** Where set-up installed the bundled model and presets (`${modelsUrl}/magenta-arbitrary-style-mobile/`). */
  modelsUrl?: string;
  /**
   * A model directory of one's own (style-predictor/ and style-transformer/, e.g. made by `stylecast convert`).
   * The bundled presets then get their vectors from this directory's predictor.
   */
  modelDir?: string;
}

/** Fetches one graph's files after checking its model.json has the inputs and outputs of `role` (no tensors yet). */
const fetchGraph = (dir: string, role: StyleRole, hint: string, weights?: 'now' | 'later'): Promise<FetchedGraph> =>
  fetchRoleGraph(`${dir}/${ROLE_DIRS[role]}/model.json`, role, `style ${role}`, hint, { weights });

/**
 * The model's files on their way: started by `StyleModel.fetch` before the tfjs backend is up (nothing in them needs
 * it), made into graphs by `StyleModel.load` once it is.
 */
export interface ModelFiles {
  readonly location: ModelLocation;
  readonly predictor: Promise<FetchedGraph>;
  /** The predictor's files fetched again (after a failed download). */
  readonly refetchPredictor: () => Promise<FetchedGraph>;
  readonly transformer: Promise<FetchedGraph>;
  readonly presets: Promise<PresetFile>;
}

/**
 * Magenta's arbitrary-style network: a predictor (style image → 100-d vector) and a transformer
 * (content image + vector → stylised image). Owns both graphs and the preset vectors.
 *
 * The predictor (4.6 MB of weights against the transformer's 0.36 MB) is needed only for a style image of one's own,
 * a preset without a precomputed vector, strength below 1 and per-region strength: a preset at full strength — the
 * default, and every first frame of the app — never runs it. So `load` checks its model.json (a broken directory still
 * fails at the start, by name) and downloads its weights and makes its graph the first time something awaits
 * `predictorReady()`. Measured on the 2-core host `vm` (2026-12-02, tfjs-wasm, createStylizer's own StartupTimes): from
 * the backend being up to the model being loaded took 0.55–0.8 s (quiet, 5 runs) with both graphs fetched after the
 * backend started; with the files fetched from the start and the predictor left for later, 0.07–0.3 s (6 runs at
 * load 8–14); the first frame after navigation, alternated with the old tree, 0.56–0.91× (medians, 2 of 3 faster).
 */
export class StyleModel {
  #predictor: GraphModel | null = null;
  #predictorLoading: Promise<GraphModel> | null = null;
  /** The predictor's files as fetched with the rest; null once a failed download has been reported (fetched again). */
  #predictorFiles: FetchedGraph | null;
  readonly #refetchPredictor: () => Promise<FetchedGraph>;
  readonly #transformer: GraphModel;
  /** Preset image files, and their precomputed vectors when they belong to this predictor (the bundled one). */
  readonly #presets: Map<string, { file: string; vector: Float32Array | null }>;
  readonly #baseUrl: string;
  #disposed = false;

  private constructor(predictor: FetchedGraph, refetchPredictor: () => Promise<FetchedGraph>, transformer: GraphModel, presets: PresetFile, baseUrl: string, precomputed: boolean) {
    this.#predictorFiles = predictor;
    this.#refetchPredictor = refetchPredictor;
    this.#transformer = transformer;
    this.#baseUrl = baseUrl;
    this.#presets = new Map(
      Object.entries(presets.presets).map(([name, p]) => [name, { file: p.file, vector: precomputed ? Float32Array.from(p.bottleneck_tfjs) : null }]),
    );
  }

  static #root(location: ModelLocation): string {
    return `${(location.modelsUrl ?? '/models').replace(/\/$/, '')}/${MODEL_DIR}`;
  }

  /** Starts fetching the model's files (graphs and presets) now, without tensors: see ModelFiles. */
  static fetch(location: ModelLocation = {}): ModelFiles {
    const root = StyleModel.#root(location);
    const dir = location.modelDir?.replace(/\/$/, '') ?? root;
    const hint = location.modelDir ? 'Check the model directory (see "stylecast convert").' : 'Run "npm run setup" to install it.';
    const files: ModelFiles = {
      location,
      // Its 4.6 MB of weights only when its graph is first wanted (StyleModel.predictorReady): downloaded from the
      // start, they slowed tfjs-wasm's start beside them (the backend 1.0–1.5 s instead of 0.55–0.75 s, bench (f) at
      // eeb1286, load 2–6), which took back most of what fetching the model early had gained.
      predictor: fetchGraph(dir, 'predictor', hint, 'later'),
      refetchPredictor: () => fetchGraph(dir, 'predictor', hint, 'later'),
      transformer: fetchGraph(dir, 'transformer', hint),
      presets: fetch(`${root}/styles/bottlenecks.json`).then(async (r) => {
        if (!r.ok) throw new StylecastError('MODEL_LOAD_FAILED', `Could not load ${r.url} (HTTP ${r.status}). Run "npm run setup".`);
        return (await r.json()) as PresetFile;
      }),
    };
    // Each is awaited by load (or its failure reported there): not an unhandled rejection meanwhile.
    for (const p of [files.predictor, files.transformer, files.presets]) p.catch(() => {});
    return files;
  }

  /**
   * The model from `files` (default: fetched now) on the current backend: both graphs, or with `predictor:
   * 'on-demand'` (the engine's) the transformer now and the predictor when first awaited (see the class comment).
   */
  static async load(location: ModelLocation = {}, files: ModelFiles = StyleModel.fetch(location), options: { predictor?: 'now' | 'on-demand' } = {}): Promise<StyleModel> {
    const loads = await Promise.allSettled([files.predictor, files.transformer.then(graphFrom), files.presets] as const);
    const [predictor, transformer, presets] = loads;
    if (predictor.status === 'fulfilled' && transformer.status === 'fulfilled' && presets.status === 'fulfilled') {
      const model = new StyleModel(predictor.value, files.refetchPredictor, transformer.value, presets.value, StyleModel.#root(files.location), files.location.modelDir === undefined);
      if (options.predictor === 'on-demand') return model;
      try {
        await model.predictorReady();
      } catch (e) {
        model.dispose();
        throw e;
      }
      return model;
    }
    // Whichever failed first in this order (not in time), so the same broken directory always gives the same error.
    if (transformer.status === 'fulfilled') transformer.value.dispose();
    throw loads.map((r) => (r.status === 'rejected' ? (r.reason as unknown) : null)).find((e) => e !== null);
  }

  /** Whether the predictor's graph is made (`predict` may run). */
  get predictorLoaded(): boolean {
    return this.#predictor !== null;
  }

  /**
   * Resolves once the predictor's graph is made (its weights downloaded and on the backend); rejects with the
   * model's MODEL_LOAD_FAILED when they cannot be, and a call after that downloads them again. Made on the first call.
   */
  predictorReady(): Promise<void> {
    const files = this.#predictorFiles;
    this.#predictorLoading ??= (files ? Promise.resolve(files) : this.#refetchPredictor())
      .then(graphFrom)
      .then(
        (graph) => {
          if (this.#disposed) graph.dispose();
          else this.#predictor = graph;
          return graph;
        },
        (e: unknown) => {
          // Reported to this caller; the next one downloads the files again (a dropped connection need not be final).
          this.#predictorFiles = null;
          this.#predictorLoading = null;
          throw e;
        },
      );
    return this.#predictorLoading.then(() => {});
  }

  get presetNames(): string[] {
    return [...this.#presets.keys()].sort();
  }

  presetImageUrl(name: string): string {
    return `${this.#baseUrl}/${this.#preset(name).file}`;
  }

  #preset(name: string) {
    const p = this.#presets.get(name);
    if (!p) throw new StylecastError('UNKNOWN_STYLE', `Unknown style preset "${name}". Presets: ${this.presetNames.join(', ')}.`);
    return p;
  }

  /** The vector of a preset (precomputed, or by this predictor from its image), a new tensor owned by the caller. */
  async presetVector(name: string): Promise<tf.Tensor4D> {
    const { vector } = this.#preset(name);
    if (vector) return tf.tensor4d(vector, BOTTLENECK_SHAPE);
    await this.predictorReady();
    const r = await fetch(this.presetImageUrl(name));
    if (!r.ok) throw new StylecastError('MODEL_LOAD_FAILED', `Could not load the preset image ${r.url} (HTTP ${r.status}). Run "npm run setup".`);
    const bitmap = await createImageBitmap(await r.blob());
    try {
      return tf.tidy(() => this.predict(pixelsToInput(bitmap)));
    } finally {
      bitmap.close();
    }
  }

  /**
   * Style vector of an image: shorter side scaled to 256, centre crop, predictor. `image` is [1,H,W,3] in [0,1].
   * Returns a new tensor owned by the caller. Only once `predictorReady()` has resolved.
   */
  predict(image: tf.Tensor4D): tf.Tensor4D {
    const predictor = this.#predictor;
    if (!predictor) throw new Error('StyleModel.predict before predictorReady() resolved'); // a bug of ours, not the user's
    return tf.tidy(() => {
      const [, h, w] = image.shape;
      const scale = STYLE_SIZE / Math.min(h, w);
      const rh = Math.max(STYLE_SIZE, Math.round(h * scale));
      const rw = Math.max(STYLE_SIZE, Math.round(w * scale));
      const resized = tf.image.resizeBilinear(image, [rh, rw], true);
      const top = Math.floor((rh - STYLE_SIZE) / 2);
      const left = Math.floor((rw - STYLE_SIZE) / 2);
      const crop = tf.slice(resized, [0, top, left, 0], [1, STYLE_SIZE, STYLE_SIZE, 3]);
      return predictor.execute({ style_image: crop }, 'style_bottleneck') as tf.Tensor4D;
    });
  }

  /** Stylises `content` ([1,H,W,3] in [0,1]) with `bottleneck`; returns [1,4⌈H/4⌉,4⌈W/4⌉,3] owned by the caller. */
  transform(content: tf.Tensor4D, bottleneck: tf.Tensor4D): tf.Tensor4D {
    return this.#transformer.execute({ content_image: content, style_bottleneck: bottleneck }, 'stylized_image') as tf.Tensor4D;
  }

  /**
   * WebGPU: compiles every shader the transformer needs at width×height, in parallel and without running it, so the
   * first real frame does not wait for one compile after another. Nothing to do on the other backends.
   */
  async compile(width: number, height: number, bottleneck: tf.Tensor4D): Promise<void> {
    if (tf.getBackend() !== 'webgpu') return;
    const env = tf.env();
    env.set('WEBGPU_ENGINE_COMPILE_ONLY', true);
    try {
      tf.tidy(() => void this.transform(tf.zeros([1, height, width, 3]) as tf.Tensor4D, bottleneck));
    } finally {
      env.set('WEBGPU_ENGINE_COMPILE_ONLY', false);
    }
    await (tf.backend() as unknown as { checkCompileCompletionAsync(): Promise<void> }).checkCompileCompletionAsync();
  }

  dispose(): void {
    this.#disposed = true;
    this.#predictor?.dispose();
    this.#predictor = null;
    this.#transformer.dispose();
  }
}

/** `a·w + b·(1−w)` for two [1,1,1,100] vectors (strength and style mixing are both this). */
export function blendVectors(a: tf.Tensor4D, b: tf.Tensor4D, weight: number): tf.Tensor4D {
  if (!(weight >= 0 && weight <= 1)) throw invalidArgument(`Blend weight must be between 0 and 1, got ${weight}.`);
  return tf.tidy(() => tf.add(tf.mul(a, weight), tf.mul(b, 1 - weight)) as tf.Tensor4D);
}
