// The network's tensors in and out: pixels or a GPU buffer in, colour handling on the way out.
import * as tf from '@tensorflow/tfjs-core';
import { cubicTaps } from '../gpu/resample.ts';

/**
 * Luminance transfer: the input's colours with the stylised image's luminance, `input + (Y(stylised) − Y(input))`.
 * Runs wherever tfjs runs (on the GPU with WebGPU, in wasm on the CPU path).
 */
export function keepColours(stylised: tf.Tensor4D, input: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const weights = tf.tensor1d([0.299, 0.587, 0.114]);
    const luma = (t: tf.Tensor4D) => tf.sum(tf.mul(t, weights), -1, true);
    return tf.clipByValue(tf.add(input, tf.sub(luma(stylised), luma(input))), 0, 1) as tf.Tensor4D;
  });
}

/** Pixels (one CPU copy for ImageData; images and bitmaps as tfjs reads them) → [1, h, w, 3] in [0, 1]. */
export function pixelsToInput(pixels: ImageData | ImageBitmap | HTMLImageElement | HTMLCanvasElement): tf.Tensor4D {
  return tf.tidy(() => tf.expandDims(tf.div(tf.cast(tf.browser.fromPixels(pixels), 'float32'), 255), 0) as tf.Tensor4D);
}

/**
 * A float32 NHWC RGB buffer on tfjs's own device → the network's input, without a copy: tfjs reads the buffer in
 * place (the caller keeps it alive and unchanged until tfjs has submitted the work that reads it).
 */
export function bufferToInput(buffer: GPUBuffer, width: number, height: number): tf.Tensor4D {
  return tf.tensor({ buffer, zeroCopy: true }, [1, height, width, 3], 'float32') as tf.Tensor4D;
}

/**
 * Decoded video frames → the network's input, `[1, height, width, 3]` in [0, 1], on tfjs-wasm: one copy out of the
 * frame (`VideoFrame.copyTo` as RGBA in sRGB: the browser's YUV → RGB conversion) and one pass in JS that converts to
 * float — averaging k×k blocks first when the frame is at least twice the network's size, like a mipmap — then a
 * bilinear resize to the network's size in tfjs. Measured at 640×360 → 456×256 on this 2-core machine: 3 ms a frame
 * against 16 ms (30 ms while the encoder runs) for `drawImage` + `getImageData` on a 2D canvas, whose scaling and
 * readback Skia does in software; the pixels agree within 0.24/255 on average. Other backends (WebGL uploads the
 * canvas itself), a frame with a rotation or flip still to apply, or a pixel format `copyTo` cannot convert take
 * the canvas. Buffers are reused frame to frame.
 */
export class FrameReader {
  #rgba: Uint8Array<ArrayBuffer> | null = null;
  #rgb: Float32Array<ArrayBuffer> | null = null;
  #canvas: OffscreenCanvasRenderingContext2D | null = null;
  /** False once copyTo refused a frame: this browser cannot convert, use the canvas from then on. */
  #copy = true;

  async read(frame: VideoFrame, width: number, height: number): Promise<tf.Tensor4D> {
    if (this.#copy && tf.getBackend() === 'wasm' && !transformed(frame)) {
      try {
        return await this.#copied(frame, width, height);
      } catch {
        this.#copy = false;
      }
    }
    return this.#drawn(frame, width, height);
  }

  async #copied(frame: VideoFrame, width: number, height: number): Promise<tf.Tensor4D> {
    const options: VideoFrameCopyToOptions = { format: 'RGBA', colorSpace: 'srgb' };
    const size = frame.allocationSize(options);
    if (!this.#rgba || this.#rgba.byteLength < size) this.#rgba = new Uint8Array(size);
    const [{ offset, stride }] = await frame.copyTo(this.#rgba, options);
    const { width: W, height: H } = frame.visibleRect!;
    // Box prefilter by a whole factor so the bilinear step never skips source pixels (it scales by more than ½).
    const k = Math.max(1, Math.floor(Math.min(W / width, H / height)));
    const [w, h] = [Math.ceil(W / k), Math.ceil(H / k)];
    if (!this.#rgb || this.#rgb.length < w * h * 3) this.#rgb = new Float32Array(w * h * 3);
    const rgb = this.#rgb;
    const src = this.#rgba;
    if (k === 1) {
      for (let y = 0, o = 0; y < H; y++) {
        for (let i = offset + y * stride, end = i + W * 4; i < end; i += 4, o += 3) {
          rgb[o] = src[i] / 255;
          rgb[o + 1] = src[i + 1] / 255;
          rgb[o + 2] = src[i + 2] / 255;
        }
      }
    } else {
      rgb.fill(0, 0, w * h * 3);
      for (let y = 0; y < H; y++) {
        const row = ((y / k) | 0) * w * 3;
        for (let x = 0, i = offset + y * stride; x < W; x++, i += 4) {
          const o = row + ((x / k) | 0) * 3;
          rgb[o] += src[i];
          rgb[o + 1] += src[i + 1];
          rgb[o + 2] += src[i + 2];
        }
      }
      for (let by = 0, o = 0; by < h; by++) {
        const rows = Math.min(k, H - by * k);
        for (let bx = 0; bx < w; bx++, o += 3) {
          const n = 255 * rows * Math.min(k, W - bx * k);
          rgb[o] /= n;
          rgb[o + 1] /= n;
          rgb[o + 2] /= n;
        }
      }
    }
    return tf.tidy(() => {
      const x = tf.tensor4d(rgb.subarray(0, w * h * 3), [1, h, w, 3]); // tfjs-wasm copies it into its heap now
      return w === width && h === height ? x : tf.image.resizeBilinear(x, [height, width], false, true);
    });
  }

  #drawn(frame: VideoFrame, width: number, height: number): tf.Tensor4D {
    if (!this.#canvas || this.#canvas.canvas.width !== width || this.#canvas.canvas.height !== height) {
      const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
      if (!ctx) throw new Error('OffscreenCanvas has no 2d context');
      ctx.imageSmoothingQuality = 'high';
      this.#canvas = ctx;
    }
    this.#canvas.drawImage(frame, 0, 0, width, height);
    return pixelsToInput(this.#canvas.getImageData(0, 0, width, height));
  }
}

/** A rotation or flip the frame carries for its consumer to apply (drawImage does; copyTo copies the coded pixels). */
function transformed(frame: VideoFrame): boolean {
  const f = frame as VideoFrame & { rotation?: number; flip?: boolean };
  return !!f.rotation || !!f.flip;
}

/**
 * The network's output values (`[h, w, 3]` in [0, 1], read back) → RGBA bytes in `image` (opaque; rounded and
 * clamped by Uint8ClampedArray). What `tf.browser.toPixels` does, without its per-value checks and a new array per
 * frame: 1.5 ms instead of 5 at 456×256.
 */
export function rgbToImage(values: Float32Array, image: ImageData): void {
  const out = image.data;
  for (let i = 0, o = 0, n = image.width * image.height * 3; i < n; i += 3, o += 4) {
    out[o] = values[i] * 255;
    out[o + 1] = values[i + 1] * 255;
    out[o + 2] = values[i + 2] * 255;
    out[o + 3] = 255;
  }
}

/**
 * The network's output values (`[h, w, 3]` in [0, 1], read back) → opaque RGBX bytes at the output size, for a
 * `VideoFrame` built straight from CPU memory: the scaling a 2D canvas did on `drawImage` (Mitchell–Netravali cubic,
 * what Chromium's "high" smoothing uses when it enlarges), done separably in two passes in JS, plus the conversion to
 * bytes. 3–5 ms at 456×256 → 640×360 here, against 10–15 ms of canvas upload, scaling and read-back for the encoder
 * (on a software-rendered canvas, competing with the network for the cores).
 */
export class RgbxScaler {
  readonly #w: number;
  readonly #h: number;
  readonly #width: number;
  readonly #height: number;
  readonly #cols: Taps;
  readonly #rows: Taps;
  /** The horizontal pass: h rows of `width` RGB floats. */
  readonly #tmp: Float32Array;

  constructor(w: number, h: number, width: number, height: number) {
    [this.#w, this.#h, this.#width, this.#height] = [w, h, width, height];
    this.#cols = clampedTaps(w, width);
    this.#rows = clampedTaps(h, height);
    this.#tmp = new Float32Array(h * width * 3);
  }

  write(values: Float32Array, out: Uint8ClampedArray): void {
    const w = this.#w;
    const h = this.#h;
    const width = this.#width;
    const height = this.#height;
    const tmp = this.#tmp;
    const ci = this.#cols.index;
    const cw = this.#cols.weight;
    for (let y = 0, o = 0; y < h; y++) {
      const row = y * w * 3;
      for (let x = 0, k = 0; x < width; x++, o += 3, k += 4) {
        const i0 = row + ci[k] * 3;
        const i1 = row + ci[k + 1] * 3;
        const i2 = row + ci[k + 2] * 3;
        const i3 = row + ci[k + 3] * 3;
        const f0 = cw[k];
        const f1 = cw[k + 1];
        const f2 = cw[k + 2];
        const f3 = cw[k + 3];
        tmp[o] = values[i0] * f0 + values[i1] * f1 + values[i2] * f2 + values[i3] * f3;
        tmp[o + 1] = values[i0 + 1] * f0 + values[i1 + 1] * f1 + values[i2 + 1] * f2 + values[i3 + 1] * f3;
        tmp[o + 2] = values[i0 + 2] * f0 + values[i1 + 2] * f1 + values[i2 + 2] * f2 + values[i3 + 2] * f3;
      }
    }
    const ri = this.#rows.index;
    const rw = this.#rows.weight;
    const stride = width * 3;
    for (let y = 0, o = 0; y < height; y++) {
      const k = y * 4;
      const a = ri[k] * stride;
      const b = ri[k + 1] * stride;
      const c = ri[k + 2] * stride;
      const d = ri[k + 3] * stride;
      const fa = rw[k] * 255;
      const fb = rw[k + 1] * 255;
      const fc = rw[k + 2] * 255;
      const fd = rw[k + 3] * 255;
      for (let x = 0; x < stride; x += 3, o += 4) {
        out[o] = tmp[a + x] * fa + tmp[b + x] * fb + tmp[c + x] * fc + tmp[d + x] * fd;
        out[o + 1] = tmp[a + x + 1] * fa + tmp[b + x + 1] * fb + tmp[c + x + 1] * fc + tmp[d + x + 1] * fd;
        out[o + 2] = tmp[a + x + 2] * fa + tmp[b + x + 2] * fb + tmp[c + x + 2] * fc + tmp[d + x + 2] * fd;
        out[o + 3] = 255;
      }
    }
  }
}

interface Taps {
  /** Four source indices per output pixel (clamped to the edge). */
  index: Int32Array;
  /** Their weights, summing to 1. */
  weight: Float32Array;
}

/** The enlarging cubic's taps (gpu/resample.ts, the same the GPU present reads), with each index clamped to the edge. */
function clampedTaps(src: number, dst: number): Taps {
  const { first, weight } = cubicTaps(src, dst);
  const index = new Int32Array(dst * 4);
  for (let o = 0; o < dst; o++) for (let k = 0; k < 4; k++) index[o * 4 + k] = Math.min(Math.max(first[o] + k, 0), src - 1);
  return { index, weight };
}
