// Small helpers shared by the benchmark scripts (Node side).
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { basename, resolve } from 'node:path';

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

/** What a benchmark script accepts besides --help/-h: options that take a value, and bare flags. */
export interface BenchArgSpec {
  /** `--name value` or `--name=value`. */
  valued?: readonly string[];
  /** `--name`, no value. */
  flags?: readonly string[];
  /** The values a valued option may take (e.g. gpu: hardware, software, auto); any other is refused. */
  choices?: Readonly<Record<string, readonly string[]>>;
}

/** The WebGPU adapter choices of every benchmark with --gpu. */
export const GPU_CHOICES = ['hardware', 'software', 'auto'] as const;

/**
 * Checks a benchmark's arguments against what it declares: `help` when --help or -h is among them (whatever else is),
 * else the first problem in one line (an unknown option or a stray word, a valued option with no value or one outside
 * its choices, a flag given one), else nothing.
 */
export function checkBenchArgs(argv: readonly string[], spec: BenchArgSpec): { help: true } | { error: string } | null {
  if (argv.includes('--help') || argv.includes('-h')) return { help: true };
  const valued = spec.valued ?? [];
  const flags = spec.flags ?? [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') ? arg.slice(2, eq < 0 ? undefined : eq) : '';
    if (name && valued.includes(name)) {
      // `--tag --quick` is a forgotten value, not a tag named "--quick".
      const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) return { error: `--${name} needs a value` };
      const allowed = spec.choices?.[name];
      if (allowed && !allowed.includes(value)) return { error: `--${name} must be one of ${allowed.join(', ')}, got "${value}"` };
    } else if (name && flags.includes(name)) {
      if (eq >= 0) return { error: `--${name} takes no value, got "${arg}"` };
    } else {
      return { error: `unknown option "${arg}"` };
    }
  }
  return null;
}

/**
 * The first thing a benchmark script does, before any browser, server or ffmpeg starts: on --help or -h prints `usage`
 * on stdout and exits 0; on an unknown option, a valued option without its value or a flag with one, prints one line
 * and `usage` on stderr and exits 2 (a typo used to run the whole benchmark with the defaults). Returns the script's
 * readers of its options; reading a name it did not declare throws, so what is read and what --help lists stay one.
 */
export function parseBenchArgs(usage: string, spec: BenchArgSpec & { name?: string }, argv = process.argv.slice(2)) {
  const checked = checkBenchArgs(argv, spec);
  if (checked && 'help' in checked) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  if (checked) {
    process.stderr.write(`${spec.name ?? `bench:${basename(process.argv[1] ?? '', '.ts')}`}: ${checked.error}\n${usage}\n`);
    process.exit(2);
  }
  return {
    /** `--name value` or `--name=value`, or undefined. */
    option(name: string): string | undefined {
      if (!spec.valued?.includes(name)) throw new Error(`bench: --${name} is read but not declared as a valued option`);
      return option(name, argv);
    },
    /** Whether `--name` was given. */
    flag(name: string): boolean {
      if (!spec.flags?.includes(name)) throw new Error(`bench: --${name} is read but not declared as a flag`);
      return argv.includes(`--${name}`);
    },
  };
}
