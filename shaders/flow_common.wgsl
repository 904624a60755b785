// flow_common.wgsl — helpers prepended to every flow shader (the host concatenates it in front of them).
// Images are row-major array<f32> (luma) or array<vec2<f32>> (flow, gradients); pixel centres at integer
// coordinates; everything outside the image is clamped to the nearest edge pixel.

fn clamp_px(p: vec2<i32>, size: vec2<u32>) -> vec2<i32> {
  return clamp(p, vec2<i32>(0), vec2<i32>(size) - 1);
}

fn px_index(p: vec2<i32>, size: vec2<u32>) -> u32 {
  let q = clamp_px(p, size);
  return u32(q.y) * size.x + u32(q.x);
}

// Bilinear weights and the four corner indices of a sub-pixel position.
struct Bilinear {
  i00: u32,
  i10: u32,
  i01: u32,
  i11: u32,
  f: vec2<f32>,
}

fn bilinear_at(p: vec2<f32>, size: vec2<u32>) -> Bilinear {
  let lim = vec2<f32>(size) - 1.0;
  let c = clamp(p, vec2<f32>(0.0), lim);
  let p0 = floor(c);
  let b = vec2<i32>(p0);
  var r: Bilinear;
  r.f = c - p0;
  r.i00 = px_index(b, size);
  r.i10 = px_index(b + vec2<i32>(1, 0), size);
  r.i01 = px_index(b + vec2<i32>(0, 1), size);
  r.i11 = px_index(b + vec2<i32>(1, 1), size);
  return r;
}

fn in_image(p: vec2<f32>, size: vec2<u32>) -> bool {
  return all(p >= vec2<f32>(-0.5)) && all(p <= vec2<f32>(size) - 0.5);
}

// Scene cut, from the frame-wide sums confidence.wgsl leaves in `stats` (residual·256, inconsistent, inside):
// too little of frame t comes from inside frame t−1, or the mean residual after warping, or the share of
// flow-inconsistent pixels, is above its threshold.
fn scene_cut(residual_sum: u32, inconsistent: u32, inside: u32, flow_size: vec2<u32>, max_residual: f32, max_inconsistent: f32) -> bool {
  let n = f32(inside);
  if (n < 0.2 * f32(flow_size.x * flow_size.y)) {
    return true;
  }
  return f32(residual_sum) / 256.0 / n > max_residual || f32(inconsistent) / n > max_inconsistent;
}

