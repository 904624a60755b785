// regions_copy.wgsl — result = full, the whole frame: what regions_blend.wgsl leaves as it is outside the weak
// pass's rect, so that the blend may be dispatched over the rect alone (see regions_blend.wgsl).
// Bindings (group 0):
//   0: storage, read        full: array<f32>            float32 NHWC RGB at size
//   1: storage, read_write  result: array<f32>          float32 NHWC RGB at size
//   2: uniform              Params (regions_common.wgsl)

@group(0) @binding(0) var<storage, read> full: array<f32>;
@group(0) @binding(1) var<storage, read_write> result: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (any(id.xy >= params.size)) {
    return;
  }
  let i = (id.y * params.size.x + id.x) * 3u;
  result[i] = full[i];
  result[i + 1u] = full[i + 1u];
  result[i + 2u] = full[i + 2u];
}
