// A lost GPU device: the stylizer says so with DEVICE_LOST instead of failing somewhere deep, and a new one works.
import { expect, it } from 'vitest';
import { createStylizer } from '../../src/engine/index.ts';

it('a lost device gives DEVICE_LOST; a new stylizer gets a new device and works', async () => {
  const clip = await (await fetch('/media/video/pexels-854100-people-walking-sidewalk-640x360-6s.webm')).blob();
  const first = await createStylizer({ backend: 'wasm', size: 32 });
  const device = first.smoothing.device!;
  expect(device).not.toBeNull();
  device.destroy();
  await device.lost;
  await expect(first.stylizeFile(clip)).rejects.toMatchObject({ code: 'DEVICE_LOST', message: expect.stringMatching(/GPU device was lost/) });
  first.dispose();

  const second = await createStylizer({ backend: 'wasm', size: 32, temporal: 0.5 });
  expect(second.smoothing.device).not.toBe(device);
  const controller = new AbortController();
  // a few frames are enough to show it works again
  await expect(second.stylizeFile(clip, { signal: controller.signal, onProgress: (p) => p.framesDone === 4 && controller.abort() })).rejects.toMatchObject({
    code: 'CANCELLED',
  });
  second.dispose();
});
