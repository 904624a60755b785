// stylecast's public API: everything an app, the CLI or an embedder needs, and nothing else.
// Importing it loads no engine: the engine (tfjs, its backends, the pipeline, Mediabunny) is loaded by the first
// createStylizer call, so a page that only runs createLiveStylizer keeps it in the worker (npm run bench, (f)).
import type { Stylizer, StylizerOptions } from './stylizer.ts';
export type { Stylizer, StreamSinks } from './stylizer.ts';

/** A stylizer on this thread (the CLI's page, a worker of one's own); `createLiveStylizer` runs one in a worker. */
export async function createStylizer(options?: StylizerOptions): Promise<Stylizer> {
  const engine = await import('./stylizer.ts');
  return engine.createStylizer(options);
}
export { BACKENDS, DEFAULT_SIZE, DEFAULT_STYLE, DEFAULT_TEMPORAL, DEFAULT_TEMPORAL_METHOD, MAX_SIZE, MIN_SIZE, TEMPORAL_METHODS } from './constants.ts';
export type { LiveStats, OutputChunk, StartupTimes, StreamedFileOptions, StreamedResult, StyleSource, StylizerOptions, StylizeFileOptions, StylizeResult } from './stylizer.ts';
export { createLiveStylizer } from './live.ts';
export type { LiveStylizer, ProcessOptions } from './live.ts';
export { openCamera } from './sources/webcam.ts';
export type { Progress } from './sinks/mp4.ts';
export type { BackendName, TemporalMethod } from './constants.ts';
export { DEFAULT_UPSAMPLE, UPSAMPLES } from './constants.ts';
export type { Upsample } from './constants.ts';
export { DEFAULT_TARGET_FPS } from './pipeline/governor.ts';
export type { GovernorState } from './pipeline/governor.ts';
export type { BackendChoice, BackendProbe } from './stylise/backend.ts';
export { StylecastError, isStylecastError } from './errors.ts';
export type { ErrorCode } from './errors.ts';
