import * as tf from '@tensorflow/tfjs';
import { FrameImporter, type NormRect } from '../gpu/frame-import.ts';
import { Canvas2DSink, GpuCanvasSink } from '../sinks/canvas.ts';
import type { BackendChoice } from './backend.ts';
import { STYLE_SIZE, type StyleModel } from './model.ts';

export interface FrameGeometry {
  /** Output (display) size. */
  width: number;
  height: number;
  /** Network input size, multiples of 4. */
  inferWidth: number;
  inferHeight: number;
}

/**
 * The per-frame hot path for one output size: frame in, stylised pixels on `canvas`. One implementation per
 * kind of backend; both keep exactly one owner for every tensor and GPU resource they make.
 */
export interface FrameStylizer {
  readonly canvas: OffscreenCanvas;
  readonly geometry: FrameGeometry;
  /** Style vector of the frame's content (centre crop), for strength < 1. Owned by the caller. */
  contentVector(frame: VideoFrame): tf.Tensor4D;
  /** Stylises `frame` with `bottleneck` onto `canvas`. Does not close the frame. */
  render(frame: VideoFrame, bottleneck: tf.Tensor4D): Promise<void>;
  dispose(): void;
}

/** Short side → inference size: `size` rounded to a multiple of 4, never above the frame's own short side. */
export function inferenceGeometry(width: number, height: number, size: number): FrameGeometry {
  const short = Math.min(width, height);
  const target = Math.max(16, Math.round(Math.min(size, Math.max(short, 16)) / 4) * 4);
  const scale = target / short;
  const r4 = (v: number) => Math.max(16, Math.round((v * scale) / 4) * 4);
  return { width, height, inferWidth: r4(width), inferHeight: r4(height) };
}

function centreCrop(width: number, height: number): NormRect {
  const s = Math.min(width, height);
  return { x: (width - s) / 2 / width, y: (height - s) / 2 / height, width: s / width, height: s / height };
}

export function createFrameStylizer(backend: BackendChoice, model: StyleModel, geometry: FrameGeometry): FrameStylizer {
  return backend.device ? new GpuFrameStylizer(backend.device, model, geometry) : new CpuFrameStylizer(model, geometry);
}

/** WebGPU: VideoFrame → WGSL import → tensor on the same buffer → transformer → WGSL present. No readback. */
class GpuFrameStylizer implements FrameStylizer {
  readonly geometry: FrameGeometry;
  readonly #model: StyleModel;
  readonly #importer: FrameImporter;
  readonly #sink: GpuCanvasSink;

  constructor(device: GPUDevice, model: StyleModel, geometry: FrameGeometry) {
    this.geometry = geometry;
    this.#model = model;
    this.#importer = new FrameImporter(device);
    this.#sink = new GpuCanvasSink(device, geometry.width, geometry.height);
  }

  get canvas(): OffscreenCanvas {
    return this.#sink.canvas;
  }

  #tensor(buffer: GPUBuffer, width: number, height: number): tf.Tensor4D {
    // zeroCopy: tfjs reads our buffer in place; the importer keeps it alive and tfjs submits before we reuse it.
    return tf.tensor({ buffer, zeroCopy: true }, [1, height, width, 3], 'float32') as tf.Tensor4D;
  }

  contentVector(frame: VideoFrame): tf.Tensor4D {
    const buf = this.#importer.import(frame, STYLE_SIZE, STYLE_SIZE, centreCrop(frame.displayWidth, frame.displayHeight));
    return tf.tidy(() => this.#model.predict(this.#tensor(buf, STYLE_SIZE, STYLE_SIZE)));
  }

  async render(frame: VideoFrame, bottleneck: tf.Tensor4D): Promise<void> {
    const { inferWidth: w, inferHeight: h } = this.geometry;
    const input = this.#importer.import(frame, w, h);
    const out = tf.tidy(() => this.#model.transform(this.#tensor(input, w, h), bottleneck));
    const [, oh, ow] = out.shape;
    const { buffer, tensorRef } = out.dataToGPU(); // copies on the GPU and submits tfjs's queue
    out.dispose();
    try {
      if (!buffer) throw new Error('tfjs returned no GPU buffer for the stylised frame');
      this.#sink.present(buffer, ow, oh);
    } finally {
      tensorRef.dispose();
    }
  }

  dispose(): void {
    this.#importer.dispose();
    this.#sink.dispose();
  }
}

/** WASM (and WebGL): one copy in (2D canvas), one copy out (pixels back to a 2D canvas). */
class CpuFrameStylizer implements FrameStylizer {
  readonly geometry: FrameGeometry;
  readonly #model: StyleModel;
  readonly #sink: Canvas2DSink;
  readonly #input: OffscreenCanvasRenderingContext2D;
  readonly #crop: OffscreenCanvasRenderingContext2D;

  constructor(model: StyleModel, geometry: FrameGeometry) {
    this.geometry = geometry;
    this.#model = model;
    this.#sink = new Canvas2DSink(geometry.width, geometry.height);
    this.#input = context2d(geometry.inferWidth, geometry.inferHeight);
    this.#crop = context2d(STYLE_SIZE, STYLE_SIZE);
  }

  get canvas(): OffscreenCanvas {
    return this.#sink.canvas;
  }

  contentVector(frame: VideoFrame): tf.Tensor4D {
    const { displayWidth: w, displayHeight: h } = frame;
    const s = Math.min(w, h);
    this.#crop.drawImage(frame, (w - s) / 2, (h - s) / 2, s, s, 0, 0, STYLE_SIZE, STYLE_SIZE);
    const pixels = this.#crop.getImageData(0, 0, STYLE_SIZE, STYLE_SIZE);
    return tf.tidy(() => this.#model.predict(toInput(pixels)));
  }

  async render(frame: VideoFrame, bottleneck: tf.Tensor4D): Promise<void> {
    const { inferWidth: w, inferHeight: h } = this.geometry;
    this.#input.drawImage(frame, 0, 0, w, h);
    const pixels = this.#input.getImageData(0, 0, w, h);
    const out = tf.tidy(() => this.#model.transform(toInput(pixels), bottleneck).squeeze([0]) as tf.Tensor3D);
    try {
      const rgba = await tf.browser.toPixels(out);
      this.#sink.present(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, out.shape[1], out.shape[0]));
    } finally {
      out.dispose();
    }
  }

  dispose(): void {
    this.#sink.dispose();
  }
}

function context2d(width: number, height: number): OffscreenCanvasRenderingContext2D {
  const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('OffscreenCanvas has no 2d context');
  ctx.imageSmoothingQuality = 'high';
  return ctx;
}

function toInput(pixels: ImageData): tf.Tensor4D {
  return tf.tidy(() => tf.div(tf.browser.fromPixels(pixels).toFloat(), 255).expandDims(0) as tf.Tensor4D);
}
