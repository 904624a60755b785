// Writes small TFLite flatbuffers for tests with the flatbuffers Builder (field numbers from schema.fbs).
import { Builder } from 'flatbuffers';

export interface FixtureTensor {
  name: string;
  shape: number[];
  /** A constant's values (float32 or int32); activations have none. */
  data?: Float32Array | Int32Array;
}
export interface FixtureOp {
  /** BuiltinOperator code; 32 (CUSTOM) takes `custom`. */
  code: number;
  custom?: string;
  inputs: number[];
  outputs: number[];
  /** The builtin options table: its BuiltinOptions union type and its scalar fields by field number. */
  options?: { type: number; fields: { field: number; kind: 'int8' | 'int32'; value: number }[] };
  /** A custom op's raw options bytes (Operator.custom_options). */
  customOptions?: Uint8Array;
}

function intVector(b: Builder, values: number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]);
  return b.endVector();
}

function offsetVector(b: Builder, offsets: number[]): number {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]);
  return b.endVector();
}

/** A model of `tensors` (float32 activations, float32/int32 constants) and `ops` in order, with graph inputs and outputs. */
export function tfliteModel(tensors: FixtureTensor[], ops: FixtureOp[], inputs: number[], outputs: number[]): Uint8Array {
  const b = new Builder(1024);
  const codes = [...new Map(ops.map((o) => [`${o.code}:${o.custom ?? ''}`, o])).values()];
  const codeIndex = (o: FixtureOp) => codes.findIndex((c) => c.code === o.code && c.custom === o.custom);

  const constants = tensors.filter((t) => t.data);
  const tensorOffsets = tensors.map((t) => {
    const name = b.createString(t.name);
    const shape = intVector(b, t.shape);
    b.startObject(4);
    b.addFieldOffset(0, shape, 0); // shape
    b.addFieldInt8(1, t.data instanceof Int32Array ? 2 : 0, -1); // type INT32 or FLOAT32
    b.addFieldInt32(2, t.data ? constants.indexOf(t) + 1 : 0, -1); // buffer (0: the empty one)
    b.addFieldOffset(3, name, 0); // name
    return b.endObject();
  });
  const opOffsets = ops.map((o) => {
    const custom = o.customOptions ? b.createByteVector(o.customOptions) : 0;
    const ins = intVector(b, o.inputs);
    const outs = intVector(b, o.outputs);
    let options = 0;
    if (o.options) {
      b.forceDefaults(true); // every field given is written, whatever its value
      b.startObject(8);
      for (const f of o.options.fields) {
        if (f.kind === 'int8') b.addFieldInt8(f.field, f.value, 0);
        else b.addFieldInt32(f.field, f.value, 0);
      }
      options = b.endObject();
      b.forceDefaults(false);
    }
    b.startObject(6);
    b.addFieldInt32(0, codeIndex(o), -1); // opcode_index
    b.addFieldOffset(1, ins, 0);
    b.addFieldOffset(2, outs, 0);
    if (o.options) {
      b.addFieldInt8(3, o.options.type, -1); // builtin_options_type
      b.addFieldOffset(4, options, 0); // builtin_options
    }
    if (custom) b.addFieldOffset(5, custom, 0); // custom_options
    return b.endObject();
  });
  const codeOffsets = codes.map((c) => {
    const custom = c.custom ? b.createString(c.custom) : 0;
    b.startObject(4);
    b.addFieldInt8(0, Math.min(c.code, 127), -1); // deprecated_builtin_code
    if (custom) b.addFieldOffset(1, custom, 0);
    b.addFieldInt32(3, c.code, -1); // builtin_code
    return b.endObject();
  });
  const subgraph = (() => {
    const t = offsetVector(b, tensorOffsets);
    const i = intVector(b, inputs);
    const o = intVector(b, outputs);
    const ops_ = offsetVector(b, opOffsets);
    b.startObject(4);
    b.addFieldOffset(0, t, 0);
    b.addFieldOffset(1, i, 0);
    b.addFieldOffset(2, o, 0);
    b.addFieldOffset(3, ops_, 0);
    return b.endObject();
  })();
  const bufferOffsets = [new Uint8Array(0), ...constants.map((t) => new Uint8Array(t.data!.buffer, t.data!.byteOffset, t.data!.byteLength))].map((bytes) => {
    const data = bytes.length ? b.createByteVector(bytes) : 0;
    b.startObject(1);
    if (data) b.addFieldOffset(0, data, 0);
    return b.endObject();
  });
  const codesVec = offsetVector(b, codeOffsets);
  const subgraphs = offsetVector(b, [subgraph]);
  const buffers = offsetVector(b, bufferOffsets);
  const description = b.createString('stylecast test fixture');
  b.startObject(5);
  b.addFieldInt32(0, 3, 0); // version
  b.addFieldOffset(1, codesVec, 0);
  b.addFieldOffset(2, subgraphs, 0);
  b.addFieldOffset(3, description, 0);
  b.addFieldOffset(4, buffers, 0);
  b.finish(b.endObject(), 'TFL3');
  return b.asUint8Array();
}
