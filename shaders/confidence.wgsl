// confidence.wgsl — how far to trust the warped previous output at each pixel of the current frame t.
// back: flow t → t−1 (where each pixel of t was in t−1); fwd: flow t−1 → t. Four soft tests, multiplied:
//   coverage (splat.wgsl: did anything of t−1 land here?),
//   forward–backward consistency |back + fwd(x + back)|² against 0.01(|back|² + |fwd|²) + 0.5 (Ruder et al.),
//   motion boundaries (|∇back|² large), and the photometric residual: the mean |I_{t−1}(y + back(x)) − I_t(y)|
//   over the 3×3 patch around x (a patch, so that a lone pixel cannot match by chance).
// Pixels whose source lies outside frame t−1 get 0. Frame-wide sums go to `stats` for scene-cut detection:
//   stats[0] = Σ residual·256 over in-frame pixels, stats[1] = number failing the consistency test (crowding: whose
//   source is crowded), stats[2] = number of in-frame pixels.
// Params.crowding = 1 replaces coverage and consistency by the crowding test (see Params).
// Bindings (group 0):
//   0: storage, read        back: array<vec2<f32>>
//   1: storage, read        fwd: array<vec2<f32>>
//   2: storage, read        cur: array<f32>        luma of frame t
//   3: storage, read        prev: array<f32>       luma of frame t−1
//   4: storage, read_write  confidence: array<f32>
//   5: storage, read_write  stats: array<atomic<u32>, 3>   (cleared by the host each frame)
//   6: uniform              Params
//   7: storage, read        coverage: array<u32>    from splat.wgsl, fixed point ×256
//   8: storage, read_write  field: array<vec4<f32>> what warp.wgsl reads, packed: (back, confidence, strain), strain =
//                                                   ½‖∂back/∂x‖ (central differences, dimensionless): how much the
//                                                   flow stretches or shears here, for its stroke ages
struct Params {
  size: vec2<u32>,
  // 0: forward–backward consistency and coverage as above. 1 (FlowSettings.occlusion 'crowding'): no forward flow;
  // `coverage` counts the pixels of t that land on each pixel of t−1 along `back` (splat.wgsl fed the backward
  // flow), and a pixel whose source is crowded (more than one pixel of t comes from there: an occluder's trailing
  // edge and the background it uncovers) is distrusted instead of the two tests; `fwd` is not read.
  crowding: u32,
}

@group(0) @binding(0) var<storage, read> back: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read> fwd: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> cur: array<f32>;
@group(0) @binding(3) var<storage, read> prev: array<f32>;
@group(0) @binding(4) var<storage, read_write> confidence: array<f32>;
@group(0) @binding(5) var<storage, read_write> stats: array<atomic<u32>, 3>;
@group(0) @binding(6) var<uniform> params: Params;
@group(0) @binding(7) var<storage, read> coverage: array<u32>;
@group(0) @binding(8) var<storage, read_write> field: array<vec4<f32>>;

// Crowding (mode 1): trust falls from 1 to 0 as the pixels of t landing at a pixel's source go from FROM to AT.
// 1.5 → 2.5 let a little more history into uncovered pixels (bench:temporal's "uncovered" figure, walking 0.060
// against 0.057 here) for a little less flicker (0.508 of off against 0.530) and less detail (1.011 against 1.019).
const CROWDED_FROM = 1.2;
const CROWDED_AT = 1.8;

var<workgroup> wg_residual: atomic<u32>;
var<workgroup> wg_inconsistent: atomic<u32>;
var<workgroup> wg_inside: atomic<u32>;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(local_invocation_index) local: u32) {
  let in_range = all(id.xy < params.size);
  if (in_range) {
    let p = vec2<i32>(id.xy);
    let i = id.y * params.size.x + id.x;
    let b = back[i];
    let src = vec2<f32>(p) + b;
    var c = 0.0;
    let bx = back[px_index(p + vec2<i32>(1, 0), params.size)] - back[px_index(p - vec2<i32>(1, 0), params.size)];
    let by = back[px_index(p + vec2<i32>(0, 1), params.size)] - back[px_index(p - vec2<i32>(0, 1), params.size)];
    let shear = 0.25 * (dot(bx, bx) + dot(by, by));
    if (in_image(src, params.size)) {
      let s = bilinear_at(src, params.size);
      var consistent = 1.0;
      var covered = 1.0;
      var failed = false;
      if (params.crowding == 0u) {
        let f = mix(mix(fwd[s.i00], fwd[s.i10], s.f.x), mix(fwd[s.i01], fwd[s.i11], s.f.x), s.f.y);
        let d = b + f;
        let tol = 0.01 * (dot(b, b) + dot(f, f)) + 0.5;
        consistent = 1.0 - smoothstep(0.5 * tol, 1.5 * tol, dot(d, d));
        covered = smoothstep(0.3, 0.8, f32(coverage[i]) / 256.0);
        failed = dot(d, d) > tol;
      } else {
        // Pixels of t landing at the source, bilinearly: about 1 where the motion is smooth; s² under a zoom of s per
        // frame (1.1 at 5 %; a 10 % zoom, 1.21, begins to be distrusted everywhere).
        let landed = mix(mix(f32(coverage[s.i00]), f32(coverage[s.i10]), s.f.x), mix(f32(coverage[s.i01]), f32(coverage[s.i11]), s.f.x), s.f.y) / 256.0;
        covered = 1.0 - smoothstep(CROWDED_FROM, CROWDED_AT, landed);
        failed = landed > CROWDED_AT;
      }

      let mtol = 0.01 * dot(b, b) + 0.04;
      let smooth_motion = 1.0 - smoothstep(mtol, 10.0 * mtol, shear);

      var residual = 0.0;
      for (var dy = -1; dy <= 1; dy++) {
        for (var dx = -1; dx <= 1; dx++) {
          let o = vec2<i32>(dx, dy);
          let w = bilinear_at(src + vec2<f32>(o), params.size);
          let warped = mix(mix(prev[w.i00], prev[w.i10], w.f.x), mix(prev[w.i01], prev[w.i11], w.f.x), w.f.y);
          residual += abs(warped - cur[px_index(p + o, params.size)]);
        }
      }
      residual /= 9.0;
      let photometric = 1.0 - smoothstep(0.03, 0.12, residual);

      c = covered * consistent * smooth_motion * photometric;
      atomicAdd(&wg_residual, u32(min(residual, 1.0) * 256.0));
      atomicAdd(&wg_inside, 1u);
      if (failed) {
        atomicAdd(&wg_inconsistent, 1u);
      }
    }
    confidence[i] = c;
    // The strain once per flow pixel here rather than per output pixel in the warp (which takes its nearest flow
    // pixel's), and the three in one value: the warp's bilinear lookup reads 4 values instead of 8 (+ 1).
    field[i] = vec4<f32>(b, c, sqrt(shear));
  }
  workgroupBarrier();
  if (local == 0u) {
    atomicAdd(&stats[0], atomicLoad(&wg_residual));
    atomicAdd(&stats[1], atomicLoad(&wg_inconsistent));
    atomicAdd(&stats[2], atomicLoad(&wg_inside));
  }
}
