// A local HTTP server on 127.0.0.1 serving a directory (the shared tree), with faults on demand.
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, normalize } from 'node:path';

export interface Faults {
  /** Paths (relative to the served root) served with one byte flipped. */
  corrupt?: string[];
  /** Paths whose connection is closed after half of the bytes, with the full Content-Length announced. */
  cut?: string[];
  /**
   * Paths whose first request is dropped, its connection closed without an answer: what a client sees when a server
   * closes an idle kept-alive connection just as the client reuses it.
   */
  dropFirst?: string[];
}

export interface Mirror {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

export async function startMirror(root: string, faults: Faults = {}): Promise<Mirror> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^\/+/, '');
    requests.push(path);
    if (faults.dropFirst?.includes(path) && requests.filter((r) => r === path).length === 1) {
      req.socket.destroy();
      return;
    }
    const file = join(root, path);
    if (path.startsWith('..') || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    const bytes = readFileSync(file);
    if (faults.corrupt?.includes(path)) bytes[bytes.length >> 1] ^= 0xff;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
    if (faults.cut?.includes(path)) {
      res.write(bytes.subarray(0, bytes.length >> 1), () => res.socket?.destroy());
      return;
    }
    res.end(bytes);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** A URL on 127.0.0.1 where nothing listens (a server started and closed again). */
export async function deadUrl(): Promise<string> {
  const m = await startMirror('/nonexistent');
  await m.close();
  return m.url;
}
