// 2D affine maps in canvas order [a b c d e f]: (x, y) → (a·x + c·y + e, b·x + d·y + f). Shared by the flow
// fixtures of the tests and of `npm run bench:flow`.
export type Affine = [number, number, number, number, number, number];

export const apply = (t: Affine, x: number, y: number): [number, number] => [t[0] * x + t[2] * y + t[4], t[1] * x + t[3] * y + t[5]];

/** t ∘ u */
export const compose = (t: Affine, u: Affine): Affine => {
  const [a, b] = apply(t, u[0], u[1]).map((v, i) => v - t[4 + i]);
  const [c, d] = apply(t, u[2], u[3]).map((v, i) => v - t[4 + i]);
  const [e, f] = apply(t, u[4], u[5]);
  return [a, b, c, d, e, f];
};

export const translate = (dx: number, dy: number): Affine => [1, 0, 0, 1, dx, dy];

/** p → c + s·R(θ)(p − c) */
export function about(cx: number, cy: number, scale: number, degrees: number): Affine {
  const r = (degrees * Math.PI) / 180;
  const a = scale * Math.cos(r);
  const b = scale * Math.sin(r);
  return [a, b, -b, a, cx - a * cx + b * cy, cy - b * cx - a * cy];
}
