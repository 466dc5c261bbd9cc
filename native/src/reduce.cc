// Reductions of a float32 tensor viewed as [outer, reduced, inner] (the reduced axes are one contiguous block; the
// TS side transposes first otherwise), accumulated in double; and softmax over the last axis.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "args.h"
#include "families.h"

namespace se {
namespace {

enum Reduction { kSum, kMean, kMax, kMin, kProd };

// reduce(op, x, out, [outer, reduced, inner]): the reduced block is not empty (a mean over it would divide by 0).
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  Args args(info, "reduce");
  const int64_t op = args.Integer(0, "op");
  args.Check(op >= kSum && op <= kProd, "unknown reduction " + std::to_string(op));
  std::vector<int64_t> d = args.Integers(3, "dims", 3);
  const int64_t outer = d[0], r = d[1], inner = d[2];
  args.Check(r >= 1, "the reduced axes are empty");
  const float* x = args.Floats(1, "x", Product(args, {outer, r, inner}));
  float* out = args.Floats(2, "out", Product(args, {outer, inner}));
  if (outer * inner == 0) return info.Env().Undefined();
  const bool isMax = op == kMax, isMin = op == kMin, isProd = op == kProd;
  const double init = isMax ? -std::numeric_limits<double>::infinity()
                            : isMin ? std::numeric_limits<double>::infinity() : isProd ? 1.0 : 0.0;
  const double scale = op == kMean ? 1.0 / static_cast<double>(r) : 1.0;
  auto reduceOne = [&](int64_t o, int64_t i0, int64_t i1) {
    std::vector<double> acc(i1 - i0, init);
    std::vector<char> nan(i1 - i0, 0);
    for (int64_t k = 0; k < r; k++) {
      const float* row = x + (o * r + k) * inner;
      for (int64_t i = i0; i < i1; i++) {
        const double v = row[i];
        double& a = acc[i - i0];
        if (isMax) {
          if (std::isnan(v)) nan[i - i0] = 1;
          a = v > a ? v : a;
        } else if (isMin) {
          if (std::isnan(v)) nan[i - i0] = 1;
          a = v < a ? v : a;
        } else if (isProd) {
          a *= v;
        } else {
          a += v;
        }
      }
    }
    for (int64_t i = i0; i < i1; i++)
      out[o * inner + i] = nan[i - i0] ? NAN : static_cast<float>(acc[i - i0] * scale);
  };
  const int64_t work = outer * r * inner;
  if (outer > 1 || inner == 1) {
#pragma omp parallel for if (work > kParallelGrain)
    for (int64_t o = 0; o < outer; o++) reduceOne(o, 0, inner);
  } else {
    // One output row of many columns: split the columns.
    const int64_t chunk = 256;
    const int64_t chunks = (inner + chunk - 1) / chunk;
#pragma omp parallel for if (work > kParallelGrain)
    for (int64_t c = 0; c < chunks; c++) reduceOne(0, c * chunk, std::min(inner, (c + 1) * chunk));
  }
  return info.Env().Undefined();
}

// softmax(x, out, classes): over the last axis, with the maximum subtracted first.
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Args args(info, "softmax");
  const int64_t k = args.Integer(2, "classes", 1);
  int64_t length = 0;
  const float* x = args.FloatsOfAnyLength(0, "x", &length);
  args.Check(length % k == 0, "x holds " + std::to_string(length) + " elements, not a multiple of the " + std::to_string(k) + " classes");
  float* out = args.Floats(1, "out", length);
  const int64_t rows = length / k;
#pragma omp parallel for if (rows * k > kParallelGrain)
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * k;
    float* yr = out + r * k;
    float m = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < k; j++) m = xr[j] > m ? xr[j] : m;
    double sum = 0.0;
    for (int64_t j = 0; j < k; j++) {
      yr[j] = std::exp(xr[j] - m);
      sum += yr[j];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t j = 0; j < k; j++) yr[j] *= inv;
  }
  return info.Env().Undefined();
}

}  // namespace

void InitReduce(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "reduce", Reduce);
  Export(env, exports, "softmax", Softmax);
}

}  // namespace se
