// What the page and the engine's worker share: the settings the live API forwards (described once, here), and how
// an error crosses between them. Both sides import this module.
import * as Comlink from 'comlink';
import { fromPlain, toPlain, type PlainError } from '../engine/errors.ts';
import type { TemporalMethod, Upsample } from '../engine/constants.ts';
import type { StyleSource } from '../engine/stylizer.ts';
import type { RegionStrengths } from '../engine/regions/index.ts';

/** The live stylizer's settings: each is the Stylizer method of the same name, run in the worker. */
export interface LiveSettings {
  setStyle(style: StyleSource): Promise<void>;
  /** (1 − weight)·style + weight·other; null removes the second style. Weight 0.5 when left out. */
  mixStyles(style: StyleSource | null, weight?: number): Promise<void>;
  setStrength(strength: number): Promise<void>;
  setTemporal(alpha: number): Promise<void>;
  /** "strokes" (default: carry whole brush strokes) or "average" (blend everything; softer). */
  setTemporalMethod(method: TemporalMethod): Promise<void>;
  setSize(size: number): Promise<void>;
  /** The frame rate the governor holds by lowering the size, then the flow size, then smoothing (default 24). */
  setTargetFps(fps: number): Promise<void>;
  /** false: keep the quality fixed whatever the speed (default true). */
  setAdaptive(on: boolean): Promise<void>;
  setPreserveColour(on: boolean): Promise<void>;
  /** "guided" (default: by the full-resolution input) or "cubic". */
  setUpsample(upsample: Upsample): Promise<void>;
  /** Per-region strength (face, person, background: 0..1 of the strength) and adaptive detail. */
  setRegions(regions: Partial<RegionStrengths>, adaptiveDetail?: boolean | number): Promise<void>;
  setAdaptiveDetail(adaptiveDetail: boolean | number): Promise<void>;
}

export type SettingName = keyof LiveSettings;

/** Every setting by name, checked by the compiler to be exactly the keys of LiveSettings. */
const NAMES = {
  setStyle: 0,
  mixStyles: 0,
  setStrength: 0,
  setTemporal: 0,
  setTemporalMethod: 0,
  setSize: 0,
  setTargetFps: 0,
  setAdaptive: 0,
  setPreserveColour: 0,
  setUpsample: 0,
  setRegions: 0,
  setAdaptiveDetail: 0,
} satisfies Record<SettingName, 0>;
export const SETTINGS = Object.keys(NAMES) as SettingName[];

/** The settings, each forwarded to `call(name, args)`: the worker calls its Stylizer, the page calls the worker. */
export function forwardSettings(call: (name: SettingName, args: unknown[]) => unknown): LiveSettings {
  const out: Record<string, (...args: unknown[]) => Promise<void>> = {};
  for (const name of SETTINGS) {
    out[name] = async (...args) => {
      await call(name, args);
    };
  }
  return out as unknown as LiveSettings;
}

/**
 * Comlink's own route for a thrown value, with our errors' code kept: the side that throws sends the error's plain
 * form (code and message; anything not a StylecastError becomes WORKER_FAILED), the side that receives rethrows a
 * StylecastError. Registered on both sides, so errors keep their code in either direction; idempotent.
 */
export function installErrorTransfer(): void {
  const builtIn = Comlink.transferHandlers.get('throw');
  if (!builtIn || (builtIn as { stylecast?: true }).stylecast) return;
  const handler: Comlink.TransferHandler<{ value: unknown }, PlainError> & { stylecast: true } = {
    stylecast: true,
    canHandle: (v): v is { value: unknown } => builtIn.canHandle(v),
    serialize: (thrown) => [toPlain(thrown.value), []],
    deserialize: (plain) => {
      throw fromPlain(plain);
    },
  };
  Comlink.transferHandlers.set('throw', handler);
}
