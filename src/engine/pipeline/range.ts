// A part of a clip: which frames are kept, which are decoded before them only to warm the temporal history, and where
// the conversion must start and end on the source's timeline to hand over exactly those.
import { EncodedPacketSink } from 'mediabunny';
import { invalidArgument } from '../errors.ts';
import type { OpenedVideo } from '../sources/file.ts';

/**
 * Frames of a clip to keep: presented frames by index (0-based, `endFrame` exclusive — frame-exact), or seconds on
 * the source's timeline (a frame is kept when `start` ≤ its timestamp < `end`). An end left out is the clip's end.
 */
export type ClipRange = { startFrame: number; endFrame?: number } | { start: number; end?: number };

/** The most warm-up frames a range may ask for. */
export const MAX_WARMUP_FRAMES = 1000;

export interface ResolvedRange {
  /** Presented frames: warm-up from `warmFrom`, kept from `startFrame` to `endFrame` (exclusive). */
  warmFrom: number;
  startFrame: number;
  endFrame: number;
  /** The conversion's trim (seconds, the source's timeline). */
  trim: { start: number; end?: number };
  /** Subtracted from the conversion's timestamps (which count from the trim's start) so the first kept frame is at 0. */
  shiftSeconds: number;
  /** Where the first kept frame sits, seconds after the clip's first frame. */
  offsetSeconds: number;
}

/** A frame counts as at or after a time within this (the page gets times as JSON numbers; float noise stays below). */
const EPS = 1e-7;

/** Checks a range and a warm-up given through the public API (INVALID_ARGUMENT, one sentence each). */
export function checkRange(range: unknown, warmupFrames: unknown): void {
  if (warmupFrames !== undefined && !(Number.isInteger(warmupFrames) && (warmupFrames as number) >= 0 && (warmupFrames as number) <= MAX_WARMUP_FRAMES)) {
    throw invalidArgument(`warmupFrames must be a whole number from 0 to ${MAX_WARMUP_FRAMES}, got ${String(warmupFrames)}.`);
  }
  if (range === undefined) return;
  if (typeof range !== 'object' || range === null) throw invalidArgument('range must be { startFrame, endFrame? } or { start, end? }.');
  const r = range as Record<string, unknown>;
  if ('startFrame' in r) {
    const { startFrame: s, endFrame: e } = r;
    if (!(Number.isInteger(s) && (s as number) >= 0)) throw invalidArgument(`range.startFrame must be a whole number ≥ 0, got ${String(s)}.`);
    if (e !== undefined && !(Number.isInteger(e) && (e as number) > (s as number))) throw invalidArgument(`range.endFrame must be a whole number above startFrame (${String(s)}), got ${String(e)}.`);
  } else if ('start' in r) {
    const { start: s, end: e } = r;
    if (!(typeof s === 'number' && Number.isFinite(s) && s >= 0)) throw invalidArgument(`range.start must be a number of seconds ≥ 0, got ${String(s)}.`);
    if (e !== undefined && !(typeof e === 'number' && e > s)) throw invalidArgument(`range.end must be a number of seconds above start (${s}), got ${String(e)}.`);
  } else {
    throw invalidArgument('range must be { startFrame, endFrame? } or { start, end? }.');
  }
}

/** The presented frames' timestamps in order, from the clip's start (as openVideo counts them: metadata only). */
export async function presentedTimestamps(video: OpenedVideo): Promise<number[]> {
  const start = Math.max(0, await video.input.getFirstTimestamp()); // as openVideo counts (negatives: references only)
  const ts: number[] = [];
  for await (const p of new EncodedPacketSink(video.track).packets(undefined, undefined, { metadataOnly: true })) {
    if (p.timestamp >= start) ts.push(p.timestamp);
  }
  return ts.sort((a, b) => a - b);
}

/**
 * Which frames a range keeps and warms with, and the conversion's trim for them. `period` (> 1 with carried strokes:
 * their life in frames, see maxStrokeAge): a warm-up of K > 0 frames is lengthened until it starts on a multiple of
 * it, so the strokes refresh on the same frames as in a run over the whole clip (their ages start from the same
 * staggered phases at frame 0 and at the warm-up's start) and the two histories agree at the first kept frame.
 */
export async function resolveRange(video: OpenedVideo, range: ClipRange, warmupFrames: number, period = 1): Promise<ResolvedRange> {
  const ts = await presentedTimestamps(video);
  const n = ts.length;
  const firstAtOrAfter = (t: number) => {
    let i = 0;
    while (i < n && ts[i] < t - EPS) i++;
    return i;
  };
  let a: number;
  let b: number;
  if ('startFrame' in range) {
    a = range.startFrame;
    b = Math.min(range.endFrame ?? n, n);
    if (a >= n) throw invalidArgument(`range.startFrame ${a} is past the clip's last frame (it has ${n}).`);
  } else {
    a = firstAtOrAfter(range.start);
    b = range.end === undefined ? n : firstAtOrAfter(range.end);
    if (a >= b) throw invalidArgument(`The range ${range.start}–${range.end ?? 'end'} s holds no frame of the clip (its frames run from ${ts[0].toFixed(3)} to ${ts[n - 1].toFixed(3)} s).`);
  }
  let w = Math.max(0, a - warmupFrames);
  if (warmupFrames > 0 && period > 1) w -= w % period;
  // From the clip's own start when the warm-up reaches it (the conversion's default, or the edit list's start).
  const trimStart = w === 0 ? (video.startSeconds ?? ts[0]) : ts[w];
  return {
    warmFrom: w,
    startFrame: a,
    endFrame: b,
    trim: { start: trimStart, end: b < n ? ts[b] : undefined },
    shiftSeconds: a === w ? 0 : ts[a] - trimStart,
    offsetSeconds: ts[a] - ts[0],
  };
}
