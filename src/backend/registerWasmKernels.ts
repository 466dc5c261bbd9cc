import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterConfig } from './kernels/conv2dBackpropFilter.js';
import { conv2dBackpropInputConfig } from './kernels/conv2dBackpropInput.js';

/**
 * Kernels our training needs on the wasm backend of TF.js 4.22: Conv2DBackpropFilter, which it lacks, and
 * Conv2DBackpropInput, whose wasm version is about ten times slower than a forward convolution.
 */
export function wasmTrainingKernels(): KernelConfig[] {
  return [conv2dBackpropFilterConfig('wasm'), conv2dBackpropInputConfig('wasm')];
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
