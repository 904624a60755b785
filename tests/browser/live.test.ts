// The live path in real Chromium: a fake webcam playing real footage → worker → stylised MediaStream.
import { describe, expect, it } from 'vitest';
import { createLiveStylizer, openCamera } from '../../src/engine/index.ts';

async function pixels(frame: VideoFrame, w = 64, h = 36): Promise<Uint8ClampedArray> {
  const c = new OffscreenCanvas(w, h);
  const ctx = c.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(frame, 0, 0, w, h);
  return ctx.getImageData(0, 0, w, h).data;
}

const meanAbs = (a: Uint8ClampedArray, b: Uint8ClampedArray) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) if (i % 4 !== 3) s += Math.abs(a[i] - b[i]);
  return s / (a.length * 0.75) / 255;
};

describe('live stylising in a worker', () => {
  it('process(camera) gives a live track of stylised frames; settings change mid-stream; dispose frees everything', async () => {
    const camera = await openCamera({ width: 320, height: 180 });
    const live = await createLiveStylizer({ backend: 'wasm', size: 32, temporal: 0.5 });
    expect(live.backend).toBe('wasm');
    expect(live.smoothing).toMatch(/WebGPU device/);
    const out = await live.process(camera);
    const track = out.getVideoTracks()[0];
    expect(track.readyState).toBe('live');
    const stylised = new MediaStreamTrackProcessor({ track }).readable.getReader();
    const raw = new MediaStreamTrackProcessor({ track: camera.getVideoTracks()[0].clone() }).readable.getReader();

    const seen: number[] = [];
    for (let i = 0; i < 6; i++) {
      const { value: frame } = await stylised.read();
      expect(frame).toBeDefined();
      const { value: cam } = await raw.read();
      expect([frame!.displayWidth, frame!.displayHeight]).toEqual([cam!.displayWidth, cam!.displayHeight]);
      seen.push(meanAbs(await pixels(frame!), await pixels(cam!)));
      frame!.close();
      cam!.close();
      if (i === 2) await live.setStyle('udnie'); // mid-stream
    }
    // Stylised, not the camera picture (the two reads are not the same instant, but stylisation dwarfs motion).
    expect(Math.min(...seen)).toBeGreaterThan(0.06);
    const stats = (await live.stats())!;
    expect(stats.framesOut).toBeGreaterThanOrEqual(6);
    expect(stats.networkMs).toBeGreaterThan(0);
    expect(stats.temporal).toBe(0.5);
    expect(stats.temporalMethod).toBe('strokes');
    await live.setTemporalMethod('average');
    await expect.poll(async () => (await live.stats())!.temporalMethod, { timeout: 20_000 }).toBe('average');
    expect(stats.dropped).toBeGreaterThanOrEqual(0);
    expect([stats.width, stats.height]).toEqual([320, 180]);

    await stylised.cancel();
    await raw.cancel();
    expect(await live.dispose()).toBe(0); // no tensor left in the worker
    expect(live.error).toBeNull();
    camera.getTracks().forEach((t) => t.stop());
  });

  it('rejects what is not a video stream, precisely', async () => {
    const live = await createLiveStylizer({ backend: 'wasm', size: 32 });
    await expect(live.process(new MediaStream())).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'The stream has no video track.' });
    await expect(live.setStrength(3)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(live.setTemporalMethod('blur' as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/temporalMethod must be one of strokes, average/) });
    await expect(live.setStyle('no_such_style')).rejects.toMatchObject({ code: 'UNKNOWN_STYLE' });
    expect((await fetch(live.presetImageUrl('udnie'))).headers.get('content-type')).toMatch(/image\/jpeg/);
    expect(() => live.presetImageUrl('nope')).toThrow(/Unknown style preset/);
    expect(await live.dispose()).toBe(0);
  });
});

describe('the worker also converts clips', () => {
  it('stylizeFile in the worker reports progress, keeps every frame, and can keep the input colours', async () => {
    const live = await createLiveStylizer({ backend: 'wasm', size: 32, temporal: 0, preserveColour: true });
    const clip = await (await fetch('/media/video/pexels-854100-people-walking-sidewalk-640x360-6s.webm')).blob();
    let calls = 0;
    const r = await live.stylizeFile(clip, { onProgress: () => calls++ });
    expect(r.frames).toBe(150);
    expect(calls).toBe(150);
    expect(r.blob.type).toBe('video/mp4');
    const controller = new AbortController();
    const cancelled = live.stylizeFile(clip, { signal: controller.signal, onProgress: (p) => p.framesDone === 3 && controller.abort() });
    await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await live.dispose()).toBe(0);
  });
});
