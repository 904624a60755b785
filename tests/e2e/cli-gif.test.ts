// Animated GIF out, through the CLI's binary: `-o out.gif` (or --gif) turns an animated GIF or WebP into an animated
// GIF of all its frames, each for its own duration (hundredths of a second), looping forever, stylised by the real
// model at a tiny size; a video becomes one too, at most 15 frames a second by default (--gif-fps), lasting as long
// as the clip, its sound dropped and said so. A GIF is at most 480 px on its long side (--gif-size), never enlarged; an
// image's frames are capped by --gif-fps as a video's. What cannot be a GIF is refused before any work, with a code.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ensureBuilt, ffmpeg, ffprobe, frameTimes, frames, meanAbsDiff, stdDev } from './helpers.ts';

let dir: string;
const at = (name: string) => join(dir, name);
const RUN_MS = 480_000;
const TEST_MS = 600_000;
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A GIF's blocks as the file says them: each frame's delay (hundredths of a second, and where it sits), the loop count (NETSCAPE2.0; null without), the images. */
function gifBlocks(u: Uint8Array): { delays: { at: number; cs: number }[]; loop: number | null; images: number } {
  let p = 6;
  const packed = u[p + 4];
  p += 7;
  if (packed & 0x80) p += 3 * (1 << ((packed & 7) + 1)); // the global colour table
  const delays: { at: number; cs: number }[] = [];
  let loop: number | null = null;
  let images = 0;
  const skipSubBlocks = () => {
    while (u[p] !== 0) p += u[p] + 1;
    p++;
  };
  for (;;) {
    if (p >= u.length) throw new Error('the GIF has no trailer');
    const b = u[p++];
    if (b === 0x3b) break;
    if (b === 0x21) {
      const label = u[p++];
      if (label === 0xf9) {
        delays.push({ at: p + 2, cs: u[p + 2] | (u[p + 3] << 8) });
        p += u[p] + 1;
      } else if (label === 0xff && String.fromCharCode(...u.subarray(p + 1, p + 12)) === 'NETSCAPE2.0') {
        p += 12;
        loop = u[p + 2] | (u[p + 3] << 8);
      }
      skipSubBlocks();
    } else if (b === 0x2c) {
      const f = u[p + 8];
      p += 9;
      if (f & 0x80) p += 3 * (1 << ((f & 7) + 1)); // a local colour table
      p++; // LZW minimum code size
      skipSubBlocks();
      images++;
    } else {
      throw new Error(`unexpected GIF block 0x${b.toString(16)} at ${p - 1}`);
    }
  }
  return { delays, loop, images };
}

/** The frames' own delays, in hundredths of a second: uneven, so a kept duration is not a coincidence. */
const DELAYS_CS = [20, 7, 33, 12, 50];

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'stylecast-e2e-gif-'));
  // 5 frames of ffmpeg's test pattern at 64×48, then each frame's delay set in the file itself.
  ffmpeg('-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=5', '-t', '1', '-loop', '0', at('made.gif'));
  const bytes = readFileSync(at('made.gif'));
  const { delays } = gifBlocks(bytes);
  expect(delays.length).toBe(DELAYS_CS.length);
  delays.forEach((d, i) => bytes.writeUInt16LE(DELAYS_CS[i], d.at));
  writeFileSync(at('in.gif'), bytes);
  // 24 frames at 30 fps (0.8 s) with a sound track: a video for the GIF.
  ffmpeg('-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '0.8', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', at('clip.mp4'));
  // 3 frames at 10 fps of 960×540: a clip larger than a GIF's default 480 px.
  ffmpeg('-f', 'lavfi', '-i', 'testsrc=size=960x540:rate=10', '-t', '0.3', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', at('big.mp4'));
}, TEST_MS);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An animated WebP's frame durations (ms), from its ANMF chunks. */
function webpDurations(u: Buffer): number[] {
  const out: number[] = [];
  for (let p = 12; p + 8 <= u.length; ) {
    const size = u.readUInt32LE(p + 4);
    if (u.toString('latin1', p, p + 4) === 'ANMF') out.push(u.readUIntLE(p + 8 + 12, 3));
    p += 8 + size + (size & 1);
  }
  return out;
}

/** GIF delays for frames of these durations (ms): each frame's end rounded to hundredths, so no drift builds up. */
const delaysFor = (ms: number[]) => {
  let end = 0;
  let shown = 0;
  return ms.map((d) => {
    end += d;
    const cs = Math.max(Math.round(end / 10), shown + 2); // at least 2 (browsers show a 1 as 10)
    const delay = cs - shown;
    shown = cs;
    return delay;
  });
};

function checkGif(out: string, delaysCs = DELAYS_CS) {
  const p = ffprobe(out);
  const v = p.streams.find((s) => s.codec_type === 'video')!;
  expect(v.codec_name).toBe('gif');
  expect([v.width, v.height]).toEqual([64, 48]);
  expect(Number(v.nb_read_frames)).toBe(delaysCs.length);
  expect(p.streams.filter((s) => s.codec_type === 'audio')).toHaveLength(0);
  // Every frame for its own duration, at its own time.
  const res = frameTimes(out);
  expect(res.length).toBe(delaysCs.length);
  let pts = 0;
  res.forEach((f, i) => {
    expect(f.pts).toBeCloseTo(pts / 100, 3);
    expect(f.duration).toBeCloseTo(delaysCs[i] / 100, 3);
    pts += delaysCs[i];
  });
  const blocks = gifBlocks(readFileSync(out));
  expect(blocks.delays.map((d) => d.cs)).toEqual(delaysCs);
  expect(blocks.loop).toBe(0); // loops forever
  expect(blocks.images).toBe(delaysCs.length);
  // Stylised, not a copy, not blank.
  const a = frames(at('in.gif'), 32, 24);
  const b = frames(out, 32, 24);
  for (const i of [0, DELAYS_CS.length - 1]) {
    expect(meanAbsDiff(a[i], b[i])).toBeGreaterThan(0.04);
    expect(stdDev(b[i])).toBeGreaterThan(0.05);
  }
  // A sensible size for 5 frames of 64×48 at up to 256 colours each (a palette is 768 bytes).
  expect(readFileSync(out).length).toBeLessThan(64 * 1024);
}

describe('animated GIF out', { timeout: TEST_MS }, () => {
  it('-o out.gif: a GIF of every frame with its own delay, looping forever, stylised; nothing else left beside it', () => {
    // The input as ffprobe reads it: these delays, one after the other.
    expect(frameTimes(at('in.gif')).map((f) => Math.round(f.duration * 100))).toEqual(DELAYS_CS);
    const r = cli(['stylize', at('in.gif'), '-o', at('out.gif'), '--size', '32', '--temporal', '0'], RUN_MS);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/5\/5 frames/);
    expect(r.stderr).toMatch(/wrote .*out\.gif: 5 frames, 64×48 gif \(looping, no audio\)/);
    checkGif(at('out.gif'));
    expect(readdirSync(dir).filter((n) => n.includes('.partial'))).toEqual([]);
  });

  it('--gif from an animated WebP, with smoothing on (its default)', () => {
    ffmpeg('-i', at('in.gif'), '-c:v', 'libwebp_anim', '-lossless', '1', '-loop', '0', at('in.webp'));
    // ffmpeg's WebP encoder keeps the frames but not their delays exactly (195, 65, 326… ms): the WebP's own are the reference.
    const ms = webpDurations(readFileSync(at('in.webp')));
    expect(ms.length).toBe(DELAYS_CS.length);
    const r = cli(['stylize', at('in.webp'), '-o', at('webp-out.gif'), '--gif', '--size', '32'], RUN_MS);
    expect(r.status, r.stderr).toBe(0);
    checkGif(at('webp-out.gif'), delaysFor(ms));
  });
});

describe('a video to an animated GIF', { timeout: TEST_MS }, () => {
  it('-o out.gif from a 30 fps clip with sound: capped at 15 fps (every other frame), the clip\'s duration kept, stylised, audio dropped and said so', () => {
    const probe = ffprobe(at('clip.mp4'));
    expect(Number(probe.streams.find((s) => s.codec_type === 'video')!.nb_read_frames)).toBe(24);
    expect(probe.streams.some((s) => s.codec_type === 'audio')).toBe(true);
    const r = cli(['stylize', at('clip.mp4'), '-o', at('video.gif'), '--size', '32', '--temporal', '0'], RUN_MS);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/12\/12 frames/); // progress counts the frames the GIF gets
    expect(r.stderr).toMatch(/wrote .*video\.gif: 12 frames, 64×48 gif \(looping, no audio\); 12 of the clip's 24 frames \(30 fps\) kept: GIF frame rate capped at 15 fps \(--gif-fps\), each frame shown until the next; the clip's audio dropped \(a GIF has none\)/);
    const p = ffprobe(at('video.gif'));
    const v = p.streams.find((s) => s.codec_type === 'video')!;
    expect([v.codec_name, v.width, v.height, Number(v.nb_read_frames)]).toEqual(['gif', 64, 48, 12]);
    expect(p.streams.filter((s) => s.codec_type === 'audio')).toHaveLength(0);
    // 2/30 s a frame is 6.67 hundredths: delays of 6 and 7, the rounding carried so the total is the clip's 0.8 s.
    const blocks = gifBlocks(readFileSync(at('video.gif')));
    const delays = blocks.delays.map((d) => d.cs);
    expect(delays.every((d) => d === 6 || d === 7), delays.join(',')).toBe(true);
    expect(delays.reduce((a, b) => a + b, 0)).toBe(80);
    expect(blocks.loop).toBe(0);
    const times = frameTimes(at('video.gif'));
    expect(times).toHaveLength(12);
    const total = times.at(-1)!.pts + times.at(-1)!.duration;
    expect(Math.abs(total - 0.8)).toBeLessThan(0.015);
    // Each kept frame at its time in the clip (frame 2k at 2k/30 s), to the hundredth.
    times.forEach((f, k) => expect(Math.abs(f.pts - (2 * k) / 30)).toBeLessThanOrEqual(0.005 + 1e-9));
    // Stylised: not what a plain ffmpeg GIF of the same frames shows, and not blank.
    ffmpeg('-i', at('clip.mp4'), '-vf', 'fps=15', '-loop', '0', at('plain.gif'));
    const plain = frames(at('plain.gif'), 32, 24);
    const ours = frames(at('video.gif'), 32, 24);
    expect(plain).toHaveLength(12);
    expect(ours).toHaveLength(12);
    for (const i of [0, 6, 11]) {
      expect(meanAbsDiff(plain[i], ours[i])).toBeGreaterThan(0.04);
      expect(stdDev(ours[i])).toBeGreaterThan(0.05);
    }
    expect(readdirSync(dir).filter((n) => n.includes('.partial'))).toEqual([]);
  });

  it('--gif --gif-fps 40 over a 30 fps clip keeps every frame; --segment runs whole, said so', () => {
    const r = cli(['stylize', at('clip.mp4'), '-o', at('all.gif'), '--gif', '--gif-fps', '40', '--size', '32', '--temporal', '0', '--segment', '0.4'], RUN_MS);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/--segment is for MP4 output; the GIF is made in one piece/);
    expect(r.stderr).toMatch(/24 frames, 64×48 gif \(looping, no audio\); every frame of the clip \(30 fps, within the 40 fps cap\)/);
    const delays = gifBlocks(readFileSync(at('all.gif'))).delays.map((d) => d.cs);
    expect(delays).toHaveLength(24);
    expect(delays.every((d) => d === 3 || d === 4), delays.join(',')).toBe(true);
    expect(delays.reduce((a, b) => a + b, 0)).toBe(80);
  });
});

describe('the GIF\'s size: at most --gif-size (default 480) on the long side, never enlarged', { timeout: TEST_MS }, () => {
  it('a 960×540 clip → 480×270 by default, 200×113 with --gif-size 200, said so; a 64×48 one stays 64×48 (above)', () => {
    const r = cli(['stylize', at('big.mp4'), '-o', at('big.gif'), '--size', '32', '--temporal', '0'], RUN_MS);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/wrote .*big\.gif: 3 frames, 480×270 gif \(looping, no audio\); scaled down from the clip's 960×540 \(--gif-size 480\); every frame of the clip \(10 fps/);
    const v = ffprobe(at('big.gif')).streams.find((s) => s.codec_type === 'video')!;
    expect([v.codec_name, v.width, v.height, Number(v.nb_read_frames)]).toEqual(['gif', 480, 270, 3]);
    // Stylised (not the test pattern scaled down), not blank.
    ffmpeg('-i', at('big.mp4'), '-vf', 'scale=480:270', at('plain-big.gif'));
    const [plain, ours] = [frames(at('plain-big.gif'), 48, 27), frames(at('big.gif'), 48, 27)];
    expect(meanAbsDiff(plain[1], ours[1])).toBeGreaterThan(0.04);
    expect(stdDev(ours[1])).toBeGreaterThan(0.05);

    const small = cli(['stylize', at('big.mp4'), '-o', at('small.gif'), '--gif-size', '200', '--size', '32', '--temporal', '0'], RUN_MS);
    expect(small.status, small.stderr).toBe(0);
    expect(small.stderr).toMatch(/3 frames, 200×113 gif \(looping, no audio\); scaled down from the clip's 960×540 \(--gif-size 200\)/);
    const s = ffprobe(at('small.gif')).streams.find((x) => x.codec_type === 'video')!;
    expect([s.width, s.height, Number(s.nb_read_frames)]).toEqual([200, 113, 3]);
    expect(readFileSync(at('small.gif')).length).toBeLessThan(readFileSync(at('big.gif')).length);
  });

  it('an animated image with --gif-fps 5 --gif-size 40: 40×30, the first frame of each 1/5 s, each shown until the next', () => {
    // The image's frames start at 0, 0.2, 0.27, 0.6 and 0.72 s (delays 20, 7, 33, 12, 50): slots of 0.2 s keep 0, 1, 3.
    const r = cli(['stylize', at('in.gif'), '-o', at('capped.gif'), '--gif-fps', '5', '--gif-size', '40', '--size', '32', '--temporal', '0'], RUN_MS);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/3\/3 frames/);
    expect(r.stderr).toMatch(/wrote .*capped\.gif: 3 frames, 40×30 gif \(looping, no audio\); scaled down from the image's 64×48 \(--gif-size 40\); 3 of the image's 5 frames \(4\.1 fps\) kept: GIF frame rate capped at 5 fps \(--gif-fps\), each frame shown until the next/);
    const v = ffprobe(at('capped.gif')).streams.find((s) => s.codec_type === 'video')!;
    expect([v.width, v.height, Number(v.nb_read_frames)]).toEqual([40, 30, 3]);
    // Each kept frame until the next kept one starts, the last until the image's end: 1.22 s in all, as the input.
    expect(gifBlocks(readFileSync(at('capped.gif'))).delays.map((d) => d.cs)).toEqual([20, 40, 62]);
    // Stylised, not a copy of the frames kept (ffmpeg's rawvideo repeats frames of uneven delays: the first compared).
    const [a, b] = [frames(at('in.gif'), 32, 24), frames(at('capped.gif'), 32, 24)];
    expect(meanAbsDiff(a[0], b[0])).toBeGreaterThan(0.04);
    expect(stdDev(b[0])).toBeGreaterThan(0.05);
  });
});

it('--help says how to get a GIF', () => {
  const r = cli(['--help'], 60_000);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/-o <out\.mp4\|out\.gif> \[--gif \[--gif-fps N\] \[--gif-size N\]\]/);
  expect(r.stdout).toMatch(/--gif +write an animated GIF/);
  expect(r.stdout).toMatch(/--gif-fps +the most frames a second a GIF keeps, 1\.\.50 \(default 15 from a video/);
  expect(r.stdout).toMatch(/--gif-size +the GIF's long side at most this many pixels, 16\.\.4096 \(default 480/);
  expect(r.stdout.split('\n').filter((l) => l.length >= 120)).toEqual([]);
  expect(r.stdout).toMatch(/or either becomes an animated GIF with -o out\.gif/);
});

describe('what cannot be a GIF: refused before any work, one line with its code, nothing written', { timeout: TEST_MS }, () => {
  function refused(args: string[], message: RegExp, output: string) {
    const before = sha(at('in.gif'));
    const r = cli(args, 120_000);
    expect(r.status, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/\(INVALID_ARGUMENT\)$/);
    expect(lines[0]).toMatch(message);
    expect(existsSync(output)).toBe(false);
    expect(sha(at('in.gif'))).toBe(before);
  }

  it('--gif with an output not named .gif', () => {
    refused(['stylize', at('in.gif'), '-o', at('flag.mp4'), '--gif'], /--gif writes an animated GIF: name the output \.gif/, at('flag.mp4'));
  });
  it('an output that is neither .mp4 nor .gif', () => {
    refused(['stylize', at('in.gif'), '-o', at('out.webp')], /must be an \.mp4 or a \.gif file/, at('out.webp'));
  });
  it('--gif-fps without a GIF, or out of 1..50', () => {
    refused(['stylize', at('clip.mp4'), '-o', at('fps.mp4'), '--gif-fps', '10'], /--gif-fps is for a GIF output/, at('fps.mp4'));
    refused(['stylize', at('clip.mp4'), '-o', at('fps.gif'), '--gif-fps', '60'], /--gif-fps must be a number of frames per second from 1 to 50, got "60"/, at('fps.gif'));
    refused(['stylize', at('clip.mp4'), '-o', at('fps2.gif'), '--gif-fps', 'x'], /--gif-fps must be/, at('fps2.gif'));
  });
  it('--gif-size without a GIF, or not a whole number from 16 to 4096', () => {
    refused(['stylize', at('clip.mp4'), '-o', at('size.mp4'), '--gif-size', '200'], /--gif-size is for a GIF output/, at('size.mp4'));
    refused(['stylize', at('clip.mp4'), '-o', at('size.gif'), '--gif-size', '8'], /--gif-size must be a whole number of pixels from 16 to 4096 \(the GIF's long side\), got "8"/, at('size.gif'));
    refused(['stylize', at('clip.mp4'), '-o', at('size2.gif'), '--gif-size', '100.5'], /--gif-size must be .*got "100\.5"/, at('size2.gif'));
  });
});
