#!/usr/bin/env node
// `npm run build` (also run by postinstall after the set-up, which must have written public/ first):
//   1. the web bundle: `vite build` → dist/ (index.html, cli.html, and public/ copied in: models, wasm, media);
//   2. the compiled CLI: src/cli/main.ts bundled for Node → dist-cli/stylecast.mjs (node_modules packages such as
//      playwright-core stay external), so `stylecast` starts without compiling TypeScript.
// Flags: --cli (only step 2), --if-stale (skip when both outputs are newer than every source file).
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { build } from 'vite';

const ROOT = resolve(import.meta.dirname, '..');
export const CLI_OUT = join(ROOT, 'dist-cli');
export const CLI_ENTRY = join(CLI_OUT, 'stylecast.mjs');
const WEB_OUT = join(ROOT, 'dist');
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

export async function buildWeb() {
  await build({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn', build: { outDir: WEB_OUT, emptyOutDir: true } });
}

export async function buildCli() {
  await build({
    root: ROOT,
    configFile: false,
    logLevel: 'warn',
    publicDir: false,
    build: {
      ssr: join(ROOT, 'src/cli/main.ts'),
      outDir: CLI_OUT,
      emptyOutDir: true,
      target: 'node20',
      minify: false,
      sourcemap: true,
      rollupOptions: { output: { format: 'esm', entryFileNames: 'stylecast.mjs', chunkFileNames: '[name]-[hash].mjs' } },
    },
    // Every package in node_modules (playwright-core, vite, flatbuffers, …) stays an import, resolved at run time.
    ssr: { target: 'node', external: true },
  });
  writeFileSync(join(CLI_OUT, 'package.json'), '{ "type": "module" }\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const cliOnly = args.includes('--cli');
  if (args.includes('--if-stale') && !isStale(!cliOnly)) {
    process.exit(0);
  }
  const t0 = performance.now();
  if (!cliOnly) await buildWeb();
  const t1 = performance.now();
  await buildCli();
  const t2 = performance.now();
  process.stderr.write(
    `stylecast build: ${cliOnly ? '' : `web bundle → dist/ in ${((t1 - t0) / 1000).toFixed(1)} s, `}CLI → dist-cli/stylecast.mjs in ${((t2 - t1) / 1000).toFixed(1)} s.\n`,
  );
}
