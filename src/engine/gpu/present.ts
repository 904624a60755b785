// Present: a float32 NHWC RGB buffer onto a canvas's webgpu context, enlarged on the GPU — the last GPU step of a frame.
// The enlargement is the cubic a 2D canvas uses (Mitchell–Netravali, taps from gpu/resample.ts, computed when a size
// changes), separably: a compute pass enlarges the rows, the draw enlarges the columns (shaders/cubic_rows.wgsl and
// cubic_draw.wgsl, shared by the plain and the guided enlargement). Given a guide (the input frame at full resolution,
// and at the network's resolution), the enlargement is guided instead (shaders/guided*.wgsl): the guided filter's
// linear model fitted at the network's resolution, applied with the full-resolution frame.
import cubicDraw from '../../../shaders/cubic_draw.wgsl?raw';
import cubicRows from '../../../shaders/cubic_rows.wgsl?raw';
import guidedShader from '../../../shaders/guided.wgsl?raw';
import guidedCoeffsShader from '../../../shaders/guided_coeffs.wgsl?raw';
import guidedRowsShader from '../../../shaders/guided_rows.wgsl?raw';
import resample from '../../../shaders/resample.wgsl?raw';
import rowsShader from '../../../shaders/present_rows.wgsl?raw';
import shader from '../../../shaders/present.wgsl?raw';
import { defineProgram, defineRenderProgram, dispatch, draw, type Bound } from './program.ts';
import { cubicTaps } from './resample.ts';

const sizes = { src_size: 'vec2<u32>', dst_size: 'vec2<u32>' } as const;

export const presentRows = defineProgram({
  name: 'present_rows',
  code: `${resample}\n${cubicRows}\n${rowsShader}`,
  bindings: { src: 'read-only-storage', rows: 'storage', weights: 'read-only-storage', first: 'read-only-storage', params: 'uniform' },
  uniforms: sizes,
});

export const present = defineRenderProgram({
  name: 'present',
  code: `${resample}\n${cubicDraw}\n${shader}`,
  bindings: { rows: 'read-only-storage', weights: 'read-only-storage', first: 'read-only-storage', params: 'uniform' },
  uniforms: sizes,
});

export const guidedRows = defineProgram({
  name: 'guided_rows',
  code: `${resample}\n${cubicRows}\n${guidedRowsShader}`,
  bindings: { src: 'read-only-storage', low: 'read-only-storage', rows: 'storage', weights: 'read-only-storage', first: 'read-only-storage', params: 'uniform' },
  uniforms: sizes,
});

export const guidedCoeffs = defineProgram({
  name: 'guided_coeffs',
  code: `${resample}\n${guidedCoeffsShader}`,
  bindings: { src: 'read-only-storage', low: 'read-only-storage', coeffs: 'storage', params: 'uniform' },
  uniforms: { src_size: 'vec2<u32>', radius: 'u32', eps: 'f32' },
});

export const guided = defineRenderProgram({
  name: 'guided',
  code: `${resample}\n${cubicDraw}\n${guidedShader}`,
  bindings: {
    rows: 'read-only-storage',
    weights: 'read-only-storage',
    first: 'read-only-storage',
    coeffs: 'read-only-storage',
    guide: 'external-texture',
    samp: 'sampler',
    params: 'uniform',
  },
  uniforms: { ...sizes, mode: 'u32', _pad: 'u32' },
});

/** What guides an enlargement: the input frame, at full resolution and at the stylised frame's resolution. */
export interface Guide {
  /** The input frame (its external texture, imported once per frame: `FrameImporter.texture`). */
  frame: GPUExternalTexture;
  /** The input at the stylised frame's size, float32 NHWC RGB (the network's input). */
  low: GPUBuffer;
}

/** How the guide is used (see shaders/guided.wgsl); `detail` is the product's. */
export interface GuidedSettings {
  mode: 'detail' | 'filter';
  /** Window radius of the linear model, in source pixels. */
  radius: number;
  /** Regularisation: variances of the guide's luma below about this are treated as flat. */
  eps: number;
}

export const DEFAULT_GUIDED: GuidedSettings = { mode: 'detail', radius: 2, eps: 1e-3 };

/** The guided path's resources, made on its first use. */
interface GuidedResources {
  params: GPUBuffer;
  coeffParams: GPUBuffer;
  sampler: GPUSampler;
  coeffs: GPUBuffer | null;
  /** The settings and source size the params were written for. */
  key: string;
  /** Per stylised buffer: its rows and coefficients groups and the guide buffer they were made with. */
  groups: WeakMap<GPUBuffer, { low: GPUBuffer; rows: GPUBuffer; coeffs: GPUBuffer; rowsGroup: Bound; coeffsGroup: Bound }>;
}

/** The rows enlarged to the canvas's width, with the draw's group and the rows pass's group per source buffer. */
interface Rows {
  buffer: GPUBuffer;
  draw: Bound;
  sources: WeakMap<GPUBuffer, Bound>;
}

/**
 * Draws float32 NHWC RGB buffers onto an OffscreenCanvas through its `webgpu` context, enlarged on the GPU.
 * The canvas is what Mediabunny encodes (it wraps it in a VideoFrame) or what a page shows.
 */
export class GpuCanvasSink {
  readonly canvas: OffscreenCanvas;
  readonly #device: GPUDevice;
  readonly #context: GPUCanvasContext;
  readonly #format: GPUTextureFormat;
  readonly #params: GPUBuffer;
  /** Taps per output column and per output row (fixed sizes: the canvas's); rewritten when the source's size changes. */
  readonly #taps: { weights: GPUBuffer; first: GPUBuffer }[];
  /** The source size the params and taps were written for. */
  #sizeFor: [number, number] = [0, 0];
  /** The rows enlarged to the canvas's width (grown when a taller source comes), and the groups that bind it. */
  #rows: Rows | null = null;
  #guided: GuidedResources | null = null;
  /** How a guide is used (tests and the benchmark compare the settings; the product keeps the default). */
  guidedSettings: GuidedSettings = { ...DEFAULT_GUIDED };

  constructor(device: GPUDevice, width: number, height: number, canvas?: OffscreenCanvas) {
    this.#device = device;
    this.canvas = canvas ?? new OffscreenCanvas(width, height);
    this.canvas.width = width;
    this.canvas.height = height;
    const context = this.canvas.getContext('webgpu');
    if (!context) throw new Error('OffscreenCanvas has no webgpu context (was it given a 2d context before?)');
    this.#context = context;
    const format = navigator.gpu.getPreferredCanvasFormat();
    context.configure({ device, format, alphaMode: 'opaque' });
    this.#format = format;
    this.#params = device.createBuffer({ label: 'present params', size: present.uniformSize, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
    this.#taps = [width, height].map((n, axis) => ({
      weights: device.createBuffer({ label: `present taps ${axis ? 'rows' : 'columns'}`, size: n * 16, usage }),
      first: device.createBuffer({ label: `present first taps ${axis ? 'rows' : 'columns'}`, size: Math.max(16, n * 4), usage }),
    }));
  }

  /**
   * Draws `src` (srcWidth×srcHeight×3 floats) over the whole canvas and submits: enlarged by the cubic, or guided by
   * `guide` when one is given.
   */
  present(src: GPUBuffer, srcWidth: number, srcHeight: number, guide?: Guide): void {
    const { width, height } = this.canvas;
    if (this.#sizeFor[0] !== srcWidth || this.#sizeFor[1] !== srcHeight) {
      // A new source size (the first frame, or the live governor's choice): params and taps, not every frame.
      this.#device.queue.writeBuffer(this.#params, 0, present.uniforms({ src_size: [srcWidth, srcHeight], dst_size: [width, height] }));
      [srcWidth, srcHeight].forEach((n, axis) => {
        const taps = cubicTaps(n, axis ? height : width);
        this.#device.queue.writeBuffer(this.#taps[axis].weights, 0, taps.weight);
        this.#device.queue.writeBuffer(this.#taps[axis].first, 0, taps.first);
      });
      this.#sizeFor = [srcWidth, srcHeight];
    }
    const rows = this.#rowsFor(width * srcHeight * 16);
    // At 1:1 there is nothing to enlarge: the cubic's taps are the pixels themselves, and the guide would add nothing.
    if (guide && (srcWidth !== width || srcHeight !== height)) return this.#presentGuided(src, srcWidth, srcHeight, guide, rows);
    let group = rows.sources.get(src);
    if (!group) rows.sources.set(src, (group = presentRows.bind(this.#device, { src, rows: rows.buffer, ...this.#taps[0], params: this.#params })));
    const encoder = this.#device.createCommandEncoder({ label: 'present' });
    const compute = encoder.beginComputePass({ label: 'present rows' });
    dispatch(compute, presentRows, group, width, srcHeight);
    compute.end();
    const pass = encoder.beginRenderPass({
      colorAttachments: [{ view: this.#context.getCurrentTexture().createView(), loadOp: 'clear', storeOp: 'store', clearValue: [0, 0, 0, 1] }],
    });
    draw(pass, present, rows.draw, this.#format, 3);
    pass.end();
    this.#device.queue.submit([encoder.finish()]);
  }

  #presentGuided(src: GPUBuffer, srcWidth: number, srcHeight: number, guide: Guide, rows: Rows): void {
    const device = this.#device;
    const { width, height } = this.canvas;
    const r = (this.#guided ??= this.#makeGuided());
    const settings = this.guidedSettings;
    const key = `${srcWidth}x${srcHeight} ${settings.mode} ${settings.radius} ${settings.eps}`;
    if (r.key !== key) {
      device.queue.writeBuffer(r.params, 0, guided.uniforms({ src_size: [srcWidth, srcHeight], dst_size: [width, height], mode: settings.mode === 'detail' ? 0 : 1 }));
      device.queue.writeBuffer(r.coeffParams, 0, guidedCoeffs.uniforms({ src_size: [srcWidth, srcHeight], radius: settings.radius, eps: settings.eps }));
      r.key = key;
    }
    const coeffBytes = srcWidth * srcHeight * 32;
    if (!r.coeffs || r.coeffs.size < coeffBytes) {
      r.coeffs?.destroy();
      r.coeffs = device.createBuffer({ label: 'guided coefficients', size: coeffBytes, usage: GPUBufferUsage.STORAGE });
    }
    let g = r.groups.get(src);
    if (!g || g.low !== guide.low || g.rows !== rows.buffer || g.coeffs !== r.coeffs) {
      g = {
        low: guide.low,
        rows: rows.buffer,
        coeffs: r.coeffs,
        rowsGroup: guidedRows.bind(device, { src, low: guide.low, rows: rows.buffer, ...this.#taps[0], params: this.#params }),
        coeffsGroup: guidedCoeffs.bind(device, { src, low: guide.low, coeffs: r.coeffs, params: r.coeffParams }),
      };
      r.groups.set(src, g);
    }
    // The frame's texture changes every frame: this group is made per frame.
    const drawGroup = guided.bind(device, { rows: rows.buffer, ...this.#taps[1], coeffs: r.coeffs, guide: guide.frame, samp: r.sampler, params: r.params });
    const encoder = device.createCommandEncoder({ label: 'present guided' });
    const compute = encoder.beginComputePass({ label: 'present guided rows, model' });
    dispatch(compute, guidedRows, g.rowsGroup, width, srcHeight);
    dispatch(compute, guidedCoeffs, g.coeffsGroup, srcWidth, srcHeight);
    compute.end();
    const pass = encoder.beginRenderPass({
      colorAttachments: [{ view: this.#context.getCurrentTexture().createView(), loadOp: 'clear', storeOp: 'store', clearValue: [0, 0, 0, 1] }],
    });
    draw(pass, guided, drawGroup, this.#format, 3);
    pass.end();
    device.queue.submit([encoder.finish()]);
  }

  #makeGuided(): GuidedResources {
    const device = this.#device;
    guided.pipeline(device, this.#format);
    guidedRows.pipeline(device);
    guidedCoeffs.pipeline(device);
    const usage = GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST;
    return {
      params: device.createBuffer({ label: 'guided params', size: guided.uniformSize, usage }),
      coeffParams: device.createBuffer({ label: 'guided model params', size: guidedCoeffs.uniformSize, usage }),
      sampler: device.createSampler({ magFilter: 'linear', minFilter: 'linear' }),
      coeffs: null,
      key: '',
      groups: new WeakMap(),
    };
  }

  #rowsFor(bytes: number): Rows {
    if (this.#rows && this.#rows.buffer.size >= bytes) return this.#rows;
    this.#rows?.buffer.destroy();
    const buffer = this.#device.createBuffer({ label: 'present rows', size: Math.max(16, bytes), usage: GPUBufferUsage.STORAGE });
    this.#rows = { buffer, draw: present.bind(this.#device, { rows: buffer, ...this.#taps[1], params: this.#params }), sources: new WeakMap() };
    return this.#rows;
  }

  dispose(): void {
    this.#context.unconfigure();
    this.#params.destroy();
    for (const t of this.#taps) {
      t.weights.destroy();
      t.first.destroy();
    }
    this.#rows?.buffer.destroy();
    this.#rows = null;
    if (this.#guided) {
      this.#guided.params.destroy();
      this.#guided.coeffParams.destroy();
      this.#guided.coeffs?.destroy();
      this.#guided = null;
    }
  }
}
