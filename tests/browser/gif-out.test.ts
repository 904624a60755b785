// stylizeFile(…, { format: 'gif' }) in real Chromium: an animated GIF in memory (the CLI streams it instead, see
// tests/e2e/cli-gif.test.ts), read back by Chromium's own ImageDecoder: every frame with its own duration, looping
// forever, stylised. A format other than mp4/gif, or a gifFps outside 1..50, is INVALID_ARGUMENT.
import { GIFEncoder, quantize, applyPalette } from 'gifenc';
import { expect, it } from 'vitest';
import { createStylizer } from '../../src/engine/index.ts';
import { GifSink } from '../../src/engine/sinks/gif.ts';

const [W, H] = [32, 24];
const DELAYS_CS = [10, 20, 5, 30];
const COLOURS = [
  [230, 60, 40],
  [40, 120, 220],
  [250, 210, 60],
  [30, 160, 90],
];

/** A GIF of DELAYS_CS.length frames, each half one colour and half the next, shown for its delay; looping. */
function inputGif(): Blob {
  const gif = GIFEncoder();
  DELAYS_CS.forEach((delay, f) => {
    const rgba = new Uint8Array(W * H * 4);
    for (let i = 0; i < W * H; i++) {
      const c = COLOURS[(f + (i % W < W / 2 ? 0 : 1)) % COLOURS.length];
      rgba.set([...c, 255], i * 4);
    }
    const palette = quantize(rgba, 16);
    gif.writeFrame(applyPalette(rgba, palette), W, H, { palette, delay: delay * 10, repeat: 0 });
  });
  gif.finish();
  return new Blob([gif.bytesView().slice()], { type: 'image/gif' });
}

it('an animated GIF out: every frame for its own duration, looping forever, stylised', { timeout: 300_000 }, async () => {
  const stylizer = await createStylizer({ backend: 'wasm', size: 32, temporal: 0 });
  try {
    const r = await stylizer.stylizeFile(inputGif(), { format: 'gif' });
    expect([r.frames, r.width, r.height, r.codec, r.hasAudio, r.blob.type]).toEqual([4, W, H, 'gif', false, 'image/gif']);
    const bytes = new Uint8Array(await r.blob.arrayBuffer());
    expect(String.fromCharCode(...bytes.subarray(0, 6))).toBe('GIF89a');
    expect(bytes.at(-1)).toBe(0x3b);

    const decoder = new ImageDecoder({ data: bytes, type: 'image/gif' });
    await decoder.tracks.ready;
    await decoder.completed;
    const track = decoder.tracks.selectedTrack!;
    expect(track.frameCount).toBe(4);
    expect(track.repetitionCount).toBe(Infinity);
    const canvas = new OffscreenCanvas(W, H);
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    for (let i = 0; i < 4; i++) {
      const { image } = await decoder.decode({ frameIndex: i });
      expect(image.duration).toBe(DELAYS_CS[i] * 10_000);
      ctx.drawImage(image, 0, 0);
      image.close();
      // Stylised: not the two flat colours of the input (many colours, none of them dominant).
      const px = ctx.getImageData(0, 0, W, H).data;
      const seen = new Map<number, number>();
      for (let p = 0; p < px.length; p += 4) seen.set((px[p] << 16) | (px[p + 1] << 8) | px[p + 2], (seen.get((px[p] << 16) | (px[p + 1] << 8) | px[p + 2]) ?? 0) + 1);
      expect(seen.size).toBeGreaterThan(16);
      expect(Math.max(...seen.values())).toBeLessThan((W * H) / 4);
    }
    decoder.close();

    // Neither an image nor a video: unreadable, as for an MP4; another format, or a frame rate a GIF cannot show: refused.
    const notAnImage = new Blob([new TextEncoder().encode('not an image at all'.repeat(20))]);
    await expect(stylizer.stylizeFile(notAnImage, { format: 'gif' })).rejects.toMatchObject({ code: 'UNREADABLE_INPUT' });
    await expect(stylizer.stylizeFile(inputGif(), { format: 'webm' as 'gif' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(stylizer.stylizeFile(inputGif(), { format: 'gif', gifFps: 60 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/gifFps must be .* from 1 to 50/) });
  } finally {
    stylizer.dispose();
  }
});

/** A GIF's frames as RGBA bytes, read back by Chromium's own decoder. */
async function decodeGif(bytes: Uint8Array, width: number, height: number): Promise<Uint8ClampedArray[]> {
  const decoder = new ImageDecoder({ data: bytes, type: 'image/gif' });
  await decoder.tracks.ready;
  await decoder.completed;
  const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true })!;
  const out: Uint8ClampedArray[] = [];
  for (let i = 0; i < decoder.tracks.selectedTrack!.frameCount; i++) {
    const { image } = await decoder.decode({ frameIndex: i });
    ctx.clearRect(0, 0, width, height);
    ctx.drawImage(image, 0, 0);
    image.close();
    out.push(ctx.getImageData(0, 0, width, height).data);
  }
  decoder.close();
  return out;
}

it('the sink takes RGBX frames (the CPU path\'s) by one copy of their bytes, a BGRX one through a canvas, both in the right colours', async () => {
  // 16 colours, each in a bin of its own at 4 bits a channel (multiples of 17), so the palette keeps them exactly.
  const colour = (i: number) => [(i * 3 * 17) % 256, ((15 - i) * 17) % 256, ((i * 7) % 16) * 17];
  const rgbx = new Uint8Array(W * H * 4);
  const bgrx = new Uint8Array(W * H * 4);
  for (let p = 0; p < W * H; p++) {
    const [r, g, b] = colour(p % 16);
    rgbx.set([r, g, b, 0], p * 4); // X: whatever is there (0 here), never read on the bytes path
    bgrx.set([b, g, r, 255], p * 4); // (Chromium's canvas draws a BGRX frame whose X is 0 as transparent black)
  }
  // As FrameStylizer.takeFrame makes them: RGBX bytes at the output size.
  const a = new VideoFrame(rgbx, { format: 'RGBX', codedWidth: W, codedHeight: H, timestamp: 0, duration: 100_000 });
  const b = new VideoFrame(bgrx, { format: 'BGRX', codedWidth: W, codedHeight: H, timestamp: 100_000, duration: 100_000 });
  const sink = new GifSink(W, H);
  try {
    await sink.add(a, 0, 100_000);
    expect(sink.reads).toEqual({ bytes: 1, canvas: 0 });
    await sink.add(b, 100_000, 100_000);
    expect(sink.reads).toEqual({ bytes: 1, canvas: 1 });
  } finally {
    a.close();
    b.close();
  }
  const gif = new Uint8Array((await sink.finalize())!);
  const [fa, fb] = await decodeGif(gif, W, H);
  for (const f of [fa, fb]) {
    for (let p = 0; p < W * H; p++) expect([f[p * 4], f[p * 4 + 1], f[p * 4 + 2]]).toEqual(colour(p % 16));
  }
});
