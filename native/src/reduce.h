// Reductions shared with the training program (reduce.cc).
#pragma once
#include <cstdint>

namespace se {

/** out [cols] = the sum of each column of x [rows, cols], accumulated in double. */
void SumColumns(const float* x, int64_t rows, int64_t cols, float* out);

}  // namespace se
