// A real full disk, through the CLI's binary: small tmpfs file systems mounted here (as root; where mounting is refused
// — not root, no CAP_SYS_ADMIN in a container — each test is skipped saying why). One too small for the job is refused
// up front by the free-space check; one that passes the check but is smaller than the result fills up while the
// result is written (ENOSPC part way through the job), and the job stops there instead of running to its last frame.
// Both are DISK_FULL in one sentence, an existing output stays byte-identical and no partial file is left. Unmounted
// in afterAll, whatever happened.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WALKING, cli, ensureBuilt, ffmpeg } from './helpers.ts';

let dir: string;
const at = (name: string) => join(dir, name);
const RUN_MS = 480_000;
const TEST_MS = 600_000;
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const free = (path: string) => {
  const s = statfsSync(path);
  return s.bavail * s.bsize;
};

/**
 * The mounted file systems (null where mounting was refused, with the reason). `small` has less than the least any
 * output is allowed (1 MB, src/cli/files.ts minimumOutputBytes); `mid` has more than that, and less than the result
 * of FRAMES frames at 960×540 (about 3.9 MB at the encoder's bitrate, 5.9 Mbit/s at this size: the disk is full
 * about a third of the way through).
 */
const mounts: { small: string | null; mid: string | null } = { small: null, mid: null };
let refusedWhy = '';
const FRAMES = 160;
const SMALL = '512k';
const MID = '1280k';

/** Mounts a tmpfs of `size` at `path`; null when refused (the reason kept). */
function mountTmpfs(path: string, size: string): string | null {
  mkdirSync(path);
  if (process.getuid?.() !== 0) {
    refusedWhy = 'not root: mounting a tmpfs needs root (CAP_SYS_ADMIN)';
    return null;
  }
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', path], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    refusedWhy = `mount -t tmpfs was refused: ${(r.error?.message ?? r.stderr).trim().split('\n')[0] || `exit ${r.status}`}`;
    return null;
  }
  return path;
}

function unmount(path: string | null): void {
  if (!path) return;
  const r = spawnSync('umount', [path]);
  if (r.status !== 0) spawnSync('umount', ['-l', path]); // busy (a process still in it): detach now, freed when let go
}

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'stylecast-e2e-diskfull-'));
  mounts.small = mountTmpfs(at('small'), SMALL);
  if (mounts.small) mounts.mid = mountTmpfs(at('mid'), MID);
  ffmpeg('-i', WALKING, '-frames:v', String(FRAMES), '-an', '-c:v', 'libx264', '-preset', 'veryfast', at('walk.mp4'));
}, TEST_MS);

afterAll(() => {
  unmount(mounts.small);
  unmount(mounts.mid);
  rmSync(dir, { recursive: true, force: true });
});

/** The previous result in `folder`: 32 KB that must come out of the failed job byte-identical. */
function previousOutput(folder: string): { path: string; hash: string } {
  const path = join(folder, 'out.mp4');
  writeFileSync(path, createHash('sha512').update('the previous result').digest().toString('hex').repeat(256));
  return { path, hash: sha(path) };
}

describe('a full disk is DISK_FULL: one sentence, the existing output kept, nothing left behind', { timeout: TEST_MS }, () => {
  it('too little space for any result: refused up front by the free-space check, before a browser starts', (ctx) => {
    if (!mounts.small) return ctx.skip(refusedWhy);
    const folder = mounts.small;
    const previous = previousOutput(folder);
    const before = free(folder);
    expect(before).toBeLessThan(1_000_000);
    const r = cli(['stylize', at('walk.mp4'), '-o', previous.path, '--size', '32', '--temporal', '0'], RUN_MS);
    expect(r.status, r.stderr).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1); // no progress: no job ran
    expect(lines[0]).toBe(
      `stylecast: The disk is full: ${(before / 1e6).toFixed(1)} MB free where ${previous.path} goes, and it needs at least 1.0 MB. Free some space or write elsewhere. Nothing was done. (DISK_FULL)`,
    );
    expect(sha(previous.path)).toBe(previous.hash);
    expect(readdirSync(folder)).toEqual(['out.mp4']);
    expect(free(folder)).toBe(before);
  });

  it('space for the check but not for the result: the disk fills while the result is written (ENOSPC part way)', (ctx) => {
    if (!mounts.mid) return ctx.skip(refusedWhy);
    const folder = mounts.mid;
    const previous = previousOutput(folder);
    const before = free(folder);
    expect(before).toBeGreaterThanOrEqual(1_000_000); // the check up front passes
    const r = cli(['stylize', at('walk.mp4'), '-o', previous.path, '--size', '32', '--temporal', '0'], RUN_MS);
    expect(r.status, r.stderr).toBe(1);
    const lines = r.stderr.trim().split('\n');
    // The job ran and made frames before the disk was full, and stopped there: not at its last frame.
    const done = lines.map((l) => /^stylecast: (\d+)\/(\d+) frames/.exec(l)).filter((m) => m !== null);
    expect(done.length, r.stderr).toBeGreaterThan(0);
    expect(Number(done[0]![2])).toBe(FRAMES);
    expect(Math.max(...done.map((m) => Number(m![1]))), r.stderr).toBeLessThan(FRAMES);
    expect(lines.at(-1)).toBe(
      `stylecast: The disk is full: writing ${previous.path} failed (ENOSPC). Free some space or write elsewhere; ${previous.path} was not written. (DISK_FULL)`,
    );
    expect(r.stderr).not.toMatch(/wrote /);
    expect(sha(previous.path)).toBe(previous.hash);
    expect(readdirSync(folder)).toEqual(['out.mp4']); // the partial result is gone
    expect(free(folder)).toBe(before); // and its space given back
  });
});
