import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { FUSED_KERNELS, hasFusedKernel } from '../backend/fusedKernelNames.js';

/**
 * Per-channel sums of an [n, c] matrix as a [c] vector: m^T x ones[n, 1]. On wasm this GEMM, whose packed right-hand
 * side is only the column of ones, is several times faster than the Sum kernel (which transposes first) and than
 * ones[1, n] x m (which packs all of m).
 */
export function channelSums(m: tf.Tensor2D): tf.Tensor1D {
  const [n, c] = m.shape;
  return tf.reshape(tf.matMul(m, tf.ones([n, 1]), true, false), [c]);
}

/** Batch statistics and the normalised output of a batch-norm layer in training mode. */
export interface BatchNormTraining {
  y: tf.Tensor;
  mean: tf.Tensor1D;
  /** Biased (divided by n) batch variance, as tf.moments gives it. */
  variance: tf.Tensor1D;
}
// mean and variance are made inside the custom op, whose scope would dispose them: they are kept, and the caller
// disposes them.

/**
 * Batch normalisation in training mode over every axis but the last (channels-last), with the closed-form gradient
 * (Ioffe and Szegedy 2015, section 3) instead of the chain rule through tf.moments:
 *
 *   y = gamma * xhat + beta,  xhat = (x - mean) / sqrt(var + eps),  mean and var over the n = size / c positions;
 *   dbeta = sum dy,  dgamma = sum dy * xhat,  dx = gamma / sqrt(var + eps) * (dy - dbeta / n - xhat * dgamma / n).
 *
 * Sums are matrix products with a row of ones; the affine maps are FusedBatchNorm kernels. TF.js's own gradient of
 * this computation tiles the scale to the input's shape and sums over non-trailing axes, both slow on wasm. A backend
 * with our fused batch-norm kernels (native) computes the statistics and the gradient in one pass each.
 */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTraining {
  const c = x.shape[x.rank - 1]!;
  const n = x.size / c;
  const fused = hasFusedKernel(FUSED_KERNELS.batchNormMoments) && hasFusedKernel(FUSED_KERNELS.batchNormGrad);
  let mean: tf.Tensor1D | undefined;
  let variance: tf.Tensor1D | undefined;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, g, b, save] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const x2 = tf.reshape(input, [n, c]) as tf.Tensor2D;
    const [m, v] = fused ? (tf.engine().runKernel(FUSED_KERNELS.batchNormMoments, { x: x2 }) as [tf.Tensor1D, tf.Tensor1D]) : moments(x2, n);
    mean = tf.keep(m);
    variance = tf.keep(v);
    save([x2, m, v, g]);
    const value = tf.reshape(tf.batchNorm(x2, m, v, b, g, epsilon), input.shape);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, mu, sigma2, scale] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        const dy2 = tf.reshape(dy, [n, c]) as tf.Tensor2D;
        if (fused) {
          const inputs = { dy: dy2, x: xs, mean: mu, variance: sigma2, gamma: scale };
          const [dx, dgamma, dbeta] = tf.engine().runKernel(FUSED_KERNELS.batchNormGrad, inputs, { epsilon }) as tf.Tensor[];
          return [tf.reshape(dx!, dy.shape), dgamma!, dbeta!];
        }
        const xhat = tf.batchNorm(xs, mu, sigma2, undefined, undefined, epsilon);
        const dbeta = channelSums(dy2);
        const dgamma = channelSums(tf.mul(dy2, xhat) as tf.Tensor2D);
        const k = tf.mul(scale, tf.rsqrt(tf.add(sigma2, epsilon))) as tf.Tensor1D;
        // dx = k dy - (k dgamma / n) xhat - k dbeta / n, the last two terms as one affine map of x.
        const scaled = tf.batchNorm(dy2, tf.zerosLike(k), tf.onesLike(k), undefined, k, 0);
        const correction = tf.batchNorm(xs, mu, sigma2, tf.mul(k, tf.mul(dbeta, 1 / n)) as tf.Tensor1D, tf.mul(k, tf.mul(dgamma, 1 / n)) as tf.Tensor1D, epsilon);
        const dx = tf.reshape(tf.sub(scaled, correction), dy.shape);
        return [dx, dgamma, dbeta];
      },
    };
  });
  const y = op(x, gamma, beta);
  return { y, mean: mean!, variance: variance! };
}

/** Biased batch mean and variance of an [n, c] matrix from stock ops (two passes, as the layer's formula reads). */
function moments(x2: tf.Tensor2D, n: number): [tf.Tensor1D, tf.Tensor1D] {
  const m = tf.mul(channelSums(x2), 1 / n) as tf.Tensor1D;
  const v = tf.mul(channelSums(tf.square(tf.sub(x2, m)) as tf.Tensor2D), 1 / n) as tf.Tensor1D;
  return [m, v];
}

type LayerArgs = Parameters<typeof tfl.layers.batchNormalization>[0];
type Kwargs = Record<string, unknown>;

const BatchNormalizationBase = Object.getPrototypeOf(tfl.layers.batchNormalization({})).constructor as {
  new (args?: LayerArgs): tfl.layers.Layer;
};

/** The fields of TF.js's BatchNormalization layer that are not in its public typings. */
export interface BatchNormalizationFields {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tfl.LayerVariable;
  beta: tfl.LayerVariable;
  movingMean: tfl.LayerVariable;
  movingVariance: tfl.LayerVariable;
}

/**
 * tf.layers.batchNormalization with a faster training step (batchNormTraining) for the usual case (channels-last,
 * with scale and offset). It keeps the class name, config and weights of the stock layer, so saved models load as
 * the stock BatchNormalization; inference and every other case run the stock code.
 */
export class FastBatchNormalization extends BatchNormalizationBase {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as BatchNormalizationFields;
    const input = Array.isArray(inputs) ? inputs[0]! : inputs;
    const channelsLast = self.axis === -1 || self.axis === input.rank - 1;
    if (kwargs['training'] !== true || !channelsLast || !self.center || !self.scale || input.rank < 2) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(input, self.gamma.read() as tf.Tensor1D, self.beta.read() as tf.Tensor1D, self.epsilon);
      // Moving averages exactly as the stock layer keeps them: v <- v - (1 - momentum) (v - batch value).
      for (const [variable, value] of [
        [self.movingMean, mean],
        [self.movingVariance, variance],
      ] as const) {
        tf.tidy(() => {
          const current = variable.read();
          variable.write(tf.sub(current, tf.mul(tf.sub(current, value), 1 - self.momentum)));
        });
      }
      tf.dispose([mean, variance]);
      return y;
    });
  }
}

/** A batch-norm layer: FastBatchNormalization with the stock layer's arguments. */
export function batchNormalization(args: LayerArgs): tfl.layers.Layer {
  return new FastBatchNormalization(args);
}
