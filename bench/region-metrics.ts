// Measures of per-region strength, shared by bench/regions.ts and the browser tests: structure similarity (SSIM of
// luma) between input and output inside a box, and mean absolute differences inside or outside boxes.

export interface PixelBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Rec. 601 luma of RGBA bytes, 0..1. */
export function luma(rgba: ArrayLike<number>, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) out[i] = (0.299 * rgba[i * 4] + 0.587 * rgba[i * 4 + 1] + 0.114 * rgba[i * 4 + 2]) / 255;
  return out;
}

/**
 * Mean SSIM (Wang et al. 2004, constants for a 0..1 range) of two luma images over the 7×7 windows that lie inside
 * `box` (whole pixels, end exclusive), uniform weights.
 */
export function ssim(a: Float32Array, b: Float32Array, w: number, box: PixelBox, r = 3): number {
  const C1 = 0.01 ** 2;
  const C2 = 0.03 ** 2;
  let sum = 0;
  let n = 0;
  for (let y = box.y0 + r; y < box.y1 - r; y++) {
    for (let x = box.x0 + r; x < box.x1 - r; x++) {
      let ma = 0, mb = 0, aa = 0, bb = 0, ab = 0;
      const k = (2 * r + 1) ** 2;
      for (let j = -r; j <= r; j++) {
        for (let i = -r; i <= r; i++) {
          const p = (y + j) * w + x + i;
          const va = a[p];
          const vb = b[p];
          ma += va;
          mb += vb;
          aa += va * va;
          bb += vb * vb;
          ab += va * vb;
        }
      }
      ma /= k;
      mb /= k;
      const sa = aa / k - ma * ma;
      const sb = bb / k - mb * mb;
      const sab = ab / k - ma * mb;
      sum += ((2 * ma * mb + C1) * (2 * sab + C2)) / ((ma * ma + mb * mb + C1) * (sa + sb + C2));
      n++;
    }
  }
  return n ? sum / n : NaN;
}

/** Mean |a − b| over RGB (bytes, so 0..255), over the pixels where `where(x, y)` holds. */
export function meanAbsWhere(a: ArrayLike<number>, b: ArrayLike<number>, w: number, h: number, where: (x: number, y: number) => boolean): { mean: number; pixels: number } {
  let s = 0;
  let n = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!where(x, y)) continue;
      const i = (y * w + x) * 4;
      s += Math.abs(a[i] - b[i]) + Math.abs(a[i + 1] - b[i + 1]) + Math.abs(a[i + 2] - b[i + 2]);
      n++;
    }
  }
  return { mean: n ? s / (3 * n) : NaN, pixels: n };
}

export const inBox = (b: PixelBox) => (x: number, y: number) => x >= b.x0 && x < b.x1 && y >= b.y0 && y < b.y1;
