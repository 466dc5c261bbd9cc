// Max, average and global average pooling over NHWC tensors and their gradients, written as plain loops (they are memory-bound).
// Rules as TF.js's cpu backend has them: padded positions never win a max; the max's gradient goes to the first
// maximum of its window in row-major order; the average divides by the window's positions inside the input, its
// gradient by the full window size.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "args.h"
#include "clones.h"
#include "families.h"
#include "pool.h"
#include "threadScratch.h"
#include "vector8.h"

namespace se {
namespace {

// The positions of a window whose top left is (y0, x0) that lie inside the input: fy in [fy0, fy1), fx in [fx0, fx1)
// (empty when the window lies wholly in the padding). The loops run over these, in row-major order as before.
struct Window {
  int64_t fy0, fy1, fx0, fx1;
};
inline Window Inside(const PoolShape& s, int64_t y0, int64_t x0) {
  return {std::max<int64_t>(0, -y0), std::min(s.fh, s.h - y0), std::max<int64_t>(0, -x0), std::min(s.fw, s.w - x0)};
}

// Max pooling over channels in multiples of 8 (blocked activations have 8 or 16 to a block) runs on F8 values
// (vector8.h): a row of 8 channels per window position, where the plain loops' per-window bookkeeping, shared by only 8
// channels, made the gradient three times slower per value than on 32 NHWC channels.

// The max of one window of image b (top left y0, x0) over channels in multiples of 8, into o: the same comparisons as
// the plain loop (a value wins when it is greater than the best so far, from -infinity: NaN never wins).
inline void MaxWindow8(const PoolShape& s, const float* x, int64_t b, int64_t y0, int64_t x0, const Window& win, float* o) {
  for (int64_t ch = 0; ch < s.c; ch += 8) {
    F8 best = F8{} - std::numeric_limits<float>::infinity();
    for (int64_t fy = win.fy0; fy < win.fy1; fy++)
      for (int64_t fx = win.fx0; fx < win.fx1; fx++) {
        const F8 v = Load8(x + ((b * s.h + y0 + fy) * s.w + x0 + fx) * s.c + ch);
        best = Select(v > best, v, best);
      }
    Store8(o + ch, best);
  }
}

SE_CLONES void PoolLoops(const PoolShape& s, const float* x, float* out, bool isMax) {
#pragma omp parallel for collapse(2)
  for (int64_t b = 0; b < s.n; b++) {
    for (int64_t oy = 0; oy < s.oh; oy++) {
      for (int64_t ox = 0; ox < s.ow; ox++) {
        float* o = out + ((b * s.oh + oy) * s.ow + ox) * s.c;
        const int64_t y0 = oy * s.sh - s.pt, x0 = ox * s.sw - s.pl;
        const Window win = Inside(s, y0, x0);
        if (isMax && s.c % 8 == 0) {
          MaxWindow8(s, x, b, y0, x0, win, o);
          continue;
        }
        for (int64_t ch = 0; ch < s.c; ch++) o[ch] = isMax ? -std::numeric_limits<float>::infinity() : 0.f;
        int64_t count = 0;
        for (int64_t fy = win.fy0; fy < win.fy1; fy++) {
          const int64_t iy = y0 + fy;
          for (int64_t fx = win.fx0; fx < win.fx1; fx++) {
            const int64_t ix = x0 + fx;
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
// inner loop (contiguous in NHWC), and branch-free so that it vectorizes: a first pass over the window keeps each
// channel's best value and its position in the window (`at`, -1 before the first position inside the input), a
// second adds dy at the position that won and 0 elsewhere (dx never holds -0, so adding 0 changes no bit). When the
// windows tile the image (stride = window, no padding: the usual 2x2 pooling), each position of dx belongs to at most
// one window, which writes it instead (no zeroing first, no read of dx); positions outside every window are zeroed.
// best and at are the thread's own scratch, which shares memory with nothing else.
inline void ZeroImage(const PoolShape& s, bool tiles, float* image) {
  if (!tiles) {
    std::fill(image, image + s.h * s.w * s.c, 0.f);
  } else {
    const int64_t rows = s.oh * s.sh, cols = s.ow * s.sw;
    for (int64_t iy = 0; iy < s.h; iy++)
      std::fill(image + (iy * s.w + (iy < rows ? cols : 0)) * s.c, image + (iy + 1) * s.w * s.c, 0.f);
  }
}
inline void MaxPoolImage(const PoolShape s, bool tiles, int64_t b, const float* x, const float* dy, float* dx, float* __restrict best,
                         int32_t* __restrict at) {
  ZeroImage(s, tiles, dx + b * s.h * s.w * s.c);
  for (int64_t oy = 0; oy < s.oh; oy++) {
    for (int64_t ox = 0; ox < s.ow; ox++) {
      const int64_t y0 = oy * s.sh - s.pt, x0 = ox * s.sw - s.pl;
      std::fill(at, at + s.c, int32_t{-1});
      std::fill(best, best + s.c, 0.f);
      const Window win = Inside(s, y0, x0);
      for (int64_t fy = win.fy0; fy < win.fy1; fy++) {
        const int64_t iy = y0 + fy;
        for (int64_t fx = win.fx0; fx < win.fx1; fx++) {
          const int64_t ix = x0 + fx;
          const float* __restrict p = x + ((b * s.h + iy) * s.w + ix) * s.c;
          const int32_t here = static_cast<int32_t>(fy * s.fw + fx);
          for (int64_t ch = 0; ch < s.c; ch++) {
            const float v = p[ch], old = best[ch];
            const int32_t where = at[ch];
            const bool take = (where < 0) | (v > old);  // not ||: a conditional load keeps the loop scalar
            best[ch] = take ? v : old;
            at[ch] = take ? here : where;
          }
        }
      }
      const float* __restrict g = dy + ((b * s.oh + oy) * s.ow + ox) * s.c;
      for (int64_t fy = win.fy0; fy < win.fy1; fy++) {
        const int64_t iy = y0 + fy;
        for (int64_t fx = win.fx0; fx < win.fx1; fx++) {
          const int64_t ix = x0 + fx;
          float* __restrict q = dx + ((b * s.h + iy) * s.w + ix) * s.c;
          const int32_t here = static_cast<int32_t>(fy * s.fw + fx);
          if (tiles) {
            for (int64_t ch = 0; ch < s.c; ch++) {
              const float d = g[ch];
              q[ch] = at[ch] == here ? d : 0.f;
            }
          } else {
            for (int64_t ch = 0; ch < s.c; ch++) {
              const float d = g[ch];
              q[ch] += at[ch] == here ? d : 0.f;
            }
          }
        }
      }
    }
  }
}

// MaxPoolImage over channels in multiples of 8, with each window's first maximum kept in registers (best, and at: the
// position in the window that holds it) rather than in scratch. The same rules: the window's first position inside
// the input is taken, then a value greater than the best so far; dy is written (tiles) or added (+0 elsewhere) to dx.
inline void MaxPoolImage8(const PoolShape s, bool tiles, int64_t b, const float* x, const float* dy, float* dx) {
  ZeroImage(s, tiles, dx + b * s.h * s.w * s.c);
  for (int64_t oy = 0; oy < s.oh; oy++) {
    for (int64_t ox = 0; ox < s.ow; ox++) {
      const int64_t y0 = oy * s.sh - s.pt, x0 = ox * s.sw - s.pl;
      const Window win = Inside(s, y0, x0);
      if (win.fy0 >= win.fy1 || win.fx0 >= win.fx1) continue;  // wholly in the padding: its gradient goes nowhere
      const int64_t first = ((b * s.h + y0 + win.fy0) * s.w + x0 + win.fx0) * s.c;
      for (int64_t ch = 0; ch < s.c; ch += 8) {
        F8 best = Load8(x + first + ch);
        I8 at = I8{} + static_cast<int32_t>(win.fy0 * s.fw + win.fx0);
        for (int64_t fy = win.fy0; fy < win.fy1; fy++)
          for (int64_t fx = win.fx0; fx < win.fx1; fx++) {
            const F8 v = Load8(x + ((b * s.h + y0 + fy) * s.w + x0 + fx) * s.c + ch);
            const I8 take = v > best;
            best = Select(take, v, best);
            at = Select(take, I8{} + static_cast<int32_t>(fy * s.fw + fx), at);
          }
        const I8 g = reinterpret_cast<I8>(Load8(dy + ((b * s.oh + oy) * s.ow + ox) * s.c + ch));
        for (int64_t fy = win.fy0; fy < win.fy1; fy++)
          for (int64_t fx = win.fx0; fx < win.fx1; fx++) {
            float* q = dx + ((b * s.h + y0 + fy) * s.w + x0 + fx) * s.c + ch;
            const F8 d = reinterpret_cast<F8>(g & (at == static_cast<int32_t>(fy * s.fw + fx)));
            Store8(q, tiles ? d : Load8(q) + d);
          }
      }
    }
  }
}

// Windows of one image may overlap, so images (not rows) are split over threads; bestAll and atAll hold `threads`
// blocks of c scratch values each, ThreadStride apart.
SE_CLONES void MaxPoolLoops(const PoolShape& s, const float* dy, const float* x, float* dx, float* bestAll, int32_t* atAll, int threads) {
  const bool tiles = s.sh == s.fh && s.sw == s.fw && s.pt == 0 && s.pl == 0 && s.oh * s.sh <= s.h && s.ow * s.sw <= s.w;
#pragma omp parallel for num_threads(threads)
  for (int64_t b = 0; b < s.n; b++) {
    const size_t t = static_cast<size_t>(omp_get_thread_num());
    if (s.c % 8 == 0)
      MaxPoolImage8(s, tiles, b, x, dy, dx);
    else
      MaxPoolImage(s, tiles, b, x, dy, dx, bestAll + t * ThreadStride<float>(s.c), atAll + t * ThreadStride<int32_t>(s.c));
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
        const Window win = Inside(s, y0, x0);
        for (int64_t fy = win.fy0; fy < win.fy1; fy++) {
          const int64_t iy = y0 + fy;
          for (int64_t fx = win.fx0; fx < win.fx1; fx++) {
            const int64_t ix = x0 + fx;
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
    double* acc = accAll + static_cast<size_t>(omp_get_thread_num()) * ThreadStride<double>(c);
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
  // A position in the window is an int32 (MaxPoolImage, MaxPoolImage8), so that the scratch is as wide as a float.
  if (s.fh * s.fw > std::numeric_limits<int32_t>::max()) throw std::length_error("a max pooling window of 2^31 positions or more");
  const int threads = omp_get_max_threads();
  const size_t scratch = s.c % 8 == 0 ? 0 : static_cast<size_t>(threads);  // MaxPoolImage8 keeps its own in registers
  std::vector<float> best(scratch * ThreadStride<float>(s.c));
  std::vector<int32_t> at(scratch * ThreadStride<int32_t>(s.c));
  MaxPoolLoops(s, dy, x, dx, best.data(), at.data(), threads);
}

void AvgPoolBackward(const PoolShape& s, const float* dy, float* dx) { AvgPoolLoops(s, dy, dx); }

void GlobalAverageForward(const float* x, float* y, int64_t n, int64_t positions, int64_t c) {
  std::vector<double> acc(static_cast<size_t>(omp_get_max_threads()) * ThreadStride<double>(c));
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
