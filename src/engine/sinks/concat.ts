// Parts of one clip (MP4s from `stylizeFile` with a range) into one video track by decoding and encoding them again:
// the fallback when their packets cannot be copied into one track as they are (the encoders' configurations differ,
// e.g. parts stylised on machines with different hardware encoders). Video only: the caller copies the audio.
import { ALL_FORMATS, BlobSource, Input, VideoSampleSink, VideoSampleSource, getFirstEncodableVideoCodec, type VideoCodec } from 'mediabunny';
import { StylecastError } from '../errors.ts';
import { urlSource } from '../sources/url.ts';
import { OUTPUT_QUALITY, mp4Data, mp4Output, type Mp4Destination } from './mp4.ts';

export interface ConcatPart {
  source: Blob | URL;
  /** Added to the part's timestamps: where its first frame belongs in the whole. */
  offsetSeconds: number;
}

/** Every frame of every part, in order, at `offsetSeconds` + its own time, encoded into one MP4 track (H.264, else VP9). */
export async function reencodeParts(parts: ConcatPart[], dest: Mp4Destination, signal?: AbortSignal): Promise<{ data: ArrayBuffer | null; frames: number; codec: VideoCodec }> {
  if (!parts.length) throw new StylecastError('INVALID_ARGUMENT', 'There are no parts to join.');
  const open = (p: ConcatPart) => new Input({ formats: ALL_FORMATS, source: p.source instanceof Blob ? new BlobSource(p.source) : urlSource(p.source) });
  const first = open(parts[0]);
  let width: number;
  let height: number;
  try {
    const track = await first.getPrimaryVideoTrack();
    if (!track) throw new StylecastError('CORRUPT_INPUT', 'Part 1 has no video track.');
    [width, height] = [track.displayWidth, track.displayHeight];
  } finally {
    first.dispose();
  }
  const codec = await getFirstEncodableVideoCodec(['avc', 'vp9'], { width, height });
  if (!codec) throw new StylecastError('ENCODE_FAILED', `This browser cannot encode ${width}×${height} video as H.264 or VP9.`);
  const output = mp4Output(dest);
  // Parts of another size are scaled into the first's frame (contain): one track has one size.
  const video = new VideoSampleSource({ codec, bitrate: OUTPUT_QUALITY, sizeChangeBehavior: 'contain' });
  output.addVideoTrack(video);
  if (dest.comment !== undefined && typeof dest.comment === 'string') output.setMetadataTags({ comment: dest.comment });
  let frames = 0;
  let done = false;
  try {
    await output.start();
    for (const [i, part] of parts.entries()) {
      const input = open(part);
      try {
        const track = await input.getPrimaryVideoTrack();
        if (!track) throw new StylecastError('CORRUPT_INPUT', `Part ${i + 1} has no video track.`);
        for await (const sample of new VideoSampleSink(track).samples()) {
          try {
            if (signal?.aborted) throw new StylecastError('CANCELLED', 'Joining was cancelled.');
            sample.setTimestamp(sample.timestamp + part.offsetSeconds);
            await video.add(sample);
            frames++;
          } finally {
            sample.close();
          }
        }
      } finally {
        input.dispose();
      }
    }
    video.close();
    await output.finalize();
    done = true;
  } finally {
    if (!done) await output.cancel().catch(() => {});
  }
  return { data: mp4Data(output), frames, codec };
}
