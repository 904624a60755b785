// `--segment <seconds>`: a long clip cut into segments stylised in parallel (a page each in one browser), then joined
// here in Node without re-encoding: each segment's packets are copied into one MP4 (Mediabunny's EncodedPacketSink →
// EncodedVideoPacketSource) at their place on the source's timeline, and the source's audio is copied once, whole.
// Each segment starts `warmupFrames` early (decoded, stylised, smoothed and dropped by the engine), so the temporal
// smoothing has history at its first kept frame and the joins do not show. The content's style vector (strength < 1)
// is computed once per clip and given to every segment.
import { rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
// Mediabunny is loaded when first needed (as batch.ts does): `stylecast --help` stays fast.
import type { AudioCodec, EncodedAudioPacketSource, Input, VideoCodec } from 'mediabunny';
import type { Page } from 'playwright-core';
import type { Progress } from '../engine/index.ts';
import { StylecastError, isStylecastError } from '../engine/errors.ts';
import type { StylizeArgs } from './args.ts';
import { defaultJobs } from './batch.ts';
import { cancelOnSignal, openSession, type Session } from './browser.ts';
import { checkFreeSpace, checkOutputPlace, commitOutput, minimumOutputBytes, partialPath, writeError } from './files.ts';
import { exposeProgress, runOnPage, styleFiles, stylizeJob } from './job.ts';
import type { JobResult, StylizeJob } from './protocol.ts';

/**
 * Frames each segment starts early (stylised and smoothed, then dropped). Chosen with `npm run bench:seams`: see
 * bench/results/seams-*.json (the warping error across a join against inside the segments, with and without it).
 */
export const DEFAULT_WARMUP_FRAMES = 18;
/** --segment's bounds, seconds. */
export const MIN_SEGMENT_SECONDS = 0.1;
export const MAX_SEGMENT_SECONDS = 86_400;
/** The most warm-up frames (as the engine's range allows). */
export const MAX_WARMUP_FRAMES = 1000;

export interface Segment {
  index: number;
  /** Presented frames of the clip, 0-based, `endFrame` exclusive. */
  startFrame: number;
  endFrame: number;
  /** Where the segment's first frame sits, seconds after the clip's first frame (its place in the joined output). */
  offsetSeconds: number;
}

export interface SegmentPlan {
  /** Presented frames of the clip (as the engine counts them). */
  frames: number;
  hasAudio: boolean;
  segments: Segment[];
}

/**
 * `--segment`'s value: a number of seconds from MIN_SEGMENT_SECONDS to MAX_SEGMENT_SECONDS, or INVALID_ARGUMENT
 * naming the flag and what was given.
 */
export function parseSegmentSeconds(text: string | undefined): number {
  const n = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(n) || n < MIN_SEGMENT_SECONDS || n > MAX_SEGMENT_SECONDS) {
    throw new StylecastError('INVALID_ARGUMENT', `--segment must be a number of seconds from ${MIN_SEGMENT_SECONDS} to ${MAX_SEGMENT_SECONDS} (each segment's length), got "${text ?? ''}".`);
  }
  return n;
}

/** `--warmup`'s value: a whole number of frames from 0 to MAX_WARMUP_FRAMES (INVALID_ARGUMENT otherwise). */
export function parseWarmupFrames(text: string | undefined): number {
  const n = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isInteger(n) || n < 0 || n > MAX_WARMUP_FRAMES) {
    throw new StylecastError('INVALID_ARGUMENT', `--warmup must be a whole number of frames from 0 to ${MAX_WARMUP_FRAMES}, got "${text ?? ''}".`);
  }
  return n;
}

/** The presented frames' timestamps in order (as the engine counts them: packets at or after the clip's start), and that start. */
async function presented(input: Input): Promise<{ ts: number[]; hasAudio: boolean }> {
  const { EncodedPacketSink } = await import('mediabunny');
  const track = await input.getPrimaryVideoTrack();
  if (!track) throw new StylecastError('NO_VIDEO_TRACK', 'The input has no video track.');
  const start = Math.max(0, await input.getFirstTimestamp());
  const ts: number[] = [];
  for await (const p of new EncodedPacketSink(track).packets(undefined, undefined, { metadataOnly: true })) {
    if (p.timestamp >= start) ts.push(p.timestamp);
  }
  if (!ts.length) throw new StylecastError('CORRUPT_INPUT', 'The input video track holds no frames.');
  return { ts: ts.sort((a, b) => a - b), hasAudio: (await input.getPrimaryAudioTrack()) !== null };
}

/** Opens a local file with Mediabunny (Node); an unreadable one is UNREADABLE_INPUT. */
async function openFile(path: string): Promise<Input> {
  const { ALL_FORMATS, FilePathSource, Input } = await import('mediabunny');
  return new Input({ source: new FilePathSource(path), formats: ALL_FORMATS });
}

/**
 * Cuts `input` into segments of about `segmentSeconds` at frame boundaries (every presented frame in exactly one; a
 * tail shorter than half a segment joins the one before). Reads only the container's index (no decoding). Null when
 * the file is not a video Mediabunny reads as one (an animated GIF or WebP: stylised whole).
 */
export async function planSegments(input: string, segmentSeconds: number): Promise<SegmentPlan | null> {
  const { UnsupportedInputFormatError } = await import('mediabunny');
  let file: Input;
  try {
    file = await openFile(input);
  } catch {
    return null;
  }
  try {
    let ts: number[];
    let hasAudio: boolean;
    try {
      ({ ts, hasAudio } = await presented(file));
    } catch (e) {
      // Not a video Mediabunny reads (an animated image), or a damaged one: the whole-clip path reports it precisely.
      if (e instanceof UnsupportedInputFormatError || !isStylecastError(e)) return null;
      throw e;
    }
    const starts = [0];
    for (let i = 1; i < ts.length; i++) if (ts[i] - ts[starts.at(-1)!] >= segmentSeconds - 1e-9) starts.push(i);
    const last = starts.at(-1)!;
    if (starts.length > 1 && ts[ts.length - 1] - ts[last] < segmentSeconds / 2 - 1e-9 && ts.length - last < (last - starts.at(-2)!) / 2) starts.pop();
    const segments = starts.map((startFrame, index) => ({ index, startFrame, endFrame: starts[index + 1] ?? ts.length, offsetSeconds: ts[startFrame] - ts[0] }));
    return { frames: ts.length, hasAudio, segments };
  } finally {
    file.dispose();
  }
}

/** The page's job for one segment (StylizeJob fields range, warmupFrames, contentVector): the whole clip is served as `inputName`. */
export function segmentJob(base: StylizeJob, seg: Segment, contentVector: number[] | null, warmupFrames = DEFAULT_WARMUP_FRAMES): StylizeJob {
  return { ...base, range: { startFrame: seg.startFrame, endFrame: seg.endFrame }, warmupFrames, contentVector, settingsHash: undefined };
}

export interface JoinResult {
  frames: number;
  codec: VideoCodec;
  hasAudio: boolean;
  /** The video track's end, seconds. */
  durationSeconds: number;
}

const sameBytes = (a: AllowSharedBufferSource | undefined, b: AllowSharedBufferSource | undefined) => {
  if (!a || !b) return a === b;
  const x = ArrayBuffer.isView(a) ? new Uint8Array(a.buffer, a.byteOffset, a.byteLength) : new Uint8Array(a);
  const y = ArrayBuffer.isView(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : new Uint8Array(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

/**
 * Joins stylised segments (in order; each an MP4 starting at 0, as the engine writes a range) into `out` without
 * re-encoding: every packet copied at the segment's `offsetSeconds` plus its own time, so the output has the source's
 * frames at the source's times (re-based, like a whole-clip output, to the clip's start); the source's primary audio
 * track copied once, whole. The segments' decoder configurations must be identical (same codec string and
 * description: one track has one), else SEGMENTS_DIFFER. Written to a hidden partial name beside `out`, renamed into
 * place only when complete; `metadata.comment` is written when given.
 */
export async function joinSegments(parts: { path: string; offsetSeconds: number }[], source: string, out: string, metadata: { comment?: string } = {}): Promise<JoinResult> {
  if (!parts.length) throw new StylecastError('INVALID_ARGUMENT', 'joinSegments needs at least one segment.');
  const { EncodedAudioPacketSource, EncodedPacketSink, EncodedVideoPacketSource, FilePathTarget, Mp4OutputFormat, Output } = await import('mediabunny');
  const inputs = await Promise.all(parts.map((p) => openFile(p.path)));
  const src = await openFile(source);
  const partial = partialPath(out);
  let output: InstanceType<typeof Output> | null = null;
  try {
    // Where the clip starts on the source's timeline, as the engine's whole-clip conversion counts it: the earliest
    // timestamp of its tracks, negatives cut; the video's first frame sits `videoStart` after that.
    const { ts } = await presented(src);
    const base = Math.max(0, await src.getFirstTimestamp());
    const videoStart = ts[0] - base;
    const tracks = await Promise.all(inputs.map(async (input, i) => {
      const t = await input.getPrimaryVideoTrack();
      if (!t) throw new StylecastError('CORRUPT_INPUT', `Segment ${i + 1} (${parts[i].path}) has no video track.`);
      return t;
    }));
    const configs = await Promise.all(tracks.map((t) => t.getDecoderConfig()));
    const first = configs[0];
    if (!first || !tracks[0].codec) throw new StylecastError('CORRUPT_INPUT', `Segment 1 (${parts[0].path}) has no usable decoder configuration.`);
    for (const [i, c] of configs.entries()) {
      if (!c || c.codec !== first.codec || c.codedWidth !== first.codedWidth || c.codedHeight !== first.codedHeight || !sameBytes(c.description, first.description)) {
        throw new StylecastError(
          'SEGMENTS_DIFFER',
          `Segment ${i + 1}'s encoder settings differ from segment 1's (${c?.codec ?? 'none'} ${c?.codedWidth}×${c?.codedHeight} against ${first.codec} ${first.codedWidth}×${first.codedHeight}${c && c.codec === first.codec ? ', other parameter sets' : ''}), so their packets cannot share one track without re-encoding.`,
        );
      }
    }
    output = new Output({ format: new Mp4OutputFormat({ fastStart: false }), target: new FilePathTarget(partial) });
    const video = new EncodedVideoPacketSource(tracks[0].codec);
    output.addVideoTrack(video);
    const audioTrack = await src.getPrimaryAudioTrack();
    let audio: EncodedAudioPacketSource | null = null;
    if (audioTrack?.codec) {
      audio = new EncodedAudioPacketSource(audioTrack.codec as AudioCodec);
      output.addAudioTrack(audio);
    }
    if (metadata.comment !== undefined) output.setMetadataTags({ comment: metadata.comment });
    await output.start();
    let frames = 0;
    let end = 0;
    let meta: EncodedVideoChunkMetadata | undefined = { decoderConfig: first };
    for (const [i, track] of tracks.entries()) {
      const shift = parts[i].offsetSeconds + videoStart;
      for await (const packet of new EncodedPacketSink(track).packets()) {
        const timestamp = packet.timestamp + shift;
        await video.add(packet.clone({ timestamp }), meta);
        meta = undefined;
        frames++;
        end = Math.max(end, timestamp + packet.duration);
      }
    }
    if (audio && audioTrack) {
      const config = await audioTrack.getDecoderConfig();
      let audioMeta: EncodedAudioChunkMetadata | undefined = config ? { decoderConfig: config } : undefined;
      for await (const packet of new EncodedPacketSink(audioTrack).packets()) {
        const timestamp = packet.timestamp - base;
        if (timestamp < -1e-6) continue; // before the clip's start (an edit list's priming): not played
        await audio.add(packet.clone({ timestamp: Math.max(0, timestamp) }), audioMeta);
        audioMeta = undefined;
      }
    }
    await output.finalize();
    output = null;
    commitOutput(partial, out);
    return { frames, codec: tracks[0].codec, hasAudio: audio !== null, durationSeconds: end };
  } catch (e) {
    throw isStylecastError(e) ? e : writeError(e, out) === e ? new StylecastError('CORRUPT_INPUT', `The segments could not be joined: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}.`, { cause: e }) : writeError(e, out);
  } finally {
    if (output) await output.cancel().catch(() => {});
    for (const input of inputs) input.dispose();
    src.dispose();
    rmSync(partial, { force: true });
  }
}

/** A page of the engine for segment jobs, with its progress going to whatever segment it runs. */
interface SegmentPage {
  page: Page;
  guard<T>(work: Promise<T>): Promise<T>;
  close(): Promise<void>;
  onProgress: (p: Progress) => void;
}

/** Pages for segment jobs, opened in `session` as needed and reused across clips (batch --segment). */
export class SegmentPages {
  readonly #session: Session;
  readonly #free: SegmentPage[] = [];
  readonly #all = new Set<SegmentPage>();
  constructor(session: Session) {
    this.#session = session;
  }
  async take(): Promise<SegmentPage> {
    const free = this.#free.pop();
    if (free) return free;
    const opened = await this.#session.openPage();
    const p: SegmentPage = { ...opened, onProgress: () => {} };
    await exposeProgress(opened.page, opened.guard, (x: Progress) => p.onProgress(x));
    this.#all.add(p);
    return p;
  }
  give(p: SegmentPage, broken = false): void {
    p.onProgress = () => {};
    if (broken) {
      this.#all.delete(p);
      void p.close();
    } else {
      this.#free.push(p);
    }
  }
  /** Asks every page to cancel the job it runs (CANCELLED). */
  cancelAll(): void {
    for (const p of this.#all) void p.page.evaluate(() => window.stylecastCancel?.()).catch(() => {});
  }
  async close(): Promise<void> {
    await Promise.all([...this.#all].map((p) => p.close()));
    this.#all.clear();
    this.#free.length = 0;
  }
}

export interface SegmentedOutcome {
  /** The first segment's result (backend, sizes, smoothing…), with the frames and time of the whole clip. */
  result: Extract<JobResult, { ok: true }>;
  join: JoinResult;
  segments: number;
  warmupFrames: number;
  /** True when the segments' packets could not be copied (SEGMENTS_DIFFER) and were decoded and encoded again. */
  reencoded: boolean;
}

let runCount = 0;

/**
 * The join's fallback: the parts decoded and encoded again into one video track on a page (stylecastReencode), then
 * that file joined with the source's audio as one part (packets copied).
 */
async function reencodeJoin(session: Session, pool: SegmentPages, parts: { path: string; offsetSeconds: number }[], source: string, output: string, meta: { comment?: string }, run: number): Promise<JoinResult> {
  const names = parts.map((_, i) => `segpart${run}x${i}`);
  const outName = `segre${run}`;
  const video = partialPath(output).replace(/\.partial$/, '.video.partial');
  session.addJobFiles(Object.fromEntries(parts.map((p, i) => [names[i], p.path])), { [outName]: video });
  const page = await pool.take();
  let broken = false;
  try {
    const r = await page.guard(page.page.evaluate((j) => window.stylecastReencode(j), { parts: names, offsets: parts.map((p) => p.offsetSeconds), outputName: outName }));
    const writing = session.uploadError(outName);
    if (writing) throw writeError(writing, output);
    if (!r.ok) throw new StylecastError(r.code === 'INTERNAL' ? 'ENCODE_FAILED' : r.code, `Re-encoding the segments failed: ${r.message}`);
    if (!session.received(outName)) throw new StylecastError('ENCODE_FAILED', 'Re-encoding the segments: the browser finished but sent no output.');
    return await joinSegments([{ path: video, offsetSeconds: 0 }], source, output, meta);
  } catch (e) {
    broken = isStylecastError(e) && e.code === 'BROWSER_CRASHED';
    throw e;
  } finally {
    pool.give(page, broken);
    session.removeJobFiles([...names, outName]);
    rmSync(video, { force: true });
  }
}

/**
 * Stylises `input` into `output` by segments: `pages` at once (a page each, one browser), then joined. Progress counts
 * the clip's frames done (a segment's warm-up frames are not output, so not counted). The first failing segment fails the clip with its code (the others
 * are cancelled); parts live under hidden names beside the output and are removed whatever happens.
 */
export async function stylizeSegments(
  session: Session,
  pool: SegmentPages,
  opts: {
    input: string;
    output: string;
    job: StylizeJob;
    plan: SegmentPlan;
    pages: number;
    warmupFrames?: number;
    comment?: (frames: number) => string;
    onProgress?: (p: Progress) => void;
    /** A sentence worth telling the user (the join had to re-encode). */
    onNote?: (text: string) => void;
  },
): Promise<SegmentedOutcome> {
  const { input, output, plan } = opts;
  const warmupFrames = opts.warmupFrames ?? DEFAULT_WARMUP_FRAMES;
  const started = performance.now();
  const run = ++runCount;
  const inName = `segin${run}`;
  const names: string[] = [inName];
  const parts = plan.segments.map((s) => ({ path: partialPath(output).replace(/\.partial$/, `.part${s.index + 1}.partial`), offsetSeconds: s.offsetSeconds }));
  // Progress in the clip's frames (a segment's warm-up frames are work, not output: not counted).
  const total = plan.frames;
  const done = plan.segments.map(() => 0);
  const report = () => {
    const framesDone = done.reduce((a, b) => a + b, 0);
    const elapsedMs = performance.now() - started;
    opts.onProgress?.({ framesDone, framesTotal: total, elapsedMs, etaMs: framesDone >= 3 ? (elapsedMs / framesDone) * (total - framesDone) : null });
  };
  session.addJobFiles({ [inName]: input });
  let failed: unknown = null;
  const results: Extract<JobResult, { ok: true }>[] = [];
  try {
    // The content's style vector: once per clip, from its first frame, for every segment (used when strength < 1).
    let contentVector: number[] | null = null;
    if (opts.job.strength < 1) {
      const p = await pool.take();
      try {
        const r = await p.guard(p.page.evaluate((j) => window.stylecastContentVector(j), { ...opts.job, inputName: inName }));
        if (!r.ok) throw new StylecastError(r.code === 'INTERNAL' ? 'CORRUPT_INPUT' : r.code, r.message);
        contentVector = r.vector;
        pool.give(p);
      } catch (e) {
        pool.give(p, true);
        throw e;
      }
    }
    let next = 0;
    const worker = async () => {
      while (next < plan.segments.length && failed === null) {
        const seg = plan.segments[next++];
        const outName = `segout${run}x${seg.index}`;
        names.push(outName);
        session.addJobFiles({}, { [outName]: parts[seg.index].path });
        const p = await pool.take();
        let broken = false;
        try {
          p.onProgress = (x) => {
            // The page's total is the segment's frames and its warm-up (which the engine may lengthen: see resolveRange).
            const kept = seg.endFrame - seg.startFrame;
            done[seg.index] = Math.min(kept, Math.max(0, x.framesDone - (x.framesTotal - kept)));
            report();
          };
          const r = await runOnPage(p.page, p.guard, { ...segmentJob(opts.job, seg, contentVector, warmupFrames), inputName: inName, outputName: outName });
          const writing = session.uploadError(outName);
          if (writing) throw writeError(writing, output);
          if (!r.ok) throw new StylecastError(r.code === 'INTERNAL' ? 'ENCODE_FAILED' : r.code, `Segment ${seg.index + 1} of ${plan.segments.length}: ${r.message}`);
          if (!session.received(outName)) throw new StylecastError('ENCODE_FAILED', `Segment ${seg.index + 1}: the browser finished but sent no output.`);
          if (r.frames !== seg.endFrame - seg.startFrame) {
            throw new StylecastError('CORRUPT_INPUT', `Segment ${seg.index + 1} holds ${r.frames} frames where the clip has ${seg.endFrame - seg.startFrame} (frames ${seg.startFrame}–${seg.endFrame - 1}).`);
          }
          results[seg.index] = r;
          done[seg.index] = seg.endFrame - seg.startFrame;
          report();
        } catch (e) {
          broken = isStylecastError(e) && e.code === 'BROWSER_CRASHED';
          if (failed === null) {
            failed = e;
            pool.cancelAll();
          }
        } finally {
          pool.give(p, broken);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.pages, plan.segments.length)) }, worker));
    if (failed !== null) throw failed;
    const frames = plan.frames;
    const meta = opts.comment ? { comment: opts.comment(frames) } : {};
    let join: JoinResult;
    let reencoded = false;
    try {
      // Tests only: take the fallback as if the segments' encoders had differed.
      if (process.env.STYLECAST_TEST_REENCODE_JOIN === '1') throw new StylecastError('SEGMENTS_DIFFER', 'The segments are joined by re-encoding (STYLECAST_TEST_REENCODE_JOIN, for tests).');
      join = await joinSegments(parts, input, output, meta);
    } catch (e) {
      if (!isStylecastError(e) || e.code !== 'SEGMENTS_DIFFER') throw e;
      opts.onNote?.(`${e.message} Re-encoding them into one track instead (slower; the audio is still copied).`);
      join = await reencodeJoin(session, pool, parts, input, output, meta, run);
      reencoded = true;
    }
    if (join.frames !== frames) throw new StylecastError('CORRUPT_INPUT', `The joined output holds ${join.frames} frames where the clip has ${frames}.`);
    const first = results[0];
    const elapsedMs = performance.now() - started;
    const networkMs = results.reduce((a, r) => a + r.stageMs.network, 0) / results.length;
    const temporals = results.map((r) => r.stageMs.temporal).filter((t): t is number => t !== null);
    return {
      result: { ...first, frames, elapsedMs, hasAudio: join.hasAudio, stageMs: { network: networkMs, temporal: temporals.length ? temporals.reduce((a, b) => a + b, 0) / temporals.length : null }, range: undefined },
      join,
      segments: plan.segments.length,
      warmupFrames,
      reencoded,
    };
  } finally {
    session.removeJobFiles(names);
    for (const p of parts) rmSync(p.path, { force: true });
  }
}


/**
 * `stylecast stylize --segment S`: the clip cut by `plan`, its segments on `args.jobs` pages at once (default as
 * batch's --jobs), joined into `args.output`. Returns the exit status (stylize's report lines on stderr).
 */
export async function stylizeSegmented(args: StylizeArgs, root: string, plan: SegmentPlan, onProgress: (p: Progress) => void): Promise<number> {
  const output = checkOutputPlace(args.output);
  // The parts and the joined file sit side by side until the join is done.
  checkFreeSpace(dirname(output), 2 * minimumOutputBytes(statSync(args.input).size), args.output);
  let pool: SegmentPages | null = null;
  const { onSignal, exitCode } = cancelOnSignal(() => {
    if (!pool) return false;
    process.stderr.write('\nstylecast: cancelling…\n');
    pool.cancelAll();
  }, 5_000);
  const session = await openSession(root, styleFiles(args), undefined, undefined, [], { gpu: args.gpu, server: 'static', onSignal });
  try {
    await session.page.close(); // every segment runs on a page of its own
    pool = new SegmentPages(session);
    const pages = Math.min(plan.segments.length, args.jobs ?? defaultJobs(session.gpu.software));
    const warmupFrames = args.warmup ?? DEFAULT_WARMUP_FRAMES;
    const onNote = (text: string) => {
      if (!args.quiet) process.stderr.write(`stylecast: ${text}\n`);
    };
    if (!args.quiet) {
      process.stderr.write(`stylecast: ${plan.frames} frames in ${plan.segments.length} segments of about ${args.segment} s, ${pages} at once, each starting ${warmupFrames} frames early.\n`);
    }
    let out: SegmentedOutcome;
    try {
      out = await stylizeSegments(session, pool, { input: args.input, output, job: stylizeJob(args), plan, pages, warmupFrames, onProgress, onNote });
    } catch (e) {
      if (isStylecastError(e)) {
        process.stderr.write(`stylecast: ${e.message} (${e.code})\n`);
        return exitCode() ?? 1;
      }
      throw e;
    }
    const r = out.result;
    if (!args.quiet) {
      process.stderr.write(
        `stylecast: wrote ${args.output}: ${r.frames} frames, ${r.width}×${r.height} ${r.codec}${r.hasAudio ? ', audio copied' : ''}; ` +
          `${out.segments} segments joined ${out.reencoded ? 'by re-encoding them' : 'without re-encoding'}; network at ${r.inferWidth}×${r.inferHeight} on ${r.backend} (${r.backendReason}) in ${(r.elapsedMs / 1000).toFixed(1)} s.\n` +
          `stylecast: temporal smoothing ${r.temporal > 0 ? `α ${r.temporal}, ${args.temporalMethod}, ` : ''}${r.smoothing}; per frame: network ${r.stageMs.network.toFixed(1)} ms` +
          `${r.stageMs.temporal === null ? '' : `, flow + blend ${r.stageMs.temporal.toFixed(1)} ms`}; wall time per frame ${(r.elapsedMs / r.frames).toFixed(1)} ms.\n` +
          `stylecast: GPU: ${session.gpu.adapter} (${session.gpu.note}).\n`,
      );
    }
    return 0;
  } finally {
    await pool?.close();
    await session.close();
  }
}
