// The committed asset manifest (public/models/manifest.json): every file set-up fetches, where from, and its hash.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type AssetKind = 'model source' | 'style preset' | 'demo clip';

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
  /** Model sources: the directory under public/models/<model>/ that the converted model goes to. */
  builds?: 'style-predictor' | 'style-transformer';
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
