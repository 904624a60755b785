// First stylised frame after navigation, through the public API only (what an embedder's page does): the demo clip
// in a <video>, createLiveStylizer (engine in a worker, automatic backend), process(video.captureStream()), and the
// first frame read off the stylised output track. All times are performance.now(), i.e. ms since navigation start.
import { DEFAULT_SIZE, DEFAULT_STYLE, createLiveStylizer, type StartupTimes } from '../src/engine/index.ts';

/** The clip set-up installs (the app's demo clip), served by Vite from public/. */
export const FIRST_CLIP_URL = '/media/video/pexels-854100-people-walking-sidewalk-640x360-6s.webm';

export interface FirstFrameResult {
  /** ms since navigation start at each milestone. */
  marks: { moduleStart: number; engineReady: number; videoPlaying: number; processStarted: number; firstFrame: number };
  backend: string;
  backendReason: string;
  /** The engine's own breakdown of its start in the worker (LiveStylizer.startup). */
  startup: StartupTimes | null;
  smoothing: string;
  size: number;
  /**
   * Resources the page's main thread fetched (Resource Timing; the worker's model and wasm fetches are not in it):
   * count, bytes over the wire, served from the HTTP cache without asking, revalidated (304).
   */
  pageResources: { count: number; transferBytes: number; fromCache: number; revalidated: number };
}

declare global {
  interface Window {
    benchFirst?: Promise<FirstFrameResult>;
  }
}

const moduleStart = performance.now();

async function first(): Promise<FirstFrameResult> {
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.loop = true;
  video.src = FIRST_CLIP_URL;
  document.body.append(video);
  let videoPlaying = 0;
  const playing = video.play().then(() => (videoPlaying = performance.now()));
  const live = await createLiveStylizer({ size: DEFAULT_SIZE, style: DEFAULT_STYLE });
  const engineReady = performance.now();
  await playing;
  const capture = (video as HTMLVideoElement & { captureStream(): MediaStream }).captureStream();
  const processStarted = performance.now();
  const out = await live.process(capture);
  const reader = new MediaStreamTrackProcessor({ track: out.getVideoTracks()[0] }).readable.getReader();
  const { value } = await reader.read();
  const firstFrame = performance.now();
  value?.close();
  reader.releaseLock();
  const entries = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
  const result: FirstFrameResult = {
    marks: { moduleStart, engineReady, videoPlaying, processStarted, firstFrame },
    backend: live.backend,
    backendReason: live.backendReason,
    startup: live.startup,
    smoothing: live.smoothing,
    size: DEFAULT_SIZE,
    pageResources: {
      count: entries.length,
      transferBytes: entries.reduce((s, e) => s + e.transferSize, 0),
      fromCache: entries.filter((e) => e.transferSize === 0 && e.decodedBodySize > 0).length,
      revalidated: entries.filter((e) => e.transferSize > 0 && e.transferSize < e.encodedBodySize).length,
    },
  };
  void live.dispose();
  return result;
}

window.benchFirst = first();
