// The per-frame cost of the region work is reported with the other stage costs: FrameTiming.regionsMs on both kinds of
// backend (WebGPU: read when the queue gets there, never waited for; wasm: the time the frame spent on it), the clip's
// stageMs.regions and the live stats' regionsMs — a positive figure when regions run, null when they are off.
// Tiny frames: tfjs-webgpu on SwiftShader is slow. Background 0.5 alone: a whole-frame weak pass, no mask networks.
import { expect, it } from 'vitest';
import { createStylizer } from '../../src/engine/index.ts';
import { temporalDevice } from '../../src/engine/gpu/device.ts';
import { createFrameStylizer, inferenceGeometry, type FrameTiming } from '../../src/engine/pipeline/frame.ts';
import type { RegionRequest } from '../../src/engine/regions/index.ts';
import { initBackend } from '../../src/engine/stylise/backend.ts';
import { StyleModel, blendVectors } from '../../src/engine/stylise/model.ts';

const CLIP = '/media/video/pexels-854100-people-walking-sidewalk-640x360-6s.webm';
const BACKGROUND = { face: 1, person: 1, background: 0.5, adaptiveDetail: 0 };

function picture(k: number): VideoFrame {
  const c = new OffscreenCanvas(64, 36);
  const ctx = c.getContext('2d')!;
  for (let y = 0; y < 36; y += 4) for (let x = 0; x < 64; x += 4) {
    ctx.fillStyle = `rgb(${(x * 37 + y * 11 + k * 9) % 256}, ${(x * 5 + y * 29) % 256}, ${(x * y + k) % 256})`;
    ctx.fillRect(x, y, 4, 4);
  }
  return new VideoFrame(c, { timestamp: k * 40_000 });
}

for (const backend of ['webgpu', 'wasm'] as const) {
  it(`FrameTiming.regionsMs on ${backend}: measured when regions run (with and without smoothing), null when they do not`, async () => {
    const choice = await initBackend(backend);
    expect(choice.name).toBe(backend);
    const gpu = await temporalDevice(choice);
    const model = await StyleModel.load();
    const style = await model.presetVector('udnie');
    const frames = createFrameStylizer(choice, model, inferenceGeometry(64, 36, 32), { gpu });
    const first = picture(0);
    const content = frames.contentVector(first);
    first.close();
    const weak = blendVectors(style, content, 0.5);
    const request: RegionRequest = { settings: BACKGROUND, source: null, vector: () => weak };
    const device = gpu.device!;
    const timings: Record<string, FrameTiming[]> = {};
    try {
      for (const [name, temporal, regions] of [['off', 0.7, false], ['α 0.7', 0.7, true], ['α 0', 0, true]] as const) {
        frames.reset();
        timings[name] = [];
        for (let k = 0; k < 4; k++) {
          const frame = picture(k);
          try {
            timings[name].push(await frames.render(frame, style, temporal, { upsample: 'cubic', ...(regions ? { regions: request } : {}) }));
          } finally {
            frame.close();
          }
          // Let the queue finish (a test's pace, not the engine's: the engine never waits for these figures).
          await device.queue.onSubmittedWorkDone();
          await new Promise((r) => setTimeout(r, 0));
        }
      }
      const fmt = (t: FrameTiming[]) => t.map((x) => `${x.networkMs.toFixed(0)}/${x.regionsMs === null ? '-' : x.regionsMs.toFixed(0)}`).join(' ');
      console.log(`${backend} 64×36 from 32 px, network/regions ms per frame: off ${fmt(timings.off)}; α 0.7 ${fmt(timings['α 0.7'])}; α 0 ${fmt(timings['α 0'])}`);
      expect(timings.off.every((t) => t.regionsMs === null)).toBe(true);
      for (const name of ['α 0.7', 'α 0']) {
        // On WebGPU a frame reports the latest finished measurement (null until the first is in); on wasm, its own.
        // (On SwiftShader the queue reports the network's and the region work's submissions done together: ≈ 0 there.)
        const last = timings[name].at(-1)!;
        expect(last.regionsMs).not.toBeNull();
        expect(last.regionsMs).toBeGreaterThanOrEqual(0);
        expect(last.networkMs).toBeGreaterThan(0);
        if (backend === 'wasm') expect(timings[name].every((t) => t.regionsMs !== null && t.regionsMs > 0)).toBe(true);
      }
    } finally {
      frames.dispose();
      weak.dispose();
      content.dispose();
      style.dispose();
      model.dispose();
    }
  });
}

it('stylizeFile reports stageMs.regions (null without regions); a live stream\'s stats() say regionsMs', async () => {
  const clip = await (await fetch(CLIP)).blob();
  const stylizer = await createStylizer({ backend: 'wasm', size: 32, temporal: 0.5 });
  try {
    const plain = await stylizer.stylizeFile(clip, { range: { startFrame: 146 } });
    expect(plain.stageMs.regions).toBeNull();
    stylizer.setRegions({ background: 0.5 });
    const kept = await stylizer.stylizeFile(clip, { range: { startFrame: 146 } });
    console.log(`clip, 4 frames at 32 px on wasm: stageMs ${JSON.stringify(kept.stageMs)}`);
    expect(kept.stageMs.regions).toBeGreaterThan(0);
    expect(kept.stageMs.network).toBeGreaterThan(0);

    let i = 0;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const readable = new ReadableStream<VideoFrame>(
      {
        async pull(c) {
          if (i === 3) await gate; // hold the stream with frame 2 shown while the stats are read
          if (i >= 6) return c.close();
          c.enqueue(picture(i++));
        },
      },
      { highWaterMark: 0 },
    );
    const running = stylizer.stylizeStream(readable);
    await expect.poll(() => stylizer.stats()?.framesOut, { timeout: 60_000 }).toBe(3);
    expect(stylizer.stats()!.regionsMs).toBeGreaterThan(0);
    stylizer.setRegions({ background: 1 });
    open();
    await running;
    expect(stylizer.stats()!.regionsMs).toBeNull(); // frames 3–5 ran without regions
  } finally {
    stylizer.dispose();
  }
});
