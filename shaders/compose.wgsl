// compose.wgsl — the output of the temporal stage, from S_t and what warp.wgsl carried over.
// The difference D = W − S_t between the warped previous output and the new frame is split into bands:
//   low band  L(D): Gaussian (σ), normalised by the confidence (pixels the flow cannot vouch for do not leak
//                   into their neighbours); blended in by a_low = (1 − (1 − α)²)·max(c, c̄), c̄ the confidence
//                   averaged over the same Gaussian — colour and shading change smoothly. Smoothing this band
//                   costs no detail and tolerates the flow's errors (a 1–2 px misplacement of a σ-blurred
//                   difference is small), so it is blended harder than the strokes, and also where the pixel's own
//                   flow failed but its neighbours' did not (moving limbs: measured on the walking clip, moving
//                   regions' low-band E_warp 0.56 → 0.50 of off at α 0.7, detail unchanged);
//   high band D − L(D): the brush strokes. Averaging strokes that do not line up smears them, so they are
//                   *selected*: where the flow is trusted the previous strokes are carried whole (k = 1); where
//                   it is not, they are blended by k = a (the plain average: as smooth, no
//                   sharper); strokes past their life are renewed from S_t (k = 0).
//   out = S_t + a_low·L(D) + k·(D − L(D)),   a = α·c
// Carried strokes age by one a frame (faster where the flow stretches them) and are refreshed from S_t once
// older than max_age; the ages start staggered by a smooth noise so that refreshes sweep across the picture in
// thin bands instead of the whole frame at once.
// mode 0 ("average") is the plain blend out = mix(S_t, W, α·c), i.e. k = a.
// α = 0, the first frame of a shot, and a scene cut (decided here from `stats`, with no readback) give exactly S_t.
// Bindings (group 0):
//   0: storage, read        stylised: array<f32>        S_t, float32 NHWC RGB, size
//   1: storage, read        diff: array<vec4<f32>>      (c·D, c) from warp.wgsl
//   2: storage, read        rows: array<vec4<f32>>      diff blurred along rows (blur_rows.wgsl); with low_half, the
//                                                      whole low band at half size, normalised (low_half.wgsl)
//   3: storage, read        stats: array<u32, 3>        see confidence.wgsl
//   4: storage, read        carried: array<vec2<f32>>   (age, strain) from warp.wgsl
//   5: storage, read_write  result: array<f32>          the output, same layout as stylised
//   6: storage, read_write  history: array<vec4<f32>>   the output again with its stroke ages, (RGB, age): what
//                                                      warp.wgsl reads next frame (one load per tap)
//   7: uniform              Params
struct Params {
  size: vec2<u32>,
  flow_size: vec2<u32>,
  alpha: f32,
  // 1 on the first frame of a shot (start, seek, reset): no history to blend with.
  first: u32,
  cut_residual: f32,
  cut_inconsistent: f32,
  sigma: f32,
  // 1: carry strokes (band split); 0: average.
  mode: u32,
  max_age: f32,
  // Cell size of the noise that staggers the ages, in output pixels.
  cell: f32,
  // 1: `rows` is the low band already blurred both ways at half size (⌈w/2⌉×⌈h/2⌉, FlowSettings.lowBand 'half'):
  // looked up bilinearly instead of blurred down the columns here. Uniform over the frame: no SIMD divergence.
  low_half: u32,
}

@group(0) @binding(0) var<storage, read> stylised: array<f32>;
@group(0) @binding(1) var<storage, read> diff: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> rows: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> stats: array<u32, 3>;
@group(0) @binding(4) var<storage, read> carried: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> result: array<f32>;
@group(0) @binding(6) var<storage, read_write> history: array<vec4<f32>>;
@group(0) @binding(7) var<uniform> params: Params;

// Extra age per frame per unit of strain (‖∂flow/∂x‖) above STRAIN_FREE: strokes on a limb that stretches or
// shears by 15 % between frames are renewed within a few frames instead of being dragged into rubber. Below
// STRAIN_FREE is the flow's own noise (static background measures ~0.04 at the median, ~0.14 at the 90th
// percentile on the shared clips), which must not shorten the strokes' life.
const STRAIN_FREE = 0.1;
const STRAIN_AGE = 40.0;

fn hash(p: vec2<i32>) -> f32 {
  var h = u32(p.x) * 747796405u + u32(p.y) * 2891336453u;
  h = ((h >> ((h >> 28u) + 4u)) ^ h) * 277803737u;
  h = (h >> 22u) ^ h;
  return f32(h & 0xffffu) / 65536.0;
}

// Smooth value noise in [0, 1): where in its life a stroke starts after a reset.
fn phase(x: vec2<f32>) -> f32 {
  let g = x / params.cell;
  let c = floor(g);
  let f = smoothstep(vec2<f32>(0.0), vec2<f32>(1.0), g - c);
  let b = vec2<i32>(c);
  let n = mix(mix(hash(b), hash(b + vec2<i32>(1, 0)), f.x), mix(hash(b + vec2<i32>(0, 1)), hash(b + vec2<i32>(1, 1)), f.x), f.y);
  // Value noise crowds around ½; fract(3n) spreads the phases over the whole life.
  return fract(3.0 * n);
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (any(id.xy >= params.size)) {
    return;
  }
  let i = id.y * params.size.x + id.x;
  let s = vec3<f32>(stylised[i * 3u], stylised[i * 3u + 1u], stylised[i * 3u + 2u]);
  var out = s;
  var age = 0.0;
  let blend = params.alpha > 0.0 && params.first == 0u &&
    !scene_cut(stats[0], stats[1], stats[2], params.flow_size, params.cut_residual, params.cut_inconsistent);
  if (!blend) {
    // The staggered start of the strokes' lives: only where nothing is carried (a blended pixel's age is set below;
    // `blend` is the same for every pixel of the frame, so no SIMD group runs both). Computed for every pixel before,
    // and overwritten on a blended frame: compose replayed alone takes 0.86× as long (four A/B runs, 0.67–1.00).
    age = floor(phase(vec2<f32>(id.xy)) * params.max_age);
  } else {
    let here = diff[i];
    let c = here.w;
    let a = params.alpha * c;
    let d = select(vec3<f32>(0.0), here.xyz / c, c > 1e-4);
    if (params.mode == 0u) {
      out = s + a * d;
      age = 0.0;
    } else {
      var low = vec4<f32>(0.0);
      var wsum = 1.0;
      if (params.low_half == 1u) {
        // Half size, normalised: 4 loads instead of 11 here and a quarter of the pixels blurred (low_half.wgsl).
        let half_size = (params.size + 1u) / 2u;
        let b = bilinear_at((vec2<f32>(id.xy) + 0.5) * 0.5 - 0.5, half_size);
        low = mix(mix(rows[b.i00], rows[b.i10], b.f.x), mix(rows[b.i01], rows[b.i11], b.f.x), b.f.y);
      } else {
        let p = vec2<i32>(id.xy);
        let r = i32(ceil(2.5 * params.sigma));
        let kw = -0.5 / (params.sigma * params.sigma);
        wsum = 0.0;
        for (var dy = -r; dy <= r; dy++) {
          let w = exp(kw * f32(dy * dy));
          low += w * rows[px_index(p + vec2<i32>(0, dy), params.size)];
          wsum += w;
        }
      }
      // c̄ = low.w / wsum: the rows pass is normalised, this vertical one is not.
      let a_low = (1.0 - (1.0 - params.alpha) * (1.0 - params.alpha)) * max(c, low.w / wsum);
      let low_d = select(vec3<f32>(0.0), low.xyz / low.w, low.w > 1e-6);
      let info = carried[i];
      let older = info.x + 1.0 + STRAIN_AGE * max(0.0, info.y - STRAIN_FREE);
      let trusted = smoothstep(0.35, 0.65, c);
      // Trusted: carried whole. Half-trusted (moving limbs, blur): no worse than the plain average, k = a.
      // Expired: renewed from S_t outright, so stale strokes really go.
      let expired = older >= params.max_age;
      let k = select(max(trusted, a), 0.0, expired);
      out = clamp(s + a_low * low_d + k * (d - low_d), vec3<f32>(0.0), vec3<f32>(1.0));
      age = select(0.0, older, trusted > 0.5 && !expired);
    }
  }
  result[i * 3u] = out.x;
  result[i * 3u + 1u] = out.y;
  result[i * 3u + 2u] = out.z;
  history[i] = vec4<f32>(out, age);
}
