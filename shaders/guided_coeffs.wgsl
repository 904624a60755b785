// guided_coeffs.wgsl — the guided filter's linear model at the network's resolution (He, Sun & Tang, "Guided image
// filtering"; the fast variant computes it at low resolution and applies it at full): over a (2r+1)² window around
// each pixel, the stylised colour p is regressed on the guide's luma I (the network's own input), p ≈ a·I + b per
// channel: a = cov(I, p) / (var(I) + eps), b = mean(p) − a·mean(I). Pixels outside the frame are left out of the
// window (the statistics use the pixels that exist).
// Bindings (group 0):
//   0: storage, read        src: array<f32>           stylised, src_size.x × src_size.y × 3
//   1: storage, read        low: array<f32>           the guide at src_size (the network's input), same layout
//   2: storage, read_write  coeffs: array<vec4<f32>>  two planes of src_size.x × src_size.y: (a.rgb, mean I),
//                                                     then (b.rgb, var I) (the detail mode reads only the first)
//   3: uniform              Params
struct Params {
  src_size: vec2<u32>,
  radius: u32,
  eps: f32,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> low: array<f32>;
@group(0) @binding(2) var<storage, read_write> coeffs: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> params: Params;

/** Largest |a|: a flat window (var ≈ 0) must not amplify noise into the enlargement. */
const MAX_SLOPE = 2.0;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let size = vec2<i32>(params.src_size);
  let c = vec2<i32>(id.xy);
  if (c.x >= size.x || c.y >= size.y) {
    return;
  }
  let r = i32(params.radius);
  let lo = max(c - vec2<i32>(r), vec2<i32>(0));
  let hi = min(c + vec2<i32>(r), size - 1);
  var sum_i = 0.0;
  var sum_ii = 0.0;
  var sum_p = vec3<f32>(0.0);
  var sum_ip = vec3<f32>(0.0);
  for (var y = lo.y; y <= hi.y; y++) {
    for (var x = lo.x; x <= hi.x; x++) {
      let k = u32(y * size.x + x) * 3u;
      let g = luma(vec3<f32>(low[k], low[k + 1u], low[k + 2u]));
      let p = vec3<f32>(src[k], src[k + 1u], src[k + 2u]);
      sum_i += g;
      sum_ii += g * g;
      sum_p += p;
      sum_ip += g * p;
    }
  }
  let n = f32((hi.x - lo.x + 1) * (hi.y - lo.y + 1));
  let mean_i = sum_i / n;
  let var_i = max(sum_ii / n - mean_i * mean_i, 0.0);
  let mean_p = sum_p / n;
  let cov = sum_ip / n - mean_i * mean_p;
  let a = clamp(cov / (var_i + params.eps), vec3<f32>(-MAX_SLOPE), vec3<f32>(MAX_SLOPE));
  let b = mean_p - a * mean_i;
  let o = id.y * params.src_size.x + id.x;
  coeffs[o] = vec4<f32>(a, mean_i);
  coeffs[o + params.src_size.x * params.src_size.y] = vec4<f32>(b, var_i);
}
