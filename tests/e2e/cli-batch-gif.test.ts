// `stylecast batch --gif` through the binary: one animated GIF per input (a video's capped at 15 fps, an animated
// image's every frame), the settings recorded in a GIF Comment Extension so a re-run skips what is up to date; what
// cannot be done is refused before any work, with a code. Tiny inputs (--size 32 --temporal 0): a loaded 2-core box.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gifFacts } from '../../src/cli/batch.ts';
import { WALKING, cli, ensureBuilt, ffmpeg, ffprobe, frameTimes, frames, meanAbsDiff } from './helpers.ts';

let dir: string;
const at = (...names: string[]) => join(dir, ...names);
const RUN_MS = 480_000;
const TEST_MS = 600_000;
const FAST = ['--size', '32', '--temporal', '0', '--style', 'udnie'];

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'stylecast-batch-gif-'));
  mkdirSync(at('in'));
  // 12 frames at 30 fps (0.4 s) with sound, and an animated GIF of 3 frames at 10 fps.
  ffmpeg('-ss', '1', '-i', WALKING, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '0.4', '-map', '0:v', '-map', '1:a', '-vf', 'scale=64:36,fps=30', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', at('in', 'walk.mp4'));
  ffmpeg('-ss', '2', '-i', WALKING, '-t', '0.3', '-vf', 'scale=48:27,fps=10', '-loop', '0', at('in', 'loop.gif'));
}, TEST_MS);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const probeVideo = (path: string) => ffprobe(path).streams.find((s) => s.codec_type === 'video')!;

describe('batch --gif', { timeout: TEST_MS }, () => {
  it('a folder → one GIF per input, stylised, the settings recorded; a re-run skips both as up to date', () => {
    const r = cli(['batch', at('in'), '-o', at('out'), '--gif', '--jobs', '1', ...FAST], RUN_MS);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(at('out')).sort()).toEqual(['loop-stylised.gif', 'walk-stylised.gif']); // nothing partial left
    const walk = probeVideo(at('out', 'walk-stylised.gif'));
    expect([walk.codec_name, walk.width, walk.height, Number(walk.nb_read_frames)]).toEqual(['gif', 64, 36, 6]);
    const times = frameTimes(at('out', 'walk-stylised.gif'));
    expect(Math.abs(times.at(-1)!.pts + times.at(-1)!.duration - 0.4)).toBeLessThan(0.015);
    const loop = probeVideo(at('out', 'loop-stylised.gif'));
    expect([loop.codec_name, loop.width, loop.height, Number(loop.nb_read_frames)]).toEqual(['gif', 48, 27, 3]);
    // Stylised, not the input's pictures.
    expect(meanAbsDiff(frames(at('in', 'walk.mp4'), 32, 18)[0], frames(at('out', 'walk-stylised.gif'), 32, 18)[0])).toBeGreaterThan(0.05);
    expect(meanAbsDiff(frames(at('in', 'loop.gif'), 24, 14)[2], frames(at('out', 'loop-stylised.gif'), 24, 14)[2])).toBeGreaterThan(0.05);
    // The settings and the frame count in a Comment Extension.
    const facts = gifFacts(readFileSync(at('out', 'walk-stylised.gif')))!;
    expect(facts.images).toBe(6);
    expect(facts.comments).toHaveLength(1);
    expect(facts.comments[0]).toMatch(/^stylecast settings=[0-9a-f]{32} frames=6$/);

    const again = cli(['batch', at('in'), '-o', at('out'), '--gif', '--json', ...FAST], RUN_MS);
    expect(again.status, again.stderr).toBe(0);
    const skipped = again.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; frames?: number; input?: string }).filter((e) => e.event === 'skipped');
    expect(skipped.map((e) => e.frames).sort()).toEqual([3, 6]);

    // A GIF cut short (no trailer) is not up to date: it is made again.
    const cut = readFileSync(at('out', 'loop-stylised.gif'));
    writeFileSync(at('out', 'loop-stylised.gif'), cut.subarray(0, cut.length - 40));
    const third = cli(['batch', at('in'), '-o', at('out'), '--gif', '--json', ...FAST], RUN_MS);
    expect(third.status, third.stderr).toBe(0);
    const evs = third.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; input?: string; width?: number; height?: number });
    expect(evs.filter((e) => e.event === 'done').map((e) => e.input)).toEqual([at('in', 'loop.gif')]);
    // The output's size in the event: 48×27, under the default 480 px and never enlarged.
    expect(evs.filter((e) => e.event === 'done').map((e) => [e.width, e.height])).toEqual([[48, 27]]);
    expect(Number(probeVideo(at('out', 'loop-stylised.gif')).nb_read_frames)).toBe(3);
  });

  it('--gif-fps, --gif-size and --segment: each file whole at the asked rate and size, said so', () => {
    const r = cli(['batch', at('in', 'walk.mp4'), '-o', at('fps'), '--gif', '--gif-fps', '10', '--gif-size', '32', '--segment', '0.2', '--name', '{name}-{ext}.gif', ...FAST], RUN_MS);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/--segment is for MP4 output; each GIF is made in one piece/);
    expect(r.stderr).toMatch(/wrote .*walk-mp4\.gif \(4 frames, 32×18, /);
    const v = probeVideo(at('fps', 'walk-mp4.gif'));
    expect([v.width, v.height, Number(v.nb_read_frames)]).toEqual([32, 18, 4]); // 0.4 s at 10 fps, 64×36 at 32 px
  });
});

describe('refused before any work (one line, its code, nothing written)', { timeout: TEST_MS }, () => {
  function refused(args: string[], message: RegExp, status = 2) {
    const r = cli(args, 120_000);
    expect(r.status, r.stderr).toBe(status);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(existsSync(at('never'))).toBe(false);
  }
  it('--gif with a --name not ending in .gif, --gif-fps or --gif-size without --gif, a bad --gif-size, --gif with --queue', () => {
    refused(['batch', at('in'), '-o', at('never'), '--gif', '--name', '{name}.mp4'], /With --gif, --name must end in \.gif, got "\{name\}\.mp4"/);
    refused(['batch', at('in'), '-o', at('never'), '--gif-fps', '10'], /--gif-fps is for a GIF output .*\(INVALID_ARGUMENT\)$/);
    refused(['batch', at('in'), '-o', at('never'), '--gif-size', '200'], /--gif-size is for a GIF output .*\(INVALID_ARGUMENT\)$/);
    refused(['batch', at('in'), '-o', at('never'), '--gif', '--gif-size', '5000'], /--gif-size must be a whole number of pixels from 16 to 4096.*\(INVALID_ARGUMENT\)$/);
    refused(['batch', at('in'), '-o', at('never'), '--gif', '--queue', 'redis://127.0.0.1:1'], /--gif is for a batch on this machine: the queue's workers write MP4s.*\(INVALID_ARGUMENT\)$/);
  });
});
