// warp.wgsl — brings the previous output into frame t along the backward flow, per output pixel:
//   diff    = (c·(W − S_t), c), W = the previous output at x + back(x) (Lanczos-3, or the Keys cubic: TAPS below),
//             c = the confidence there,
//   carried = (the age of the strokes W carries, the strain of the flow at x: confidence.wgsl's, nearest flow pixel).
// Flow, confidence and strain come packed in one value per flow pixel (confidence.wgsl's `field`).
// Flow and confidence may be coarser than the output: they are looked up bilinearly at the pixel's centre.
// compose.wgsl turns these into the output; blur_rows.wgsl blurs `diff` on the way.
// Bindings (group 0):
//   0: storage, read        stylised: array<f32>       S_t, float32 NHWC RGB, size
//   1: storage, read        previous: array<vec4<f32>> the previous output with its stroke ages (RGB, age), size
//   2: storage, read        field: array<vec4<f32>>    (flow t → t−1, confidence, strain) at flow_size (confidence.wgsl)
//   3: storage, read_write  diff: array<vec4<f32>>     size
//   4: storage, read_write  carried: array<vec2<f32>>  size
//   5: uniform              Params
struct Params {
  size: vec2<u32>,
  flow_size: vec2<u32>,
}

@group(0) @binding(0) var<storage, read> stylised: array<f32>;
@group(0) @binding(1) var<storage, read> previous: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> field: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> diff: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> carried: array<vec2<f32>>;
@group(0) @binding(5) var<uniform> params: Params;

// Lanczos-3 weights of the six taps at offsets n = −2..3 from floor(p), for the fractional part t, as (n = −2..0,
// n = 1..3). With x = n − t: sin(πx) = −(−1)ⁿ·sin(πt) and sin(πx/3) = sin(πn/3)·cos(πt/3) − cos(πn/3)·sin(πt/3),
// so three sines per axis instead of twelve.
struct Taps6 {
  lo: vec3<f32>,
  hi: vec3<f32>,
}

const PI = 3.14159265;
const H3 = 0.8660254; // √3/2

fn lanczos3(t: f32) -> Taps6 {
  let s1 = sin(PI * t);
  let s3 = sin(PI * t / 3.0);
  let c3 = cos(PI * t / 3.0);
  let x_lo = vec3<f32>(-2.0, -1.0, 0.0) - t;
  let x_hi = vec3<f32>(1.0, 2.0, 3.0) - t;
  // −(−1)ⁿ, sin(πn/3), cos(πn/3) for n = −2, −1, 0 and 1, 2, 3.
  let num_lo = vec3<f32>(-1.0, 1.0, -1.0) * s1 * (vec3<f32>(-H3, -H3, 0.0) * c3 - vec3<f32>(-0.5, 0.5, 1.0) * s3);
  let num_hi = vec3<f32>(1.0, -1.0, 1.0) * s1 * (vec3<f32>(H3, H3, 0.0) * c3 - vec3<f32>(0.5, -0.5, -1.0) * s3);
  // 3·sin(πx)·sin(πx/3)/(πx)², and 1 at x = 0 (t = 0: the tap on the pixel itself).
  var w: Taps6;
  w.lo = select(3.0 * num_lo / (PI * PI * x_lo * x_lo), vec3<f32>(1.0), abs(x_lo) <= vec3<f32>(1e-4));
  w.hi = select(3.0 * num_hi / (PI * PI * x_hi * x_hi), vec3<f32>(1.0), abs(x_hi) <= vec3<f32>(1e-4));
  let sum = dot(w.lo, vec3<f32>(1.0)) + dot(w.hi, vec3<f32>(1.0));
  w.lo /= sum;
  w.hi /= sum;
  return w;
}

// One row of the 6×6 footprint: the six columns (clamped to the image) weighted horizontally.
fn row_sum(row: u32, cols_lo: vec3<u32>, cols_hi: vec3<u32>, w: Taps6) -> vec3<f32> {
  return w.lo.x * previous[row + cols_lo.x].xyz + w.lo.y * previous[row + cols_lo.y].xyz + w.lo.z * previous[row + cols_lo.z].xyz +
    w.hi.x * previous[row + cols_hi.x].xyz + w.hi.y * previous[row + cols_hi.y].xyz + w.hi.z * previous[row + cols_hi.z].xyz;
}

// The previous output at a sub-pixel position, Lanczos-3. The history is resampled every frame that strokes
// survive (up to ~20), so the kernel's loss compounds: at a half-pixel shift Catmull–Rom keeps 88 % of a
// 4-px-period texture (11 % after 18 frames), Lanczos-3 all of it. The result is clamped to its four nearest
// pixels so the sharper kernel cannot ring either. Outside the image each tap takes the nearest edge pixel (the
// clamp is per axis, so rows and columns are clamped once each).
fn previous_at6(p: vec2<f32>) -> vec3<f32> {
  let c = clamp(p, vec2<f32>(0.0), vec2<f32>(params.size) - 1.0);
  let base = floor(c);
  let f = c - base;
  if (all(f == vec2<f32>(0.0))) {
    // On a pixel centre (still background: the flow is exactly zero) every tap but the centre weighs 0.
    return previous[u32(base.y) * params.size.x + u32(base.x)].xyz;
  }
  let wx = lanczos3(f.x);
  let wy = lanczos3(f.y);
  let b = vec2<i32>(base);
  let last = vec2<i32>(params.size) - 1;
  let cols_lo = vec3<u32>(clamp(vec3<i32>(b.x) + vec3<i32>(-2, -1, 0), vec3<i32>(0), vec3<i32>(last.x)));
  let cols_hi = vec3<u32>(clamp(vec3<i32>(b.x) + vec3<i32>(1, 2, 3), vec3<i32>(0), vec3<i32>(last.x)));
  let rows_lo = vec3<u32>(clamp(vec3<i32>(b.y) + vec3<i32>(-2, -1, 0), vec3<i32>(0), vec3<i32>(last.y))) * params.size.x;
  let rows_hi = vec3<u32>(clamp(vec3<i32>(b.y) + vec3<i32>(1, 2, 3), vec3<i32>(0), vec3<i32>(last.y))) * params.size.x;
  let sum = wy.lo.x * row_sum(rows_lo.x, cols_lo, cols_hi, wx) + wy.lo.y * row_sum(rows_lo.y, cols_lo, cols_hi, wx) +
    wy.lo.z * row_sum(rows_lo.z, cols_lo, cols_hi, wx) + wy.hi.x * row_sum(rows_hi.x, cols_lo, cols_hi, wx) +
    wy.hi.y * row_sum(rows_hi.y, cols_lo, cols_hi, wx) + wy.hi.z * row_sum(rows_hi.z, cols_lo, cols_hi, wx);
  // The four nearest: offsets 0 and 1 on each axis.
  let n00 = previous[rows_lo.z + cols_lo.z].xyz;
  let n10 = previous[rows_lo.z + cols_hi.x].xyz;
  let n01 = previous[rows_hi.x + cols_lo.z].xyz;
  let n11 = previous[rows_hi.x + cols_hi.x].xyz;
  return clamp(sum, min(min(n00, n10), min(n01, n11)), max(max(n00, n10), max(n01, n11)));
}

// Taps per axis of the resampling kernel: 6, Lanczos-3 (previous_at6); 4, the Keys cubic (previous_at4). A pipeline
// constant the host sets (temporal/pipelines.ts, FlowSettings.warpTaps).
override TAPS: i32 = 6;

// Keys' cubic convolution (a = −0.75, OpenCV's INTER_CUBIC) weights of the four taps at offsets −1..2 from floor(p),
// for the fractional part t; they sum to 1.
const KEYS_A = -0.75;

fn keys4(t: f32) -> vec4<f32> {
  let t2 = t * t;
  let t3 = t2 * t;
  return vec4<f32>(
    KEYS_A * (t3 - 2.0 * t2 + t),
    (KEYS_A + 2.0) * t3 - (KEYS_A + 3.0) * t2 + 1.0,
    -(KEYS_A + 2.0) * t3 + (2.0 * KEYS_A + 3.0) * t2 - KEYS_A * t,
    KEYS_A * (t2 - t3),
  );
}

// One row of the 4×4 footprint, weighted horizontally; its two middle taps (the nearest pixels) are kept for the clamp.
struct Row4 {
  sum: vec3<f32>,
  near0: vec3<f32>,
  near1: vec3<f32>,
}

fn row4(row: u32, cols: vec4<u32>, w: vec4<f32>) -> Row4 {
  var r: Row4;
  r.near0 = previous[row + cols.y].xyz;
  r.near1 = previous[row + cols.z].xyz;
  r.sum = w.x * previous[row + cols.x].xyz + w.y * r.near0 + w.z * r.near1 + w.w * previous[row + cols.w].xyz;
  return r;
}

// The previous output at a sub-pixel position with 16 taps instead of 36 (the software plan's: on SwiftShader the warp's
// cost goes with the taps read — replayed alone at 456×256 it takes 0.64× Lanczos-3's time, the nearest pixel 0.21×),
// at a softer passband: a half-pixel shift keeps 97 % of a 4-px-period texture (Lanczos-3 102 %, Catmull–Rom 88 %).
// bench:temporal's flicker and detail did not move (see SOFTWARE_FLOW_SIDE in temporal/index.ts). Clamped to the
// four nearest pixels, and exact on a pixel centre, as previous_at6.
fn previous_at4(p: vec2<f32>) -> vec3<f32> {
  let c = clamp(p, vec2<f32>(0.0), vec2<f32>(params.size) - 1.0);
  let base = floor(c);
  let f = c - base;
  if (all(f == vec2<f32>(0.0))) {
    return previous[u32(base.y) * params.size.x + u32(base.x)].xyz;
  }
  let wx = keys4(f.x);
  let wy = keys4(f.y);
  let b = vec2<i32>(base);
  let last = vec2<i32>(params.size) - 1;
  let cols = vec4<u32>(clamp(vec4<i32>(b.x) + vec4<i32>(-1, 0, 1, 2), vec4<i32>(0), vec4<i32>(last.x)));
  let rows = vec4<u32>(clamp(vec4<i32>(b.y) + vec4<i32>(-1, 0, 1, 2), vec4<i32>(0), vec4<i32>(last.y))) * params.size.x;
  let r1 = row4(rows.y, cols, wx);
  let r2 = row4(rows.z, cols, wx);
  let sum = wy.x * row4(rows.x, cols, wx).sum + wy.y * r1.sum + wy.z * r2.sum + wy.w * row4(rows.w, cols, wx).sum;
  return clamp(sum, min(min(r1.near0, r1.near1), min(r2.near0, r2.near1)), max(max(r1.near0, r1.near1), max(r2.near0, r2.near1)));
}

fn previous_at(p: vec2<f32>) -> vec3<f32> {
  if (TAPS == 4) {
    return previous_at4(p);
  }
  return previous_at6(p);
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (any(id.xy >= params.size)) {
    return;
  }
  let i = id.y * params.size.x + id.x;
  let s = vec3<f32>(stylised[i * 3u], stylised[i * 3u + 1u], stylised[i * 3u + 2u]);

  let scale = vec2<f32>(params.flow_size) / vec2<f32>(params.size);
  let q = (vec2<f32>(id.xy) + 0.5) * scale - 0.5;
  let fb = bilinear_at(q, params.flow_size);
  let f00 = field[fb.i00];
  let f10 = field[fb.i10];
  let f01 = field[fb.i01];
  let f11 = field[fb.i11];
  let fl = mix(mix(f00, f10, fb.f.x), mix(f01, f11, fb.f.x), fb.f.y);
  let b = fl.xy / scale;
  let c = fl.z;

  // Strain: the flow's central differences at the nearest flow pixel (dimensionless, so the flow's resolution does not
  // matter), computed once per flow pixel by confidence.wgsl instead of 4 loads and a sqrt per output pixel here; the
  // nearest is one of the four just read.
  let near = fb.f > vec2<f32>(0.5);
  let strained = select(select(f00.w, f10.w, near.x), select(f01.w, f11.w, near.x), near.y);

  let src = vec2<f32>(id.xy) + b;
  var age = 0.0;
  var d = vec4<f32>(0.0);
  if (c > 0.0 && in_image(src, params.size)) {
    d = vec4<f32>(c * (previous_at(src) - s), c);
    age = previous[px_index(vec2<i32>(round(src)), params.size)].w;
  }
  diff[i] = d;
  carried[i] = vec2<f32>(age, strained);
}
