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
    // Minified: the live worker's script, which a stream's first frame waits for, is about half the size. (A minified
    // build once hung tfjs-wasm's threaded worker, tfjs #4107/#4539, with the worker built as one IIFE; as an ES
    // module, with tfjs-wasm's chunk loaded when it starts, its threads start and run: the CLI, app and live tests.)
    minify: true,
    rollupOptions: {
      input: { app: resolve(import.meta.dirname, 'index.html'), cli: resolve(import.meta.dirname, 'cli.html') },
    },
  },
});
