// `stylecast batch`: many clips, one MP4 each, N jobs at once — one page per job in ONE browser (openSession's
// openPage). Everything wrong with the batch as a whole (no inputs, two inputs for one output name, an output that is
// an input) is found before a browser starts; a file that fails is reported with its code and the rest go on.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import type { Progress } from '../engine/index.ts';
import { StylecastError, isStylecastError } from '../engine/errors.ts';
import { UsageError, VIDEO_EXTENSIONS, styleInputs, type BatchArgs } from './args.ts';
import { cancelOnSignal, openSession, type Session } from './browser.ts';
import { checkFreeSpace, checkOutputPlace, commitOutput, minimumOutputBytes, partialPath, realTarget, refuseSameFile, sweepStalePartials, writeError } from './files.ts';
import { exposeProgress, gifJob, runOnPage, styleFiles, stylizeJob } from './job.ts';
import { DEFAULT_GIF_SIZE } from '../engine/sinks/gif-size.ts';
import { parseSettingsComment, settingsComment } from './protocol.ts';
import { SegmentPages, planSegments, stylizeSegments } from './segments.ts';

export interface BatchItem {
  input: string;
  output: string;
}

const isVideoName = (path: string) => VIDEO_EXTENSIONS.includes(extname(path).toLowerCase());

function listFolder(dir: string, recursive: boolean, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue; // hidden files, and our own partial outputs
    const path = join(dir, entry.name);
    let s;
    try {
      s = statSync(path);
    } catch {
      continue; // a dangling link
    }
    if (s.isDirectory()) {
      if (recursive) listFolder(path, recursive, out);
    } else if (s.isFile() && isVideoName(path)) {
      out.push(path);
    }
  }
}

/**
 * The videos the arguments name, in order, each once (by real path): a file as it is (whatever its name: its bytes
 * decide), a folder's files with a video ending (VIDEO_EXTENSIONS; its sub-folders with `recursive`), a `.txt` list's
 * lines (paths relative to the list; empty lines and `#` comments skipped). Returns which came from a folder.
 */
export function collectInputs(paths: string[], recursive: boolean): { path: string; fromFolder: boolean }[] {
  const found: { path: string; fromFolder: boolean }[] = [];
  const add = (path: string, fromList: string | null) => {
    if (!existsSync(path)) throw new UsageError(`Input not found: ${path}${fromList ? ` (listed in ${fromList})` : ''}`);
    const s = statSync(path);
    if (s.isDirectory()) {
      const files: string[] = [];
      listFolder(path, recursive, files);
      for (const f of files) found.push({ path: f, fromFolder: true });
    } else if (extname(path).toLowerCase() === '.txt' && fromList === null) {
      for (const raw of readFileSync(path, 'utf8').split(/\r?\n/)) {
        const line = raw.trim();
        if (line && !line.startsWith('#')) add(resolve(dirname(path), line), path);
      }
    } else {
      found.push({ path, fromFolder: false });
    }
  };
  for (const p of paths) add(p, null);
  const seen = new Set<string>();
  return found.filter((f) => {
    const real = realpathSync(f.path);
    if (seen.has(real)) return false;
    seen.add(real);
    return true;
  });
}

/** The output's file name for `input` by the pattern ({name}: the name without its extension; {ext}: the extension). */
export const outputName = (pattern: string, input: string) => {
  const ext = extname(input);
  return pattern.replaceAll('{name}', basename(input, ext)).replaceAll('{ext}', ext.replace(/^\./, ''));
};

/**
 * The batch's plan, refused up front: OUTPUT_COLLISION when two inputs would get the same output, SAME_FILE when an
 * output is an input (any input of the batch, or a style image) under any name. A file found in a folder that is
 * itself an output of this batch (a re-run over a folder holding its results) is left out, not refused.
 */
export function planBatch(args: BatchArgs): BatchItem[] {
  const found = collectInputs(args.inputs, args.recursive);
  const outputOf = (input: string) => join(args.outDir, outputName(args.name, input));
  const outputs = new Set(found.map((f) => realTarget(outputOf(f.path))));
  const inputs = found.filter((f) => !(f.fromFolder && outputs.has(realTarget(f.path)))).map((f) => f.path);
  if (!inputs.length) throw new UsageError(`No videos found in ${args.inputs.join(', ')} (a folder's files count when they end in ${VIDEO_EXTENSIONS.join(', ')}${args.recursive ? '' : '; add --recursive for sub-folders'}).`);
  const byOutput = new Map<string, string>();
  const items: BatchItem[] = [];
  for (const input of inputs) {
    const output = outputOf(input);
    const key = realTarget(output);
    const other = byOutput.get(key);
    if (other !== undefined) {
      throw new StylecastError('OUTPUT_COLLISION', `${other} and ${input} would both be written to ${output}; rename one, or use --name with {ext} (e.g. --name "{name}-{ext}-stylised.mp4"). Nothing was done.`);
    }
    byOutput.set(key, input);
    items.push({ input, output });
  }
  // An output that is an input: compared by device and inode (links, hard links) and by real path, as stylize does.
  const ids = new Map<string, string>();
  for (const input of inputs) {
    const s = statSync(input);
    ids.set(`${s.dev}:${s.ino}`, input);
  }
  const others = styleInputs(args);
  for (const { output } of items) {
    let same: string | undefined;
    try {
      const s = statSync(output);
      same = ids.get(`${s.dev}:${s.ino}`);
    } catch {}
    refuseSameFile(output, [...(same ? [{ path: same, what: 'input' }] : []), ...others]);
  }
  return items;
}

/** The default number of jobs at once: 2 on a hardware GPU, else one per 4 CPU cores (at least 1). */
export const defaultJobs = (softwareGpu: boolean, cores = availableParallelism()) => (softwareGpu ? Math.max(1, Math.floor(cores / 4)) : 2);

const fileHash = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/**
 * A hash of everything that shapes `input`'s result: stylecast's version, the style (an image by its bytes), the
 * options, the input's size and time.
 */
export function settingsHash(args: BatchArgs, input: string, version = ''): string {
  const style = (s: BatchArgs['style'] | null) => (s === null ? null : 'preset' in s ? { preset: s.preset } : { image: fileHash(s.image) });
  const st = statSync(input);
  const settings = {
    v: 1,
    stylecast: version,
    style: style(args.style),
    mix: style(args.mix),
    mixWeight: args.mix ? args.mixWeight : null,
    strength: args.strength,
    size: args.size,
    temporal: args.temporal,
    temporalMethod: args.temporalMethod,
    upsample: args.upsample,
    ...(args.regions.face === 1 && args.regions.person === 1 && args.regions.background === 1 && !args.adaptiveDetail ? {} : { regions: args.regions, adaptiveDetail: args.adaptiveDetail }),
    flowSize: args.flowSize ?? null,
    models: args.models,
    backend: args.backend ?? null,
    input: { size: st.size, mtimeMs: st.mtimeMs },
    // The GIF's size as made (a default and the same size asked for are one GIF): GIFs made before --gif-size existed
    // were at the clip's size, and are made again.
    ...(args.format === 'gif' ? { format: 'gif', gifFps: args.gifFps, gifSize: args.gifSize ?? DEFAULT_GIF_SIZE } : {}),
  };
  return createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 32);
}

/** A GIF's comments (Comment Extensions) and image count, or null when it is not a whole GIF (no trailer, a bad block). */
export function gifFacts(u: Uint8Array): { comments: string[]; images: number } | null {
  const latin1 = (a: Uint8Array) => String.fromCharCode(...a);
  if (u.length < 13 || !/^GIF8[79]a$/.test(latin1(u.subarray(0, 6)))) return null;
  let p = 13;
  if (u[10] & 0x80) p += 3 * (1 << ((u[10] & 7) + 1)); // the global colour table
  const comments: string[] = [];
  let images = 0;
  const subBlocks = (): Uint8Array | null => {
    const parts: number[] = [];
    while (p < u.length && u[p] !== 0) {
      parts.push(...u.subarray(p + 1, p + 1 + u[p]));
      p += u[p] + 1;
    }
    if (p >= u.length) return null;
    p++;
    return Uint8Array.from(parts);
  };
  while (p < u.length) {
    const b = u[p++];
    if (b === 0x3b) return { comments, images };
    if (b === 0x21) {
      const label = u[p++];
      const data = subBlocks();
      if (!data) return null;
      if (label === 0xfe) comments.push(latin1(data));
    } else if (b === 0x2c) {
      const f = u[p + 8];
      p += 9;
      if (f & 0x80) p += 3 * (1 << ((f & 7) + 1)); // a local colour table
      p++; // LZW minimum code size
      if (!subBlocks()) return null;
      images++;
    } else {
      return null;
    }
  }
  return null;
}

/** The frames of `output` when it is a finished output of these settings (its recorded hash matches and it has that many frames), else null. */
export async function upToDate(output: string, hash: string): Promise<number | null> {
  if (!existsSync(output)) return null;
  if (/\.gif$/i.test(output)) {
    // A GIF keeps the settings comment in a Comment Extension; it is up to date when that matches and it has that many images.
    try {
      const facts = gifFacts(readFileSync(output));
      const recorded = facts ? facts.comments.map(parseSettingsComment).find((c) => c !== null) : null;
      return facts && recorded && recorded.hash === hash && recorded.frames === facts.images ? recorded.frames : null;
    } catch {
      return null;
    }
  }
  const { ALL_FORMATS, FilePathSource, Input } = await import('mediabunny');
  const input = new Input({ source: new FilePathSource(output), formats: ALL_FORMATS });
  try {
    const recorded = parseSettingsComment((await input.getMetadataTags()).comment);
    if (!recorded || recorded.hash !== hash) return null;
    const track = await input.getPrimaryVideoTrack();
    if (!track) return null;
    const stats = await track.computePacketStats();
    return stats.packetCount === recorded.frames ? recorded.frames : null;
  } catch {
    return null;
  } finally {
    input.dispose();
  }
}

export type Outcome =
  /** `width`×`height`: the output's (a GIF's at most --gif-size on its long side); absent from a queue's worker. */
  | { result: 'done'; frames: number; seconds: number; width?: number; height?: number }
  | { result: 'skipped'; frames: number; seconds: 0 }
  | { result: 'failed'; code: string; message: string; frames: number; seconds: number };

/** How long cancelled files may take to stop before the command exits anyway (the clean-up runs on exit). */
const CANCEL_GRACE_MS = 5_000;

const round = (seconds: number) => Math.round(seconds * 100) / 100;

/** The batch's events: one JSON line each on stdout with --json; lines on stderr unless --quiet. */
export class Reporter {
  private readonly start = performance.now();
  private readonly fractions = new Map<string, number>();
  private finished = 0;
  private failed = 0;
  private skipped = 0;
  constructor(private readonly args: BatchArgs, private readonly total: number) {}

  private json(event: Record<string, unknown>) {
    if (this.args.json) process.stdout.write(JSON.stringify(event) + '\n');
  }
  private line(text: string) {
    if (!this.args.quiet) process.stderr.write(`stylecast: ${text}\n`);
  }
  private name = (path: string) => {
    const rel = relative(process.cwd(), path);
    return rel && !rel.startsWith('..') ? rel : path;
  };
  private overall() {
    const doneFrac = [...this.fractions.values()].reduce((a, b) => a + b, 0) + this.finished;
    const fraction = doneFrac / this.total;
    const elapsed = (performance.now() - this.start) / 1000;
    // The ETA from the share of the work done so far (skipped files count as done: a rough guide, not a promise).
    const eta = fraction > 0 && fraction < 1 ? `, ETA ${Math.ceil((elapsed * (1 - fraction)) / fraction)} s` : '';
    const filled = Math.round(fraction * 20);
    this.line(`batch [${'#'.repeat(filled)}${'-'.repeat(20 - filled)}] ${Math.round(fraction * 100)}%: ${this.finished}/${this.total} files finished (${this.failed} failed, ${this.skipped} skipped), ${elapsed.toFixed(0)} s${eta}`);
  }

  started(item: BatchItem) {
    this.fractions.set(item.input, 0);
    this.json({ event: 'started', input: item.input, output: item.output });
    this.line(`${this.name(item.input)}: started`);
  }
  progress(item: BatchItem, p: Progress) {
    const fraction = p.framesTotal ? p.framesDone / p.framesTotal : 0;
    const before = Math.floor((this.fractions.get(item.input) ?? 0) * 4);
    this.fractions.set(item.input, fraction);
    if (Math.floor(fraction * 4) === before) return; // a line a quarter
    this.json({ event: 'progress', input: item.input, framesDone: p.framesDone, framesTotal: p.framesTotal });
    this.line(`${this.name(item.input)}: ${p.framesDone}/${p.framesTotal} frames`);
  }
  outcome(item: BatchItem, o: Outcome) {
    this.fractions.delete(item.input);
    this.finished++;
    if (o.result === 'done') {
      const size = o.width === undefined ? null : { width: o.width, height: o.height };
      this.json({ event: 'done', input: item.input, output: item.output, frames: o.frames, ...size, seconds: round(o.seconds) });
      this.line(`${this.name(item.input)}: wrote ${this.name(item.output)} (${o.frames} frames${size ? `, ${size.width}×${size.height}` : ''}, ${o.seconds.toFixed(1)} s)`);
    } else if (o.result === 'skipped') {
      this.skipped++;
      this.json({ event: 'skipped', input: item.input, output: item.output, frames: o.frames, reason: 'up to date' });
      this.line(`${this.name(item.input)}: skipped: up to date (${this.name(item.output)})`);
    } else {
      this.failed++;
      this.json({ event: 'failed', input: item.input, output: item.output, code: o.code, message: o.message, seconds: round(o.seconds) });
      this.line(`${this.name(item.input)}: failed: ${o.message} (${o.code})`);
    }
    this.overall();
  }
  summary(items: BatchItem[], outcomes: Map<BatchItem, Outcome>) {
    const rows = items.map((item) => {
      const o = outcomes.get(item)!;
      return { input: item.input, output: item.output, result: o.result, ...(o.result === 'failed' ? { code: o.code } : {}), frames: o.frames, seconds: round(o.seconds) };
    });
    const seconds = (performance.now() - this.start) / 1000;
    const done = rows.filter((r) => r.result === 'done').length;
    this.json({ event: 'summary', files: rows, done, skipped: this.skipped, failed: this.failed, seconds: round(seconds) });
    if (this.args.quiet) return;
    const table = [['file', 'result', 'frames', 'seconds'], ...rows.map((r) => [this.name(r.input), r.result === 'failed' ? `failed ${r.code}` : r.result === 'skipped' ? 'skipped: up to date' : 'done', String(r.frames), r.seconds.toFixed(1)])];
    const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
    const text = table.map((row) => row.map((cell, c) => (c >= 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd()).join('\n');
    process.stderr.write(`${text}\nstylecast: batch: ${done} written, ${this.skipped} skipped (up to date), ${this.failed} failed, in ${seconds.toFixed(1)} s.\n`);
  }
}

const failure = (e: unknown): { code: string; message: string } =>
  isStylecastError(e) ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };

/** One page of the engine and the job it runs; a crashed page is replaced before the next job. */
interface Worker {
  page: Page;
  guard<T>(work: Promise<T>): Promise<T>;
  close(): Promise<void>;
  onProgress: (p: Progress) => void;
}

async function openWorker(session: Session): Promise<Worker> {
  const opened = await session.openPage();
  const worker: Worker = { ...opened, onProgress: () => {} };
  await exposeProgress(opened.page, opened.guard, (p: Progress) => worker.onProgress(p));
  return worker;
}

async function runItem(session: Session, worker: Worker, args: BatchArgs, item: BatchItem, index: number, hash: string, reporter: Reporter): Promise<Outcome> {
  const start = performance.now();
  const seconds = () => (performance.now() - start) / 1000;
  const inName = `in${index}`;
  const outName = `out${index}`;
  let partial: string | null = null;
  try {
    const output = checkOutputPlace(item.output);
    checkFreeSpace(dirname(output), minimumOutputBytes(statSync(item.input).size), item.output);
    sweepStalePartials(output);
    partial = partialPath(output);
    session.addJobFiles({ [inName]: item.input }, { [outName]: partial });
    worker.onProgress = (p) => reporter.progress(item, p);
    const job = stylizeJob(args, { inputName: inName, outputName: outName, settingsHash: hash });
    const result = await runOnPage(worker.page, worker.guard, args.format === 'gif' ? { ...job, format: 'gif', ...gifJob(args) } : job);
    const writing = session.uploadError(outName);
    if (writing) throw writeError(writing, item.output);
    if (!result.ok) return { result: 'failed', code: result.code, message: result.message, frames: 0, seconds: seconds() };
    if (!session.received(outName)) throw new Error('the browser finished but sent no output.');
    commitOutput(partial, output);
    return { result: 'done', frames: result.frames, width: result.width, height: result.height, seconds: seconds() };
  } catch (e) {
    return { result: 'failed', ...failure(e), frames: 0, seconds: seconds() };
  } finally {
    worker.onProgress = () => {};
    session.removeJobFiles([inName, outName]);
    if (partial) rmSync(partial, { force: true });
  }
}

/**
 * --segment: one file at a time, its segments on `pages` pages at once (src/cli/segments.ts), joined with the settings
 * comment; a file of one segment (or an animated image) runs whole on one of them.
 */
async function runItemSegmented(session: Session, pool: SegmentPages, args: BatchArgs, item: BatchItem, index: number, hash: string, reporter: Reporter, pages: number): Promise<Outcome> {
  const start = performance.now();
  const seconds = () => (performance.now() - start) / 1000;
  try {
    const output = checkOutputPlace(item.output);
    checkFreeSpace(dirname(output), 2 * minimumOutputBytes(statSync(item.input).size), item.output);
    const plan = await planSegments(item.input, args.segment!);
    if (!plan || plan.segments.length < 2) {
      const page = await pool.take();
      let o: Outcome | null = null;
      try {
        o = await runItem(session, page, args, item, index, hash, reporter);
        return o;
      } finally {
        pool.give(page, o?.result === 'failed' && o.code === 'BROWSER_CRASHED');
      }
    }
    const out = await stylizeSegments(session, pool, {
      input: item.input,
      output,
      job: stylizeJob(args),
      plan,
      pages,
      warmupFrames: args.warmup ?? undefined,
      comment: (frames) => settingsComment(hash, frames),
      onProgress: (p) => reporter.progress(item, p),
    });
    return { result: 'done', frames: out.result.frames, width: out.result.width, height: out.result.height, seconds: seconds() };
  } catch (e) {
    return { result: 'failed', ...failure(e), frames: 0, seconds: seconds() };
  }
}

export async function batch(args: BatchArgs, root: string): Promise<number> {
  if (args.format === 'gif' && args.segment) {
    // Segments are joined as MP4 packets: each GIF is made in one piece.
    if (!args.quiet) process.stderr.write('stylecast: --segment is for MP4 output; each GIF is made in one piece.\n');
    args = { ...args, segment: null, warmup: null };
  }
  const items = planBatch(args);
  checkOutputPlace(items[0].output); // an output folder that cannot be written: refused before a browser starts
  const reporter = new Reporter(args, items.length);
  const outcomes = new Map<BatchItem, Outcome>();
  const version = String((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? '');
  const todo: { item: BatchItem; index: number; hash: string }[] = [];
  // Ctrl-C, SIGTERM, SIGHUP (the session's onSignal): the first cancels the files in flight (CANCELLED) and starts no
  // more, then the summary and exit 128 + the signal's number; a second, or files that do not stop within
  // CANCEL_GRACE_MS, exit at once. Either way the session's exit hook kills the browser and removes the partial outputs.
  const workers = new Set<Worker>();
  let pool: SegmentPages | null = null;
  const { onSignal, exitCode: cancelled } = cancelOnSignal(() => {
    process.stderr.write('\nstylecast: cancelling the batch…\n');
    for (const w of workers) void w.page.evaluate(() => window.stylecastCancel?.()).catch(() => {});
    pool?.cancelAll();
  }, CANCEL_GRACE_MS);
  for (const [index, item] of items.entries()) {
    const hash = settingsHash(args, item.input, version);
    const frames = await upToDate(item.output, hash);
    if (frames !== null) {
      const o: Outcome = { result: 'skipped', frames, seconds: 0 };
      outcomes.set(item, o);
      reporter.outcome(item, o);
    } else {
      todo.push({ item, index, hash });
    }
  }
  if (todo.length) {
    const session = await openSession(root, styleFiles(args), undefined, undefined, [], { gpu: args.gpu, server: 'static', onSignal });
    try {
      await session.page.close(); // every job runs on a page of its own (openPage)
      const jobs = Math.min(todo.length, args.jobs ?? defaultJobs(session.gpu.software));
      if (!args.quiet) process.stderr.write(`stylecast: batch of ${items.length} files, ${todo.length} to stylise, ${jobs} at once; GPU: ${session.gpu.adapter} (${session.gpu.note}).\n`);
      let next = 0;
      if (args.segment) pool = new SegmentPages(session);
      const work = async () => {
        let worker: Worker | null = null;
        try {
          while (next < todo.length && cancelled() === null) {
            const { item, index, hash } = todo[next++];
            reporter.started(item);
            let o: Outcome;
            try {
              if (pool) {
                o = await runItemSegmented(session, pool, args, item, index, hash, reporter, jobs);
                outcomes.set(item, o);
                reporter.outcome(item, o);
                continue;
              }
              if (!worker) {
                worker = await openWorker(session);
                workers.add(worker);
              }
              o = await runItem(session, worker, args, item, index, hash, reporter);
            } catch (e) {
              o = { result: 'failed', ...failure(e), frames: 0, seconds: 0 };
            }
            if (o.result === 'failed' && o.code === 'BROWSER_CRASHED' && worker) {
              workers.delete(worker);
              await worker.close();
              worker = null; // a fresh page for the next file
            }
            outcomes.set(item, o);
            reporter.outcome(item, o);
          }
        } finally {
          await worker?.close();
        }
      };
      // --segment: one file at a time, each cut into segments that take the `jobs` pages.
      await Promise.all(Array.from({ length: pool ? 1 : jobs }, work));
      await pool?.close();
      for (const { item } of todo.slice(next)) {
        const o: Outcome = { result: 'failed', code: 'CANCELLED', message: 'Not started: the batch was cancelled.', frames: 0, seconds: 0 };
        outcomes.set(item, o);
        reporter.outcome(item, o);
      }
    } finally {
      await session.close();
    }
  }
  reporter.summary(items, outcomes);
  return cancelled() ?? ([...outcomes.values()].some((o) => o.result === 'failed') ? 1 : 0);
}
