// flow_median.wgsl — 3×3 median of each flow component: removes isolated outliers of the per-pixel solve
// while keeping motion edges (Sun, Roth & Black 2010, "Secrets of optical flow").
// Bindings (group 0):
//   0: storage, read        src: array<vec2<f32>>
//   1: storage, read_write  dst: array<vec2<f32>>
//   2: uniform              Params
struct Params {
  size: vec2<u32>,
}

@group(0) @binding(0) var<storage, read> src: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec2<f32>>;
@group(0) @binding(2) var<uniform> params: Params;

// Median of nine values by partial selection (only the middle element is needed).
fn median9(v_in: array<f32, 9>) -> f32 {
  var v = v_in;
  for (var i = 0u; i < 5u; i++) {
    var m = i;
    for (var j = i + 1u; j < 9u; j++) {
      if (v[j] < v[m]) {
        m = j;
      }
    }
    let t = v[i];
    v[i] = v[m];
    v[m] = t;
  }
  return v[4];
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (any(id.xy >= params.size)) {
    return;
  }
  let p = vec2<i32>(id.xy);
  var xs: array<f32, 9>;
  var ys: array<f32, 9>;
  var n = 0u;
  for (var dy = -1; dy <= 1; dy++) {
    for (var dx = -1; dx <= 1; dx++) {
      let f = src[px_index(p + vec2<i32>(dx, dy), params.size)];
      xs[n] = f.x;
      ys[n] = f.y;
      n++;
    }
  }
  dst[id.y * params.size.x + id.x] = vec2<f32>(median9(xs), median9(ys));
}
