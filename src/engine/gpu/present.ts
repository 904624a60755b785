// Present: a float32 NHWC RGB buffer onto a canvas's webgpu context, resized on the GPU — the last GPU step of a frame.
import shader from '../../../shaders/present.wgsl?raw';
import { defineRenderProgram, draw, type Bound } from './program.ts';

export const present = defineRenderProgram({
  name: 'present',
  code: shader,
  bindings: { src: 'read-only-storage', params: 'uniform' },
  uniforms: { src_size: 'vec2<u32>', dst_size: 'vec2<u32>' },
});

/**
 * Draws float32 NHWC RGB buffers onto an OffscreenCanvas through its `webgpu` context, resized on the GPU.
 * The canvas is what Mediabunny encodes (it wraps it in a VideoFrame) or what a page shows.
 */
export class GpuCanvasSink {
  readonly canvas: OffscreenCanvas;
  readonly #device: GPUDevice;
  readonly #context: GPUCanvasContext;
  readonly #format: GPUTextureFormat;
  readonly #params: GPUBuffer;
  /** One group per source buffer (a stage alternates two outputs; an importer reuses one): built once each. */
  readonly #groups = new WeakMap<GPUBuffer, Bound>();

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
    this.#params = device.createBuffer({ label: 'present params', size: present.uniformSize, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  }

  /** Draws `src` (srcWidth×srcHeight×3 floats) over the whole canvas and submits. */
  present(src: GPUBuffer, srcWidth: number, srcHeight: number): void {
    this.#device.queue.writeBuffer(this.#params, 0, present.uniforms({ src_size: [srcWidth, srcHeight], dst_size: [this.canvas.width, this.canvas.height] }));
    let group = this.#groups.get(src);
    if (!group) this.#groups.set(src, (group = present.bind(this.#device, { src, params: this.#params })));
    const encoder = this.#device.createCommandEncoder({ label: 'present' });
    const pass = encoder.beginRenderPass({
      colorAttachments: [{ view: this.#context.getCurrentTexture().createView(), loadOp: 'clear', storeOp: 'store', clearValue: [0, 0, 0, 1] }],
    });
    draw(pass, present, group, this.#format, 3);
    pass.end();
    this.#device.queue.submit([encoder.finish()]);
  }

  dispose(): void {
    this.#context.unconfigure();
    this.#params.destroy();
  }
}
