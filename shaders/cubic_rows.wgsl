// cubic_rows.wgsl — the horizontal half of the separable cubic, shared by present_rows.wgsl and guided_rows.wgsl (the
// host prepends it, after resample.wgsl): each row of the source enlarged to the target's width with the host's taps
// (per output column: the first of four source samples and their weights), one vec4 per output pixel so that the
// draw's vertical half (cubic_draw.wgsl) reads each tap once.
// The program that includes it declares `weights` and `first` (per output column), `rows` (read_write,
// dst_size.x × src_size.y vec4s), `params` (with src_size and dst_size), and what is enlarged:
//   fn tap(x: i32, row: u32) -> vec4<f32>   source sample x (clamped to the row) of the row starting at pixel `row`.

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= params.dst_size.x || id.y >= params.src_size.y) {
    return;
  }
  let w = weights[id.x];
  let f = first[id.x];
  let row = id.y * params.src_size.x;
  rows[id.y * params.dst_size.x + id.x] = w.x * tap(f, row) + w.y * tap(f + 1, row) + w.z * tap(f + 2, row) + w.w * tap(f + 3, row);
}
