// The 2d canvas sink: where frames go when there is no WebGPU at all (the WebGPU one is gpu/present.ts).
/** CPU fallback (wasm/webgl): RGBA bytes at inference size → 2D canvas at display size. */
export class Canvas2DSink {
  readonly canvas: OffscreenCanvas;
  readonly #ctx: OffscreenCanvasRenderingContext2D;
  #small: OffscreenCanvas | null = null;

  constructor(width: number, height: number, canvas?: OffscreenCanvas) {
    this.canvas = canvas ?? new OffscreenCanvas(width, height);
    this.canvas.width = width;
    this.canvas.height = height;
    const ctx = this.canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('OffscreenCanvas has no 2d context');
    ctx.imageSmoothingQuality = 'high';
    this.#ctx = ctx;
  }

  present(rgba: ImageData): void {
    if (!this.#small || this.#small.width !== rgba.width || this.#small.height !== rgba.height) {
      this.#small = new OffscreenCanvas(rgba.width, rgba.height);
    }
    this.#small.getContext('2d')!.putImageData(rgba, 0, 0);
    this.#ctx.drawImage(this.#small, 0, 0, this.canvas.width, this.canvas.height);
  }

  dispose(): void {
    this.#small = null;
  }
}

/** The input frames beside the output: drawn when their output is shown, so a before/after view shows one moment. */
export class InputCanvasSink {
  readonly #canvas: OffscreenCanvas;
  readonly #ctx: OffscreenCanvasRenderingContext2D;

  constructor(canvas: OffscreenCanvas) {
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('The "before" canvas has no 2d context (was it given another kind of context?).');
    this.#canvas = canvas;
    this.#ctx = ctx;
  }

  draw(frame: VideoFrame): void {
    const { displayWidth: w, displayHeight: h } = frame;
    if (this.#canvas.width !== w || this.#canvas.height !== h) {
      this.#canvas.width = w;
      this.#canvas.height = h;
    }
    this.#ctx.drawImage(frame, 0, 0, w, h);
  }
}
