import { findBackendFactory, getKernel, getKernelsForBackend, registerBackend, registerKernel } from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './addon.js';
import { convKernels } from './convKernels.js';
import { elementwiseKernels } from './elementwiseKernels.js';
import { fusedKernels } from './fusedKernels.js';
import { NATIVE } from './kernel.js';
import { matMulKernels } from './matMulKernels.js';
import { poolKernels } from './poolKernels.js';
import { reduceKernels } from './reduceKernels.js';
import { shapeKernels } from './shapeKernels.js';

/**
 * The `native` backend: the cpu backend's tensor storage (values in JS typed arrays, so reading a tensor, and every
 * kernel we do not provide, works exactly as on `cpu`) with the hot kernels of training and inference in C++ over
 * oneDNN (native/src). The typed arrays are handed to C++ without a copy.
 */
export class NativeBackend extends MathBackendCPU {
  constructor() {
    super();
    // The cpu backend's first write warns that Node has a faster backend; this is it.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }
}

/** Every native kernel config, family by family. */
export function nativeKernelConfigs(addon: NativeAddon) {
  return [
    ...convKernels(addon),
    ...matMulKernels(addon),
    ...poolKernels(addon),
    ...elementwiseKernels(addon),
    ...reduceKernels(addon),
    ...shapeKernels(addon),
    ...fusedKernels(addon),
  ];
}

/**
 * Registers the `native` backend once: our kernels first, then every cpu kernel we do not replace (the fallback for
 * all other ops). Needs the cpu backend's kernels registered (importing @tensorflow/tfjs-backend-cpu does that).
 */
export function registerNativeBackend(addon: NativeAddon): void {
  if (findBackendFactory(NATIVE) !== null) return;
  for (const config of nativeKernelConfigs(addon)) registerKernel(config);
  for (const config of getKernelsForBackend('cpu')) {
    if (getKernel(config.kernelName, NATIVE) === undefined) registerKernel({ ...config, backendName: NATIVE });
  }
  registerBackend(NATIVE, () => new NativeBackend(), 1);
}
