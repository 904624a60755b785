// Preset style vectors, computed by our own converted predictor on tfjs-wasm in Node.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import jpeg from 'jpeg-js';
import { STYLE_SIZE } from '../engine/models/roles.ts';
import { loadGraphModel } from './graph-model.ts';

export { STYLE_SIZE };
export const PREPROCESSING =
  `style image decoded to uint8 RGB / 255, shorter side resized to ${STYLE_SIZE} (bilinear, alignCorners=true), ` +
  `centre-cropped to ${STYLE_SIZE}x${STYLE_SIZE}`;

/** [1,H,W,3] in [0,1] → the predictor's centre-cropped 256² input. */
function styleInput(image: tf.Tensor4D): tf.Tensor4D {
  const [, h, w] = image.shape;
  const scale = STYLE_SIZE / Math.min(h, w);
  const rh = Math.max(STYLE_SIZE, Math.round(h * scale));
  const rw = Math.max(STYLE_SIZE, Math.round(w * scale));
  const resized = tf.image.resizeBilinear(image, [rh, rw], true);
  return tf.slice(resized, [0, Math.floor((rh - STYLE_SIZE) / 2), Math.floor((rw - STYLE_SIZE) / 2), 0], [1, STYLE_SIZE, STYLE_SIZE, 3]);
}

function decodeJpeg(bytes: Uint8Array): tf.Tensor4D {
  const { width, height, data } = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false });
  return tf.tidy(() => tf.div(tf.tensor4d(data, [1, height, width, 3], 'int32').toFloat(), 255));
}

/** Style vector (100 numbers) of each JPEG, by the predictor given as its model files. */
export async function styleVectors(predictorFiles: Map<string, Uint8Array>, images: Map<string, Uint8Array>): Promise<Map<string, number[]>> {
  if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend did not start');
  const predictor = await loadGraphModel(predictorFiles);
  try {
    const vectors = new Map<string, number[]>();
    for (const [name, bytes] of images) {
      const v = tf.tidy(() => {
        const image = decodeJpeg(bytes);
        return predictor.execute({ style_image: styleInput(image) }, 'style_bottleneck') as tf.Tensor;
      });
      vectors.set(name, Array.from(await v.data()));
      v.dispose();
    }
    return vectors;
  } finally {
    predictor.dispose();
  }
}
