// The networks stylecast runs, one entry per role: where set-up installs it, the names of its graph's inputs and
// outputs, the TFLite shapes that identify it, and how its input is made (size, value range, channel order,
// fitting). Shared by the converter (src/convert), set-up (src/setup) and the engine; no Node or tfjs imports.

/** The style network's bottleneck (style vector) length. */
export const BOTTLENECK_SIZE = 100;

export type RoleName = 'predictor' | 'transformer' | 'person' | 'person-landscape' | 'face-short' | 'face-full';
export type StyleRole = 'predictor' | 'transformer';
export type MaskRole = Exclude<RoleName, StyleRole>;

/** How a frame of another shape is brought to a fixed-size input. */
export type Fit =
  /** Any size runs (the network is fully convolutional and its resizes are relative). */
  | 'any'
  /** Shorter side scaled to the size, then the centre cut out (the style predictor). */
  | 'centre-crop'
  /** Both sides scaled to the size, aspect ratio not kept (MediaPipe's selfie segmentation). */
  | 'stretch'
  /** Scaled to fit inside, centred, the rest black (pixel value 0, i.e. `range[0]` after normalisation), as
   *  MediaPipe's face detector does (`keep_aspect_ratio: true`, `BORDER_ZERO` on the image before conversion). */
  | 'letterbox';

export interface ImageInput {
  kind: 'image';
  name: string;
  /** [height, width] the engine feeds it, or null when any size runs. */
  size: readonly [number, number] | null;
  /** The graph itself needs exactly `size` (its anchors or pooling assume it); otherwise any size runs. */
  fixed: boolean;
  /** What pixel values 0 and 255 become: the network's input is `lo + (hi − lo) · v / 255`. */
  range: readonly [number, number];
  channels: 'RGB';
  fit: Fit;
}

export interface VectorInput {
  kind: 'vector';
  name: string;
  /** TFLite shape ([1,1,1,100] for the style bottleneck). */
  shape: readonly number[];
}

export type RoleInput = ImageInput | VectorInput;

export interface RoleOutput {
  name: string;
  /** TFLite shape that identifies it; -1 = any size (follows the input). */
  shape: readonly number[];
  /** What the numbers mean, for people. */
  meaning: string;
}

export interface RoleSpec {
  name: RoleName;
  /** For messages: "style predictor", "person segmenter", … */
  title: string;
  /** Directory under public/models/ that set-up installs the model set into. */
  modelSet: string;
  /** The converted graph's directory inside the model set. */
  dir: string;
  inputs: readonly RoleInput[];
  outputs: readonly RoleOutput[];
}

const STYLE_SET = 'magenta-arbitrary-style-mobile';
export const MASK_SET = 'mediapipe-masks';

const unit = [0, 1] as const;
const signed = [-1, 1] as const;
const bottleneck: VectorInput = { kind: 'vector', name: 'style_bottleneck', shape: [1, 1, 1, BOTTLENECK_SIZE] };

const face = (name: 'face-short' | 'face-full', size: number, anchors: number): RoleSpec => ({
  name,
  title: `${name === 'face-short' ? 'short' : 'full'}-range face detector`,
  modelSet: MASK_SET,
  dir: `${name.replace('face-', 'face-detector-')}`,
  inputs: [{ kind: 'image', name: 'face_image', size: [size, size], fixed: true, range: signed, channels: 'RGB', fit: 'letterbox' }],
  outputs: [
    { name: 'face_regressors', shape: [1, anchors, 16], meaning: `per anchor: box centre offset x, y, width, height, then 6 keypoints (x, y), in input pixels (${size})` },
    { name: 'face_scores', shape: [1, anchors, 1], meaning: 'per anchor: the face score as a logit' },
  ],
});

export const ROLES: Readonly<Record<RoleName, RoleSpec>> = {
  predictor: {
    name: 'predictor',
    title: 'style predictor',
    modelSet: STYLE_SET,
    dir: 'style-predictor',
    inputs: [{ kind: 'image', name: 'style_image', size: [256, 256], fixed: false, range: unit, channels: 'RGB', fit: 'centre-crop' }],
    outputs: [{ name: 'style_bottleneck', shape: [1, 1, 1, BOTTLENECK_SIZE], meaning: 'the style vector' }],
  },
  transformer: {
    name: 'transformer',
    title: 'style transformer',
    modelSet: STYLE_SET,
    dir: 'style-transformer',
    inputs: [{ kind: 'image', name: 'content_image', size: null, fixed: false, range: unit, channels: 'RGB', fit: 'any' }, bottleneck],
    outputs: [{ name: 'stylized_image', shape: [1, -1, -1, 3], meaning: 'the stylised image, RGB in [0,1]' }],
  },
  person: {
    name: 'person',
    title: 'person segmenter',
    modelSet: MASK_SET,
    dir: 'person-segmenter',
    inputs: [{ kind: 'image', name: 'person_image', size: [256, 256], fixed: true, range: unit, channels: 'RGB', fit: 'stretch' }],
    outputs: [{ name: 'person_mask', shape: [1, 256, 256, 1], meaning: 'probability that the pixel shows a person, 0..1' }],
  },
  'person-landscape': {
    name: 'person-landscape',
    title: 'person segmenter (landscape)',
    modelSet: MASK_SET,
    dir: 'person-segmenter-landscape',
    inputs: [{ kind: 'image', name: 'person_image', size: [144, 256], fixed: true, range: unit, channels: 'RGB', fit: 'stretch' }],
    outputs: [{ name: 'person_mask', shape: [1, 144, 256, 1], meaning: 'probability that the pixel shows a person, 0..1' }],
  },
  'face-short': face('face-short', 128, 896),
  'face-full': face('face-full', 192, 2304),
};

export const STYLE_ROLES: readonly StyleRole[] = ['predictor', 'transformer'];
export const MASK_ROLES: readonly MaskRole[] = ['person', 'person-landscape', 'face-short', 'face-full'];

/** The role's one image input. */
export function imageInput(role: RoleName): ImageInput {
  return ROLES[role].inputs.find((i): i is ImageInput => i.kind === 'image')!;
}

/** The TFLite shape an input must have: [1,H,W,3] with -1 for any size. */
export function inputShape(i: RoleInput): number[] {
  return i.kind === 'vector' ? [...i.shape] : [1, i.size?.[0] ?? -1, i.size?.[1] ?? -1, 3];
}

/** The style predictor's input side (its 256² centre crop). */
export const STYLE_SIZE = imageInput('predictor').size![0];

/** One sentence on how a role's image input is made, for READMEs, credits and messages. */
export function describeInput(role: RoleName): string {
  const i = imageInput(role);
  const size = i.size ? `${i.size[1]}×${i.size[0]}` : 'any size';
  const fit = { any: 'as it is', 'centre-crop': 'shorter side scaled to it, centre cut out', stretch: 'stretched to it', letterbox: 'scaled to fit, padded with black' }[i.fit];
  return `"${i.name}": ${i.channels} [1,H,W,3], ${size} (${fit}), pixel values mapped to ${i.range[0]}..${i.range[1]}`;
}
