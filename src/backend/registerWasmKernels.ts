import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { batchMatMulConfig } from './kernels/batchMatMul.js';
import { conv2dBackpropFilterConfig } from './kernels/conv2dBackpropFilter.js';
import { conv2dBackpropInputConfig } from './kernels/conv2dBackpropInput.js';
import { maxPoolGradConfig } from './kernels/maxPoolGrad.js';

/** The kernel names this package registers for the wasm backend. */
export const WASM_TRAINING_KERNELS = ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad', 'BatchMatMul'] as const;

let configs: KernelConfig[] | null = null;

/**
 * Kernels our training needs on the wasm backend of TF.js 4.22: Conv2DBackpropFilter, which it lacks;
 * Conv2DBackpropInput, whose wasm version is about ten times slower than a forward convolution; MaxPoolGrad, whose
 * wasm version drops the gradient of windows with a negative maximum; and BatchMatMul, whose transposed cases are
 * slow (the stock kernel still runs the others). Made once, while the stock BatchMatMul is still registered.
 */
export function wasmTrainingKernels(): KernelConfig[] {
  configs ??= [conv2dBackpropFilterConfig('wasm'), conv2dBackpropInputConfig('wasm'), maxPoolGradConfig('wasm'), batchMatMulConfig('wasm')];
  return configs;
}

const installed = new Set<string>();

/** Registers our kernels for the wasm backend, replacing the stock ones; safe to call more than once. */
export function registerWasmKernels(): string[] {
  const registered: string[] = [];
  for (const config of wasmTrainingKernels()) {
    const key = `${config.backendName}/${config.kernelName}`;
    if (installed.has(key)) continue;
    if (getKernel(config.kernelName, config.backendName) !== undefined) unregisterKernel(config.kernelName, config.backendName);
    registerKernel(config);
    installed.add(key);
    registered.push(config.kernelName);
  }
  return registered;
}
