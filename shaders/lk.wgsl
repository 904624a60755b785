// lk.wgsl — one pyramid level of dense iterative Lucas–Kanade (inverse compositional: the structure tensor of
// the reference image I0 is fixed, I1 is re-sampled at x + u on each iteration). Each pixel solves its own
// (2R+1)² window, weighted bilaterally (Gaussian in space and in I0's luma difference from the centre pixel):
// near an object's edge, the window then follows the side the pixel is on instead of letting a textured
// foreground's motion spread over the background beside it (foreground fattening). The initial flow is the coarser level's result, upsampled ×2 (or zero at the coarsest level);
// near motion boundaries the upsampled flow is a blur of both sides, so each pixel starts from whichever of
// the coarse flows at itself and at four neighbours (PatchMatch-style propagation) matches its window best.
// Window terms whose match falls outside I1 are left out. Flow maps a pixel x of I0 to its place x + u in I1.
// Bindings (group 0):
//   0: storage, read        i0: array<f32>              reference luma, size
//   1: storage, read        grad0: array<vec2<f32>>     Scharr gradient of i0
//   2: storage, read        i1: array<f32>              target luma, size
//   3: storage, read        coarse: array<vec2<f32>>    coarser level's flow, coarse_size (ignored if has_coarse = 0)
//   4: storage, read_write  flow: array<vec2<f32>>      this level's flow, size
//   5: uniform              Params
struct Params {
  size: vec2<u32>,
  coarse_size: vec2<u32>,
  has_coarse: u32,
  iterations: u32,
  // Tikhonov term added to the tensor's diagonal: keeps flat regions at their initial flow.
  lambda: f32,
  // Luma difference (0..1) at which a window pixel's weight falls to e^(-1/2).
  sigma_luma: f32,
  // 1 on the finest level: the zero-motion test below.
  zero_test: u32,
}

// Window radius (the window is (2R+1)² pixels), a pipeline constant: 3, or 2 (5×5, the software plan's finest level)
// set by the host (temporal/pipelines.ts, FlowSettings.fineRadius and coarseRadius). The function-scope arrays below
// are sized for the largest, MAX_RADIUS (WGSL sizes an array by an override only in workgroup memory).
override RADIUS: i32 = 3;
const MAX_RADIUS = 3;

@group(0) @binding(0) var<storage, read> i0: array<f32>;
@group(0) @binding(1) var<storage, read> grad0: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> i1: array<f32>;
@group(0) @binding(3) var<storage, read> coarse: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> flow: array<vec2<f32>>;
@group(0) @binding(5) var<uniform> params: Params;

fn sample_i1(p: vec2<f32>) -> f32 {
  let b = bilinear_at(p, params.size);
  return mix(mix(i1[b.i00], i1[b.i10], b.f.x), mix(i1[b.i01], i1[b.i11], b.f.x), b.f.y);
}

fn initial_flow(p: vec2<i32>) -> vec2<f32> {
  if (params.has_coarse == 0u) {
    return vec2<f32>(0.0);
  }
  // Centre of this pixel in the coarse level's pixel coordinates.
  let q = (vec2<f32>(p) + 0.5) * vec2<f32>(params.coarse_size) / vec2<f32>(params.size) - 0.5;
  let b = bilinear_at(q, params.coarse_size);
  let u = mix(mix(coarse[b.i00], coarse[b.i10], b.f.x), mix(coarse[b.i01], coarse[b.i11], b.f.x), b.f.y);
  return u * vec2<f32>(params.size) / vec2<f32>(params.coarse_size);
}

// Derived from RADIUS (the host does not set it).
override SIDE: i32 = 2 * RADIUS + 1;
const MAX_SIDE = 2 * MAX_RADIUS + 1;

// Zero-motion test (finest level): the prior's largest length, in pixels, and the squared luma difference per
// window pixel that counts as noise (≈ 0.8/255).
const ZERO_PRIOR = 1.0;
const ZERO_NOISE = 1e-5;

// Per window pixel: (weight × I0's gradient, I0, weight) — fixed for the pixel, read from memory once.
alias Taps = array<vec4<f32>, MAX_SIDE * MAX_SIDE>;

// The window matched at p + u, in one pass over it: (b, cost) with b = Σ w·∇I0·(I1(q + u) − I0(q)) over the
// window pixels q whose match lies in I1 (the others are left out of the solve), cost = Σ w·(I1(q + u) − I0(q))² over
// all of them (a match outside I1 compares with I1's nearest edge pixel) to rank candidate initial flows.
// The window pixels share u, so they share its sub-pixel fraction: the (SIDE+1)² pixels under the match are read once
// each (rows and columns clamped to the image) and interpolated row by row — (SIDE+1)² reads instead of 4 per window
// pixel. One path for every pixel, the border too: a software adapter (SwiftShader) runs a block whenever any lane of
// a SIMD group takes it, so a separate border path cost nearly every group near the border both (lk_r2 replayed
// alone: 0.84× as long, bench:stages --variant). Near the border a window pixel off the image is matched at its
// own place + u, clamped (before: at the edge pixel's place + u); bench:temporal's flicker and detail are unchanged.
fn match_window(p: vec2<i32>, u: vec2<f32>, taps: ptr<function, Taps>) -> vec3<f32> {
  var b = vec2<f32>(0.0);
  var cost = 0.0;
  let fu = floor(u);
  let f = u - fu;
  let base = p - vec2<i32>(RADIUS) + vec2<i32>(fu);
  let lim = vec2<i32>(params.size) - 1;
  // Source columns and rows, clamped to the image (a match outside I1 compares with its clamped edge), and whether
  // each window column's / row's match lies inside I1.
  var cols: array<u32, MAX_SIDE + 1>;
  for (var i = 0; i <= SIDE; i++) {
    cols[i] = u32(clamp(base.x + i, 0, lim.x));
  }
  let mx = vec2<f32>(p - vec2<i32>(RADIUS)) + u;
  var row = u32(clamp(base.y, 0, lim.y)) * params.size.x;
  var above: array<f32, MAX_SIDE>;
  for (var i = 0; i < SIDE; i++) {
    above[i] = mix(i1[row + cols[i]], i1[row + cols[i + 1]], f.x);
  }
  for (var j = 0; j < SIDE; j++) {
    row = u32(clamp(base.y + j + 1, 0, lim.y)) * params.size.x;
    let my = mx.y + f32(j);
    let row_in = my >= -0.5 && my <= f32(params.size.y) - 0.5;
    var left = i1[row + cols[0]];
    for (var i = 0; i < SIDE; i++) {
      let right = i1[row + cols[i + 1]];
      let h = mix(left, right, f.x);
      left = right;
      let t = (*taps)[j * SIDE + i];
      let e = mix(above[i], h, f.y) - t.z;
      above[i] = h;
      let m = mx.x + f32(i);
      let inside = row_in && m >= -0.5 && m <= f32(params.size.x) - 0.5;
      b += select(vec2<f32>(0.0), t.xy * e, inside);
      cost += t.w * e * e;
    }
  }
  return vec3<f32>(b, cost);
}

const NEIGHBOURS = array<vec2<i32>, 4>(vec2<i32>(4, 0), vec2<i32>(-4, 0), vec2<i32>(0, 4), vec2<i32>(0, -4));

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (any(id.xy >= params.size)) {
    return;
  }
  let p = vec2<i32>(id.xy);
  let index = id.y * params.size.x + id.x;
  // Bilateral window weights and the weighted structure tensor, once per pixel.
  var taps: Taps;
  var wsum = 0.0;
  var g = vec3<f32>(0.0);
  let centre = i0[index];
  let inv_luma = 1.0 / (2.0 * params.sigma_luma * params.sigma_luma);
  let inv_space = 1.0 / (2.0 * f32(RADIUS * RADIUS));
  for (var dy = -RADIUS; dy <= RADIUS; dy++) {
    for (var dx = -RADIUS; dx <= RADIUS; dx++) {
      let k = px_index(p + vec2<i32>(dx, dy), params.size);
      let d = i0[k] - centre;
      let w = exp(-d * d * inv_luma - f32(dx * dx + dy * dy) * inv_space);
      let gr = grad0[k];
      taps[(dy + RADIUS) * SIDE + dx + RADIUS] = vec4<f32>(w * gr, i0[k], w);
      wsum += w;
      g += w * vec3<f32>(gr.x * gr.x, gr.x * gr.y, gr.y * gr.y);
    }
  }
  let a = g.x + params.lambda;
  let c = g.z + params.lambda;
  let det = a * c - g.y * g.y;
  var u = initial_flow(p);
  if (params.has_coarse == 1u) {
    // Only where the coarse flow differs around this pixel (a motion boundary) is there a choice to make.
    var candidates: array<vec2<f32>, 4>;
    var spread = 0.0;
    for (var k = 0; k < 4; k++) {
      candidates[k] = initial_flow(clamp_px(p + NEIGHBOURS[k], params.size));
      spread = max(spread, length(candidates[k] - u));
    }
    if (spread > 0.25) {
      var best = match_window(p, u, &taps).z;
      for (var k = 0; k < 4; k++) {
        let cost = match_window(p, candidates[k], &taps).z;
        if (cost < best) {
          best = cost;
          u = candidates[k];
        }
      }
    }
  }
  let prior = u;
  // Zero-motion test (below), its first half here: where zero already matches the window within the noise floor, the
  // test keeps the pixel still whatever the iterations find (its bound is at least the floor), so they are skipped —
  // the same result, without the iterations on most of a still background.
  let still_test = params.zero_test == 1u && dot(prior, prior) < ZERO_PRIOR * ZERO_PRIOR;
  var zero_cost = 0.0;
  if (still_test) {
    zero_cost = match_window(p, vec2<f32>(0.0), &taps).z;
    if (zero_cost <= ZERO_NOISE * wsum) {
      flow[index] = vec2<f32>(0.0);
      return;
    }
  }
  for (var it = 0u; it < params.iterations; it++) {
    let b = match_window(p, u, &taps).xy;
    // du = -(G + λI)⁻¹ b, at most one pixel per step so a bad linearisation cannot throw the estimate away.
    var du = -vec2<f32>(c * b.x - g.y * b.y, a * b.y - g.y * b.x) / det;
    let len = length(du);
    if (len > 1.0) {
      du = du / len;
    }
    u += du;
    if (len < 0.01) {
      break;
    }
  }
  // Zero-motion test: where the coarser levels saw less than ZERO_PRIOR px of motion and zero explains the window
  // as well as the estimate does (within 10 % and a noise floor), keep the pixel still. A still background then
  // stays still instead of wandering with the noise (see flow.ts).
  if (still_test && dot(u, u) > 0.0) {
    if (zero_cost <= 1.1 * match_window(p, u, &taps).z + ZERO_NOISE * wsum) {
      u = vec2<f32>(0.0);
    }
  }
  flow[index] = u;
}
