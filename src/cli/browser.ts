// Starts the engine's page in headless Chromium (playwright-core) behind a local Vite server.
import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { IO_PREFIX } from './protocol.ts';

/** Flags measured to give headless Chromium a working WebGPU + WebCodecs here (see ENVIRONMENT.md). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-angle=swiftshader',
];

export function chromiumPath(): string {
  const path = process.env.STYLECAST_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(`Chromium not found at ${path}: install it (apt-get install chromium) or set STYLECAST_CHROMIUM.`);
  }
  return path;
}

/** The local file behind `name`: a served file, or a file inside a served directory (never outside it). */
function servedPath(files: Record<string, string>, name: string): string | null {
  if (files[name] && statSync(files[name]).isFile()) return files[name];
  const slash = name.indexOf('/');
  const dir = slash > 0 ? files[name.slice(0, slash)] : undefined;
  if (!dir || !statSync(dir).isDirectory()) return null;
  const path = resolve(dir, name.slice(slash + 1));
  return path.startsWith(dir + sep) && existsSync(path) && statSync(path).isFile() ? path : null;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createNetServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

export interface Session {
  page: Page;
  /** Where the page's PUT of "output" was written, once it has been. */
  received(name: string): string | null;
  close(): Promise<void>;
}

/**
 * `files` maps names the page may GET under IO_PREFIX to local paths (a directory serves the files beneath it as
 * `name/...`); anything the page PUTs there is written into a private temporary directory.
 */
export async function openSession(
  root: string,
  files: Record<string, string>,
  pagePath = '/cli.html',
  ready = "typeof window.stylecastRun === 'function'",
  /** More Chromium flags after CHROMIUM_ARGS (e.g. a fake camera for the app's tests). */
  extraArgs: string[] = [],
): Promise<Session> {
  const executablePath = chromiumPath();
  const uploads = mkdtempSync(join(tmpdir(), 'stylecast-'));
  const received = new Map<string, string>();
  const io = async (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const name = decodeURIComponent((req.url ?? '').split('?')[0].slice(1));
    try {
      const path = req.method === 'GET' ? servedPath(files, name) : null;
      if (path) {
        res.setHeader('Content-Type', name.endsWith('.json') ? 'application/json' : 'application/octet-stream');
        res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
        await pipeline(createReadStream(path), res);
      } else if (req.method === 'PUT' && /^[a-z]+$/.test(name)) {
        const path = join(uploads, name);
        await pipeline(req, createWriteStream(path));
        received.set(name, path);
        res.end('ok');
      } else {
        next();
      }
    } catch (e) {
      res.statusCode = 500;
      res.end(String(e));
    }
  };
  const port = await freePort();
  let server: ViteDevServer | null = null;
  let browser: Browser | null = null;
  try {
    server = await createServer({
      root,
      configFile: join(root, 'vite.config.ts'),
      logLevel: 'error',
      clearScreen: false,
      server: { host: '127.0.0.1', port, strictPort: true, hmr: false, watch: null },
      plugins: [{ name: 'stylecast-cli-io', configureServer: (s) => void s.middlewares.use(IO_PREFIX, io) }],
    });
    await server.listen();
    browser = await chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
    const context: BrowserContext = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${port}${pagePath}`);
    await page.waitForFunction(ready, null, { timeout: 120_000 });
    const b = browser;
    const s = server;
    return {
      page,
      received: (name) => received.get(name) ?? null,
      close: async () => {
        await b.close().catch(() => {});
        await s.close().catch(() => {});
        rmSync(uploads, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
    rmSync(uploads, { recursive: true, force: true });
    throw e;
  }
}
