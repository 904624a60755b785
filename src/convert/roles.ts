// The two kinds of model the engine runs, told apart by the shapes of a TFLite model's inputs and outputs.
import type { Model, Tensor } from './tflite.ts';

const BOTTLENECK_SIZE = 100;

export const ROLES = {
  predictor: { inputs: ['style_image'], outputs: ['style_bottleneck'] },
  transformer: { inputs: ['content_image', 'style_bottleneck'], outputs: ['stylized_image'] },
} as const;
export type Role = keyof typeof ROLES;

const EXPECTED =
  `a style predictor (input: an image [1,H,W,3]; output: a style vector [1,1,1,${BOTTLENECK_SIZE}]) or a style transformer ` +
  `(inputs: an image [1,H,W,3] and a style vector [1,1,1,${BOTTLENECK_SIZE}]; output: an image [1,H,W,3])`;

const isImage = (t: Tensor) => t.shape.length === 4 && t.shape[3] === 3;
const isVector = (t: Tensor) => t.shape.length === 4 && t.shape[1] === 1 && t.shape[2] === 1 && t.shape[3] === BOTTLENECK_SIZE;

export interface Assignment {
  role: Role;
  /** Our name for each TFLite input and output tensor index. */
  names: Map<number, string>;
}

const describe = (ts: Tensor[]) => ts.map((t) => `"${t.name}" [${t.shape.join(',')}]`).join(', ') || 'none';

/** Which role the model plays and what each input and output is called, or why it fits neither. */
export function assignRoles(model: Model): Assignment | string {
  const ins = model.inputs.map((i) => model.tensors[i]);
  const outs = model.outputs.map((i) => model.tensors[i]);
  if (outs.length === 1 && isVector(outs[0]) && ins.length === 1 && isImage(ins[0])) {
    return { role: 'predictor', names: new Map([[ins[0].index, 'style_image'], [outs[0].index, 'style_bottleneck']]) };
  }
  if (outs.length === 1 && isImage(outs[0]) && ins.length === 2) {
    const image = ins.find(isImage);
    const vector = ins.find(isVector);
    if (image && vector && image !== vector) {
      return {
        role: 'transformer',
        names: new Map([[image.index, 'content_image'], [vector.index, 'style_bottleneck'], [outs[0].index, 'stylized_image']]),
      };
    }
  }
  return `the model has inputs ${describe(ins)} and outputs ${describe(outs)}, but stylecast needs ${EXPECTED}`;
}
