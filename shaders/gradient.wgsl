// structure.wgsl — Scharr gradient of one pyramid level (the reference image's gradient for Lucas–Kanade).
// Bindings (group 0):
//   0: storage, read        luma: array<f32>
//   1: storage, read_write  grad: array<vec2<f32>>
//   2: uniform              Params
struct Params {
  size: vec2<u32>,
}

@group(0) @binding(0) var<storage, read> luma: array<f32>;
@group(0) @binding(1) var<storage, read_write> grad: array<vec2<f32>>;
@group(0) @binding(2) var<uniform> params: Params;

fn l(p: vec2<i32>) -> f32 {
  return luma[px_index(p, params.size)];
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (any(id.xy >= params.size)) {
    return;
  }
  let p = vec2<i32>(id.xy);
  // Scharr 3×3 (normalised to a unit step): rotation-invariant and accurate for sub-pixel flow.
  let gx = (3.0 * (l(p + vec2<i32>(1, -1)) - l(p + vec2<i32>(-1, -1))) +
            10.0 * (l(p + vec2<i32>(1, 0)) - l(p + vec2<i32>(-1, 0))) +
            3.0 * (l(p + vec2<i32>(1, 1)) - l(p + vec2<i32>(-1, 1)))) / 32.0;
  let gy = (3.0 * (l(p + vec2<i32>(-1, 1)) - l(p + vec2<i32>(-1, -1))) +
            10.0 * (l(p + vec2<i32>(0, 1)) - l(p + vec2<i32>(0, -1))) +
            3.0 * (l(p + vec2<i32>(1, 1)) - l(p + vec2<i32>(1, -1)))) / 32.0;
  grad[id.y * params.size.x + id.x] = vec2<f32>(gx, gy);
}
