// The page bench/stages.ts drives: every step a frame takes on a CPU backend (tfjs-wasm) with smoothing on the
// WebGPU device of our own, timed one at a time (each step's GPU work waited for before the next starts), next to
// the steps of the same frame with smoothing off. Frames: consecutive frames of a shared clip (640×360). Two ends
// after smoothing: presented on the device (cubic or guided) and taken from its canvas as the encoder would, or read
// back and enlarged on the CPU (what a clip on a CPU backend does with a software adapter: pipeline/frame.ts readsBack).
import * as tf from '@tensorflow/tfjs';
import { temporalDevice } from '../src/engine/gpu/device.ts';
import { FrameImporter } from '../src/engine/gpu/frame-import.ts';
import { GpuCanvasSink } from '../src/engine/gpu/present.ts';
import { ReadbackRing } from '../src/engine/gpu/readback.ts';
import { inferenceGeometry } from '../src/engine/pipeline/frame.ts';
import { initBackend } from '../src/engine/stylise/backend.ts';
import { StyleModel } from '../src/engine/stylise/model.ts';
import { FrameReader, RgbxScaler } from '../src/engine/stylise/tensors.ts';
import type { FlowSettings } from '../src/engine/temporal/flow.ts';
import { TemporalStage, flowPlan } from '../src/engine/temporal/index.ts';
import { temporalPrograms } from '../src/engine/temporal/pipelines.ts';
import { dispatchRecordingDevice, type NotedDispatch } from './dispatch-recorder.ts';

const IO = '/__stylecast/';

export interface StageRun {
  info: string;
  width: number;
  height: number;
  inferWidth: number;
  inferHeight: number;
  flowWidth: number;
  flowHeight: number;
  /** ms per step, one entry per timed frame. */
  steps: Record<string, number[]>;
  /** The temporal stage's dispatches, each replayed alone (see profilePasses); empty unless asked for. */
  passes: PassTime[];
}

/** One kind of dispatch of the temporal stage (program and grid), with its time per frame. */
export interface PassTime {
  program: string;
  grid: string;
  /** How many times a frame dispatches it. */
  count: number;
  /** ms per frame for all `count` dispatches: the median over replays, minus the empty submit's time per dispatch. */
  ms: number[];
}

declare global {
  interface Window {
    benchStages(frames: string[], width: number, height: number, size: number, only?: 'passes', variant?: { program: string; code: string }, flow?: Partial<FlowSettings>): Promise<StageRun>;
  }
}

async function photo(name: string): Promise<ImageBitmap> {
  const r = await fetch(IO + encodeURIComponent(name));
  if (!r.ok) throw new Error(`cannot load ${name}: HTTP ${r.status}`);
  return createImageBitmap(await r.blob());
}

window.benchStages = async (names, width, height, size, only, variant, flow) => {
  const choice = await initBackend('wasm');
  const gpu = await temporalDevice(choice);
  if (!gpu.device) throw new Error(`no WebGPU device: ${gpu.detail}`);
  const device = gpu.device;
  const model = await StyleModel.load();
  const images = await Promise.all(names.map(photo));
  const frames = images.length - 2;
  const g = inferenceGeometry(width, height, size);
  const { inferWidth: w, inferHeight: h } = g;
  const plan = flowPlan(w, h, gpu.software);
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d')!;
  const frameAt = (i: number) => {
    ctx.drawImage(images[i], 0, 0, width, height);
    return new VideoFrame(canvas, { timestamp: i * 40_000 });
  };
  const bottleneck = tf.tidy(() => model.predict(tf.randomUniform([1, 256, 256, 3], 0, 1) as tf.Tensor4D));
  const reader = new FrameReader();
  const importer = new FrameImporter(device);
  const temporal = new TemporalStage(device, w, h, plan.size, plan.settings, { software: gpu.software });
  const sink = new GpuCanvasSink(device, width, height);
  // One stage per pair variant, each fed every frame once (real motion between its calls, as in the pipeline).
  const pairStages = [0, 1].map(() => new TemporalStage(device, w, h, plan.size, plan.settings, { software: gpu.software }));
  const upload = device.createBuffer({ size: w * h * 12, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  const lowUpload = device.createBuffer({ size: w * h * 12, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  const readback = new ReadbackRing(device);
  const scaler = new RgbxScaler(w, h, width, height);
  const rgbx = new Uint8ClampedArray(width * height * 4);
  const steps: Record<string, number[]> = {};
  const done = () => device.queue.onSubmittedWorkDone();
  const time = async <T>(step: string, i: number, f: () => T | Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const r = await f();
    await done();
    if (i >= 2) (steps[step] ??= []).push(performance.now() - t0);
    return r;
  };
  // The temporal stage whose dispatches are recorded as the frame runs, then replayed one by one.
  const recorder = new PassRecorder(device);
  // (only with `only === 'passes'`: the other steps run `temporal` above)
  const profiled = only === 'passes' ? new TemporalStage(recorder.device, w, h, plan.size, plan.settings, { software: gpu.software }) : null;
  if (variant) {
    // Another WGSL for one program, with the same bindings: its dispatches are replayed with both, in turn.
    const program = Object.values(temporalPrograms).find((p) => p.name === variant.program);
    if (!program) throw new Error(`no temporal program named ${variant.program}`);
    const layout = device.createPipelineLayout({ bindGroupLayouts: [program.layout(recorder.device)] });
    recorder.variant = {
      program: variant.program,
      pipeline: await device.createComputePipelineAsync({ label: `${variant.program} (variant)`, layout, compute: { module: device.createShaderModule({ code: variant.code }), entryPoint: 'main' } }),
    };
  }
  const passes = new Map<string, PassTime>();
  // With `flow`: a stage with those flow settings over the plan's, timed on the same frames in turn with the plan's.
  const other = flow ? new TemporalStage(device, w, h, plan.size, { ...plan.settings, ...flow }, { software: gpu.software }) : null;
  for (let i = 0; i < frames + 2; i++) {
    const frame = frameAt(i);
    try {
      if (only === 'passes') {
        const values = new Float32Array(w * h * 3);
        const x = await reader.read(frame, w, h);
        values.set(x.dataSync());
        x.dispose();
        device.queue.writeBuffer(upload, 0, values);
        const input = importer.import(frame, plan.size.width, plan.size.height);
        await done(); // the upload and the import, not to be counted in the stage
        recorder.start();
        // In turn, first one then the other, so that neither always runs on a device just woken.
        const mine = () => time('on: temporal stage', i, () => profiled!.process(input, upload, 0.7));
        const theirs = async () => void (other && (await time('on: temporal stage, flow settings given', i, () => other.process(input, upload, 0.7))));
        if (i % 2) await theirs().then(mine);
        else await mine().then(theirs);
        if (i >= 2) (steps['replay: all in one pass'] ??= []).push(await recorder.replay(passes));
        continue;
      }
      const x = await time('read frame → tensor (CPU)', i, () => reader.read(frame, w, h));
      const low = x.dataSync() as Float32Array<ArrayBuffer>;
      const values = await time('network (wasm) + data()', i, async () => {
        const y = tf.tidy(() => model.transform(x, bottleneck).squeeze([0]));
        const v = (await y.data()) as Float32Array<ArrayBuffer>;
        y.dispose();
        return v;
      });
      x.dispose();
      // smoothing off (the CPU path): cubic to RGBX bytes, a VideoFrame for the encoder
      await time('off: cubic to RGBX (CPU)', i, () => scaler.write(values, rgbx));
      await time('off: VideoFrame from RGBX', i, () => new VideoFrame(rgbx, { format: 'RGBX', codedWidth: width, codedHeight: height, timestamp: 0 }).close());
      // smoothing on (the device of our own)
      await time('on: upload stylised (writeBuffer)', i, () => device.queue.writeBuffer(upload, 0, values));
      await time('on: upload guide (writeBuffer)', i, () => device.queue.writeBuffer(lowUpload, 0, low));
      const input = await time('on: import frame at flow size', i, () => importer.import(frame, plan.size.width, plan.size.height));
      const blended = await time('on: temporal stage', i, () => temporal.process(input, upload, 0.7));
      await time('on: present cubic', i, () => sink.present(blended, w, h, undefined));
      await time('on: present guided', i, () => sink.present(blended, w, h, { frame: importer.texture(frame), low: lowUpload }));
      await time('on: VideoFrame from WebGPU canvas + copyTo', i, async () => {
        const vf = new VideoFrame(sink.canvas, { timestamp: 0 });
        const buf = new Uint8Array(vf.allocationSize());
        await vf.copyTo(buf);
        vf.close();
      });
      await time('on: read back blended + cubic to RGBX (CPU)', i, async () => (await readback.start(blended, w * h * 12)).take((v) => scaler.write(v, rgbx)));
      // Would overlapping pay? The next frame's network with this frame's smoothing in flight on the device, against
      // the two one after the other (same work; the device and wasm share the cores).
      const x2 = await reader.read(frame, w, h);
      const network = async () => {
        const y = tf.tidy(() => model.transform(x2, bottleneck).squeeze([0]));
        await y.data();
        y.dispose();
      };
      await time('pair: smoothing then network', i, async () => {
        pairStages[0].process(input, upload, 0.7);
        await done();
        await network();
      });
      await time('pair: smoothing while network', i, async () => {
        pairStages[1].process(input, upload, 0.7);
        await network();
      });
      x2.dispose();
    } finally {
      frame.close();
    }
  }
  bottleneck.dispose();
  profiled?.dispose();
  other?.dispose();
  temporal.dispose();
  pairStages.forEach((t) => t.dispose());
  importer.dispose();
  sink.dispose();
  readback.dispose();
  [upload, lowUpload].forEach((b) => b.destroy());
  images.forEach((b) => b.close());
  return { info: `tfjs ${choice.name}; smoothing ${gpu.detail}`, width, height, inferWidth: w, inferHeight: h, flowWidth: plan.size.width, flowHeight: plan.size.height, steps, passes: [...passes.values()] };
};

/**
 * A view of a device whose command encoders note every compute dispatch (pipeline, bind groups, grid) as it is
 * recorded, the work itself running as usual; `replay` then runs the noted dispatches again in the same order, each
 * in a submission of its own waited for, so each one's time is its own and its inputs are what the frame gave it.
 */
class PassRecorder {
  readonly device: GPUDevice;
  /** A second pipeline for the program of that name, replayed beside the original (as "<name> (variant)"). */
  variant: { program: string; pipeline: GPUComputePipeline } | null = null;
  #noted: NotedDispatch[] = [];
  readonly #real: GPUDevice;

  constructor(real: GPUDevice) {
    this.#real = real;
    this.device = dispatchRecordingDevice(real, (d) => this.#noted.push(d));
  }

  start(): void {
    this.#noted = [];
  }

  /**
   * Replays the noted dispatches REPS times in order, one by one; adds each kind's median time per frame to `into`.
   * Returns the median time of them all replayed in one pass.
   */
  async replay(into: Map<string, PassTime>, reps = 3): Promise<number> {
    const device = this.#real;
    const submit = async (record: (pass: GPUComputePassEncoder) => void): Promise<number> => {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      record(pass);
      pass.end();
      const t0 = performance.now();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    };
    const empty: number[] = [];
    const whole: number[] = [];
    const times = this.#noted.map(() => [] as number[]);
    const alt: number[][] = [];
    for (let r = 0; r < reps; r++) {
      empty.push(await submit(() => undefined));
      whole.push(
        await submit((pass) => {
          for (const d of this.#noted) {
            pass.setPipeline(d.pipeline);
            for (const [n, g] of d.groups) pass.setBindGroup(n, g);
            pass.dispatchWorkgroups(...d.grid);
          }
        }),
      );
      for (const [k, d] of this.#noted.entries()) {
        if (this.variant && d.pipeline.label === this.variant.program) {
          const v = this.variant.pipeline;
          (alt[k] ??= []).push(
            await submit((pass) => {
              pass.setPipeline(v);
              for (const [n, g] of d.groups) pass.setBindGroup(n, g);
              pass.dispatchWorkgroups(...d.grid);
            }),
          );
        }
        times[k].push(
          await submit((pass) => {
            pass.setPipeline(d.pipeline);
            for (const [n, g] of d.groups) pass.setBindGroup(n, g);
            pass.dispatchWorkgroups(...d.grid);
          }),
        );
      }
    }
    const base = middle(empty);
    const frame = new Map<string, PassTime>();
    const add = (label: string, grid: [number, number, number], ms: number) => {
      const key = `${label} ${grid.join('×')}`;
      const t = frame.get(key) ?? { program: label, grid: grid.join('×'), count: 0, ms: [0] };
      t.count++;
      t.ms[0] += Math.max(0, ms - base);
      frame.set(key, t);
    };
    for (const [k, d] of this.#noted.entries()) {
      add(d.pipeline.label, d.grid, middle(times[k]));
      if (alt[k]) add(`${d.pipeline.label} (variant)`, d.grid, middle(alt[k]));
    }
    for (const [key, t] of frame) {
      const all = into.get(key);
      if (all) all.ms.push(t.ms[0]);
      else into.set(key, t);
    }
    return middle(whole);
  }
}

function middle(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
