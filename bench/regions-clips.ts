// The pan clips bench:regions makes from the shared photos with people, and their hand-labelled faces (used by
// bench/regions.ts and bench/regions-passes.ts).
import type { RegionFace } from '../src/engine/regions/index.ts';

/**
 * A pan over a photo: a window of `win` photo pixels moving by `step` per frame from `start`, scaled to 640×360.
 * Faces: boxes in photo pixels (x, y, w, h), labelled by hand (BlazeFace-like: brows to chin), checked by drawing them.
 */
export const CLIPS = [
  {
    name: 'portrait',
    photo: 'pexels-elly-fairytale-3822220.jpg',
    style: 'udnie',
    win: [426, 240],
    start: [220, 300],
    step: [4, 0],
    faces: [[406, 384, 50, 62]],
  },
  {
    name: 'crowd',
    photo: 'pexels-davide-de-giovanni-3171822.jpg',
    style: 'starry_night',
    win: [960, 540],
    start: [100, 60],
    step: [8, 0],
    faces: [
      [596, 260, 116, 130], [964, 200, 126, 150], [1114, 280, 142, 150], [130, 310, 120, 140], [184, 120, 106, 120],
      [470, 80, 110, 120], [660, 20, 110, 130], [890, 70, 100, 120], [1136, 50, 114, 130], [350, 660, 140, 180],
    ],
  },
] as const;

export function facesAt(clip: (typeof CLIPS)[number], n: number): RegionFace[] {
  const [ww, wh] = clip.win;
  const wx = clip.start[0] + clip.step[0] * n;
  const wy = clip.start[1] + clip.step[1] * n;
  return clip.faces.map(([x, y, w, h]) => ({ box: { x: (x - wx) / ww, y: (y - wy) / wh, width: w / ww, height: h / wh } }));
}
