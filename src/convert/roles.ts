// Which role a TFLite model plays (src/engine/models/roles.ts), told apart by the shapes of its inputs and outputs.
import { inputShape, ROLES, type RoleInput, type RoleName, type RoleOutput } from '../engine/models/roles.ts';
import type { Model, Tensor } from './tflite.ts';

export { ROLES, type RoleName as Role };

export interface Assignment {
  role: RoleName;
  /** Our name for each TFLite input and output tensor index. */
  names: Map<number, string>;
  /** Inputs whose height and width the graph keeps (the model's anchors or pooling assume them). */
  fixedSize: Set<number>;
}

const fits = (shape: readonly number[], pattern: readonly number[]) =>
  shape.length === pattern.length && pattern.every((p, i) => p === -1 || p === shape[i]);

/** An image input matches any [1,H,W,3] unless the role fixes its size; a vector input matches its shape. */
function inputFits(t: Tensor, i: RoleInput): boolean {
  if (i.kind === 'vector') return fits(t.shape, i.shape);
  return fits(t.shape, i.fixed ? inputShape(i) : [1, -1, -1, 3]);
}

/** Pairs each tensor with the one spec it fits (first fit wins: the specs of a role are distinct). */
function pair<S>(tensors: Tensor[], specs: readonly S[], ok: (t: Tensor, s: S) => boolean): Map<Tensor, S> | null {
  if (tensors.length !== specs.length) return null;
  const left = [...specs];
  const out = new Map<Tensor, S>();
  for (const t of tensors) {
    const k = left.findIndex((s) => ok(t, s));
    if (k < 0) return null;
    out.set(t, left.splice(k, 1)[0]);
  }
  return out;
}

const shapeText = (s: readonly number[]) => `[${s.map((d) => (d === -1 ? '?' : d)).join(',')}]`;
const roleText = (r: RoleName) => {
  const spec = ROLES[r];
  const ins = spec.inputs.map((i) => (i.kind === 'vector' ? shapeText(i.shape) : shapeText(i.fixed ? inputShape(i) : [1, -1, -1, 3])));
  return `a ${spec.title} (inputs ${ins.join(' and ')}; outputs ${spec.outputs.map((o: RoleOutput) => shapeText(o.shape)).join(' and ')})`;
};
const EXPECTED = (Object.keys(ROLES) as RoleName[]).map(roleText).join(', or ');

const describe = (ts: Tensor[]) => ts.map((t) => `"${t.name}" [${t.shape.join(',')}]`).join(', ') || 'none';

/** Which role the model plays and what each input and output is called, or why it fits none. */
export function assignRoles(model: Model): Assignment | string {
  const ins = model.inputs.map((i) => model.tensors[i]);
  const outs = model.outputs.map((i) => model.tensors[i]);
  for (const role of Object.keys(ROLES) as RoleName[]) {
    const spec = ROLES[role];
    const inputs = pair(ins, spec.inputs, inputFits);
    const outputs = pair(outs, spec.outputs, (t, o) => fits(t.shape, o.shape));
    if (!inputs || !outputs) continue;
    return {
      role,
      names: new Map([...inputs, ...outputs].map(([t, s]) => [t.index, s.name])),
      fixedSize: new Set([...inputs].filter(([, s]) => s.kind === 'image' && s.fixed).map(([t]) => t.index)),
    };
  }
  return `the model has inputs ${describe(ins)} and outputs ${describe(outs)}, but stylecast needs ${EXPECTED}`;
}
