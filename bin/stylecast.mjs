#!/usr/bin/env node
// Entry point of the `stylecast` command: runs the compiled CLI (dist-cli/, made by `npm run build`, which
// `npm install` runs). No TypeScript is compiled here.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('../dist-cli/stylecast.mjs', import.meta.url);
if (!existsSync(fileURLToPath(compiled))) {
  process.stderr.write(`stylecast: the compiled CLI is missing (${fileURLToPath(compiled)}): run "npm run build" in ${fileURLToPath(new URL('..', import.meta.url))}.\n`);
  process.exit(1);
}
const { main } = await import(compiled.href);
process.exitCode = await main(process.argv.slice(2));
