import { dawnEnvironment } from './probes.js';

let installed = false;

/**
 * Makes WebGPU available to TF.js in Node through the npm `webgpu` package (Dawn, which ships its own binary): sets
 * `navigator.gpu` and the WebGPU globals (GPUBufferUsage, ...) before @tensorflow/tfjs-backend-webgpu is loaded,
 * which registers the 'webgpu' backend.
 */
export async function installNodeWebGpu(): Promise<void> {
  if (installed) return;
  const env = dawnEnvironment();
  if (process.env.XDG_RUNTIME_DIR === undefined && env.XDG_RUNTIME_DIR !== undefined) process.env.XDG_RUNTIME_DIR = env.XDG_RUNTIME_DIR;
  const g = globalThis as unknown as { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu === undefined) {
    const webgpu = (await import('webgpu' as string)) as { create(flags: string[]): unknown; globals: Record<string, unknown> };
    Object.assign(globalThis, webgpu.globals);
    const gpu = webgpu.create([]);
    if (g.navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    else Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  }
  await import('@tensorflow/tfjs-backend-webgpu' as string);
  installed = true;
}
