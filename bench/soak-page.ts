// The soak benchmark's live page (bench/soak.ts drives it): the fake camera → createLiveStylizer → a stylised
// MediaStream shown in a <video>, kept running while Node samples the processes' memory; stats on demand.
import { DEFAULT_STYLE, createLiveStylizer, type LiveStats } from '../src/engine/index.ts';

export interface SoakLiveSample {
  stats: LiveStats | null;
  /** This page's JS heap (precise with --enable-precise-memory-info); the engine itself runs in a worker. */
  usedJSHeapSize: number | null;
  error: string | null;
}

declare global {
  interface Window {
    soakLiveStart(size: number, temporal: number): Promise<{ backend: string; smoothing: string; camera: MediaTrackSettings }>;
    soakLiveSample(): Promise<SoakLiveSample>;
    soakLiveStop(): Promise<{ tensorsLeft: number }>;
  }
}

let live: Awaited<ReturnType<typeof createLiveStylizer>> | null = null;
let camera: MediaStream | null = null;
let video: HTMLVideoElement | null = null;

window.soakLiveStart = async (size, temporal) => {
  camera = await navigator.mediaDevices.getUserMedia({ video: true });
  live = await createLiveStylizer({ size, temporal, style: DEFAULT_STYLE });
  const out = await live.process(camera);
  video = document.createElement('video');
  video.muted = true;
  video.srcObject = out;
  document.body.append(video);
  void video.play().catch(() => {});
  const t0 = performance.now();
  for (;;) {
    const s = await live.stats();
    if (s && s.framesOut > 0) break;
    if (live.error) throw live.error;
    if (performance.now() - t0 > 180_000) throw new Error('no stylised frame in 180 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { backend: String(live.backend), smoothing: String(live.smoothing), camera: camera.getVideoTracks()[0].getSettings() };
};

window.soakLiveSample = async () => {
  const memory = (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory;
  const stats = live ? await live.stats() : null;
  return { stats: stats ? { ...stats } : null, usedJSHeapSize: memory?.usedJSHeapSize ?? null, error: live?.error ? String(live.error) : null };
};

window.soakLiveStop = async () => {
  await live?.stop();
  if (video) {
    video.srcObject = null;
    video.remove();
  }
  camera?.getTracks().forEach((t) => t.stop());
  const tensorsLeft = live ? await live.dispose() : 0;
  live = null;
  return { tensorsLeft };
};
