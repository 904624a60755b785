import common from '../../../shaders/flow_common.wgsl?raw';
import blurRows from '../../../shaders/blur_rows.wgsl?raw';
import compose from '../../../shaders/compose.wgsl?raw';
import confidence from '../../../shaders/confidence.wgsl?raw';
import downsample from '../../../shaders/downsample.wgsl?raw';
import flowMedian from '../../../shaders/flow_median.wgsl?raw';
import flowSmooth from '../../../shaders/flow_smooth.wgsl?raw';
import lk from '../../../shaders/lk.wgsl?raw';
import luma from '../../../shaders/luma.wgsl?raw';
import splat from '../../../shaders/splat.wgsl?raw';
import gradient from '../../../shaders/gradient.wgsl?raw';
import warp from '../../../shaders/warp.wgsl?raw';

/** Every compute pipeline of the temporal stage, compiled once per device. */
export interface TemporalPipelines {
  luma: GPUComputePipeline;
  downsample: GPUComputePipeline;
  gradient: GPUComputePipeline;
  lk: GPUComputePipeline;
  median: GPUComputePipeline;
  smooth: GPUComputePipeline;
  splat: GPUComputePipeline;
  confidence: GPUComputePipeline;
  warp: GPUComputePipeline;
  blurRows: GPUComputePipeline;
  compose: GPUComputePipeline;
}

const cache = new WeakMap<GPUDevice, TemporalPipelines>();

export function temporalPipelines(device: GPUDevice): TemporalPipelines {
  let p = cache.get(device);
  if (!p) {
    const make = (label: string, code: string) =>
      device.createComputePipeline({
        label,
        layout: 'auto',
        compute: { module: device.createShaderModule({ label, code: `${common}\n${code}` }), entryPoint: 'main' },
      });
    p = {
      luma: make('luma', luma),
      downsample: make('downsample', downsample),
      gradient: make('gradient', gradient),
      lk: make('lk', lk),
      median: make('flow_median', flowMedian),
      smooth: make('flow_smooth', flowSmooth),
      splat: make('splat', splat),
      confidence: make('confidence', confidence),
      warp: make('warp', warp),
      blurRows: make('blur_rows', blurRows),
      compose: make('compose', compose),
    };
    cache.set(device, p);
  }
  return p;
}

/** Owns the buffers it creates and destroys them together. */
export class BufferSet {
  readonly #device: GPUDevice;
  readonly #buffers: GPUBuffer[] = [];
  readonly #querySets: GPUQuerySet[] = [];

  constructor(device: GPUDevice) {
    this.#device = device;
  }

  storage(label: string, bytes: number): GPUBuffer {
    return this.#make(label, Math.max(16, bytes), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
  }

  uniform(label: string, data: ArrayBuffer): GPUBuffer {
    const b = this.#make(label, Math.max(16, data.byteLength), GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    this.#device.queue.writeBuffer(b, 0, data);
    return b;
  }

  /** A buffer of any usage, owned like the others. */
  raw(label: string, bytes: number, usage: number): GPUBuffer {
    return this.#make(label, bytes, usage);
  }

  /** Takes ownership of a query set: destroyed with the buffers. */
  own(set: GPUQuerySet): GPUQuerySet {
    this.#querySets.push(set);
    return set;
  }

  #make(label: string, size: number, usage: number): GPUBuffer {
    const b = this.#device.createBuffer({ label, size: Math.ceil(size / 4) * 4, usage });
    this.#buffers.push(b);
    return b;
  }

  destroy(): void {
    for (const b of this.#buffers) b.destroy();
    for (const q of this.#querySets) q.destroy();
    this.#buffers.length = 0;
    this.#querySets.length = 0;
  }
}

/** Binds `buffers[i]` at binding i; leave a hole (`undefined`) for a binding the entry point does not use. */
export function bindGroup(device: GPUDevice, pipeline: GPUComputePipeline, buffers: (GPUBuffer | undefined)[]): GPUBindGroup {
  const entries: GPUBindGroupEntry[] = [];
  buffers.forEach((buffer, binding) => buffer && entries.push({ binding, resource: { buffer } }));
  return device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
}

export function dispatch(pass: GPUComputePassEncoder, pipeline: GPUComputePipeline, group: GPUBindGroup, width: number, height: number): void {
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(Math.ceil(width / 8), Math.ceil(height / 8));
}
