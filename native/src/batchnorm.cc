// Batch normalisation over the last axis of a channels-last tensor: the affine map of TF.js's FusedBatchNorm, and
// the per-channel statistics and closed-form gradient that FastBatchNormalization's training step needs.
//   y = (x - mean) * scale / sqrt(var + eps) + offset
//   dx = k (dy - mean(dy) - xhat mean(dy xhat)),  k = gamma / sqrt(var + eps)   (Ioffe and Szegedy 2015, sec. 3)
#include <omp.h>

#include <cmath>
#include <vector>

#include "args.h"
#include "families.h"

namespace se {
namespace {

// Per-channel parameter: a [c] vector, or a single value for every channel.
struct Param {
  const float* p;
  size_t size;
  float fallback;
  float At(int64_t ch) const { return p == nullptr ? fallback : (size == 1 ? p[0] : p[ch]); }
};

Param ParamOf(const Napi::Value& v, float fallback) {
  if (v.IsNull() || v.IsUndefined()) return {nullptr, 0, fallback};
  return {F32(v), Length(v), fallback};
}

// batchNormAffine(x, out, c, mean, variance, offset | null, scale | null, epsilon)
Napi::Value Affine(const Napi::CallbackInfo& info) {
  const float* x = F32(info[0]);
  float* out = F32(info[1]);
  const int64_t c = Int(info[2]);
  Param mean = ParamOf(info[3], 0.f), var = ParamOf(info[4], 1.f), offset = ParamOf(info[5], 0.f),
        scale = ParamOf(info[6], 1.f);
  const double eps = info[7].As<Napi::Number>().DoubleValue();
  // (x - mean) k + offset, not x k + (offset - mean k): the latter loses the digits of x - mean when the mean is
  // large next to the spread.
  // Computed in double, as the cpu backend does: deep stacks of batch norms (DenseNet) amplify the rounding of a
  // float32 formula into visible gradient differences.
  std::vector<double> sc(c), sd(c), m(c), b(c);
  for (int64_t ch = 0; ch < c; ch++) {
    sc[ch] = scale.At(ch);
    sd[ch] = std::sqrt(static_cast<double>(var.At(ch)) + static_cast<double>(eps));
    m[ch] = mean.At(ch);
    b[ch] = offset.At(ch);
  }
  const int64_t rows = static_cast<int64_t>(Length(info[0])) / c;
#pragma omp parallel for if (rows * c > kParallelGrain)
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * c;
    float* yr = out + r * c;
    for (int64_t ch = 0; ch < c; ch++) yr[ch] = static_cast<float>(b[ch] + (static_cast<double>(xr[ch]) - m[ch]) * sc[ch] / sd[ch]);
  }
  return info.Env().Undefined();
}

// Per-channel sums over the rows of a [rows, c] matrix of the terms term(r, ch), in double: each thread sums a
// block of rows, and the blocks are added in thread order (deterministic for a given thread count).
template <typename Term>
void ChannelSums(int64_t rows, int64_t c, double* out, Term term) {
  const int threads = omp_get_max_threads();
  std::vector<double> partial(static_cast<size_t>(threads) * c, 0.0);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    double* acc = partial.data() + static_cast<size_t>(t) * c;
    const int64_t r0 = rows * t / nt, r1 = rows * (t + 1) / nt;
    for (int64_t r = r0; r < r1; r++)
      for (int64_t ch = 0; ch < c; ch++) acc[ch] += term(r, ch);
  }
  for (int64_t ch = 0; ch < c; ch++) out[ch] = 0.0;
  for (int t = 0; t < threads; t++)
    for (int64_t ch = 0; ch < c; ch++) out[ch] += partial[static_cast<size_t>(t) * c + ch];
}

// batchNormMoments(x, c, mean, variance): biased batch statistics over every axis but the last.
Napi::Value Moments(const Napi::CallbackInfo& info) {
  const float* x = F32(info[0]);
  const int64_t c = Int(info[1]);
  float* mean = F32(info[2]);
  float* var = F32(info[3]);
  const int64_t rows = static_cast<int64_t>(Length(info[0])) / c;
  std::vector<double> s(c), squares(c);
  ChannelSums(rows, c, s.data(), [x, c](int64_t r, int64_t ch) { return static_cast<double>(x[r * c + ch]); });
  for (int64_t ch = 0; ch < c; ch++) mean[ch] = static_cast<float>(s[ch] / rows);
  // Two passes (sum of squared deviations), as the layer's own formula computes it.
  ChannelSums(rows, c, squares.data(), [x, c, mean](int64_t r, int64_t ch) {
    const float d = x[r * c + ch] - mean[ch];
    return static_cast<double>(d) * d;
  });
  for (int64_t ch = 0; ch < c; ch++) var[ch] = static_cast<float>(squares[ch] / rows);
  return info.Env().Undefined();
}

// batchNormGrad(dy, x, c, mean, variance, gamma, epsilon, dx, dgamma, dbeta)
Napi::Value Grad(const Napi::CallbackInfo& info) {
  const float* dy = F32(info[0]);
  const float* x = F32(info[1]);
  const int64_t c = Int(info[2]);
  const float* mean = F32(info[3]);
  const float* var = F32(info[4]);
  const float* gamma = F32(info[5]);
  const float eps = static_cast<float>(info[6].As<Napi::Number>().DoubleValue());
  float* dx = F32(info[7]);
  float* dgamma = F32(info[8]);
  float* dbeta = F32(info[9]);
  const int64_t rows = static_cast<int64_t>(Length(info[0])) / c;
  std::vector<float> inv(c);
  for (int64_t ch = 0; ch < c; ch++) inv[ch] = 1.f / std::sqrt(var[ch] + eps);
  // dgamma = sum dy * xhat = inv * (sum dy x - mean sum dy)
  std::vector<double> sdy(c), sdyx(c);
  ChannelSums(rows, c, sdy.data(), [dy, c](int64_t r, int64_t ch) { return static_cast<double>(dy[r * c + ch]); });
  ChannelSums(rows, c, sdyx.data(), [dy, x, c](int64_t r, int64_t ch) { return static_cast<double>(dy[r * c + ch]) * x[r * c + ch]; });
  std::vector<float> k(c), a(c), b(c);
  for (int64_t ch = 0; ch < c; ch++) {
    const double g = inv[ch] * (sdyx[ch] - mean[ch] * sdy[ch]);
    dgamma[ch] = static_cast<float>(g);
    dbeta[ch] = static_cast<float>(sdy[ch]);
    k[ch] = gamma[ch] * inv[ch];
    // dx = k dy - k/n (dbeta + xhat dgamma), xhat = (x - mean) inv: as k dy + a (x - mean) + b per channel.
    a[ch] = static_cast<float>(-k[ch] * g * inv[ch] / rows);
    b[ch] = static_cast<float>(-k[ch] * sdy[ch] / rows);
  }
#pragma omp parallel for if (rows * c > kParallelGrain)
  for (int64_t r = 0; r < rows; r++) {
    const float* dyr = dy + r * c;
    const float* xr = x + r * c;
    float* dxr = dx + r * c;
    for (int64_t ch = 0; ch < c; ch++) dxr[ch] = k[ch] * dyr[ch] + a[ch] * (xr[ch] - mean[ch]) + b[ch];
  }
  return info.Env().Undefined();
}

}  // namespace

void InitBatchNorm(Napi::Env env, Napi::Object exports) {
  exports.Set("batchNormAffine", Napi::Function::New(env, Affine));
  exports.Set("batchNormMoments", Napi::Function::New(env, Moments));
  exports.Set("batchNormGrad", Napi::Function::New(env, Grad));
}

}  // namespace se
