// 2-D convolutions over oneDNN, NHWC activations and HWIO filters as TF.js holds them: the geometry, and forward,
// data-gradient and filter-gradient calls that the addon's entry points (conv.cc) and the training program
// (program.cc) share. Primitives are cached by geometry in the environment's State.
#pragma once
#include <cstdint>
#include <string>

#include "engine.h"

namespace se {

// The geometry of one convolution: every size and the strides and dilations at least 1; the paddings may be
// negative on the bottom/right (a 'valid' convolution whose stride skips the last rows), and oneDNN itself rejects a
// geometry whose output size does not follow from the rest.
struct ConvShape {
  int64_t n, h, w, ci, kh, kw, co, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr;

  int64_t XLength() const { return n * h * w * ci; }
  int64_t YLength() const { return n * oh * ow * co; }
  int64_t WLength() const { return kh * kw * ci * co; }
  std::string Key(const char* kind, bool bias, bool relu) const;
};

/** y = conv(x, w) (+ bias) (then ReLU); bias may be null. */
void ConvForward(State& st, const ConvShape& s, const float* x, const float* w, const float* bias, float* y, bool relu);
/** dx = the gradient of the input, from dy and the filter. */
void ConvBackwardData(State& st, const ConvShape& s, const float* dy, const float* w, float* dx);
/** dw = the gradient of the filter (HWIO), from the input and dy. */
void ConvBackwardWeights(State& st, const ConvShape& s, const float* x, const float* dy, float* dw);

}  // namespace se
