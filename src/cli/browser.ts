// Starts the engine's page in headless Chromium (playwright-core), on the GPU the mode asks for, behind a local server:
// the built dist/ from a plain node:http server (the CLI: no Vite at run time), or a Vite dev server (bench pages and
// tests of the sources).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { close, closeSync, createReadStream, createWriteStream, existsSync, fsync, fsyncSync, mkdirSync, openSync, realpathSync, rmSync, statSync, write } from 'node:fs';
import { promisify } from 'node:util';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { GPU_MODES, GpuUnavailableError, decideGpu, parseGpuMode, type GpuChoice, type GpuDecision, type GpuMode, type GpuProbe } from './gpu.ts';
import { chromiumTmp, killJobProcesses, makeJobDir, sweepStale } from './jobdir.ts';
import { IO_PREFIX } from './protocol.ts';
import { StylecastError, isStylecastError } from '../engine/errors.ts';

/** Flags every launch needs here (see ENVIRONMENT.md): without the background-networking ones Chromium floods refused connections. */
export const BASE_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** What a real GPU needs for WebGPU in headless Chromium on Linux. */
export const HARDWARE_GPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--ignore-gpu-blocklist'];
/** WebGPU + WebGL on SwiftShader (CPU emulation): the setting for tests, CI and benchmarks on machines without a GPU. */
export const SOFTWARE_GPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-angle=swiftshader'];

/** The full flag set for a launch: `hardware`/`auto` start with the hardware flags (auto may relaunch on software). */
export function chromiumArgs(mode: GpuMode): string[] {
  return [...BASE_ARGS, ...(mode === 'software' ? SOFTWARE_GPU_ARGS : HARDWARE_GPU_ARGS)];
}

export function chromiumPath(): string {
  const path = process.env.STYLECAST_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(`Chromium not found at ${path}: install it (apt-get install chromium) or set STYLECAST_CHROMIUM.`);
  }
  return path;
}

/** `path`'s real path when it lies inside `dir`'s real path (links followed in both), else null. */
function realInside(dir: string, path: string): string | null {
  try {
    const base = realpathSync(dir);
    const real = realpathSync(path);
    return real.startsWith(base + sep) ? real : null;
  } catch {
    return null;
  }
}

/**
 * The local file behind `name`: a served file, or a file inside a served directory — never outside it, neither by
 * `..` nor through a symbolic link inside it that points elsewhere (real paths are compared).
 */
function servedPath(files: Record<string, string>, name: string): string | null {
  if (files[name] && statSync(files[name]).isFile()) return files[name];
  const slash = name.indexOf('/');
  const dir = slash > 0 ? files[name.slice(0, slash)] : undefined;
  if (!dir || !statSync(dir).isDirectory()) return null;
  const path = resolve(dir, name.slice(slash + 1));
  if (!path.startsWith(dir + sep)) return null;
  const real = realInside(dir, path);
  return real && statSync(real).isFile() ? real : null;
}

/** The cookie that carries a job's secret; the session sets it in the browser before the page loads. */
export const SECRET_COOKIE = 'stylecast_key';

/** A fresh per-job secret (128 random bits, hex). */
export const newSecret = () => randomBytes(16).toString('hex');

/** True when `secret` is unset, or the request carries it in its cookie (compared in constant time). */
export function carriesSecret(req: IncomingMessage, secret: string | undefined): boolean {
  if (!secret) return true;
  const m = new RegExp(`(?:^|;\\s*)${SECRET_COOKIE}=([0-9a-f]+)`).exec(req.headers.cookie ?? '');
  if (!m || m[1].length !== secret.length) return false;
  return timingSafeEqual(Buffer.from(m[1]), Buffer.from(secret));
}

const forbidden = (res: ServerResponse) => {
  res.statusCode = 403;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end('forbidden');
};

/** A blank page on the server's origin (a secure context) where the GPU probe asks for an adapter. */
export const PROBE_NAME = '__gpu-probe.html';

/** Where the job's results go: `targets` maps a result's name to the exact file to create (its folders are made). */
export interface UploadOptions {
  targets?: Record<string, string>;
  /** A result whose writing failed, with the file system's error (ENOSPC, …): the PUT got a 507 or 500. */
  failures?: Map<string, NodeJS.ErrnoException>;
  /** The job's secret: a request without it in its cookie (SECRET_COOKIE) gets a 403. */
  secret?: string;
}

/** The largest piece of a streamed result one request may carry (the page sends one muxer chunk at a time: about half a second of video). */
export const MAX_PIECE_BYTES = 64 * 1024 * 1024;

/** A result being written in pieces: its open file, how far it reaches, whether a piece failed. */
interface Pieces {
  fd: number | null;
  path: string;
  end: number;
  failed: boolean;
  /** Pieces are written one after another, in the order they came. */
  queue: Promise<void>;
}

const writeAt = promisify(write);
const fsyncFd = promisify(fsync);
const closeFd = promisify(close);

/** A request's body, refused (RangeError) beyond `limit` bytes. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    size += part.byteLength;
    if (size > limit) throw new RangeError(`a piece larger than ${limit} bytes`);
    parts.push(part);
  }
  return Buffer.concat(parts, size);
}

/**
 * Answers a GET or HEAD of `path` with its bytes, honouring one `Range: bytes=a-b`, `bytes=a-` or `bytes=-n` (206 with
 * Content-Range; 416 with `bytes *\/size` when it starts past the end or ends before it starts). Other forms (several
 * ranges, other units) are ignored: the whole file, 200.
 */
async function sendRange(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const size = statSync(path).size;
  res.setHeader('Accept-Ranges', 'bytes');
  const range = /^bytes=(\d*)-(\d*)$/.exec((req.headers.range ?? '').trim());
  let start = 0;
  let end = size - 1;
  if (range && (range[1] || range[2])) {
    start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
    end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    if (start > end || start >= size || (range[1] && range[2] && Number(range[2]) < Number(range[1]))) {
      res.statusCode = 416;
      res.setHeader('Content-Range', `bytes */${size}`);
      res.end();
      return;
    }
    res.statusCode = 206;
    res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
  }
  res.setHeader('Content-Length', String(Math.max(0, end - start + 1)));
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  // The page stops reading an open-ended range once it has what it needs: a closed connection ends the stream quietly.
  await pipeline(createReadStream(path, { start, end }), res).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw e;
  });
}

/**
 * Writes a request's body to a file and flushes it to the disk. `fresh`: the file must not exist yet (a temporary name
 * beside the user's output: never written through a file or link that is already there).
 */
async function receiveFile(req: IncomingMessage, path: string, fresh: boolean): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  await pipeline(req, createWriteStream(path, { flags: fresh ? 'wx' : 'w' }));
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd); // a full disk can show only here (delayed allocation, network file systems)
  } finally {
    closeSync(fd);
  }
}

/**
 * The handler of the job's own routes, mounted at IO_PREFIX (`req.url` is the part after it): GET (or HEAD) of a served
 * name, ranges honoured (sendRange); PUT of a result (`[a-z]+`) into `uploads` (or the file `targets` names), recorded
 * in `received` — whole, or in pieces: `PUT name?at=N` writes its body at byte N (the first creates the file), `PUT
 * name?done=SIZE` checks the size, flushes the file to the disk and records it. Anything else goes to `next`. A
 * malformed name (e.g. `%`) is a 400, never an exception; a result that cannot be written is a 507 (no space) or 500,
 * its partial file removed and the error kept in `failures` (a later piece of it gets 409). `pieces(name)`'s
 * `release` closes a result's open file (the session does, when the job ends whichever way).
 */
export function ioHandler(files: Record<string, string>, uploads: string, received: Map<string, string>, options: UploadOptions = {}) {
  const open = new Map<string, Pieces>();
  /** Closes the open file of `name`'s pieces (of every result without a name); the file itself is the caller's. */
  const release = (name?: string) => {
    for (const n of name === undefined ? [...open.keys()] : [name]) {
      const p = open.get(n);
      open.delete(n);
      if (p && p.fd !== null) {
        p.failed = true; // a piece still queued must not reopen it
        try {
          closeSync(p.fd);
        } catch {}
        p.fd = null;
      }
    }
  };
  const handler = async (req: IncomingMessage, res: ServerResponse, next: () => void): Promise<void> => {
    try {
      let name: string;
      const [rawName, query = ''] = (req.url ?? '').split('?');
      try {
        name = decodeURIComponent(rawName.slice(1));
      } catch {
        res.statusCode = 400;
        res.end('malformed path');
        return;
      }
      if (!carriesSecret(req, options.secret)) return forbidden(res);
      if (req.method === 'GET' && name === PROBE_NAME) {
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        res.end('<!doctype html><meta charset="utf-8"><title>stylecast GPU probe</title>');
        return;
      }
      const path = req.method === 'GET' || req.method === 'HEAD' ? servedPath(files, name) : null;
      const params = new URLSearchParams(query);
      if (path) {
        res.setHeader('Content-Type', name.endsWith('.json') ? 'application/json' : 'application/octet-stream');
        res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
        await sendRange(req, res, path);
      } else if (req.method === 'PUT' && /^[a-z][a-z0-9]*$/.test(name) && (params.has('at') || params.has('done'))) {
        await receivePiece(name, params, req, res);
      } else if (req.method === 'PUT' && /^[a-z][a-z0-9]*$/.test(name)) {
        const target = options.targets?.[name];
        const path = target ?? join(uploads, name);
        try {
          await receiveFile(req, path, target !== undefined);
        } catch (e) {
          const err = e as NodeJS.ErrnoException;
          options.failures?.set(name, err);
          if (err.code !== 'EEXIST') rmSync(path, { force: true });
          res.statusCode = err.code === 'ENOSPC' || err.code === 'EDQUOT' ? 507 : 500;
          res.end(err.code ?? 'write failed');
          return;
        }
        received.set(name, path);
        res.end('ok');
      } else {
        next();
      }
    } catch (e) {
      if (!res.headersSent) res.statusCode = 500;
      res.end(String(e));
    }
  };

  /** One piece of a result written in pieces, or its end (see ioHandler). */
  const receivePiece = async (name: string, params: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const number = (key: string) => {
      const v = params.get(key);
      return v !== null && /^\d{1,15}$/.test(v) ? Number(v) : null;
    };
    const at = number('at');
    const done = number('done');
    if ((params.has('at') && at === null) || (params.has('done') && done === null) || (at !== null) === (done !== null)) {
      res.statusCode = 400;
      res.end('at=<byte> or done=<size> expected');
      return;
    }
    const target = options.targets?.[name];
    let p = open.get(name);
    if (!p) {
      if (at === null) {
        res.statusCode = 409;
        res.end('nothing was written');
        return;
      }
      p = { fd: null, path: target ?? join(uploads, name), end: 0, failed: false, queue: Promise.resolve() };
      open.set(name, p);
    }
    const pieces = p;
    let body: Buffer;
    try {
      body = await readBody(req, MAX_PIECE_BYTES);
    } catch (e) {
      res.statusCode = e instanceof RangeError ? 413 : 400;
      res.end(e instanceof Error ? e.message : String(e));
      return;
    }
    // One piece after another, in the order they arrived (the page sends them one at a time anyway).
    const work = pieces.queue.then(async () => {
      if (pieces.failed) return 409;
      try {
        if (at !== null) {
          if (pieces.fd === null) {
            mkdirSync(dirname(pieces.path), { recursive: true });
            pieces.fd = openSync(pieces.path, target !== undefined ? 'wx' : 'w'); // a fresh temporary name beside the output
          }
          for (let off = 0; off < body.byteLength; ) off += (await writeAt(pieces.fd, body, off, body.byteLength - off, at + off)).bytesWritten;
          pieces.end = Math.max(pieces.end, at + body.byteLength);
          return 200;
        }
        if (pieces.fd === null || done !== pieces.end) {
          throw Object.assign(new Error(`the result is ${pieces.end} bytes, not the ${done} announced`), { code: 'ESIZE' });
        }
        await fsyncFd(pieces.fd); // a full disk can show only here (delayed allocation, network file systems)
        const fd = pieces.fd;
        pieces.fd = null;
        open.delete(name);
        await closeFd(fd);
        received.set(name, pieces.path);
        return 200;
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        pieces.failed = true;
        options.failures?.set(name, err);
        if (pieces.fd !== null) {
          try {
            closeSync(pieces.fd);
          } catch {}
          pieces.fd = null;
        }
        if (err.code !== 'EEXIST') rmSync(pieces.path, { force: true });
        return err.code === 'ENOSPC' || err.code === 'EDQUOT' ? 507 : 500;
      }
    });
    pieces.queue = work.then(() => {});
    const status = await work;
    res.statusCode = status;
    res.end(status === 200 ? 'ok' : (options.failures?.get(name)?.code ?? 'write failed'));
  };

  return Object.assign(handler, { release });
}

/** Cross-origin isolation lets tfjs-wasm use threads (SharedArrayBuffer); the same headers as vite.config.ts. */
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } as const;

export const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.wgsl': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
};

/** Sends a file with its MIME type, honouring a single range (media elements seek with it; sendRange). */
async function sendFile(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  res.setHeader('Content-Type', MIME_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream');
  await sendRange(req, res, path);
}

/**
 * A static server for a built site (`dir`, e.g. dist/) with the job's routes under IO_PREFIX (`io`), COOP/COEP on
 * every answer. Only GET/HEAD of files inside `dir` (real paths: no link out of it); `/` is index.html; a malformed
 * path is a 400; with a `secret`, a request that does not carry it is a 403.
 */
export function staticHandler(dir: string, io: ReturnType<typeof ioHandler>, secret?: string) {
  const base = resolve(dir);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
    const notFound = () => {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end('not found');
    };
    try {
      const url = (req.url ?? '/').split('?')[0];
      if (url.startsWith(IO_PREFIX)) {
        req.url = '/' + (req.url ?? '').slice(IO_PREFIX.length);
        await io(req, res, notFound);
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.statusCode = 405;
        res.end();
        return;
      }
      let name: string;
      try {
        name = decodeURIComponent(url);
      } catch {
        res.statusCode = 400;
        res.end('malformed path');
        return;
      }
      if (!carriesSecret(req, secret)) return forbidden(res);
      if (name.endsWith('/')) name += 'index.html';
      const path = resolve(base, '.' + name);
      const real = path.startsWith(base + sep) ? realInside(base, path) : null;
      if (!real || !statSync(real).isFile()) return notFound();
      await sendFile(req, res, real);
    } catch (e) {
      if (!res.headersSent) res.statusCode = 500;
      res.end(String(e));
    }
  };
}

/** Where the built web bundle is (`npm run build`); openSession's static server serves it. */
export const builtSite = (root: string) => join(root, 'dist');

/** Starts the static server on 127.0.0.1:`port`. */
export async function serveStatic(dir: string, io: ReturnType<typeof ioHandler>, port: number, secret?: string): Promise<Server> {
  const handler = staticHandler(dir, io, secret);
  const server = createHttpServer((req, res) => void handler(req, res));
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(port, '127.0.0.1', () => res());
  });
  return server;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createNetServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

/** Asks the page for a WebGPU adapter and its `adapter.info` (Chromium 156: `isFallbackAdapter` is on the info). */
async function probeGpu(page: Page, origin: string): Promise<GpuProbe> {
  await page.goto(`${origin}${IO_PREFIX}${PROBE_NAME}`);
  return page.evaluate(async (): Promise<GpuProbe> => {
    if (!navigator.gpu) return { adapter: null, error: 'navigator.gpu is missing (WebGPU is off)' };
    try {
      const timeout = new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), 20_000));
      const adapter = await Promise.race([navigator.gpu.requestAdapter(), timeout]);
      if (adapter === 'timeout') return { adapter: null, error: 'requestAdapter() did not answer in 20 s' };
      if (!adapter) return { adapter: null, error: 'requestAdapter() returned null' };
      const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
      const legacy = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
      return {
        adapter: {
          vendor: info.vendor,
          architecture: info.architecture,
          device: info.device,
          description: info.description,
          isFallbackAdapter: info.isFallbackAdapter ?? legacy,
        },
      };
    } catch (e) {
      return { adapter: null, error: `requestAdapter() failed: ${e instanceof Error ? e.message : String(e)}` };
    }
  });
}

export interface Session {
  page: Page;
  /** The GPU Chromium runs on. */
  gpu: GpuChoice;
  /** Where the page's PUT of "output" was written, once it has been. */
  received(name: string): string | null;
  /** Why writing the page's PUT of `name` failed, if it did (a file system error: ENOSPC, …). */
  uploadError(name: string): NodeJS.ErrnoException | null;
  /**
   * `work` (a call into the page), or BROWSER_CRASHED as soon as the page's process dies ('crash') or the browser goes
   * away ('disconnected'), instead of Playwright's raw text.
   */
  guard<T>(work: Promise<T>): Promise<T>;
  /**
   * Serves `path` to the pages as `name` from now on, and writes a PUT of `into` straight to `to` (a fresh file, removed
   * like uploadTo's when the session closes or the process exits): a further job in the same browser (`batch`).
   */
  addJobFiles(serve: Record<string, string>, into?: Record<string, string>): void;
  /** Forgets what addJobFiles added for these names (the files themselves are the caller's). */
  removeJobFiles(names: string[]): void;
  /**
   * One more page of the engine in the same browser (one per concurrent job): ready to run, with a guard of its own
   * (BROWSER_CRASHED when its process dies or the browser goes away) and close().
   */
  openPage(): Promise<{ page: Page; guard<T>(work: Promise<T>): Promise<T>; close(): Promise<void> }>;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** auto (default `$STYLECAST_GPU`, else auto): hardware GPU if Chromium finds one, else SwiftShader. */
  gpu?: GpuMode;
  /**
   * dev (default): a Vite dev server on the sources (any page, e.g. bench/flow.html); static: the built dist/
   * (`npm run build`) from a plain node:http server — what the CLI uses, no Vite at run time.
   */
  server?: 'dev' | 'static';
  /**
   * Results the page PUTs written straight to these files (e.g. "output" → a temporary name beside the output). They
   * are temporary: whatever is still there when the session closes or the process exits is removed.
   */
  uploadTo?: Record<string, string>;
  /**
   * Called on SIGINT, SIGTERM or SIGHUP while the session is open (Playwright's own handlers are off: they exit before
   * any clean-up). Default: exit at once with 128 + the signal's number; the clean-up runs on exit either way.
   */
  onSignal?: (signal: NodeJS.Signals) => void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** How long the engine's page may take to be ready (a loaded 2-core machine needs tens of seconds). */
const START_TIMEOUT_MS = 120_000;
export const SIGNAL_EXIT_CODES: Record<(typeof SIGNALS)[number], number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** What `cancelOnSignal` hands a command: its handler for openSession's `onSignal`, and how it was cancelled. */
export interface SignalCancel {
  onSignal: (signal: NodeJS.Signals) => void;
  /** The exit status a cancelled command ends with (128 + the signal's number), or null while no signal came. */
  exitCode: () => number | null;
}

/**
 * The CLI's two-stage cancel on Ctrl-C, SIGTERM or SIGHUP. The first signal calls `cancel` (which says what it
 * cancels and starts it; false: nothing to cancel yet, exit at once) and, if the command has not ended within
 * `graceMs`, exits with 128 + the signal's number; a second signal exits at once. Each exit here says
 * "Cancelled. (CANCELLED)"; the session's exit hook kills the browser and removes the partial files either way.
 */
export function cancelOnSignal(cancel: (signal: NodeJS.Signals, exit: number) => boolean | void, graceMs: number): SignalCancel {
  let code: number | null = null;
  const exitNow = (exit: number) => {
    process.stderr.write('stylecast: Cancelled. (CANCELLED)\n');
    process.exit(exit);
  };
  return {
    onSignal: (signal) => {
      const exit = SIGNAL_EXIT_CODES[signal as (typeof SIGNALS)[number]] ?? 1;
      if (code !== null) return exitNow(exit);
      code = exit;
      if (cancel(signal, exit) === false) return exitNow(exit);
      setTimeout(() => exitNow(exit), graceMs).unref();
    },
    exitCode: () => code,
  };
}

function defaultGpuMode(): GpuMode {
  const mode = parseGpuMode(process.env.STYLECAST_GPU);
  if (!mode) throw new Error(`STYLECAST_GPU must be one of ${GPU_MODES.join(', ')}, got "${process.env.STYLECAST_GPU}".`);
  return mode;
}

/**
 * `files` maps names the page may GET under IO_PREFIX to local paths (a directory serves the files beneath it as
 * `name/...`); anything the page PUTs there is written into a private temporary directory.
 */
export async function openSession(
  root: string,
  files: Record<string, string>,
  pagePath = '/cli.html',
  ready = "typeof window.stylecastRun === 'function'",
  /** More Chromium flags after chromiumArgs(gpu) (e.g. a fake camera for the app's tests). */
  extraArgs: string[] = [],
  options: SessionOptions = {},
): Promise<Session> {
  const executablePath = chromiumPath();
  const mode = options.gpu ?? defaultGpuMode();
  sweepStale();
  const job = makeJobDir();
  const uploads = job.uploads;
  // Every way out removes the job's folder (Playwright's and Chromium's temporary folders are inside it) and the
  // unfinished results, after killing the job's browser: a normal close, an error, a signal, a crash (process 'exit').
  const targets: Record<string, string> = { ...options.uploadTo };
  let releaseAll = () => {};
  const removeAll = () => {
    releaseAll();
    killJobProcesses(job);
    rmSync(job.path, { recursive: true, force: true });
    for (const path of Object.values(targets)) rmSync(path, { force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (options.onSignal) options.onSignal(signal);
    else process.exit(SIGNAL_EXIT_CODES[signal as (typeof SIGNALS)[number]] ?? 1);
  };
  const detach = () => {
    process.off('exit', removeAll);
    for (const s of SIGNALS) process.off(s, onSignal);
  };
  process.on('exit', removeAll);
  for (const s of SIGNALS) process.on(s, onSignal);
  const received = new Map<string, string>();
  const failures = new Map<string, NodeJS.ErrnoException>();
  // Every request from the job's page carries this secret (a cookie set before the page loads); anything else, e.g.
  // another local process trying to read the input or PUT an output, gets a 403.
  const secret = newSecret();
  files = { ...files };
  const io = ioHandler(files, uploads, received, { targets, failures, secret });
  releaseAll = () => io.release();
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  let closeServer: (() => Promise<void>) | null = null;
  let browser: Browser | null = null;
  // A crash of the page or the browser while a job runs: one error, raised by every guarded call from then on.
  let closing = false;
  let crashError: StylecastError | null = null;
  let rejectCrash: (e: StylecastError) => void = () => {};
  const crash = new Promise<never>((_, rej) => (rejectCrash = rej));
  crash.catch(() => {}); // observed through guard()
  /** Playwright's text when Chromium cannot start (a page of browser logs), as one sentence: its fatal line, if any. */
  const startFailed = (e: unknown) => {
    if (isStylecastError(e)) return e;
    const text = e instanceof Error ? e.message : String(e);
    const fatal = /FATAL:[^\]]*\]\s*([^\n]+)/.exec(text)?.[1];
    const timeout = /Timeout (\d+)ms exceeded/.exec(text);
    const exit = /process did exit: exitCode=(\w+), signal=(\w+)/.exec(text);
    const what =
      fatal ??
      (timeout ? `the page was not ready within ${Number(timeout[1]) / 1000} s (is the machine very busy?)` : null) ??
      (exit ? `it exited while starting (${exit[1] !== 'null' ? `exit code ${exit[1]}` : `signal ${exit[2]}`})` : null) ??
      text.split('\n')[0].replace(/^[\w.]+: /, '');
    return new StylecastError('BROWSER_START_FAILED', `Chromium (${executablePath}) could not start the engine: ${what.trim().replace(/\.$/, '')}.`, { cause: e });
  };
  const crashed = (what: string) => {
    if (closing || crashError) return;
    crashError = new StylecastError('BROWSER_CRASHED', `Chromium crashed during the job: ${what}. Nothing was written.`);
    rejectCrash(crashError);
  };
  const watch = (b: Browser) => b.on('disconnected', () => {
    if (b === browser) crashed('the browser process exited');
  });
  try {
    const { chromium } = await import('playwright-core');
    const launch = async (gpu: GpuMode) => {
      // Playwright makes its profile and artifacts folders in os.tmpdir() (read from TMPDIR at each call), Chromium
      // its own in its TMPDIR: both inside the job's folder.
      const before = process.env.TMPDIR;
      process.env.TMPDIR = job.tmp;
      try {
        return await chromium.launch({
          executablePath,
          headless: true,
          args: [...chromiumArgs(gpu), ...extraArgs],
          env: { ...process.env, TMPDIR: chromiumTmp(job) },
          handleSIGINT: false,
          handleSIGTERM: false,
          handleSIGHUP: false,
        });
      } catch (e) {
        throw startFailed(e);
      } finally {
        if (before === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = before;
      }
    };
    if (options.server === 'static') {
      const site = builtSite(root);
      if (!existsSync(join(site, pagePath.split('?')[0].replace(/\/$/, '/index.html')))) {
        throw new Error(`The built web bundle is missing (${join(site, pagePath.split('?')[0])}): run "npm run build".`);
      }
      const server = await serveStatic(site, io, port, secret);
      closeServer = () => new Promise<void>((res) => {
        server.closeAllConnections();
        server.close(() => res());
      });
    } else {
      const { createServer } = await import('vite');
      const server: ViteDevServer = await createServer({
        root,
        configFile: join(root, 'vite.config.ts'),
        logLevel: 'error',
        clearScreen: false,
        server: { host: '127.0.0.1', port, strictPort: true, hmr: false, watch: null },
        plugins: [{ name: 'stylecast-cli-io', configureServer: (s) => void s.middlewares.use(IO_PREFIX, io) }],
      });
      await server.listen();
      closeServer = () => server.close();
    }
    browser = await launch(mode);
    watch(browser);
    const newContext = async (b: Browser) => {
      const c = await b.newContext();
      await c.addCookies([{ name: SECRET_COOKIE, value: secret, url: origin, httpOnly: true, sameSite: 'Strict' }]);
      return c;
    };
    let context: BrowserContext = await newContext(browser);
    let page = await context.newPage();
    let gpu: GpuChoice;
    if (mode === 'software') {
      const d = decideGpu(mode, null) as Extract<GpuDecision, { action: 'use' }>;
      gpu = { mode, adapter: d.adapter, software: true, note: d.note };
    } else {
      const d = decideGpu(mode, await probeGpu(page, origin));
      if (d.action === 'fail') throw new GpuUnavailableError(`${d.message} (${d.code})`);
      if (d.action === 'relaunch-software') {
        const probed = browser;
        browser = null; // its 'disconnected' is no crash
        await probed.close();
        browser = await launch('software');
        watch(browser);
        context = await newContext(browser);
        page = await context.newPage();
        gpu = { mode, adapter: 'SwiftShader', software: true, note: `software, --gpu auto found no hardware adapter: ${d.reason}` };
      } else {
        gpu = { mode, adapter: d.adapter, software: d.software, note: d.note };
      }
    }
    page.on('crash', () => crashed('its page\'s process died'));
    try {
      await page.goto(`${origin}${pagePath}`);
      await page.waitForFunction(ready, null, { timeout: START_TIMEOUT_MS });
    } catch (e) {
      throw crashError ?? startFailed(e);
    }
    const b = browser;
    const s = closeServer;
    /** `work`, raced against a crash (`crashed` says whether one happened, `crashes` rejects when it does). */
    const guarded = async <T>(work: Promise<T>, crashes: Promise<never>, crashed: () => StylecastError | null): Promise<T> => {
      try {
        return await Promise.race([work, crashes]);
      } catch (e) {
        if (crashed()) throw crashed();
        // Playwright may reject the call a moment before it emits the event.
        if (e instanceof Error && /Target crashed|has been closed|Browser closed|disconnected/i.test(e.message)) {
          await new Promise((r) => setTimeout(r, 200));
          throw crashed() ?? new StylecastError('BROWSER_CRASHED', `Chromium crashed during the job (${e.message.split('\n')[0]}). Nothing was written.`, { cause: e });
        }
        throw e;
      }
    };
    const ctx = context;
    return {
      page,
      gpu,
      received: (name) => received.get(name) ?? null,
      uploadError: (name) => failures.get(name) ?? null,
      guard: <T>(work: Promise<T>) => guarded(work, crash, () => crashError),
      addJobFiles: (serve, into = {}) => {
        Object.assign(files, serve);
        Object.assign(targets, into);
      },
      removeJobFiles: (names) => {
        for (const n of names) {
          io.release(n);
          delete files[n];
          delete targets[n];
          received.delete(n);
          failures.delete(n);
        }
      },
      openPage: async () => {
        const p = await ctx.newPage();
        let pageCrash: StylecastError | null = null;
        let rejectPage: (e: StylecastError) => void = () => {};
        const pageCrashes = new Promise<never>((_, rej) => (rejectPage = rej));
        pageCrashes.catch(() => {});
        p.on('crash', () => {
          if (closing || pageCrash) return;
          pageCrash = new StylecastError('BROWSER_CRASHED', "Chromium crashed during the job: its page's process died. Nothing was written.");
          rejectPage(pageCrash);
        });
        const either = Promise.race([crash, pageCrashes]);
        either.catch(() => {});
        try {
          await p.goto(`${origin}${pagePath}`);
          await p.waitForFunction(ready, null, { timeout: START_TIMEOUT_MS });
        } catch (e) {
          await p.close().catch(() => {});
          throw crashError ?? pageCrash ?? startFailed(e);
        }
        return {
          page: p,
          guard: <T>(work: Promise<T>) => guarded(work, either, () => crashError ?? pageCrash),
          close: () => p.close().catch(() => {}),
        };
      },
      close: async () => {
        closing = true;
        await b.close().catch(() => {});
        await s().catch(() => {});
        removeAll();
        detach();
      },
    };
  } catch (e) {
    closing = true;
    await browser?.close().catch(() => {});
    await closeServer?.().catch(() => {});
    removeAll();
    detach();
    throw e;
  }
}
