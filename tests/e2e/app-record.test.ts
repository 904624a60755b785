// The app's webcam features in real Chromium, on a fake camera playing real footage (a 160×90 y4m made here):
// the camera and its resolution are picked and remembered; a snapshot is a PNG of the stylised output; a recording of
// the stylised stream ends cleanly when the camera stops mid-recording and is a playable file of stylised frames.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession } from '../../src/cli/browser.ts';
import { ROOT, ffmpeg, ffprobe, frames, meanAbsDiff } from './helpers.ts';

const CLIP = join(ROOT, '../shared/media/video/pexels-854100-people-walking-sidewalk-640x360-6s.webm');
const AUTOPLAY = '--autoplay-policy=no-user-gesture-required';
const FAKE_DEVICE = '--use-fake-device-for-media-stream';
const ALLOW_CAMERA = '--use-fake-ui-for-media-stream';

let dir: string;
let camera: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stylecast-app-record-'));
  camera = join(dir, 'camera.y4m');
  ffmpeg('-i', CLIP, '-t', '2', '-vf', 'scale=160:90,fps=10', '-pix_fmt', 'yuv420p', camera);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** How far `picture` is from the nearest camera frame (0 = one of them exactly; stylised frames are far from all). */
function distanceToCamera(picture: Uint8Array, cameraFrames: Uint8Array[]): number {
  return Math.min(...cameraFrames.map((c) => meanAbsDiff(picture, c)));
}

describe('the app’s webcam features', () => {
  it('picks and remembers the camera and resolution; a snapshot is a stylised PNG; a recording survives the camera stopping', async () => {
    const session = await openSession(ROOT, {}, '/?source=webcam&size=32&temporal=0&style=udnie&fps=10', "document.body.dataset.live === 'webcam'", [
      AUTOPLAY, FAKE_DEVICE, ALLOW_CAMERA, `--use-file-for-fake-video-capture=${camera}`,
    ], { gpu: 'software' });
    try {
      const { page } = session;
      const cameraFrames = frames(camera, 32, 18);
      await page.waitForFunction('Number(document.body.dataset.frames) >= 3', null, { timeout: 90_000 });

      // The camera list names the camera in use; a resolution picked is remembered across a reload.
      expect(await page.locator('#camera-pick').isVisible()).toBe(true);
      const cams = await page.locator('#camera-select option').count();
      expect(cams).toBeGreaterThanOrEqual(1);
      const inUse = await page.evaluate(() => (window.__stylecast!.raw.srcObject as MediaStream).getVideoTracks()[0].getSettings().deviceId);
      expect(await page.locator('#camera-select').inputValue()).toBe(inUse);
      await page.selectOption('#camera-resolution', '640x360');
      await page.waitForFunction("document.body.dataset.live === 'webcam' && Number(document.body.dataset.frames) >= 2", null, { timeout: 90_000 });
      expect(await page.evaluate(() => [localStorage.getItem('stylecast.cameraResolution'), localStorage.getItem('stylecast.camera')])).toEqual(['640x360', inUse]);
      await page.reload();
      await page.waitForFunction("document.body.dataset.live === 'webcam' && Number(document.body.dataset.frames) >= 3", null, { timeout: 90_000 });
      expect(await page.locator('#camera-resolution').inputValue()).toBe('640x360');
      const size = await page.evaluate(() => [window.__stylecast!.canvas.width, window.__stylecast!.canvas.height]);
      expect(size).toEqual([160, 90]); // the fake camera's file has one size whatever is asked

      // Snapshot: a PNG of the output's size, showing the stylised picture, not the camera's.
      await page.waitForFunction(() => !(document.getElementById('snapshot') as HTMLButtonElement).disabled, null, { timeout: 10_000 });
      const [shot] = await Promise.all([page.waitForEvent('download'), page.click('#snapshot')]);
      expect(shot.suggestedFilename()).toMatch(/^stylecast-.*\.png$/);
      const png = join(dir, 'snapshot.png');
      await shot.saveAs(png);
      const bytes = readFileSync(png);
      expect(bytes.subarray(1, 4).toString()).toBe('PNG');
      expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([160, 90]);
      const shotDistance = distanceToCamera(frames(png, 32, 18)[0], cameraFrames);
      console.log('snapshot: distance to the nearest camera frame', shotDistance.toFixed(3));
      expect(shotDistance).toBeGreaterThan(0.06);

      // Record about 3 s, then the camera stops by itself (as when unplugged): the recording ends and is offered.
      await page.click('#record');
      expect(await page.locator('#record').getAttribute('aria-pressed')).toBe('true');
      await page.waitForFunction(() => /● 0:0[3-9]/.test(document.getElementById('record-time')!.textContent!), null, { timeout: 30_000 });
      await page.evaluate(() => {
        const track = (window.__stylecast!.raw.srcObject as MediaStream).getVideoTracks()[0];
        track.stop();
        track.dispatchEvent(new Event('ended')); // what the browser fires when a camera goes away
      });
      await page.waitForFunction("document.body.dataset.recording === 'done'", null, { timeout: 60_000 });
      await page.locator('#error').waitFor({ state: 'visible', timeout: 30_000 });
      expect(await page.locator('#error').getAttribute('data-code')).toBe('NO_CAMERA');
      expect(await page.locator('#error').textContent()).toMatch(/The camera stopped/);
      expect(await page.locator('#record').getAttribute('aria-pressed')).toBe('false');
      const [rec] = await Promise.all([page.waitForEvent('download'), page.click('#recording')]);
      const name = rec.suggestedFilename();
      expect(name).toMatch(/^stylecast-.*\.(mp4|webm)$/);
      const file = join(dir, name);
      await rec.saveAs(file);
      console.log('recording:', name, await page.locator('#recording-info').textContent());

      // Playable: ffprobe reads it whole, with video frames and a duration.
      const probe = ffprobe(file);
      const v = probe.streams.find((s) => s.codec_type === 'video')!;
      expect(v).toBeDefined();
      expect(Number(v.nb_read_frames)).toBeGreaterThanOrEqual(5);
      expect(Number(probe.format.duration)).toBeGreaterThan(1);
      expect([v.width, v.height]).toEqual([160, 90]);
      // Stylised: every recorded frame is far from every camera frame.
      const recorded = frames(file, 32, 18);
      const distances = recorded.map((f) => distanceToCamera(f, cameraFrames));
      console.log('recording: frames', recorded.length, 'min distance to the camera', Math.min(...distances).toFixed(3));
      expect(Math.min(...distances)).toBeGreaterThan(0.06);

      // ?record=webm: MediaRecorder's WebM (no duration in its header) is copied into one with a duration; Stop ends it.
      await page.goto(`${new URL(page.url()).origin}/?source=webcam&size=32&temporal=0&style=udnie&fps=10&record=webm`);
      await page.waitForFunction("document.body.dataset.live === 'webcam' && Number(document.body.dataset.frames) >= 3", null, { timeout: 90_000 });
      await page.waitForFunction(() => !(document.getElementById('record') as HTMLButtonElement).disabled, null, { timeout: 10_000 });
      await page.click('#record');
      await page.waitForFunction(() => /● 0:0[2-9]/.test(document.getElementById('record-time')!.textContent!), null, { timeout: 30_000 });
      await page.click('#record');
      await page.waitForFunction("document.body.dataset.recording === 'done'", null, { timeout: 60_000 });
      const [webmDownload] = await Promise.all([page.waitForEvent('download'), page.click('#recording')]);
      expect(webmDownload.suggestedFilename()).toMatch(/^stylecast-.*\.webm$/);
      const webm = join(dir, 'rec.webm');
      await webmDownload.saveAs(webm);
      const wp = ffprobe(webm);
      const wv = wp.streams.find((s) => s.codec_type === 'video')!;
      console.log('webm recording:', wv.codec_name, wv.nb_read_frames, 'frames,', wp.format.duration, 's');
      expect(Number(wv.nb_read_frames)).toBeGreaterThanOrEqual(5);
      expect(Number(wp.format.duration)).toBeGreaterThan(1);
      expect(Math.min(...frames(webm, 32, 18).map((f) => distanceToCamera(f, cameraFrames)))).toBeGreaterThan(0.06);
      expect(await page.evaluate(() => document.body.dataset.live)).toBe('webcam'); // Stop ends the recording, not the camera
    } finally {
      await session.close();
    }
  }, 300_000);
});
