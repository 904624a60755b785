// The live API on the main thread: a camera (or any) MediaStream in, a stylised MediaStream out, with the engine
// running in a worker. MediaStreamTrackProcessor/Generator only exist on the main thread, so they are made here
// and their streams are transferred to the worker (see ENVIRONMENT.md).
import * as Comlink from 'comlink';
import type { LiveWorkerApi } from '../worker/live-worker.ts';
import { forwardSettings, installErrorTransfer, type LiveSettings } from '../worker/protocol.ts';
import { StylecastError, invalidArgument } from './errors.ts';
import type { Mp4Destination, Progress } from './sinks/mp4.ts';
import { checkPreview } from './sinks/preview.ts';
import type { LiveStats, StartupTimes, StylizeFileOptions, StylizeResult, StylizerOptions } from './stylizer.ts';

export interface ProcessOptions {
  /** Show the stylised frames on this canvas (it is handed to the worker: draw nothing else on it). */
  canvas?: HTMLCanvasElement;
  /**
   * Show, on this canvas, the input frame each shown output was made from (handed to the worker too): a
   * before/after view then compares the same moment, not the live input with an older output.
   */
  before?: HTMLCanvasElement;
}

/** The settings (`setStyle`, `mixStyles`, `setStrength`, `setTemporal`, `setTemporalMethod`, `setSize`, `setTargetFps`, `setAdaptive`, `setPreserveColour`) are described once, in LiveSettings. */
export interface LiveStylizer extends LiveSettings {
  readonly backend: string;
  readonly backendReason: string;
  /** Where the engine's start in its worker went (see StartupTimes). */
  readonly startup: StartupTimes | null;
  /** Where temporal smoothing runs, or why it is off. */
  readonly smoothing: string;
  readonly presets: string[];
  /** URL of a preset's image (for thumbnails). */
  presetImageUrl(name: string): string;
  /** Starts stylising the stream's video; returns a stream whose track carries the stylised frames. */
  process(stream: MediaStream, options?: ProcessOptions): Promise<MediaStream>;
  /** Stops the current stream (the stylizer stays ready for another). */
  stop(): Promise<void>;
  /** A whole clip to MP4, or with `format: 'gif'` an animated GIF, in the worker (stops the live stream first). */
  stylizeFile(file: Blob, options?: StylizeFileOptions & Pick<Mp4Destination, 'format' | 'gifFps' | 'gifSize'>): Promise<StylizeResult>;
  stats(): Promise<LiveStats | null>;
  /** The last error of the running stream, if it stopped on one. */
  readonly error: StylecastError | null;
  /** Stops everything, frees every tensor and GPU resource, ends the worker. Resolves with tensors left (0). */
  dispose(): Promise<number>;
}

export async function createLiveStylizer(options: StylizerOptions = {}): Promise<LiveStylizer> {
  if (typeof Worker === 'undefined') throw new StylecastError('WORKER_FAILED', 'This browser has no Web Workers.');
  installErrorTransfer(); // the worker's errors arrive as StylecastErrors with their code
  const worker = new Worker(new URL('../worker/live-worker.ts', import.meta.url), { type: 'module', name: 'stylecast' });
  const remote = Comlink.wrap<LiveWorkerApi>(worker);
  let info: Awaited<ReturnType<LiveWorkerApi['init']>>;
  try {
    info = await remote.init(options);
  } catch (e) {
    worker.terminate();
    throw e;
  }
  // A preview canvas goes to the worker once (transferControlToOffscreen is once per element); later clips name it.
  const previewIds = new WeakMap<HTMLCanvasElement | OffscreenCanvas, number>();
  let nextPreview = 0;
  const previewFor = (canvas: HTMLCanvasElement | OffscreenCanvas | undefined) => {
    if (canvas === undefined) return null;
    checkPreview(canvas);
    const known = previewIds.get(canvas);
    if (known !== undefined) return { id: known };
    const id = nextPreview++;
    previewIds.set(canvas, id);
    let offscreen: OffscreenCanvas;
    try {
      offscreen = canvas instanceof OffscreenCanvas ? canvas : canvas.transferControlToOffscreen();
    } catch (e) {
      throw invalidArgument(`The preview canvas cannot be handed to the engine's worker (${e instanceof Error ? e.message : String(e)}): give it a canvas with no context yet.`);
    }
    return Comlink.transfer({ id, canvas: offscreen }, [offscreen]);
  };
  let running: Promise<void> | null = null;
  let cleanup: (() => void) | null = null;
  let lastError: StylecastError | null = null;
  let disposed = false;

  const stop = async () => {
    if (!running) return;
    await remote.stop();
    cleanup?.(); // ends the input track: the worker's read loop sees the end
    await running.catch(() => {});
  };

  return {
    backend: info.backend,
    backendReason: info.reason,
    startup: info.startup,
    smoothing: info.smoothing,
    presets: info.presets,
    presetImageUrl: (name) => {
      const url = info.presetImages[name];
      if (!url) throw new StylecastError('UNKNOWN_STYLE', `Unknown style preset "${name}". Presets: ${info.presets.join(', ')}.`);
      return url;
    },
    get error() {
      return lastError;
    },
    async process(stream, opts = {}) {
      if (disposed) throw invalidArgument('This live stylizer has been disposed.');
      if (!(stream instanceof MediaStream)) throw invalidArgument('process() needs a MediaStream.');
      const track = stream.getVideoTracks()[0];
      if (!track) throw invalidArgument('The stream has no video track.');
      if (opts.canvas !== undefined && !(opts.canvas instanceof HTMLCanvasElement)) throw invalidArgument('canvas must be a canvas element.');
      if (opts.before !== undefined && !(opts.before instanceof HTMLCanvasElement)) throw invalidArgument('before must be a canvas element.');
      if (typeof MediaStreamTrackProcessor === 'undefined') {
        throw new StylecastError('WORKER_FAILED', 'This browser cannot read frames from a MediaStream (no MediaStreamTrackProcessor).');
      }
      await stop();
      const input = track.clone(); // the page may keep showing the original
      const processor = new MediaStreamTrackProcessor({ track: input });
      let writable: WritableStream<VideoFrame> | null = null;
      let out: MediaStream;
      let display: OffscreenCanvas | null = null;
      let canvasEl = opts.canvas ?? null;
      if (typeof MediaStreamTrackGenerator !== 'undefined') {
        const generator = new MediaStreamTrackGenerator({ kind: 'video' });
        writable = generator.writable;
        out = new MediaStream([generator]);
      } else {
        // Fallback: the worker draws into a canvas and the stream is that canvas, captured.
        canvasEl ??= document.createElement('canvas');
        out = canvasEl.captureStream();
      }
      if (canvasEl) display = canvasEl.transferControlToOffscreen();
      const before = opts.before ? opts.before.transferControlToOffscreen() : null;
      const transfers: Transferable[] = [processor.readable as unknown as Transferable];
      if (writable) transfers.push(writable as unknown as Transferable);
      if (display) transfers.push(display);
      if (before) transfers.push(before);
      lastError = null;
      // This run's own cleanup: a late rejection of an old run must not stop a newer run's tracks.
      const ownCleanup = () => {
        input.stop();
        for (const t of out.getVideoTracks()) t.stop();
      };
      cleanup = ownCleanup;
      running = remote
        .run(Comlink.transfer(processor.readable, transfers), writable, display, track.getSettings().frameRate ?? null, before)
        .catch((e) => {
          lastError = e instanceof StylecastError ? e : new StylecastError('WORKER_FAILED', String(e));
          ownCleanup();
        });
      return out;
    },
    stop,
    ...forwardSettings((name, args) => (remote[name] as (...a: unknown[]) => Promise<void>)(...args)),
    async stylizeFile(file, opts = {}) {
      if (!(file instanceof Blob)) throw invalidArgument('stylizeFile needs a File or Blob.');
      await stop();
      const cancel = () => void remote.cancelConvert();
      if (opts.signal?.aborted) throw new StylecastError('CANCELLED', 'Stylising was cancelled.');
      opts.signal?.addEventListener('abort', cancel, { once: true });
      const progress = opts.onProgress ? Comlink.proxy((p: Progress) => opts.onProgress!(p)) : null;
      try {
        const output = opts.format === undefined && opts.gifFps === undefined && opts.gifSize === undefined ? null : { format: opts.format, gifFps: opts.gifFps, gifSize: opts.gifSize };
        return await remote.convert(file, progress, previewFor(opts.preview), output);
      } finally {
        opts.signal?.removeEventListener('abort', cancel);
      }
    },
    stats: () => remote.stats(),
    async dispose() {
      if (disposed) return 0;
      disposed = true;
      await stop().catch(() => {});
      const left = await remote.dispose();
      remote[Comlink.releaseProxy]();
      worker.terminate();
      return left;
    },
  };
}
