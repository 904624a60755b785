// resample.wgsl — helpers prepended to the present programs. The enlargement from the network's output to the
// frame's size is a separable cubic whose taps the host computes once per size (gpu/resample.ts: Mitchell–Netravali,
// what Chromium's "high" image smoothing and the CPU path's RgbxScaler use): per output sample, the first of its
// four source samples and their weights.

fn clamp_tap(i: i32, n: u32) -> u32 {
  return u32(clamp(i, 0, i32(n) - 1));
}

// Luma (Rec. 601 weights) of gamma-encoded RGB: the guided present's guide.
fn luma(rgb: vec3<f32>) -> f32 {
  return dot(rgb, vec3<f32>(0.299, 0.587, 0.114));
}
