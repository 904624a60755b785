# The evidence for the region stage's own scene-cut test (shaders/regions_luma.wgsl, LUMA_CUT in src/engine/regions):
# the same cells computed offline on the shared clips and the bench's photo pans at 456×256 — each frame's mean luma
# (0.299 R + 0.587 G + 0.114 B) in a 32×18 grid, every other pixel of every other row — and, between two frames, the
# share of cells whose mean moved by more than 0.03 (and, for comparison, the mean |difference| of the cells).
# Within a shot: consecutive frames, and with 1 or 2 frames dropped in between (steps 2, 3). Cuts: a frame of one
# source against a frame of another (every 5th frame of each). Needs ffmpeg and numpy; prints a table.
#   python3 bench/luma_cut.py [shared media dir, default ../shared/media]
import itertools
import os
import subprocess
import sys

import numpy as np

W, H, GX, GY, CHANGE, STRIDE = 456, 256, 32, 18, 0.03, 2
media = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '../../shared/media')
V, P = os.path.join(media, 'video'), os.path.join(media, 'photos')
SOURCES = {
    'walking': ['-i', f'{V}/pexels-854100-people-walking-sidewalk-960x540.mp4', '-vf', f'scale={W}:{H}:flags=area'],
    'interior': ['-i', f'{V}/pexels-3770033-interior-design-960x540.mp4', '-vf', f'scale={W}:{H}:flags=area'],
    # bench:regions' pans (bench/regions-clips.ts), 60 frames
    'portrait': ['-loop', '1', '-i', f'{P}/pexels-elly-fairytale-3822220.jpg', '-vf', f'crop=426:240:220+4*n:300,scale={W}:{H}:flags=area', '-frames:v', '60'],
    'crowd': ['-loop', '1', '-i', f'{P}/pexels-davide-de-giovanni-3171822.jpg', '-vf', f'crop=960:540:100+8*n:60,scale={W}:{H}:flags=area', '-frames:v', '60'],
}


def cells(name):
    raw = subprocess.run(['ffmpeg', '-v', 'error', *SOURCES[name], '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], capture_output=True, check=True).stdout
    rgb = np.frombuffer(raw, np.uint8).reshape(-1, H, W, 3).astype(np.float32) / 255
    luma = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    xs, ys = np.arange(GX + 1) * W // GX, np.arange(GY + 1) * H // GY
    return np.array([[[f[ys[j]:ys[j + 1]:STRIDE, xs[i]:xs[i + 1]:STRIDE].mean() for i in range(GX)] for j in range(GY)] for f in luma])


T = {n: cells(n) for n in SOURCES}
share = lambda a, b: float((np.abs(a - b) > CHANGE).mean())
mean = lambda a, b: float(np.abs(a - b).mean())
print(f'{GX}×{GY} cells at {W}×{H}; a cell changed: |Δ mean luma| > {CHANGE}')
for n, t in T.items():
    row = [f'{n} ({len(t)} frames):']
    for step in (1, 2, 3):
        pairs = [(t[i], t[i + step]) for i in range(len(t) - step)]
        row.append(f'step {step}: share max {max(share(*p) for p in pairs):.3f}, mean |Δ| max {max(mean(*p) for p in pairs):.3f};')
    print(' '.join(row))
cuts = [(share(T[a][i], T[b][j]), mean(T[a][i], T[b][j])) for a, b in itertools.permutations(T, 2) for i in range(0, len(T[a]), 5) for j in range(0, len(T[b]), 5)]
s, m = np.array(cuts).T
print(f'cuts between sources ({len(cuts)} pairs): share min {s.min():.3f}, 1st percentile {np.percentile(s, 1):.3f}, median {np.median(s):.3f}; mean |Δ| min {m.min():.3f}')
