// guided.wgsl — draws the stylised frame at the target's size guided by the full-resolution input frame, so that
// the input's edges stay sharp however far the network's output is enlarged. Per output pixel:
//   p↑  the stylised colour and I↓↑ the network input's luma, both enlarged by the separable cubic (the vertical
//       half here, over guided_rows.wgsl's rows);
//   a↑, b↑  the guided filter's linear model (guided_coeffs.wgsl), enlarged bilinearly;
//   I   the input frame's luma at full resolution, read from the decoded frame itself (the external texture the
//       import made for the network: no second copy of the frame).
// mode 0, "detail": out = p↑ + a↑·(I − I↓↑): the cubic enlargement plus the input's fine detail (what the network's
//   input lacked), scaled by how strongly the stylised picture follows the input there (a). The stylised picture is
//   kept as it is at its own resolution; where the style ignores the input (a ≈ 0) nothing is added.
// mode 1, "filter": out = a↑·I + b↑: the fast guided filter of He et al. as published: edge-aware, but it smooths
//   away strokes the input does not explain.
// The host prepends cubic_draw.wgsl (bindings 0–2, the vertex stage, the vertical half).
// Bindings (group 0):
//   0–2: cubic_draw.wgsl's (rows: dst_size.x × src_size.y (rgb, guide luma), weights, first)
//   3: storage, read   coeffs: array<vec4<f32>>   the a plane, then the b plane (guided_coeffs.wgsl)
//   4: texture_external guide                     the input frame
//   5: sampler          samp                      linear, clamp-to-edge
//   6: uniform          Params
struct Params {
  src_size: vec2<u32>,
  dst_size: vec2<u32>,
  mode: u32,
  _pad: u32,
}

@group(0) @binding(3) var<storage, read> coeffs: array<vec4<f32>>;
@group(0) @binding(4) var guide: texture_external;
@group(0) @binding(5) var samp: sampler;
@group(0) @binding(6) var<uniform> params: Params;

/** Plane `plane` of the model (0: a, 1: b) bilinearly at `s` (source pixel coordinates, centres at integers). */
fn model(plane: u32, s: vec2<f32>) -> vec3<f32> {
  let s0 = floor(s);
  let t = s - s0;
  let p = vec2<i32>(s0);
  let base = plane * params.src_size.x * params.src_size.y;
  let x0 = clamp_tap(p.x, params.src_size.x);
  let x1 = clamp_tap(p.x + 1, params.src_size.x);
  let r0 = base + clamp_tap(p.y, params.src_size.y) * params.src_size.x;
  let r1 = base + clamp_tap(p.y + 1, params.src_size.y) * params.src_size.x;
  return mix(mix(coeffs[r0 + x0].xyz, coeffs[r0 + x1].xyz, t.x), mix(coeffs[r1 + x0].xyz, coeffs[r1 + x1].xyz, t.x), t.y);
}

@fragment
fn fs(@builtin(position) frag: vec4<f32>) -> @location(0) vec4<f32> {
  let px = target_px(frag);
  let up = cubic_at(px);
  // The model, bilinearly at this pixel's centre in source coordinates.
  let s = (vec2<f32>(px) + 0.5) * vec2<f32>(params.src_size) / vec2<f32>(params.dst_size) - 0.5;
  let a = model(0u, s);
  let uv = (vec2<f32>(px) + 0.5) / vec2<f32>(params.dst_size);
  let i = luma(textureSampleBaseClampToEdge(guide, samp, uv).rgb);
  var out: vec3<f32>;
  if (params.mode == 0u) {
    out = up.xyz + a * (i - up.w);
  } else {
    out = a * i + model(1u, s);
  }
  return vec4<f32>(clamp(out, vec3<f32>(0.0), vec3<f32>(1.0)), 1.0);
}
