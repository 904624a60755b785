// tfjs's parts, not its union package (@tensorflow/tfjs): the engine needs the core, the converter's graph models and
// these three backends; the union also brings tfjs-layers, tfjs-data and the cpu backend, ~0.8 MB of the live worker
// that only lengthened its start. (webgl's CPU forwarding of small ops uses tfjs-backend-cpu's shared kernels, which
// webgl bundles itself, not the registered cpu backend.) The union also registered the chained ops (`x.squeeze()`):
// the engine calls ops as functions (`tf.squeeze(x)`), which only tsc on the engine alone can check, since the
// tests and benches import the union (a tsconfig including just src/engine and src/worker).
// Each backend's package is imported only when that backend is about to start (`loadBackend`): importing one
// registers it and its kernels, and a page runs one backend, so the others are never fetched or parsed there (the
// webgl and webgpu packages are about half of tfjs in the live worker's script, which the first frame waits for).
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { StylecastError } from '../errors.ts';
import { SOFTWARE_RENDERER, isSoftwareAdapter } from '../gpu/adapter.ts';

import { BACKENDS, type BackendName } from '../constants.ts';
export { BACKENDS, type BackendName };

/** What we learnt about one backend on this machine, before choosing. */
export interface BackendProbe {
  name: BackendName;
  available: boolean;
  /** A software emulation of a GPU (SwiftShader, WARP, llvmpipe, a fallback adapter): 30–100× slower here. */
  software: boolean;
  detail: string;
}

export interface BackendChoice {
  name: BackendName;
  /** One sentence on why this backend was chosen. */
  reason: string;
  probes: BackendProbe[];
  /** tfjs's own device when the backend is webgpu: our WGSL runs on it too. */
  device: GPUDevice | null;
}

async function probeWebGPU(): Promise<BackendProbe> {
  if (typeof navigator === 'undefined' || !('gpu' in navigator) || !navigator.gpu) {
    return { name: 'webgpu', available: false, software: false, detail: 'navigator.gpu is missing' };
  }
  const adapter = await navigator.gpu.requestAdapter().catch(() => null);
  if (!adapter) return { name: 'webgpu', available: false, software: false, detail: 'no WebGPU adapter' };
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const software = isSoftwareAdapter(info);
  return { name: 'webgpu', available: true, software, detail: [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'adapter' };
}

function probeWebGL(): BackendProbe {
  try {
    const canvas = new OffscreenCanvas(1, 1);
    const gl = canvas.getContext('webgl2');
    if (!gl) return { name: 'webgl', available: false, software: false, detail: 'no WebGL2 context' };
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return { name: 'webgl', available: true, software: SOFTWARE_RENDERER.test(renderer), detail: renderer };
  } catch (e) {
    return { name: 'webgl', available: false, software: false, detail: String(e) };
  }
}

/** Whether tfjs-wasm can run a thread pool here (SharedArrayBuffer needs a cross-origin isolated page). */
const wasmThreadsPossible = () => typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated === true;

/**
 * Threads for tfjs-wasm's pool: every core the browser reports (tfjs's own default is half of them), unless the
 * caller asks for fewer. Must be set before the backend initialises.
 */
export function wasmThreads(requested?: number): number {
  if (!wasmThreadsPossible()) return 1;
  const cores = typeof navigator !== 'undefined' && navigator.hardwareConcurrency > 0 ? navigator.hardwareConcurrency : 1;
  return Math.max(1, Math.min(cores, requested ?? cores));
}

/**
 * tfjs-wasm 4.22 caps its thread pool at half of `navigator.hardwareConcurrency` whatever `setThreadsCount` asks
 * (its C++ assumes two hardware threads per core), so a 2-core machine gets one thread. While its module
 * initialises, the page reports twice the threads we want, so the cap lets them through; then the real value is
 * back. Measured here: a 256×256×32 3×3 convolution 40 → 22 ms with 2 threads instead of 1.
 */
async function withWasmCores<T>(threads: number, init: () => Promise<T>): Promise<T> {
  const nav = typeof navigator !== 'undefined' ? navigator : null;
  const shadow = nav !== null && threads > Math.floor(nav.hardwareConcurrency / 2) && !Object.prototype.hasOwnProperty.call(nav, 'hardwareConcurrency');
  if (shadow) {
    try {
      Object.defineProperty(nav, 'hardwareConcurrency', { configurable: true, get: () => threads * 2 });
    } catch {
      return init(); // not redefinable here: tfjs's own cap stays
    }
  }
  try {
    return await init();
  } finally {
    if (shadow) delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}

function probeWasm(): BackendProbe {
  const ok = typeof WebAssembly === 'object';
  const threads = wasmThreadsPossible();
  return { name: 'wasm', available: ok, software: false, detail: ok ? `WebAssembly${threads ? ' with threads' : ''}` : 'no WebAssembly' };
}

/**
 * Imports a backend's package (registering it with tfjs) and sets it up before it initialises: tfjs-wasm's files and
 * thread pool, tfjs-webgpu's flags (registered by its import). Once per backend per page.
 */
const loaded = new Map<BackendName, Promise<void>>();
function loadBackend(name: BackendName, wasmPath: string, threads: number | undefined): Promise<void> {
  let p = loaded.get(name);
  if (!p) {
    p = (async () => {
      if (name === 'wasm') {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        wasm.setWasmPaths(wasmPath);
        wasm.setThreadsCount(wasmThreads(threads));
      } else if (name === 'webgpu') {
        await import('@tensorflow/tfjs-backend-webgpu');
        tf.env().set('WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD', 0);
      } else await import('@tensorflow/tfjs-backend-webgl');
    })();
    loaded.set(name, p);
    p.catch(() => loaded.delete(name)); // a failed fetch (e.g. offline for a moment) is tried again next time
  }
  return p;
}

/** Rank: hardware WebGPU, hardware WebGL, WASM, then software WebGPU, software WebGL. */
function rank(p: BackendProbe): number {
  const order = { webgpu: 0, webgl: 1, wasm: 2 }[p.name];
  return p.software ? 10 + order : order;
}

let current: Promise<BackendChoice> | null = null;
let currentForced: BackendName | undefined;

/**
 * Picks and initialises the tfjs backend once per page. `force` skips the ranking (but still fails
 * clearly if that backend cannot start here).
 */
export function initBackend(force?: BackendName, wasmPath = '/wasm/', threads?: number): Promise<BackendChoice> {
  if (force !== undefined && !BACKENDS.includes(force)) {
    throw new StylecastError('INVALID_ARGUMENT', `Unknown backend "${String(force)}": use one of ${BACKENDS.join(', ')}.`);
  }
  if (current && currentForced === force) return current;
  currentForced = force;
  current = choose(force, wasmPath, threads);
  current.catch(() => (current = null));
  return current;
}

async function choose(force: BackendName | undefined, wasmPath: string, threads: number | undefined): Promise<BackendChoice> {
  const probes = [await probeWebGPU(), probeWebGL(), probeWasm()];
  const ranked = probes.filter((p) => p.available).sort((a, b) => rank(a) - rank(b));
  const candidates = force ? probes.filter((p) => p.name === force) : ranked;
  const failures: string[] = [];
  for (const p of candidates) {
    if (!p.available) {
      failures.push(`${p.name}: ${p.detail}`);
      continue;
    }
    try {
      await loadBackend(p.name, wasmPath, threads).catch((e) => {
        throw new Error(`its code could not be loaded (${e instanceof Error ? e.message : String(e)})`);
      });
      const init = async () => {
        if (!(await tf.setBackend(p.name))) throw new Error('tfjs could not initialise it');
        await tf.ready();
      };
      await (p.name === 'wasm' ? withWasmCores(wasmThreads(threads), init) : init());
    } catch (e) {
      failures.push(`${p.name}: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    const device = p.name === 'webgpu' ? (tf.backend() as WebGPUBackend).device : null;
    if (p.name === 'wasm') {
      const n = (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
      p.detail = `${p.detail}, ${n} thread${n === 1 ? '' : 's'}`;
    }
    const skipped = ranked.filter((q) => rank(q) < rank(p)).map((q) => q.name);
    const reason = force
      ? `${p.name} was forced (${p.detail}${p.software ? ', a software GPU: expect it to be slow' : ''}).`
      : p.software
        ? `${p.name} (${p.detail}) is a software GPU, but nothing faster started${failures.length ? ` (${failures.join('; ')})` : ''}.`
        : `${p.name} (${p.detail}) ranks first here${
            probes.some((q) => q.software && q.available) ? `; software GPUs (${probes.filter((q) => q.software && q.available).map((q) => q.name).join(', ')}) rank below wasm` : ''
          }${skipped.length ? `; ${skipped.join(', ')} failed to start` : ''}.`;
    return { name: p.name, reason, probes, device };
  }
  throw new StylecastError(
    'BACKEND_UNAVAILABLE',
    force
      ? `The ${force} backend is not available in this browser (${failures.join('; ') || 'not supported'}).`
      : `No tfjs backend could start in this browser (${failures.join('; ')}).`,
  );
}
