// The CLI's local server: the routes for a job's files (IO_PREFIX) and the static server of the built site; a
// malformed request is a 400, never a crash.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_COOKIE, ioHandler, newSecret, serveStatic } from '../../src/cli/browser.ts';
import { IO_PREFIX } from '../../src/cli/protocol.ts';

let dir: string;
let server: Server;
let base: string;
const received = new Map<string, string>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stylecast-io-'));
  mkdirSync(join(dir, 'uploads'));
  mkdirSync(join(dir, 'models'));
  writeFileSync(join(dir, 'input.bin'), 'clip bytes');
  writeFileSync(join(dir, 'models', 'model.json'), '{"a":1}');
  writeFileSync(join(dir, 'secret.txt'), 'not served');
  // Links inside the served directory: out of it (a folder and a file) and within it.
  mkdirSync(join(dir, 'outside'));
  writeFileSync(join(dir, 'outside', 'passwd'), 'root:x:0:0');
  symlinkSync(join(dir, 'outside'), join(dir, 'models', 'etcdir'));
  symlinkSync(join(dir, 'secret.txt'), join(dir, 'models', 'leak.json'));
  symlinkSync('model.json', join(dir, 'models', 'alias.json'));
  const io = ioHandler({ input: join(dir, 'input.bin'), models: join(dir, 'models') }, join(dir, 'uploads'), received);
  server = createServer((req, res) => {
    // Mounted at "/" here, as Vite's connect and the static server strip IO_PREFIX before calling it.
    void io(req, res, () => {
      res.statusCode = 404;
      res.end('not found');
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

it('answers a malformed name (%) with 400 and keeps serving', async () => {
  for (const bad of ['/%', '/%E0%A4%A', '/models/%zz']) {
    const r = await fetch(base + bad);
    expect(r.status, bad).toBe(400);
  }
  const put = await fetch(base + '/%', { method: 'PUT', body: 'x' });
  expect(put.status).toBe(400);
  const r = await fetch(base + '/input');
  expect(r.status).toBe(200);
  expect(await r.text()).toBe('clip bytes');
});

it('serves named files and files inside a served directory, nothing outside', async () => {
  const json = await fetch(base + '/models/model.json');
  expect(json.headers.get('content-type')).toBe('application/json');
  expect(await json.json()).toEqual({ a: 1 });
  expect((await fetch(base + '/models/..%2Fsecret.txt')).status).toBe(404);
  expect((await fetch(base + '/secret')).status).toBe(404);
});

it('--models: a symbolic link inside the directory that points out of it is not followed; one that stays inside is', async () => {
  expect((await fetch(base + '/models/etcdir/passwd')).status).toBe(404);
  expect((await fetch(base + '/models/etcdir%2Fpasswd')).status).toBe(404);
  expect((await fetch(base + '/models/leak.json')).status).toBe(404);
  expect(await (await fetch(base + '/models/alias.json')).json()).toEqual({ a: 1 });
});

describe("a job's secret: every request must carry it", () => {
  const secret = newSecret();
  let guarded: Server;
  let origin: string;
  const uploads = new Map<string, string>();
  beforeAll(async () => {
    const site = join(dir, 'site-secret');
    mkdirSync(site);
    writeFileSync(join(site, 'cli.html'), '<!doctype html><title>cli</title>');
    mkdirSync(join(dir, 'uploads-secret'));
    guarded = await serveStatic(site, ioHandler({ input: join(dir, 'input.bin') }, join(dir, 'uploads-secret'), uploads, { secret }), 0, secret);
    origin = `http://127.0.0.1:${(guarded.address() as { port: number }).port}`;
  });
  afterAll(() => guarded.close());
  const withKey = (key: string) => ({ headers: { Cookie: `${SECRET_COOKIE}=${key}` } });

  it('foreign requests get 403 (read the input, PUT an output, the page), malformed ones 400, and the server keeps serving', async () => {
    expect(secret).toMatch(/^[0-9a-f]{32}$/);
    expect(newSecret()).not.toBe(secret);
    expect((await fetch(origin + IO_PREFIX + 'input')).status).toBe(403);
    expect((await fetch(origin + IO_PREFIX + 'input', withKey('0'.repeat(32)))).status).toBe(403);
    expect((await fetch(origin + IO_PREFIX + 'input', withKey(secret.slice(0, 31)))).status).toBe(403);
    expect((await fetch(origin + IO_PREFIX + 'output', { method: 'PUT', body: 'planted' })).status).toBe(403);
    expect(uploads.has('output')).toBe(false);
    expect((await fetch(origin + '/cli.html')).status).toBe(403);
    expect((await fetch(origin + IO_PREFIX + '%')).status).toBe(400);
    expect((await fetch(origin + '/%', withKey(secret))).status).toBe(400);
    // The job's own requests.
    expect(await (await fetch(origin + IO_PREFIX + 'input', withKey(secret))).text()).toBe('clip bytes');
    expect((await fetch(origin + '/cli.html', { headers: { Cookie: `other=1; ${SECRET_COOKIE}=${secret}` } })).status).toBe(200);
    const put = await fetch(origin + IO_PREFIX + 'output', { method: 'PUT', body: 'result', ...withKey(secret) });
    expect(put.status).toBe(200);
    expect(readFileSync(uploads.get('output')!, 'utf8')).toBe('result');
  });
});

it('stores a PUT result and records where', async () => {
  const r = await fetch(base + '/output', { method: 'PUT', body: 'result' });
  expect(r.status).toBe(200);
  expect(readFileSync(received.get('output')!, 'utf8')).toBe('result');
  expect((await fetch(base + '/Output', { method: 'PUT', body: 'x' })).status).toBe(404);
});

describe('the static server the CLI uses (no Vite at run time)', () => {
  let site: string;
  let staticServer: Server;
  let origin: string;
  beforeAll(async () => {
    site = join(dir, 'site');
    mkdirSync(join(site, 'assets'), { recursive: true });
    mkdirSync(join(site, 'models/m'), { recursive: true });
    mkdirSync(join(site, 'wasm'), { recursive: true });
    writeFileSync(join(site, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(site, 'cli.html'), '<!doctype html><title>cli</title>');
    writeFileSync(join(site, 'assets/cli-abc.js'), 'export {}');
    writeFileSync(join(site, 'assets/w.mjs'), 'export {}');
    writeFileSync(join(site, 'assets/app.css'), 'body{}');
    writeFileSync(join(site, 'wasm/tfjs-backend-wasm-threaded-simd.wasm'), new Uint8Array([0, 97, 115, 109]));
    writeFileSync(join(site, 'models/m/model.json'), '{}');
    writeFileSync(join(site, 'models/m/group1-shard1of1.bin'), new Uint8Array(10).map((_, i) => i));
    writeFileSync(join(site, 'photo.jpg'), 'jpeg');
    staticServer = await serveStatic(site, ioHandler({ input: join(dir, 'input.bin') }, join(dir, 'uploads'), received), 0);
    origin = `http://127.0.0.1:${(staticServer.address() as { port: number }).port}`;
  });
  afterAll(() => staticServer.close());

  it.each([
    ['/cli.html', 'text/html; charset=utf-8'],
    ['/', 'text/html; charset=utf-8'],
    ['/assets/cli-abc.js', 'text/javascript; charset=utf-8'],
    ['/assets/w.mjs', 'text/javascript; charset=utf-8'],
    ['/assets/app.css', 'text/css; charset=utf-8'],
    ['/wasm/tfjs-backend-wasm-threaded-simd.wasm', 'application/wasm'],
    ['/models/m/model.json', 'application/json'],
    ['/models/m/group1-shard1of1.bin', 'application/octet-stream'],
    ['/photo.jpg', 'image/jpeg'],
  ])('%s → %s, cross-origin isolated', async (path, type) => {
    const r = await fetch(origin + path);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(type);
    expect(r.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(r.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
  });

  it('routes IO_PREFIX to the job, answers ranges, refuses what is outside the site or malformed', async () => {
    const io = await fetch(origin + IO_PREFIX + 'input');
    expect(await io.text()).toBe('clip bytes');
    expect(io.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect((await fetch(origin + IO_PREFIX + '%')).status).toBe(400);
    expect((await fetch(origin + '/%')).status).toBe(400);
    expect((await fetch(origin + '/..%2F..%2Finput.bin')).status).toBe(404);
    expect((await fetch(origin + '/nope.js')).status).toBe(404);
    expect((await fetch(origin + '/cli.html', { method: 'POST', body: 'x' })).status).toBe(405);
    const part = await fetch(origin + '/models/m/group1-shard1of1.bin', { headers: { Range: 'bytes=2-4' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 2-4/10');
    expect([...new Uint8Array(await part.arrayBuffer())]).toEqual([2, 3, 4]);
    // Still serving after all that.
    expect((await fetch(origin + '/cli.html')).status).toBe(200);
  });
});
