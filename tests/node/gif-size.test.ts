// A GIF's size (--gif-size, `gifSize`): the long side at most N pixels, the aspect kept, never enlarged; checked at
// the boundary (INVALID_ARGUMENT, for a GIF only), handed to the page's job, part of batch's settings hash. And the
// frame-rate rule a GIF's frames are kept by (a video's and, now, an animated image's). No browser here.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgs, type BatchArgs, type StylizeArgs } from '../../src/cli/args.ts';
import { settingsHash } from '../../src/cli/batch.ts';
import { gifJob } from '../../src/cli/job.ts';
import { DEFAULT_GIF_SIZE, checkGifSize, gifDimensions } from '../../src/engine/sinks/gif-size.ts';
import { gifFrameSelection } from '../../src/engine/sources/video-frames.ts';

const ROOT = resolve(import.meta.dirname, '../..');

describe('gifDimensions', () => {
  it('the long side at most N, the short one in proportion (nearest pixel), never enlarged', () => {
    expect(DEFAULT_GIF_SIZE).toBe(480);
    expect(gifDimensions(960, 540, 480)).toEqual({ width: 480, height: 270 });
    expect(gifDimensions(1920, 1080, 480)).toEqual({ width: 480, height: 270 });
    expect(gifDimensions(960, 540, 200)).toEqual({ width: 200, height: 113 }); // 112.5, rounded up
    expect(gifDimensions(540, 960, 200)).toEqual({ width: 113, height: 200 }); // portrait: the height is the long side
    expect(gifDimensions(1000, 1000, 300)).toEqual({ width: 300, height: 300 });
    expect(gifDimensions(641, 361, 480)).toEqual({ width: 480, height: 270 }); // odd sizes: 270.3
    expect(gifDimensions(4000, 10, 16)).toEqual({ width: 16, height: 1 }); // never 0
    // Never enlarged: a frame that fits keeps its size.
    expect(gifDimensions(64, 48, 480)).toEqual({ width: 64, height: 48 });
    expect(gifDimensions(480, 270, 480)).toEqual({ width: 480, height: 270 });
    expect(gifDimensions(64, 48, 4096)).toEqual({ width: 64, height: 48 });
  });

  it('checkGifSize takes whole pixels from 16 to 4096, else INVALID_ARGUMENT', () => {
    expect(checkGifSize(16)).toBe(16);
    expect(checkGifSize(4096)).toBe(4096);
    for (const v of [15, 4097, 100.5, 0, -480, NaN, Infinity, '480', null]) {
      expect(() => checkGifSize(v)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^gifSize must be a whole number of pixels from 16 to 4096/) }));
    }
  });
});

describe('gifFrameSelection (first of each 1/fps slot)', () => {
  it('a 30 fps clip at 15 keeps every other frame; frames already apart keep all; uneven times keep the first of each slot', () => {
    expect(gifFrameSelection([0, 1, 2, 3, 4, 5].map((i) => i / 30), 15)).toEqual([0, 2, 4]);
    // An image's delays of 20, 7, 33, 12, 50 hundredths at 5 fps (slots of 0.2 s): 0, 0.2, 0.27, 0.6, 0.72 → 0, 1, 3.
    expect(gifFrameSelection([0, 0.2, 0.27, 0.6, 0.72], 5)).toEqual([0, 1, 3]);
    // Frames 20 ms or more apart (any GIF once 0/1-hundredth delays are 100 ms) all fit 50 fps.
    expect(gifFrameSelection([0, 0.02, 0.05, 0.07, 0.09], 50)).toEqual([0, 1, 2, 3, 4]);
    // 60 fps at the 50 fps cap: 5 of every 6.
    expect(gifFrameSelection([0, 1, 2, 3, 4, 5].map((i) => i / 60), 50)).toEqual([0, 2, 3, 4, 5]);
  });
});

describe('--gif-size', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stylecast-gif-size-args-'));
  const clip = join(dir, 'in.mp4');
  writeFileSync(clip, ''); // parseArgs checks that inputs exist; nothing is decoded here
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const stylize = (...more: string[]) => parseArgs(['stylize', clip, '-o', join(dir, 'out.gif'), ...more], ROOT, {}) as StylizeArgs;
  const batch = (...more: string[]) => parseArgs(['batch', clip, '-o', join(dir, 'o'), ...more], ROOT, {}) as BatchArgs;

  it('null by default (the engine\'s 480), a whole number on request, reaching the page job only when given', () => {
    expect(stylize().gifSize).toBeNull();
    expect(gifJob(stylize())).toEqual({});
    expect(stylize('--gif-size', '200').gifSize).toBe(200);
    expect(gifJob(stylize('--gif-size', '200', '--gif-fps', '10'))).toEqual({ gifFps: 10, gifSize: 200 });
    expect(batch('--gif', '--gif-size=320').gifSize).toBe(320);
  });

  it('refused without a GIF output, or not a whole number from 16 to 4096 (INVALID_ARGUMENT)', () => {
    const refused = (f: () => unknown, message: RegExp) => expect(f).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) }));
    refused(() => parseArgs(['stylize', clip, '-o', join(dir, 'out.mp4'), '--gif-size', '200'], ROOT, {}), /--gif-size is for a GIF output/);
    refused(() => batch('--gif-size', '200'), /--gif-size is for a GIF output/);
    for (const v of ['15', '4097', '100.5', 'x', '', '-480', '1e3']) {
      refused(() => stylize(`--gif-size=${v}`), new RegExp(`--gif-size must be a whole number of pixels from 16 to 4096 \\(the GIF's long side\\), got "${v.replace('.', '\\.')}"`));
    }
  });

  it('is part of batch\'s settings hash for GIFs, the default and 480 being one', () => {
    expect(settingsHash(batch('--gif', '--gif-size', '200'), clip)).not.toBe(settingsHash(batch('--gif'), clip));
    expect(settingsHash(batch('--gif', '--gif-size', '480'), clip)).toBe(settingsHash(batch('--gif'), clip));
  });
});
