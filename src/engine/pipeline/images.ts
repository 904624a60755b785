// An animated GIF or WebP → MP4 (or, with `format: 'gif'`, an animated GIF): the image's frames (ImageDecoder) through
// the same frame pipeline as a clip's, each kept with its own timestamp and duration, encoded by Mediabunny or by the
// GIF sink (sinks/gif.ts); no audio: images have none.
//
// A GIF is made at most `gifSize` pixels on its long side (sinks/gif-size.ts): the frame pipeline's output size is the
// GIF's, so the network's output is enlarged (or reduced) once, straight to it (by the cubic on the CPU path, by the
// present on a WebGPU device), and the GIF sink copies each frame once as before; nothing is drawn at the clip's size.
import { Output, VideoSample, VideoSampleSource, getFirstEncodableVideoCodec } from 'mediabunny';
import { StylecastError, isStylecastError } from '../errors.ts';
import { openAnimatedImage, type AnimatedImageType, type OpenedImage } from '../sources/animated-image.ts';
import { DEFAULT_GIF_FPS, MAX_GIF_FPS, imageFramesForGif, openVideoFrames, type VideoFrames } from '../sources/video-frames.ts';
import { DEFAULT_MAX_FRAME_SIDE, brief } from '../sources/file.ts';
import { ClipFrames, clipFrameStylizer, type ClipResult, type StylizeFileOptions } from './clip.ts';
import { OUTPUT_QUALITY, mp4Data, mp4Output, type Mp4Destination } from '../sinks/mp4.ts';
import { PendingFrame } from '../sinks/pending-frame.ts';
import { GifSink } from '../sinks/gif.ts';
import { DEFAULT_GIF_SIZE, gifDimensions } from '../sinks/gif-size.ts';
import type { PipelineContext } from './context.ts';
import { inferenceGeometry, type FrameStylizer } from './frame.ts';

/**
 * What `stylizeClip` does for a video, for an image's frames; the caller has sniffed `type` from the bytes. To a GIF
 * (`format: 'gif'`): at most `gifFps` frames a second when asked (as a video's), else every frame a GIF can show (at
 * most 50 a second: a GIF in keeps them all), at most `gifSize` on the long side.
 */
export async function stylizeAnimatedImage(ctx: PipelineContext, file: Blob, type: AnimatedImageType, options: StylizeFileOptions & Mp4Destination = {}): Promise<ClipResult> {
  const started = performance.now();
  const maxSide = ctx.backend.device?.limits.maxTextureDimension2D ?? DEFAULT_MAX_FRAME_SIDE;
  const image = await openAnimatedImage(file, type, maxSide);
  if (options.format !== 'gif') return stylizeFrames(ctx, image, options, started);
  const fps = options.gifFps ?? MAX_GIF_FPS;
  const frames = await imageFramesForGif(image, fps, () => {
    if (options.signal?.aborted) throw new StylecastError('CANCELLED', 'Stylising was cancelled.');
  });
  return gifResult(await stylizeFrames(ctx, frames, options, started), fps, 'image', frames);
}

/**
 * A video → an animated GIF (`format: 'gif'`): at most `gifFps` frames a second (default 15; see
 * sources/video-frames.ts), each shown until the next, so the GIF lasts as long as the clip; the sound is dropped.
 */
export async function stylizeVideoToGif(ctx: PipelineContext, file: Blob | URL, options: StylizeFileOptions & Mp4Destination = {}): Promise<ClipResult> {
  const started = performance.now();
  const maxSide = ctx.backend.device?.limits.maxTextureDimension2D ?? DEFAULT_MAX_FRAME_SIDE;
  const fps = options.gifFps ?? DEFAULT_GIF_FPS;
  const video = await openVideoFrames(file, maxSide, fps);
  return gifResult(await stylizeFrames(ctx, video, { ...options, format: 'gif' }, started), fps, 'video', video);
}

/** A GIF's result with what was kept of its source: the frame-rate cap and the frames, the size, the sound. */
function gifResult(result: ClipResult, fps: number, source: 'video' | 'image', frames: VideoFrames): ClipResult {
  const { sourceFrames, sourceFps, hasAudio, width, height } = frames;
  return { ...result, gif: { source, fps, sourceFrames, sourceFps, audioDropped: hasAudio, sourceWidth: width, sourceHeight: height } };
}

/** The frames of `image` (an animated image's, or a video's for a GIF) through the frame pipeline and an encoder; closes `image`. */
async function stylizeFrames(ctx: PipelineContext, image: Omit<OpenedImage, 'type'>, options: StylizeFileOptions & Mp4Destination, started: number): Promise<ClipResult> {
  const settings = ctx.settings();
  const asGif = options.format === 'gif';
  // The output's size: the image's, or the GIF's (at most gifSize on the long side, never enlarged).
  const { width, height } = asGif ? gifDimensions(image.width, image.height, options.gifSize ?? DEFAULT_GIF_SIZE) : image;
  const framesTotal = image.frames;
  const cancelled = () => new StylecastError('CANCELLED', 'Stylising was cancelled.');
  let frames: FrameStylizer | null = null;
  let output: Output | null = null;
  let gif: GifSink | null = null;
  /** Rendered, not yet encoded: a frame of its own, or a surface left untouched until it is taken (two surfaces). */
  const pending: { out: OffscreenCanvas | VideoFrame | PendingFrame; timestamp: number; duration?: number }[] = [];
  try {
    const codec = asGif ? 'gif' : await getFirstEncodableVideoCodec(['avc', 'vp9'], { width, height });
    if (!codec) throw new StylecastError('ENCODE_FAILED', `This browser cannot encode ${width}×${height} video as H.264 or VP9.`);
    // The network at the image's own size (as for an MP4: --size means the same), its output made at the output's.
    const geometry = { ...inferenceGeometry(image.width, image.height, settings.size), width, height };
    const clip = new ClipFrames(options);
    // The same choices as a clip's (see clip.ts): the 2d path without smoothing on a CPU backend, two surfaces so the
    // encoder takes frame t while t+1 renders.
    frames = clipFrameStylizer(ctx, geometry);
    const alpha = frames.smoothing ? settings.temporal : 0;
    let source: VideoSampleSource | null = null;
    if (codec === 'gif') {
      gif = new GifSink(width, height, options.output, options.comment);
    } else {
      output = mp4Output(options);
      source = new VideoSampleSource({ codec, quality: OUTPUT_QUALITY });
      output.addVideoTrack(source);
      const comment = typeof options.comment === 'function' ? options.comment(framesTotal) : options.comment;
      if (comment !== undefined) output.setMetadataTags({ comment });
      await output.start();
    }
    const encode = async ({ out, timestamp, duration }: (typeof pending)[number]) => {
      const ready = out instanceof PendingFrame ? await out.ready() : out;
      if (gif) {
        try {
          await gif.add(ready, ready instanceof VideoFrame ? ready.timestamp : timestamp, (ready instanceof VideoFrame ? ready.duration : null) ?? duration ?? 0);
        } catch (e) {
          throw isStylecastError(e) ? e : new StylecastError('ENCODE_FAILED', `Encoding the GIF failed: ${brief(e)}.`, { cause: e });
        } finally {
          if (ready instanceof VideoFrame) ready.close();
        }
        return;
      }
      const sample = new VideoSample(ready instanceof VideoFrame ? ready : new VideoFrame(ready, { timestamp, duration }));
      try {
        await source!.add(sample);
      } catch (e) {
        throw isStylecastError(e) ? e : new StylecastError('ENCODE_FAILED', `Encoding the output failed: ${brief(e)}.`, { cause: e });
      } finally {
        sample.close();
      }
    };
    ctx.newContent(); // a new clip: its own content vector
    for (let i = 0; i < framesTotal; i++) {
      if (options.signal?.aborted) throw cancelled();
      ctx.check();
      const input = await image.decode(i);
      try {
        if (i === 0) await frames.warm(await ctx.bottleneck(input, frames));
        clip.add(await frames.render(input, await ctx.bottleneck(input, frames), alpha, { preserveColour: settings.preserveColour, temporalMethod: settings.temporalMethod, upsample: settings.upsample, regions: await ctx.regions(input, frames) }));
        const timestamp = input.timestamp;
        const duration = input.duration ?? undefined;
        const out = clip.show(frames.takeFrame(timestamp, duration) ?? frames.canvas, geometry.width, geometry.height, i === framesTotal - 1);
        pending.push({ out, timestamp, duration });
      } finally {
        input.close();
      }
      // With smoothing, frame t goes to the encoder after t+1 has rendered (its GPU work overlaps the next network).
      while (pending.length > (frames.smoothing ? 1 : 0)) await encode(pending.shift()!);
      const elapsedMs = performance.now() - started;
      const done = i + 1;
      options.onProgress?.({ framesDone: done, framesTotal, elapsedMs, etaMs: done >= 3 ? (elapsedMs / done) * (framesTotal - done) : null, frame: clip.last });
    }
    while (pending.length) await encode(pending.shift()!);
    if (options.signal?.aborted) throw cancelled();
    let blob: Blob | null;
    if (gif) {
      const data = await gif.finalize();
      blob = data && new Blob([data], { type: 'image/gif' });
    } else {
      await output!.finalize();
      const data = mp4Data(output!);
      blob = data && new Blob([data], { type: 'video/mp4' });
    }
    return {
      blob,
      frames: framesTotal,
      width,
      height,
      codec,
      hasAudio: false,
      ...clip.summary(ctx, geometry, started, alpha),
    };
  } catch (e) {
    if (output && output.state !== 'finalized') await output.cancel().catch(() => {});
    await gif?.cancel(e);
    throw e;
  } finally {
    for (const p of pending) {
      if (p.out instanceof VideoFrame) p.out.close();
      else if (p.out instanceof PendingFrame) p.out.discard();
    }
    frames?.dispose();
    image.close();
  }
}
