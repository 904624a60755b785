// The job queue shared by `stylecast worker` and `stylecast batch --queue`: BullMQ on Redis (ioredis as its client).
// What is here: the queue's URL, its timings, a job's data, where a job's paths point, and a watch on the connection
// that turns an unreachable Redis into one sentence with QUEUE_UNAVAILABLE within a bounded time. bullmq and ioredis
// are imported only when a queue is used (the CLI's other commands start without them).
import { isIP } from 'node:net';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { StylecastError } from '../engine/errors.ts';
import type { BackendName, TemporalMethod } from '../engine/constants.ts';
import { UsageError } from './args.ts';
import type { StylizeJob } from './protocol.ts';

/** The BullMQ queue's name (its keys are `<prefix>:stylecast:*`). */
export const QUEUE_NAME = 'stylecast';
/** The default key prefix (--queue-prefix): several installations can share one Redis under different prefixes. */
export const DEFAULT_QUEUE_PREFIX = 'stylecast';
/** A job is tried this many times (a crash, a killed worker, a full disk…) before it fails for good. */
export const JOB_ATTEMPTS = 3;

/** Where Redis is: from `redis://[user:pass@]host:port[/db]` or `rediss://…` (TLS). */
export interface QueueSpec {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  tls: boolean;
  /** The URL without its password, for messages. */
  shown: string;
}

/** Parses --queue; anything but a redis:// or rediss:// URL with a host is a UsageError (exit 2), before any work. */
export function parseQueueUrl(text: string): QueueSpec {
  const bad = (why: string) => new UsageError(`--queue must be redis://[user:password@]host:port[/db] (or rediss:// for TLS), got "${text.replace(/:[^:@/]*@/, ':***@')}": ${why}.`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('not a URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw bad(`the scheme is ${url.protocol.replace(/:$/, '')}`);
  if (!url.hostname) throw bad('no host');
  const port = url.port === '' ? 6379 : Number(url.port);
  const path = url.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,2}$/.test(path)) throw bad(`the database must be a number (/0 … /15), got "/${path}"`);
  if (url.search || url.hash) throw bad('it has a query or fragment');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  const db = path === '' ? 0 : Number(path);
  const shown = `${url.protocol}//${username ? `${username}${password ? ':***' : ''}@` : password ? ':***@' : ''}${url.host}${path ? `/${db}` : ''}`;
  return { host, port, username, password, db, tls: url.protocol === 'rediss:', shown };
}

/** --queue-prefix: letters, digits, and - _ . (it becomes part of every key). */
export function parseQueuePrefix(text: string | undefined): string {
  if (text === undefined) return DEFAULT_QUEUE_PREFIX;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(text)) throw new UsageError(`--queue-prefix must be 1–64 letters, digits, "-", "_" or ".", got "${text}".`);
  return text;
}

/**
 * The queue's timings. BullMQ's lock on an active job lasts `lockMs` (renewed every lockMs / 2 while the worker
 * lives) and every worker checks for stalled jobs every `lockMs`: a job whose worker was killed goes back to the
 * queue within 2 × lockMs (default 30 s: within a minute). `lostMs`: how long Redis may be unreachable before a
 * worker or a batch gives up with QUEUE_UNAVAILABLE. Tests shorten both ($STYLECAST_QUEUE_LOCK_MS,
 * $STYLECAST_QUEUE_LOST_MS).
 */
export function queueTimings(env: NodeJS.ProcessEnv = process.env): { lockMs: number; lostMs: number } {
  const num = (name: string, dflt: number, min: number) => {
    const v = env[name];
    if (v === undefined || v === '') return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be a whole number of milliseconds ≥ ${min}, got "${v}".`);
    return n;
  };
  return { lockMs: num('STYLECAST_QUEUE_LOCK_MS', 30_000, 1000), lostMs: num('STYLECAST_QUEUE_LOST_MS', 20_000, 1000) };
}

/** ioredis options for `spec` (BullMQ's workers need maxRetriesPerRequest null: a command waits for a reconnection). */
export function redisOptions(spec: QueueSpec, lostMs: number) {
  return {
    host: spec.host,
    port: spec.port,
    username: spec.username,
    password: spec.password,
    db: spec.db,
    // TLS checks the certificate against the host (an IP address needs it among the certificate's subjectAltName IPs).
    ...(spec.tls ? { tls: isIP(spec.host) ? {} : { servername: spec.host } } : {}),
    maxRetriesPerRequest: null,
    connectTimeout: Math.min(lostMs, 10_000),
    retryStrategy: () => 1000,
  };
}

/** A style as a job carries it: a preset's name or an image's path (see jobPath). */
export type JobStyle = { preset: string } | { image: string };

/** What a job asks a worker to do: stylise `input` (or its frames `range`) into `output`. */
export interface QueueJobData {
  v: 1;
  /** The batch this job belongs to (its id), and the file's index in it. */
  batch: string;
  index: number;
  /** Paths as jobPath writes them: relative to --shared-dir, absolute, or (inputs) an http(s) URL. */
  input: string;
  output: string;
  style: JobStyle;
  mix: JobStyle | null;
  mixWeight: number;
  strength: number;
  size: number;
  temporal: number;
  temporalMethod: TemporalMethod;
  flowSize: number | null;
  backend: BackendName | null;
  models: string | null;
  /**
   * The page's job as `stylizeJob` makes it from the batch's options (every option that shapes the result, including
   * ones added later); the worker adds the served names. The fields above are what the worker itself needs.
   */
  page?: StylizeJob;
  /** Recorded in the MP4's metadata with the frames (as `batch` does) so a re-run can skip an up-to-date output. */
  settingsHash: string | null;
  /** A segment job: the frames [start, end) of the input, with `warmup` frames before start stylised and dropped. */
  segment: { index: number; count: number; startFrame: number; endFrame: number; warmup: number } | null;
  /**
   * 'vector': no output; the worker returns the clip's content vector (strength < 1), computed once per clip and
   * given to each of its segment jobs (`contentVector`). Absent: a stylising job.
   */
  kind?: 'vector';
  contentVector?: number[] | null;
}

/** What a worker returns for a finished job. */
export interface QueueJobResult {
  frames: number;
  seconds: number;
  /** host:pid of the worker that did it. */
  worker: string;
  /** A 'vector' job's result. */
  vector?: number[] | null;
}

export const isUrl = (s: string) => /^https?:\/\//i.test(s);

/**
 * A path as a job carries it: relative to `sharedDir` (posix separators) when one is given — the path must lie
 * inside it — else absolute. URLs are kept as they are.
 */
export function jobPath(path: string, sharedDir: string | null, what: string): string {
  if (isUrl(path)) return path;
  const full = resolve(path);
  if (sharedDir === null) return full;
  const rel = relative(sharedDir, full);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new UsageError(`The ${what} ${full} is outside --shared-dir ${sharedDir}: every worker must reach it there. Move it into the shared folder, or give an http(s) URL for an input.`);
  }
  return rel.split(sep).join('/');
}

/** The local path a worker uses for a job's path (relative ones resolved against its own --shared-dir). */
export function localPath(path: string, sharedDir: string | null): string {
  if (isAbsolute(path)) return path;
  if (sharedDir === null) {
    throw new StylecastError('INVALID_ARGUMENT', `The job names ${path} relative to a shared folder, but this worker has no --shared-dir: start it with --shared-dir <the mount of that folder here>.`);
  }
  const full = resolve(sharedDir, path);
  if (!full.startsWith(resolve(sharedDir) + sep)) throw new StylecastError('INVALID_ARGUMENT', `The job's path ${path} leaves the shared folder.`);
  return full;
}

/** A job's failure as BullMQ stores it: the sentence, then the code in parentheses (read back by failureOf). */
export const failureText = (code: string, message: string) => `${message} (${code})`;

/** The code and sentence of a failed job's reason (a BullMQ-made one, e.g. a stalled job, gets a code of its own). */
export function failureOf(reason: string | undefined): { code: string; message: string } {
  const text = (reason ?? '').trim();
  const m = /^(.*) \(([A-Z_]+)\)$/s.exec(text);
  if (m) return { code: m[2], message: m[1] };
  if (/stalled more than/i.test(text)) {
    return { code: 'WORKER_LOST', message: `Its worker stopped answering (killed, or its machine gone) more often than the queue allows (${text}).` };
  }
  return { code: 'INTERNAL', message: text || 'The job failed without a reason.' };
}

const describeRedisError = (e: unknown): string => {
  const err = e as (NodeJS.ErrnoException & { message?: string }) | null;
  const code = err?.code;
  const text = err?.message ?? String(e);
  if (code === 'ECONNREFUSED') return 'nothing accepts connections there (ECONNREFUSED)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the host is not found (${code})`;
  if (code === 'ETIMEDOUT' || /timed? ?out/i.test(text)) return 'it does not answer (timed out)';
  if (/WRONGPASS|invalid password|invalid username-password/i.test(text)) return 'it refused the user name or password (WRONGPASS)';
  if (/NOAUTH/i.test(text)) return 'it needs a password (NOAUTH): put it in the URL, redis://:password@host:port';
  if (/certificate|SSL|TLS|EPROTO|self[- ]signed/i.test(text)) return `the TLS connection failed (${text.split('\n')[0]}; for a private CA set NODE_EXTRA_CA_CERTS)`;
  return text.split('\n')[0] || 'unknown error';
};
/** Errors that waiting will not mend: a refused password, a certificate not trusted. */
const isFinalError = (e: unknown) => /WRONGPASS|NOAUTH|invalid password|invalid username-password|certificate|self[- ]signed/i.test((e as Error | null)?.message ?? '');

export interface RedisWatch {
  /** Stops watching and closes the watch's own connection. */
  stop(): Promise<void>;
}

/**
 * Connects to Redis (an ioredis client of its own, pinged every second) and throws QUEUE_UNAVAILABLE when no PING
 * answers within `lostMs` (a refused password at once); afterwards calls `onLost` (once) with a QUEUE_UNAVAILABLE
 * error when no PING has answered for `lostMs`.
 */
export async function watchRedis(spec: QueueSpec, lostMs: number, onLost: (e: StylecastError) => void): Promise<RedisWatch> {
  const { Redis } = await import('ioredis');
  const client = new Redis({ ...redisOptions(spec, lostMs), maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => 500 });
  let lastError: unknown = null;
  client.on('error', (e) => (lastError = e));
  const ping = async (): Promise<boolean> => {
    if (client.status !== 'ready') return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      const answer = await Promise.race([client.ping(), new Promise<null>((res) => (timer = setTimeout(() => res(null), 2000)))]);
      if (answer === null) lastError = new Error('PING timed out');
      return answer === 'PONG';
    } catch (e) {
      lastError = e;
      return false;
    } finally {
      clearTimeout(timer);
    }
  };
  const unavailable = (when: string) =>
    new StylecastError('QUEUE_UNAVAILABLE', `Redis at ${spec.shown} ${when}: ${describeRedisError(lastError)}. Check the --queue URL and that Redis runs there.`, { cause: lastError });
  client.connect().catch((e) => (lastError = e));
  const start = Date.now();
  for (;;) {
    if (await ping()) break;
    if (isFinalError(lastError) || Date.now() - start > lostMs) {
      client.disconnect();
      throw unavailable(`could not be reached within ${Math.round(lostMs / 1000)} s`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  let lastOk = Date.now();
  let lost = false;
  let busy = false;
  const timer = setInterval(() => {
    if (busy || lost) return;
    busy = true;
    void ping().then((ok) => {
      busy = false;
      if (ok) lastOk = Date.now();
      else if (Date.now() - lastOk > lostMs && !lost) {
        lost = true;
        onLost(unavailable(`stopped answering ${Math.round((Date.now() - lastOk) / 1000)} s ago`));
      }
    });
  }, 1000);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      client.disconnect();
    },
  };
}
