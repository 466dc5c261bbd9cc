// 2-D convolutions over oneDNN, NHWC (or channel-blocked) activations and HWIO filters as TF.js holds them: the geometry, and forward,
// data-gradient and filter-gradient calls that the addon's entry points (conv.cc) and the training program
// (program.cc) share. Primitives are cached by geometry in the environment's State.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>

#include "engine.h"

namespace se {

// The geometry of one convolution: every size and the strides and dilations at least 1; the paddings may be
// negative on the bottom/right (a 'valid' convolution whose stride skips the last rows), and oneDNN itself rejects a
// geometry whose output size does not follow from the rest.
struct ConvShape {
  int64_t n, h, w, ci, kh, kw, co, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr;
  /** The activations' layout: 0 NHWC, or blocked by 8 or 16 channels (nChw8c, nChw16c; input and output alike). */
  int64_t block = 0;

  int64_t XLength() const { return n * h * w * ci; }
  int64_t YLength() const { return n * oh * ow * co; }
  int64_t WLength() const { return kh * kw * ci * co; }
  std::string Key(const char* kind, bool bias, bool relu) const;
};

/** The attributes of a convolution with a ReLU fused after it (a post-op), or none. */
dnnl::primitive_attr ReluAttr(bool relu);

/** y = conv(x, w) (+ bias) (then ReLU); bias may be null. */
void ConvForward(State& st, const ConvShape& s, const float* x, const float* w, const float* bias, float* y, bool relu);
/** dx = the gradient of the input, from dy and the filter. */
void ConvBackwardData(State& st, const ConvShape& s, const float* dy, const float* w, float* dx);
/**
 * dw = the gradient of the filter (HWIO), from the input and dy: our own loops where they take the geometry
 * (OwnFilterGradientTakes), else oneDNN's; SE_NATIVE_FILTER_GRADIENT=onednn always takes oneDNN's.
 */
void ConvBackwardWeights(State& st, const ConvShape& s, const float* x, const float* dy, float* dw);

/** Whether OwnFilterGradient takes this geometry: stride and dilation 1, activations blocked by 8 channels. */
bool OwnFilterGradientTakes(const ConvShape& s);
/** The filter gradient of such a convolution by our own loops (convFilter.cc). */
void OwnFilterGradient(const ConvShape& s, const float* x, const float* dy, float* dw);

/**
 * An inference program's convolution at one batch, made on its first run: the primitive, the filter in its layout,
 * and the arguments, whose activation and bias pointers each run sets.
 */
struct PreparedConv {
  dnnl::primitive conv;
  dnnl::memory src, weights, bias, dst;
  std::unordered_map<int, dnnl::memory> args;
};
/** An inference program's prepared convolutions, by (operation index, batch). */
using PreparedFilters = std::map<std::pair<size_t, int64_t>, PreparedConv>;

/**
 * y = conv(x, w) (+ bias) (then ReLU) in inference mode (convInference.cc), x and y NHWC (block 0) or blocked by
 * 16 or 8 channels (nChw16c, nChw8c); w (HWIO) is the program's constant filter of operation `op`, prepared once
 * per batch into `prepared`.
 */
void ConvInference(State& st, const ConvShape& s, int blockIn, int blockOut, const float* x, const float* w, const float* bias, float* y, bool relu,
                   PreparedFilters& prepared, size_t op);

}  // namespace se
