// regions_luma.wgsl — the region stage's own scene-cut test, for frames without the temporal stage's flow (smoothing
// off): there is no flow and no cut test then, and the detector's late boxes of the last shot would be drawn on the
// new one for a frame or two. One invocation per cell of a luma_cells grid over the frame (about 32×18 at 456×256:
// cells of ~14 px): the cell's mean luma (every other pixel of every other row), compared with the same cell's on the
// previous frame (kept in `cells`, written back here) when luma_cut is 1. The counts go to `stats` in the temporal
// stage's layout, so that regions_cut.wgsl decides with the same scene_cut (flow_common.wgsl):
//   stats[0] = 0 (no residual), stats[1] = cells whose mean moved by more than LUMA_CHANGE, stats[2] = cells;
// a cut when more than cut_inconsistent of them did (LUMA_CUT in src/engine/regions). A share of changed cells, not
// a mean difference: someone walking past close to a still camera changes half the picture by a lot (the mean
// difference of the walking clip, 0.12, is most of the closest cut's, 0.14), but never almost all of it.
// Bindings (group 0):
//   0: storage, read        input: array<f32>             the frame, float32 NHWC RGB at size
//   1: storage, read_write  cells: array<f32>             the previous frame's cell means, luma_cells, row by row
//   2: storage, read_write  stats: array<atomic<u32>, 3>  (cleared by the host on frames that compare)
//   3: uniform              Params (regions_common.wgsl)

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> cells: array<f32>;
@group(0) @binding(2) var<storage, read_write> stats: array<atomic<u32>, 3>;
@group(0) @binding(3) var<uniform> params: Params;

// A cell "changed" when its mean luma moved by more than this (luma 0..1; chosen with LUMA_CUT on the shared clips).
const LUMA_CHANGE = 0.03;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let grid = params.luma_cells;
  if (any(id.xy >= grid)) {
    return;
  }
  let lo = id.xy * params.size / grid;
  let hi = (id.xy + 1u) * params.size / grid;
  var sum = 0.0;
  var n = 0.0;
  for (var y = lo.y; y < hi.y; y += 2u) {
    for (var x = lo.x; x < hi.x; x += 2u) {
      let i = (y * params.size.x + x) * 3u;
      sum += dot(vec3<f32>(input[i], input[i + 1u], input[i + 2u]), vec3<f32>(0.299, 0.587, 0.114));
      n += 1.0;
    }
  }
  let mean = sum / max(n, 1.0);
  let k = id.y * grid.x + id.x;
  if (params.luma_cut == 1u) {
    atomicAdd(&stats[2], 1u);
    if (abs(mean - cells[k]) > LUMA_CHANGE) {
      atomicAdd(&stats[1], 1u);
    }
  }
  cells[k] = mean;
}
