// The web app opens on the demo clip with a preset style, playing stylised, without any user action or camera.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { expect, it } from 'vitest';
import { openSession } from '../../src/cli/browser.ts';
import { ROOT } from './helpers.ts';

it('the app plays the built-in demo clip stylised on load (settings from the URL)', async () => {
  // Small frames: this machine's WebGPU is SwiftShader, where even the temporal stage is slow.
  const session = await openSession(ROOT, {}, '/?size=64&temporal=0.6&style=udnie&adaptive=0', "document.body.dataset.live === 'demo'", [
    '--autoplay-policy=no-user-gesture-required',
  ], { gpu: 'software' });
  try {
    const { page } = session;
    await page.waitForFunction("Number(document.body.dataset.frames) >= 3", null, { timeout: 90_000 });
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('ready');
    expect(await page.locator('[role=alert]').filter({ visible: true }).count()).toBe(0);
    expect(await page.locator('#temporal').inputValue()).toBe('0.6');
    expect(await page.locator('#size').inputValue()).toBe('64');
    expect(await page.locator('[data-preset=udnie]').getAttribute('aria-pressed')).toBe('true');
    expect(await page.locator('#gallery button.tile').count()).toBeGreaterThanOrEqual(12);
    // The thumbnails, held back until the first stylised frame was on show, load: every tile has its picture.
    await page.waitForFunction(
      () => {
        const imgs = [...document.querySelectorAll<HTMLImageElement>('#gallery button.tile img')];
        return imgs.length >= 12 && imgs.every((i) => !i.dataset.src && i.complete && i.naturalWidth > 0);
      },
      null,
      { timeout: 30_000 },
    );
    expect(await page.locator('#smoothing').textContent()).toMatch(/Smoothing runs on a WebGPU device/);
    expect(await page.locator('#backend').textContent()).toMatch(/^Backend: (webgpu|webgl|wasm)/);
    const stats = (await page.evaluate(() => window.__stylecast!.live!.stats()))!;
    expect([stats.width, stats.height]).toEqual([640, 360]);
    expect(Math.min(stats.inferWidth, stats.inferHeight)).toBe(64);
    expect(stats.temporal).toBe(0.6);
    await page.waitForFunction(() => document.getElementById('overlay')!.textContent!.includes('fps'), null, { timeout: 10_000 });
    // adaptive=0: the governor measures and says the quality is fixed; the "before" layer shows the input frames.
    expect(await page.locator('#overlay').textContent()).toMatch(/target 24 fps → 64 px \(fixed\)/);
    expect(await page.locator('#before').isVisible()).toBe(true);
    expect(await page.locator('#adaptive').isChecked()).toBe(false);
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-results', 'app.png') });

    // No camera on this machine (and no consent UI): the click explains itself and the demo keeps playing.
    await page.click('#source-webcam');
    const alert = page.locator('#error');
    await alert.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await alert.getAttribute('data-code')).toMatch(/^(NO_CAMERA|CAMERA_DENIED)$/);
    expect(await page.evaluate(() => document.body.dataset.live)).toBe('demo');
    expect(await page.locator('#source-demo').getAttribute('aria-pressed')).toBe('true');
  } finally {
    await session.close();
  }
}, 200_000);
