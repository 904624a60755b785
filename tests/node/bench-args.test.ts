// The benchmark scripts' arguments: --help lists every option a script reads and exits 0, an unknown option or a
// valued one without its value exits 2 with one line and the usage — before any browser starts (a typo used to run
// the whole benchmark with its defaults: `npm run bench:regions -- --help` ran for 20 minutes).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GPU_CHOICES, checkBenchArgs, parseBenchArgs } from '../../bench/util.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SPEC = { valued: ['size', 'tag'], flags: ['quick'] };

describe('checkBenchArgs', () => {
  it('passes declared options, in both value forms, and no arguments at all', () => {
    expect(checkBenchArgs([], SPEC)).toBeNull();
    expect(checkBenchArgs(['--size', '128', '--quick', '--tag=x'], SPEC)).toBeNull();
    expect(checkBenchArgs(['--size=128'], SPEC)).toBeNull();
    // A value may start with one dash; only a `--` word is taken for a forgotten value.
    expect(checkBenchArgs(['--tag', '-x'], SPEC)).toBeNull();
  });

  it('answers help for --help and -h, whatever else is there', () => {
    expect(checkBenchArgs(['--help'], SPEC)).toEqual({ help: true });
    expect(checkBenchArgs(['--bogus', '-h'], SPEC)).toEqual({ help: true });
  });

  it('refuses an unknown option, a stray word, a valued option without its value and a flag with one', () => {
    expect(checkBenchArgs(['--bogus'], SPEC)).toEqual({ error: 'unknown option "--bogus"' });
    expect(checkBenchArgs(['--quick', 'extra'], SPEC)).toEqual({ error: 'unknown option "extra"' });
    expect(checkBenchArgs(['-q'], SPEC)).toEqual({ error: 'unknown option "-q"' });
    expect(checkBenchArgs(['--sizes=1'], SPEC)).toEqual({ error: 'unknown option "--sizes=1"' });
    expect(checkBenchArgs(['--size'], SPEC)).toEqual({ error: '--size needs a value' });
    expect(checkBenchArgs(['--size='], SPEC)).toEqual({ error: '--size needs a value' });
    expect(checkBenchArgs(['--tag', '--quick'], SPEC)).toEqual({ error: '--tag needs a value' });
    expect(checkBenchArgs(['--quick=1'], SPEC)).toEqual({ error: '--quick takes no value, got "--quick=1"' });
  });

  it('refuses a value outside a valued option\'s choices, in both forms', () => {
    const spec = { valued: ['gpu', 'tag'], choices: { gpu: GPU_CHOICES } };
    expect(checkBenchArgs(['--gpu', 'software', '--tag', 'x'], spec)).toBeNull();
    expect(checkBenchArgs(['--gpu=auto'], spec)).toBeNull();
    expect(checkBenchArgs(['--gpu', 'swiftshader'], spec)).toEqual({ error: '--gpu must be one of hardware, software, auto, got "swiftshader"' });
    expect(checkBenchArgs(['--gpu=Hardware'], spec)).toEqual({ error: '--gpu must be one of hardware, software, auto, got "Hardware"' });
  });
});

describe('parseBenchArgs', () => {
  it('reads declared options in both forms, and throws on a name not declared', () => {
    const args = parseBenchArgs('usage', SPEC, ['--size=96', '--tag', 'vm', '--quick']);
    expect(args.option('size')).toBe('96');
    expect(args.option('tag')).toBe('vm');
    expect(args.flag('quick')).toBe(true);
    expect(parseBenchArgs('usage', SPEC, []).flag('quick')).toBe(false);
    expect(() => args.option('frames')).toThrow('--frames is read but not declared');
    expect(() => args.flag('size')).toThrow('--size is read but not declared as a flag');
  });
});

/** Every benchmark entry point (bench/suite-first.ts is a page script, not one). */
const SCRIPTS = ['suite', 'cpu', 'flow', 'io-retention', 'longfile', 'regions', 'regions-passes', 'seams', 'soak', 'stages', 'temporal', 'upsample'];
const tsx = (script: string, ...argv: string[]) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', `${script}.ts`), ...argv], { cwd: ROOT, timeout: 120_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe('each benchmark script', () => {
  it('answers --help with a usage that names every option it reads, and refuses --bogus with exit 2', async () => {
    const runs = await Promise.all(SCRIPTS.map(async (s) => ({ s, help: await tsx(s, '--help'), bogus: await tsx(s, '--bogus') })));
    for (const { s, help, bogus } of runs) {
      expect(help, s).toMatchObject({ code: 0, stderr: '' });
      expect(help.stdout, s).toMatch(/^npm run bench|^npx tsx bench\//);
      expect(bogus.code, s).toBe(2);
      expect(bogus.stdout, s).toBe('');
      expect(bogus.stderr.split('\n')[0], s).toMatch(/^bench(:[a-z-]+)?: unknown option "--bogus"$/);
      expect(bogus.stderr, s).toContain(help.stdout.trim());
      // The options the source reads, by name: option('x'), flag('x'), and the scripts' own wrappers around them (upsample's pick(CASES, 'cases')).
      const source = readFileSync(join(ROOT, 'bench', `${s}.ts`), 'utf8');
      const read = [...source.matchAll(/\b(?:option|flag|intOption|number|pick\([A-Z_]+,)\s*\(?'([a-z][a-z-]*)'/g)].map((m) => m[1]);
      for (const name of new Set(read)) expect(help.stdout, `${s} reads --${name}`).toMatch(new RegExp(`--${name}\\b`));
    }
  });
});
