// The live path: frames from a camera (or any stream) through the frame pipeline as fast as they can go, quality
// traded for time by the governor, frames dropped rather than queued, every figure an overlay needs.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName, TemporalMethod, Upsample } from '../constants.ts';
import { InputCanvasSink } from '../sinks/canvas.ts';
import { flowPlan } from '../temporal/index.ts';
import type { PipelineContext } from './context.ts';
import { createFrameStylizer, inferenceGeometry, type FrameStylizer } from './frame.ts';
import { Governor, RateMeter, type GovernorState } from './governor.ts';

/** What a live stream is doing, for an overlay. */
export interface LiveStats {
  running: boolean;
  framesIn: number;
  framesOut: number;
  /** Frames the camera produced that we never saw because we were busy (from timestamp gaps). */
  dropped: number;
  /** Output frames per second actually delivered (over the last few seconds; below 1 when that slow). */
  fps: number;
  /**
   * Camera frame to screen, ms, for the last frame shown: from the frame's capture timestamp (matched to our clock by
   * the earliest delivery seen) to its output being handed to the display. Null until measured.
   */
  latencyMs: number | null;
  /** What the live governor chose (size, flow size, smoothing) and whether the target is reachable here. */
  governor: GovernorState | null;
  /** Timestamp (µs) of the input frame the last shown output was made from. */
  shownTimestamp: number | null;
  /** From the stream's start to its first stylised frame on screen, ms (shader compiles included). */
  firstFrameMs: number | null;
  /** Last frame's stage costs, ms. */
  networkMs: number;
  temporalMs: number | null;
  /** The last frame's per-region work (masks, weak pass; see FrameTiming.regionsMs); null when regions are off. */
  regionsMs: number | null;
  width: number;
  height: number;
  inferWidth: number;
  inferHeight: number;
  backend: BackendName;
  smoothing: string;
  /**
   * The smoothing α the last frame got: the setting, or 0 where smoothing did not run for it — a stream's first frame
   * (it has no history: see FrameStylizerOptions.presentFirst), or the governor having turned smoothing off.
   */
  temporal: number;
  temporalMethod: TemporalMethod;
  /** How the last frame was enlarged: "guided" needs the output on a WebGPU device; without one it is "cubic". */
  upsample: Upsample;
  /** tfjs tensors alive in this engine (flat while running; 0 after dispose). */
  numTensors: number;
}

export interface StreamSinks {
  /** Where stylised frames are written (a MediaStreamTrackGenerator's writable), with the input's timestamps. */
  writable?: WritableStream<VideoFrame> | null;
  /** Where stylised frames are shown (a canvas transferred from the page); its size follows the input. */
  canvas?: OffscreenCanvas | null;
  /** The camera's frame rate, to count dropped frames from timestamp gaps. */
  frameRate?: number;
  /**
   * Where the input frame each shown output was made from is drawn (a 2d canvas transferred from the page), so a
   * before/after view compares the same moment.
   */
  before?: OffscreenCanvas | null;
}

/** One run of a live stream: owns its frame pipeline, governor and statistics. */
export class LiveStream {
  readonly #ctx: PipelineContext;
  readonly #rate = new RateMeter();
  #governor: Governor | null = null;
  #stopped = false;
  /** Resolves on `stop()`: a wait between frames ends with it. */
  readonly #stopping: Promise<void>;
  #stop!: () => void;
  readonly #stats: LiveStats;

  constructor(ctx: PipelineContext) {
    this.#ctx = ctx;
    this.#stopping = new Promise((resolve) => (this.#stop = resolve));
    const s = ctx.settings();
    this.#stats = {
      running: true, framesIn: 0, framesOut: 0, dropped: 0, fps: 0, latencyMs: null, governor: null, shownTimestamp: null, firstFrameMs: null,
      networkMs: 0, temporalMs: null, regionsMs: null, width: 0, height: 0, inferWidth: 0, inferHeight: 0, backend: ctx.backend.name,
      smoothing: ctx.gpu.detail, temporal: 0, temporalMethod: s.temporalMethod, upsample: s.upsample, numTensors: 0,
    };
  }

  /** Stops after the frame in hand. */
  stop(): void {
    this.#stopped = true;
    this.#stop();
  }

  /** The figures as they are now (the rate falls while no frame comes out). */
  stats(): LiveStats {
    return { ...this.#stats, fps: this.#rate.rate(performance.now()), governor: this.#governor?.state() ?? null, numTensors: tf.memory().numTensors };
  }

  /** Runs until the source ends, `stop()`, or an error (thrown). Closes every frame it reads. */
  async run(readable: ReadableStream<VideoFrame>, sinks: StreamSinks = {}): Promise<void> {
    const ctx = this.#ctx;
    const reader = readable.getReader();
    const writer = sinks.writable?.getWriter() ?? null;
    const before = sinks.before ? new InputCanvasSink(sinks.before) : null;
    const interval = sinks.frameRate && sinks.frameRate > 0 ? 1e6 / sinks.frameRate : null;
    let frames: FrameStylizer | null = null;
    let framesKey = '';
    let governorKey = '';
    let lastTimestamp: number | null = null;
    /** Earliest (arrival − capture timestamp) seen, ms: the camera's clock against ours. */
    let clockOffset = Infinity;
    const streamStarted = performance.now();
    const stats = this.#stats;
    try {
      while (!this.#stopped) {
        // What the next frame runs on the device is compiled before it is taken (on a software adapter the flow's and
        // the warp's programs compile after the first frame: GpuOutput.submitted). Taken first, its copy out of the
        // video frame waited for those compiles in the GPU process with this thread blocked (copyTo 100 → 350 ms in
        // the app, load 5–8), then its network ran, and only then did the page's stats() get an answer: the first
        // frame was on show 270–370 ms before the page could know. The frame taken after the wait is the newest.
        if (frames) {
          await Promise.race([frames.ready(), this.#stopping]);
          if (this.#stopped) break;
        }
        const { value: frame, done } = await reader.read();
        if (done || !frame) break;
        const arrived = performance.now();
        try {
          stats.framesIn++;
          if (lastTimestamp !== null && interval) stats.dropped += Math.max(0, Math.round((frame.timestamp - lastTimestamp) / interval) - 1);
          if (lastTimestamp !== null && frame.timestamp < lastTimestamp) {
            frames?.reset(); // the source went back: a seek (or a looping clip)
            clockOffset = Infinity;
          }
          lastTimestamp = frame.timestamp;
          clockOffset = Math.min(clockOffset, arrived - frame.timestamp / 1000);
          ctx.check();

          // The governor's ladder follows the user's settings; its level picks this frame's quality.
          const settings = ctx.settings();
          const canSmooth = ctx.gpu.device !== null;
          const guided = canSmooth && settings.upsample === 'guided';
          const gKey = `${settings.size}|${canSmooth && settings.temporal > 0}|${settings.flowSize}|${settings.adaptive}|${guided}`;
          if (!this.#governor || gKey !== governorKey) {
            const software = ctx.gpu.software;
            this.#governor = new Governor({
              targetFps: settings.targetFps, size: settings.size, smoothing: canSmooth && settings.temporal > 0, flowSize: settings.flowSize, guided, enabled: settings.adaptive,
              defaultFlowSide: (side) => flowPlan(side, side, software).size.width,
            });
            governorKey = gKey;
          }
          this.#governor.targetFps = settings.targetFps;
          const level = this.#governor.current;
          const g = inferenceGeometry(frame.displayWidth, frame.displayHeight, level.size);
          const fKey = `${JSON.stringify(g)}|${level.flowSize}|${level.flowEvery}`;
          if (!frames || fKey !== framesKey) {
            frames?.dispose();
            frames = null; // if the next line throws, the finally below must not dispose it again
            frames = createFrameStylizer(ctx.backend, ctx.model, g, { gpu: ctx.gpu, canvas: sinks.canvas ?? undefined, flowSide: level.flowSize, flowEvery: level.flowEvery, presentFirst: true });
            framesKey = fKey;
            await frames.warm(await ctx.bottleneck(frame, frames));
            Object.assign(stats, { width: g.width, height: g.height, inferWidth: g.inferWidth, inferHeight: g.inferHeight });
          }
          const alpha = frames.smoothing && level.smoothing ? settings.temporal : 0;
          const upsample = level.guided ? 'guided' : 'cubic'; // the governor may drop guided before lowering the size
          const t = await frames.render(frame, await ctx.bottleneck(frame, frames), alpha, { preserveColour: settings.preserveColour, temporalMethod: settings.temporalMethod, upsample, regions: await ctx.regions(frame, frames) });
          stats.shownTimestamp = frame.timestamp; // on the canvas now (the track may still refuse it below)
          Object.assign(stats, { networkMs: t.networkMs, temporalMs: t.temporalMs, regionsMs: t.regionsMs, temporal: t.temporalMs === null ? 0 : alpha, temporalMethod: settings.temporalMethod, upsample: t.upsample });
          if (writer) {
            const out = new VideoFrame(frames.canvas, { timestamp: frame.timestamp });
            try {
              await writer.write(out); // write() closes it
            } catch {
              out.close(); // not taken: ours to close
              break; // the output track was stopped: nobody is listening any more
            }
          }
          // The input frame beside it once the output is out (write() resolves when the device has drawn it): drawn
          // before, its 2d draw — on the first frame the 2d canvas's start in the GPU process too — went ahead of the
          // output's own work on the device, and it showed the new input while the old output was still on screen.
          before?.draw(frame);
          const shown = performance.now();
          stats.firstFrameMs ??= shown - streamStarted;
          stats.framesOut++;
          stats.latencyMs = shown - (frame.timestamp / 1000 + clockOffset);
          this.#rate.tick(shown);
          this.#governor.observe(shown - arrived, shown, t);
        } finally {
          frame.close();
        }
      }
    } finally {
      stats.running = false;
      stats.governor = this.#governor?.state() ?? null;
      frames?.dispose();
      reader.releaseLock();
      await readable.cancel().catch(() => {});
      await writer?.close().catch(() => {});
    }
  }
}
