import shader from '../../../shaders/import_frame.wgsl?raw';

/** A source rectangle in normalised coordinates of the frame. */
export interface NormRect {
  x: number;
  y: number;
  width: number;
  height: number;
}
export const FULL_FRAME: NormRect = { x: 0, y: 0, width: 1, height: 1 };

/**
 * VideoFrame → float32 NHWC buffer on the GPU (no CPU readback). Owns its pipeline, sampler, uniform buffer and
 * one output buffer per output size; destroys them all in `dispose()`.
 */
export class FrameImporter {
  readonly #device: GPUDevice;
  readonly #pipeline: GPUComputePipeline;
  readonly #sampler: GPUSampler;
  readonly #params: GPUBuffer;
  readonly #outputs = new Map<string, GPUBuffer>();

  constructor(device: GPUDevice) {
    this.#device = device;
    const module = device.createShaderModule({ label: 'import_frame', code: shader });
    this.#pipeline = device.createComputePipeline({ label: 'import_frame', layout: 'auto', compute: { module, entryPoint: 'main' } });
    this.#sampler = device.createSampler({ magFilter: 'linear', minFilter: 'linear' });
    this.#params = device.createBuffer({ label: 'import_frame params', size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  }

  /**
   * Writes `rect` of `frame`, resized to width×height, into a buffer this importer owns (reused for the
   * same size, so its content is valid until the next import of that size). Submits the work.
   */
  import(frame: VideoFrame, width: number, height: number, rect: NormRect = FULL_FRAME): GPUBuffer {
    const key = `${width}x${height}`;
    let out = this.#outputs.get(key);
    if (!out) {
      out = this.#device.createBuffer({
        label: `import_frame ${key}`,
        size: width * height * 3 * 4,
        // STORAGE | COPY_SRC is what tfjs needs to adopt the buffer as a tensor.
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      this.#outputs.set(key, out);
    }
    const params = new ArrayBuffer(32);
    new Uint32Array(params, 0, 2).set([width, height]);
    new Float32Array(params, 16, 4).set([rect.x, rect.y, rect.width, rect.height]);
    this.#device.queue.writeBuffer(this.#params, 0, params);
    const bindGroup = this.#device.createBindGroup({
      layout: this.#pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: this.#device.importExternalTexture({ source: frame }) },
        { binding: 1, resource: this.#sampler },
        { binding: 2, resource: { buffer: out } },
        { binding: 3, resource: { buffer: this.#params } },
      ],
    });
    const encoder = this.#device.createCommandEncoder({ label: 'import_frame' });
    const pass = encoder.beginComputePass();
    pass.setPipeline(this.#pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(Math.ceil(width / 8), Math.ceil(height / 8));
    pass.end();
    this.#device.queue.submit([encoder.finish()]);
    return out;
  }

  dispose(): void {
    for (const b of this.#outputs.values()) b.destroy();
    this.#outputs.clear();
    this.#params.destroy();
  }
}
