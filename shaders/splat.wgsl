// splat.wgsl — coverage of frame t by frame t−1: every pixel of t−1 is pushed along the forward flow and
// deposits its bilinear weights on the pixels of t around where it lands. Pixels of t that nothing lands on
// were hidden in t−1 (disocclusions: what a moving object uncovers), whatever the backward flow claims.
// Fed the backward flow instead (FlowSettings.occlusion 'crowding': no forward flow), it pushes every pixel of t to
// where it was in t−1 and counts how many land on each pixel of t−1 (confidence.wgsl's crowding test).
// Weights are fixed point (×256) so they can be summed with atomics.
// Bindings (group 0):
//   0: storage, read        fwd: array<vec2<f32>>           flow t−1 → t (crowding: the backward flow t → t−1)
//   1: storage, read_write  coverage: array<atomic<u32>>    per pixel of t (crowding: of t−1; cleared each frame)
//   2: uniform              Params
struct Params {
  size: vec2<u32>,
}

@group(0) @binding(0) var<storage, read> fwd: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> coverage: array<atomic<u32>>;
@group(0) @binding(2) var<uniform> params: Params;

fn deposit(p: vec2<i32>, weight: f32) {
  if (all(p >= vec2<i32>(0)) && all(p < vec2<i32>(params.size)) && weight > 0.0) {
    atomicAdd(&coverage[u32(p.y) * params.size.x + u32(p.x)], u32(weight * 256.0 + 0.5));
  }
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (any(id.xy >= params.size)) {
    return;
  }
  let lands = vec2<f32>(id.xy) + fwd[id.y * params.size.x + id.x];
  let base = floor(lands);
  let f = lands - base;
  let b = vec2<i32>(base);
  deposit(b, (1.0 - f.x) * (1.0 - f.y));
  deposit(b + vec2<i32>(1, 0), f.x * (1.0 - f.y));
  deposit(b + vec2<i32>(0, 1), (1.0 - f.x) * f.y);
  deposit(b + vec2<i32>(1, 1), f.x * f.y);
}
