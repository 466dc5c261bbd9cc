// One fused step of SGD with (Nesterov) momentum and weight decay, as PyTorch's torch.optim.SGD (dampening 0):
//   g = grad + wd w;  b = mu b + g (b = g on the first step);  w -= lr (g + mu b) (Nesterov) or lr b.
#include "args.h"
#include "families.h"

namespace se {
namespace {

// sgdStep(w, grad, buffer | null, out, outBuffer | null, lr, mu, wd, nesterov, first)
Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  const float* w = F32(info[0]);
  const float* grad = F32(info[1]);
  const float* buffer = F32OrNull(info[2]);
  float* out = F32(info[3]);
  float* outBuffer = F32OrNull(info[4]);
  const float lr = static_cast<float>(info[5].As<Napi::Number>().DoubleValue());
  const float mu = static_cast<float>(info[6].As<Napi::Number>().DoubleValue());
  const float wd = static_cast<float>(info[7].As<Napi::Number>().DoubleValue());
  const bool nesterov = Bool(info[8]);
  const int64_t n = static_cast<int64_t>(Length(info[0]));
#pragma omp parallel for if (n > kParallelGrain)
  for (int64_t i = 0; i < n; i++) {
    const float g = wd > 0.f ? grad[i] + wd * w[i] : grad[i];
    float step = g;
    if (outBuffer != nullptr) {
      const float b = buffer == nullptr ? g : mu * buffer[i] + g;
      outBuffer[i] = b;
      step = nesterov ? g + mu * b : b;
    }
    out[i] = w[i] - lr * step;
  }
  return info.Env().Undefined();
}

}  // namespace

void InitOptimizer(Napi::Env env, Napi::Object exports) { exports.Set("sgdStep", Napi::Function::New(env, SgdStep)); }

}  // namespace se
