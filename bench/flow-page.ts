// The page bench/flow.ts drives: makes the known-flow pairs with a canvas, runs our WGSL flow on them, and hands
// the exact pixels (PNG), the truth and our flow back to Node, which runs OpenCV on the same PNGs.
import { FrameImporter } from '../src/engine/gpu/frame-import.ts';
import { initBackend } from '../src/engine/stylise/backend.ts';
import { temporalDevice } from '../src/engine/gpu/device.ts';
import { estimateFlow, readBuffer } from '../src/engine/temporal/estimate.ts';
import { FlowField, FlowSolver, LumaPyramid, pyramidSizes } from '../src/engine/temporal/flow.ts';
import { flowPlan } from '../src/engine/temporal/index.ts';
import { BufferSet, temporalPipelines } from '../src/engine/temporal/pipelines.ts';
import { PHOTO_FILES, cases } from './pairs.ts';
import { base64 } from './photo.ts';

const IO = '/__stylecast/';

export interface FlowRun {
  width: number;
  height: number;
  /** Float32 (u, v) interleaved, base64. */
  flow: string;
  /** Wall ms per run (upload + pyramids + solve + readback), after one warm-up run. */
  ms: number[];
}

export interface OursResult {
  /** estimateFlow at full resolution with the default settings. */
  full: FlowRun;
  /** What the temporal stage computes on a software adapter (flowPlan): smaller frames, fewer iterations. */
  softwarePlan: FlowRun & { iterations: number };
}

export interface SyntheticCase {
  name: string;
  kind: string;
  params: Record<string, unknown>;
  width: number;
  height: number;
  /** PNG bytes of a and b, base64. */
  a: string;
  b: string;
  truth: string;
  mask: string;
  ours: OursResult;
}

declare global {
  interface Window {
    benchFlowInit(): Promise<string>;
    benchFlowCaseCount(width: number, height: number): number;
    benchFlowSynthetic(width: number, height: number, index: number, reps: number): Promise<SyntheticCase>;
    benchFlowReal(a: string, b: string, reps: number): Promise<OursResult>;
  }
}

let device: GPUDevice;

async function fetchBitmap(name: string): Promise<ImageBitmap> {
  const r = await fetch(IO + encodeURIComponent(name));
  if (!r.ok) throw new Error(`cannot load ${name}: HTTP ${r.status}`);
  return createImageBitmap(await r.blob(), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
}

/** estimateFlow with a flow size and settings of our choosing: the temporal stage's path (bilinear import at flow size). */
async function estimatePlanned(a: ImageBitmap, b: ImageBitmap): Promise<{ width: number; height: number; iterations: number; flow: Float32Array }> {
  const plan = flowPlan(a.width, a.height, true);
  const { width, height } = plan.size;
  const buffers = new BufferSet(device);
  const importer = new FrameImporter(device);
  try {
    const sizes = pyramidSizes(width, height, plan.settings);
    const pipelines = temporalPipelines(device);
    const pyramids = [new LumaPyramid(device, pipelines, buffers, sizes), new LumaPyramid(device, pipelines, buffers, sizes)];
    for (const [i, img] of [a, b].entries()) {
      const frame = new VideoFrame(img, { timestamp: 0 });
      const rgb = importer.import(frame, width, height);
      frame.close();
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pyramids[i].build(pass, rgb);
      pass.end();
      device.queue.submit([encoder.finish()]);
    }
    const out = new FlowField(buffers, sizes, 'planned');
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    new FlowSolver(device, buffers, sizes, plan.settings).solve(pass, pyramids[0], pyramids[1], out);
    pass.end();
    device.queue.submit([encoder.finish()]);
    const flow = new Float32Array(await readBuffer(device, out.result, width * height * 8));
    return { width, height, iterations: plan.settings.iterations, flow };
  } finally {
    importer.dispose();
    buffers.destroy();
  }
}

async function timed<T>(reps: number, run: () => Promise<T>): Promise<{ result: T; ms: number[] }> {
  let result = await run(); // warm-up (pipelines, allocation)
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    result = await run();
    ms.push(performance.now() - t0);
  }
  return { result, ms };
}

async function ours(a: ImageBitmap, b: ImageBitmap, reps: number): Promise<OursResult> {
  const full = await timed(reps, () => estimateFlow(device, a, b));
  const planned = await timed(reps, () => estimatePlanned(a, b));
  return {
    full: { width: full.result.width, height: full.result.height, flow: await base64(full.result.flow), ms: full.ms },
    softwarePlan: {
      width: planned.result.width,
      height: planned.result.height,
      iterations: planned.result.iterations,
      flow: await base64(planned.result.flow),
      ms: planned.ms,
    },
  };
}

const photos = new Map<string, ImageBitmap>();
async function photo(name: string): Promise<ImageBitmap> {
  let p = photos.get(name);
  if (!p) photos.set(name, (p = await fetchBitmap(name)));
  return p;
}

window.benchFlowInit = async () => {
  const { device: d, detail } = await temporalDevice(await initBackend('wasm'));
  if (!d) throw new Error(`no WebGPU device: ${detail}`);
  device = d;
  device.addEventListener('uncapturederror', (e) => console.error(`WebGPU error: ${(e as GPUUncapturedErrorEvent).error.message}`));
  return detail;
};

window.benchFlowCaseCount = (width, height) => cases(width, height).length;

window.benchFlowSynthetic = async (width, height, index, reps) => {
  const spec = cases(width, height)[index];
  const pair = spec.make({ main: await photo(PHOTO_FILES.main), object: await photo(PHOTO_FILES.object), flat: await photo(PHOTO_FILES.flat) });
  // Both sides see the PNG's pixels: ours runs on the decoded PNG, OpenCV on the file.
  const [pa, pb] = await Promise.all([pair.a.convertToBlob({ type: 'image/png' }), pair.b.convertToBlob({ type: 'image/png' })]);
  const opts: ImageBitmapOptions = { colorSpaceConversion: 'none', premultiplyAlpha: 'none' };
  const [a, b] = await Promise.all([createImageBitmap(pa, opts), createImageBitmap(pb, opts)]);
  try {
    return {
      name: spec.name,
      kind: spec.kind,
      params: spec.params,
      width,
      height,
      a: await base64(pa),
      b: await base64(pb),
      truth: await base64(pair.truth),
      mask: await base64(pair.mask),
      ours: await ours(a, b, reps),
    };
  } finally {
    a.close();
    b.close();
  }
};

window.benchFlowReal = async (an, bn, reps) => {
  const [a, b] = [await fetchBitmap(an), await fetchBitmap(bn)];
  try {
    return await ours(a, b, reps);
  } finally {
    a.close();
    b.close();
  }
};
