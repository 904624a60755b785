// Set-up on a fresh clone: fetches, checks, converts and installs every asset; idempotent; precise failures that
// leave nothing half-written. Downloads come from a local HTTP mirror of ../shared, never the internet.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/setup/manifest.ts';
import { download } from '../../src/setup/sources.ts';
import { deadUrl, startMirror, type Mirror } from './mirror-server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHARED = resolve(ROOT, '../shared');
const manifest = JSON.parse(readFileSync(join(ROOT, 'public/models/manifest.json'), 'utf8')) as Manifest;
const MODEL = manifest.model;
const required = manifest.assets.filter((a) => a.kind !== 'demo clip');
/** Assets set-up downloads when nothing local has them (the mask models come from node_modules instead). */
const fetched = manifest.assets.filter((a) => !a.npm);
const MASKS = 'mediapipe-masks';

const temps: string[] = [];
afterEach(() => temps.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A clone of the project (its own files, node_modules linked) in a temp dir with nothing beside it: no ../shared. */
function freshClone(): string {
  const base = mkdtempSync(join(tmpdir(), 'stylecast-setup-'));
  temps.push(base);
  const project = join(base, 'project');
  mkdirSync(join(project, 'public/models'), { recursive: true });
  for (const d of ['scripts', 'src/convert', 'src/setup', 'src/engine/models']) cpSync(join(ROOT, d), join(project, d), { recursive: true });
  cpSync(join(ROOT, 'public/models/manifest.json'), join(project, 'public/models/manifest.json'));
  cpSync(join(ROOT, 'package.json'), join(project, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'));
  return project;
}

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs set-up in `project` (asynchronously: the mirror server answers from this same process). */
const run = (project: string, env: Record<string, string | undefined> = {}): Promise<Result> =>
  new Promise((done) => {
    const fullEnv = { ...process.env, STYLECAST_MODELS_DIR: undefined, STYLECAST_MEDIA_DIR: undefined, STYLECAST_MIRROR: undefined, ...env };
    execFile(process.execPath, [join(project, 'scripts/setup.mjs')], { env: fullEnv, encoding: 'utf8' }, (error, stdout, stderr) =>
      done({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });

/** Every file under a directory, relative to it. */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

const cosine = (a: number[], b: number[]) => {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) (ab += a[i] * b[i]), (aa += a[i] * a[i]), (bb += b[i] * b[i]);
  return ab / Math.sqrt(aa * bb);
};

describe('the asset manifest', () => {
  it('lists every asset with kind, URL, size, sha256, licence and credit; URLs are official or pinned to a commit', () => {
    expect(manifest.assets.filter((a) => a.kind === 'model source').map((a) => a.builds).sort()).toEqual(['style-predictor', 'style-transformer']);
    expect(manifest.assets.filter((a) => a.kind === 'mask model source').map((a) => a.builds).sort()).toEqual([
      'face-detector-full', 'face-detector-short', 'person-segmenter', 'person-segmenter-landscape',
    ]);
    expect(manifest.assets.filter((a) => a.kind === 'style preset').map((a) => a.name)).toEqual(manifest.presets);
    expect(manifest.assets.some((a) => a.kind === 'demo clip' && a.url)).toBe(true);
    for (const a of manifest.assets) {
      expect(a.sha256, a.name).toMatch(/^[0-9a-f]{64}$/);
      expect(a.size, a.name).toBeGreaterThan(0);
      expect(a.licence && a.credit, a.name).toBeTruthy();
      if (a.kind === 'mask model source') {
        // from an npm dependency pinned in package.json, at the version the manifest names
        const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).dependencies[a.npm!.package];
        expect(pkg, a.name).toBe(a.npm!.version);
        expect(a.licence).toMatch(/^Apache-2\.0/);
      } else if (a.kind === 'model source') expect(a.url).toMatch(/^https:\/\/storage\.googleapis\.com\/download\.tensorflow\.org\/models\/tflite\/arbitrary_style_transfer\/[\w.]+\.tflite$/);
      else if (a.url) expect(a.url, a.name).toMatch(/^https:\/\/raw\.githubusercontent\.com\/[\w.-]+\/[\w.-]+\/[0-9a-f]{40}\//);
    }
  });
});

describe('set-up from a local HTTP mirror ($STYLECAST_MIRROR)', () => {
  let mirror: Mirror;
  beforeAll(async () => void (mirror = await startMirror(SHARED)));
  afterAll(() => mirror.close());

  it('a fresh clone ends with working models, presets and the demo clip; the second run is a no-op', async () => {
    const project = freshClone();
    const first = await run(project, { STYLECAST_MIRROR: mirror.url });
    expect(first.status, first.stderr).toBe(0);
    // (a fresh-clone .ci/run once counted 15 of 16 here and passed on a re-run: the message says what set-up printed)
    expect(first.stdout.match(/^stylecast setup: downloading .*$/gm), `${first.stdout}\n${first.stderr}`).toHaveLength(fetched.length);
    const installed = join(project, 'public/models', MODEL);
    // the same converted models as this checkout's own set-up (checked against the TFLite outputs by the model tests)
    for (const dir of ['style-predictor', 'style-transformer']) {
      for (const f of tree(join(ROOT, 'public/models', MODEL, dir))) {
        expect(readFileSync(join(installed, dir, f)).equals(readFileSync(join(ROOT, 'public/models', MODEL, dir, f))), `${dir}/${f}`).toBe(true);
      }
    }
    // the mask models from the npm packages, converted, with the licence and the notice beside them
    for (const a of manifest.assets.filter((x) => x.modelSet === MASKS)) {
      for (const f of tree(join(ROOT, 'public/models', MASKS, a.builds!))) {
        expect(readFileSync(join(project, 'public/models', MASKS, a.builds!, f)).equals(readFileSync(join(ROOT, 'public/models', MASKS, a.builds!, f))), `${a.builds}/${f}`).toBe(true);
      }
    }
    expect(readFileSync(join(project, 'public/models', MASKS, 'LICENSE-Apache-2.0.txt'), 'utf8')).toContain('Apache License\n                           Version 2.0, January 2004');
    const notice = readFileSync(join(project, 'public/models', MASKS, 'NOTICE.md'), 'utf8');
    for (const a of manifest.assets.filter((x) => x.modelSet === MASKS)) expect(notice).toContain(`${a.npm!.package}@${a.npm!.version}, ${a.npm!.file} | ${a.sha256}`);
    const ours = JSON.parse(readFileSync(join(installed, 'styles/bottlenecks.json'), 'utf8')).presets;
    const shipped = JSON.parse(readFileSync(join(SHARED, 'models', MODEL, 'styles/bottlenecks.json'), 'utf8')).presets;
    expect(Object.keys(ours).sort()).toEqual(manifest.presets);
    for (const name of manifest.presets) {
      expect(existsSync(join(installed, ours[name].file)), name).toBe(true);
      expect(cosine(ours[name].bottleneck_tfjs, shipped[name].bottleneck_tfjs), name).toBeGreaterThanOrEqual(0.9999);
    }
    for (const clip of manifest.assets.filter((a) => a.kind === 'demo clip')) expect(existsSync(join(project, 'public', clip.path)), clip.name).toBe(true);
    expect(tree(join(project, 'public/models')).filter((f) => f.includes('.setup-'))).toEqual([]);

    const second = await run(project, { STYLECAST_MIRROR: mirror.url });
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/already installed and verified/);
    expect(second.stdout).not.toMatch(/downloading/);
  });
});

describe('set-up failures leave nothing half-written', () => {
  const mirrors: Mirror[] = [];
  afterAll(() => Promise.all(mirrors.map((m) => m.close())));
  const faulty = async (faults: Parameters<typeof startMirror>[1]) => {
    const m = await startMirror(SHARED, faults);
    mirrors.push(m);
    return m;
  };

  it('refuses a download whose hash is wrong, naming the asset and URL, and leaves public/models untouched', async () => {
    const preset = manifest.assets.find((a) => a.name === 'starry_night')!;
    const m = await faulty({ corrupt: [preset.path] });
    const project = freshClone();
    const r = await run(project, { STYLECAST_MIRROR: m.url });
    expect(r.status).toBe(1);
    const line = r.stderr.split('\n').find((l) => l.includes('"starry_night"'));
    expect(line).toContain(`${m.url}/${preset.path}`);
    expect(line).toMatch(/does not match the manifest \(sha256 [0-9a-f]{64} instead of [0-9a-f]{64}\)/);
    expect(line).toContain('STYLECAST_MIRROR');
    expect(tree(join(project, 'public/models'))).toEqual(['manifest.json']);
  });

  it('a server that closes the connection half-way gives a clear error and no partial files', async () => {
    const source = manifest.assets.find((a) => a.builds === 'style-predictor')!;
    const m = await faulty({ cut: [source.path] });
    const project = freshClone();
    const r = await run(project, { STYLECAST_MIRROR: m.url });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`model source "${source.name}" from ${m.url}/${source.path}: the connection broke off after \\d+ of ${source.size} bytes`));
    expect(tree(join(project, 'public/models'))).toEqual(['manifest.json']);
    expect(tree(join(project, 'public/media'))).toEqual([]);
  });

  it('offline: one line per asset naming it, its URL, the env vars and the manual alternative; the clip only warns', async () => {
    const project = freshClone();
    const dead = await deadUrl();
    const r = await run(project, { STYLECAST_MIRROR: dead });
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(required.filter((a) => !a.npm).length + 1);
    const tflite = required.find((a) => a.builds === 'style-transformer')!;
    const line = lines.find((l) => l.includes(`"${tflite.name}"`))!;
    expect(line).toContain(`from ${dead}/${tflite.path}`);
    expect(line).toContain('unreachable');
    expect(line).toContain(`set STYLECAST_MIRROR (now "${dead}") to a base URL serving the ../shared tree`);
    expect(line).toContain('STYLECAST_MODELS_DIR (now unset) to a directory laid out like ../shared/models');
    expect(line).toContain(`download ${tflite.url} yourself and save it as $STYLECAST_MODELS_DIR/${MODEL}/original-tflite/${tflite.name}`);
    expect(tree(join(project, 'public/models'))).toEqual(['manifest.json']);
  });

  it('installs from $STYLECAST_MODELS_DIR; a missing demo clip is a warning, not a failure', async () => {
    const project = freshClone();
    const r = await run(project, { STYLECAST_MODELS_DIR: join(SHARED, 'models'), STYLECAST_MIRROR: await deadUrl() });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/downloading .*(model source|style preset)/);
    expect(existsSync(join(project, 'public/models', MODEL, 'style-transformer/model.json'))).toBe(true);
    expect(r.stderr).toMatch(/warning: cannot get demo clip .* The app still works without it/);
  });

  it('refuses a local copy whose hash does not match, naming the file', async () => {
    const project = freshClone();
    const bad = join(project, '..', 'bad-models');
    cpSync(join(SHARED, 'models'), bad, { recursive: true });
    const victim = join(bad, MODEL, 'original-tflite/style_transfer_f16_384.tflite');
    const bytes = readFileSync(victim);
    bytes[1000] ^= 0xff;
    rmSync(victim, { force: true });
    writeFileSync(victim, bytes);
    const r = await run(project, { STYLECAST_MODELS_DIR: bad });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`from ${victim}: the file does not match the manifest`);
    expect(tree(join(project, 'public/models'))).toEqual(['manifest.json']);
  });

  it('refuses a mask model whose npm package holds another file, naming it and how to fix it', async () => {
    const project = freshClone();
    // node_modules of its own: every package linked, but a copy of @mediapipe/face_detection with one byte flipped
    rmSync(join(project, 'node_modules'));
    mkdirSync(join(project, 'node_modules/@mediapipe'), { recursive: true });
    for (const e of readdirSync(join(ROOT, 'node_modules'))) if (e !== '@mediapipe') symlinkSync(join(ROOT, 'node_modules', e), join(project, 'node_modules', e));
    symlinkSync(join(ROOT, 'node_modules/@mediapipe/selfie_segmentation'), join(project, 'node_modules/@mediapipe/selfie_segmentation'));
    cpSync(join(ROOT, 'node_modules/@mediapipe/face_detection'), join(project, 'node_modules/@mediapipe/face_detection'), { recursive: true });
    const victim = join(project, 'node_modules/@mediapipe/face_detection/face_detection_short_range.tflite');
    const bytes = readFileSync(victim);
    bytes[5000] ^= 0xff;
    writeFileSync(victim, bytes);
    const r = await run(project, { STYLECAST_MODELS_DIR: join(SHARED, 'models') });
    expect(r.status).toBe(1);
    const line = r.stderr.split('\n').find((l) => l.includes('"face_detection_short_range.tflite"'))!;
    expect(line).toContain(`from ${victim}: the file does not match the manifest`);
    expect(line).toContain('run "npm ci" (it installs @mediapipe/face_detection@');
    expect(tree(join(project, 'public/models'))).toEqual(['manifest.json']);
  });

  it('a kept-alive connection the server closes as it is reused is asked again on a new one, not taken for an outage', async () => {
    // (a fresh-clone .ci/run under load once failed here: set-up spent over 5 s converting, Node's server closed the
    // idle connection at its keep-alive timeout as the next download reused it, and the origin was taken as down.)
    const [a, b] = manifest.assets.filter((x) => x.kind === 'style preset').slice(0, 2);
    const m = await faulty({ dropFirst: [b.path] });
    const sources = { modelsDirs: [], mediaDirs: [], mirror: m.url, env: {} };
    for (const asset of [a, b]) expect((await download(asset, sources, () => {})).length).toBe(asset.size);
    // the second asset was asked for twice: dropped, then answered on a new connection
    expect(m.requests.filter((r) => r === b.path)).toHaveLength(2);
  });

  it('says plainly when the official file differs from the copy its sha256 was taken from', async () => {
    const source = manifest.assets.find((a) => a.builds === 'style-transformer')!;
    const m = await faulty({ corrupt: [source.path] });
    const official = { ...source, url: `${m.url}/${source.path}` }; // stands in for Google's URL
    const sources = { modelsDirs: [], mediaDirs: [], mirror: null, env: {} };
    await expect(download(official, sources, () => {})).rejects.toThrow(
      `the file at ${official.url} differs from the byte-identical copy its sha256 was taken from (${source.sha256From}), so the publisher has changed it`,
    );
  });
});
