// npx tsx bench/io-retention.ts — who keeps the bytes the CLI's page sends and reads over HTTP (not a test).
// bench:soak found the job's renderer growing about 1 MB per 1000 frames at 64 px after its warm-up. This replays the
// page's I/O alone, in rounds of --count requests of --bytes each, and reads the renderer's (and the browser's) RssAnon
// after every round (a forced GC first):
//   put:         PUTs to IO_PREFIX, as the page uploads the MP4 (src/cli/page.ts upload()), in the CLI's own session
//                (openSession: Playwright attached, its Network domain enabled, as in every CLI job);
//   get:         ranged GETs of a file served as "input", as the page reads the clip (Mediabunny's UrlSource);
//   put-plain:   the same PUTs from a headless Chromium that no DevTools client is attached to (a control).
// With Playwright attached, the renderer keeps every body it sends or receives until the DevTools network buffer is
// full (about 190 MB here), then stays there; with nothing attached it stays flat. JSON on stdout and in
// bench/results/io-retention-<machine>[-tag].json.
//
//   npx tsx bench/io-retention.ts [--only put|get|put-plain] [--bytes 1048576] [--count 50] [--rounds 6] [--tag NAME]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumPath, openSession } from '../src/cli/browser.ts';
import { IO_PREFIX } from '../src/cli/protocol.ts';
import { ROOT, log, machine, parseBenchArgs } from './util.ts';

const USAGE = `npx tsx bench/io-retention.ts [options]
who keeps the bytes the CLI's page sends and reads over HTTP: the renderer's RssAnon after rounds of PUTs or GETs
  --only put|get|put-plain  one part (default all three)
  --bytes N                 bytes per request (default 1048576)
  --count N                 requests per round (default 50)
  --rounds N                rounds (default 6)
  --tag NAME                bench/results/io-retention-<host>-NAME.json (default: the host name alone)`;
const { option } = parseBenchArgs(USAGE, { name: 'bench:io-retention', valued: ['only', 'bytes', 'count', 'rounds', 'tag'], choices: { only: ['put', 'get', 'put-plain'] } });
const BYTES = Number(option('bytes') ?? 1 << 20);
const COUNT = Number(option('count') ?? 50);
const ROUNDS = Number(option('rounds') ?? 6);
const ONLY = option('only');
const TAG = [hostname(), option('tag')].filter(Boolean).join('-').replace(/[^A-Za-z0-9._-]+/g, '-');
const MB = 1024 * 1024;

/** RssAnon in MB of the Chromium processes under `root` (or whose command line holds `marker`): browser and renderers. */
function chromiumAnon(root: number | null, marker?: string): Record<string, number> {
  const all = new Map<number, { ppid: number; cmd: string }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      all.set(Number(name), { ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), cmd: readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ') });
    } catch {
      // gone meanwhile
    }
  }
  const under = (pid: number) => {
    for (let p = pid, i = 0; i < 12 && p > 1; i++, p = all.get(p)?.ppid ?? 0) if (p === root) return true;
    return false;
  };
  const out: Record<string, number> = {};
  for (const [pid, p] of all) {
    if (!/chrom/i.test(p.cmd.split(' ')[0]) || /top-chrome-webui|--type=(zygote|gpu|utility)/.test(p.cmd)) continue;
    if (marker ? !p.cmd.includes(marker) : !under(pid)) continue;
    try {
      const anon = Number(/RssAnon:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
      out[`${/--type=renderer/.test(p.cmd) ? 'renderer' : 'browser'}:${pid}`] = Math.round(anon);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

interface Round {
  mb: number;
  anonMb: Record<string, number>;
}

/** PUTs or ranged GETs from the CLI's page, in the CLI's session. */
async function throughSession(mode: 'put' | 'get'): Promise<Round[]> {
  const dir = mkdtempSync(join(tmpdir(), 'stylecast-io-retention-'));
  const input = join(dir, 'input.bin');
  if (mode === 'get') writeFileSync(input, Buffer.alloc(BYTES * COUNT * ROUNDS, 7));
  const session = await openSession(ROOT, mode === 'get' ? { input } : {}, undefined, undefined, ['--js-flags=--expose-gc'], { gpu: 'software', server: 'static', uploadTo: { output: join(dir, 'out.bin') } });
  const rounds: Round[] = [];
  try {
    let at = 0;
    for (let r = 0; r < ROUNDS; r++) {
      at = await session.page.evaluate(
        async ([mode, prefix, bytes, count, start]) => {
          let pos = start;
          for (let i = 0; i < count; i++) {
            const res =
              mode === 'put'
                ? await fetch(`${prefix}output?at=${pos}`, { method: 'PUT', body: new Uint8Array(bytes) })
                : await fetch(`${prefix}input`, { headers: { Range: `bytes=${pos}-${pos + bytes - 1}` } });
            if (!res.ok) throw new Error(`HTTP ${res.status}`);
            await res.arrayBuffer();
            pos += bytes;
          }
          (globalThis as { gc?: () => void }).gc?.();
          return pos;
        },
        [mode, IO_PREFIX, BYTES, COUNT, at] as [string, string, number, number, number],
      );
      await new Promise((res) => setTimeout(res, 1000));
      rounds.push({ mb: Math.round(at / MB), anonMb: chromiumAnon(process.pid) });
      log(`io-retention: ${mode}: ${rounds.at(-1)!.mb} MB: RssAnon MB ${JSON.stringify(rounds.at(-1)!.anonMb)}`);
    }
  } finally {
    await session.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return rounds;
}

/** The same PUTs from a headless Chromium with no DevTools client: a page of its own from a server of its own. */
async function plain(): Promise<Round[]> {
  let received = 0;
  const page = `<script>(async () => { for (let i = 0; i < ${COUNT * ROUNDS}; i++) { const r = await fetch('/p', { method: 'PUT', body: new Uint8Array(${BYTES}) }); await r.text(); } })();</script>`;
  const server = createServer((req, res) => {
    if (req.method !== 'PUT') return res.end(page);
    req.on('data', (d: Buffer) => (received += d.length));
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const dir = mkdtempSync(join(tmpdir(), 'stylecast-io-retention-'));
  const port = (server.address() as { port: number }).port;
  const chromium = spawn(chromiumPath(), ['--headless', '--no-sandbox', '--disable-gpu', `--user-data-dir=${dir}`, `http://127.0.0.1:${port}/`], { stdio: 'ignore' });
  const rounds: Round[] = [];
  try {
    const deadline = Date.now() + 600_000;
    while (rounds.length < ROUNDS && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 500));
      if (received >= (rounds.length + 1) * COUNT * BYTES) {
        rounds.push({ mb: Math.round(received / MB), anonMb: chromiumAnon(null, dir) });
        log(`io-retention: put-plain: ${rounds.at(-1)!.mb} MB: RssAnon MB ${JSON.stringify(rounds.at(-1)!.anonMb)}`);
      }
    }
  } finally {
    chromium.kill();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return rounds;
}

const doc: Record<string, unknown> = {
  benchmark: 'bench/io-retention.ts',
  date: new Date().toISOString(),
  machine: { tag: TAG, atStart: machine() },
  settings: { bytes: BYTES, count: COUNT, rounds: ROUNDS },
};
for (const mode of ['put', 'get', 'put-plain'] as const) {
  if (ONLY && ONLY !== mode) continue;
  doc[mode] = mode === 'put-plain' ? await plain() : await throughSession(mode);
}
const json = JSON.stringify(doc, null, 1);
process.stdout.write(json + '\n');
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results', `io-retention-${TAG}.json`), json + '\n');
