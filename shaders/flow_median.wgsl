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

// Orders a pair component-wise: afterwards a = min, b = max (each flow component sorts independently).
fn sort2(a: ptr<function, vec2<f32>>, b: ptr<function, vec2<f32>>) {
  let lo = min(*a, *b);
  *b = max(*a, *b);
  *a = lo;
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (any(id.xy >= params.size)) {
    return;
  }
  let p = vec2<i32>(id.xy);
  let s = params.size;
  var p0 = src[px_index(p + vec2<i32>(-1, -1), s)];
  var p1 = src[px_index(p + vec2<i32>(0, -1), s)];
  var p2 = src[px_index(p + vec2<i32>(1, -1), s)];
  var p3 = src[px_index(p + vec2<i32>(-1, 0), s)];
  var p4 = src[px_index(p, s)];
  var p5 = src[px_index(p + vec2<i32>(1, 0), s)];
  var p6 = src[px_index(p + vec2<i32>(-1, 1), s)];
  var p7 = src[px_index(p + vec2<i32>(0, 1), s)];
  var p8 = src[px_index(p + vec2<i32>(1, 1), s)];
  // Median of nine by a 19-exchange network (Paeth; Devillard's opt_med9), on both components at once: straight-line
  // min/max, no indexing, no branches.
  sort2(&p1, &p2); sort2(&p4, &p5); sort2(&p7, &p8);
  sort2(&p0, &p1); sort2(&p3, &p4); sort2(&p6, &p7);
  sort2(&p1, &p2); sort2(&p4, &p5); sort2(&p7, &p8);
  sort2(&p0, &p3); sort2(&p5, &p8); sort2(&p4, &p7);
  sort2(&p3, &p6); sort2(&p1, &p4); sort2(&p2, &p5);
  sort2(&p4, &p7); sort2(&p4, &p2); sort2(&p6, &p4);
  sort2(&p4, &p2);
  dst[id.y * params.size.x + id.x] = p4;
}
