// The stylecast web app: a plain-DOM user of the engine's public API.
import { DEFAULT_TEMPORAL, createStylizer, isStylecastError, type Progress, type StyleSource, type Stylizer } from '../engine/index.ts';

// The short WebM cut when set-up had a local copy; else the full clip set-up downloads from its public source.
const DEMO_URLS = ['/media/video/pexels-854100-people-walking-sidewalk-640x360-6s.webm', '/media/video/pexels-854100-people-walking-sidewalk-960x540.mp4'];
const DEMO_MISSING = 'The demo clip is not installed: run `npm run setup`';

/** Start-up settings, overridable in the URL: ?style=udnie&strength=0.8&size=128&temporal=0.5 */
const params = new URLSearchParams(location.search);
const numberParam = (name: string, fallback: number, min: number, max: number): number => {
  const v = Number(params.get(name));
  return params.has(name) && Number.isFinite(v) && v >= min && v <= max ? v : fallback;
};
const INITIAL_STYLE = params.get('style') ?? 'starry_night';
const INITIAL_SIZE = numberParam('size', 192, 16, 2048);
const INITIAL_STRENGTH = numberParam('strength', 1, 0, 1);
const INITIAL_TEMPORAL = numberParam('temporal', DEFAULT_TEMPORAL, 0, 1);
/** ?models=<url>: a model directory of one's own (style-predictor/, style-transformer/). */
const MODEL_DIR = params.get('models') ?? undefined;

type PageState = 'loading' | 'working' | 'done' | 'error' | 'cancelled';
type StyleChoice = { kind: 'preset'; name: string } | { kind: 'image'; file: File; url: string };
interface Clip {
  blob: Blob;
  name: string;
}

// ---------- elements ----------

function $<T extends HTMLElement>(id: string, type: new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`The page is missing #${id}.`);
  return el;
}

const ui = {
  backend: $('backend', HTMLElement),
  error: $('error', HTMLDivElement),
  notice: $('notice', HTMLDivElement),
  gallery: $('gallery', HTMLDivElement),
  styleFile: $('style-file', HTMLInputElement),
  strength: $('strength', HTMLInputElement),
  strengthOut: $('strength-out', HTMLOutputElement),
  mixOn: $('mix-on', HTMLInputElement),
  mixStyle: $('mix-style', HTMLSelectElement),
  mixWeight: $('mix-weight', HTMLInputElement),
  mixWeightOut: $('mix-weight-out', HTMLOutputElement),
  size: $('size', HTMLSelectElement),
  temporal: $('temporal', HTMLInputElement),
  temporalOut: $('temporal-out', HTMLOutputElement),
  smoothing: $('smoothing', HTMLParagraphElement),
  drop: $('drop', HTMLDivElement),
  clipFile: $('clip-file', HTMLInputElement),
  clipName: $('clip-name', HTMLParagraphElement),
  run: $('run', HTMLButtonElement),
  cancel: $('cancel', HTMLButtonElement),
  progress: $('progress', HTMLProgressElement),
  progressText: $('progress-text', HTMLParagraphElement),
  original: $('original', HTMLVideoElement),
  result: $('result', HTMLVideoElement),
  download: $('download', HTMLAnchorElement),
  resultInfo: $('result-info', HTMLParagraphElement),
};

/** Every control that is locked while a job runs (Cancel is handled on its own). */
const lockable = (): (HTMLInputElement | HTMLSelectElement | HTMLButtonElement)[] => [
  ui.styleFile,
  ui.strength,
  ui.mixOn,
  ui.mixStyle,
  ui.mixWeight,
  ui.size,
  ui.temporal,
  ui.clipFile,
  ui.run,
  ...ui.gallery.querySelectorAll('button'),
];

// ---------- state ----------

let stylizer: Stylizer | null = null;
let starting: Promise<Stylizer> | null = null;
let clip: Clip | null = null;
let style: StyleChoice = { kind: 'preset', name: INITIAL_STYLE };
let busy = false;
let job: AbortController | null = null;
let originalUrl: string | null = null;
let resultUrl: string | null = null;

function setState(state: PageState): void {
  document.body.dataset.state = state;
}

// ---------- messages ----------

function showError(e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  ui.error.textContent = message || 'Something went wrong.';
  if (isStylecastError(e)) ui.error.dataset.code = e.code;
  else delete ui.error.dataset.code;
  ui.error.hidden = false;
  console.error(e);
}

function clearError(): void {
  ui.error.hidden = true;
  ui.error.textContent = '';
  delete ui.error.dataset.code;
}

function showNotice(text: string): void {
  ui.notice.textContent = text;
  ui.notice.hidden = !text;
}

/** Shows a failure and leaves the page ready for the next try. */
function fail(e: unknown): void {
  showError(e);
  setState('error');
}

// ---------- formatting ----------

const pretty = (name: string): string => name.replaceAll('_', ' ').replace(/^./, (c) => c.toUpperCase());

function seconds(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

function baseName(name: string): string {
  const dot = name.lastIndexOf('.');
  return (dot > 0 ? name.slice(0, dot) : name) || 'clip';
}

function showProgress(p: Progress): void {
  ui.progress.max = Math.max(1, p.framesTotal);
  ui.progress.value = p.framesDone;
  const fps = p.elapsedMs > 0 ? (p.framesDone * 1000) / p.elapsedMs : 0;
  const eta = p.etaMs === null ? 'ETA …' : `ETA ${seconds(p.etaMs)}`;
  ui.progressText.textContent = `${p.framesDone} / ${p.framesTotal} frames · ${fps.toFixed(1)} fps · ${eta}`;
}

// ---------- controls ----------

function setBusy(on: boolean): void {
  busy = on;
  for (const el of lockable()) el.disabled = on;
  if (!on) {
    // Re-apply the rules that hold when idle.
    ui.mixStyle.disabled = ui.mixWeight.disabled = !ui.mixOn.checked;
  }
  ui.cancel.disabled = !on || !job;
  ui.drop.classList.toggle('disabled', on);
  ui.drop.setAttribute('aria-disabled', String(on));
}

function markSelected(): void {
  for (const b of ui.gallery.querySelectorAll<HTMLButtonElement>('button.tile')) {
    const selected =
      (style.kind === 'preset' && b.dataset.preset === style.name) || (style.kind === 'image' && b.dataset.custom === 'true');
    b.setAttribute('aria-pressed', String(selected));
  }
}

function tile(label: string, imageUrl: string, onPick: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'tile';
  b.title = label;
  b.setAttribute('aria-label', label);
  b.setAttribute('aria-pressed', 'false');
  const img = document.createElement('img');
  img.src = imageUrl;
  img.alt = '';
  img.loading = 'lazy';
  img.decoding = 'async';
  // A thumbnail that fails to load leaves a plain swatch rather than a broken-image icon.
  img.addEventListener(
    'error',
    () => {
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      img.replaceWith(swatch);
    },
    { once: true },
  );
  const caption = document.createElement('span');
  caption.textContent = label;
  b.append(img, caption);
  b.addEventListener('click', onPick);
  b.disabled = busy;
  return b;
}

function buildGallery(s: Stylizer): void {
  const tiles = s.presets.map((name) => {
    const b = tile(pretty(name), s.presetImageUrl(name), () => {
      style = { kind: 'preset', name };
      markSelected();
    });
    b.dataset.preset = name;
    return b;
  });
  ui.gallery.replaceChildren(...tiles);
  if (style.kind === 'image') addCustomTile(style);
  markSelected();

  ui.mixStyle.replaceChildren(
    ...s.presets.map((name) => {
      const o = document.createElement('option');
      o.value = name;
      o.textContent = pretty(name);
      return o;
    }),
  );
  ui.mixStyle.value = s.presets.includes('the_scream') ? 'the_scream' : (s.presets.find((n) => n !== INITIAL_STYLE) ?? '');
}

function addCustomTile(choice: Extract<StyleChoice, { kind: 'image' }>): void {
  ui.gallery.querySelector('button[data-custom]')?.remove();
  const b = tile(`My image: ${choice.file.name}`, choice.url, () => {
    style = choice;
    markSelected();
  });
  b.dataset.custom = 'true';
  ui.gallery.prepend(b);
}

// ---------- engine ----------

function describeBackend(s: Stylizer): void {
  ui.backend.textContent = `Backend: ${s.backend.name} — ${s.backend.reason}`;
  ui.backend.dataset.backend = s.backend.name;
  ui.smoothing.textContent = `Smoothing runs ${s.smoothing.detail}.`;
  if (!s.smoothing.device) ui.temporal.disabled = true;
}

/** The stylizer, created on first use; a failed start can be retried with the Stylise button. */
async function ensureStylizer(): Promise<Stylizer> {
  if (stylizer) return stylizer;
  starting ??= createStylizer({ style: INITIAL_STYLE, size: INITIAL_SIZE, strength: INITIAL_STRENGTH, temporal: INITIAL_TEMPORAL, modelDir: MODEL_DIR });
  try {
    stylizer = await starting;
  } catch (e) {
    ui.backend.textContent = 'The engine could not start.';
    throw e;
  } finally {
    starting = null;
  }
  describeBackend(stylizer);
  buildGallery(stylizer);
  return stylizer;
}

/** Pushes the current control values into the stylizer. */
async function applySettings(s: Stylizer): Promise<void> {
  const source: StyleSource = style.kind === 'preset' ? style.name : style.file;
  await s.setStyle(source);
  if (ui.mixOn.checked && ui.mixStyle.value) await s.mixStyles(ui.mixStyle.value, Number(ui.mixWeight.value));
  else await s.mixStyles(null);
  s.setStrength(Number(ui.strength.value));
  s.setSize(Number(ui.size.value));
  s.setTemporal(Number(ui.temporal.value));
}

function useClip(next: Clip): void {
  clip = next;
  if (originalUrl) URL.revokeObjectURL(originalUrl);
  originalUrl = URL.createObjectURL(next.blob);
  ui.original.src = originalUrl;
  ui.clipName.textContent = `Clip: ${next.name} (${(next.blob.size / 1e6).toFixed(1)} MB)`;
}

function showResult(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  if (resultUrl) URL.revokeObjectURL(resultUrl);
  resultUrl = url;
  ui.result.src = url;
  void ui.result.play().catch(() => {});
  ui.download.href = url;
  ui.download.download = `${baseName(name)}-stylised.mp4`;
  ui.download.hidden = false;
  document.body.dataset.result = url;
}

async function stylise(): Promise<void> {
  if (busy) return;
  clearError();
  showNotice('');
  if (!clip) {
    showError(new Error('Choose a clip first: upload one or drop it on the page.'));
    setState('error');
    return;
  }
  const input = clip;
  setBusy(true);
  setState('loading');
  ui.progress.removeAttribute('value');
  ui.progressText.textContent = 'Preparing…';
  try {
    const s = await ensureStylizer();
    await applySettings(s);
    job = new AbortController();
    ui.cancel.disabled = false;
    setState('working');
    ui.progress.value = 0;
    ui.progressText.textContent = 'Opening the clip…';
    const r = await s.stylizeFile(input.blob, { signal: job.signal, onProgress: showProgress });
    showResult(r.blob, input.name);
    ui.progress.max = 1;
    ui.progress.value = 1;
    const fps = r.elapsedMs > 0 ? (r.frames * 1000) / r.elapsedMs : 0;
    ui.progressText.textContent = `Done: ${r.frames} frames in ${seconds(r.elapsedMs)} (${fps.toFixed(1)} fps).`;
    ui.resultInfo.textContent =
      `${r.width}×${r.height} ${r.codec.toUpperCase()} MP4, styled at ${r.inferWidth}×${r.inferHeight} on ${r.backend}` +
      `${r.hasAudio ? ', audio kept' : ''} · ${(r.blob.size / 1e6).toFixed(2)} MB`;
    setState('done');
  } catch (e) {
    ui.progress.value = 0;
    if ((isStylecastError(e) && e.code === 'CANCELLED') || job?.signal.aborted) {
      ui.progressText.textContent = 'Cancelled.';
      showNotice('Cancelled.');
      setState('cancelled');
    } else {
      ui.progressText.textContent = 'Stopped.';
      fail(e);
    }
  } finally {
    job = null;
    setBusy(false);
  }
}

// ---------- inputs ----------

function takeClip(file: File | undefined): void {
  if (!file || busy) return;
  useClip({ blob: file, name: file.name });
  void stylise();
}

ui.clipFile.addEventListener('change', () => {
  takeClip(ui.clipFile.files?.[0]);
  ui.clipFile.value = '';
});

ui.drop.addEventListener('dragover', (ev) => {
  ev.preventDefault();
  if (ev.dataTransfer) ev.dataTransfer.dropEffect = busy ? 'none' : 'copy';
  ui.drop.classList.add('over');
});
ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('over'));
ui.drop.addEventListener('drop', (ev) => {
  ev.preventDefault();
  ui.drop.classList.remove('over');
  takeClip(ev.dataTransfer?.files[0]);
});
// A file dropped anywhere else must not navigate away from the page.
window.addEventListener('dragover', (ev) => ev.preventDefault());
window.addEventListener('drop', (ev) => ev.preventDefault());

ui.styleFile.addEventListener('change', async () => {
  const file = ui.styleFile.files?.[0];
  ui.styleFile.value = '';
  if (!file || busy) return;
  clearError();
  const choice: StyleChoice = { kind: 'image', file, url: URL.createObjectURL(file) };
  // Decode it now so a bad image is reported at once, not at the next run.
  setBusy(true);
  try {
    if (stylizer) await stylizer.setStyle(file);
    if (style.kind === 'image') URL.revokeObjectURL(style.url);
    style = choice;
    addCustomTile(choice);
    markSelected();
  } catch (e) {
    URL.revokeObjectURL(choice.url);
    fail(e);
  } finally {
    setBusy(false);
  }
});

ui.strength.addEventListener('input', () => (ui.strengthOut.value = Number(ui.strength.value).toFixed(2)));
ui.temporal.addEventListener('input', () => (ui.temporalOut.value = Number(ui.temporal.value).toFixed(2)));

/** The controls start from the URL's settings (or the defaults). */
function initControls(): void {
  ui.strength.value = String(INITIAL_STRENGTH);
  ui.strengthOut.value = INITIAL_STRENGTH.toFixed(2);
  ui.temporal.value = String(INITIAL_TEMPORAL);
  ui.temporalOut.value = INITIAL_TEMPORAL.toFixed(2);
  const size = String(Math.round(INITIAL_SIZE / 4) * 4);
  if (![...ui.size.options].some((o) => o.value === size)) ui.size.add(new Option(`${size} px`, size));
  ui.size.value = size;
}
initControls();
ui.mixWeight.addEventListener('input', () => (ui.mixWeightOut.value = Number(ui.mixWeight.value).toFixed(2)));
ui.mixOn.addEventListener('change', () => (ui.mixStyle.disabled = ui.mixWeight.disabled = !ui.mixOn.checked));
ui.run.addEventListener('click', () => void stylise());
ui.cancel.addEventListener('click', () => {
  job?.abort();
  ui.cancel.disabled = true;
  ui.progressText.textContent = 'Cancelling…';
});

// ---------- start-up ----------

async function loadDemo(): Promise<Clip | null> {
  for (const url of DEMO_URLS) {
    try {
      const r = await fetch(url);
      // Vite answers unknown paths with index.html, so check the type as well as the status.
      const type = r.headers.get('content-type') ?? '';
      if (!r.ok || type.includes('text/html')) continue;
      const blob = await r.blob();
      if (blob.size > 0) return { blob, name: url.slice(url.lastIndexOf('/') + 1) };
    } catch {
      // try the next one
    }
  }
  return null;
}

async function start(): Promise<void> {
  setState('loading');
  setBusy(true);
  ui.cancel.disabled = true;
  ui.progressText.textContent = 'Loading the style model…';
  const [engine, demo] = await Promise.allSettled([ensureStylizer(), loadDemo()]);
  setBusy(false);
  const demoClip = demo.status === 'fulfilled' ? demo.value : null;
  if (demoClip) useClip(demoClip);
  if (engine.status === 'rejected') {
    ui.progressText.textContent = 'Idle.';
    const hint = document.createElement('p');
    hint.className = 'muted';
    hint.textContent = 'Styles appear once the engine starts.';
    ui.gallery.replaceChildren(hint);
    fail(engine.reason);
    return;
  }
  if (!demoClip) {
    ui.progressText.textContent = 'Idle: upload a clip to stylise it.';
    fail(new Error(DEMO_MISSING));
    return;
  }
  await stylise();
}

void start();
