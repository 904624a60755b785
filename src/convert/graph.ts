// TFLite operators → a TensorFlow.js graph (NodeDefs + weights): QUANTIZE/DEQUANTIZE dropped, conv + bias +
// activation fused, fixed resize sizes made relative to the runtime size.
import { ACTIVATIONS, ACTIVATION_NAMES, CUSTOM_OPS, Op, opName } from './ops.ts';
import type { Assignment } from './roles.ts';
import type { Model, Operator, Table, Tensor } from './tflite.ts';
import { constantValues, transpose, type Weight, type WeightData } from './weights.ts';

type AttrValue =
  | { type: string }
  | { i: string }
  | { f: number }
  | { b: boolean }
  | { s: string }
  | { list: { i?: string[]; s?: string[] } }
  | { shape: { dim: { size: string }[] } }
  | { tensor: { dtype: string; tensorShape: { dim: { size: string }[] } } };

export interface NodeDef {
  name: string;
  op: string;
  input: string[];
  attr: Record<string, AttrValue>;
}

export interface Graph {
  nodes: NodeDef[];
  weights: Weight[];
}

export class UnsupportedModelError extends Error {
  constructor(
    readonly problems: string[],
    source: string,
  ) {
    super(
      `cannot convert ${source}: ${problems.length} problem(s), so nothing was written:\n  ${problems.join('\n  ')}\n` +
        `The converter handles ${SUPPORTED_OPS.join(', ')}.`,
    );
  }
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const FLOAT = { type: 'DT_FLOAT' };
const INT32 = { type: 'DT_INT32' };
const ints = (v: number[]) => ({ list: { i: v.map(String) } });

/**
 * A value flowing through the graph: the output of a node, a constant TFLite tensor not yet emitted, or the output
 * of an operator that could not be translated (its problem is already listed; ops using it add none).
 */
type Value = { node: string } | { constant: Tensor } | { failed: true };

// Builtin-option field numbers (schema.fbs).
const CONV = { padding: 0, strideW: 1, strideH: 2, activation: 3, dilationW: 4, dilationH: 5 };
const DEPTHWISE = { padding: 0, strideW: 1, strideH: 2, multiplier: 3, activation: 4, dilationW: 5, dilationH: 6 };
const RESIZE_NEAREST = { alignCorners: 0, halfPixelCenters: 1 };
const POOL = { padding: 0, strideW: 1, strideH: 2, filterW: 3, filterH: 4, activation: 5 };
const CONCAT = { axis: 0, activation: 1 };
const RESHAPE = { newShape: 0 };
/** TfLitePadding in a custom op's raw options (kTfLitePaddingUnknown = 0). */
const TFLITE_PADDING: Readonly<Record<number, string>> = { 1: 'SAME', 2: 'VALID' };
const RESIZE_BILINEAR = { alignCorners: 2, halfPixelCenters: 3 };

const BINARY: Readonly<Record<number, string>> = {
  [Op.ADD]: 'AddV2',
  [Op.SUB]: 'Sub',
  [Op.MUL]: 'Mul',
  [Op.DIV]: 'RealDiv',
  [Op.SQUARED_DIFFERENCE]: 'SquaredDifference',
};
const UNARY: Readonly<Record<number, string>> = {
  [Op.RSQRT]: 'Rsqrt',
  [Op.SQRT]: 'Sqrt',
  [Op.LOGISTIC]: 'Sigmoid',
  [Op.TANH]: 'Tanh',
  [Op.RELU]: 'Relu',
  [Op.RELU6]: 'Relu6',
};
/** Binary ops whose options table carries a fused activation (field 0). */
const BINARY_WITH_ACTIVATION = new Set([Op.ADD, Op.SUB, Op.MUL, Op.DIV]);

/** Ops with their own case in translate(). */
const STRUCTURAL = [
  Op.QUANTIZE, Op.DEQUANTIZE, Op.CONV_2D, Op.DEPTHWISE_CONV_2D, Op.RESIZE_NEAREST_NEIGHBOR, Op.RESIZE_BILINEAR, Op.MEAN, Op.PAD, Op.MIRROR_PAD,
  Op.HARD_SWISH, Op.AVERAGE_POOL_2D, Op.MAX_POOL_2D, Op.RESHAPE, Op.CONCATENATION,
];

/** Every op the converter translates (beyond these, conversion fails naming the op). */
const SUPPORTED_OPS = [
  ...[...STRUCTURAL, ...Object.keys(BINARY).map(Number), ...Object.keys(UNARY).map(Number)].map((c) => opName(c, null)),
  ...Object.values(CUSTOM_OPS).map((c) => opName(Op.CUSTOM, c)),
];

class GraphBuilder {
  readonly nodes: NodeDef[] = [];
  readonly weights: Weight[] = [];
  readonly problems: string[] = [];
  readonly #values = new Map<number, Value>();
  readonly #used = new Set<string>();
  readonly #constants = new Map<string, string>();

  constructor(
    readonly model: Model,
    reserved: Iterable<string>,
    /** Every input of the graph has a fixed size, so shapes inside it are known when converting. */
    readonly fixedSize: boolean,
  ) {
    for (const r of reserved) this.#used.add(r);
  }

  unique(name: string): string {
    let n = name;
    for (let k = 1; this.#used.has(n); k++) n = `${name}_${k}`;
    this.#used.add(n);
    return n;
  }

  node(name: string, op: string, input: string[], attr: Record<string, AttrValue>): string {
    this.nodes.push({ name, op, input, attr });
    return name;
  }

  has(tensor: number): boolean {
    return this.#values.has(tensor);
  }

  set(tensor: number, value: Value): void {
    this.#values.set(tensor, value);
  }

  value(tensor: number): Value {
    const v = this.#values.get(tensor);
    if (v) return v;
    const t = this.model.tensors[tensor];
    if (t?.data) return { constant: t };
    this.problems.push(`tensor ${tensor} "${t?.name ?? '?'}" is used before any operator computes it`);
    return { failed: true };
  }

  /** The constant TFLite tensor behind a tensor (through DEQUANTIZE), or null if it is computed at run time. */
  constant(tensor: number): Tensor | null {
    const v = this.value(tensor);
    return 'constant' in v ? v.constant : null;
  }

  /** The name of a node giving this input, emitting a Const for a constant (reshaped/transposed as asked). */
  input(tensor: number, layout?: { shape: number[]; perm?: number[] }): string | null {
    const v = this.value(tensor);
    if ('node' in v) return v.node;
    if ('failed' in v) return null;
    const t = v.constant;
    const key = `${t.index}:${layout?.shape ?? ''}:${layout?.perm ?? ''}`;
    const known = this.#constants.get(key);
    if (known) return known;
    const values = constantValues(t);
    if (typeof values === 'string') {
      this.problems.push(`tensor ${t.index} "${t.name}": ${values}`);
      return null;
    }
    let data: WeightData = values;
    let shape = t.shape;
    if (layout?.perm) ({ data, shape } = transpose(data, shape, layout.perm));
    if (layout) shape = layout.shape;
    const name = this.unique(t.name);
    this.weights.push({ name, shape, data });
    const dtype = data.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT';
    this.node(name, 'Const', [], {
      value: { tensor: { dtype, tensorShape: { dim: shape.map((s) => ({ size: String(s) })) } } },
      dtype: { type: dtype },
    });
    this.#constants.set(key, name);
    return name;
  }

  /** A small float32 constant made by the converter (not from the TFLite file). */
  floatConst(name: string, values: number[], shape: number[] = [values.length]): string {
    const n = this.unique(name);
    this.weights.push({ name: n, shape, data: { dtype: 'float32', values: Float32Array.from(values) } });
    return this.node(n, 'Const', [], { value: { tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } }, dtype: FLOAT });
  }

  /** A small int32 constant made by the converter (not from the TFLite file). */
  int32Const(name: string, values: number[]): string {
    const n = this.unique(name);
    this.weights.push({ name: n, shape: [values.length], data: { dtype: 'int32', values: Int32Array.from(values) } });
    return this.node(n, 'Const', [], { value: { tensor: { dtype: 'DT_INT32', tensorShape: { dim: [{ size: String(values.length) }] } } }, dtype: INT32 });
  }
}

function where(model: Model, op: Operator): string {
  const out = op.outputs.map((o) => `"${model.tensors[o]?.name}"`).join(', ');
  return `operator ${op.index} ${opName(op.code, op.customCode)} (output ${out})`;
}

function activation(b: GraphBuilder, op: Operator, code: number): string | null | undefined {
  const act = ACTIVATIONS[code];
  if (act === undefined) b.problems.push(`${where(b.model, op)}: fused activation ${ACTIVATION_NAMES[code] ?? code} is not supported`);
  return act;
}

function conv(b: GraphBuilder, op: Operator, depthwise: boolean): void {
  const m = b.model;
  const F = depthwise ? DEPTHWISE : CONV;
  const o = op.options;
  if (!o) return void b.problems.push(`${where(m, op)}: the options table is missing`);
  const act = activation(b, op, o.int8(F.activation));
  const [x, w, bias] = op.inputs;
  const wt = b.constant(w);
  if (!wt) return void b.problems.push(`${where(m, op)}: the filter is not a constant`);
  // TFLite filters are [O,H,W,I] (conv) and [1,H,W,C·M] (depthwise); tfjs wants [H,W,I,O] and [H,W,C,M].
  const [outer, kh, kw, inner] = wt.shape;
  const channels = m.tensors[x].shape[3];
  const filter = depthwise
    ? b.input(w, { shape: [kh, kw, channels, inner / channels] })
    : b.input(w, { shape: [kh, kw, inner, outer], perm: [1, 2, 3, 0] });
  const outChannels = depthwise ? inner : outer;
  const out = m.tensors[op.outputs[0]].name;
  let biasName: string | null;
  if (bias >= 0) biasName = b.input(bias);
  else {
    const n = b.unique(`${out}/zero_bias`);
    b.weights.push({ name: n, shape: [outChannels], data: { dtype: 'float32', values: new Float32Array(outChannels) } });
    biasName = b.node(n, 'Const', [], { value: { tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: String(outChannels) }] } } }, dtype: FLOAT });
  }
  const input = b.input(x);
  if (act === undefined || !input || !filter || !biasName) return;
  const name = b.unique(out);
  b.node(name, depthwise ? 'FusedDepthwiseConv2dNative' : '_FusedConv2D', [input, filter, biasName], {
    T: FLOAT,
    num_args: { i: '1' },
    fused_ops: { list: { s: act ? [b64('BiasAdd'), b64(act)] : [b64('BiasAdd')] } },
    strides: ints([1, o.int32(F.strideH), o.int32(F.strideW), 1]),
    padding: { s: b64(o.int8(F.padding) === 0 ? 'SAME' : 'VALID') },
    data_format: { s: b64('NHWC') },
    dilations: ints([1, o.int32(F.dilationH, 1), o.int32(F.dilationW, 1), 1]),
    epsilon: { f: 0 },
  });
  b.set(op.outputs[0], { node: name });
}

/** A fixed-size resize → the same scale of the runtime size: Shape → [H,W] → ×factor; a scale of 1 is dropped. */
function resize(b: GraphBuilder, op: Operator, nearest: boolean): void {
  const m = b.model;
  const [x, size] = op.inputs;
  const sizeTensor = b.constant(size);
  const inShape = m.tensors[x].shape;
  if (!sizeTensor) return void b.problems.push(`${where(m, op)}: the output size is not a constant`);
  const sizes = constantValues(sizeTensor);
  if (typeof sizes === 'string' || sizes.values.length !== 2) return void b.problems.push(`${where(m, op)}: the output size is not two integers`);
  const [fh, fw] = [sizes.values[0] / inShape[1], sizes.values[1] / inShape[2]];
  if (!Number.isInteger(fh) || !Number.isInteger(fw)) {
    return void b.problems.push(`${where(m, op)}: resizes ${inShape[1]}×${inShape[2]} to ${sizes.values[0]}×${sizes.values[1]}, not by a whole factor`);
  }
  const input = b.input(x);
  if (!input) return;
  if (fh === 1 && fw === 1) return b.set(op.outputs[0], { node: input });
  const F = nearest ? RESIZE_NEAREST : RESIZE_BILINEAR;
  const out = m.tensors[op.outputs[0]].name;
  const shape = b.node(b.unique(`${out}/Shape`), 'Shape', [input], { T: FLOAT, out_type: INT32 });
  const hw = b.node(b.unique(`${out}/hw`), 'StridedSlice', [shape, b.int32Const(`${out}/hw_begin`, [1]), b.int32Const(`${out}/hw_end`, [3]), b.int32Const(`${out}/hw_strides`, [1])], {
    T: INT32,
    Index: INT32,
    begin_mask: { i: '0' },
    end_mask: { i: '0' },
    ellipsis_mask: { i: '0' },
    new_axis_mask: { i: '0' },
    shrink_axis_mask: { i: '0' },
  });
  const scaled = b.node(b.unique(`${out}/size`), 'Mul', [hw, b.int32Const(`${out}/factor`, [fh, fw])], { T: INT32 });
  const name = b.node(b.unique(out), nearest ? 'ResizeNearestNeighbor' : 'ResizeBilinear', [input, scaled], {
    T: FLOAT,
    align_corners: { b: op.options?.bool(F.alignCorners) ?? false },
    half_pixel_centers: { b: op.options?.bool(F.halfPixelCenters) ?? false },
  });
  b.set(op.outputs[0], { node: name });
}

/** Applies a fused activation to `name` (the node computing `out`), or returns it when there is none. */
function withActivation(b: GraphBuilder, name: string, act: string | null, out: string): string {
  return act ? b.node(b.unique(out), act, [name], { T: FLOAT }) : name;
}

/** x · relu6(x + 3) / 6, from tfjs's own ops. */
function hardSwish(b: GraphBuilder, op: Operator, out: string): void {
  const x = b.input(op.inputs[0]);
  if (!x) return;
  const shifted = b.node(b.unique(`${out}/plus3`), 'AddV2', [x, b.floatConst(`${out}/three`, [3], [])], { T: FLOAT });
  const gate = b.node(b.unique(`${out}/relu6`), 'Relu6', [shifted], { T: FLOAT });
  const scaled = b.node(b.unique(`${out}/gate`), 'Mul', [gate, b.floatConst(`${out}/sixth`, [1 / 6], [])], { T: FLOAT });
  b.set(op.outputs[0], { node: b.node(b.unique(out), 'Mul', [x, scaled], { T: FLOAT }) });
}

/**
 * AVERAGE_POOL_2D / MAX_POOL_2D. An average over the whole picture (a filter as large as the input, one output
 * pixel: squeeze-and-excite blocks) becomes a Mean over height and width, which holds at any input size.
 */
function pool(b: GraphBuilder, op: Operator, max: boolean, out: string): void {
  const m = b.model;
  const o = op.options;
  if (!o) return void b.problems.push(`${where(m, op)}: the options table is missing`);
  const act = activation(b, op, o.int8(POOL.activation));
  const x = b.input(op.inputs[0]);
  if (!x || act === undefined) return;
  const [, h, w] = m.tensors[op.inputs[0]].shape;
  const [, oh, ow] = m.tensors[op.outputs[0]].shape;
  const [fh, fw] = [o.int32(POOL.filterH), o.int32(POOL.filterW)];
  let name: string;
  if (!max && fh === h && fw === w && oh === 1 && ow === 1) {
    name = b.node(b.unique(act ? `${out}/Mean` : out), 'Mean', [x, b.int32Const(`${out}/axes`, [1, 2])], { T: FLOAT, Tidx: INT32, keep_dims: { b: true } });
  } else {
    name = b.node(b.unique(act ? `${out}/${max ? 'MaxPool' : 'AvgPool'}` : out), max ? 'MaxPool' : 'AvgPool', [x], {
      T: FLOAT,
      ksize: ints([1, fh, fw, 1]),
      strides: ints([1, o.int32(POOL.strideH), o.int32(POOL.strideW), 1]),
      padding: { s: b64(o.int8(POOL.padding) === 0 ? 'SAME' : 'VALID') },
      data_format: { s: b64('NHWC') },
    });
  }
  b.set(op.outputs[0], { node: withActivation(b, name, act, out) });
}

/** RESHAPE to the shape given by its constant second input, else its options, else its output tensor. */
function reshape(b: GraphBuilder, op: Operator, out: string): void {
  const m = b.model;
  const x = b.input(op.inputs[0]);
  let shape: number[] | null = null;
  if (op.inputs.length > 1 && op.inputs[1] >= 0) {
    const t = b.constant(op.inputs[1]);
    const v = t && constantValues(t);
    if (!v || typeof v === 'string') return void b.problems.push(`${where(m, op)}: the new shape is not a constant`);
    shape = Array.from(v.values);
  } else if (op.options?.has(RESHAPE.newShape)) shape = op.options.int32s(RESHAPE.newShape);
  else shape = m.tensors[op.outputs[0]].shape;
  if (!b.fixedSize && shape.slice(1).some((d) => d !== -1 && d !== 1) && shape.length !== m.tensors[op.inputs[0]].shape.length) {
    return void b.problems.push(`${where(m, op)}: a reshape to a fixed shape needs a model with fixed-size inputs`);
  }
  if (!x) return;
  // A batch of 1 in and out stays the batch, so any batch size runs: the other dimensions are the output's, all
  // known when the inputs have a fixed size.
  const outShape = m.tensors[op.outputs[0]].shape;
  if (b.fixedSize && shape[0] === 1 && m.tensors[op.inputs[0]].shape[0] === 1 && outShape[0] === 1 && outShape.every((d) => d > 0)) {
    shape = [-1, ...outShape.slice(1)];
  }
  b.set(op.outputs[0], { node: b.node(b.unique(out), 'Reshape', [x, b.int32Const(`${out}/shape`, shape)], { T: FLOAT, Tshape: INT32 }) });
}

function concatenation(b: GraphBuilder, op: Operator, out: string): void {
  const m = b.model;
  const o = op.options;
  const act = activation(b, op, o?.int8(CONCAT.activation) ?? 0);
  const xs = op.inputs.map((i) => b.input(i));
  if (act === undefined || xs.some((x) => !x)) return;
  const rank = m.tensors[op.outputs[0]].shape.length;
  const axis = o?.int32(CONCAT.axis) ?? 0;
  const name = b.node(b.unique(act ? `${out}/ConcatV2` : out), 'ConcatV2', [...(xs as string[]), b.int32Const(`${out}/axis`, [axis < 0 ? axis + rank : axis])], {
    T: FLOAT,
    N: { i: String(xs.length) },
    Tidx: INT32,
  });
  b.set(op.outputs[0], { node: withActivation(b, name, act, out) });
}

/**
 * MediaPipe's custom Convolution2DTransposeBias: a transposed convolution, then a bias. Its options are the raw
 * bytes of TfLiteTransposeConvParams (int32 padding: 1 SAME, 2 VALID; int32 stride_width; int32 stride_height).
 * Inputs: the picture, the filter [O,H,W,I] and the bias [O]. The output size is the TFLite output tensor's
 * (tfjs needs it as a constant), so the model's inputs must have a fixed size.
 */
function transposeConvBias(b: GraphBuilder, op: Operator, out: string): void {
  const m = b.model;
  const raw = op.customOptions;
  if (!raw || raw.byteLength < 12) return void b.problems.push(`${where(m, op)}: its options (padding, stride width, stride height) are missing`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const [padding, strideW, strideH] = [view.getInt32(0, true), view.getInt32(4, true), view.getInt32(8, true)];
  if (!TFLITE_PADDING[padding] || strideW < 1 || strideH < 1) {
    return void b.problems.push(`${where(m, op)}: unexpected options (padding ${padding}, strides ${strideW}×${strideH})`);
  }
  if (!b.fixedSize) return void b.problems.push(`${where(m, op)}: a transposed convolution needs a model with fixed-size inputs`);
  const [x, w, bias] = op.inputs;
  const wt = b.constant(w);
  if (!wt) return void b.problems.push(`${where(m, op)}: the filter is not a constant`);
  const [o, kh, kw, i] = wt.shape;
  // tfjs's Conv2DBackpropInput wants the filter as [H,W,out,in].
  const filter = b.input(w, { shape: [kh, kw, o, i], perm: [1, 2, 0, 3] });
  const input = b.input(x);
  const biasName = bias >= 0 ? b.input(bias) : null;
  if (!filter || !input || (bias >= 0 && !biasName)) return;
  const outShape = m.tensors[op.outputs[0]].shape;
  const conv = b.node(b.unique(biasName ? `${out}/conv_transpose` : out), 'Conv2DBackpropInput', [b.int32Const(`${out}/output_shape`, outShape), filter, input], {
    T: FLOAT,
    strides: ints([1, strideH, strideW, 1]),
    padding: { s: b64(TFLITE_PADDING[padding]) },
    data_format: { s: b64('NHWC') },
    dilations: ints([1, 1, 1, 1]),
  });
  b.set(op.outputs[0], { node: biasName ? b.node(b.unique(out), 'BiasAdd', [conv, biasName], { T: FLOAT, data_format: { s: b64('NHWC') } }) : conv });
}

function translate(b: GraphBuilder, op: Operator): void {
  const m = b.model;
  const out = m.tensors[op.outputs[0]]?.name ?? `op${op.index}`;
  const options: Table | null = op.options;
  switch (op.code) {
    case Op.QUANTIZE:
    case Op.DEQUANTIZE:
      // The graph runs in float: a (de)quantised tensor is its input; a dequantised constant stays a constant.
      return b.set(op.outputs[0], b.value(op.inputs[0]));
    case Op.CONV_2D:
      return conv(b, op, false);
    case Op.DEPTHWISE_CONV_2D:
      return conv(b, op, true);
    case Op.RESIZE_NEAREST_NEIGHBOR:
      return resize(b, op, true);
    case Op.RESIZE_BILINEAR:
      return resize(b, op, false);
    case Op.HARD_SWISH:
      return hardSwish(b, op, out);
    case Op.AVERAGE_POOL_2D:
      return pool(b, op, false, out);
    case Op.MAX_POOL_2D:
      return pool(b, op, true, out);
    case Op.RESHAPE:
      return reshape(b, op, out);
    case Op.CONCATENATION:
      return concatenation(b, op, out);
    case Op.CUSTOM:
      if (op.customCode === CUSTOM_OPS.transposeConvBias) return transposeConvBias(b, op, out);
      break;
    case Op.MEAN: {
      const [x, axes] = op.inputs.map((i) => b.input(i));
      if (!x || !axes) return;
      const name = b.node(b.unique(out), 'Mean', [x, axes], { T: FLOAT, Tidx: INT32, keep_dims: { b: options?.bool(0) ?? false } });
      return b.set(op.outputs[0], { node: name });
    }
    case Op.PAD:
    case Op.MIRROR_PAD: {
      const [x, paddings] = op.inputs.map((i) => b.input(i));
      if (!x || !paddings) return;
      const attr: Record<string, AttrValue> = { T: FLOAT, Tpaddings: INT32 };
      if (op.code === Op.MIRROR_PAD) attr.mode = { s: b64(options?.int8(0) === 1 ? 'SYMMETRIC' : 'REFLECT') };
      const name = b.node(b.unique(out), op.code === Op.PAD ? 'Pad' : 'MirrorPad', [x, paddings], attr);
      return b.set(op.outputs[0], { node: name });
    }
  }
  if (op.code in UNARY) {
    const x = b.input(op.inputs[0]);
    if (x) b.set(op.outputs[0], { node: b.node(b.unique(out), UNARY[op.code], [x], { T: FLOAT }) });
    return;
  }
  if (op.code in BINARY) {
    const act = BINARY_WITH_ACTIVATION.has(op.code) ? activation(b, op, options?.int8(0) ?? 0) : null;
    const [x, y] = op.inputs.map((i) => b.input(i));
    if (!x || !y || act === undefined) return;
    const name = b.node(b.unique(act ? `${out}/${BINARY[op.code]}` : out), BINARY[op.code], [x, y], { T: FLOAT });
    b.set(op.outputs[0], { node: act ? b.node(b.unique(out), act, [name], { T: FLOAT }) : name });
    return;
  }
  b.problems.push(where(m, op));
}

/** Translates every operator; throws UnsupportedModelError listing every problem found. */
export function buildGraph(model: Model, roles: Assignment, source: string): Graph {
  const b = new GraphBuilder(model, roles.names.values(), model.inputs.every((i) => roles.fixedSize.has(i)));
  for (const i of model.inputs) {
    const t = model.tensors[i];
    const name = roles.names.get(i)!;
    // Any batch; any height and width for an image unless the role fixes them.
    const dims = t.shape.map((s, d) => (d === 0 || (t.shape[3] === 3 && d < 3 && !roles.fixedSize.has(i)) ? -1 : s));
    b.node(name, 'Placeholder', [], { dtype: FLOAT, shape: { shape: { dim: dims.map((s) => ({ size: String(s) })) } } });
    b.set(i, { node: name });
  }
  for (const op of model.operators) {
    translate(b, op);
    for (const o of op.outputs) if (!b.has(o)) b.set(o, { failed: true });
  }
  if (b.problems.length) throw new UnsupportedModelError(b.problems, source);
  for (const o of model.outputs) {
    const v = b.value(o);
    if (!('node' in v)) throw new UnsupportedModelError([`output "${model.tensors[o].name}" is not computed by any operator`], source);
    b.node(roles.names.get(o)!, 'Identity', [v.node], { T: FLOAT });
  }
  return { nodes: b.nodes, weights: b.weights };
}
