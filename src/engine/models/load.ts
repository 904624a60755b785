// Loading a converted graph model of a known role: its model.json is checked for the role's inputs and outputs first,
// and every failure is one MODEL_LOAD_FAILED sentence naming the model, the URL and what to do.
import * as tf from '@tensorflow/tfjs';
import { missingForRole, type ModelJson } from '../../convert/signature.ts';
import { StylecastError } from '../errors.ts';
import type { RoleName } from './roles.ts';

/** Loads `url` (a model.json) as `role`; `title` names it in errors, `hint` says how to fix them. */
export async function loadRoleGraph(url: string, role: RoleName, title: string, hint: string): Promise<tf.GraphModel> {
  const failed = (why: string, cause?: unknown) => new StylecastError('MODEL_LOAD_FAILED', `Could not load the ${title} from ${url}: ${why}. ${hint}`, { cause });
  let json: ModelJson;
  try {
    const r = await fetch(url);
    if (!r.ok) throw failed(`HTTP ${r.status}`);
    json = (await r.json()) as ModelJson;
  } catch (e) {
    throw e instanceof StylecastError ? e : failed(e instanceof Error ? e.message : String(e), e);
  }
  const missing = missingForRole(json, role);
  if (missing.length) throw failed(`missing ${missing.join(', ')}`);
  try {
    return await tf.loadGraphModel(url);
  } catch (e) {
    throw failed(e instanceof Error ? e.message : String(e), e);
  }
}
