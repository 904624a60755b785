#!/usr/bin/env node
// Set-up: installs the model weights, preset styles and demo clip into public/ (git-ignored) and verifies
// every file against public/models/manifest.json. Also copies tfjs-wasm's .wasm binaries into public/wasm/.
// Sources, in order: $STYLECAST_MODELS_DIR (laid out like ../shared/models), then ../shared/models
// (media: $STYLECAST_MEDIA_DIR, then ../shared/media). Running it again when everything verifies is a no-op.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const publicDir = join(root, 'public');
const manifest = JSON.parse(readFileSync(join(publicDir, 'models', 'manifest.json'), 'utf8'));
const sharedDir = resolve(root, '..', 'shared');

const sourceDirs = {
  models: [process.env.STYLECAST_MODELS_DIR, join(sharedDir, 'models')].filter(Boolean).map((d) => resolve(d)),
  media: [process.env.STYLECAST_MEDIA_DIR, join(sharedDir, 'media')].filter(Boolean).map((d) => resolve(d)),
};
const destDir = { models: join(publicDir, 'models'), media: join(publicDir, 'media') };

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
const verified = (file, e) => existsSync(file) && statSync(file).size === e.size && sha256(file) === e.sha256;

let copied = 0;
const problems = [];
for (const e of manifest.files) {
  const dest = join(destDir[e.root], e.path);
  if (verified(dest, e)) continue;
  const candidates = sourceDirs[e.root].map((d) => join(d, e.path));
  const src = candidates.find((c) => existsSync(c));
  if (!src) {
    problems.push({ e, msg: `${e.root}/${e.path} not found in: ${sourceDirs[e.root].join(', ')}` });
    continue;
  }
  if (!verified(src, e)) {
    problems.push({ e, msg: `${src} does not match the manifest (expected ${e.size} B, sha256 ${e.sha256})` });
    continue;
  }
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = `${dest}.partial`;
  copyFileSync(src, tmp);
  renameSync(tmp, dest); // only complete, verified files ever appear under their real name
  copied++;
}

// tfjs-wasm binaries (served next to the app; never committed).
const wasmSrc = join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
let wasmCopied = 0;
if (existsSync(wasmSrc)) {
  mkdirSync(join(publicDir, 'wasm'), { recursive: true });
  for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
    const from = join(wasmSrc, f);
    const to = join(publicDir, 'wasm', f);
    if (!existsSync(to) || statSync(to).size !== statSync(from).size) {
      copyFileSync(from, to);
      wasmCopied++;
    }
  }
}

const modelProblems = problems.filter((p) => p.e.root === 'models');
const mediaProblems = problems.filter((p) => p.e.root === 'media');
for (const p of mediaProblems) console.warn(`stylecast setup: warning: demo clip unavailable: ${p.msg}`);
if (modelProblems.length) {
  for (const p of modelProblems) console.error(`stylecast setup: ${p.msg}`);
  console.error(
    `stylecast setup: the model files are missing. Put the "${manifest.model}" folder in $STYLECAST_MODELS_DIR ` +
      `(now ${process.env.STYLECAST_MODELS_DIR ? `"${process.env.STYLECAST_MODELS_DIR}"` : 'unset'}) or in ${join(sharedDir, 'models')}, then run "npm run setup".`,
  );
  process.exit(1);
}
console.log(
  copied || wasmCopied
    ? `stylecast setup: installed ${copied} asset file(s) and ${wasmCopied} wasm file(s); all ${manifest.files.length - mediaProblems.length} verified.`
    : `stylecast setup: all ${manifest.files.length - mediaProblems.length} assets already installed and verified.`,
);
