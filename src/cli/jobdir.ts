// A job's temporary folder: everything a session puts on the disk lives in one `stylecast-job-*` folder under the
// system's temporary folder — the page's uploads, and (as their TMPDIR) Playwright's profile and artifacts folders and
// Chromium's own `.org.chromium.Chromium.*` — so one removal cleans it all, on every way out. The folder records its
// owner (pid and start time); a later job removes folders whose owner is gone, never those of a running job.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const JOB_PREFIX = 'stylecast-job-';
const OWNER = 'owner.json';
/** A folder without an owner record this old was abandoned between its creation and the record (microseconds apart). */
const ORPHAN_MS = 10 * 60_000;

interface Owner {
  pid: number;
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat, field 22): tells a reused pid apart. */
  start: string | null;
}

/** A process's start time, or null where /proc cannot say. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses) start at the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** True while the process that wrote `owner` runs (the same pid and, where known, the same start time). */
export function ownerAlive(owner: Owner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const start = processStart(owner.pid);
  return owner.start === null || start === null || start === owner.start;
}

/** Removes the `stylecast-job-*` folders in `parent` whose owner is gone; returns their paths. */
export function sweepStale(parent = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(parent).filter((n) => n.startsWith(JOB_PREFIX));
  } catch {
    return removed;
  }
  for (const name of names) {
    const path = join(parent, name);
    let stale: boolean;
    try {
      const owner = JSON.parse(readFileSync(join(path, OWNER), 'utf8')) as Owner;
      stale = typeof owner.pid !== 'number' || !ownerAlive(owner);
    } catch {
      try {
        stale = Date.now() - statSync(path).mtimeMs > ORPHAN_MS;
      } catch {
        stale = false;
      }
    }
    if (stale) {
      killJobProcesses({ path }); // a browser left running by a killed job would write into it again
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    }
  }
  return removed;
}

export interface JobDir {
  path: string;
  /** Where the page's results go by default. */
  uploads: string;
  /** TMPDIR for Playwright and Chromium. */
  tmp: string;
}

/**
 * Chromium makes `<TMPDIR>/.org.chromium.Chromium.XXXXXX/SingletonSocket`, a Unix socket whose path must fit in 107
 * bytes (it aborts otherwise); under a very long TMPDIR it keeps the system's /tmp instead (and may leave that folder).
 */
export const chromiumTmp = (job: JobDir) => (`${job.tmp}/.org.chromium.Chromium.XXXXXX/SingletonSocket`.length <= 107 ? job.tmp : '/tmp');

/** Makes this process's job folder, its owner recorded at once. */
export function makeJobDir(parent = tmpdir()): JobDir {
  const path = mkdtempSync(join(parent, JOB_PREFIX));
  const owner: Owner = { pid: process.pid, start: processStart(process.pid) };
  writeFileSync(join(path, OWNER), JSON.stringify(owner));
  const uploads = join(path, 'uploads');
  const tmp = join(path, 't'); // short: Chromium's SingletonSocket inside it must fit a socket path (107 bytes)
  mkdirSync(uploads);
  mkdirSync(tmp);
  return { path, uploads, tmp };
}

/**
 * Kills, by pid, the browser processes started for this job (those whose command line names the job folder: the
 * browser's --user-data-dir lies inside it) with their process groups. Synchronous: it runs in process.on('exit').
 */
export function killJobProcesses(job: Pick<JobDir, 'path'>): void {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n) && Number(n) !== process.pid);
  } catch {
    return;
  }
  for (const pid of pids) {
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.includes(job.path + '/')) continue;
    for (const target of [-Number(pid), Number(pid)]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {}
    }
  }
}
