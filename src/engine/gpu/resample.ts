// The cubic that enlarges the network's output to the frame's size, as taps: Mitchell–Netravali (B = C = ⅓), what
// Chromium's "high" image smoothing uses when a 2D canvas enlarges. The GPU present (shaders/present*.wgsl) reads
// these taps, so the picture is as sharp through the GPU as through a canvas.

/** Mitchell–Netravali (B = C = ⅓). */
export function mitchell(x: number): number {
  const t = Math.abs(x);
  if (t < 1) return (7 * t ** 3 - 12 * t ** 2 + 16 / 3) / 6;
  if (t < 2) return ((-7 / 3) * t ** 3 + 12 * t ** 2 - 20 * t + 32 / 3) / 6;
  return 0;
}

export interface CubicTaps {
  /** Per output sample, its first source sample (the others follow; the shader clamps them to the edge). */
  first: Int32Array<ArrayBuffer>;
  /** Four weights per output sample, summing to 1. */
  weight: Float32Array<ArrayBuffer>;
}

/**
 * Taps from `src` samples to `dst` (pixel centres aligned), for enlarging (the engine never shrinks here).
 * At 1:1 each sample is itself, unfiltered (the cubic would soften it).
 */
export function cubicTaps(src: number, dst: number): CubicTaps {
  const first = new Int32Array(dst);
  const weight = new Float32Array(dst * 4);
  for (let o = 0; o < dst; o++) {
    if (src === dst) {
      first[o] = o - 1;
      weight[o * 4 + 1] = 1;
      continue;
    }
    const s = (o + 0.5) * (src / dst) - 0.5;
    const i = Math.floor(s);
    first[o] = i - 1;
    let sum = 0;
    for (let k = 0; k < 4; k++) sum += weight[o * 4 + k] = mitchell(s - (i - 1 + k));
    for (let k = 0; k < 4; k++) weight[o * 4 + k] /= sum;
  }
  return { first, weight };
}
