// `--segment`: a clip cut into segments stylised in parallel (pages in one browser), joined in Node without
// re-encoding — through the real binary, checked with ffprobe: every frame of the source at its timestamp, the audio
// copied once and in sync, one decodable video track; bad values refused with their code before a browser starts.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WALKING, cli, ensureBuilt, ffmpeg, ffprobe, frameTimes } from './helpers.ts';

let dir: string;
const at = (name: string) => join(dir, name);
const RUN_MS = 600_000;
const TEST_MS = 900_000;

/** What is left in a folder besides `keep` (partial outputs and segment parts are hidden files). */
const leftovers = (folder: string, keep: string[]) => readdirSync(folder).filter((f) => !keep.includes(f));

/** ffmpeg's complaints while decoding every frame (empty when each segment's packets decode with the one track's config). */
const decodeErrors = (path: string) => spawnSync('ffmpeg', ['-v', 'error', '-i', path, '-f', 'null', '-'], { encoding: 'utf8' }).stderr;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'stylecast-segments-'));
  mkdirSync(at('out'));
  // 26 frames (1.04 s at 25 fps) at 160×90 with a 440 Hz tone: --segment 0.4 cuts it into 10 + 10 + 6 frames.
  ffmpeg('-i', WALKING, '-frames:v', '26', '-vf', 'scale=160:90', '-c:v', 'libx264', '-preset', 'veryfast', '-an', at('video.mp4'));
  ffmpeg('-i', at('video.mp4'), '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-map', '0:v', '-map', '1:a', '-c:v', 'copy', '-c:a', 'aac', '-shortest', at('clip.mp4'));
}, TEST_MS);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stylecast stylize --segment', { timeout: TEST_MS }, () => {
  it('joins 3 segments into one MP4 with every frame of the source at its timestamp and the audio copied once', () => {
    // strength < 1: the clip's content vector is computed once and given to every segment.
    const r = cli(['stylize', at('clip.mp4'), '-o', at('out/seg.mp4'), '--size', '64', '--strength', '0.8', '--segment', '0.4', '--warmup', '4', '--jobs', '2'], RUN_MS);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/26 frames in 3 segments of about 0\.4 s, 2 at once, each starting 4 frames early/);
    expect(r.stderr).toMatch(/wrote .*seg\.mp4: 26 frames, 160×90 avc, audio copied; 3 segments joined without re-encoding/);

    const src = ffprobe(at('clip.mp4'));
    const out = ffprobe(at('out/seg.mp4'));
    const video = out.streams.filter((s) => s.codec_type === 'video');
    expect(video.length).toBe(1); // one track: one decoder configuration for every segment
    expect(video[0].codec_name).toBe('h264');
    expect(Number(video[0].nb_read_frames)).toBe(26);
    expect(decodeErrors(at('out/seg.mp4'))).toBe('');

    // Every frame at the source's time (the joins included: frames 9→10 and 19→20).
    const want = frameTimes(at('clip.mp4'));
    const got = frameTimes(at('out/seg.mp4'));
    expect(got.length).toBe(want.length);
    for (const [i, f] of got.entries()) expect(Math.abs(f.pts - want[i].pts), `frame ${i}`).toBeLessThan(0.001);

    // The source's audio, whole and in sync: same codec, same start, same length (to a packet), ending with the video.
    const a = out.streams.find((s) => s.codec_type === 'audio');
    const srcAudio = src.streams.find((s) => s.codec_type === 'audio')!;
    expect(a?.codec_name).toBe('aac');
    expect(Math.abs(Number(a!.duration) - Number(srcAudio.duration))).toBeLessThan(0.03);
    expect(Math.abs(Number(out.format.duration) - Number(src.format.duration))).toBeLessThan(0.03);
    // No segment part or partial file left beside the output.
    expect(leftovers(at('out'), ['seg.mp4'])).toEqual([]);
  });

  it('re-encodes the join when the segments cannot share one track, and says so (forced here by a test switch)', () => {
    const r = cli(['stylize', at('clip.mp4'), '-o', at('out/re.mp4'), '--size', '64', '--temporal', '0', '--segment', '0.4', '--jobs', '2'], RUN_MS, { STYLECAST_TEST_REENCODE_JOIN: '1' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Re-encoding them into one track instead/);
    expect(r.stderr).toMatch(/26 frames, 160×90 avc, audio copied; 3 segments joined by re-encoding them/);
    const want = frameTimes(at('clip.mp4'));
    const got = frameTimes(at('out/re.mp4'));
    expect(got.map((f) => f.pts.toFixed(3))).toEqual(want.map((f) => f.pts.toFixed(3)));
    expect(ffprobe(at('out/re.mp4')).streams.some((s) => s.codec_type === 'audio')).toBe(true);
    expect(decodeErrors(at('out/re.mp4'))).toBe('');
    expect(leftovers(at('out'), ['seg.mp4', 're.mp4'])).toEqual([]);
  });

  it('refuses a bad --segment or --warmup with INVALID_ARGUMENT (exit 2) before a browser starts', () => {
    for (const [flags, text] of [
      [['--segment', '0'], /--segment must be a number of seconds from 0\.1 to 86400 \(each segment's length\), got "0"\. \(INVALID_ARGUMENT\)/],
      [['--segment', 'ten'], /--segment must be a number of seconds .* got "ten"\. \(INVALID_ARGUMENT\)/],
      [['--segment', '2', '--warmup', '-1'], /--warmup must be a whole number of frames from 0 to 1000, got "-1"\. \(INVALID_ARGUMENT\)/],
    ] as const) {
      const r = cli(['stylize', at('clip.mp4'), '-o', at('bad.mp4'), ...flags], 60_000);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim()).toMatch(text);
      expect(r.stderr).not.toMatch(/GPU:|segments of about/); // refused up front: no browser, no work
    }
    const w = cli(['stylize', at('clip.mp4'), '-o', at('bad.mp4'), '--warmup', '4'], 60_000);
    expect(w.status).toBe(2);
    expect(w.stderr).toMatch(/--warmup needs --segment/);
    expect(leftovers(dir, ['video.mp4', 'clip.mp4', 'out'])).toEqual([]);
  });
});

describe('stylecast batch --segment', { timeout: TEST_MS }, () => {
  it('writes each clip joined from its segments, and a re-run finds it up to date', () => {
    const r = cli(['batch', at('clip.mp4'), '-o', at('batch'), '--size', '64', '--segment', '0.5', '--jobs', '2', '--json'], RUN_MS);
    expect(r.status, r.stderr).toBe(0);
    const p = ffprobe(at('batch/clip-stylised.mp4'));
    expect(Number(p.streams.find((s) => s.codec_type === 'video')!.nb_read_frames)).toBe(26);
    expect(p.streams.some((s) => s.codec_type === 'audio')).toBe(true);
    expect(frameTimes(at('batch/clip-stylised.mp4')).map((f) => f.pts.toFixed(3))).toEqual(frameTimes(at('clip.mp4')).map((f) => f.pts.toFixed(3)));
    expect(leftovers(at('batch'), ['clip-stylised.mp4'])).toEqual([]);
    // The settings and the frame count are recorded in the joined file: nothing to do the second time.
    const again = cli(['batch', at('clip.mp4'), '-o', at('batch'), '--size', '64', '--segment', '0.5', '--json'], RUN_MS);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/"event":"skipped"/);
  });
});
