// Checking a model directory (style-predictor/ and style-transformer/ graph models) before anyone loads it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROLES, type Role } from './roles.ts';

export const ROLE_DIRS: Readonly<Record<Role, string>> = { predictor: 'style-predictor', transformer: 'style-transformer' };

interface ModelJson {
  format?: string;
  modelTopology?: { node?: { name: string; op: string }[] };
}

/** What a tfjs graph model.json lacks to play `role` (empty when nothing): the format, inputs, outputs. */
export function missingForRole(json: ModelJson, role: Role): string[] {
  const nodes = json.modelTopology?.node ?? [];
  const placeholders = new Set(nodes.filter((n) => n.op === 'Placeholder').map((n) => n.name));
  const names = new Set(nodes.map((n) => n.name));
  return [
    ...(json.format === 'graph-model' ? [] : [`it is not a tfjs graph model (format "${json.format ?? 'none'}")`]),
    ...ROLES[role].inputs.filter((i) => !placeholders.has(i)).map((i) => `input "${i}"`),
    ...ROLES[role].outputs.filter((o) => !names.has(o)).map((o) => `output "${o}"`),
  ];
}

/** Every problem of `dir` as a model directory, one sentence each (empty when it is usable). */
export function checkModelDir(dir: string): string[] {
  return (Object.keys(ROLE_DIRS) as Role[]).flatMap((role) => {
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
