// What counts as a software GPU, from what an adapter (or a WebGL renderer string) says about itself. Free of
// browser APIs: the engine and the CLI (in Node, on the info its probe page sends back) share it.

/** `GPUAdapter.info` as far as we read it (Chromium 156 has `isFallbackAdapter` on the info). */
export interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/** Names of GPUs emulated on the CPU (SwiftShader, llvmpipe, WARP…): 30–100× slower for the network here. */
export const SOFTWARE_RENDERER = /swiftshader|llvmpipe|lavapipe|softpipe|\bwarp\b|basic render|software/i;

/** True for a CPU-emulated adapter: a fallback adapter, or one whose strings name a software rasteriser. */
export function isSoftwareAdapter(info: AdapterInfo): boolean {
  if (info.isFallbackAdapter === true) return true;
  return [info.vendor, info.architecture, info.device, info.description].some((s) => typeof s === 'string' && SOFTWARE_RENDERER.test(s));
}
