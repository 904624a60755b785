// Middlebury .flo: float32 magic 202021.25, int32 width, int32 height, then (u, v) float32 per pixel, row-major,
// all little-endian. Pure code: used by the browser page that writes it and by Node tools that read it.
export const FLO_MAGIC = 202021.25;

export function encodeFlo(width: number, height: number, flow: Float32Array): ArrayBuffer {
  if (flow.length !== width * height * 2) throw new RangeError(`flow has ${flow.length} values, expected ${width * height * 2}`);
  const out = new ArrayBuffer(12 + flow.byteLength);
  const view = new DataView(out);
  view.setFloat32(0, FLO_MAGIC, true);
  view.setInt32(4, width, true);
  view.setInt32(8, height, true);
  for (let i = 0; i < flow.length; i++) view.setFloat32(12 + i * 4, flow[i], true);
  return out;
}

export function decodeFlo(bytes: ArrayBuffer | Uint8Array): { width: number; height: number; flow: Float32Array } {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  if (u8.byteLength < 12 || view.getFloat32(0, true) !== FLO_MAGIC) throw new RangeError('not a Middlebury .flo file (bad magic number)');
  const width = view.getInt32(4, true);
  const height = view.getInt32(8, true);
  if (width < 1 || height < 1 || u8.byteLength !== 12 + width * height * 8) throw new RangeError(`.flo size does not match its ${width}×${height} header`);
  const flow = new Float32Array(width * height * 2);
  for (let i = 0; i < flow.length; i++) flow[i] = view.getFloat32(12 + i * 4, true);
  return { width, height, flow };
}
