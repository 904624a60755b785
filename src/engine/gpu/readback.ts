/**
 * The CPU path's one copy out of a WebGPU device: a float32 buffer copied into a staging buffer this reader owns
 * (made on first use, grown when a larger read comes) and mapped. `use` sees the mapped floats and must not keep
 * them: the staging buffer is unmapped as soon as it returns.
 */
export class BufferReadback {
  readonly #device: GPUDevice;
  #staging: GPUBuffer | null = null;

  constructor(device: GPUDevice) {
    this.#device = device;
  }

  async read<T>(src: GPUBuffer, bytes: number, use: (values: Float32Array) => T): Promise<T> {
    if (!this.#staging || this.#staging.size < bytes) {
      this.#staging?.destroy();
      this.#staging = this.#device.createBuffer({ label: 'readback', size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    }
    const staging = this.#staging;
    const encoder = this.#device.createCommandEncoder({ label: 'readback' });
    encoder.copyBufferToBuffer(src, 0, staging, 0, bytes);
    this.#device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ, 0, bytes);
    try {
      return use(new Float32Array(staging.getMappedRange(0, bytes)));
    } finally {
      staging.unmap();
    }
  }

  dispose(): void {
    this.#staging?.destroy();
    this.#staging = null;
  }
}
