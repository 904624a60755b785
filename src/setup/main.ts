// Set-up (npm postinstall): fetches every asset of the manifest, checks it, converts the TFLite originals with our
// converter, computes the preset style vectors with our predictor, and renames the result into public/ only when
// all of it is complete. Re-running it when everything is in place is a no-op.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, copyFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { convertTflite } from '../convert/index.ts';
import { describeInput, MASK_SET, ROLES } from '../engine/models/roles.ts';
import { loadManifest, MANIFEST_PATH, type Asset, type Manifest } from './manifest.ts';
import { AssetError, download, fromLocal, fromNpm, mismatch, obtainable, sha256, type Sources } from './sources.ts';

const STAMP = '.stylecast-setup.json';
const STAGING_PREFIX = '.setup-';
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

interface Stamp {
  /** Hash of everything the installed models and vectors were made from: manifest, converter and set-up code. */
  key: string;
  /** Every installed file under public/models/<model>/, with its sha256. */
  files: Record<string, string>;
}

interface Log {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

const consoleLog: Log = {
  info: (l) => process.stdout.write(`stylecast setup: ${l}\n`),
  warn: (l) => process.stderr.write(`stylecast setup: warning: ${l}\n`),
  error: (l) => process.stderr.write(`stylecast setup: ${l}\n`),
};

function sourcesFrom(root: string, env: NodeJS.ProcessEnv): Sources {
  const shared = resolve(root, '..', 'shared');
  const dirs = (own: string | undefined, sub: string) => [own, join(shared, sub)].filter((d): d is string => !!d).map((d) => resolve(d));
  return {
    modelsDirs: dirs(env.STYLECAST_MODELS_DIR, 'models'),
    mediaDirs: dirs(env.STYLECAST_MEDIA_DIR, 'media'),
    mirror: env.STYLECAST_MIRROR || null,
    nodeModules: join(root, 'node_modules'),
    env: { STYLECAST_MODELS_DIR: env.STYLECAST_MODELS_DIR, STYLECAST_MEDIA_DIR: env.STYLECAST_MEDIA_DIR, STYLECAST_MIRROR: env.STYLECAST_MIRROR },
  };
}

/** Hash of the manifest and of the code that turns assets into installed files. */
function buildKey(root: string): string {
  const code = ['src/convert', 'src/setup', 'src/engine/models'].flatMap((d) => readdirSync(join(root, d)).sort().map((f) => readFileSync(join(root, d, f))));
  return sha256(Buffer.concat([readFileSync(join(root, MANIFEST_PATH)), ...code]));
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : e.name === STAMP ? [] : [`${prefix}${e.name}`],
  );
}

function modelsInstalled(modelDir: string, key: string): boolean {
  const stampFile = join(modelDir, STAMP);
  if (!existsSync(stampFile)) return false;
  const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as Stamp;
  return stamp.key === key && Object.entries(stamp.files).every(([f, hash]) => existsSync(join(modelDir, f)) && sha256(readFileSync(join(modelDir, f))) === hash);
}

function installedCopy(asset: Asset, publicDir: string): Uint8Array | null {
  const file = join(publicDir, asset.path);
  if (asset.kind === 'model source' || asset.kind === 'mask model source' || !existsSync(file)) return null;
  const bytes = readFileSync(file);
  return mismatch(asset, bytes) ? null : bytes;
}

async function obtain(asset: Asset, sources: Sources, publicDir: string, log: Log): Promise<Uint8Array> {
  return installedCopy(asset, publicDir) ?? fromNpm(asset, sources) ?? fromLocal(asset, sources) ?? (await download(asset, sources, log.info));
}

function writeFile(file: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, bytes);
}

interface Bottlenecks {
  predictor_sha256: string;
  presets: Record<string, { file: string; sha256: string; bottleneck_tfjs: number[] }>;
}

/** Vectors from an earlier run whose predictor and image are unchanged, so they need no recomputation. */
function cachedVectors(modelDir: string, predictorHash: string): Map<string, { sha256: string; vector: number[] }> {
  const file = join(modelDir, 'styles', 'bottlenecks.json');
  if (!existsSync(file)) return new Map();
  const old = JSON.parse(readFileSync(file, 'utf8')) as Partial<Bottlenecks>;
  if (old.predictor_sha256 !== predictorHash || !old.presets) return new Map();
  return new Map(Object.entries(old.presets).map(([name, p]) => [name, { sha256: p.sha256, vector: p.bottleneck_tfjs }]));
}

/** Builds public/models/<model>/ into `stage`: converted models, preset images and their vectors, stamp. */
async function buildModels(manifest: Manifest, got: Map<Asset, Uint8Array>, stage: string, installedDir: string, key: string, log: Log): Promise<void> {
  const t0 = performance.now();
  const built = new Map<string, Map<string, Uint8Array>>();
  for (const [asset, bytes] of got) {
    if (!asset.builds || asset.modelSet) continue;
    const { files } = convertTflite(bytes, asset.url ?? asset.name);
    for (const [name, data] of files) writeFile(join(stage, asset.builds, name), data);
    built.set(asset.builds, files);
  }
  const predictor = built.get('style-predictor');
  if (!predictor || !built.has('style-transformer')) throw new Error('the manifest must have a style-predictor and a style-transformer source');
  log.info(`converted ${[...built.keys()].join(' and ')} from TFLite in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const predictorHash = sha256(Buffer.concat([...predictor.values()]));
  const cache = cachedVectors(installedDir, predictorHash);
  const presets = [...got].filter(([a]) => a.kind === 'style preset');
  const todo = new Map(presets.filter(([a]) => cache.get(a.name)?.sha256 !== a.sha256).map(([a, bytes]) => [a.name, bytes]));
  const t1 = performance.now();
  const vectors = await import('./presets.ts'); // tfjs: loaded only when something is built
  const fresh = todo.size ? await vectors.styleVectors(predictor, todo) : new Map<string, number[]>();
  if (todo.size) log.info(`computed ${todo.size} preset style vector(s) with the converted predictor in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  const bottlenecks = {
    description: `Style vectors [1,1,1,100] of the preset styles, computed at set-up by style-predictor/ (tfjs, wasm). Input: ${vectors.PREPROCESSING}.`,
    shape: [1, 1, 1, 100],
    predictor_sha256: predictorHash,
    presets: Object.fromEntries(
      presets.map(([a, bytes]) => {
        const file = a.path.split('/').slice(2).join('/'); // models/<model>/styles/x.jpg → styles/x.jpg
        writeFile(join(stage, file), bytes);
        return [a.name, { file, sha256: a.sha256, bottleneck_tfjs: fresh.get(a.name) ?? cache.get(a.name)!.vector }];
      }),
    ),
  };
  writeFile(join(stage, 'styles', 'bottlenecks.json'), JSON.stringify(bottlenecks));
  writeFile(join(stage, 'CREDITS.md'), credits(manifest));
  stampDir(stage, key);
}

function stampDir(dir: string, key: string): void {
  const files = Object.fromEntries(listFiles(dir).map((f) => [f, sha256(readFileSync(join(dir, f)))]));
  writeFile(join(dir, STAMP), JSON.stringify({ key, files } satisfies Stamp));
}

const maskSources = (manifest: Manifest) => manifest.assets.filter((a) => a.modelSet === MASK_SET);

/**
 * Builds public/models/mediapipe-masks/ into `stage`: each MediaPipe model converted into its role's directory,
 * the Apache-2.0 licence and a notice with the credit (the npm packages carry no licence file), stamp.
 */
function buildMasks(manifest: Manifest, got: Map<Asset, Uint8Array>, stage: string, root: string, key: string, log: Log): void {
  const t0 = performance.now();
  const sources = maskSources(manifest);
  for (const asset of sources) {
    const { role, files } = convertTflite(got.get(asset)!, asset.name);
    if (ROLES[role].dir !== asset.builds) throw new Error(`${asset.name} converted as the ${ROLES[role].title}, but the manifest puts it in ${asset.builds}/`);
    for (const [name, data] of files) writeFile(join(stage, asset.builds, name), data);
  }
  writeFile(join(stage, 'LICENSE-Apache-2.0.txt'), readFileSync(join(root, 'src/setup/Apache-2.0.txt')));
  writeFile(join(stage, 'NOTICE.md'), maskNotice(sources));
  log.info(`converted ${sources.length} mask model(s) (${sources.map((a) => a.builds).join(', ')}) from TFLite in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  stampDir(stage, key);
}

function maskNotice(sources: Asset[]): string {
  return [
    `# ${MASK_SET}: MediaPipe models, converted (Apache-2.0)`,
    '',
    'The models in this directory are modified versions of Google\'s MediaPipe models, licensed under the Apache',
    'License, Version 2.0 (LICENSE-Apache-2.0.txt beside this file; https://www.apache.org/licenses/LICENSE-2.0).',
    'Copyright Google LLC (The MediaPipe Authors). The npm packages they come from declare "license": "Apache-2.0"',
    'in their package.json but carry no licence file, so stylecast\'s set-up writes the licence and this notice here.',
    '',
    'Modification: each `.tflite` file was converted by stylecast\'s own converter (`stylecast convert`, src/convert/)',
    'into a TensorFlow.js graph model: float16 weights kept, DEQUANTIZE removed, convolution + bias + activation fused,',
    'HARD_SWISH written as x·relu6(x+3)/6, whole-picture average pools as means, MediaPipe\'s custom',
    '`Convolution2DTransposeBias` as a transposed convolution plus a bias; inputs and outputs renamed.',
    '',
    '| directory | from (npm package, file) | sha256 of the .tflite | input | credit |',
    '|---|---|---|---|---|',
    ...sources.map((a) => {
      const role = (Object.keys(ROLES) as (keyof typeof ROLES)[]).find((r) => ROLES[r].dir === a.builds)!;
      return `| ${a.builds}/ | ${a.npm ? `${a.npm.package}@${a.npm.version}, ${a.npm.file}` : a.name} | ${a.sha256} | ${describeInput(role)} | ${a.credit} |`;
    }),
    '',
  ].join('\n');
}

/** Where every installed asset comes from, under which licence. */
function credits(manifest: Manifest): string {
  const row = (a: Asset) => `| ${a.name} | ${a.kind} | ${a.url ?? `no public source: ${a.note ?? 'local copies and mirrors only'}`} | ${a.licence} | ${a.credit} |`;
  return [
    `# ${manifest.model}: sources and licences`,
    '',
    'Installed by `npm run setup` from the sources below (each checked by sha256, see public/models/manifest.json).',
    'style-predictor/ and style-transformer/ were converted from the two TFLite files by `stylecast convert`',
    '(int8 weights dequantised to float16, float16 weights kept, QUANTIZE/DEQUANTIZE removed, conv + bias + activation',
    'fused, fixed resize sizes made relative to the input): a modified version of Google\'s Apache-2.0 model.',
    '',
    '| asset | kind | source | licence | credit |',
    '|---|---|---|---|---|',
    ...manifest.assets.filter((a) => !a.modelSet).map(row),
    '',
  ].join('\n');
}

/** Replaces `target` by the complete directory `staged` (two renames; the old one is removed after). */
function swapDir(staged: string, target: string): void {
  const old = `${target}${STAGING_PREFIX}old-${process.pid}`;
  if (existsSync(target)) renameSync(target, old);
  renameSync(staged, target);
  rmSync(old, { recursive: true, force: true });
}

function copyWasm(root: string, publicDir: string): number {
  const from = join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  if (!existsSync(from)) return 0;
  mkdirSync(join(publicDir, 'wasm'), { recursive: true });
  let copied = 0;
  for (const f of WASM_FILES) {
    const to = join(publicDir, 'wasm', f);
    if (existsSync(to) && statSync(to).size === statSync(join(from, f)).size) continue;
    copyFileSync(join(from, f), to);
    copied++;
  }
  return copied;
}

export async function setup(root: string, env: NodeJS.ProcessEnv, log: Log = consoleLog): Promise<number> {
  const manifest = loadManifest(root);
  const publicDir = join(root, 'public');
  const modelsDir = join(publicDir, 'models');
  const modelDir = join(modelsDir, manifest.model);
  const maskDir = join(modelsDir, MASK_SET);
  const hasMasks = maskSources(manifest).length > 0;
  const sources = sourcesFrom(root, env);
  const wasmCopied = copyWasm(root, publicDir);
  for (const e of readdirSync(modelsDir)) if (e.includes(STAGING_PREFIX)) rmSync(join(modelsDir, e), { recursive: true, force: true });

  const key = buildKey(root);
  const modelsReady = modelsInstalled(modelDir, key) && (!hasMasks || modelsInstalled(maskDir, key));
  const required = manifest.assets.filter((a) => a.kind !== 'demo clip');
  // A clip with no public source (a cut made from another) is only looked for where a copy of it may be.
  const clips = manifest.assets.filter((a) => a.kind === 'demo clip' && !installedCopy(a, publicDir) && obtainable(a, sources));
  if (modelsReady && clips.length === 0) {
    log.info(`all ${manifest.assets.length} assets already installed and verified${wasmCopied ? `; copied ${wasmCopied} wasm file(s)` : ''}.`);
    return 0;
  }

  const stage = join(modelsDir, `${STAGING_PREFIX}${process.pid}`);
  try {
    if (!modelsReady) {
      const got = new Map<Asset, Uint8Array>();
      const failures: string[] = [];
      for (const asset of required) {
        try {
          got.set(asset, await obtain(asset, sources, publicDir, log));
        } catch (e) {
          if (!(e instanceof AssetError)) throw e;
          failures.push(e.message);
        }
      }
      if (failures.length) {
        failures.forEach((f) => log.error(f));
        log.error(`nothing was installed: ${failures.length} of ${required.length} model and preset assets are missing (see above).`);
        return 1;
      }
      await buildModels(manifest, got, join(stage, 'model'), modelDir, key, log);
      if (hasMasks) buildMasks(manifest, got, join(stage, 'masks'), root, key, log);
      swapDir(join(stage, 'model'), modelDir);
      if (hasMasks) swapDir(join(stage, 'masks'), maskDir);
    }
    let clipsInstalled = 0;
    for (const clip of clips) {
      try {
        const bytes = await obtain(clip, sources, publicDir, log);
        const staged = join(stage, clip.path);
        writeFile(staged, bytes);
        mkdirSync(dirname(join(publicDir, clip.path)), { recursive: true });
        renameSync(staged, join(publicDir, clip.path));
        clipsInstalled++;
      } catch (e) {
        if (!(e instanceof AssetError)) throw e;
        log.warn(`${e.message} The app still works without it: open a clip of your own.`);
      }
    }
    const done = [
      ...(modelsReady ? [] : [`${manifest.model} (converted models, ${manifest.presets.length} presets with their style vectors)`]),
      ...(modelsReady || !hasMasks ? [] : [`${MASK_SET} (${maskSources(manifest).length} converted MediaPipe models, Apache-2.0 notice)`]),
      ...(clips.length ? [`${clipsInstalled} of ${clips.length} missing demo clip(s)`] : []),
      ...(wasmCopied ? [`${wasmCopied} wasm file(s)`] : []),
    ];
    log.info(`installed ${done.join(', ')}; all verified.`);
    return 0;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
