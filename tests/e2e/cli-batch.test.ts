// `stylecast batch` end to end: the real CLI as a subprocess on real files, checked with ffprobe. Tiny clips (3 frames
// at 64×36, --size 64 --temporal 0) so each run takes seconds; the limits are generous for a loaded machine.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, WALKING, cli, ensureBuilt, ffmpeg, ffprobe, descendants } from './helpers.ts';

let dir: string;
const at = (...names: string[]) => join(dir, ...names);
const RUN_MS = 480_000;
const TEST_MS = 600_000;
const FAST = ['--size', '64', '--temporal', '0', '--style', 'udnie'];

/** Video frames as ffprobe counts them by decoding. */
const framesOf = (path: string) => Number(ffprobe(path).streams.find((s) => s.codec_type === 'video')?.nb_read_frames);
const comment = (path: string) =>
  (JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format_tags=comment', '-of', 'json', path]).toString()) as { format: { tags?: { comment?: string } } }).format.tags?.comment;
/** Chromium's main processes (no --type=) and its renderers among `procs`. */
const browsers = (procs: { args: string }[]) => procs.filter((p) => /chrom/i.test(p.args) && !p.args.includes('--type=')).length;
const renderers = (procs: { args: string }[]) => procs.filter((p) => p.args.includes('--type=renderer')).length;

const events = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown> & { event: string });

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'stylecast-batch-'));
  mkdirSync(at('in'));
  mkdirSync(at('in', 'sub'));
  // Three tiny clips (3, 4 and 5 frames), one of them in a sub-folder.
  ffmpeg('-i', WALKING, '-frames:v', '3', '-vf', 'scale=64:36', '-c:v', 'libx264', '-preset', 'veryfast', '-an', at('in', 'a.mp4'));
  ffmpeg('-ss', '1', '-i', WALKING, '-frames:v', '4', '-vf', 'scale=64:36', '-c:v', 'libx264', '-preset', 'veryfast', '-an', at('in', 'b.mp4'));
  ffmpeg('-ss', '2', '-i', WALKING, '-frames:v', '5', '-vf', 'scale=64:36', '-c:v', 'libx264', '-preset', 'veryfast', '-an', at('in', 'sub', 'c.mp4'));
  writeFileSync(at('in', 'notes.txt'), 'not a video, and not listed: a folder takes only video endings');
}, TEST_MS);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stylecast batch', { timeout: TEST_MS }, () => {
  it('stylises 3 clips 2 at a time (one browser): an MP4 each with every frame, a summary, exit 0', () => {
    const r = cli(['batch', at('in'), '--recursive', '-o', at('out'), '--jobs', '2', ...FAST], RUN_MS);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/batch of 3 files, 3 to stylise, 2 at once/);
    expect(readdirSync(at('out')).sort()).toEqual(['a-stylised.mp4', 'b-stylised.mp4', 'c-stylised.mp4']); // no partial file left
    expect(framesOf(at('out', 'a-stylised.mp4'))).toBe(3);
    expect(framesOf(at('out', 'b-stylised.mp4'))).toBe(4);
    expect(framesOf(at('out', 'c-stylised.mp4'))).toBe(5);
    expect(ffprobe(at('out', 'a-stylised.mp4')).streams[0].width).toBe(64);
    // The settings are recorded in the MP4's metadata, with the frames written.
    expect(comment(at('out', 'b-stylised.mp4'))).toMatch(/^stylecast settings=[0-9a-f]{32} frames=4$/);
    // Per-file lines, the overall line, then the table.
    expect(r.stderr).toMatch(/a\.mp4: started/);
    expect(r.stderr).toMatch(/batch \[#{20}\] 100%: 3\/3 files finished \(0 failed, 0 skipped\)/);
    expect(r.stderr).toMatch(/file\s+result\s+frames\s+seconds\n/);
    expect(r.stderr).toMatch(/sub\/c\.mp4\s+done\s+5\s+[\d.]+\n/);
    expect(r.stderr).toMatch(/batch: 3 written, 0 skipped \(up to date\), 0 failed/);
  });

  it('a re-run skips the up-to-date outputs and redoes one whose settings changed (--json events)', () => {
    const before = statSync(at('out', 'a-stylised.mp4')).mtimeMs;
    const again = cli(['batch', at('in'), '-r', '-o', at('out'), '--jobs', '2', '--json', ...FAST], RUN_MS);
    expect(again.status, again.stderr).toBe(0);
    const ev = events(again.stdout);
    expect(ev.map((e) => e.event)).toEqual(['skipped', 'skipped', 'skipped', 'summary']);
    expect(ev[0]).toMatchObject({ reason: 'up to date', frames: 3 });
    expect(again.stderr).toMatch(/skipped: up to date/);
    expect(again.stderr).not.toMatch(/GPU:/); // nothing to do: no browser started
    expect(statSync(at('out', 'a-stylised.mp4')).mtimeMs).toBe(before);

    // Another strength for a listed file (a .txt list): its settings differ, so it is stylised again.
    writeFileSync(at('list.txt'), '# one clip\nin/a.mp4\n');
    const changed = cli(['batch', at('list.txt'), '-o', at('out'), '--json', ...FAST, '--strength', '0.5'], RUN_MS);
    expect(changed.status, changed.stderr).toBe(0);
    const ce = events(changed.stdout);
    expect(ce.map((e) => e.event)).toEqual(expect.arrayContaining(['started', 'done', 'summary']));
    expect(ce.find((e) => e.event === 'done')).toMatchObject({ input: at('in', 'a.mp4'), output: at('out', 'a-stylised.mp4'), frames: 3 });
    expect(ce.find((e) => e.event === 'summary')).toMatchObject({ done: 1, skipped: 0, failed: 0 });
    expect(statSync(at('out', 'a-stylised.mp4')).mtimeMs).toBeGreaterThan(before);
    expect(framesOf(at('out', 'a-stylised.mp4'))).toBe(3);
  });

  it('a broken input among good ones (an MP4 and an animated GIF): its code in the summary, the others written, exit 1', () => {
    mkdirSync(at('mixed'));
    writeFileSync(at('mixed', 'broken.mp4'), readFileSync(at('in', 'b.mp4')).subarray(0, 1200)); // cut before its index
    ffmpeg('-i', at('in', 'a.mp4'), '-vf', 'scale=48:27', at('mixed', 'anim.gif')); // an animated GIF (3 frames) counts as a video
    const r = cli(['batch', at('mixed', 'broken.mp4'), at('in', 'a.mp4'), at('mixed', 'anim.gif'), '-o', at('out2'), '--jobs', '2', '--json', ...FAST], RUN_MS);
    expect(r.status, r.stderr).toBe(1);
    const ev = events(r.stdout);
    for (const e of ev) expect(['started', 'progress', 'done', 'failed', 'skipped', 'summary']).toContain(e.event);
    expect(ev.find((e) => e.event === 'failed')).toMatchObject({ input: at('mixed', 'broken.mp4'), code: 'CORRUPT_INPUT' });
    const summary = ev.at(-1)!;
    expect(summary).toMatchObject({ event: 'summary', done: 2, failed: 1 });
    expect(summary.files).toEqual([
      expect.objectContaining({ input: at('mixed', 'broken.mp4'), result: 'failed', code: 'CORRUPT_INPUT', frames: 0 }),
      expect.objectContaining({ input: at('in', 'a.mp4'), result: 'done', frames: 3 }),
      expect.objectContaining({ input: at('mixed', 'anim.gif'), result: 'done', frames: 3 }),
    ]);
    expect(r.stderr).toMatch(/broken\.mp4\s+failed CORRUPT_INPUT\s+0/);
    expect(readdirSync(at('out2')).sort()).toEqual(['a-stylised.mp4', 'anim-stylised.mp4']);
    expect(framesOf(at('out2', 'anim-stylised.mp4'))).toBe(3);
  });

  it('two inputs for one output name are refused before any work (OUTPUT_COLLISION), as is an output that is an input (SAME_FILE)', () => {
    mkdirSync(at('other'));
    writeFileSync(at('other', 'a.mp4'), readFileSync(at('in', 'a.mp4')));
    const r = cli(['batch', at('in', 'a.mp4'), at('other', 'a.mp4'), '-o', at('out3'), ...FAST], 60_000);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^stylecast: .*a\.mp4 and .*a\.mp4 would both be written to .*a-stylised\.mp4.*\(OUTPUT_COLLISION\)$/);
    expect(existsSync(at('out3'))).toBe(false);
    // A pattern that names an input itself.
    const same = cli(['batch', at('in', 'a.mp4'), '-o', at('in'), '--name', '{name}.mp4', ...FAST], 60_000);
    expect(same.status).toBe(2);
    expect(same.stderr.trim()).toMatch(/^stylecast: The output .*a\.mp4 is the input .*\(SAME_FILE\)$/);
  });

  it('2 files in flight run in one browser, a page each; Ctrl-C cancels them and starts no more: CANCELLED in the summary, exit 130, no output or partial file left', async () => {
    mkdirSync(at('long'));
    // Long enough that neither file can finish before the other has reported frames, however fast the machine (a
    // quiet one stylised 60 of these frames in 2.5 s, before the second file's first report).
    for (const n of ['x', 'y', 'z']) ffmpeg('-stream_loop', '3', '-i', WALKING, '-frames:v', '400', '-vf', 'scale=64:36', '-c:v', 'libx264', '-preset', 'veryfast', '-an', at('long', `${n}.mp4`));
    const child = spawn(process.execPath, [join(ROOT, 'bin/stylecast.mjs'), 'batch', at('long'), '-o', at('out4'), '--jobs', '2', ...FAST], {
      cwd: ROOT,
      env: { ...process.env, STYLECAST_GPU: 'software' },
    });
    let stderr = '';
    let seen: { args: string }[] = [];
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // Both files in flight (both started, frames coming): then the CLI runs one browser with a page for each. Not
      // "each has reported frames": progress comes every 100 frames, and on a quiet machine one page finished all
      // 400 before the other's first report (a fresh-clone .ci/run at b8e9f03).
      if (/x\.mp4: started/.test(stderr) && /y\.mp4: started/.test(stderr) && /[xy]\.mp4: \d+\/400 frames/.test(stderr) && !child.killed) {
        seen = descendants(child.pid!);
        child.kill('SIGINT');
      }
    });
    const status = await new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    expect(status, stderr).toBe(130);
    expect(browsers(seen)).toBe(1);
    expect(renderers(seen)).toBeGreaterThanOrEqual(2);
    expect(stderr).toMatch(/cancelling the batch/);
    expect(stderr).toMatch(/z\.mp4: failed: Not started: the batch was cancelled\. \(CANCELLED\)/);
    expect(stderr).toMatch(/x\.mp4\s+failed CANCELLED/);
    expect(stderr).toMatch(/y\.mp4\s+failed CANCELLED/);
    expect(existsSync(at('out4')) ? readdirSync(at('out4')) : []).toEqual([]);
  });

  it("a page that crashes fails its file (BROWSER_CRASHED) and the next file gets a fresh page in the same browser", async () => {
    mkdirSync(at('crash'));
    ffmpeg('-i', WALKING, '-frames:v', '60', '-vf', 'scale=64:36', '-c:v', 'libx264', '-preset', 'veryfast', '-an', at('crash', 'long.mp4'));
    const child = spawn(process.execPath, [join(ROOT, 'bin/stylecast.mjs'), 'batch', at('crash', 'long.mp4'), at('in', 'a.mp4'), '-o', at('out5'), '--jobs', '1', '--json', ...FAST], {
      cwd: ROOT,
      env: { ...process.env, STYLECAST_GPU: 'software' },
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!killed && /long\.mp4: \d+\/60 frames/.test(stderr)) {
        killed = true;
        // The job's renderer processes: descendants of the CLI with --type=renderer.
        for (const p of descendants(child.pid!)) if (p.args.includes('--type=renderer')) process.kill(p.pid, 'SIGKILL');
      }
    });
    const status = await new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    expect(killed).toBe(true);
    expect(status, stderr).toBe(1);
    const summary = events(stdout).at(-1)!;
    expect(summary.files).toEqual([
      expect.objectContaining({ result: 'failed', code: 'BROWSER_CRASHED' }),
      expect.objectContaining({ result: 'done', frames: 3 }),
    ]);
    expect(readdirSync(at('out5'))).toEqual(['a-stylised.mp4']);
    expect(framesOf(at('out5', 'a-stylised.mp4'))).toBe(3);
  });
});
