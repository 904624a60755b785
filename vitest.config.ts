import { resolve } from 'node:path';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig, mergeConfig } from 'vitest/config';
import viteConfig from './vite.config.ts';
import { CHROMIUM_ARGS, chromiumPath } from './src/cli/browser.ts';

// Browser tests read real photos from ../shared/media through Vite's /@fs/ route.
const sharedMedia = resolve(import.meta.dirname, '../shared/media');

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
              provider: playwright({ launchOptions: { executablePath: chromiumPath(), args: CHROMIUM_ARGS } }),
              instances: [{ browser: 'chromium' }],
            },
          },
        },
      ],
    },
  }),
);
