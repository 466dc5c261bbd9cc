// Batch normalisation in training mode, with the ReLU that follows it fused in (batchnorm.cc): one pass for the
// batch statistics and one for the output, one pass for the gradient's sums and one for dx; over NHWC (or strided)
// activations or activations blocked by channels. Shared by the training
// program; the addon's entry points keep the unfused affine map, statistics and gradient for TF.js's kernels.
#pragma once
#include <cstdint>

#include "strided.h"

namespace se {

/**
 * mean, var = the biased batch statistics of x per channel; y = (x - mean) gamma / sqrt(var + eps) + beta, plus the
 * residual (a sum's other term, of y's shape; none when residual.p is null), then max(y, 0) when relu. Sums in double,
 * shifted by the first row (no cancellation for large means).
 */
void BatchNormTrainForward(Strided x, Strided residual, Strided y, int64_t rows, int64_t c, const float* gamma, const float* beta, float eps, bool relu,
                           float* mean, float* var);

/**
 * The gradient of BatchNormTrainForward, from dy and the input x (dy counts where the forward's output was > 0 when
 * relu: that output recomputed from x, mean, var, gamma and beta exactly as the forward computed it):
 *   g = dy [y > 0];  dbeta = sum g;  dgamma = sum g xhat;  dx = gamma / sqrt(var + eps) (g - dbeta/rows - xhat dgamma/rows)
 * dx is written, or added to when accumulate; with dx.p null only dgamma and dbeta are. beta may be null without relu.
 */
void BatchNormTrainBackward(Strided dy, Strided x, Strided dx, int64_t rows, int64_t c, const float* mean, const float* var, const float* gamma,
                            const float* beta, float eps, bool relu, bool accumulate, float* dgamma, float* dbeta);

/**
 * Activations blocked by channels, as a training program may keep them: [n][blocks][positions][lanes] (oneDNN's
 * nChw8c and nChw16c), channel b lanes + l; contiguous.
 */
struct ChannelBlocks {
  int64_t n, blocks, positions, lanes;
};

/** BatchNormTrainForward over blocked activations (residual null or blocked alike). */
void BatchNormTrainForwardBlocked(const float* x, const float* residual, float* y, const ChannelBlocks& g, const float* gamma, const float* beta, float eps,
                                  bool relu, float* mean, float* var);

/** BatchNormTrainBackward over blocked activations (beta null without relu, dx null when not needed). */
void BatchNormTrainBackwardBlocked(const float* dy, const float* x, float* dx, const ChannelBlocks& g, const float* mean, const float* var, const float* gamma,
                                   const float* beta, float eps, bool relu, bool accumulate, float* dgamma, float* dbeta);

/** out = current - (current - batch) * (1 - momentum), rounded after each operation as TF.js's ops compute it. */
void MovingAverage(const float* current, const float* batch, float* out, int64_t c, float oneMinusMomentum);

}  // namespace se
