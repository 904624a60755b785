// Present: a float32 NHWC RGB buffer onto a canvas's webgpu context, enlarged on the GPU — the last GPU step of a frame.
// The enlargement is the cubic a 2D canvas uses (Mitchell–Netravali, taps from gpu/resample.ts, computed when a size
// changes), separably: a compute pass enlarges the rows, the draw enlarges the columns.
import resample from '../../../shaders/resample.wgsl?raw';
import rowsShader from '../../../shaders/present_rows.wgsl?raw';
import shader from '../../../shaders/present.wgsl?raw';
import { defineProgram, defineRenderProgram, dispatch, draw, type Bound } from './program.ts';
import { cubicTaps } from './resample.ts';

const sizes = { src_size: 'vec2<u32>', dst_size: 'vec2<u32>' } as const;

export const presentRows = defineProgram({
  name: 'present_rows',
  code: `${resample}\n${rowsShader}`,
  bindings: { src: 'read-only-storage', rows: 'storage', weights: 'read-only-storage', first: 'read-only-storage', params: 'uniform' },
  uniforms: sizes,
});

export const present = defineRenderProgram({
  name: 'present',
  code: `${resample}\n${shader}`,
  bindings: { rows: 'read-only-storage', weights: 'read-only-storage', first: 'read-only-storage', params: 'uniform' },
  uniforms: sizes,
});

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
    present.pipeline(device, format);
    presentRows.pipeline(device);
    this.#params = device.createBuffer({ label: 'present params', size: present.uniformSize, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
    this.#taps = [width, height].map((n, axis) => ({
      weights: device.createBuffer({ label: `present taps ${axis ? 'rows' : 'columns'}`, size: n * 16, usage }),
      first: device.createBuffer({ label: `present first taps ${axis ? 'rows' : 'columns'}`, size: Math.max(16, n * 4), usage }),
    }));
  }

  /** Draws `src` (srcWidth×srcHeight×3 floats) over the whole canvas and submits. */
  present(src: GPUBuffer, srcWidth: number, srcHeight: number): void {
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
  }
}
