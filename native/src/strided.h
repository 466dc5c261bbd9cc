// A [rows, c] block of floats whose rows lie `stride` floats apart (stride >= c): a whole NHWC tensor (stride = c)
// or some of the channels of one (a DenseNet block's first layers' channels), as the training program's kernels
// take their operands.
#pragma once
#include <cstdint>

namespace se {

struct Strided {
  float* p;
  int64_t stride;
};

}  // namespace se
