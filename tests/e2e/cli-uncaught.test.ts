// A bug in the CLI that escapes every try — an uncaught exception or an unhandled rejection, provoked mid-job by the
// tests-only STYLECAST_TEST_FAULT hook (src/cli/job.ts) — is one line with INTERNAL, exit 1, and leaves nothing behind:
// no `stylecast-job-*`, Playwright or Chromium folder in the private TMPDIR, no partial output, an existing output
// kept, and no Chromium process of the job still running.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, WALKING, ensureBuilt, ffmpeg } from './helpers.ts';

let dir: string;
const at = (name: string) => join(dir, name);

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync('/tmp/sc-u-'); // short: Chromium's socket under TMPDIR must fit in 107 bytes
  ffmpeg('-i', WALKING, '-frames:v', '20', '-vf', 'scale=64:36', '-c:v', 'libx264', '-preset', 'veryfast', '-an', at('clip.mp4'));
}, 600_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Processes whose command line names `path` (the job's browser has its profile under the private TMPDIR). */
function processesNaming(path: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(path)) found.push(Number(pid));
    } catch {}
  }
  return found;
}

describe('an internal error mid-job leaves nothing behind', { timeout: 600_000 }, () => {
  it.each(['uncaught-exception', 'unhandled-rejection'])('%s', async (fault) => {
    const tmp = at(`t-${fault}`);
    mkdirSync(tmp);
    const out = at(`${fault}.mp4`);
    writeFileSync(out, 'the previous result');
    const child = spawn(process.execPath, [join(ROOT, 'bin/stylecast.mjs'), 'stylize', at('clip.mp4'), '-o', out, '--size', '32'], {
      cwd: ROOT,
      env: { ...process.env, STYLECAST_GPU: 'software', TMPDIR: tmp, STYLECAST_TEST_FAULT: fault },
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    let sawJob = false;
    const poll = setInterval(() => (sawJob ||= readdirSync(tmp).some((n) => n.startsWith('stylecast-job-'))), 100);
    const status = await new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    clearInterval(poll);
    expect(sawJob).toBe(true); // the job had its folder
    expect(stderr).toMatch(/2\/20 frames|\d+\/20 frames/); // it was mid-job
    expect(status, stderr).toBe(1);
    const last = stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^stylecast: An internal error stopped the command \(an (uncaught exception|unhandled rejection): test fault .+\); .+\(INTERNAL\)$/);
    expect(stderr).not.toMatch(/^\s+at /m); // no stack trace
    expect(readFileSync(out, 'utf8')).toBe('the previous result');
    expect(readdirSync(dir).filter((n) => n.includes('.partial'))).toEqual([]);
    // The browser was killed by pid before its folder was removed; give the kernel a moment to reap it.
    for (let i = 0; i < 40 && (readdirSync(tmp).length || processesNaming(tmp).length); i++) await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(tmp)).toEqual([]);
    expect(processesNaming(tmp)).toEqual([]);
    expect(existsSync(out)).toBe(true);
  });
});
