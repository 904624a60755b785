import { StylecastError } from '../errors.ts';

/** Opens the camera; a refusal or a missing camera becomes an error the UI can explain. */
export async function openCamera(constraints: MediaTrackConstraints = { width: { ideal: 1280 }, height: { ideal: 720 } }): Promise<MediaStream> {
  if (typeof navigator === 'undefined' || !navigator.mediaDevices?.getUserMedia) {
    throw new StylecastError('NO_CAMERA', 'This browser gives no camera access here (a secure https:// or localhost page is needed).');
  }
  try {
    return await navigator.mediaDevices.getUserMedia({ video: constraints, audio: false });
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name === 'NotAllowedError' || name === 'SecurityError') {
      throw new StylecastError('CAMERA_DENIED', 'Camera access was denied. Allow the camera for this page in the browser settings, then try again.', { cause: e });
    }
    if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'NotReadableError') {
      throw new StylecastError(
        'NO_CAMERA',
        name === 'NotReadableError' ? 'The camera is in use by another application.' : 'No camera was found. Connect one, or stylise a clip instead.',
        { cause: e },
      );
    }
    throw new StylecastError('NO_CAMERA', `The camera could not be opened (${e instanceof Error ? e.message : String(e)}).`, { cause: e });
  }
}
