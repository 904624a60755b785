// Flow between two still images, read back to the CPU: for the `flow` command and for tests — never per frame.
import { FrameImporter } from '../gpu/frame-import.ts';
import { FlowField, FlowSolver, LumaPyramid, pyramidSizes } from './flow.ts';
import { BufferSet, temporalPipelines } from './pipelines.ts';

export type StillImage = ImageBitmap | OffscreenCanvas | HTMLCanvasElement | HTMLImageElement | VideoFrame;

/** Copies a GPU buffer's first `bytes` to the CPU (a deliberate readback: tools and tests only). */
export async function readBuffer(device: GPUDevice, buffer: GPUBuffer, bytes = buffer.size): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ size: bytes, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  try {
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    return staging.getMappedRange().slice(0);
  } finally {
    staging.destroy();
  }
}

/**
 * Dense flow mapping each pixel of `a` to its place in `b` (interleaved u, v in pixels), at `a`'s size
 * (`b` is resampled to it). Both images are taken as displayed.
 */
export async function estimateFlow(device: GPUDevice, a: StillImage, b: StillImage): Promise<{ width: number; height: number; flow: Float32Array }> {
  const size = (img: StillImage) => (img instanceof VideoFrame ? [img.displayWidth, img.displayHeight] : [img.width, img.height]);
  const [width, height] = size(a);
  const buffers = new BufferSet(device);
  const importer = new FrameImporter(device);
  try {
    const sizes = pyramidSizes(width, height);
    const pipelines = temporalPipelines(device);
    const pyramids = [new LumaPyramid(device, pipelines, buffers, sizes), new LumaPyramid(device, pipelines, buffers, sizes)];
    for (const [i, img] of [a, b].entries()) {
      const frame = img instanceof VideoFrame ? img : new VideoFrame(img, { timestamp: 0 });
      try {
        const rgb = importer.import(frame, width, height);
        const encoder = device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        pyramids[i].build(pass, rgb);
        pass.end();
        device.queue.submit([encoder.finish()]);
      } finally {
        if (frame !== img) frame.close();
      }
    }
    const out = new FlowField(buffers, sizes, 'estimate');
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    new FlowSolver(device, buffers, sizes).solve(pass, pyramids[0], pyramids[1], out);
    pass.end();
    device.queue.submit([encoder.finish()]);
    return { width, height, flow: new Float32Array(await readBuffer(device, out.result, width * height * 8)) };
  } finally {
    importer.dispose();
    buffers.destroy();
  }
}
