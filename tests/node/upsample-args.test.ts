// --upsample on the command line: guided by default, cubic on request, anything else refused before a browser
// starts; it is part of batch's settings hash (it changes the picture).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgs, UsageError, type BatchArgs } from '../../src/cli/args.ts';
import { settingsHash } from '../../src/cli/batch.ts';
import { stylizeJob } from '../../src/cli/job.ts';

const ROOT = resolve(import.meta.dirname, '../..');

describe('--upsample', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stylecast-upsample-args-'));
  const clip = join(dir, 'in.mp4');
  writeFileSync(clip, ''); // parseArgs checks that inputs exist; nothing is decoded here
  const out = join(dir, 'out.mp4');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is guided by default, cubic on request, and reaches the page job', () => {
    expect(parseArgs(['stylize', clip, '-o', out], ROOT, {})).toMatchObject({ upsample: 'guided' });
    const cubic = parseArgs(['stylize', clip, '-o', out, '--upsample', 'cubic'], ROOT, {});
    expect(cubic).toMatchObject({ upsample: 'cubic' });
    expect(parseArgs(['stylize', clip, '-o', out, '--upsample=guided'], ROOT, {})).toMatchObject({ upsample: 'guided' });
    expect(stylizeJob(cubic as BatchArgs)).toMatchObject({ upsample: 'cubic' });
  });

  it('refuses anything else with a usage error naming the choices', () => {
    for (const v of ['bilinear', 'Guided', '']) {
      expect(() => parseArgs(['stylize', clip, '-o', out, `--upsample=${v}`], ROOT, {})).toThrow(new UsageError(`--upsample must be one of guided, cubic, got "${v}".`));
    }
  });

  it('is part of batch\'s settings hash', () => {
    const args = (...more: string[]) => parseArgs(['batch', clip, '-o', join(dir, 'o'), ...more], ROOT, {}) as BatchArgs;
    expect(settingsHash(args('--upsample', 'cubic'), clip)).not.toBe(settingsHash(args(), clip));
    expect(settingsHash(args('--upsample', 'guided'), clip)).toBe(settingsHash(args(), clip));
  });
});
