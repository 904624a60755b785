// The engine off the main thread: one Stylizer per worker, driven over comlink. Errors cross as plain objects
// so their `code` survives (see errors.ts toPlain/fromPlain).
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { toPlain } from '../engine/errors.ts';
import type { Progress } from '../engine/sinks/mp4.ts';
import type { TemporalMethod } from '../engine/constants.ts';
import { createStylizer, type LiveStats, type StyleSource, type Stylizer, type StylizeResult, type StylizerOptions } from '../engine/stylizer.ts';

let stylizer: Stylizer | null = null;
let converting: AbortController | null = null;

async function guard<T>(f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw toPlain(e);
  }
}

const need = (): Stylizer => {
  if (!stylizer) throw new Error('the worker has no stylizer: call init() first');
  return stylizer;
};

const api = {
  init: (options: StylizerOptions) =>
    guard(async () => {
      stylizer = await createStylizer(options);
      return { backend: stylizer.backend.name, reason: stylizer.backend.reason, smoothing: stylizer.smoothing.detail, presets: stylizer.presets, presetImages: Object.fromEntries(stylizer.presets.map((n) => [n, stylizer!.presetImageUrl(n)])) };
    }),
  run: (readable: ReadableStream<VideoFrame>, writable: WritableStream<VideoFrame> | null, canvas: OffscreenCanvas | null, frameRate: number | null, before: OffscreenCanvas | null) =>
    guard(() => need().stylizeStream(readable, { writable, canvas, frameRate: frameRate ?? undefined, before })),
  stop: () => guard(() => need().stopStream()),
  setStyle: (style: StyleSource) => guard(() => need().setStyle(style)),
  mixStyles: (style: StyleSource | null, weight: number) => guard(() => need().mixStyles(style, weight)),
  setStrength: (v: number) => guard(() => need().setStrength(v)),
  setTemporal: (v: number) => guard(() => need().setTemporal(v)),
  setTemporalMethod: (m: TemporalMethod) => guard(() => need().setTemporalMethod(m)),
  setSize: (v: number) => guard(() => need().setSize(v)),
  setTargetFps: (v: number) => guard(() => need().setTargetFps(v)),
  setAdaptive: (on: boolean) => guard(() => need().setAdaptive(on)),
  setPreserveColour: (on: boolean) => guard(() => need().setPreserveColour(on)),
  /** A whole clip to MP4 (the live stream must be stopped first); progress comes back through a proxied callback. */
  convert: (file: Blob, onProgress: ((p: Progress) => void) | null): Promise<StylizeResult> =>
    guard(async () => {
      converting = new AbortController();
      try {
        return await need().stylizeFile(file, { signal: converting.signal, onProgress: onProgress ?? undefined });
      } finally {
        converting = null;
      }
    }),
  cancelConvert: () => converting?.abort(),
  stats: (): Promise<LiveStats | null> => guard(() => need().stats()),
  /** Frees everything; resolves with the tensors still alive (0 when every owner did its job). */
  dispose: () =>
    guard(() => {
      stylizer?.dispose();
      stylizer = null;
      return tf.memory().numTensors;
    }),
};

export type LiveWorkerApi = typeof api;
Comlink.expose(api);
