// The page the CLI drives: it runs the same engine the app uses.
import * as tf from '@tensorflow/tfjs';
import { createStylizer, isStylecastError, type StyleSource } from '../engine/index.ts';
import { IO_PREFIX, type JobResult, type StylizeJob } from './protocol.ts';

let controller: AbortController | null = null;

async function fetchBlob(name: string): Promise<Blob> {
  const r = await fetch(IO_PREFIX + name);
  if (!r.ok) throw new Error(`the CLI did not serve ${name} (HTTP ${r.status})`);
  return r.blob();
}

window.stylecastCancel = () => controller?.abort();

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
      mix: mixStyle ? { style: mixStyle, weight: job.mixWeight } : null,
    });
    try {
      const input = await fetchBlob('input');
      const result = await stylizer.stylizeFile(input, {
        signal: controller.signal,
        onProgress: (p) => window.stylecastProgress?.(p),
      });
      const put = await fetch(IO_PREFIX + 'output', { method: 'PUT', body: result.blob });
      if (!put.ok) throw new Error(`the CLI could not save the output (HTTP ${put.status})`);
      const { blob: _blob, ...facts } = result;
      return { ok: true, ...facts, backendReason: stylizer.backend.reason, numTensors: tf.memory().numTensors };
    } finally {
      stylizer.dispose();
    }
  } catch (e) {
    if (isStylecastError(e)) return { ok: false, code: e.code, message: e.message };
    return { ok: false, code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
  } finally {
    controller = null;
  }
};
