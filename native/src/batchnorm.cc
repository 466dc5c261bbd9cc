// Batch normalisation over the last axis of a channels-last tensor: the affine map of TF.js's FusedBatchNorm, the
// per-channel statistics and closed-form gradient that FastBatchNormalization's training step needs, and the fused
// training forward and backward (with the ReLU after the batch norm) of the training program (batchnorm.h).
//   y = (x - mean) * scale / sqrt(var + eps) + offset
//   dx = k (dy - mean(dy) - xhat mean(dy xhat)),  k = gamma / sqrt(var + eps)   (Ioffe and Szegedy 2015, sec. 3)
// Each entry point checks its arguments, then calls one computing function, compiled for several instruction sets
// (clones.h). Their scratch vectors are allocated outside any parallel region, where an exception can be caught.
#include <omp.h>

#include <cmath>
#include <string>
#include <vector>

#include "args.h"
#include "batchnorm.h"
#include "clones.h"
#include "families.h"
#include "threadScratch.h"

namespace se {
namespace {

// Per-channel parameter: a [c] vector, or a single value for every channel.
struct Param {
  const float* p;
  size_t size;
  float fallback;
  float At(int64_t ch) const { return p == nullptr ? fallback : (size == 1 ? p[0] : p[ch]); }
};

// Argument i: null or undefined (every channel takes `fallback`), or a Float32Array of c values or of one.
Param ParamOf(const Args& args, size_t i, const char* name, int64_t c, float fallback) {
  if (args.Absent(i)) return {nullptr, 0, fallback};
  int64_t length = 0;
  const float* p = args.FloatsOfAnyLength(i, name, &length);
  args.Check(length == c || length == 1, std::string(name) + " holds " + std::to_string(length) + " values, not 1 or the " + std::to_string(c) + " channels");
  return {p, static_cast<size_t>(length), fallback};
}

// The rows of a [rows, c] argument i: a Float32Array whose length is a multiple of c (c >= 1, checked before).
int64_t Rows(const Args& args, size_t i, const char* name, int64_t c, const float** data) {
  int64_t length = 0;
  *data = args.FloatsOfAnyLength(i, name, &length);
  args.Check(length % c == 0, std::string(name) + " holds " + std::to_string(length) + " elements, not a multiple of the " + std::to_string(c) + " channels");
  return length / c;
}

// (x - mean) k + offset, not x k + (offset - mean k): the latter loses the digits of x - mean when the mean is large
// next to the spread. Computed in double, as the cpu backend does: deep stacks of batch norms (DenseNet) amplify the
// rounding of a float32 formula into visible gradient differences.
SE_CLONES void AffineRows(const float* x, float* out, int64_t rows, int64_t c, const Param& mean, const Param& var, const Param& offset,
                          const Param& scale, double eps) {
  std::vector<double> sc(c), sd(c), m(c), b(c);
  for (int64_t ch = 0; ch < c; ch++) {
    sc[ch] = scale.At(ch);
    sd[ch] = std::sqrt(static_cast<double>(var.At(ch)) + eps);
    m[ch] = mean.At(ch);
    b[ch] = offset.At(ch);
  }
#pragma omp parallel for if (rows * c > kParallelGrain)
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * c;
    float* yr = out + r * c;
    for (int64_t ch = 0; ch < c; ch++) yr[ch] = static_cast<float>(b[ch] + (static_cast<double>(xr[ch]) - m[ch]) * sc[ch] / sd[ch]);
  }
}

// batchNormAffine(x, out, c, mean, variance, offset | null, scale | null, epsilon)
Napi::Value Affine(const Napi::CallbackInfo& info) {
  Args args(info, "batchNormAffine");
  const int64_t c = args.Integer(2, "channels", 1);
  const float* x = nullptr;
  const int64_t rows = Rows(args, 0, "x", c, &x);
  float* out = args.Floats(1, "out", rows * c);
  const Param mean = ParamOf(args, 3, "mean", c, 0.f), var = ParamOf(args, 4, "variance", c, 1.f),
              offset = ParamOf(args, 5, "offset", c, 0.f), scale = ParamOf(args, 6, "scale", c, 1.f);
  AffineRows(x, out, rows, c, mean, var, offset, scale, args.Number(7, "epsilon"));
  return info.Env().Undefined();
}

// Per-channel sums over the rows of a [rows, c] matrix of the terms term(r, ch), in double: each thread sums a
// block of rows, and the blocks are added in thread order (deterministic for a given thread count).
template <typename Term>
SE_CLONES void ChannelSums(int64_t rows, int64_t c, double* out, Term term) {
  const int threads = omp_get_max_threads();
  const size_t stride = ThreadStride<double>(c);
  std::vector<double> partial(static_cast<size_t>(threads) * stride, 0.0);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    double* acc = partial.data() + static_cast<size_t>(t) * stride;
    const int64_t r0 = rows * t / nt, r1 = rows * (t + 1) / nt;
    for (int64_t r = r0; r < r1; r++)
      for (int64_t ch = 0; ch < c; ch++) acc[ch] += term(r, ch);
  }
  for (int64_t ch = 0; ch < c; ch++) out[ch] = 0.0;
  for (int t = 0; t < threads; t++)
    for (int64_t ch = 0; ch < c; ch++) out[ch] += partial[static_cast<size_t>(t) * stride + ch];
}

SE_CLONES void MomentsOf(const float* x, int64_t rows, int64_t c, float* mean, float* var) {
  std::vector<double> s(c), squares(c);
  ChannelSums(rows, c, s.data(), [x, c](int64_t r, int64_t ch) { return static_cast<double>(x[r * c + ch]); });
  for (int64_t ch = 0; ch < c; ch++) mean[ch] = static_cast<float>(s[ch] / rows);
  // Two passes (sum of squared deviations), as the layer's own formula computes it.
  ChannelSums(rows, c, squares.data(), [x, c, mean](int64_t r, int64_t ch) {
    const float d = x[r * c + ch] - mean[ch];
    return static_cast<double>(d) * d;
  });
  for (int64_t ch = 0; ch < c; ch++) var[ch] = static_cast<float>(squares[ch] / rows);
}

// batchNormMoments(x, c, mean, variance): biased batch statistics over every axis but the last.
Napi::Value Moments(const Napi::CallbackInfo& info) {
  Args args(info, "batchNormMoments");
  const int64_t c = args.Integer(1, "channels", 1);
  const float* x = nullptr;
  const int64_t rows = Rows(args, 0, "x", c, &x);
  args.Check(rows >= 1, "x holds no rows: the statistics of an empty batch are undefined");
  float* mean = args.Floats(2, "mean", c);
  float* var = args.Floats(3, "variance", c);
  MomentsOf(x, rows, c, mean, var);
  return info.Env().Undefined();
}

// The arguments of batchNormGrad, checked: dy, x and dx are [rows, c]; the others [c].
struct GradCall {
  int64_t rows, c;
  const float *dy, *x, *mean, *var, *gamma;
  float eps;
  float *dx, *dgamma, *dbeta;
};

SE_CLONES void GradOf(const GradCall& g) {
  const int64_t rows = g.rows, c = g.c;
  const float *dy = g.dy, *x = g.x, *mean = g.mean, *var = g.var, *gamma = g.gamma;
  float *dx = g.dx, *dgamma = g.dgamma, *dbeta = g.dbeta;
  std::vector<float> inv(c);
  for (int64_t ch = 0; ch < c; ch++) inv[ch] = 1.f / std::sqrt(var[ch] + g.eps);
  // dgamma = sum dy * xhat = inv * (sum dy x - mean sum dy)
  std::vector<double> sdy(c), sdyx(c);
  ChannelSums(rows, c, sdy.data(), [dy, c](int64_t r, int64_t ch) { return static_cast<double>(dy[r * c + ch]); });
  ChannelSums(rows, c, sdyx.data(), [dy, x, c](int64_t r, int64_t ch) { return static_cast<double>(dy[r * c + ch]) * x[r * c + ch]; });
  std::vector<float> k(c), a(c), b(c);
  for (int64_t ch = 0; ch < c; ch++) {
    const double gr = inv[ch] * (sdyx[ch] - mean[ch] * sdy[ch]);
    dgamma[ch] = static_cast<float>(gr);
    dbeta[ch] = static_cast<float>(sdy[ch]);
    k[ch] = gamma[ch] * inv[ch];
    // dx = k dy - k/n (dbeta + xhat dgamma), xhat = (x - mean) inv: as k dy + a (x - mean) + b per channel.
    a[ch] = static_cast<float>(-k[ch] * gr * inv[ch] / rows);
    b[ch] = static_cast<float>(-k[ch] * sdy[ch] / rows);
  }
#pragma omp parallel for if (rows * c > kParallelGrain)
  for (int64_t r = 0; r < rows; r++) {
    const float* dyr = dy + r * c;
    const float* xr = x + r * c;
    float* dxr = dx + r * c;
    for (int64_t ch = 0; ch < c; ch++) dxr[ch] = k[ch] * dyr[ch] + a[ch] * (xr[ch] - mean[ch]) + b[ch];
  }
}

// batchNormGrad(dy, x, c, mean, variance, gamma, epsilon, dx, dgamma, dbeta)
Napi::Value Grad(const Napi::CallbackInfo& info) {
  Args args(info, "batchNormGrad");
  const int64_t c = args.Integer(2, "channels", 1);
  GradCall g{};
  g.c = c;
  g.rows = Rows(args, 0, "dy", c, &g.dy);
  args.Check(g.rows >= 1, "dy holds no rows: the gradient of an empty batch is undefined");
  g.x = args.Floats(1, "x", g.rows * c);
  g.mean = args.Floats(3, "mean", c);
  g.var = args.Floats(4, "variance", c);
  g.gamma = args.Floats(5, "gamma", c);
  g.eps = static_cast<float>(args.Number(6, "epsilon"));
  g.dx = args.Floats(7, "dx", g.rows * c);
  g.dgamma = args.Floats(8, "dgamma", c);
  g.dbeta = args.Floats(9, "dbeta", c);
  GradOf(g);
  return info.Env().Undefined();
}

// out1 and out2 = the threads' partial sums (2 c per thread, ThreadStride apart) added in thread order
// (deterministic for a given thread count).
void AddThreadPartials(const double* partial, int threads, int64_t c, double* out1, double* out2) {
  for (int64_t ch = 0; ch < c; ch++) out1[ch] = out2[ch] = 0.0;
  for (int t = 0; t < threads; t++) {
    const double* p = partial + static_cast<size_t>(t) * ThreadStride<double>(2 * c);
    for (int64_t ch = 0; ch < c; ch++) {
      out1[ch] += p[ch];
      out2[ch] += p[c + ch];
    }
  }
}

// Per-channel sums over the rows of two terms at once, in double: each thread sums a block of rows (terms(r0, r1, a,
// b) adds rows [r0, r1) to a and b) into its own block of partial (2 c values, the blocks ThreadStride<double>(2 c)
// apart, allocated by the caller outside the parallel region), and the blocks are added in thread order
// (deterministic for a given thread count).
template <typename Terms>
SE_CLONES void ChannelSums2(int64_t rows, int64_t c, double* partial, int threads, double* out1, double* out2, Terms terms) {
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    double* a = partial + static_cast<size_t>(t) * ThreadStride<double>(2 * c);
    double* b = a + c;
    for (int64_t ch = 0; ch < c; ch++) a[ch] = b[ch] = 0.0;
    terms(rows * t / nt, rows * (t + 1) / nt, a, b);
  }
  AddThreadPartials(partial, threads, c, out1, out2);
}

// The forward's scale per channel, k = gamma / sqrt(var + eps), and its output before the ReLU, (x - mean) k + beta:
// one definition for the forward pass and for the backward's ReLU mask, which recomputes that output from x instead of
// reading y (a third fewer arrays read). Inlined into each clone of both, the same expression rounds (and contracts
// into a fused multiply-add, or not) the same way there, so the recomputed mask is the forward's bit for bit.
inline __attribute__((always_inline)) float Scale(float gamma, float var, float eps) { return gamma / std::sqrt(var + eps); }
inline __attribute__((always_inline)) float Normalized(float x, float mean, float k, float beta) { return (x - mean) * k + beta; }

// k = Scale(gamma, var, eps) for each of c channels.
void Scales(const float* gamma, const float* var, int64_t c, float eps, float* k) {
  for (int64_t ch = 0; ch < c; ch++) k[ch] = Scale(gamma[ch], var[ch], eps);
}

// The batch statistics from the sums of x - shift and of its square over `rows` rows, and k = gamma / sqrt(var + eps).
void Statistics(const double* s1, const double* s2, int64_t rows, int64_t c, const float* shift, const float* gamma, float eps, float* mean,
                float* var, float* k) {
  for (int64_t ch = 0; ch < c; ch++) {
    const double m = s1[ch] / rows;
    const double v = s2[ch] / rows - m * m;
    mean[ch] = static_cast<float>(shift[ch] + m);
    var[ch] = static_cast<float>(v > 0.0 ? v : 0.0);
  }
  Scales(gamma, var, c, eps, k);
}

// y = (x - mean) k + beta over rows [r0, r1) of c channels, plus the residual r when r.p is not null (a sum folded
// in: the batch norm's output rounded, then the sum, as the two operations round them), then max(y, 0) when relu.
template <int64_t C>
SE_CLONES void Normalize(Strided x, Strided r, Strided y, int64_t r0, int64_t r1, int64_t c, const float* __restrict mean, const float* __restrict k,
                         const float* __restrict beta, bool relu) {
  if (C > 0) c = C;  // blocked activations: the lanes known when compiled, so that the loops unroll
  for (int64_t row = r0; row < r1; row++) {
    const float* __restrict xr = x.p + row * x.stride;
    float* __restrict yr = y.p + row * y.stride;
    if (r.p != nullptr) {
      const float* __restrict rr = r.p + row * r.stride;
      for (int64_t ch = 0; ch < c; ch++) yr[ch] = Normalized(xr[ch], mean[ch], k[ch], beta[ch]) + rr[ch];
      if (relu)
        for (int64_t ch = 0; ch < c; ch++) yr[ch] = yr[ch] < 0.f ? 0.f : yr[ch];  // NaN stays NaN, as TF.js's Relu keeps it
    } else if (relu) {
      for (int64_t ch = 0; ch < c; ch++) {
        const float v = Normalized(xr[ch], mean[ch], k[ch], beta[ch]);
        yr[ch] = v < 0.f ? 0.f : v;  // NaN stays NaN, as TF.js's Relu keeps it
      }
    } else {
      for (int64_t ch = 0; ch < c; ch++) yr[ch] = Normalized(xr[ch], mean[ch], k[ch], beta[ch]);
    }
  }
}

// Sums of x - shift and its square over rows [r0, r1) of c channels, added to a and b.
template <int64_t C>
SE_CLONES void ShiftedSums(Strided x, int64_t r0, int64_t r1, int64_t c, const float* __restrict shift, double* __restrict a, double* __restrict b) {
  if (C > 0) c = C;  // blocked activations: the lanes known when compiled, so that the loops unroll
  for (int64_t r = r0; r < r1; r++) {
    const float* __restrict xr = x.p + r * x.stride;
    for (int64_t ch = 0; ch < c; ch++) {
      const double d = static_cast<double>(xr[ch]) - shift[ch];
      a[ch] += d;
      b[ch] += d * d;
    }
  }
}

// Scratch of the forward pass (allocated by the caller, outside any parallel region): per thread 2 c doubles of
// partial sums, ThreadStride apart; per channel the sums, k and the shift.
struct ForwardScratch {
  double* partial;
  int threads;
  double *s1, *s2;
  float *k, *shift;
};

void TrainForwardOf(Strided x, Strided r, Strided y, int64_t rows, int64_t c, const float* gamma, const float* beta, float eps, bool relu, float* mean,
                    float* var, const ForwardScratch& w) {
  for (int64_t ch = 0; ch < c; ch++) w.shift[ch] = x.p[ch];
  ChannelSums2(rows, c, w.partial, w.threads, w.s1, w.s2, [x, c, &w](int64_t r0, int64_t r1, double* a, double* b) { ShiftedSums<0>(x, r0, r1, c, w.shift, a, b); });
  Statistics(w.s1, w.s2, rows, c, w.shift, gamma, eps, mean, var, w.k);
#pragma omp parallel num_threads(w.threads) if (rows * c > kParallelGrain)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    Normalize<0>(x, r, y, rows * t / nt, rows * (t + 1) / nt, c, mean, w.k, beta, relu);
  }
}

// Blocked activations: segment j = (example, block) holds `positions` rows of `lanes` channels from channel
// (j % blocks) lanes, contiguous; each thread takes whole segments. A segment's rows are read kWide floats at a time
// (kWide / lanes positions: "wide rows", whose channels repeat every `lanes`), the per-channel vectors repeated to
// match (Repeat) and the sums of the repeats added up (Fold): on rows of 8 floats the loops ran twice as slowly as on
// NHWC rows of 32 channels, their overhead per row shared by a quarter as many floats.
constexpr int64_t kWide = 32;

// The shape of a blocked pass in wide rows: per segment `rows` wide rows of kWide floats, then `tail` rows of lanes.
struct Wide {
  int64_t repeats, rows, tail, channels;
  explicit Wide(const ChannelBlocks& g)
      : repeats(kWide / g.lanes), rows(g.positions / repeats), tail(g.positions % repeats), channels(g.blocks * kWide) {}
  Strided Rows(const float* p, const ChannelBlocks& g, int64_t j) const { return {const_cast<float*>(p) + j * g.positions * g.lanes, kWide}; }
  Strided Tail(const float* p, const ChannelBlocks& g, int64_t j) const {
    return {const_cast<float*>(p) + j * g.positions * g.lanes + rows * kWide, g.lanes};
  }
};

// v (one value per channel) repeated for wide rows: out[b kWide + i lanes + l] = v[b lanes + l]. Returns out.
const float* Repeat(const float* v, const ChannelBlocks& g, std::vector<float>& out) {
  for (int64_t b = 0; b < g.blocks; b++)
    for (int64_t i = 0; i < kWide; i++) out[b * kWide + i] = v[b * g.lanes + i % g.lanes];
  return out.data();
}

// The sums of wide channels added per channel: out[b lanes + l] = sum over i of wide[b kWide + i lanes + l].
void Fold(const double* wide, double* out, const ChannelBlocks& g) {
  for (int64_t b = 0; b < g.blocks; b++)
    for (int64_t l = 0; l < g.lanes; l++) {
      double sum = 0.0;
      for (int64_t i = l; i < kWide; i += g.lanes) sum += wide[b * kWide + i];
      out[b * g.lanes + l] = sum;
    }
}

// The scratch of a blocked pass, allocated once per call outside any parallel region (where bad_alloc can be
// caught): the threads' partial sums and floats over the wide channels, the wide sums (wide1, wide2) and their folds
// per channel (sum1, sum2), per-channel floats (f1-f4) and the per-channel vectors repeated for wide rows (r1-r6);
// f4, r5 and r6 (the ReLU mask's scale and beta) only for the backward pass.
struct WideScratch {
  WideScratch(const ChannelBlocks& g, const Wide& wide, bool backward)
      : threads(omp_get_max_threads()),
        partial(static_cast<size_t>(threads) * ThreadStride<double>(2 * wide.channels)),
        floats(static_cast<size_t>(threads) * ThreadStride<float>(2 * wide.channels)),
        wide1(wide.channels), wide2(wide.channels), sum1(g.blocks * g.lanes), sum2(g.blocks * g.lanes),
        f1(g.blocks * g.lanes), f2(g.blocks * g.lanes), f3(g.blocks * g.lanes), f4(backward ? g.blocks * g.lanes : 0),
        r1(wide.channels), r2(wide.channels), r3(wide.channels), r4(wide.channels), r5(backward ? wide.channels : 0),
        r6(backward ? wide.channels : 0) {}
  int threads;
  std::vector<double> partial;
  std::vector<float> floats;
  std::vector<double> wide1, wide2, sum1, sum2;
  std::vector<float> f1, f2, f3, f4, r1, r2, r3, r4, r5, r6;
};

void TrainForwardBlockedOf(const float* x, const float* r, float* y, const ChannelBlocks& g, const float* gamma, const float* beta, float eps, bool relu,
                           float* mean, float* var) {
  const int64_t c = g.blocks * g.lanes, L = g.lanes, segments = g.n * g.blocks, rows = g.n * g.positions;
  const Wide wide(g);
  WideScratch w(g, wide, false);
  float *shift = w.f1.data(), *k = w.f2.data();
  for (int64_t ch = 0; ch < c; ch++) shift[ch] = x[(ch / L) * g.positions * L + ch % L];  // the first example's first position
  const float* shifts = Repeat(shift, g, w.r1);
  const auto sums = [x, &g, &wide, shifts](int64_t j0, int64_t j1, double* a, double* b) {
    for (int64_t j = j0; j < j1; j++) {
      const int64_t at = (j % g.blocks) * kWide;
      ShiftedSums<kWide>(wide.Rows(x, g, j), 0, wide.rows, kWide, shifts + at, a + at, b + at);
      ShiftedSums<0>(wide.Tail(x, g, j), 0, wide.tail, g.lanes, shifts + at, a + at, b + at);
    }
  };
  ChannelSums2(segments, wide.channels, w.partial.data(), w.threads, w.wide1.data(), w.wide2.data(), sums);
  Fold(w.wide1.data(), w.sum1.data(), g);
  Fold(w.wide2.data(), w.sum2.data(), g);
  Statistics(w.sum1.data(), w.sum2.data(), rows, c, shift, gamma, eps, mean, var, k);
  const float *m = Repeat(mean, g, w.r2), *kr = Repeat(k, g, w.r3), *b = Repeat(beta, g, w.r4);
#pragma omp parallel for num_threads(w.threads) if (rows * c > kParallelGrain)
  for (int64_t j = 0; j < segments; j++) {
    const int64_t at = (j % g.blocks) * kWide;
    const Strided none{nullptr, 0}, residualRows = r == nullptr ? none : wide.Rows(r, g, j), residualTail = r == nullptr ? none : wide.Tail(r, g, j);
    Normalize<kWide>(wide.Rows(x, g, j), residualRows, wide.Rows(y, g, j), 0, wide.rows, kWide, m + at, kr + at, b + at, relu);
    Normalize<0>(wide.Tail(x, g, j), residualTail, wide.Tail(y, g, j), 0, wide.tail, L, m + at, kr + at, b + at, relu);
  }
}

// Rows [r0, r1) of the backward pass's sums, added to s and t: per channel, sum g and sum g (x - mean), g = dy where
// the ReLU passed (y > 0, recomputed from x with the forward's scale and beta) or every dy without one. Summed in
// float over blocks of kSumRows rows, each block's sums added in double: a float select vectorizes where a
// float-to-double one does not (GCC), and a scalar loop with a branch on the ReLU's mask ran five times slower.
constexpr int64_t kSumRows = 16;

template <int64_t C>
SE_CLONES void BackwardSums(Strided dy, Strided x, int64_t r0, int64_t r1, int64_t c, const float* __restrict mean, const float* __restrict scale,
                            const float* __restrict beta, bool relu, double* __restrict s, double* __restrict t, float* __restrict fs,
                            float* __restrict ft) {
  if (C > 0) c = C;  // blocked activations: the lanes known when compiled, so that the loops unroll
  for (int64_t q = r0; q < r1; q += kSumRows) {
    for (int64_t ch = 0; ch < c; ch++) fs[ch] = ft[ch] = 0.f;
    const int64_t end = q + kSumRows < r1 ? q + kSumRows : r1;
    for (int64_t r = q; r < end; r++) {
      const float* __restrict dyr = dy.p + r * dy.stride;
      const float* __restrict xr = x.p + r * x.stride;
      if (relu) {
        for (int64_t ch = 0; ch < c; ch++) {
          const float d = dyr[ch];  // loaded whatever the mask: a conditional load keeps the loop scalar
          const float g = Normalized(xr[ch], mean[ch], scale[ch], beta[ch]) > 0.f ? d : 0.f;
          fs[ch] += g;
          ft[ch] += g * (xr[ch] - mean[ch]);
        }
      } else {
        for (int64_t ch = 0; ch < c; ch++) {
          const float g = dyr[ch];
          fs[ch] += g;
          ft[ch] += g * (xr[ch] - mean[ch]);
        }
      }
    }
    for (int64_t ch = 0; ch < c; ch++) {
      s[ch] += fs[ch];
      t[ch] += ft[ch];
    }
  }
}

// Rows [r0, r1) of dx (+)= k g + a (x - mean) + b, g as in BackwardSums.
template <int64_t C>
SE_CLONES void BackwardDx(Strided dy, Strided x, Strided dx, int64_t r0, int64_t r1, int64_t c, const float* __restrict mean, const float* __restrict scale,
                          const float* __restrict beta, bool relu, bool accumulate, const float* __restrict k, const float* __restrict a,
                          const float* __restrict b) {
  if (C > 0) c = C;  // blocked activations: the lanes known when compiled, so that the loops unroll
  for (int64_t r = r0; r < r1; r++) {
    const float* __restrict dyr = dy.p + r * dy.stride;
    const float* __restrict xr = x.p + r * x.stride;
    float* __restrict dxr = dx.p + r * dx.stride;
    for (int64_t ch = 0; ch < c; ch++) {
      const float d = dyr[ch];
      const float g = relu ? (Normalized(xr[ch], mean[ch], scale[ch], beta[ch]) > 0.f ? d : 0.f) : d;
      const float v = k[ch] * g + a[ch] * (xr[ch] - mean[ch]) + b[ch];
      dxr[ch] = accumulate ? dxr[ch] + v : v;
    }
  }
}

// Scratch of the backward pass (allocated by the caller, outside any parallel region): per thread 2 c doubles and
// 2 c floats of partial sums, ThreadStride apart.
struct BackwardScratch {
  double* partial;
  float* floats;
  int threads;
  double *sg, *sgx;
  float *k, *a, *b, *scale;
};

// From the sums of g and g (x - mean): dgamma, dbeta and the coefficients of dx = k g + a (x - mean) + b per channel.
void Coefficients(const double* sg, const double* sgx, int64_t rows, int64_t c, const float* var, const float* gamma, float eps, float* dgamma,
                  float* dbeta, float* k, float* a, float* b) {
  for (int64_t ch = 0; ch < c; ch++) {
    const double inv = 1.0 / std::sqrt(static_cast<double>(var[ch]) + eps);
    const double dg = inv * sgx[ch];
    dgamma[ch] = static_cast<float>(dg);
    dbeta[ch] = static_cast<float>(sg[ch]);
    const double kk = gamma[ch] * inv;
    k[ch] = static_cast<float>(kk);
    // dx = k g - k/rows (dbeta + xhat dgamma), xhat = (x - mean) inv: as k g + a (x - mean) + b per channel.
    a[ch] = static_cast<float>(-kk * dg * inv / rows);
    b[ch] = static_cast<float>(-kk * sg[ch] / rows);
  }
}

// Thread t's partial sums (2 c doubles, zeroed) and float scratch (2 c floats), in blocks ThreadStride apart.
double* Partial(double* partial, int t, int64_t c) {
  double* p = partial + static_cast<size_t>(t) * ThreadStride<double>(2 * c);
  for (int64_t ch = 0; ch < 2 * c; ch++) p[ch] = 0.0;
  return p;
}
float* Floats(float* floats, int t, int64_t c) { return floats + static_cast<size_t>(t) * ThreadStride<float>(2 * c); }

void TrainBackwardOf(Strided dy, Strided x, Strided dx, int64_t rows, int64_t c, const float* mean, const float* var, const float* gamma,
                     const float* beta, float eps, bool relu, bool accumulate, float* dgamma, float* dbeta, const BackwardScratch& w) {
  const int threads = rows * c > kParallelGrain ? w.threads : 1;
  if (relu) Scales(gamma, var, c, eps, w.scale);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    double* p = Partial(w.partial, t, c);
    float* f = Floats(w.floats, t, c);
    BackwardSums<0>(dy, x, rows * t / nt, rows * (t + 1) / nt, c, mean, w.scale, beta, relu, p, p + c, f, f + c);
  }
  AddThreadPartials(w.partial, threads, c, w.sg, w.sgx);
  Coefficients(w.sg, w.sgx, rows, c, var, gamma, eps, dgamma, dbeta, w.k, w.a, w.b);
  if (dx.p == nullptr) return;  // the input's gradient is not needed
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    BackwardDx<0>(dy, x, dx, rows * t / nt, rows * (t + 1) / nt, c, mean, w.scale, beta, relu, accumulate, w.k, w.a, w.b);
  }
}

void TrainBackwardBlockedOf(const float* dy, const float* x, float* dx, const ChannelBlocks& g, const float* mean, const float* var, const float* gamma,
                            const float* beta, float eps, bool relu, bool accumulate, float* dgamma, float* dbeta) {
  const int64_t c = g.blocks * g.lanes, L = g.lanes, segments = g.n * g.blocks, rows = g.n * g.positions;
  const Wide wide(g);
  const int64_t cw = wide.channels;
  WideScratch w(g, wide, true);
  const int threads = rows * c > kParallelGrain ? w.threads : 1;
  const float* m = Repeat(mean, g, w.r1);
  // The forward's scale and beta repeated for the ReLU's mask (r5 and r6 unused, zeros, without one).
  if (relu) Scales(gamma, var, c, eps, w.f4.data());
  const float *sr = relu ? Repeat(w.f4.data(), g, w.r5) : w.r5.data(), *br = relu ? Repeat(beta, g, w.r6) : w.r6.data();
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    double* p = Partial(w.partial.data(), t, cw);
    float* f = Floats(w.floats.data(), t, cw);
    for (int64_t j = segments * t / nt; j < segments * (t + 1) / nt; j++) {
      const int64_t at = (j % g.blocks) * kWide;
      BackwardSums<kWide>(wide.Rows(dy, g, j), wide.Rows(x, g, j), 0, wide.rows, kWide, m + at, sr + at, br + at, relu, p + at, p + cw + at, f,
                          f + kWide);
      BackwardSums<0>(wide.Tail(dy, g, j), wide.Tail(x, g, j), 0, wide.tail, L, m + at, sr + at, br + at, relu, p + at, p + cw + at, f, f + L);
    }
  }
  AddThreadPartials(w.partial.data(), threads, cw, w.wide1.data(), w.wide2.data());
  Fold(w.wide1.data(), w.sum1.data(), g);
  Fold(w.wide2.data(), w.sum2.data(), g);
  Coefficients(w.sum1.data(), w.sum2.data(), rows, c, var, gamma, eps, dgamma, dbeta, w.f1.data(), w.f2.data(), w.f3.data());
  if (dx == nullptr) return;
  const float *kw = Repeat(w.f1.data(), g, w.r2), *aw = Repeat(w.f2.data(), g, w.r3), *bw = Repeat(w.f3.data(), g, w.r4);
#pragma omp parallel for num_threads(threads)
  for (int64_t j = 0; j < segments; j++) {
    const int64_t at = (j % g.blocks) * kWide;
    BackwardDx<kWide>(wide.Rows(dy, g, j), wide.Rows(x, g, j), wide.Rows(dx, g, j), 0, wide.rows, kWide, m + at, sr + at, br + at, relu, accumulate,
                      kw + at, aw + at, bw + at);
    BackwardDx<0>(wide.Tail(dy, g, j), wide.Tail(x, g, j), wide.Tail(dx, g, j), 0, wide.tail, L, m + at, sr + at, br + at, relu, accumulate, kw + at,
                  aw + at, bw + at);
  }
}

// The scratch of a pass over c channels, allocated here (outside any parallel region, where bad_alloc can be caught).
struct Scratch {
  explicit Scratch(int64_t c)
      : threads(omp_get_max_threads()),
        partial(static_cast<size_t>(threads) * ThreadStride<double>(2 * c)),
        floats(static_cast<size_t>(threads) * ThreadStride<float>(2 * c)),
        d1(c), d2(c), f1(c), f2(c), f3(c), f4(c) {}
  int threads;
  std::vector<double> partial;
  std::vector<float> floats;
  std::vector<double> d1, d2;
  std::vector<float> f1, f2, f3, f4;
  ForwardScratch Forward() { return {partial.data(), threads, d1.data(), d2.data(), f1.data(), f2.data()}; }
  BackwardScratch Backward() { return {partial.data(), floats.data(), threads, d1.data(), d2.data(), f1.data(), f2.data(), f3.data(), f4.data()}; }
};

}  // namespace

void BatchNormTrainForward(Strided x, Strided residual, Strided y, int64_t rows, int64_t c, const float* gamma, const float* beta, float eps, bool relu,
                           float* mean, float* var) {
  Scratch w(c);
  TrainForwardOf(x, residual, y, rows, c, gamma, beta, eps, relu, mean, var, w.Forward());
}

void BatchNormTrainForwardBlocked(const float* x, const float* residual, float* y, const ChannelBlocks& g, const float* gamma, const float* beta, float eps,
                                  bool relu, float* mean, float* var) {
  TrainForwardBlockedOf(x, residual, y, g, gamma, beta, eps, relu, mean, var);
}

void BatchNormTrainBackward(Strided dy, Strided x, Strided dx, int64_t rows, int64_t c, const float* mean, const float* var, const float* gamma,
                            const float* beta, float eps, bool relu, bool accumulate, float* dgamma, float* dbeta) {
  Scratch w(c);
  TrainBackwardOf(dy, x, dx, rows, c, mean, var, gamma, beta, eps, relu, accumulate, dgamma, dbeta, w.Backward());
}

void BatchNormTrainBackwardBlocked(const float* dy, const float* x, float* dx, const ChannelBlocks& g, const float* mean, const float* var, const float* gamma,
                                   const float* beta, float eps, bool relu, bool accumulate, float* dgamma, float* dbeta) {
  TrainBackwardBlockedOf(dy, x, dx, g, mean, var, gamma, beta, eps, relu, accumulate, dgamma, dbeta);
}

// Three roundings, as TF.js's sub, mul and sub give them: volatile keeps the compiler from contracting them into a
// fused multiply-add.
void MovingAverage(const float* current, const float* batch, float* out, int64_t c, float oneMinusMomentum) {
  for (int64_t ch = 0; ch < c; ch++) {
    volatile float d = current[ch] - batch[ch];
    volatile float scaled = d * oneMinusMomentum;
    out[ch] = current[ch] - scaled;
  }
}


void InitBatchNorm(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "batchNormAffine", Affine);
  Export(env, exports, "batchNormMoments", Moments);
  Export(env, exports, "batchNormGrad", Grad);
}

}  // namespace se
