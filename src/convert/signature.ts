// What a model directory must hold: which graph goes where and the tensors each must have. No Node or tfjs
// imports, so the engine can use it in the browser too.
import { ROLES, type RoleName, type StyleRole } from '../engine/models/roles.ts';

/** The two graphs a style model directory holds, by role. */
export const ROLE_DIRS: Readonly<Record<StyleRole, string>> = { predictor: ROLES.predictor.dir, transformer: ROLES.transformer.dir };

export interface ModelJson {
  format?: string;
  modelTopology?: { node?: { name: string; op: string }[] };
}

/** What a tfjs graph model.json lacks to play `role` (empty when nothing): the format, inputs, outputs. */
export function missingForRole(json: ModelJson, role: RoleName): string[] {
  const nodes = json.modelTopology?.node ?? [];
  const placeholders = new Set(nodes.filter((n) => n.op === 'Placeholder').map((n) => n.name));
  const names = new Set(nodes.map((n) => n.name));
  return [
    ...(json.format === 'graph-model' ? [] : [`it is not a tfjs graph model (format "${json.format ?? 'none'}")`]),
    ...ROLES[role].inputs.filter((i) => !placeholders.has(i.name)).map((i) => `input "${i.name}"`),
    ...ROLES[role].outputs.filter((o) => !names.has(o.name)).map((o) => `output "${o.name}"`),
  ];
}
