// low_half.wgsl — the low band of the temporal stage at half resolution (the software plan's, FlowSettings.lowBand
// 'half'): the same separable Gaussian as blur_rows.wgsl + compose.wgsl's vertical half, on a quarter of the pixels,
// and compose.wgsl takes it back up bilinearly. Two passes of this program (params.axis):
//   axis 0: src = warp.wgsl's diff at the output's size, dst at half that size (⌈w/2⌉×⌈h/2⌉): each dst pixel is the
//           mean of its two src rows (2y, 2y+1), weighted along them by a Gaussian centred between its two src columns
//           (taps at ±0.5, ±1.5, … src pixels: the columns 2x − R + 1 … 2x + R);
//   axis 1: src and dst at half size, a Gaussian down the columns (taps at 0, ±1, … half pixels).
// Both normalise by their weights, so dst.w is the confidence averaged over the kernel (compose's c̄). The caller picks
// the σs so that the whole — the row pair's box (variance ¼ px²), the two Gaussians, the bilinear upsample (¾ px² at
// the phases ¼ and ¾ of a half pixel) — has the full-resolution band's variance σ² on each axis (see
// TemporalStage: σx² = σ² − ¾, (2σy)² = σ² − 1).
// Edges are clamped, as in blur_rows.
// Bindings (group 0):
//   0: storage, read        src: array<vec4<f32>>
//   1: storage, read_write  dst: array<vec4<f32>>
//   2: uniform              Params
struct Params {
  src_size: vec2<u32>,
  dst_size: vec2<u32>,
  // In src pixels along the pass's axis.
  sigma: f32,
  axis: u32,
}

@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (any(id.xy >= params.dst_size)) {
    return;
  }
  let p = vec2<i32>(id.xy);
  let q = exp(-0.5 / (params.sigma * params.sigma));
  let q2 = q * q;
  var sum = vec4<f32>(0.0);
  var weight = 0.0;
  if (params.axis == 0u) {
    // Offsets d = j + ½ (j = 0 … R − 1) on both sides: w(½) = q^¼, w(d + 1) = w(d)·q^(2d+1) (blur_rows' recurrence).
    let r = i32(ceil(2.5 * params.sigma + 0.5));
    let x0 = 2 * p.x;
    let y0 = 2 * p.y;
    var w = pow(q, 0.25);
    var step = q2;
    for (var j = 0; j < r; j++) {
      let left = vec2<i32>(x0 - j, y0);
      let right = vec2<i32>(x0 + 1 + j, y0);
      let up = vec2<i32>(0, 1);
      sum += w * (src[px_index(left, params.src_size)] + src[px_index(left + up, params.src_size)] +
        src[px_index(right, params.src_size)] + src[px_index(right + up, params.src_size)]);
      weight += 4.0 * w;
      w *= step;
      step *= q2;
    }
  } else {
    let r = i32(ceil(2.5 * params.sigma));
    sum = src[px_index(p, params.src_size)];
    weight = 1.0;
    var w = 1.0;
    var step = q;
    for (var d = 1; d <= r; d++) {
      w *= step;
      step *= q2;
      sum += w * (src[px_index(p + vec2<i32>(0, -d), params.src_size)] + src[px_index(p + vec2<i32>(0, d), params.src_size)]);
      weight += 2.0 * w;
    }
  }
  dst[id.y * params.dst_size.x + id.x] = sum / weight;
}
