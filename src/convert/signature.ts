// What a model directory must hold: which graph goes where and the tensors each must have. No Node or tfjs
// imports, so the engine can use it in the browser too.
import { ROLES, type Role } from './roles.ts';

export const ROLE_DIRS: Readonly<Record<Role, string>> = { predictor: 'style-predictor', transformer: 'style-transformer' };

export interface ModelJson {
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
