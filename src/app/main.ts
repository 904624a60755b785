// The stylecast web app: a plain-DOM user of the engine's public API. One engine, in a worker (createLiveStylizer):
// the live preview (demo clip or webcam) and clip conversion both go through it.
import {
  DEFAULT_TEMPORAL,
  DEFAULT_TARGET_FPS,
  DEFAULT_TEMPORAL_METHOD,
  MAX_SIZE,
  MIN_SIZE,
  createLiveStylizer,
  StylecastError,
  isStylecastError,
  openCamera,
  type ErrorCode,
  type LiveStats,
  type LiveStylizer,
  type Progress,
  type TemporalMethod,
} from '../engine/index.ts';
import { DEFAULT_UPSAMPLE, type Upsample } from '../engine/index.ts';

// Start-up milestones as User Timing marks (ms since navigation start), read by the first-frame benchmark (npm run
// bench, (f)) and visible in the browser's performance panel.
performance.mark('app:module');

// The short WebM cut when set-up had a local copy; else the full clip set-up downloads from its public source.
const DEMO_URLS = ['/media/video/pexels-854100-people-walking-sidewalk-640x360-6s.webm', '/media/video/pexels-854100-people-walking-sidewalk-960x540.mp4'];
const DEMO_MISSING = 'The demo clip is not installed (run `npm run setup`): use your webcam, or stylise a clip of your own.';
/** Where set-up installs the preset images (the engine's default models URL). */
const FALLBACK_STYLE = 'starry_night';

// ---------- settings from the URL ----------
// ?source=demo|webcam&style=starry_night&strength=0.8&temporal=0.5&method=strokes|average&size=128&fps=24&adaptive=0&colour=keep&upsample=guided|cubic&ui=none&overlay=1&models=<url>

const params = new URLSearchParams(location.search);
/** A URL setting that could not be used: reported (console, `data-error` on <body>, a notice) and replaced by the default. */
interface ParamProblem {
  code: ErrorCode;
  message: string;
}
const paramProblems: ParamProblem[] = [];
const numberParam = (name: string, fallback: number, min: number, max: number): number => {
  if (!params.has(name)) return fallback;
  const raw = params.get(name) ?? '';
  const v = Number(raw);
  if (raw.trim() !== '' && Number.isFinite(v) && v >= min && v <= max) return v;
  paramProblems.push({ code: 'INVALID_ARGUMENT', message: `${name}=${raw} is not a number from ${min} to ${max}: using ${fallback}.` });
  return fallback;
};
/** One of a few words (`names`: the parameter and its aliases); `fallbackLabel` says what is used instead. */
const choiceParam = <V>(names: string[], choices: Record<string, V>, fallback: V, fallbackLabel = String(fallback)): V => {
  const name = names.find((n) => params.has(n));
  if (name === undefined) return fallback;
  const raw = params.get(name) ?? '';
  if (Object.hasOwn(choices, raw)) return choices[raw];
  paramProblems.push({ code: 'INVALID_ARGUMENT', message: `${name}=${raw} is not one of ${Object.keys(choices).join(', ')}: using ${fallbackLabel}.` });
  return fallback;
};
const INITIAL_SOURCE: Source = choiceParam(['source'], { demo: 'demo', webcam: 'webcam' }, 'demo');
const INITIAL_STYLE = params.get('style') || FALLBACK_STYLE;
const INITIAL_SIZE = Math.round(numberParam('size', 192, MIN_SIZE, MAX_SIZE) / 4) * 4;
const INITIAL_STRENGTH = numberParam('strength', 1, 0, 1);
// Per-region strength (?face=&person=&background=, 0..1 of the strength) and adaptive detail (?detail=1; `adaptive=`
// is the governor's).
const INITIAL_REGIONS = { face: numberParam('face', 1, 0, 1), person: numberParam('person', 1, 0, 1), background: numberParam('background', 1, 0, 1) };
const INITIAL_DETAIL = params.get('detail') === '1';
const REGION_PRESETS: Record<string, { face: number; person: number; background: number }> = {
  all: { face: 1, person: 1, background: 1 },
  faces: { face: 0.3, person: 1, background: 1 },
  person: { face: 1, person: 1, background: 0 },
  background: { face: 0, person: 0, background: 1 },
};
const INITIAL_TEMPORAL = numberParam('temporal', DEFAULT_TEMPORAL, 0, 1);
const INITIAL_METHOD: TemporalMethod = choiceParam(['method'], { strokes: 'strokes', average: 'average' }, DEFAULT_TEMPORAL_METHOD);
const INITIAL_UPSAMPLE: Upsample = choiceParam(['upsample'], { guided: 'guided', cubic: 'cubic' } as const, DEFAULT_UPSAMPLE);
const INITIAL_TARGET_FPS = numberParam('fps', DEFAULT_TARGET_FPS, 1, 240);
const INITIAL_ADAPTIVE = choiceParam(['adaptive'], { '1': true, true: true, '0': false, false: false }, true, '1 (hold the target)');
const INITIAL_PRESERVE = choiceParam(['colour', 'color'], { keep: true, preserve: true, '1': true, true: true, '0': false, false: false }, false, 'the style’s colours');
/** ?ui=none: embed mode (OBS browser source, iframe): the stylised video alone, filling the page. */
const EMBED = choiceParam(['ui'], { none: true, full: false }, false, 'the full page');
const OVERLAY = choiceParam(['overlay'], { '1': true, '0': false }, !EMBED, EMBED ? '0' : '1');
/** ?record=webm: record WebM even where MP4 can be recorded (default: MP4 where MediaRecorder makes it). */
const RECORD_FORMAT = choiceParam(['record'], { mp4: 'mp4', webm: 'webm' } as const, 'mp4');
/** ?models=<url>: a model directory of one's own (style-predictor/, style-transformer/). */
const MODEL_DIR = params.get('models') ?? undefined;

type Source = 'demo' | 'webcam';
type LiveState = Source | 'off';
type PageState = 'loading' | 'ready' | 'working' | 'done' | 'error' | 'cancelled';
type StyleChoice = { kind: 'preset'; name: string } | { kind: 'image'; file: File; url: string };

// ---------- elements ----------

function $<T extends HTMLElement>(id: string, type: new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`The page is missing #${id}.`);
  return el;
}

const ui = {
  backend: $('backend', HTMLElement),
  error: $('error', HTMLDivElement),
  errorText: $('error-text', HTMLSpanElement),
  errorClose: $('error-close', HTMLButtonElement),
  notice: $('notice', HTMLDivElement),
  noticeText: $('notice-text', HTMLSpanElement),
  noticeClose: $('notice-close', HTMLButtonElement),
  viewer: $('viewer', HTMLDivElement),
  raw: $('raw', HTMLVideoElement),
  targetFps: $('target-fps', HTMLInputElement),
  targetFpsOut: $('target-fps-out', HTMLOutputElement),
  adaptive: $('adaptive', HTMLInputElement),
  divider: $('divider', HTMLDivElement),
  overlay: $('overlay', HTMLPreElement),
  paused: $('paused', HTMLParagraphElement),
  sourceDemo: $('source-demo', HTMLButtonElement),
  sourceWebcam: $('source-webcam', HTMLButtonElement),
  sourceInfo: $('source-info', HTMLSpanElement),
  cameraPick: $('camera-pick', HTMLSpanElement),
  cameraSelect: $('camera-select', HTMLSelectElement),
  cameraResolution: $('camera-resolution', HTMLSelectElement),
  record: $('record', HTMLButtonElement),
  recordTime: $('record-time', HTMLSpanElement),
  snapshot: $('snapshot', HTMLButtonElement),
  recording: $('recording', HTMLAnchorElement),
  recordingInfo: $('recording-info', HTMLSpanElement),
  gallery: $('gallery', HTMLDivElement),
  styleFile: $('style-file', HTMLInputElement),
  strength: $('strength', HTMLInputElement),
  strengthOut: $('strength-out', HTMLOutputElement),
  mixOn: $('mix-on', HTMLInputElement),
  mixStyle: $('mix-style', HTMLSelectElement),
  mixWeight: $('mix-weight', HTMLInputElement),
  mixWeightOut: $('mix-weight-out', HTMLOutputElement),
  temporal: $('temporal', HTMLInputElement),
  temporalOut: $('temporal-out', HTMLOutputElement),
  carryStrokes: $('carry-strokes', HTMLInputElement),
  guidedUpsample: $('guided-upsample', HTMLInputElement),
  regionPreset: $('region-preset', HTMLSelectElement),
  faceStrength: $('face-strength', HTMLInputElement),
  faceStrengthOut: $('face-strength-out', HTMLOutputElement),
  personStrength: $('person-strength', HTMLInputElement),
  personStrengthOut: $('person-strength-out', HTMLOutputElement),
  backgroundStrength: $('background-strength', HTMLInputElement),
  backgroundStrengthOut: $('background-strength-out', HTMLOutputElement),
  adaptiveDetail: $('adaptive-detail', HTMLInputElement),
  smoothing: $('smoothing', HTMLParagraphElement),
  size: $('size', HTMLInputElement),
  sizeOut: $('size-out', HTMLOutputElement),
  preserve: $('preserve-colour', HTMLInputElement),
  overlayOn: $('overlay-on', HTMLInputElement),
  drop: $('drop', HTMLDivElement),
  clipFile: $('clip-file', HTMLInputElement),
  clipName: $('clip-name', HTMLParagraphElement),
  cancel: $('cancel', HTMLButtonElement),
  progress: $('progress', HTMLProgressElement),
  progressText: $('progress-text', HTMLParagraphElement),
  result: $('result', HTMLVideoElement),
  /** A GIF result is shown here (a video element does not play GIFs). */
  resultGif: $('result-gif', HTMLImageElement),
  /** MP4 or GIF: what the next clip is saved as (remembered). */
  clipFormat: $('clip-format', HTMLSelectElement),
  /** Frames of the clip being stylised, drawn by the engine's worker a few times a second. */
  clipPreview: $('clip-preview', HTMLCanvasElement),
  download: $('download', HTMLAnchorElement),
  resultInfo: $('result-info', HTMLParagraphElement),
};
/** The stylised display canvas: replaced by a fresh element for every process() (it is transferred to the worker). */
let canvas = $('stylised', HTMLCanvasElement);
/** The input frame each shown output was made from (also transferred, so also replaced per process()). */
let beforeCanvas = $('before', HTMLCanvasElement);

/** Every control that is locked while a clip is converted (Cancel is handled on its own). */
const lockable = (): (HTMLInputElement | HTMLSelectElement | HTMLButtonElement)[] => [
  ui.styleFile,
  ui.strength,
  ui.mixOn,
  ui.mixStyle,
  ui.mixWeight,
  ui.size,
  ui.targetFps,
  ui.adaptive,
  ui.temporal,
  ui.preserve,
  ui.clipFile,
  ui.clipFormat,
  ui.sourceDemo,
  ui.sourceWebcam,
  ui.cameraSelect,
  ui.cameraResolution,
  ui.record,
  ui.snapshot,
  ...ui.gallery.querySelectorAll('button'),
];

// ---------- state ----------

let live: LiveStylizer | null = null;
let source: Source = INITIAL_SOURCE;
let camera: MediaStream | null = null;
let output: MediaStream | null = null;
let style: StyleChoice = { kind: 'preset', name: INITIAL_STYLE };
let busy = false;
let job: AbortController | null = null;
let resultUrl: string | null = null;
/** Bumped by every source switch, so a slower earlier switch cannot win. */
let generation = 0;

declare global {
  interface Window {
    /** For tests and the console: the engine, the stylised output stream and the display canvas. */
    __stylecast?: { live: LiveStylizer | null; output: MediaStream | null; canvas: HTMLCanvasElement; before: HTMLCanvasElement; raw: HTMLVideoElement; source: LiveState };
  }
}

function expose(state: LiveState): void {
  document.body.dataset.live = state;
  document.body.dataset.frames = '0';
}
window.__stylecast = {
  get live() {
    return live;
  },
  get output() {
    return output;
  },
  get canvas() {
    return canvas;
  },
  get before() {
    return beforeCanvas;
  },
  raw: ui.raw,
  get source() {
    return (document.body.dataset.live ?? 'off') as LiveState;
  },
};

function setState(state: PageState): void {
  document.body.dataset.state = state;
}

// ---------- messages ----------

/**
 * What an error on show is about, so that the next success of the same kind takes it away: a setting that failed
 * goes when a setting succeeds, a source (camera, demo, the live stream) when a source starts, a clip when a clip
 * converts. An engine that could not start stays until dismissed.
 */
type ErrorScope = 'setting' | 'source' | 'clip' | 'engine';
/** Which scopes a success of each kind clears. */
const CLEARS: Record<Exclude<ErrorScope, 'engine'>, ErrorScope[]> = {
  setting: ['setting'],
  source: ['setting', 'source'],
  clip: ['setting', 'source', 'clip'],
};

function showError(e: unknown, scope: ErrorScope = 'setting'): void {
  const message = e instanceof Error ? e.message : String(e);
  ui.errorText.textContent = message || 'Something went wrong.';
  if (isStylecastError(e)) ui.error.dataset.code = e.code;
  else delete ui.error.dataset.code;
  ui.error.dataset.scope = scope;
  ui.error.hidden = false;
  console.error(e);
}

/** Hides the error banner: always (`scope` omitted: dismissed), or when the error on show is of a kind a success of `scope` resolves. */
function clearError(scope?: Exclude<ErrorScope, 'engine'>): void {
  if (ui.error.hidden) return;
  if (scope && !CLEARS[scope].includes((ui.error.dataset.scope ?? 'setting') as ErrorScope)) return;
  ui.error.hidden = true;
  ui.errorText.textContent = '';
  delete ui.error.dataset.code;
  delete ui.error.dataset.scope;
  if (document.body.dataset.state === 'error') setState(document.body.dataset.live === 'off' ? 'loading' : 'ready');
}

function showNotice(text: string): void {
  ui.noticeText.textContent = text;
  ui.notice.hidden = !text;
}

ui.errorClose.addEventListener('click', () => clearError());
ui.noticeClose.addEventListener('click', () => showNotice(''));

function fail(e: unknown, scope: ErrorScope = 'source'): void {
  showError(e, scope);
  setState('error');
}

/** Settings go to the worker one after another, in the order they were made; a failure shows in the banner, a success clears a failed setting's. */
let queue: Promise<unknown> = Promise.resolve();
function apply(f: (l: LiveStylizer) => Promise<unknown>): void {
  queue = queue
    .then(async () => {
      if (!live) return;
      await f(live);
      clearError('setting');
    })
    .catch((e) => showError(e, 'setting'));
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

// ---------- live preview ----------

/** The first demo URL that is really there (Vite answers unknown paths with index.html). */
async function demoUrl(): Promise<string | null> {
  for (const url of DEMO_URLS) {
    try {
      const r = await fetch(url, { method: 'HEAD' });
      if (r.ok && !(r.headers.get('content-type') ?? '').includes('text/html')) return url;
    } catch {
      // try the next one
    }
  }
  return null;
}

/** The demo <video>'s capture stream: ended before the element changes source or a new capture is taken. */
let demoCapture: MediaStream | null = null;
function stopDemoCapture(): void {
  demoCapture?.getTracks().forEach((t) => t.stop());
  demoCapture = null;
}

function stopCamera(): void {
  camera?.getTracks().forEach((t) => t.stop());
  camera = null;
}

/** A fresh display canvas in place of the old one: a canvas can be handed to a worker only once. */
function freshCanvas(old: HTMLCanvasElement): HTMLCanvasElement {
  const next = document.createElement('canvas');
  next.id = old.id;
  next.className = old.className;
  next.hidden = old.hidden;
  next.setAttribute('aria-label', old.getAttribute('aria-label') ?? '');
  old.replaceWith(next);
  return next;
}

function markSource(): void {
  ui.sourceDemo.setAttribute('aria-pressed', String(source === 'demo'));
  ui.sourceWebcam.setAttribute('aria-pressed', String(source === 'webcam'));
  ui.cameraPick.hidden = source !== 'webcam' || !camera;
}

// ---------- camera choice (remembered) ----------

const CAMERA_KEY = 'stylecast.camera';
const RESOLUTION_KEY = 'stylecast.cameraResolution';
function stored(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null; // storage off (a sandboxed iframe): nothing is remembered
  }
}
function store(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // as above
  }
}

/** The remembered camera (unless `anyCamera`) at the remembered resolution ("auto": the best up to 1280×720). */
function cameraConstraints(anyCamera = false): MediaTrackConstraints {
  const m = /^(\d+)x(\d+)$/.exec(stored(RESOLUTION_KEY) ?? '');
  const c: MediaTrackConstraints = m ? { width: { ideal: Number(m[1]) }, height: { ideal: Number(m[2]) } } : { width: { ideal: 1280 }, height: { ideal: 720 } };
  const id = stored(CAMERA_KEY);
  if (id && !anyCamera) c.deviceId = { exact: id };
  return c;
}

/** Opens the remembered camera; one that is gone (unplugged) gives way to any camera. */
async function openChosenCamera(): Promise<MediaStream> {
  try {
    return await openCamera(cameraConstraints());
  } catch (e) {
    if (stored(CAMERA_KEY) && isStylecastError(e) && e.code === 'NO_CAMERA') return await openCamera(cameraConstraints(true));
    throw e;
  }
}

/** Fills the camera list (labels are there once the camera is allowed) with the one in use selected. */
async function listCameras(cam: MediaStream): Promise<void> {
  const devices = (await navigator.mediaDevices.enumerateDevices().catch(() => [] as MediaDeviceInfo[])).filter((d) => d.kind === 'videoinput');
  const current = cam.getVideoTracks()[0]?.getSettings().deviceId ?? '';
  ui.cameraSelect.replaceChildren(...devices.map((d, i) => new Option(d.label || `Camera ${i + 1}`, d.deviceId, false, d.deviceId === current)));
  const res = stored(RESOLUTION_KEY) ?? 'auto';
  ui.cameraResolution.value = [...ui.cameraResolution.options].some((o) => o.value === res) ? res : 'auto';
  markSource();
}

/** A camera that ends by itself (unplugged, taken by another application): the recording is kept, the page says so. */
function watchCamera(cam: MediaStream): void {
  cam.getVideoTracks()[0]?.addEventListener(
    'ended',
    () => {
      if (cam !== camera) return;
      stopRecording();
      void stopLive('The camera stopped.').then(() => {
        stopCamera();
        markSource();
        fail(new StylecastError('NO_CAMERA', 'The camera stopped (unplugged, or taken by another application). Plug it back in and choose “Use my webcam”, or switch to the demo.'));
      });
    },
    { once: true },
  );
}

function switchCamera(): void {
  store(CAMERA_KEY, ui.cameraSelect.value);
  store(RESOLUTION_KEY, ui.cameraResolution.value);
  if (busy || source !== 'webcam') return;
  stopRecording();
  stopCamera();
  void startLive('webcam');
}
ui.cameraSelect.addEventListener('change', switchCamera);
// A camera plugged in or out while the page is open: the list follows.
navigator.mediaDevices?.addEventListener?.('devicechange', () => {
  if (camera) void listCameras(camera);
});
ui.cameraResolution.addEventListener('change', switchCamera);

// ---------- recording and snapshots ----------

/** MP4 where MediaRecorder makes it (H.264), else WebM. */
const RECORDING_TYPES: [mime: string, ext: 'mp4' | 'webm'][] = [
  ['video/mp4;codecs=avc1.640028', 'mp4'],
  ['video/mp4;codecs=avc1', 'mp4'],
  ['video/mp4', 'mp4'],
  ['video/webm;codecs=vp9', 'webm'],
  ['video/webm;codecs=vp8', 'webm'],
  ['video/webm', 'webm'],
];
function recordingType(): { mime: string; ext: 'mp4' | 'webm' } | null {
  if (typeof MediaRecorder === 'undefined') return null;
  const order = RECORD_FORMAT === 'webm' ? [...RECORDING_TYPES].sort((a, b) => Number(a[1] !== 'webm') - Number(b[1] !== 'webm')) : RECORDING_TYPES;
  const hit = order.find(([mime]) => MediaRecorder.isTypeSupported(mime));
  return hit ? { mime: hit[0], ext: hit[1] } : null;
}

/** About 0.15 bit per pixel at the target rate, from 1 to 12 Mbit/s (720p at 24 fps: 3.3 Mbit/s). */
const recordingBitrate = (w: number, h: number, fps: number): number => Math.round(Math.min(12e6, Math.max(1e6, w * h * fps * 0.15)));

const stamp = (): string => new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
const clock = (ms: number): string => {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

let recorder: MediaRecorder | null = null;
let recordTimer = 0;
let recordingUrl: string | null = null;

function startRecording(): void {
  if (recorder || !output || document.body.dataset.live === 'off') return;
  const type = recordingType();
  if (!type) {
    showError(new Error('This browser cannot record video (it has no MediaRecorder for MP4 or WebM).'), 'setting');
    return;
  }
  const w = canvas.width || 640;
  const h = canvas.height || 360;
  const bitrate = recordingBitrate(w, h, Number(ui.targetFps.value) || DEFAULT_TARGET_FPS);
  const chunks: Blob[] = [];
  const rec = new MediaRecorder(output, { mimeType: type.mime, videoBitsPerSecond: bitrate });
  const started = performance.now();
  rec.addEventListener('dataavailable', (e) => {
    if (e.data.size) chunks.push(e.data);
  });
  // Also when the recorded track ends by itself: whatever was recorded is finished into a file.
  rec.addEventListener('stop', () => {
    if (recorder === rec) recordingStopped();
    void finishRecording(chunks, rec.mimeType || type.mime, type.ext, performance.now() - started, bitrate);
  }, { once: true });
  rec.start(1000); // a chunk a second: a recording cut short still has everything up to its last second
  recorder = rec;
  ui.record.textContent = '■ Stop';
  ui.record.setAttribute('aria-pressed', 'true');
  ui.recordTime.textContent = '● 0:00';
  ui.recordTime.hidden = false;
  recordTimer = window.setInterval(() => (ui.recordTime.textContent = `● ${clock(performance.now() - started)}`), 250);
  document.body.dataset.recording = 'on';
}

function recordingStopped(): void {
  recorder = null;
  clearInterval(recordTimer);
  ui.record.textContent = '● Record';
  ui.record.setAttribute('aria-pressed', 'false');
  ui.recordTime.hidden = true;
}

/** Ends the recording, if one runs: the file is finished and offered for download. */
function stopRecording(): void {
  const rec = recorder;
  if (!rec) return;
  recordingStopped();
  if (rec.state !== 'inactive') rec.stop();
}

/**
 * MediaRecorder's WebM has no duration in its header (players cannot seek it): it is copied, without re-encoding,
 * into a WebM that has one (Mediabunny). Its MP4 is complete as it is.
 */
async function withDuration(blob: Blob): Promise<Blob> {
  try {
    const mb = await import('mediabunny');
    const input = new mb.Input({ source: new mb.BlobSource(blob), formats: mb.ALL_FORMATS });
    const output = new mb.Output({ format: new mb.WebMOutputFormat(), target: new mb.BufferTarget() });
    const conversion = await mb.Conversion.init({ input, output });
    if (!conversion.isValid) return blob;
    await conversion.execute();
    return output.target.buffer ? new Blob([output.target.buffer], { type: 'video/webm' }) : blob;
  } catch (e) {
    console.warn('stylecast: the recording is kept as MediaRecorder made it (no duration in its header):', e);
    return blob;
  }
}

async function finishRecording(chunks: Blob[], mime: string, ext: 'mp4' | 'webm', ms: number, bitrate: number): Promise<void> {
  document.body.dataset.recording = 'finishing';
  if (!chunks.length) {
    document.body.dataset.recording = 'empty';
    showError(new Error('Nothing was recorded: no stylised frame arrived while recording.'), 'setting');
    return;
  }
  let blob = new Blob(chunks, { type: mime.split(';')[0] });
  if (ext === 'webm') blob = await withDuration(blob);
  if (recordingUrl) URL.revokeObjectURL(recordingUrl);
  recordingUrl = URL.createObjectURL(blob);
  ui.recording.href = recordingUrl;
  ui.recording.download = `stylecast-${stamp()}.${ext}`;
  ui.recording.textContent = `Download recording (${ext.toUpperCase()})`;
  ui.recording.hidden = false;
  ui.recordingInfo.textContent = `${clock(ms)} · ${(blob.size / 1e6).toFixed(2)} MB · ${mime} at ${(bitrate / 1e6).toFixed(1)} Mbit/s`;
  document.body.dataset.recording = 'done';
}

/** The stylised frame on show, as a PNG of the output's size. */
async function snapshot(): Promise<void> {
  const w = canvas.width;
  const h = canvas.height;
  if (!w || !h || document.body.dataset.live === 'off') return;
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  c.getContext('2d')!.drawImage(canvas, 0, 0);
  const blob = await new Promise<Blob | null>((res) => c.toBlob(res, 'image/png'));
  if (!blob) {
    showError(new Error('The snapshot could not be made.'), 'setting');
    return;
  }
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `stylecast-${stamp()}.png`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

ui.record.addEventListener('click', () => (recorder ? stopRecording() : startRecording()));
ui.snapshot.addEventListener('click', () => void snapshot());

/** Record and snapshot need stylised frames on show; Stop stays available while recording. */
function markRecordable(framesOut: number): void {
  const on = !busy && document.body.dataset.live !== 'off' && framesOut > 0;
  ui.record.disabled = !on && !recorder;
  ui.snapshot.disabled = !on;
}

/** The raw source into the <video> under the canvas; resolves with the stream to stylise. */
async function openSource(kind: Source): Promise<MediaStream> {
  if (kind === 'webcam') {
    let cam = camera;
    if (!cam) {
      cam = camera = await openChosenCamera();
      watchCamera(cam);
      void listCameras(cam);
    }
    stopDemoCapture();
    if (ui.raw.srcObject !== cam) {
      ui.raw.removeAttribute('src');
      ui.raw.srcObject = cam;
    }
    ui.raw.loop = false;
    await ui.raw.play().catch(() => {});
    const s = cam.getVideoTracks()[0]?.getSettings();
    ui.sourceInfo.textContent = s?.width ? `Webcam ${s.width}×${s.height}` : 'Webcam';
    return cam;
  }
  stopCamera();
  // The demo is playing already (the engine became ready after it opened, or the preview comes back after a clip): its
  // capture serves again (process() takes a clone of its track), without looking the clip up and capturing anew.
  if (demoCapture?.getVideoTracks().some((t) => t.readyState === 'live') && !ui.raw.srcObject && !ui.raw.paused) return demoCapture;
  const url = await demoUrl();
  if (!url) throw new Error(DEMO_MISSING);
  ui.raw.srcObject = null;
  ui.raw.loop = true;
  ui.raw.muted = true;
  if (!ui.raw.src.endsWith(url)) ui.raw.src = url;
  await ui.raw.play();
  performance.mark('app:demo-playing');
  stopDemoCapture();
  const capture = (ui.raw as HTMLVideoElement & { captureStream(): MediaStream }).captureStream();
  demoCapture = capture;
  if (!capture.getVideoTracks().length) {
    // A <video> gives its capture stream a track once it has a frame.
    await new Promise<void>((res) => capture.addEventListener('addtrack', () => res(), { once: true }));
  }
  ui.sourceInfo.textContent = `Demo clip ${ui.raw.videoWidth}×${ui.raw.videoHeight} (Pexels)`;
  return capture;
}

/**
 * Switches the live preview to `kind`: the source under the canvas, the engine drawing on a fresh canvas over it.
 * `resume`: coming back after a clip, whose outcome (page state, message) stays on show.
 */
async function startLive(kind: Source, resume = false): Promise<void> {
  const mine = ++generation;
  stopRecording(); // a recording is of one run: it ends, playable, when the source changes
  const previous = source;
  const wasRunning = document.body.dataset.live !== 'off';
  source = kind;
  markSource();
  ui.paused.hidden = true;
  try {
    let stream: MediaStream;
    try {
      stream = await openSource(kind);
    } catch (e) {
      // The camera said no: whatever was playing keeps playing, and the message says why.
      if (mine === generation && kind === 'webcam' && wasRunning && previous !== kind) {
        source = previous;
        markSource();
        showError(e, 'source');
        return;
      }
      throw e;
    }
    if (mine !== generation) return;
    if (!live) return; // the engine starts the preview itself once it is ready
    canvas = freshCanvas(canvas);
    beforeCanvas = freshCanvas(beforeCanvas);
    beforeCanvas.hidden = false; // over the raw source: the frame the output beside it was made from
    performance.mark('app:process');
    output = await live.process(stream, { canvas, before: beforeCanvas });
    if (mine !== generation) return;
    expose(kind);
    clearError('source'); // the source runs: its old trouble is over (a clip's outcome stays on show)
    if (!resume) setState('ready');
  } catch (e) {
    if (mine !== generation) return;
    output = null;
    expose('off');
    beforeCanvas.hidden = true;
    if (kind === 'webcam') stopCamera();
    fail(e);
  }
}

async function stopLive(note: string): Promise<void> {
  generation++;
  stopRecording();
  expose('off');
  beforeCanvas.hidden = true;
  ui.paused.textContent = note;
  ui.paused.hidden = false;
  await live?.stop();
  output = null;
}

// ---------- overlay ----------

const ms = (v: number | null): string => (v === null ? '—' : `${v.toFixed(v < 10 ? 1 : 0)} ms`);

const fpsText = (fps: number): string => (fps >= 10 ? fps.toFixed(0) : fps >= 1 ? fps.toFixed(1) : fps.toFixed(2));

/** The governor's choice in one short line: what runs, and why. */
function describeGovernor(g: NonNullable<LiveStats['governor']>): string {
  const what = `${g.size} px${g.smoothing ? (g.flowSize ? `, flow ${g.flowSize} px` : '') : ', smoothing off'}`;
  const why = g.fixed ? 'fixed' : g.belowTarget ? `floor, ~${fpsText(g.capacityFps ?? 0)} fps max` : g.level === 0 ? 'full quality' : 'lowered';
  return `target ${fpsText(g.targetFps)} fps → ${what} (${why})`;
}

function describeStats(s: LiveStats): string {
  const g = s.governor;
  const asked = Number(ui.temporal.value);
  const smoothing = live?.smoothing.startsWith('off')
    ? 'smoothing off (no WebGPU)'
    : g && !g.smoothing && asked > 0
      ? `smoothing paused by the governor (α ${asked.toFixed(2)} set)`
      : s.temporal === 0 && asked > 0 && s.framesOut <= 1
        ? `smoothing α ${asked.toFixed(2)} from the second frame` // the first frame is shown as the network made it
        : `smoothing α ${s.temporal.toFixed(2)}${s.temporal === 0 ? ' (per-frame)' : `, ${s.temporalMethod}`}`;
  const start = live?.startup;
  return [
    `${fpsText(s.fps)} fps · latency ${s.latencyMs === null ? '—' : ms(s.latencyMs)} · ${s.framesOut} frames · ${s.dropped} dropped`,
    ...(g ? [describeGovernor(g)] : []),
    `network ${ms(s.networkMs)} · flow+blend ${ms(s.temporalMs)}`,
    `${s.width}×${s.height} → ${s.inferWidth}×${s.inferHeight} on ${s.backend}`,
    smoothing,
    `enlarged ${s.upsample === 'guided' ? 'guided by the full-resolution picture' : `by the cubic${ui.guidedUpsample.checked ? ' (guided needs WebGPU)' : ''}`}`,
    // Where the wait before the first picture went: the engine's start in its worker, then this stream's first frame.
    ...(start ? [`engine ready in ${ms(start.totalMs)} (backend ${ms(start.backendMs)}, model ${ms(start.modelMs)}) · first frame ${ms(s.firstFrameMs)} after the stream started`] : []),
  ].join('\n');
}

let polling = false;
let shownStreamError: unknown = null;
setInterval(async () => {
  if (!live || polling || document.body.dataset.live === 'off') {
    if (document.body.dataset.live === 'off') {
      ui.overlay.hidden = true;
      markRecordable(0);
    }
    return;
  }
  polling = true;
  try {
    const s = await live.stats();
    // Frames stylised by the running stream: a hook for tests and embedders (data-frames on <body>).
    document.body.dataset.frames = String(s?.running ? s.framesOut : 0);
    if (s && s.framesOut > 0) releaseThumbnails();
    markRecordable(s?.running ? s.framesOut : 0);
    if (OVERLAY && s && s.framesOut > 0) {
      ui.overlay.textContent = describeStats(s);
      ui.overlay.hidden = !ui.overlayOn.checked;
    }
    showSpeedNotice(s?.running ? s.governor : null);
    // Each stream error is shown once: a dismissed one does not come back every 250 ms.
    if (live.error && live.error !== shownStreamError) {
      shownStreamError = live.error;
      stopRecording();
      fail(live.error);
    }
  } catch {
    // the worker is busy or gone; try again next time
  } finally {
    polling = false;
  }
}, 250);

/** Says plainly when even the governor's floor cannot reach the target (and takes the notice back when it can). */
let speedNotice = '';
function showSpeedNotice(g: LiveStats['governor']): void {
  const text = g?.belowTarget
    ? `This machine cannot stylise live at ${fpsText(g.targetFps)} fps: running at the lowest quality (${g.size} px${g.smoothing ? '' : ', smoothing off'}), about ${fpsText(g.capacityFps ?? 0)} fps. Lower the target or use a machine with a GPU.`
    : '';
  document.body.dataset.belowTarget = String(!!g?.belowTarget);
  if (text === speedNotice) return;
  if (text || ui.noticeText.textContent === speedNotice) showNotice(EMBED ? '' : text);
  speedNotice = text;
}

// ---------- before/after divider ----------

function setSplit(percent: number): void {
  const p = Math.min(100, Math.max(0, percent));
  ui.viewer.style.setProperty('--split', `${p}%`);
  ui.divider.setAttribute('aria-valuenow', String(Math.round(p)));
}

ui.divider.addEventListener('pointerdown', (ev) => {
  ui.divider.setPointerCapture(ev.pointerId);
  const move = (e: PointerEvent) => {
    const r = ui.viewer.getBoundingClientRect();
    setSplit(((e.clientX - r.left) / r.width) * 100);
  };
  const up = () => {
    ui.divider.removeEventListener('pointermove', move);
    ui.divider.removeEventListener('pointerup', up);
  };
  ui.divider.addEventListener('pointermove', move);
  ui.divider.addEventListener('pointerup', up);
});
ui.divider.addEventListener('keydown', (ev) => {
  const now = Number(ui.divider.getAttribute('aria-valuenow'));
  const step = ev.shiftKey ? 10 : 2;
  if (ev.key === 'ArrowLeft') setSplit(now - step);
  else if (ev.key === 'ArrowRight') setSplit(now + step);
  else if (ev.key === 'Home') setSplit(0);
  else if (ev.key === 'End') setSplit(100);
  else return;
  ev.preventDefault();
});

// ---------- style gallery ----------

function markSelected(): void {
  for (const b of ui.gallery.querySelectorAll<HTMLButtonElement>('button.tile')) {
    const selected = (style.kind === 'preset' && b.dataset.preset === style.name) || (style.kind === 'image' && b.dataset.custom === 'true');
    b.setAttribute('aria-pressed', String(selected));
  }
}

/**
 * The tiles' images are fetched and decoded once the first stylised frame is on show (or the preview did not start,
 * or THUMBNAILS_AT_MOST ms after the gallery was built): a dozen JPEGs of up to 1200×1528 (1.3 MB), fetched, decoded
 * and rastered while the first frame's network and present ran on the same cores, in its way. The tiles themselves
 * (buttons) are there, and work, from the start.
 */
let thumbnailsHeld = true;
const THUMBNAILS_AT_MOST = 4000;
function releaseThumbnails(): void {
  if (!thumbnailsHeld) return;
  thumbnailsHeld = false;
  for (const img of ui.gallery.querySelectorAll<HTMLImageElement>('img[data-src]')) {
    img.src = img.dataset.src!;
    delete img.dataset.src;
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
  if (thumbnailsHeld) img.dataset.src = imageUrl;
  else img.src = imageUrl;
  img.alt = '';
  img.loading = 'lazy';
  img.decoding = 'async';
  // A thumbnail that fails to load leaves a plain swatch rather than a broken-image icon.
  img.addEventListener('error', () => {
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    img.replaceWith(swatch);
  }, { once: true });
  const caption = document.createElement('span');
  caption.textContent = label;
  b.append(img, caption);
  b.addEventListener('click', onPick);
  b.disabled = busy;
  return b;
}

function pickPreset(name: string): void {
  style = { kind: 'preset', name };
  markSelected();
  apply((l) => l.setStyle(name));
}

function buildGallery(engine: LiveStylizer): void {
  const tiles = engine.presets.map((name) => {
    const b = tile(pretty(name), engine.presetImageUrl(name), () => pickPreset(name));
    b.dataset.preset = name;
    return b;
  });
  ui.gallery.replaceChildren(...tiles);
  if (style.kind === 'image') addCustomTile(style);
  markSelected();
  ui.mixStyle.replaceChildren(...engine.presets.map((name) => new Option(pretty(name), name)));
  ui.mixStyle.value = engine.presets.includes('the_scream') ? 'the_scream' : (engine.presets.find((n) => n !== INITIAL_STYLE) ?? '');
}

function addCustomTile(choice: Extract<StyleChoice, { kind: 'image' }>): void {
  ui.gallery.querySelector('button[data-custom]')?.remove();
  const b = tile(`My image: ${choice.file.name}`, choice.url, () => {
    style = choice;
    markSelected();
    apply((l) => l.setStyle(choice.file));
  });
  b.dataset.custom = 'true';
  ui.gallery.prepend(b);
}

// ---------- engine ----------

function describeEngine(l: LiveStylizer): void {
  const gpu = l.backend === 'webgpu' ? '' : ' (fallback: WebGPU is not in use)';
  ui.backend.textContent = `Backend: ${l.backend}${gpu} — ${l.backendReason}`;
  ui.backend.dataset.backend = l.backend;
  const off = l.smoothing.startsWith('off');
  ui.smoothing.textContent = off ? `Smoothing is ${l.smoothing}.` : `Smoothing runs ${l.smoothing}.`;
  ui.smoothing.dataset.off = String(off);
  if (off) ui.temporal.disabled = ui.carryStrokes.disabled = true;
  // Guided upsampling needs the same WebGPU device: without one the output is enlarged by the cubic.
  if (off) ui.guidedUpsample.disabled = !(ui.guidedUpsample.checked = false);
}

async function createEngine(): Promise<LiveStylizer> {
  const options = {
    size: INITIAL_SIZE,
    strength: INITIAL_STRENGTH,
    temporal: INITIAL_TEMPORAL,
    temporalMethod: INITIAL_METHOD,
    upsample: INITIAL_UPSAMPLE,
    regions: INITIAL_REGIONS,
    adaptiveDetail: INITIAL_DETAIL,
    preserveColour: INITIAL_PRESERVE,
    targetFps: INITIAL_TARGET_FPS,
    adaptive: INITIAL_ADAPTIVE,
    modelDir: MODEL_DIR,
  };
  try {
    return await createLiveStylizer({ ...options, style: INITIAL_STYLE });
  } catch (e) {
    if (!(isStylecastError(e) && e.code === 'UNKNOWN_STYLE')) throw e;
    // An unknown ?style=: say so, and go on with the default.
    reportParamProblems([{ code: e.code, message: `style=${INITIAL_STYLE}: ${e.message} Using ${pretty(FALLBACK_STYLE)}.` }]);
    style = { kind: 'preset', name: FALLBACK_STYLE };
    return await createLiveStylizer({ ...options, style: FALLBACK_STYLE });
  }
}

// ---------- clips ----------

function showProgress(p: Progress): void {
  ui.progress.max = Math.max(1, p.framesTotal);
  ui.progress.value = p.framesDone;
  const fps = p.elapsedMs > 0 ? (p.framesDone * 1000) / p.elapsedMs : 0;
  const eta = p.etaMs === null ? 'ETA …' : `ETA ${seconds(p.etaMs)}`;
  ui.progressText.textContent = `${p.framesDone} / ${p.framesTotal} frames · ${fps.toFixed(1)} fps · ${eta}`;
}

function setBusy(on: boolean): void {
  busy = on;
  for (const el of lockable()) el.disabled = on;
  if (!on) {
    ui.mixStyle.disabled = ui.mixWeight.disabled = !ui.mixOn.checked;
    if (ui.smoothing.dataset.off === 'true') ui.temporal.disabled = ui.carryStrokes.disabled = true;
  }
  ui.cancel.disabled = !on || !job;
  ui.drop.classList.toggle('disabled', on);
  ui.drop.setAttribute('aria-disabled', String(on));
}

type ClipFormat = 'mp4' | 'gif';
const CLIP_FORMAT_KEY = 'stylecast.clipFormat';
const clipFormat = (): ClipFormat => (ui.clipFormat.value === 'gif' ? 'gif' : 'mp4');
if (stored(CLIP_FORMAT_KEY) === 'gif') ui.clipFormat.value = 'gif';
ui.clipFormat.addEventListener('change', () => store(CLIP_FORMAT_KEY, clipFormat()));

/** Which of the two result views shows the last result (a video for an MP4, an image for a GIF). */
let resultView: HTMLVideoElement | HTMLImageElement = ui.result;

function showResult(blob: Blob, name: string, format: ClipFormat): void {
  const url = URL.createObjectURL(blob);
  if (resultUrl) URL.revokeObjectURL(resultUrl);
  resultUrl = url;
  resultView = format === 'gif' ? ui.resultGif : ui.result;
  const other = format === 'gif' ? ui.result : ui.resultGif;
  other.hidden = true;
  other.removeAttribute('src');
  if (other instanceof HTMLVideoElement) other.load(); // let go of the last MP4
  resultView.src = url;
  resultView.hidden = false;
  ui.download.href = url;
  ui.download.download = `${baseName(name)}-stylised.${format}`;
  ui.download.textContent = format === 'gif' ? 'Download GIF' : 'Download MP4';
  ui.download.hidden = false;
  document.body.dataset.result = url;
}

/** A clip to MP4 or GIF (the "Save as" pick) with the current settings; the live preview pauses meanwhile and comes back afterwards. */
async function stylizeClip(file: File): Promise<void> {
  if (busy || !live) return;
  if (ui.error.dataset.scope === 'clip') clearError(); // the last clip's failure: this is another go
  showNotice('');
  ui.clipName.textContent = `Clip: ${file.name} (${(file.size / 1e6).toFixed(1)} MB)`;
  job = new AbortController();
  setBusy(true);
  setState('loading');
  ui.progress.removeAttribute('value');
  ui.progressText.textContent = 'Opening the clip…';
  const l = live;
  try {
    await queue;
    await stopLive('Live preview paused while your clip is stylised.');
    setState('working');
    ui.result.hidden = ui.resultGif.hidden = true;
    ui.clipPreview.hidden = false;
    const format = clipFormat();
    const r = await l.stylizeFile(file, { signal: job.signal, onProgress: showProgress, preview: ui.clipPreview, format });
    ui.clipPreview.hidden = true;
    showResult(r.blob, file.name, format);
    ui.progress.max = 1;
    ui.progress.value = 1;
    const fps = r.elapsedMs > 0 ? (r.frames * 1000) / r.elapsedMs : 0;
    clearError('clip');
    ui.progressText.textContent = `Done: ${r.frames} frames in ${seconds(r.elapsedMs)} (${fps.toFixed(1)} fps).`;
    // A GIF (at the engine's default size: at most 480 px on the long side): what it kept of the clip or image.
    const what = r.gif?.source === 'image' ? 'image' : 'clip';
    const gifNote = r.gif
      ? `${r.gif.sourceWidth !== r.width || r.gif.sourceHeight !== r.height ? `, scaled down from the ${what}'s ${r.gif.sourceWidth}×${r.gif.sourceHeight}` : ''}` +
        `${r.frames < r.gif.sourceFrames ? `, ${r.frames} of the ${what}'s ${r.gif.sourceFrames} frames (GIF capped at ${r.gif.fps} fps)` : ''}${r.gif.audioDropped ? ', no sound (a GIF has none)' : ''}`
      : '';
    ui.resultInfo.textContent =
      `${r.width}×${r.height} ${format === 'gif' ? 'animated GIF, looping' : `${r.codec.toUpperCase()} MP4`}, styled at ${r.inferWidth}×${r.inferHeight} on ${r.backend}` +
      `${r.hasAudio ? ', audio kept' : ''}${gifNote} · ${(r.blob.size / 1e6).toFixed(2)} MB`;
    setState('done');
  } catch (e) {
    ui.clipPreview.hidden = true;
    resultView.hidden = !resultUrl; // the last clip's result again
    ui.progress.value = 0;
    if ((isStylecastError(e) && e.code === 'CANCELLED') || job.signal.aborted) {
      ui.progressText.textContent = 'Cancelled.';
      showNotice('Cancelled.');
      setState('cancelled');
    } else {
      ui.progressText.textContent = 'Stopped.';
      fail(e, 'clip');
    }
  } finally {
    job = null;
    setBusy(false);
  }
  await startLive(source, true);
}

function takeClip(file: File | undefined): void {
  if (!file || busy) return;
  if (!live) {
    showError(new Error('The engine is still starting: try again in a moment.'), 'clip');
    return;
  }
  void stylizeClip(file);
}

// ---------- inputs ----------

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
// A file dropped anywhere else must not navigate away from the page: the whole page is a drop zone.
window.addEventListener('dragover', (ev) => ev.preventDefault());
window.addEventListener('drop', (ev) => {
  ev.preventDefault();
  if (!EMBED) takeClip(ev.dataTransfer?.files[0]);
});

ui.styleFile.addEventListener('change', () => {
  const file = ui.styleFile.files?.[0];
  ui.styleFile.value = '';
  if (!file || busy) return;
  const choice: Extract<StyleChoice, { kind: 'image' }> = { kind: 'image', file, url: URL.createObjectURL(file) };
  apply(async (l) => {
    try {
      await l.setStyle(file); // a bad image is reported now, and the old style stays
    } catch (e) {
      URL.revokeObjectURL(choice.url);
      throw e;
    }
    if (style.kind === 'image') URL.revokeObjectURL(style.url);
    style = choice;
    addCustomTile(choice);
    markSelected();
  });
});

const unit = (input: HTMLInputElement, out: HTMLOutputElement) => (out.value = Number(input.value).toFixed(2));
ui.strength.addEventListener('input', () => unit(ui.strength, ui.strengthOut));
ui.strength.addEventListener('change', () => apply((l) => l.setStrength(Number(ui.strength.value))));
ui.temporal.addEventListener('input', () => unit(ui.temporal, ui.temporalOut));
ui.temporal.addEventListener('change', () => apply((l) => l.setTemporal(Number(ui.temporal.value))));
ui.carryStrokes.addEventListener('change', () => apply((l) => l.setTemporalMethod(ui.carryStrokes.checked ? 'strokes' : 'average')));
ui.guidedUpsample.addEventListener('change', () => apply((l) => l.setUpsample(ui.guidedUpsample.checked ? 'guided' : 'cubic')));
const regionSliders = [ui.faceStrength, ui.personStrength, ui.backgroundStrength];
const regionOutputs = [ui.faceStrengthOut, ui.personStrengthOut, ui.backgroundStrengthOut];
const showRegions = (r: { face: number; person: number; background: number }) => {
  [r.face, r.person, r.background].forEach((v, i) => {
    regionSliders[i].value = String(v);
    unit(regionSliders[i], regionOutputs[i]);
  });
  const preset = Object.entries(REGION_PRESETS).find(([, p]) => p.face === r.face && p.person === r.person && p.background === r.background);
  ui.regionPreset.value = preset ? preset[0] : 'custom';
};
const applyRegions = () => {
  const r = { face: Number(ui.faceStrength.value), person: Number(ui.personStrength.value), background: Number(ui.backgroundStrength.value) };
  showRegions(r);
  apply((l) => l.setRegions(r, ui.adaptiveDetail.checked));
};
regionSliders.forEach((slider, i) => {
  slider.addEventListener('input', () => unit(slider, regionOutputs[i]));
  slider.addEventListener('change', applyRegions);
});
ui.regionPreset.addEventListener('change', () => {
  const preset = REGION_PRESETS[ui.regionPreset.value];
  if (preset) showRegions(preset);
  applyRegions();
});
ui.adaptiveDetail.addEventListener('change', applyRegions);
ui.size.addEventListener('input', () => (ui.sizeOut.value = `${ui.size.value} px`));
ui.size.addEventListener('change', () => apply((l) => l.setSize(Number(ui.size.value))));
ui.targetFps.addEventListener('input', () => (ui.targetFpsOut.value = `${ui.targetFps.value} fps`));
ui.targetFps.addEventListener('change', () => apply((l) => l.setTargetFps(Number(ui.targetFps.value))));
ui.adaptive.addEventListener('change', () => apply((l) => l.setAdaptive(ui.adaptive.checked)));
ui.preserve.addEventListener('change', () => apply((l) => l.setPreserveColour(ui.preserve.checked)));
ui.overlayOn.addEventListener('change', () => (ui.overlay.hidden = !ui.overlayOn.checked || !ui.overlay.textContent));
ui.mixWeight.addEventListener('input', () => unit(ui.mixWeight, ui.mixWeightOut));
const applyMix = () => apply((l) => (ui.mixOn.checked && ui.mixStyle.value ? l.mixStyles(ui.mixStyle.value, Number(ui.mixWeight.value)) : l.mixStyles(null)));
ui.mixOn.addEventListener('change', () => {
  ui.mixStyle.disabled = ui.mixWeight.disabled = !ui.mixOn.checked;
  applyMix();
});
ui.mixStyle.addEventListener('change', applyMix);
ui.mixWeight.addEventListener('change', applyMix);
ui.sourceDemo.addEventListener('click', () => !busy && void startLive('demo'));
ui.sourceWebcam.addEventListener('click', () => !busy && void startLive('webcam'));
ui.cancel.addEventListener('click', () => {
  job?.abort();
  ui.cancel.disabled = true;
  ui.progressText.textContent = 'Cancelling…';
});

/** The controls start from the URL's settings (or the defaults). */
function initControls(): void {
  ui.strength.value = String(INITIAL_STRENGTH);
  unit(ui.strength, ui.strengthOut);
  ui.temporal.value = String(INITIAL_TEMPORAL);
  unit(ui.temporal, ui.temporalOut);
  ui.carryStrokes.checked = INITIAL_METHOD === 'strokes';
  ui.guidedUpsample.checked = INITIAL_UPSAMPLE === 'guided';
  showRegions(INITIAL_REGIONS);
  ui.adaptiveDetail.checked = INITIAL_DETAIL;
  ui.size.min = String(Math.min(Number(ui.size.min), INITIAL_SIZE));
  ui.size.max = String(Math.max(Number(ui.size.max), INITIAL_SIZE));
  ui.size.value = String(INITIAL_SIZE);
  ui.sizeOut.value = `${INITIAL_SIZE} px`;
  ui.preserve.checked = INITIAL_PRESERVE;
  ui.targetFps.max = String(Math.max(Number(ui.targetFps.max), INITIAL_TARGET_FPS));
  ui.targetFps.value = String(INITIAL_TARGET_FPS);
  ui.targetFpsOut.value = `${fpsText(INITIAL_TARGET_FPS)} fps`;
  ui.adaptive.checked = INITIAL_ADAPTIVE;
  if (!OVERLAY) ui.overlayOn.checked = false;
  markSource();
}

// ---------- start-up ----------

/**
 * URL settings that could not be used (each already replaced by its default): a console error with the code, the
 * codes in `data-error` on <body> (space-separated, for a host page: `[data-error~=INVALID_ARGUMENT]`), and a
 * dismissable notice unless ?ui=none asks for no chrome at all.
 */
const reported: ParamProblem[] = [];
function reportParamProblems(problems: ParamProblem[]): void {
  if (!problems.length) return;
  for (const p of problems) console.error(`stylecast: ${p.message} (${p.code})`);
  reported.push(...problems);
  document.body.dataset.error = [...new Set(reported.map((p) => p.code))].join(' ');
  if (!EMBED) showNotice(`Some settings in the address could not be used: ${reported.map((p) => p.message).join(' ')}`);
}

async function start(): Promise<void> {
  initControls();
  reportParamProblems(paramProblems);
  if (EMBED) document.documentElement.classList.add('embed');
  setState('loading');
  expose('off');
  // The source first: a camera refusal is explained at once, without waiting for the model.
  const opened = startLive(source);
  try {
    live = await createEngine();
  } catch (e) {
    ui.backend.textContent = 'The engine could not start.';
    const hint = document.createElement('p');
    hint.className = 'muted';
    hint.textContent = 'Styles appear once the engine starts.';
    ui.gallery.replaceChildren(hint);
    fail(e, 'engine');
    return;
  }
  performance.mark('app:engine-ready');
  describeEngine(live);
  await opened;
  // The first call started the engine on the source itself when the engine was ready before the source; a source
  // that could not open keeps its message. The gallery comes after, and its thumbnails after the first frame (see
  // releaseThumbnails): a dozen JPEGs, up to 1200×1528, fetched and decoded, would otherwise be in its way.
  if (document.body.dataset.state !== 'error' && document.body.dataset.live === 'off') await startLive(source);
  buildGallery(live);
  if (document.body.dataset.live === 'off') releaseThumbnails(); // no first frame is coming
  setTimeout(releaseThumbnails, THUMBNAILS_AT_MOST);
}

void start();
