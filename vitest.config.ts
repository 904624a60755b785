import { resolve } from 'node:path';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig, mergeConfig } from 'vitest/config';
import viteConfig from './vite.config.ts';
import { chromiumArgs, chromiumPath } from './src/cli/browser.ts';

// Browser tests read real photos from ../shared/media through Vite's /@fs/ route.
const sharedMedia = resolve(import.meta.dirname, '../shared/media');

// The fake webcam plays real footage: a y4m made from a shared clip (never committed) by tests/global-setup.ts
// before the tests run; Chromium opens it only when a page asks for the camera.
const camera = resolve(import.meta.dirname, 'tests/.tmp/camera.y4m');
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
            // SwiftShader, explicitly (this machine and CI have no GPU): a test setting, not the product default.
            env: { STYLECAST_GPU: 'software' },
            testTimeout: 180_000,
            hookTimeout: 180_000,
          },
        },
        {
          extends: true,
          test: {
            name: 'browser',
            globalSetup: ['tests/global-setup.ts'],
            include: ['tests/browser/**/*.test.ts'],
            provide: { sharedMedia: `/@fs${sharedMedia}` },
            testTimeout: 300_000,
            hookTimeout: 300_000,
            browser: {
              enabled: true,
              headless: true,
              provider: playwright({ launchOptions: { executablePath: chromiumPath(), args: [...chromiumArgs('software'), ...FAKE_CAMERA] } }),
              instances: [{ browser: 'chromium' }],
            },
          },
        },
      ],
    },
  }),
);
