#!/usr/bin/env node
// `npm run build` (also run by postinstall after the set-up, which must have written public/ first):
//   1. the web bundle: `vite build` → dist/ (index.html, cli.html, and public/ copied in: models, wasm, media);
//   2. the compiled CLI: src/cli/main.ts bundled for Node → dist-cli/stylecast.mjs (node_modules packages such as
//      playwright-core stay external), so `stylecast` starts without compiling TypeScript.
// Flags: --cli (only step 2), --if-stale (skip when both outputs are newer than every source file).
// Each output is built in a temporary folder and swapped in by rename (a CLI running meanwhile never sees half a
// build), and one build runs at a time (a lock folder; tests in parallel workers may all ask for one).
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { build } from 'vite';

const ROOT = resolve(import.meta.dirname, '..');
export const CLI_OUT = join(ROOT, 'dist-cli');
export const CLI_ENTRY = join(CLI_OUT, 'stylecast.mjs');
const WEB_OUT = join(ROOT, 'dist');
const LOCK = join(ROOT, '.build.lock');
const INPUTS = ['src', 'shaders', 'public', 'index.html', 'cli.html', 'vite.config.ts', 'package.json', 'scripts/build.mjs'];

function newest(path) {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let t = s.mtimeMs;
  for (const e of readdirSync(path)) t = Math.max(t, newest(join(path, e)));
  return t;
}

/** True when an output is missing or older than a source file (web outputs only when `web`). */
export function isStale(web = true) {
  const outputs = [CLI_ENTRY, ...(web ? [join(WEB_OUT, 'cli.html'), join(WEB_OUT, 'index.html')] : [])];
  if (outputs.some((o) => !existsSync(o))) return true;
  const built = Math.min(...outputs.map((o) => statSync(o).mtimeMs));
  return INPUTS.some((i) => newest(join(ROOT, i)) > built);
}

/** Builds into a fresh sibling folder of `out`, then swaps it in. */
async function buildInto(out, make) {
  const tmp = `${out}.building-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    await make(tmp);
    const old = `${out}.old-${process.pid}`;
    if (existsSync(out)) renameSync(out, old);
    renameSync(tmp, out);
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Runs `fn` holding the build lock (waits for another build; a lock older than 15 min is taken as abandoned). */
async function withLock(fn) {
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > 15 * 60_000) rmSync(LOCK, { recursive: true, force: true });
      } catch {}
      await new Promise((res) => setTimeout(res, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

export async function buildWeb() {
  await buildInto(WEB_OUT, (outDir) =>
    build({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } }),
  );
}

export async function buildCli() {
  await buildInto(CLI_OUT, async (outDir) => {
    await build({
      root: ROOT,
      configFile: false,
      logLevel: 'warn',
      publicDir: false,
      build: {
        ssr: join(ROOT, 'src/cli/main.ts'),
        outDir,
        emptyOutDir: true,
        target: 'node20',
        minify: false,
        sourcemap: true,
        rollupOptions: { output: { format: 'esm', entryFileNames: 'stylecast.mjs', chunkFileNames: '[name]-[hash].mjs' } },
      },
      // Every package in node_modules (playwright-core, vite, flatbuffers, …) stays an import, resolved at run time.
      ssr: { target: 'node', external: true },
    });
    writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const cliOnly = args.includes('--cli');
  await withLock(async () => {
    // Checked under the lock: a build that finished while this one waited leaves nothing to do.
    if (args.includes('--if-stale') && !isStale(!cliOnly)) return;
    const t0 = performance.now();
    if (!cliOnly) await buildWeb();
    const t1 = performance.now();
    await buildCli();
    const t2 = performance.now();
    process.stderr.write(
      `stylecast build: ${cliOnly ? '' : `web bundle → dist/ in ${((t1 - t0) / 1000).toFixed(1)} s, `}CLI → dist-cli/stylecast.mjs in ${((t2 - t1) / 1000).toFixed(1)} s.\n`,
    );
  });
}
