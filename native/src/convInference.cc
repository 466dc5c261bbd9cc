// The inference program's convolution: forward_inference over oneDNN with its activations either NHWC (as TF.js
// holds them) or blocked by 16 or 8 channels (nChw16c: [n][c/16][h][w][16], or nChw8c: the layouts oneDNN's fastest
// kernels read and write with AVX-512 and AVX2, kept between the program's layers); the one mixed case is a
// one-channel source (an image) with a blocked destination, where a chain of blocked layers starts (oneDNN 2.6 has
// only reference kernels for other mixes). A 3x3 stride-1 convolution between blocked activations over at least 64
// output positions runs as Winograd where this oneDNN has it for the shape (F(2x2,3x3) or F(4x4,3x3) on AVX-512,
// none on AVX2: about 2.2x fewer multiplications; float32 results within about 2e-6 of the direct convolution's,
// relative to the largest output), any other as oneDNN's direct convolution. The filter is a constant of the program: reordered (for Winograd, transformed) into the
// primitive's layout on its first run at each batch size and kept, with the primitive and its arguments.
#include <string>
#include <unordered_map>

#include "conv.h"

namespace se {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

// block: 0 (NHWC), 8 or 16 channels (checked when the program was made).
memory::desc Activation(int64_t n, int64_t c, int64_t h, int64_t w, int block) {
  return memory::desc({n, c, h, w}, dt::f32, block == 16 ? tag::nChw16c : block == 8 ? tag::nChw8c : tag::nhwc);
}

// The source: blocked, or NHWC; a one-channel source read by a convolution with a blocked output is described as
// NCHW (the same bytes), the one unblocked source oneDNN's fast kernels take with a blocked destination.
memory::desc Source(const ConvShape& s, int blockIn, int blockOut) {
  if (blockIn == 0 && blockOut != 0) return memory::desc({s.n, s.ci, s.h, s.w}, dt::f32, tag::nchw);
  return Activation(s.n, s.ci, s.h, s.w, blockIn);
}

dnnl::convolution_forward::primitive_desc InferenceDesc(const dnnl::engine& engine, const ConvShape& s, int blockIn, int blockOut, bool bias,
                                                        bool relu, dnnl::algorithm algorithm) {
  const dnnl::primitive_attr attr = ReluAttr(relu);
  const memory::desc src = Source(s, blockIn, blockOut), dst = Activation(s.n, s.co, s.oh, s.ow, blockOut);
  const memory::desc weights({s.co, s.ci, s.kh, s.kw}, dt::f32, tag::any), b({s.co}, dt::f32, tag::x);
  const memory::dims strides = {s.sh, s.sw}, dilates = {s.dh - 1, s.dw - 1}, padL = {s.pt, s.pl}, padR = {s.pb, s.pr};
  const auto prop = dnnl::prop_kind::forward_inference;
#if DNNL_VERSION_MAJOR >= 3
  return bias ? dnnl::convolution_forward::primitive_desc(engine, prop, algorithm, src, weights, b, dst, strides, dilates, padL, padR, attr)
              : dnnl::convolution_forward::primitive_desc(engine, prop, algorithm, src, weights, dst, strides, dilates, padL, padR, attr);
#else
  auto d = bias ? dnnl::convolution_forward::desc(prop, algorithm, src, weights, b, dst, strides, dilates, padL, padR)
                : dnnl::convolution_forward::desc(prop, algorithm, src, weights, dst, strides, dilates, padL, padR);
  return dnnl::convolution_forward::primitive_desc(d, attr, engine);
#endif
}

// Winograd for a 3x3 stride-1 undilated convolution between blocked activations over at least 64 output positions
// when oneDNN has it for the shape, else the direct convolution. The choice depends on the shape alone, never on a
// timing, so that the same batch gives the same numbers on every run.
dnnl::convolution_forward::primitive_desc ChooseDesc(const dnnl::engine& engine, const ConvShape& s, int blockIn, int blockOut, bool bias,
                                                     bool relu) {
  // Below 64 output positions in all (a 7 x 7 map at batch 1) the direct convolution was faster (AVX-512, 2 threads).
  const bool winograd = blockIn != 0 && blockOut != 0 && s.kh == 3 && s.kw == 3 && s.sh == 1 && s.sw == 1 && s.dh == 1 && s.dw == 1 && s.n * s.oh * s.ow >= 64;
  if (winograd) {
    try {
      return InferenceDesc(engine, s, blockIn, blockOut, bias, relu, dnnl::algorithm::convolution_winograd);
    } catch (const dnnl::error&) {
      // no Winograd kernel for this shape or CPU: the direct convolution below
    }
  }
  return InferenceDesc(engine, s, blockIn, blockOut, bias, relu, dnnl::algorithm::convolution_direct);
}

struct InferencePrimitive {
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::primitive conv;
};

std::string Key(const ConvShape& s, int blockIn, int blockOut, bool bias, bool relu) {
  return s.Key("i", bias, relu) + "<" + std::to_string(blockIn) + ">" + std::to_string(blockOut);
}

}  // namespace

void ConvInference(State& st, const ConvShape& s, int blockIn, int blockOut, const float* x, const float* w, const float* bias, float* y, bool relu,
                   PreparedFilters& prepared, size_t op) {
  auto key = std::make_pair(op, s.n);
  auto it = prepared.find(key);
  if (it == prepared.end()) {
    InferencePrimitive& c = st.Cached<InferencePrimitive>(Key(s, blockIn, blockOut, bias != nullptr, relu), [&] {
      auto pd = ChooseDesc(st.engine, s, blockIn, blockOut, bias != nullptr, relu);
      return InferencePrimitive{pd, dnnl::convolution_forward(pd)};
    });
    PreparedConv p;
    p.conv = c.conv;
    memory user(memory::desc({s.co, s.ci, s.kh, s.kw}, dt::f32, tag::hwio), st.engine, const_cast<float*>(w));
    p.weights = memory(c.pd.weights_desc(), st.engine);
    dnnl::reorder(user, p.weights).execute(st.stream, user, p.weights);
    st.stream.wait();
    p.src = memory(Source(s, blockIn, blockOut), st.engine, DNNL_MEMORY_NONE);
    p.dst = memory(Activation(s.n, s.co, s.oh, s.ow, blockOut), st.engine, DNNL_MEMORY_NONE);
    p.args = {{DNNL_ARG_SRC, p.src}, {DNNL_ARG_WEIGHTS, p.weights}, {DNNL_ARG_DST, p.dst}};
    if (bias != nullptr) {
      p.bias = memory(memory::desc({s.co}, dt::f32, tag::x), st.engine, DNNL_MEMORY_NONE);
      p.args[DNNL_ARG_BIAS] = p.bias;
    }
    it = prepared.emplace(key, std::move(p)).first;
  }
  PreparedConv& p = it->second;
  p.src.set_data_handle(const_cast<float*>(x));
  p.dst.set_data_handle(y);
  if (bias != nullptr) p.bias.set_data_handle(const_cast<float*>(bias));
  p.conv.execute(st.stream, p.args);
  st.stream.wait();
}

}  // namespace se
