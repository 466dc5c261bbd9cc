// 2-D convolution over oneDNN: forward (with bias and ReLU fused), gradient of the input, gradient of the filter.
// Activations stay NHWC and filters HWIO, as TF.js holds them; oneDNN picks its own filter layout ("any"), and the
// filter is reordered to it (and its gradient back) on every call, which is cheap next to the convolution.
#include <string>
#include <unordered_map>

#include "args.h"
#include "engine.h"
#include "families.h"

namespace se {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

// The geometry of one convolution, as the TS side computes it from TF.js's conv info: every size and the strides and
// dilations at least 1; the paddings may be negative on the bottom/right (a 'valid' convolution whose stride skips
// the last rows), and oneDNN itself rejects a geometry whose output size does not follow from the rest.
struct ConvShape {
  int64_t n, h, w, ci, kh, kw, co, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr;

  static ConvShape Parse(const Args& args, size_t i) {
    std::vector<int64_t> d = args.Integers(i, "shape", 17, -(int64_t{1} << 40));
    ConvShape s{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15], d[16]};
    for (size_t k = 0; k < 13; k++) args.Check(d[k] >= 1, "conv shape: sizes, strides and dilations must be at least 1");
    args.Check(s.pt >= 0 && s.pl >= 0, "conv shape: the top and left paddings must be at least 0");
    return s;
  }
  int64_t XLength(const Args& a) const { return Product(a, {n, h, w, ci}); }
  int64_t YLength(const Args& a) const { return Product(a, {n, oh, ow, co}); }
  int64_t WLength(const Args& a) const { return Product(a, {kh, kw, ci, co}); }
  std::string Key(const char* kind, bool bias, bool relu) const {
    std::string k = std::string("conv:") + kind;
    for (int64_t d : {n, h, w, ci, kh, kw, co, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr}) k += "," + std::to_string(d);
    return k + (bias ? "b" : "") + (relu ? "r" : "");
  }
  memory::desc Src() const { return memory::desc({n, ci, h, w}, dt::f32, tag::nhwc); }
  memory::desc Dst() const { return memory::desc({n, co, oh, ow}, dt::f32, tag::nhwc); }
  memory::desc WeightsUser() const { return memory::desc({co, ci, kh, kw}, dt::f32, tag::hwio); }
  memory::desc WeightsAny() const { return memory::desc({co, ci, kh, kw}, dt::f32, tag::any); }
  memory::desc Bias() const { return memory::desc({co}, dt::f32, tag::x); }
  memory::dims Strides() const { return {sh, sw}; }
  memory::dims Dilates() const { return {dh - 1, dw - 1}; }  // oneDNN counts dilation from 0
  memory::dims PadL() const { return {pt, pl}; }
  memory::dims PadR() const { return {pb, pr}; }

  dnnl::convolution_forward::primitive_desc Forward(const dnnl::engine& engine, bool bias, bool relu) const {
    dnnl::primitive_attr attr;
    if (relu) {
      dnnl::post_ops ops;
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
      attr.set_post_ops(ops);
    }
    auto d = bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                                    Src(), WeightsAny(), Bias(), Dst(), Strides(), Dilates(), PadL(), PadR())
                  : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                                    Src(), WeightsAny(), Dst(), Strides(), Dilates(), PadL(), PadR());
    return dnnl::convolution_forward::primitive_desc(d, attr, engine);
  }
};

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
  c.reorder = weights != s.WeightsUser();
  if (!c.reorder) return c;
  c.weightsMemory = memory(weights, engine);
  auto user = memory(s.WeightsUser(), engine, DNNL_MEMORY_NONE);
  c.reorderPrimitive = toUser ? dnnl::reorder(c.weightsMemory, user) : dnnl::reorder(user, c.weightsMemory);
  return c;
}

// The HWIO filter `w` in the primitive's layout: reordered into the cached buffer, or used as it is.
memory WeightsIn(State& st, Primitive& c, const ConvShape& s, float* w) {
  memory user(s.WeightsUser(), st.engine, w);
  if (!c.reorder) return user;
  c.reorderPrimitive.execute(st.stream, {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, c.weightsMemory}});
  return c.weightsMemory;
}

// conv2dForward(shape, x, w, bias | null, out, relu)
Napi::Value Forward(const Napi::CallbackInfo& info) {
  Args args(info, "conv2dForward");
  const ConvShape s = ConvShape::Parse(args, 0);
  float* x = args.Floats(1, "x", s.XLength(args));
  float* w = args.Floats(2, "w", s.WLength(args));
  float* bias = args.FloatsOrNull(3, "bias", s.co);
  float* out = args.Floats(4, "out", s.YLength(args));
  const bool relu = args.Flag(5);
  State& st = State::Of(info.Env());
  Primitive& c = st.Cached<Primitive>(s.Key("f", bias != nullptr, relu), [&] {
    auto pd = s.Forward(st.engine, bias != nullptr, relu);
    return Prepare(st.engine, s, dnnl::convolution_forward(pd), pd.weights_desc(), false);
  });
  memory weights = WeightsIn(st, c, s, w);
  std::unordered_map<int, memory> margs = {{DNNL_ARG_SRC, memory(s.Src(), st.engine, x)},
                                           {DNNL_ARG_WEIGHTS, weights},
                                           {DNNL_ARG_DST, memory(s.Dst(), st.engine, out)}};
  if (bias != nullptr) margs[DNNL_ARG_BIAS] = memory(s.Bias(), st.engine, bias);
  c.conv.execute(st.stream, margs);
  st.stream.wait();
  return info.Env().Undefined();
}

// conv2dBackwardData(shape, dy, w, dx)
Napi::Value BackwardData(const Napi::CallbackInfo& info) {
  Args args(info, "conv2dBackwardData");
  const ConvShape s = ConvShape::Parse(args, 0);
  float* dy = args.Floats(1, "dy", s.YLength(args));
  float* w = args.Floats(2, "w", s.WLength(args));
  float* dx = args.Floats(3, "dx", s.XLength(args));
  State& st = State::Of(info.Env());
  Primitive& c = st.Cached<Primitive>(s.Key("d", false, false), [&] {
    auto hint = s.Forward(st.engine, false, false);
    auto d = dnnl::convolution_backward_data::desc(dnnl::algorithm::convolution_direct, s.Src(), s.WeightsAny(), s.Dst(),
                                                   s.Strides(), s.Dilates(), s.PadL(), s.PadR());
    auto pd = dnnl::convolution_backward_data::primitive_desc(d, st.engine, hint);
    return Prepare(st.engine, s, dnnl::convolution_backward_data(pd), pd.weights_desc(), false);
  });
  memory weights = WeightsIn(st, c, s, w);
  c.conv.execute(st.stream, {{DNNL_ARG_DIFF_DST, memory(s.Dst(), st.engine, dy)},
                             {DNNL_ARG_WEIGHTS, weights},
                             {DNNL_ARG_DIFF_SRC, memory(s.Src(), st.engine, dx)}});
  st.stream.wait();
  return info.Env().Undefined();
}

// conv2dBackwardWeights(shape, x, dy, dw)
Napi::Value BackwardWeights(const Napi::CallbackInfo& info) {
  Args args(info, "conv2dBackwardWeights");
  const ConvShape s = ConvShape::Parse(args, 0);
  float* x = args.Floats(1, "x", s.XLength(args));
  float* dy = args.Floats(2, "dy", s.YLength(args));
  float* dw = args.Floats(3, "dw", s.WLength(args));
  State& st = State::Of(info.Env());
  Primitive& c = st.Cached<Primitive>(s.Key("w", false, false), [&] {
    auto hint = s.Forward(st.engine, false, false);
    auto d = dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, s.Src(), s.WeightsAny(), s.Dst(),
                                                      s.Strides(), s.Dilates(), s.PadL(), s.PadR());
    auto pd = dnnl::convolution_backward_weights::primitive_desc(d, st.engine, hint);
    return Prepare(st.engine, s, dnnl::convolution_backward_weights(pd), pd.diff_weights_desc(), true);
  });
  memory userW(s.WeightsUser(), st.engine, dw);
  c.conv.execute(st.stream, {{DNNL_ARG_SRC, memory(s.Src(), st.engine, x)},
                             {DNNL_ARG_DIFF_DST, memory(s.Dst(), st.engine, dy)},
                             {DNNL_ARG_DIFF_WEIGHTS, c.reorder ? c.weightsMemory : userW}});
  if (c.reorder) c.reorderPrimitive.execute(st.stream, {{DNNL_ARG_FROM, c.weightsMemory}, {DNNL_ARG_TO, userW}});
  st.stream.wait();
  return info.Env().Undefined();
}

}  // namespace

void InitConv(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "conv2dForward", Forward);
  Export(env, exports, "conv2dBackwardData", BackwardData);
  Export(env, exports, "conv2dBackwardWeights", BackwardWeights);
}

}  // namespace se
