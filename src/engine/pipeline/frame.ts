// One frame's journey: import → network → temporal → present, for one output size. Composes the stages; owns every
// resource of the frame in flight (see DESIGN: a VideoFrame is closed by its owner, buffers by the stage that made them).
import * as tf from '@tensorflow/tfjs-core';
import type { TemporalMethod, Upsample } from '../constants.ts';
import type { TemporalDevice } from '../gpu/device.ts';
import { FrameImporter, type NormRect } from '../gpu/frame-import.ts';
import { GpuCanvasSink, type Guide } from '../gpu/present.ts';
import { ReadbackRing, type PendingRead } from '../gpu/readback.ts';
import { Canvas2DSink } from '../sinks/canvas.ts';
import { PendingFrame } from '../sinks/pending-frame.ts';
import type { BackendChoice } from '../stylise/backend.ts';
import { STYLE_SIZE, type StyleModel } from '../stylise/model.ts';
import { FrameReader, RgbxScaler, bufferToInput, keepColours, pixelsToInput, rgbToImage } from '../stylise/tensors.ts';
import { TemporalStage, flowPlan } from '../temporal/index.ts';
import { CropReader, RegionStage, frameMasks, regionsActive, type RegionRequest, type WeakPass } from '../regions/index.ts';
import { framePrograms, warmFramePrograms, type FrameProgram } from './warm.ts';

/** Frames the GPU may still be working on when the next one starts: enough to overlap CPU and GPU, no backlog. */
const FRAMES_IN_FLIGHT = 2;

export interface FrameGeometry {
  /** Output (display) size. */
  width: number;
  height: number;
  /** Network input size, multiples of 4 (also the size the temporal stage works at). */
  inferWidth: number;
  inferHeight: number;
}

export interface FrameTiming {
  /**
   * Frame in → stylised pixels ready (GPU work done), ms. On WebGPU nothing waits for the GPU, so this is the
   * latest frame whose network work has finished (0 until the first one has).
   */
  networkMs: number;
  /** Flow + confidence + blend, ms; null when temporal smoothing did not run for this frame. */
  temporalMs: number | null;
  /**
   * The frame's per-region work, ms: the masks (person segmenter, face detector) and the weak network pass, and on
   * WebGPU without smoothing the region stage's WGSL (map and blend); null when per-region strength did not run for
   * this frame. With smoothing that WGSL is recorded into the temporal stage's pass and counted in `temporalMs`; on a
   * CPU backend without smoothing it is in neither (two small passes: 5 % of the network's time in bench:regions).
   * On WebGPU nothing waits for it: it is the queue's time from the network's work being done to the region work
   * being done, read when the GPU gets there (the latest finished frame's, like `networkMs`) — on a hardware GPU.
   * A software adapter (SwiftShader) reports consecutive submissions done together: there it reads about 0 and
   * `networkMs` holds the region work too (measured: 0–2 ms beside a 1.3–7.9 s network on 64×36 frames, for a weak
   * pass as large as the network). On a CPU backend it is the time the frame spent on that work (it runs there,
   * after the network's pixels are read), not in `networkMs`.
   */
  regionsMs: number | null;
  /**
   * How this frame was enlarged to the output's size: guided, or the cubic (asked for; guided where there is no
   * WebGPU device to run it on; and a live stream's first frame on a software adapter, see
   * FrameStylizerOptions.presentFirst). What the live stats report.
   */
  upsample: Upsample;
}

/**
 * The per-frame hot path for one output size: frame in, stylised (and temporally smoothed) pixels on `canvas`.
 * One implementation per kind of backend; each keeps exactly one owner for every tensor and GPU resource.
 */
export interface FrameStylizer {
  readonly canvas: OffscreenCanvas;
  readonly geometry: FrameGeometry;
  /** False when there is no WebGPU device: then `temporal` is ignored. */
  readonly smoothing: boolean;
  /** False when there is no WebGPU device: then per-region strength is off too. */
  readonly regions: boolean;
  /** Style vector of the frame's content (centre crop), for strength < 1. Owned by the caller. */
  contentVector(frame: VideoFrame): tf.Tensor4D;
  /**
   * Stylises `frame` with `bottleneck` onto `canvas`, blended with the previous output by `temporal` (0..1; 0 is
   * exactly per-frame). Does not close the frame.
   */
  render(frame: VideoFrame, bottleneck: tf.Tensor4D, temporal: number, options?: RenderOptions): Promise<FrameTiming>;
  /**
   * Compiles the network's GPU programs for this size before the first frame (WebGPU; a no-op elsewhere), so the
   * first frame costs a run, not a run plus every compile in turn.
   */
  warm(bottleneck: tf.Tensor4D): Promise<void>;
  /**
   * Resolves once what the next frame runs on the device is compiled: after the first smoothed frame, the later
   * frames' programs (see GpuOutput.submitted); at once otherwise, and without a device.
   */
  ready(): Promise<void>;
  /**
   * The last rendered frame as a `VideoFrame` of its own (the caller closes it or hands it on), when this stylizer was
   * made with `frames: true` and keeps its output in CPU memory (a CPU backend without smoothing); else null: take
   * `canvas`.
   */
  takeFrame(timestamp: number, duration?: number): VideoFrame | PendingFrame | null;
  /** Forget the previous output (a seek, a new shot). */
  reset(): void;
  dispose(): void;
}

export interface RenderOptions {
  /** Keep the input's colours: the stylisation changes only luminance (texture, strokes). */
  preserveColour?: boolean;
  /** How the history and the new frame are combined (default "strokes"). */
  temporalMethod?: TemporalMethod;
  /** Per-region strength (src/engine/regions); ignored where `regions` is false (no WebGPU). */
  regions?: RegionRequest;
  /**
   * How the output is enlarged to the frame's size (default "guided"): guided by the full-resolution frame where the
   * output is presented on a WebGPU device; the CPU path (no device) is always "cubic".
   */
  upsample?: Upsample;
}

/** Short side → inference size: `size` rounded to a multiple of 4, never above the frame's own short side. */
export function inferenceGeometry(width: number, height: number, size: number): FrameGeometry {
  const short = Math.min(width, height);
  const target = Math.max(16, Math.round(Math.min(size, Math.max(short, 16)) / 4) * 4);
  const scale = target / short;
  const r4 = (v: number) => Math.max(16, Math.round((v * scale) / 4) * 4);
  return { width, height, inferWidth: r4(width), inferHeight: r4(height) };
}

function centreCrop(width: number, height: number): NormRect {
  const s = Math.min(width, height);
  return { x: (width - s) / 2 / width, y: (height - s) / 2 / height, width: s / width, height: s / height };
}

/**
 * `gpu` is where our WGSL runs (see `temporalDevice`): tfjs's own on WebGPU, a device of our own with the CPU
 * backends, or none when the browser has no WebGPU (then output goes through a 2D canvas, unsmoothed).
 */
export interface FrameStylizerOptions {
  /** Where our WGSL runs (see `temporalDevice`). */
  gpu: TemporalDevice;
  /** Draw into this canvas (e.g. one transferred from the page) instead of a new one; it is resized to fit. */
  canvas?: OffscreenCanvas;
  /** The flow's short side in pixels (default: the output's on a hardware GPU, less on a software one). */
  flowSide?: number;
  /** Solve the flow on one frame in this many (FlowSettings.solveEvery; default 1): the live governor's last rung before smoothing off. */
  flowEvery?: number;
  /**
   * Output surfaces to alternate between (default 1). With 2, the canvas of frame t stays untouched while frame t+1
   * is rendered, so an encoder can take frame t one step later, after its GPU work had time to finish. Ignored
   * with a caller's canvas (one surface) and without WebGPU (the 2d path does not queue work).
   */
  surfaces?: 1 | 2;
  /**
   * The output goes to an encoder, not a screen: where the frame's pixels end on the CPU, build `VideoFrame`s
   * straight from them (`takeFrame`) and draw no canvas. Ignored with a caller's canvas. On a CPU backend that is
   * always so without smoothing, and with smoothing on a software adapter too (see `readsBack`).
   */
  frames?: boolean;
  /**
   * The first frame is presented as the network made it, and smoothing starts with the second (a live stream's first
   * frame: what shows first is what the user waits for). That frame runs only the import and the present on the
   * device — no temporal pass, no compile of the stage's programs in front of it: they compile once it is on show,
   * and `ready()` waits for them before the second frame. On a software adapter that frame is enlarged by the cubic
   * (the guided present costs 7.4× the cubic there: bench:upsample), and the second frame's programs start compiling
   * at `ready()` — after the caller has handed the first frame on — not as soon as the queue has finished it.
   * Ignored where frames are read back (nothing presented).
   */
  presentFirst?: boolean;
}

export function createFrameStylizer(backend: BackendChoice, model: StyleModel, geometry: FrameGeometry, options: FrameStylizerOptions): FrameStylizer {
  const { gpu, canvas, flowSide } = options;
  const frames = !canvas && !!options.frames;
  const readback = frames && readsBack(backend, gpu);
  const surfaces = readback ? 0 : canvas ? 1 : (options.surfaces ?? 1);
  const output = (device: GPUDevice) =>
    new GpuOutput(device, flowPlan(geometry.inferWidth, geometry.inferHeight, gpu.software, flowSide, options.flowEvery), geometry, canvas, gpu.software, surfaces, options.presentFirst ?? false);
  const device = backend.device ?? gpu.device;
  const out = device ? output(device) : null;
  try {
    return backend.device ? new GpuFrameStylizer(out!, model, geometry) : new CpuFrameStylizer(model, geometry, out, canvas, frames, readback);
  } catch (e) {
    out?.dispose(); // one owner: what this function made, it frees when it cannot hand it on
    throw e;
  }
}

/**
 * Whether a clip's frames on a CPU backend come back from the WGSL device to the CPU (one copy out, taken by the
 * encoder one frame late) and are enlarged there by the cubic, instead of being presented on the device and read
 * back from its canvas by the encoder: so without a device, and on a software adapter, where the guided present and
 * the canvas's readback cost about as much as the network and hold it back (bench:stages: 111 + 21 ms against 8 ms
 * at 640×360, network 133 ms; `npm run bench` at 256 px: a smoothed clip 3.15× a clip without smoothing read back,
 * 4.11× presented guided the day before), for the same flicker and detail (bench:temporal). Guided needs the
 * present: a GPU.
 */
export function readsBack(backend: BackendChoice, gpu: TemporalDevice): boolean {
  return !backend.device && (!gpu.device || gpu.software);
}

/** A frame already on the GPU as float32 NHWC RGB (the importer's buffer). */
interface Imported {
  buffer: GPUBuffer;
  width: number;
  height: number;
}

/** The WGSL side shared by both paths: import for the flow, temporal stage, WebGPU canvas. */
class GpuOutput {
  readonly device: GPUDevice;
  readonly importer: FrameImporter;
  readonly temporal: TemporalStage;
  readonly #sinks: GpuCanvasSink[] = [];
  /** The surface the last frame was presented on. */
  #shown = 0;
  /** Frames whose GPU work (import, network, smoothing, present) the queue has not finished yet. */
  readonly #inFlight: Promise<void>[] = [];
  /**
   * What this output's first frame runs, what the second adds where the first is presented unsmoothed, and what the
   * frames after the first smoothed one add (see pipeline/warm.ts).
   */
  readonly #programs: { first: FrameProgram[]; next: FrameProgram[]; later: FrameProgram[] };
  /** The later frames' programs being compiled (see `submitted`); null before they start. */
  #later: Promise<void> | null = null;
  /** With `presentFirst`: the second frame's programs being compiled (see `submitted`); null before they start. */
  #next: Promise<void> | null = null;
  /** The first frame is presented unsmoothed (FrameStylizerOptions.presentFirst) and has not been submitted yet. */
  #presentFirst: boolean;
  /** That first frame was asked for with smoothing (so the second will be smoothed: its programs are due). */
  #firstWanted = false;
  /** A smoothed frame has been submitted: the frames after it run the later programs. */
  #smoothed = false;
  readonly #software: boolean;

  constructor(device: GPUDevice, plan: ReturnType<typeof flowPlan>, g: FrameGeometry, canvas: OffscreenCanvas | undefined, software: boolean, surfaces: number, presentFirst: boolean) {
    this.device = device;
    this.#presentFirst = presentFirst && surfaces > 0;
    const enlarged = g.width !== g.inferWidth || g.height !== g.inferHeight;
    this.#programs = framePrograms({ presented: surfaces > 0, presentFirst: this.#presentFirst ? { enlarged, cubic: software } : undefined, flow: plan });
    this.#software = software;
    this.importer = new FrameImporter(device);
    try {
      this.temporal = new TemporalStage(device, g.inferWidth, g.inferHeight, plan.size, plan.settings, { software });
      try {
        for (let i = 0; i < surfaces; i++) this.#sinks.push(new GpuCanvasSink(device, g.width, g.height, canvas));
        this.#shown = surfaces - 1;
      } catch (e) {
        for (const s of this.#sinks) s.dispose();
        this.temporal.dispose();
        throw e;
      }
    } catch (e) {
      this.importer.dispose();
      throw e;
    }
  }

  /**
   * Compiles what this output's first frame runs (the present's only where it presents); resolves when done. On a
   * hardware GPU the later frames' programs follow at once (see `submitted`).
   */
  warm(): Promise<void> {
    const first = warmFramePrograms(this.device, this.#programs.first);
    if (!this.#software) this.#compileLater(this.#compileNext(first));
    return first;
  }

  /**
   * The smoothing of the frame about to be rendered: `temporal`, except 0 on a first frame presented unsmoothed
   * (FrameStylizerOptions.presentFirst). Both stylizers render with what this says.
   */
  temporalFor(temporal: number): number {
    if (!this.#presentFirst) return temporal;
    this.#firstWanted = temporal > 0;
    return 0;
  }

  /**
   * Before a frame's WGSL: once the first frame has been presented unsmoothed, waits for the second frame's programs
   * (the temporal stage's first pass); once a smoothed frame has gone through, for the later frames' programs (the
   * flow, its confidence, the warp), so that no frame compiles one on the device's thread in front of its own work.
   */
  async ready(): Promise<void> {
    // Software adapter: the first frame is out (the caller asks before its next frame), so the second's programs start
    // now. Started when the queue had finished the first frame, their compiles (CPU work in the GPU process) ran
    // beside its way to the screen: the stream's write of it took 2.3 s after the device's work at load 13, 0.84–0.94 s
    // with them held back (instrumented runs of the minimal page, 2026-12-02).
    if (this.#firstWanted && !this.#presentFirst && !this.#next) this.#compileLater(this.#compileNext(Promise.resolve()));
    if (this.#next) await this.#next;
    if (this.#smoothed) await this.#compileLater(Promise.resolve());
  }

  /**
   * After a frame's last submit. The first time the temporal stage ran, the later frames' programs are compiled once
   * the queue has finished that frame (if they have not started yet): on a software adapter (SwiftShader) a compile
   * is CPU work like the device's own, and compiling them beside the first frame made it later (npm run bench (f):
   * bench/results/suite-vm-first-frame-*.json). On a hardware GPU they started with the warm-up's, as before: there
   * the driver compiles on threads of its own while the frame runs on the GPU.
   */
  submitted(temporal: number): void {
    if (this.#presentFirst) {
      // The first frame is on its way to the screen: the second frame's programs compile once the queue has finished
      // it (on a software adapter a compile is CPU work like the frame's; on a hardware GPU they started with the
      // warm-up), then the later frames'.
      this.#presentFirst = false;
      return; // the second frame's programs: started by warm() on a hardware GPU, by ready() on a software adapter
    }
    if (this.#smoothed || temporal <= 0) return;
    this.#smoothed = true;
    if (!this.#later) this.#compileLater(this.device.queue.onSubmittedWorkDone().catch(() => {})); // a lost device settles it too
  }

  #compileLater(after: Promise<unknown>): Promise<void> {
    return (this.#later ??= after.then(() => warmFramePrograms(this.device, this.#programs.later)));
  }

  /** The second frame's programs (`next`), compiled after `after`; resolves at once where there are none. */
  #compileNext(after: Promise<unknown>): Promise<void> {
    return (this.#next ??= after.then(() => warmFramePrograms(this.device, this.#programs.next)));
  }

  /** The canvas showing the last presented frame. */
  get canvas(): OffscreenCanvas {
    const sink = this.#sinks[this.#shown];
    if (!sink) throw new Error('This output presents nothing (its frames are read back): there is no canvas.');
    return sink.canvas;
  }

  #regions: RegionStage | null = null;

  /** The region stage at the network's size (made on first use), recorded into the temporal stage's pass. */
  regionStage(): RegionStage {
    if (!this.#regions) {
      const { width, height } = this.temporal.size;
      this.#regions = new RegionStage(this.device, width, height);
      this.temporal.beforeBlend = this.#regions.recordPending;
    }
    return this.#regions;
  }

  /**
   * The frame's per-region blend of `full` and the weak pass: recorded into the temporal stage's pass (the masks
   * carried along its flow) when smoothing runs, else now. Returns what to hand `finish` as the stylised frame.
   */
  regionBlend(full: GPUBuffer, weak: { buffer: GPUBuffer; pass: WeakPass } | null, input: GPUBuffer | null, request: RegionRequest, masks: Parameters<RegionStage['encode']>[1]['masks'], temporal: number): GPUBuffer {
    const stage = this.regionStage();
    const frame = { full, weak, input, settings: request.settings, masks };
    return temporal > 0 ? stage.defer(frame) : stage.run(frame);
  }

  /** Forget the history of the temporal stage and the region stage's carried masks (a seek, a new shot). */
  reset(): void {
    this.temporal.reset();
    this.#regions?.reset();
  }

  #present(src: GPUBuffer, width: number, height: number, guide: Guide | undefined): void {
    this.#shown = (this.#shown + 1) % this.#sinks.length;
    this.#sinks[this.#shown].present(src, width, height, guide);
  }

  /**
   * The guide of a guided enlargement: the frame's external texture (shared with its imports) and the frame at the
   * network's size — the network's own input when it was imported on the GPU, else imported now (the CPU backends).
   */
  #guide(frame: VideoFrame, imported: Imported | undefined): Guide {
    const { width, height } = this.temporal.size;
    const low = imported && imported.width === width && imported.height === height ? imported.buffer : this.importer.import(frame, width, height);
    return { frame: this.importer.texture(frame), low };
  }

  /**
   * Blends `stylised` (when `temporal` > 0) with the history along the flow of `frame`, and presents. `imported`:
   * the frame already imported for the network; reused when the flow runs at that size (every frame imported once).
   */
  /** The enlargement the next frame presented gets when `upsample` is asked for (see finish). */
  presentedWith(upsample: Upsample = 'guided'): Upsample {
    return this.#presentFirst && this.#software ? 'cubic' : upsample; // see FrameStylizerOptions.presentFirst
  }

  async finish(frame: VideoFrame, stylised: GPUBuffer, temporal: number, method: TemporalMethod | undefined, imported?: Imported, upsample: Upsample = 'guided', low?: Imported): Promise<number | null> {
    upsample = this.presentedWith(upsample);
    await this.ready();
    const g = this.temporal.size;
    const { buffer, flowInput } = this.blend(frame, stylised, temporal, method, imported);
    this.#present(buffer, g.width, g.height, upsample === 'guided' ? this.#guide(frame, low ?? imported ?? flowInput) : undefined);
    this.submitted(temporal);
    await this.#keepUp();
    return temporal > 0 ? (this.temporal.cost?.ms ?? null) : null;
  }

  /**
   * Blends `stylised` with the history along the flow of `frame` when `temporal` > 0 (else forgets the history and
   * hands `stylised` back): the frame to present or read back, and the flow's input when one was imported. Called
   * after `ready()`; its caller calls `submitted` once the frame's work is submitted.
   */
  blend(frame: VideoFrame, stylised: GPUBuffer, temporal: number, method: TemporalMethod | undefined, imported?: Imported): { buffer: GPUBuffer; flowInput?: Imported } {
    if (temporal <= 0) {
      this.temporal.reset();
      return { buffer: stylised };
    }
    if (method) this.temporal.method = method;
    const { width, height } = this.temporal.flowSize;
    const input = imported && imported.width === width && imported.height === height ? imported.buffer : this.importer.import(frame, width, height);
    return { buffer: this.temporal.process(input, stylised, temporal), flowInput: { buffer: input, width, height } };
  }

  /**
   * Back-pressure for every path: nothing here waits for the GPU, so a caller faster than the GPU (a wasm network
   * ahead of a software adapter, say) would queue work without bound. Resolves once at most FRAMES_IN_FLIGHT frames
   * are still on the queue.
   */
  async #keepUp(): Promise<void> {
    const done = this.device.queue.onSubmittedWorkDone().catch(() => {}); // a lost device settles it too
    this.#inFlight.push(done);
    void done.then(() => this.#inFlight.splice(this.#inFlight.indexOf(done), 1));
    while (this.#inFlight.length > FRAMES_IN_FLIGHT) await this.#inFlight[0];
  }

  dispose(): void {
    this.importer.dispose();
    this.temporal.dispose();
    this.#regions?.dispose();
    for (const sink of this.#sinks) sink.dispose();
  }
}

/** WebGPU: VideoFrame → WGSL import → tensor on the same buffer → network → WGSL temporal → canvas. No readback. */
class GpuFrameStylizer implements FrameStylizer {
  readonly geometry: FrameGeometry;
  readonly smoothing = true;
  readonly regions = true;
  readonly #model: StyleModel;
  readonly #gpu: GpuOutput;
  /** Submit → done of the last frame whose network work finished, ms (read when ready, never waited for). */
  #networkMs = 0;
  /** The region work of the last frame whose measurement finished (see FrameTiming.regionsMs), or null. */
  #regionsMs: number | null = null;

  constructor(gpu: GpuOutput, model: StyleModel, geometry: FrameGeometry) {
    this.geometry = geometry;
    this.#model = model;
    this.#gpu = gpu;
  }

  get canvas(): OffscreenCanvas {
    return this.#gpu.canvas;
  }

  contentVector(frame: VideoFrame): tf.Tensor4D {
    const buf = this.#gpu.importer.import(frame, STYLE_SIZE, STYLE_SIZE, centreCrop(frame.displayWidth, frame.displayHeight));
    return tf.tidy(() => this.#model.predict(bufferToInput(buf, STYLE_SIZE, STYLE_SIZE)));
  }

  async render(frame: VideoFrame, bottleneck: tf.Tensor4D, temporal: number, options: RenderOptions = {}): Promise<FrameTiming> {
    const started = performance.now();
    temporal = this.#gpu.temporalFor(temporal);
    const { inferWidth: w, inferHeight: h } = this.geometry;
    const input = this.#gpu.importer.import(frame, w, h);
    const out = tf.tidy(() => {
      const x = bufferToInput(input, w, h);
      const y = this.#model.transform(x, bottleneck);
      return options.preserveColour ? keepColours(y, x) : y;
    });
    const { buffer: full, tensorRef } = out.dataToGPU(); // copies on the GPU and submits tfjs's queue
    out.dispose();
    // No CPU wait: the network's cost is read when the GPU gets there; consecutive frames overlap on the queue.
    const queue = this.#gpu.device.queue;
    const networkDone = queue.onSubmittedWorkDone().then(() => {
      const now = performance.now();
      this.#networkMs = now - started;
      return now;
    });
    networkDone.catch(() => {});
    const region = await this.#regionPass(frame, input, full, temporal, options);
    if (region) {
      // The region work submitted so far (masks, weak pass, the stage's own pass without smoothing): the queue's time
      // from the network's end to its end (or its CPU time, when the GPU was idle in between: a cost all the same).
      Promise.all([networkDone, queue.onSubmittedWorkDone()]).then(
        ([net]) => void (this.#regionsMs = performance.now() - net),
        () => {},
      );
    }
    const buffer = region?.buffer ?? full;
    try {
      if (!buffer) throw new Error('tfjs returned no GPU buffer for the stylised frame');
      const upsample = this.#gpu.presentedWith(options.upsample);
      const temporalMs = await this.#gpu.finish(frame, buffer, temporal, options.temporalMethod, { buffer: input, width: w, height: h }, options.upsample);
      return { networkMs: this.#networkMs, temporalMs, regionsMs: region ? this.#regionsMs : null, upsample };
    } finally {
      // tfjs's pooled copy: released to tfjs now; the queue orders its reuse after the work that reads it.
      tensorRef.dispose();
      region?.release();
    }
  }

  /**
   * Per-region strength: the masks, the weak pass of the network (over the faces' crop or the whole frame) and the
   * blend; null when the settings change nothing (strengths 1/1/1, no adaptive detail: today's output as is).
   */
  async #regionPass(frame: VideoFrame, input: GPUBuffer, full: GPUBuffer | undefined, temporal: number, options: RenderOptions): Promise<{ buffer: GPUBuffer; release(): void } | null> {
    const request = options.regions;
    if (!request || !full || !regionsActive(request.settings)) return null;
    const { inferWidth: w, inferHeight: h } = this.geometry;
    const stage = this.#gpu.regionStage();
    const x = bufferToInput(input, w, h);
    let masks: Awaited<ReturnType<typeof frameMasks>>;
    try {
      masks = await frameMasks(request, x, true, stage.personDue(temporal > 0), stage.frameNumber, stage.faceCadence(temporal > 0));
    } finally {
      x.dispose();
    }
    const releases = [masks.release];
    try {
      const plan = stage.plan(request.settings, masks.masks, temporal > 0);
      let weak: { buffer: GPUBuffer; pass: WeakPass } | null = null;
      if (plan && !plan.carried) {
        // The crop gets an import of its own size (never the network input's: that buffer is still read after this).
        if (plan.crop && plan.width === w && plan.height === h) plan.width += 4;
        const src = plan.crop ? this.#gpu.importer.import(frame, plan.width, plan.height, plan.rect) : input;
        const vector = request.vector(plan.strength); // cached by its owner: made outside the tidy below
        const y = tf.tidy(() => {
          const xin = bufferToInput(src, plan.width, plan.height);
          const y = this.#model.transform(xin, vector);
          return options.preserveColour ? keepColours(y, xin) : y;
        });
        const { buffer, tensorRef } = y.dataToGPU();
        y.dispose();
        if (!buffer) {
          tensorRef.dispose();
          throw new Error('tfjs returned no GPU buffer for the weak pass');
        }
        stage.retainWeak(() => tensorRef.dispose()); // kept for the frames that carry it (WEAK_EVERY)
        weak = { buffer, pass: plan };
      }
      const buffer = this.#gpu.regionBlend(full, weak, input, request, masks.masks, temporal);
      return { buffer, release: () => releases.forEach((r) => r()) };
    } catch (e) {
      releases.forEach((r) => r());
      throw e;
    }
  }

  takeFrame(): null {
    return null;
  }

  reset(): void {
    this.#gpu.reset();
  }

  ready(): Promise<void> {
    return this.#gpu.ready();
  }

  async warm(bottleneck: tf.Tensor4D): Promise<void> {
    // tfjs's shaders and our WGSL pipelines compile at the same time, each with the device's async calls.
    await Promise.all([this.#model.compile(this.geometry.inferWidth, this.geometry.inferHeight, bottleneck), this.#gpu.warm()]);
  }

  dispose(): void {
    this.#gpu.dispose();
  }
}

/**
 * WASM (and WebGL): one copy in (the frame's pixels → tensor, see FrameReader) and one copy out (tensor → the WGSL
 * device; without smoothing, RGBA bytes on a 2D canvas, or with `frames` RGBX bytes at the output size that become
 * the encoder's VideoFrames).
 */
class CpuFrameStylizer implements FrameStylizer {
  readonly geometry: FrameGeometry;
  readonly smoothing: boolean;
  readonly regions: boolean;
  readonly #model: StyleModel;
  readonly #gpu: GpuOutput | null;
  readonly #upload: GPUBuffer | null;
  /**
   * The network's input uploaded as the guided enlargement's low-resolution guide (its pixels are on the CPU already:
   * a 1.4 MB copy instead of importing the frame again on the device, which costs as much as the present on a
   * software adapter); made on first use.
   */
  #lowUpload: GPUBuffer | null = null;
  /** The weak pass's output, uploaded (per-region strength); grown to the largest pass seen. */
  #weakUpload: GPUBuffer | null = null;
  readonly #cropReader = new CropReader();
  /** With `readback`: brings the device's output back for the CPU's cubic (the one copy out), without waiting. */
  readonly #readback: ReadbackRing | null;
  /** The last rendered frame's read, until `takeFrame` hands it on. */
  #inflight: PendingRead | null = null;
  readonly #sink2d: Canvas2DSink | null;
  /** With `frames`: the last output at display size as RGBX bytes, and what scales it there. */
  readonly #rgbx: Uint8ClampedArray<ArrayBuffer> | null;
  #scaler: RgbxScaler | null = null;
  #rendered = false;
  readonly #reader = new FrameReader();
  /** The 2d path's output pixels, rewritten every frame. */
  #image: ImageData | null = null;
  readonly #crop: OffscreenCanvasRenderingContext2D;

  constructor(model: StyleModel, geometry: FrameGeometry, gpu: GpuOutput | null, canvas: OffscreenCanvas | undefined, frames: boolean, readback: boolean) {
    this.geometry = geometry;
    this.#model = model;
    this.smoothing = gpu !== null;
    this.regions = gpu !== null;
    this.#gpu = gpu;
    this.#upload = gpu?.device.createBuffer({
      label: 'stylised upload',
      size: geometry.inferWidth * geometry.inferHeight * 12,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    }) ?? null;
    this.#rgbx = frames && (!gpu || readback) ? new Uint8ClampedArray(geometry.width * geometry.height * 4) : null;
    this.#readback = gpu && this.#rgbx ? new ReadbackRing(gpu.device) : null;
    this.#sink2d = gpu || this.#rgbx ? null : new Canvas2DSink(geometry.width, geometry.height, canvas);
    this.#crop = context2d(STYLE_SIZE, STYLE_SIZE);
  }

  get canvas(): OffscreenCanvas {
    const canvas = this.#rgbx ? null : (this.#gpu?.canvas ?? this.#sink2d?.canvas);
    if (!canvas) throw new Error('This frame stylizer was made with frames: true and draws no canvas: use takeFrame().');
    return canvas;
  }

  takeFrame(timestamp: number, duration?: number): VideoFrame | PendingFrame | null {
    if (!this.#rgbx || !this.#rendered) return null;
    const { width, height } = this.geometry;
    const { inferWidth: w, inferHeight: h } = this.geometry;
    // The constructor copies the bytes: the buffer is free for the next frame.
    const make = () => new VideoFrame(this.#rgbx!, { format: 'RGBX', codedWidth: width, codedHeight: height, timestamp, duration });
    const read = this.#inflight;
    if (!read) return make();
    // Smoothed on the device and read back: ready once the read lands (the next frame's network runs meanwhile).
    this.#inflight = null;
    return new PendingFrame(() =>
      read.take((values) => {
        this.#enlarge(values, w, h);
        return make();
      }),
    );
  }

  contentVector(frame: VideoFrame): tf.Tensor4D {
    const { displayWidth: w, displayHeight: h } = frame;
    const s = Math.min(w, h);
    this.#crop.drawImage(frame, (w - s) / 2, (h - s) / 2, s, s, 0, 0, STYLE_SIZE, STYLE_SIZE);
    const pixels = this.#crop.getImageData(0, 0, STYLE_SIZE, STYLE_SIZE);
    return tf.tidy(() => this.#model.predict(pixelsToInput(pixels)));
  }

  async render(frame: VideoFrame, bottleneck: tf.Tensor4D, temporal: number, options: RenderOptions = {}): Promise<FrameTiming> {
    const started = performance.now();
    if (this.#gpu) temporal = this.#gpu.temporalFor(temporal);
    const { inferWidth: w, inferHeight: h } = this.geometry;
    const x = await this.#reader.read(frame, w, h);
    let out: tf.Tensor3D | null = null;
    let low: Float32Array<ArrayBuffer> | null = null;
    let region: Awaited<ReturnType<CpuFrameStylizer['regionInputs']>> = null;
    let netValues: Float32Array<ArrayBuffer> | null = null;
    let networkMs = 0;
    let regionsMs: number | null = null;
    try {
      if (this.#gpu && !this.#readback && options.upsample !== 'cubic') low = x.dataSync() as Float32Array<ArrayBuffer>;
      out = tf.tidy(() => {
        const y = this.#model.transform(x, bottleneck);
        return tf.squeeze(options.preserveColour ? keepColours(y, x) : y, [0]) as tf.Tensor3D;
      });
      if (this.#gpu && this.#upload) {
        // The network's pixels first, then the region work: each its own time (on webgl, reading a mask would wait
        // for the network's queued work too).
        netValues = (await out.data()) as Float32Array<ArrayBuffer>;
        networkMs = performance.now() - started;
        region = await this.regionInputs(frame, x, temporal, options);
        if (region) regionsMs = performance.now() - started - networkMs;
      }
    } catch (e) {
      out?.dispose();
      throw e;
    } finally {
      x.dispose();
    }
    try {
      if (this.#gpu && this.#upload && netValues) {
        this.#gpu.device.queue.writeBuffer(this.#upload, 0, netValues);
        if (low) {
          this.#lowUpload ??= this.#gpu.device.createBuffer({ label: 'guide upload', size: this.#upload.size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
          this.#gpu.device.queue.writeBuffer(this.#lowUpload, 0, low);
        }
        const stylised = region ? this.#gpu.regionBlend(this.#upload, region.weak, region.input, options.regions!, region.masks, temporal) : this.#upload;
        if (this.#readback) {
          // Nothing waits for the device here: `takeFrame` hands out the read, to be taken when it has landed. On a
          // software adapter the device's work (the smoothing) is CPU work beside the next frame's network, and the two
          // share the cores; that overlap wastes no CPU time measurably. Tried and rejected (issue 11, npm run
          // bench:cpu, bench/results/cpu-vm-serial-*.json): the next frame's network waiting for this frame's queue
          // before it starts: 1.02× the core-ms a frame and 1.30× the wall time of (c) (0/5 rounds faster, load 13–21;
          // 1.25×, 1/3, load 12–17). What the stage costs there: 370–540 core-ms a frame in the GPU process against
          // 350–550 for the network's renderer (loaded figures: quiet, the network is 80 ms on two threads).
          await this.#gpu.ready();
          const { buffer } = this.#gpu.blend(frame, stylised, temporal, options.temporalMethod);
          this.#inflight = await this.#readback.start(buffer, w * h * 12);
          this.#gpu.submitted(temporal);
          this.#rendered = true;
          return { networkMs, temporalMs: temporal > 0 ? (this.#gpu.temporal.cost?.ms ?? null) : null, regionsMs, upsample: 'cubic' }; // enlarged on the CPU when taken
        }
        const upsample = this.#gpu.presentedWith(options.upsample);
        const temporalMs = await this.#gpu.finish(frame, stylised, temporal, options.temporalMethod, undefined, options.upsample, low ? { buffer: this.#lowUpload!, width: w, height: h } : undefined);
        return { networkMs, temporalMs, regionsMs, upsample };
      }
      const [oh, ow] = out.shape;
      const values = (await out.data()) as Float32Array;
      if (this.#rgbx) {
        this.#enlarge(values, ow, oh);
      } else {
        if (this.#image?.width !== ow || this.#image.height !== oh) this.#image = new ImageData(ow, oh);
        rgbToImage(values, this.#image);
        this.#sink2d!.present(this.#image);
      }
      return { networkMs: performance.now() - started, temporalMs: null, regionsMs: null, upsample: 'cubic' };
    } finally {
      out.dispose();
    }
  }

  /** The output at the network's size (float32 RGB) → RGBX bytes at the output size, for `takeFrame`. */
  #enlarge(values: Float32Array, w: number, h: number): void {
    const { width, height } = this.geometry;
    this.#scaler ??= new RgbxScaler(w, h, width, height);
    this.#scaler.write(values, this.#rgbx!);
    this.#rendered = true;
  }

  reset(): void {
    this.#gpu?.reset();
  }

  /**
   * Per-region strength on the CPU path: the masks, the weak pass run here and uploaded, the frame at the network's
   * size for adaptive detail; null when the settings change nothing or there is no WebGPU device (regions off).
   */
  async regionInputs(frame: VideoFrame, x: tf.Tensor4D, temporal: number, options: RenderOptions) {
    const request = options.regions;
    if (!request || !this.#gpu || !regionsActive(request.settings)) return null;
    const gpu = this.#gpu;
    const stage = gpu.regionStage();
    const { masks } = await frameMasks(request, x, false, stage.personDue(temporal > 0), stage.frameNumber, stage.faceCadence(temporal > 0));
    const plan = stage.plan(request.settings, masks, temporal > 0);
    let weak: { buffer: GPUBuffer; pass: WeakPass } | null = null;
    if (plan && !plan.carried) {
      const src = plan.crop ? this.#cropReader.read(frame, plan.rect, plan.width, plan.height) : x;
      try {
        const vector = request.vector(plan.strength); // cached by its owner: made outside the tidy below
        const y = tf.tidy(() => {
          const y = this.#model.transform(src, vector);
          return options.preserveColour ? keepColours(y, src) : y;
        });
        const values = (await y.data()) as Float32Array<ArrayBuffer>;
        y.dispose();
        if (!this.#weakUpload || this.#weakUpload.size < values.byteLength) {
          this.#weakUpload?.destroy();
          this.#weakUpload = gpu.device.createBuffer({ label: 'weak pass upload', size: values.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
        }
        gpu.device.queue.writeBuffer(this.#weakUpload, 0, values);
        weak = { buffer: this.#weakUpload, pass: plan };
      } finally {
        if (src !== x) src.dispose();
      }
    }
    const { inferWidth: w, inferHeight: h } = this.geometry;
    const input = gpu.importer.import(frame, w, h); // adaptive detail and the structure taken back read it
    return { masks, weak, input };
  }

  async ready(): Promise<void> {
    await this.#gpu?.ready();
  }

  async warm(): Promise<void> {
    // wasm/webgl: nothing of tfjs compiled ahead (webgl compiles on first use; wasm has no shaders); our WGSL
    // pipelines (import, present, smoothing) on the WebGPU device, when there is one, are.
    if (this.#gpu) await this.#gpu.warm();
  }

  dispose(): void {
    this.#gpu?.dispose();
    this.#readback?.dispose();
    this.#upload?.destroy();
    this.#lowUpload?.destroy();
    this.#weakUpload?.destroy();
    this.#sink2d?.dispose();
  }
}

function context2d(width: number, height: number): OffscreenCanvasRenderingContext2D {
  const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('OffscreenCanvas has no 2d context');
  ctx.imageSmoothingQuality = 'high';
  return ctx;
}
