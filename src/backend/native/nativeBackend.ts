import { findBackendFactory, getKernel, getKernelsForBackend, registerBackend, registerKernel, type BackendValues, type DataId, type DataType } from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { totalmem } from 'node:os';
import type { NativeAddon } from './addon.js';
import { BufferPool } from './bufferPool.js';
import { convKernels } from './convKernels.js';
import { elementwiseKernels } from './elementwiseKernels.js';
import { fusedKernels } from './fusedKernels.js';
import { NATIVE } from './kernel.js';
import { matMulKernels } from './matMulKernels.js';
import { poolKernels } from './poolKernels.js';
import { reduceKernels } from './reduceKernels.js';
import { shapeKernels } from './shapeKernels.js';
import { registerInferenceCompiler } from '../inferenceForward.js';
import { registerTrainingCompiler } from '../trainingForward.js';
import { nativeInference } from './program/inferenceProgram.js';
import { nativeTrainingForward } from './program/trainingProgram.js';

/**
 * The most bytes of disposed outputs kept for reuse: a quarter of the memory, at most 4 GiB. The pool never holds
 * more than the process had in tensors at its peak (resnet20 at batch 128: about 500 MiB).
 */
const POOL_CAP_BYTES = Math.min(totalmem() / 4, 4 * 2 ** 30);

/**
 * The `native` backend: the cpu backend's tensor storage (values in JS typed arrays, so reading a tensor, and every
 * kernel we do not provide, works exactly as on `cpu`) with the hot kernels of training and inference in C++ over
 * oneDNN (native/src). The typed arrays are handed to C++ without a copy. Our kernels' output arrays come from a
 * pool and go back to it when no stored tensor refers to them any more (the backend reports every array it stores
 * and drops, views included), so reading such a tensor returns a copy of its values (nobody outside holds memory
 * that is handed out again).
 */
export class NativeBackend extends MathBackendCPU {
  /** SE_NATIVE_POISON_POOL=1 fills every recycled array with NaN (tests: every kernel writes all its outputs). */
  readonly pool = new BufferPool(POOL_CAP_BYTES, process.env.SE_NATIVE_POISON_POOL === '1');

  constructor() {
    super();
    // The cpu backend's first write warns that Node has a faster backend; this is it.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  override write(values: BackendValues, shape: number[], dtype: DataType): DataId {
    this.pool.retain(values);
    return super.write(values, shape, dtype);
  }

  override move(dataId: DataId, values: BackendValues, shape: number[], dtype: DataType, refCount: number): void {
    if (this.data.has(dataId)) this.pool.release(this.data.get(dataId).values);
    this.pool.retain(values);
    super.move(dataId, values, shape, dtype, refCount);
  }

  override readSync(dataId: DataId): ReturnType<MathBackendCPU['readSync']> {
    const values = super.readSync(dataId);
    return this.pool.owns(values) ? (values as Float32Array).slice() : values;
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const values = this.data.has(dataId) ? this.data.get(dataId).values : undefined;
    const released = super.disposeData(dataId, force);
    if (released && values !== undefined && !this.data.has(dataId)) this.pool.release(values);
    return released;
  }

  override dispose(): void {
    this.pool.clear();
    super.dispose();
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
 * all other ops), and its compilers of whole training steps and inference passes (program/). Needs the cpu backend's kernels registered (importing @tensorflow/tfjs-backend-cpu does that).
 */
export function registerNativeBackend(addon: NativeAddon): void {
  if (findBackendFactory(NATIVE) !== null) return;
  for (const config of nativeKernelConfigs(addon)) registerKernel(config);
  for (const config of getKernelsForBackend('cpu')) {
    if (getKernel(config.kernelName, NATIVE) === undefined) registerKernel({ ...config, backendName: NATIVE });
  }
  registerBackend(NATIVE, () => new NativeBackend(), 1);
  registerTrainingCompiler(NATIVE, (model, describe) => nativeTrainingForward(addon, model, describe));
  registerInferenceCompiler(NATIVE, (_model, describe) => nativeInference(addon, describe));
}
