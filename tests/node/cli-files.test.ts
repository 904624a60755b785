// The CLI's file checks (src/cli/files.ts) on real files and real kernel errors; tests/e2e/cli-files.test.ts runs the
// same cases through the binary.
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkFreeSpace, minimumOutputBytes, partialPath, writeError } from '../../src/cli/files.ts';
import { StylecastError } from '../../src/engine/errors.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stylecast-files-unit-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const codeOf = (e: unknown) => (e instanceof StylecastError ? e.code : `not a StylecastError: ${String(e)}`);

it('a real ENOSPC (writing to /dev/full) is DISK_FULL in one sentence', () => {
  let raw: unknown;
  try {
    writeFileSync('/dev/full', Buffer.alloc(4096));
  } catch (e) {
    raw = e;
  }
  expect((raw as NodeJS.ErrnoException).code).toBe('ENOSPC');
  const e = writeError(raw, '/videos/out.mp4') as StylecastError;
  expect(codeOf(e)).toBe('DISK_FULL');
  expect(e.message).toBe('The disk is full: writing /videos/out.mp4 failed (ENOSPC). Free some space or write elsewhere; /videos/out.mp4 was not written.');
});

it('a refusal by the file system is OUTPUT_NOT_WRITABLE; any other error is passed on as it is', () => {
  let raw: unknown;
  try {
    writeFileSync('/proc/stylecast-test', 'x');
  } catch (e) {
    raw = e;
  }
  expect(['EACCES', 'ENOENT', 'EROFS', 'EPERM']).toContain((raw as NodeJS.ErrnoException).code);
  if ((raw as NodeJS.ErrnoException).code !== 'ENOENT') expect(codeOf(writeError(raw, 'o.mp4'))).toBe('OUTPUT_NOT_WRITABLE');
  const other = new Error('something else');
  expect(writeError(other, 'o.mp4')).toBe(other);
});

it('free space is checked up front against the real file system: more than it has is DISK_FULL, a little is fine', () => {
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  let thrown: unknown;
  try {
    checkFreeSpace(join(dir, 'not/yet/made'), free * 2 + 1e9, 'out.mp4');
  } catch (e) {
    thrown = e;
  }
  expect(codeOf(thrown)).toBe('DISK_FULL');
  expect((thrown as Error).message).toMatch(/^The disk is full: [\d.]+ MB free where out\.mp4 goes, and it needs at least [\d.]+ MB\. Free some space or write elsewhere\. Nothing was done\.$/);
  expect(() => checkFreeSpace(dir, 1, 'out.mp4')).not.toThrow();
  expect(minimumOutputBytes(0)).toBe(1_000_000);
  expect(minimumOutputBytes(40_000_000)).toBe(10_000_000);
});

it('a partial result has a hidden, unique name beside the output, never the output name with a suffix', () => {
  const a = partialPath('/v/out.mp4');
  expect(a).toMatch(/^\/v\/\.out\.mp4\.stylecast-\d+-[0-9a-f]{8}\.partial$/);
  expect(partialPath('/v/out.mp4')).not.toBe(a);
});
