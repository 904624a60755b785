// Getting one asset: a local directory, then ../shared, then a download from $STYLECAST_MIRROR or its public URL,
// always checked against the manifest's size and sha256. Failures are one line that says what to do.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Asset } from './manifest.ts';

export interface Sources {
  /** Directories laid out like ../shared/models and ../shared/media, in the order to try them. */
  modelsDirs: string[];
  mediaDirs: string[];
  /** Base URL serving the ../shared tree, or null. */
  mirror: string | null;
  /** The project's node_modules (assets that ship in npm packages), or null. */
  nodeModules?: string | null;
  /** How the user can point set-up elsewhere, for error messages. */
  env: { STYLECAST_MODELS_DIR?: string; STYLECAST_MEDIA_DIR?: string; STYLECAST_MIRROR?: string };
}

const DOWNLOAD_TIMEOUT_MS = 120_000;

export class AssetError extends Error {}

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const kB = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.round(n / 1e3)} kB`);

/** Why `bytes` is not the asset, or null when it is. */
export function mismatch(asset: Asset, bytes: Uint8Array): string | null {
  if (bytes.length !== asset.size) return `${bytes.length} bytes instead of ${asset.size}`;
  const got = sha256(bytes);
  return got === asset.sha256 ? null : `sha256 ${got} instead of ${asset.sha256}`;
}

/** "models" or "media": which tree the asset's path is in. */
const rootOf = (a: Asset) => a.path.split('/')[0];
/** Its path inside that tree. */
const rest = (a: Asset) => a.path.split('/').slice(1).join('/');

function localCandidates(asset: Asset, s: Sources): string[] {
  const dirs = rootOf(asset) === 'models' ? s.modelsDirs : s.mediaDirs;
  return dirs.map((d) => join(d, rest(asset)));
}

function downloadUrl(asset: Asset, s: Sources): string | null {
  return s.mirror ? `${s.mirror.replace(/\/+$/, '')}/${asset.path}` : asset.url;
}

/** The manual alternative and the env vars, appended to every failure. */
function howToFix(asset: Asset, s: Sources): string {
  const envName = rootOf(asset) === 'models' ? 'STYLECAST_MODELS_DIR' : 'STYLECAST_MEDIA_DIR';
  const shown = (k: keyof Sources['env']) => `${k} (now ${s.env[k] ? `"${s.env[k]}"` : 'unset'})`;
  const manual = asset.url ? `download ${asset.url} yourself and save it as ` : 'put a copy at ';
  const npm = asset.npm ? `run "npm ci" (it installs ${asset.npm.package}@${asset.npm.version}, which holds ${asset.npm.file}), or ` : '';
  return (
    `To fix: ${npm}set ${shown('STYLECAST_MIRROR')} to a base URL serving the ../shared tree, or ${shown(envName)} to a directory laid out ` +
    `like ../shared/${rootOf(asset)}, or ${manual}$${envName}/${rest(asset)}; then run "npm run setup".`
  );
}

function failure(asset: Asset, s: Sources, from: string, reason: string): AssetError {
  return new AssetError(`cannot get ${asset.kind} "${asset.name}" from ${from}: ${reason}. ${howToFix(asset, s)}`);
}

/** Whether set-up can look for the asset anywhere: a public URL, a mirror, or a local copy. */
export function obtainable(asset: Asset, s: Sources): boolean {
  return !!downloadUrl(asset, s) || localCandidates(asset, s).some((f) => existsSync(f));
}

/** The asset's bytes from the first local directory that has it, or null. A local copy that differs is an error. */
export function fromLocal(asset: Asset, s: Sources): Uint8Array | null {
  for (const file of localCandidates(asset, s)) {
    if (!existsSync(file)) continue;
    const bytes = readFileSync(file);
    const why = mismatch(asset, bytes);
    if (why) throw failure(asset, s, file, `the file does not match the manifest (${why})`);
    return bytes;
  }
  return null;
}

/**
 * The asset's bytes from the npm package that ships it (node_modules/<package>/<file>), or null when that package is
 * not installed. Another version of the package, or a file that differs, is an error.
 */
export function fromNpm(asset: Asset, s: Sources): Uint8Array | null {
  if (!asset.npm || !s.nodeModules) return null;
  const dir = join(s.nodeModules, ...asset.npm.package.split('/'));
  const file = join(dir, asset.npm.file);
  if (!existsSync(file)) return null;
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version;
  if (version !== asset.npm.version) throw failure(asset, s, file, `${asset.npm.package} ${version} is installed, the manifest wants ${asset.npm.version}`);
  const bytes = readFileSync(file);
  const why = mismatch(asset, bytes);
  if (why) throw failure(asset, s, file, `the file does not match the manifest (${why})`);
  return bytes;
}

/** Origins that already failed at the network level: later downloads from them are not retried. */
const unreachable = new Map<string, string>();

/** Downloads the asset (from the mirror when set) and checks it; nothing is kept unless it verifies. */
export async function download(asset: Asset, s: Sources, log: (line: string) => void): Promise<Uint8Array> {
  const url = downloadUrl(asset, s);
  if (!url) throw failure(asset, s, 'nowhere', 'it has no public source and $STYLECAST_MIRROR is unset');
  const origin = new URL(url).origin;
  const known = unreachable.get(origin);
  if (known) throw failure(asset, s, url, known);
  log(`downloading ${asset.kind} "${asset.name}" (${kB(asset.size)}) from ${url}`);
  let response: Response;
  try {
    response = await fetchReconnecting(url);
  } catch (e) {
    const reason = `${origin} is unreachable (${networkReason(e)}; offline?)`;
    unreachable.set(origin, reason);
    throw failure(asset, s, url, reason);
  }
  if (!response.ok || !response.body) throw failure(asset, s, url, `HTTP ${response.status} ${response.statusText}`.trim());
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = response.body.getReader();
  try {
    for (let r = await reader.read(); !r.done && received <= asset.size; r = await reader.read()) {
      chunks.push(r.value);
      received += r.value.length;
    }
  } catch (e) {
    throw failure(asset, s, url, `the connection broke off after ${received} of ${asset.size} bytes (${networkReason(e)})`);
  }
  await reader.cancel().catch(() => {});
  const bytes = Buffer.concat(chunks);
  const why = mismatch(asset, bytes);
  if (why) {
    const changed = asset.sha256From && !s.mirror
      ? `: the file at ${url} differs from the byte-identical copy its sha256 was taken from (${asset.sha256From}), so the publisher has changed it`
      : '';
    throw failure(asset, s, url, `the download does not match the manifest (${why})${changed}; it was not installed`);
  }
  return bytes;
}

/** Socket errors of a kept-alive connection the server closed just as it was reused: a new connection may well work. */
const CLOSED_UNDER_US = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

/**
 * fetch, asked again once on a fresh connection when the first attempt's socket was closed under it (a server closes
 * an idle kept-alive connection at its own timeout — Node's after 5 s — while set-up spent that long converting, and
 * the next request raced it). A timeout or a refused connection is not asked again: the origin is down or stalling.
 */
async function fetchReconnecting(url: string): Promise<Response> {
  try {
    return await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
  } catch (e) {
    if (!CLOSED_UNDER_US.has((e as { cause?: { code?: string } })?.cause?.code ?? '')) throw e;
    return await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
  }
}

function networkReason(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError') return `no answer within ${DOWNLOAD_TIMEOUT_MS / 1000} s`;
  return err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e);
}
