// The CLI starts without compiling TypeScript: bin/stylecast.mjs runs the compiled dist-cli/ (npm run build), and a
// missing build is one clear line, not a silent fallback to tsx.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureBuilt } from '../e2e/helpers.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/stylecast.mjs');
let dir: string;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'stylecast-start-'));
}, 600_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('bin/stylecast.mjs imports the compiled CLI, not tsx', () => {
  const bin = readFileSync(BIN, 'utf8');
  expect(bin).not.toMatch(/tsx|\.ts['"]/);
  expect(bin).toMatch(/dist-cli\/stylecast\.mjs/);
});

it('--help and --version load no TypeScript compiler, no Vite, no .ts file and no browser driver', () => {
  // A module hook that fails the process on any such import (tsx, typescript, esbuild, vite, playwright-core, *.ts).
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `export async function resolve(specifier, context, next) {
      const r = await next(specifier, context);
      if (/(^|\\/)(tsx|typescript|esbuild|vite|playwright-core)(\\/|$)|\\.[cm]?tsx?$/.test(r.url)) throw new Error('loaded at start: ' + r.url);
      return r;
    }\n`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  for (const args of [['--help'], ['--version'], ['styles']]) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--import', register, BIN, ...args], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
    const ms = performance.now() - t0;
    expect(r.stderr).not.toMatch(/loaded at start/);
    expect(r.status, r.stderr).toBe(0);
    console.log(`stylecast ${args.join(' ')}: ${ms.toFixed(0)} ms`);
  }
  // The hook does catch a TypeScript import: the check above could fail.
  const ts = spawnSync(process.execPath, ['--import', register, '-e', `import(${JSON.stringify(pathToFileURL(join(ROOT, 'src/cli/gpu.ts')).href)})`], { encoding: 'utf8', timeout: 60_000 });
  expect(ts.status).not.toBe(0);
  expect(ts.stderr).toMatch(/loaded at start: .*gpu\.ts/);
});

it('without a build, the command says to run "npm run build" in one line (no fallback to tsx)', () => {
  mkdirSync(join(dir, 'pkg/bin'), { recursive: true });
  copyFileSync(BIN, join(dir, 'pkg/bin/stylecast.mjs'));
  const r = spawnSync(process.execPath, [join(dir, 'pkg/bin/stylecast.mjs'), '--help'], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^stylecast: the compiled CLI is missing .*dist-cli\/stylecast\.mjs.*: run "npm run build"/);
});
