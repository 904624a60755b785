/**
 * An output frame whose pixels are still on their way (read back from a GPU after the caller moved on): the encoder
 * waits for it only when it needs it, so the GPU's work on this frame overlaps the next frame's network.
 */
export class PendingFrame {
  readonly #make: () => Promise<VideoFrame>;
  #made: Promise<VideoFrame> | null = null;
  #discarded = false;

  constructor(make: () => Promise<VideoFrame>) {
    this.#make = make;
  }

  /** The frame, made once; the caller owns it (close it). */
  ready(): Promise<VideoFrame> {
    if (this.#discarded) return Promise.reject(new Error('This frame was discarded.'));
    return (this.#made ??= this.#make());
  }

  /**
   * Not wanted after all (a warm-up frame, a failed job). Never made, it is never made (whoever produces it lets go
   * of what it would have read, as a read nobody takes); made already, the frame is closed.
   */
  discard(): void {
    this.#discarded = true;
    this.#made?.then(
      (f) => f.close(),
      () => {},
    );
  }

  /** The same frame, with `fn` run on it once it is ready (e.g. a preview drawing it). */
  after(fn: (frame: VideoFrame) => void): PendingFrame {
    return new PendingFrame(async () => {
      const frame = await this.ready();
      fn(frame);
      return frame;
    });
  }
}
