// `stylecast worker` and `stylecast batch --queue` end to end: a real redis-server started here on 127.0.0.1 (a free
// port, a temporary folder, no persistence), real workers as child processes (each its own headless Chromium), real
// clips checked with ffprobe. The queue's lock and stalled check are shortened for the test ($STYLECAST_QUEUE_LOCK_MS,
// $STYLECAST_QUEUE_LOST_MS); tiny clips (64×36, --size 64 --temporal 0) keep each job to seconds.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, WALKING, cli, ensureBuilt, ffmpeg, ffprobe, frameTimes, descendants } from './helpers.ts';

const TEST_MS = 600_000;
const FAST = ['--size', '64', '--temporal', '0', '--style', 'udnie'];
/** A killed worker's job goes back to the queue within 2 × 5 s; Redis gone for 5 s ends a batch or a worker. */
const QUEUE_ENV = { STYLECAST_QUEUE_LOCK_MS: '5000', STYLECAST_QUEUE_LOST_MS: '5000', STYLECAST_GPU: 'software' };

let dir: string;
const at = (...names: string[]) => join(dir, ...names);

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

interface RedisServer {
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** redis-server on 127.0.0.1 on a free port, nothing saved; `extra` adds options (a password, TLS). */
async function startRedis(name: string, extra: string[] = [], tls: { password?: string; ca?: string } = {}): Promise<RedisServer> {
  const port = await freePort();
  const work = at(`redis-${name}`);
  mkdirSync(work, { recursive: true });
  const portArgs = tls.ca ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)];
  const proc = spawn('redis-server', [...portArgs, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', work, ...extra], { stdio: 'ignore' });
  const client = new Redis({ host: '127.0.0.1', port, password: tls.password, tls: tls.ca ? { ca: execFileSync('cat', [tls.ca]).toString() } : undefined, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 100 });
  client.on('error', () => {});
  for (let i = 0; ; i++) {
    try {
      if (client.status !== 'ready' && client.status !== 'connecting' && client.status !== 'connect') await client.connect().catch(() => {});
      if ((await client.ping()) === 'PONG') break;
    } catch {}
    if (i > 100) throw new Error(`redis-server did not start on port ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  client.disconnect();
  return {
    port,
    proc,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGKILL');
      await new Promise((r) => proc.once('exit', r));
    },
  };
}


interface Running {
  proc: ChildProcess;
  out: string;
  err: string;
  exited: Promise<number | null>;
}

/** The CLI as a child process, its output collected. */
function start(args: string[], env: NodeJS.ProcessEnv = {}): Running {
  const proc = spawn(process.execPath, [join(ROOT, 'bin/stylecast.mjs'), ...args], { cwd: ROOT, env: { ...process.env, ...QUEUE_ENV, ...env } });
  const r: Running = { proc, out: '', err: '', exited: new Promise((res) => proc.on('exit', (code) => res(code))) };
  proc.stdout!.on('data', (d: Buffer) => (r.out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (r.err += d.toString()));
  return r;
}

/** Kills a process and everything below it at once (SIGKILL: a machine that dies, no clean-up). */
function killTree(pid: number): void {
  const all = [pid, ...descendants(pid).map((p) => p.pid)];
  for (const p of all) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {}
  }
}

async function until(what: string, test: () => boolean, ms = 300_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const workers: Running[] = [];
const servers: RedisServer[] = [];

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'stylecast-queue-'));
  mkdirSync(at('shared', 'in'), { recursive: true });
  // 90 frames (3.6 s) at 64×36 with a 440 Hz tone as long: long enough to kill a worker mid-job, short enough to redo.
  ffmpeg('-i', WALKING, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=3.6', '-t', '3.6', '-vf', 'scale=64:36', '-c:v', 'libx264', '-preset', 'veryfast', '-c:a', 'aac', at('shared', 'in', 'long.mp4'));
  ffmpeg('-ss', '1', '-i', WALKING, '-frames:v', '4', '-vf', 'scale=64:36', '-c:v', 'libx264', '-preset', 'veryfast', '-an', at('shared', 'in', 'short.mp4'));
}, TEST_MS);

afterAll(async () => {
  for (const w of workers) if (w.proc.exitCode === null) killTree(w.proc.pid!);
  for (const s of servers) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('stylecast worker + batch --queue', { timeout: TEST_MS }, () => {
  it('refuses a bad queue URL (exit 2) and an unreachable Redis (QUEUE_UNAVAILABLE, exit 1) in one line each, and a missing input, with nothing written', async () => {
    const bad = cli(['batch', at('shared', 'in', 'short.mp4'), '-o', at('shared', 'out0'), '--queue', 'http://127.0.0.1:6379', ...FAST], 60_000, QUEUE_ENV);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^stylecast: --queue must be redis:\/\/.*the scheme is http\.\n$/);

    const port = await freePort(); // nothing listens there
    const t0 = Date.now();
    const down = cli(['batch', at('shared', 'in', 'short.mp4'), '-o', at('shared', 'out0'), '--queue', `redis://127.0.0.1:${port}`, ...FAST], 60_000, QUEUE_ENV);
    expect(down.status).toBe(1);
    expect(Date.now() - t0).toBeLessThan(30_000); // bounded: STYLECAST_QUEUE_LOST_MS (5 s) and start-up
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
    expect(down.stderr).toMatch(new RegExp(`^stylecast: Redis at redis://127\\.0\\.0\\.1:${port} could not be reached within 5 s: nothing accepts connections there \\(ECONNREFUSED\\).*\\(QUEUE_UNAVAILABLE\\)\\n$`));

    const worker = cli(['worker', '--queue', `redis://127.0.0.1:${port}`], 60_000, QUEUE_ENV);
    expect(worker.status).toBe(1);
    expect(worker.stderr).toMatch(/^stylecast: Redis at .*\(QUEUE_UNAVAILABLE\)\n$/);

    const missing = cli(['batch', at('shared', 'in', 'nope.mp4'), '-o', at('shared', 'out0'), '--queue', `redis://127.0.0.1:${port}`, ...FAST], 60_000, QUEUE_ENV);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^stylecast: Input not found: .*nope\.mp4\n$/);

    // Outside --shared-dir: refused up front (the workers could not reach it).
    const outside = cli(['batch', WALKING, '-o', at('shared', 'out0'), '--queue', `redis://127.0.0.1:${port}`, '--shared-dir', at('shared'), ...FAST], 60_000, QUEUE_ENV);
    expect(outside.status).toBe(2);
    expect(outside.stderr).toMatch(/^stylecast: The input .* is outside --shared-dir .*\n$/);
    expect(existsSync(at('shared', 'out0'))).toBe(false);
  });

  it('a clip in 4 segments over two workers; the one doing a segment is killed mid-job (with its browser): the other redoes that segment, and the joined output has every frame, its timestamp and the audio', async () => {
    const redis = await startRedis('main');
    servers.push(redis);
    const url = `redis://127.0.0.1:${redis.port}`;
    const shared = at('shared');
    const a = start(['worker', '--queue', url, '--shared-dir', shared, '--concurrency', '1']);
    const b = start(['worker', '--queue', url, '--shared-dir', shared, '--concurrency', '1']);
    workers.push(a, b);
    await until('both workers ready', () => /taking jobs from/.test(a.err) && /taking jobs from/.test(b.err));
    expect(a.err).toMatch(/a killed worker's job is taken again within 10 s/);

    // 1-s segments of the 3.6-s clip: 25 + 25 + 25 + 15 frames; strength < 1, so a worker computes the clip's content
    // vector first, once, for all four.
    const batch = start(['batch', at('shared', 'in', 'long.mp4'), '-o', at('shared', 'out1'), '--queue', url, '--shared-dir', shared, '--segment', '1', '--strength', '0.8', '--json', ...FAST]);
    const taken = (w: Running) => [...w.err.matchAll(/job (\S+) \(\w+#0 segment (\d)\/4, attempt 1\)/g)];
    // Whoever takes a segment first: kill it (and its Chromium) a second later, while its page works on it.
    await until('a worker to take a segment', () => taken(a).length + taken(b).length > 0);
    const victim = taken(a).length ? a : b;
    const survivor = victim === a ? b : a;
    const [, victimJob, victimSegment] = taken(victim)[0];
    await new Promise((r) => setTimeout(r, 1000));
    expect(victim.err).not.toMatch(new RegExp(`job ${victimJob}: wrote`)); // still running when killed
    killTree(victim.proc.pid!);
    await victim.exited;
    const status = await batch.exited;
    expect(status, batch.err).toBe(0);
    expect(batch.err).toMatch(/long\.mp4: 4 segments/);
    expect(a.err + b.err).toMatch(/the clip's content vector/);
    // The survivor redid the killed worker's segment after its lock ran out; the batch said so.
    expect(survivor.err).toMatch(new RegExp(`job ${victimJob} \\(\\w+#0 segment ${victimSegment}/4, attempt 1\\)`));
    expect(survivor.err).toMatch(new RegExp(`job ${victimJob}: wrote .*segment-000${victimSegment}\\.mp4`));
    expect(batch.err).toMatch(new RegExp(`long\\.mp4 segment ${victimSegment}: its worker stopped answering; the job goes back to the queue`));
    const done = batch.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.event === 'done');
    expect(done).toMatchObject({ frames: 90 });
    // Only the finished output (no partial file of the killed worker left behind).
    expect(readdirSync(at('shared', 'out1'))).toEqual(['long-stylised.mp4']);
    const out = at('shared', 'out1', 'long-stylised.mp4');
    const probe = ffprobe(out);
    const video = probe.streams.find((s) => s.codec_type === 'video')!;
    const audio = probe.streams.find((s) => s.codec_type === 'audio');
    expect(Number(video.nb_read_frames)).toBe(90);
    expect(video.width).toBe(64);
    expect(audio?.codec_name).toBe('aac');
    const srcAudio = ffprobe(at('shared', 'in', 'long.mp4')).streams.find((s) => s.codec_type === 'audio')!;
    expect(Math.abs(Number(audio!.duration) - Number(srcAudio.duration))).toBeLessThan(0.03); // copied whole
    expect(Math.abs(Number(audio!.duration) - Number(video.duration))).toBeLessThan(0.1); // and in step with the video
    const src = frameTimes(at('shared', 'in', 'long.mp4')).map((f) => f.pts);
    const got = frameTimes(out).map((f) => f.pts);
    expect(got).toHaveLength(src.length);
    for (let i = 0; i < src.length; i++) expect(Math.abs(got[i] - (src[i] - src[0]))).toBeLessThan(0.002);
    // Finished jobs are removed from Redis.
    const client = new Redis({ host: '127.0.0.1', port: redis.port });
    const keys = await client.keys('stylecast:stylecast:*');
    client.disconnect();
    expect(keys.filter((k) => /:[0-9a-f]{12}-\d+$/.test(k))).toEqual([]);
    expect(survivor.proc.exitCode).toBe(null); // still serving
  });

  it('rediss:// with a password and a queue prefix; then Redis dies mid-batch: one line each from the batch and the worker (QUEUE_UNAVAILABLE), exit 1, nothing half-written', async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('key.pem'), '-out', at('cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const redis = await startRedis('tls', ['--tls-cert-file', at('cert.pem'), '--tls-key-file', at('key.pem'), '--tls-ca-cert-file', at('cert.pem'), '--tls-auth-clients', 'no', '--requirepass', 's3cret'], { password: 's3cret', ca: at('cert.pem') });
    servers.push(redis);
    const env = { NODE_EXTRA_CA_CERTS: at('cert.pem') };
    const url = `rediss://:s3cret@127.0.0.1:${redis.port}`;
    const shared = at('shared');

    const wrong = cli(['batch', at('shared', 'in', 'short.mp4'), '-o', at('shared', 'out2'), '--queue', `rediss://:wrong@127.0.0.1:${redis.port}`, ...FAST], 60_000, { ...QUEUE_ENV, ...env });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/^stylecast: Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+ could not be reached .*refused the user name or password.*\(QUEUE_UNAVAILABLE\)\n$/);

    const w = start(['worker', '--queue', url, '--queue-prefix', 'studio-a', '--shared-dir', shared], env);
    workers.push(w);
    await until('the worker ready', () => /taking jobs from rediss:\/\/:\*\*\*@/.test(w.err) || w.proc.exitCode !== null);
    expect(w.err).toMatch(/prefix "studio-a"/);
    const ok = start(['batch', at('shared', 'in', 'short.mp4'), '-o', at('shared', 'out2'), '--queue', url, '--queue-prefix', 'studio-a', '--shared-dir', shared, ...FAST], env);
    expect(await ok.exited, ok.err).toBe(0);
    expect(ok.err).not.toMatch(/s3cret/); // the password is never shown
    expect(Number(ffprobe(at('shared', 'out2', 'short-stylised.mp4')).streams[0].nb_read_frames)).toBe(4);

    // An http(s) input: the worker downloads it (a server on 127.0.0.1 here); a 404 fails at once with its code, a
    // server that keeps answering 503 is tried 3 times, then fails with its code.
    let busyHits = 0;
    const http = createHttpServer((req, res) => {
      if (req.url === '/clips/web.mp4') res.end(readFileSync(at('shared', 'in', 'short.mp4')));
      else if (req.url === '/clips/busy.mp4') ((busyHits++, (res.statusCode = 503)), res.end());
      else ((res.statusCode = 404), res.end());
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const web = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    const viaUrl = start(['batch', `${web}/clips/web.mp4`, `${web}/clips/gone.mp4`, `${web}/clips/busy.mp4`, '-o', at('shared', 'out2u'), '--queue', url, '--queue-prefix', 'studio-a', '--shared-dir', shared, '--json', ...FAST], env);
    const urlStatus = await viaUrl.exited;
    http.close();
    expect(urlStatus, viaUrl.err).toBe(1);
    expect(Number(ffprobe(at('shared', 'out2u', 'web-stylised.mp4')).streams[0].nb_read_frames)).toBe(4);
    const summary = JSON.parse(viaUrl.out.trim().split('\n').at(-1)!) as { files: { input: string; result: string; code?: string }[] };
    expect(summary.files).toEqual([
      expect.objectContaining({ input: `${web}/clips/web.mp4`, result: 'done' }),
      expect.objectContaining({ input: `${web}/clips/gone.mp4`, result: 'failed', code: 'UNREADABLE_INPUT' }),
      expect.objectContaining({ input: `${web}/clips/busy.mp4`, result: 'failed', code: 'UNREADABLE_INPUT' }),
    ]);
    expect(busyHits).toBe(3);
    expect(viaUrl.err).toMatch(/busy\.mp4: try 1 of 3 failed \(.*HTTP 503\. \(UNREADABLE_INPUT\)\); it goes back to the queue/);
    expect(viaUrl.err).toMatch(/busy\.mp4: try 2 of 3 failed/);
    expect(viaUrl.err).toMatch(/stylecast: failed: gone\.mp4 \(UNREADABLE_INPUT\), busy\.mp4 \(UNREADABLE_INPUT\)\.\n$/);
    expect(readdirSync(at('shared', 'out2u'))).toEqual(['web-stylised.mp4']);

    // Mid-batch, Redis dies: the batch and the worker each end with one line within a bounded time.
    const batch = start(['batch', at('shared', 'in', 'long.mp4'), '-o', at('shared', 'out3'), '--queue', url, '--queue-prefix', 'studio-a', '--shared-dir', shared, ...FAST], env);
    await until('the job to start', () => /long\.mp4: started|long\.mp4: \d+\/90 frames/.test(batch.err));
    const killedAt = Date.now();
    await redis.stop();
    const status = await batch.exited;
    expect(status).toBe(1);
    expect(Date.now() - killedAt).toBeLessThan(60_000);
    const lines = batch.err.trim().split('\n').filter((l) => /QUEUE_UNAVAILABLE/.test(l));
    expect(lines).toHaveLength(1);
    // A quiet machine's worker may finish the job (its output whole, under its final name) just before Redis goes; the
    // batch then says so. Either way nothing is half-written: no partial file, and an output there is complete.
    const finished = existsSync(at('shared', 'out3', 'long-stylised.mp4'));
    expect(lines[0]).toMatch(
      finished
        ? /^stylecast: Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+ stopped answering \d+ s ago: .*The batch stops with 1 file unfinished; a worker finished it \(complete, under the final name\) but could not report it; nothing else was written\. \(QUEUE_UNAVAILABLE\)$/
        : /^stylecast: Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+ stopped answering \d+ s ago: .*The batch stops with 1 file unfinished; none of their outputs was written\. \(QUEUE_UNAVAILABLE\)$/,
    );
    expect(batch.err.trim().split('\n').at(-1)).toBe(lines[0]);
    expect(await w.exited).toBe(1);
    expect(w.err.trim().split('\n').at(-1)).toMatch(/^stylecast: Redis at .* stopped answering .*\(QUEUE_UNAVAILABLE\)$/);
    expect(existsSync(at('shared', 'out3')) ? readdirSync(at('shared', 'out3')) : []).toEqual(finished ? ['long-stylised.mp4'] : []);
    if (finished) expect(Number(ffprobe(at('shared', 'out3', 'long-stylised.mp4')).streams[0].nb_read_frames)).toBe(90);
  });
});

