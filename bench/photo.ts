// Pictures for the benchmarks' pages and the browser tests: a photo drawn at a given size, a canvas read back, and
// bytes as base64 for the page's answer to Node. Browser-only (OffscreenCanvas, VideoFrame, FileReader).

/** A rectangle of the photo, in its own pixels. */
export interface PhotoWindow {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The photo at `url` drawn to w×h — covering it (scaled to fill, centred, the overflow cut), or only `window` of it
 * stretched to w×h — as a frame (timestamp 0; the caller closes it) and as its RGBA bytes.
 */
export async function drawnPhoto(url: string, w: number, h: number, window?: PhotoWindow): Promise<{ frame: VideoFrame; rgba: Uint8ClampedArray }> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`cannot load ${url}: HTTP ${r.status}`);
  const img = await createImageBitmap(await r.blob());
  const c = new OffscreenCanvas(w, h);
  const ctx = c.getContext('2d', { willReadFrequently: true })!;
  ctx.imageSmoothingQuality = 'high';
  if (window) {
    ctx.drawImage(img, window.x, window.y, window.width, window.height, 0, 0, w, h);
  } else {
    const s = Math.max(w / img.width, h / img.height);
    ctx.drawImage(img, (w - img.width * s) / 2, (h - img.height * s) / 2, img.width * s, img.height * s);
  }
  img.close();
  return { frame: new VideoFrame(c, { timestamp: 0 }), rgba: ctx.getImageData(0, 0, w, h).data };
}

/** What a canvas shows (a WebGPU one too), as RGBA bytes. */
export async function canvasPixels(canvas: OffscreenCanvas): Promise<Uint8ClampedArray> {
  const ctx = new OffscreenCanvas(canvas.width, canvas.height).getContext('2d', { willReadFrequently: true })!;
  const bitmap = await createImageBitmap(canvas);
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return ctx.getImageData(0, 0, canvas.width, canvas.height).data;
}

/** `data` as base64 (for a page's answer to Node: Playwright's evaluate carries JSON, not bytes). */
export async function base64(data: Blob | ArrayBufferView): Promise<string> {
  const blob = data instanceof Blob ? data : new Blob([data as BlobPart]);
  const url: string = await new Promise((res, rej) => {
    const r = new FileReader();
    r.onload = () => res(r.result as string);
    r.onerror = () => rej(r.error);
    r.readAsDataURL(blob);
  });
  return url.slice(url.indexOf(',') + 1);
}
