import * as tf from '@tensorflow/tfjs-core';
import { backend_util, Conv2DBackpropFilter, type KernelConfig, type KernelFunc, type Tensor4D } from '@tensorflow/tfjs-core';

/**
 * Conv2DBackpropFilter as a composite of forward convolutions, for backends that lack it (wasm in 4.22).
 *
 * dW[r, c, ci, co] = sum_{b, i, j} x[b, s_h i + r - top, s_w j + c - left, ci] * dy[b, i, j, co]
 *
 * is a convolution in which the input channels play the batch and the batch plays the channels: the input
 * transposed to [Ci, H, W, B] convolved with the output gradient transposed to [Ho, Wo, B, Co], dilated by the
 * forward stride, gives [Ci, fh, fw, Co], transposed back to [fh, fw, Ci, Co]. Rows and columns the forward
 * convolution never read (a 'valid' or strided convolution can leave some at the bottom or right) are cut off.
 */
export function conv2dBackpropFilterComposite(x: Tensor4D, dy: Tensor4D, convInfo: backend_util.Conv2DInfo): Tensor4D {
  const { inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth, padInfo } = convInfo;
  const { top, left } = padInfo;
  // Padding needed after the input so that the dilated output gradient slides exactly filterHeight x filterWidth times.
  const bottom = (outHeight - 1) * strideHeight + filterHeight - inHeight - top;
  const right = (outWidth - 1) * strideWidth + filterWidth - inWidth - left;
  return tf.tidy(() => {
    let input: Tensor4D = x;
    if (bottom < 0 || right < 0) {
      input = tf.slice(x, [0, 0, 0, 0], [x.shape[0], inHeight + Math.min(bottom, 0), inWidth + Math.min(right, 0), x.shape[3]]);
    }
    const xT = tf.transpose(input, [3, 1, 2, 0]);
    const dyT = tf.transpose(dy, [1, 2, 0, 3]);
    const grad = tf.conv2d(
      xT,
      dyT,
      1,
      [
        [0, 0],
        [top, Math.max(bottom, 0)],
        [left, Math.max(right, 0)],
        [0, 0],
      ],
      'NHWC',
      [strideHeight, strideWidth],
    );
    return tf.transpose(grad, [1, 2, 0, 3]);
  });
}

const conv2dBackpropFilterKernel: KernelFunc = ({ inputs, attrs }) => {
  const { x, dy } = inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const format = backend_util.convertConv2DDataFormat(dataFormat);
  if (format !== 'channelsLast') throw new Error(`Conv2DBackpropFilter: only NHWC is supported, got ${dataFormat}`);
  const convInfo = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    format,
  );
  return conv2dBackpropFilterComposite(x as Tensor4D, dy as Tensor4D, convInfo);
};

export function conv2dBackpropFilterConfig(backendName: string): KernelConfig {
  return { kernelName: Conv2DBackpropFilter, backendName, kernelFunc: conv2dBackpropFilterKernel };
}
