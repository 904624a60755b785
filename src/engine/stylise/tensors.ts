// The network's tensors in and out: pixels or a GPU buffer in, colour handling on the way out.
import * as tf from '@tensorflow/tfjs';

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
  return tf.tidy(() => tf.div(tf.browser.fromPixels(pixels).toFloat(), 255).expandDims(0) as tf.Tensor4D);
}

/**
 * A float32 NHWC RGB buffer on tfjs's own device → the network's input, without a copy: tfjs reads the buffer in
 * place (the caller keeps it alive and unchanged until tfjs has submitted the work that reads it).
 */
export function bufferToInput(buffer: GPUBuffer, width: number, height: number): tf.Tensor4D {
  return tf.tensor({ buffer, zeroCopy: true }, [1, height, width, 3], 'float32') as tf.Tensor4D;
}
