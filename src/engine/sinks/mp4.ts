import { BufferTarget, Conversion, ConversionCanceledError, Mp4OutputFormat, Output, Quality, StreamTarget, VideoSample, getFirstEncodableVideoCodec, type VideoCodec } from 'mediabunny';
import { StylecastError, isStylecastError } from '../errors.ts';
import { brief, type OpenedVideo } from '../sources/file.ts';
import { PendingFrame } from './pending-frame.ts';

export interface Progress {
  framesDone: number;
  framesTotal: number;
  elapsedMs: number;
  /** Estimated time left, once a few frames give a rate. */
  etaMs: number | null;
  /** What the last frame cost, stage by stage (ms), when the caller measures it. */
  frame?: { networkMs: number; temporalMs: number | null };
}

/** A piece of the MP4 for `Mp4Destination.output`: `data` belongs at byte `position` of the file (writes come in order; a later one may go back and overwrite bytes, e.g. a box's size). */
export interface OutputChunk {
  type: 'write';
  data: Uint8Array;
  position: number;
}

/** Where the MP4 goes, and what its metadata says. */
export interface Mp4Destination {
  /**
   * Write the MP4 to this stream in pieces as it is made, instead of holding it in memory: its `moov` index then
   * comes at the end of the file (every player and ffprobe read that). Mediabunny closes the stream when the conversion ends, whether it finished, failed or was cancelled: only a stylizeFile that
   * resolved means the file is complete. A write that rejects stops the conversion.
   */
  output?: WritableStream<OutputChunk>;
  /** The MP4's metadata comment (a GIF's Comment Extension); a function is given the number of frames the file will hold. */
  comment?: string | ((frames: number) => string);
  /**
   * 'gif': an animated GIF instead of an MP4 (sinks/gif.ts: a palette per frame, durations kept, looping forever,
   * no audio; the comment as a Comment Extension). From a video: at most `gifFps` frames a second, the sound dropped. Default 'mp4'.
   */
  format?: 'mp4' | 'gif';
  /**
   * With `format: 'gif'`: the most frames a second the GIF keeps (1..50), the first of each 1/gifFps slot, each shown
   * until the next (the GIF lasts as long as the clip). Default: 15 from a video; from an animated image every frame a
   * GIF can show (at most 50 a second).
   */
  gifFps?: number;
  /**
   * With `format: 'gif'`: the GIF's long side is at most this many pixels (16..4096, default 480; sinks/gif-size.ts),
   * the aspect kept, never enlarged. The network still runs at `size` on the clip's own frames.
   */
  gifSize?: number;
}

/**
 * The Output for a destination: streamed (moov at the end; each write one muxer chunk — about half a second of a
 * track — as it is finished, then the index and the mdat box's size) or in memory (moov first, "fast start").
 */
export function mp4Output(dest: Mp4Destination): Output {
  return dest.output
    ? new Output({ format: new Mp4OutputFormat({ fastStart: false }), target: new StreamTarget(dest.output as WritableStream<{ type: 'write'; data: Uint8Array<ArrayBuffer>; position: number }>) })
    : new Output({ format: new Mp4OutputFormat({ fastStart: 'in-memory' }), target: new BufferTarget() });
}

/** The finished MP4's bytes when it was built in memory, null when it was streamed. */
export function mp4Data(output: Output): ArrayBuffer | null {
  if (!(output.target instanceof BufferTarget)) return null;
  const data = output.target.buffer;
  if (!data) throw new StylecastError('ENCODE_FAILED', 'The MP4 could not be finalised.');
  return data;
}

export interface Mp4JobOptions extends Mp4Destination {
  /**
   * Turns one upright frame into the canvas to encode (the same canvas may be returned every time), or a new
   * `VideoFrame` with the input's timestamp and duration, which the encoder then owns, or a `PendingFrame` that gives
   * one when its pixels have landed (waited for when the encoder takes it: with `lagOne`, after the next frame rendered).
   */
  render(frame: VideoFrame): Promise<OffscreenCanvas | VideoFrame | PendingFrame>;
  /**
   * Encode each frame one step later: frame t is taken from its canvas while frame t+1 is being rendered, so its
   * GPU work (smoothing on a software adapter, say) runs alongside the next frame's network instead of after it.
   * `render` must then alternate between two canvases (the canvas of frame t untouched while t+1 renders); the
   * last frame is flushed with its predecessor. Timestamps and durations stay the input's.
   */
  lagOne?: boolean;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /**
   * A part of the clip (see pipeline/range.ts): the conversion's trim on the source's timeline (instead of the clip's
   * own start), the frames it hands over (`framesTotal`), how many of the first are a warm-up — rendered, then dropped
   * (`process` returns no frame) — and the seconds taken off the kept frames' timestamps so the first is at 0. The
   * audio is left out (a part's sound is the whole clip's, copied once where the parts are joined).
   */
  part?: { trim: { start: number; end?: number }; framesTotal: number; warmup: number; shiftSeconds: number };
}

export interface Mp4Result {
  /** The MP4, or null when it was written to `output`. */
  data: ArrayBuffer | null;
  codec: VideoCodec;
  frames: number;
  width: number;
  height: number;
  hasAudio: boolean;
}

/**
 * The encoder's bitrate: mediabunny's quality scale at 1.25 (above its 'very-high', 1), as a bitrate (5.9 Mbit/s at
 * 960×540 in H.264, 22 at 1080p; 0.6× in VP9). Brush strokes are fine detail: at QUALITY_HIGH (0.75: 1.6 Mbit/s at
 * 960×540) Chromium's software H.264 encoder starves its P-frames (mean error 0.025 per channel against the rendered
 * frame by the 10th, 0.008 at a key frame) and, as it is not deterministic at that size, two runs of the same frames
 * drift apart by as much: both show at every `--segment` join (a key frame after a starved P-frame of another run).
 * Here the P-frames stay within 0.012, two runs within 0.0082 over 10 frames (tests/e2e/cli-reproducible.test.ts),
 * and bench:seams meets its goal. As a bitrate even where the encoder takes a fixed quantizer: this quality would be
 * QP 10 there (near-lossless, huge files), and the bitrate is what was measured.
 */
export const OUTPUT_QUALITY = new Quality({ quality: 1.25, preferBitrate: true });

/**
 * Mediabunny's Conversion is the loop: demux, decode, our `render` per frame, encode, mux, audio copied
 * through. Every frame is kept with its timestamp; rotation arrives already applied.
 */
export async function convertToMp4(video: OpenedVideo, opts: Mp4JobOptions): Promise<Mp4Result> {
  const { width, height } = video;
  const part = opts.part;
  const framesTotal = part?.framesTotal ?? video.frames;
  const warmup = part?.warmup ?? 0;
  const shift = part?.shiftSeconds ?? 0;
  const codec = await getFirstEncodableVideoCodec(['avc', 'vp9'], { width, height });
  if (!codec) throw new StylecastError('ENCODE_FAILED', `This browser cannot encode ${width}×${height} video as H.264 or VP9.`);
  const output = mp4Output(opts);
  const comment = typeof opts.comment === 'function' ? opts.comment(framesTotal - warmup) : opts.comment;
  let framesDone = 0;
  let failure: unknown = null;
  /** With lagOne: the rendered frame not yet handed to the encoder. */
  let held: { canvas: OffscreenCanvas | VideoFrame | PendingFrame; timestamp: number; duration: number } | null = null;
  /** A rendered frame as the encoder's sample at `timestamp` (seconds, already shifted). */
  const take = async (h: NonNullable<typeof held>) => {
    const canvas = h.canvas instanceof PendingFrame ? await h.canvas.ready() : h.canvas;
    return canvas instanceof VideoFrame
      ? shift === 0
        ? new VideoSample(canvas)
        : new VideoSample(canvas, { timestamp: h.timestamp, duration: h.duration || undefined })
      : new VideoSample(canvas, { timestamp: h.timestamp, duration: h.duration || undefined });
  };
  /** Lets go of a rendered frame that will not be encoded. */
  const drop = (c: OffscreenCanvas | VideoFrame | PendingFrame | null | undefined) => {
    if (c instanceof VideoFrame) c.close();
    else if (c instanceof PendingFrame) c.discard();
  };
  const started = performance.now();

  const conversion = await Conversion.init({
    input: video.input,
    output,
    // An edit list that starts mid-frame: start at the first frame it presents (see OpenedVideo.startSeconds).
    trim: part ? part.trim : video.startSeconds === undefined ? undefined : { start: video.startSeconds },
    audio: part ? { discard: true } : undefined,
    tags: comment === undefined ? undefined : (tags) => ({ ...tags, comment }),
    video: {
      codec,
      quality: OUTPUT_QUALITY,
      forceTranscode: true,
      processedWidth: width,
      processedHeight: height,
      process: async (sample: VideoSample) => {
        const frame = sample.toVideoFrame();
        let canvas: OffscreenCanvas | VideoFrame | PendingFrame | null = null;
        try {
          canvas = await opts.render(frame);
          const warming = framesDone < warmup;
          framesDone++;
          const elapsedMs = performance.now() - started;
          opts.onProgress?.({
            framesDone,
            framesTotal,
            elapsedMs,
            etaMs: framesDone >= 3 ? (elapsedMs / framesDone) * Math.max(0, framesTotal - framesDone) : null,
          });
          if (warming) {
            // A warm-up frame: its work is done (the temporal history has it); nothing is encoded.
            drop(canvas);
            canvas = null;
            return null;
          }
          const now = { canvas, timestamp: sample.timestamp - shift, duration: sample.duration };
          if (!opts.lagOne) {
            canvas = null; // the encoder's now
            return shift === 0 && now.canvas instanceof OffscreenCanvas ? now.canvas : await take(now);
          }
          const out: VideoSample[] = [];
          const previous = held;
          held = now;
          canvas = null;
          if (previous) out.push(await take(previous));
          if (framesDone >= framesTotal) {
            const last = held;
            held = null;
            out.push(await take(last)); // the last frame: nothing comes after it to carry it out
          }
          return out.length ? out : null;
        } catch (e) {
          failure ??= e;
          drop(canvas);
          drop(held?.canvas);
          held = null;
          throw e;
        } finally {
          frame.close();
        }
      },
    },
  });
  const videoDiscard = conversion.discardedTracks.find((d) => d.track.isVideoTrack());
  if (videoDiscard || !conversion.isValid) {
    const reason = videoDiscard?.reason ?? 'no usable track';
    throw reason === 'no_encodable_target_codec'
      ? new StylecastError('ENCODE_FAILED', `This browser cannot encode the output video (${codec}, ${width}×${height}).`)
      : new StylecastError('UNSUPPORTED_CODEC', `The input's video track cannot be converted (${reason.replaceAll('_', ' ')}).`);
  }

  const abort = () => void conversion.cancel();
  if (opts.signal?.aborted) throw cancelled();
  opts.signal?.addEventListener('abort', abort, { once: true });
  try {
    await conversion.execute();
  } catch (e) {
    if (e instanceof ConversionCanceledError || opts.signal?.aborted) throw cancelled();
    const cause = failure ?? e;
    if (isStylecastError(cause)) throw cause;
    throw new StylecastError('CORRUPT_INPUT', `Stylising stopped at frame ${framesDone + 1} of ${framesTotal}: ${brief(cause)}.`, { cause });
  } finally {
    opts.signal?.removeEventListener('abort', abort);
  }
  if (opts.signal?.aborted) throw cancelled();
  if (framesDone < framesTotal) {
    throw new StylecastError('CORRUPT_INPUT', `The input is truncated or damaged: only ${framesDone} of its ${framesTotal} frames could be decoded.`);
  }
  return { data: mp4Data(output), codec, frames: framesDone - warmup, width, height, hasAudio: video.hasAudio && !part };
}

const cancelled = () => new StylecastError('CANCELLED', 'Stylising was cancelled.');
