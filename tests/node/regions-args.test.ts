// The CLI's per-region flags: parsed into the job the page runs, refused outside 0..1, part of batch's settings hash
// only when they change something (a batch made before them stays up to date).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { parseArgs, UsageError, type BatchArgs, type StylizeArgs } from '../../src/cli/args.ts';
import { settingsHash } from '../../src/cli/batch.ts';
import { stylizeJob } from '../../src/cli/job.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'stylecast-regions-args-'));
const clip = join(dir, 'in.mp4');
writeFileSync(clip, 'not really a clip');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const stylize = (...argv: string[]) => parseArgs(['stylize', clip, '-o', join(dir, 'out.mp4'), ...argv], ROOT, { STYLECAST_GPU: 'software' }) as StylizeArgs;
const batch = (...argv: string[]) => parseArgs(['batch', clip, '-o', join(dir, 'out'), ...argv], ROOT, { STYLECAST_GPU: 'software' }) as BatchArgs;

it('--face-strength, --person-strength, --background-strength and --adaptive-detail reach the page\'s job', () => {
  const plain = stylize();
  expect(plain).toMatchObject({ regions: { face: 1, person: 1, background: 1 }, adaptiveDetail: false });
  const args = stylize('--face-strength', '0.3', '--person-strength', '0.5', '--background-strength', '0.9', '--adaptive-detail');
  expect(stylizeJob(args)).toMatchObject({ regions: { face: 0.3, person: 0.5, background: 0.9 }, adaptiveDetail: true });
  expect(batch('--face-strength', '0', '--adaptive-detail')).toMatchObject({ regions: { face: 0, person: 1, background: 1 }, adaptiveDetail: true });
});

it('a strength outside 0..1 is a usage error naming the flag', () => {
  for (const [flag, value] of [['--face-strength', '1.5'], ['--person-strength', '-0.1'], ['--background-strength', 'x']]) {
    expect(() => stylize(flag, value)).toThrow(UsageError);
    expect(() => stylize(flag, value)).toThrow(flag);
  }
});

it('batch\'s settings hash changes with the regions, and not at all at their defaults', () => {
  const base = settingsHash(batch(), clip);
  expect(settingsHash(batch('--face-strength', '1', '--person-strength', '1'), clip)).toBe(base);
  expect(settingsHash(batch('--face-strength', '0.3'), clip)).not.toBe(base);
  expect(settingsHash(batch('--adaptive-detail'), clip)).not.toBe(base);
});
