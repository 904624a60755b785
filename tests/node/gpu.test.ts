// The CLI's GPU choice: from what Chromium's requestAdapter() reported to what the CLI does (pure, no browser).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../src/cli/args.ts';
import { BASE_ARGS, HARDWARE_GPU_ARGS, SOFTWARE_GPU_ARGS, chromiumArgs } from '../../src/cli/browser.ts';
import { decideGpu, describeAdapter, isSoftwareAdapter, parseGpuMode, type AdapterInfo } from '../../src/cli/gpu.ts';

const ROOT = resolve(import.meta.dirname, '../..');

// What Chromium 156 reports here with the SwiftShader flags (ENVIRONMENT.md).
const SWIFTSHADER: AdapterInfo = { vendor: 'google', architecture: 'swiftshader', device: '', description: '', isFallbackAdapter: true };
// SwiftShader as some builds report it: not flagged as a fallback, named only in the description.
const SWIFTSHADER_UNFLAGGED: AdapterInfo = { vendor: 'google', architecture: '', device: '', description: 'SwiftShader Device (Subzero)', isFallbackAdapter: false };
const LLVMPIPE: AdapterInfo = { vendor: 'mesa', architecture: '', device: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' };
const LAVAPIPE: AdapterInfo = { vendor: 'mesa', architecture: '', description: 'lavapipe' };
const WARP: AdapterInfo = { vendor: 'microsoft', architecture: '', description: 'Microsoft Basic Render Driver' };
const NVIDIA: AdapterInfo = { vendor: 'nvidia', architecture: 'ampere', device: '', description: 'NVIDIA GeForce RTX 3060', isFallbackAdapter: false };
const INTEL: AdapterInfo = { vendor: 'intel', architecture: 'gen-12lp', device: '', description: 'Intel(R) UHD Graphics 770 (ADL-S GT1)' };
const AMD: AdapterInfo = { vendor: 'amd', architecture: 'rdna-2', description: '' };

describe('isSoftwareAdapter', () => {
  it.each([
    ['SwiftShader (fallback)', SWIFTSHADER],
    ['SwiftShader named in the description only', SWIFTSHADER_UNFLAGGED],
    ['llvmpipe', LLVMPIPE],
    ['lavapipe', LAVAPIPE],
    ['WARP / Basic Render Driver', WARP],
    ['any adapter flagged as a fallback', { vendor: 'acme', architecture: 'x', isFallbackAdapter: true }],
  ])('%s is software', (_label, info) => expect(isSoftwareAdapter(info)).toBe(true));

  it.each([
    ['NVIDIA', NVIDIA],
    ['Intel', INTEL],
    ['AMD', AMD],
    ['an adapter with empty strings and no fallback flag', { vendor: '', architecture: '' }],
  ])('%s is hardware', (_label, info) => expect(isSoftwareAdapter(info)).toBe(false));
});

describe('decideGpu', () => {
  it('auto: a hardware adapter is used as it is, named in the report', () => {
    const d = decideGpu('auto', { adapter: NVIDIA });
    expect(d).toEqual({ action: 'use', software: false, adapter: 'NVIDIA GeForce RTX 3060 [nvidia ampere]', note: 'hardware' });
    expect(decideGpu('auto', { adapter: INTEL })).toMatchObject({ action: 'use', software: false, adapter: 'Intel(R) UHD Graphics 770 (ADL-S GT1) [intel gen-12lp]' });
  });

  it('auto: a software adapter or none → relaunch on SwiftShader (so smoothing still runs)', () => {
    expect(decideGpu('auto', { adapter: SWIFTSHADER })).toEqual({ action: 'relaunch-software', reason: 'the only adapter was SwiftShader, a fallback adapter' });
    expect(decideGpu('auto', { adapter: SWIFTSHADER_UNFLAGGED }).action).toBe('relaunch-software');
    expect(decideGpu('auto', { adapter: LLVMPIPE }).action).toBe('relaunch-software');
    expect(decideGpu('auto', { adapter: WARP }).action).toBe('relaunch-software');
    expect(decideGpu('auto', { adapter: null, error: 'requestAdapter() returned null' })).toEqual({ action: 'relaunch-software', reason: 'no adapter: requestAdapter() returned null' });
    expect(decideGpu('auto', null).action).toBe('relaunch-software');
  });

  it('hardware: a hardware adapter is used; a software one or none fails with NO_HARDWARE_GPU, naming what was offered', () => {
    expect(decideGpu('hardware', { adapter: AMD })).toMatchObject({ action: 'use', software: false, adapter: 'amd rdna-2' });
    const d = decideGpu('hardware', { adapter: SWIFTSHADER });
    expect(d).toEqual({
      action: 'fail',
      code: 'NO_HARDWARE_GPU',
      message: '--gpu hardware: Chromium found no hardware GPU adapter here (it offered: SwiftShader, a fallback adapter); use --gpu auto or software.',
    });
    const none = decideGpu('hardware', { adapter: null, error: 'navigator.gpu is missing (WebGPU is off)' });
    expect(none.action).toBe('fail');
    expect(none.action === 'fail' && none.message).toMatch(/it offered: no adapter: navigator\.gpu is missing/);
    expect(decideGpu('hardware', { adapter: LLVMPIPE }).action).toBe('fail');
  });

  it('software: SwiftShader without looking at any probe', () => {
    for (const probe of [null, { adapter: NVIDIA }, { adapter: null }]) {
      expect(decideGpu('software', probe)).toEqual({ action: 'use', software: true, adapter: 'SwiftShader', note: 'software, --gpu software' });
    }
  });

  it('describeAdapter', () => {
    expect(describeAdapter(SWIFTSHADER)).toBe('SwiftShader');
    expect(describeAdapter(null)).toBe('no adapter');
    expect(describeAdapter({ vendor: '', isFallbackAdapter: true })).toBe('a fallback adapter');
  });
});

describe('Chromium flags per mode', () => {
  it('software is the SwiftShader setting; auto and hardware launch with the hardware-GPU flags', () => {
    expect(chromiumArgs('software')).toEqual([...BASE_ARGS, '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-angle=swiftshader']);
    for (const mode of ['auto', 'hardware'] as const) {
      const args = chromiumArgs(mode);
      expect(args).toEqual([...BASE_ARGS, ...HARDWARE_GPU_ARGS]);
      expect(args.join(' ')).not.toMatch(/swiftshader/);
      expect(args).toContain('--ignore-gpu-blocklist');
    }
    expect(SOFTWARE_GPU_ARGS).not.toContain('--ignore-gpu-blocklist');
    expect(BASE_ARGS).toEqual(['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']);
  });
});

describe('--gpu and STYLECAST_GPU', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stylecast-gpu-args-'));
  const a = join(dir, 'a.png');
  const clip = join(dir, 'in.mp4');
  // parseArgs checks that inputs exist; empty files do (nothing is decoded here).
  for (const f of [a, clip]) writeFileSync(f, '');
  const out = join(dir, 'out.mp4');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults to auto; the env sets the default; the flag wins', () => {
    expect(parseArgs(['stylize', clip, '-o', out], ROOT, {})).toMatchObject({ gpu: 'auto' });
    expect(parseArgs(['stylize', clip, '-o', out], ROOT, { STYLECAST_GPU: 'software' })).toMatchObject({ gpu: 'software' });
    expect(parseArgs(['stylize', clip, '-o', out, '--gpu', 'hardware'], ROOT, { STYLECAST_GPU: 'software' })).toMatchObject({ gpu: 'hardware' });
    expect(parseArgs(['flow', a, a, '-o', join(dir, 'x.flo'), '--gpu=software'], ROOT, {})).toMatchObject({ gpu: 'software' });
    expect(parseArgs(['flow', a, a, '-o', join(dir, 'x.flo')], ROOT, { STYLECAST_GPU: 'hardware' })).toMatchObject({ gpu: 'hardware' });
  });

  it('a bad value is a usage error naming the source', () => {
    expect(() => parseArgs(['stylize', clip, '-o', out, '--gpu', 'cuda'], ROOT, {})).toThrow(new UsageError('--gpu must be one of auto, hardware, software, got "cuda".'));
    expect(() => parseArgs(['stylize', clip, '-o', out, '--gpu='], ROOT, {})).toThrow(/--gpu must be one of/);
    expect(() => parseArgs(['flow', a, a, '-o', join(dir, 'x.flo')], ROOT, { STYLECAST_GPU: 'fast' })).toThrow(/STYLECAST_GPU must be one of auto, hardware, software, got "fast"/);
    // The flag wins over a bad env value.
    expect(parseArgs(['stylize', clip, '-o', out, '--gpu', 'auto'], ROOT, { STYLECAST_GPU: 'fast' })).toMatchObject({ gpu: 'auto' });
  });

  it('parseGpuMode', () => {
    expect(parseGpuMode(undefined)).toBe('auto');
    expect(parseGpuMode('')).toBe('auto');
    expect(parseGpuMode('Software')).toBeNull();
  });
});
