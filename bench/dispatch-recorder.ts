// A view of a WebGPU device that notes every compute dispatch (pipeline, bind groups, grid) as it is recorded, the
// work itself running as usual: the benchmarks replay the noted dispatches one by one to time each alone
// (bench/stages-page.ts, bench/regions-passes-page.ts).

export interface NotedDispatch {
  pipeline: GPUComputePipeline;
  groups: [number, GPUBindGroup][];
  grid: [number, number, number];
}

/** A proxy of `target` whose `override(target, key)` answers first (undefined: the target's own member). */
function wrap<T extends object>(target: T, override: (t: T, key: string | symbol) => unknown): T {
  return new Proxy(target, {
    get: (t, key) => {
      const own = override(t, key);
      if (own !== undefined) return own;
      const v = Reflect.get(t, key);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
}

/** `real`, with every dispatch of its command encoders' compute passes handed to `onDispatch`. */
export function dispatchRecordingDevice(real: GPUDevice, onDispatch: (d: NotedDispatch) => void): GPUDevice {
  const pass = (p: GPUComputePassEncoder) => {
    let pipeline: GPUComputePipeline | null = null;
    const groups = new Map<number, GPUBindGroup>();
    return wrap(p, (t, key) =>
      key === 'setPipeline' ? (x: GPUComputePipeline) => (t.setPipeline(x), (pipeline = x))
      : key === 'setBindGroup' ? (n: number, g: GPUBindGroup) => (t.setBindGroup(n, g), groups.set(n, g))
      : key === 'dispatchWorkgroups' ? (x: number, y = 1, z = 1) => (t.dispatchWorkgroups(x, y, z), onDispatch({ pipeline: pipeline!, groups: [...groups], grid: [x, y, z] }))
      : undefined,
    );
  };
  const encoder = (e: GPUCommandEncoder) => wrap(e, (t, key) => (key === 'beginComputePass' ? (d?: GPUComputePassDescriptor) => pass(t.beginComputePass(d)) : undefined));
  return wrap(real, (t, key) => (key === 'createCommandEncoder' ? (d?: GPUCommandEncoderDescriptor) => encoder(t.createCommandEncoder(d)) : undefined));
}
