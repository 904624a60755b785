// The CLI end to end: real clips through the real engine in headless Chromium, checked with ffprobe. The clips are
// cut small (10 frames, 160×90 / 320×180) and the time limits generous, so a loaded 2-core machine only makes it slower.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFlo } from '../../src/engine/temporal/flo.ts';
import { ROOT, SHARED_MEDIA, WALKING, cli, ensureBuilt, ffmpeg, ffprobe, frameTimes, frames, lumaCorrelation, meanAbsDiff, stdDev } from './helpers.ts';

let dir: string;
const at = (name: string) => join(dir, name);

/** Generous limits: a stylise of 10 small frames takes ~5–20 s here, far more when the machine is loaded. */
const RUN_MS = 480_000;
const TEST_MS = 600_000;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'stylecast-e2e-'));
  // 10 frames (0.4 s at 25 fps) of a real clip at 160×90; the same with a 440 Hz sine; 10 frames at 128×72; a
  // 160×90 copy tagged rotate=90.
  ffmpeg('-i', WALKING, '-frames:v', '10', '-vf', 'scale=160:90', '-c:v', 'libx264', '-preset', 'veryfast', '-an', at('clip.mp4'));
  ffmpeg('-i', at('clip.mp4'), '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-map', '0:v', '-map', '1:a', '-c:v', 'copy', '-c:a', 'aac', '-shortest', at('audio.mp4'));
  ffmpeg('-i', WALKING, '-frames:v', '10', '-vf', 'scale=128:72', '-c:v', 'libx264', '-preset', 'veryfast', '-an', at('small.mp4'));
  ffmpeg('-i', at('clip.mp4'), '-c', 'copy', '-metadata:s:v:0', 'rotate=90', at('rot.mp4'));
}, TEST_MS);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stylecast stylize', { timeout: TEST_MS }, () => {
  it('turns a real clip into a stylised H.264 MP4 with every frame', () => {
    const r = cli(['stylize', at('clip.mp4'), '-o', at('out.mp4'), '--style', 'starry_night', '--size', '64'], RUN_MS);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/10\/10 frames/);
    expect(r.stderr).toMatch(/on wasm/); // SwiftShader ranks below wasm here
    expect(r.stderr).toMatch(/temporal smoothing α 0\.7, strokes, on .*flow \+ blend [\d.]+ ms/);
    // The per-stage costs overlap, and the report says so next to the wall time per frame.
    expect(r.stderr).toMatch(/flow \+ blend [\d.]+ ms; stage costs overlap \(.*\); wall time per frame [\d.]+ ms\.\n/);
    // Start-up is measured: command start → first stylised frame.
    expect(r.stderr).toMatch(/start-up: [\d.]+ s from the command to the first stylised frame\./);
    // Smoothing on a software adapter (SwiftShader here): the blended frames come back to the CPU and are enlarged
    // there by the cubic, said so.
    expect(r.stderr).toMatch(/\nstylecast: upsampling: cubic \(Mitchell–Netravali\): a clip on wasm comes back from the software WebGPU device after smoothing .+\.\n/);
    expect(r.stderr.trim().split('\n').at(-1)).toBe('stylecast: GPU: SwiftShader (software, --gpu software).');
    const p = ffprobe(at('out.mp4'));
    const v = p.streams.find((s) => s.codec_type === 'video')!;
    expect(v.codec_name).toBe('h264');
    expect([v.width, v.height]).toEqual([160, 90]);
    expect(Number(v.nb_read_frames)).toBe(10);
    expect(Number(p.format.duration)).toBeCloseTo(Number(ffprobe(at('clip.mp4')).format.duration), 1);
    expect(p.streams.some((s) => s.codec_type === 'audio')).toBe(false);

    const inp = frames(at('clip.mp4'), 96, 54);
    const out = frames(at('out.mp4'), 96, 54);
    expect(out.length).toBe(inp.length);
    for (let i = 0; i < out.length; i += 3) {
      expect(meanAbsDiff(inp[i], out[i])).toBeGreaterThan(0.06); // not a copy
      expect(stdDev(out[i])).toBeGreaterThan(0.08); // not blank
      expect(lumaCorrelation(inp[i], out[i])).toBeGreaterThan(0.2); // still the same scene
    }
  });

  it('keeps the audio track and takes an image style, a mix and a strength', () => {
    const style = resolve(SHARED_MEDIA, 'photos/chicago.jpg');
    const r = cli(['stylize', at('audio.mp4'), '-o', at('audio-out.mp4'), '--style', style, '--mix', 'udnie', '--mix-weight', '0.4', '--strength', '0.8', '--size', '64', '--quiet'], RUN_MS);
    expect(r.status, r.stderr).toBe(0);
    const p = ffprobe(at('audio-out.mp4'));
    const a = p.streams.find((s) => s.codec_type === 'audio');
    expect(a?.codec_name).toBe('aac');
    expect(Number(a?.duration)).toBeGreaterThan(0.3); // the whole 0.4 s clip has sound
    expect(Number(p.streams.find((s) => s.codec_type === 'video')!.nb_read_frames)).toBe(10);
  });

  it('honours rotation metadata: the output is upright', () => {
    const r = cli(['stylize', at('rot.mp4'), '-o', at('rot-out.mp4'), '--strength', '0', '--size', '64', '--quiet'], RUN_MS);
    expect(r.status, r.stderr).toBe(0);
    const v = ffprobe(at('rot-out.mp4')).streams.find((s) => s.codec_type === 'video')!;
    expect([v.width, v.height]).toEqual([90, 160]);
    // Compared with the input as a player shows it (ffmpeg autorotates), the output matches far better upright
    // than turned upside down.
    const shown = frames(at('rot.mp4'), 18, 32);
    const out = frames(at('rot-out.mp4'), 18, 32);
    const flipped = (f: Uint8Array) => {
      const g = new Uint8Array(f.length);
      for (let i = 0; i < f.length / 3; i++) g.set(f.subarray(i * 3, i * 3 + 3), f.length - (i + 1) * 3);
      return g;
    };
    const upright = lumaCorrelation(shown[0], out[0]);
    expect(upright).toBeGreaterThan(0.5);
    expect(upright).toBeGreaterThan(lumaCorrelation(flipped(shown[0]), out[0]) + 0.3);
  });

  it('an MP4 trimmed by an edit list: stylises the frames it presents, not the packets it stores', () => {
    // 20 frames with B-frames, cut at 0.5 s without re-encoding: the file keeps the whole GOP (20 packets, the first
    // ones decoded only as references) and an edit list that starts mid-frame; a player shows 7 frames.
    ffmpeg('-i', WALKING, '-frames:v', '20', '-vf', 'scale=160:90', '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-an', at('bframes.mp4'));
    ffmpeg('-ss', '0.5', '-i', at('bframes.mp4'), '-c', 'copy', at('editlist.mp4'));
    const packets = execFileSync('ffprobe', ['-v', 'error', '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', at('editlist.mp4')]).toString().trim();
    expect(Number(packets)).toBe(20);
    const shown = frameTimes(at('editlist.mp4'));
    expect(shown.length).toBe(Number(ffprobe(at('editlist.mp4')).streams[0].nb_read_frames));
    expect(shown.length).toBeLessThan(10);

    const r = cli(['stylize', at('editlist.mp4'), '-o', at('editlist-out.mp4'), '--size', '32'], RUN_MS);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${shown.length}/${shown.length} frames`);
    const out = frameTimes(at('editlist-out.mp4'));
    expect(out.length).toBe(shown.length);
    // The same timeline: each frame where the player shows it (to the output's millisecond-scale rounding).
    out.forEach((f, i) => expect(f.pts).toBeCloseTo(shown[i].pts, 2));
  });

  // 6 frames of the walking clip at 96×54 shown for 120, 200, 80, 320, 200 and 200 ms (timestamps on ffmpeg's 1/25 s
  // grid, so it keeps them exactly); the GIF's own delays as ffprobe reads them are the reference.
  const ANIMATED_VF = "scale=96:54,settb=1/100,setpts='if(eq(N,0),0,if(eq(N,1),12,if(eq(N,2),32,if(eq(N,3),40,if(eq(N,4),72,92)))))'";

  it('an animated GIF: an MP4 of all its frames, each for its own duration', () => {
    ffmpeg('-i', WALKING, '-frames:v', '6', '-vf', ANIMATED_VF, '-fps_mode', 'passthrough', '-f', 'gif', at('anim.gif'));
    const packets = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'packet=pts_time,duration_time', '-of', 'json', at('anim.gif')]).toString()) as {
      packets: { pts_time: string; duration_time: string }[];
    };
    const shown = packets.packets.map((p) => ({ pts: Number(p.pts_time), duration: Number(p.duration_time) }));
    expect(shown.length).toBe(6);
    expect(new Set(shown.map((f) => f.duration)).size).toBeGreaterThanOrEqual(3); // really variable

    const r = cli(['stylize', at('anim.gif'), '-o', at('gif-out.mp4'), '--size', '32'], RUN_MS); // smoothing on
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/6\/6 frames/);
    const p = ffprobe(at('gif-out.mp4'));
    const v = p.streams.find((s) => s.codec_type === 'video')!;
    expect(v.codec_name).toBe('h264');
    expect([v.width, v.height]).toEqual([96, 54]);
    expect(Number(v.nb_read_frames)).toBe(6);
    expect(p.streams.some((s) => s.codec_type === 'audio')).toBe(false);
    const out = frameTimes(at('gif-out.mp4'));
    expect(out.length).toBe(6);
    out.forEach((f, i) => {
      expect(f.pts).toBeCloseTo(shown[i].pts, 3);
      expect(f.duration).toBeCloseTo(shown[i].duration, 3);
    });
    expect(Number(p.format.duration)).toBeCloseTo(shown[5].pts + shown[5].duration, 2);
    // Stylised frames of the same pictures.
    const inp = frames(at('anim.gif'), 48, 27);
    const res = frames(at('gif-out.mp4'), 48, 27);
    for (const i of [0, 5]) {
      expect(meanAbsDiff(inp[i], res[i])).toBeGreaterThan(0.04);
      expect(stdDev(res[i])).toBeGreaterThan(0.05);
    }
  });

  it('an animated WebP: an MP4 of all its frames, each for its own duration', (ctx) => {
    ffmpeg('-i', WALKING, '-frames:v', '6', '-vf', ANIMATED_VF, '-fps_mode', 'passthrough', '-c:v', 'libwebp_anim', '-loop', '0', '-f', 'webp', at('anim.webp'));
    // ffmpeg 5 cannot decode animated WebP, so the reference is the file's own frame chunks (ANMF: duration in ms, 24
    // bits at offset 12 of the payload).
    const bytes = readFileSync(at('anim.webp'));
    const durations: number[] = [];
    for (let o = 12; o + 8 <= bytes.length; ) {
      const size = bytes.readUInt32LE(o + 4);
      if (bytes.toString('latin1', o, o + 4) === 'ANMF') durations.push(bytes.readUIntLE(o + 8 + 12, 3) / 1000);
      o += 8 + size + (size & 1);
    }
    expect(durations.length).toBe(6);

    const r = cli(['stylize', at('anim.webp'), '-o', at('webp-out.mp4'), '--size', '32', '--temporal', '0'], RUN_MS);
    // The engine asks ImageDecoder.isTypeSupported('image/webp') first; a Chromium without it says so.
    if (r.status !== 0 && /does not take image\/webp/.test(r.stderr)) ctx.skip("this Chromium's ImageDecoder does not decode WebP");
    expect(r.status, r.stderr).toBe(0);
    const out = frameTimes(at('webp-out.mp4'));
    expect(out.length).toBe(6);
    let t = 0;
    out.forEach((f, i) => {
      expect(f.pts).toBeCloseTo(t, 3);
      expect(f.duration).toBeCloseTo(durations[i], 3);
      t += durations[i];
    });
  });

  it('runs on WebGPU when forced (tiny frames: SwiftShader)', () => {
    const r = cli(['stylize', at('small.mp4'), '-o', at('gpu-out.mp4'), '--backend', 'webgpu', '--size', '32'], RUN_MS);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/on webgpu \(webgpu was forced/);
    const v = ffprobe(at('gpu-out.mp4')).streams.find((s) => s.codec_type === 'video')!;
    expect([v.width, v.height]).toEqual([128, 72]);
    expect(Number(v.nb_read_frames)).toBe(10);
    const inp = frames(at('small.mp4'), 32, 18);
    const out = frames(at('gpu-out.mp4'), 32, 18);
    expect(meanAbsDiff(inp[5], out[5])).toBeGreaterThan(0.06);
    expect(stdDev(out[5])).toBeGreaterThan(0.05);
  });

  it('flow: writes a Middlebury .flo whose vectors match a known shift', () => {
    const photo = resolve(SHARED_MEDIA, 'photos/tubingen.jpg');
    // b shows the photo 3 px further right and 2 px higher up: each pixel of a moves by (−3, +2).
    ffmpeg('-i', photo, '-vf', 'scale=480:-1,crop=160:120:100:100', at('flow-a.png'));
    ffmpeg('-i', photo, '-vf', 'scale=480:-1,crop=160:120:103:98', at('flow-b.png'));
    const r = cli(['flow', at('flow-a.png'), at('flow-b.png'), '-o', at('ab.flo')], RUN_MS);
    expect(r.status, r.stderr).toBe(0);
    const { width, height, flow } = decodeFlo(readFileSync(at('ab.flo')));
    expect([width, height]).toEqual([160, 120]);
    let u = 0, v = 0, n = 0;
    for (let y = 10; y < height - 10; y++) {
      for (let x = 10; x < width - 10; x++) {
        u += flow[(y * width + x) * 2];
        v += flow[(y * width + x) * 2 + 1];
        n++;
      }
    }
    expect(u / n).toBeCloseTo(-3, 0);
    expect(v / n).toBeCloseTo(2, 0);
    expect(Math.abs(u / n + 3)).toBeLessThan(0.15);
    expect(Math.abs(v / n - 2)).toBeLessThan(0.15);
  });

  it('--gpu auto probes the GPU and names it; --gpu hardware without a hardware adapter ends with NO_HARDWARE_GPU and writes nothing', () => {
    const photo = resolve(SHARED_MEDIA, 'photos/tubingen.jpg');
    ffmpeg('-i', photo, '-vf', 'scale=480:-1,crop=64:48:100:100', at('gpu-a.png'));
    ffmpeg('-i', photo, '-vf', 'scale=480:-1,crop=64:48:102:100', at('gpu-b.png'));
    const auto = cli(['flow', at('gpu-a.png'), at('gpu-b.png'), '-o', at('auto.flo'), '--gpu', 'auto'], RUN_MS);
    expect(auto.status, auto.stderr).toBe(0);
    const line = auto.stderr.trim().split('\n').at(-1)!;
    // On a machine without a GPU (this one, CI), auto falls back to SwiftShader and says why.
    expect(line).toMatch(/^stylecast: GPU: (SwiftShader \(software, --gpu auto found no hardware adapter.*\)|.+ \(hardware\))\.$/);
    const software = line.includes('SwiftShader');

    const hw = cli(['flow', at('gpu-a.png'), at('gpu-b.png'), '-o', at('hw.flo')], RUN_MS, { STYLECAST_GPU: 'hardware' });
    if (software) {
      expect(hw.status).toBe(1);
      expect(hw.stderr.trim()).toMatch(/^stylecast: --gpu hardware: Chromium found no hardware GPU adapter here \(it offered: .+\); use --gpu auto or software\. \(NO_HARDWARE_GPU\)$/);
      expect(existsSync(at('hw.flo'))).toBe(false);
    } else {
      expect(hw.status, hw.stderr).toBe(0);
      expect(hw.stderr).toMatch(/GPU: .+ \(hardware\)/);
    }
  });

  it('--models: runs a model directory made by "stylecast convert", and refuses one that lacks a model', () => {
    const originals = resolve(ROOT, '../shared/models/magenta-arbitrary-style-mobile/original-tflite');
    const models = at('my-models');
    for (const [file, role] of [['style_predict_quantized_256.tflite', 'style-predictor'], ['style_transfer_f16_384.tflite', 'style-transformer']]) {
      const c = cli(['convert', join(originals, file), '-o', join(models, role)], RUN_MS);
      expect(c.status, c.stderr).toBe(0);
    }
    const r = cli(['stylize', at('small.mp4'), '-o', at('own-models.mp4'), '--models', models, '--style', 'udnie', '--size', '32', '--temporal', '0'], RUN_MS);
    expect(r.status, r.stderr).toBe(0);
    expect(Number(ffprobe(at('own-models.mp4')).streams[0].nb_read_frames)).toBe(10);

    const broken = at('broken-models');
    cpSync(join(models, 'style-predictor'), join(broken, 'style-predictor'), { recursive: true });
    cpSync(join(models, 'style-predictor'), join(broken, 'style-transformer'), { recursive: true }); // the wrong graph
    const bad = cli(['stylize', at('small.mp4'), '-o', at('x.mp4'), '--models', broken], 120_000);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/style-transformer\/model\.json cannot be the style transformer: missing input "content_image"/);
  });

  it('lists presets', () => {
    const r = cli(['styles']);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')).toContain('starry_night');
  });

  it.each([
    [['stylize'], /Missing the input video/],
    [['stylize', '/nonexistent.mp4', '-o', '/tmp/x.mp4'], /Input file not found/],
    [['stylize', WALKING, '-o', '/tmp/x.mp4', '--strength', '1.5'], /--strength must be a number from 0 to 1/],
    [['stylize', WALKING, '-o', '/tmp/x.mp4', '--style', 'no_such_style'], /neither a preset/],
    [['stylize', WALKING, '-o', '/tmp/x.mov'], /must be an \.mp4/],
    [['stylize', WALKING, '-o', '/tmp/x.mp4', '--backend', 'cuda'], /--backend must be one of/],
    [['stylize', WALKING, '-o', '/tmp/x.mp4', '--temporal-method', 'blur'], /--temporal-method must be one of strokes, average/],
    [['stylize', WALKING, '-o', '/tmp/x.mp4', '--gpu', 'cuda'], /--gpu must be one of auto, hardware, software, got "cuda"/],
    [['flow', WALKING, WALKING, '-o', '/tmp/x.flo', '--gpu', 'gpu'], /--gpu must be one of auto, hardware, software/],
    [['frobnicate'], /Unknown command/],
  ])('rejects bad arguments before starting a browser: %j', (args, message) => {
    const r = cli(args as string[], 120_000);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('bad input: a precise error, non-zero exit, no output, no hang', { timeout: TEST_MS }, () => {
  const write = (bytes: Uint8Array) => (path: string) => writeFileSync(path, bytes);
  const cases: [string, string, string, (path: string) => void][] = [
    ['empty file', 'empty.mp4', 'EMPTY_INPUT', write(new Uint8Array(0))],
    ['random bytes', 'random.mp4', 'UNREADABLE_INPUT', write(Uint8Array.from({ length: 65536 }, (_, i) => (i * 2654435761) >>> 24))],
    ['an image renamed .mp4', 'image.mp4', 'UNREADABLE_INPUT', (p) => writeFileSync(p, readFileSync(resolve(SHARED_MEDIA, 'photos/tubingen.jpg')))],
    ['audio only', 'audio-only.mp4', 'NO_VIDEO_TRACK', (p) => ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '1', '-c:a', 'aac', p)],
    ['HEVC, which this browser cannot decode', 'hevc.mp4', 'UNSUPPORTED_CODEC', (p) => ffmpeg('-i', at('small.mp4'), '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-tag:v', 'hvc1', p)],
    ['frames wider than the device allows', 'huge.webm', 'FRAME_TOO_LARGE', (p) => ffmpeg('-f', 'lavfi', '-i', 'color=c=blue:s=8448x32:d=0.04', '-c:v', 'libvpx-vp9', '-frames:v', '1', p)],
    ['a GIF cut in half', 'half.gif', 'CORRUPT_INPUT', (p) => {
      ffmpeg('-i', at('small.mp4'), '-f', 'gif', at('whole.gif'));
      const bytes = readFileSync(at('whole.gif'));
      writeFileSync(p, bytes.subarray(0, Math.floor(bytes.length / 2)));
    }],
    ['a truncated MP4', 'truncated.mp4', 'CORRUPT_INPUT', (p) => {
      ffmpeg('-i', at('clip.mp4'), '-c', 'copy', '-movflags', '+faststart', at('faststart.mp4'));
      const bytes = readFileSync(at('faststart.mp4'));
      writeFileSync(p, bytes.subarray(0, Math.floor(bytes.length / 2)));
    }],
    // ffmpeg's default layout puts the index (moov) after the media: cut in half, the container is recognised but no
    // track table is left. Not "no video track": the file is damaged.
    ['an MP4 cut short with its index at the end', 'moov-at-end-cut.mp4', 'CORRUPT_INPUT', (p) => {
      const bytes = readFileSync(at('clip.mp4'));
      const moov = bytes.indexOf('moov');
      expect(moov).toBeGreaterThan(bytes.indexOf('mdat')); // the index really is at the end
      writeFileSync(p, bytes.subarray(0, Math.floor(bytes.length / 2)));
    }],
  ];

  it.each(cases)('%s (%s) → %s', (_label, name, code, make) => {
    make(at(name));
    const out = at(`bad-${name}.mp4`);
    const r = cli(['stylize', at(name), '-o', out, '--size', '32'], RUN_MS);
    expect(r.timedOut).toBe(false);
    expect(r.status).toBe(1);
    const last = r.stderr.trim().split('\n').at(-1);
    expect(last).toMatch(new RegExp(`^stylecast: [A-Z].+\\. \\(${code}\\)$`));
    expect(existsSync(out)).toBe(false);
    if (code === 'CORRUPT_INPUT') expect(last).toMatch(/truncated or damaged|damaged or truncated/);
    console.log(last);
  });
});
