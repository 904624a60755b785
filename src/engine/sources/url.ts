// A clip read over HTTP by ranged requests (Mediabunny's UrlSource) instead of whole into memory: what the CLI's page
// does with a file of any size that its local server serves.
import { UrlSource } from 'mediabunny';
import { StylecastError } from '../errors.ts';

/** At most this much of a URL's bytes is cached in the page (Mediabunny's default is 64 MiB). */
export const URL_CACHE_BYTES = 32 * 1024 * 1024;

/**
 * A Mediabunny source for `url`: ranged requests (`Range: bytes=N-`, each read as far as it is needed), a bounded cache.
 * A request that fails is retried twice, then the read fails (Mediabunny's default retries for ever).
 */
export const urlSource = (url: URL) =>
  new UrlSource(url, { maxCacheSize: URL_CACHE_BYTES, getRetryDelay: (attempts) => (attempts < 3 ? 0.5 * attempts : null) });

/**
 * The first `bytes` of `url` (fewer when it is shorter), by a range request; a server that ignores the range is read
 * only that far. EMPTY_INPUT for an empty resource, UNREADABLE_INPUT when it cannot be fetched.
 */
export async function urlHead(url: URL, bytes = 16): Promise<Blob> {
  let r: Response;
  try {
    r = await fetch(url, { headers: { Range: `bytes=0-${bytes - 1}` } });
  } catch (e) {
    throw new StylecastError('UNREADABLE_INPUT', `The input ${url.href} could not be fetched (${e instanceof Error ? e.message : String(e)}).`, { cause: e });
  }
  // A range that starts at 0 is unsatisfiable only when there is no byte at all.
  if (r.status === 416) throw new StylecastError('EMPTY_INPUT', 'The input file is empty (0 bytes).');
  if (!r.ok || !r.body) throw new StylecastError('UNREADABLE_INPUT', `The input ${url.href} could not be read (HTTP ${r.status}).`);
  const parts: Uint8Array[] = [];
  let got = 0;
  const reader = r.body.getReader();
  while (got < bytes) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    got += value.byteLength;
  }
  await reader.cancel().catch(() => {});
  if (got === 0) throw new StylecastError('EMPTY_INPUT', 'The input file is empty (0 bytes).');
  return new Blob(parts as BlobPart[]).slice(0, bytes);
}

/** The whole resource as a Blob (for inputs read whole: animated images). */
export async function urlBlob(url: URL): Promise<Blob> {
  const r = await fetch(url).catch((e: unknown) => {
    throw new StylecastError('UNREADABLE_INPUT', `The input ${url.href} could not be fetched (${e instanceof Error ? e.message : String(e)}).`, { cause: e });
  });
  if (!r.ok) throw new StylecastError('UNREADABLE_INPUT', `The input ${url.href} could not be read (HTTP ${r.status}).`);
  return r.blob();
}
