// Pooling over NHWC tensors and its gradients (pool.cc), shared by the addon's entry points and the training
// program: max and average windows, and the global average over all positions of each image.
#pragma once
#include <cstdint>

namespace se {

// The geometry of one pooling: sizes, window and strides at least 1, paddings at least 0.
struct PoolShape {
  int64_t n, h, w, c, fh, fw, oh, ow, sh, sw, pt, pl;

  int64_t XLength() const { return n * h * w * c; }
  int64_t YLength() const { return n * oh * ow * c; }
};

/** y = the max or average of each window of x. */
void PoolForward(const PoolShape& s, const float* x, float* y, bool isMax);
/** dx (every element written) = the max pooling's gradient: dy to the first maximum of each window. */
void MaxPoolBackward(const PoolShape& s, const float* dy, const float* x, float* dx);
/** dx (every element written) = the average pooling's gradient: dy / window size to each position of its window. */
void AvgPoolBackward(const PoolShape& s, const float* dy, float* dx);

/** y [n, c] = the mean of x [n, positions, c] over its positions. */
void GlobalAverageForward(const float* x, float* y, int64_t n, int64_t positions, int64_t c);
/** dx [n, positions, c] (+)= dy [n, c] / positions. */
void GlobalAverageBackward(const float* dy, float* dx, int64_t n, int64_t positions, int64_t c, bool accumulate);

}  // namespace se
