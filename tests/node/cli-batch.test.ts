// `stylecast batch`'s planning, without a browser: which files count, their output names, what is refused up front,
// the default number of jobs and the settings hash that decides "up to date" (tests/e2e/cli-batch.test.ts runs it).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArgs, UsageError, type BatchArgs } from '../../src/cli/args.ts';
import { collectInputs, defaultJobs, outputName, planBatch, settingsHash, upToDate } from '../../src/cli/batch.ts';
import { isStylecastError } from '../../src/engine/errors.ts';

const ROOT = resolve(import.meta.dirname, '../..');
let dir: string;
const at = (...names: string[]) => join(dir, ...names);
const batchArgs = (...argv: string[]) => parseArgs(['batch', ...argv], ROOT, { STYLECAST_GPU: 'software' }) as BatchArgs;
const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return isStylecastError(e) ? e.code : e instanceof UsageError ? 'USAGE' : String(e);
  }
  return null;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stylecast-batch-plan-'));
  mkdirSync(at('v', 'deep'), { recursive: true });
  for (const name of ['a.mp4', 'b.MOV', 'c.webm', 'd.mkv', 'e.gif', 'f.webp', 'g.m4v', 'notes.txt', 'x.jpg', '.hidden.mp4']) writeFileSync(at('v', name), name);
  writeFileSync(at('v', 'deep', 'h.mp4'), 'h');
  writeFileSync(at('odd.bin'), 'a video under an odd name');
  writeFileSync(at('list.txt'), '# clips\n\nv/a.mp4\n  odd.bin  \nv/deep\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('batch inputs', () => {
  it('a folder gives its files with a video ending (not hidden ones), sub-folders only with --recursive', () => {
    const names = (r: boolean) => collectInputs([at('v')], r).map((f) => f.path.slice(dir.length + 1));
    expect(names(false)).toEqual(['v/a.mp4', 'v/b.MOV', 'v/c.webm', 'v/d.mkv', 'v/e.gif', 'v/f.webp', 'v/g.m4v']);
    expect(names(true)).toContain('v/deep/h.mp4');
  });
  it('a .txt list: paths relative to it, comments and blank lines skipped; a file named outright counts whatever its name; each file once', () => {
    symlinkSync(at('v', 'a.mp4'), at('alias.mp4'));
    const found = collectInputs([at('list.txt'), at('v', 'a.mp4'), at('alias.mp4')], false).map((f) => f.path);
    expect(found).toEqual([at('v', 'a.mp4'), at('odd.bin'), at('v', 'deep', 'h.mp4')]);
  });
  it('a missing input is a usage error naming it', () => {
    expect(() => collectInputs([at('nope.mp4')], false)).toThrow(/Input not found: .*nope\.mp4/);
  });
});

describe('batch outputs', () => {
  it('{name} and {ext} in --name', () => {
    expect(outputName('{name}-stylised.mp4', '/x/clip.mov')).toBe('clip-stylised.mp4');
    expect(outputName('{name}.{ext}.mp4', '/x/clip.mov')).toBe('clip.mov.mp4');
  });
  it('two inputs for one name: OUTPUT_COLLISION; --name with {ext} tells them apart', () => {
    writeFileSync(at('v', 'deep', 'a.mov'), 'a');
    expect(code(() => planBatch(batchArgs(at('v', 'a.mp4'), at('v', 'deep', 'a.mov'), '-o', at('out'))))).toBe('OUTPUT_COLLISION');
    expect(planBatch(batchArgs(at('v', 'a.mp4'), at('v', 'deep', 'a.mov'), '-o', at('out'), '--name', '{name}-{ext}.mp4')).map((i) => i.output)).toEqual([at('out', 'a-mp4.mp4'), at('out', 'a-mov.mp4')]);
  });
  it('an output that is an input (the output folder is the input folder and --name keeps its name): SAME_FILE', () => {
    expect(code(() => planBatch(batchArgs(at('v', 'a.mp4'), '-o', at('v'), '--name', '{name}.mp4')))).toBe('SAME_FILE');
  });
  it("a re-run over a folder holding the batch's own outputs does not take them as inputs", () => {
    mkdirSync(at('w'));
    writeFileSync(at('w', 'k.mp4'), 'k');
    writeFileSync(at('w', 'k-stylised.mp4'), 'an earlier result');
    expect(planBatch(batchArgs(at('w'), '-o', at('w'))).map((i) => i.input)).toEqual([at('w', 'k.mp4')]);
  });
  it('bad options are usage errors', () => {
    expect(code(() => batchArgs(at('v'), '-o', at('out'), '--jobs', '0'))).toBe('USAGE');
    expect(code(() => batchArgs(at('v'), '-o', at('out'), '--name', 'x.mp4'))).toBe('USAGE');
    expect(code(() => batchArgs(at('v'), '-o', at('out'), '--name', '{name}.mov'))).toBe('USAGE');
    expect(code(() => batchArgs(at('v')))).toBe('USAGE');
  });
});

describe('batch jobs and settings', () => {
  it('the default number of jobs: 2 on a hardware GPU; on a software one a job per 4 cores, at least 1', () => {
    expect(defaultJobs(false, 2)).toBe(2);
    expect(defaultJobs(true, 2)).toBe(1);
    expect(defaultJobs(true, 16)).toBe(4);
  });
  it("the settings hash changes with the style options, the input and stylecast's version, not with --jobs or --json", () => {
    const input = at('v', 'a.mp4');
    const base = settingsHash(batchArgs(input, '-o', at('out')), input);
    expect(settingsHash(batchArgs(input, '-o', at('out'), '--jobs', '3', '--json'), input)).toBe(base);
    expect(settingsHash(batchArgs(input, '-o', at('out'), '--strength', '0.5'), input)).not.toBe(base);
    expect(settingsHash(batchArgs(input, '-o', at('out'), '--style', 'udnie'), input)).not.toBe(base);
    expect(settingsHash(batchArgs(input, '-o', at('out')), input, '0.2.0')).not.toBe(base); // another stylecast
    // A style image counts by its bytes, not its name.
    writeFileSync(at('style.png'), 'one picture');
    const withImage = settingsHash(batchArgs(input, '-o', at('out'), '--style', at('style.png')), input);
    writeFileSync(at('style.png'), 'another picture');
    expect(settingsHash(batchArgs(input, '-o', at('out'), '--style', at('style.png')), input)).not.toBe(withImage);
    utimesSync(input, new Date(), new Date(Date.now() + 5000));
    expect(settingsHash(batchArgs(input, '-o', at('out')), input)).not.toBe(base);
  });
});

describe('an up-to-date output', () => {
  const clip = (name: string, frames: number, comment: string) =>
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=64x36:rate=25', '-frames:v', String(frames), '-c:v', 'libx264', '-preset', 'veryfast', '-metadata', `comment=${comment}`, at(name)]);
  it('has the recorded hash and as many frames as recorded; anything else is stylised again', async () => {
    clip('good.mp4', 3, 'stylecast settings=abc123 frames=3');
    expect(await upToDate(at('good.mp4'), 'abc123')).toBe(3);
    expect(await upToDate(at('good.mp4'), 'abc124')).toBeNull(); // other settings
    clip('short.mp4', 2, 'stylecast settings=abc123 frames=3');
    expect(await upToDate(at('short.mp4'), 'abc123')).toBeNull(); // fewer frames than recorded
    clip('plain.mp4', 3, 'made elsewhere');
    expect(await upToDate(at('plain.mp4'), 'abc123')).toBeNull(); // not a batch output
    writeFileSync(at('cut.mp4'), readFileSync(at('good.mp4')).subarray(0, 600));
    expect(await upToDate(at('cut.mp4'), 'abc123')).toBeNull(); // does not open
    expect(await upToDate(at('missing.mp4'), 'abc123')).toBeNull();
  });
});
