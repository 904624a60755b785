// The engine off the main thread: one Stylizer per worker, driven over comlink. A thrown error crosses by comlink's
// "throw" transfer handler with its `code` kept (protocol.ts); the settings are forwarded from their one description.
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs-core';
import { StylecastError } from '../engine/errors.ts';
import type { Mp4Destination, Progress } from '../engine/sinks/mp4.ts';
import { createStylizer, type LiveStats, type Stylizer, type StylizeResult, type StylizerOptions } from '../engine/stylizer.ts';
import { forwardSettings, installErrorTransfer } from './protocol.ts';

installErrorTransfer();

let stylizer: Stylizer | null = null;
let converting: AbortController | null = null;
/** Preview canvases handed over by the page, by the id it gave them (each can be transferred only once). */
const previews = new Map<number, OffscreenCanvas>();

const need = (): Stylizer => {
  if (!stylizer) throw new StylecastError('WORKER_FAILED', 'The stylising worker has no stylizer: call init() first.');
  return stylizer;
};

const api = {
  async init(options: StylizerOptions) {
    stylizer = await createStylizer(options);
    return { backend: stylizer.backend.name, reason: stylizer.backend.reason, smoothing: stylizer.smoothing.detail, startup: stylizer.startup, presets: stylizer.presets, presetImages: Object.fromEntries(stylizer.presets.map((n) => [n, stylizer!.presetImageUrl(n)])) };
  },
  run: (readable: ReadableStream<VideoFrame>, writable: WritableStream<VideoFrame> | null, canvas: OffscreenCanvas | null, frameRate: number | null, before: OffscreenCanvas | null) =>
    need().stylizeStream(readable, { writable, canvas, frameRate: frameRate ?? undefined, before }),
  stop: () => need().stopStream(),
  ...forwardSettings((name, args) => (need()[name] as (...a: unknown[]) => unknown).apply(need(), args)),
  /** A whole clip to MP4 (the live stream must be stopped first); progress comes back through a proxied callback. */
  async convert(file: Blob, onProgress: ((p: Progress) => void) | null, preview: { id: number; canvas?: OffscreenCanvas } | null = null, output: Pick<Mp4Destination, 'format' | 'gifFps' | 'gifSize'> | null = null): Promise<StylizeResult> {
    converting = new AbortController();
    if (preview?.canvas) previews.set(preview.id, preview.canvas);
    try {
      return await need().stylizeFile(file, { signal: converting.signal, onProgress: onProgress ?? undefined, preview: preview ? previews.get(preview.id) : undefined, ...output });
    } finally {
      converting = null;
    }
  },
  cancelConvert: () => converting?.abort(),
  stats: (): LiveStats | null => need().stats(),
  /** Frees everything; resolves with the tensors still alive (0 when every owner did its job). */
  dispose: () => {
    stylizer?.dispose();
    stylizer = null;
    return tf.memory().numTensors;
  },
};

export type LiveWorkerApi = typeof api;
Comlink.expose(api);
