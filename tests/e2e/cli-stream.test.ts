// Long files through the real binary: the page reads the clip by ranged requests and the MP4 comes back in pieces,
// written into the hidden partial file as it is made and renamed only when complete. Checked with ffprobe; failures
// half way through leave nothing under the output's name.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, WALKING, cli, ensureBuilt, ffmpeg, ffprobe, frameTimes } from './helpers.ts';

let dir: string;
const at = (name: string) => join(dir, name);
const RUN_MS = 480_000;
const TEST_MS = 600_000;
const partials = () => readdirSync(dir).filter((n) => n.endsWith('.partial'));

/** The top-level boxes of an MP4, in order. */
function boxes(path: string): string[] {
  const d = readFileSync(path);
  const out: string[] = [];
  for (let i = 0; i + 8 <= d.length; ) {
    let size = d.readUInt32BE(i);
    if (size === 1) size = Number(d.readBigUInt64BE(i + 8));
    out.push(d.toString('latin1', i + 4, i + 8));
    if (size < 8) break;
    i += size;
  }
  return out;
}

/** Audio packets with their timestamps (seconds), as ffprobe reads them. */
function audioPackets(path: string): number[] {
  const out = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'packet=pts_time', '-of', 'json', path]).toString()) as { packets: { pts_time: string }[] };
  return out.packets.map((p) => Number(p.pts_time));
}

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'stylecast-stream-e2e-'));
  // 2 s at 25 fps, 320×180, with a 440 Hz sine (AAC): the muxer hands over a piece about every half second.
  ffmpeg('-i', WALKING, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '2', '-vf', 'scale=320:180', '-c:v', 'libx264', '-preset', 'veryfast', '-c:a', 'aac', '-shortest', at('clip.mp4'));
  // 8 s of the same for the failures half way: pieces are on the disk long before the end.
  ffmpeg('-i', WALKING, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '8', '-vf', 'scale=320:180', '-c:v', 'libx264', '-preset', 'veryfast', '-c:a', 'aac', '-shortest', at('long.mp4'));
}, TEST_MS);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the streaming path', { timeout: TEST_MS }, () => {
  it('a clip read by ranges and written in pieces has every frame at its timestamp and the audio copied (ffprobe)', () => {
    const r = cli(['stylize', at('clip.mp4'), '-o', at('out.mp4'), '--size', '64', '--temporal', '0'], RUN_MS);
    expect(r.status, r.stderr).toBe(0);
    const inp = ffprobe(at('clip.mp4'));
    const out = ffprobe(at('out.mp4'));
    const v = (p: typeof inp) => p.streams.find((s) => s.codec_type === 'video')!;
    expect(v(out).codec_name).toBe('h264');
    expect([v(out).width, v(out).height]).toEqual([320, 180]);
    expect(Number(v(out).nb_read_frames)).toBe(Number(v(inp).nb_read_frames));
    expect(Number(v(out).nb_read_frames)).toBe(50);
    // Every frame where the input has it.
    const ti = frameTimes(at('clip.mp4'));
    const to = frameTimes(at('out.mp4'));
    expect(to.map((f) => f.pts)).toEqual(ti.map((f) => f.pts));
    // The audio copied packet for packet, at the same times.
    expect(audioPackets(at('out.mp4'))).toEqual(audioPackets(at('clip.mp4')));
    // Written as it was made: the index after the media (no fast-start copy held in memory), nothing left behind.
    expect(boxes(at('out.mp4'))).toEqual(['ftyp', 'mdat', 'moov']);
    expect(partials()).toEqual([]);
  });

  it('batch records its settings in the streamed MP4 (written during the conversion) and a re-run skips it', () => {
    const first = cli(['batch', at('clip.mp4'), '-o', at('batch'), '--size', '64', '--temporal', '0', '--json'], RUN_MS);
    expect(first.status, first.stderr).toBe(0);
    const tags = ffprobe(at('batch/clip-stylised.mp4')) as unknown as { format: { tags?: Record<string, string> } };
    expect(tags.format.tags?.comment).toMatch(/^stylecast settings=[0-9a-f]{32} frames=50$/);
    const again = cli(['batch', at('clip.mp4'), '-o', at('batch'), '--size', '64', '--temporal', '0', '--json'], RUN_MS);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('"event":"skipped"');
  });

  /** Starts a stylise of long.mp4 to `name`; resolves once the partial file beside it holds some of the MP4. */
  async function startAndWaitForPieces(name: string) {
    const child = spawn(process.execPath, [join(ROOT, 'bin/stylecast.mjs'), 'stylize', at('long.mp4'), '-o', at(name), '--size', '64', '--temporal', '0'], {
      cwd: ROOT,
      env: { ...process.env, STYLECAST_GPU: 'software' },
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    let size = 0;
    for (let i = 0; i < 4800 && size === 0; i++) {
      const p = readdirSync(dir).find((n) => n.startsWith(`.${name}.`) && n.endsWith('.partial'));
      size = p ? statSync(at(p)).size : 0;
      if (size === 0) await new Promise((r) => setTimeout(r, 100));
    }
    return { child, exited, stderr: () => stderr, size };
  }

  it('the disk refuses a piece half way through (EFBIG) → DISK_FULL; the existing output kept, no partial file', async () => {
    writeFileSync(at('kept.mp4'), 'the previous result');
    const job = await startAndWaitForPieces('kept.mp4');
    expect(job.size, job.stderr()).toBeGreaterThan(0);
    // Pieces are on the disk; from now on the CLI process may not grow a file past what it has (Chromium keeps its own limit).
    execFileSync('prlimit', ['--pid', String(job.child.pid), `--fsize=${job.size + 1}:${job.size + 1}`]);
    const status = await job.exited;
    expect(status, job.stderr()).toBe(1);
    expect(job.stderr().trim().split('\n').at(-1)).toBe(
      `stylecast: The file system refused a file this large: writing ${at('kept.mp4')} failed (EFBIG). Write elsewhere; ${at('kept.mp4')} was not written. (DISK_FULL)`,
    );
    expect(readFileSync(at('kept.mp4'), 'utf8')).toBe('the previous result');
    expect(partials()).toEqual([]);
  });

  it('SIGTERM half way through: exit 143, nothing under the output name, the partial file removed', async () => {
    const job = await startAndWaitForPieces('never.mp4');
    expect(job.size, job.stderr()).toBeGreaterThan(0);
    job.child.kill('SIGTERM');
    const status = await job.exited;
    expect(status, job.stderr()).toBe(143);
    expect(existsSync(at('never.mp4'))).toBe(false);
    expect(partials()).toEqual([]);
  });
});
