import * as tf from '@tensorflow/tfjs-core';
import { backend_util, MaxPoolGrad, type KernelConfig, type KernelFunc, type MaxPoolGradAttrs, type Tensor4D } from '@tensorflow/tfjs-core';

/**
 * MaxPoolGrad as a scatter of the output gradient to the position of each window's maximum: MaxPoolWithArgmax
 * finds the flat index ((b H + y) W + x) C + c of the first maximum of every window, and ScatterNd adds dy there
 * (sums where windows overlap). wasm's own MaxPoolGrad in 4.22 drops the gradient of a window whose maximum is
 * negative; this matches the cpu backend, ties included (the first maximum in row-major window order gets it).
 */
export function maxPoolGradComposite(dy: Tensor4D, x: Tensor4D, attrs: MaxPoolGradAttrs): Tensor4D {
  const { filterSize, strides, pad } = attrs;
  return tf.tidy(() => {
    const [, indexes] = tf.engine().runKernel('MaxPoolWithArgmax', { x }, { filterSize, strides, pad, includeBatchInIndex: true }) as tf.Tensor[];
    if (indexes!.size !== dy.size) throw new Error(`MaxPoolGrad: ${indexes!.size} window maxima for ${dy.size} gradients`);
    const flat = tf.scatterND(tf.reshape(indexes!, [dy.size, 1]), tf.reshape(dy, [dy.size]), [x.size]);
    return tf.reshape(flat, x.shape);
  });
}

const maxPoolGradKernel: KernelFunc = ({ inputs, attrs }) => {
  const { dy, input } = inputs as unknown as { dy: Tensor4D; input: Tensor4D };
  const a = attrs as unknown as MaxPoolGradAttrs;
  const info = backend_util.computePool2DInfo(input.shape, a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  if (info.outHeight !== dy.shape[1] || info.outWidth !== dy.shape[2]) throw new Error('MaxPoolGrad: dy does not match the pooling');
  return maxPoolGradComposite(dy, input, a);
};

export function maxPoolGradConfig(backendName: string): KernelConfig {
  return { kernelName: MaxPoolGrad, backendName, kernelFunc: maxPoolGradKernel };
}
