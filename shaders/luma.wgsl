// luma.wgsl — RGB (float32 NHWC, as the importer writes it) → luma (Rec. 601), level 0 of the flow pyramid.
// Bindings (group 0):
//   0: storage, read        rgb: array<f32>, size.x*size.y*3
//   1: storage, read_write  luma: array<f32>, size.x*size.y
//   2: uniform              Params
struct Params {
  size: vec2<u32>,
}

@group(0) @binding(0) var<storage, read> rgb: array<f32>;
@group(0) @binding(1) var<storage, read_write> luma: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (any(id.xy >= params.size)) {
    return;
  }
  let i = id.y * params.size.x + id.x;
  luma[i] = dot(vec3<f32>(rgb[i * 3u], rgb[i * 3u + 1u], rgb[i * 3u + 2u]), vec3<f32>(0.299, 0.587, 0.114));
}
