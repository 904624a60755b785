// The page the CLI drives: it runs the same engine the app uses.
import * as tf from '@tensorflow/tfjs-core';
import { StylecastError, createStylizer, isStylecastError, type OutputChunk, type StyleSource } from '../engine/index.ts';
import { initBackend } from '../engine/stylise/backend.ts';
import { temporalDevice } from '../engine/gpu/device.ts';
import { estimateFlow } from '../engine/temporal/estimate.ts';
import { encodeFlo } from '../engine/temporal/flo.ts';
import { reencodeParts } from '../engine/sinks/concat.ts';
import { IO_PREFIX, settingsComment, type ContentVectorResult, type FlowJob, type ReencodeJob, type ReencodeResult, type FlowResult, type JobResult, type StylizeJob } from './protocol.ts';

let controller: AbortController | null = null;

async function fetchBlob(name: string): Promise<Blob> {
  const r = await fetch(IO_PREFIX + name);
  if (!r.ok) throw new Error(`the CLI did not serve ${name} (HTTP ${r.status})`);
  return r.blob();
}

window.stylecastCancel = () => controller?.abort();

const failure = (e: unknown): { ok: false; code: StylecastError['code'] | 'INTERNAL'; message: string } =>
  isStylecastError(e) ? { ok: false, code: e.code, message: e.message } : { ok: false, code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };

async function image(name: string): Promise<ImageBitmap> {
  try {
    return await createImageBitmap(await fetchBlob(name));
  } catch (e) {
    throw new StylecastError('UNREADABLE_INPUT', `Image ${name === 'a' ? 'A' : 'B'} could not be decoded (use PNG, JPEG, WebP or GIF).`, { cause: e });
  }
}

window.stylecastFlow = async (job: FlowJob): Promise<FlowResult> => {
  try {
    const { device, detail } = await temporalDevice(await initBackend(job.backend));
    if (!device) throw new StylecastError('BACKEND_UNAVAILABLE', `Optical flow needs WebGPU: ${detail}.`);
    const [a, b] = [await image('a'), await image('b')];
    try {
      if (a.width !== b.width || a.height !== b.height) {
        throw new StylecastError('INVALID_ARGUMENT', `The images differ in size (${a.width}×${a.height} and ${b.width}×${b.height}).`);
      }
      const { width, height, flow } = await estimateFlow(device, a, b);
      let sum = 0;
      for (let i = 0; i < flow.length; i += 2) sum += Math.hypot(flow[i], flow[i + 1]);
      const put = await fetch(IO_PREFIX + 'output', { method: 'PUT', body: encodeFlo(width, height, flow) });
      if (!put.ok) throw new Error(`the CLI could not save the output (HTTP ${put.status})`);
      return { ok: true, width, height, meanMagnitude: sum / (width * height), device: detail };
    } finally {
      a.close();
      b.close();
    }
  } catch (e) {
    return failure(e);
  }
};

/**
 * The result sent to the CLI as it is made: each chunk (its byte position with it) is one `PUT name?at=N`, one at a
 * time and in order (a WritableStream calls write() only after the previous one resolved, so the encoder waits for the
 * disk instead of the page holding the file); `commit()` ends it with `PUT name?done=SIZE` once the job succeeded.
 * A piece the CLI could not write (a full disk: 507) calls `onFailure` at once: the job is stopped then, not after its
 * last frame (the muxer only notices a failed write when it finishes the file).
 */
function upload(name: string, onFailure?: (e: unknown) => void): { stream: WritableStream<OutputChunk>; commit(): Promise<void> } {
  let size = 0;
  const put = async (query: string, body?: Uint8Array) => {
    const r = await fetch(`${IO_PREFIX}${name}?${query}`, { method: 'PUT', body: body as BlobPart | undefined });
    if (!r.ok) throw new StylecastError('ENCODE_FAILED', `The CLI could not save the output (HTTP ${r.status}: ${await r.text().catch(() => '')}).`);
  };
  const stream = new WritableStream<OutputChunk>({
    async write(chunk) {
      try {
        await put(`at=${chunk.position}`, chunk.data);
      } catch (e) {
        onFailure?.(e);
        throw e;
      }
      size = Math.max(size, chunk.position + chunk.data.byteLength);
    },
  });
  return { stream, commit: () => put(`done=${size}`) };
}

/** Stops the running job when its output cannot be written, keeping that error as the job's (instead of CANCELLED). */
function stopOnWriteFailure(job: AbortController) {
  let failed: unknown = null;
  return {
    onFailure: (e: unknown) => {
      failed ??= e;
      job.abort();
    },
    error: (e: unknown) => failed ?? e,
  };
}

window.stylecastRun = async (job: StylizeJob): Promise<JobResult> => {
  controller = new AbortController();
  const writing = stopOnWriteFailure(controller);
  try {
    const style: StyleSource = job.stylePreset ?? (await fetchBlob('style'));
    const mixStyle: StyleSource | null = job.mixPreset ?? (job.mixImage ? await fetchBlob('mix') : null);
    const stylizer = await createStylizer({
      backend: job.backend,
      style,
      strength: job.strength,
      size: job.size,
      temporal: job.temporal,
      modelDir: job.models ? `${IO_PREFIX}models` : undefined,
      flowSize: job.flowSize,
      temporalMethod: job.temporalMethod,
      upsample: job.upsample,
      regions: job.regions,
      adaptiveDetail: job.adaptiveDetail,
      mix: mixStyle ? { style: mixStyle, weight: job.mixWeight } : null,
    });
    try {
      // The clip is read by ranged requests as the conversion goes, and the MP4 written out as it is made: neither is
      // held whole in the page, whatever the clip's size.
      const out = upload(job.outputName ?? 'output', writing.onFailure);
      const hash = job.settingsHash;
      const result = await stylizer.stylizeFile(IO_PREFIX + (job.inputName ?? 'input'), {
        signal: controller.signal,
        onProgress: (p) => window.stylecastProgress?.(p),
        output: out.stream,
        comment: hash === undefined ? undefined : (frames) => settingsComment(hash, frames),
        ...(job.format === 'gif' ? { format: 'gif' as const, ...(job.gifFps === undefined ? {} : { gifFps: job.gifFps }), ...(job.gifSize === undefined ? {} : { gifSize: job.gifSize }) } : {}),
        // A segment of a longer clip (src/cli/segments.ts): its frames, the warm-up before them, the clip's content vector.
        ...(job.range ? { range: job.range, warmupFrames: job.warmupFrames ?? 0 } : {}),
        ...(job.contentVector ? { contentVector: job.contentVector } : {}),
      });
      await out.commit();
      const { blob: _blob, ...facts } = result;
      return { ok: true, ...facts, backendReason: stylizer.backend.reason, smoothing: stylizer.smoothing.detail, upsampling: stylizer.upsampling().detail, regions: regionsDetail(stylizer, job), numTensors: tf.memory().numTensors };
    } finally {
      stylizer.dispose();
    }
  } catch (e) {
    return failure(writing.error(e));
  } finally {
    controller = null;
  }
};

/** `segments`: the clip's content vector, computed once per clip for all its segments (null when strength is 1: unused). */
window.stylecastContentVector = async (job: StylizeJob): Promise<ContentVectorResult> => {
  try {
    if (job.strength >= 1) return { ok: true, vector: null };
    // The content vector does not depend on the style: any preset will do.
    const stylizer = await createStylizer({ backend: job.backend, size: job.size, strength: job.strength, modelDir: job.models ? `${IO_PREFIX}models` : undefined });
    try {
      return { ok: true, vector: await stylizer.contentVector(IO_PREFIX + (job.inputName ?? 'input')) };
    } finally {
      stylizer.dispose();
    }
  } catch (e) {
    return failure(e);
  }
};

/** The report's line on per-region strength: the settings and where they ran, or why they were off; absent when unused. */
function regionsDetail(stylizer: { regions: { face: number; person: number; background: number; adaptiveDetail: number }; regionSupport: { available: boolean; detail: string } }, job: StylizeJob): string | undefined {
  const r = stylizer.regions;
  if (r.face === 1 && r.person === 1 && r.background === 1 && r.adaptiveDetail === 0 && !job.adaptiveDetail) return undefined;
  const what = `face ${r.face}, person ${r.person}, background ${r.background}${r.adaptiveDetail > 0 ? `, adaptive detail ${r.adaptiveDetail}` : ''}`;
  return stylizer.regionSupport.available ? `${what}, ${stylizer.regionSupport.detail}` : `${what} asked, but ${stylizer.regionSupport.detail}`;
}

/** `segments`: the parts decoded and encoded again into one track, when their packets cannot be copied as they are. */
window.stylecastReencode = async (job: ReencodeJob): Promise<ReencodeResult> => {
  controller = new AbortController();
  const writing = stopOnWriteFailure(controller);
  try {
    const out = upload(job.outputName, writing.onFailure);
    const parts = job.parts.map((name, i) => ({ source: new URL(IO_PREFIX + name, location.href), offsetSeconds: job.offsets[i] }));
    const r = await reencodeParts(parts, { output: out.stream }, controller.signal);
    await out.commit();
    return { ok: true, frames: r.frames, codec: r.codec };
  } catch (e) {
    return failure(writing.error(e));
  } finally {
    controller = null;
  }
};
