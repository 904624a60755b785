import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig, mergeConfig } from 'vitest/config';
import viteConfig from './vite.config.ts';
import { CHROMIUM_ARGS, chromiumPath } from './src/cli/browser.ts';

// Browser tests read real photos from ../shared/media through Vite's /@fs/ route.
const sharedMedia = resolve(import.meta.dirname, '../shared/media');

// The fake webcam plays real footage: a y4m made from a shared clip (never committed), 320×180 at 20 fps.
const camera = resolve(import.meta.dirname, 'tests/.tmp/camera.y4m');
if (!existsSync(camera)) {
  mkdirSync(resolve(camera, '..'), { recursive: true });
  const clip = resolve(sharedMedia, 'video/pexels-854100-people-walking-sidewalk-640x360-6s.webm');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', clip, '-t', '3', '-vf', 'scale=320:180,fps=20', '-pix_fmt', 'yuv420p', camera]);
}
const FAKE_CAMERA = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${camera}`];

export default mergeConfig(
  viteConfig,
  defineConfig({
    server: { fs: { allow: [import.meta.dirname, sharedMedia] } },
    test: {
      projects: [
        {
          extends: true,
          test: {
            name: 'node',
            include: ['tests/node/**/*.test.ts', 'tests/e2e/**/*.test.ts'],
            environment: 'node',
            testTimeout: 180_000,
            hookTimeout: 180_000,
          },
        },
        {
          extends: true,
          test: {
            name: 'browser',
            include: ['tests/browser/**/*.test.ts'],
            provide: { sharedMedia: `/@fs${sharedMedia}` },
            testTimeout: 300_000,
            hookTimeout: 300_000,
            browser: {
              enabled: true,
              headless: true,
              provider: playwright({ launchOptions: { executablePath: chromiumPath(), args: [...CHROMIUM_ARGS, ...FAKE_CAMERA] } }),
              instances: [{ browser: 'chromium' }],
            },
          },
        },
      ],
    },
  }),
);
