// Image pairs with known flow for the shader tests: the benchmark's generator (bench/pairs.ts) at 128×96 with a
// closer crop, plus the masks the confidence tests need.
import { inject } from 'vitest';
import * as pairs from '../../bench/pairs.ts';
import type { Affine } from './affine.ts';

export { about, translate, type Affine } from './affine.ts';

export const W = 128;
export const H = 96;
/** 1/2.2 of the photo from (35 %, 30 %): texture at the scale of the small frame. */
const CROP: pairs.Crop = { zoom: 2.2, x: 0.35, y: 0.3 };

export async function photo(name = 'tubingen.jpg'): Promise<ImageBitmap> {
  const r = await fetch(`${inject('sharedMedia')}/photos/${name}`);
  if (!r.ok) throw new Error(`cannot load ${name}: HTTP ${r.status}`);
  return createImageBitmap(await r.blob());
}

/** Photo → frame `a`. */
export const baseTransform = (img: ImageBitmap): Affine => pairs.baseTransform(img, W, CROP);
export const draw = (img: ImageBitmap, t: Affine): OffscreenCanvas => pairs.draw(img, t, W, H);

export type Pair = pairs.Pair;

/** Whole-frame motion T (in frame coordinates). */
export const globalPair = (img: ImageBitmap, t: Affine, margin = 6, noise = 0): Pair => pairs.globalPair(img, t, W, H, margin, noise, CROP);

export interface ObjectPair extends Pair {
  /** Pixels of b uncovered by the object's move (hidden in a). */
  uncovered: Uint8Array;
  /** Background pixels of b far from the object. */
  background: Uint8Array;
}

/** A textured object (another photo, `objectImg`) moves by `move` over a background moving by `bg`. */
export function objectPair(img: ImageBitmap, objectImg: ImageBitmap, bg: [number, number], move: [number, number]): ObjectPair {
  const pair = pairs.objectPair(img, objectImg, bg, move, W, H, 4, 6, CROP);
  const { box } = pair;
  const inside = (x: number, y: number, o: [number, number], pad: number) =>
    x >= box.x + o[0] - pad && x < box.x + o[0] + box.w + pad && y >= box.y + o[1] - pad && y < box.y + o[1] + box.h + pad;
  const uncovered = new Uint8Array(W * H);
  const background = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      // In b: was this pixel behind the object in a, and is it background now?
      const src: [number, number] = [x - bg[0], y - bg[1]];
      const border = x < 6 || y < 6 || x >= W - 6 || y >= H - 6;
      uncovered[y * W + x] = !inside(x, y, move, 1) && inside(src[0], src[1], [0, 0], -2) ? 1 : 0;
      background[y * W + x] = !inside(x, y, move, 8) && !inside(src[0], src[1], [0, 0], 8) && !border ? 1 : 0;
    }
  }
  return { ...pair, uncovered, background };
}

export function endPointError(flow: Float32Array, truth: Float32Array, mask: Uint8Array): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    sum += Math.hypot(flow[i * 2] - truth[i * 2], flow[i * 2 + 1] - truth[i * 2 + 1]);
    n++;
  }
  return sum / n;
}
