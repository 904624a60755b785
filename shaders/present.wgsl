// present.wgsl — draws the network's output onto a render target of any size (the canvas at the input's display
// size): the vertical half of a separable cubic enlargement (the host's taps, see resample.wgsl), over the rows that
// present_rows.wgsl has already enlarged to the target's width.
// Bindings (group 0):
//   0: storage, read   rows: array<vec4<f32>>      dst_size.x × src_size.y
//   1: storage, read   weights: array<vec4<f32>>   per output row
//   2: storage, read   first: array<i32>           per output row
//   3: uniform         Params
struct Params {
  src_size: vec2<u32>,
  dst_size: vec2<u32>,
}

@group(0) @binding(0) var<storage, read> rows: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> first: array<i32>;
@group(0) @binding(3) var<uniform> params: Params;

struct VertexOut {
  @builtin(position) position: vec4<f32>,
}

// One triangle that covers the whole target.
@vertex
fn vs(@builtin(vertex_index) i: u32) -> VertexOut {
  let xy = vec2<f32>(f32((i << 1u) & 2u), f32(i & 2u));
  var out: VertexOut;
  out.position = vec4<f32>(xy * 2.0 - 1.0, 0.0, 1.0);
  return out;
}

fn row(y: i32, x: u32) -> vec3<f32> {
  return rows[clamp_tap(y, params.src_size.y) * params.dst_size.x + x].xyz;
}

@fragment
fn fs(@builtin(position) frag: vec4<f32>) -> @location(0) vec4<f32> {
  let x = min(u32(frag.x), params.dst_size.x - 1u);
  let y = min(u32(frag.y), params.dst_size.y - 1u);
  let w = weights[y];
  let f = first[y];
  let sum = w.x * row(f, x) + w.y * row(f + 1, x) + w.z * row(f + 2, x) + w.w * row(f + 3, x);
  return vec4<f32>(clamp(sum, vec3<f32>(0.0), vec3<f32>(1.0)), 1.0);
}
