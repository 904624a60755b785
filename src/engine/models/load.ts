// Loading a converted graph model of a known role: its model.json is checked for the role's inputs and outputs first,
// and every failure is one MODEL_LOAD_FAILED sentence naming the model, the URL and what to do.
//
// Two steps, so the engine can start fetching before the tfjs backend is up: `fetchRoleGraph` reads model.json (one
// request, checked) and the weight shards into memory (at once, or when first asked for) — no tensors, so no backend
// needed — and `graphFrom` makes the graph (weights into tensors on the backend now chosen). Before, the graph's files
// were fetched only once the backend had started, and model.json twice (once for the check, once by tf.loadGraphModel).
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { missingForRole, type ModelJson } from '../../convert/signature.ts';
import { StylecastError } from '../errors.ts';
import type { RoleName } from './roles.ts';

/**
 * A graph's model.json, checked for its role, and its weight shards on their way; `failed` makes the model's error
 * for a later step.
 */
export interface FetchedGraph {
  url: string;
  json: tf.io.ModelJSON;
  /** The shards' bytes in the manifest's order (rejects with the model's error); downloaded on the first call. */
  weights(): Promise<ArrayBuffer[]>;
  failed: (why: string, cause?: unknown) => StylecastError;
}

/**
 * Resolves once `url`'s model.json is fetched and checked; its weight shards download side by side, from now on, or
 * with `weights: 'later'` when first asked for (FetchedGraph.weights).
 */
export async function fetchRoleGraph(url: string, role: RoleName, title: string, hint: string, options: { weights?: 'now' | 'later' } = {}): Promise<FetchedGraph> {
  const failed = (why: string, cause?: unknown) => new StylecastError('MODEL_LOAD_FAILED', `Could not load the ${title} from ${url}: ${why}. ${hint}`, { cause });
  const asFailure = (e: unknown) => (e instanceof StylecastError ? e : failed(e instanceof Error ? e.message : String(e), e));
  const get = async (at: string) => {
    const r = await fetch(at);
    if (!r.ok) throw failed(at === url ? `HTTP ${r.status}` : `HTTP ${r.status} for ${at}`);
    return r;
  };
  let json: ModelJson & tf.io.ModelJSON;
  try {
    json = (await (await get(url)).json()) as ModelJson & tf.io.ModelJSON;
  } catch (e) {
    throw asFailure(e);
  }
  const missing = missingForRole(json, role);
  if (missing.length) throw failed(`missing ${missing.join(', ')}`);
  const shards = (json.weightsManifest ?? []).flatMap((group) => group.paths.map((p) => new URL(p, new URL(url, globalThis.location?.href)).href));
  let download: Promise<ArrayBuffer[]> | null = null;
  const weights = () => {
    download ??= Promise.all(shards.map(async (at) => (await get(at)).arrayBuffer())).catch((e: unknown) => {
      throw asFailure(e);
    });
    return download;
  };
  if (options.weights !== 'later') weights().catch(() => {}); // awaited by graphFrom, which reports it
  return { url, json, weights, failed };
}

/** The graph of fetched files, once its weights are in: tensors on the current backend. */
export async function graphFrom(fetched: FetchedGraph): Promise<GraphModel> {
  const data = await fetched.weights();
  try {
    const specs = (fetched.json.weightsManifest ?? []).flatMap((group) => group.weights);
    return await loadGraphModel(tf.io.fromMemory(tf.io.getModelArtifactsForJSONSync(fetched.json, specs, data)));
  } catch (e) {
    throw fetched.failed(e instanceof Error ? e.message : String(e), e);
  }
}

/** Loads `url` (a model.json) as `role`; `title` names it in errors, `hint` says how to fix them. */
export async function loadRoleGraph(url: string, role: RoleName, title: string, hint: string): Promise<GraphModel> {
  return graphFrom(await fetchRoleGraph(url, role, title, hint));
}
