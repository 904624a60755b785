// The live path in real Chromium: a fake webcam playing real footage → worker → stylised MediaStream.
import { describe, expect, it } from 'vitest';
import { createLiveStylizer, createStylizer, openCamera } from '../../src/engine/index.ts';

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
    const cameraFps = camera.getVideoTracks()[0].getSettings().frameRate!;
    expect(cameraFps).toBeGreaterThan(0);
    const live = await createLiveStylizer({ backend: 'wasm', size: 32, temporal: 0.5, adaptive: false });
    expect(live.backend).toBe('wasm');
    expect(live.smoothing).toMatch(/WebGPU device/);
    const before = document.createElement('canvas');
    const started = performance.now();
    const out = await live.process(camera, { before });
    const track = out.getVideoTracks()[0];
    expect(track.readyState).toBe('live');
    const stylised = new MediaStreamTrackProcessor({ track }).readable.getReader();
    const raw = new MediaStreamTrackProcessor({ track: camera.getVideoTracks()[0].clone() }).readable.getReader();

    const seen: number[] = [];
    let firstTimestamp: number | null = null;
    for (let i = 0; i < 6; i++) {
      const { value: frame } = await stylised.read();
      expect(frame).toBeDefined();
      firstTimestamp ??= frame!.timestamp;
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
    // Real rate and latency: measured, positive, and a latency no longer than the whole test.
    expect(stats.fps).toBeGreaterThan(0);
    expect(stats.latencyMs).toBeGreaterThan(0);
    expect(stats.latencyMs).toBeLessThan(60_000);
    // adaptive: false — the governor measures but keeps the user's size.
    expect(stats.governor).toMatchObject({ targetFps: 24, level: 0, size: 32 });
    expect(stats.governor!.summary).toMatch(/fixed quality/);
    await live.setTemporalMethod('average');
    await expect.poll(async () => (await live.stats())!.temporalMethod, { timeout: 20_000 }).toBe('average');
    // The output is presented on the WebGPU device: enlarged guided by the camera picture, cubic when asked.
    expect(stats.upsample).toBe('guided');
    await live.setUpsample('cubic');
    await expect.poll(async () => (await live.stats())!.upsample, { timeout: 20_000 }).toBe('cubic');
    expect([stats.width, stats.height]).toEqual([320, 180]);

    await stylised.cancel();
    await raw.cancel();
    await live.stop();
    const end = (await live.stats())!;
    const wallMs = performance.now() - started;
    // Every camera frame between the first and the last shown one was either stylised or counted as dropped, and no
    // more frames were counted than the camera can have made while the stream ran.
    // (The fake camera's timestamps jitter around its nominal rate: one frame of slack over the span.)
    const spanned = Math.round((end.shownTimestamp! - firstTimestamp!) / (1e6 / cameraFps)) + 1;
    expect(end.framesIn + end.dropped).toBeGreaterThanOrEqual(spanned - 1);
    expect(end.framesIn + end.dropped).toBeLessThanOrEqual((wallMs / 1000) * cameraFps + 2);
    // The "before" canvas (transferred to the worker) shows the camera's frames at their size.
    expect([before.width, before.height]).toEqual([320, 180]);
    expect(await live.dispose()).toBe(0); // no tensor left in the worker
    expect(live.error).toBeNull();
    camera.getTracks().forEach((t) => t.stop());
  });

  it('the "before" view shows the very input frame the shown output was made from', async () => {
    const stylizer = await createStylizer({ backend: 'wasm', size: 32, temporal: 0 });
    const colour = (i: number) => [(i * 37) % 256, 255 - ((i * 53) % 256), (i * 91) % 256];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let i = 0;
    // A source that holds frame 5 back: the engine then waits with frame 4 shown, nothing newer in hand.
    const readable = new ReadableStream<VideoFrame>(
      {
        async pull(c) {
          if (i === 5) await gate;
          if (i >= 8) return c.close();
          const canvas = new OffscreenCanvas(64, 36);
          const ctx = canvas.getContext('2d')!;
          ctx.fillStyle = `rgb(${colour(i).join(',')})`;
          ctx.fillRect(0, 0, 64, 36);
          c.enqueue(new VideoFrame(canvas, { timestamp: i * 50_000 }));
          i++;
        },
      },
      { highWaterMark: 0 },
    );
    const before = new OffscreenCanvas(1, 1);
    const running = stylizer.stylizeStream(readable, { before });
    await expect.poll(() => stylizer.stats()?.framesOut, { timeout: 60_000 }).toBe(5);
    expect(stylizer.stats()!.shownTimestamp).toBe(4 * 50_000);
    expect([before.width, before.height]).toEqual([64, 36]);
    const [r, g, b] = before.getContext('2d')!.getImageData(32, 18, 1, 1).data;
    const want = colour(4);
    expect(Math.max(Math.abs(r - want[0]), Math.abs(g - want[1]), Math.abs(b - want[2]))).toBeLessThanOrEqual(3);
    open();
    await running;
    expect(stylizer.stats()!.shownTimestamp).toBe(7 * 50_000);
    stylizer.dispose();
  });

  it('the governor lowers quality towards an out-of-reach target, applies what it chose and says so', async () => {
    const camera = await openCamera({ width: 320, height: 180 });
    // 240 fps is beyond any CPU for this network: the governor must step down from 128 px.
    const live = await createLiveStylizer({ backend: 'wasm', size: 128, temporal: 0.5, targetFps: 240 });
    await live.process(camera);
    await expect.poll(async () => (await live.stats())?.governor?.level ?? 0, { timeout: 120_000, interval: 200 }).toBeGreaterThan(0);
    // What it chose is what runs: the network's short side is the governor's size.
    await expect
      .poll(async () => {
        const s = (await live.stats())!;
        return s.inferHeight === s.governor!.size && s.governor!.size < 128;
      }, { timeout: 60_000, interval: 200 })
      .toBe(true);
    const g = (await live.stats())!.governor!;
    expect(g.targetFps).toBe(240);
    expect(g.summary).toMatch(/lowered to|at its floor/);
    await live.setTargetFps(5);
    await expect(live.setTargetFps(0)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect.poll(async () => (await live.stats())!.governor!.targetFps, { timeout: 20_000 }).toBe(5);
    expect(await live.dispose()).toBe(0);
    camera.getTracks().forEach((t) => t.stop());
  });

  it('rejects what is not a video stream, precisely', async () => {
    const live = await createLiveStylizer({ backend: 'wasm', size: 32 });
    await expect(live.process(new MediaStream())).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'The stream has no video track.' });
    await expect(live.setStrength(3)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(live.setTemporalMethod('blur' as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/temporalMethod must be one of strokes, average/) });
    await expect(live.setUpsample('bilinear' as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/upsample must be one of guided, cubic/) });
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
    // The preview: a canvas element the worker draws the clip on as it goes (handed over once, named after that).
    const preview = document.createElement('canvas');
    document.body.append(preview);
    const r = await live.stylizeFile(clip, { onProgress: () => calls++, preview });
    expect(r.frames).toBe(150);
    expect(calls).toBe(150);
    expect(r.blob.type).toBe('video/mp4');
    // It shows the last frame at the output's aspect (640×360 → 480×270), stylised (not blank).
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    const shown = await createImageBitmap(preview);
    expect([shown.width, shown.height]).toEqual([480, 270]);
    const probe = new OffscreenCanvas(48, 27).getContext('2d', { willReadFrequently: true })!;
    probe.drawImage(shown, 0, 0, 48, 27);
    const px = probe.getImageData(0, 0, 48, 27).data;
    const lum = Array.from({ length: px.length / 4 }, (_, i) => px[i * 4] + px[i * 4 + 1] + px[i * 4 + 2]);
    expect(Math.max(...lum) - Math.min(...lum)).toBeGreaterThan(60);
    await expect(live.stylizeFile(clip, { preview: 'canvas' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const controller = new AbortController();
    const cancelled = live.stylizeFile(clip, { signal: controller.signal, preview, onProgress: (p) => p.framesDone === 3 && controller.abort() });
    await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await live.dispose()).toBe(0);
  });
});
