// The engine's own WebGPU device for a browser test file, with a check that it reported no uncaptured GPU error.
import { afterAll, beforeAll, expect } from 'vitest';
import { temporalDevice } from '../../src/engine/gpu/device.ts';
import { initBackend } from '../../src/engine/stylise/backend.ts';

/**
 * Call at the top of a test file (it registers the file's hooks; hooks registered inside a hook are ignored): the
 * device is there from the first `beforeAll` on, and the file fails at the end if the device reported an error.
 */
export function gpuDeviceForFile(): { readonly device: GPUDevice } {
  const ref = {} as { device: GPUDevice };
  const errors: string[] = [];
  beforeAll(async () => {
    const { device } = await temporalDevice(await initBackend('wasm'));
    if (!device) throw new Error('no WebGPU device');
    device.addEventListener('uncapturederror', (e) => errors.push((e as GPUUncapturedErrorEvent).error.message));
    ref.device = device;
  });
  afterAll(async () => {
    await ref.device?.queue.onSubmittedWorkDone(); // errors arrive as events: let the last ones land
    await new Promise((r) => setTimeout(r, 0));
    expect(errors).toEqual([]);
  });
  return ref;
}
