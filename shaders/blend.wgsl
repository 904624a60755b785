// blend.wgsl — warp the previous output into frame t and blend: out = mix(S_t, prev(x + back), α·confidence).
// α = 0, the first frame after a reset, or a scene cut (decided here from `stats`, on the GPU, with no
// readback) give exactly S_t.
// Bindings (group 0):
//   0: storage, read        stylised: array<f32>     S_t, float32 NHWC RGB, size
//   1: storage, read        previous: array<f32>     the previous output, same layout
//   2: storage, read        back: array<vec2<f32>>   flow t → t−1 at flow_size
//   3: storage, read        confidence: array<f32>   at flow_size
//   4: storage, read        stats: array<u32, 3>     see confidence.wgsl
//   5: storage, read_write  result: array<f32>       the output, same layout as stylised
//   6: uniform              Params
struct Params {
  size: vec2<u32>,
  flow_size: vec2<u32>,
  alpha: f32,
  // 1 on the first frame of a shot (start, seek, reset): no history to blend with.
  first: u32,
  // Scene cut when the mean residual after warping, or the share of inconsistent pixels, exceeds these.
  cut_residual: f32,
  cut_inconsistent: f32,
}

@group(0) @binding(0) var<storage, read> stylised: array<f32>;
@group(0) @binding(1) var<storage, read> previous: array<f32>;
@group(0) @binding(2) var<storage, read> back: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> confidence: array<f32>;
@group(0) @binding(4) var<storage, read> stats: array<u32, 3>;
@group(0) @binding(5) var<storage, read_write> result: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

fn rgb(buf_index: u32) -> vec3<f32> {
  return vec3<f32>(previous[buf_index * 3u], previous[buf_index * 3u + 1u], previous[buf_index * 3u + 2u]);
}

fn catmull_rom(t: f32) -> vec4<f32> {
  let t2 = t * t;
  let t3 = t2 * t;
  return vec4<f32>(-0.5 * t3 + t2 - 0.5 * t, 1.5 * t3 - 2.5 * t2 + 1.0, -1.5 * t3 + 2.0 * t2 + 0.5 * t, 0.5 * t3 - 0.5 * t2);
}

// The previous output at a sub-pixel position, bicubic (Catmull–Rom). The history is resampled every frame, so
// bilinear's blur would compound over the frames it survives; the result is clamped to its four nearest pixels
// so the sharper kernel cannot ring either.
fn previous_at(p: vec2<f32>) -> vec3<f32> {
  let c = clamp(p, vec2<f32>(0.0), vec2<f32>(params.size) - 1.0);
  let base = floor(c);
  let f = c - base;
  let wx = catmull_rom(f.x);
  let wy = catmull_rom(f.y);
  let b = vec2<i32>(base);
  var sum = vec3<f32>(0.0);
  for (var j = 0; j < 4; j++) {
    var row = vec3<f32>(0.0);
    for (var i = 0; i < 4; i++) {
      row += wx[i] * rgb(px_index(b + vec2<i32>(i - 1, j - 1), params.size));
    }
    sum += wy[j] * row;
  }
  let n00 = rgb(px_index(b, params.size));
  let n10 = rgb(px_index(b + vec2<i32>(1, 0), params.size));
  let n01 = rgb(px_index(b + vec2<i32>(0, 1), params.size));
  let n11 = rgb(px_index(b + vec2<i32>(1, 1), params.size));
  return clamp(sum, min(min(n00, n10), min(n01, n11)), max(max(n00, n10), max(n01, n11)));
}

fn is_cut() -> bool {
  let total = f32(params.flow_size.x * params.flow_size.y);
  let inside = f32(stats[2]);
  if (inside < 0.2 * total) {
    return true;
  }
  let residual = f32(stats[0]) / 256.0 / inside;
  let inconsistent = f32(stats[1]) / inside;
  return residual > params.cut_residual || inconsistent > params.cut_inconsistent;
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (any(id.xy >= params.size)) {
    return;
  }
  let i = id.y * params.size.x + id.x;
  let s = vec3<f32>(stylised[i * 3u], stylised[i * 3u + 1u], stylised[i * 3u + 2u]);
  var out = s;
  if (params.alpha > 0.0 && params.first == 0u && !is_cut()) {
    // Flow and confidence may be coarser than the output: look them up at this pixel's centre.
    let scale = vec2<f32>(params.flow_size) / vec2<f32>(params.size);
    let q = (vec2<f32>(id.xy) + 0.5) * scale - 0.5;
    let fb = bilinear_at(q, params.flow_size);
    let b = mix(mix(back[fb.i00], back[fb.i10], fb.f.x), mix(back[fb.i01], back[fb.i11], fb.f.x), fb.f.y) / scale;
    let c = mix(mix(confidence[fb.i00], confidence[fb.i10], fb.f.x), mix(confidence[fb.i01], confidence[fb.i11], fb.f.x), fb.f.y);
    let a = params.alpha * c;
    if (a > 0.0) {
      out = mix(s, previous_at(vec2<f32>(id.xy) + b), a);
    }
  }
  result[i * 3u] = out.x;
  result[i * 3u + 1u] = out.y;
  result[i * 3u + 2u] = out.z;
}
