// regions_blend.wgsl — the full-strength frame mixed with the weak pass (the network with the vector at strength
// `weak`, over the frame rectangle `rect`, looked up bilinearly) by the strength map of regions_map.wgsl:
//   out = mix(weak, full, (s − weak) / (1 − weak)),
// and where s < 1 the input's luma structure is taken back in part: out += structure·(1 − s)·(Y_in − Y_out) on every
// channel (tones and shading of the face from the camera, colours and strokes from the network — not a cross-fade).
// s is regions_map.wgsl's map looked up bilinearly at the pixel: a map at half the size each way (map_scale 2), whose
// pixel q stands for the frame's point 2q + 0.5, so the pixel's four map pixels and their weights (¼, ¾) come from
// integer arithmetic; with adaptive detail the map is at size, and the host compiles the lookup into a plain read
// (`strength_at(px)` → `strength[i]`). The lookup weighs 1 − s, so that where the four map pixels are exactly 1 the
// sum is of zeros, and s exactly 1.
// Where s = 1 (the map 1 all around: outside every mask, dilated by a map pixel, adaptive detail off) or outside
// `rect`, the output is the full-strength frame itself, bit for bit.
// The host may dispatch it over the weak pass's rect alone (from `origin`) after regions_copy.wgsl copied the full
// frame to `result`: the same output, and on SwiftShader the weak lookup's code no longer costs every pixel.
// A frame without a weak pass of its own (weak_carried 1, WEAK_EVERY in src/engine/regions) takes the previous frame's
// carried along the temporal stage's backward flow: pixel p looks the weak pass up at p + back(p) (where the flow has
// any confidence; elsewhere at p), in the previous frame's rect. The host compiles that lookup out of the program for
// frames with a pass of their own (`weak_source(p)` → `p`): on SwiftShader untaken code still costs every invocation.
// A carried pass from before a scene cut (faces[0].y, set by regions_cut.wgsl) belongs to the previous shot: it is
// looked up nowhere, and the pixel is the full-strength frame (unprotected) until the next pass of the frame's own.
// Bindings (group 0):
//   0: storage, read        full: array<f32>            float32 NHWC RGB at size (the network's output)
//   1: storage, read        weak: array<f32>            float32 NHWC RGB at weak_size, covering rect
//   2: storage, read        strength: array<f32>        s per pixel at map_size
//   3: storage, read        input: array<f32>           the frame, float32 NHWC RGB at size
//   4: storage, read_write  result: array<f32>          float32 NHWC RGB at size
//   5: storage, read        back: array<vec2<f32>>      flow t → t−1 at flow_size (weak_carried 1)
//   6: storage, read        confidence: array<f32>      at flow_size
//   7: uniform              Params (regions_common.wgsl)
//   8: storage, read        faces: array<vec4<f32>>     regions_map.wgsl's; only [0], the frame's state, is read

@group(0) @binding(0) var<storage, read> full: array<f32>;
@group(0) @binding(1) var<storage, read> weak: array<f32>;
@group(0) @binding(2) var<storage, read> strength: array<f32>;
@group(0) @binding(3) var<storage, read> input: array<f32>;
@group(0) @binding(4) var<storage, read_write> result: array<f32>;
@group(0) @binding(5) var<storage, read> back: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read> confidence: array<f32>;
@group(0) @binding(7) var<uniform> params: Params;
@group(0) @binding(8) var<storage, read> faces: array<vec4<f32>>;

// Where the weak pass is looked up for pixel p: p itself, or (a carried pass) where p was in the previous frame.
fn weak_source(p: vec2<f32>) -> vec2<f32> {
  if (params.weak_carried == 0u) {
    return p;
  }
  if (faces[0].y > 0.0) {
    return vec2<f32>(-1e9); // outside every rect: the full-strength frame
  }
  let scale = vec2<f32>(params.flow_size) / vec2<f32>(params.size);
  let fb = bilinear_at((p + 0.5) * scale - 0.5, params.flow_size);
  let b = mix(mix(back[fb.i00], back[fb.i10], fb.f.x), mix(back[fb.i01], back[fb.i11], fb.f.x), fb.f.y) / scale;
  let c = mix(mix(confidence[fb.i00], confidence[fb.i10], fb.f.x), mix(confidence[fb.i01], confidence[fb.i11], fb.f.x), fb.f.y);
  return select(p, p + b, c > 0.0);
}

fn weak_at(p: vec2<f32>) -> vec3<f32> {
  let u = ((p + 0.5) / vec2<f32>(params.size) - params.rect_origin) / params.rect_extent;
  let q = bilinear_at(u * vec2<f32>(params.weak_size) - 0.5, params.weak_size);
  let c00 = vec3<f32>(weak[q.i00 * 3u], weak[q.i00 * 3u + 1u], weak[q.i00 * 3u + 2u]);
  let c10 = vec3<f32>(weak[q.i10 * 3u], weak[q.i10 * 3u + 1u], weak[q.i10 * 3u + 2u]);
  let c01 = vec3<f32>(weak[q.i01 * 3u], weak[q.i01 * 3u + 1u], weak[q.i01 * 3u + 2u]);
  let c11 = vec3<f32>(weak[q.i11 * 3u], weak[q.i11 * 3u + 1u], weak[q.i11 * 3u + 2u]);
  return mix(mix(c00, c10, q.f.x), mix(c01, c11, q.f.x), q.f.y);
}

// The strength map (map_scale 2) at pixel px: frame pixel 2m lies ¼ of the way from map pixel m − 1 to m, 2m + 1 ¼ of
// the way from m to m + 1 (clamped at the borders, as bilinear_at does), by weights of 1 − s (see above).
fn strength_at(px: vec2<u32>) -> f32 {
  let ms = params.map_size;
  let lo = (max(px, vec2<u32>(1u)) - 1u) / 2u;
  let hi = min((px + 1u) / 2u, ms - 1u);
  let f = select(vec2<f32>(0.25), vec2<f32>(0.75), (px & vec2<u32>(1u)) == vec2<u32>(0u));
  let u0 = mix(1.0 - strength[lo.y * ms.x + lo.x], 1.0 - strength[lo.y * ms.x + hi.x], f.x);
  let u1 = mix(1.0 - strength[hi.y * ms.x + lo.x], 1.0 - strength[hi.y * ms.x + hi.x], f.x);
  return 1.0 - mix(u0, u1, f.y);
}

override SKIP: bool = true;

fn in_rect(p: vec2<f32>) -> bool {
  let u = (p + 0.5) / vec2<f32>(params.size);
  return all(u >= params.rect_origin) && all(u <= params.rect_origin + params.rect_extent);
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let px = id.xy + params.origin;
  if (any(px >= params.size)) {
    return;
  }
  let i = px.y * params.size.x + px.x;
  let p = vec2<f32>(px);
  let s = strength_at(px);
  let f = vec3<f32>(full[i * 3u], full[i * 3u + 1u], full[i * 3u + 2u]);
  var o = f;
  // The weak pass only where s < 1, as a loop of one trip there and none elsewhere: on SwiftShader a branch's body
  // costs every invocation, a loop only its trips (SIMD lanes together: where a few neighbouring pixels are all at
  // s = 1 it is skipped). SKIP false (a pipeline constant, for bench:regions-passes' A/B) makes it one trip everywhere.
  let trips = select(0u, 1u, (s < 1.0 && params.weak < 1.0) || !SKIP);
  for (var k = 0u; k < trips; k++) {
    let q = weak_source(p);
    if (s < 1.0 && params.weak < 1.0 && in_rect(q)) {
      let t = clamp((s - params.weak) / (1.0 - params.weak), 0.0, 1.0);
      o = mix(weak_at(q), f, t);
      if (params.structure > 0.0) {
        let luma = vec3<f32>(0.299, 0.587, 0.114);
        let y_in = dot(vec3<f32>(input[i * 3u], input[i * 3u + 1u], input[i * 3u + 2u]), luma);
        o = clamp(o + params.structure * (1.0 - s) * (y_in - dot(o, luma)), vec3<f32>(0.0), vec3<f32>(1.0));
      }
    }
  }
  result[i * 3u] = o.x;
  result[i * 3u + 1u] = o.y;
  result[i * 3u + 2u] = o.z;
}
