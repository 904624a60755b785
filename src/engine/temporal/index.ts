// The temporal stage: warps the previous output into the current frame along the optical flow and blends,
// out = mix(stylised_t, warp(out_{t−1}), α·confidence), entirely on the GPU (no readback).
import { DEFAULT_FLOW, FlowField, FlowSolver, LumaPyramid, pyramidSizes, type FlowSettings, type Size } from './flow.ts';
import { BufferSet, bindGroup, dispatch, temporalPipelines, type TemporalPipelines } from './pipelines.ts';

/** Scene-cut thresholds (mean luma residual after warping; share of flow-inconsistent pixels). */
export const CUT_RESIDUAL = 0.1;
export const CUT_INCONSISTENT = 0.6;

/**
 * Flow resolution for an output of width×height: the same on a hardware GPU; on a software adapter (SwiftShader,
 * where flow costs several times the network) the short side is capped at SOFTWARE_FLOW_SIDE, with fewer iterations.
 * `side` overrides both: the flow's short side in pixels (never above the output's).
 */
export const SOFTWARE_FLOW_SIDE = 96;

export function flowPlan(width: number, height: number, software: boolean, side?: number): { size: Size; settings: FlowSettings } {
  const cap = side ?? (software ? SOFTWARE_FLOW_SIDE : Infinity);
  const scale = Math.min(1, cap / Math.min(width, height));
  return {
    size: { width: Math.max(8, Math.round(width * scale)), height: Math.max(8, Math.round(height * scale)) },
    settings: software && side === undefined ? { ...DEFAULT_FLOW, iterations: 4 } : DEFAULT_FLOW,
  };
}

export interface TemporalCost {
  /** GPU time of flow + confidence + blend for the last frame, in ms (CPU-observed, submit to done). */
  ms: number;
}

/**
 * Owns every buffer that persists across frames (two luma pyramids, two flow fields, confidence, two outputs)
 * for one frame size; creates them once, destroys them in `dispose()`.
 */
export class TemporalStage {
  /** The output's size (the stylised frames'). */
  readonly size: Size;
  /** The flow's size (the input frames' for `process`); may be smaller than `size`. */
  readonly flowSize: Size;
  readonly #device: GPUDevice;
  readonly #pipelines: TemporalPipelines;
  readonly #buffers: BufferSet;
  readonly #pyramids: [LumaPyramid, LumaPyramid];
  readonly #solver: FlowSolver;
  readonly #back: FlowField;
  readonly #fwd: FlowField;
  readonly #confidence: GPUBuffer;
  readonly #stats: GPUBuffer;
  readonly #coverage: GPUBuffer;
  readonly #splatGroup: GPUBindGroup;
  readonly #outputs: [GPUBuffer, GPUBuffer];
  readonly #confidenceGroups: GPUBindGroup[];
  readonly #blendParams: GPUBuffer;
  #frame = 0;
  #first = true;
  #cost: TemporalCost | null = null;

  constructor(device: GPUDevice, width: number, height: number, flowSize: Size = { width, height }, settings: FlowSettings = DEFAULT_FLOW) {
    this.#device = device;
    this.size = { width, height };
    this.flowSize = flowSize;
    this.#pipelines = temporalPipelines(device);
    this.#buffers = new BufferSet(device);
    const sizes = pyramidSizes(flowSize.width, flowSize.height, settings);
    const n = flowSize.width * flowSize.height;
    this.#pyramids = [0, 1].map(() => new LumaPyramid(device, this.#pipelines, this.#buffers, sizes)) as [LumaPyramid, LumaPyramid];
    this.#solver = new FlowSolver(device, this.#buffers, sizes, settings);
    this.#back = new FlowField(this.#buffers, sizes, 'back');
    this.#fwd = new FlowField(this.#buffers, sizes, 'fwd');
    this.#confidence = this.#buffers.storage('confidence', n * 4);
    this.#stats = this.#buffers.storage('cut stats', 16);
    this.#coverage = this.#buffers.storage('coverage', n * 4);
    this.#outputs = [this.#buffers.storage('temporal out 0', width * height * 12), this.#buffers.storage('temporal out 1', width * height * 12)];
    const sizeUniform = this.#buffers.uniform('flow size', new Uint32Array([flowSize.width, flowSize.height]).buffer);
    this.#confidenceGroups = [0, 1].map((parity) => {
      const cur = this.#pyramids[parity].levels[0].luma;
      const prev = this.#pyramids[1 - parity].levels[0].luma;
      return bindGroup(device, this.#pipelines.confidence, [this.#back.result, this.#fwd.result, cur, prev, this.#confidence, this.#stats, sizeUniform, this.#coverage]);
    });
    this.#splatGroup = bindGroup(device, this.#pipelines.splat, [this.#fwd.result, this.#coverage, sizeUniform]);
    this.#blendParams = this.#buffers.uniform('blend params', new ArrayBuffer(32));
  }

  /** Flow + blend cost of the last frame that used them, or null. */
  get cost(): TemporalCost | null {
    return this.#cost;
  }

  /** Forget the history: the next frame is output as stylised (first frame, seek, new clip). */
  reset(): void {
    this.#first = true;
  }

  /**
   * `input`: the frame as float32 NHWC RGB at `flowSize`; `stylised`: the network's output, same layout, at
   * `size`. Returns the blended output (owned by this stage, valid until the next call).
   * The reported cost is submit-to-done: callers that want it to be ours alone wait for earlier work first.
   */
  async process(input: GPUBuffer, stylised: GPUBuffer, alpha: number): Promise<GPUBuffer> {
    const { width, height } = this.size;
    const flow = this.flowSize;
    const parity = this.#frame % 2;
    const cur = this.#pyramids[parity];
    const prev = this.#pyramids[1 - parity];
    const out = this.#outputs[parity];
    const first = this.#first;

    const params = new ArrayBuffer(32);
    new Uint32Array(params, 0, 4).set([width, height, flow.width, flow.height]);
    new Float32Array(params, 16, 1).set([alpha]);
    new Uint32Array(params, 20, 1).set([first ? 1 : 0]);
    new Float32Array(params, 24, 2).set([CUT_RESIDUAL, CUT_INCONSISTENT]);
    this.#device.queue.writeBuffer(this.#blendParams, 0, params);
    const blendGroup = bindGroup(this.#device, this.#pipelines.blend, [
      stylised,
      this.#outputs[1 - parity],
      this.#back.result,
      this.#confidence,
      this.#stats,
      out,
      this.#blendParams,
    ]);

    const started = performance.now();
    const encoder = this.#device.createCommandEncoder({ label: 'temporal' });
    encoder.clearBuffer(this.#stats);
    encoder.clearBuffer(this.#coverage);
    const pass = encoder.beginComputePass({ label: 'temporal' });
    cur.build(pass, input);
    if (!first) {
      this.#solver.solve(pass, cur, prev, this.#back);
      this.#solver.solve(pass, prev, cur, this.#fwd);
      dispatch(pass, this.#pipelines.splat, this.#splatGroup, flow.width, flow.height);
      dispatch(pass, this.#pipelines.confidence, this.#confidenceGroups[parity], flow.width, flow.height);
    }
    dispatch(pass, this.#pipelines.blend, blendGroup, width, height);
    pass.end();
    this.#device.queue.submit([encoder.finish()]);
    await this.#device.queue.onSubmittedWorkDone();
    this.#cost = { ms: performance.now() - started };
    this.#frame++;
    this.#first = false;
    return out;
  }

  /** Flow t → t−1 of the last processed frame (for tests and the flow tool). */
  get backwardFlow(): GPUBuffer {
    return this.#back.result;
  }
  get forwardFlow(): GPUBuffer {
    return this.#fwd.result;
  }
  get confidence(): GPUBuffer {
    return this.#confidence;
  }

  dispose(): void {
    this.#buffers.destroy();
  }
}
