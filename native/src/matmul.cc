// Batched matrix products through oneDNN's sgemm (row-major, either side transposed), with the bias and ReLU of
// TF.js's _FusedMatMul applied in the same pass over the output.
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <cstring>

#include "args.h"
#include "clones.h"
#include "families.h"

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
  for (int64_t i = 0; i < total; i++) out[i] = out[i] > 0.f ? out[i] : 0.f;
}

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
