// present_rows.wgsl — the first, horizontal half of present: each row of the network's output (float32 NHWC RGB)
// enlarged to the target's width with the host's cubic taps (resample.wgsl), one vec4 per pixel so that
// present.wgsl's vertical half reads each tap once.
// Bindings (group 0):
//   0: storage, read        src: array<f32>          src_size.x × src_size.y × 3, row-major, RGB interleaved
//   1: storage, read_write  rows: array<vec4<f32>>   dst_size.x × src_size.y
//   2: storage, read        weights: array<vec4<f32>>  per output column
//   3: storage, read        first: array<i32>          per output column
//   4: uniform              Params
struct Params {
  src_size: vec2<u32>,
  dst_size: vec2<u32>,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> rows: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> first: array<i32>;
@group(0) @binding(4) var<uniform> params: Params;

fn rgb(x: i32, row: u32) -> vec3<f32> {
  let i = (row + clamp_tap(x, params.src_size.x)) * 3u;
  return vec3<f32>(src[i], src[i + 1u], src[i + 2u]);
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= params.dst_size.x || id.y >= params.src_size.y) {
    return;
  }
  let w = weights[id.x];
  let f = first[id.x];
  let row = id.y * params.src_size.x;
  let sum = w.x * rgb(f, row) + w.y * rgb(f + 1, row) + w.z * rgb(f + 2, row) + w.w * rgb(f + 3, row);
  rows[id.y * params.dst_size.x + id.x] = vec4<f32>(sum, 1.0);
}
