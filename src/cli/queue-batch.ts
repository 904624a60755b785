// `stylecast batch … --queue redis://…`: the batch's files become jobs on the BullMQ queue; workers (`stylecast
// worker`, on any machines) do them. The batch plans and refuses up front as on one machine, enqueues, reports the
// workers' progress from the queue's events, waits, removes its finished jobs from Redis, and exits 1 naming every
// job that failed (after its tries). Redis unreachable at the start or for lostMs later: one line, QUEUE_UNAVAILABLE.
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Progress } from '../engine/index.ts';
import { StylecastError, isStylecastError } from '../engine/errors.ts';
import type { BatchArgs } from './args.ts';
import { cancelOnSignal } from './browser.ts';
import { Reporter, outputName, planBatch, settingsHash, upToDate, type BatchItem, type Outcome } from './batch.ts';
import { checkOutputPlace, realTarget } from './files.ts';
import { stylizeJob } from './job.ts';
import { settingsComment } from './protocol.ts';
import { DEFAULT_WARMUP_FRAMES, joinSegments, planSegments, type SegmentPlan } from './segments.ts';
import {
  JOB_ATTEMPTS,
  QUEUE_NAME,
  failureOf,
  isUrl,
  jobPath,
  queueTimings,
  redisOptions,
  watchRedis,
  type QueueJobData,
  type QueueJobResult,
  type QueueSpec,
} from './queue.ts';

/** How often the batch asks Redis for the state of its unfinished jobs (events can be missed across a reconnection). */
const POLL_MS = 2000;
/** --segment's default with --queue: a long clip is shared among the workers in pieces of about this many seconds. */
export const DEFAULT_QUEUE_SEGMENT_SECONDS = 10;
/** How long without any job taken before the batch says that no worker seems to be running. */
const IDLE_HINT_MS = 30_000;

/** The outputs of URL inputs: named from the URL's last path segment. */
function urlItems(args: BatchArgs, urls: string[], taken: Map<string, string>): BatchItem[] {
  return urls.map((url) => {
    const name = basename(decodeURIComponent(new URL(url).pathname)) || 'input';
    const output = join(args.outDir, outputName(args.name, name));
    const key = realTarget(output);
    const other = taken.get(key);
    if (other !== undefined) {
      throw new StylecastError('OUTPUT_COLLISION', `${other} and ${url} would both be written to ${output}; rename one, or use --name with {ext}. Nothing was done.`);
    }
    taken.set(key, url);
    return { input: url, output };
  });
}

/** settingsHash for an input given by URL: the same settings, with the URL standing for the file's size and time. */
function urlSettingsHash(args: BatchArgs, url: string, version: string): string {
  const bytes = (s: BatchArgs['style'] | null) => (s === null ? null : 'preset' in s ? { preset: s.preset } : { image: createHash('sha256').update(readFileSync(s.image)).digest('hex') });
  const settings = { v: 1, stylecast: version, style: bytes(args.style), mix: bytes(args.mix), job: stylizeJob(args), models: args.models, url };
  return createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 32);
}

/** Removes leftover partial files of `outputs` (a worker killed mid-job cannot remove its own). */
function sweepPartials(outputs: string[]): void {
  for (const output of outputs) {
    const dir = dirname(output);
    const prefix = `.${basename(output)}.stylecast-`;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) if (n.startsWith(prefix) && n.endsWith('.partial')) rmSync(join(dir, n), { force: true });
  }
}

/** One file of the batch on the queue: a whole-clip job, or its segments' jobs (after a content-vector job at strength < 1). */
interface FileWork {
  item: BatchItem;
  index: number;
  hash: string;
  /** The job as it goes to the queue (segment jobs are made from it). */
  base: QueueJobData;
  /** Segmented: the plan, the parts' local paths and their folder; null for a whole-clip job. */
  plan: SegmentPlan | null;
  partsDir: string | null;
  parts: string[];
  /** Per segment (or [0] for a whole clip): the share of its frames done, 0..1. */
  fractions: number[];
  done: Set<number>;
  started: boolean;
  settled: boolean;
  start: number;
  framesTotal: number;
}

type JobRef = { file: FileWork; kind: 'whole' | 'segment' | 'vector'; segment: number; attempts: number; checking: boolean };

export async function queueBatch(args: BatchArgs & { queue: QueueSpec }, root: string): Promise<number> {
  const { lostMs } = queueTimings();
  const urls = args.inputs.filter(isUrl);
  const locals = args.inputs.filter((p) => !isUrl(p));
  const localItems = locals.length ? planBatch({ ...args, inputs: locals }) : [];
  const taken = new Map(localItems.map((i) => [realTarget(i.output), i.input]));
  const items = [...localItems, ...urlItems(args, urls, taken)];
  // Every path a worker reads or writes, as the job names it (inside --shared-dir when given: refused up front if not).
  const shared = args.sharedDir;
  const styleOf = (s: BatchArgs['style']) => ('preset' in s ? { preset: s.preset } : { image: jobPath(s.image, shared, 'style image') });
  const style = styleOf(args.style);
  const mix = args.mix ? styleOf(args.mix) : null;
  const models = args.models ? jobPath(args.models, shared, 'model folder') : null;
  const paths = items.map((item) => ({ input: jobPath(item.input, shared, 'input'), output: jobPath(item.output, shared, 'output') }));
  checkOutputPlace(items[0].output);
  // With --queue a clip is cut into segments (default 10 s) so one long clip is shared among the workers.
  const segmentSeconds = args.segment ?? DEFAULT_QUEUE_SEGMENT_SECONDS;
  const warmup = args.warmup ?? DEFAULT_WARMUP_FRAMES;

  const reporter = new Reporter(args, items.length);
  const outcomes = new Map<BatchItem, Outcome>();
  const version = String((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? '');
  const batchId = randomBytes(6).toString('hex');
  const files: FileWork[] = [];
  for (const [index, item] of items.entries()) {
    const hash = isUrl(item.input) ? urlSettingsHash(args, item.input, version) : settingsHash(args, item.input, version);
    const frames = await upToDate(item.output, hash);
    if (frames !== null) {
      const o: Outcome = { result: 'skipped', frames, seconds: 0 };
      outcomes.set(item, o);
      reporter.outcome(item, o);
      continue;
    }
    // An http(s) input is not read here: it goes whole to one worker. A clip that fits one segment, too.
    const plan = isUrl(item.input) ? null : await planSegments(item.input, segmentSeconds);
    const segmented = plan !== null && plan.segments.length > 1 ? plan : null;
    const partsDir = segmented ? join(dirname(item.output), `.${basename(item.output)}.stylecast-parts-${batchId}`) : null;
    files.push({
      item,
      index,
      hash,
      base: {
        v: 1,
        batch: batchId,
        index,
        input: paths[index].input,
        output: paths[index].output,
        style,
        mix,
        mixWeight: args.mixWeight,
        strength: args.strength,
        size: args.size,
        temporal: args.temporal,
        temporalMethod: args.temporalMethod,
        flowSize: args.flowSize ?? null,
        backend: args.backend ?? null,
        models,
        settingsHash: hash,
        segment: null,
        page: stylizeJob(args),
      },
      plan: segmented,
      partsDir,
      parts: segmented ? segmented.segments.map((seg) => join(partsDir!, `segment-${String(seg.index + 1).padStart(4, '0')}.mp4`)) : [],
      fractions: segmented ? segmented.segments.map(() => 0) : [0],
      done: new Set(),
      started: false,
      settled: false,
      start: 0,
      framesTotal: segmented ? segmented.frames : 0,
    });
  }
  if (!files.length) {
    reporter.summary(items, outcomes);
    return 0;
  }

  const refs = new Map<string, JobRef>();
  const unfinished = () => files.filter((f) => !f.settled).length;
  const removeParts = () => {
    for (const f of files) if (f.partsDir) rmSync(f.partsDir, { recursive: true, force: true });
  };
  const fail = (e: StylecastError): never => {
    process.stderr.write(`stylecast: ${e.message} (${e.code})\n`);
    sweepPartials(items.map((i) => i.output));
    removeParts();
    process.exit(1);
  };
  const batchStarted = Date.now();
  /**
   * What became of the unfinished files' outputs when the queue went down: a worker may have finished one (written
   * whole, under its final name) just before, without the batch hearing of it.
   */
  const unfinishedOutputs = (): string => {
    const left = files.filter((f) => !f.settled);
    const written = left.filter((f) => {
      try {
        return statSync(f.item.output).mtimeMs >= batchStarted - 1000;
      } catch {
        return false;
      }
    }).length;
    const n = `${left.length} file${left.length === 1 ? '' : 's'} unfinished`;
    if (written === 0) return `${n}; none of their outputs was written.`;
    return `${n}; a worker finished ${written === left.length ? (written === 1 ? 'it' : 'all of them') : `${written} of them`} (complete, under the final name) but could not report it; ${written === left.length ? 'nothing else was' : 'the others were not'} written.`;
  };
  const watch = await watchRedis(args.queue, lostMs, (e) =>
    fail(new StylecastError(e.code, `${e.message} The batch stops with ${unfinishedOutputs()}`)),
  );
  const { Job, Queue, QueueEvents } = await import('bullmq');
  const connection = redisOptions(args.queue, lostMs);
  const queue = new Queue<QueueJobData, QueueJobResult>(QUEUE_NAME, { connection, prefix: args.queuePrefix });
  const events = new QueueEvents(QUEUE_NAME, { connection, prefix: args.queuePrefix });
  queue.on('error', () => {}); // connection trouble: the watch decides (QUEUE_UNAVAILABLE after lostMs)
  events.on('error', () => {});
  await events.waitUntilReady();

  let lastActive = Date.now();
  let finish: () => void = () => {};
  const finished = new Promise<void>((res) => (finish = res));
  const name = (f: FileWork) => basename(f.item.input);
  const note = (text: string) => {
    if (!args.quiet) process.stderr.write(`stylecast: ${text}\n`);
  };

  const add = async (jobs: { id: string; ref: JobRef; data: QueueJobData }[]) => {
    for (const j of jobs) refs.set(j.id, j.ref);
    await queue.addBulk(
      jobs.map((j) => ({
        name: j.ref.kind,
        data: j.data,
        opts: {
          jobId: j.id,
          attempts: JOB_ATTEMPTS,
          backoff: { type: 'exponential', delay: 2000 },
          // The batch removes its jobs as it collects them; these ages only clear up after a batch that died.
          removeOnComplete: { age: 24 * 3600 },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      })),
    );
  };
  const segmentJobs = (f: FileWork, vector: number[] | null) =>
    f.plan!.segments.map((seg) => ({
      id: `${batchId}-${f.index}-s${seg.index}`,
      ref: { file: f, kind: 'segment' as const, segment: seg.index, attempts: 0, checking: false },
      data: {
        ...f.base,
        output: jobPath(f.parts[seg.index], shared, 'output'),
        settingsHash: null,
        contentVector: vector,
        segment: { index: seg.index, count: f.plan!.segments.length, startFrame: seg.startFrame, endFrame: seg.endFrame, warmup },
      },
    }));
  const markStarted = (f: FileWork) => {
    if (f.started) return;
    f.started = true;
    f.start = performance.now();
    reporter.started(f.item);
  };
  const settle = (f: FileWork, o: Outcome) => {
    if (f.settled) return;
    f.settled = true;
    if (!f.started) markStarted(f);
    outcomes.set(f.item, o);
    reporter.outcome(f.item, o);
    if (f.partsDir) rmSync(f.partsDir, { recursive: true, force: true });
    if (!unfinished()) finish();
  };
  const failFile = async (f: FileWork, code: string, message: string) => {
    // The file's other jobs are of no use now: those not taken yet are removed.
    for (const [id, r] of refs) if (r.file === f) await queue.remove(id).catch(() => 0);
    settle(f, { result: 'failed', code, message, frames: 0, seconds: f.started ? (performance.now() - f.start) / 1000 : 0 });
  };
  const join_ = async (f: FileWork) => {
    const plan = f.plan!;
    try {
      const r = await joinSegments(
        plan.segments.map((seg) => ({ path: f.parts[seg.index], offsetSeconds: seg.offsetSeconds })),
        f.item.input,
        f.item.output,
        { comment: settingsComment(f.hash, plan.frames) },
      );
      settle(f, { result: 'done', frames: r.frames, seconds: (performance.now() - f.start) / 1000 });
    } catch (e) {
      const code = isStylecastError(e) ? e.code : 'INTERNAL';
      settle(f, { result: 'failed', code, message: e instanceof Error ? e.message : String(e), frames: 0, seconds: (performance.now() - f.start) / 1000 });
    }
  };
  const progress = (f: FileWork) => {
    if (f.plan) {
      const done = f.plan.segments.reduce((n, seg) => n + f.fractions[seg.index] * (seg.endFrame - seg.startFrame), 0);
      reporter.progress(f.item, { framesDone: Math.round(done), framesTotal: f.plan.frames } as Progress);
    }
  };
  const onCompleted = async (id: string, ref: JobRef, r: QueueJobResult | undefined) => {
    const f = ref.file;
    if (f.settled) return;
    if (ref.kind === 'whole') {
      settle(f, { result: 'done', frames: r?.frames ?? 0, seconds: r?.seconds ?? 0 });
    } else if (ref.kind === 'vector') {
      await add(segmentJobs(f, r?.vector ?? null));
    } else {
      f.done.add(ref.segment);
      f.fractions[ref.segment] = 1;
      progress(f);
      if (f.done.size === f.plan!.segments.length) await join_(f);
    }
    void id;
  };
  const check = async (id: string) => {
    const ref = refs.get(id);
    if (!ref || ref.checking) return;
    ref.checking = true;
    try {
      const job = await Job.fromId<QueueJobData, QueueJobResult>(queue, id);
      if (!job) {
        refs.delete(id);
        if (!ref.file.settled) await failFile(ref.file, 'WORKER_LOST', 'A job of this file vanished from the queue (removed by someone else?).');
        return;
      }
      const state = await job.getState();
      if (state === 'completed') {
        const r = job.returnvalue;
        await job.remove().catch(() => {}); // before settling: the last settle closes the connection
        refs.delete(id);
        await onCompleted(id, ref, r);
      } else if (state === 'failed') {
        await job.remove().catch(() => {});
        refs.delete(id);
        const f = failureOf(job.failedReason);
        if (!ref.file.settled) await failFile(ref.file, f.code, ref.kind === 'segment' ? `Segment ${ref.segment + 1} of ${ref.file.plan!.segments.length}: ${f.message}` : f.message);
      } else if (job.attemptsMade > ref.attempts) {
        ref.attempts = job.attemptsMade;
        const f = failureOf(job.failedReason);
        note(`${name(ref.file)}${ref.kind === 'segment' ? ` segment ${ref.segment + 1}` : ''}: try ${job.attemptsMade} of ${JOB_ATTEMPTS} failed (${f.message} (${f.code})); it goes back to the queue.`);
      }
    } catch {
      // Redis trouble: the next poll asks again (the watch ends the batch if it lasts).
    } finally {
      ref.checking = false;
    }
  };
  events.on('active', ({ jobId }) => {
    lastActive = Date.now();
    const ref = refs.get(jobId);
    if (ref) markStarted(ref.file);
  });
  events.on('progress', ({ jobId, data }) => {
    lastActive = Date.now();
    const ref = refs.get(jobId);
    const d = data as { framesDone?: number; framesTotal?: number };
    if (!ref || ref.file.settled || typeof d?.framesDone !== 'number') return;
    markStarted(ref.file);
    if (ref.kind === 'whole') reporter.progress(ref.file.item, { framesDone: d.framesDone, framesTotal: d.framesTotal ?? 0 } as Progress);
    else if (ref.kind === 'segment' && d.framesTotal) {
      ref.file.fractions[ref.segment] = Math.min(1, d.framesDone / d.framesTotal);
      progress(ref.file);
    }
  });
  events.on('stalled', ({ jobId }) => {
    const ref = refs.get(jobId);
    if (ref) note(`${name(ref.file)}${ref.kind === 'segment' ? ` segment ${ref.segment + 1}` : ''}: its worker stopped answering; the job goes back to the queue for another worker.`);
  });
  events.on('completed', ({ jobId }) => void check(jobId));
  events.on('failed', ({ jobId }) => void check(jobId));

  // Ctrl-C, SIGTERM, SIGHUP (cancelOnSignal): the first fails the files not yet done (their jobs not taken leave the
  // queue) and exits after the summary, or within 5 s; a second exits at once.
  const { onSignal, exitCode: cancelled } = cancelOnSignal(() => {
    process.stderr.write('\nstylecast: cancelling the batch: its jobs not yet taken are removed from the queue…\n');
    void (async () => {
      for (const f of files) if (!f.settled) await failFile(f, 'CANCELLED', 'The batch was cancelled (jobs a worker had already taken finish there, unused).');
    })();
  }, 5000);
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, onSignal);

  try {
    const first: { id: string; ref: JobRef; data: QueueJobData }[] = [];
    for (const f of files) {
      if (!f.plan) {
        first.push({ id: `${batchId}-${f.index}`, ref: { file: f, kind: 'whole', segment: 0, attempts: 0, checking: false }, data: f.base });
      } else if (args.strength < 1) {
        // The content's style vector is computed once per clip (by a worker) and given to every segment.
        first.push({ id: `${batchId}-${f.index}-v`, ref: { file: f, kind: 'vector', segment: 0, attempts: 0, checking: false }, data: { ...f.base, kind: 'vector', output: '', settingsHash: null } });
      } else {
        first.push(...segmentJobs(f, null));
      }
    }
    await add(first);
    if (!args.quiet) {
      const segs = files.filter((f) => f.plan).map((f) => `${name(f)}: ${f.plan!.segments.length} segments`);
      process.stderr.write(
        `stylecast: batch of ${items.length} files, ${files.length} queued on ${args.queue.shown} (prefix "${args.queuePrefix}") as batch ${batchId}` +
          `${segs.length ? ` (segments of ${segmentSeconds} s, ${warmup} warm-up frames: ${segs.join(', ')})` : ''}; waiting for workers.\n`,
      );
    }
    const poll = setInterval(() => {
      for (const [id] of refs) void check(id);
      if (Date.now() - lastActive > IDLE_HINT_MS && !files.some((f) => f.started)) {
        lastActive = Date.now();
        note(`no worker has taken a job yet: start one with "stylecast worker --queue ${args.queue.shown}${args.queuePrefix !== 'stylecast' ? ` --queue-prefix ${args.queuePrefix}` : ''}".`);
      }
    }, POLL_MS);
    await finished;
    clearInterval(poll);
  } finally {
    for (const s of signals) process.off(s, onSignal);
    await Promise.all([queue.close().catch(() => {}), events.close().catch(() => {}), watch.stop()]);
    sweepPartials(items.map((i) => i.output));
    removeParts();
  }
  reporter.summary(items, outcomes);
  const failed = items.filter((i) => outcomes.get(i)?.result === 'failed');
  if (failed.length && !args.quiet) {
    process.stderr.write(`stylecast: failed: ${failed.map((i) => { const o = outcomes.get(i) as Extract<Outcome, { result: 'failed' }>; return `${basename(i.input)} (${o.code})`; }).join(', ')}.\n`);
  }
  return cancelled() ?? (failed.length ? 1 : 0);
}
