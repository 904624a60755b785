// An animated GIF out (`stylizeFile(…, { format: 'gif' })`, the CLI's `-o out.gif`): each stylised frame quantised to
// its own palette of at most 256 colours (gifenc's PnnQuant, no dithering) and LZW-coded by gifenc (MIT), shown for
// its own duration (GIF counts hundredths of a second), looping forever. No audio: a GIF has none.
//
// The palette is built from the frame's colours binned at 4 bits a channel (gifenc's rgb444), not 5-6-5: on a
// stylised 480×270 frame (host vm, Node, best of 6, load ~10) 22 ms against 601 ms for quantize + applyPalette, for a
// mean error of 6.9 against 5.8 (of 255) and no visible difference; at 5-6-5 a GIF took 7–10× the MP4's wall time.
//
// The frames come at the GIF's size (at most `gifSize` on the long side, sinks/gif-size.ts: the frame pipeline makes
// its output at that size, see pipeline/images.ts), so nothing is scaled here.
//
// The pixels: a frame whose bytes are in CPU memory as RGBX/RGBA (the CPU path's frames, see FrameStylizer.takeFrame:
// the network's output enlarged on the CPU, or read back from the smoothing device) is copied once, straight into the
// quantiser's buffer (VideoFrame.copyTo); anything else (a canvas on the GPU, another pixel format) is drawn on a 2D
// canvas and read from it (two copies, and a readback where the canvas lives on a GPU).
import { GIFEncoder, applyPalette, quantize } from 'gifenc';
import { StylecastError } from '../errors.ts';
import type { OutputChunk } from './mp4.ts';

/** GIF's logical screen is 16-bit. */
export const GIF_MAX_SIDE = 65_535;

/**
 * Where a frame ends in hundredths of a second, for a frame that ends at `endUs`: delays are the differences of these
 * (so rounding never drifts over a long animation), at least MIN_DELAY_CS.
 */
const centiseconds = (us: number) => Math.round(us / 10_000);

/**
 * The shortest delay written, hundredths of a second: browsers (Chromium, Firefox) show a frame of 0 or 1 as 10, so a
 * frame that rounds to 1 (frames 1/60 s apart, kept at the 50 fps cap) would stall the animation. A frame pushed
 * later by this is caught up by the next ones (their ends are rounded, not their delays): with at most 50 frames a
 * second (the callers' cap) a frame is never more than 2 hundredths late.
 */
export const MIN_DELAY_CS = 2;

/** A GIF Comment Extension (0x21 0xFE) holding `text` (Latin-1 / ASCII), in sub-blocks of at most 255 bytes. */
export function gifComment(text: string): Uint8Array {
  const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
  const out: number[] = [0x21, 0xfe];
  for (let i = 0; i < bytes.length; i += 255) {
    const part = bytes.subarray(i, i + 255);
    out.push(part.length, ...part);
  }
  out.push(0);
  return Uint8Array.from(out);
}

export class GifSink {
  readonly #gif = GIFEncoder({ auto: false, initialCapacity: 1 << 16 });
  /** For frames that are not RGBX/RGBA bytes: made on first use. */
  #ctx: OffscreenCanvasRenderingContext2D | null = null;
  /** The RGBX/RGBA frames' bytes, reused: gifenc reads them as 32-bit pixels from offset 0. */
  #bytes: Uint8Array<ArrayBuffer> | null = null;
  /** How the frames' pixels were read: copied from the frame's bytes, or drawn on a 2D canvas and read back. */
  readonly reads = { bytes: 0, canvas: 0 };
  readonly #writer: WritableStreamDefaultWriter<OutputChunk> | null;
  /** In memory (no `output`): the file's pieces. */
  readonly #pieces: Uint8Array[] = [];
  #position = 0;
  /** Where the last frame written ends, in hundredths of a second. */
  #shownCs = 0;
  frames = 0;

  /** `comment`: a Comment Extension written before the trailer (a function is given the number of frames). */
  constructor(
    readonly width: number,
    readonly height: number,
    output?: WritableStream<OutputChunk>,
    readonly comment?: string | ((frames: number) => string),
  ) {
    if (width > GIF_MAX_SIDE || height > GIF_MAX_SIDE) throw new StylecastError('FRAME_TOO_LARGE', `A GIF is at most ${GIF_MAX_SIDE} pixels a side; the frames are ${width}×${height}.`);
    this.#writer = output ? output.getWriter() : null;
    this.#gif.writeHeader();
  }

  /** Sends what the encoder holds to the file (or keeps it), then empties the encoder's buffer. */
  async #flush(): Promise<void> {
    const data = this.#gif.bytesView().slice();
    this.#gif.reset();
    await this.#write(data);
  }

  async #write(data: Uint8Array): Promise<void> {
    if (!data.byteLength) return;
    if (this.#writer) await this.#writer.write({ type: 'write', data, position: this.#position });
    else this.#pieces.push(data);
    this.#position += data.byteLength;
  }

  /** The frame's pixels as RGBA-ordered bytes (the fourth byte unread: the palette is rgb444). */
  async #pixels(frame: VideoFrame | OffscreenCanvas): Promise<Uint8Array | Uint8ClampedArray> {
    const { width, height } = this;
    if (frame instanceof VideoFrame && (frame.format === 'RGBX' || frame.format === 'RGBA') && frame.visibleRect?.width === width && frame.visibleRect.height === height) {
      this.#bytes ??= new Uint8Array(width * height * 4);
      await frame.copyTo(this.#bytes, { layout: [{ offset: 0, stride: width * 4 }] });
      this.reads.bytes++;
      return this.#bytes;
    }
    if (!this.#ctx) {
      this.#ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
      if (!this.#ctx) throw new StylecastError('ENCODE_FAILED', 'No 2D canvas to read the frames for the GIF.');
    }
    this.#ctx.drawImage(frame, 0, 0, width, height);
    this.reads.canvas++;
    return this.#ctx.getImageData(0, 0, width, height).data;
  }

  /** One frame (the caller still owns it), shown from `timestampUs` for `durationUs`. */
  async add(frame: VideoFrame | OffscreenCanvas, timestampUs: number, durationUs: number): Promise<void> {
    const rgba = await this.#pixels(frame);
    const palette = quantize(rgba, 256, { format: 'rgb444' });
    const index = applyPalette(rgba, palette, 'rgb444');
    const endCs = Math.max(centiseconds(timestampUs + durationUs), this.#shownCs + MIN_DELAY_CS);
    const delayCs = endCs - this.#shownCs;
    this.#shownCs = endCs;
    // repeat 0: the NETSCAPE2.0 loop extension, loop forever (written with the first frame).
    this.#gif.writeFrame(index, this.width, this.height, { palette, delay: delayCs * 10, repeat: 0, first: this.frames === 0 });
    this.frames++;
    await this.#flush();
  }

  /** Ends the file: its bytes when it was made in memory, null when it went to `output` (then closed). */
  async finalize(): Promise<ArrayBuffer | null> {
    if (this.frames === 0) throw new StylecastError('ENCODE_FAILED', 'The GIF has no frames.');
    const comment = typeof this.comment === 'function' ? this.comment(this.frames) : this.comment;
    if (comment) {
      await this.#flush();
      await this.#write(gifComment(comment));
    }
    this.#gif.finish();
    await this.#flush();
    if (this.#writer) {
      await this.#writer.close();
      return null;
    }
    const out = new Uint8Array(this.#position);
    let at = 0;
    for (const p of this.#pieces) {
      out.set(p, at);
      at += p.byteLength;
    }
    return out.buffer;
  }

  /** After a failure: the stream is aborted (a file being written is then not complete). */
  async cancel(reason?: unknown): Promise<void> {
    await this.#writer?.abort(reason).catch(() => {});
  }
}
