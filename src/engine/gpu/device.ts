// The WebGPU device our WGSL runs on (temporal stage, frame import, present): tfjs's own when tfjs runs on WebGPU,
// else one of our own.
import type { BackendChoice } from '../stylise/backend.ts';
import { isSoftwareAdapter } from './adapter.ts';

export interface TemporalDevice {
  device: GPUDevice | null;
  /** A software adapter (SwiftShader and the like): the temporal stage then plans a cheaper flow. */
  software: boolean;
  /** One sentence for the UI/CLI: where smoothing runs, or why it is off. */
  detail: string;
}

let ownDevice: Promise<TemporalDevice> | null = null;

/**
 * The WebGPU device our WGSL (temporal stage, import, present) runs on: tfjs's own when tfjs runs on WebGPU,
 * else one of our own (a software adapter is fine: the temporal stage is small next to the network).
 */
export function temporalDevice(choice: BackendChoice): Promise<TemporalDevice> {
  if (choice.device) {
    const software = choice.probes.some((p) => p.name === 'webgpu' && p.software);
    return Promise.resolve({ device: choice.device, software, detail: `on ${choice.name}'s own WebGPU device` });
  }
  ownDevice ??= (async () => {
    const gpu = typeof navigator !== 'undefined' ? navigator.gpu : undefined;
    const adapter = gpu ? ((await gpu.requestAdapter().catch(() => null)) ?? (await gpu.requestAdapter({ forceFallbackAdapter: true }).catch(() => null))) : null;
    if (!adapter) return { device: null, software: false, detail: 'off: this browser has no WebGPU, so temporal smoothing is unavailable' };
    // timestamp-query lets the temporal stage time its pass on the GPU instead of waiting for the queue.
    const requiredFeatures: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
    const device = await adapter.requestDevice({ requiredFeatures }).catch(() => null);
    if (!device) return { device: null, software: false, detail: 'off: the WebGPU device could not be created, so temporal smoothing is unavailable' };
    device.lost.then(() => (ownDevice = null));
    const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
    const software = isSoftwareAdapter(info);
    return {
      device,
      software,
      detail: `on a WebGPU device of its own (${[info.vendor, info.architecture].filter(Boolean).join(' ') || 'adapter'}${software ? ', a software adapter' : ''})`,
    };
  })();
  return ownDevice;
}
