// Animated GIF, WebP and PNG (APNG) as clips: WebCodecs' ImageDecoder gives every frame composed (disposal and
// blending done) as a VideoFrame with its timestamp and duration, which the frame pipeline takes like a video's.
import { StylecastError } from '../errors.ts';
import { brief } from './file.ts';

export type AnimatedImageType = 'image/gif' | 'image/webp' | 'image/png';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** How many chunks before the first IDAT are looked at for an acTL (a PNG has a handful: IHDR, colour, text…). */
const PNG_MAX_HEADER_CHUNKS = 256;

/**
 * True for an animated PNG: its animation control chunk (acTL) must come before the first image data (IDAT), so the
 * chunks up to there are read (their headers only). A still PNG is not a clip: it goes on to the video reader, which
 * refuses it as it refuses a JPEG.
 */
async function isAnimatedPng(file: Blob): Promise<boolean> {
  let offset = PNG_SIGNATURE.length;
  for (let i = 0; i < PNG_MAX_HEADER_CHUNKS && offset + 8 <= file.size; i++) {
    const header = new DataView(await file.slice(offset, offset + 8).arrayBuffer());
    const type = String.fromCharCode(header.getUint8(4), header.getUint8(5), header.getUint8(6), header.getUint8(7));
    if (type === 'acTL') return true;
    if (type === 'IDAT' || type === 'IEND') return false;
    offset += 12 + header.getUint32(0); // length, type, data, CRC
  }
  return false;
}

/**
 * How much of the start of a file `animatedImageType` needs: an APNG's acTL chunk comes before its first image data,
 * after the header chunks (IHDR, and a colour profile or text that can run to a few KB).
 */
export const SNIFF_BYTES = 64 * 1024;

/** GIF, WebP or animated PNG by their bytes (not the file name: the CLI and the app hand over bytes), else null. */
export async function animatedImageType(file: Blob): Promise<AnimatedImageType | null> {
  const head = new Uint8Array(await file.slice(0, 12).arrayBuffer());
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  if (head.length >= 6 && (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a')) return 'image/gif';
  if (head.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  if (head.length >= 8 && PNG_SIGNATURE.every((b, i) => head[i] === b) && (await isAnimatedPng(file))) return 'image/png';
  return null;
}

/** An image opened and checked; `frames()` yields its frames in order. */
export interface OpenedImage {
  type: AnimatedImageType;
  width: number;
  height: number;
  frames: number;
  /** Every frame of it, each with its timestamp and duration (µs), to be closed by the caller. */
  decode(index: number): Promise<VideoFrame>;
  close(): void;
}

/**
 * A still image, or a frame of 10 ms or less (no delay, or a GIF's 1 hundredth), is shown this long: as Chromium and
 * Firefox show such a frame in a page (for GIF, WebP and APNG alike), so the output moves as the image does there.
 */
const DEFAULT_FRAME_US = 100_000;
/** The longest frame duration browsers take for "no delay" (and show DEFAULT_FRAME_US instead). */
const UNSHOWN_FRAME_US = 10_000;

const NAMES: Record<AnimatedImageType, string> = { 'image/gif': 'GIF', 'image/webp': 'WebP', 'image/png': 'animated PNG' };

export async function openAnimatedImage(file: Blob, type: AnimatedImageType, maxSide: number): Promise<OpenedImage> {
  const name = NAMES[type];
  if (typeof ImageDecoder === 'undefined' || !(await ImageDecoder.isTypeSupported(type))) {
    throw new StylecastError('UNSUPPORTED_CODEC', `This browser cannot decode ${name} images (WebCodecs' ImageDecoder is missing or does not take ${type}).`);
  }
  const damaged = (e: unknown) => new StylecastError('CORRUPT_INPUT', `The input ${name} is damaged or truncated and cannot be read (${brief(e)}).`, { cause: e });
  let decoder: ImageDecoder;
  try {
    decoder = new ImageDecoder({ data: await file.arrayBuffer(), type });
  } catch (e) {
    throw damaged(e);
  }
  try {
    await decoder.tracks.ready;
    await decoder.completed; // the whole file parsed: the frame count is final
    const track = decoder.tracks.selectedTrack;
    if (!track || track.frameCount === 0) throw new StylecastError('CORRUPT_INPUT', `The input ${name} holds no frames.`);
    const first = (await decoder.decode({ frameIndex: 0 })).image;
    const [width, height] = [first.displayWidth, first.displayHeight];
    first.close();
    if (width > maxSide || height > maxSide) {
      throw new StylecastError('FRAME_TOO_LARGE', `The image's frames are ${width}×${height}; this device handles at most ${maxSide} pixels per side.`);
    }
    if (width < 1 || height < 1) throw new StylecastError('CORRUPT_INPUT', `The image reports an invalid size of ${width}×${height}.`);
    let next = 0; // where the next frame starts when a frame carries no timestamp of its own
    return {
      type,
      width,
      height,
      frames: track.frameCount,
      async decode(index) {
        let image: VideoFrame;
        try {
          image = (await decoder.decode({ frameIndex: index })).image;
        } catch (e) {
          throw new StylecastError('CORRUPT_INPUT', `The input ${name} is damaged or truncated: frame ${index + 1} of ${track.frameCount} cannot be decoded (${brief(e)}).`, { cause: e });
        }
        const duration = image.duration && image.duration > UNSHOWN_FRAME_US ? image.duration : DEFAULT_FRAME_US;
        const timestamp = index === 0 ? 0 : Math.max(image.timestamp ?? next, next);
        next = timestamp + duration;
        if (image.timestamp === timestamp && image.duration === duration) return image;
        try {
          return new VideoFrame(image, { timestamp, duration });
        } finally {
          image.close();
        }
      },
      close: () => decoder.close(),
    };
  } catch (e) {
    decoder.close();
    throw e instanceof StylecastError ? e : damaged(e);
  }
}
