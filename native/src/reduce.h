// Reductions shared with the training program (reduce.cc).
#pragma once
#include <cstdint>

namespace se {

/** out [cols] = the sum of each column of x [rows, cols], accumulated in double. */
void SumColumns(const float* x, int64_t rows, int64_t cols, float* out);
/** out [blocks lanes] = the sum of each channel of x [n][blocks][positions][lanes] (activations blocked by channels). */
void SumChannelsBlocked(const float* x, int64_t n, int64_t blocks, int64_t positions, int64_t lanes, float* out);

}  // namespace se
