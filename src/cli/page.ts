// The page the CLI drives: it runs the same engine the app uses.
import * as tf from '@tensorflow/tfjs';
import { ALL_FORMATS, BlobSource, BufferTarget, Conversion, Input, Mp4OutputFormat, Output } from 'mediabunny';
import { StylecastError, createStylizer, isStylecastError, type StyleSource } from '../engine/index.ts';
import { initBackend } from '../engine/stylise/backend.ts';
import { temporalDevice } from '../engine/gpu/device.ts';
import { estimateFlow } from '../engine/temporal/estimate.ts';
import { encodeFlo } from '../engine/temporal/flo.ts';
import { IO_PREFIX, settingsComment, type FlowJob, type FlowResult, type JobResult, type StylizeJob } from './protocol.ts';

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

/** The MP4 again with `comment` in its metadata: every track's packets copied as they are (no re-encoding). */
async function withComment(mp4: Blob, comment: string): Promise<Blob> {
  const input = new Input({ source: new BlobSource(mp4), formats: ALL_FORMATS });
  const output = new Output({ format: new Mp4OutputFormat(), target: new BufferTarget() });
  const conversion = await Conversion.init({ input, output, tags: (tags) => ({ ...tags, comment }), showWarnings: false });
  if (!conversion.isValid) throw new Error('the stylised MP4 could not be copied to record its settings');
  await conversion.execute();
  return new Blob([output.target.buffer!], { type: 'video/mp4' });
}

window.stylecastRun = async (job: StylizeJob): Promise<JobResult> => {
  controller = new AbortController();
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
      mix: mixStyle ? { style: mixStyle, weight: job.mixWeight } : null,
    });
    try {
      const input = await fetchBlob(job.inputName ?? 'input');
      const result = await stylizer.stylizeFile(input, {
        signal: controller.signal,
        onProgress: (p) => window.stylecastProgress?.(p),
      });
      const body = job.settingsHash === undefined ? result.blob : await withComment(result.blob, settingsComment(job.settingsHash, result.frames));
      const put = await fetch(IO_PREFIX + (job.outputName ?? 'output'), { method: 'PUT', body });
      if (!put.ok) throw new Error(`the CLI could not save the output (HTTP ${put.status})`);
      const { blob: _blob, ...facts } = result;
      return { ok: true, ...facts, backendReason: stylizer.backend.reason, smoothing: stylizer.smoothing.detail, upsampling: stylizer.upsampling().detail, numTensors: tf.memory().numTensors };
    } finally {
      stylizer.dispose();
    }
  } catch (e) {
    return failure(e);
  } finally {
    controller = null;
  }
};
