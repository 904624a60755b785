// CPU time of the browser's processes, read from /proc (Linux): what each kind of Chromium process (the renderer
// running the page and tfjs-wasm's threads, the GPU process running SwiftShader, the browser, utilities) consumed
// between two snapshots, per thread name too. Wall time hides where two cores went when work overlaps; this does not.
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc's utime/stime (USER_HZ: 100 on Linux everywhere in practice). */
const HZ = 100;

interface ThreadTimes {
  name: string;
  /** utime + stime, ticks. */
  ticks: number;
  /** Time spent runnable but waiting for a core (schedstat), ns; 0 where schedstat is missing. */
  waitNs: number;
}

interface ProcTimes {
  pid: number;
  kind: string;
  threads: Map<number, ThreadTimes>;
}

export interface CpuSnapshot {
  at: number;
  procs: Map<number, ProcTimes>;
}

const readText = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

/** [comm, fields after comm] of a /proc stat line (comm may hold spaces and parentheses). */
function parseStat(text: string): { comm: string; rest: string[] } | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < 0) return null;
  return { comm: text.slice(open + 1, close), rest: text.slice(close + 2).split(' ') };
}

/** Process ids → parent ids, for every process we can read. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = parseStat(readText(`/proc/${d}/stat`) ?? '');
    if (st) out.set(Number(d), Number(st.rest[1]));
  }
  return out;
}

/** Every descendant of `root` (not `root` itself). */
export function descendants(root: number): number[] {
  const pp = parents();
  const out: number[] = [];
  const want = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of pp) {
      if (want.has(ppid) && !want.has(pid)) {
        want.add(pid);
        out.push(pid);
        grew = true;
      }
    }
  }
  return out;
}

/** Chromium's processes that are children of `root` (the browser processes Playwright launched). */
export function browserRoots(root = process.pid): number[] {
  const pp = parents();
  return [...pp].filter(([pid, ppid]) => ppid === root && /chrom/i.test(readText(`/proc/${pid}/cmdline`) ?? '')).map(([pid]) => pid);
}

/** The kind of a Chromium process by its command line: browser, renderer, gpu, a utility's sub-type, zygote, other. */
function kindOf(pid: number): string {
  const cmd = (readText(`/proc/${pid}/cmdline`) ?? '').split(/[\0 ]/); // Chromium's children rewrite theirs as one line
  if (!cmd[0] || !/chrom/i.test(cmd[0])) return 'other';
  const type = cmd.find((a) => a.startsWith('--type='))?.slice(7);
  if (!type) return 'browser';
  if (type === 'gpu-process') return 'gpu';
  if (type === 'utility') return `utility:${(cmd.find((a) => a.startsWith('--utility-sub-type='))?.slice(19) ?? '?').replace(/\.mojom\./, '.')}`;
  return type;
}

/** CPU times of `browser` (a browser process's pid) and every process under it, per thread. */
export function cpuSnapshot(browser: number): CpuSnapshot {
  const procs = new Map<number, ProcTimes>();
  for (const pid of [browser, ...descendants(browser)]) {
    const threads = new Map<number, ThreadTimes>();
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // gone
    }
    for (const t of tids) {
      const st = parseStat(readText(`/proc/${pid}/task/${t}/stat`) ?? '');
      if (!st) continue;
      const sched = (readText(`/proc/${pid}/task/${t}/schedstat`) ?? '').split(' ');
      threads.set(Number(t), { name: st.comm, ticks: Number(st.rest[11]) + Number(st.rest[12]), waitNs: Number(sched[1]) || 0 });
    }
    procs.set(pid, { pid, kind: kindOf(pid), threads });
  }
  return { at: performance.now(), procs };
}

/** A thread name without its serial number ("ThreadPoolForeg3" → "ThreadPoolForeg"), to group a pool's threads. */
const threadGroup = (name: string) => name.replace(/[\d/]+$/, '').replace(/[-_:]+$/, '') || name;

export interface CpuUse {
  wall_ms: number;
  /** Core-ms consumed per process kind (a core fully busy for the whole span = wall_ms). */
  core_ms: Record<string, number>;
  total_core_ms: number;
  /** Core-ms per thread group of each kind, largest first (groups under 1 % of the total left out). */
  threads: Record<string, [string, number][]>;
  /** Runnable-but-waiting ms (schedstat) per process kind: time its threads wanted a core and had none. */
  wait_ms: Record<string, number>;
}

/** What was consumed between `a` and `b`, divided by `per` (e.g. frames: core-ms per frame). */
export function cpuUse(a: CpuSnapshot, b: CpuSnapshot, per = 1): CpuUse {
  const core: Record<string, number> = {};
  const wait: Record<string, number> = {};
  const groups: Record<string, Record<string, number>> = {};
  for (const [pid, p] of b.procs) {
    const before = a.procs.get(pid);
    for (const [tid, t] of p.threads) {
      const t0 = before?.threads.get(tid);
      const ms = ((t.ticks - (t0?.ticks ?? 0)) * 1000) / HZ / per;
      const w = (t.waitNs - (t0?.waitNs ?? 0)) / 1e6 / per;
      core[p.kind] = (core[p.kind] ?? 0) + ms;
      wait[p.kind] = (wait[p.kind] ?? 0) + w;
      const g = (groups[p.kind] ??= {});
      g[threadGroup(t.name)] = (g[threadGroup(t.name)] ?? 0) + ms;
    }
  }
  const total = Object.values(core).reduce((s, v) => s + v, 0);
  const r = (v: number) => Math.round(v * 10) / 10;
  return {
    wall_ms: r((b.at - a.at) / per),
    core_ms: Object.fromEntries(Object.entries(core).sort((x, y) => y[1] - x[1]).map(([k, v]) => [k, r(v)])),
    total_core_ms: r(total),
    threads: Object.fromEntries(
      Object.entries(groups).map(([k, g]) => [
        k,
        Object.entries(g)
          .filter(([, v]) => v >= total * 0.01)
          .sort((x, y) => y[1] - x[1])
          .map(([n, v]) => [n, r(v)] as [string, number]),
      ]),
    ),
    wait_ms: Object.fromEntries(Object.entries(wait).sort((x, y) => y[1] - x[1]).map(([k, v]) => [k, r(v)])),
  };
}
