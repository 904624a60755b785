import * as tf from '@tensorflow/tfjs';
import { ROLE_DIRS } from '../../convert/signature.ts';
import { loadRoleGraph } from '../models/load.ts';
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

/** Loads one graph after checking its model.json has the inputs and outputs of `role`. */
const loadGraph = (dir: string, role: StyleRole, hint: string): Promise<tf.GraphModel> =>
  loadRoleGraph(`${dir}/${ROLE_DIRS[role]}/model.json`, role, `style ${role}`, hint);

/**
 * Magenta's arbitrary-style network: a predictor (style image → 100-d vector) and a transformer
 * (content image + vector → stylised image). Owns both graphs and the preset vectors.
 */
export class StyleModel {
  readonly #predictor: tf.GraphModel;
  readonly #transformer: tf.GraphModel;
  /** Preset image files, and their precomputed vectors when they belong to this predictor (the bundled one). */
  readonly #presets: Map<string, { file: string; vector: Float32Array | null }>;
  readonly #baseUrl: string;

  private constructor(predictor: tf.GraphModel, transformer: tf.GraphModel, presets: PresetFile, baseUrl: string, precomputed: boolean) {
    this.#predictor = predictor;
    this.#transformer = transformer;
    this.#baseUrl = baseUrl;
    this.#presets = new Map(
      Object.entries(presets.presets).map(([name, p]) => [name, { file: p.file, vector: precomputed ? Float32Array.from(p.bottleneck_tfjs) : null }]),
    );
  }

  static async load(location: ModelLocation = {}): Promise<StyleModel> {
    const root = `${(location.modelsUrl ?? '/models').replace(/\/$/, '')}/${MODEL_DIR}`;
    const dir = location.modelDir?.replace(/\/$/, '') ?? root;
    const hint = location.modelDir ? 'Check the model directory (see "stylecast convert").' : 'Run "npm run setup" to install it.';
    const loads = await Promise.allSettled([
      loadGraph(dir, 'predictor', hint),
      loadGraph(dir, 'transformer', hint),
      fetch(`${root}/styles/bottlenecks.json`).then(async (r) => {
        if (!r.ok) throw new StylecastError('MODEL_LOAD_FAILED', `Could not load ${r.url} (HTTP ${r.status}). Run "npm run setup".`);
        return (await r.json()) as PresetFile;
      }),
    ] as const);
    const [predictor, transformer, presets] = loads;
    if (predictor.status === 'fulfilled' && transformer.status === 'fulfilled' && presets.status === 'fulfilled') {
      return new StyleModel(predictor.value, transformer.value, presets.value, root, location.modelDir === undefined);
    }
    // Whichever failed first in this order (not in time), so the same broken directory always gives the same error.
    for (const r of loads) if (r.status === 'fulfilled' && 'dispose' in r.value) r.value.dispose();
    throw loads.map((r) => (r.status === 'rejected' ? (r.reason as unknown) : null)).find((e) => e !== null);
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
   * Returns a new tensor owned by the caller.
   */
  predict(image: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [, h, w] = image.shape;
      const scale = STYLE_SIZE / Math.min(h, w);
      const rh = Math.max(STYLE_SIZE, Math.round(h * scale));
      const rw = Math.max(STYLE_SIZE, Math.round(w * scale));
      const resized = tf.image.resizeBilinear(image, [rh, rw], true);
      const top = Math.floor((rh - STYLE_SIZE) / 2);
      const left = Math.floor((rw - STYLE_SIZE) / 2);
      const crop = tf.slice(resized, [0, top, left, 0], [1, STYLE_SIZE, STYLE_SIZE, 3]);
      return this.#predictor.execute({ style_image: crop }, 'style_bottleneck') as tf.Tensor4D;
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
    this.#predictor.dispose();
    this.#transformer.dispose();
  }
}

/** `a·w + b·(1−w)` for two [1,1,1,100] vectors (strength and style mixing are both this). */
export function blendVectors(a: tf.Tensor4D, b: tf.Tensor4D, weight: number): tf.Tensor4D {
  if (!(weight >= 0 && weight <= 1)) throw invalidArgument(`Blend weight must be between 0 and 1, got ${weight}.`);
  return tf.tidy(() => tf.add(tf.mul(a, weight), tf.mul(b, 1 - weight)) as tf.Tensor4D);
}
