// Elementwise float32 kernels: unary maps, and binary maps with NumPy broadcasting (fast paths for equal shapes, a
// scalar on either side, and a trailing vector such as a per-channel bias); and the training program's maps over
// strided blocks (elementwise.h).
#include <cmath>
#include <string>
#include <vector>

#include "args.h"
#include "clones.h"
#include "elementwise.h"
#include "families.h"

namespace se {
namespace {

enum Unary { kRelu, kStep, kSquare, kRsqrt, kSqrt, kExp, kLog, kNeg, kFloor, kAbs, kSigmoid, kTanh, kRelu6 };
enum Binary { kAdd, kSub, kMul, kDiv, kMax, kMin, kSquaredDifference };

template <int Op>
inline float ApplyUnary(float x, float alpha) {
  switch (Op) {
    case kRelu: return x > 0.f ? x : (std::isnan(x) ? x : 0.f);
    case kStep: return std::isnan(x) ? x : (x > 0.f ? 1.f : alpha);
    case kSquare: return x * x;
    case kRsqrt: return 1.f / std::sqrt(x);
    case kSqrt: return std::sqrt(x);
    case kExp: return std::exp(x);
    case kLog: return std::log(x);
    case kNeg: return -x;
    case kFloor: return std::floor(x);
    case kAbs: return std::fabs(x);
    case kSigmoid: return 1.f / (1.f + std::exp(-x));
    case kTanh: return std::tanh(x);
    case kRelu6: return std::isnan(x) ? x : std::fmin(std::fmax(x, 0.f), 6.f);
  }
  return x;
}

template <int Op>
SE_CLONES void UnaryLoop(const float* x, float* out, int64_t n, float alpha) {
#pragma omp parallel for if (n > kParallelGrain)
  for (int64_t i = 0; i < n; i++) out[i] = ApplyUnary<Op>(x[i], alpha);
}

// unary(op, x, out, alpha): out has x's length.
Napi::Value UnaryOp(const Napi::CallbackInfo& info) {
  Args args(info, "unary");
  const int64_t op = args.Integer(0, "op");
  int64_t n = 0;
  const float* x = args.FloatsOfAnyLength(1, "x", &n);
  float* out = args.Floats(2, "out", n);
  const float alpha = static_cast<float>(args.Number(3, "alpha"));
  switch (op) {
    case kRelu: UnaryLoop<kRelu>(x, out, n, alpha); break;
    case kStep: UnaryLoop<kStep>(x, out, n, alpha); break;
    case kSquare: UnaryLoop<kSquare>(x, out, n, alpha); break;
    case kRsqrt: UnaryLoop<kRsqrt>(x, out, n, alpha); break;
    case kSqrt: UnaryLoop<kSqrt>(x, out, n, alpha); break;
    case kExp: UnaryLoop<kExp>(x, out, n, alpha); break;
    case kLog: UnaryLoop<kLog>(x, out, n, alpha); break;
    case kNeg: UnaryLoop<kNeg>(x, out, n, alpha); break;
    case kFloor: UnaryLoop<kFloor>(x, out, n, alpha); break;
    case kAbs: UnaryLoop<kAbs>(x, out, n, alpha); break;
    case kSigmoid: UnaryLoop<kSigmoid>(x, out, n, alpha); break;
    case kTanh: UnaryLoop<kTanh>(x, out, n, alpha); break;
    case kRelu6: UnaryLoop<kRelu6>(x, out, n, alpha); break;
    default: args.Check(false, "unknown unary op " + std::to_string(op));
  }
  return info.Env().Undefined();
}

template <int Op>
inline float ApplyBinary(float a, float b) {
  switch (Op) {
    case kAdd: return a + b;
    case kSub: return a - b;
    case kMul: return a * b;
    case kDiv: return a / b;
    case kMax: return (std::isnan(a) || std::isnan(b)) ? NAN : (a > b ? a : b);
    case kMin: return (std::isnan(a) || std::isnan(b)) ? NAN : (a < b ? a : b);
    case kSquaredDifference: return (a - b) * (a - b);
  }
  return a;
}

// Output shape and both inputs' shapes padded on the left to one rank, and the element count of each.
struct Broadcast {
  std::vector<int64_t> out, a, b;
  int64_t n, na, nb;

  // Shapes of arguments ia, ib, iout: sizes >= 0, neither input of higher rank than the output, each axis of an
  // input either the output's or 1.
  static Broadcast Parse(const Args& args, size_t ia, size_t ib, size_t iout) {
    Broadcast s{args.Integers(iout, "outShape"), args.Integers(ia, "aShape"), args.Integers(ib, "bShape"), 0, 0, 0};
    const size_t rank = s.out.size();
    args.Check(s.a.size() <= rank && s.b.size() <= rank, "an input has more axes than the output");
    s.a.insert(s.a.begin(), rank - s.a.size(), 1);
    s.b.insert(s.b.begin(), rank - s.b.size(), 1);
    for (size_t i = 0; i < rank; i++)
      args.Check((s.a[i] == s.out[i] || s.a[i] == 1) && (s.b[i] == s.out[i] || s.b[i] == 1), "the shapes do not broadcast to the output shape");
    s.n = Product(args, s.out), s.na = Product(args, s.a), s.nb = Product(args, s.b);
    return s;
  }
};

template <int Op>
SE_CLONES void BinaryLoop(const float* a, const float* b, float* out, const Broadcast& s) {
  const int64_t n = s.n, na = s.na, nb = s.nb;
  if (n == 0) return;
  if (na == n && nb == n) {
#pragma omp parallel for if (n > kParallelGrain)
    for (int64_t i = 0; i < n; i++) out[i] = ApplyBinary<Op>(a[i], b[i]);
    return;
  }
  if (nb == 1) {
    const float v = b[0];
#pragma omp parallel for if (n > kParallelGrain)
    for (int64_t i = 0; i < n; i++) out[i] = ApplyBinary<Op>(a[i], v);
    return;
  }
  if (na == 1) {
    const float v = a[0];
#pragma omp parallel for if (n > kParallelGrain)
    for (int64_t i = 0; i < n; i++) out[i] = ApplyBinary<Op>(v, b[i]);
    return;
  }
  // General case: the output as [outer, inner] where inner is the longest run of trailing axes on which neither
  // input broadcasts; each input steps through its own strides over the outer axes.
  const size_t rank = s.out.size();
  size_t split = rank;
  while (split > 0 && s.a[split - 1] == s.out[split - 1] && s.b[split - 1] == s.out[split - 1]) split--;
  int64_t inner = 1;
  for (size_t i = split; i < rank; i++) inner *= s.out[i];
  // With no common trailing block, the last axis broadcasts on one side: handle it element by element.
  std::vector<int64_t> sa(rank), sb(rank);
  int64_t ta = 1, tb = 1;
  for (size_t i = rank; i-- > 0;) {
    sa[i] = s.a[i] == 1 ? 0 : ta;
    sb[i] = s.b[i] == 1 ? 0 : tb;
    ta *= s.a[i];
    tb *= s.b[i];
  }
  const int64_t outer = n / inner;
#pragma omp parallel for if (n > kParallelGrain)
  for (int64_t o = 0; o < outer; o++) {
    int64_t rem = o, offA = 0, offB = 0;
    for (size_t i = split; i-- > 0;) {
      const int64_t idx = rem % s.out[i];
      rem /= s.out[i];
      offA += idx * sa[i];
      offB += idx * sb[i];
    }
    const float* pa = a + offA;
    const float* pb = b + offB;
    float* po = out + o * inner;
    for (int64_t j = 0; j < inner; j++) po[j] = ApplyBinary<Op>(pa[j], pb[j]);
  }
}

// binary(op, a, aShape, b, bShape, out, outShape)
Napi::Value BinaryOp(const Napi::CallbackInfo& info) {
  Args args(info, "binary");
  const int64_t op = args.Integer(0, "op");
  const Broadcast s = Broadcast::Parse(args, 2, 4, 6);
  const float* a = args.Floats(1, "a", s.na);
  const float* b = args.Floats(3, "b", s.nb);
  float* out = args.Floats(5, "out", s.n);
  switch (op) {
    case kAdd: BinaryLoop<kAdd>(a, b, out, s); break;
    case kSub: BinaryLoop<kSub>(a, b, out, s); break;
    case kMul: BinaryLoop<kMul>(a, b, out, s); break;
    case kDiv: BinaryLoop<kDiv>(a, b, out, s); break;
    case kMax: BinaryLoop<kMax>(a, b, out, s); break;
    case kMin: BinaryLoop<kMin>(a, b, out, s); break;
    case kSquaredDifference: BinaryLoop<kSquaredDifference>(a, b, out, s); break;
    default: args.Check(false, "unknown binary op " + std::to_string(op));
  }
  return info.Env().Undefined();
}

enum Strided2 { kSAdd, kSAddRelu, kSMask, kSMul };

template <int Op>
inline float Apply2(float a, float b) {
  switch (Op) {
    case kSAdd: return a + b;
    case kSAddRelu: {
      const float v = a + b;
      return v < 0.f ? 0.f : v;
    }
    case kSMask: return b > 0.f ? a : 0.f;  // a = dy, b = the ReLU's output
    case kSMul: return a * b;
  }
  return a;
}

// out (+)= op(a, b) over [rows, c]: one flat loop when every operand is contiguous, else row by row. b may be null
// for a copy (op ignores it).
template <int Op>
SE_CLONES void Loop2(Strided a, Strided b, Strided out, int64_t rows, int64_t c, bool accumulate) {
  const bool flat = a.stride == c && b.stride == c && out.stride == c;
  const int64_t n = rows * c;
  if (flat) {
    const float* pa = a.p;
    const float* pb = b.p;
    float* po = out.p;
    if (accumulate) {
#pragma omp parallel for if (n > kParallelGrain)
      for (int64_t i = 0; i < n; i++) po[i] += Apply2<Op>(pa[i], pb[i]);
    } else {
#pragma omp parallel for if (n > kParallelGrain)
      for (int64_t i = 0; i < n; i++) po[i] = Apply2<Op>(pa[i], pb[i]);
    }
    return;
  }
#pragma omp parallel for if (n > kParallelGrain)
  for (int64_t r = 0; r < rows; r++) {
    const float* pa = a.p + r * a.stride;
    const float* pb = b.p + r * b.stride;
    float* po = out.p + r * out.stride;
    for (int64_t j = 0; j < c; j++) po[j] = (accumulate ? po[j] : 0.f) + Apply2<Op>(pa[j], pb[j]);
  }
}

SE_CLONES void CopyLoop(Strided src, Strided dst, int64_t rows, int64_t c, bool accumulate) {
  const int64_t n = rows * c;
  if (src.stride == c && dst.stride == c) {
    const float* ps = src.p;
    float* pd = dst.p;
    if (accumulate) {
#pragma omp parallel for if (n > kParallelGrain)
      for (int64_t i = 0; i < n; i++) pd[i] += ps[i];
    } else {
#pragma omp parallel for if (n > kParallelGrain)
      for (int64_t i = 0; i < n; i++) pd[i] = ps[i];
    }
    return;
  }
#pragma omp parallel for if (n > kParallelGrain)
  for (int64_t r = 0; r < rows; r++) {
    const float* ps = src.p + r * src.stride;
    float* pd = dst.p + r * dst.stride;
    for (int64_t j = 0; j < c; j++) pd[j] = accumulate ? pd[j] + ps[j] : ps[j];
  }
}

SE_CLONES void ReluLoop(Strided x, Strided y, int64_t rows, int64_t c) {
#pragma omp parallel for if (rows * c > kParallelGrain)
  for (int64_t r = 0; r < rows; r++) {
    const float* px = x.p + r * x.stride;
    float* py = y.p + r * y.stride;
    for (int64_t j = 0; j < c; j++) py[j] = px[j] < 0.f ? 0.f : px[j];
  }
}

// y = x scale + shift per column, then max(y, 0) when relu (NaN stays NaN): a batch norm in inference mode.
SE_CLONES void ScaleShiftLoop(Strided x, Strided y, int64_t rows, int64_t c, const float* scale, const float* shift, bool relu) {
#pragma omp parallel for if (rows * c > kParallelGrain)
  for (int64_t r = 0; r < rows; r++) {
    const float* px = x.p + r * x.stride;
    float* py = y.p + r * y.stride;
    if (relu) {
      for (int64_t j = 0; j < c; j++) {
        const float v = px[j] * scale[j] + shift[j];
        py[j] = v < 0.f ? 0.f : v;
      }
    } else {
      for (int64_t j = 0; j < c; j++) py[j] = px[j] * scale[j] + shift[j];
    }
  }
}

}  // namespace

void AddStrided(Strided a, Strided b, Strided y, int64_t rows, int64_t c, bool relu) {
  if (relu) Loop2<kSAddRelu>(a, b, y, rows, c, false);
  else Loop2<kSAdd>(a, b, y, rows, c, false);
}

void ReluStrided(Strided x, Strided y, int64_t rows, int64_t c) { ReluLoop(x, y, rows, c); }

void MaskStrided(Strided dy, Strided y, Strided dx, int64_t rows, int64_t c, bool accumulate) { Loop2<kSMask>(dy, y, dx, rows, c, accumulate); }

void CopyStrided(Strided src, Strided dst, int64_t rows, int64_t c, bool accumulate) { CopyLoop(src, dst, rows, c, accumulate); }

void MulStrided(Strided a, Strided b, Strided y, int64_t rows, int64_t c, bool accumulate) { Loop2<kSMul>(a, b, y, rows, c, accumulate); }

void ScaleShiftStrided(Strided x, Strided y, int64_t rows, int64_t c, const float* scale, const float* shift, bool relu) {
  ScaleShiftLoop(x, y, rows, c, scale, shift, relu);
}

namespace {

// Between NHWC ([n][positions][blocks L]) and blocked ([n][blocks][positions][L]) activations: toBlocked reads the
// former and writes the latter, else the other way round.
template <int64_t L, bool toBlocked>
void ReorderLanes(const float* x, float* y, int64_t n, int64_t blocks, int64_t positions) {
#pragma omp parallel for collapse(2) if (n * blocks * positions * L > kParallelGrain)
  for (int64_t i = 0; i < n; i++)
    for (int64_t p = 0; p < positions; p++) {
      const int64_t row = (i * positions + p) * blocks * L;
      for (int64_t b = 0; b < blocks; b++) {
        const int64_t lanes = ((i * blocks + b) * positions + p) * L;
        for (int64_t l = 0; l < L; l++) {
          if (toBlocked) y[lanes + l] = x[row + b * L + l];
          else y[row + b * L + l] = x[lanes + l];
        }
      }
    }
}

}  // namespace

void Unblock(const float* x, float* y, int64_t n, int64_t blocks, int64_t positions, int64_t lanes) {
  if (lanes == 16) ReorderLanes<16, false>(x, y, n, blocks, positions);
  else ReorderLanes<8, false>(x, y, n, blocks, positions);
}

void Block(const float* x, float* y, int64_t n, int64_t blocks, int64_t positions, int64_t lanes) {
  if (lanes == 16) ReorderLanes<16, true>(x, y, n, blocks, positions);
  else ReorderLanes<8, true>(x, y, n, blocks, positions);
}

void InitElementwise(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "unary", UnaryOp);
  Export(env, exports, "binary", BinaryOp);
}

}  // namespace se
