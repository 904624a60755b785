// A tfjs graph model as files: model.json (topology, weights manifest, signature) and 4 MiB weight shards.
import type { Graph, NodeDef } from './graph.ts';
import { ROLES, type RoleName } from '../engine/models/roles.ts';
import type { Weight } from './weights.ts';

const SHARD_BYTES = 4 * 1024 * 1024;

export interface ModelFiles {
  /** File name → contents; model.json first. */
  files: Map<string, Uint8Array>;
}

const bytesOf = (w: Weight) => new Uint8Array(w.data.values.buffer, w.data.values.byteOffset, w.data.values.byteLength);

function manifestEntry(w: Weight) {
  if (w.data.dtype === 'float16') return { name: w.name, shape: w.shape, dtype: 'float32', quantization: { dtype: 'float16', original_dtype: 'float32' } };
  return { name: w.name, shape: w.shape, dtype: w.data.dtype };
}

function signatureEntry(node: NodeDef, nodes: NodeDef[]) {
  const placeholder = nodes.find((n) => n.name === node.name && n.op === 'Placeholder');
  const dims = placeholder && 'shape' in placeholder.attr.shape ? placeholder.attr.shape.shape.dim.map((d, i) => (i === 0 ? { size: '1' } : d)) : null;
  return { name: `${node.name}:0`, dtype: 'DT_FLOAT', ...(dims ? { tensorShape: { dim: dims } } : {}) };
}

export function modelFiles(graph: Graph, role: RoleName, generatedBy: string, convertedBy: string): ModelFiles {
  const total = graph.weights.reduce((n, w) => n + bytesOf(w).byteLength, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const w of graph.weights) {
    all.set(bytesOf(w), at);
    at += bytesOf(w).byteLength;
  }
  const count = Math.max(1, Math.ceil(total / SHARD_BYTES));
  const shards = Array.from({ length: count }, (_, i) => [`group1-shard${i + 1}of${count}.bin`, all.subarray(i * SHARD_BYTES, (i + 1) * SHARD_BYTES)] as const);
  const byName = (name: string) => graph.nodes.find((n) => n.name === name)!;
  const json = {
    format: 'graph-model',
    generatedBy,
    convertedBy,
    modelTopology: { node: graph.nodes, library: {}, versions: {} },
    weightsManifest: [{ paths: shards.map(([name]) => name), weights: graph.weights.map(manifestEntry) }],
    signature: {
      inputs: Object.fromEntries(ROLES[role].inputs.map(({ name }) => [name, signatureEntry(byName(name), graph.nodes)])),
      outputs: Object.fromEntries(ROLES[role].outputs.map(({ name }) => [name, signatureEntry(byName(name), graph.nodes)])),
    },
  };
  return { files: new Map<string, Uint8Array>([['model.json', new TextEncoder().encode(JSON.stringify(json))], ...shards]) };
}
