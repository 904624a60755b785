// present_rows.wgsl — the first, horizontal half of present: each row of the network's output (float32 NHWC RGB)
// enlarged to the target's width with the host's cubic taps (resample.wgsl), by cubic_rows.wgsl (prepended by the
// host), one vec4 per pixel (RGB, and 0: present.wgsl reads RGB only).
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

fn tap(x: i32, row: u32) -> vec4<f32> {
  let i = (row + clamp_tap(x, params.src_size.x)) * 3u;
  return vec4<f32>(src[i], src[i + 1u], src[i + 2u], 0.0);
}
