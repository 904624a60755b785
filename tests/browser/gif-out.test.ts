// stylizeFile(…, { format: 'gif' }) in real Chromium: an animated GIF in memory (the CLI streams it instead, see
// tests/e2e/cli-gif.test.ts), read back by Chromium's own ImageDecoder: every frame with its own duration, looping
// forever, stylised; at most 480 px on the long side by default (`gifSize`), never enlarged; an image's frames capped
// by `gifFps` as a video's, frames of 10 ms or less shown 100 ms as browsers show them. A format other than mp4/gif,
// a gifFps outside 1..50 or a gifSize outside 16..4096, is INVALID_ARGUMENT.
import { GIFEncoder, quantize, applyPalette } from 'gifenc';
import { expect, it } from 'vitest';
import { createStylizer } from '../../src/engine/index.ts';
import { GifSink, MIN_DELAY_CS } from '../../src/engine/sinks/gif.ts';

const [W, H] = [32, 24];
const DELAYS_CS = [10, 20, 5, 30];
const COLOURS = [
  [230, 60, 40],
  [40, 120, 220],
  [250, 210, 60],
  [30, 160, 90],
];

/** A GIF of `delays.length` frames (w×h), each half one colour and half the next, shown for its delay; looping. */
function inputGif(delays = DELAYS_CS, w = W, h = H): Blob {
  const gif = GIFEncoder();
  delays.forEach((delay, f) => {
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) {
      const c = COLOURS[(f + (i % w < w / 2 ? 0 : 1)) % COLOURS.length];
      rgba.set([...c, 255], i * 4);
    }
    const palette = quantize(rgba, 16);
    gif.writeFrame(applyPalette(rgba, palette), w, h, { palette, delay: delay * 10, repeat: 0 });
  });
  gif.finish();
  return new Blob([gif.bytesView().slice()], { type: 'image/gif' });
}

/** A GIF's size and its frames' durations (µs), read back by Chromium's own decoder. */
async function gifFacts(blob: Blob): Promise<{ width: number; height: number; durations: number[] }> {
  const decoder = new ImageDecoder({ data: await blob.arrayBuffer(), type: 'image/gif' });
  try {
    await decoder.tracks.ready;
    await decoder.completed;
    const durations: number[] = [];
    let size = [0, 0];
    for (let i = 0; i < decoder.tracks.selectedTrack!.frameCount; i++) {
      const { image } = await decoder.decode({ frameIndex: i });
      durations.push(image.duration!);
      size = [image.displayWidth, image.displayHeight];
      image.close();
    }
    return { width: size[0], height: size[1], durations };
  } finally {
    decoder.close();
  }
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
    for (const gifSize of [15, 4097, 100.5, '200' as unknown as number]) {
      await expect(stylizer.stylizeFile(inputGif(), { format: 'gif', gifSize })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^gifSize must be a whole number of pixels from 16 to 4096/) });
    }
  } finally {
    stylizer.dispose();
  }
});

it('gifSize: a 512×288 image gives a 480×270 GIF by default, 100×56 at gifSize 100; a 32×24 one is never enlarged', { timeout: 300_000 }, async () => {
  const stylizer = await createStylizer({ backend: 'wasm', size: 32, temporal: 0 });
  try {
    const big = inputGif([10, 20], 512, 288);
    const r = await stylizer.stylizeFile(big, { format: 'gif' });
    expect([r.frames, r.width, r.height]).toEqual([2, 480, 270]);
    expect(r.gif).toMatchObject({ source: 'image', sourceWidth: 512, sourceHeight: 288, sourceFrames: 2 });
    expect(await gifFacts(r.blob)).toEqual({ width: 480, height: 270, durations: [100_000, 200_000] });
    const small = await stylizer.stylizeFile(big, { format: 'gif', gifSize: 100 });
    expect([small.width, small.height]).toEqual([100, 56]); // 56.25
    expect(await gifFacts(small.blob)).toMatchObject({ width: 100, height: 56 });
    const tiny = await stylizer.stylizeFile(inputGif(), { format: 'gif', gifSize: 4096 });
    expect([tiny.width, tiny.height]).toEqual([W, H]);
    // An MP4 keeps the image's own size whatever gifSize says.
    const mp4 = await stylizer.stylizeFile(big, { gifSize: 100 });
    expect([mp4.codec === 'gif', mp4.width, mp4.height]).toEqual([false, 512, 288]);
  } finally {
    stylizer.dispose();
  }
});

it('an image to a GIF: every frame a GIF shows by default (0 and 1 hundredth shown 100 ms), at most gifFps a second when asked', { timeout: 300_000 }, async () => {
  const stylizer = await createStylizer({ backend: 'wasm', size: 32, temporal: 0 });
  try {
    // Delays of 0, 1, 2 and 5 hundredths: browsers show the first two 100 ms, so the frames start at 0, 0.1, 0.2, 0.22 s.
    const image = inputGif([0, 1, 2, 5]);
    const all = await stylizer.stylizeFile(image, { format: 'gif' });
    expect(all.frames).toBe(4);
    expect(all.gif).toMatchObject({ source: 'image', fps: 50, sourceFrames: 4, audioDropped: false });
    expect((await gifFacts(all.blob)).durations).toEqual([100_000, 100_000, 20_000, 50_000]);
    // At 10 fps: the first of each 0.1 s slot (frames 0, 1, 2; 3 shares frame 2's slot), the last shown until the end.
    const capped = await stylizer.stylizeFile(image, { format: 'gif', gifFps: 10 });
    expect(capped.frames).toBe(3);
    expect(capped.gif).toMatchObject({ fps: 10, sourceFrames: 4 });
    expect((await gifFacts(capped.blob)).durations).toEqual([100_000, 100_000, 70_000]);
  } finally {
    stylizer.dispose();
  }
});

it('the sink writes no delay under 2 hundredths (players show a 1 as 10), the rounding caught up', async () => {
  expect(MIN_DELAY_CS).toBe(2);
  // A 60 fps clip's frames kept at 50 fps (0, 2, 3, 4, 5 of 0..5), each until the next: ends 3.3, 5, 6.7, 8.3, 10 cs,
  // which rounded alone would give a delay of 1 (7 → 8).
  const rgbx = new Uint8Array(4 * 4 * 4).fill(128);
  const sink = new GifSink(4, 4);
  const us = (i: number) => Math.round((i * 1e6) / 60);
  const kept = [0, 2, 3, 4, 5];
  for (const [k, i] of kept.entries()) {
    const frame = new VideoFrame(rgbx, { format: 'RGBX', codedWidth: 4, codedHeight: 4, timestamp: us(i) });
    const until = k + 1 < kept.length ? us(kept[k + 1]) : us(6);
    await sink.add(frame, us(i), until - us(i));
    frame.close();
  }
  const bytes = new Uint8Array((await sink.finalize())!);
  const decoder = new ImageDecoder({ data: bytes, type: 'image/gif' });
  await decoder.tracks.ready;
  await decoder.completed;
  const delays: number[] = [];
  for (let i = 0; i < decoder.tracks.selectedTrack!.frameCount; i++) {
    const { image } = await decoder.decode({ frameIndex: i });
    delays.push(image.duration! / 10_000);
    image.close();
  }
  decoder.close();
  expect(delays).toEqual([3, 2, 2, 2, 2]); // 11 in all against the clip's 10: 1 hundredth late, never more than 2
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
