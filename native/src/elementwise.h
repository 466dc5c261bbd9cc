// Elementwise maps over [rows, c] blocks with row strides (elementwise.cc), for the programs: sums (with the ReLU
// after them), the ReLU's gradient mask, copies and products, each writing its output or adding to it, and the
// per-channel affine map of a batch norm in inference mode.
#pragma once
#include <cstdint>

#include "strided.h"

namespace se {

/** y = a + b, then max(y, 0) when relu (NaN stays NaN, as TF.js's Relu keeps it). */
void AddStrided(Strided a, Strided b, Strided y, int64_t rows, int64_t c, bool relu);
/** y = max(x, 0) (NaN stays NaN). */
void ReluStrided(Strided x, Strided y, int64_t rows, int64_t c);
/** dx = dy where y > 0, else 0 (the ReLU's gradient, from its output); added to dx when accumulate. */
void MaskStrided(Strided dy, Strided y, Strided dx, int64_t rows, int64_t c, bool accumulate);
/** dst = src, or dst += src when accumulate. */
void CopyStrided(Strided src, Strided dst, int64_t rows, int64_t c, bool accumulate);
/** y = a * b, or y += a * b when accumulate. */
void MulStrided(Strided a, Strided b, Strided y, int64_t rows, int64_t c, bool accumulate);
/**
 * Activations blocked by `lanes` channels, 16 or 8 (x: [n][blocks][positions][lanes], oneDNN's nChw16c or nChw8c),
 * as NHWC (y: [n][positions][blocks lanes]).
 */
void Unblock(const float* x, float* y, int64_t n, int64_t blocks, int64_t positions, int64_t lanes);
/** The inverse of Unblock: NHWC activations (x) blocked by `lanes` channels, 16 or 8 (y). */
void Block(const float* x, float* y, int64_t n, int64_t blocks, int64_t positions, int64_t lanes);
/** y = x scale + shift per column (c of each), then max(y, 0) when relu: a batch norm in inference mode. */
void ScaleShiftStrided(Strided x, Strided y, int64_t rows, int64_t c, const float* scale, const float* shift, bool relu);

}  // namespace se
