// present.wgsl — draws the network's output onto a render target of any size (the canvas at the input's display
// size): the vertical half of a separable cubic enlargement (the host's taps, see resample.wgsl), over the rows that
// present_rows.wgsl has already enlarged to the target's width. The host prepends cubic_draw.wgsl (bindings 0–2, the
// vertex stage, the vertical half).
// Bindings (group 0):
//   0–2: cubic_draw.wgsl's (rows, weights, first)
//   3: uniform         Params
struct Params {
  src_size: vec2<u32>,
  dst_size: vec2<u32>,
}

@group(0) @binding(3) var<uniform> params: Params;

@fragment
fn fs(@builtin(position) frag: vec4<f32>) -> @location(0) vec4<f32> {
  return vec4<f32>(clamp(cubic_at(target_px(frag)).xyz, vec3<f32>(0.0), vec3<f32>(1.0)), 1.0);
}
