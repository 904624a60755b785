// Animated images through the CLI's binary: an animated PNG (APNG, made here by ffmpeg) is a clip like an animated
// GIF or WebP — every frame, each for its own duration — while a still PNG is still refused.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WALKING, cli, ensureBuilt, ffmpeg, ffprobe, frameTimes, frames, meanAbsDiff, stdDev } from './helpers.ts';

let dir: string;
const at = (name: string) => join(dir, name);
const RUN_MS = 480_000;
const TEST_MS = 600_000;

// 6 frames of the walking clip at 96×54 shown for 120, 200, 80, 320, 200 and 200 ms.
const ANIMATED_VF = "scale=96:54,settb=1/100,setpts='if(eq(N,0),0,if(eq(N,1),12,if(eq(N,2),32,if(eq(N,3),40,if(eq(N,4),72,92)))))'";

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'stylecast-e2e-anim-'));
}, TEST_MS);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('animated PNG in', { timeout: TEST_MS }, () => {
  it('an APNG: an MP4 of all its frames, each for its own duration, stylised', () => {
    ffmpeg('-i', WALKING, '-frames:v', '6', '-vf', ANIMATED_VF, '-fps_mode', 'passthrough', '-plays', '0', '-f', 'apng', at('anim.apng'));
    // The reference: the APNG's own frame delays as ffprobe reads them.
    const packets = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'packet=pts_time,duration_time', '-of', 'json', at('anim.apng')]).toString()) as {
      packets: { pts_time: string; duration_time: string }[];
    };
    const shown = packets.packets.map((p) => ({ pts: Number(p.pts_time), duration: Number(p.duration_time) }));
    expect(shown.length).toBe(6);
    expect(new Set(shown.map((f) => f.duration)).size).toBeGreaterThanOrEqual(3); // really variable

    // Named .png: the bytes decide, not the name.
    execFileSync('cp', [at('anim.apng'), at('anim.png')]);
    const r = cli(['stylize', at('anim.png'), '-o', at('apng-out.mp4'), '--size', '32', '--temporal', '0'], RUN_MS);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/6\/6 frames/);
    const p = ffprobe(at('apng-out.mp4'));
    const v = p.streams.find((s) => s.codec_type === 'video')!;
    expect([v.width, v.height]).toEqual([96, 54]);
    expect(Number(v.nb_read_frames)).toBe(6);
    const out = frameTimes(at('apng-out.mp4'));
    expect(out.length).toBe(6);
    out.forEach((f, i) => {
      expect(f.pts).toBeCloseTo(shown[i].pts, 3);
      expect(f.duration).toBeCloseTo(shown[i].duration, 3);
    });
    const inp = frames(at('anim.apng'), 48, 27);
    const res = frames(at('apng-out.mp4'), 48, 27);
    for (const i of [0, 5]) {
      expect(meanAbsDiff(inp[i], res[i])).toBeGreaterThan(0.04); // stylised, not a copy
      expect(stdDev(res[i])).toBeGreaterThan(0.05); // not blank
    }
  });

  it('a still PNG is not a clip: UNREADABLE_INPUT, as for a JPEG', () => {
    ffmpeg('-i', WALKING, '-frames:v', '1', '-vf', 'scale=96:54', at('still.png'));
    const r = cli(['stylize', at('still.png'), '-o', at('still-out.mp4'), '--size', '32'], RUN_MS);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/\(UNREADABLE_INPUT\)$/);
  });
});
