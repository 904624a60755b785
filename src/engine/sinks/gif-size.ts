// How large an animated GIF is made (`gifSize`, the CLI's --gif-size): a GIF stores every frame whole, a palette
// index a pixel, LZW-coded, so a clip's own 1920×1080 or 960×540 makes files many times an MP4's (and minutes of
// quantising); a GIF is for a chat, a page or a README. Its long side is at most `gifSize` (default 480 px), the
// aspect kept, never enlarged. No dependencies: the CLI's argument parser takes these too.
import { invalidArgument } from '../errors.ts';

/** The GIF's long side when none is asked for: 480×270 from a 16:9 clip. */
export const DEFAULT_GIF_SIZE = 480;
/** The smallest long side asked for (the network's own least side is 16 px). */
export const MIN_GIF_SIZE = 16;
/** The largest: 4K's long side (GIF itself allows 65,535; past this a GIF is no longer a sensible file). */
export const MAX_GIF_SIZE = 4096;

export function checkGifSize(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < MIN_GIF_SIZE || v > MAX_GIF_SIZE) {
    throw invalidArgument(`gifSize must be a whole number of pixels from ${MIN_GIF_SIZE} to ${MAX_GIF_SIZE} (the GIF's long side), got ${String(v)}.`);
  }
  return v;
}

/**
 * The GIF's size for frames of `width`×`height` with the long side at most `maxSide`: unchanged when it fits (never
 * enlarged), else the long side `maxSide` and the short side in proportion, rounded to the nearest pixel (at least 1).
 * Any whole size is fine: a GIF has no chroma subsampling or macroblocks that would want even sides, so the nearest
 * keeps the aspect best (960×540 at 200 → 200×113, the exact 112.5 rounded up).
 */
export function gifDimensions(width: number, height: number, maxSide: number): { width: number; height: number } {
  const long = Math.max(width, height);
  if (long <= maxSide) return { width, height };
  const fit = (side: number) => (side === long ? maxSide : Math.max(1, Math.round((side * maxSide) / long)));
  return { width: fit(width), height: fit(height) };
}
