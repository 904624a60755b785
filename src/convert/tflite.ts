// A minimal reader of the TFLite flatbuffer (tensorflow/lite/schema/schema.fbs), written against the schema's
// field numbers with the `flatbuffers` runtime: only the tables and fields the converter needs.
import { ByteBuffer } from 'flatbuffers';

/** TFLite TensorType values the converter reads. */
export const TensorType = { FLOAT32: 0, FLOAT16: 1, INT32: 2, UINT8: 3, INT64: 4, INT8: 9 } as const;

export interface Quantization {
  scale: Float32Array;
  zeroPoint: number[];
  /** The axis `scale`/`zeroPoint` run along when there is more than one of each. */
  axis: number;
}

export interface Tensor {
  index: number;
  name: string;
  shape: number[];
  type: number;
  /** The constant's bytes, or null for an activation (a tensor computed at run time). */
  data: Uint8Array | null;
  quantization: Quantization | null;
}

export interface Operator {
  index: number;
  /** The BuiltinOperator code (CUSTOM = 32 for custom ops, whose name is in `customCode`). */
  code: number;
  customCode: string | null;
  /** Tensor indices; -1 marks an omitted optional input. */
  inputs: number[];
  outputs: number[];
  /** The op's builtin options table, or null when it has none. */
  options: Table | null;
  /** A custom op's options, as raw bytes (their layout is the op's own), or null. */
  customOptions: Uint8Array | null;
}

export interface Model {
  description: string;
  tensors: Tensor[];
  operators: Operator[];
  inputs: number[];
  outputs: number[];
}

/** One flatbuffer table: field i sits at vtable slot 4 + 2i. */
export class Table {
  constructor(
    readonly bb: ByteBuffer,
    readonly pos: number,
  ) {}

  #field(i: number): number {
    return this.bb.__offset(this.pos, 4 + 2 * i);
  }

  has(i: number): boolean {
    return this.#field(i) !== 0;
  }

  int32(i: number, fallback = 0): number {
    const o = this.#field(i);
    return o ? this.bb.readInt32(this.pos + o) : fallback;
  }

  uint32(i: number, fallback = 0): number {
    const o = this.#field(i);
    return o ? this.bb.readUint32(this.pos + o) : fallback;
  }

  int8(i: number, fallback = 0): number {
    const o = this.#field(i);
    return o ? this.bb.readInt8(this.pos + o) : fallback;
  }

  uint8(i: number, fallback = 0): number {
    const o = this.#field(i);
    return o ? this.bb.readUint8(this.pos + o) : fallback;
  }

  bool(i: number, fallback = false): boolean {
    const o = this.#field(i);
    return o ? this.bb.readUint8(this.pos + o) !== 0 : fallback;
  }

  string(i: number): string | null {
    const o = this.#field(i);
    return o ? (this.bb.__string(this.pos + o) as string) : null;
  }

  table(i: number): Table | null {
    const o = this.#field(i);
    return o ? new Table(this.bb, this.bb.__indirect(this.pos + o)) : null;
  }

  tables(i: number): Table[] {
    const o = this.#field(i);
    if (!o) return [];
    const start = this.bb.__vector(this.pos + o);
    return Array.from({ length: this.bb.__vector_len(this.pos + o) }, (_, k) => new Table(this.bb, this.bb.__indirect(start + 4 * k)));
  }

  /** A vector of scalars, as a view of the file's bytes (no copy). */
  bytes(i: number, elementSize = 1): Uint8Array | null {
    const o = this.#field(i);
    if (!o) return null;
    const start = this.bb.__vector(this.pos + o);
    return this.bb.bytes().subarray(start, start + this.bb.__vector_len(this.pos + o) * elementSize);
  }

  int32s(i: number): number[] {
    const b = this.bytes(i, 4);
    return b ? Array.from(new Int32Array(b.slice().buffer)) : [];
  }

  float32s(i: number): Float32Array {
    const b = this.bytes(i, 4);
    return b ? new Float32Array(b.slice().buffer) : new Float32Array(0);
  }

  int64s(i: number): number[] {
    const b = this.bytes(i, 8);
    return b ? Array.from(new BigInt64Array(b.slice().buffer), Number) : [];
  }
}

export class TfliteFormatError extends Error {}

// Field numbers from schema.fbs.
const F = {
  model: { operatorCodes: 1, subgraphs: 2, description: 3, buffers: 4 },
  operatorCode: { deprecatedBuiltinCode: 0, customCode: 1, builtinCode: 3 },
  subgraph: { tensors: 0, inputs: 1, outputs: 2, operators: 3 },
  tensor: { shape: 0, type: 1, buffer: 2, name: 3, quantization: 4, sparsity: 6 },
  quantization: { scale: 2, zeroPoint: 3, quantizedDimension: 6 },
  buffer: { data: 0, offset: 1 },
  operator: { opcodeIndex: 0, inputs: 1, outputs: 2, builtinOptions: 4, customOptions: 5 },
} as const;

/** The code of an OperatorCode: the wider `builtin_code` field, or the deprecated byte for old files. */
function builtinCode(t: Table): number {
  return Math.max(t.int32(F.operatorCode.builtinCode), t.int8(F.operatorCode.deprecatedBuiltinCode));
}

export function readTflite(bytes: Uint8Array): Model {
  // A plain Uint8Array view (a Node Buffer's slice() would not copy).
  const file = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (file.length < 8 || String.fromCharCode(...file.subarray(4, 8)) !== 'TFL3') {
    throw new TfliteFormatError('not a TFLite model (the file identifier "TFL3" is missing)');
  }
  const bb = new ByteBuffer(file);
  const model = new Table(bb, bb.readInt32(bb.position()) + bb.position());
  const subgraphs = model.tables(F.model.subgraphs);
  if (subgraphs.length !== 1) throw new TfliteFormatError(`expected one subgraph, found ${subgraphs.length}`);
  const graph = subgraphs[0];
  const buffers = model.tables(F.model.buffers);
  if (buffers.some((b) => b.has(F.buffer.offset))) throw new TfliteFormatError('buffers stored outside the flatbuffer (models over 2 GB) are not supported');
  const codes = model.tables(F.model.operatorCodes).map((c) => ({ code: builtinCode(c), custom: c.string(F.operatorCode.customCode) }));

  const tensors = graph.tables(F.subgraph.tensors).map((t, index): Tensor => {
    const name = t.string(F.tensor.name) ?? `tensor_${index}`;
    if (t.has(F.tensor.sparsity)) throw new TfliteFormatError(`tensor ${index} "${name}" is sparse, which is not supported`);
    const data = buffers[t.uint32(F.tensor.buffer)]?.bytes(F.buffer.data) ?? null;
    const q = t.table(F.tensor.quantization);
    const scale = q?.float32s(F.quantization.scale) ?? new Float32Array(0);
    return {
      index,
      name,
      shape: t.int32s(F.tensor.shape),
      type: t.int8(F.tensor.type),
      data: data && data.length ? data : null,
      quantization: q && scale.length ? { scale, zeroPoint: q.int64s(F.quantization.zeroPoint), axis: q.int32(F.quantization.quantizedDimension) } : null,
    };
  });
  const operators = graph.tables(F.subgraph.operators).map((o, index): Operator => {
    const code = codes[o.uint32(F.operator.opcodeIndex)];
    if (!code) throw new TfliteFormatError(`operator ${index} refers to a missing operator code`);
    return {
      index,
      code: code.code,
      customCode: code.custom,
      inputs: o.int32s(F.operator.inputs),
      outputs: o.int32s(F.operator.outputs),
      options: o.table(F.operator.builtinOptions),
      customOptions: o.bytes(F.operator.customOptions),
    };
  });
  return {
    description: model.string(F.model.description) ?? '',
    tensors,
    operators,
    inputs: graph.int32s(F.subgraph.inputs),
    outputs: graph.int32s(F.subgraph.outputs),
  };
}
