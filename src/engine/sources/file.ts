import { ALL_FORMATS, BlobSource, EncodedPacketSink, Input, UnsupportedInputFormatError, type InputVideoTrack } from 'mediabunny';
import { StylecastError } from '../errors.ts';
import { urlSource } from './url.ts';

/** A video file opened and checked: everything Mediabunny does not check for us has been checked here. */
export interface OpenedVideo {
  input: Input;
  track: InputVideoTrack;
  /** Upright display size (rotation metadata applied). */
  width: number;
  height: number;
  /** The frames presented (what an edit list shows), not the packets stored: what the conversion will hand over. */
  frames: number;
  /**
   * Where the conversion must start (seconds, the input's timeline) when its default start — the earliest timestamp,
   * negatives cut — would fall inside a frame: an edit list that starts mid-frame (`ffmpeg -ss 0.5 -c copy` on a file
   * with B-frames). Undefined for every other file (the default start).
   */
  startSeconds?: number;
  durationSeconds: number;
  hasAudio: boolean;
}

/** Largest frame side we accept (the GPU's texture limit, or a conservative default without WebGPU). */
export const DEFAULT_MAX_FRAME_SIDE = 8192;

/** A Blob is read from memory (or Chromium's blob store); a URL by ranged requests, a bounded part cached (url.ts). */
export async function openVideo(file: Blob | URL, maxSide = DEFAULT_MAX_FRAME_SIDE): Promise<OpenedVideo> {
  if (!(file instanceof Blob) && !(file instanceof URL)) throw new StylecastError('INVALID_ARGUMENT', 'The input must be a File, a Blob or a URL.');
  if (file instanceof Blob && file.size === 0) throw new StylecastError('EMPTY_INPUT', 'The input file is empty (0 bytes).');
  const input = new Input({ formats: ALL_FORMATS, source: file instanceof Blob ? new BlobSource(file) : urlSource(file) });
  try {
    return await check(input, maxSide);
  } catch (e) {
    input.dispose();
    throw e;
  }
}

async function check(input: Input, maxSide: number): Promise<OpenedVideo> {
  let track: InputVideoTrack | null;
  let hasAudio: boolean;
  let trackCount: number;
  let container: string;
  try {
    container = (await input.getFormat()).name;
    trackCount = (await input.getTracks()).length;
    track = await input.getPrimaryVideoTrack();
    hasAudio = (await input.getPrimaryAudioTrack()) !== null;
  } catch (e) {
    if (e instanceof UnsupportedInputFormatError) {
      throw new StylecastError('UNREADABLE_INPUT', 'The input is not a video file stylecast can read (MP4, MOV, WebM, MKV, or an animated GIF or WebP expected).', { cause: e });
    }
    throw new StylecastError('CORRUPT_INPUT', `The input video is damaged or truncated and cannot be read (${brief(e)}).`, { cause: e });
  }
  if (trackCount === 0) {
    // A recognised container without a single track is a file cut short before its track table (an MP4 whose moov
    // sits at the end, the usual layout, loses it first) or with that table damaged: no valid file is like that.
    throw new StylecastError('CORRUPT_INPUT', `The input is truncated or damaged: its ${container} container has no readable track table (the index is missing or cut short), so no frame can be found.`);
  }
  if (!track) {
    throw new StylecastError('NO_VIDEO_TRACK', hasAudio ? 'The input has only audio: there is no video track to stylise.' : 'The input has no video track.');
  }
  let decodable = false;
  let codec = track.codec ?? 'unknown';
  try {
    codec = (await track.getCodecParameterString()) ?? codec;
    decodable = await track.canDecode();
  } catch {
    decodable = false;
  }
  if (!decodable) {
    throw new StylecastError('UNSUPPORTED_CODEC', `This browser cannot decode the input's video codec (${codec}). Re-encode it as H.264, VP9 or AV1.`);
  }
  const width = track.displayWidth;
  const height = track.displayHeight;
  if (width > maxSide || height > maxSide) {
    throw new StylecastError('FRAME_TOO_LARGE', `The video's frames are ${width}×${height}; this device handles at most ${maxSide} pixels per side.`);
  }
  if (width < 1 || height < 1) throw new StylecastError('CORRUPT_INPUT', `The video reports an invalid size of ${width}×${height}.`);
  let presented: { frames: number; startSeconds?: number };
  let durationSeconds: number;
  try {
    presented = await presentedFrames(input, track);
    durationSeconds = await input.computeDuration();
  } catch (e) {
    throw new StylecastError('CORRUPT_INPUT', `The input video is damaged or truncated and cannot be read (${brief(e)}).`, { cause: e });
  }
  if (presented.frames === 0) throw new StylecastError('CORRUPT_INPUT', 'The input video track holds no frames.');
  return { input, track, width, height, ...presented, durationSeconds, hasAudio };
}

/**
 * The frames the conversion will present, from the packets' timestamps (metadata only, one pass over the index). An
 * edit list shifts the timeline: packets before its start get negative timestamps and are decoded only as references
 * (a trimmed file keeps the 20 packets of its GOP but presents 7 frames), so those are not counted. Mediabunny's
 * conversion starts at the earliest timestamp of all tracks, negatives cut, and keeps a frame that straddles that start
 * with its head clipped; players (and ffmpeg) show the frames that start in the edit instead, so then the start moves
 * to the first of those (a microsecond past it: float noise never keeps the previous frame as a sliver).
 */
async function presentedFrames(input: Input, track: InputVideoTrack): Promise<{ frames: number; startSeconds?: number }> {
  const start = Math.max(0, await input.getFirstTimestamp());
  let frames = 0;
  let straddles = false;
  let firstInside = Infinity;
  for await (const p of new EncodedPacketSink(track).packets(undefined, undefined, { metadataOnly: true })) {
    if (p.timestamp >= start) {
      frames++;
      firstInside = Math.min(firstInside, p.timestamp);
    } else if (p.timestamp + p.duration > start) {
      straddles = true;
    }
  }
  return straddles && frames > 0 ? { frames, startSeconds: firstInside + 1e-6 } : { frames };
}

/** The first sentence of a library's error, without its trailing full stop (the rest is often "please report it"). */
export const brief = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split(/(?<=\.)\s/)[0].replace(/\.$/, '');
