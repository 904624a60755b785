/**
 * The CPU path's one copy out of a WebGPU device, without waiting for it: `start` queues a copy of a float32 buffer
 * into a staging buffer and maps it; the caller carries on (the next frame's network, say) and takes the floats when
 * they have landed. `depth` staging buffers take turns (made on first use, grown when a larger read comes, owned
 * here): a read not yet taken when its buffer's turn comes again is waited for and let go.
 */
export class ReadbackRing {
  readonly #device: GPUDevice;
  readonly #slots: { buffer: GPUBuffer | null; mapped: Promise<void> | null }[];
  #next = 0;

  constructor(device: GPUDevice, depth = 2) {
    this.#device = device;
    this.#slots = Array.from({ length: depth }, () => ({ buffer: null, mapped: null }));
  }

  /** Queues the copy of `src`'s first `bytes` (after the work already submitted) and maps it. */
  async start(src: GPUBuffer, bytes: number): Promise<PendingRead> {
    const slot = this.#slots[this.#next];
    this.#next = (this.#next + 1) % this.#slots.length;
    if (slot.mapped) {
      await slot.mapped.catch(() => {});
      if (slot.buffer?.mapState === 'mapped') slot.buffer.unmap();
      slot.mapped = null;
    }
    if (!slot.buffer || slot.buffer.size < bytes) {
      slot.buffer?.destroy();
      slot.buffer = this.#device.createBuffer({ label: 'readback', size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    }
    const buffer = slot.buffer;
    const encoder = this.#device.createCommandEncoder({ label: 'readback' });
    encoder.copyBufferToBuffer(src, 0, buffer, 0, bytes);
    this.#device.queue.submit([encoder.finish()]);
    const mapped = buffer.mapAsync(GPUMapMode.READ, 0, bytes);
    slot.mapped = mapped;
    mapped.catch(() => {}); // destroyed or device lost: reported to whoever takes it
    let taken = false;
    return {
      take: async (use) => {
        if (taken) throw new Error('A read can be taken once.');
        taken = true;
        await mapped;
        try {
          return use(new Float32Array(buffer.getMappedRange(0, bytes)));
        } finally {
          buffer.unmap();
          if (slot.mapped === mapped) slot.mapped = null;
        }
      },
    };
  }

  dispose(): void {
    for (const slot of this.#slots) {
      slot.buffer?.destroy(); // a pending map rejects: its taker hears of it
      slot.buffer = null;
      slot.mapped = null;
    }
  }
}

/** A read in flight. */
export interface PendingRead {
  /** Waits for the floats, hands them to `use` (which must not keep them: they are unmapped after), once. */
  take<T>(use: (values: Float32Array) => T): Promise<T>;
}
