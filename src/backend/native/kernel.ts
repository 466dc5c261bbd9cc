import { getKernel, type KernelConfig, type KernelFunc, type NamedAttrMap, type NamedTensorInfoMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './addon.js';

export const NATIVE = 'native';

/** What a native kernel gets: the addon, the backend (whose tensors are JS typed arrays), inputs and attributes. */
export interface NativeCall<A = NamedAttrMap> {
  addon: NativeAddon;
  backend: MathBackendCPU;
  inputs: NamedTensorInfoMap;
  attrs: A;
}

/** A native implementation: its outputs, or null to hand the call to the cpu backend's kernel (another dtype or
 * storage, an empty tensor, an unusual attribute). */
export type NativeImpl<A = NamedAttrMap> = (call: NativeCall<A>) => TensorInfo | TensorInfo[] | null;

/**
 * A kernel config for the native backend: runs `impl`, and where it declines, the cpu backend's kernel of the same
 * name (which works on our backend, a MathBackendCPU with the same tensor storage).
 */
export function nativeKernel<A = NamedAttrMap>(addon: NativeAddon, kernelName: string, impl: NativeImpl<A>): KernelConfig {
  const fallback = getKernel(kernelName, 'cpu')?.kernelFunc;
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const result = impl({ addon, backend: backend as MathBackendCPU, inputs, attrs: (attrs ?? {}) as A });
    if (result !== null) return result;
    if (fallback === undefined) {
      const got = Object.entries(inputs).map(([name, t]) => `${name}: ${t?.dtype} [${t?.shape.join(', ')}]`);
      throw new Error(`native backend: ${kernelName} takes float32 tensors of matching shapes, got ${got.join('; ')}`);
    }
    return fallback({ inputs, backend, attrs });
  };
  return { kernelName, backendName: NATIVE, kernelFunc };
}
