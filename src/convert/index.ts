// TFLite model (a role of src/engine/models/roles.ts) → TensorFlow.js graph model, in memory or into a directory (written whole or not at all).
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { buildGraph, UnsupportedModelError } from './graph.ts';
import { modelFiles, type ModelFiles } from './model-json.ts';
import { assignRoles, ROLES, type Role } from './roles.ts';

export { ROLES };
import { readTflite, TfliteFormatError } from './tflite.ts';

/** A model that cannot be converted: not TFLite, the wrong inputs/outputs, or unsupported operators. */
export class ConvertError extends Error {}

export interface Converted extends ModelFiles {
  role: Role;
}

export function convertTflite(bytes: Uint8Array, source: string): Converted {
  let model;
  try {
    model = readTflite(bytes);
  } catch (e) {
    if (e instanceof TfliteFormatError || e instanceof RangeError) throw new ConvertError(`cannot convert ${source}: ${e.message}`);
    throw e;
  }
  const roles = assignRoles(model);
  if (typeof roles === 'string') throw new ConvertError(`cannot convert ${source}: ${roles}`);
  try {
    const graph = buildGraph(model, roles, source);
    const generatedBy = `TFLite: ${basename(source)}${model.description ? ` (${model.description})` : ''}`;
    return { role: roles.role, ...modelFiles(graph, roles.role, generatedBy, 'stylecast convert (tflite → tfjs graph-model; int8 dequantised to float16, float16 kept)') };
  } catch (e) {
    if (e instanceof UnsupportedModelError) throw new ConvertError(e.message);
    throw e;
  }
}

/**
 * Writes the files into `dir` through a sibling temporary directory renamed into place, so `dir` is either
 * absent/unchanged or complete. An existing `dir` is replaced only if it is empty or holds a model.json.
 */
export function writeModelDir(dir: string, model: ModelFiles): void {
  const target = resolve(dir);
  if (existsSync(target) && readdirSync(target).length && !existsSync(join(target, 'model.json'))) {
    throw new ConvertError(`${target} exists and is not a model directory; choose an empty or new directory`);
  }
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    for (const [name, bytes] of model.files) writeFileSync(join(tmp, name), bytes);
    rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function convertFile(input: string, outDir: string): Converted {
  const converted = convertTflite(readFileSync(input), input);
  writeModelDir(outDir, converted);
  return converted;
}
