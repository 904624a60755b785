// `stylecast batch … --queue redis://…`: the batch's files become jobs on the BullMQ queue; workers (`stylecast
// worker`, on any machines) do them. The batch plans and refuses up front as on one machine, enqueues, reports the
// workers' progress from the queue's events, waits, removes its finished jobs from Redis, and exits 1 naming every
// job that failed (after its tries). Redis unreachable at the start or for lostMs later: one line, QUEUE_UNAVAILABLE.
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Progress } from '../engine/index.ts';
import { StylecastError } from '../engine/errors.ts';
import type { BatchArgs } from './args.ts';
import { SIGNAL_EXIT_CODES } from './browser.ts';
import { Reporter, outputName, planBatch, settingsHash, upToDate, type BatchItem, type Outcome } from './batch.ts';
import { checkOutputPlace, realTarget } from './files.ts';
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
  const { style, mix, mixWeight, strength, size, temporal, temporalMethod, flowSize, models, backend } = args;
  const settings = { v: 1, stylecast: version, style: bytes(style), mix: bytes(mix), mixWeight: mix ? mixWeight : null, strength, size, temporal, temporalMethod, flowSize: flowSize ?? null, models, backend: backend ?? null, url };
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

  const reporter = new Reporter(args, items.length);
  const outcomes = new Map<BatchItem, Outcome>();
  const version = String((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? '');
  const todo: { item: BatchItem; index: number; data: QueueJobData }[] = [];
  for (const [index, item] of items.entries()) {
    const hash = isUrl(item.input) ? urlSettingsHash(args, item.input, version) : settingsHash(args, item.input, version);
    const frames = await upToDate(item.output, hash);
    if (frames !== null) {
      const o: Outcome = { result: 'skipped', frames, seconds: 0 };
      outcomes.set(item, o);
      reporter.outcome(item, o);
      continue;
    }
    todo.push({
      item,
      index,
      data: {
        v: 1,
        batch: '',
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
      },
    });
  }
  if (!todo.length) {
    reporter.summary(items, outcomes);
    return 0;
  }

  const batchId = randomBytes(6).toString('hex');
  const pending = new Map<string, { item: BatchItem; started: boolean; attempts: number; checking: boolean }>();
  for (const t of todo) pending.set(`${batchId}-${t.index}`, { item: t.item, started: false, attempts: 0, checking: false });
  const fail = (e: StylecastError): never => {
    process.stderr.write(`stylecast: ${e.message} (${e.code})\n`);
    sweepPartials(items.map((i) => i.output));
    process.exit(1);
  };
  const watch = await watchRedis(args.queue, lostMs, (e) => fail(new StylecastError(e.code, `${e.message} The batch stops; ${pending.size} of its jobs are unfinished (no output of theirs was written)`)));
  const { Job, Queue, QueueEvents } = await import('bullmq');
  const connection = redisOptions(args.queue, lostMs);
  const queue = new Queue<QueueJobData, QueueJobResult>(QUEUE_NAME, { connection, prefix: args.queuePrefix });
  const events = new QueueEvents(QUEUE_NAME, { connection, prefix: args.queuePrefix });
  queue.on('error', () => {}); // connection trouble: the watch decides (QUEUE_UNAVAILABLE after lostMs)
  events.on('error', () => {});
  await events.waitUntilReady();

  let cancelled: number | null = null;
  let lastActive = Date.now();
  let finish: () => void = () => {};
  const finished = new Promise<void>((res) => (finish = res));

  const settle = (jobId: string, o: Outcome) => {
    const p = pending.get(jobId);
    if (!p) return;
    pending.delete(jobId);
    if (!p.started) reporter.started(p.item);
    outcomes.set(p.item, o);
    reporter.outcome(p.item, o);
    if (!pending.size) finish();
  };
  const check = async (jobId: string) => {
    const p = pending.get(jobId);
    if (!p || p.checking) return;
    p.checking = true;
    try {
      const job = await Job.fromId<QueueJobData, QueueJobResult>(queue, jobId);
      if (!job) {
        settle(jobId, { result: 'failed', code: 'WORKER_LOST', message: 'The job vanished from the queue (removed by someone else?).', frames: 0, seconds: 0 });
        return;
      }
      const state = await job.getState();
      if (state === 'completed') {
        const r = job.returnvalue;
        await job.remove().catch(() => {}); // before settling: the last settle closes the connection
        settle(jobId, { result: 'done', frames: r?.frames ?? 0, seconds: r?.seconds ?? 0 });
      } else if (state === 'failed') {
        await job.remove().catch(() => {});
        settle(jobId, { result: 'failed', ...failureOf(job.failedReason), frames: 0, seconds: 0 });
      } else if (job.attemptsMade > p.attempts) {
        p.attempts = job.attemptsMade;
        const f = failureOf(job.failedReason);
        if (!args.quiet) process.stderr.write(`stylecast: ${basename(p.item.input)}: try ${job.attemptsMade} of ${JOB_ATTEMPTS} failed (${f.message} (${f.code})); it goes back to the queue.\n`);
      }
    } catch {
      // Redis trouble: the next poll asks again (the watch ends the batch if it lasts).
    } finally {
      p.checking = false;
    }
  };
  events.on('active', ({ jobId }) => {
    lastActive = Date.now();
    const p = pending.get(jobId);
    if (p && !p.started) {
      p.started = true;
      reporter.started(p.item);
    }
  });
  events.on('progress', ({ jobId, data }) => {
    lastActive = Date.now();
    const p = pending.get(jobId);
    const d = data as { framesDone?: number; framesTotal?: number };
    if (!p || typeof d?.framesDone !== 'number') return;
    if (!p.started) {
      p.started = true;
      reporter.started(p.item);
    }
    reporter.progress(p.item, { framesDone: d.framesDone, framesTotal: d.framesTotal ?? 0 } as Progress);
  });
  events.on('stalled', ({ jobId }) => {
    const p = pending.get(jobId);
    if (p && !args.quiet) process.stderr.write(`stylecast: ${basename(p.item.input)}: its worker stopped answering; the job goes back to the queue for another worker.\n`);
  });
  events.on('completed', ({ jobId }) => void check(jobId));
  events.on('failed', ({ jobId }) => void check(jobId));

  const onSignal = (signal: NodeJS.Signals) => {
    const exit = SIGNAL_EXIT_CODES[signal as keyof typeof SIGNAL_EXIT_CODES] ?? 1;
    if (cancelled !== null) {
      process.stderr.write('stylecast: Cancelled. (CANCELLED)\n');
      process.exit(exit);
    }
    cancelled = exit;
    process.stderr.write('\nstylecast: cancelling the batch: its jobs not yet taken are removed from the queue…\n');
    setTimeout(() => process.exit(exit), 5000).unref();
    void (async () => {
      for (const [jobId] of pending) {
        const removed = await queue.remove(jobId).then((n) => n === 1, () => false);
        settle(jobId, { result: 'failed', code: 'CANCELLED', message: removed ? 'Not started: the batch was cancelled.' : 'The batch was cancelled while a worker had the job (it finishes there).', frames: 0, seconds: 0 });
      }
    })();
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, onSignal);

  try {
    for (const t of todo) t.data.batch = batchId;
    await queue.addBulk(
      todo.map((t) => ({
        name: 'stylise',
        data: t.data,
        opts: {
          jobId: `${batchId}-${t.index}`,
          attempts: JOB_ATTEMPTS,
          backoff: { type: 'exponential', delay: 2000 },
          // The batch removes its jobs as it collects them; these ages only clear up after a batch that died.
          removeOnComplete: { age: 24 * 3600 },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      })),
    );
    if (!args.quiet) {
      process.stderr.write(`stylecast: batch of ${items.length} files, ${todo.length} queued on ${args.queue.shown} (prefix "${args.queuePrefix}") as batch ${batchId}; waiting for workers.\n`);
    }
    const poll = setInterval(() => {
      for (const [jobId] of pending) void check(jobId);
      if (Date.now() - lastActive > IDLE_HINT_MS && ![...pending.values()].some((p) => p.started) && !args.quiet) {
        lastActive = Date.now();
        process.stderr.write(`stylecast: no worker has taken a job yet: start one with "stylecast worker --queue ${args.queue.shown}${args.queuePrefix !== 'stylecast' ? ` --queue-prefix ${args.queuePrefix}` : ''}".\n`);
      }
    }, POLL_MS);
    await finished;
    clearInterval(poll);
  } finally {
    for (const s of signals) process.off(s, onSignal);
    await Promise.all([queue.close().catch(() => {}), events.close().catch(() => {}), watch.stop()]);
    sweepPartials(items.map((i) => i.output));
  }
  reporter.summary(items, outcomes);
  const failed = items.filter((i) => outcomes.get(i)?.result === 'failed');
  if (failed.length && !args.quiet) {
    process.stderr.write(`stylecast: failed: ${failed.map((i) => { const o = outcomes.get(i) as Extract<Outcome, { result: 'failed' }>; return `${basename(i.input)} (${o.code})`; }).join(', ')}.\n`);
  }
  return cancelled ?? (failed.length ? 1 : 0);
}
