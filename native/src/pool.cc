// Max, average and global average pooling over NHWC tensors and their gradients, written as plain loops (they are memory-bound).
// Rules as TF.js's cpu backend has them: padded positions never win a max; the max's gradient goes to the first
// maximum of its window in row-major order; the average divides by the window's positions inside the input, its
// gradient by the full window size.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "args.h"
#include "clones.h"
#include "families.h"
#include "pool.h"

namespace se {
namespace {

SE_CLONES void PoolLoops(const PoolShape& s, const float* x, float* out, bool isMax) {
#pragma omp parallel for collapse(2)
  for (int64_t b = 0; b < s.n; b++) {
    for (int64_t oy = 0; oy < s.oh; oy++) {
      for (int64_t ox = 0; ox < s.ow; ox++) {
        float* o = out + ((b * s.oh + oy) * s.ow + ox) * s.c;
        const int64_t y0 = oy * s.sh - s.pt, x0 = ox * s.sw - s.pl;
        for (int64_t ch = 0; ch < s.c; ch++) o[ch] = isMax ? -std::numeric_limits<float>::infinity() : 0.f;
        int64_t count = 0;
        for (int64_t fy = 0; fy < s.fh; fy++) {
          const int64_t iy = y0 + fy;
          if (iy < 0 || iy >= s.h) continue;
          for (int64_t fx = 0; fx < s.fw; fx++) {
            const int64_t ix = x0 + fx;
            if (ix < 0 || ix >= s.w) continue;
            const float* p = x + ((b * s.h + iy) * s.w + ix) * s.c;
            count++;
            if (isMax) {
              for (int64_t ch = 0; ch < s.c; ch++) o[ch] = p[ch] > o[ch] ? p[ch] : o[ch];
            } else {
              for (int64_t ch = 0; ch < s.c; ch++) o[ch] += p[ch];
            }
          }
        }
        if (!isMax && count > 0) {
          const float inv = 1.f / static_cast<float>(count);
          for (int64_t ch = 0; ch < s.c; ch++) o[ch] *= inv;
        } else if (!isMax) {
          for (int64_t ch = 0; ch < s.c; ch++) o[ch] = NAN;  // a window wholly in the padding: 0 / 0, as on cpu
        }
      }
    }
  }
}

// The gradient of one image: dx zeroed, then each window's dy added where its first maximum is. Channels are the
// inner loop (contiguous in NHWC); best and at hold each channel's best value and where it was (the thread's own
// scratch, which shares memory with nothing else: restrict lets the compiler keep the shape in registers).
inline void MaxPoolImage(const PoolShape s, int64_t b, const float* x, const float* dy, float* dx, float* __restrict best,
                         int64_t* __restrict at) {
  std::fill(dx + b * s.h * s.w * s.c, dx + (b + 1) * s.h * s.w * s.c, 0.f);
  for (int64_t oy = 0; oy < s.oh; oy++) {
    for (int64_t ox = 0; ox < s.ow; ox++) {
      const int64_t y0 = oy * s.sh - s.pt, x0 = ox * s.sw - s.pl;
      std::fill(at, at + s.c, int64_t{-1});
      for (int64_t fy = 0; fy < s.fh; fy++) {
        const int64_t iy = y0 + fy;
        if (iy < 0 || iy >= s.h) continue;
        for (int64_t fx = 0; fx < s.fw; fx++) {
          const int64_t ix = x0 + fx;
          if (ix < 0 || ix >= s.w) continue;
          const int64_t base = ((b * s.h + iy) * s.w + ix) * s.c;
          const float* p = x + base;
          for (int64_t ch = 0; ch < s.c; ch++) {
            if (at[ch] < 0 || p[ch] > best[ch]) {
              best[ch] = p[ch];
              at[ch] = base + ch;
            }
          }
        }
      }
      const float* g = dy + ((b * s.oh + oy) * s.ow + ox) * s.c;
      for (int64_t ch = 0; ch < s.c; ch++)
        if (at[ch] >= 0) dx[at[ch]] += g[ch];
    }
  }
}

// Windows of one image may overlap, so images (not rows) are split over threads; bestAll and atAll hold `threads`
// blocks of c scratch values each.
SE_CLONES void MaxPoolLoops(const PoolShape& s, const float* dy, const float* x, float* dx, float* bestAll, int64_t* atAll, int threads) {
#pragma omp parallel for num_threads(threads)
  for (int64_t b = 0; b < s.n; b++) {
    const size_t t = static_cast<size_t>(omp_get_thread_num()) * s.c;
    MaxPoolImage(s, b, x, dy, dx, bestAll + t, atAll + t);
  }
}

SE_CLONES void AvgPoolLoops(const PoolShape& s, const float* dy, float* dx) {
  const float inv = 1.f / static_cast<float>(s.fh * s.fw);
#pragma omp parallel for
  for (int64_t b = 0; b < s.n; b++) {
    std::fill(dx + b * s.h * s.w * s.c, dx + (b + 1) * s.h * s.w * s.c, 0.f);
    for (int64_t oy = 0; oy < s.oh; oy++) {
      for (int64_t ox = 0; ox < s.ow; ox++) {
        const int64_t y0 = oy * s.sh - s.pt, x0 = ox * s.sw - s.pl;
        const float* g = dy + ((b * s.oh + oy) * s.ow + ox) * s.c;
        for (int64_t fy = 0; fy < s.fh; fy++) {
          const int64_t iy = y0 + fy;
          if (iy < 0 || iy >= s.h) continue;
          for (int64_t fx = 0; fx < s.fw; fx++) {
            const int64_t ix = x0 + fx;
            if (ix < 0 || ix >= s.w) continue;
            float* p = dx + ((b * s.h + iy) * s.w + ix) * s.c;
            for (int64_t ch = 0; ch < s.c; ch++) p[ch] += g[ch] * inv;
          }
        }
      }
    }
  }
}

// Each image's sums in double, in the thread's own block of c values of acc.
SE_CLONES void GlobalAverageLoops(const float* x, float* y, int64_t n, int64_t positions, int64_t c, double* accAll) {
  const double scale = 1.0 / static_cast<double>(positions);
#pragma omp parallel for if (n * positions * c > kParallelGrain)
  for (int64_t b = 0; b < n; b++) {
    double* acc = accAll + static_cast<size_t>(omp_get_thread_num()) * c;
    const float* xb = x + b * positions * c;
    for (int64_t ch = 0; ch < c; ch++) acc[ch] = 0.0;
    for (int64_t p = 0; p < positions; p++)
      for (int64_t ch = 0; ch < c; ch++) acc[ch] += xb[p * c + ch];
    for (int64_t ch = 0; ch < c; ch++) y[b * c + ch] = static_cast<float>(acc[ch] * scale);
  }
}

SE_CLONES void GlobalAverageGradLoops(const float* dy, float* dx, int64_t n, int64_t positions, int64_t c, bool accumulate) {
  const float inv = 1.f / static_cast<float>(positions);
#pragma omp parallel for if (n * positions * c > kParallelGrain)
  for (int64_t b = 0; b < n; b++) {
    const float* g = dy + b * c;
    float* d = dx + b * positions * c;
    for (int64_t p = 0; p < positions; p++)
      for (int64_t ch = 0; ch < c; ch++) d[p * c + ch] = (accumulate ? d[p * c + ch] : 0.f) + g[ch] * inv;
  }
}

}  // namespace

void PoolForward(const PoolShape& s, const float* x, float* y, bool isMax) { PoolLoops(s, x, y, isMax); }

// The threads' scratch is allocated here, outside the parallel region, where an exception can still be caught.
void MaxPoolBackward(const PoolShape& s, const float* dy, const float* x, float* dx) {
  const int threads = omp_get_max_threads();
  std::vector<float> best(static_cast<size_t>(threads) * s.c);
  std::vector<int64_t> at(static_cast<size_t>(threads) * s.c);
  MaxPoolLoops(s, dy, x, dx, best.data(), at.data(), threads);
}

void AvgPoolBackward(const PoolShape& s, const float* dy, float* dx) { AvgPoolLoops(s, dy, dx); }

void GlobalAverageForward(const float* x, float* y, int64_t n, int64_t positions, int64_t c) {
  std::vector<double> acc(static_cast<size_t>(omp_get_max_threads()) * c);
  GlobalAverageLoops(x, y, n, positions, c, acc.data());
}

void GlobalAverageBackward(const float* dy, float* dx, int64_t n, int64_t positions, int64_t c, bool accumulate) {
  GlobalAverageGradLoops(dy, dx, n, positions, c, accumulate);
}

namespace {

// The 12 numbers of argument i: sizes, window and strides at least 1, paddings at least 0.
PoolShape ParseShape(const Args& args, size_t i) {
  std::vector<int64_t> d = args.Integers(i, "shape", 12);
  for (size_t k = 0; k < 10; k++) args.Check(d[k] >= 1, "pool shape: sizes, window and strides must be at least 1");
  const PoolShape s{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11]};
  Product(args, {s.n, s.h, s.w, s.c});
  Product(args, {s.n, s.oh, s.ow, s.c});
  return s;
}

// pool(shape, x, out, isMax)
Napi::Value Pool(const Napi::CallbackInfo& info) {
  Args args(info, "pool");
  const PoolShape s = ParseShape(args, 0);
  const float* x = args.Floats(1, "x", s.XLength());
  float* out = args.Floats(2, "out", s.YLength());
  PoolForward(s, x, out, args.Flag(3));
  return info.Env().Undefined();
}

// maxPoolGrad(shape, dy, x, dx): every element of dx is written (zeroed image by image, then accumulated).
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  Args args(info, "maxPoolGrad");
  const PoolShape s = ParseShape(args, 0);
  const float* dy = args.Floats(1, "dy", s.YLength());
  const float* x = args.Floats(2, "x", s.XLength());
  float* dx = args.Floats(3, "dx", s.XLength());
  MaxPoolBackward(s, dy, x, dx);
  return info.Env().Undefined();
}

// avgPoolGrad(shape, dy, dx): every element of dx is written (zeroed image by image, then accumulated).
Napi::Value AvgPoolGrad(const Napi::CallbackInfo& info) {
  Args args(info, "avgPoolGrad");
  const PoolShape s = ParseShape(args, 0);
  const float* dy = args.Floats(1, "dy", s.YLength());
  float* dx = args.Floats(2, "dx", s.XLength());
  AvgPoolBackward(s, dy, dx);
  return info.Env().Undefined();
}

}  // namespace

void InitPool(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "pool", Pool);
  Export(env, exports, "maxPoolGrad", MaxPoolGrad);
  Export(env, exports, "avgPoolGrad", AvgPoolGrad);
}

}  // namespace se
