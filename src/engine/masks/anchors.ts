// BlazeFace's fixed anchors and its decoding parameters (MediaPipe's face_detection_{short,full}_range graphs:
// SsdAnchorsCalculator + TensorsToDetectionsCalculator options), and the weighted non-maximum suppression that
// merges the anchors of one face. Plain numbers: no tfjs, so Node tests can check them.

export interface FaceDetectorParams {
  /** The square input side the anchors assume. */
  size: number;
  /** Feature-map strides, one per SSD layer; consecutive layers of one stride share a grid. */
  strides: number[];
  /** Anchors per layer: 1 (aspect ratio 1) + 1 when the interpolated scale is used. */
  anchorsPerLayer: number;
  /** Below this (after the sigmoid) a candidate is dropped. */
  minScore: number;
  /** Candidates overlapping a better one by more than this IoU are merged into it. */
  minSuppressionIou: number;
}

export const FACE_DETECTORS: Readonly<Record<'face-short' | 'face-full', FaceDetectorParams>> = {
  'face-short': { size: 128, strides: [8, 16, 16, 16], anchorsPerLayer: 2, minScore: 0.5, minSuppressionIou: 0.3 },
  'face-full': { size: 192, strides: [4], anchorsPerLayer: 1, minScore: 0.6, minSuppressionIou: 0.3 },
};

/**
 * Anchor centres [x0, y0, x1, y1, …] in [0,1] of the input, in the order of the model's outputs: per group of
 * layers sharing a stride, row by row, column by column, then the anchors of that cell (fixed anchor size: 1×1).
 */
export function anchorCentres(p: FaceDetectorParams): Float32Array {
  const out: number[] = [];
  for (let layer = 0; layer < p.strides.length; ) {
    const stride = p.strides[layer];
    let perCell = 0;
    while (layer < p.strides.length && p.strides[layer] === stride) {
      perCell += p.anchorsPerLayer;
      layer++;
    }
    const cells = Math.ceil(p.size / stride);
    for (let y = 0; y < cells; y++)
      for (let x = 0; x < cells; x++)
        for (let a = 0; a < perCell; a++) out.push((x + 0.5) / cells, (y + 0.5) / cells);
  }
  return Float32Array.from(out);
}

export interface Point {
  x: number;
  y: number;
}

export interface Face {
  /** Normalised [0,1] frame coordinates, top-left origin, x right, y down. */
  box: { x: number; y: number; width: number; height: number };
  /** Right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion (the subject's right/left). */
  keypoints: Point[];
  /** 0..1. */
  score: number;
}

/** A decoded candidate: score, then box centre x, y, width, height and 6 keypoints (x, y), all in [0,1] of the input. */
export const CANDIDATE_STRIDE = 17;

function iou(a: Face['box'], b: Face['box']): number {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width);
  const y1 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** Candidates as faces (box corner + size), those above `minScore`, best first. */
export function candidatesToFaces(c: ArrayLike<number>, minScore: number): Face[] {
  const faces: Face[] = [];
  for (let i = 0; i + CANDIDATE_STRIDE <= c.length; i += CANDIDATE_STRIDE) {
    const score = c[i];
    if (!(score >= minScore)) continue;
    const [cx, cy, w, h] = [c[i + 1], c[i + 2], c[i + 3], c[i + 4]];
    const keypoints = Array.from({ length: 6 }, (_, k) => ({ x: c[i + 5 + 2 * k], y: c[i + 6 + 2 * k] }));
    faces.push({ box: { x: cx - w / 2, y: cy - h / 2, width: w, height: h }, keypoints, score });
  }
  return faces.sort((a, b) => b.score - a.score);
}

/**
 * MediaPipe's weighted NMS: take the best remaining face, gather every remaining face overlapping it by more than
 * `minIou`, and replace them by their score-weighted average (box and keypoints); the score is the best one's.
 */
export function weightedNms(faces: Face[], minIou: number): Face[] {
  let left = [...faces].sort((a, b) => b.score - a.score);
  const out: Face[] = [];
  while (left.length) {
    const best = left[0];
    const group = left.filter((f) => iou(best.box, f.box) > minIou);
    left = left.filter((f) => !group.includes(f));
    const total = group.reduce((s, f) => s + f.score, 0);
    const avg = (get: (f: Face) => number) => group.reduce((s, f) => s + get(f) * f.score, 0) / total;
    out.push({
      box: { x: avg((f) => f.box.x), y: avg((f) => f.box.y), width: avg((f) => f.box.width), height: avg((f) => f.box.height) },
      keypoints: best.keypoints.map((_, k) => ({ x: avg((f) => f.keypoints[k].x), y: avg((f) => f.keypoints[k].y) })),
      score: best.score,
    });
  }
  return out;
}
