// regions_cut.wgsl — one invocation, recorded before regions_map.wgsl on every frame: on frames with a flow from t−1
// (carry > 0), whether the temporal stage finds a scene cut on this very flow (its own test, flow_common.wgsl's
// scene_cut, on the sums confidence.wgsl left in `stats`: no readback); on frames without one (smoothing off) whose
// previous frame the stage saw too (luma_cut 1), the same test on the counts of the stage's own, regions_luma.wgsl
// (a share of changed cells of a tiny luma grid; flow_size and the thresholds are then its). Written to the header
// of the region stage's `faces` buffer:
//   faces[0].x = 1: a cut — regions_map.wgsl carries no mask over it (the host writes 0 there every frame);
//   faces[0].y = 1: the weak pass carried this frame (weak_carried 1) is from before a cut, and stays so until the
//                   host clears it with the next pass of the frame's own — regions_blend.wgsl looks it up nowhere;
//   faces[0].z:     frames since the last cut or the stage's reset (`fresh`), 0 on that frame; the host never
//                   writes it. regions_map.wgsl draws the faces only when they were detected since (faces_age ≤ z):
//                   the detector's boxes come a frame or more late, and over a cut they are the last shot's.
// Bindings (group 0):
//   0: storage, read        stats: array<u32, 3>        the temporal stage's cut sums for this flow (carry > 0), or
//                                                       regions_luma.wgsl's counts (luma_cut 1)
//   1: storage, read_write  faces: array<vec4<f32>>     the region stage's faces, header [0]
//   2: uniform              Params (regions_common.wgsl)

@group(0) @binding(0) var<storage, read> stats: array<u32, 3>;
@group(0) @binding(1) var<storage, read_write> faces: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> params: Params;

// Where frames since a cut stop counting (exact in f32; far older than any detection the host hands).
const SINCE_MAX = 1e6;

@compute @workgroup_size(1, 1, 1)
fn main() {
  let cut = (params.carry > 0.0 || params.luma_cut == 1u) && scene_cut(stats[0], stats[1], stats[2], params.flow_size, params.cut_residual, params.cut_inconsistent);
  if (cut) {
    faces[0].x = 1.0;
    if (params.weak_carried == 1u) {
      faces[0].y = 1.0;
    }
  }
  faces[0].z = select(min(faces[0].z + 1.0, SINCE_MAX), 0.0, cut || params.fresh == 1u);
}
