// warp.wgsl — brings the previous output into frame t along the backward flow, per output pixel:
//   diff    = (c·(W − S_t), c), W = the previous output at x + back(x) (Lanczos-3), c = the confidence there,
//   carried = (the age of the strokes W carries, the strain of the flow at x).
// Flow and confidence may be coarser than the output: they are looked up bilinearly at the pixel's centre.
// compose.wgsl turns these into the output; blur_rows.wgsl blurs `diff` on the way.
// Bindings (group 0):
//   0: storage, read        stylised: array<f32>       S_t, float32 NHWC RGB, size
//   1: storage, read        previous: array<f32>       the previous output, same layout
//   2: storage, read        back: array<vec2<f32>>     flow t → t−1 at flow_size
//   3: storage, read        confidence: array<f32>     at flow_size
//   4: storage, read        ages: array<f32>           the previous output's stroke ages, size
//   5: storage, read_write  diff: array<vec4<f32>>     size
//   6: storage, read_write  carried: array<vec2<f32>>  size
//   7: uniform              Params
struct Params {
  size: vec2<u32>,
  flow_size: vec2<u32>,
}

@group(0) @binding(0) var<storage, read> stylised: array<f32>;
@group(0) @binding(1) var<storage, read> previous: array<f32>;
@group(0) @binding(2) var<storage, read> back: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> confidence: array<f32>;
@group(0) @binding(4) var<storage, read> ages: array<f32>;
@group(0) @binding(5) var<storage, read_write> diff: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> carried: array<vec2<f32>>;
@group(0) @binding(7) var<uniform> params: Params;

fn rgb(i: u32) -> vec3<f32> {
  return vec3<f32>(previous[i * 3u], previous[i * 3u + 1u], previous[i * 3u + 2u]);
}

// Lanczos-3 weights of the six taps at offsets −2..3 from floor(p), for the fractional part t.
fn lanczos3(t: f32) -> array<f32, 6> {
  var w: array<f32, 6>;
  var sum = 0.0;
  for (var k = 0; k < 6; k++) {
    let x = f32(k - 2) - t;
    var v = 1.0;
    if (abs(x) > 1e-4) {
      let px = PI * x;
      v = 3.0 * sin(px) * sin(px / 3.0) / (px * px);
    }
    w[k] = v;
    sum += v;
  }
  for (var k = 0; k < 6; k++) {
    w[k] /= sum;
  }
  return w;
}

const PI = 3.14159265;

// The previous output at a sub-pixel position, Lanczos-3. The history is resampled every frame that strokes
// survive (up to ~20), so the kernel's loss compounds: at a half-pixel shift Catmull–Rom keeps 88 % of a
// 4-px-period texture (11 % after 18 frames), Lanczos-3 all of it. The result is clamped to its four nearest
// pixels so the sharper kernel cannot ring either.
fn previous_at(p: vec2<f32>) -> vec3<f32> {
  let c = clamp(p, vec2<f32>(0.0), vec2<f32>(params.size) - 1.0);
  let base = floor(c);
  let f = c - base;
  let wx = lanczos3(f.x);
  let wy = lanczos3(f.y);
  let b = vec2<i32>(base);
  var sum = vec3<f32>(0.0);
  for (var j = 0; j < 6; j++) {
    var row = vec3<f32>(0.0);
    for (var i = 0; i < 6; i++) {
      row += wx[i] * rgb(px_index(b + vec2<i32>(i - 2, j - 2), params.size));
    }
    sum += wy[j] * row;
  }
  let n00 = rgb(px_index(b, params.size));
  let n10 = rgb(px_index(b + vec2<i32>(1, 0), params.size));
  let n01 = rgb(px_index(b + vec2<i32>(0, 1), params.size));
  let n11 = rgb(px_index(b + vec2<i32>(1, 1), params.size));
  return clamp(sum, min(min(n00, n10), min(n01, n11)), max(max(n00, n10), max(n01, n11)));
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (any(id.xy >= params.size)) {
    return;
  }
  let i = id.y * params.size.x + id.x;
  let s = vec3<f32>(stylised[i * 3u], stylised[i * 3u + 1u], stylised[i * 3u + 2u]);

  let scale = vec2<f32>(params.flow_size) / vec2<f32>(params.size);
  let q = (vec2<f32>(id.xy) + 0.5) * scale - 0.5;
  let fb = bilinear_at(q, params.flow_size);
  let b = mix(mix(back[fb.i00], back[fb.i10], fb.f.x), mix(back[fb.i01], back[fb.i11], fb.f.x), fb.f.y) / scale;
  let c = mix(mix(confidence[fb.i00], confidence[fb.i10], fb.f.x), mix(confidence[fb.i01], confidence[fb.i11], fb.f.x), fb.f.y);

  // Strain: central differences of the flow field around the nearest flow pixel (dimensionless, so the flow's
  // resolution does not matter).
  let k = vec2<i32>(round(clamp(q, vec2<f32>(0.0), vec2<f32>(params.flow_size) - 1.0)));
  let bx = back[px_index(k + vec2<i32>(1, 0), params.flow_size)] - back[px_index(k - vec2<i32>(1, 0), params.flow_size)];
  let by = back[px_index(k + vec2<i32>(0, 1), params.flow_size)] - back[px_index(k - vec2<i32>(0, 1), params.flow_size)];
  let strain = 0.5 * sqrt(dot(bx, bx) + dot(by, by));

  let src = vec2<f32>(id.xy) + b;
  var age = 0.0;
  var d = vec4<f32>(0.0);
  if (c > 0.0 && in_image(src, params.size)) {
    d = vec4<f32>(c * (previous_at(src) - s), c);
    age = ages[px_index(vec2<i32>(round(src)), params.size)];
  }
  diff[i] = d;
  carried[i] = vec2<f32>(age, strain);
}
