// Batched matrix products through oneDNN's sgemm (row-major, either side transposed), with the bias and ReLU of
// TF.js's _FusedMatMul applied in the same pass over the output; and the dense layer's products of the training
// program (matmul.h).
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "args.h"
#include "clones.h"
#include "families.h"
#include "matmul.h"

namespace se {
namespace {

// batchMatMul(a, b, out, [batchA, batchB, m, n, k], transposeA, transposeB, bias | null, relu)
// a holds batchA matrices of m x k (k x m when transposed), b batchB of k x n (n x k); a batch of 1 broadcasts.
struct MatMulCall {
  const float *a, *b, *bias;
  float* out;
  int64_t batchA, batchB, m, n, k;
  bool ta, tb, relu;

  static MatMulCall Parse(const Args& args) {
    MatMulCall c{};
    std::vector<int64_t> d = args.Integers(3, "dims", 5, 1);
    c.batchA = d[0], c.batchB = d[1], c.m = d[2], c.n = d[3], c.k = d[4];
    args.Check(c.batchA == c.batchB || c.batchA == 1 || c.batchB == 1, "batch sizes do not broadcast");
    args.Check(std::max({c.m, c.n, c.k}) < (int64_t{1} << 31), "a matrix side is 2^31 or more");
    c.a = args.Floats(0, "a", Product(args, {c.batchA, c.m, c.k}));
    c.b = args.Floats(1, "b", Product(args, {c.batchB, c.k, c.n}));
    c.out = args.Floats(2, "out", Product(args, {std::max(c.batchA, c.batchB), c.m, c.n}));
    c.ta = args.Flag(4), c.tb = args.Flag(5);
    c.bias = args.FloatsOrNull(6, "bias", c.n);
    c.relu = args.Flag(7);
    return c;
  }
};

SE_CLONES void ReluInPlace(float* out, int64_t total) {
#pragma omp parallel for if (total > kParallelGrain)
  for (int64_t i = 0; i < total; i++) out[i] = out[i] < 0.f ? 0.f : out[i];  // NaN stays NaN, as TF.js's Relu keeps it
}

// One row-major sgemm: c = alpha op(a) op(b) + beta c.
void Gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c) {
  if (dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.f, a, lda, b, ldb, beta, c, n) != dnnl_success) throw std::runtime_error("dnnl_sgemm failed");
}

}  // namespace

void DenseForward(const float* x, const float* w, const float* bias, float* y, int64_t n, int64_t k, int64_t m, bool relu) {
  float beta = 0.f;
  if (bias != nullptr) {
    for (int64_t r = 0; r < n; r++) std::memcpy(y + r * m, bias, m * sizeof(float));
    beta = 1.f;
  }
  Gemm(false, false, n, m, k, x, k, w, m, beta, y);
  if (relu) ReluInPlace(y, n * m);
}

void DenseBackwardData(const float* dy, const float* w, float* dx, int64_t n, int64_t k, int64_t m, bool accumulate) {
  Gemm(false, true, n, k, m, dy, m, w, m, accumulate ? 1.f : 0.f, dx);
}

void DenseBackwardWeights(const float* x, const float* dy, float* dw, int64_t n, int64_t k, int64_t m) {
  Gemm(true, false, k, m, n, x, k, dy, m, 0.f, dw);
}

namespace {

Napi::Value BatchMatMul(const Napi::CallbackInfo& info) {
  Args args(info, "batchMatMul");
  const MatMulCall c = MatMulCall::Parse(args);
  const int64_t m = c.m, n = c.n, k = c.k;
  const int64_t batch = std::max(c.batchA, c.batchB);
  const int64_t lda = c.ta ? m : k, ldb = c.tb ? k : n;
  for (int64_t i = 0; i < batch; i++) {
    const float* ai = c.a + (c.batchA == 1 ? 0 : i) * m * k;
    const float* bi = c.b + (c.batchB == 1 ? 0 : i) * k * n;
    float* ci = c.out + i * m * n;
    float beta = 0.f;
    if (c.bias != nullptr) {
      for (int64_t r = 0; r < m; r++) std::memcpy(ci + r * n, c.bias, n * sizeof(float));
      beta = 1.f;
    }
    dnnl_status_t st = dnnl_sgemm(c.ta ? 'T' : 'N', c.tb ? 'T' : 'N', m, n, k, 1.f, ai, lda, bi, ldb, beta, ci, n);
    args.Check(st == dnnl_success, "dnnl_sgemm failed");
  }
  if (c.relu) ReluInPlace(c.out, batch * m * n);
  return info.Env().Undefined();
}

}  // namespace

void InitMatMul(Napi::Env env, Napi::Object exports) { Export(env, exports, "batchMatMul", BatchMatMul); }

}  // namespace se
