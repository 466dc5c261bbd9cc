// 2-D convolution over oneDNN: forward (with bias and ReLU fused), gradient of the input, gradient of the filter.
// Activations are NHWC as TF.js holds them (or, in a training program, blocked by channels), filters HWIO; oneDNN
// picks its own filter layout ("any"), and the filter is reordered to it (and its gradient back) on every call, which
// is cheap next to the convolution.
// oneDNN 3.0 replaced the operation descriptors (convolution_forward::desc) by primitive-descriptor constructors
// that take the engine first; DNNL_VERSION_MAJOR picks the one this build has (Debian 12's 2.6.3, Homebrew's 3.x).
#include <cstdlib>
#include <string>
#include <unordered_map>

#include "args.h"
#include "conv.h"
#include "families.h"

namespace se {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

dnnl::primitive_attr ReluAttr(bool relu) {
  dnnl::primitive_attr attr;
  if (relu) {
    dnnl::post_ops ops;
#if DNNL_VERSION_MAJOR >= 3
    ops.append_eltwise(dnnl::algorithm::eltwise_relu, 0.f, 0.f);
#else
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
#endif
    attr.set_post_ops(ops);
  }
  return attr;
}

std::string ConvShape::Key(const char* kind, bool bias, bool relu) const {
  std::string k = std::string("conv:") + kind;
  for (int64_t d : {n, h, w, ci, kh, kw, co, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr, block}) k += "," + std::to_string(d);
  return k + (bias ? "b" : "") + (relu ? "r" : "");
}

namespace {

// A training program may keep its activations blocked by channels; source and destination always share the layout
// (oneDNN 2.6 has no fast kernel for NHWC on one side and blocked on the other: it falls back to a reference one).
tag Activations(const ConvShape& s) { return s.block == 16 ? tag::nChw16c : s.block == 8 ? tag::nChw8c : tag::nhwc; }
memory::desc Src(const ConvShape& s) { return memory::desc({s.n, s.ci, s.h, s.w}, dt::f32, Activations(s)); }
memory::desc Dst(const ConvShape& s) { return memory::desc({s.n, s.co, s.oh, s.ow}, dt::f32, Activations(s)); }
memory::desc WeightsUser(const ConvShape& s) { return memory::desc({s.co, s.ci, s.kh, s.kw}, dt::f32, tag::hwio); }
memory::desc WeightsAny(const ConvShape& s) { return memory::desc({s.co, s.ci, s.kh, s.kw}, dt::f32, tag::any); }
memory::desc Bias(const ConvShape& s) { return memory::desc({s.co}, dt::f32, tag::x); }
memory::dims Strides(const ConvShape& s) { return {s.sh, s.sw}; }
memory::dims Dilates(const ConvShape& s) { return {s.dh - 1, s.dw - 1}; }  // oneDNN counts dilation from 0
memory::dims PadL(const ConvShape& s) { return {s.pt, s.pl}; }
memory::dims PadR(const ConvShape& s) { return {s.pb, s.pr}; }

constexpr auto kDirect = dnnl::algorithm::convolution_direct;

dnnl::convolution_forward::primitive_desc ForwardDesc(const dnnl::engine& engine, const ConvShape& s, bool bias, bool relu) {
  const dnnl::primitive_attr attr = ReluAttr(relu);
  const auto prop = dnnl::prop_kind::forward_training;
#if DNNL_VERSION_MAJOR >= 3
  return bias ? dnnl::convolution_forward::primitive_desc(engine, prop, kDirect, Src(s), WeightsAny(s), Bias(s), Dst(s), Strides(s), Dilates(s),
                                                          PadL(s), PadR(s), attr)
              : dnnl::convolution_forward::primitive_desc(engine, prop, kDirect, Src(s), WeightsAny(s), Dst(s), Strides(s), Dilates(s), PadL(s),
                                                          PadR(s), attr);
#else
  auto d = bias ? dnnl::convolution_forward::desc(prop, kDirect, Src(s), WeightsAny(s), Bias(s), Dst(s), Strides(s), Dilates(s), PadL(s), PadR(s))
                : dnnl::convolution_forward::desc(prop, kDirect, Src(s), WeightsAny(s), Dst(s), Strides(s), Dilates(s), PadL(s), PadR(s));
  return dnnl::convolution_forward::primitive_desc(d, attr, engine);
#endif
}

dnnl::convolution_backward_data::primitive_desc BackwardDataDesc(const dnnl::engine& engine, const ConvShape& s) {
  auto hint = ForwardDesc(engine, s, false, false);
#if DNNL_VERSION_MAJOR >= 3
  return dnnl::convolution_backward_data::primitive_desc(engine, kDirect, Src(s), WeightsAny(s), Dst(s), Strides(s), Dilates(s), PadL(s), PadR(s), hint);
#else
  auto d = dnnl::convolution_backward_data::desc(kDirect, Src(s), WeightsAny(s), Dst(s), Strides(s), Dilates(s), PadL(s), PadR(s));
  return dnnl::convolution_backward_data::primitive_desc(d, engine, hint);
#endif
}

dnnl::convolution_backward_weights::primitive_desc BackwardWeightsDesc(const dnnl::engine& engine, const ConvShape& s) {
  auto hint = ForwardDesc(engine, s, false, false);
#if DNNL_VERSION_MAJOR >= 3
  return dnnl::convolution_backward_weights::primitive_desc(engine, kDirect, Src(s), WeightsAny(s), Dst(s), Strides(s), Dilates(s), PadL(s), PadR(s),
                                                            hint);
#else
  auto d = dnnl::convolution_backward_weights::desc(kDirect, Src(s), WeightsAny(s), Dst(s), Strides(s), Dilates(s), PadL(s), PadR(s));
  return dnnl::convolution_backward_weights::primitive_desc(d, engine, hint);
#endif
}

// A primitive with its filter layout and the reorder between that layout and HWIO (empty when they agree).
struct Primitive {
  dnnl::primitive conv;
  memory::desc weights;
  bool reorder = false;
  dnnl::primitive reorderPrimitive;
  memory weightsMemory;
};

// A primitive and its filter layout `weights`, with a buffer and a reorder between that layout and HWIO when they
// differ (into HWIO when toUser, out of it otherwise).
Primitive Prepare(const dnnl::engine& engine, const ConvShape& s, dnnl::primitive conv, const memory::desc& weights, bool toUser) {
  Primitive c;
  c.conv = std::move(conv);
  c.weights = weights;
  c.reorder = weights != WeightsUser(s);
  if (!c.reorder) return c;
  c.weightsMemory = memory(weights, engine);
  auto user = memory(WeightsUser(s), engine, DNNL_MEMORY_NONE);
  c.reorderPrimitive = toUser ? dnnl::reorder(c.weightsMemory, user) : dnnl::reorder(user, c.weightsMemory);
  return c;
}

// oneDNN takes every buffer as void*; it writes only to the destinations.
memory Wrap(const memory::desc& d, State& st, const float* p) { return memory(d, st.engine, const_cast<float*>(p)); }

// The HWIO filter `w` in the primitive's layout: reordered into the cached buffer, or used as it is.
memory WeightsIn(State& st, Primitive& c, const ConvShape& s, const float* w) {
  memory user = Wrap(WeightsUser(s), st, w);
  if (!c.reorder) return user;
  c.reorderPrimitive.execute(st.stream, {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, c.weightsMemory}});
  return c.weightsMemory;
}

}  // namespace

void ConvForward(State& st, const ConvShape& s, const float* x, const float* w, const float* bias, float* y, bool relu) {
  Primitive& c = st.Cached<Primitive>(s.Key("f", bias != nullptr, relu), [&] {
    auto pd = ForwardDesc(st.engine, s, bias != nullptr, relu);
    return Prepare(st.engine, s, dnnl::convolution_forward(pd), pd.weights_desc(), false);
  });
  memory weights = WeightsIn(st, c, s, w);
  std::unordered_map<int, memory> margs = {{DNNL_ARG_SRC, Wrap(Src(s), st, x)}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, Wrap(Dst(s), st, y)}};
  if (bias != nullptr) margs[DNNL_ARG_BIAS] = Wrap(Bias(s), st, bias);
  c.conv.execute(st.stream, margs);
  st.stream.wait();
}

void ConvBackwardData(State& st, const ConvShape& s, const float* dy, const float* w, float* dx) {
  Primitive& c = st.Cached<Primitive>(s.Key("d", false, false), [&] {
    auto pd = BackwardDataDesc(st.engine, s);
    return Prepare(st.engine, s, dnnl::convolution_backward_data(pd), pd.weights_desc(), false);
  });
  memory weights = WeightsIn(st, c, s, w);
  c.conv.execute(st.stream, {{DNNL_ARG_DIFF_DST, Wrap(Dst(s), st, dy)}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DIFF_SRC, Wrap(Src(s), st, dx)}});
  st.stream.wait();
}

void ConvBackwardWeights(State& st, const ConvShape& s, const float* x, const float* dy, float* dw) {
  const char* only = std::getenv("SE_NATIVE_FILTER_GRADIENT");  // read on each call: a test may switch it
  if ((only == nullptr || std::string(only) != "onednn") && OwnFilterGradientTakes(s)) return OwnFilterGradient(s, x, dy, dw);
  Primitive& c = st.Cached<Primitive>(s.Key("w", false, false), [&] {
    auto pd = BackwardWeightsDesc(st.engine, s);
    return Prepare(st.engine, s, dnnl::convolution_backward_weights(pd), pd.diff_weights_desc(), true);
  });
  memory userW = Wrap(WeightsUser(s), st, dw);
  c.conv.execute(st.stream,
                 {{DNNL_ARG_SRC, Wrap(Src(s), st, x)}, {DNNL_ARG_DIFF_DST, Wrap(Dst(s), st, dy)}, {DNNL_ARG_DIFF_WEIGHTS, c.reorder ? c.weightsMemory : userW}});
  if (c.reorder) c.reorderPrimitive.execute(st.stream, {{DNNL_ARG_FROM, c.weightsMemory}, {DNNL_ARG_TO, userW}});
  st.stream.wait();
}

namespace {

// The 17 numbers of argument i, as the TS side computes them from TF.js's conv info.
ConvShape ParseShape(const Args& args, size_t i) {
  std::vector<int64_t> d = args.Integers(i, "shape", 17, -(int64_t{1} << 40));
  ConvShape s{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15], d[16]};
  for (size_t k = 0; k < 13; k++) args.Check(d[k] >= 1, "conv shape: sizes, strides and dilations must be at least 1");
  args.Check(s.pt >= 0 && s.pl >= 0, "conv shape: the top and left paddings must be at least 0");
  Product(args, {s.n, s.h, s.w, s.ci});
  Product(args, {s.n, s.oh, s.ow, s.co});
  Product(args, {s.kh, s.kw, s.ci, s.co});
  return s;
}

// conv2dForward(shape, x, w, bias | null, out, relu)
Napi::Value Forward(const Napi::CallbackInfo& info) {
  Args args(info, "conv2dForward");
  const ConvShape s = ParseShape(args, 0);
  const float* x = args.Floats(1, "x", s.XLength());
  const float* w = args.Floats(2, "w", s.WLength());
  const float* bias = args.FloatsOrNull(3, "bias", s.co);
  float* out = args.Floats(4, "out", s.YLength());
  ConvForward(State::Of(info.Env()), s, x, w, bias, out, args.Flag(5));
  return info.Env().Undefined();
}

// conv2dBackwardData(shape, dy, w, dx)
Napi::Value BackwardData(const Napi::CallbackInfo& info) {
  Args args(info, "conv2dBackwardData");
  const ConvShape s = ParseShape(args, 0);
  const float* dy = args.Floats(1, "dy", s.YLength());
  const float* w = args.Floats(2, "w", s.WLength());
  float* dx = args.Floats(3, "dx", s.XLength());
  ConvBackwardData(State::Of(info.Env()), s, dy, w, dx);
  return info.Env().Undefined();
}

// conv2dBackwardWeights(shape, x, dy, dw)
Napi::Value BackwardWeights(const Napi::CallbackInfo& info) {
  Args args(info, "conv2dBackwardWeights");
  const ConvShape s = ParseShape(args, 0);
  const float* x = args.Floats(1, "x", s.XLength());
  const float* dy = args.Floats(2, "dy", s.YLength());
  float* dw = args.Floats(3, "dw", s.WLength());
  ConvBackwardWeights(State::Of(info.Env()), s, x, dy, dw);
  return info.Env().Undefined();
}

}  // namespace

void InitConv(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "conv2dForward", Forward);
  Export(env, exports, "conv2dBackwardData", BackwardData);
  Export(env, exports, "conv2dBackwardWeights", BackwardWeights);
}

}  // namespace se
