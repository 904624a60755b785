// The CLI's local server for large files: the job's input answered by ranges (the page reads a clip of any size by
// ranged requests), and results written in pieces at their byte positions (the page streams the MP4 as it is made),
// recorded only when complete — all behind the job's secret.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_COOKIE, ioHandler, newSecret, serveStatic } from '../../src/cli/browser.ts';
import { IO_PREFIX } from '../../src/cli/protocol.ts';

let dir: string;
let server: Server;
let origin: string;
const secret = newSecret();
const received = new Map<string, string>();
const failures = new Map<string, NodeJS.ErrnoException>();
let targets: Record<string, string>;
let io: ReturnType<typeof ioHandler>;
/** 0, 1, …, 255, 0, 1, … : every byte says where it is. */
const INPUT = Uint8Array.from({ length: 1000 }, (_, i) => i % 256);

const key = { Cookie: `${SECRET_COOKIE}=${secret}` };
const get = (name: string, headers: Record<string, string> = {}, method = 'GET') => fetch(origin + IO_PREFIX + name, { method, headers: { ...key, ...headers } });
const put = (name: string, body: Uint8Array | string | undefined, headers: Record<string, string> = key) => fetch(origin + IO_PREFIX + name, { method: 'PUT', body: body as BodyInit | undefined, headers });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stylecast-stream-'));
  mkdirSync(join(dir, 'site'));
  mkdirSync(join(dir, 'uploads'));
  writeFileSync(join(dir, 'site', 'cli.html'), '<!doctype html><title>cli</title>');
  writeFileSync(join(dir, 'input.mp4'), INPUT);
  writeFileSync(join(dir, 'empty.mp4'), '');
  targets = { output: join(dir, 'out', '.out.mp4.partial'), taken: join(dir, 'taken.partial'), big: join(dir, 'big.partial'), late: join(dir, 'late.partial') };
  writeFileSync(targets.taken, 'someone else'); // a temporary name that exists already is never written through
  io = ioHandler({ input: join(dir, 'input.mp4'), empty: join(dir, 'empty.mp4') }, join(dir, 'uploads'), received, { targets, failures, secret });
  server = await serveStatic(join(dir, 'site'), io, 0, secret);
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the input by ranges', () => {
  it.each([
    ['bytes=0-15', 0, 15],
    ['bytes=250-260', 250, 260],
    ['bytes=990-', 990, 999],
    ['bytes=-10', 990, 999],
    ['bytes=995-5000', 995, 999],
    ['bytes=999-999', 999, 999],
  ])('%s → 206, Content-Range and exactly those bytes', async (range, start, end) => {
    const r = await get('input', { Range: range });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe(`bytes ${start}-${end}/1000`);
    expect(r.headers.get('content-length')).toBe(String(end - start + 1));
    expect(r.headers.get('accept-ranges')).toBe('bytes');
    expect([...new Uint8Array(await r.arrayBuffer())]).toEqual([...INPUT.subarray(start, end + 1)]);
  });

  it.each(['bytes=1000-', 'bytes=1000-1200', 'bytes=500-499', 'bytes=-0'])('%s (outside the file, or backwards) → 416 with bytes */size', async (range) => {
    const r = await get('input', { Range: range });
    expect(r.status).toBe(416);
    expect(r.headers.get('content-range')).toBe('bytes */1000');
    expect((await r.arrayBuffer()).byteLength).toBe(0);
  });

  it('no range, several ranges or another unit: the whole file, 200; HEAD: the size and no body', async () => {
    for (const headers of [{}, { Range: 'bytes=0-1,5-6' }, { Range: 'items=0-1' }] as Record<string, string>[]) {
      const r = await get('input', headers);
      expect(r.status).toBe(200);
      expect(new Uint8Array(await r.arrayBuffer())).toEqual(INPUT);
    }
    const head = await get('input', { Range: 'bytes=10-19' }, 'HEAD');
    expect(head.status).toBe(206);
    expect(head.headers.get('content-length')).toBe('10');
    expect(head.headers.get('content-range')).toBe('bytes 10-19/1000');
  });

  it('an empty input: any range from 0 is 416 (the page reports EMPTY_INPUT)', async () => {
    expect((await get('empty', { Range: 'bytes=0-15' })).status).toBe(416);
    expect((await get('empty')).status).toBe(200);
  });

  it('an open range the reader abandons half way does not disturb the server', async () => {
    const big = join(dir, 'input-big.mp4');
    writeFileSync(big, new Uint8Array(8 * 1024 * 1024));
    const files = ioHandler({ input: big }, join(dir, 'uploads'), new Map(), { secret });
    const s = await serveStatic(join(dir, 'site'), files, 0, secret);
    try {
      const at = `http://127.0.0.1:${(s.address() as { port: number }).port}${IO_PREFIX}input`;
      const controller = new AbortController();
      const r = await fetch(at, { headers: { ...key, Range: 'bytes=100-' }, signal: controller.signal });
      expect(r.status).toBe(206);
      const reader = r.body!.getReader();
      await reader.read();
      controller.abort();
      const again = await fetch(at, { headers: { ...key, Range: 'bytes=0-3' } });
      expect(again.status).toBe(206);
      expect((await again.arrayBuffer()).byteLength).toBe(4);
    } finally {
      s.close();
    }
  });

  it('without the secret: 403 for ranges and HEAD too, no byte of the input', async () => {
    for (const init of [{ headers: { Range: 'bytes=0-15' } }, { method: 'HEAD', headers: { Range: 'bytes=0-15' } }, { headers: { Range: 'bytes=0-15', Cookie: `${SECRET_COOKIE}=${'0'.repeat(32)}` } }] as RequestInit[]) {
      const r = await fetch(origin + IO_PREFIX + 'input', init);
      expect(r.status).toBe(403);
      expect(r.headers.get('content-range')).toBeNull();
      const body = new Uint8Array(await r.arrayBuffer());
      expect(body.length === 0 || new TextDecoder().decode(body) === 'forbidden').toBe(true);
    }
  });
});

describe('a result in pieces', () => {
  it('pieces land at their positions (a later one may overwrite), done=SIZE records it; nothing is recorded before', async () => {
    expect((await put('output?at=0', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).status).toBe(200);
    expect(existsSync(targets.output)).toBe(true); // its folder made, the file created fresh
    expect(received.has('output')).toBe(false);
    expect((await put('output?at=8', new Uint8Array([9, 10]))).status).toBe(200);
    expect((await put('output?at=2', new Uint8Array([30, 40])))).toHaveProperty('status', 200); // e.g. a box's size patched
    expect(received.has('output')).toBe(false);
    const done = await put('output?done=10', undefined);
    expect(done.status).toBe(200);
    expect(received.get('output')).toBe(targets.output);
    expect([...readFileSync(targets.output)]).toEqual([1, 2, 30, 40, 5, 6, 7, 8, 9, 10]);
  });

  it('a done whose size differs from what was written fails the result: 500, the partial file removed, the failure kept, later pieces 409', async () => {
    expect((await put('big?at=0', new Uint8Array(100)))).toHaveProperty('status', 200);
    const r = await put('big?done=99', undefined);
    expect(r.status).toBe(500);
    expect(existsSync(targets.big)).toBe(false);
    expect(received.has('big')).toBe(false);
    expect(failures.get('big')?.message).toMatch(/100 bytes, not the 99/);
    expect((await put('big?at=100', new Uint8Array(1)))).toHaveProperty('status', 409);
    expect(existsSync(targets.big)).toBe(false);
  });

  it('a temporary name that already exists is not written through (EEXIST): 500, the file untouched', async () => {
    const r = await put('taken?at=0', new Uint8Array([1, 2, 3]));
    expect(r.status).toBe(500);
    expect(failures.get('taken')?.code).toBe('EEXIST');
    expect(readFileSync(targets.taken, 'utf8')).toBe('someone else');
  });

  it('malformed pieces are 400, a done with nothing written 409; names are still [a-z0-9]', async () => {
    for (const q of ['at=-1', 'at=x', 'at=1&done=1', 'done=', 'at=1e3']) expect((await put(`late?${q}`, new Uint8Array(1))).status, q).toBe(400);
    expect((await put('late?done=0', undefined)).status).toBe(409);
    expect((await put('Late?at=0', new Uint8Array(1))).status).toBe(404);
    expect(existsSync(targets.late)).toBe(false);
  });

  it('release() closes a result left unfinished (the job ended): its done is then refused and nothing is recorded', async () => {
    expect((await put('late?at=0', new Uint8Array(4)))).toHaveProperty('status', 200);
    io.release('late');
    expect((await put('late?done=4', undefined)).status).toBe(409);
    expect(received.has('late')).toBe(false);
    rmSync(targets.late, { force: true });
  });

  it('without the secret a piece is 403 and creates nothing', async () => {
    const planted = join(dir, 'uploads', 'planted');
    const r = await put('planted?at=0', new Uint8Array([1]), {});
    expect(r.status).toBe(403);
    expect(existsSync(planted)).toBe(false);
    expect((await put('planted?done=1', undefined, { Cookie: `${SECRET_COOKIE}=${secret.replace(/./, (c) => (c === '0' ? '1' : '0'))}` })).status).toBe(403);
    expect(received.has('planted')).toBe(false);
  });
});
