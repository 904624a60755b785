// The CLI and its files, through the real binary: what it refuses before any work (no browser is started for these),
// and what it leaves behind. Real files, real links; each case takes well under a second (a build first if stale).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ensureBuilt, ffmpeg, ROOT, WALKING } from './helpers.ts';

let dir: string;
const at = (name: string) => join(dir, name);
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'stylecast-files-'));
  ffmpeg('-i', WALKING, '-frames:v', '3', '-vf', 'scale=64:36', '-c:v', 'libx264', '-preset', 'veryfast', '-an', at('v.mp4'));
}, 600_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One line, the code at its end, the exit status; the input untouched. */
function refused(args: string[], code: string, status: number) {
  const before = sha(at('v.mp4'));
  const r = cli(args, 60_000);
  expect(r.status, r.stderr).toBe(status);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^stylecast: [A-Z].+\\. \\(${code}\\)$`));
  expect(sha(at('v.mp4'))).toBe(before);
  return lines[0];
}

describe('SAME_FILE: an output that is the input under another name is refused before any work', () => {
  it('the same path', () => {
    refused(['stylize', at('v.mp4'), '-o', at('v.mp4')], 'SAME_FILE', 2);
  });
  it('the input is a symlink to the output', () => {
    symlinkSync(at('v.mp4'), at('a.mp4'));
    const line = refused(['stylize', at('a.mp4'), '-o', at('v.mp4')], 'SAME_FILE', 2);
    expect(line).toMatch(/under another name/);
  });
  it('the output is a symlink to the input', () => {
    symlinkSync(at('v.mp4'), at('link-out.mp4'));
    refused(['stylize', at('v.mp4'), '-o', at('link-out.mp4')], 'SAME_FILE', 2);
  });
  it('a hard link', () => {
    linkSync(at('v.mp4'), at('hard.mp4'));
    refused(['stylize', at('hard.mp4'), '-o', at('v.mp4')], 'SAME_FILE', 2);
  });
  it('a path through .. and a linked folder', () => {
    mkdirSync(at('sub'));
    symlinkSync(dir, at('sub/up'));
    refused(['stylize', at('v.mp4'), '-o', join(dir, 'sub', '..', 'v.mp4')], 'SAME_FILE', 2);
    refused(['stylize', at('v.mp4'), '-o', at('sub/up/v.mp4')], 'SAME_FILE', 2);
  });
  it('the style image as output, and flow with an image as its output', () => {
    writeFileSync(at('style.mp4'), readFileSync(at('v.mp4'))); // any file can be named as a style image
    symlinkSync(at('style.mp4'), at('style-link.mp4'));
    refused(['stylize', at('v.mp4'), '-o', at('style-link.mp4'), '--style', at('style.mp4')], 'SAME_FILE', 2);
    writeFileSync(at('a.flo'), 'x');
    symlinkSync(at('a.flo'), at('b.flo'));
    expect(cli(['flow', at('a.flo'), at('v.mp4'), '-o', at('b.flo')], 60_000).stderr).toMatch(/\(SAME_FILE\)\n$/);
  });
});

describe('OUTPUT_NOT_WRITABLE: the output place is checked before starting, nothing is written', () => {
  it('an output that is a folder', () => {
    mkdirSync(at('out-dir.mp4'));
    const line = refused(['stylize', at('v.mp4'), '-o', at('out-dir.mp4')], 'OUTPUT_NOT_WRITABLE', 1);
    expect(line).toMatch(/it is a folder/);
    expect(readdirSync(at('out-dir.mp4'))).toEqual([]);
  });
  it('a file in the way of the output folder', () => {
    refused(['stylize', at('v.mp4'), '-o', join(at('v.mp4'), 'x', 'out.mp4')], 'OUTPUT_NOT_WRITABLE', 1);
  });
  it('a folder where no file can be created (procfs; the tests run as root, so no chmod case)', () => {
    const line = refused(['stylize', at('v.mp4'), '-o', '/proc/stylecast-test/out.mp4'], 'OUTPUT_NOT_WRITABLE', 1);
    expect(line).toMatch(/cannot create files in \/proc/);
    refused(['flow', at('v.mp4'), at('v.mp4'), '-o', '/proc/out.flo'], 'OUTPUT_NOT_WRITABLE', 1);
  });
  it('no probe file or folder is left in the output place', () => {
    expect(readdirSync(dir).filter((n) => n.startsWith('.stylecast'))).toEqual([]);
  });
  it('folders that do not exist yet are fine, and are not made when the job fails', () => {
    writeFileSync(at('empty.mp4'), '');
    const r = cli(['stylize', at('empty.mp4'), '-o', at('new/deeper/out.mp4'), '--size', '32'], 240_000);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/\(EMPTY_INPUT\)$/); // got as far as the browser
    expect(existsSync(at('new'))).toBe(false);
  });
});

describe('DISK_FULL and a failed job: an existing output is kept, no partial file is left', () => {
  const partials = () => readdirSync(dir).filter((n) => n.includes('.partial'));

  it('a job that fails keeps the existing output byte-identical', () => {
    writeFileSync(at('kept.mp4'), 'the previous result');
    writeFileSync(at('empty2.mp4'), '');
    const r = cli(['stylize', at('empty2.mp4'), '-o', at('kept.mp4'), '--size', '32'], 240_000);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/\(EMPTY_INPUT\)$/);
    expect(readFileSync(at('kept.mp4'), 'utf8')).toBe('the previous result');
    expect(partials()).toEqual([]);
  });

  it('writing the result fails for real (the CLI process limited to 512-byte files once Chromium runs) → DISK_FULL, output kept', async () => {
    // RLIMIT_FSIZE makes the kernel refuse the write (EFBIG) in the CLI process only — Chromium, already started, keeps
    // its own limit. ENOSPC's sentence is unit-tested with /dev/full (tests/node/cli-files.test.ts), and a real full
    // disk (small tmpfs mounts, where the test may mount them) is tests/e2e/cli-disk-full.test.ts.
    writeFileSync(at('kept2.mp4'), 'the previous result');
    const child = spawn(process.execPath, [join(ROOT, 'bin/stylecast.mjs'), 'stylize', at('v.mp4'), '-o', at('kept2.mp4'), '--size', '32', '--temporal', '0'], {
      cwd: ROOT,
      env: { ...process.env, STYLECAST_GPU: 'software' },
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    // Wait for Chromium (a child of the CLI) before limiting the CLI itself.
    for (let i = 0; i < 600; i++) {
      const children = spawnSync('ps', ['-o', 'comm=', '--ppid', String(child.pid)]).stdout.toString(); // status 1 while none
      if (/chrom/i.test(children)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    execFileSync('prlimit', ['--pid', String(child.pid), '--fsize=512:512']);
    const status = await exited;
    expect(status, stderr).toBe(1);
    expect(stderr.trim().split('\n').at(-1)).toBe(
      `stylecast: The file system refused a file this large: writing ${at('kept2.mp4')} failed (EFBIG). Write elsewhere; ${at('kept2.mp4')} was not written. (DISK_FULL)`,
    );
    expect(readFileSync(at('kept2.mp4'), 'utf8')).toBe('the previous result');
    expect(partials()).toEqual([]);
  });
});
