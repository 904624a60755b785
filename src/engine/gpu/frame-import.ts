import shader from '../../../shaders/import_frame.wgsl?raw';
import { defineProgram, dispatch } from './program.ts';

/** A source rectangle in normalised coordinates of the frame. */
export interface NormRect {
  x: number;
  y: number;
  width: number;
  height: number;
}
export const FULL_FRAME: NormRect = { x: 0, y: 0, width: 1, height: 1 };

export const importFrame = defineProgram({
  name: 'import_frame',
  code: shader,
  bindings: { src: 'external-texture', samp: 'sampler', dst: 'storage', params: 'uniform' },
  uniforms: { dst_size: 'vec2<u32>', _pad: 'vec2<u32>', src_origin: 'vec2<f32>', src_extent: 'vec2<f32>' },
});

/**
 * VideoFrame → float32 NHWC buffer on the GPU (no CPU readback). Owns its pipeline, sampler, uniform buffer and
 * one output buffer per output size; destroys them all in `dispose()`.
 */
export class FrameImporter {
  readonly #device: GPUDevice;
  readonly #sampler: GPUSampler;
  readonly #params: GPUBuffer;
  readonly #outputs = new Map<string, GPUBuffer>();
  /** The frame's external texture, shared by every use of the frame in the current task (see `texture`). */
  #texture: { frame: VideoFrame; texture: GPUExternalTexture } | null = null;

  constructor(device: GPUDevice) {
    this.#device = device;
    this.#sampler = device.createSampler({ magFilter: 'linear', minFilter: 'linear' });
    this.#params = device.createBuffer({ label: 'import_frame params', size: importFrame.uniformSize, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  }

  /**
   * The frame as an external texture (no copy): made once and shared by the imports and the guided present of the
   * same frame until the current task's synchronous work is done (an external texture may expire with its task).
   */
  texture(frame: VideoFrame): GPUExternalTexture {
    if (this.#texture?.frame !== frame) {
      this.#texture = { frame, texture: this.#device.importExternalTexture({ source: frame }) };
      const made = this.#texture;
      queueMicrotask(() => {
        if (this.#texture === made) this.#texture = null;
      });
    }
    return this.#texture.texture;
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
    const params = importFrame.uniforms({ dst_size: [width, height], src_origin: [rect.x, rect.y], src_extent: [rect.width, rect.height] });
    this.#device.queue.writeBuffer(this.#params, 0, params);
    // An external texture expires with the frame: this group is made per import.
    const group = importFrame.bind(this.#device, {
      src: this.texture(frame),
      samp: this.#sampler,
      dst: out,
      params: this.#params,
    });
    const encoder = this.#device.createCommandEncoder({ label: 'import_frame' });
    const pass = encoder.beginComputePass();
    dispatch(pass, importFrame, group, width, height);
    pass.end();
    this.#device.queue.submit([encoder.finish()]);
    return out;
  }

  dispose(): void {
    for (const b of this.#outputs.values()) b.destroy();
    this.#outputs.clear();
    this.#params.destroy();
    this.#texture = null;
  }
}
