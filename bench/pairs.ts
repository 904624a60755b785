// Image pairs with known flow, made from a real photo in the browser with a 2D canvas: b(T(x)) = a(x), so the true
// flow at pixel centre x is T(x) − x. One construction for the benchmark (any size; motions given at 320 px width
// and scaled with the frame, so 640×480 is the same scene motion at twice the resolution) and for the shader tests
// (tests/browser/flow-fixtures.ts: 128×96, its own crop).
import { about, apply, compose, translate, type Affine } from '../tests/browser/affine.ts';

export { about, translate, type Affine } from '../tests/browser/affine.ts';

export interface Pair {
  width: number;
  height: number;
  a: OffscreenCanvas;
  b: OffscreenCanvas;
  /** True flow at each pixel centre of a, interleaved (u, v). */
  truth: Float32Array;
  /** 1 where the pixel is scored (away from frame borders and motion boundaries). */
  mask: Uint8Array;
}

/** Which part of the photo frame a shows: 1/zoom of its width, from (x, y) (fractions of the photo) in. */
export interface Crop {
  zoom: number;
  x: number;
  y: number;
}
/** The benchmark's crop: 1/1.4 of the photo, from 20 % in, at every frame size. */
export const BENCH_CROP: Crop = { zoom: 1.4, x: 0.2, y: 0.2 };

/** Photo → frame a. */
export function baseTransform(img: ImageBitmap, width: number, crop: Crop = BENCH_CROP): Affine {
  const s = (width / img.width) * crop.zoom;
  return [s, 0, 0, s, -img.width * s * crop.x, -img.height * s * crop.y];
}

export function draw(img: ImageBitmap, t: Affine, width: number, height: number): OffscreenCanvas {
  const c = new OffscreenCanvas(width, height);
  const ctx = c.getContext('2d')!;
  ctx.imageSmoothingQuality = 'high';
  ctx.setTransform(...t);
  ctx.drawImage(img, 0, 0);
  return c;
}

/** Adds independent Gaussian noise of `sigma` (8-bit levels) to every channel, as a camera and its codec would. */
function addNoise(c: OffscreenCanvas, sigma: number, seed: number): void {
  const ctx = c.getContext('2d')!;
  const img = ctx.getImageData(0, 0, c.width, c.height);
  let s = seed >>> 0;
  const uniform = () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  for (let i = 0; i < img.data.length; i++) {
    if (i % 4 === 3) continue;
    const g = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    img.data[i] = Math.max(0, Math.min(255, Math.round(img.data[i] + sigma * g)));
  }
  ctx.putImageData(img, 0, 0);
}

/** Whole-frame motion `t` (frame coordinates), with optional sensor-like noise on both frames. */
export function globalPair(img: ImageBitmap, t: Affine, width: number, height: number, margin: number, noise = 0, crop: Crop = BENCH_CROP): Pair {
  const base = baseTransform(img, width, crop);
  const a = draw(img, base, width, height);
  const b = draw(img, compose(t, base), width, height);
  if (noise > 0) {
    addNoise(a, noise, 1);
    addNoise(b, noise, 2);
  }
  const truth = new Float32Array(width * height * 2);
  const mask = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [tx, ty] = apply(t, x + 0.5, y + 0.5);
      const i = y * width + x;
      truth[i * 2] = tx - (x + 0.5);
      truth[i * 2 + 1] = ty - (y + 0.5);
      const inB = tx > margin && ty > margin && tx < width - margin && ty < height - margin;
      mask[i] = inB && x >= margin && y >= margin && x < width - margin && y < height - margin ? 1 : 0;
    }
  }
  return { width, height, a, b, truth, mask };
}

/**
 * A textured object (`objectImg`, a box of 28 % × 31 % of the frame) moves by `move` over a background moving by
 * `bg`. Scored: everything except the frame border, a band of `edge` px around the object's outline in a, and
 * the background that the object covers in b (it has no match there).
 */
export interface ObjectBox {
  x: number;
  y: number;
  w: number;
  h: number;
}
export function objectPair(
  img: ImageBitmap,
  objectImg: ImageBitmap,
  bg: [number, number],
  move: [number, number],
  width: number,
  height: number,
  edge: number,
  margin: number,
  crop: Crop = BENCH_CROP,
): Pair & { box: ObjectBox } {
  const base = baseTransform(img, width, crop);
  const box = { x: Math.round(width * 0.31), y: Math.round(height * 0.31), w: Math.round(width * 0.28), h: Math.round(height * 0.31) };
  const patch = new OffscreenCanvas(box.w, box.h);
  const pctx = patch.getContext('2d')!;
  pctx.imageSmoothingQuality = 'high';
  pctx.drawImage(objectImg, 0, 0, objectImg.width, objectImg.height, 0, 0, box.w, box.h);
  const frame = (t: Affine, off: [number, number]) => {
    const c = draw(img, compose(t, base), width, height);
    const ctx = c.getContext('2d')!;
    ctx.resetTransform();
    ctx.drawImage(patch, box.x + off[0], box.y + off[1]);
    return c;
  };
  const a = frame(translate(0, 0), [0, 0]);
  const b = frame(translate(bg[0], bg[1]), move);
  const truth = new Float32Array(width * height * 2);
  const mask = new Uint8Array(width * height);
  const inside = (x: number, y: number, o: [number, number], pad: number) =>
    x >= box.x + o[0] - pad && x < box.x + o[0] + box.w + pad && y >= box.y + o[1] - pad && y < box.y + o[1] + box.h + pad;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const onObject = inside(x, y, [0, 0], 0);
      const f = onObject ? move : bg;
      truth[i * 2] = f[0];
      truth[i * 2 + 1] = f[1];
      const nearEdge = inside(x, y, [0, 0], edge) && !inside(x, y, [0, 0], -edge);
      const border = x < margin || y < margin || x >= width - margin || y >= height - margin;
      // Background of a that lands under the object in b: occluded, no true match.
      const occluded = !onObject && inside(x + bg[0], y + bg[1], move, edge);
      mask[i] = nearEdge || border || occluded ? 0 : 1;
    }
  }
  return { width, height, a, b, truth, mask, box };
}

export interface CaseSpec {
  name: string;
  kind: 'translation' | 'rotation' | 'zoom' | 'object';
  /** Motion parameters as generated (pixels at this size, degrees, scale). */
  params: Record<string, unknown>;
  make: (photos: Photos) => Pair;
}

/** main: tubingen.jpg (texture everywhere); object: chicago.jpg; flat: golden_gate_sq.jpg (half of it is sky). */
export interface Photos {
  main: ImageBitmap;
  object: ImageBitmap;
  flat: ImageBitmap;
}
export const PHOTO_FILES: Record<keyof Photos, string> = { main: 'tubingen.jpg', object: 'chicago.jpg', flat: 'golden_gate_sq.jpg' };

/** The known-flow cases at width×height (4:3). */
export function cases(width: number, height: number): CaseSpec[] {
  const k = width / 320;
  const margin = Math.round(8 * k);
  const edge = Math.round(4 * k);
  const r = (v: number) => Math.round(v * k * 100) / 100;
  const small: [number, number] = [r(2.4), r(-1.3)];
  const large: [number, number] = [r(-14.3), r(9.6)];
  // Not whole pixels at either size (a whole-pixel shift would be an exact copy of the pixels).
  const bg: [number, number] = [r(1.37), r(0.62)];
  const move: [number, number] = [r(-5.3), r(3.6)];
  const tag = `${width}x${height}`;
  return [
    { name: `translation-small-${tag}`, kind: 'translation', params: { dx: small[0], dy: small[1] }, make: (p) => globalPair(p.main, translate(...small), width, height, margin) },
    { name: `translation-large-${tag}`, kind: 'translation', params: { dx: large[0], dy: large[1] }, make: (p) => globalPair(p.main, translate(...large), width, height, margin) },
    { name: `rotation-3deg-${tag}`, kind: 'rotation', params: { degrees: 3, about: 'centre' }, make: (p) => globalPair(p.main, about(width / 2, height / 2, 1, 3), width, height, margin) },
    { name: `zoom-1.05-${tag}`, kind: 'zoom', params: { scale: 1.05, about: 'centre' }, make: (p) => globalPair(p.main, about(width / 2, height / 2, 1.05, 0), width, height, margin) },
    {
      name: `translation-small-low-texture-noisy-${tag}`,
      kind: 'translation',
      params: { dx: small[0], dy: small[1], photo: PHOTO_FILES.flat, noiseSigmaLevels: 2, note: 'sky and water (large areas with little texture), Gaussian noise σ 2/255 on both frames' },
      make: (p) => globalPair(p.flat, translate(...small), width, height, margin, 2),
    },
    {
      name: `object-over-background-${tag}`,
      kind: 'object',
      params: { background: bg, object: move, objectBox: '28%×31% of the frame' },
      make: (p) => objectPair(p.main, p.object, bg, move, width, height, edge, margin),
    },
  ];
}
