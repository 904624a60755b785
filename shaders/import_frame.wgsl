// import_frame.wgsl — a video frame (external texture) → float32 NHWC RGB in [0,1], resized and cropped to the
// destination size. Shrinking averages an n×n grid of bilinear taps over each destination pixel's footprint
// (n = the shrink factor, at most 6), so a 960-px frame brought down to a 96-px flow input does not alias: a
// single tap per pixel would make fine texture shimmer from frame to frame, which the flow reads as motion and
// the network as new strokes. Output is indexed as array<f32> (vec3 would have a 16-byte stride).
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

const MAX_TAPS = 6.0;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= params.dst_size.x || id.y >= params.dst_size.y) {
    return;
  }
  // One destination pixel, in texture coordinates, and how many source pixels it spans.
  let step = params.src_extent / vec2<f32>(params.dst_size);
  let footprint = step * vec2<f32>(textureDimensions(src));
  let n = vec2<u32>(clamp(ceil(footprint - 0.01), vec2<f32>(1.0), vec2<f32>(MAX_TAPS)));
  let uv = params.src_origin + (vec2<f32>(id.xy) + 0.5) * step;
  var sum = vec3<f32>(0.0);
  for (var j = 0u; j < n.y; j++) {
    for (var i = 0u; i < n.x; i++) {
      let offset = (vec2<f32>(f32(i), f32(j)) + 0.5) / vec2<f32>(n) - 0.5;
      sum += textureSampleBaseClampToEdge(src, samp, uv + offset * step).rgb;
    }
  }
  let rgb = clamp(sum / f32(n.x * n.y), vec3<f32>(0.0), vec3<f32>(1.0));
  let i = (id.y * params.dst_size.x + id.x) * 3u;
  dst[i] = rgb.r;
  dst[i + 1u] = rgb.g;
  dst[i + 2u] = rgb.b;
}
