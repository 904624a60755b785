// The CLI's local server routes for a job's files (IO_PREFIX): a malformed request is a 400, never a crash.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ioHandler } from '../../src/cli/browser.ts';

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

it('stores a PUT result and records where', async () => {
  const r = await fetch(base + '/output', { method: 'PUT', body: 'result' });
  expect(r.status).toBe(200);
  expect(readFileSync(received.get('output')!, 'utf8')).toBe('result');
  expect((await fetch(base + '/Output', { method: 'PUT', body: 'x' })).status).toBe(404);
});
