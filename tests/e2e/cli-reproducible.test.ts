// Two runs of the same job give the same video, within what the browser's H.264 encoder leaves: the frames handed to
// the encoder are bit-identical run to run (network, smoothing on the software WebGPU), but Chromium's software H.264
// encoder is not deterministic at this size (identical frames in, different bytes out), and its P-frames drift apart
// further the fewer bits they get. At mediabunny's QUALITY_HIGH (1.6 Mbit/s at 960×540) two runs of this job differed
// by a mean 0.0144 per channel at frame 9 (0.0172 at frame 11) — more than a segment join's warping error
// (bench:seams), so every join showed; at the bitrate we ask for now (sinks/mp4.ts) three runs stayed within 0.0076–
// 0.0082 at frame 9. Through the real binary, decoded with ffmpeg.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WALKING, cli, ensureBuilt, ffmpeg } from './helpers.ts';

const W = 960;
const H = 540;
const FRAMES = 10;
const TEST_MS = 900_000;
let dir: string;
const at = (name: string) => join(dir, name);

/** The video's frames as RGB bytes. */
const decode = (path: string) =>
  execFileSync('ffmpeg', ['-v', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 4 * W * H * 3 * FRAMES });

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'stylecast-reproducible-'));
  // Full size: at 160×90 the encoder happens to be exact; the drift shows where it has real work to do.
  ffmpeg('-i', WALKING, '-frames:v', String(FRAMES), '-c:v', 'libx264', '-crf', '10', '-pix_fmt', 'yuv420p', '-an', at('clip.mp4'));
}, TEST_MS);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('two runs of one job decode to frames within 0.011 of each other (mean per channel, every frame)', { timeout: TEST_MS }, () => {
  const frames: Buffer[] = [];
  for (const name of ['a.mp4', 'b.mp4']) {
    const r = cli(['stylize', at('clip.mp4'), '-o', at(name), '--size', '64', '--temporal', '0.7', '--quiet'], 600_000);
    expect(r.status, r.stderr).toBe(0);
    frames.push(decode(at(name)));
  }
  const size = W * H * 3;
  expect(frames[0].length).toBe(size * FRAMES);
  expect(frames[1].length).toBe(size * FRAMES);
  const diffs: number[] = [];
  for (let f = 0; f < FRAMES; f++) {
    let sum = 0;
    for (let i = f * size; i < (f + 1) * size; i++) sum += Math.abs(frames[0][i] - frames[1][i]);
    diffs.push(sum / size / 255);
  }
  expect(diffs[0], 'the first frame (a key frame of identical pixels)').toBeLessThan(0.001);
  expect(Math.max(...diffs), `mean |Δ| per frame: ${diffs.map((d) => d.toFixed(4)).join(' ')}`).toBeLessThan(0.011);
});
