// Plain values shared by the engine and its users (the CLI imports this in Node: keep it free of browser code).
export type BackendName = 'webgpu' | 'webgl' | 'wasm';
export const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm'];
export const DEFAULT_STYLE = 'starry_night';
/** Short side of the network's input, in pixels. */
export const DEFAULT_SIZE = 256;
export const MIN_SIZE = 16;
export const MAX_SIZE = 2048;
/** Temporal smoothing α: measured by `npm run bench:temporal` (flicker against detail). */
export const DEFAULT_TEMPORAL = 0.7;
