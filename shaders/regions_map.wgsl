// regions_map.wgsl — per-region style strength, per pixel of a map at map_size: the network's output size with
// adaptive detail (its fine structure), else half of it each way (map_scale 2: MAP_SCALE in src/engine/regions;
// regions_blend.wgsl looks it up bilinearly) — the masks are smooth (feathered ellipses, a person mask from a 256²
// segmenter), and on SwiftShader the map's time is its pixels'. Map pixel q stands for the frame's point
// (q + 0.5)·map_scale − 0.5 (the centre of the 2×2 pixels it covers): the faces, the person mask and the flow are
// looked up there; the flow's displacement is divided by map_scale to look the previous map up.
//   face   = the largest of the feathered face ellipses (centre, semi-axes, rotation, feather: from the host), of
//            the faces near the pixel's 8×8 workgroup (the host's culling, in `faces`),
//   person = the person mask, bilinear, with its soft fringe cut (≤ PERSON_LO → 0, ≥ PERSON_HI → 1),
//   both carried along the temporal stage's backward flow: m = mix(m_new, m_{t−1}(x + back(x)), carry·confidence),
//   values under 1/255 snapped to 0 so a carried mask dies out in a few frames instead of lingering;
//   on a frame without a new person mask (has_person 2, PERSON_EVERY in src/engine/regions) the person is the last
//   one carried: mix(m_{t−1}(x), m_{t−1}(x + back(x)), confidence) — warped where the flow is trusted;
//   s = mix(mix(background, person_strength, person), face_strength, face) × (1 − adaptive·detail(x)),
//   detail = local luma variation of the input (a 4×4 block's mean |difference| between neighbours), 0 on flat areas.
// Over a scene cut between t−1 and t (faces[0].x, from regions_cut.wgsl) nothing of the previous shot is carried:
// the masks are this frame's alone, and a carried person mask is none (there is no new one this frame). Nor are the
// previous shot's faces drawn: the detector's boxes come late (faces_age frames), and boxes detected before the last
// cut or reset (faces_age > faces[0].z, frames since it) are none until a detection of the new shot arrives — the
// face region is then the person's or the background's.
// regions_blend.wgsl then mixes the full-strength frame with the weak pass by s.
// Bindings (group 0):
//   0: storage, read        input: array<f32>           the frame, float32 NHWC RGB at size (adaptive detail; the
//                                                       map is then at size)
//   1: storage, read        person: array<f32>          person mask at person_size, 0..1
//   2: storage, read        faces: array<vec4<f32>>     [0]: the frame's state (regions_cut.wgsl); then two per face:
//                                                       (centre px, first row of M), (second row of M, 1/feather, 0);
//                                                       M = rotation by −θ, then 1/semi-axes; from [1 + 2·MAX_FACES]
//                                                       a u32 per 8×8 workgroup of the map (row by row), a bit per
//                                                       face: bit k set where face k's feathered ellipse may reach
//                                                       the tile
//   3: storage, read        back: array<vec2<f32>>      flow t → t−1 at flow_size
//   4: storage, read        confidence: array<f32>      at flow_size
//   5: storage, read        previous: array<vec2<f32>>  (face, person) of the previous frame at map_size (the host
//                                                       carries nothing over a change of map_size)
//   6: storage, read_write  masks: array<vec2<f32>>     (face, person) of this frame at map_size
//   7: storage, read_write  strength: array<f32>        s per pixel at map_size
//   8: uniform              Params (regions_common.wgsl)

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read> person: array<f32>;
@group(0) @binding(2) var<storage, read> faces: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> back: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read> confidence: array<f32>;
@group(0) @binding(5) var<storage, read> previous: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read_write> masks: array<vec2<f32>>;
@group(0) @binding(7) var<storage, read_write> strength: array<f32>;
@group(0) @binding(8) var<uniform> params: Params;

// The faces buffer, read as u32 (its floats bitcast, which is exact): after the MAX_FACES faces, a mask per 8×8
// workgroup (a bound storage buffer of its own would be the stage's ninth: over WebGPU's default limit of 8).
const MAX_FACES = 32u;
fn face_vec(i: u32) -> vec4<f32> {
  return bitcast<vec4<f32>>(faces[i]);
}
fn tile_mask(tile: u32) -> u32 {
  return faces[1u + 2u * MAX_FACES + tile / 4u][tile % 4u];
}

const PERSON_LO = 0.15;
const PERSON_HI = 0.85;
// Local luma variation (mean |neighbour difference|) at which detail starts and is full.
const DETAIL_LO = 0.015;
const DETAIL_HI = 0.08;

// max over faces of 1 − smoothstep(1 − f, 1 + f, r) = 1 − smoothstep(−1, 1, min over faces of (r − 1)/f): the loop
// keeps only that minimum, over the faces near the pixel's 8×8 workgroup (`near`, a bit per face: the host's culling,
// nearFaces in src/engine/regions). Its trip count is the same for the whole workgroup, and on SwiftShader a loop
// costs its trips where a skipped branch would cost its body anyway: a crowd's ten faces cost every pixel ten times the
// body before; most tiles are near one or two of them, or none. A face left out has r ≥ 1 + f, (r − 1)/f ≥ 1, on the
// whole tile: it cannot be the minimum unless that is ≥ 1, where the mask is 0 either way — the map is bit for bit
// the loop over every face's. CULL false (a pipeline constant, for the test) takes every face.
override CULL: bool = true;

fn face_at(p: vec2<f32>, near: u32) -> f32 {
  let n = params.face_count;
  var m = select(select(0xffffffffu >> (32u - n), 0u, n == 0u), near, CULL);
  var u = 1e9;
  while (m != 0u) {
    let k = firstTrailingBit(m);
    m &= m - 1u;
    let a = face_vec(2u * k + 1u);
    let b = face_vec(2u * k + 2u);
    let d = p - a.xy;
    // Into the ellipse's frame (rotation by −θ), normalised by the semi-axes: r = 1 on the ellipse.
    let r = length(vec2<f32>(dot(a.zw, d), dot(b.xy, d)));
    u = min(u, (r - 1.0) * b.z);
  }
  return 1.0 - smoothstep(-1.0, 1.0, u);
}

fn person_at(p: vec2<f32>) -> f32 {
  if (params.has_person != 1u) {
    return 0.0;
  }
  let scale = vec2<f32>(params.person_size) / vec2<f32>(params.size);
  let q = bilinear_at((p + 0.5) * scale - 0.5, params.person_size);
  let v = mix(mix(person[q.i00], person[q.i10], q.f.x), mix(person[q.i01], person[q.i11], q.f.x), q.f.y);
  return smoothstep(PERSON_LO, PERSON_HI, v);
}

fn luma_at(p: vec2<i32>) -> f32 {
  let i = px_index(p, params.size) * 3u;
  return dot(vec3<f32>(input[i], input[i + 1u], input[i + 2u]), vec3<f32>(0.299, 0.587, 0.114));
}

// Fine structure around p: the mean absolute difference between neighbours over the 4×4 block p − 1 … p + 2.
fn detail_at(p: vec2<i32>) -> f32 {
  var l: array<f32, 16>;
  for (var j = 0; j < 4; j++) {
    for (var i = 0; i < 4; i++) {
      l[j * 4 + i] = luma_at(p + vec2<i32>(i - 1, j - 1));
    }
  }
  var sum = 0.0;
  for (var j = 0; j < 4; j++) {
    for (var i = 0; i < 3; i++) {
      sum += abs(l[j * 4 + i + 1] - l[j * 4 + i]) + abs(l[(i + 1) * 4 + j] - l[i * 4 + j]);
    }
  }
  return smoothstep(DETAIL_LO, DETAIL_HI, sum / 24.0);
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(workgroup_id) group: vec3<u32>) {
  let ms = params.map_size;
  if (any(id.xy >= ms)) {
    return;
  }
  let i = id.y * ms.x + id.x;
  let p = vec2<f32>(id.xy);
  // The frame's point the map pixel stands for (p itself at map_scale 1: (p + 0.5)·1 − 0.5 is exact).
  let pf = (p + 0.5) * params.map_scale - 0.5;
  // The faces only when detected since the last cut (or reset).
  var face = 0.0;
  if (f32(params.faces_age) <= face_vec(0u).z) {
    face = face_at(pf, tile_mask(group.y * ((ms.x + 7u) / 8u) + group.x));
  }
  var m = vec2<f32>(face, person_at(pf));
  let cut = face_vec(0u).x > 0.0;
  // No new person mask this frame: the last one, where it was (the flow moves it below, where it is trusted); none
  // after a cut.
  let carried_person = params.has_person == 2u;
  if (carried_person) {
    m.y = select(previous[i].y, 0.0, cut);
  }

  if (params.carry > 0.0 && !cut) {
    let scale = vec2<f32>(params.flow_size) / vec2<f32>(params.size);
    let fb = bilinear_at((pf + 0.5) * scale - 0.5, params.flow_size);
    let b = mix(mix(back[fb.i00], back[fb.i10], fb.f.x), mix(back[fb.i01], back[fb.i11], fb.f.x), fb.f.y) / scale;
    let c = mix(mix(confidence[fb.i00], confidence[fb.i10], fb.f.x), mix(confidence[fb.i01], confidence[fb.i11], fb.f.x), fb.f.y);
    let src = p + b / params.map_scale;
    if (c > 0.0 && in_image(src, ms)) {
      let q = bilinear_at(src, ms);
      let w = mix(mix(previous[q.i00], previous[q.i10], q.f.x), mix(previous[q.i01], previous[q.i11], q.f.x), q.f.y);
      let carried = mix(m, w, params.carry * c);
      m = vec2<f32>(carried.x, select(carried.y, mix(m.y, w.y, c), carried_person));
    }
    m = select(m, vec2<f32>(0.0), m < vec2<f32>(1.0 / 255.0));
  }
  masks[i] = m;

  var s = mix(mix(params.background_strength, params.person_strength, m.y), params.face_strength, m.x);
  if (params.adaptive > 0.0) {
    s *= 1.0 - params.adaptive * detail_at(vec2<i32>(id.xy));
  }
  strength[i] = s;

}
