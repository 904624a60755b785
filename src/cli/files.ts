// The CLI's own files: what it refuses to write over before any work starts (tests/node/cli-files.test.ts).
import { closeSync, existsSync, openSync, readdirSync, realpathSync, renameSync, rmSync, statfsSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { StylecastError } from '../engine/errors.ts';

const statOrNull = (path: string): Stats | null => {
  try {
    return statSync(path); // follows links: the file a name really is
  } catch {
    return null;
  }
};

/**
 * Where `path` really lands: its real path when it exists, else the real path of its deepest existing ancestor with
 * the rest of the path appended (so `a/../b`, and links among its folders, are seen through).
 */
export function realTarget(path: string): string {
  const full = resolve(path);
  if (existsSync(full)) return realpathSync(full);
  const parent = dirname(full);
  if (parent === full) return full;
  return join(realTarget(parent), basename(full));
}

/**
 * Refuses (SAME_FILE) an output that is one of the inputs under another name: the same path, a symbolic link either
 * way, a hard link, or a path through `..` or linked folders. Existing files are compared by device and inode (after
 * following links); an output that does not exist yet by its resolved path.
 */
export function refuseSameFile(output: string, inputs: { path: string; what: string }[]): void {
  const out = statOrNull(output);
  const outReal = realTarget(output);
  for (const { path, what } of inputs) {
    const inp = statOrNull(path);
    const same = inp && out ? inp.dev === out.dev && inp.ino === out.ino : existsSync(path) && realTarget(path) === outReal;
    if (same) {
      throw new StylecastError(
        'SAME_FILE',
        `The output ${output} is the ${what} ${path}${resolve(output) === resolve(path) ? '' : ' under another name (a link or an alias of it)'}: writing it would destroy the ${what}. Choose another output file.`,
      );
    }
  }
}

/** The nearest existing folder at or above `dir` (or the existing non-folder that blocks the path). */
function deepestExisting(dir: string): string {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(d) || dirname(d) === d) return d;
  }
}

const reason = (e: unknown) => {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EROFS') return 'it is on a read-only file system';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return `${code ?? (e instanceof Error ? e.message : String(e))}`;
};

/**
 * Checks the output's place before a job starts (OUTPUT_NOT_WRITABLE): the output is not a folder or another kind of
 * non-file, its folder exists or can be made (no file in the way), and a file can be created there (tried for real
 * with a probe file, removed at once; this holds for root, read-only file systems and ACLs alike). Nothing is left
 * behind. Returns the path to write: the output, or the file an existing symbolic link of that name points to.
 */
export function checkOutputPlace(output: string): string {
  const notWritable = (why: string) => new StylecastError('OUTPUT_NOT_WRITABLE', `Cannot write the output ${output}: ${why}. Nothing was done.`);
  const target = existsSync(output) ? realpathSync(output) : resolve(output);
  const existing = statOrNull(target);
  if (existing?.isDirectory()) throw notWritable('it is a folder; name a file');
  if (existing && !existing.isFile()) throw notWritable('it exists and is not a regular file');
  const folder = deepestExisting(dirname(target));
  if (!statSync(folder).isDirectory()) throw notWritable(`${folder} is a file, not a folder`);
  const probe = join(folder, `.stylecast-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (e) {
    throw notWritable(`cannot create files in ${folder} (${reason(e)})`);
  }
  unlinkSync(probe);
  return target;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;

/**
 * A result the CLI could not write, as one sentence with its code: no space (ENOSPC, EDQUOT, EFBIG) is DISK_FULL,
 * a refusal (EACCES, EROFS, …) OUTPUT_NOT_WRITABLE; anything else is returned as it is.
 */
export function writeError(e: unknown, output: string): unknown {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new StylecastError('DISK_FULL', `The disk is full: writing ${output} failed (${code}). Free some space or write elsewhere; ${output} was not written.`, { cause: e });
  }
  if (code === 'EFBIG') {
    return new StylecastError('DISK_FULL', `The file system refused a file this large: writing ${output} failed (EFBIG). Write elsewhere; ${output} was not written.`, { cause: e });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'EISDIR' || code === 'ENOTDIR') {
    return new StylecastError('OUTPUT_NOT_WRITABLE', `Cannot write the output ${output}: ${reason(e)}; it was not written.`, { cause: e });
  }
  return e;
}

/**
 * The least the output can take, for the check up front: a quarter of the input, at least 1 MB. A stylised clip is
 * re-encoded and usually larger than that, so a refusal means clearly too little space, never a guess that is too
 * strict.
 */
export const minimumOutputBytes = (inputBytes: number) => Math.max(1_000_000, Math.ceil(inputBytes / 4));

/** Refuses (DISK_FULL) before any work when the file system `path` will be written on has less than `needed` bytes free. */
export function checkFreeSpace(path: string, needed: number, output: string): void {
  const folder = deepestExisting(path);
  const fs = statfsSync(folder);
  const free = fs.bavail * fs.bsize;
  if (free < needed) {
    throw new StylecastError('DISK_FULL', `The disk is full: ${mb(free)} free where ${output} goes, and it needs at least ${mb(needed)}. Free some space or write elsewhere. Nothing was done.`);
  }
}

/** A fresh temporary name beside the output (hidden, unique): the result is written there, then renamed into place. */
export const partialPath = (output: string) =>
  join(dirname(output), `.${basename(output)}.stylecast-${process.pid}-${randomBytes(4).toString('hex')}.partial`);

/** The process that owns a partial file named by `partialPath` (pid of the CLI that made it), or null for another name. */
function partialOwner(name: string, output: string): number | null {
  const prefix = `.${basename(output)}.stylecast-`;
  if (!name.startsWith(prefix) || !name.endsWith('.partial')) return null;
  const m = /^(\d+)-[0-9a-f]+[.]/.exec(name.slice(prefix.length));
  return m ? Number(m[1]) : null;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
};

/**
 * Removes the partial files of `output` left by a CLI that was killed outright (SIGKILL, power loss: nothing could
 * clean up), i.e. those whose owning process is gone. Those of a job still running are kept. Returns the names removed.
 */
export function sweepStalePartials(output: string): string[] {
  const dir = dirname(output);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = partialOwner(name, output);
    if (pid === null || pid === process.pid || alive(pid)) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/** Moves a complete result into place in one step (an existing output is replaced only now); errors as writeError. */
export function commitOutput(partial: string, output: string): void {
  try {
    renameSync(partial, output);
  } catch (e) {
    throw writeError(e, output);
  }
}
