// `stylecast worker`: takes stylising jobs from the BullMQ queue on Redis and runs them with the CLI's own job runner —
// one browser, one page per concurrent job (as `batch` does on one machine). Any number of workers on any number of
// machines share one queue; a job whose worker dies goes back to the queue (BullMQ's lock and stalled check, see
// queueTimings) and is done again by another. A result is written under a hidden partial name beside its output and
// renamed into place only when complete.
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Job } from 'bullmq';
import type { Page } from 'playwright-core';
import type { Progress } from '../engine/index.ts';
import { StylecastError, isStylecastError } from '../engine/errors.ts';
import type { WorkerArgs } from './args.ts';
import { cancelOnSignal, openSession, type Session } from './browser.ts';
import { defaultJobs } from './batch.ts';
import { checkFreeSpace, checkOutputPlace, commitOutput, minimumOutputBytes, partialPath, writeError } from './files.ts';
import { exposeProgress, runOnPage } from './job.ts';
import { IO_PREFIX, type StylizeJob } from './protocol.ts';
import { segmentJob } from './segments.ts';
import { QUEUE_NAME, failureText, isUrl, localPath, queueTimings, redisOptions, watchRedis, type QueueJobData, type QueueJobResult } from './queue.ts';

/** Failures that another try cannot mend (the input or the style itself is at fault): the job fails at once. */
const FINAL_CODES = new Set(['INVALID_ARGUMENT', 'EMPTY_INPUT', 'UNREADABLE_INPUT', 'CORRUPT_INPUT', 'NO_VIDEO_TRACK', 'UNSUPPORTED_CODEC', 'FRAME_TOO_LARGE', 'UNKNOWN_STYLE', 'STYLE_IMAGE_UNREADABLE', 'SAME_FILE']);

/** How often a job's progress goes to Redis at most. */
const PROGRESS_EVERY_MS = 1000;

interface Slot {
  page: Page;
  guard<T>(work: Promise<T>): Promise<T>;
  close(): Promise<void>;
  onProgress: (p: Progress) => void;
  /** Cancels the job on this page (the page's stylecastCancel). */
  cancel(): void;
}

async function openSlot(session: Session): Promise<Slot> {
  const opened = await session.openPage();
  const slot: Slot = {
    ...opened,
    onProgress: () => {},
    cancel: () => void opened.page.evaluate(() => window.stylecastCancel?.()).catch(() => {}),
  };
  await exposeProgress(opened.page, opened.guard, (p: Progress) => slot.onProgress(p));
  return slot;
}

/** Downloads an http(s) input into `dir` (UNREADABLE_INPUT when it cannot; a 4xx is final, anything else retried). */
async function download(url: string, dir: string): Promise<string> {
  const path = join(dir, 'input');
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(120_000) });
  } catch (e) {
    throw new StylecastError('UNREADABLE_INPUT', `The input ${url} could not be downloaded: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}.`, { cause: e });
  }
  if (!response.ok || !response.body) {
    const err = new StylecastError('UNREADABLE_INPUT', `The input ${url} could not be downloaded: HTTP ${response.status}.`);
    throw response.status >= 400 && response.status < 500 ? err : Object.assign(err, { retry: true });
  }
  await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), createWriteStream(path));
  return path;
}

const styleOf = (s: QueueJobData['style']) => ('preset' in s ? { preset: s.preset, image: null } : { preset: null, image: s.image });

export async function worker(args: WorkerArgs, root: string): Promise<number> {
  const { lockMs, lostMs } = queueTimings();
  const me = `${hostname()}:${process.pid}`;
  const say = (text: string) => {
    if (!args.quiet) process.stderr.write(`stylecast worker: ${text}\n`);
  };
  const die = (e: StylecastError, exit = 1): never => {
    process.stderr.write(`stylecast: ${e.message} (${e.code})\n`);
    process.exit(exit); // the session's exit hook kills the browser and removes the partial outputs
  };
  // Redis first (bounded: QUEUE_UNAVAILABLE within lostMs), then the browser.
  const watch = await watchRedis(args.queue, lostMs, (e) => die(e));
  const slots = new Set<Slot>();
  let bullWorker: import('bullmq').Worker<QueueJobData, QueueJobResult> | null = null;
  // Ctrl-C, SIGTERM, SIGHUP (cancelOnSignal): the first cancels the jobs in flight, which go back to the queue, and
  // exits once the queue's worker is closed (or within 10 s); a second exits at once.
  const { onSignal, exitCode: stopping } = cancelOnSignal((signal, exit) => {
    say(`stopping (${signal}): the jobs in flight go back to the queue for another worker.`);
    for (const s of slots) s.cancel();
    void (async () => {
      await bullWorker?.close().catch(() => {});
      process.exit(exit);
    })();
  }, 10_000);
  const session = await openSession(root, {}, undefined, undefined, [], { gpu: args.gpu, server: 'static', onSignal });
  await session.page.close(); // every job runs on a page of its own
  const concurrency = args.concurrency ?? defaultJobs(session.gpu.software);
  const free: Slot[] = [];
  let counter = 0;
  const { Worker, UnrecoverableError, DelayedError } = await import('bullmq');

  const run = async (job: Job<QueueJobData, QueueJobResult>, token: string | undefined): Promise<QueueJobResult> => {
    const data = job.data;
    const started = performance.now();
    const n = ++counter;
    const label = `${data.batch}#${data.index}${data.segment ? ` segment ${data.segment.index + 1}/${data.segment.count}` : ''}`;
    say(`job ${job.id} (${label}, attempt ${job.attemptsMade + 1}): ${data.input} → ${data.kind === 'vector' ? 'its content vector' : data.output}`);
    const inName = `in${n}`;
    const outName = `out${n}`;
    let partial: string | null = null;
    let scratch: string | null = null;
    let slot: Slot | null = null;
    try {
      const vectorOnly = data.kind === 'vector';
      const output = vectorOnly ? null : checkOutputPlace(localPath(data.output, args.sharedDir));
      let input: string;
      if (isUrl(data.input)) {
        scratch = mkdtempSync(join(tmpdir(), 'stylecast-download-'));
        input = await download(data.input, scratch);
      } else {
        input = localPath(data.input, args.sharedDir);
        try {
          if (!statSync(input).isFile()) throw new Error('not a file');
        } catch {
          // Maybe the shared folder is not mounted here yet: another worker, or a later try, may see it.
          throw Object.assign(new StylecastError('UNREADABLE_INPUT', `The input ${input} is not readable on this worker (${me}): is the shared folder mounted at ${args.sharedDir ?? 'the same path'}?`), { retry: true });
        }
      }
      if (output) {
        checkFreeSpace(dirname(output), minimumOutputBytes(statSync(input).size), output);
        partial = partialPath(output);
      }
      slot = free.pop() ?? (await openSlot(session));
      slots.add(slot);
      const page = slot.page;
      // The style images and a model folder of the job's own, to this page only (other pages run other jobs).
      const style = styleOf(data.style);
      const mix = data.mix ? styleOf(data.mix) : null;
      const routes: [string, string][] = [];
      if (style.image) routes.push(['style', localPath(style.image, args.sharedDir)]);
      if (mix?.image) routes.push(['mix', localPath(mix.image, args.sharedDir)]);
      for (const [name, path] of routes) await page.route(`**${IO_PREFIX}${name}`, (r) => r.fulfill({ path, headers: { 'Content-Type': 'application/octet-stream' } }));
      if (data.models) {
        const dir = localPath(data.models, args.sharedDir);
        await page.route(`**${IO_PREFIX}models/**`, (r) => {
          const rel = decodeURIComponent(new URL(r.request().url()).pathname.slice(`${IO_PREFIX}models/`.length));
          if (rel.split('/').includes('..')) return r.fulfill({ status: 403 });
          return r.fulfill({ path: join(dir, rel), headers: { 'Content-Type': rel.endsWith('.json') ? 'application/json' : 'application/octet-stream' } });
        });
      }
      session.addJobFiles({ [inName]: input }, partial ? { [outName]: partial } : {});
      let lastSent = 0;
      slot.onProgress = (p) => {
        const now = performance.now();
        if (now - lastSent < PROGRESS_EVERY_MS && p.framesDone !== p.framesTotal) return;
        lastSent = now;
        void job.updateProgress({ framesDone: p.framesDone, framesTotal: p.framesTotal }).catch(() => {});
      };
      const pageJob: StylizeJob = {
        stylePreset: style.preset,
        mixPreset: mix?.preset ?? null,
        mixImage: !!mix?.image,
        mixWeight: data.mixWeight,
        strength: data.strength,
        size: data.size,
        temporal: data.temporal,
        models: data.models !== null,
        flowSize: data.flowSize ?? undefined,
        temporalMethod: data.temporalMethod,
        backend: data.backend ?? undefined,
        ...data.page,
        inputName: inName,
        outputName: outName,
        ...(data.settingsHash ? { settingsHash: data.settingsHash } : {}),
      };
      let result;
      try {
        if (vectorOnly) {
          const r = await slot.guard(page.evaluate((j) => window.stylecastContentVector(j), pageJob));
          if (!r.ok) throw Object.assign(new StylecastError(r.code === 'INTERNAL' ? 'WORKER_FAILED' : r.code, r.message), { pageCode: r.code });
          const seconds = (performance.now() - started) / 1000;
          say(`job ${job.id}: the clip's content vector (${seconds.toFixed(1)} s)`);
          return { frames: 0, seconds, worker: me, vector: r.vector };
        }
        const seg = data.segment;
        const run = seg ? segmentJob(pageJob, { index: seg.index, startFrame: seg.startFrame, endFrame: seg.endFrame, offsetSeconds: 0 }, data.contentVector ?? null, seg.warmup) : pageJob;
        result = await runOnPage(page, slot.guard, run);
        if (seg && result.ok && result.frames !== seg.endFrame - seg.startFrame) {
          throw new StylecastError('CORRUPT_INPUT', `Segment ${seg.index + 1} gave ${result.frames} frames where ${seg.endFrame - seg.startFrame} were planned.`);
        }
      } finally {
        await page.unrouteAll({ behavior: 'ignoreErrors' }).catch(() => {});
      }
      const writing = session.uploadError(outName);
      if (writing) throw writeError(writing, output ?? data.output);
      if (!result.ok) throw Object.assign(new StylecastError(result.code === 'INTERNAL' ? 'WORKER_FAILED' : result.code, result.message), { pageCode: result.code });
      if (!session.received(outName) || !partial || !output) throw new Error('the browser finished but sent no output.');
      commitOutput(partial, output);
      const seconds = (performance.now() - started) / 1000;
      say(`job ${job.id}: wrote ${output} (${result.frames} frames, ${seconds.toFixed(1)} s)`);
      return { frames: result.frames, seconds, worker: me };
    } catch (e) {
      if (stopping() !== null) {
        // Stopping: the job goes back to the queue at once, without counting as a try.
        await job.moveToDelayed(Date.now(), token).catch(() => {});
        throw new DelayedError();
      }
      const code = isStylecastError(e) ? e.code : ((e as { pageCode?: string }).pageCode ?? 'INTERNAL');
      const message = e instanceof Error ? e.message : String(e);
      say(`job ${job.id}: failed (attempt ${job.attemptsMade + 1}): ${message} (${code})`);
      if (code === 'BROWSER_CRASHED' && slot) {
        slots.delete(slot);
        await slot.close();
        slot = null; // a fresh page for the next job
      }
      const text = failureText(code, message);
      throw FINAL_CODES.has(code) && !(e as { retry?: boolean }).retry ? new UnrecoverableError(text) : new Error(text);
    } finally {
      if (slot) {
        slot.onProgress = () => {};
        free.push(slot);
      }
      session.removeJobFiles([inName, outName]);
      if (partial) rmSync(partial, { force: true });
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    }
  };

  bullWorker = new Worker<QueueJobData, QueueJobResult>(QUEUE_NAME, run, {
    connection: redisOptions(args.queue, lostMs),
    prefix: args.queuePrefix,
    concurrency,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    // A job whose worker vanished is put back twice; the third time it fails with WORKER_LOST.
    maxStalledCount: 2,
  });
  bullWorker.on('error', () => {}); // connection trouble: the watch decides (QUEUE_UNAVAILABLE after lostMs)
  await bullWorker.waitUntilReady();
  say(
    `taking jobs from ${args.queue.shown} (queue "${QUEUE_NAME}", prefix "${args.queuePrefix}"), ${concurrency} at once` +
      `${args.sharedDir ? `, shared folder ${args.sharedDir}` : ''}; a killed worker's job is taken again within ${Math.round((2 * lockMs) / 1000)} s; GPU: ${session.gpu.adapter} (${session.gpu.note}).`,
  );
  // Runs until a signal (the jobs in flight go back to the queue) or Redis stays away for lostMs (QUEUE_UNAVAILABLE):
  // both end the process; the watch's connection stays open until then.
  void watch;
  return new Promise<number>(() => {});
}
