// tfjs-wasm on every core the browser reports (tfjs alone caps its pool at half of them), and nothing left altered.
import { expect, it } from 'vitest';
import { initBackend, wasmThreads } from '../../src/engine/stylise/backend.ts';

it('wasm runs a thread per core, and navigator.hardwareConcurrency is its real value afterwards', async () => {
  const cores = navigator.hardwareConcurrency;
  expect(globalThis.crossOriginIsolated).toBe(true); // threads need SharedArrayBuffer
  const want = wasmThreads();
  expect(want).toBe(cores);
  const choice = await initBackend('wasm');
  const expected = Math.min(want, 8); // tfjs-wasm pre-creates 8 workers: its hard maximum
  expect(choice.reason).toMatch(new RegExp(`\\b${expected} threads?\\b`));
  expect(navigator.hardwareConcurrency).toBe(cores);
  expect(Object.prototype.hasOwnProperty.call(navigator, 'hardwareConcurrency')).toBe(false);
});
