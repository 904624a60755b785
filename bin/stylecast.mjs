#!/usr/bin/env node
// Entry point of the `stylecast` command: runs the compiled CLI (dist-cli/, made by `npm run build`, which
// `npm install` runs). No TypeScript is compiled here.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// A bug that escapes every try (an uncaught exception, an unhandled rejection) is one line with a code, not a stack
// trace, and exit 1. process.exit runs the 'exit' hooks a job's session installs (src/cli/browser.ts): they kill the
// job's Chromium by pid and remove its temporary folder and partial output, so nothing is left behind either way.
let dying = false;
const internalError = (what) => (e) => {
  if (dying) return;
  dying = true;
  const message = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  process.stderr.write(`\nstylecast: An internal error stopped the command (${what}: ${message}); the unfinished output and the temporary files were removed. Please report it, with STYLECAST_DEBUG=1 for the details. (INTERNAL)\n`);
  if (process.env.STYLECAST_DEBUG && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  process.exit(1);
};
process.on('uncaughtException', internalError('an uncaught exception'));
process.on('unhandledRejection', internalError('an unhandled rejection'));

const compiled = new URL('../dist-cli/stylecast.mjs', import.meta.url);
if (!existsSync(fileURLToPath(compiled))) {
  process.stderr.write(`stylecast: the compiled CLI is missing (${fileURLToPath(compiled)}): run "npm run build" in ${fileURLToPath(new URL('..', import.meta.url))}.\n`);
  process.exit(1);
}
const { main } = await import(compiled.href);
process.exitCode = await main(process.argv.slice(2));
