import * as tf from '@tensorflow/tfjs-core';
import { backend_util, Conv2DBackpropInput, type KernelConfig, type KernelFunc, type Tensor4D } from '@tensorflow/tfjs-core';

/** Inserts stride - 1 zeros between the rows and the columns of x: [B, H, W, C] -> [B, (H-1)s+1, (W-1)s+1, C]. */
function dilate(x: Tensor4D, strideHeight: number, strideWidth: number): Tensor4D {
  if (strideHeight === 1 && strideWidth === 1) return x;
  const [b, h, w, c] = x.shape;
  const spread = tf.pad(tf.reshape(x, [b, h, 1, w, 1, c]), [
    [0, 0],
    [0, 0],
    [0, strideHeight - 1],
    [0, 0],
    [0, strideWidth - 1],
    [0, 0],
  ]);
  const flat = tf.reshape(spread, [b, h * strideHeight, w * strideWidth, c]) as Tensor4D;
  return tf.slice(flat, [0, 0, 0, 0], [b, (h - 1) * strideHeight + 1, (w - 1) * strideWidth + 1, c]);
}

/**
 * Conv2DBackpropInput (the input gradient of a convolution) as a forward convolution, which the wasm backend runs
 * through XNNPACK far faster than its own input-gradient kernel:
 *
 *   dx = conv(dilate(dy, stride), flip(W) with in/out channels swapped), padded by fh - 1 - top before.
 */
export function conv2dBackpropInputComposite(dy: Tensor4D, filter: Tensor4D, convInfo: backend_util.Conv2DInfo): Tensor4D {
  const { inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth, padInfo } = convInfo;
  const top = filterHeight - 1 - padInfo.top;
  const left = filterWidth - 1 - padInfo.left;
  const bottom = inHeight - 1 - (outHeight - 1) * strideHeight + padInfo.top;
  const right = inWidth - 1 - (outWidth - 1) * strideWidth + padInfo.left;
  return tf.tidy(() => {
    let d = dilate(dy, strideHeight, strideWidth);
    // A negative pad means rows of the dilated gradient that no input row receives; cut them.
    if (top < 0 || left < 0 || bottom < 0 || right < 0) {
      const [b, h, w, c] = d.shape;
      const r0 = Math.max(0, -top);
      const c0 = Math.max(0, -left);
      d = tf.slice(d, [0, r0, c0, 0], [b, h - r0 - Math.max(0, -bottom), w - c0 - Math.max(0, -right), c]);
    }
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
    return tf.conv2d(d, flipped, 1, [
      [0, 0],
      [Math.max(top, 0), Math.max(bottom, 0)],
      [Math.max(left, 0), Math.max(right, 0)],
      [0, 0],
    ]);
  });
}

const conv2dBackpropInputKernel: KernelFunc = ({ inputs, attrs }) => {
  const { dy, filter } = inputs as unknown as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const format = backend_util.convertConv2DDataFormat(dataFormat);
  if (format !== 'channelsLast') throw new Error(`Conv2DBackpropInput: only NHWC is supported, got ${dataFormat}`);
  const convInfo = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    format,
  );
  return conv2dBackpropInputComposite(dy as Tensor4D, filter as Tensor4D, convInfo);
};

export function conv2dBackpropInputConfig(backendName: string): KernelConfig {
  return { kernelName: Conv2DBackpropInput, backendName, kernelFunc: conv2dBackpropInputKernel };
}
