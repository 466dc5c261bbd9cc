// One fused step of SGD with (Nesterov) momentum and weight decay, as PyTorch's torch.optim.SGD (dampening 0):
//   g = grad + wd w;  b = mu b + g (b = g on the first step);  w -= lr (g + mu b) (Nesterov) or lr b.
#include "args.h"
#include "clones.h"
#include "families.h"

namespace se {
namespace {

SE_CLONES void SgdStepOf(const float* w, const float* grad, const float* buffer, float* out, float* outBuffer, int64_t n, float lr, float mu,
                         float wd, bool nesterov) {
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
}

// sgdStep(w, grad, buffer | null, out, outBuffer | null, lr, mu, wd, nesterov): every array of w's length.
Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  Args args(info, "sgdStep");
  int64_t n = 0;
  const float* w = args.FloatsOfAnyLength(0, "w", &n);
  const float* grad = args.Floats(1, "grad", n);
  const float* buffer = args.FloatsOrNull(2, "buffer", n);
  float* out = args.Floats(3, "out", n);
  float* outBuffer = args.FloatsOrNull(4, "outBuffer", n);
  const float lr = static_cast<float>(args.Number(5, "learningRate"));
  const float mu = static_cast<float>(args.Number(6, "momentum"));
  const float wd = static_cast<float>(args.Number(7, "weightDecay"));
  const bool nesterov = args.Flag(8);
  SgdStepOf(w, grad, buffer, out, outBuffer, n, lr, mu, wd, nesterov);
  return info.Env().Undefined();
}

}  // namespace

void InitOptimizer(Napi::Env env, Napi::Object exports) { Export(env, exports, "sgdStep", SgdStep); }

}  // namespace se
