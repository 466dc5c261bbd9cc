import * as tf from '@tensorflow/tfjs-core';
import { BatchMatMul, getKernel, type BatchMatMulAttrs, type KernelConfig, type KernelFunc, type Tensor } from '@tensorflow/tfjs-core';

/** Right-hand sides at most this wide keep the stock transposed-A path, which is fast when the packed side is small. */
const NARROW = 8;

function swapLastTwo(t: Tensor): Tensor {
  const perm = [...Array(t.rank).keys()];
  [perm[t.rank - 2], perm[t.rank - 1]] = [perm[t.rank - 1]!, perm[t.rank - 2]!];
  return tf.transpose(t, perm);
}

/**
 * BatchMatMul for wasm with the transposes done by the Transpose kernel first: 4.22's wasm BatchMatMul with
 * transposeB, or with transposeA and a wide right-hand side (the weight gradient of a dense layer), is several
 * times slower than a Transpose followed by a plain product through XNNPACK. Other cases run the stock kernel.
 */
export function batchMatMulConfig(backendName: string): KernelConfig {
  const stock = getKernel(BatchMatMul, backendName);
  if (stock === undefined) throw new Error(`no stock BatchMatMul kernel for ${backendName}`);
  const kernelFunc: KernelFunc = (args) => {
    const { a, b } = args.inputs as unknown as { a: Tensor; b: Tensor };
    const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
    const outColumns = transposeB ? b.shape[b.rank - 2]! : b.shape[b.rank - 1]!;
    const explicitA = transposeA && outColumns > NARROW;
    if (!explicitA && !transposeB) return stock.kernelFunc(args);
    return tf.tidy(() =>
      tf.matMul(explicitA ? swapLastTwo(a) : a, transposeB ? swapLastTwo(b) : b, transposeA && !explicitA, false),
    );
  };
  // The stock kernel binds its wasm function in its setupFunc, which the backend runs for registered kernels.
  return stock.setupFunc === undefined ? { kernelName: BatchMatMul, backendName, kernelFunc } : { kernelName: BatchMatMul, backendName, kernelFunc, setupFunc: stock.setupFunc };
}
