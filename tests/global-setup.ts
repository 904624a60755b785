// Vitest globalSetup: makes what the tests need before any runs (not when the config is merely loaded).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
/** The fake webcam's footage for the browser project (vitest.config.ts passes its path to Chromium). */
export const CAMERA_Y4M = resolve(ROOT, 'tests/.tmp/camera.y4m');

export default function setup(): void {
  if (existsSync(CAMERA_Y4M)) return;
  // A real shared clip (never committed), 320×180 at 20 fps; written under a temporary name, then renamed.
  mkdirSync(dirname(CAMERA_Y4M), { recursive: true });
  const clip = resolve(ROOT, '../shared/media/video/pexels-854100-people-walking-sidewalk-640x360-6s.webm');
  const partial = `${CAMERA_Y4M}.${process.pid}.partial.y4m`;
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', clip, '-t', '3', '-vf', 'scale=320:180,fps=20', '-pix_fmt', 'yuv420p', partial]);
  renameSync(partial, CAMERA_Y4M);
}
