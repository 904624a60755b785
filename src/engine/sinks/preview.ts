// A look at a clip while it converts: now and then (a few times a second) the frame about to be encoded is drawn,
// scaled, onto a small 2D canvas the caller gave — no readback of its own, no cost on the other frames.
import { invalidArgument } from '../errors.ts';

/** At most this often, ms. */
export const PREVIEW_INTERVAL_MS = 250;
/** The preview's longest side, in pixels. */
export const PREVIEW_SIDE = 480;

export class ClipPreview {
  readonly #ctx: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;
  #last = -Infinity;
  #sized = false;
  /** Frames drawn so far. */
  drawn = 0;

  constructor(canvas: OffscreenCanvas | HTMLCanvasElement) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw invalidArgument('The preview canvas already has a context other than 2d: give stylizeFile a fresh canvas.');
    this.#ctx = ctx as OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;
  }

  /** Draws `frame` (the output at width×height) if the last preview is old enough; `force`: the last frame. */
  offer(frame: CanvasImageSource, width: number, height: number, force = false): void {
    const now = performance.now();
    if (!force && now - this.#last < PREVIEW_INTERVAL_MS) return;
    this.#last = now;
    const canvas = this.#ctx.canvas;
    if (!this.#sized) {
      const scale = Math.min(1, PREVIEW_SIDE / Math.max(width, height));
      canvas.width = Math.max(1, Math.round(width * scale));
      canvas.height = Math.max(1, Math.round(height * scale));
      this.#sized = true;
    }
    this.#ctx.drawImage(frame, 0, 0, canvas.width, canvas.height);
    this.drawn++;
  }
}

/** Checks a `preview` option at the public boundary. */
export function checkPreview(preview: unknown): void {
  if (preview === undefined) return;
  const ok = (typeof OffscreenCanvas !== 'undefined' && preview instanceof OffscreenCanvas) || (typeof HTMLCanvasElement !== 'undefined' && preview instanceof HTMLCanvasElement);
  if (!ok) throw invalidArgument('preview must be an OffscreenCanvas or a canvas element.');
}
