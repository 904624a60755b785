// downsample.wgsl — next pyramid level: half size (rounded up), 4×4 binomial filter [1 3 3 1]/8 per axis, so
// the coarse level does not alias.
// Bindings (group 0):
//   0: storage, read        src: array<f32>, src_size
//   1: storage, read_write  dst: array<f32>, dst_size
//   2: uniform              Params
struct Params {
  src_size: vec2<u32>,
  dst_size: vec2<u32>,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

const TAPS = array<f32, 4>(0.125, 0.375, 0.375, 0.125);

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (any(id.xy >= params.dst_size)) {
    return;
  }
  let base = vec2<i32>(id.xy) * 2 - 1;
  var sum = 0.0;
  for (var dy = 0; dy < 4; dy++) {
    for (var dx = 0; dx < 4; dx++) {
      sum += TAPS[dx] * TAPS[dy] * src[px_index(base + vec2<i32>(dx, dy), params.src_size)];
    }
  }
  dst[id.y * params.dst_size.x + id.x] = sum;
}
