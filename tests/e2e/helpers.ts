// Shared by the end-to-end tests: run the real CLI, make media with ffmpeg, read it back with ffprobe.
import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const SHARED_MEDIA = resolve(ROOT, '../shared/media');
export const WALKING = resolve(SHARED_MEDIA, 'video/pexels-854100-people-walking-sidewalk-960x540.mp4');

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * The CLI runs the compiled dist-cli/ and serves the built dist/: rebuild them (`scripts/build.mjs --if-stale`) when a
 * source file is newer, so the tests never run stale code. A no-op when fresh; ~30–40 s on this machine when not.
 */
export function ensureBuilt(): void {
  execFileSync(process.execPath, [resolve(ROOT, 'scripts/build.mjs'), '--if-stale'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 });
}

/** Runs the CLI on SwiftShader (`STYLECAST_GPU=software`: no GPU probe), unless `env` says otherwise. */
export function cli(args: string[], timeoutMs = 480_000, env: NodeJS.ProcessEnv = {}): CliRun {
  const r = spawnSync(process.execPath, [resolve(ROOT, 'bin/stylecast.mjs'), ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    cwd: ROOT,
    env: { ...process.env, STYLECAST_GPU: 'software', ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, timedOut: r.error !== undefined && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' };
}

export function ffmpeg(...args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

export interface Probe {
  streams: { codec_type: string; codec_name: string; width?: number; height?: number; nb_read_frames?: string; duration?: string; side_data_list?: { rotation?: number }[]; tags?: Record<string, string> }[];
  format: { duration: string };
}

export function ffprobe(path: string): Probe {
  return JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-show_format', '-of', 'json', path]).toString());
}

/** Every presented (decoded) video frame's timestamp and duration in seconds, as ffprobe reads them. */
export function frameTimes(path: string): { pts: number; duration: number }[] {
  const out = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time,duration_time,pkt_duration_time', '-of', 'json', path]).toString()) as {
    frames: { pts_time: string; duration_time?: string; pkt_duration_time?: string }[];
  };
  // ffmpeg 5 names a frame's duration pkt_duration_time, later versions duration_time.
  return out.frames.map((f) => ({ pts: Number(f.pts_time), duration: Number(f.duration_time ?? f.pkt_duration_time ?? NaN) }));
}

/** Decoded frames as RGB bytes at a small size (autorotated, as a player shows them). */
export function frames(path: string, width: number, height: number): Uint8Array[] {
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', path, '-vf', `scale=${width}:${height}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 256 << 20 });
  const size = width * height * 3;
  const out: Uint8Array[] = [];
  for (let o = 0; o + size <= raw.length; o += size) out.push(new Uint8Array(raw.buffer, raw.byteOffset + o, size));
  return out;
}

export const meanAbsDiff = (a: Uint8Array, b: Uint8Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length / 255;
};

export const stdDev = (a: Uint8Array) => {
  let m = 0;
  for (const v of a) m += v;
  m /= a.length;
  let s = 0;
  for (const v of a) s += (v - m) ** 2;
  return Math.sqrt(s / a.length) / 255;
};

/** Pearson correlation of the luma of two equally sized RGB frames. */
export function lumaCorrelation(a: Uint8Array, b: Uint8Array): number {
  const la: number[] = [];
  const lb: number[] = [];
  for (let i = 0; i < a.length; i += 3) {
    la.push(0.299 * a[i] + 0.587 * a[i + 1] + 0.114 * a[i + 2]);
    lb.push(0.299 * b[i] + 0.587 * b[i + 1] + 0.114 * b[i + 2]);
  }
  const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;
  const ma = mean(la);
  const mb = mean(lb);
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < la.length; i++) {
    ab += (la[i] - ma) * (lb[i] - mb);
    aa += (la[i] - ma) ** 2;
    bb += (lb[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

/** The descendant processes of `root` (its children, theirs, …), from `ps`: pid and command line. */
export function descendants(root: number): { pid: number; args: string }[] {
  const ps = spawnSync('ps', ['-e', '-o', 'pid=,ppid=,args=']).stdout.toString().trim().split('\n').map((l) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l)!;
    return { pid: Number(m[1]), ppid: Number(m[2]), args: m[3] };
  });
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of ps) if (tree.has(p.ppid) && !tree.has(p.pid)) (tree.add(p.pid), (grew = true));
  }
  return ps.filter((p) => p.pid !== root && tree.has(p.pid));
}
