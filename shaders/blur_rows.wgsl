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
  let k = -0.5 / (params.sigma * params.sigma);
  var sum = vec4<f32>(0.0);
  var weight = 0.0;
  for (var dx = -r; dx <= r; dx++) {
    let w = exp(k * f32(dx * dx));
    sum += w * src[px_index(p + vec2<i32>(dx, 0), params.size)];
    weight += w;
  }
  dst[id.y * params.size.x + id.x] = sum / weight;
}
