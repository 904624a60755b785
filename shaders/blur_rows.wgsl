// blur_rows.wgsl — the horizontal half of a separable Gaussian (σ = params.sigma, radius ⌈2.5σ⌉, edges
// clamped) over a vec4 image; compose.wgsl does the vertical half.
// Bindings (group 0):
//   0: storage, read        src: array<vec4<f32>>
//   1: storage, read_write  dst: array<vec4<f32>>
//   2: uniform              Params
struct Params {
  size: vec2<u32>,
  sigma: f32,
}

@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (any(id.xy >= params.size)) {
    return;
  }
  let p = vec2<i32>(id.xy);
  let r = i32(ceil(2.5 * params.sigma));
  // The weights e^(k·d²) by the recurrence w(d+1) = w(d)·q^(2d+1), q = e^k: one exp per pixel instead of one per
  // tap (SwiftShader evaluates each exp in software: blur_rows replayed alone at 456×256 took 0.72× as long), and
  // the two taps at ±d share theirs.
  let q = exp(-0.5 / (params.sigma * params.sigma));
  let q2 = q * q;
  var sum = src[px_index(p, params.size)];
  var weight = 1.0;
  var w = 1.0;
  var step = q;
  for (var d = 1; d <= r; d++) {
    w *= step;
    step *= q2;
    sum += w * (src[px_index(p + vec2<i32>(-d, 0), params.size)] + src[px_index(p + vec2<i32>(d, 0), params.size)]);
    weight += 2.0 * w;
  }
  dst[id.y * params.size.x + id.x] = sum / weight;
}
