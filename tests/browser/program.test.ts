// The GPU-program layer (src/engine/gpu/program.ts): uniform packing by WGSL's alignment rules (checked byte for byte
// against hand-packed buffers and against what a shader reads), bindings by name, the check against the WGSL, the
// pipeline cache, pipeline constants, and the programs migrated onto it.
import { beforeAll, describe, expect, it } from 'vitest';
import { importFrame } from '../../src/engine/gpu/frame-import.ts';
import { defineProgram, dispatch, uniformLayout } from '../../src/engine/gpu/program.ts';
import { GpuCanvasSink, present } from '../../src/engine/gpu/present.ts';
import { gpuDeviceForFile } from './gpu-device.ts';
import { readBuffer } from '../../src/engine/temporal/estimate.ts';
import { temporalPrograms } from '../../src/engine/temporal/pipelines.ts';

const gpu = gpuDeviceForFile();
let device: GPUDevice;

beforeAll(async () => {
  device = gpu.device;
});

const bytes = (b: ArrayBuffer) => Array.from(new Uint8Array(b));

// Every alignment case in one struct: f32 at 0; vec3 aligned to 16; a u32 in the vec3's tail (28); vec2 at 32;
// vec4 aligned to 48; i32 at 64; size 68 rounded up to 80.
const MIXED_WGSL = /* wgsl */ `
struct Params {
  a: f32,
  b: vec3<f32>,
  c: u32,
  d: vec2i,
  e: vec4<f32>,
  f: i32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(1)
fn main() {
  out[0] = bitcast<u32>(params.a);
  out[1] = bitcast<u32>(params.b.x);
  out[2] = bitcast<u32>(params.b.y);
  out[3] = bitcast<u32>(params.b.z);
  out[4] = params.c;
  out[5] = bitcast<u32>(params.d.x);
  out[6] = bitcast<u32>(params.d.y);
  out[7] = bitcast<u32>(params.e.x);
  out[8] = bitcast<u32>(params.e.y);
  out[9] = bitcast<u32>(params.e.z);
  out[10] = bitcast<u32>(params.e.w);
  out[11] = bitcast<u32>(params.f);
}
`;

const mixedDecl = {
  name: 'mixed',
  code: MIXED_WGSL,
  bindings: { params: 'uniform', out: 'storage' },
  uniforms: { a: 'f32', b: 'vec3<f32>', c: 'u32', d: 'vec2<i32>', e: 'vec4<f32>', f: 'i32' },
  workgroupSize: [1],
} as const;
const mixed = defineProgram(mixedDecl);
const mixedValues = { a: 0.5, b: [1.25, -2, 3.5], c: 4000000000, d: [-7, 8], e: [0.1, 0.2, 0.3, 0.4], f: -123456 };

function handPackedMixed(): ArrayBuffer {
  const data = new ArrayBuffer(80);
  new Float32Array(data, 0, 1).set([0.5]);
  new Float32Array(data, 16, 3).set([1.25, -2, 3.5]);
  new Uint32Array(data, 28, 1).set([4000000000]);
  new Int32Array(data, 32, 2).set([-7, 8]);
  new Float32Array(data, 48, 4).set([0.1, 0.2, 0.3, 0.4]);
  new Int32Array(data, 64, 1).set([-123456]);
  return data;
}

describe('uniform packing', () => {
  it('lays out mixed types by WGSL alignment, byte for byte as packed by hand', () => {
    expect(uniformLayout(mixedDecl.uniforms).fields.map((f) => [f.name, f.offset])).toEqual([
      ['a', 0],
      ['b', 16],
      ['c', 28],
      ['d', 32],
      ['e', 48],
      ['f', 64],
    ]);
    expect(mixed.uniformSize).toBe(80);
    expect(bytes(mixed.uniforms(mixedValues))).toEqual(bytes(handPackedMixed()));
  });

  it('the shader reads every field where the packing put it', async () => {
    const params = device.createBuffer({ size: mixed.uniformSize, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const out = device.createBuffer({ size: 48, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    device.queue.writeBuffer(params, 0, mixed.uniforms(mixedValues));
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    dispatch(pass, mixed, mixed.bind(device, { params, out }), 1);
    pass.end();
    device.queue.submit([encoder.finish()]);
    const got = await readBuffer(device, out);
    const f32 = new Float32Array(got);
    const u32 = new Uint32Array(got);
    const i32 = new Int32Array(got);
    expect([f32[0], f32[1], f32[2], f32[3]]).toEqual([0.5, 1.25, -2, 3.5]);
    expect(u32[4]).toBe(4000000000);
    expect([i32[5], i32[6]]).toEqual([-7, 8]);
    expect(Array.from(f32.subarray(7, 11))).toEqual(Array.from(new Float32Array([0.1, 0.2, 0.3, 0.4])));
    expect(i32[11]).toBe(-123456);
    params.destroy();
    out.destroy();
  });

  it('packs the migrated programs exactly as the hand-packed buffers they replace', () => {
    // compose.wgsl Params, as temporal/index.ts packed it before (and low_half after them, rounding it to 64 bytes).
    const compose = new ArrayBuffer(64);
    new Uint32Array(compose, 0, 4).set([456, 256, 96, 54]);
    new Float32Array(compose, 16, 1).set([0.7]);
    new Uint32Array(compose, 20, 1).set([1]);
    new Float32Array(compose, 24, 3).set([0.1, 0.6, 2]);
    new Uint32Array(compose, 36, 1).set([1]);
    new Float32Array(compose, 40, 2).set([18, 25.6]);
    new Uint32Array(compose, 48, 1).set([1]);
    const c = temporalPrograms.compose.uniforms({
      size: [456, 256],
      flow_size: [96, 54],
      alpha: 0.7,
      first: 1,
      cut_residual: 0.1,
      cut_inconsistent: 0.6,
      sigma: 2,
      mode: 1,
      max_age: 18,
      cell: 25.6,
      low_half: 1,
    });
    expect(bytes(c)).toEqual(bytes(compose));

    // lk.wgsl Params (temporal/flow.ts).
    const lk = new ArrayBuffer(48);
    new Uint32Array(lk, 0, 6).set([96, 54, 48, 27, 1, 6]);
    new Float32Array(lk, 24, 2).set([1e-3, 0.15]);
    new Uint32Array(lk, 32, 1).set([1]);
    const l = temporalPrograms.lk.uniforms({
      size: [96, 54],
      coarse_size: [48, 27],
      has_coarse: 1,
      iterations: 6,
      lambda: 1e-3,
      sigma_luma: 0.15,
      zero_test: 1,
    });
    expect(bytes(l)).toEqual(bytes(lk));

    // flow_smooth.wgsl Params: an i32 among u32 and f32.
    const smooth = new ArrayBuffer(32);
    new Uint32Array(smooth, 0, 2).set([96, 54]);
    new Int32Array(smooth, 8, 1).set([2]);
    new Float32Array(smooth, 12, 3).set([1.5, 0.1, 1]);
    const s = temporalPrograms.smooth.uniforms({ size: [96, 54], radius: 2, sigma_space: 1.5, sigma_luma: 0.1, sigma_flow: 1 });
    expect(bytes(s)).toEqual(bytes(smooth));

    // blur_rows.wgsl: vec2<u32> then f32, padded to 16.
    const blur = new ArrayBuffer(16);
    new Uint32Array(blur, 0, 2).set([456, 256]);
    new Float32Array(blur, 8, 1).set([2]);
    expect(bytes(temporalPrograms.blurRows.uniforms({ size: [456, 256], sigma: 2 }))).toEqual(bytes(blur));

    // Size-only structs (the old `new Uint32Array([w, h, …]).buffer`, padded to 16).
    const sizes = new ArrayBuffer(16);
    new Uint32Array(sizes, 0, 4).set([456, 256, 96, 54]);
    expect(bytes(temporalPrograms.warp.uniforms({ size: [456, 256], flow_size: [96, 54] }))).toEqual(bytes(sizes));
    expect(bytes(temporalPrograms.downsample.uniforms({ src_size: [456, 256], dst_size: [96, 54] }))).toEqual(bytes(sizes));
    expect(bytes(present.uniforms({ src_size: [456, 256], dst_size: [96, 54] }))).toEqual(bytes(sizes));
    const two = new ArrayBuffer(16);
    new Uint32Array(two, 0, 2).set([96, 54]);
    for (const p of [temporalPrograms.luma, temporalPrograms.gradient, temporalPrograms.median, temporalPrograms.splat]) {
      expect(bytes(p.uniforms({ size: [96, 54] }))).toEqual(bytes(two));
    }
    // confidence.wgsl: the size, then the occlusion test (1: crowding) in the same 16 bytes; splat reads its size.
    const crowding = new ArrayBuffer(16);
    new Uint32Array(crowding, 0, 3).set([96, 54, 1]);
    expect(bytes(temporalPrograms.confidence.uniforms({ size: [96, 54], crowding: 1 }))).toEqual(bytes(crowding));

    // import_frame.wgsl: explicit padding field left out (zero), rect at 16.
    const imp = new ArrayBuffer(32);
    new Uint32Array(imp, 0, 2).set([64, 48]);
    new Float32Array(imp, 16, 4).set([0.25, 0, 0.5, 1]);
    expect(bytes(importFrame.uniforms({ dst_size: [64, 48], src_origin: [0.25, 0], src_extent: [0.5, 1] }))).toEqual(bytes(imp));
  });

  it('throws on a missing, unknown or ill-typed field, naming the program and the field', () => {
    const { c: _c, ...noC } = mixedValues;
    expect(() => mixed.uniforms(noC as typeof mixedValues)).toThrow('program mixed: missing uniform "c" (u32)');
    expect(() => mixed.uniforms({ ...mixedValues, g: 1 } as typeof mixedValues)).toThrow('program mixed: unknown uniform "g"');
    expect(() => mixed.uniforms({ ...mixedValues, b: [1, 2] })).toThrow('program mixed: uniform "b" is vec3<f32>: expected 3 numbers');
    expect(() => mixed.uniforms({ ...mixedValues, a: [1] as unknown as number })).toThrow('uniform "a" is f32: expected a number');
    expect(() => mixed.uniforms({ ...mixedValues, c: -1 })).toThrow('uniform "c" is u32: -1 is not a u32');
    expect(() => mixed.uniforms({ ...mixedValues, f: 1.5 })).toThrow('uniform "f" is i32: 1.5 is not a i32');
  });
});

describe('bindings by name', () => {
  it('throws on a missing or unknown binding, naming the program and the binding', () => {
    const params = device.createBuffer({ size: 80, usage: GPUBufferUsage.UNIFORM });
    expect(() => mixed.bind(device, { params } as never)).toThrow('program mixed: missing binding "out" (storage, binding 1)');
    expect(() => mixed.bind(device, { params, out: params, extra: params } as never)).toThrow('program mixed: unknown binding "extra" (bindings: params, out)');
    const sampler = device.createSampler();
    expect(() => mixed.bind(device, { params, out: sampler } as never)).toThrow('program mixed: binding "out" (storage) needs a GPUBuffer');
    params.destroy();
  });

  it('refuses to dispatch a group with another program', () => {
    const { luma, gradient } = temporalPrograms;
    const a = device.createBuffer({ size: 64, usage: GPUBufferUsage.STORAGE });
    const u = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM });
    const group = gradient.bind(device, { luma: a, grad: a, params: u });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    expect(() => dispatch(pass, luma, group, 8, 8)).toThrow('program luma: dispatched with a bind group of program gradient');
    pass.end();
    encoder.finish();
    a.destroy();
    u.destroy();
  });
});

describe('the declaration against its WGSL', () => {
  const wrong = (change: Partial<typeof mixedDecl> | Record<string, unknown>) => () => defineProgram({ ...mixedDecl, ...change } as typeof mixedDecl);
  it('refuses a binding with another name, kind or place', () => {
    expect(wrong({ bindings: { params: 'uniform', result: 'storage' } })).toThrow(
      'program mixed: declaration does not match its WGSL: binding 1 is "out" in the WGSL, "result" in the declaration',
    );
    expect(wrong({ bindings: { params: 'uniform', out: 'read-only-storage' } })).toThrow('binding "out" is storage in the WGSL, read-only-storage in the declaration');
    expect(wrong({ bindings: { out: 'storage', params: 'uniform' } })).toThrow('binding 0 is "params" in the WGSL, "out" in the declaration');
    expect(wrong({ bindings: { params: 'uniform' } })).toThrow('1 bindings declared, 2 in the WGSL');
  });
  it('refuses uniform fields out of order or of another type, and a wrong workgroup size', () => {
    expect(wrong({ uniforms: { ...mixedDecl.uniforms, c: 'i32' } })).toThrow('uniform struct Params is { a: f32, b: vec3<f32>, c: u32, d: vec2<i32>, e: vec4<f32>, f: i32 }');
    expect(wrong({ uniforms: { b: 'vec3<f32>', a: 'f32', c: 'u32', d: 'vec2<i32>', e: 'vec4<f32>', f: 'i32' } })).toThrow('declared { b: vec3<f32>, a: f32');
    expect(wrong({ workgroupSize: [8, 8] })).toThrow('program mixed: workgroup size 8×8×1 but the WGSL says 1×1×1');
  });
});

describe('pipeline cache', () => {
  it('compiles a program once per device, keyed by name and code', async () => {
    expect(mixed.pipeline(device)).toBe(mixed.pipeline(device));
    // The same declaration made again (another module, say) finds the same pipeline and layout.
    const again = defineProgram(mixedDecl);
    expect(again.key).toBe(mixed.key);
    expect(again.pipeline(device)).toBe(mixed.pipeline(device));
    expect(again.layout(device)).toBe(mixed.layout(device));
    // Other code under the same name is another pipeline.
    const edited = defineProgram({ ...mixedDecl, code: MIXED_WGSL.replace('out[0] = bitcast<u32>(params.a);', 'out[0] = 1u;') });
    expect(edited.key).not.toBe(mixed.key);
    expect(edited.key.startsWith('mixed#')).toBe(true);
    expect(edited.pipeline(device)).not.toBe(mixed.pipeline(device));
    // Another device compiles its own.
    const other = await (await navigator.gpu.requestAdapter())!.requestDevice();
    try {
      expect(mixed.pipeline(other)).not.toBe(mixed.pipeline(device));
      expect(mixed.pipeline(other)).toBe(mixed.pipeline(other));
    } finally {
      other.destroy();
    }
    // A render program: once per device and target format.
    expect(present.pipeline(device, 'rgba8unorm')).toBe(present.pipeline(device, 'rgba8unorm'));
    expect(present.pipeline(device, 'bgra8unorm')).not.toBe(present.pipeline(device, 'rgba8unorm'));
  });
});

// Pipeline constants: one WGSL, variants set when the pipeline is compiled (as the temporal stage's lk and warp).
const OVERRIDE_WGSL = /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<u32>;

override K: u32 = 1u;
@id(7) override FLAG: bool = true;

@compute @workgroup_size(1)
fn main() {
  out[0] = K;
  out[1] = select(0u, 1u, FLAG);
}
`;

describe('pipeline constants', () => {
  const variant = (constants?: Record<string, number>) =>
    defineProgram({ name: 'overrides', code: OVERRIDE_WGSL, bindings: { out: 'storage' }, workgroupSize: [1], ...(constants ? { constants } : {}) });
  const run = async (program: ReturnType<typeof variant>) => {
    const out = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    dispatch(pass, program, program.bind(device, { out }), 1);
    pass.end();
    device.queue.submit([encoder.finish()]);
    const got = Array.from(new Uint32Array(await readBuffer(device, out)).subarray(0, 2));
    out.destroy();
    return got;
  };

  it('are set on the pipeline, and each setting is a pipeline of its own', async () => {
    const [plain, five, nine, fiveOff] = [variant(), variant({ K: 5 }), variant({ K: 9 }), variant({ 7: 0, K: 5 })];
    expect(await run(plain)).toEqual([1, 1]);
    expect(await run(five)).toEqual([5, 1]);
    expect(await run(nine)).toEqual([9, 1]);
    expect(await run(fiveOff)).toEqual([5, 0]);
    expect(new Set([plain, five, nine, fiveOff].map((p) => p.key)).size).toBe(4);
    expect(five.pipeline(device)).not.toBe(nine.pipeline(device));
    // The same setting, in any order, is the same pipeline (FLAG is set by its @id).
    expect(variant({ K: 5, 7: 0 }).key).toBe(fiveOff.key);
    expect(variant({ K: 5 }).pipeline(device)).toBe(five.pipeline(device));
  });

  it('refuses a constant the WGSL does not declare as an override', () => {
    expect(() => variant({ J: 1 })).toThrow('program overrides: pipeline constant J is not an override in the WGSL (its constants: K, 7)');
    // One with an @id is known by its id alone (WebGPU's rule).
    expect(() => variant({ FLAG: 0 })).toThrow('pipeline constant FLAG is not an override in the WGSL');
    expect(() => variant({ K: NaN })).toThrow('pipeline constant K is NaN, not a finite number');
  });

  it("the temporal stage's variants are one WGSL each, told apart by their constants", () => {
    expect(temporalPrograms.lk5.code).toBe(temporalPrograms.lk.code);
    expect([temporalPrograms.lk.constants, temporalPrograms.lk5.constants]).toEqual([{ RADIUS: 3 }, { RADIUS: 2 }]);
    expect(temporalPrograms.warp4.code).toBe(temporalPrograms.warp.code);
    expect([temporalPrograms.warp.constants, temporalPrograms.warp4.constants]).toEqual([{ TAPS: 6 }, { TAPS: 4 }]);
  });
});

describe('present (a render program on the layer)', () => {
  it('draws a buffer over the canvas', async () => {
    // 2×1 source, red then blue; drawn on an 8×2 canvas: left end red, right end blue.
    const src = device.createBuffer({ size: 24, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(src, 0, new Float32Array([1, 0, 0, 0, 0, 1]));
    const sink = new GpuCanvasSink(device, 8, 2);
    try {
      sink.present(src, 2, 1);
      sink.present(src, 2, 1); // the group is reused
      await device.queue.onSubmittedWorkDone();
      const bitmap = await createImageBitmap(sink.canvas);
      const c = new OffscreenCanvas(8, 2);
      const ctx = c.getContext('2d')!;
      ctx.drawImage(bitmap, 0, 0);
      const px = ctx.getImageData(0, 0, 8, 2).data;
      expect(Array.from(px.subarray(0, 4))).toEqual([255, 0, 0, 255]);
      expect(Array.from(px.subarray(7 * 4, 8 * 4))).toEqual([0, 0, 255, 255]);
    } finally {
      sink.dispose();
      src.destroy();
    }
  });
});
