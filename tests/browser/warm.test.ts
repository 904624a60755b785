// Pipelines compiled ahead (gpu/program.ts `warm`, pipeline/warm.ts): after the warm-up, the first frame's programs
// are in the pipeline cache, so their first dispatch or draw compiles nothing. No timings here (bench (f) has them).
import { describe, expect, it } from 'vitest';
import { defineProgram, RenderProgram, warmPrograms, type ComputeProgram } from '../../src/engine/gpu/program.ts';
import { FIRST_FRAME_PROGRAMS, LATER_PROGRAMS, warmFramePrograms } from '../../src/engine/pipeline/warm.ts';
import { temporalPrograms } from '../../src/engine/temporal/pipelines.ts';
import { gpuDeviceForFile } from './gpu-device.ts';

const gpu = gpuDeviceForFile();

/** Counts the device's own (synchronous) pipeline compiles while `run` runs. */
function syncCompiles(device: GPUDevice, run: () => void): number {
  let n = 0;
  const compute = device.createComputePipeline.bind(device);
  const render = device.createRenderPipeline.bind(device);
  device.createComputePipeline = (d) => (n++, compute(d));
  device.createRenderPipeline = (d) => (n++, render(d));
  try {
    run();
  } finally {
    delete (device as Partial<GPUDevice>).createComputePipeline;
    delete (device as Partial<GPUDevice>).createRenderPipeline;
  }
  return n;
}

const format = () => navigator.gpu.getPreferredCanvasFormat();
const pipelineOf = (device: GPUDevice, p: ComputeProgram | RenderProgram) => (p instanceof RenderProgram ? p.pipeline(device, format()) : p.pipeline(device));

const tiny = (name: string, body = 'out[0] = 1u;') =>
  defineProgram({
    name,
    code: `@group(0) @binding(0) var<storage, read_write> out: array<u32>;\n@compute @workgroup_size(1) fn main() { ${body} }`,
    bindings: { out: 'storage' },
    workgroupSize: [1],
  });

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

  it("warmFramePrograms: the first frame's programs are ready when it resolves, the later ones after", async () => {
    const { device } = gpu;
    // Every program of the temporal stage is in one of the two sets; the sets do not overlap.
    const all = new Set<unknown>([...FIRST_FRAME_PROGRAMS, ...LATER_PROGRAMS]);
    for (const p of Object.values(temporalPrograms)) expect(all.has(p)).toBe(true);
    expect(all.size).toBe(FIRST_FRAME_PROGRAMS.length + LATER_PROGRAMS.length);
    const first = warmFramePrograms(device);
    expect(warmFramePrograms(device)).toBe(first); // once per device
    await first;
    expect(syncCompiles(device, () => FIRST_FRAME_PROGRAMS.forEach((p) => pipelineOf(device, p)))).toBe(0);
    await warmPrograms(device, LATER_PROGRAMS, format()); // joins the compiles already under way
    expect(syncCompiles(device, () => LATER_PROGRAMS.forEach((p) => pipelineOf(device, p)))).toBe(0);
  });
});
