// Elementwise float32 kernels: unary maps, and binary maps with NumPy broadcasting (fast paths for equal shapes, a
// scalar on either side, and a trailing vector such as a per-channel bias).
#include <cmath>
#include <string>
#include <vector>

#include "args.h"
#include "clones.h"
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

}  // namespace

void InitElementwise(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "unary", UnaryOp);
  Export(env, exports, "binary", BinaryOp);
}

}  // namespace se
