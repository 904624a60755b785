// Nothing left behind: the CLI through its binary with a private TMPDIR (so its `stylecast-job-*` folder, Playwright's
// `playwright_chromiumdev_profile-*` / `playwright-artifacts-*` and Chromium's `.org.chromium.Chromium.*` would all
// land there), on every way out: success, Ctrl-C and SIGTERM mid-job, a signal during start-up, and a killed CLI whose
// folder the next run removes (never a running job's). Tiny clips: each case takes a few seconds.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processStart } from '../../src/cli/jobdir.ts';
import { cli, ensureBuilt, ffmpeg, ROOT, WALKING, descendants } from './helpers.ts';

let dir: string;
const at = (name: string) => join(dir, name);

beforeAll(() => {
  ensureBuilt();
  // Short paths: Chromium's socket under TMPDIR must fit in 107 bytes (the CLI falls back to /tmp beyond that).
  dir = mkdtempSync('/tmp/sc-');
  ffmpeg('-i', WALKING, '-frames:v', '3', '-vf', 'scale=64:36', '-c:v', 'libx264', '-preset', 'veryfast', '-an', at('short.mp4'));
  // Long enough (with smoothing, ~1 s a frame here) to be interrupted mid-job.
  ffmpeg('-i', WALKING, '-frames:v', '40', '-vf', 'scale=64:36', '-c:v', 'libx264', '-preset', 'veryfast', '-an', at('long.mp4'));
}, 600_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh, empty TMPDIR for one run (short names: see above). */
let runs = 0;
function privateTmp(): string {
  const t = at(`t${runs++}`);
  mkdirSync(t);
  return t;
}

interface Running {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
  waitFor(test: () => boolean, what: string): Promise<void>;
}

function start(args: string[], tmp: string): Running {
  const child = spawn(process.execPath, [join(ROOT, 'bin/stylecast.mjs'), ...args], { cwd: ROOT, env: { ...process.env, STYLECAST_GPU: 'software', TMPDIR: tmp } });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((res) => child.on('exit', (code, signal) => res(code ?? (signal ? -1 : null))));
  return {
    child,
    stderr: () => err,
    exited,
    async waitFor(test, what) {
      for (let i = 0; i < 2400 && child.exitCode === null; i++) {
        if (test()) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`never saw ${what}; stderr:\n${err}`);
    },
  };
}

const chromiumRuns = (pid: number) => /chrom/i.test(spawnSync('ps', ['-o', 'comm=', '--ppid', String(pid)]).stdout.toString());

/** What is left in `tmp` once the browser's processes are gone (they are killed before the folder is removed). */
async function leftovers(tmp: string): Promise<string[]> {
  for (let i = 0; i < 40 && readdirSync(tmp).length; i++) await new Promise((r) => setTimeout(r, 50));
  return readdirSync(tmp);
}

describe('no temporary folder is left behind', () => {
  it('after a successful job', async () => {
    const tmp = privateTmp();
    const run = start(['stylize', at('short.mp4'), '-o', at('ok.mp4'), '--size', '32', '--quiet'], tmp);
    expect(await run.exited, run.stderr()).toBe(0);
    expect(existsSync(at('ok.mp4'))).toBe(true);
    expect(await leftovers(tmp)).toEqual([]);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('after %s mid-job: CANCELLED, exit %i, no output, no partial', async (signal, status) => {
    const tmp = privateTmp();
    const out = at(`cancel-${signal}.mp4`);
    const run = start(['stylize', at('long.mp4'), '-o', out, '--size', '32'], tmp);
    await run.waitFor(() => /\d+\/40 frames/.test(run.stderr()), 'progress');
    expect(readdirSync(tmp).filter((n) => n.startsWith('stylecast-job-'))).toHaveLength(1); // it was there
    run.child.kill(signal);
    expect(await run.exited, run.stderr()).toBe(status);
    expect(run.stderr().trim().split('\n').at(-1)).toMatch(/^stylecast: .+\(CANCELLED\)$/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('.partial'))).toEqual([]);
    expect(await leftovers(tmp)).toEqual([]);
  });

  it('after Ctrl-C during start-up (the browser starting, no job yet)', async () => {
    const tmp = privateTmp();
    const run = start(['stylize', at('long.mp4'), '-o', at('startup.mp4'), '--size', '32'], tmp);
    await run.waitFor(() => chromiumRuns(run.child.pid!), 'Chromium start');
    run.child.kill('SIGINT');
    expect(await run.exited, run.stderr()).toBe(130);
    expect(run.stderr().trim().split('\n').at(-1)).toBe('stylecast: Cancelled. (CANCELLED)');
    expect(await leftovers(tmp)).toEqual([]);
  });

  it("a killed CLI's folder is removed by the next run; a running job's folder and a fresh unrecorded one are kept", async () => {
    const tmp = privateTmp();
    const run = start(['stylize', at('long.mp4'), '-o', at('killed.mp4'), '--size', '32'], tmp);
    await run.waitFor(() => /\d+\/40 frames/.test(run.stderr()), 'progress');
    run.child.kill('SIGKILL'); // nothing can clean up after this
    await run.exited;
    const stale = readdirSync(tmp).filter((n) => n.startsWith('stylecast-job-'));
    expect(stale).toHaveLength(1);
    // A folder owned by a running process (this test) and one whose owner record is not written yet.
    mkdirSync(join(tmp, 'stylecast-job-live'));
    writeFileSync(join(tmp, 'stylecast-job-live', 'owner.json'), JSON.stringify({ pid: process.pid, start: processStart(process.pid) }));
    mkdirSync(join(tmp, 'stylecast-job-fresh'));
    // A reused pid: this process's pid with another start time is not this process.
    mkdirSync(join(tmp, 'stylecast-job-reused'));
    writeFileSync(join(tmp, 'stylecast-job-reused', 'owner.json'), JSON.stringify({ pid: process.pid, start: '1' }));
    // The killed CLI was writing its output as it went: that partial file stays until the next run to the same output.
    const partials = () => readdirSync(dir).filter((n) => n.startsWith('.killed.mp4.') && n.endsWith('.partial'));
    expect(partials()).toHaveLength(1);
    // A partial of the same output owned by a running process (this test) is not stale.
    const running = join(dir, `.killed.mp4.stylecast-${process.pid}-0a0a0a0a.partial`);
    writeFileSync(running, 'still being written');
    writeFileSync(at('empty.mp4'), '');
    const next = cli(['stylize', at('empty.mp4'), '-o', at('killed.mp4'), '--size', '32'], 240_000, { TMPDIR: tmp });
    expect(next.stderr.trim().split('\n').at(-1)).toMatch(/\(EMPTY_INPUT\)$/);
    expect(readdirSync(tmp).sort()).toEqual(['stylecast-job-fresh', 'stylecast-job-live']);
    expect(partials()).toEqual([basename(running)]);
    rmSync(running);
    expect(readFileSync(join(tmp, 'stylecast-job-live', 'owner.json'), 'utf8')).toContain(String(process.pid));
  });
});


describe('BROWSER_CRASHED: a browser that dies mid-job is one sentence, exit 1, no output, nothing left', () => {
  it.each([
    ['the page (its renderer process killed)', (p: { args: string }) => p.args.includes('--type=renderer'), /its page's process died/],
    ['the whole browser (its main process killed)', (p: { args: string }) => /chrom/i.test(p.args) && !p.args.includes('--type='), /the browser process exited/],
  ])('%s', async (_label, which, why) => {
    const tmp = privateTmp();
    const out = at(`crash-${runs}.mp4`);
    writeFileSync(out, 'the previous result');
    const run = start(['stylize', at('long.mp4'), '-o', out, '--size', '32'], tmp);
    await run.waitFor(() => /\d+\/40 frames/.test(run.stderr()), 'progress');
    const victims = descendants(run.child.pid!).filter(which);
    expect(victims.length).toBeGreaterThan(0);
    for (const v of victims) process.kill(v.pid, 'SIGKILL');
    expect(await run.exited, run.stderr()).toBe(1);
    const last = run.stderr().trim().split('\n').at(-1)!;
    expect(last).toMatch(/^stylecast: Chromium crashed during the job: .+\. Nothing was written\. \(BROWSER_CRASHED\)$/);
    expect(last).toMatch(why);
    expect(run.stderr()).not.toMatch(/Target crashed|page\.evaluate|Browser logs/);
    expect(readFileSync(out, 'utf8')).toBe('the previous result');
    expect(readdirSync(dir).filter((n) => n.startsWith(`.${basename(out)}.`))).toEqual([]);
    expect(await leftovers(tmp)).toEqual([]);
  });
});

describe("a running job's local server", () => {
  it('answers a malformed request with 400 and foreign ones (no secret) with 403, and the job finishes', async () => {
    ffmpeg('-i', WALKING, '-frames:v', '10', '-vf', 'scale=64:36', '-c:v', 'libx264', '-preset', 'veryfast', '-an', at('ten.mp4'));
    const tmp = privateTmp();
    const out = at('served.mp4');
    const run = start(['stylize', at('ten.mp4'), '-o', out, '--size', '32'], tmp);
    await run.waitFor(() => /\d+\/10 frames/.test(run.stderr()), 'progress');
    // The CLI's listening port, from the socket table (127.0.0.1 only).
    const listening = spawnSync('ss', ['-ltnpH']).stdout.toString().split('\n').find((l) => l.includes(`pid=${run.child.pid},`));
    const port = /127\.0\.0\.1:(\d+)/.exec(listening ?? '')?.[1];
    expect(port, listening).toBeDefined();
    const origin = `http://127.0.0.1:${port}`;
    const statuses = [
      (await fetch(`${origin}/__stylecast/%`)).status,
      (await fetch(`${origin}/__stylecast/models/%zz`)).status,
      (await fetch(`${origin}/__stylecast/input`)).status,
      (await fetch(`${origin}/__stylecast/output`, { method: 'PUT', body: 'planted' })).status,
      (await fetch(`${origin}/cli.html`)).status,
      (await fetch(`${origin}/__stylecast/input`, { headers: { Cookie: 'stylecast_key=00000000000000000000000000000000' } })).status,
    ];
    expect(statuses).toEqual([400, 400, 403, 403, 403, 403]);
    expect(await run.exited, run.stderr()).toBe(0);
    expect(run.stderr()).toMatch(/wrote .*served\.mp4: 10 frames/);
    const probe = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', out]).stdout.toString().trim();
    expect(probe).toBe('10');
    expect(await leftovers(tmp)).toEqual([]);
  });
});

describe('BROWSER_START_FAILED: a browser that cannot start is one sentence, not a page of logs', () => {
  it.each([
    ['exits at once', '#!/bin/sh\nexit 1\n', 'it exited while starting (exit code 1)'],
    ['dies with a fatal line', '#!/bin/sh\necho "[9:9:1130/0.0:FATAL:chrome/app.cc:42] Cannot open the display." >&2\nexit 1\n', 'Cannot open the display'],
  ])('a "Chromium" that %s', async (_label, script, why) => {
    const fake = at(`fake-chromium-${runs}`);
    writeFileSync(fake, script, { mode: 0o755 });
    const tmp = privateTmp();
    const r = cli(['stylize', at('short.mp4'), '-o', at('never.mp4')], 60_000, { STYLECAST_CHROMIUM: fake, TMPDIR: tmp });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([`stylecast: Chromium (${fake}) could not start the engine: ${why}. (BROWSER_START_FAILED)`]);
    expect(existsSync(at('never.mp4'))).toBe(false);
    expect(await leftovers(tmp)).toEqual([]);
  });
});
