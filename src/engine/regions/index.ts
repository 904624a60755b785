// The region stage: a per-pixel style strength from face and person masks (and, optionally, the input's fine
// structure), carried along the temporal stage's optical flow so the masks do not flicker, and the blend of the
// full-strength frame with a weaker second pass of the network where the strength is lower (shaders/regions.wgsl).
//
// How a lower strength is rendered (measured by `npm run bench:regions`): the network's own strength — its style
// vector s·b_style + (1−s)·b_content — in a second pass, not a cross-fade with the camera picture (a double
// exposure). When only faces are weakened, that pass covers just the faces' rectangle, at up to twice the frame's
// inference resolution within CROP_BUDGET of its pixels (the instance-aware way: the strokes get smaller relative to
// the face, so its structure survives, for a fraction of a whole pass; below 1× for a rectangle larger than that);
// otherwise it covers the frame at the inference size. Under smoothing it runs every WEAK_EVERY frames, carried along
// the flow in between. The masks and the strength map are at 1/MAP_SCALE of the size each way (the blend looks the
// map up bilinearly), at the full size with adaptive detail. Compute passes (shaders/regions_map.wgsl: masks and
// strength; regions_copy.wgsl and
// regions_blend.wgsl: the mix; regions_cut.wgsl: over the temporal stage's scene cut nothing of the previous shot is
// carried, nor are its faces, which the detector hands late, drawn — decided on the GPU; without smoothing, on the
// stage's own cut test, regions_luma.wgsl), sharing one uniform buffer.
import * as tf from '@tensorflow/tfjs-core';
import mapShader from '../../../shaders/regions_map.wgsl?raw';
import blendShader from '../../../shaders/regions_blend.wgsl?raw';
import copyShader from '../../../shaders/regions_copy.wgsl?raw';
import cutShader from '../../../shaders/regions_cut.wgsl?raw';
import lumaShader from '../../../shaders/regions_luma.wgsl?raw';
import regionsCommon from '../../../shaders/regions_common.wgsl?raw';
import common from '../../../shaders/flow_common.wgsl?raw';
import { defineProgram, dispatch, type ComputeProgram } from '../gpu/program.ts';
import { FULL_FRAME, type NormRect } from '../gpu/frame-import.ts';
import { CUT_INCONSISTENT, CUT_RESIDUAL } from '../temporal/index.ts';

export interface RegionStrengths {
  /** Faces (ellipses from the detector's boxes and keypoints), 0..1 of the global strength. */
  face: number;
  /** The rest of the person (segmentation mask), 0..1. */
  person: number;
  /** Everything else, 0..1. */
  background: number;
}

export interface RegionSettings extends RegionStrengths {
  /** Adaptive detail: how much style fine structure gives up (0 = off, 1 = none left on the finest). */
  adaptiveDetail: number;
}

export const DEFAULT_REGIONS: RegionSettings = { face: 1, person: 1, background: 1, adaptiveDetail: 0 };
/** The amount `adaptiveDetail: true` stands for. */
export const DEFAULT_ADAPTIVE_DETAIL = 0.6;
/** How much of the previous frame's masks is carried along the flow (times the flow's confidence). */
export const MASK_CARRY = 0.6;
/** Faces drawn at most (the detector's few boxes; more are dropped, smallest first; a bit each in nearFaces' masks). */
export const MAX_FACES = 32;
/** Frames a face strength stays in the weak pass after the last face was seen (the carried mask dies out). */
const FACE_LINGER = 8;
/** The weak pass over the faces' rectangle: at most this many times the frame's inference resolution … */
const CROP_UPSCALE = 2;
/**
 * … and at most this share of the frame's pixels (its cost next to the network's): a crop larger than that (a crowd's
 * faces, a face filling the frame) runs below the frame's resolution. Chosen by bench:regions (see README).
 */
export const CROP_BUDGET = 0.2;
/**
 * While smoothing runs, the weak pass runs on every WEAK_EVERY-th frame; in between the blend takes the last one
 * carried along the temporal stage's flow (regions_blend.wgsl), as the person mask is. Chosen by bench:regions.
 */
export const WEAK_EVERY = 2;
/**
 * How much of the input's luma structure weakened pixels take back, times (1 − s) (regions_blend.wgsl); chosen by
 * bench:regions (see README).
 */
export const STRUCTURE = 0.3;
/**
 * A weak pass below the frame's resolution (a crop over the CROP_BUDGET: a crowd's faces) lacks the fine structure its
 * upscaling cannot bring back: the structure taken back grows by this much times (1 − its scale). Chosen by
 * bench:regions (see README).
 */
export const STRUCTURE_BELOW = 1;
/**
 * The masks and the strength map (regions_map.wgsl) are computed at 1/MAP_SCALE of the stage's size each way (rounded
 * up), and the blend looks the map up bilinearly: they are smooth (feathered ellipses; the person mask comes from a
 * 256² segmenter, under 2 px of the map's pixels at 456×256), and on SwiftShader the map's time is its pixels' (the map
 * was 13–14 ms at 456×256 on the crowd, the blend 7). With adaptive detail (the input's fine structure) the map is at
 * the full size. Where the map is exactly 1 around a pixel the blend's strength is exactly 1 (its output the full
 * frame bit for bit): the masks' reach grows by a map pixel.
 */
export const MAP_SCALE: 1 | 2 = 2;
/**
 * For bench:regions and tests: `crop: false` makes faces alone take the whole-frame weak pass too; `structure`
 * overrides STRUCTURE, `personEvery` PERSON_EVERY, `cropBudget` CROP_BUDGET, `weakEvery` WEAK_EVERY, `mapScale`
 * MAP_SCALE, `faceEvery` FACE_EVERY (to compare them).
 */
export const regionTuning: {
  crop: boolean;
  structure: number | null;
  structureBelow: number | null;
  personEvery: number | null;
  cropBudget: number | null;
  weakEvery: number | null;
  mapScale: 1 | 2 | null;
  faceEvery: number | null;
} = {
  crop: true,
  structure: null,
  structureBelow: null,
  personEvery: null,
  cropBudget: null,
  weakEvery: null,
  mapScale: null,
  faceEvery: null,
};

/** A face as the detector gives it (src/engine/masks): normalised frame coordinates, top-left origin. */
export interface RegionFace {
  box: { x: number; y: number; width: number; height: number };
  /** MediaPipe's six: right eye, left eye, nose tip, mouth, right ear tragion, left ear tragion (subject's sides). */
  keypoints?: readonly { x: number; y: number }[];
  score?: number;
}

/** The person mask, 0..1 over the whole frame: a buffer on the stage's device or values to upload. */
export type PersonMask = { width: number; height: number } & ({ buffer: GPUBuffer } | { data: Float32Array });

export interface RegionMasks {
  faces: readonly RegionFace[];
  /**
   * Frames from the frame the faces were detected on to this one (0 or absent: this frame's own). The detector's
   * boxes come late (`frameMasks`), so on a scene cut or after a reset they are the last shot's: the stage draws
   * none detected before the last cut or reset (decided on the GPU, regions_cut.wgsl) — the face region is then the
   * person's or the background's until a box of the new shot arrives. Infinity: of unknown age, never drawn after one.
   */
  facesAge?: number;
  /**
   * The person mask; "carried": none new this frame, the stage carries the last one along the temporal stage's flow
   * (see PERSON_EVERY and `RegionStage.personDue`); null: no person mask.
   */
  person: PersonMask | 'carried' | null;
}

/** The second network pass a frame needs: over `rect` of the frame, at width×height, with the vector at `strength`. */
export interface WeakPass {
  rect: NormRect;
  width: number;
  height: number;
  /** Relative to the global strength. */
  strength: number;
  /** Crop of the faces (true) or the whole frame. */
  crop: boolean;
  /**
   * No pass of its own this frame: the last one, carried along the flow (see WEAK_EVERY; set by `RegionStage.plan`).
   * The frame pipeline then runs no weak pass and hands the stage `weak: null`.
   */
  carried?: boolean;
}

/** Whether these settings change anything (1/1/1 without adaptive detail is exactly today's output: no stage). */
export function regionsActive(s: RegionSettings): boolean {
  return s.face < 1 || s.person < 1 || s.background < 1 || s.adaptiveDetail > 0;
}

/** A face's ellipse in pixels of a width×height picture. */
export interface Ellipse {
  cx: number;
  cy: number;
  ax: number;
  ay: number;
  angle: number;
  /** Feather, a fraction of the radius on either side of the ellipse. */
  feather: number;
}

export const FACE_FEATHER = 0.25;

/**
 * The ellipse that covers a face: the detector's box is about eyebrows to chin, so the ellipse is taller than the
 * box and centred a little above it (forehead, hairline); its width reaches the ears when they are found; it turns
 * with the line through the eyes.
 */
export function faceEllipse(face: RegionFace, width: number, height: number): Ellipse {
  const { box, keypoints: k } = face;
  const bw = box.width * width;
  const bh = box.height * height;
  let ax = 0.62 * bw;
  const ay = 0.78 * bh;
  let angle = 0;
  if (k && k.length >= 2) {
    const [re, le] = k;
    angle = Math.atan2((le.y - re.y) * height, (le.x - re.x) * width);
    if (Math.abs(angle) > Math.PI / 2) angle -= Math.sign(angle) * Math.PI; // eyes given the other way round
  }
  if (k && k.length >= 6) ax = Math.max(ax, 0.6 * Math.hypot((k[5].x - k[4].x) * width, (k[5].y - k[4].y) * height));
  const cx = (box.x + box.width / 2) * width;
  const cy = (box.y + box.height / 2) * height - 0.12 * bh;
  return { cx, cy, ax, ay, angle, feather: FACE_FEATHER };
}

/** The axis-aligned box (pixels) the ellipse's feathered edge stays inside. */
export function ellipseBounds(e: Ellipse): { x0: number; y0: number; x1: number; y1: number } {
  const c = Math.cos(e.angle);
  const s = Math.sin(e.angle);
  const k = 1 + e.feather;
  const hx = k * Math.hypot(e.ax * c, e.ay * s);
  const hy = k * Math.hypot(e.ax * s, e.ay * c);
  return { x0: e.cx - hx, y0: e.cy - hy, x1: e.cx + hx, y1: e.cy + hy };
}

/**
 * The faces near each 8×8 tile of a width×height map (regions_map.wgsl's workgroups, row by row): bit k of a tile's
 * mask is set when face k's feathered ellipse (r ≤ 1 + feather, as the shader draws it: semi-axes at least 0.5 px,
 * feather at least 1e-3) may reach the tile — its box, 1 % of its half-extents and a pixel wider (the shader's f32
 * rounding). Elsewhere the face's mask is exactly 0, so the map skips it there. The ellipses are in the stage's
 * pixels; `scale`: the stage's pixels per map pixel (map pixel q stands for the stage's point (q + 0.5)·scale − 0.5).
 */
export function nearFaces(ellipses: readonly Ellipse[], width: number, height: number, into?: Uint32Array<ArrayBuffer>, scale: readonly [number, number] = [1, 1]): Uint32Array<ArrayBuffer> {
  const tx = Math.ceil(width / 8);
  const ty = Math.ceil(height / 8);
  const tiles = into ?? new Uint32Array(tx * ty);
  tiles.fill(0);
  ellipses.slice(0, MAX_FACES).forEach((e, k) => {
    const b = ellipseBounds({ ...e, ax: Math.max(e.ax, 0.5), ay: Math.max(e.ay, 0.5), feather: Math.max(e.feather, 1e-3) });
    const mx = 0.005 * (b.x1 - b.x0) + 1;
    const my = 0.005 * (b.y1 - b.y0) + 1;
    const [kx, ky] = scale;
    const map = (v: number, k: number) => (k === 1 ? v : (v + 0.5) / k - 0.5);
    const x0 = Math.max(0, Math.floor(map(b.x0 - mx, kx) / 8));
    const y0 = Math.max(0, Math.floor(map(b.y0 - my, ky) / 8));
    const x1 = Math.min(tx - 1, Math.floor(map(b.x1 + mx, kx) / 8));
    const y1 = Math.min(ty - 1, Math.floor(map(b.y1 + my, ky) / 8));
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) tiles[y * tx + x] |= 1 << k;
  });
  return tiles;
}

/**
 * The stage's own scene-cut test on frames without the temporal stage's flow (smoothing off, regions_luma.wgsl): the
 * frame's mean luma in about LUMA_CELLS cells (32×18 at 456×256), and a cut when more than LUMA_CUT of them moved by
 * over 0.03 since the previous frame. Chosen on the shared clips at 456×256 (bench/luma_cut.py: the same cells
 * computed offline, every frame and with 1 or 2 frames dropped in between): within a shot the largest share is 0.59
 * (0.70, 0.77 with frames dropped) — the walking clip, legs passing close to the camera; the interior clip 0.08 (0.16,
 * 0.24), the bench's portrait and crowd pans 0.17 and 0.51 (0.27, 0.67; 0.34, 0.75); a cut between any two of them
 * (15,822 pairs of frames) at least 0.84, median 0.93. The cells' mean luma difference separates them worse: 0.12
 * within the walking clip (0.18 with a frame dropped) against 0.14 for the closest cut.
 */
export const LUMA_CELLS = 576;
export const LUMA_CUT = 0.78;

/** The cells of the luma test for a width×height frame: about square, about LUMA_CELLS of them. */
export function lumaGrid(width: number, height: number): [number, number] {
  const cell = Math.sqrt((width * height) / LUMA_CELLS);
  return [Math.max(1, Math.min(width, Math.round(width / cell))), Math.max(1, Math.min(height, Math.round(height / cell)))];
}

/**
 * Zeros written from here (no allocation per frame): regions_luma.wgsl's counts, cleared before a frame that compares,
 * and the frame's state at the head of the faces buffer (regions_cut.wgsl's: no cut, a weak pass that is not stale).
 */
const ZEROS = new Uint32Array(3);

/** Where the faces buffer holds nearFaces' masks (bytes): after its header and MAX_FACES faces (regions_map.wgsl). */
const FACE_TILES_OFFSET = 16 + MAX_FACES * 32;

const round4 = (v: number) => Math.max(16, Math.round(v / 4) * 4);

/**
 * The second network pass this frame needs, or null (nothing is weaker than the full-strength frame). Faces alone
 * get a crop around them; anything else (person, background, adaptive detail) the whole frame.
 * `faces`: whether faces are (or were lately) in the picture; `ellipses`: this frame's, in inference pixels.
 */
export function planWeakPass(s: RegionSettings, faces: boolean, person: boolean, ellipses: readonly Ellipse[], inferWidth: number, inferHeight: number): WeakPass | null {
  const detail = 1 - s.adaptiveDetail;
  const lows = [s.background * detail];
  if (person) lows.push(s.person * detail);
  if (faces) lows.push(s.face * detail);
  const strength = Math.min(...lows);
  if (strength >= 1) return null;
  const frame: WeakPass = { rect: FULL_FRAME, width: inferWidth, height: inferHeight, strength, crop: false };
  const onlyFaces = s.background >= 1 && (s.person >= 1 || !person) && s.adaptiveDetail === 0;
  if (!onlyFaces || ellipses.length === 0 || !regionTuning.crop) return frame;
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const e of ellipses) {
    const b = ellipseBounds(e);
    x0 = Math.min(x0, b.x0);
    y0 = Math.min(y0, b.y0);
    x1 = Math.max(x1, b.x1);
    y1 = Math.max(y1, b.y1);
  }
  // A margin of 2 px for the bilinear lookup, then clamped to the frame.
  x0 = Math.max(0, Math.floor(x0 - 2));
  y0 = Math.max(0, Math.floor(y0 - 2));
  x1 = Math.min(inferWidth, Math.ceil(x1 + 2));
  y1 = Math.min(inferHeight, Math.ceil(y1 + 2));
  if (x1 <= x0 || y1 <= y0) return null; // faces wholly outside the picture
  const area = (x1 - x0) * (y1 - y0);
  const scale = Math.min(CROP_UPSCALE, Math.sqrt(((regionTuning.cropBudget ?? CROP_BUDGET) * inferWidth * inferHeight) / area));
  return {
    rect: { x: x0 / inferWidth, y: y0 / inferHeight, width: (x1 - x0) / inferWidth, height: (y1 - y0) / inferHeight },
    width: round4((x1 - x0) * scale),
    height: round4((y1 - y0) * scale),
    strength,
    crop: true,
  };
}

/** The structure taken back for a weak pass (more when it runs below the frame's resolution: STRUCTURE_BELOW). */
export function structureFor(pass: WeakPass | null, width: number): number {
  const base = regionTuning.structure ?? STRUCTURE;
  if (!pass) return base;
  const scale = pass.width / (pass.rect.width * width);
  return base + (regionTuning.structureBelow ?? STRUCTURE_BELOW) * Math.max(0, 1 - scale);
}

/** The faces' age as the `faces_age` uniform: a whole number of frames; unknown or from the future, the largest. */
function faceAge(age = 0): number {
  return age >= 0 && age < 0xffffffff ? Math.floor(age) : 0xffffffff;
}

const R = 'read-only-storage';
const W = 'storage';
const size = 'vec2<u32>';

const regionUniforms = {
  size,
  weak_size: size,
  person_size: size,
  flow_size: size,
  rect_origin: 'vec2<f32>',
  rect_extent: 'vec2<f32>',
  face_strength: 'f32',
  person_strength: 'f32',
  background_strength: 'f32',
  weak: 'f32',
  adaptive: 'f32',
  carry: 'f32',
  face_count: 'u32',
  has_person: 'u32',
  structure: 'f32',
  weak_carried: 'u32',
  origin: size,
  cut_residual: 'f32',
  cut_inconsistent: 'f32',
  faces_age: 'u32',
  fresh: 'u32',
  luma_cells: size,
  luma_cut: 'u32',
  map_size: size,
  map_scale: 'f32',
} as const;

const mapBindings = { input: R, person: R, faces: R, back: R, confidence: R, previous: R, masks: W, strength: W, params: 'uniform' } as const;
/** Masks (carried along the flow) and the strength map, with adaptive detail. */
export const regionMapProgram = defineProgram({
  name: 'regions_map',
  code: `${common}\n${regionsCommon}\n${mapShader}`,
  bindings: mapBindings,
  uniforms: regionUniforms,
});
/**
 * The same without adaptive detail (its call replaced by 0, so the function is compiled out): on SwiftShader the
 * detail code cost every invocation its time even when the branch is never taken (map pass 12–24 ms → 1 ms at
 * 452×256, measured in Chromium on this host).
 */
const mapPlain = {
  name: 'regions_map_plain',
  code: `${common}\n${regionsCommon}\n${mapShader.replace('detail_at(vec2<i32>(id.xy))', '0.0')}`,
  bindings: mapBindings,
  uniforms: regionUniforms,
} as const;
export const regionMapPlainProgram = defineProgram(mapPlain);

const blendBindings = { full: R, weak: R, strength: R, input: R, result: W, back: R, confidence: R, params: 'uniform', faces: R } as const;
const ownWeak = (code: string) => code.replace('let q = weak_source(p);', 'let q = p;');
const fullMap = (code: string) => code.replace('let s = strength_at(px);', 'let s = strength[i];');
/** Each program with a skip of its own → the same with it off (see `unskipped`). */
const withoutSkip = new Map<ComputeProgram, ComputeProgram>();
/** A blend program (regions_blend.wgsl, as `code` has it), and its twin with SKIP false in withoutSkip. */
function blendProgram(name: string, code: string) {
  const decl = { name, code, bindings: blendBindings, uniforms: regionUniforms } as const;
  const program = defineProgram(decl);
  withoutSkip.set(program, defineProgram({ ...decl, name: `${name}_unskipped`, constants: { SKIP: 0 } }));
  return program;
}
/** The full-strength frame mixed with this frame's weak pass by the strength map (the flow lookup compiled out). */
export const regionBlendProgram = blendProgram('regions_blend', `${common}\n${regionsCommon}\n${ownWeak(blendShader)}`);
/** The same with a strength map at the full size (adaptive detail): read at the pixel, no bilinear lookup. */
export const regionBlendFullMapProgram = blendProgram('regions_blend_fullmap', `${common}\n${regionsCommon}\n${fullMap(ownWeak(blendShader))}`);
/** The full frame copied to the result, before a blend over the weak pass's rect alone. */
export const regionCopyProgram = defineProgram({
  name: 'regions_copy',
  code: `${common}\n${regionsCommon}\n${copyShader}`,
  bindings: { full: R, result: W, params: 'uniform' },
  uniforms: regionUniforms,
});
/**
 * Whether the temporal stage finds a scene cut on the frame's flow, for the map and the blend (nothing of the previous
 * shot is carried over a cut), and the frames since the last cut or reset (no face detected before it is drawn): read
 * on the GPU, never waited for. Recorded on every frame (it counts them).
 */
export const regionCutProgram = defineProgram({
  name: 'regions_cut',
  code: `${common}\n${regionsCommon}\n${cutShader}`,
  bindings: { stats: R, faces: W, params: 'uniform' },
  uniforms: regionUniforms,
  workgroupSize: [1, 1, 1],
});
/**
 * The stage's own cut test, for frames without a flow (smoothing off): the frame's luma in a grid of cells, compared
 * with the previous frame's (regions_luma.wgsl); its counts go to regions_cut.wgsl like the temporal stage's sums.
 */
export const regionLumaProgram = defineProgram({
  name: 'regions_luma',
  code: `${common}\n${regionsCommon}\n${lumaShader}`,
  bindings: { input: R, cells: W, stats: W, params: 'uniform' },
  uniforms: regionUniforms,
});
/** The same with the previous frame's weak pass, carried along the flow. */
export const regionBlendCarriedProgram = blendProgram('regions_blend_carried', `${common}\n${regionsCommon}\n${blendShader}`);
/** The carried blend with a strength map at the full size (adaptive detail). */
export const regionBlendCarriedFullMapProgram = blendProgram('regions_blend_carried_fullmap', `${common}\n${regionsCommon}\n${fullMap(blendShader)}`);
withoutSkip.set(regionMapPlainProgram, defineProgram({ ...mapPlain, name: 'regions_map_plain_unculled', constants: { CULL: 0 } }));

/**
 * For tests and bench:regions-passes: the program with its skip off — the map's pipeline constant CULL false (every
 * face for every pixel, not the faces near its workgroup) or a blend's SKIP false (the weak lookup one trip for every
 * pixel): the same WGSL as a pipeline of its own, the reference the skipping program is checked against bit for bit.
 */
export function unskipped(program: ComputeProgram): ComputeProgram {
  const twin = withoutSkip.get(program);
  if (!twin) throw new Error(`program ${program.name} has no skip to turn off`);
  return twin;
}

/** What the stage reads for one frame (buffers on the stage's device). */
export interface RegionFrame {
  /** The network's full-strength output, float32 NHWC RGB at the stage's size. */
  full: GPUBuffer;
  /** The weak pass's output and what it covers, or null (none this frame). */
  weak: { buffer: GPUBuffer; pass: WeakPass } | null;
  /** The frame at the stage's size, float32 NHWC RGB (adaptive detail, and the structure taken back; null: neither). */
  input: GPUBuffer | null;
  settings: RegionSettings;
  masks: RegionMasks;
}

/** The temporal stage's flow of this frame, t → t−1, to carry the masks (null: nothing carried). */
export interface RegionFlow {
  back: GPUBuffer;
  confidence: GPUBuffer;
  /** The temporal stage's scene-cut sums for this flow (confidence.wgsl): over a cut nothing is carried. */
  stats: GPUBuffer;
  width: number;
  height: number;
}

/**
 * Owns the stage's buffers for one network size (two mask histories, the strength map, the result, the faces, the
 * person upload) and creates them once.
 */
export class RegionStage {
  readonly width: number;
  readonly height: number;
  readonly #device: GPUDevice;
  readonly #own: GPUBuffer[] = [];
  readonly #masks: [GPUBuffer, GPUBuffer];
  readonly #strength: GPUBuffer;
  readonly #result: GPUBuffer;
  readonly #faces: GPUBuffer;
  /** The faces near each 8×8 tile (nearFaces; in #faces after the faces, regions_map.wgsl). */
  readonly #tileMasks: Uint32Array<ArrayBuffer>;
  /** The faces as #faces holds them after its header, 8 floats each (regions_map.wgsl): filled per frame, made once. */
  readonly #faceData = new Float32Array(MAX_FACES * 8);
  readonly #params: GPUBuffer;
  readonly #dummy: GPUBuffer;
  /** The luma test's grid (lumaGrid), its cells of the last frame it ran on, and its counts (regions_luma.wgsl). */
  readonly #lumaGrid: [number, number];
  readonly #lumaCells: GPUBuffer;
  readonly #lumaStats: GPUBuffer;
  /** The number of the frame the luma test last recorded its cells on (−1: none). */
  #lumaFrame = -1;
  #personUpload: GPUBuffer | null = null;
  #parity = 0;
  #first = true;
  /** Frames since a face was last seen (Infinity: none yet). */
  #sinceFace = Infinity;
  /**
   * Frames since the last new person mask, while the masks' history runs through the temporal stage's pass (so the
   * next frame has a flow to carry it along); Infinity: nothing to carry (first frame, a reset, no person mask, or a
   * frame outside that pass).
   */
  #sincePerson = Infinity;
  /** The last weak pass the stage blended (kept for frames that carry it), and what frees its buffer. */
  #lastWeak: { buffer: GPUBuffer; pass: WeakPass } | null = null;
  #releaseWeak: (() => void) | null = null;
  /** Frames since the last weak pass of its own, counted like #sincePerson (Infinity: nothing to carry). */
  #sinceWeak = Infinity;
  /** This frame's plan (from `plan`), read by `encode`. */
  #planned: WeakPass | null = null;
  #frameNumber = 0;
  /** The last frame's map size (see MAP_SCALE): the masks' history is at it. */
  #mapSize: [number, number] = [0, 0];
  #mapScale = 1;

  constructor(device: GPUDevice, width: number, height: number) {
    this.#device = device;
    this.width = width;
    this.height = height;
    regionMapPlainProgram.pipeline(device);
    regionBlendProgram.pipeline(device);
    regionCopyProgram.pipeline(device);
    regionCutProgram.pipeline(device);
    regionLumaProgram.pipeline(device);
    // Adaptive detail's map and the carried blend (from the second frame under smoothing): compiled in the background.
    void regionMapProgram.warm(device);
    void regionBlendCarriedProgram.warm(device);
    void regionBlendFullMapProgram.warm(device);
    void regionBlendCarriedFullMapProgram.warm(device);
    const n = width * height;
    const storage = (label: string, bytes: number) => this.#make(label, bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
    this.#masks = [storage('region masks 0', n * 8), storage('region masks 1', n * 8)];
    this.#strength = storage('region strength', n * 4);
    this.#result = storage('regions out', n * 12);
    // The frame's state (regions_cut.wgsl), then the faces, then the faces near each 8×8 tile (regions_map.wgsl).
    this.#tileMasks = new Uint32Array(Math.ceil(width / 8) * Math.ceil(height / 8));
    this.#faces = storage('region faces', FACE_TILES_OFFSET + this.#tileMasks.byteLength);
    this.#dummy = storage('regions (unused binding)', 16);
    this.#lumaGrid = lumaGrid(width, height);
    this.#lumaCells = storage('region luma cells', this.#lumaGrid[0] * this.#lumaGrid[1] * 4);
    this.#lumaStats = storage('region luma cut counts', 12);

    this.#params = this.#make('regions params', regionMapProgram.uniformSize, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  }

  #make(label: string, bytes: number, usage: number): GPUBuffer {
    const b = this.#device.createBuffer({ label, size: Math.max(16, Math.ceil(bytes / 4) * 4), usage });
    this.#own.push(b);
    return b;
  }

  /** This frame's face ellipses in the stage's pixels (largest first, at most MAX_FACES). */
  ellipses(masks: RegionMasks): Ellipse[] {
    return masks.faces
      .map((f) => faceEllipse(f, this.width, this.height))
      .sort((a, b) => b.ax * b.ay - a.ax * a.ay)
      .slice(0, MAX_FACES);
  }

  /**
   * The weak pass this frame needs (see planWeakPass); call once per frame, before `encode`. `flow`: the frame will be
   * recorded into the temporal stage's pass (`defer`); then, on frames between WEAK_EVERY, the plan says `carried`
   * (the last pass, of the same strength and kind, carried along the flow): run none and hand the stage `weak: null`.
   */
  plan(settings: RegionSettings, masks: RegionMasks, flow = false): WeakPass | null {
    this.#sinceFace = masks.faces.length ? 0 : this.#sinceFace + 1;
    const plan = planWeakPass(settings, this.#sinceFace <= FACE_LINGER, masks.person !== null, this.ellipses(masks), this.width, this.height);
    const last = this.#lastWeak?.pass;
    if (plan && flow && last && last.strength === plan.strength && last.crop === plan.crop && this.#sinceWeak + 1 < (regionTuning.weakEvery ?? WEAK_EVERY)) {
      plan.carried = true;
    }
    this.#planned = plan;
    return plan;
  }

  /**
   * Hands the stage what frees this frame's weak-pass buffer (e.g. tfjs's tensor reference): the stage keeps the
   * buffer for the frames that carry it and frees it when a newer pass replaces it, on `reset` or `dispose`. Without
   * this, the caller keeps the buffer unchanged until the next pass of its own.
   */
  retainWeak(release: () => void): void {
    this.#releaseWeak?.();
    this.#releaseWeak = release;
  }

  #forgetWeak(): void {
    this.#releaseWeak?.();
    this.#releaseWeak = null;
    this.#lastWeak = null;
    this.#sinceWeak = Infinity;
  }

  /**
   * The number of the frame the stage encodes next (frames encoded so far; never reset): the clock the faces' age is
   * counted in (`frameMasks`' `frame`).
   */
  get frameNumber(): number {
    return this.#frameNumber;
  }

  /** The strength map of the last frame (s per pixel, relative to the global strength): for tests and tools. */
  get strength(): GPUBuffer {
    return this.#strength;
  }
  /** (face, person) masks of the last frame, after carrying. */
  get masks(): GPUBuffer {
    return this.#masks[1 - this.#parity];
  }
  /**
   * The map `strength` and `masks` were on the last frame (see MAP_SCALE): its scale (the stage's pixels per map pixel
   * each way; map pixel q covers the stage's pixels scale·q … scale·q + scale − 1) and size.
   */
  get map(): { scale: number; width: number; height: number } {
    return { scale: this.#mapScale, width: this.#mapSize[0], height: this.#mapSize[1] };
  }
  /**
   * The map's scale for these settings (the stage's pixels per map pixel each way: MAP_SCALE, 1 with adaptive detail)
   * and its size (the stage's over the scale, rounded up).
   */
  mapFor(adaptive: boolean): { scale: 1 | 2; width: number; height: number } {
    const k = adaptive ? 1 : (regionTuning.mapScale ?? MAP_SCALE);
    return { scale: k, width: Math.ceil(this.width / k), height: Math.ceil(this.height / k) };
  }

  /** Forget the carried masks (a new clip, a seek, a scene cut). */
  reset(): void {
    this.#first = true;
    this.#sincePerson = Infinity;
    this.#forgetWeak();
  }

  /**
   * Whether this frame needs a new person mask, or may take "carried" (see PERSON_EVERY): `flow` says the frame will
   * be recorded into the temporal stage's pass (`defer`), whose flow carries the last mask. Without it, always.
   */
  personDue(flow: boolean): boolean {
    return !flow || this.#sincePerson + 1 >= (regionTuning.personEvery ?? PERSON_EVERY);
  }

  /**
   * How often the face detector runs for the frame the stage encodes next (`frameMasks`' `cadence`): every FACE_EVERY
   * frames when it will be recorded into the temporal stage's pass (`flow`: its flow carries the face masks in
   * between), FACE_EVERY_STILL without; and now on the first frame since the stage was made or reset.
   */
  faceCadence(flow: boolean): { every: number; restart: boolean } {
    return { every: flow ? (regionTuning.faceEvery ?? FACE_EVERY) : FACE_EVERY_STILL, restart: this.#first };
  }

  /**
   * Records the stage into `pass` (after whatever wrote `frame.full`, `frame.weak` and `flow`) and returns its
   * output, float32 NHWC RGB at the stage's size, owned by the stage (valid until the next frame). Writes its
   * uniforms on the queue now: submit the pass after this call.
   */
  encode(pass: GPUComputePassEncoder, frame: RegionFrame, flow: RegionFlow | null): GPUBuffer {
    const { width, height } = this;
    const device = this.#device;
    const s = frame.settings;
    const ellipses = this.ellipses(frame.masks);
    const faceData = this.#faceData;
    // Per face (regions_map.wgsl): the centre, M = rotation by −θ then 1/semi-axes (two rows), 1/feather.
    ellipses.forEach((e, k) => {
      const [c, s, ax, ay] = [Math.cos(e.angle), Math.sin(e.angle), Math.max(e.ax, 0.5), Math.max(e.ay, 0.5)];
      faceData.set([e.cx, e.cy, c / ax, s / ax, -s / ay, c / ay, 1 / Math.max(e.feather, 1e-3), 0], k * 8);
    });
    if (ellipses.length) device.queue.writeBuffer(this.#faces, 16, faceData, 0, ellipses.length * 8);
    const adaptive = s.adaptiveDetail > 0 && frame.input ? s.adaptiveDetail : 0;
    const { scale: mapScale, width: mw, height: mh } = this.mapFor(adaptive > 0);
    device.queue.writeBuffer(this.#faces, FACE_TILES_OFFSET, nearFaces(ellipses, mw, mh, this.#tileMasks, [mapScale, mapScale]));
    // The masks' history is at the last frame's map size: none over a change of it (adaptive detail turned on or off;
    // a carried person mask is then none for this frame).
    const history = !this.#first && this.#mapSize[0] === mw && this.#mapSize[1] === mh;
    // A carried person mask needs the history: never without one (personDue asks for a new mask then).
    const carried = frame.masks.person === 'carried' && history;
    const person = frame.masks.person === 'carried' ? null : frame.masks.person;
    let personBuffer = this.#dummy;
    if (person) {
      if ('buffer' in person) personBuffer = person.buffer;
      else {
        const bytes = person.width * person.height * 4;
        if (!this.#personUpload || this.#personUpload.size < bytes) {
          this.#personUpload?.destroy();
          this.#personUpload = device.createBuffer({ label: 'person mask upload', size: Math.max(16, bytes), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
        }
        device.queue.writeBuffer(this.#personUpload, 0, person.data.buffer, person.data.byteOffset, bytes);
        personBuffer = this.#personUpload;
      }
    }
    const carry = flow && history ? MASK_CARRY : 0;
    // A planned carry takes the last pass (looked up along the flow; held in place on the rare frame without one).
    const carrying = !frame.weak && this.#planned?.carried === true && this.#lastWeak !== null;
    const weak = carrying ? this.#lastWeak : frame.weak;
    if (frame.weak) this.#lastWeak = frame.weak;
    // The frame's state (regions_cut.wgsl): no cut unless the flow shows one; a pass of the frame's own is not stale.
    device.queue.writeBuffer(this.#faces, 0, ZEROS, 0, frame.weak ? 2 : 1);
    // The blend over the weak pass's rect alone (the copy does the rest), when it is a crop looked up in place.
    const lookedUp = carrying && flow;
    const r = weak && weak.pass.crop && !lookedUp ? weak.pass.rect : FULL_FRAME;
    const x0 = Math.max(0, Math.floor(r.x * width));
    const y0 = Math.max(0, Math.floor(r.y * height));
    const x1 = Math.min(width, Math.ceil((r.x + r.width) * width));
    const y1 = Math.min(height, Math.ceil((r.y + r.height) * height));
    const whole = x0 === 0 && y0 === 0 && x1 === width && y1 === height;
    // No flow (smoothing off, or its first frame): the stage's own cut test, against the previous frame's cells when
    // it recorded them (frames in a row; never across a reset).
    const lumaTest = !flow && frame.input !== null;
    const lumaCut = lumaTest && !this.#first && this.#lumaFrame === this.#frameNumber - 1;
    if (lumaCut) device.queue.writeBuffer(this.#lumaStats, 0, ZEROS);
    device.queue.writeBuffer(
      this.#params,
      0,
      regionMapProgram.uniforms({
        size: [width, height],
        weak_size: weak ? [weak.pass.width, weak.pass.height] : [1, 1],
        person_size: person ? [person.width, person.height] : [1, 1],
        // The luma test's grid stands in for the flow's size in regions_cut.wgsl (nothing else reads it without a flow).
        flow_size: flow ? [flow.width, flow.height] : lumaCut ? this.#lumaGrid : [1, 1],
        rect_origin: weak ? [weak.pass.rect.x, weak.pass.rect.y] : [0, 0],
        rect_extent: weak ? [weak.pass.rect.width, weak.pass.rect.height] : [1, 1],
        face_strength: s.face,
        person_strength: s.person,
        background_strength: s.background,
        weak: weak ? weak.pass.strength : 1,
        adaptive,
        carry,
        face_count: ellipses.length,
        has_person: person ? 1 : carried ? 2 : 0,
        structure: frame.input ? structureFor(weak?.pass ?? null, width) : 0,
        weak_carried: lookedUp ? 1 : 0,
        origin: whole ? [0, 0] : [x0, y0],
        // The luma test has no residual (its sum is 0): only the share of changed cells decides.
        cut_residual: lumaCut ? 1 : CUT_RESIDUAL,
        cut_inconsistent: lumaCut ? LUMA_CUT : CUT_INCONSISTENT,
        faces_age: faceAge(frame.masks.facesAge),
        fresh: this.#first ? 1 : 0,
        luma_cells: this.#lumaGrid,
        luma_cut: lumaCut ? 1 : 0,
        map_size: [mw, mh],
        map_scale: mapScale,
      }),
    );
    const out = this.#masks[this.#parity];
    const mapProgram = adaptive ? regionMapProgram : regionMapPlainProgram;
    const map = mapProgram.bind(device, {
      input: adaptive ? frame.input! : this.#dummy,
      person: personBuffer,
      faces: this.#faces,
      back: flow?.back ?? this.#dummy,
      confidence: flow?.confidence ?? this.#dummy,
      previous: this.#masks[1 - this.#parity],
      masks: out,
      strength: this.#strength,
      params: this.#params,
    });
    const fullMap = mapScale === 1;
    const blendProgram = lookedUp ? (fullMap ? regionBlendCarriedFullMapProgram : regionBlendCarriedProgram) : fullMap ? regionBlendFullMapProgram : regionBlendProgram;
    const blend = blendProgram.bind(device, {
      full: frame.full,
      weak: weak?.buffer ?? this.#dummy,
      strength: this.#strength,
      input: frame.input ?? this.#dummy,
      result: this.#result,
      back: (lookedUp && flow?.back) || this.#dummy,
      confidence: (lookedUp && flow?.confidence) || this.#dummy,
      params: this.#params,
      faces: this.#faces,
    });
    // A flow from t−1 (carry > 0), or else the luma test: is it over a scene cut? And frames since the last one, every
    // frame.
    if (lumaTest) {
      dispatch(pass, regionLumaProgram, regionLumaProgram.bind(device, { input: frame.input!, cells: this.#lumaCells, stats: this.#lumaStats, params: this.#params }), ...this.#lumaGrid);
      this.#lumaFrame = this.#frameNumber;
    }
    const stats = lumaCut ? this.#lumaStats : (carry > 0 && flow?.stats) || this.#dummy;
    dispatch(pass, regionCutProgram, regionCutProgram.bind(device, { stats, faces: this.#faces, params: this.#params }), 1);
    dispatch(pass, mapProgram, map, mw, mh);
    if (whole) dispatch(pass, blendProgram, blend, width, height);
    else {
      dispatch(pass, regionCopyProgram, regionCopyProgram.bind(device, { full: frame.full, result: this.#result, params: this.#params }), width, height);
      if (x1 > x0 && y1 > y0) dispatch(pass, blendProgram, blend, x1 - x0, y1 - y0);
    }
    this.#parity = 1 - this.#parity;
    this.#first = false;
    this.#mapSize = [mw, mh];
    this.#mapScale = mapScale;
    this.#sincePerson = person ? 0 : carried ? this.#sincePerson + 1 : Infinity;
    this.#sinceWeak = frame.weak ? 0 : carrying ? this.#sinceWeak + 1 : Infinity; // a frame without one: none to carry next
    this.#planned = null;
    this.#frameNumber++;
    return this.#result;
  }

  #pending: RegionFrame | null = null;

  /**
   * Leaves `frame` to be recorded by the temporal stage's pass once that frame's flow is there (`beforeBlend`, set to
   * `recordPending`); returns the buffer the output will be in.
   */
  defer(frame: RegionFrame): GPUBuffer {
    this.#pending = frame;
    return this.#result;
  }

  /** The temporal stage's hook: records the deferred frame, its masks carried along `flow`. */
  readonly recordPending = (pass: GPUComputePassEncoder, flow: RegionFlow | null): void => {
    const frame = this.#pending;
    this.#pending = null;
    if (frame) this.encode(pass, frame, flow);
  };

  /** `encode` in a pass of its own, submitted now (no flow: nothing is carried). */
  run(frame: RegionFrame): GPUBuffer {
    const encoder = this.#device.createCommandEncoder({ label: 'regions' });
    const pass = encoder.beginComputePass({ label: 'regions' });
    const out = this.encode(pass, frame, null);
    pass.end();
    this.#device.queue.submit([encoder.finish()]);
    this.#sincePerson = Infinity; // outside the temporal pass: the next frame has no flow to carry the mask along
    this.#sinceWeak = Infinity; // nor the weak pass
    return out;
  }

  dispose(): void {
    this.#forgetWeak();
    for (const b of this.#own) b.destroy();
    this.#personUpload?.destroy();
    this.#own.length = 0;
  }
}

// ---- what the frame pipeline asks of this stage ----

/**
 * Where the masks come from: the mask networks (src/engine/masks' MaskModels has this shape). `input` is the
 * network's input, [1,H,W,3] in [0,1]; the person mask is a new [h,w,1] tensor owned by the caller; faces come one
 * frame late or more (never waited for), with the `tag` their detection was submitted with.
 */
export interface MaskSource {
  personMask(input: tf.Tensor4D): tf.Tensor3D;
  submitFaces(input: tf.Tensor4D, tag?: number, options?: { tiles?: number }): boolean;
  latestFaces(): { faces: RegionFace[]; tag: number } | null;
}

/** Per-region strength for one frame, as the pipeline hands it to a frame stylizer. */
export interface RegionRequest {
  settings: RegionSettings;
  /** The mask networks, or null: then `masks` (fixed masks, e.g. a test's) or none at all (background and detail only). */
  source: MaskSource | null;
  masks?: RegionMasks;
  /** The style vector at `strength` × the global strength, owned by the caller (cached). */
  vector(strength: number): tf.Tensor4D;
}

/**
 * The face detector also runs on grids of 2 and 3 overlapping tiles (besides the whole frame): BlazeFace's short-range
 * model finds small faces only so (crowd photo, 17 faces: 0 on the whole frame alone, 9 with tiles 2, 15 with 3, 16
 * with 4 — src/engine/masks' evidence); 3 is 9 crops of 128², small next to the style network.
 */
export const FACE_TILES = 3;
/**
 * The detector runs on every FACE_EVERY-th frame while smoothing runs (its boxes arrive a frame late anyway, and the
 * face masks are carried along the flow in between), on every FACE_EVERY_STILL-th without it (no flow carries them),
 * and always on the first frame after a reset (a seek, a new clip: `RegionStage.faceCadence`), so that a new clip's
 * faces come no later than before. A frame it is due on whose detection cannot start (one still reading back) leaves
 * it due on the next. 3 rather than 2 under smoothing: on the crowd (ten faces, tiles 3) a detection is about a fifth
 * of the network's time, the largest part of the region work after the weak pass (bench:regions with nothing else
 * running, bench/results/regions-vm-amd-quiet-s8-crowd.json: 19 ms a run against the network's 96; the region work
 * 43 % of the network with it every other frame, 40 % every third, median of the rounds' shares). What it costs: a face
 * box up to three frames old instead of two on a moving face (bench:regions, fed labelled boxes, does not score it),
 * and after a scene cut the flow finds (on the GPU: the host does not know of it) the new shot's faces may come a
 * frame later than before; the weak pass every third frame instead was not taken: its second carried frame looks the
 * pass up along one frame's flow while the pass is two frames old (portrait face SSIM 0.830 against 0.835).
 */
export const FACE_EVERY = 3;
export const FACE_EVERY_STILL = 2;
/**
 * While smoothing runs, the person segmenter runs on every PERSON_EVERY-th frame, and in between the stage carries its
 * last mask along the temporal stage's flow (where the flow is trusted the warped mask, elsewhere the mask where it
 * was): a silhouette moves a few pixels a frame, which the flow follows, and the segmenter is a network pass of its
 * own (the whole frame at 256²), the part of the masks' cost that grows with every frame. Without smoothing there is no
 * flow to carry it along, so it runs on every frame (a held mask would trail a moving person by a frame).
 */
export const PERSON_EVERY = 2;
/** Per mask source: its own frame clock (faces' age without the stage's), and frames since a detection last started. */
const faceClocks = new WeakMap<MaskSource, { frame: number; since: number }>();

/** Which masks change the strength map under these settings (a mask that changes nothing is not computed). */
export function masksNeeded(s: RegionSettings): { person: boolean; faces: boolean } {
  const person = s.person !== s.background;
  return { person, faces: s.face !== (person ? s.person : s.background) };
}

/**
 * This frame's masks from `request` for the network input `x`: the person mask on the GPU (`gpu`: tfjs runs on the
 * stage's device, the mask is handed over as a buffer) or read to the CPU (to be uploaded), faces as last detected.
 * `personDue`: whether a new person mask is due this frame (`RegionStage.personDue`); else it is "carried".
 * `frame`: the stage's number of this frame (`RegionStage.frameNumber`): detections are tagged with it, and the faces
 * handed on carry their age in it (`facesAge`; without `frame`, counted in this source's frames).
 * `cadence`: how often the detector runs (`RegionStage.faceCadence`: `every` frames, FACE_EVERY by default; `restart`:
 * now, whenever it last ran — the first frame after a reset).
 * `release` frees what was made (call after the stage's work is submitted).
 */
export async function frameMasks(request: RegionRequest, x: tf.Tensor4D, gpu: boolean, personDue = true, frame?: number, cadence: { every?: number; restart?: boolean } = {}): Promise<{ masks: RegionMasks; release(): void }> {
  const source = request.source;
  if (!source) return { masks: request.masks ?? { faces: [], person: null }, release: () => {} };
  const need = masksNeeded(request.settings);
  let faces: readonly RegionFace[] = [];
  let facesAge = 0;
  if (need.faces) {
    let clock = faceClocks.get(source);
    if (!clock) faceClocks.set(source, (clock = { frame: 0, since: Infinity }));
    const now = frame ?? clock.frame;
    clock.frame++;
    const due = cadence.restart === true || clock.since + 1 >= (cadence.every ?? FACE_EVERY);
    if (due) clock.since = source.submitFaces(x, now, { tiles: FACE_TILES }) ? 0 : Infinity; // due until one starts
    else clock.since++;
    const latest = source.latestFaces();
    faces = latest?.faces ?? [];
    // A tag from the future is another clock's (a source shared with another stage): of unknown age.
    if (latest) facesAge = now >= latest.tag ? now - latest.tag : Infinity;
  }
  if (!need.person) return { masks: { faces, facesAge, person: null }, release: () => {} };
  if (!personDue) return { masks: { faces, facesAge, person: 'carried' }, release: () => {} };
  const mask = source.personMask(x);
  const [height, width] = mask.shape;
  try {
    if (gpu) {
      const { buffer, tensorRef } = mask.dataToGPU();
      if (!buffer) throw new Error('tfjs returned no GPU buffer for the person mask');
      return { masks: { faces, facesAge, person: { buffer, width, height } }, release: () => tensorRef.dispose() };
    }
    const data = (await mask.data()) as Float32Array;
    return { masks: { faces, facesAge, person: { data, width, height } }, release: () => {} };
  } finally {
    mask.dispose();
  }
}

/** A rectangle of a frame at width×height as the network's input, through a 2D canvas (the CPU backends' crop). */
export class CropReader {
  #ctx: OffscreenCanvasRenderingContext2D | null = null;

  read(frame: VideoFrame, rect: NormRect, width: number, height: number): tf.Tensor4D {
    if (!this.#ctx || this.#ctx.canvas.width !== width || this.#ctx.canvas.height !== height) {
      const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
      if (!ctx) throw new Error('OffscreenCanvas has no 2d context');
      ctx.imageSmoothingQuality = 'high';
      this.#ctx = ctx;
    }
    const { displayWidth: w, displayHeight: h } = frame;
    this.#ctx.drawImage(frame, rect.x * w, rect.y * h, rect.width * w, rect.height * h, 0, 0, width, height);
    const pixels = this.#ctx.getImageData(0, 0, width, height);
    return tf.tidy(() => tf.expandDims(tf.div(tf.cast(tf.browser.fromPixels(pixels), 'float32'), 255), 0) as tf.Tensor4D);
  }
}
