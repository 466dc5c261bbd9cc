// Reductions of a float32 tensor viewed as [outer, reduced, inner] (the reduced axes are one contiguous block; the
// TS side transposes first otherwise), accumulated in double; and softmax over the last axis. SumColumns (reduce.h)
// serves the training program.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "args.h"
#include "clones.h"
#include "families.h"
#include "reduce.h"
#include "threadScratch.h"

namespace se {
namespace {

enum Reduction { kSum, kMean, kMax, kMin, kProd };

// One reduction: x viewed as [outer, r, inner] into out [outer, inner], each sum in double.
struct ReduceCall {
  int64_t op, outer, r, inner;
  const float* x;
  float* out;
};

// Reduces columns i0..i1 of output row o, with acc and nan the caller's scratch for i1 - i0 columns.
SE_CLONES void ReduceColumns(const ReduceCall& c, int64_t o, int64_t i0, int64_t i1, double* acc, char* nan) {
  const bool isMax = c.op == kMax, isMin = c.op == kMin, isProd = c.op == kProd;
  const double init = isMax ? -std::numeric_limits<double>::infinity()
                            : isMin ? std::numeric_limits<double>::infinity() : isProd ? 1.0 : 0.0;
  const double scale = c.op == kMean ? 1.0 / static_cast<double>(c.r) : 1.0;
  std::fill(acc, acc + (i1 - i0), init);
  std::fill(nan, nan + (i1 - i0), 0);
  for (int64_t k = 0; k < c.r; k++) {
    const float* row = c.x + (o * c.r + k) * c.inner;
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
  for (int64_t i = i0; i < i1; i++) c.out[o * c.inner + i] = nan[i - i0] ? NAN : static_cast<float>(acc[i - i0] * scale);
}

// Rows split over threads, or, for one output row of many columns, blocks of columns. Each thread's scratch
// (ThreadStride apart) is allocated here, outside the parallel region, where an exception can still be caught.
void ReduceAll(const ReduceCall& c) {
  const int64_t work = c.outer * c.r * c.inner;
  const bool byRows = c.outer > 1 || c.inner == 1;
  const int64_t chunk = 256;
  const int64_t width = byRows ? c.inner : std::min(c.inner, chunk);
  const int threads = omp_get_max_threads();
  const size_t accStride = ThreadStride<double>(width), nanStride = ThreadStride<char>(width);
  std::vector<double> acc(static_cast<size_t>(threads) * accStride);
  std::vector<char> nan(static_cast<size_t>(threads) * nanStride);
  double* accs = acc.data();
  char* nans = nan.data();
  if (byRows) {
#pragma omp parallel for num_threads(threads) if (work > kParallelGrain)
    for (int64_t o = 0; o < c.outer; o++) {
      const size_t t = static_cast<size_t>(omp_get_thread_num());
      ReduceColumns(c, o, 0, c.inner, accs + t * accStride, nans + t * nanStride);
    }
  } else {
    const int64_t chunks = (c.inner + chunk - 1) / chunk;
#pragma omp parallel for num_threads(threads) if (work > kParallelGrain)
    for (int64_t b = 0; b < chunks; b++) {
      const size_t t = static_cast<size_t>(omp_get_thread_num());
      ReduceColumns(c, 0, b * chunk, std::min(c.inner, (b + 1) * chunk), accs + t * accStride, nans + t * nanStride);
    }
  }
}

}  // namespace

void SumColumns(const float* x, int64_t rows, int64_t cols, float* out) {
  if (cols > 0 && rows > 0) ReduceAll({kSum, 1, rows, cols, x, out});
}

// Per example and block first (each sum rounded to float once), then over the examples.
void SumChannelsBlocked(const float* x, int64_t n, int64_t blocks, int64_t positions, int64_t lanes, float* out) {
  if (n <= 0 || blocks * lanes <= 0) return;
  std::vector<float> perExample(static_cast<size_t>(n * blocks * lanes));
  ReduceAll({kSum, n * blocks, positions, lanes, x, perExample.data()});
  ReduceAll({kSum, 1, n, blocks * lanes, perExample.data(), out});
}

namespace {

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
  if (outer * inner > 0) ReduceAll({op, outer, r, inner, x, out});
  return info.Env().Undefined();
}

// Softmax of each of `rows` rows of k values, with the row's maximum subtracted first.
SE_CLONES void SoftmaxRows(const float* x, float* out, int64_t rows, int64_t k) {
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
}

// softmax(x, out, classes): over the last axis.
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Args args(info, "softmax");
  const int64_t k = args.Integer(2, "classes", 1);
  int64_t length = 0;
  const float* x = args.FloatsOfAnyLength(0, "x", &length);
  args.Check(length % k == 0, "x holds " + std::to_string(length) + " elements, not a multiple of the " + std::to_string(k) + " classes");
  float* out = args.Floats(1, "out", length);
  SoftmaxRows(x, out, length / k, k);
  return info.Env().Undefined();
}

}  // namespace

void InitReduce(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "reduce", Reduce);
  Export(env, exports, "softmax", Softmax);
}

}  // namespace se
