// The small protocol between the CLI (Node) and its page (headless Chromium).
import type { BackendName, ErrorCode, Progress, StylizeResult, TemporalMethod, Upsample } from '../engine/index.ts';

/** Files the CLI serves to the page under IO_PREFIX, and where the page PUTs the result. */
export const IO_PREFIX = '/__stylecast/';

export interface StylizeJob {
  /** Preset name, or null when the style image is served at `${IO_PREFIX}style`. */
  stylePreset: string | null;
  mixPreset: string | null;
  /** True when a mix image is served at `${IO_PREFIX}mix`. */
  mixImage: boolean;
  mixWeight: number;
  strength: number;
  size: number;
  temporal: number;
  /** True when a model directory of one's own is served under `${IO_PREFIX}models/`. */
  models: boolean;
  flowSize?: number;
  temporalMethod: TemporalMethod;
  upsample?: Upsample;
  /** Per-region strength and adaptive detail (absent: 1, 1, 1 and off). */
  regions?: { face: number; person: number; background: number };
  adaptiveDetail?: boolean;
  backend?: BackendName;
  /** The served name of the clip (default "input") and the name to PUT the result to (default "output"): `batch` runs several jobs in one browser. */
  inputName?: string;
  outputName?: string;
  /**
   * `batch`: a hash of the job's settings, stored with the frame count in the MP4's metadata comment (settingsComment;
   * the packets are copied, not re-encoded), so a re-run can tell an up-to-date output.
   */
  settingsHash?: string;
  /**
   * `--segment` (src/cli/segments.ts): only these presented frames of the clip (end exclusive), with `warmupFrames`
   * before them stylised and dropped so the smoothing is warm at the first; the output is re-based to start at 0 and
   * has no audio (the join copies the source's). `contentVector`: the clip's, computed once (stylecastContentVector).
   */
  range?: { startFrame: number; endFrame: number };
  warmupFrames?: number;
  contentVector?: number[] | null;
  /** 'gif': an animated GIF instead of an MP4. Absent: MP4. */
  format?: 'mp4' | 'gif';
  /** A GIF: at most this many frames a second (absent: the engine's default, 15 from a video, every frame of an image). */
  gifFps?: number;
  /** A GIF: its long side at most this many pixels (absent: the engine's default, 480). */
  gifSize?: number;
}

/**
 * `stylecastReencode` (the --segment join's fallback): the parts served as `parts[i]`, each at `offsets[i]` seconds,
 * decoded and encoded again into one video-only MP4 PUT to `outputName` (the CLI then copies the audio in).
 */
export interface ReencodeJob {
  parts: string[];
  offsets: number[];
  outputName: string;
}
export type ReencodeResult = { ok: true; frames: number; codec: string } | { ok: false; code: ErrorCode | 'INTERNAL'; message: string };

/** `stylecastContentVector`: the clip's content vector, or null when it is not used (strength 1). */
export type ContentVectorResult = { ok: true; vector: number[] | null } | { ok: false; code: ErrorCode | 'INTERNAL'; message: string };

/** The MP4 metadata comment `batch` writes: its settings' hash and the frames written. */
export const settingsComment = (hash: string, frames: number) => `stylecast settings=${hash} frames=${frames}`;
export function parseSettingsComment(comment: string | undefined): { hash: string; frames: number } | null {
  const m = /^stylecast settings=([0-9a-f]+) frames=(\d+)$/.exec(comment ?? '');
  return m ? { hash: m[1], frames: Number(m[2]) } : null;
}

export type JobResult =
  | {
      ok: true;
      frames: number;
      width: number;
      height: number;
      codec: string;
      hasAudio: boolean;
      inferWidth: number;
      inferHeight: number;
      backend: BackendName;
      backendReason: string;
      /** Where temporal smoothing ran, or why it was off. */
      smoothing: string;
      /** How the output was enlarged to the clip's size, and why. */
      upsampling: string;
      /** Where per-region strength ran, or why it was off (absent when not asked for). */
      regions?: string;
      temporal: number;
      stageMs: { network: number; temporal: number | null; regions?: number | null };
      elapsedMs: number;
      numTensors: number;
      /** A GIF: what it was made from, the frame-rate cap, the source's frames, rate and size, whether audio was dropped. */
      gif?: StylizeResult['gif'];
      /** With a range: the frames kept and where the first sat in the clip (seconds after its first frame). */
      range?: { startFrame: number; endFrame: number; warmupFrames: number; offsetSeconds: number };
    }
  | { ok: false; code: ErrorCode | 'INTERNAL'; message: string };

/** `flow`: images served at `${IO_PREFIX}a` and `${IO_PREFIX}b`; the .flo is PUT to `${IO_PREFIX}output`. */
export interface FlowJob {
  backend?: BackendName;
}

export type FlowResult =
  | { ok: true; width: number; height: number; meanMagnitude: number; device: string }
  | { ok: false; code: ErrorCode | 'INTERNAL'; message: string };

declare global {
  interface Window {
    stylecastRun(job: StylizeJob): Promise<JobResult>;
    stylecastFlow(job: FlowJob): Promise<FlowResult>;
    stylecastCancel(): void;
    stylecastContentVector(job: StylizeJob): Promise<ContentVectorResult>;
    stylecastReencode(job: ReencodeJob): Promise<ReencodeResult>;
    /** Exposed by the CLI. */
    stylecastProgress?(p: Progress): void;
  }
}
