import * as tf from '@tensorflow/tfjs-core';
import { backend_util, MaxPoolGrad, type KernelConfig, type KernelFunc, type MaxPoolGradAttrs, type Tensor4D } from '@tensorflow/tfjs-core';

/**
 * MaxPoolGrad from ops the wasm backend gets right, for the windows its own kernel gets wrong. wasm's MaxPoolGrad (and its MaxPoolWithArgmax) in 4.22 start
 * each window's maximum at FLT_MIN, the smallest positive float, so a window whose values are all negative or zero
 * sends its gradient to the wrong place. Here, with x padded by -Infinity as the pooling pads it:
 *
 *   v_rc = x[:, r::s, c::s, :] for each window offset (r, c);  y = max_rc v_rc (wasm's forward MaxPool is right);
 *   sel  = the first offset, in row-major order, with v_rc = y (the position the cpu backend picks on ties);
 *   dx   = dy put at the position of each window's maximum (summed where windows overlap), then unpadded.
 *
 * When the windows tile the input (stride = window, as in our models), ArgMax over each window does it in one
 * pass; when they overlap or leave gaps, strided views and a ScatterNd.
 */
export function maxPoolGradComposite(dy: Tensor4D, x: Tensor4D, info: backend_util.Conv2DInfo): Tensor4D {
  const { batchSize: b, inHeight, inWidth, inChannels: ch, outHeight: ho, outWidth: wo } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo } = info;
  const hp = (ho - 1) * sh + kh;
  const wp = (wo - 1) * sw + kw;
  const { top, left } = padInfo;
  return tf.tidy((): Tensor4D => {
    // Pad (or crop, when the last rows are never read) to exactly the rows and columns the windows cover.
    let xp: tf.Tensor4D = x;
    const bottom = hp - inHeight - top;
    const right = wp - inWidth - left;
    if (bottom < 0 || right < 0) xp = tf.slice(xp, [0, 0, 0, 0], [b, inHeight + Math.min(bottom, 0), inWidth + Math.min(right, 0), ch]);
    if (top > 0 || left > 0 || bottom > 0 || right > 0) {
      xp = tf.pad(xp, [[0, 0], [top, Math.max(bottom, 0)], [left, Math.max(right, 0)], [0, 0]], -Infinity);
    }
    const dxp = sh === kh && sw === kw ? tilingWindows(dy, xp, info) : overlappingWindows(dy, xp, info);
    // Back to the input's rows and columns; rows cropped above get no gradient.
    const kept = tf.slice(dxp, [0, Math.max(top, 0), Math.max(left, 0), 0], [b, Math.min(inHeight, hp - top), Math.min(inWidth, wp - left), ch]);
    const missingH = inHeight - kept.shape[1]!;
    const missingW = inWidth - kept.shape[2]!;
    return missingH > 0 || missingW > 0 ? tf.pad(kept, [[0, 0], [0, missingH], [0, missingW], [0, 0]]) : kept;
  });
}

/** Any windows: strided views, and a scatter that adds where windows overlap. */
function overlappingWindows(dy: Tensor4D, xp: Tensor4D, info: backend_util.Conv2DInfo): Tensor4D {
  const { batchSize: b, inChannels: ch, outHeight: ho, outWidth: wo } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const hp = xp.shape[1];
  const wp = xp.shape[2];
  const views: tf.Tensor4D[] = [];
  for (let r = 0; r < kh; r++) {
    for (let c = 0; c < kw; c++) {
      views.push(tf.stridedSlice(xp, [0, r, c, 0], [b, r + (ho - 1) * sh + 1, c + (wo - 1) * sw + 1, ch], [1, sh, sw, 1]) as tf.Tensor4D);
    }
  }
  const y = tf.maxPool(xp, [kh, kw], [sh, sw], 'valid');
  let selected: tf.Tensor = tf.zeros([b, ho, wo, ch], 'int32');
  for (let k = views.length - 1; k >= 0; k--) selected = tf.where(tf.equal(views[k]!, y), tf.fill([b, ho, wo, ch], k, 'int32'), selected);
  // Flat index in the padded input of window (n, i, j, ch)'s offset k = (r, c).
  const offsets = Array.from({ length: kh * kw }, (_, k) => (Math.floor(k / kw) * wp + (k % kw)) * ch);
  const range = (n: number, step: number, shape: number[]) => tf.reshape(tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(step, 'int32')), shape);
  const base = tf.add(
    tf.add(range(b, hp * wp * ch, [b, 1, 1, 1]), range(ho, sh * wp * ch, [1, ho, 1, 1])),
    tf.add(range(wo, sw * ch, [1, 1, wo, 1]), range(ch, 1, [1, 1, 1, ch])),
  );
  const indices = tf.add(base, tf.gather(tf.tensor1d(offsets, 'int32'), selected));
  const flat = tf.scatterND(tf.reshape(indices, [dy.size, 1]), tf.reshape(dy, [dy.size]), [b * hp * wp * ch]);
  return tf.reshape(flat, [b, hp, wp, ch]) as Tensor4D;
}

/**
 * The usual case, windows that tile the padded input (stride = window), with native kernels only (wasm's Slice,
 * Split and broadcasting comparisons run in JavaScript): two Transposes bring every window's values to one row of
 * [b ho wo c, kh kw] in row-major window order; ArgMax (first maximum; exact for negatives) and OneHot mark the
 * maximum, times dy; two Transposes take it back.
 */
function tilingWindows(dy: Tensor4D, xp: Tensor4D, info: backend_util.Conv2DInfo): Tensor4D {
  const { batchSize: b, inChannels: ch, outHeight: ho, outWidth: wo, filterHeight: kh, filterWidth: kw } = info;
  const p = b * ho * wo;
  const k = kh * kw;
  if (k === 1) return dy;
  // [b ho, kh, wo, kw c] -> [b ho, wo, kw c, kh] = [p, kw, c, kh] -> [p, c, kh, kw] = [p c, kh kw].
  const firstMove = tf.transpose(tf.reshape(xp, [b * ho, kh, wo, kw * ch]), [0, 2, 3, 1]);
  const windowsLast = tf.transpose(tf.reshape(firstMove, [p, kw, ch, kh]), [0, 2, 3, 1]);
  const rows = tf.reshape(windowsLast, [p * ch, k]);
  // wasm's OneHot writes int32 ones whatever dtype it is asked for: ask for int32 and cast.
  const isMax = tf.cast(tf.oneHot(tf.argMax(rows, 1), k, 1, 0, 'int32'), 'float32');
  const grads = tf.mul(isMax, tf.reshape(dy, [p * ch, 1]));
  // And back: [p, c, kh, kw] -> [p, kw, c, kh] = [b ho, wo, kw c, kh] -> [b ho, kh, wo, kw c].
  const firstBack = tf.transpose(tf.reshape(grads, [p, ch, kh, kw]), [0, 3, 1, 2]);
  const back = tf.transpose(tf.reshape(firstBack, [b * ho, wo, kw * ch, kh]), [0, 3, 1, 2]);
  return tf.reshape(back, [b, ho * kh, wo * kw, ch]) as Tensor4D;
}

const maxPoolGradKernel: KernelFunc = ({ inputs, attrs }) => {
  const { dy, input } = inputs as unknown as { dy: Tensor4D; input: Tensor4D };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs;
  const info = backend_util.computePool2DInfo(input.shape, filterSize, strides, 1, pad, dimRoundingMode);
  if (info.outHeight !== dy.shape[1] || info.outWidth !== dy.shape[2]) throw new Error('MaxPoolGrad: dy does not match the pooling');
  return maxPoolGradComposite(dy, input, info);
};

/**
 * Replaces wasm's MaxPoolGrad outright: besides windows whose maximum is below FLT_MIN (negative, or zeros, whose
 * gradient it drops), it also disagrees with the cpu backend on ties in overlapping padded windows.
 */
export function maxPoolGradConfig(backendName: string): KernelConfig {
  return { kernelName: MaxPoolGrad, backendName, kernelFunc: maxPoolGradKernel };
}
