// The stylecast command line: validates arguments, then drives the browser engine in headless Chromium.
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Progress, StylizeResult } from '../engine/index.ts';
import { DEFAULT_GIF_SIZE } from '../engine/sinks/gif-size.ts';
import { isStylecastError } from '../engine/errors.ts';
import { USAGE, UsageError, parseArgs, presetNames, type ConvertArgs, type FlowArgs, type StylizeArgs } from './args.ts';
import { cancelOnSignal, openSession, type Session } from './browser.ts';
import { checkFreeSpace, checkOutputPlace, commitOutput, minimumOutputBytes, partialPath, sweepStalePartials, writeError } from './files.ts';
import type { JobResult } from './protocol.ts';
import { exposeProgress, gifJob, runOnPage, styleFiles, stylizeJob } from './job.ts';
import { batch } from './batch.ts';
import { planSegments, stylizeSegmented } from './segments.ts';
import { queueBatch } from './queue-batch.ts';
import { worker } from './worker.ts';

/** The project's root: the nearest folder above this module with a package.json (src/cli/ in development, dist-cli/ built). */
function projectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(resolve(dir, 'package.json')) && existsSync(resolve(dir, 'vite.config.ts'))) return dir;
    if (dirname(dir) === dir) return resolve(from, '..', '..');
  }
}
const ROOT = projectRoot(import.meta.dirname);

const fail = (message: string, code = 1): number => {
  process.stderr.write(`stylecast: ${message}\n`);
  return code;
};

function formatTime(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The report's GPU line, e.g. "GPU: NVIDIA ampere (hardware)" or "GPU: SwiftShader (software, --gpu auto found …)". */
const gpuLine = (session: Session) => `stylecast: GPU: ${session.gpu.adapter} (${session.gpu.note}).\n`;

function progressPrinter(quiet: boolean): (p: Progress) => void {
  const tty = process.stderr.isTTY === true;
  let lastDecile = -1;
  return (p) => {
    if (quiet) return;
    const fraction = p.framesTotal ? p.framesDone / p.framesTotal : 0;
    const fps = p.elapsedMs > 0 ? (p.framesDone / p.elapsedMs) * 1000 : 0;
    const eta = p.etaMs === null ? '--:--' : formatTime(p.etaMs);
    if (tty) {
      const width = 30;
      const filled = Math.round(fraction * width);
      process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.framesDone}/${p.framesTotal} frames  ${fps.toFixed(1)} fps  ETA ${eta} `);
      if (p.framesDone === p.framesTotal) process.stderr.write('\n');
    } else {
      const decile = Math.floor(fraction * 10);
      if (decile !== lastDecile) {
        lastDecile = decile;
        process.stderr.write(`stylecast: ${p.framesDone}/${p.framesTotal} frames (${Math.round(fraction * 100)}%), ${fps.toFixed(1)} fps, ETA ${eta}\n`);
      }
    }
  };
}

/** How long a cancelled job may take to stop before the command exits anyway (the clean-up runs on exit). */
const CANCEL_GRACE_MS = 5_000;

/**
 * Ctrl-C, SIGTERM, SIGHUP (cancelOnSignal): while a job runs, the first asks the page to cancel (the job ends with
 * CANCELLED and exit 128 + the signal's number); a second, or one before the job runs, or a job that does not stop
 * within CANCEL_GRACE_MS, exits at once. Either way the session's exit hook kills the browser and removes every
 * temporary folder and partial file.
 */
function signalHandler() {
  let session: Session | null = null;
  const cancel = cancelOnSignal(() => {
    if (!session) return false;
    process.stderr.write('\nstylecast: cancelling…\n');
    void session.page.evaluate(() => window.stylecastCancel?.()).catch(() => {});
  }, CANCEL_GRACE_MS);
  return {
    handle: cancel.onSignal,
    running: (s: Session) => {
      session = s;
    },
    exitCode: cancel.exitCode,
  };
}

async function stylize(args: StylizeArgs): Promise<number> {
  if (args.segment && args.format === 'gif') {
    // Segments are joined as MP4 packets: a GIF is made in one piece.
    if (!args.quiet) process.stderr.write('stylecast: --segment is for MP4 output; the GIF is made in one piece.\n');
  } else if (args.segment) {
    // --segment: segments stylised in parallel and joined (a clip of one segment, or an animated image, runs whole).
    const plan = await planSegments(args.input, args.segment);
    if (plan && plan.segments.length > 1) return stylizeSegmented(args, ROOT, plan, progressPrinter(args.quiet));
  }
  const files = { ...styleFiles(args), input: args.input };
  const job = { ...stylizeJob(args), format: args.format, ...gifJob(args) };
  const output = checkOutputPlace(args.output);
  checkFreeSpace(dirname(output), minimumOutputBytes(statSync(args.input).size), args.output);
  sweepStalePartials(output);
  const partial = partialPath(output);
  const signals = signalHandler();
  const session = await openSession(ROOT, files, undefined, undefined, [], { gpu: args.gpu, server: 'static', uploadTo: { output: partial }, onSignal: signals.handle });
  signals.running(session);
  try {
    const printer = progressPrinter(args.quiet);
    let firstFrameAt: number | null = null; // ms since this process started (Node's performance clock)
    await exposeProgress(session.page, session.guard, (p: Progress) => {
      if (firstFrameAt === null && p.framesDone >= 1) firstFrameAt = performance.now();
      printer(p);
    });
    const result: JobResult = await runOnPage(session.page, session.guard, job);
    const writing = session.uploadError('output');
    if (writing) throw writeError(writing, args.output);
    if (!result.ok) return fail(`${result.message} (${result.code})`, signals.exitCode() ?? 1);
    if (!session.received('output')) return fail('the browser finished but sent no output.');
    commitOutput(partial, output);
    if (!args.quiet) {
      const wallPerFrame = result.frames > 0 ? result.elapsedMs / result.frames : 0;
      process.stderr.write(
        `stylecast: wrote ${args.output}: ${result.frames} frames, ${result.width}×${result.height} ${result.codec}` +
          `${result.hasAudio ? ', audio copied' : ''}${result.codec === 'gif' ? ` (looping, no audio)${gifNote(result, args)}` : ''}; network at ${result.inferWidth}×${result.inferHeight} on ${result.backend} ` +
          `(${result.backendReason}) in ${(result.elapsedMs / 1000).toFixed(1)} s.\n` +
          `stylecast: temporal smoothing ${result.temporal > 0 ? `α ${result.temporal}, ${args.temporalMethod}, ` : ''}${result.smoothing}; per frame: network ` +
          `${result.stageMs.network.toFixed(1)} ms${result.stageMs.temporal === null ? '' : `, flow + blend ${result.stageMs.temporal.toFixed(1)} ms`}` +
          `${result.stageMs.regions == null ? '' : `, regions ${result.stageMs.regions.toFixed(1)} ms`}` +
          `; stage costs overlap (they run concurrently, so they can add up to more than this); wall time per frame ` +
          `${wallPerFrame.toFixed(1)} ms.\n` +
          (firstFrameAt === null ? '' : `stylecast: start-up: ${(firstFrameAt / 1000).toFixed(1)} s from the command to the first stylised frame.\n`) +
          `stylecast: upsampling: ${result.upsampling}.\n` +
          (result.regions ? `stylecast: regions: ${result.regions}.\n` : '') +
          gpuLine(session),
      );
    }
    return 0;
  } finally {
    rmSync(partial, { force: true });
    await session.close();
  }
}

/** What a GIF kept of its source and left out: its size when reduced, frames above the cap, the sound. */
function gifNote(result: { frames: number; width: number; height: number; gif?: StylizeResult['gif'] }, args: StylizeArgs): string {
  const gif = result.gif;
  if (!gif) return '';
  const what = gif.source === 'video' ? 'clip' : 'image';
  const scaled = gif.sourceWidth !== result.width || gif.sourceHeight !== result.height;
  const size = scaled ? `; scaled down from the ${what}'s ${gif.sourceWidth}×${gif.sourceHeight} (--gif-size ${args.gifSize ?? DEFAULT_GIF_SIZE})` : '';
  const rate = `${Number(gif.sourceFps.toFixed(2))} fps`;
  // An image's frames are capped only when asked to, or past what a GIF shows (50 a second).
  const cap = gif.source === 'image' && args.gifFps === null ? `${gif.fps} fps, the most a GIF shows` : `${gif.fps} fps (--gif-fps)`;
  const kept =
    result.frames < gif.sourceFrames
      ? `; ${result.frames} of the ${what}'s ${gif.sourceFrames} frames (${rate}) kept: GIF frame rate capped at ${cap}, each frame shown until the next`
      : `; every frame of the ${what} (${rate}, within the ${gif.fps} fps cap)`;
  return `${size}${kept}${gif.audioDropped ? "; the clip's audio dropped (a GIF has none)" : ''}`;
}

async function flow(args: FlowArgs): Promise<number> {
  const output = checkOutputPlace(args.output);
  checkFreeSpace(dirname(output), minimumOutputBytes(0), args.output);
  const partial = partialPath(output);
  const signals = signalHandler();
  const session = await openSession(ROOT, { a: args.a, b: args.b }, undefined, undefined, [], { gpu: args.gpu, server: 'static', uploadTo: { output: partial }, onSignal: signals.handle });
  signals.running(session);
  try {
    const result = await session.guard(session.page.evaluate((job) => window.stylecastFlow(job), { backend: args.backend }));
    const writing = session.uploadError('output');
    if (writing) throw writeError(writing, args.output);
    if (!result.ok) return fail(`${result.message} (${result.code})`);
    if (!session.received('output')) return fail('the browser finished but sent no output.');
    commitOutput(partial, output);
    process.stderr.write(`stylecast: wrote ${args.output}: ${result.width}×${result.height} flow, mean motion ${result.meanMagnitude.toFixed(2)} px (${result.device}).\n` + gpuLine(session));
    return 0;
  } finally {
    rmSync(partial, { force: true });
    await session.close();
  }
}

/** Node only: no browser is started. */
async function convert(args: ConvertArgs): Promise<number> {
  const { convertFile, ROLES } = await import('../convert/index.ts');
  const { role, files } = convertFile(args.input, args.output);
  const bytes = [...files.values()].reduce((n, f) => n + f.byteLength, 0);
  process.stderr.write(`stylecast: wrote a ${ROLES[role].title} to ${args.output} (${files.size} files, ${(bytes / 1e6).toFixed(2)} MB).\n`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv, ROOT);
    switch (args.command) {
      case 'help':
        process.stdout.write(USAGE + '\n');
        return 0;
      case 'version':
        process.stdout.write(JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')).version + '\n');
        return 0;
      case 'styles':
        process.stdout.write(presetNames(ROOT).join('\n') + '\n');
        return 0;
      case 'stylize':
        return await stylize(args);
      case 'batch':
        return await (args.queue ? queueBatch({ ...args, queue: args.queue }, ROOT) : batch(args, ROOT));
      case 'worker':
        return await worker(args, ROOT);
      case 'convert':
        return await convert(args);
      case 'flow':
        return await flow(args);
    }
  } catch (e) {
    if (e instanceof UsageError) return fail(e.message, 2);
    // One sentence and its code; an output that would destroy an input is a bad argument (exit 2).
    if (isStylecastError(e)) return fail(`${e.message} (${e.code})`, e.code === 'SAME_FILE' || e.code === 'INVALID_ARGUMENT' || e.code === 'OUTPUT_COLLISION' ? 2 : 1);
    return fail(e instanceof Error ? e.message : String(e));
  }
}
