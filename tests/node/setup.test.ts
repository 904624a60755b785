// Set-up: installs and verifies the assets; idempotent; precise failures that write nothing half-way.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SHARED_MODELS = resolve(ROOT, '../shared/models');
const manifest = JSON.parse(readFileSync(join(ROOT, 'public/models/manifest.json'), 'utf8')) as {
  model: string;
  files: { root: string; path: string; size: number; sha256: string }[];
};

const temps: string[] = [];
afterEach(() => temps.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A project copy (scripts + manifest only) in a temp dir with nothing beside it: no ../shared. */
function isolatedProject(): string {
  const base = mkdtempSync(join(tmpdir(), 'stylecast-setup-'));
  temps.push(base);
  const project = join(base, 'project');
  mkdirSync(join(project, 'public/models'), { recursive: true });
  cpSync(join(ROOT, 'scripts'), join(project, 'scripts'), { recursive: true });
  cpSync(join(ROOT, 'public/models/manifest.json'), join(project, 'public/models/manifest.json'));
  return project;
}

const run = (project: string, env: Record<string, string | undefined> = {}) =>
  spawnSync(process.execPath, [join(project, 'scripts/setup.mjs')], {
    env: { ...process.env, STYLECAST_MODELS_DIR: undefined, STYLECAST_MEDIA_DIR: undefined, ...env },
    encoding: 'utf8',
  });

describe('set-up script', () => {
  it('the manifest lists every weight file of both models with size and sha256', () => {
    for (const f of ['style-predictor/model.json', 'style-predictor/group1-shard1of2.bin', 'style-predictor/group1-shard2of2.bin', 'style-transformer/model.json', 'style-transformer/group1-shard1of1.bin', 'styles/bottlenecks.json']) {
      const e = manifest.files.find((x) => x.path === `${manifest.model}/${f}`);
      expect(e, f).toBeDefined();
      expect(e!.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(e!.size).toBeGreaterThan(0);
    }
  });

  it('installs from $STYLECAST_MODELS_DIR, verifies, and is a no-op the second time', () => {
    const project = isolatedProject();
    const first = run(project, { STYLECAST_MODELS_DIR: SHARED_MODELS });
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/installed \d+ asset file/);
    const transformer = join(project, 'public/models', manifest.model, 'style-transformer/group1-shard1of1.bin');
    expect(existsSync(transformer)).toBe(true);
    // the demo clip has no source here: a warning, not a failure
    expect(first.stderr).toMatch(/demo clip unavailable/);
    const second = run(project, { STYLECAST_MODELS_DIR: SHARED_MODELS });
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/already installed and verified/);
  });

  it('fails naming both places when neither has the models', () => {
    const project = isolatedProject();
    const r = run(project, { STYLECAST_MODELS_DIR: '/nonexistent/stylecast-models' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('/nonexistent/stylecast-models');
    expect(r.stderr).toContain(resolve(project, '../shared/models'));
    expect(r.stderr).toContain('STYLECAST_MODELS_DIR');
  });

  it('refuses a file whose hash does not match and leaves no partial file', () => {
    const project = isolatedProject();
    const bad = join(project, '..', 'bad-models');
    cpSync(SHARED_MODELS, bad, { recursive: true });
    const victim = join(bad, manifest.model, 'style-transformer/group1-shard1of1.bin');
    const bytes = readFileSync(victim);
    bytes[1000] ^= 0xff;
    rmSync(victim, { force: true });
    writeFileSync(victim, bytes);
    const r = run(project, { STYLECAST_MODELS_DIR: bad });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/group1-shard1of1\.bin does not match the manifest/);
    const dest = join(project, 'public/models', manifest.model, 'style-transformer/group1-shard1of1.bin');
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.partial`)).toBe(false);
  });
});
