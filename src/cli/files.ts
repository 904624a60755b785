// The CLI's own files: what it refuses to write over before any work starts (tests/node/cli-files.test.ts).
import { existsSync, realpathSync, statSync, type Stats } from 'node:fs';
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
