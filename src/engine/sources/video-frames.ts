// A video's frames for an animated GIF: decoded in order (Mediabunny's VideoSampleSink), upright, at most `fps` a
// second. A GIF counts time in hundredths of a second and players show delays under 2 cs at 10 cs, so a 30 or 60 fps
// clip cannot be shown at its own rate: the first frame of every 1/fps-second slot is kept (evenly: a 30 fps clip
// at 15 keeps every other frame), and each kept frame is shown until the next one starts (the last until the clip's
// end), so the GIF lasts as long as the clip. The rest are decoded (later frames need them) but not stylised.
// An animated image's frames for a GIF go by the same rule (`imageFramesForGif`), at the cap asked for, else at the
// most a GIF shows (50 fps): a GIF in keeps every frame, a 60 fps WebP or APNG loses what a GIF cannot show.
import { EncodedPacketSink, VideoSampleSink, type VideoSample } from 'mediabunny';
import { StylecastError, invalidArgument } from '../errors.ts';
import { brief, openVideo } from './file.ts';
import type { OpenedImage } from './animated-image.ts';

/** The GIF frame rate cap when none is asked for. */
export const DEFAULT_GIF_FPS = 15;
/** GIF delays are whole hundredths and players slow anything under 2 cs down to 10 cs: 50 fps is the most a GIF shows. */
export const MAX_GIF_FPS = 50;

export function checkGifFps(v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 1 || v > MAX_GIF_FPS) {
    throw invalidArgument(`gifFps must be a number of frames per second from 1 to ${MAX_GIF_FPS}, got ${String(v)}.`);
  }
  return v;
}

/** A frame source like an animated image's, with what the GIF leaves out of the video (or image). */
export interface VideoFrames extends Omit<OpenedImage, 'type'> {
  /** The frames the clip presents (the GIF keeps `frames` of them). */
  sourceFrames: number;
  /** The clip's presented frame rate (frames over its duration). */
  sourceFps: number;
  /** The clip has a sound track (a GIF has none: it is dropped). */
  hasAudio: boolean;
}

/**
 * Which presented frames (timestamps in seconds, sorted, the first at t0) a GIF at most `fps` a second keeps: the
 * first of each 1/fps slot after the clip's start. Indices into `ts`.
 */
export function gifFrameSelection(ts: number[], fps: number): number[] {
  const keep: number[] = [];
  let lastSlot = -1;
  for (let i = 0; i < ts.length; i++) {
    const slot = Math.floor((ts[i] - ts[0]) * fps + 1e-6);
    if (slot > lastSlot) {
      keep.push(i);
      lastSlot = slot;
    }
  }
  return keep;
}

export async function openVideoFrames(file: Blob | URL, maxSide: number, fps: number): Promise<VideoFrames> {
  const video = await openVideo(file, maxSide);
  try {
    // The presented frames (as openVideo counts them) with where each ends.
    const start = Math.max(0, await video.input.getFirstTimestamp());
    const packets: { t: number; end: number }[] = [];
    for await (const p of new EncodedPacketSink(video.track).packets(undefined, undefined, { metadataOnly: true })) {
      if (p.timestamp >= start) packets.push({ t: p.timestamp, end: p.timestamp + p.duration });
    }
    packets.sort((a, b) => a.t - b.t);
    if (!packets.length) throw new StylecastError('CORRUPT_INPUT', 'The input video track holds no frames.');
    const ts = packets.map((p) => p.t);
    const t0 = ts[0];
    const end = Math.max(...packets.map((p) => p.end), ts.at(-1)! + 1e-3);
    const kept = gifFrameSelection(ts, fps);
    const keptTs = kept.map((i) => ts[i]);
    const rotated = video.track.rotation !== 0;
    const { width, height } = video;
    const canvas = rotated ? new OffscreenCanvas(width, height) : null;
    const c2d = canvas?.getContext('2d') ?? null;
    const samples = new VideoSampleSink(video.track).samples(video.startSeconds ?? t0);
    let next = 0; // the kept frame the iterator is looking for
    return {
      width,
      height,
      frames: kept.length,
      sourceFrames: ts.length,
      sourceFps: ts.length / Math.max(end - t0, 1e-3),
      hasAudio: video.hasAudio,
      async decode(index) {
        if (index !== next) throw new Error(`video frames are read in order: asked for ${index}, next is ${next}`);
        const want = keptTs[index];
        for (;;) {
          let r: IteratorResult<VideoSample, void>;
          try {
            r = await samples.next();
          } catch (e) {
            throw new StylecastError('CORRUPT_INPUT', `Stylising stopped at frame ${index + 1} of ${kept.length}: ${brief(e)}.`, { cause: e });
          }
          if (r.done) throw new StylecastError('CORRUPT_INPUT', `The input is truncated or damaged: only ${index} of the ${kept.length} frames for the GIF could be decoded.`);
          const sample = r.value;
          try {
            if (sample.timestamp < want - 1e-6) continue; // a dropped frame (decoded: the next ones need it)
            // The kept frame (or, if the decoder skipped it, the first after it).
            const timestamp = Math.round((want - t0) * 1e6);
            const until = index + 1 < keptTs.length ? keptTs[index + 1] : end;
            const duration = Math.max(1, Math.round((until - want) * 1e6));
            next++;
            if (c2d && canvas) {
              sample.drawWithFit(c2d, { fit: 'fill' }); // rotation applied, as the MP4 path has it
              return new VideoFrame(canvas, { timestamp, duration });
            }
            const frame = sample.toVideoFrame();
            try {
              return new VideoFrame(frame, { timestamp, duration });
            } finally {
              frame.close();
            }
          } finally {
            sample.close();
          }
        }
      },
      close() {
        void samples.return(undefined).catch(() => {});
        video.input.dispose();
      },
    };
  } catch (e) {
    video.input.dispose();
    throw e;
  }
}

/**
 * An animated image's frames for a GIF, at most `fps` a second by a video's rule (`gifFrameSelection`: the first of
 * each 1/fps slot, each kept frame shown until the next kept one starts, the last until the image's end, so the GIF
 * lasts as long as the image). ImageDecoder gives a frame's time only with its pixels: every frame is decoded once
 * first for the times (and closed at once), then again in order as the GIF asks for them (a dropped frame closed
 * unread: frames are composed on the ones before). Takes `image` over: closing the result closes it. `check` is
 * called before each frame of the first pass (it throws to stop: a cancel).
 */
export async function imageFramesForGif(image: OpenedImage, fps: number, check: () => void = () => {}): Promise<VideoFrames> {
  const times: { t: number; end: number }[] = []; // µs, as the image's frames carry them
  try {
    for (let i = 0; i < image.frames; i++) {
      check();
      const f = await image.decode(i);
      times.push({ t: f.timestamp, end: f.timestamp + (f.duration ?? 0) });
      f.close();
    }
  } catch (e) {
    image.close();
    throw e;
  }
  const end = times.at(-1)!.end; // frames follow one another: the last ends last
  const kept = gifFrameSelection(times.map((x) => (x.t - times[0].t) / 1e6), fps);
  let next = 0; // the image's frame the decoder reads next
  return {
    width: image.width,
    height: image.height,
    frames: kept.length,
    sourceFrames: image.frames,
    sourceFps: image.frames / Math.max((end - times[0].t) / 1e6, 1e-3),
    hasAudio: false,
    async decode(index) {
      const want = kept[index];
      if (want === undefined || want < next) throw new Error(`an image's frames for a GIF are read in order: asked for ${index}`);
      while (next < want) (await image.decode(next++)).close(); // dropped: decoded (the next are composed on it), not kept
      const frame = await image.decode(next++);
      const timestamp = times[want].t;
      const until = index + 1 < kept.length ? times[kept[index + 1]].t : end;
      try {
        return new VideoFrame(frame, { timestamp, duration: Math.max(1, until - timestamp) });
      } finally {
        frame.close();
      }
    },
    close: () => image.close(),
  };
}
