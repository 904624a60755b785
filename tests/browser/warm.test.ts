// Pipelines compiled ahead (gpu/program.ts `warm`, pipeline/warm.ts): after the warm-up, the first frame's programs
// are in the pipeline cache, so their first dispatch or draw compiles nothing; a frame stylizer compiles only what
// its path runs, the later frames' programs once its first frame is done. No timings here (bench (f) has them).
import { describe, expect, it } from 'vitest';
import { defineProgram, RenderProgram, type ComputeProgram } from '../../src/engine/gpu/program.ts';
import { createFrameStylizer, inferenceGeometry, readsBack } from '../../src/engine/pipeline/frame.ts';
import { CUBIC_PROGRAMS, FIRST_FRAME_PROGRAMS, GUIDED_PROGRAMS, LIVE_FIRST_PROGRAMS, LIVE_FIRST_PROGRAMS_SOFTWARE, PRESENT_PROGRAMS, framePrograms, warmFramePrograms, type FrameProgram } from '../../src/engine/pipeline/warm.ts';
import { initBackend } from '../../src/engine/stylise/backend.ts';
import { StyleModel } from '../../src/engine/stylise/model.ts';
import { pyramidSizes } from '../../src/engine/temporal/flow.ts';
import { flowPlan } from '../../src/engine/temporal/index.ts';
import { temporalPrograms } from '../../src/engine/temporal/pipelines.ts';
import { gpuDeviceForFile } from './gpu-device.ts';

const gpu = gpuDeviceForFile();

/**
 * Counts the device's own (synchronous) pipeline compiles while `run` runs — and, when it returns a promise, until
 * that settles (nothing else uses `device` meanwhile).
 */
function syncCompiles(device: GPUDevice, run: () => Promise<unknown>): Promise<number>;
function syncCompiles(device: GPUDevice, run: () => void): number;
function syncCompiles(device: GPUDevice, run: () => unknown): number | Promise<number> {
  let n = 0;
  const compute = device.createComputePipeline.bind(device);
  const render = device.createRenderPipeline.bind(device);
  device.createComputePipeline = (d) => (n++, compute(d));
  device.createRenderPipeline = (d) => (n++, render(d));
  const restore = () => {
    delete (device as Partial<GPUDevice>).createComputePipeline;
    delete (device as Partial<GPUDevice>).createRenderPipeline;
  };
  let result: unknown;
  try {
    result = run();
  } catch (e) {
    restore();
    throw e;
  }
  if (result instanceof Promise) return result.then(() => n).finally(restore);
  restore();
  return n;
}

const names = (ps: readonly { name: string }[]) => ps.map((p) => p.name);
const format = () => navigator.gpu.getPreferredCanvasFormat();
const pipelineOf = (device: GPUDevice, p: ComputeProgram | RenderProgram) => (p instanceof RenderProgram ? p.pipeline(device, format()) : p.pipeline(device));

const tiny = (name: string, body = 'out[0] = 1u;') =>
  defineProgram({
    name,
    code: `@group(0) @binding(0) var<storage, read_write> out: array<u32>;\n@compute @workgroup_size(1) fn main() { ${body} }`,
    bindings: { out: 'storage' },
    workgroupSize: [1],
  });

/**
 * A device of its own (the pipeline cache is per device, so nothing of another test is in it) that logs, by label,
 * every pipeline compiled ahead.
 */
async function loggedDevice(): Promise<{ device: GPUDevice; compiled: string[] }> {
  const adapter = await navigator.gpu.requestAdapter();
  const device = await adapter!.requestDevice();
  const compiled: string[] = [];
  const compute = device.createComputePipelineAsync.bind(device);
  const render = device.createRenderPipelineAsync.bind(device);
  device.createComputePipelineAsync = (d) => (compiled.push(d.label!), compute(d));
  device.createRenderPipelineAsync = (d) => (compiled.push(d.label!), render(d));
  return { device, compiled };
}

/**
 * What a frame stylizer of these tests is made from: a logged device of its own, wasm, the model, a preset's vector,
 * a 160×90 frame at 64 px; `release` frees them.
 */
async function stylizerParts(software: boolean) {
  const { device, compiled } = await loggedDevice();
  const choice = await initBackend('wasm');
  const model = await StyleModel.load();
  const style = await model.presetVector('udnie');
  const release = () => {
    style.dispose();
    model.dispose();
    device.destroy();
  };
  return { device, compiled, choice, model, style, geometry: inferenceGeometry(160, 90, 64), gpu: { device, software, detail: 'test' }, release };
}

/** `n` 160×90 frames of a box moving a few pixels a frame (the caller closes them). */
function movingBox(n: number): VideoFrame[] {
  return Array.from({ length: n }, (_, i) => {
    const c = new OffscreenCanvas(160, 90);
    const g = c.getContext('2d')!;
    g.fillStyle = '#345';
    g.fillRect(0, 0, 160, 90);
    g.fillStyle = '#e92';
    g.fillRect(40 + i * 3, 20 + i, 50, 40);
    return new VideoFrame(c, { timestamp: i * 40_000 });
  });
}

describe('pipelines compiled ahead', () => {
  it('warm() puts the pipeline in the cache that pipeline() reads; one compile however often it is asked', async () => {
    const { device } = gpu;
    const p = tiny(`warm-once-${Math.random()}`);
    const [a, b] = [p.warm(device), p.warm(device)];
    await Promise.all([a, b]);
    let first: GPUComputePipeline | undefined;
    expect(syncCompiles(device, () => (first = p.pipeline(device)))).toBe(0);
    expect(p.pipeline(device)).toBe(first);
    // The pipeline runs: the dispatch writes its word.
    const out = device.createBuffer({ size: 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(first!);
    pass.setBindGroup(0, p.bind(device, { out }).group);
    pass.dispatchWorkgroups(1);
    pass.end();
    encoder.copyBufferToBuffer(out, 0, read, 0, 4);
    device.queue.submit([encoder.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    expect(new Uint32Array(read.getMappedRange())[0]).toBe(1);
    read.unmap();
    out.destroy();
    read.destroy();
  });

  it('a program whose WGSL the device rejects: warm() resolves, and the first use compiles it and reports the error as before', async () => {
    const { device } = gpu;
    const bad = tiny(`warm-bad-${Math.random()}`, 'out[0] = undefined_name;');
    await bad.warm(device); // never rejects
    device.pushErrorScope('validation');
    expect(syncCompiles(device, () => bad.pipeline(device))).toBe(1);
    const error = await device.popErrorScope();
    expect(error?.message).toMatch(/undefined_name|unresolved/i);
  });

  it('framePrograms: the present only where frames are presented; of the LK windows, warps and low-band blurs, only those the flow plan runs', () => {
    const temporal: FrameProgram[] = Object.values(temporalPrograms);
    for (const software of [true, false]) {
      for (const presented of [true, false]) {
        const flow = flowPlan(456, 256, software);
        const { first, later } = framePrograms({ presented, flow });
        // The two sets do not overlap; the first is the common set, with the present's where it presents.
        expect(first.filter((p) => later.includes(p))).toEqual([]);
        expect(first).toEqual([...FIRST_FRAME_PROGRAMS, ...(presented ? PRESENT_PROGRAMS : [])]);
        for (const p of PRESENT_PROGRAMS) expect(later).not.toContain(p);
        // Every program of the temporal stage but the LK window and the warp the plan does not use is in one of them.
        const unused: FrameProgram[] = software
          ? [temporalPrograms.lk, temporalPrograms.warp, temporalPrograms.blurRows]
          : [temporalPrograms.lk5, temporalPrograms.warp4, temporalPrograms.lowHalf];
        expect(pyramidSizes(flow.size.width, flow.size.height, flow.settings).length).toBeGreaterThan(1);
        for (const p of temporal) expect([...first, ...later].includes(p), p.name).toBe(!unused.includes(p));
        // A software plan: 5×5 on every level; a hardware plan: 7×7 only.
        expect(names(later).filter((n) => n.startsWith('lk'))).toEqual(software ? ['lk_r2'] : ['lk']);
        // A software plan warps with the 4×4 Keys cubic, a hardware one with Lanczos-3 (FlowSettings.warpTaps).
        expect(names(later).filter((n) => n.startsWith('warp'))).toEqual(software ? ['warp_4'] : ['warp']);
        // A software plan blurs the low band at half size, a hardware one at full size (FlowSettings.lowBand).
        expect(names(later).filter((n) => n === 'blur_rows' || n === 'low_half')).toEqual(software ? ['low_half'] : ['blur_rows']);
      }
    }
    // The coarser levels' window is the plan's own: at 7×7 there, both are compiled.
    const software = flowPlan(456, 256, true);
    const mixed = { ...software, settings: { ...software.settings, coarseRadius: 3 as const } };
    expect(names(framePrograms({ presented: true, flow: mixed }).later).filter((n) => n.startsWith('lk'))).toEqual(['lk_r2', 'lk']);
    // A flow of one level on a software plan runs the 5×5 window alone.
    const one = flowPlan(456, 256, true);
    const tiny = { ...one, size: { width: 16, height: 16 } };
    expect(pyramidSizes(16, 16, one.settings).length).toBe(1);
    expect(framePrograms({ presented: false, flow: tiny }).later).not.toContain(temporalPrograms.lk);
    expect(framePrograms({ presented: false, flow: tiny }).later).toContain(temporalPrograms.lk5);
  });

  it("warmFramePrograms: the programs are ready when it resolves; asked again, it compiles nothing again", async () => {
    const { device } = gpu;
    const { first, later } = framePrograms({ presented: true, flow: flowPlan(456, 256, true) });
    await warmFramePrograms(device, first);
    expect(syncCompiles(device, () => first.forEach((p) => pipelineOf(device, p)))).toBe(0);
    await warmFramePrograms(device, later);
    expect(syncCompiles(device, () => later.forEach((p) => pipelineOf(device, p)))).toBe(0);
  });

  for (const [what, software, readBack] of [
    ['read back from a software adapter', true, true],
    ['presented on a hardware plan', false, false],
  ] as const) {
    it(`a frame stylizer ${what}: its warm-up compiles its first frame's programs, then the later ones${software ? ' once that frame is done' : ''}; no frame compiles on the device's thread`, { timeout: 300_000 }, async () => {
      const { device, compiled, choice, model, style, geometry, gpu, release } = await stylizerParts(software);
      expect(readsBack(choice, gpu)).toBe(readBack);
      const frames = createFrameStylizer(choice, model, geometry, { gpu, frames: true });
      const flow = flowPlan(geometry.inferWidth, geometry.inferHeight, software);
      const { first, later } = framePrograms({ presented: !readBack, flow });
      const inputs = movingBox(3);
      try {
        await frames.warm(style);
        expect(compiled.slice(0, first.length).sort()).toEqual(names(first).sort());
        let sync = 0;
        for (const [i, input] of inputs.entries()) {
          const n = compiled.length;
          sync += await syncCompiles(device, () => frames.render(input, style, 0.7, { upsample: 'guided' }));
          // A software adapter: the first frame starts no compile; the later frames' programs are compiled once its
          // work is done. A hardware GPU: they are started by the warm-up, once the first set is in.
          if (i === 0 && software) expect(compiled.length).toBe(n);
          const out = frames.takeFrame(input.timestamp);
          if (out && 'ready' in out) (await out.ready()).close();
          else out?.close();
          if (i === 0) {
            // ready(): once it resolves, what the next frame runs is compiled (a live stream waits on it before it
            // takes its next frame).
            await frames.ready();
            expect(syncCompiles(device, () => later.forEach((p) => pipelineOf(device, p)))).toBe(0);
          }
        }
        expect(sync).toBe(0);
        expect(compiled.slice(first.length).sort()).toEqual(names(later).sort());
        expect(compiled.includes('lk_r2')).toBe(software);
      } finally {
        inputs.forEach((f) => f.close());
        frames.dispose();
        release();
      }
    });
  }

  for (const software of [true, false]) {
    it(`a live stream's frame stylizer (presentFirst) on a ${software ? 'software adapter' : 'hardware plan'}: its first frame runs only the import and the present (the cubic on a software adapter, guided on a hardware one), unsmoothed; the temporal stage's programs compile after it (on a software adapter only once the caller asks for the next frame), and no frame compiles on the device's thread`, { timeout: 300_000 }, async () => {
      const { device, compiled, choice, model, style, geometry, gpu, release } = await stylizerParts(software);
      const frames = createFrameStylizer(choice, model, geometry, { gpu, presentFirst: true });
      const flow = flowPlan(geometry.inferWidth, geometry.inferHeight, software);
      const { first, next, later } = framePrograms({ presented: true, presentFirst: { enlarged: true, cubic: software }, flow });
      const liveFirst = software ? LIVE_FIRST_PROGRAMS_SOFTWARE : LIVE_FIRST_PROGRAMS;
      expect(names(first).sort()).toEqual(names(liveFirst).sort());
      expect(next).toEqual(expect.arrayContaining([...FIRST_FRAME_PROGRAMS.filter((p) => !liveFirst.includes(p)), ...(software ? GUIDED_PROGRAMS : CUBIC_PROGRAMS)]));
      const inputs = movingBox(3);
      try {
        await frames.warm(style);
        expect(compiled.slice(0, first.length).sort()).toEqual(names(first).sort());
        const timings: { temporalMs: number | null; upsample: string }[] = [];
        let sync = 0;
        for (const [i, input] of inputs.entries()) {
          if (i > 0) await frames.ready(); // as the live stream does before it takes a frame
          const n = compiled.length;
          sync += await syncCompiles(device, async () => timings.push(await frames.render(input, style, 0.7, { upsample: 'guided' })));
          // A software adapter: the first frame starts no compile, not even once the device has done its work: the rest
          // start when the caller asks for the next frame (ready(), below).
          if (i === 0 && software) {
            await device.queue.onSubmittedWorkDone();
            await new Promise((r) => setTimeout(r, 50));
            expect(compiled.length).toBe(n);
          }
          // ready() after the first frame: the stage's first pass is compiled; after the second (the first smoothed
          // one), the flow's programs too.
          if (i < 2) {
            await frames.ready();
            expect(syncCompiles(device, () => (i === 0 ? next : later).forEach((p) => pipelineOf(device, p)))).toBe(0);
          }
        }
        // Had the first frame run the temporal stage, its pyramid and compose (not warmed for it) would compile here.
        expect(sync).toBe(0);
        expect(timings[0].temporalMs).toBeNull();
        // What each frame says it got (the live stats report it): the first frame's cubic on a software adapter.
        expect(timings.map((t) => t.upsample)).toEqual([software ? 'cubic' : 'guided', 'guided', 'guided']);
        expect(compiled.slice(first.length).sort()).toEqual(names([...next, ...later]).sort());
      } finally {
        inputs.forEach((f) => f.close());
        frames.dispose();
        release();
      }
    });
  }
});
