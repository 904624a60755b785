// Command-line parsing and validation: everything wrong with the arguments is found here, before a browser starts.
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkModelDir } from '../convert/model-dir.ts';
import { refuseSameFile } from './files.ts';
import { GPU_MODES, parseGpuMode, type GpuMode } from './gpu.ts';
import { parseSegmentSeconds, parseWarmupFrames } from './segments.ts';
import { isUrl, parseQueuePrefix, parseQueueUrl, type QueueSpec } from './queue.ts';
import { BACKENDS, DEFAULT_SIZE, DEFAULT_STYLE, DEFAULT_TEMPORAL, DEFAULT_TEMPORAL_METHOD, MAX_SIZE, MIN_SIZE, TEMPORAL_METHODS, type BackendName, type TemporalMethod } from '../engine/constants.ts';
import { DEFAULT_UPSAMPLE, UPSAMPLES, type Upsample } from '../engine/constants.ts';
import { invalidArgument } from '../engine/errors.ts';
import { DEFAULT_GIF_FPS, MAX_GIF_FPS } from '../engine/sources/video-frames.ts';
import { DEFAULT_GIF_SIZE, MAX_GIF_SIZE, MIN_GIF_SIZE } from '../engine/sinks/gif-size.ts';

export class UsageError extends Error {}

export interface StylizeArgs extends StyleOptions {
  command: 'stylize';
  input: string;
  output: string;
  /** What the output is: an MP4, or an animated GIF (`-o out.gif` or --gif). */
  format: 'mp4' | 'gif';
  /** --gif-fps: a GIF keeps at most this many frames a second (null: DEFAULT_GIF_FPS from a video, every frame of an image). */
  gifFps: number | null;
  /** --gif-size: a GIF's long side is at most this many pixels (null: DEFAULT_GIF_SIZE). */
  gifSize: number | null;
  quiet: boolean;
  /** --segment: cut the clip into segments of this many seconds, stylised in parallel and joined (src/cli/segments.ts). */
  segment?: number | null;
  /** --jobs (with --segment): segments at once, or null for batch's default. */
  jobs?: number | null;
  /** --warmup (with --segment): frames each segment starts early, or null for DEFAULT_WARMUP_FRAMES. */
  warmup?: number | null;
}

/** `batch`: many inputs, one MP4 (or, with --gif, one animated GIF) each in `outDir`. */
export interface BatchArgs extends StyleOptions {
  command: 'batch';
  /** --gif: animated GIFs (then --name ends in .gif, default {name}-stylised.gif). */
  format: 'mp4' | 'gif';
  /** --gif-fps: as stylize's (null: the default). */
  gifFps: number | null;
  /** --gif-size: as stylize's (null: the default). */
  gifSize: number | null;
  /** As given (files, folders, .txt lists), resolved. */
  inputs: string[];
  outDir: string;
  /** --jobs, or null for the default (from the cores and the GPU). */
  jobs: number | null;
  recursive: boolean;
  /** The output's name, with {name} and {ext}. */
  name: string;
  json: boolean;
  quiet: boolean;
  /** --segment: each clip cut into segments of this many seconds, stylised in parallel and joined (src/cli/segments.ts). */
  segment?: number | null;
  /** --warmup: frames each segment starts early, or null for DEFAULT_WARMUP_FRAMES. */
  warmup?: number | null;
  /** --queue: the jobs go to workers through BullMQ on this Redis (src/cli/queue-batch.ts), or null for this machine. */
  queue: QueueSpec | null;
  queuePrefix: string;
  /** --shared-dir: the folder every worker mounts; paths in jobs are relative to it (null: absolute paths). */
  sharedDir: string | null;
}

/** `worker`: takes jobs from the queue (src/cli/worker.ts). */
export interface WorkerArgs {
  command: 'worker';
  queue: QueueSpec;
  queuePrefix: string;
  /** Jobs at once (a page each), or null for batch's default. */
  concurrency: number | null;
  gpu: GpuMode;
  sharedDir: string | null;
  quiet: boolean;
}

/** What shapes a result: the style options shared by stylize and batch. */
export interface StyleOptions {
  style: { preset: string } | { image: string };
  mix: ({ preset: string } | { image: string }) | null;
  mixWeight: number;
  strength: number;
  size: number;
  /** Temporal smoothing α, 0..1 (0 = per-frame). */
  temporal: number;
  /** A model directory of one's own (checked), or null for the bundled model. */
  models: string | null;
  /** The optical flow's short side in pixels, or undefined for the engine's choice. */
  flowSize?: number;
  temporalMethod: TemporalMethod;
  /** How the network's output is enlarged to the input's size (--upsample). */
  upsample: Upsample;
  /** Per-region strength, each 0..1 of --strength (--face-strength, --person-strength, --background-strength). */
  regions: { face: number; person: number; background: number };
  /** --adaptive-detail: less style on fine structure. */
  adaptiveDetail: boolean;
  backend?: BackendName;
  /** Which GPU Chromium runs on (--gpu, else $STYLECAST_GPU, else auto). */
  gpu: GpuMode;
}
export interface ConvertArgs {
  command: 'convert';
  input: string;
  output: string;
}
export interface FlowArgs {
  command: 'flow';
  a: string;
  b: string;
  output: string;
  backend?: BackendName;
  gpu: GpuMode;
}
export type Args = StylizeArgs | BatchArgs | WorkerArgs | ConvertArgs | { command: 'styles' } | { command: 'help' } | { command: 'version' } | FlowArgs;

export const USAGE = `stylecast — painting-style filters for video

Usage:
  stylecast stylize <input> -o <out.mp4|out.gif> [--gif [--gif-fps N] [--gif-size N]] [--style <preset|image>]
                    [--strength 0..1] [--mix <preset|image> [--mix-weight 0..1]] [--size <px>] [--temporal 0..1]
                    [--temporal-method strokes|average] [--flow-size <px>] [--models <dir>]
                    [--backend webgpu|webgl|wasm] [--upsample guided|cubic]
                    [--face-strength 0..1] [--person-strength 0..1] [--background-strength 0..1] [--adaptive-detail]
                    [--gpu auto|hardware|software] [--segment <seconds> [--warmup N] [--jobs N]] [--quiet]
  stylecast batch <videos | folders | list.txt>... -o <folder> [the style options of stylize]
                    [--jobs N] [--recursive] [--name <pattern>] [--gif [--gif-fps N] [--gif-size N]] [--json]
                    [--quiet]
                              one MP4 (or GIF) per video, N at once in one browser; see "Batch" below
  stylecast batch <videos | folders | list.txt | http(s) URLs>... -o <folder> --queue redis://… [--queue-prefix P]
                    [--shared-dir DIR] [the options of batch]
                              the same jobs done by workers on other machines; see "Queue" below
  stylecast worker --queue redis://[user:password@]host:port[/db] [--concurrency N] [--gpu auto|hardware|software]
                    [--shared-dir DIR] [--queue-prefix P] [--quiet]
                              take jobs from the queue until stopped (Ctrl-C/SIGTERM: jobs in flight go back)
  stylecast flow <a.png> <b.png> -o <out.flo> [--backend webgpu|webgl|wasm] [--gpu auto|hardware|software]
                              dense optical flow from a to b (Middlebury .flo), by the engine's own WGSL
  stylecast styles            list the preset styles
  stylecast convert <model.tflite> -o <dir>
                              convert a TFLite style predictor or transformer into a TensorFlow.js model directory
  stylecast --help | --version

Input:
  a video (MP4, MOV, WebM or MKV holding H.264, VP8, VP9 or AV1) or an animated GIF or WebP (every frame for its
  own duration); the output is an MP4 (an image's with no audio), or either becomes an animated GIF with -o out.gif

Options:
  -o, --output     the MP4 to write (H.264, or VP9 where H.264 cannot be encoded; audio is copied), or a .gif: an
                   animated GIF looping forever, up to 256 colours a frame, no audio (a video's is dropped, said so),
                   at most --gif-size pixels on its long side. From an animated GIF, WebP or PNG every frame for its
                   own duration (to the hundredth of a second); from a video at most --gif-fps frames a second,
                   evenly (the first of each 1/N s), each shown until the next, so the GIF lasts as long as the clip
                   (rounding carried, never drifting)
  --gif            write an animated GIF (the output must end in .gif; the same as naming it so)
  --gif-fps        the most frames a second a GIF keeps, 1..${MAX_GIF_FPS} (default ${DEFAULT_GIF_FPS} from a video; an animated image's every
                   frame, up to ${MAX_GIF_FPS} a second). GIF delays are hundredths of a second and players show anything under
                   2 as 10, so a clip's 30 or 60 fps cannot be kept
  --gif-size       the GIF's long side at most this many pixels, ${MIN_GIF_SIZE}..${MAX_GIF_SIZE} (default ${DEFAULT_GIF_SIZE}: 480×270 from a 16:9
                   clip), the aspect kept, never enlarged; the network still runs at --size on the input's frames
  --style          a preset name (see "stylecast styles") or a path to an image (default ${DEFAULT_STYLE})
  --strength       how much of the style to apply, 0..1 (default 1)
  --mix            a second style blended in; --mix-weight is its share, 0..1 (default 0.5)
  --size           short side of the network's input in pixels (default ${DEFAULT_SIZE}); the output keeps the input's size
  --temporal       flicker suppression, 0..1 (default ${DEFAULT_TEMPORAL}; 0 = every frame on its own): optical flow
                   carries the previous output along the motion and blends it in where the flow is trustworthy
  --temporal-method
                   strokes (default): blend colour and shading, carry whole brush strokes along the motion and
                   renew them every few frames — keeps the picture sharp; average: blend everything (softer)
  --upsample       how the network's output is enlarged to the input's size: guided (default: by the full-resolution
                   input, so edges stay sharp at 720p/1080p; runs where the output is on a WebGPU device) or cubic
                   (Mitchell–Netravali, what a 2D canvas does). A clip on wasm/webgl with --temporal 0 goes through
                   the CPU and is cubic whatever this says; the report names the one that ran
  --face-strength, --person-strength, --background-strength
                   the style on faces, on the rest of the people and on everything else, each 0..1 of --strength
                   (default 1): e.g. --face-strength 0.3 keeps faces recognisable and still painted;
                   --person-strength 0 --face-strength 0 stylises only the background. Needs WebGPU (the report says
                   where it ran, or that it is off)
  --adaptive-detail
                   less style where the input has fine structure (edges, text, hair), all of it on flat areas
  --flow-size      short side of the optical flow in pixels (default: full resolution on a hardware GPU, 96 on a
                   software one such as SwiftShader)
  --models         a model directory of your own (style-predictor/ and style-transformer/, see "stylecast convert")
  --backend        force a tfjs backend (default: the fastest here; software GPUs rank below wasm)
  --gpu            auto (default): the machine's GPU if Chromium finds a hardware adapter, else SwiftShader (CPU
                   emulation); hardware: the GPU or an error (NO_HARDWARE_GPU, exit 1); software: SwiftShader, no probe
  --segment        cut the clip into segments of about this many seconds (0.1 to 86400), stylise them in parallel
                   (--jobs of them at once, a page each; default as batch's --jobs) and join them without re-encoding:
                   every frame at its time, the audio copied once. Each segment starts --warmup frames early
                   (default 18; stylised and smoothed, then dropped) so the joins do not show. batch takes it too
                   (one file at a time, its segments --jobs at once). MP4 only: a GIF is made in one piece
Batch:
  inputs           videos (any name: their bytes decide), folders (their files ending in .mp4, .m4v, .mov, .webm,
                   .mkv, .gif or .webp; hidden files skipped) and .txt lists (one path a line, relative to the list;
                   # comments); each file once
  -o, --output     the folder the MP4s (or GIFs) go to (made when needed)
  --gif            animated GIFs instead of MP4s, as stylize -o out.gif makes them (--gif-fps and --gif-size too;
                   --name then ends in .gif, default {name}-stylised.gif; --segment runs each file whole; not with
                   --queue)
  --name           the output's name: {name} is the input's name without its extension, {ext} its extension
                   (default {name}-stylised.mp4, or .gif with --gif). Two inputs that would get one name are refused
                   before any work (OUTPUT_COLLISION), an output that is an input too (SAME_FILE)
  --jobs           files stylised at once, each on a page of its own in one browser (default: 2 on a hardware GPU;
                   on a software one, one per 4 CPU cores, at least 1 — SwiftShader and wasm already use every core)
  --recursive, -r  look into sub-folders too
  --json           one JSON line per event on stdout: started, progress, done, skipped, failed, summary
  A file that fails is reported with its code and the rest go on; the exit status is 1 when any failed. An output
  whose recorded settings (a hash of the style, the options and the input's size and time, in the MP4's metadata
  comment) match and that has the recorded frame count is skipped ("skipped: up to date"); unfinished outputs never
  appear under their final name.
Queue (BullMQ on Redis; batch --queue and worker):
  --queue          redis://[user:password@]host:port[/db], or rediss:// for TLS (a private CA: NODE_EXTRA_CA_CERTS)
  --queue-prefix   the prefix of the queue's Redis keys (default stylecast): separate installations, one Redis
  --shared-dir     a folder every worker and the batch see (a network mount): inputs, style images, model folders
                   and outputs must lie inside it, and jobs name them relative to it (each machine may mount it
                   elsewhere). Without it, paths are absolute and must be the same on every machine. Inputs may also
                   be http(s) URLs (each worker downloads its input)
  --concurrency    (worker) jobs at once, a page each in one browser (default as batch's --jobs)
  A job is tried 3 times. A worker that dies loses nothing: its job's lock runs out and another worker takes it
  within about a minute (lock 30 s, stalled-job check every 30 s). Results appear under their final name only when
  complete. Redis unreachable at the start, or for 20 s later on: one line (QUEUE_UNAVAILABLE) and exit 1. The
  batch waits for every job, reports the workers' progress, removes its finished jobs from Redis, and exits 1
  naming any job that failed. With --queue, clips are cut into segments (--segment, default 10 s; --warmup), one job
  each, joined by the batch without re-encoding when all are done.
Environment:
  STYLECAST_CHROMIUM   the Chromium to drive (default /usr/bin/chromium)
  STYLECAST_GPU        the default of --gpu (the flag wins)`;

export function presetNames(root: string): string[] {
  const manifest = JSON.parse(readFileSync(resolve(root, 'public/models/manifest.json'), 'utf8')) as { presets: string[] };
  return manifest.presets;
}

function temporalMethodOption(flags: Map<string, string>): TemporalMethod {
  const v = flags.get('--temporal-method') ?? DEFAULT_TEMPORAL_METHOD;
  if (!(TEMPORAL_METHODS as readonly string[]).includes(v)) throw new UsageError(`--temporal-method must be one of ${TEMPORAL_METHODS.join(', ')}, got "${v}".`);
  return v as TemporalMethod;
}

function upsampleOption(flags: Map<string, string>): Upsample {
  const v = flags.get('--upsample') ?? DEFAULT_UPSAMPLE;
  if (!(UPSAMPLES as readonly string[]).includes(v)) throw new UsageError(`--upsample must be one of ${UPSAMPLES.join(', ')}, got "${v}".`);
  return v as Upsample;
}

function unit(name: string, v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`${name} must be a number from 0 to 1, got "${v ?? ''}".`);
  return n;
}

function style(v: string, presets: string[], flag: string): { preset: string } | { image: string } {
  if (presets.includes(v)) return { preset: v };
  const path = resolve(v);
  if (existsSync(path) && statSync(path).isFile()) return { image: path };
  throw new UsageError(`${flag} "${v}" is neither a preset (${presets.join(', ')}) nor an image file.`);
}

/** Splits a command's arguments into options (`-o x`, `--name x`, `--name=x`, bare switches) and positionals. */
function splitOptions(command: string, rest: string[], withValue: string[], switches: string[] = []) {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (switches.includes(name)) {
      flags.set(name, '');
    } else if (withValue.includes(name)) {
      const value = eq > 0 ? a.slice(eq + 1) : rest[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value.`);
      flags.set(name === '-o' ? '--output' : name, value);
    } else if (a.startsWith('-') && a !== '-') {
      throw new UsageError(`Unknown option "${a}" for ${command}. See "stylecast --help".`);
    } else {
      positional.push(a);
    }
  }
  return { flags, positional };
}

function existingFile(path: string, what: string): string {
  const full = resolve(path);
  if (!existsSync(full)) throw new UsageError(`${what} not found: ${path}`);
  if (!statSync(full).isFile()) throw new UsageError(`${what} is not a file: ${path}`);
  return full;
}

function backendOption(flags: Map<string, string>): BackendName | undefined {
  const backend = flags.get('--backend');
  if (backend !== undefined && !BACKENDS.includes(backend as BackendName)) throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got "${backend}".`);
  return backend as BackendName | undefined;
}

function gpuOption(flags: Map<string, string>, env: NodeJS.ProcessEnv): GpuMode {
  const flag = flags.get('--gpu');
  const [value, source] = flag !== undefined ? [flag, '--gpu'] : [env.STYLECAST_GPU, 'STYLECAST_GPU'];
  const mode = flag === '' ? null : parseGpuMode(value);
  if (!mode) throw new UsageError(`${source} must be one of ${GPU_MODES.join(', ')}, got "${value ?? ''}".`);
  return mode;
}

function pixels(flags: Map<string, string>, name: string): number | undefined {
  const text = flags.get(name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < MIN_SIZE || n > MAX_SIZE) throw new UsageError(`${name} must be a whole number of pixels from ${MIN_SIZE} to ${MAX_SIZE}, got "${text}".`);
  return n;
}

function modelsOption(flags: Map<string, string>): string | null {
  const dir = flags.get('--models');
  if (dir === undefined) return null;
  const full = resolve(dir);
  if (!existsSync(full) || !statSync(full).isDirectory()) throw new UsageError(`--models "${dir}" is not a directory.`);
  const problems = checkModelDir(full);
  if (problems.length) throw new UsageError(`--models "${dir}" is not a usable model directory: ${problems.join('; ')}.`);
  return full;
}

function parseConvert(rest: string[]): ConvertArgs {
  const { flags, positional } = splitOptions('convert', rest, ['-o', '--output']);
  if (positional.length !== 1) throw new UsageError(`convert needs one .tflite file, got ${positional.length ? positional.join(', ') : 'none'}.`);
  const output = flags.get('--output');
  if (!output) throw new UsageError('convert needs -o <dir>, the directory to write model.json and its weights into.');
  return { command: 'convert', input: existingFile(positional[0], 'Model file'), output: resolve(output) };
}

function parseFlow(rest: string[], env: NodeJS.ProcessEnv): FlowArgs {
  const { flags, positional } = splitOptions('flow', rest, ['-o', '--output', '--backend', '--gpu']);
  if (positional.length !== 2) throw new UsageError(`flow needs two images, a and b, got ${positional.length ? positional.join(', ') : 'none'}.`);
  const output = flags.get('--output');
  if (!output) throw new UsageError('flow needs -o <out.flo>.');
  if (!/\.flo$/i.test(output)) throw new UsageError(`The output must be a .flo file, got "${output}".`);
  const args: FlowArgs = {
    command: 'flow',
    a: existingFile(positional[0], 'Image'),
    b: existingFile(positional[1], 'Image'),
    output: resolve(output),
    backend: backendOption(flags),
    gpu: gpuOption(flags, env),
  };
  refuseSameFile(args.output, [{ path: args.a, what: 'image a' }, { path: args.b, what: 'image b' }]);
  return args;
}

export function parseArgs(argv: string[], root: string, env: NodeJS.ProcessEnv = process.env): Args {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') return { command: 'help' };
  if (argv[0] === '--version' || argv[0] === '-v') return { command: 'version' };
  const [command, ...rest] = argv;
  if (command === 'styles') {
    if (rest.length) throw new UsageError(`"styles" takes no arguments, got "${rest.join(' ')}".`);
    return { command: 'styles' };
  }
  if (command === 'convert') return parseConvert(rest);
  if (command === 'flow') return parseFlow(rest, env);
  if (command === 'batch') return parseBatch(rest, root, env);
  if (command === 'worker') return parseWorker(rest, env);
  if (command !== 'stylize' && command !== 'stylise') throw new UsageError(`Unknown command "${command}". Commands: stylize, batch, worker, flow, styles, convert.`);

  const { flags, positional } = splitOptions('stylize', rest, [...STYLE_FLAGS, '--segment', '--jobs', '--warmup', '--gif-fps', '--gif-size'], ['--quiet', '-q', '--adaptive-detail', '--gif']);
  const quiet = flags.has('--quiet') || flags.has('-q');
  if (positional.length !== 1) throw new UsageError(positional.length ? `Expected one input file, got ${positional.length}: ${positional.join(', ')}.` : 'Missing the input video. See "stylecast --help".');
  const input = existingFile(positional[0], 'Input file');
  const out = flags.get('--output');
  if (!out) throw new UsageError('Missing -o <out.mp4>.');
  const format = outputFormat(out, flags.has('--gif'));
  const gifFps = gifFpsOption(flags, format === 'gif');
  const gifSize = gifSizeOption(flags, format === 'gif');
  const output = resolve(out);
  const segment = flags.has('--segment') ? parseSegmentSeconds(flags.get('--segment')) : null;
  if (flags.has('--jobs') && segment === null) throw new UsageError('--jobs needs --segment for stylize (segments stylised at once).');
  const args: StylizeArgs = { command: 'stylize', input, output, format, gifFps, gifSize, ...styleOptions(flags, root, env), quiet, segment, jobs: jobsOption(flags), warmup: warmupOption(flags, segment) };
  refuseSameFile(output, [{ path: input, what: 'input' }, ...styleInputs(args)]);
  return args;
}

/** stylize's output format, by the output's name (.mp4 or .gif) and --gif (INVALID_ARGUMENT when they disagree). */
function outputFormat(out: string, gifFlag: boolean): 'mp4' | 'gif' {
  const gif = /\.gif$/i.test(out);
  if (gifFlag && !gif) throw invalidArgument(`--gif writes an animated GIF: name the output .gif, got "${out}".`);
  if (!gif && !/\.mp4$/i.test(out)) throw invalidArgument(`The output must be an .mp4 or a .gif file, got "${out}".`);
  return gif ? 'gif' : 'mp4';
}

/** --gif-fps: 1..MAX_GIF_FPS frames a second, for a GIF only (null when not given). */
function gifFpsOption(flags: Map<string, string>, gif: boolean): number | null {
  if (!flags.has('--gif-fps')) return null;
  if (!gif) throw invalidArgument('--gif-fps is for a GIF output (-o out.gif or --gif).');
  const raw = flags.get('--gif-fps') ?? '';
  const v = Number(raw);
  if (!raw.trim() || !Number.isFinite(v) || v < 1 || v > MAX_GIF_FPS) throw invalidArgument(`--gif-fps must be a number of frames per second from 1 to ${MAX_GIF_FPS}, got "${raw}".`);
  return v;
}

/** --gif-size: the GIF's long side, MIN_GIF_SIZE..MAX_GIF_SIZE whole pixels, for a GIF only (null when not given). */
function gifSizeOption(flags: Map<string, string>, gif: boolean): number | null {
  if (!flags.has('--gif-size')) return null;
  if (!gif) throw invalidArgument('--gif-size is for a GIF output (-o out.gif or --gif).');
  const raw = flags.get('--gif-size') ?? '';
  const v = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || v < MIN_GIF_SIZE || v > MAX_GIF_SIZE) {
    throw invalidArgument(`--gif-size must be a whole number of pixels from ${MIN_GIF_SIZE} to ${MAX_GIF_SIZE} (the GIF's long side), got "${raw}".`);
  }
  return v;
}

/** The options of stylize (and batch) that shape the result, as flags that take a value. */
const STYLE_FLAGS = ['-o', '--output', '--style', '--strength', '--mix', '--mix-weight', '--size', '--temporal', '--temporal-method', '--upsample', '--face-strength', '--person-strength', '--background-strength', '--flow-size', '--models', '--backend', '--gpu'];

/** The style images a job reads (an output must not be one of them). */
export function styleInputs(o: StyleOptions): { path: string; what: string }[] {
  const inputs: { path: string; what: string }[] = [];
  if ('image' in o.style) inputs.push({ path: o.style.image, what: 'style image' });
  if (o.mix && 'image' in o.mix) inputs.push({ path: o.mix.image, what: 'mix image' });
  return inputs;
}

function styleOptions(flags: Map<string, string>, root: string, env: NodeJS.ProcessEnv): StyleOptions {
  const presets = presetNames(root);
  const mixText = flags.get('--mix');
  if (flags.has('--mix-weight') && !mixText) throw new UsageError('--mix-weight needs --mix.');
  return {
    style: style(flags.get('--style') ?? DEFAULT_STYLE, presets, '--style'),
    mix: mixText ? style(mixText, presets, '--mix') : null,
    mixWeight: flags.has('--mix-weight') ? unit('--mix-weight', flags.get('--mix-weight')) : 0.5,
    strength: flags.has('--strength') ? unit('--strength', flags.get('--strength')) : 1,
    temporal: flags.has('--temporal') ? unit('--temporal', flags.get('--temporal')) : DEFAULT_TEMPORAL,
    size: pixels(flags, '--size') ?? DEFAULT_SIZE,
    models: modelsOption(flags),
    flowSize: pixels(flags, '--flow-size'),
    temporalMethod: temporalMethodOption(flags),
    upsample: upsampleOption(flags),
    regions: {
      face: flags.has('--face-strength') ? unit('--face-strength', flags.get('--face-strength')) : 1,
      person: flags.has('--person-strength') ? unit('--person-strength', flags.get('--person-strength')) : 1,
      background: flags.has('--background-strength') ? unit('--background-strength', flags.get('--background-strength')) : 1,
    },
    adaptiveDetail: flags.has('--adaptive-detail'),
    backend: backendOption(flags),
    gpu: gpuOption(flags, env),
  };
}

/** File name endings batch takes from a folder (a file named on the command line is taken whatever its name). */
export const VIDEO_EXTENSIONS = ['.mp4', '.m4v', '.mov', '.webm', '.mkv', '.gif', '.webp'];
export const DEFAULT_NAME_PATTERN = '{name}-stylised.mp4';
export const DEFAULT_GIF_NAME_PATTERN = '{name}-stylised.gif';

function parseBatch(rest: string[], root: string, env: NodeJS.ProcessEnv): BatchArgs {
  const { flags, positional } = splitOptions('batch', rest, [...STYLE_FLAGS, '--jobs', '--name', '--segment', '--warmup', '--gif-fps', '--gif-size', ...QUEUE_FLAGS], ['--quiet', '-q', '--recursive', '-r', '--json', '--adaptive-detail', '--gif']);
  const queue = flags.has('--queue') ? parseQueueUrl(flags.get('--queue')!) : null;
  if (!queue && (flags.has('--queue-prefix') || flags.has('--shared-dir'))) throw new UsageError(`${flags.has('--queue-prefix') ? '--queue-prefix' : '--shared-dir'} needs --queue.`);
  if (!positional.length) throw new UsageError('batch needs inputs: videos, folders or a list (.txt, one path a line). See "stylecast --help".');
  const out = flags.get('--output');
  if (!out) throw new UsageError('batch needs -o <folder>, where the MP4s go.');
  const jobsText = flags.get('--jobs');
  let jobs: number | null = null;
  if (jobsText !== undefined) {
    jobs = Number(jobsText);
    if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) throw new UsageError(`--jobs must be a whole number from 1 to 64, got "${jobsText}".`);
  }
  const format = flags.has('--gif') ? 'gif' : 'mp4';
  if (format === 'gif' && queue) throw invalidArgument('--gif is for a batch on this machine: the queue\'s workers write MP4s (their segments are joined as MP4 packets).');
  const gifFps = gifFpsOption(flags, format === 'gif');
  const gifSize = gifSizeOption(flags, format === 'gif');
  const name = flags.get('--name') ?? (format === 'gif' ? DEFAULT_GIF_NAME_PATTERN : DEFAULT_NAME_PATTERN);
  if (!name.includes('{name}')) throw new UsageError(`--name must contain {name} (the input's name without its extension), got "${name}".`);
  if (format === 'gif' && !/\.gif$/i.test(name)) throw new UsageError(`With --gif, --name must end in .gif, got "${name}".`);
  if (format === 'mp4' && !/\.mp4$/i.test(name)) throw new UsageError(`--name must end in .mp4 (or .gif with --gif), got "${name}".`);
  if (/[\/]/.test(name)) throw new UsageError(`--name names a file in the output folder, without "/", got "${name}".`);
  return {
    command: 'batch',
    format,
    gifFps,
    gifSize,
    inputs: positional.map((p) => (queue && isUrl(p) ? p : resolve(p))), // http(s) inputs only for workers
    outDir: resolve(out),
    ...styleOptions(flags, root, env),
    jobs,
    recursive: flags.has('--recursive') || flags.has('-r'),
    name,
    json: flags.has('--json'),
    quiet: flags.has('--quiet') || flags.has('-q'),
    segment: flags.has('--segment') ? parseSegmentSeconds(flags.get('--segment')) : null,
    warmup: warmupOption(flags, flags.has('--segment') ? 1 : null),
    queue,
    queuePrefix: parseQueuePrefix(flags.get('--queue-prefix')),
    sharedDir: sharedDirOption(flags),
  };
}

const QUEUE_FLAGS = ['--queue', '--queue-prefix', '--shared-dir'];

/** --warmup: frames each segment starts early (only with --segment). */
function warmupOption(flags: Map<string, string>, segment: number | null): number | null {
  const text = flags.get('--warmup');
  if (text === undefined) return null;
  if (segment === null) throw new UsageError('--warmup needs --segment (it is the frames each segment starts early).');
  return parseWarmupFrames(text);
}

function jobsOption(flags: Map<string, string>): number | null {
  const text = flags.get('--jobs');
  if (text === undefined) return null;
  const jobs = Number(text);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) throw new UsageError(`--jobs must be a whole number from 1 to 64, got "${text}".`);
  return jobs;
}

function sharedDirOption(flags: Map<string, string>): string | null {
  const dir = flags.get('--shared-dir');
  if (dir === undefined) return null;
  const full = resolve(dir);
  if (!existsSync(full) || !statSync(full).isDirectory()) throw new UsageError(`--shared-dir "${dir}" is not a folder.`);
  return realpathSync(full);
}

function parseWorker(rest: string[], env: NodeJS.ProcessEnv): WorkerArgs {
  const { flags, positional } = splitOptions('worker', rest, [...QUEUE_FLAGS, '--concurrency', '--gpu'], ['--quiet', '-q']);
  if (positional.length) throw new UsageError(`worker takes no inputs (its jobs come from the queue), got "${positional.join(' ')}".`);
  const url = flags.get('--queue');
  if (!url) throw new UsageError('worker needs --queue redis://[user:password@]host:port[/db].');
  const text = flags.get('--concurrency');
  let concurrency: number | null = null;
  if (text !== undefined) {
    concurrency = Number(text);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError(`--concurrency must be a whole number from 1 to 64, got "${text}".`);
  }
  return {
    command: 'worker',
    queue: parseQueueUrl(url),
    queuePrefix: parseQueuePrefix(flags.get('--queue-prefix')),
    concurrency,
    gpu: gpuOption(flags, env),
    sharedDir: sharedDirOption(flags),
    quiet: flags.has('--quiet') || flags.has('-q'),
  };
}
