// Which GPU the CLI's Chromium runs on: a pure decision from what Chromium reported (unit-tested in
// tests/node/gpu.test.ts). browser.ts does the launching and probing.

import { isSoftwareAdapter, type AdapterInfo } from '../engine/gpu/adapter.ts';

export { isSoftwareAdapter, type AdapterInfo };

export const GPU_MODES = ['auto', 'hardware', 'software'] as const;
export type GpuMode = (typeof GPU_MODES)[number];

/** The probe's outcome: the adapter's info, or null with why there was none. */
export interface GpuProbe {
  adapter: AdapterInfo | null;
  /** Why there is no adapter (no navigator.gpu, requestAdapter threw or returned null). */
  error?: string;
}

export type GpuDecision =
  | { action: 'use'; software: boolean; adapter: string; note: string }
  | { action: 'relaunch-software'; reason: string }
  | { action: 'fail'; code: 'NO_HARDWARE_GPU'; message: string };

/** The GPU the CLI ended up on, as the Session reports it. */
export interface GpuChoice {
  mode: GpuMode;
  /** A readable name, e.g. "NVIDIA ampere (…)" or "SwiftShader". */
  adapter: string;
  software: boolean;
  /** Why this adapter, e.g. "hardware" or "software, --gpu auto found no hardware adapter". */
  note: string;
}

/** A short readable name for an adapter: "SwiftShader", else its description (or vendor and architecture). */
export function describeAdapter(info: AdapterInfo | null): string {
  if (!info) return 'no adapter';
  const text = (s: string | undefined) => (typeof s === 'string' ? s.trim() : '');
  const strings = [info.vendor, info.architecture, info.device, info.description].map(text);
  if (strings.some((s) => /swiftshader/i.test(s))) return 'SwiftShader';
  const description = text(info.description);
  const vendorArch = [text(info.vendor), text(info.architecture)].filter(Boolean).join(' ');
  if (description) return vendorArch ? `${description} [${vendorArch}]` : description;
  if (vendorArch) return vendorArch;
  return info.isFallbackAdapter ? 'a fallback adapter' : 'an unnamed adapter';
}

/** `--gpu` or `$STYLECAST_GPU` (the flag wins); undefined or '' means auto. Returns null for an unknown value. */
export function parseGpuMode(value: string | undefined): GpuMode | null {
  if (value === undefined || value === '') return 'auto';
  return (GPU_MODES as readonly string[]).includes(value) ? (value as GpuMode) : null;
}

/**
 * What to do after probing Chromium launched with the hardware-GPU flags (`probe`), or, for `software`, with no probe
 * at all (`probe` is ignored: SwiftShader is launched directly).
 */
export function decideGpu(mode: GpuMode, probe: GpuProbe | null): GpuDecision {
  if (mode === 'software') return { action: 'use', software: true, adapter: 'SwiftShader', note: 'software, --gpu software' };
  const info = probe?.adapter ?? null;
  if (info && !isSoftwareAdapter(info)) return { action: 'use', software: false, adapter: describeAdapter(info), note: 'hardware' };
  const offered = info ? `${describeAdapter(info)}${info.isFallbackAdapter ? ', a fallback adapter' : ''}` : `no adapter${probe?.error ? `: ${probe.error}` : ''}`;
  if (mode === 'hardware') {
    return {
      action: 'fail',
      code: 'NO_HARDWARE_GPU',
      message: `--gpu hardware: Chromium found no hardware GPU adapter here (it offered: ${offered}); use --gpu auto or software.`,
    };
  }
  return { action: 'relaunch-software', reason: info ? `the only adapter was ${offered}` : offered };
}

/** Thrown by openSession for `--gpu hardware` without a hardware adapter. */
export class GpuUnavailableError extends Error {
  readonly code = 'NO_HARDWARE_GPU';
}
