// flow_smooth.wgsl — edge-aware smoothing of a flow field: each vector becomes the weighted mean of its
// (2R+1)² neighbours, weighted by distance, by luma similarity in the frame the flow starts from (a motion
// edge is nearly always an intensity edge) and by flow similarity (vectors across a motion boundary differ by
// more than σ_flow and are left out). It plays the part of the smoothness term of variational methods:
// per-pixel LK fits the intensities best (lowest warp residual of all methods in bench:flow) but its field is
// rough, and a rough field stretches and shears the strokes the temporal stage carries along it.
// Bindings (group 0):
//   0: storage, read        src: array<vec2<f32>>   flow, size
//   1: storage, read        luma: array<f32>        the frame the flow starts from, size
//   2: storage, read_write  dst: array<vec2<f32>>
//   3: uniform              Params
struct Params {
  size: vec2<u32>,
  radius: i32,
  sigma_space: f32,
  sigma_luma: f32,
  sigma_flow: f32,
}

@group(0) @binding(0) var<storage, read> src: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read> luma: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec2<f32>>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (any(id.xy >= params.size)) {
    return;
  }
  let p = vec2<i32>(id.xy);
  let i = id.y * params.size.x + id.x;
  let f0 = src[i];
  let l0 = luma[i];
  let ks = -0.5 / (params.sigma_space * params.sigma_space);
  let kl = -0.5 / (params.sigma_luma * params.sigma_luma);
  let kf = -0.5 / (params.sigma_flow * params.sigma_flow);
  var sum = vec2<f32>(0.0);
  var weight = 0.0;
  for (var dy = -params.radius; dy <= params.radius; dy++) {
    for (var dx = -params.radius; dx <= params.radius; dx++) {
      let j = px_index(p + vec2<i32>(dx, dy), params.size);
      let f = src[j];
      let dl = luma[j] - l0;
      let df = f - f0;
      let w = exp(ks * f32(dx * dx + dy * dy) + kl * dl * dl + kf * dot(df, df));
      sum += w * f;
      weight += w;
    }
  }
  dst[i] = sum / weight;
}
