// cubic_draw.wgsl — the draw half of the separable cubic, shared by present.wgsl and guided.wgsl (the host prepends
// it, after resample.wgsl): bindings 0–2 (the rows the compute half enlarged, cubic_rows.wgsl, and the taps per output
// row), the vertex stage (one triangle over the whole target) and the vertical enlargement at a target pixel.
// The program that includes it declares `params` (with src_size and dst_size) at a binding of its own.
//   0: storage, read   rows: array<vec4<f32>>      dst_size.x × src_size.y
//   1: storage, read   weights: array<vec4<f32>>   per output row
//   2: storage, read   first: array<i32>           per output row

@group(0) @binding(0) var<storage, read> rows: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> first: array<i32>;

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

// The target pixel a fragment is drawn for.
fn target_px(frag: vec4<f32>) -> vec2<u32> {
  return vec2<u32>(min(u32(frag.x), params.dst_size.x - 1u), min(u32(frag.y), params.dst_size.y - 1u));
}

fn row(y: i32, x: u32) -> vec4<f32> {
  return rows[clamp_tap(y, params.src_size.y) * params.dst_size.x + x];
}

// The rows enlarged vertically at target pixel `px`: the cubic enlargement (and what the rows carry fourth).
fn cubic_at(px: vec2<u32>) -> vec4<f32> {
  let w = weights[px.y];
  let f = first[px.y];
  return w.x * row(f, px.x) + w.y * row(f + 1, px.x) + w.z * row(f + 2, px.x) + w.w * row(f + 3, px.x);
}
