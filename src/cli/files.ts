// The CLI's own files: what it refuses to write over before any work starts (tests/node/cli-files.test.ts).
import { closeSync, existsSync, openSync, realpathSync, statSync, unlinkSync, type Stats } from 'node:fs';
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
