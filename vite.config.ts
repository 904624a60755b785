import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// Cross-origin isolation lets tfjs-wasm use threads (SharedArrayBuffer).
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  server: { headers: isolation },
  preview: { headers: isolation },
  optimizeDeps: {
    // The engine imports tfjs's parts (stylise/backend.ts); '@tensorflow/tfjs' stays for the test and bench pages.
    include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-converter', '@tensorflow/tfjs-backend-webgl', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-wasm', 'mediabunny', 'comlink'],
  },
  // The live worker as an ES module (it is started with type: 'module'), so its dynamic imports become chunks of their
  // own: the file path (src/engine/pipeline/files.ts, Mediabunny) is loaded only when a file is converted. The
  // default, 'iife', cannot split and would inline them.
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    // A minified build hangs tfjs-wasm's threaded worker (tfjs #4107/#4539).
    minify: false,
    rollupOptions: {
      input: { app: resolve(import.meta.dirname, 'index.html'), cli: resolve(import.meta.dirname, 'cli.html') },
    },
  },
});
