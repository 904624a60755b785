// One GPU-program layer: each WGSL program is declared once — its bindings (in binding order, each with its kind)
// and the fields of its uniform struct (in the struct's order, typed) — and everything the host needs is derived
// from that declaration:
//   - the bind-group layout and the pipeline, compiled once per device and cached by the program's key (its name and
//     a hash of its code, bindings, entry points and pipeline constants), so two declarations of the same program
//     share one pipeline and two settings of its constants do not;
//   - bind groups built from resources named like the WGSL variables (`program.bind(device, { src, dst, params })`),
//     a missing or unknown name being an Error that names the program and the binding;
//   - the uniform buffer's bytes, laid out by WGSL's alignment rules (`program.uniforms({ size: [w, h], alpha })`);
//   - the dispatch, from the program's workgroup size.
// The declaration is checked against the WGSL when it is made (binding numbers, names and kinds; the uniform
// struct's fields and types; @workgroup_size; each pipeline constant's `override`): a shader edit that the host does not follow fails at load, not as a
// garbled buffer on the GPU.

export type BindingKind = 'read-only-storage' | 'storage' | 'uniform' | 'texture' | 'sampler' | 'external-texture';

type Scalar = 'u32' | 'i32' | 'f32';
export type UniformType = Scalar | `vec${2 | 3 | 4}<${Scalar}>`;

type ResourceOf<K extends BindingKind> = K extends 'read-only-storage' | 'storage' | 'uniform'
  ? GPUBuffer
  : K extends 'sampler'
    ? GPUSampler
    : K extends 'texture'
      ? GPUTextureView
      : GPUExternalTexture;

/** The resource for every binding, by name. */
export type Resources<B extends Record<string, BindingKind>> = { [K in keyof B]: ResourceOf<B[K]> };

type ValueOf<T extends UniformType> = T extends Scalar ? number : readonly number[];
/** Every uniform field by name; fields whose name starts with `_` are padding, zero unless given. */
export type UniformValues<U extends Record<string, UniformType>> = {
  [K in keyof U as K extends `_${string}` ? never : K]: ValueOf<U[K]>;
} & {
  [K in keyof U as K extends `_${string}` ? K : never]?: ValueOf<U[K]>;
};

interface BaseDeclaration<B extends Record<string, BindingKind>, U extends Record<string, UniformType>> {
  name: string;
  code: string;
  /** Binding 0, 1, … of group 0, in order: WGSL variable name → kind. */
  bindings: B;
  /** The fields of the struct behind the `uniform` binding, in the struct's order. */
  uniforms?: U;
}

export interface ComputeDeclaration<B extends Record<string, BindingKind>, U extends Record<string, UniformType>> extends BaseDeclaration<B, U> {
  entryPoint?: string;
  /** Must equal the entry point's @workgroup_size; [8, 8, 1] if not given. */
  workgroupSize?: readonly [number, number?, number?];
  /**
   * Values of the WGSL's pipeline-overridable constants (`override NAME`), by name, set when the pipeline is compiled
   * (the pipeline's `compute.constants`); the others keep the WGSL's defaults. One WGSL serves several variants
   * this way, each a pipeline of its own.
   */
  constants?: Readonly<Record<string, number>>;
}

export interface RenderDeclaration<B extends Record<string, BindingKind>, U extends Record<string, UniformType>> extends BaseDeclaration<B, U> {
  vertex?: string;
  fragment?: string;
  /** Shader stages that see the bindings (GPUShaderStage flags); the fragment stage if not given. */
  visibility?: number;
}

/** A bind group of one program on one device. */
export interface Bound {
  readonly program: Program;
  readonly device: GPUDevice;
  readonly group: GPUBindGroup;
}

interface Field {
  name: string;
  type: UniformType;
  offset: number;
  /** Components (1 for a scalar). */
  count: number;
  scalar: Scalar;
}

/** GPUShaderStage's values, usable where the WebGPU globals are not (module load in Node, a test's type check). */
export const GPUShaderStageFlags = { VERTEX: 1, FRAGMENT: 2, COMPUTE: 4 } as const;

/** Byte layout of a struct of these fields under WGSL's rules (size rounded up to 16 for a uniform buffer). */
export function uniformLayout(fields: Record<string, UniformType>): { fields: Field[]; size: number } {
  const out: Field[] = [];
  let offset = 0;
  for (const [name, type] of Object.entries(fields)) {
    const m = /^(?:vec([234])<(u32|i32|f32)>|(u32|i32|f32))$/.exec(type);
    if (!m) throw new Error(`uniform field ${name}: unsupported type ${type}`);
    const count = m[1] ? Number(m[1]) : 1;
    const scalar = (m[2] ?? m[3]) as Scalar;
    // u32/i32/f32: size 4, align 4; vec2: 8/8; vec3: 12/16; vec4: 16/16.
    const align = count === 1 ? 4 : count === 2 ? 8 : 16;
    offset = Math.ceil(offset / align) * align;
    out.push({ name, type, offset, count, scalar });
    offset += 4 * count;
  }
  return { fields: out, size: Math.max(16, Math.ceil(offset / 16) * 16) };
}

/** FNV-1a, 32 bits, as 8 hex digits: the code part of a pipeline's cache key. */
export function hashCode(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

const pipelineCache = new WeakMap<GPUDevice, Map<string, GPUComputePipeline | GPURenderPipeline>>();
const layoutCache = new WeakMap<GPUDevice, Map<string, GPUBindGroupLayout>>();
/** Pipelines being compiled ahead (`warm`), by device and key: settled once the pipeline is in the cache (or failed). */
const warming = new WeakMap<GPUDevice, Map<string, Promise<void>>>();

function cached<T>(cache: WeakMap<GPUDevice, Map<string, unknown>>, device: GPUDevice, key: string, make: () => T): T {
  let map = cache.get(device);
  if (!map) cache.set(device, (map = new Map()));
  let value = map.get(key) as T | undefined;
  if (value === undefined) map.set(key, (value = make()));
  return value;
}

function layoutEntry(binding: number, kind: BindingKind, visibility: number): GPUBindGroupLayoutEntry {
  switch (kind) {
    case 'read-only-storage':
    case 'storage':
    case 'uniform':
      return { binding, visibility, buffer: { type: kind } };
    case 'sampler':
      return { binding, visibility, sampler: { type: 'filtering' } };
    case 'texture':
      return { binding, visibility, texture: { sampleType: 'float', viewDimension: '2d' } };
    case 'external-texture':
      return { binding, visibility, externalTexture: {} };
  }
}

/** The class a resource of this kind must be an instance of (when the environment defines it). */
function resourceClass(kind: BindingKind): string {
  return kind === 'sampler' ? 'GPUSampler' : kind === 'texture' ? 'GPUTextureView' : kind === 'external-texture' ? 'GPUExternalTexture' : 'GPUBuffer';
}

export abstract class Program<B extends Record<string, BindingKind> = Record<string, BindingKind>, U extends Record<string, UniformType> = Record<string, UniformType>> {
  readonly name: string;
  readonly code: string;
  /** Cache key: name and a hash of what the pipeline is made of. */
  readonly key: string;
  readonly bindings: readonly { name: string; kind: BindingKind; binding: number }[];
  /** Byte size of the packed uniforms (0 without a uniform struct). */
  readonly uniformSize: number;
  readonly #fields: Field[];
  readonly #visibility: number;

  protected constructor(decl: BaseDeclaration<B, U>, visibility: number, entryPoints: string[], extra: string) {
    this.name = decl.name;
    this.code = decl.code;
    this.bindings = Object.entries(decl.bindings).map(([name, kind], binding) => ({ name, kind, binding }));
    const layout = decl.uniforms ? uniformLayout(decl.uniforms) : { fields: [], size: 0 };
    this.#fields = layout.fields;
    this.uniformSize = layout.size;
    this.#visibility = visibility;
    const signature = this.bindings.map((b) => `${b.binding}:${b.name}:${b.kind}`).join(',');
    this.key = `${decl.name}#${hashCode(`${decl.code}\n${signature}\n${visibility}\n${entryPoints.join(',')}\n${extra}`)}`;
    checkAgainstWgsl(this, this.#fields, entryPoints);
  }

  protected error(message: string): Error {
    return new Error(`program ${this.name}: ${message}`);
  }

  /** The bind-group layout (group 0), made once per device. */
  layout(device: GPUDevice): GPUBindGroupLayout {
    return cached(layoutCache, device, this.key, () =>
      device.createBindGroupLayout({ label: this.name, entries: this.bindings.map((b) => layoutEntry(b.binding, b.kind, this.#visibility)) }),
    );
  }

  protected pipelineLayout(device: GPUDevice): GPUPipelineLayout {
    return device.createPipelineLayout({ label: this.name, bindGroupLayouts: [this.layout(device)] });
  }

  protected module(device: GPUDevice): GPUShaderModule {
    return device.createShaderModule({ label: this.name, code: this.code });
  }

  protected cachedPipeline<T extends GPUComputePipeline | GPURenderPipeline>(device: GPUDevice, key: string, make: () => T): T {
    return cached(pipelineCache, device, key, make);
  }

  /**
   * Compiles the pipeline under `key` with the device's async call (the browser may compile it off the device's
   * thread, and nothing waits for it until a frame needs it) and caches it; one compile per device and key, however
   * often this is called. Never rejects: a pipeline that fails to compile is left out of the cache, so its first use
   * compiles it again and reports the error where it always did.
   */
  protected warmPipeline<T extends GPUComputePipeline | GPURenderPipeline>(device: GPUDevice, key: string, make: () => Promise<T>): Promise<void> {
    if (pipelineCache.get(device)?.has(key)) return Promise.resolve();
    let map = warming.get(device);
    if (!map) warming.set(device, (map = new Map()));
    let job = map.get(key);
    if (!job) {
      const jobs = map;
      job = Promise.resolve()
        .then(() => {
          // This compile's own errors (a shader the device rejects) are the first use's to report, not the warm-up's.
          device.pushErrorScope('validation');
          try {
            return make();
          } finally {
            void device.popErrorScope().catch(() => {});
          }
        })
        .then(
          (pipeline) => void cached(pipelineCache, device, key, () => pipeline),
          () => {},
        )
        .finally(() => jobs.delete(key));
      map.set(key, job);
    }
    return job;
  }

  /** A bind group from resources named like the bindings; throws on a missing or unknown name. */
  bind(device: GPUDevice, resources: Resources<B>, label = this.name): Bound {
    const given = resources as Record<string, unknown>;
    for (const name of Object.keys(given)) {
      if (!this.bindings.some((b) => b.name === name)) {
        throw this.error(`unknown binding "${name}" (bindings: ${this.bindings.map((b) => b.name).join(', ')})`);
      }
    }
    const entries = this.bindings.map(({ name, kind, binding }): GPUBindGroupEntry => {
      const resource = given[name];
      if (resource === undefined || resource === null) throw this.error(`missing binding "${name}" (${kind}, binding ${binding})`);
      const cls = resourceClass(kind);
      const ctor = (globalThis as Record<string, unknown>)[cls];
      if (typeof ctor === 'function' && !(resource instanceof ctor)) throw this.error(`binding "${name}" (${kind}) needs a ${cls}`);
      return { binding, resource: cls === 'GPUBuffer' ? { buffer: resource as GPUBuffer } : (resource as GPUBindingResource) };
    });
    return { program: this as Program, device, group: device.createBindGroup({ label, layout: this.layout(device), entries }) };
  }

  /** The uniform struct's bytes; throws on a missing or unknown field, or a value its type cannot hold. */
  uniforms(values: UniformValues<U>): ArrayBuffer {
    if (!this.#fields.length) throw this.error('has no uniforms');
    const given = values as Record<string, number | readonly number[] | undefined>;
    for (const name of Object.keys(given)) {
      if (!this.#fields.some((f) => f.name === name)) throw this.error(`unknown uniform "${name}" (fields: ${this.#fields.map((f) => f.name).join(', ')})`);
    }
    const data = new ArrayBuffer(this.uniformSize);
    const view = new DataView(data);
    for (const f of this.#fields) {
      const v = given[f.name];
      if (v === undefined) {
        if (!f.name.startsWith('_')) throw this.error(`missing uniform "${f.name}" (${f.type})`);
        continue;
      }
      const parts = typeof v === 'number' ? [v] : Array.from(v);
      if (parts.length !== f.count || (f.count === 1 && typeof v !== 'number')) {
        throw this.error(`uniform "${f.name}" is ${f.type}: expected ${f.count === 1 ? 'a number' : `${f.count} numbers`}, got ${JSON.stringify(v)}`);
      }
      parts.forEach((x, i) => {
        const at = f.offset + 4 * i;
        if (f.scalar === 'f32') return view.setFloat32(at, x, true);
        const ok = Number.isInteger(x) && (f.scalar === 'u32' ? x >= 0 && x <= 0xffffffff : x >= -0x80000000 && x <= 0x7fffffff);
        if (!ok) throw this.error(`uniform "${f.name}" is ${f.type}: ${x} is not a ${f.scalar}`);
        if (f.scalar === 'u32') view.setUint32(at, x, true);
        else view.setInt32(at, x, true);
      });
    }
    return data;
  }
}

export class ComputeProgram<B extends Record<string, BindingKind> = Record<string, BindingKind>, U extends Record<string, UniformType> = Record<string, UniformType>> extends Program<B, U> {
  readonly entryPoint: string;
  readonly workgroupSize: readonly [number, number, number];
  /** The pipeline constants the declaration sets (see ComputeDeclaration.constants). */
  readonly constants: Readonly<Record<string, number>>;

  constructor(decl: ComputeDeclaration<B, U>) {
    const entryPoint = decl.entryPoint ?? 'main';
    const [x, y = 1, z = 1] = decl.workgroupSize ?? [8, 8, 1];
    const constants = { ...decl.constants };
    const setting = Object.entries(constants).map(([name, value]) => `${name}=${value}`).sort().join(',');
    super(decl, GPUShaderStageFlags.COMPUTE, [entryPoint], `wg ${x},${y},${z}${setting ? `\nconstants ${setting}` : ''}`);
    this.entryPoint = entryPoint;
    this.workgroupSize = [x, y, z];
    this.constants = constants;
    const declared = workgroupSizeIn(this.code, entryPoint);
    if (!declared || declared.join() !== this.workgroupSize.join()) {
      throw this.error(`workgroup size ${this.workgroupSize.join('×')} but the WGSL says ${declared ? declared.join('×') : 'nothing'}`);
    }
    const overrides = overridesIn(this.code);
    for (const [name, value] of Object.entries(constants)) {
      if (!overrides.includes(name)) throw this.error(`pipeline constant ${name} is not an override in the WGSL (its constants: ${overrides.join(', ') || 'none'})`);
      if (!Number.isFinite(value)) throw this.error(`pipeline constant ${name} is ${value}, not a finite number`);
    }
  }

  /**
   * The compute pipeline, compiled once per device (shared by every program with the same key): taken from the cache
   * (see `warm`), else compiled now.
   */
  pipeline(device: GPUDevice): GPUComputePipeline {
    return this.cachedPipeline(device, this.key, () => device.createComputePipeline(this.#descriptor(device)));
  }

  /** Compiles the pipeline ahead, asynchronously, into the cache `pipeline` reads (see `warmPrograms`). */
  warm(device: GPUDevice): Promise<void> {
    return this.warmPipeline(device, this.key, () => device.createComputePipelineAsync(this.#descriptor(device)));
  }

  #descriptor(device: GPUDevice): GPUComputePipelineDescriptor {
    return { label: this.name, layout: this.pipelineLayout(device), compute: { module: this.module(device), entryPoint: this.entryPoint, constants: this.constants } };
  }
}

export class RenderProgram<B extends Record<string, BindingKind> = Record<string, BindingKind>, U extends Record<string, UniformType> = Record<string, UniformType>> extends Program<B, U> {
  readonly vertex: string;
  readonly fragment: string;

  constructor(decl: RenderDeclaration<B, U>) {
    const vertex = decl.vertex ?? 'vs';
    const fragment = decl.fragment ?? 'fs';
    super(decl, decl.visibility ?? GPUShaderStageFlags.FRAGMENT, [vertex, fragment], '');
    this.vertex = vertex;
    this.fragment = fragment;
  }

  /**
   * A full-target render pipeline (triangle list, one colour target of `format`), compiled once per device and format:
   * taken from the cache (see `warm`), else compiled now.
   */
  pipeline(device: GPUDevice, format: GPUTextureFormat): GPURenderPipeline {
    return this.cachedPipeline(device, `${this.key}@${format}`, () => device.createRenderPipeline(this.#descriptor(device, format)));
  }

  /** Compiles the pipeline for `format` ahead, asynchronously, into the cache `pipeline` reads (see `warmPrograms`). */
  warm(device: GPUDevice, format: GPUTextureFormat): Promise<void> {
    return this.warmPipeline(device, `${this.key}@${format}`, () => device.createRenderPipelineAsync(this.#descriptor(device, format)));
  }

  #descriptor(device: GPUDevice, format: GPUTextureFormat): GPURenderPipelineDescriptor {
    const module = this.module(device);
    return {
      label: this.name,
      layout: this.pipelineLayout(device),
      vertex: { module, entryPoint: this.vertex },
      fragment: { module, entryPoint: this.fragment, targets: [{ format }] },
      primitive: { topology: 'triangle-list' },
    };
  }
}

export function defineProgram<const B extends Record<string, BindingKind>, const U extends Record<string, UniformType> = Record<never, UniformType>>(
  decl: ComputeDeclaration<B, U>,
): ComputeProgram<B, U> {
  return new ComputeProgram(decl);
}

export function defineRenderProgram<const B extends Record<string, BindingKind>, const U extends Record<string, UniformType> = Record<never, UniformType>>(
  decl: RenderDeclaration<B, U>,
): RenderProgram<B, U> {
  return new RenderProgram(decl);
}

/**
 * Compiles every program's pipeline ahead, asynchronously and all at once (render programs for `format`), into the
 * cache that `pipeline`, `dispatch` and `draw` read: awaited before the first frame, it finds them ready instead of
 * compiling each on first use. Resolves when all are done; never rejects (see `warmPipeline`).
 */
export async function warmPrograms(device: GPUDevice, programs: readonly (ComputeProgram | RenderProgram)[], format: GPUTextureFormat): Promise<void> {
  await Promise.all(programs.map((p) => (p instanceof RenderProgram ? p.warm(device, format) : p.warm(device))));
}

/** Records `program` over width×height×depth invocations (rounded up to whole workgroups). */
export function dispatch(pass: GPUComputePassEncoder, program: ComputeProgram, bound: Bound, width: number, height = 1, depth = 1): void {
  if (bound.program !== program) throw new Error(`program ${program.name}: dispatched with a bind group of program ${bound.program.name}`);
  const [x, y, z] = program.workgroupSize;
  pass.setPipeline(program.pipeline(bound.device));
  pass.setBindGroup(0, bound.group);
  pass.dispatchWorkgroups(Math.ceil(width / x), Math.ceil(height / y), Math.ceil(depth / z));
}

/** Records a draw of `vertices` vertices of `program` into a render pass whose target has `format`. */
export function draw(pass: GPURenderPassEncoder, program: RenderProgram, bound: Bound, format: GPUTextureFormat, vertices: number): void {
  if (bound.program !== program) throw new Error(`program ${program.name}: drawn with a bind group of program ${bound.program.name}`);
  pass.setPipeline(program.pipeline(bound.device, format));
  pass.setBindGroup(0, bound.group);
  pass.draw(vertices);
}

// ---- the declaration against the WGSL ----

function stripComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
}

/** `vec2f` → `vec2<f32>`, whitespace removed. */
function normaliseType(type: string): string {
  const t = type.replace(/\s+/g, '');
  const short = /^vec([234])([fiu])$/.exec(t);
  return short ? `vec${short[1]}<${{ f: 'f32', i: 'i32', u: 'u32' }[short[2] as 'f' | 'i' | 'u']}>` : t;
}

function workgroupSizeIn(code: string, entryPoint: string): [number, number, number] | null {
  const src = stripComments(code);
  const m = new RegExp(`@workgroup_size\\(([^)]*)\\)\\s*fn\\s+${entryPoint}\\b`).exec(src);
  if (!m) return null;
  const [x, y = 1, z = 1] = m[1].split(',').filter((s) => s.trim()).map((s) => Number(s.trim()));
  return [x, y, z];
}

/**
 * The keys the pipeline's `constants` take for the module's pipeline-overridable constants: an `override`'s name, or
 * its @id(n)'s n where it has one (WebGPU's rule: such a constant is not known by its name).
 */
function overridesIn(code: string): string[] {
  return [...stripComments(code).matchAll(/(?:@id\(\s*(\d+)\s*\)\s*)?\boverride\s+(\w+)/g)].map((m) => m[1] ?? m[2]);
}

function wgslKind(space: string | undefined, type: string): BindingKind | null {
  const parts = (space ?? '').split(',').map((s) => s.trim());
  if (parts[0] === 'uniform') return 'uniform';
  if (parts[0] === 'storage') return parts[1] === 'read_write' ? 'storage' : 'read-only-storage';
  if (space) return null;
  if (type === 'texture_external') return 'external-texture';
  if (type === 'sampler') return 'sampler';
  if (/^texture_(1d|2d|2d_array|3d|cube|cube_array|multisampled_2d)</.test(type)) return 'texture';
  return null;
}

function checkAgainstWgsl(program: Program, fields: Field[], entryPoints: string[]): void {
  const fail = (message: string) => new Error(`program ${program.name}: declaration does not match its WGSL: ${message}`);
  const src = stripComments(program.code);
  const declared = new Map<number, { name: string; kind: BindingKind | null; type: string }>();
  for (const m of src.matchAll(/@group\((\d+)\)\s*@binding\((\d+)\)\s*var(?:<([^>]*)>)?\s+(\w+)\s*:\s*([^;]+);/g)) {
    if (m[1] !== '0') throw fail(`binding ${m[4]} is in group ${m[1]} (only group 0 is supported)`);
    const type = normaliseType(m[5]);
    declared.set(Number(m[2]), { name: m[4], kind: wgslKind(m[3], type), type });
  }
  if (declared.size !== program.bindings.length) {
    throw fail(`${program.bindings.length} bindings declared, ${declared.size} in the WGSL (${[...declared.values()].map((d) => d.name).join(', ')})`);
  }
  let uniformType: string | null = null;
  for (const b of program.bindings) {
    const w = declared.get(b.binding);
    if (!w) throw fail(`binding ${b.binding} ("${b.name}") is not in the WGSL`);
    if (w.name !== b.name) throw fail(`binding ${b.binding} is "${w.name}" in the WGSL, "${b.name}" in the declaration`);
    if (w.kind !== b.kind) throw fail(`binding "${b.name}" is ${w.kind ?? w.type} in the WGSL, ${b.kind} in the declaration`);
    if (b.kind === 'uniform') {
      if (uniformType) throw fail('more than one uniform binding');
      uniformType = w.type;
    }
  }
  if (!uniformType) {
    if (fields.length) throw fail('uniforms declared but the WGSL has no uniform binding');
  } else {
    const struct = new RegExp(`struct\\s+${uniformType}\\s*\\{([^}]*)\\}`).exec(src);
    if (!struct) throw fail(`uniform struct ${uniformType} not found`);
    const members = struct[1]
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => {
        const m = /^(?:@\w+(?:\([^)]*\))?\s*)*(\w+)\s*:\s*(.+)$/.exec(s);
        if (!m) throw fail(`cannot read struct member "${s}"`);
        if (/^@/.test(s)) throw fail(`struct member "${s}" has an attribute (explicit layouts are not supported)`);
        return { name: m[1], type: normaliseType(m[2]) };
      });
    const want = members.map((m) => `${m.name}: ${m.type}`).join(', ');
    const have = fields.map((f) => `${f.name}: ${f.type}`).join(', ');
    if (want !== have) throw fail(`uniform struct ${uniformType} is { ${want} }, declared { ${have} }`);
  }
  for (const e of entryPoints) if (!new RegExp(`fn\\s+${e}\\s*\\(`).test(src)) throw fail(`entry point ${e} not found`);
}
