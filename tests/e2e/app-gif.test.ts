// The app's "Save as" pick in real Chromium: MP4 by default; with GIF picked, a clip (and an animated image) uploaded
// through the page comes back as an animated GIF download: a video's frames capped at 15 fps, its duration kept, its
// sound dropped and said so; the result shown as an image; the pick remembered; a GIF at most 480 px on its long side
// (the engine's default gifSize). Tiny sizes: WebGPU here is SwiftShader.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openSession } from '../../src/cli/browser.ts';
import { ROOT, ffmpeg, ffprobe, frameTimes, frames, meanAbsDiff } from './helpers.ts';

const CLIP = join(ROOT, '../shared/media/video/pexels-854100-people-walking-sidewalk-640x360-6s.webm');

let dir: string;
let clip: string;
let anim: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stylecast-app-gif-'));
  // 12 frames at 30 fps (0.4 s) of real footage, with a sound track.
  clip = join(dir, 'walk.mp4');
  ffmpeg('-ss', '1', '-i', CLIP, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '0.4', '-map', '0:v', '-map', '1:a', '-vf', 'scale=128:72,fps=30', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', clip);
  // An animated GIF of 4 frames at 10 fps, larger than a GIF's default 480 px.
  anim = join(dir, 'loop.gif');
  ffmpeg('-ss', '1', '-i', CLIP, '-t', '0.4', '-vf', 'scale=512:288,fps=10', '-loop', '0', anim);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const settled = "['done', 'error', 'cancelled'].includes(document.body.dataset.state)";

it('Save as GIF: a clip and an animated image download as animated GIFs with the expected frames; MP4 is the default', async () => {
  const session = await openSession(ROOT, {}, '/?size=32&temporal=0&style=udnie', "document.body.dataset.live === 'demo'", ['--autoplay-policy=no-user-gesture-required'], { gpu: 'software' });
  try {
    const { page } = session;
    expect(await page.locator('#clip-format').inputValue()).toBe('mp4');
    expect(await page.locator('#clip-format option').allTextContents()).toEqual(['MP4', 'GIF']);
    await page.selectOption('#clip-format', 'gif');

    // A 30 fps clip with sound → a GIF of every other frame, as long as the clip, no sound, said so.
    await page.setInputFiles('#clip-file', clip);
    await page.waitForFunction(settled, null, { timeout: 120_000 });
    expect(await page.evaluate(() => document.body.dataset.state), (await page.locator('#error').textContent()) ?? '').toBe('done');
    expect(await page.locator('#progress-text').textContent()).toMatch(/^Done: 6 frames/);
    expect(await page.locator('#result-info').textContent()).toMatch(/^128×72 animated GIF, looping, .*, 6 of the clip's 12 frames \(GIF capped at 15 fps\), no sound \(a GIF has none\)/);
    expect([await page.locator('#result-gif').isVisible(), await page.locator('#result').isVisible()]).toEqual([true, false]);
    expect(await page.evaluate(() => (document.getElementById('result-gif') as HTMLImageElement).naturalWidth)).toBe(128);
    expect(await page.locator('#download').textContent()).toBe('Download GIF');
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.locator('#clip-panel').screenshot({ path: join(ROOT, 'test-results', 'app-gif.png') });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(download.suggestedFilename()).toBe('walk-stylised.gif');
    const gif = join(dir, 'walk.gif');
    await download.saveAs(gif);
    expect(readFileSync(gif).subarray(0, 6).toString()).toBe('GIF89a');
    const p = ffprobe(gif);
    const v = p.streams.find((s) => s.codec_type === 'video')!;
    expect([v.codec_name, v.width, v.height, Number(v.nb_read_frames)]).toEqual(['gif', 128, 72, 6]);
    expect(p.streams.filter((s) => s.codec_type === 'audio')).toHaveLength(0);
    const times = frameTimes(gif);
    expect(Math.abs(times.at(-1)!.pts + times.at(-1)!.duration - 0.4)).toBeLessThan(0.015);
    // Stylised: far from the clip's own frames at the same moments (0, 2, 4 … of 12).
    const plain = frames(clip, 32, 18);
    const ours = frames(gif, 32, 18);
    for (const k of [0, 5]) expect(meanAbsDiff(plain[2 * k], ours[k])).toBeGreaterThan(0.05);
    await page.waitForFunction("document.body.dataset.live === 'demo'", null, { timeout: 60_000 });

    // The pick is remembered; an animated GIF in, an animated GIF of its 4 frames out, scaled down to 480 px wide.
    expect(await page.evaluate(() => localStorage.getItem('stylecast.clipFormat'))).toBe('gif');
    await page.setInputFiles('#clip-file', anim);
    await page.waitForFunction(settled, null, { timeout: 120_000 });
    expect(await page.evaluate(() => document.body.dataset.state), (await page.locator('#error').textContent()) ?? '').toBe('done');
    expect(await page.locator('#result-info').textContent()).toMatch(/^480×270 animated GIF, looping, .*, scaled down from the image's 512×288 ·/);
    const [again] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(again.suggestedFilename()).toBe('loop-stylised.gif');
    const loop = join(dir, 'loop-out.gif');
    await again.saveAs(loop);
    const g = ffprobe(loop).streams.find((s) => s.codec_type === 'video')!;
    expect([g.codec_name, g.width, g.height, Number(g.nb_read_frames)]).toEqual(['gif', 480, 270, 4]);
    await page.waitForFunction("document.body.dataset.live === 'demo'", null, { timeout: 60_000 });

    // Back to MP4: the same clip downloads as an MP4 again, shown in the video element.
    await page.selectOption('#clip-format', 'mp4');
    await page.setInputFiles('#clip-file', clip);
    await page.waitForFunction(settled, null, { timeout: 120_000 });
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('done');
    expect(await page.locator('#download').textContent()).toBe('Download MP4');
    expect([await page.locator('#result-gif').isVisible(), await page.locator('#result').isVisible()]).toEqual([false, true]);
    const [mp4] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(mp4.suggestedFilename()).toBe('walk-stylised.mp4');
    const mp4Path = join(dir, 'walk-out.mp4');
    await mp4.saveAs(mp4Path);
    expect(Number(ffprobe(mp4Path).streams.find((s) => s.codec_type === 'video')!.nb_read_frames)).toBe(12);
  } finally {
    await session.close();
  }
}, 400_000);
