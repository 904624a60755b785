// Image pairs with known flow, made from a real photo: b(T(x)) = a(x), so the true flow at x is T(x) − x.
import { inject } from 'vitest';
import { apply, compose, translate, type Affine } from './affine.ts';

export { about, translate, type Affine } from './affine.ts';

export const W = 128;
export const H = 96;

export async function photo(name = 'tubingen.jpg'): Promise<ImageBitmap> {
  const r = await fetch(`${inject('sharedMedia')}/photos/${name}`);
  if (!r.ok) throw new Error(`cannot load ${name}: HTTP ${r.status}`);
  return createImageBitmap(await r.blob());
}

/** Photo → frame `a`: a fixed crop scaled to W×H. */
export function baseTransform(img: ImageBitmap): Affine {
  const s = (W / img.width) * 2.2;
  return [s, 0, 0, s, -img.width * s * 0.35, -img.height * s * 0.3];
}

export function draw(img: ImageBitmap, t: Affine): OffscreenCanvas {
  const c = new OffscreenCanvas(W, H);
  const ctx = c.getContext('2d')!;
  ctx.imageSmoothingQuality = 'high';
  ctx.setTransform(...t);
  ctx.drawImage(img, 0, 0);
  return c;
}

export interface Pair {
  a: OffscreenCanvas;
  b: OffscreenCanvas;
  /** True flow at pixel centre (x, y) of a, interleaved. */
  truth: Float32Array;
  /** Pixels to score (away from frame borders and motion boundaries). */
  mask: Uint8Array;
}

/** Whole-frame motion T (in frame coordinates). */
export function globalPair(img: ImageBitmap, t: Affine, margin = 6): Pair {
  const base = baseTransform(img);
  const a = draw(img, base);
  const b = draw(img, compose(t, base));
  const truth = new Float32Array(W * H * 2);
  const mask = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const [tx, ty] = apply(t, x + 0.5, y + 0.5);
      truth[(y * W + x) * 2] = tx - (x + 0.5);
      truth[(y * W + x) * 2 + 1] = ty - (y + 0.5);
      const inB = tx > margin && ty > margin && tx < W - margin && ty < H - margin;
      mask[y * W + x] = inB && x >= margin && y >= margin && x < W - margin && y < H - margin ? 1 : 0;
    }
  }
  return { a, b, truth, mask };
}

export interface ObjectPair extends Pair {
  /** Pixels of b uncovered by the object's move (hidden in a). */
  uncovered: Uint8Array;
  /** Background pixels of b far from the object. */
  background: Uint8Array;
}

/** A textured object (another photo, `objectImg`) moves by `move` over a background moving by `bg`. */
export function objectPair(img: ImageBitmap, objectImg: ImageBitmap, bg: [number, number], move: [number, number]): ObjectPair {
  const base = baseTransform(img);
  const box = { x: 40, y: 30, w: 36, h: 30 };
  const patch = new OffscreenCanvas(box.w, box.h);
  patch.getContext('2d')!.drawImage(objectImg, 0, 0, objectImg.width, objectImg.height, 0, 0, box.w, box.h);
  const frame = (t: Affine, off: [number, number]) => {
    const c = draw(img, compose(t, base));
    const ctx = c.getContext('2d')!;
    ctx.resetTransform();
    ctx.drawImage(patch, box.x + off[0], box.y + off[1]);
    return c;
  };
  const a = frame(translate(0, 0), [0, 0]);
  const b = frame(translate(bg[0], bg[1]), move);
  const truth = new Float32Array(W * H * 2);
  const mask = new Uint8Array(W * H);
  const uncovered = new Uint8Array(W * H);
  const background = new Uint8Array(W * H);
  const inside = (x: number, y: number, o: [number, number], pad: number) =>
    x >= box.x + o[0] - pad && x < box.x + o[0] + box.w + pad && y >= box.y + o[1] - pad && y < box.y + o[1] + box.h + pad;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const onObject = inside(x, y, [0, 0], 0);
      const f = onObject ? move : bg;
      truth[i * 2] = f[0];
      truth[i * 2 + 1] = f[1];
      const nearEdge = inside(x, y, [0, 0], 4) && !inside(x, y, [0, 0], -4);
      const border = x < 6 || y < 6 || x >= W - 6 || y >= H - 6;
      mask[i] = nearEdge || border || (!onObject && inside(x, y, move, 4)) ? 0 : 1;
      // In b: was this pixel behind the object in a, and is it background now?
      const src: [number, number] = [x - bg[0], y - bg[1]];
      uncovered[i] = !inside(x, y, move, 1) && inside(src[0], src[1], [0, 0], -2) ? 1 : 0;
      background[i] = !inside(x, y, move, 8) && !inside(src[0], src[1], [0, 0], 8) && !border ? 1 : 0;
    }
  }
  return { a, b, truth, mask, uncovered, background };
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
