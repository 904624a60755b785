// Animated GIFs through the engine's API in real Chromium (the worker the app uses): every frame with its own
// duration in the MP4, progress per frame, cancelling mid-way. The GIF is written here byte by byte (no fixture file).
import { ALL_FORMATS, BlobSource, EncodedPacketSink, Input } from 'mediabunny';
import { describe, expect, it } from 'vitest';
import { createLiveStylizer } from '../../src/engine/index.ts';

/**
 * A GIF89a of `frames`, each split into a left and a right half of two of four colours, shown `delay` centiseconds.
 * Its LZW data restarts the code table every two pixels (a clear code), so every code stays 3 bits wide.
 */
function makeGif(width: number, height: number, frames: { left: number; right: number; delay: number }[]): Uint8Array<ArrayBuffer> {
  const out: number[] = [];
  const u16 = (v: number) => out.push(v & 255, v >> 8);
  out.push(...[...'GIF89a'].map((c) => c.charCodeAt(0)));
  u16(width);
  u16(height);
  out.push(0xf1, 0, 0); // a global table of 4 colours
  out.push(230, 60, 40, 40, 120, 220, 250, 210, 60, 30, 160, 90); // red, blue, yellow, green
  out.push(0x21, 0xff, 11, ...[...'NETSCAPE2.0'].map((c) => c.charCodeAt(0)), 3, 1, 0, 0, 0); // loop for ever
  for (const f of frames) {
    out.push(0x21, 0xf9, 4, 0x04); // graphic control: keep the frame (disposal 1), no transparency
    u16(f.delay);
    out.push(0, 0);
    out.push(0x2c);
    u16(0);
    u16(0);
    u16(width);
    u16(height);
    out.push(0);
    const codes: number[] = [];
    for (let i = 0; i < width * height; i += 2) {
      const colour = (p: number) => (p % width < width / 2 ? f.left : f.right);
      codes.push(4, colour(i), colour(i + 1)); // clear, two pixels
    }
    codes.push(5); // end of information
    const bytes: number[] = [];
    let acc = 0;
    let bits = 0;
    for (const c of codes) {
      acc |= c << bits;
      bits += 3;
      while (bits >= 8) {
        bytes.push(acc & 255);
        acc >>= 8;
        bits -= 8;
      }
    }
    if (bits > 0) bytes.push(acc & 255);
    out.push(2); // LZW minimum code size
    for (let i = 0; i < bytes.length; i += 255) out.push(Math.min(255, bytes.length - i), ...bytes.slice(i, i + 255));
    out.push(0);
  }
  out.push(0x3b);
  return new Uint8Array(out);
}

describe('animated images', () => {
  it('a GIF is stylised like a clip: an MP4 of every frame for its own duration; cancelling stops it', async () => {
    const frames = [
      { left: 0, right: 1, delay: 10 },
      { left: 1, right: 2, delay: 20 },
      { left: 2, right: 3, delay: 5 },
      { left: 3, right: 0, delay: 30 },
    ];
    const gif = new Blob([makeGif(32, 24, frames)], { type: 'image/gif' });
    const live = await createLiveStylizer({ backend: 'wasm', size: 32, temporal: 0 });
    try {
      let calls = 0;
      const r = await live.stylizeFile(gif, { onProgress: () => calls++ });
      expect([r.frames, r.width, r.height, r.hasAudio, calls]).toEqual([4, 32, 24, false, 4]);
      expect(r.blob.type).toBe('video/mp4');

      const input = new Input({ formats: ALL_FORMATS, source: new BlobSource(r.blob) });
      const track = (await input.getPrimaryVideoTrack())!;
      const packets: { t: number; d: number }[] = [];
      for await (const p of new EncodedPacketSink(track).packets(undefined, undefined, { metadataOnly: true })) packets.push({ t: p.timestamp, d: p.duration });
      packets.sort((a, b) => a.t - b.t);
      let t = 0;
      expect(packets.length).toBe(4);
      packets.forEach((p, i) => {
        expect(p.t).toBeCloseTo(t, 3);
        expect(p.d).toBeCloseTo(frames[i].delay / 100, 3);
        t += frames[i].delay / 100;
      });
      input.dispose();

      const controller = new AbortController();
      const cancelled = live.stylizeFile(gif, { signal: controller.signal, onProgress: (p) => p.framesDone === 2 && controller.abort() });
      await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
      // Not an image after all: the video reader's precise refusal, not the image decoder's.
      const fake = new Blob([new TextEncoder().encode('GIF87 is not quite a signature'.repeat(10))]);
      await expect(live.stylizeFile(fake)).rejects.toMatchObject({ code: 'UNREADABLE_INPUT' });
    } finally {
      expect(await live.dispose()).toBe(0);
    }
  });
});
