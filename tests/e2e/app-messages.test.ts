// The app's messages in real Chromium (the Vite dev server on the sources, SwiftShader, tiny sizes): the error banner
// can be dismissed and goes by itself when the next action of its kind succeeds; file inputs stay invisible while
// disabled; bad URL settings (embed mode's, for OBS) are reported — console, `data-error` on <body>, a notice when
// there is chrome — and replaced by the defaults.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession } from '../../src/cli/browser.ts';
import { ROOT } from './helpers.ts';

const AUTOPLAY = '--autoplay-policy=no-user-gesture-required';
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stylecast-app-messages-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the app’s messages', () => {
  it('the error banner has a close button, and clears when the next action of its kind succeeds', async () => {
    const session = await openSession(ROOT, {}, '/?size=32&temporal=0&style=udnie', "document.body.dataset.live === 'demo'", [AUTOPLAY], { gpu: 'software' });
    try {
      const { page } = session;
      const alert = page.locator('#error');
      // No camera here: the click explains itself; the × dismisses it and the demo goes on.
      await page.click('#source-webcam');
      await alert.waitFor({ state: 'visible', timeout: 30_000 });
      expect(await alert.getAttribute('data-code')).toMatch(/^(NO_CAMERA|CAMERA_DENIED)$/);
      await page.click('#error-close');
      expect(await alert.isVisible()).toBe(false);
      expect(await page.evaluate(() => document.body.dataset.live)).toBe('demo');

      // A style image that is not an image: the banner says so; picking a preset (a setting that works) clears it.
      const bad = join(dir, 'not-an-image.png');
      writeFileSync(bad, 'not a picture\n'.repeat(20));
      await page.setInputFiles('#style-file', bad);
      await alert.waitFor({ state: 'visible', timeout: 30_000 });
      expect(await alert.getAttribute('data-code')).toBe('STYLE_IMAGE_UNREADABLE');
      await page.click('[data-preset=the_scream]');
      await alert.waitFor({ state: 'hidden', timeout: 30_000 });
      expect(await page.locator('[data-preset=the_scream]').getAttribute('aria-pressed')).toBe('true');

      // The camera error again, then the demo (a source that starts) takes it away without a click on ×.
      await page.click('#source-webcam');
      await alert.waitFor({ state: 'visible', timeout: 30_000 });
      await page.click('#source-demo');
      await alert.waitFor({ state: 'hidden', timeout: 30_000 });
      await page.waitForFunction("document.body.dataset.live === 'demo' && document.body.dataset.state === 'ready'", null, { timeout: 30_000 });

      // Errors thrown in the engine's worker reach the page as StylecastErrors with their code (comlink's "throw"
      // transfer handler, registered on both sides): each call below fails inside the worker's Stylizer.
      const crossed = await page.evaluate(async () => {
        const live = window.__stylecast!.live!;
        const attempts: [string, () => Promise<unknown>][] = [
          ['setStyle', () => live.setStyle('no_such_painting')],
          ['setStrength', () => live.setStrength(7)],
          ['setTemporalMethod', () => live.setTemporalMethod('zigzag' as never)],
          ['stylizeFile', () => live.stylizeFile(new Blob([]))],
        ];
        const out: Record<string, unknown> = {};
        for (const [what, f] of attempts) {
          try {
            await f();
            out[what] = 'resolved';
          } catch (e) {
            const err = e as Error & { code?: string };
            out[what] = { isError: err instanceof Error, name: err.name, code: err.code, message: err.message };
          }
        }
        return out;
      });
      expect(crossed).toMatchObject({
        setStyle: { isError: true, name: 'StylecastError', code: 'UNKNOWN_STYLE', message: expect.stringContaining('no_such_painting') },
        setStrength: { isError: true, name: 'StylecastError', code: 'INVALID_ARGUMENT', message: expect.stringContaining('strength') },
        setTemporalMethod: { isError: true, name: 'StylecastError', code: 'INVALID_ARGUMENT', message: expect.stringContaining('zigzag') },
        stylizeFile: { isError: true, name: 'StylecastError', code: 'EMPTY_INPUT' },
      });

      // Disabled file inputs (as while a clip converts) stay invisible over their buttons: no "Choose File" shows.
      const opacity = await page.evaluate(() =>
        ['clip-file', 'style-file'].map((id) => {
          const input = document.getElementById(id) as HTMLInputElement;
          input.disabled = true;
          const o = getComputedStyle(input).opacity;
          input.disabled = false;
          return o;
        }),
      );
      expect(opacity).toEqual(['0', '0']);
    } finally {
      await session.close();
    }
  }, 180_000);

  it('bad URL settings are reported with their code and fall back to the defaults (embed mode and the full page)', async () => {
    const session = await openSession(ROOT, {}, '/?ui=none&size=32', "document.body.dataset.live === 'demo'", [AUTOPLAY], { gpu: 'software' });
    try {
      const { page } = session;
      expect(await page.evaluate(() => document.body.dataset.error)).toBeUndefined();
      const logged: string[] = [];
      page.on('console', (m) => m.type() === 'error' && logged.push(m.text()));
      const base = new URL(page.url()).origin;

      // Embed mode, numbers out of range: INVALID_ARGUMENT for the host page, each on the console; no notice (ui=none).
      await page.goto(`${base}/?ui=none&strength=7&size=99999`);
      await page.waitForFunction("document.body.dataset.error === 'INVALID_ARGUMENT'", null, { timeout: 30_000 });
      expect(logged.some((l) => l.includes('strength=7') && l.includes('(INVALID_ARGUMENT)'))).toBe(true);
      expect(logged.some((l) => l.includes('size=99999') && l.includes('(INVALID_ARGUMENT)'))).toBe(true);
      expect(await page.locator('#strength').inputValue()).toBe('1');
      expect(await page.locator('#size').inputValue()).toBe('192');
      expect(await page.locator('#notice').isVisible()).toBe(false);
      await page.waitForFunction("document.body.dataset.live === 'demo'", null, { timeout: 60_000 });

      // Embed mode, an unknown style: UNKNOWN_STYLE, and the default style plays.
      logged.length = 0;
      await page.goto(`${base}/?ui=none&style=no_such_painting&size=32`);
      await page.waitForFunction("document.body.dataset.error === 'UNKNOWN_STYLE'", null, { timeout: 60_000 });
      expect(logged.some((l) => l.includes('no_such_painting') && l.includes('(UNKNOWN_STYLE)'))).toBe(true);
      await page.waitForFunction("document.body.dataset.live === 'demo' && Number(document.body.dataset.frames) >= 1", null, { timeout: 90_000 });
      expect(await page.locator('[data-preset=starry_night]').getAttribute('aria-pressed')).toBe('true');
      expect(await page.locator('#notice').isVisible()).toBe(false);

      // The full page: the same, plus a notice naming the setting, which the × dismisses.
      await page.goto(`${base}/?strength=7&method=zigzag&size=32`);
      const notice = page.locator('#notice');
      await notice.waitFor({ state: 'visible', timeout: 30_000 });
      expect(await page.evaluate(() => document.body.dataset.error)).toBe('INVALID_ARGUMENT');
      expect(await notice.textContent()).toMatch(/strength=7 .*using 1\..*method=zigzag .*using strokes/);
      await page.click('#notice-close');
      expect(await notice.isVisible()).toBe(false);
    } finally {
      await session.close();
    }
  }, 240_000);
});
