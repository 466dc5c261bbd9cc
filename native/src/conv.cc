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

// The geometry of one convolution, as the TS side computes it from TF.js's conv info.
struct ConvShape {
  int64_t n, h, w, ci, kh, kw, co, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr;

  static ConvShape From(const Napi::Value& v) {
    std::vector<int64_t> d = Ints(v);
    Require(v.Env(), d.size() == 17, "conv shape needs 17 numbers");
    return {d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15], d[16]};
  }
  std::string Key(const char* kind, bool bias, bool relu) const {
    std::string k(kind);
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

  dnnl::convolution_forward::primitive_desc Forward(bool bias, bool relu) const {
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
    return dnnl::convolution_forward::primitive_desc(d, attr, Engine());
  }
};

// A primitive with its filter layout and the reorder between that layout and HWIO (empty when they agree).
struct Cached {
  dnnl::primitive conv;
  memory::desc weights;
  bool reorder = false;
  dnnl::primitive reorderPrimitive;
  memory weightsMemory;
};

std::unordered_map<std::string, Cached>& Cache() {
  static std::unordered_map<std::string, Cached> cache;
  return cache;
}

// Fills `c` with the filter layout `weights` and, when it is not HWIO, a buffer and a reorder between them.
void PrepareWeights(Cached& c, const ConvShape& s, const memory::desc& weights, bool toUser) {
  c.weights = weights;
  c.reorder = weights != s.WeightsUser();
  if (!c.reorder) return;
  c.weightsMemory = memory(weights, Engine());
  auto user = memory(s.WeightsUser(), Engine(), DNNL_MEMORY_NONE);
  c.reorderPrimitive = toUser ? dnnl::reorder(c.weightsMemory, user) : dnnl::reorder(user, c.weightsMemory);
}

// The HWIO filter `w` in the primitive's layout: reordered into the cached buffer, or used as it is.
memory WeightsIn(Cached& c, const ConvShape& s, float* w, dnnl::stream& stream) {
  memory user(s.WeightsUser(), Engine(), w);
  if (!c.reorder) return user;
  c.reorderPrimitive.execute(stream, {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, c.weightsMemory}});
  return c.weightsMemory;
}

// conv2dForward(shape, x, w, bias | null, out, relu)
Napi::Value Forward(const Napi::CallbackInfo& info) {
  ConvShape s = ConvShape::From(info[0]);
  float* x = F32(info[1]);
  float* w = F32(info[2]);
  float* bias = F32OrNull(info[3]);
  float* out = F32(info[4]);
  bool relu = Bool(info[5]);
  std::string key = s.Key("f", bias != nullptr, relu);
  auto it = Cache().find(key);
  if (it == Cache().end()) {
    auto pd = s.Forward(bias != nullptr, relu);
    Cached c;
    c.conv = dnnl::convolution_forward(pd);
    PrepareWeights(c, s, pd.weights_desc(), false);
    it = Cache().emplace(key, std::move(c)).first;
  }
  Cached& c = it->second;
  auto& stream = Stream();
  memory weights = WeightsIn(c, s, w, stream);
  std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, memory(s.Src(), Engine(), x)},
                                          {DNNL_ARG_WEIGHTS, weights},
                                          {DNNL_ARG_DST, memory(s.Dst(), Engine(), out)}};
  if (bias != nullptr) args[DNNL_ARG_BIAS] = memory(s.Bias(), Engine(), bias);
  c.conv.execute(stream, args);
  stream.wait();
  return info.Env().Undefined();
}

// conv2dBackwardData(shape, dy, w, dx)
Napi::Value BackwardData(const Napi::CallbackInfo& info) {
  ConvShape s = ConvShape::From(info[0]);
  float* dy = F32(info[1]);
  float* w = F32(info[2]);
  float* dx = F32(info[3]);
  std::string key = s.Key("d", false, false);
  auto it = Cache().find(key);
  if (it == Cache().end()) {
    auto hint = s.Forward(false, false);
    auto d = dnnl::convolution_backward_data::desc(dnnl::algorithm::convolution_direct, s.Src(), s.WeightsAny(), s.Dst(),
                                                   s.Strides(), s.Dilates(), s.PadL(), s.PadR());
    auto pd = dnnl::convolution_backward_data::primitive_desc(d, Engine(), hint);
    Cached c;
    c.conv = dnnl::convolution_backward_data(pd);
    PrepareWeights(c, s, pd.weights_desc(), false);
    it = Cache().emplace(key, std::move(c)).first;
  }
  Cached& c = it->second;
  auto& stream = Stream();
  memory weights = WeightsIn(c, s, w, stream);
  c.conv.execute(stream, {{DNNL_ARG_DIFF_DST, memory(s.Dst(), Engine(), dy)},
                          {DNNL_ARG_WEIGHTS, weights},
                          {DNNL_ARG_DIFF_SRC, memory(s.Src(), Engine(), dx)}});
  stream.wait();
  return info.Env().Undefined();
}

// conv2dBackwardWeights(shape, x, dy, dw)
Napi::Value BackwardWeights(const Napi::CallbackInfo& info) {
  ConvShape s = ConvShape::From(info[0]);
  float* x = F32(info[1]);
  float* dy = F32(info[2]);
  float* dw = F32(info[3]);
  std::string key = s.Key("w", false, false);
  auto it = Cache().find(key);
  if (it == Cache().end()) {
    auto hint = s.Forward(false, false);
    auto d = dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, s.Src(), s.WeightsAny(), s.Dst(),
                                                      s.Strides(), s.Dilates(), s.PadL(), s.PadR());
    auto pd = dnnl::convolution_backward_weights::primitive_desc(d, Engine(), hint);
    Cached c;
    c.conv = dnnl::convolution_backward_weights(pd);
    PrepareWeights(c, s, pd.diff_weights_desc(), true);
    it = Cache().emplace(key, std::move(c)).first;
  }
  Cached& c = it->second;
  auto& stream = Stream();
  memory userW(s.WeightsUser(), Engine(), dw);
  c.conv.execute(stream, {{DNNL_ARG_SRC, memory(s.Src(), Engine(), x)},
                          {DNNL_ARG_DIFF_DST, memory(s.Dst(), Engine(), dy)},
                          {DNNL_ARG_DIFF_WEIGHTS, c.reorder ? c.weightsMemory : userW}});
  if (c.reorder) c.reorderPrimitive.execute(stream, {{DNNL_ARG_FROM, c.weightsMemory}, {DNNL_ARG_TO, userW}});
  stream.wait();
  return info.Env().Undefined();
}

}  // namespace

void InitConv(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2dForward", Napi::Function::New(env, Forward));
  exports.Set("conv2dBackwardData", Napi::Function::New(env, BackwardData));
  exports.Set("conv2dBackwardWeights", Napi::Function::New(env, BackwardWeights));
}

}  // namespace se
