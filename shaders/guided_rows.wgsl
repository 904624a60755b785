// guided_rows.wgsl — the horizontal half of the guided present: like present_rows.wgsl, each row of the stylised
// frame (float32 NHWC RGB) enlarged to the target's width with the host's cubic taps (resample.wgsl) by cubic_rows.wgsl
// (prepended by the host), and in the fourth component the luma of the network's input (the low-resolution guide,
// same size, same layout) enlarged with the same taps: guided.wgsl subtracts it from the full-resolution luma to get
// the detail the network never saw.
// Bindings (group 0):
//   0: storage, read        src: array<f32>          stylised, src_size.x × src_size.y × 3
//   1: storage, read        low: array<f32>          the network's input (the guide at src_size), same layout
//   2: storage, read_write  rows: array<vec4<f32>>   dst_size.x × src_size.y: (rgb, guide luma)
//   3: storage, read        weights: array<vec4<f32>>  per output column
//   4: storage, read        first: array<i32>          per output column
//   5: uniform              Params
struct Params {
  src_size: vec2<u32>,
  dst_size: vec2<u32>,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> low: array<f32>;
@group(0) @binding(2) var<storage, read_write> rows: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> first: array<i32>;
@group(0) @binding(5) var<uniform> params: Params;

fn tap(x: i32, row: u32) -> vec4<f32> {
  let i = (row + clamp_tap(x, params.src_size.x)) * 3u;
  return vec4<f32>(src[i], src[i + 1u], src[i + 2u], luma(vec3<f32>(low[i], low[i + 1u], low[i + 2u])));
}
