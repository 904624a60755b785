// One stylising job run through a page of the engine: shared by `stylize` (one job, one page) and `batch` (many jobs,
// a page each, one browser).
import type { Page } from 'playwright-core';
import type { Progress } from '../engine/index.ts';
import type { StyleOptions } from './args.ts';
import type { JobResult, StylizeJob } from './protocol.ts';

/** The files every job of these options reads, by the names the page asks for (the clip is added per job). */
export function styleFiles(o: StyleOptions): Record<string, string> {
  const files: Record<string, string> = {};
  if ('image' in o.style) files.style = o.style.image;
  if (o.mix && 'image' in o.mix) files.mix = o.mix.image;
  if (o.models) files.models = o.models;
  return files;
}

/** The page's job for these options (the clip at `input`, the result PUT to `output`, unless `names` say otherwise). */
export function stylizeJob(o: StyleOptions, names: { inputName?: string; outputName?: string; settingsHash?: string } = {}): StylizeJob {
  return {
    stylePreset: 'preset' in o.style ? o.style.preset : null,
    mixPreset: o.mix && 'preset' in o.mix ? o.mix.preset : null,
    mixImage: !!o.mix && 'image' in o.mix,
    mixWeight: o.mixWeight,
    strength: o.strength,
    size: o.size,
    temporal: o.temporal,
    models: o.models !== null,
    flowSize: o.flowSize,
    temporalMethod: o.temporalMethod,
    upsample: o.upsample,
    regions: o.regions,
    adaptiveDetail: o.adaptiveDetail,
    backend: o.backend,
    ...names,
  };
}

/** A GIF job's --gif-fps and --gif-size, those given (the engine's defaults for the rest). */
export function gifJob(o: { gifFps: number | null; gifSize: number | null }): Pick<StylizeJob, 'gifFps' | 'gifSize'> {
  return { ...(o.gifFps === null ? {} : { gifFps: o.gifFps }), ...(o.gifSize === null ? {} : { gifSize: o.gifSize }) };
}

type Guard = <T>(work: Promise<T>) => Promise<T>;

/**
 * For the tests only: `STYLECAST_TEST_FAULT=uncaught-exception|unhandled-rejection` makes the CLI throw outside every
 * try, mid-job (at the second frame), to check that such a bug still leaves nothing behind (bin/stylecast.mjs).
 */
function testFault(p: Progress): void {
  const fault = process.env.STYLECAST_TEST_FAULT;
  if (!fault || p.framesDone !== 2) return;
  const error = new Error(`test fault (STYLECAST_TEST_FAULT=${fault})`);
  if (fault === 'uncaught-exception') {
    setImmediate(() => {
      throw error;
    });
  } else if (fault === 'unhandled-rejection') {
    void Promise.reject(error);
  }
}

/** Sends the page's progress to `onProgress` (once per page: a page runs one job at a time). */
export const exposeProgress = (page: Page, guard: Guard, onProgress: (p: Progress) => void) =>
  guard(
    page.exposeFunction('stylecastProgress', (p: Progress) => {
      testFault(p);
      onProgress(p);
    }),
  );

/** Runs `job` on `page` (a page of the engine, ready, its progress exposed); `guard` turns a crash into BROWSER_CRASHED. */
export const runOnPage = (page: Page, guard: Guard, job: StylizeJob): Promise<JobResult> => guard(page.evaluate((j) => window.stylecastRun(j), job));
