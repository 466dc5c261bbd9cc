// Data movement: transpose (any permutation), concatenation and splitting along one axis, and strided slices with
// constant padding (the two are one copy between a window of the input and a window of the output).
#include <cstring>
#include <vector>

#include "args.h"
#include "families.h"

namespace se {
namespace {

// transpose(x, shape, perm, out)
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  const float* x = F32(info[0]);
  std::vector<int64_t> shape = Ints(info[1]), perm = Ints(info[2]);
  float* out = F32(info[3]);
  const size_t rank = shape.size();
  std::vector<int64_t> inStride(rank), outShape(rank), stride(rank);
  int64_t s = 1;
  for (size_t i = rank; i-- > 0;) {
    inStride[i] = s;
    s *= shape[i];
  }
  for (size_t i = 0; i < rank; i++) {
    outShape[i] = shape[perm[i]];
    stride[i] = inStride[perm[i]];  // input stride of output axis i
  }
  const int64_t n = s;
  const int64_t inner = outShape[rank - 1], innerStride = stride[rank - 1];
  const int64_t outer = n / inner;
#pragma omp parallel for if (n > kParallelGrain)
  for (int64_t o = 0; o < outer; o++) {
    int64_t rem = o, off = 0;
    for (size_t i = rank - 1; i-- > 0;) {
      off += (rem % outShape[i]) * stride[i];
      rem /= outShape[i];
    }
    float* po = out + o * inner;
    const float* px = x + off;
    for (int64_t j = 0; j < inner; j++) po[j] = px[j * innerStride];
  }
  return info.Env().Undefined();
}

// Copies between one [outer, sum width_k] matrix and its column blocks, one [outer, width_k] array per block:
// gather (concat) when toWhole, scatter (split) otherwise, rows split over threads.
void CopyBlocks(float* whole, const std::vector<float*>& blocks, const std::vector<int64_t>& widths, int64_t outer, bool toWhole) {
  int64_t total = 0;
  for (int64_t w : widths) total += w;
#pragma omp parallel for if (outer * total > kParallelGrain)
  for (int64_t o = 0; o < outer; o++) {
    float* row = whole + o * total;
    for (size_t k = 0; k < blocks.size(); k++) {
      float* block = blocks[k] + o * widths[k];
      if (toWhole) std::memcpy(row, block, widths[k] * sizeof(float));
      else std::memcpy(block, row, widths[k] * sizeof(float));
      row += widths[k];
    }
  }
}

std::vector<float*> Arrays(const Napi::Value& v) {
  Napi::Array a = v.As<Napi::Array>();
  std::vector<float*> out(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) out[k] = F32(a.Get(k));
  return out;
}

// concat(inputs[], widths[], outer, out): each input is [outer, width_k]; out is [outer, sum width_k].
Napi::Value Concat(const Napi::CallbackInfo& info) {
  CopyBlocks(F32(info[3]), Arrays(info[0]), Ints(info[1]), Int(info[2]), true);
  return info.Env().Undefined();
}

// split(x, widths[], outer, outputs[]): the inverse of concat.
Napi::Value Split(const Napi::CallbackInfo& info) {
  CopyBlocks(F32(info[0]), Arrays(info[3]), Ints(info[1]), Int(info[2]), false);
  return info.Env().Undefined();
}

// window(x, xShape, xBegin, out, outShape, outBegin, size, fill): out is first filled with `fill`, then the box
// `size` at xBegin in x is copied to outBegin in out. A slice is xBegin = begin, outBegin = 0; a pad is the other way.
Napi::Value Window(const Napi::CallbackInfo& info) {
  const float* x = F32(info[0]);
  std::vector<int64_t> xShape = Ints(info[1]), xBegin = Ints(info[2]);
  float* out = F32(info[3]);
  std::vector<int64_t> outShape = Ints(info[4]), outBegin = Ints(info[5]), size = Ints(info[6]);
  const float fill = static_cast<float>(info[7].As<Napi::Number>().DoubleValue());
  const size_t rank = xShape.size();
  const int64_t nOut = Product(outShape);
  if (Product(size) != nOut) {
#pragma omp parallel for if (nOut > kParallelGrain)
    for (int64_t i = 0; i < nOut; i++) out[i] = fill;
  }
  if (Product(size) == 0) return info.Env().Undefined();
  std::vector<int64_t> xs(rank), os(rank);
  int64_t a = 1, b = 1;
  for (size_t i = rank; i-- > 0;) {
    xs[i] = a;
    os[i] = b;
    a *= xShape[i];
    b *= outShape[i];
  }
  const int64_t inner = size[rank - 1];
  const int64_t rows = Product(size) / inner;
#pragma omp parallel for if (rows * inner > kParallelGrain)
  for (int64_t r = 0; r < rows; r++) {
    int64_t rem = r, ox = 0, oo = 0;
    for (size_t i = rank - 1; i-- > 0;) {
      const int64_t idx = rem % size[i];
      rem /= size[i];
      ox += (idx + xBegin[i]) * xs[i];
      oo += (idx + outBegin[i]) * os[i];
    }
    ox += xBegin[rank - 1];
    oo += outBegin[rank - 1];
    std::memcpy(out + oo, x + ox, inner * sizeof(float));
  }
  return info.Env().Undefined();
}

}  // namespace

void InitShape(Napi::Env env, Napi::Object exports) {
  exports.Set("transpose", Napi::Function::New(env, Transpose));
  exports.Set("concat", Napi::Function::New(env, Concat));
  exports.Set("split", Napi::Function::New(env, Split));
  exports.Set("window", Napi::Function::New(env, Window));
}

}  // namespace se
