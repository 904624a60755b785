// import_frame.wgsl — a video frame (external texture) → float32 NHWC RGB in [0,1], resized (bilinear) and
// cropped to the network's input size. Output is indexed as array<f32> (vec3 would have a 16-byte stride).
// Bindings (group 0):
//   0: texture_external      the decoded VideoFrame, imported with importExternalTexture
//   1: sampler               linear, clamp-to-edge
//   2: storage, read_write   dst: array<f32>, dst_w*dst_h*3 values, row-major, RGB interleaved
//   3: uniform               Params
struct Params {
  dst_size: vec2<u32>,
  _pad: vec2<u32>,
  // Source rectangle in normalised texture coordinates (origin, size): a centre crop or the whole frame.
  src_origin: vec2<f32>,
  src_extent: vec2<f32>,
}

@group(0) @binding(0) var src: texture_external;
@group(0) @binding(1) var samp: sampler;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= params.dst_size.x || id.y >= params.dst_size.y) {
    return;
  }
  let uv = params.src_origin + (vec2<f32>(id.xy) + 0.5) / vec2<f32>(params.dst_size) * params.src_extent;
  let rgb = clamp(textureSampleBaseClampToEdge(src, samp, uv).rgb, vec3<f32>(0.0), vec3<f32>(1.0));
  let i = (id.y * params.dst_size.x + id.x) * 3u;
  dst[i] = rgb.r;
  dst[i + 1u] = rgb.g;
  dst[i + 2u] = rgb.b;
}
