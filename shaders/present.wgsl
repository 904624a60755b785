// present.wgsl — draws the network's output (float32 NHWC RGB in a storage buffer) onto a render target of any
// size (the canvas at the input's display size), with bilinear interpolation between output pixels.
// Bindings (group 0):
//   0: storage, read   src: array<f32>, src_w*src_h*3 values, row-major, RGB interleaved
//   1: uniform         Params
struct Params {
  src_size: vec2<u32>,
  dst_size: vec2<u32>,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;

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

fn texel(p: vec2<i32>) -> vec3<f32> {
  let q = clamp(p, vec2<i32>(0), vec2<i32>(params.src_size) - 1);
  let i = (u32(q.y) * params.src_size.x + u32(q.x)) * 3u;
  return vec3<f32>(src[i], src[i + 1u], src[i + 2u]);
}

@fragment
fn fs(@builtin(position) frag: vec4<f32>) -> @location(0) vec4<f32> {
  // Centre of this target pixel, mapped into source pixel space (pixel centres at +0.5).
  let p = frag.xy / vec2<f32>(params.dst_size) * vec2<f32>(params.src_size) - 0.5;
  let p0 = floor(p);
  let f = p - p0;
  let b = vec2<i32>(p0);
  let top = mix(texel(b), texel(b + vec2<i32>(1, 0)), f.x);
  let bottom = mix(texel(b + vec2<i32>(0, 1)), texel(b + vec2<i32>(1, 1)), f.x);
  return vec4<f32>(mix(top, bottom, f.y), 1.0);
}
