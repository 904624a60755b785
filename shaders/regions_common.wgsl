// regions_common.wgsl — the uniforms shared by regions_map.wgsl, regions_blend.wgsl, regions_copy.wgsl,
// regions_cut.wgsl and regions_luma.wgsl (one buffer for all; the host prepends this file and flow_common.wgsl to each).
struct Params {
  size: vec2<u32>,
  weak_size: vec2<u32>,
  person_size: vec2<u32>,
  flow_size: vec2<u32>,
  rect_origin: vec2<f32>,
  rect_extent: vec2<f32>,
  face_strength: f32,
  person_strength: f32,
  background_strength: f32,
  weak: f32,
  adaptive: f32,
  carry: f32,
  face_count: u32,
  // 0: no person mask; 1: a new one in `person`; 2: none new, the last one carried along the flow.
  has_person: u32,
  // How much of the input's luma the weakened pixels take back, times (1 − s) (0: none; needs the input bound).
  structure: f32,
  // 0: the weak pass is this frame's; 1: the previous frame's, carried along the flow (regions_blend.wgsl).
  weak_carried: u32,
  // regions_blend.wgsl: the pixel its dispatch starts at (the weak pass's rect; regions_copy.wgsl did the rest).
  origin: vec2<u32>,
  // The temporal stage's scene-cut thresholds (CUT_RESIDUAL, CUT_INCONSISTENT), for regions_cut.wgsl.
  cut_residual: f32,
  cut_inconsistent: f32,
  // Frames from the one the faces were detected on to this one (the detector's boxes come late; 0: this frame's).
  faces_age: u32,
  // 1 on the stage's first frame after a reset (a known cut: a new clip, a seek), for regions_cut.wgsl.
  fresh: u32,
  // The region stage's own cut test without a flow (regions_luma.wgsl): its grid of cells, and 1 when this frame's
  // cells are compared with the previous frame's (regions_cut.wgsl then decides on regions_luma.wgsl's counts, with
  // cut_inconsistent set to LUMA_CUT), 0 when there is no such test this frame.
  luma_cells: vec2<u32>,
  luma_cut: u32,
  // The masks' and the strength map's size (regions_map.wgsl): size / map_scale, rounded up; map_scale is MAP_SCALE
  // (2), or 1 with adaptive detail. Map pixel q stands for the frame's point (q + 0.5)·map_scale − 0.5.
  map_size: vec2<u32>,
  map_scale: f32,
}
