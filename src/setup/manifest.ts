// The committed asset manifest (public/models/manifest.json): every file set-up fetches, where from, and its hash.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type AssetKind = 'model source' | 'mask model source' | 'style preset' | 'demo clip';

export interface Asset {
  name: string;
  kind: AssetKind;
  /** Its place in the shared tree (../shared, $STYLECAST_MIRROR) and, for presets and clips, under public/. */
  path: string;
  /** The public source, or null when it has none (then only local copies and mirrors have it). */
  url: string | null;
  size: number;
  sha256: string;
  /** Where the sha256 was taken from, when that is not `url` itself (a byte-identical copy). */
  sha256From?: string;
  /**
   * Model sources: the directory the converted model goes to, under public/models/<modelSet ?? model>/; it is the
   * directory of the role (src/engine/models/roles.ts) the converter finds the model plays.
   */
  builds?: string;
  /** A model set other than the manifest's `model` (the mask models: "mediapipe-masks"). */
  modelSet?: string;
  /** Where npm installs it: set-up takes it from node_modules/<package>/<file> first (checked like any copy). */
  npm?: { package: string; version: string; file: string };
  licence: string;
  credit: string;
  /** Anything else a user should know about where it comes from. */
  note?: string;
}

export interface Manifest {
  model: string;
  presets: string[];
  assets: Asset[];
}

export const MANIFEST_PATH = join('public', 'models', 'manifest.json');

export function loadManifest(root: string): Manifest {
  return JSON.parse(readFileSync(join(root, MANIFEST_PATH), 'utf8')) as Manifest;
}
