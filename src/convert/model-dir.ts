// Checking a model directory (style-predictor/ and style-transformer/ graph models) before anyone loads it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StyleRole } from '../engine/models/roles.ts';
import { missingForRole, ROLE_DIRS, type ModelJson } from './signature.ts';

/** Every problem of `dir` as a model directory, one sentence each (empty when it is usable). */
export function checkModelDir(dir: string): string[] {
  return (Object.keys(ROLE_DIRS) as StyleRole[]).flatMap((role) => {
    const file = join(dir, ROLE_DIRS[role], 'model.json');
    if (!existsSync(file)) return [`${file} is missing (the style ${role}; make it with "stylecast convert <model.tflite> -o ${join(dir, ROLE_DIRS[role])}")`];
    let json: ModelJson;
    try {
      json = JSON.parse(readFileSync(file, 'utf8')) as ModelJson;
    } catch (e) {
      return [`${file} is not JSON (${e instanceof Error ? e.message : String(e)})`];
    }
    const missing = missingForRole(json, role);
    return missing.length ? [`${file} cannot be the style ${role}: missing ${missing.join(', ')}`] : [];
  });
}
