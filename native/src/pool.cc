// Max and average pooling over NHWC tensors and their gradients, written as plain loops (they are memory-bound).
// Rules as TF.js's cpu backend has them: padded positions never win a max; the max's gradient goes to the first
// maximum of its window in row-major order; the average divides by the window's positions inside the input, its
// gradient by the full window size.
#include <algorithm>
#include <limits>
#include <vector>

#include "args.h"
#include "families.h"

namespace se {
namespace {

struct PoolShape {
  int64_t n, h, w, c, fh, fw, oh, ow, sh, sw, pt, pl;
  static PoolShape From(const Napi::Value& v) {
    std::vector<int64_t> d = Ints(v);
    Require(v.Env(), d.size() == 12, "pool shape needs 12 numbers");
    return {d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11]};
  }
};

// pool(shape, x, out, isMax)
Napi::Value Pool(const Napi::CallbackInfo& info) {
  PoolShape s = PoolShape::From(info[0]);
  const float* x = F32(info[1]);
  float* out = F32(info[2]);
  const bool isMax = Bool(info[3]);
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
        }
      }
    }
  }
  return info.Env().Undefined();
}

// maxPoolGrad(shape, dy, x, dx): every element of dx is written (zeroed image by image, then accumulated).
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  PoolShape s = PoolShape::From(info[0]);
  const float* dy = F32(info[1]);
  const float* x = F32(info[2]);
  float* dx = F32(info[3]);
  // Windows of one image may overlap, so images (not rows) are split over threads. Channels are the inner loop
  // (contiguous in NHWC); each keeps its best value and where it was, the first maximum winning ties.
#pragma omp parallel
  {
    std::vector<float> best(s.c);
    std::vector<int64_t> at(s.c);
#pragma omp for
    for (int64_t b = 0; b < s.n; b++) {
      std::fill(dx + b * s.h * s.w * s.c, dx + (b + 1) * s.h * s.w * s.c, 0.f);
      for (int64_t oy = 0; oy < s.oh; oy++) {
        for (int64_t ox = 0; ox < s.ow; ox++) {
          const int64_t y0 = oy * s.sh - s.pt, x0 = ox * s.sw - s.pl;
          std::fill(at.begin(), at.end(), -1);
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
  }
  return info.Env().Undefined();
}

// avgPoolGrad(shape, dy, dx): every element of dx is written (zeroed image by image, then accumulated).
Napi::Value AvgPoolGrad(const Napi::CallbackInfo& info) {
  PoolShape s = PoolShape::From(info[0]);
  const float* dy = F32(info[1]);
  float* dx = F32(info[2]);
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
  return info.Env().Undefined();
}

}  // namespace

void InitPool(Napi::Env env, Napi::Object exports) {
  exports.Set("pool", Napi::Function::New(env, Pool));
  exports.Set("maxPoolGrad", Napi::Function::New(env, MaxPoolGrad));
  exports.Set("avgPoolGrad", Napi::Function::New(env, AvgPoolGrad));
}

}  // namespace se
