// The dense layer's products through oneDNN's sgemm (matmul.cc), for the training program. Row-major: x [n, k],
// w [k, m], y [n, m].
#pragma once
#include <cstdint>

namespace se {

/** y = x w (+ bias per column), then max(y, 0) when relu. */
void DenseForward(const float* x, const float* w, const float* bias, float* y, int64_t n, int64_t k, int64_t m, bool relu);
/** dx = dy w^T, or dx += dy w^T when accumulate. */
void DenseBackwardData(const float* dy, const float* w, float* dx, int64_t n, int64_t k, int64_t m, bool accumulate);
/** dw = x^T dy. */
void DenseBackwardWeights(const float* x, const float* dy, float* dw, int64_t n, int64_t k, int64_t m);

}  // namespace se
