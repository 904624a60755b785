/** Stable machine-readable codes; the UI and CLI show `message`, tests assert `code`. */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'EMPTY_INPUT'
  | 'UNREADABLE_INPUT'
  | 'CORRUPT_INPUT'
  | 'NO_VIDEO_TRACK'
  | 'UNSUPPORTED_CODEC'
  | 'FRAME_TOO_LARGE'
  | 'ENCODE_FAILED'
  | 'UNKNOWN_STYLE'
  | 'STYLE_IMAGE_UNREADABLE'
  | 'MODEL_LOAD_FAILED'
  | 'BACKEND_UNAVAILABLE'
  | 'DEVICE_LOST'
  | 'CAMERA_DENIED'
  | 'NO_CAMERA'
  | 'WORKER_FAILED'
  | 'CANCELLED'
  // The CLI's files (src/cli/files.ts).
  | 'SAME_FILE'
  // `stylecast batch`: two inputs would get the same output name.
  | 'OUTPUT_COLLISION'
  | 'OUTPUT_NOT_WRITABLE'
  | 'DISK_FULL'
  | 'BROWSER_CRASHED'
  // `--segment`: the stylised segments' decoder configurations differ, so their packets cannot be joined as they are.
  | 'SEGMENTS_DIFFER'
  | 'BROWSER_START_FAILED'
  // `stylecast worker` / `batch --queue`: Redis cannot be reached (at start, or for too long mid-run), or a job's
  // worker vanished more often than the queue allows.
  | 'QUEUE_UNAVAILABLE'
  | 'WORKER_LOST';

/** The one error type stylecast throws on purpose. */
export class StylecastError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StylecastError';
    this.code = code;
  }
}

export const isStylecastError = (e: unknown): e is StylecastError =>
  e instanceof StylecastError || (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'StylecastError');

export function invalidArgument(message: string): StylecastError {
  return new StylecastError('INVALID_ARGUMENT', message);
}

/** A plain, structured-cloneable form of an error, to cross a worker boundary with its code intact. */
export interface PlainError {
  name: 'StylecastError';
  code: ErrorCode;
  message: string;
}

export function toPlain(e: unknown): PlainError {
  if (isStylecastError(e)) return { name: 'StylecastError', code: e.code, message: e.message };
  return { name: 'StylecastError', code: 'WORKER_FAILED', message: `The stylising worker failed: ${e instanceof Error ? e.message : String(e)}.` };
}

export function fromPlain(e: unknown): StylecastError | unknown {
  const p = e as Partial<PlainError> | null;
  return p && p.name === 'StylecastError' && typeof p.code === 'string' ? new StylecastError(p.code, String(p.message)) : e;
}
