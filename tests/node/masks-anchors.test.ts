// BlazeFace's anchors and the post-processing of the mask stage (src/engine/masks/anchors.ts): plain numbers.
import { describe, expect, it } from 'vitest';
import { anchorCentres, candidatesToFaces, FACE_DETECTORS, weightedNms, type Face } from '../../src/engine/masks/anchors.ts';
import { ROLES } from '../../src/engine/models/roles.ts';

const face = (x: number, y: number, w: number, h: number, score: number, k = 0): Face => ({
  box: { x, y, width: w, height: h },
  keypoints: Array.from({ length: 6 }, (_, i) => ({ x: x + k + i / 100, y: y + k })),
  score,
});

describe('BlazeFace anchors', () => {
  for (const role of ['face-short', 'face-full'] as const) {
    it(`${role}: one anchor per output row of the model (${ROLES[role].outputs[0].shape[1]}), centres inside the input`, () => {
      const c = anchorCentres(FACE_DETECTORS[role]);
      expect(c.length / 2).toBe(ROLES[role].outputs[0].shape[1]);
      expect(Math.min(...c)).toBeGreaterThan(0);
      expect(Math.max(...c)).toBeLessThan(1);
    });
  }

  it('short-range: a 16×16 grid with 2 anchors a cell, then an 8×8 grid with 6, row by row', () => {
    const c = anchorCentres(FACE_DETECTORS['face-short']);
    const at = (i: number) => [c[2 * i], c[2 * i + 1]];
    expect(at(0)).toEqual([0.5 / 16, 0.5 / 16]);
    expect(at(1)).toEqual([0.5 / 16, 0.5 / 16]);
    expect(at(2)).toEqual([1.5 / 16, 0.5 / 16]); // next column
    expect(at(32)).toEqual([0.5 / 16, 1.5 / 16]); // next row
    expect(at(512)).toEqual([0.5 / 8, 0.5 / 8]);
    expect(at(517)).toEqual([0.5 / 8, 0.5 / 8]);
    expect(at(518)).toEqual([1.5 / 8, 0.5 / 8]);
    expect(at(895)).toEqual([7.5 / 8, 7.5 / 8]);
  });

  it('full-range: a 48×48 grid, one anchor a cell', () => {
    const c = anchorCentres(FACE_DETECTORS['face-full']);
    expect([c[0], c[1], c[2], c[3]]).toEqual([0.5 / 48, 0.5 / 48, 1.5 / 48, 0.5 / 48].map(Math.fround));
    expect([c[2 * 2303], c[2 * 2303 + 1]]).toEqual([47.5 / 48, 47.5 / 48].map(Math.fround));
  });
});

describe('candidates and weighted NMS', () => {
  it('reads score, centre, size and 6 keypoints; drops those below the threshold; best first', () => {
    const row = (score: number, cx: number) => [score, cx, 0.5, 0.2, 0.4, ...Array.from({ length: 12 }, (_, i) => i / 12)];
    const faces = candidatesToFaces([...row(0.4, 0.1), ...row(0.7, 0.5), ...row(0.9, 0.8)], 0.5);
    expect(faces.map((f) => f.score)).toEqual([0.9, 0.7]);
    expect(faces[0].box.x).toBeCloseTo(0.7);
    expect(faces[0].box.y).toBeCloseTo(0.3);
    expect(faces[0].box.width).toBeCloseTo(0.2);
    expect(faces[0].box.height).toBeCloseTo(0.4);
    expect(faces[0].keypoints[5]).toEqual({ x: 10 / 12, y: 11 / 12 });
  });

  it('merges overlapping faces into their score-weighted average (best score kept); separate faces stay', () => {
    const merged = weightedNms([face(0.1, 0.1, 0.2, 0.2, 0.6, 0), face(0.12, 0.1, 0.2, 0.2, 0.9, 0.02), face(0.6, 0.6, 0.1, 0.1, 0.8)], 0.3);
    expect(merged).toHaveLength(2);
    expect(merged[0].score).toBe(0.9);
    expect(merged[0].box.x).toBeCloseTo((0.1 * 0.6 + 0.12 * 0.9) / 1.5);
    expect(merged[0].keypoints[0].x).toBeCloseTo((0.1 * 0.6 + 0.14 * 0.9) / 1.5);
    for (const [k, v] of Object.entries({ x: 0.6, y: 0.6, width: 0.1, height: 0.1 })) expect(merged[1].box[k as 'x'], k).toBeCloseTo(v, 12);
    // just under the overlap threshold: kept apart
    expect(weightedNms([face(0, 0, 0.2, 0.2, 0.9), face(0.13, 0, 0.2, 0.2, 0.8)], 0.3)).toHaveLength(2);
  });
});
