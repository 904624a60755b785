// Constant tensors of a TFLite model as tfjs weights: int8/int32 dequantised and stored as float16, float16 kept.
import { toFloat16 } from './float16.ts';
import { TensorType, type Tensor } from './tflite.ts';

export type WeightData =
  | { dtype: 'float16'; values: Uint16Array }
  | { dtype: 'float32'; values: Float32Array }
  | { dtype: 'int32'; values: Int32Array };

export interface Weight {
  name: string;
  shape: number[];
  data: WeightData;
}

/** Why a constant cannot be read, or its values (in the TFLite tensor's own shape and layout). */
export function constantValues(t: Tensor): WeightData | string {
  const bytes = t.data!;
  const copy = bytes.slice().buffer;
  const q = t.quantization;
  switch (t.type) {
    case TensorType.FLOAT16:
      return { dtype: 'float16', values: new Uint16Array(copy) };
    case TensorType.FLOAT32:
      return { dtype: 'float32', values: new Float32Array(copy) };
    case TensorType.INT8:
      return q ? { dtype: 'float16', values: toFloat16(dequantize(new Int8Array(copy), t.shape, q)) } : 'an int8 constant without quantisation parameters';
    case TensorType.UINT8:
      return q ? { dtype: 'float16', values: toFloat16(dequantize(bytes, t.shape, q)) } : 'a uint8 constant without quantisation parameters';
    case TensorType.INT32:
      return q ? { dtype: 'float16', values: toFloat16(dequantize(new Int32Array(copy), t.shape, q)) } : { dtype: 'int32', values: new Int32Array(copy) };
    case TensorType.INT64: {
      const wide = new BigInt64Array(copy);
      if (q) return 'a quantised int64 constant';
      if (wide.some((v) => v > 2147483647n || v < -2147483648n)) return 'an int64 constant outside the int32 range';
      return { dtype: 'int32', values: Int32Array.from(wide, Number) };
    }
    default:
      return `a constant of TFLite type ${t.type}`;
  }
}

/** real = scale · (q − zero_point), per tensor or per channel along `axis`. */
function dequantize(q: ArrayLike<number>, shape: number[], p: NonNullable<Tensor['quantization']>): Float32Array {
  const out = new Float32Array(q.length);
  const inner = shape.slice(p.axis + 1).reduce((a, b) => a * b, 1);
  const channels = p.scale.length;
  for (let i = 0; i < q.length; i++) {
    const c = channels === 1 ? 0 : Math.floor(i / inner) % channels;
    out[i] = p.scale[c] * (q[i] - (p.zeroPoint[c] ?? 0));
  }
  return out;
}

/** The same values with their axes permuted (`perm[i]` is the source axis of output axis i). */
export function transpose(data: WeightData, shape: number[], perm: number[]): { data: WeightData; shape: number[] } {
  const outShape = perm.map((p) => shape[p]);
  const srcStrides = strides(shape);
  const outStrides = strides(outShape);
  const src = data.values;
  const dst = new (src.constructor as new (n: number) => typeof src)(src.length);
  for (let i = 0; i < dst.length; i++) {
    let from = 0;
    for (let d = 0; d < outShape.length; d++) from += (Math.floor(i / outStrides[d]) % outShape[d]) * srcStrides[perm[d]];
    dst[i] = src[from];
  }
  return { data: { dtype: data.dtype, values: dst } as WeightData, shape: outShape };
}

function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) s[d] = s[d + 1] * shape[d + 1];
  return s;
}
