// Batched matrix products through oneDNN's sgemm (row-major, either side transposed), with the bias and ReLU of
// TF.js's _FusedMatMul applied in the same pass over the output.
#include <algorithm>
#include <oneapi/dnnl/dnnl.h>

#include <cstring>

#include "args.h"
#include "families.h"

namespace se {
namespace {

// batchMatMul(a, b, out, [batchA, batchB, m, n, k], transposeA, transposeB, bias | null, relu)
// a holds batchA matrices of m x k (k x m when transposed), b batchB of k x n (n x k); a batch of 1 broadcasts.
Napi::Value BatchMatMul(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const float* a = F32(info[0]);
  const float* b = F32(info[1]);
  float* out = F32(info[2]);
  std::vector<int64_t> d = Ints(info[3]);
  Require(env, d.size() == 5, "batchMatMul needs [batchA, batchB, m, n, k]");
  const int64_t batchA = d[0], batchB = d[1], m = d[2], n = d[3], k = d[4];
  Require(env, batchA == batchB || batchA == 1 || batchB == 1, "batchMatMul: batch sizes do not broadcast");
  const bool ta = Bool(info[4]), tb = Bool(info[5]);
  const float* bias = F32OrNull(info[6]);
  const bool relu = Bool(info[7]);
  const int64_t batch = std::max(batchA, batchB);
  const int64_t lda = ta ? m : k, ldb = tb ? k : n;
  for (int64_t i = 0; i < batch; i++) {
    const float* ai = a + (batchA == 1 ? 0 : i) * m * k;
    const float* bi = b + (batchB == 1 ? 0 : i) * k * n;
    float* ci = out + i * m * n;
    float beta = 0.f;
    if (bias != nullptr) {
      for (int64_t r = 0; r < m; r++) std::memcpy(ci + r * n, bias, n * sizeof(float));
      beta = 1.f;
    }
    dnnl_status_t st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.f, ai, lda, bi, ldb, beta, ci, n);
    Require(env, st == dnnl_success, "dnnl_sgemm failed");
  }
  if (relu) {
    const int64_t total = batch * m * n;
#pragma omp parallel for if (total > kParallelGrain)
    for (int64_t i = 0; i < total; i++) out[i] = out[i] > 0.f ? out[i] : 0.f;
  }
  return env.Undefined();
}

}  // namespace

void InitMatMul(Napi::Env env, Napi::Object exports) { exports.Set("batchMatMul", Napi::Function::New(env, BatchMatMul)); }

}  // namespace se
