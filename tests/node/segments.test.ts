// --segment's Node side without a browser: how a clip is cut (planSegments reads the real index of ffmpeg-made clips),
// the join's packet copy (joinSegments on real H.264 parts: frames, timestamps, audio) and its refusal of parts whose
// decoder configurations differ, and the flags' values.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStylecastError } from '../../src/engine/errors.ts';
import { joinSegments, parseSegmentSeconds, parseWarmupFrames, planSegments } from '../../src/cli/segments.ts';
import { WALKING, ffmpeg, ffprobe, frameTimes } from '../e2e/helpers.ts';

let dir: string;
const at = (name: string) => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stylecast-segments-node-'));
  // 26 frames at 25 fps with sound; the same clip's frames 0–9, 10–19, 20–25 as separate files re-based to 0 (what
  // the engine writes for a range), and a part at another size.
  ffmpeg('-i', WALKING, '-frames:v', '26', '-vf', 'scale=96:54', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '100', '-an', at('video.mp4'));
  ffmpeg('-i', at('video.mp4'), '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-map', '0:v', '-map', '1:a', '-c:v', 'copy', '-c:a', 'aac', '-shortest', at('clip.mp4'));
  for (const [i, [a, b]] of [[0, 10], [10, 20], [20, 26]].entries()) {
    ffmpeg('-i', at('video.mp4'), '-vf', `select='between(n,${a},${b - 1})',setpts=PTS-STARTPTS`, '-c:v', 'libx264', '-preset', 'veryfast', '-an', at(`part${i}.mp4`));
  }
  ffmpeg('-i', at('part1.mp4'), '-vf', 'scale=64:36', '-c:v', 'libx264', '-preset', 'veryfast', '-an', at('other.mp4'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('planSegments', () => {
  it('cuts at frame boundaries: every frame in exactly one segment, offsets at the frames\' times', async () => {
    const plan = (await planSegments(at('clip.mp4'), 0.4))!;
    expect(plan.frames).toBe(26);
    expect(plan.hasAudio).toBe(true);
    expect(plan.segments.map((s) => [s.startFrame, s.endFrame])).toEqual([[0, 10], [10, 20], [20, 26]]);
    expect(plan.segments.map((s) => s.offsetSeconds)).toEqual([0, 0.4, 0.8].map((v) => expect.closeTo(v, 6)));
  });
  it('lets a short tail join the segment before it, and gives one segment for a clip shorter than one', async () => {
    // 26 frames by 0.5 s: 13 + 13 (no tail); by 0.45 s: 12 + 12 + 2 → the 2-frame tail joins the second.
    expect((await planSegments(at('clip.mp4'), 0.5))!.segments.map((s) => [s.startFrame, s.endFrame])).toEqual([[0, 13], [13, 26]]);
    expect((await planSegments(at('clip.mp4'), 0.45))!.segments.map((s) => [s.startFrame, s.endFrame])).toEqual([[0, 12], [12, 26]]);
    expect((await planSegments(at('clip.mp4'), 60))!.segments).toHaveLength(1);
  });
  it('gives no plan for a file that is not a video it reads (the whole-file path reports it)', async () => {
    ffmpeg('-f', 'lavfi', '-i', 'color=red:s=16x16:d=0.2', '-r', '10', at('anim.gif'));
    expect(await planSegments(at('anim.gif'), 1)).toBeNull();
  });
});

describe('joinSegments', () => {
  it('copies the parts\' packets at their offsets and the source\'s audio once: every frame at the source\'s time', async () => {
    const r = await joinSegments([0, 0.4, 0.8].map((offsetSeconds, i) => ({ path: at(`part${i}.mp4`), offsetSeconds })), at('clip.mp4'), at('joined.mp4'), { comment: 'stylecast settings=ab frames=26' });
    expect(r).toMatchObject({ frames: 26, codec: 'avc', hasAudio: true });
    const want = frameTimes(at('clip.mp4')).map((f) => f.pts.toFixed(3));
    expect(frameTimes(at('joined.mp4')).map((f) => f.pts.toFixed(3))).toEqual(want);
    const p = ffprobe(at('joined.mp4'));
    const a = p.streams.find((s) => s.codec_type === 'audio')!;
    const srcA = ffprobe(at('clip.mp4')).streams.find((s) => s.codec_type === 'audio')!;
    expect(Math.abs(Number(a.duration) - Number(srcA.duration))).toBeLessThan(0.03);
    // Three encoder runs, one track: each part's parameter sets are the same, so every frame decodes.
    expect(execFileSync('ffmpeg', ['-v', 'error', '-i', at('joined.mp4'), '-f', 'null', '-'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })).toBe('');
    expect(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format_tags=comment', '-of', 'csv=p=0', at('joined.mp4')]).toString().trim()).toBe('stylecast settings=ab frames=26');
  });
  it('refuses parts whose decoder configurations differ (SEGMENTS_DIFFER), writing nothing', async () => {
    const before = readdirSync(dir);
    const e = await joinSegments([{ path: at('part0.mp4'), offsetSeconds: 0 }, { path: at('other.mp4'), offsetSeconds: 0.4 }], at('clip.mp4'), at('bad.mp4')).catch((x) => x);
    expect(isStylecastError(e) && e.code).toBe('SEGMENTS_DIFFER');
    expect(e.message).toMatch(/Segment 2's encoder settings differ from segment 1's \(avc1\.[0-9a-f]+ 64×36 against avc1\.[0-9a-f]+ 96×54/);
    expect(readdirSync(dir)).toEqual(before);
  });
});

describe('--segment and --warmup values', () => {
  it('takes seconds and frames in range, and names the flag and the value otherwise', () => {
    expect(parseSegmentSeconds('10')).toBe(10);
    expect(parseSegmentSeconds('0.5')).toBe(0.5);
    for (const bad of ['0', '-1', 'x', '', '1e9', 'Infinity']) expect(() => parseSegmentSeconds(bad)).toThrow(/--segment must be a number of seconds from 0\.1 to 86400/);
    expect(parseWarmupFrames('0')).toBe(0);
    expect(parseWarmupFrames('16')).toBe(16);
    for (const bad of ['-1', '2.5', 'x', '1001']) expect(() => parseWarmupFrames(bad)).toThrow(/--warmup must be a whole number of frames from 0 to 1000/);
  });
});
