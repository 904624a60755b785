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

/**
 * How temporal smoothing combines the warped previous output with the new frame: "strokes" blends the low band
 * and carries brush strokes whole where the flow is trusted (keeps detail); "average" blends everything
 * (smears strokes that do not line up; the baseline).
 */
export type TemporalMethod = 'strokes' | 'average';
export const TEMPORAL_METHODS: readonly TemporalMethod[] = ['strokes', 'average'];
export const DEFAULT_TEMPORAL_METHOD: TemporalMethod = 'strokes';

/**
 * How the stylised frame is enlarged from the network's size to the output's: "guided" by the full-resolution input
 * (its edges stay sharp; needs the output on a WebGPU device), or "cubic" (Mitchell–Netravali, what a 2D canvas
 * does; the only one where the output goes through the CPU).
 */
export type Upsample = 'guided' | 'cubic';
export const UPSAMPLES: readonly Upsample[] = ['guided', 'cubic'];
export const DEFAULT_UPSAMPLE: Upsample = 'guided';
