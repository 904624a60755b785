// Edge agreement between a picture and the input it was made from, at full resolution: shared by the upsampling
// benchmark (bench/upsample.ts) and its test (tests/browser/guided.test.ts).

/** Rec. 601 luma of RGBA bytes, in [0, 1]. */
export function lumaOf(rgba: ArrayLike<number>, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) out[i] = (0.299 * rgba[i * 4] + 0.587 * rgba[i * 4 + 1] + 0.114 * rgba[i * 4 + 2]) / 255;
  return out;
}

/** Sobel gradient magnitude (interior pixels; the border is 0). */
export function gradientMagnitude(l: Float32Array, w: number, h: number): Float32Array {
  const g = new Float32Array(w * h);
  for (let y = 1; y < h - 1; y++)
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const gx = l[i - w + 1] + 2 * l[i + 1] + l[i + w + 1] - l[i - w - 1] - 2 * l[i - 1] - l[i + w - 1];
      const gy = l[i + w - 1] + 2 * l[i + w] + l[i + w + 1] - l[i - w - 1] - 2 * l[i - w] - l[i - w + 1];
      g[i] = Math.hypot(gx, gy) / 8;
    }
  return g;
}

/** Pearson correlation of two equally long arrays. */
export function correlation(a: Float32Array, b: Float32Array): number {
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < a.length; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= a.length;
  mb /= b.length;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    ab += da * db;
    aa += da * da;
    bb += db * db;
  }
  return ab / Math.sqrt(aa * bb);
}

/** The strongest `share` of a gradient map's pixels, as a mask (an edge map without thresholds to tune). */
function strongest(g: Float32Array, share: number): Uint8Array {
  const sorted = Float32Array.from(g).sort();
  const t = sorted[Math.floor(sorted.length * (1 - share))];
  return Uint8Array.from(g, (v) => (v >= t && v > 0 ? 1 : 0));
}

/** Dilates a mask by one pixel (3×3). */
function dilate(m: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(m.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let on = 0;
      for (let dy = -1; dy <= 1 && !on; dy++)
        for (let dx = -1; dx <= 1 && !on; dx++) {
          const X = x + dx;
          const Y = y + dy;
          if (X >= 0 && Y >= 0 && X < w && Y < h) on = m[Y * w + X];
        }
      out[y * w + x] = on;
    }
  return out;
}

export interface EdgeAgreement {
  /** Correlation of the Sobel gradient magnitudes of the two lumas. */
  gradientCorrelation: number;
  /**
   * F-score of the picture's edges against the input's: the strongest 10 % of each one's gradients, an edge counting
   * as matched within one pixel.
   */
  edgeF: number;
  /** Mean gradient magnitude of the picture (sharpness), and of the input. */
  meanGradient: number;
  inputMeanGradient: number;
}

/** How well the edges of `picture` (RGBA bytes) agree with those of `input` (RGBA bytes), both w×h. */
export function edgeAgreement(picture: ArrayLike<number>, input: ArrayLike<number>, w: number, h: number): EdgeAgreement {
  const gp = gradientMagnitude(lumaOf(picture, w, h), w, h);
  const gi = gradientMagnitude(lumaOf(input, w, h), w, h);
  const ep = strongest(gp, 0.1);
  const ei = strongest(gi, 0.1);
  const [dp, di] = [dilate(ep, w, h), dilate(ei, w, h)];
  let pHit = 0;
  let pAll = 0;
  let iHit = 0;
  let iAll = 0;
  for (let k = 0; k < ep.length; k++) {
    if (ep[k]) (pAll++, (pHit += di[k]));
    if (ei[k]) (iAll++, (iHit += dp[k]));
  }
  const precision = pHit / Math.max(1, pAll);
  const recall = iHit / Math.max(1, iAll);
  const mean = (g: Float32Array) => g.reduce((s, v) => s + v, 0) / g.length;
  return {
    gradientCorrelation: correlation(gp, gi),
    edgeF: (2 * precision * recall) / Math.max(1e-9, precision + recall),
    meanGradient: mean(gp),
    inputMeanGradient: mean(gi),
  };
}
