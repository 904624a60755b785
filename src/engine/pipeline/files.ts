// The file path's code: clips to MP4, animated images, GIF output, URLs read by ranges — everything that stands on
// Mediabunny. The stylizer loads this module (its own chunk) by the first stylizeFile or contentVector
// (stylizer.ts, `loadFiles`), so a live stream never loads it: Mediabunny alone is ~1.2 MB of the live worker's
// unminified bundle, all parse and compile time before the first frame.
export { clipContentVector, stylizeClip } from './clip.ts';
export { stylizeAnimatedImage, stylizeVideoToGif } from './images.ts';
export { checkRange } from './range.ts';
export { SNIFF_BYTES, animatedImageType } from '../sources/animated-image.ts';
export { checkGifFps } from '../sources/video-frames.ts';
export { urlBlob, urlHead } from '../sources/url.ts';
