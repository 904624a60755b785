// Small helpers shared by the benchmark scripts (Node side).
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');
export const SHARED_MEDIA = resolve(ROOT, '../shared/media');
/** Debian's Python: the one with cv2 (the pyenv python3 on PATH has none). */
export const PYTHON = process.env.STYLECAST_BENCH_PYTHON || '/usr/bin/python3';

export const log = (msg: string) => process.stderr.write(`${msg}\n`);

/** Runs a command; resolves with its stdout and stderr, rejects on a non-zero exit. `echo` forwards stderr live. */
export function run(cmd: string, args: string[], opts: { echo?: boolean; cwd?: string } = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => {
      err.push(d);
      if (opts.echo) process.stderr.write(d);
    });
    child.on('error', rej);
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString();
      const stderr = Buffer.concat(err).toString();
      if (code === 0) res({ stdout, stderr });
      else rej(new Error(`${cmd} ${args.join(' ')} exited with ${code}\n${stderr.slice(-2000)}`));
    });
  });
}

export const median = (v: number[]) => {
  if (!v.length) return null;
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export const round = (v: number | null, digits = 4) => (v === null ? null : Number(v.toFixed(digits)));

/** The machine and how busy it was: timings on a shared 2-core box move with whatever else runs. */
export const machine = () => ({ cpus: cpus().length, cpu: cpus()[0]?.model ?? '', loadavg_1_5_15: loadavg().map((v) => round(v, 2)) });

/** `--name value` or `--name=value` among this script's arguments, or undefined. */
export function option(name: string, argv = process.argv.slice(2)): string | undefined {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return argv[i].includes('=') ? argv[i].slice(argv[i].indexOf('=') + 1) : argv[i + 1];
}
