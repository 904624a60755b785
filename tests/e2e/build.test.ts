// `npm run build` makes a static site that works on its own: served by `vite preview`, the app loads its worker,
// models and wasm from the build output and plays the demo clip stylised.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { expect, it } from 'vitest';
import { chromiumArgs, chromiumPath } from '../../src/cli/browser.ts';
import { ROOT } from './helpers.ts';

it('the production build serves the app, which plays the demo stylised', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'stylecast-dist-'));
  const configFile = join(ROOT, 'vite.config.ts');
  let server: PreviewServer | null = null;
  let browser: Browser | null = null;
  try {
    await build({ root: ROOT, configFile, logLevel: 'error', build: { outDir, emptyOutDir: true } });
    expect(existsSync(join(outDir, 'index.html'))).toBe(true);
    expect(readdirSync(join(outDir, 'assets')).some((f) => f.startsWith('live-worker'))).toBe(true); // the worker is its own chunk
    server = await preview({ root: ROOT, configFile, logLevel: 'error', build: { outDir }, preview: { host: '127.0.0.1', port: 0 } });
    const url = server.resolvedUrls?.local[0];
    expect(url).toBeTruthy();
    browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: [...chromiumArgs('software'), '--autoplay-policy=no-user-gesture-required'] });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}?size=64&temporal=0.6`);
    await page.waitForFunction("document.body.dataset.live === 'demo' && Number(document.body.dataset.frames) >= 3", null, { timeout: 120_000 });
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('ready');
    expect(await page.locator('[role=alert]').filter({ visible: true }).count()).toBe(0);
    expect(errors).toEqual([]);
  } finally {
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
    rmSync(outDir, { recursive: true, force: true });
  }
}, 240_000);
