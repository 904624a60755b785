// Loading a tfjs graph model in Node from its files (model.json + shards), with no HTTP server.
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ModelJson {
  modelTopology: unknown;
  format?: string;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

export function readModelDir(dir: string): Map<string, Uint8Array> {
  const json = readFileSync(join(dir, 'model.json'));
  const { weightsManifest } = JSON.parse(json.toString('utf8')) as ModelJson;
  return new Map([['model.json', json], ...weightsManifest.flatMap((g) => g.paths.map((p) => [p, readFileSync(join(dir, p))] as const))]);
}

export function loadGraphModel(files: Map<string, Uint8Array>): Promise<tf.GraphModel> {
  const json = JSON.parse(new TextDecoder().decode(files.get('model.json'))) as ModelJson;
  const all = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => files.get(p)!)));
  return tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology as tf.io.ModelJSON['modelTopology'],
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      format: json.format,
    }),
  );
}
