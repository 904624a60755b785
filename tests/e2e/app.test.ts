// The web app opens on the demo clip with a preset style and produces a stylised MP4 without any user action.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openSession } from '../../src/cli/browser.ts';
import { ROOT, ffprobe } from './helpers.ts';

it('the app stylises the built-in demo clip on load (settings from the URL)', async () => {
  // Small frames: this machine's WebGPU is SwiftShader, where even the temporal stage is slow.
  const session = await openSession(ROOT, {}, '/?size=64&temporal=0.6&style=udnie', "document.body.dataset.state === 'working'");
  const dir = mkdtempSync(join(tmpdir(), 'stylecast-app-'));
  try {
    const { page } = session;
    await page.waitForFunction("['done', 'error'].includes(document.body.dataset.state)", null, { timeout: 170_000 });
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('done');
    expect(await page.locator('[role=alert]').filter({ visible: true }).count()).toBe(0);
    expect(await page.locator('#temporal').inputValue()).toBe('0.6');
    expect(await page.locator('#smoothing').textContent()).toMatch(/Smoothing runs on a WebGPU device/);
    const bytes = await page.evaluate(async () => {
      const blob = await (await fetch(document.body.dataset.result!)).blob();
      return Array.from(new Uint8Array(await blob.arrayBuffer()));
    });
    const file = join(dir, 'demo.mp4');
    writeFileSync(file, Uint8Array.from(bytes));
    const v = ffprobe(file).streams.find((s) => s.codec_type === 'video')!;
    expect([v.width, v.height]).toEqual([640, 360]);
    expect(Number(v.nb_read_frames)).toBe(150);
    await page.screenshot({ path: join(ROOT, 'test-results', 'app.png') });
    expect(execFileSync('ffprobe', ['-v', 'error', file]).toString()).toBe('');
  } finally {
    await session.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 200_000);
