// Chromium's own account of its memory (memory-infra), through the browser's DevTools protocol: what each allocator
// of each process holds — malloc, PartitionAlloc's partitions (buffer, array_buffer, fast_malloc…), V8 per isolate
// (the page's and each worker's), Oilpan (blink_gc), the GPU and shared memory, media, cc, web caches… Used by
// bench:soak's --memory-infra to attribute a process's growth to an allocator.
//
// One dump = one short trace: Tracing.start with only the disabled-by-default-memory-infra category and no periodic
// triggers, Tracing.requestMemoryDump (level of detail "light" by default: each allocator's size; "detailed" adds
// per-object breakdowns; `deterministic` forces a GC first), then Tracing.end and the trace read back through IO.read. The dump events ("ph": "v") carry each process's allocators,
// sizes as hexadecimal strings; the process names come from the trace's metadata events.
import { readFileSync } from 'node:fs';
import type { CDPSession } from 'playwright-core';

/** One process's allocators in one dump: name ("malloc", "partition_alloc/partitions/buffer", …) → bytes. */
export interface ProcessDump {
  pid: number;
  /** "Browser", "Renderer", "GPU Process", … (the trace's process_name) and its labels (a renderer's page title). */
  name: string | null;
  labels: string | null;
  /** The process's totals as memory-infra sees them (resident_set_bytes, private_footprint_bytes, …). */
  totals: Record<string, number>;
  allocators: Record<string, number>;
}

interface TraceEvent {
  ph: string;
  pid: number;
  name?: string;
  args?: {
    name?: string;
    labels?: string;
    dumps?: {
      level_of_detail?: string;
      process_totals?: Record<string, string>;
      allocators?: Record<string, { attrs?: Record<string, { units?: string; value?: string | number }> }>;
    };
  };
}

const bytes = (v: string | number | undefined) => (typeof v === 'number' ? v : typeof v === 'string' ? parseInt(v, 16) : NaN);

/**
 * The dumps in a trace, per process: the allocators down to `depth` levels of their names ("a/b/c" is 3) whose size
 * is at least `minBytes` (the top level always). A process dumped twice in the trace keeps its last dump.
 */
export function parseMemoryDumps(trace: { traceEvents?: TraceEvent[] } | TraceEvent[], depth = 4, minBytes = 128 * 1024): ProcessDump[] {
  const events = Array.isArray(trace) ? trace : (trace.traceEvents ?? []);
  const names = new Map<number, string>();
  const labels = new Map<number, string>();
  for (const e of events) {
    if (e.ph !== 'M') continue;
    if (e.name === 'process_name' && e.args?.name) names.set(e.pid, e.args.name);
    if (e.name === 'process_labels' && e.args?.labels) labels.set(e.pid, e.args.labels);
  }
  const out = new Map<number, ProcessDump>();
  for (const e of events) {
    if (e.ph !== 'v' || !e.args?.dumps) continue;
    const d = e.args.dumps;
    const allocators: Record<string, number> = {};
    for (const [name, a] of Object.entries(d.allocators ?? {})) {
      const level = name.split('/').length;
      const size = bytes(a.attrs?.size?.value);
      if (!Number.isFinite(size) || level > depth || (level > 1 && size < minBytes)) continue;
      allocators[name] = size;
    }
    const totals: Record<string, number> = {};
    for (const [k, v] of Object.entries(d.process_totals ?? {})) {
      const n = bytes(v);
      if (Number.isFinite(n)) totals[k] = n;
    }
    // A process's dump may come in more than one event (one per dump provider group): merge them.
    const prev = out.get(e.pid);
    out.set(e.pid, {
      pid: e.pid,
      name: names.get(e.pid) ?? null,
      labels: labels.get(e.pid) ?? null,
      totals: { ...prev?.totals, ...totals },
      allocators: { ...prev?.allocators, ...allocators },
    });
  }
  return [...out.values()];
}

/**
 * One memory-infra dump of every process of the browser `cdp` (a browser-level session) is attached to; `complete`
 * is false when some process did not answer in time (those that did are there).
 */
export async function memoryDump(cdp: CDPSession, levelOfDetail: 'background' | 'light' | 'detailed' = 'light', deterministic = false): Promise<{ complete: boolean; processes: ProcessDump[] }> {
  const complete = new Promise<{ stream?: string }>((res) => cdp.once('Tracing.tracingComplete', res));
  await cdp.send('Tracing.start', {
    traceConfig: {
      includedCategories: ['disabled-by-default-memory-infra'],
      excludedCategories: ['*'],
      memoryDumpConfig: { triggers: [] },
    },
    transferMode: 'ReturnAsStream',
  } as never);
  let ok = false;
  try {
    // Tracing.start returns before every process is tracing: give them a moment. On a busy machine a process may not
    // answer within the coordinator's time limit: the dump then reports failure, but the trace still holds the
    // processes that answered; one more try, and each process keeps its latest dump.
    for (let attempt = 0; attempt < 2 && !ok; attempt++) {
      await new Promise((r) => setTimeout(r, 2000));
      const r = (await cdp.send('Tracing.requestMemoryDump', { deterministic, levelOfDetail } as never)) as { success: boolean };
      ok = r.success;
    }
  } finally {
    await cdp.send('Tracing.end');
  }
  const { stream } = await complete;
  if (!stream) throw new Error('memory-infra: the trace came back without a stream');
  let text = '';
  for (;;) {
    const chunk = (await cdp.send('IO.read', { handle: stream, size: 1 << 20 })) as { data: string; eof: boolean; base64Encoded?: boolean };
    text += chunk.base64Encoded ? Buffer.from(chunk.data, 'base64').toString() : chunk.data;
    if (chunk.eof) break;
  }
  await cdp.send('IO.close', { handle: stream });
  return { complete: ok, processes: parseMemoryDumps(JSON.parse(text)) };
}

/** Allocators by growth between two dumps of one process, largest first (bytes; both sizes too). */
export function dumpGrowth(a: ProcessDump, b: ProcessDump, top = 25): { allocator: string; from: number; to: number; growth: number }[] {
  const names = new Set([...Object.keys(a.allocators), ...Object.keys(b.allocators)]);
  return [...names]
    .map((n) => ({ allocator: n, from: a.allocators[n] ?? 0, to: b.allocators[n] ?? 0, growth: (b.allocators[n] ?? 0) - (a.allocators[n] ?? 0) }))
    .sort((x, y) => Math.abs(y.growth) - Math.abs(x.growth))
    .slice(0, top);
}

/**
 * A process's anonymous memory (smaps' Anonymous) by 4 GiB window of its address space, for the windows holding at
 * least `minKb`: where memory-infra cannot see a process (one that does not answer its dumps), the windows still tell
 * the owners apart — V8's pointer cage is one 4 GiB-aligned window, PartitionAlloc's pools lie in their own
 * (16 GiB-aligned) windows, a WebAssembly memory in the ~10 GiB it reserves, the rest (thread stacks, drivers, Skia,
 * glibc's heap) elsewhere. Each window: its base, the mappings in it, their span, resident anonymous KB.
 */
export function anonRegions(pid: number, minKb = 256): { start: string; mappings: number; span_mb: number; anon_kb: number }[] {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return [];
  }
  const windows = new Map<bigint, { mappings: number; span: bigint; anon: number }>();
  let current: { mappings: number; span: bigint; anon: number } | null = null;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      const name = head[3].trim();
      const [start, end] = [BigInt(`0x${head[1]}`), BigInt(`0x${head[2]}`)];
      current = null;
      if (name !== '' && !name.startsWith('[anon:') && name !== '[heap]') continue;
      const key = start >> 32n;
      const w = windows.get(key) ?? { mappings: 0, span: 0n, anon: 0 };
      w.mappings++;
      w.span += end - start;
      windows.set(key, w);
      current = w;
      continue;
    }
    const anon = /^Anonymous:\s+(\d+) kB/.exec(line);
    if (anon && current) current.anon += Number(anon[1]);
  }
  return [...windows]
    .filter(([, w]) => w.anon >= minKb)
    .map(([key, w]) => ({ start: `0x${(key << 32n).toString(16)}`, mappings: w.mappings, span_mb: Math.round((Number(w.span) / 1048576) * 10) / 10, anon_kb: w.anon }));
}

/**
 * A CDP session on a worker, through a browser-level session (Playwright gives none for workers): attached by target
 * id without flattening, messages relayed by Target.sendMessageToTarget.
 */
export async function workerSession(browserCdp: CDPSession, urlPattern: RegExp): Promise<((method: string, params?: object) => Promise<Record<string, unknown>>) | null> {
  const { targetInfos } = (await browserCdp.send('Target.getTargets')) as { targetInfos: { targetId: string; type: string; url: string }[] };
  const target = targetInfos.find((t) => t.type === 'worker' && urlPattern.test(t.url));
  if (!target) return null;
  const { sessionId } = (await browserCdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false } as never)) as { sessionId: string };
  let id = 0;
  const pending = new Map<number, (m: { result?: Record<string, unknown>; error?: { message: string } }) => void>();
  browserCdp.on('Target.receivedMessageFromTarget', (e: { sessionId: string; message: string }) => {
    if (e.sessionId !== sessionId) return;
    const m = JSON.parse(e.message) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
    if (m.id !== undefined) pending.get(m.id)?.(m);
    if (m.id !== undefined) pending.delete(m.id);
  });
  return (method, params = {}) =>
    new Promise((res, rej) => {
      const i = ++id;
      pending.set(i, (m) => (m.error ? rej(new Error(`${method}: ${m.error.message}`)) : res(m.result ?? {})));
      browserCdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: i, method, params }) } as never).catch(rej);
    });
}
