// Data movement: transpose (any permutation), concatenation and splitting along one axis, and strided slices with
// constant padding (the two are one copy between a window of the input and a window of the output).
#include <cstring>
#include <vector>

#include "args.h"
#include "clones.h"
#include "families.h"

namespace se {
namespace {

// Writes out (n elements of shape outShape) row by row, gathering from x with the input stride of each output axis.
SE_CLONES void TransposeRows(const float* x, float* out, int64_t n, const std::vector<int64_t>& outShape, const std::vector<int64_t>& stride) {
  const size_t rank = outShape.size();
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
}

// transpose(x, shape, perm, out): perm holds each axis of shape once.
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  Args args(info, "transpose");
  const std::vector<int64_t> shape = args.Integers(1, "shape");
  const size_t rank = shape.size();
  args.Check(rank >= 1, "transpose needs at least one axis");
  const std::vector<int64_t> perm = args.Integers(2, "perm", rank);
  std::vector<bool> seen(rank, false);
  for (int64_t p : perm) {
    args.Check(p < static_cast<int64_t>(rank) && !seen[p], "perm is not a permutation of the axes");
    seen[p] = true;
  }
  const float* x = args.Floats(0, "x", Product(args, shape));
  float* out = args.Floats(3, "out", Product(args, shape));
  if (Product(args, shape) == 0) return info.Env().Undefined();
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
  TransposeRows(x, out, s, outShape, stride);
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

// The arguments of concat and split: the blocks (argument iBlocks), each [outer, width_k], and the whole (iWhole),
// [outer, sum width_k].
struct Blocks {
  float* whole;
  std::vector<float*> blocks;
  std::vector<int64_t> widths;
  int64_t outer;

  static Blocks Parse(const Args& args, size_t iBlocks, size_t iWhole) {
    Blocks b{nullptr, {}, args.Integers(1, "widths"), args.Integer(2, "outer")};
    std::vector<int64_t> lengths;
    int64_t total = 0;
    for (int64_t w : b.widths) {
      lengths.push_back(Times(args, b.outer, w));
      total += w;
    }
    b.blocks = args.FloatArrays(iBlocks, "blocks", lengths);
    b.whole = args.Floats(iWhole, "whole", Times(args, b.outer, total));
    return b;
  }
};

// concat(inputs[], widths[], outer, out): each input is [outer, width_k]; out is [outer, sum width_k].
Napi::Value Concat(const Napi::CallbackInfo& info) {
  Args args(info, "concat");
  const Blocks b = Blocks::Parse(args, 0, 3);
  CopyBlocks(b.whole, b.blocks, b.widths, b.outer, true);
  return info.Env().Undefined();
}

// split(x, widths[], outer, outputs[]): the inverse of concat.
Napi::Value Split(const Napi::CallbackInfo& info) {
  Args args(info, "split");
  const Blocks b = Blocks::Parse(args, 3, 0);
  CopyBlocks(b.whole, b.blocks, b.widths, b.outer, false);
  return info.Env().Undefined();
}

// window(x, xShape, xBegin, out, outShape, outBegin, size, fill): out is first filled with `fill`, then the box
// `size` at xBegin in x is copied to outBegin in out. A slice is xBegin = begin, outBegin = 0; a pad is the other way.
// Every shape and corner has one rank (at least 1), and the box lies inside both x and out.
Napi::Value Window(const Napi::CallbackInfo& info) {
  Args args(info, "window");
  const std::vector<int64_t> xShape = args.Integers(1, "xShape");
  const size_t rank = xShape.size();
  args.Check(rank >= 1, "window needs at least one axis");
  const std::vector<int64_t> xBegin = args.Integers(2, "xBegin", rank), outShape = args.Integers(4, "outShape", rank),
                             outBegin = args.Integers(5, "outBegin", rank), size = args.Integers(6, "size", rank);
  for (size_t i = 0; i < rank; i++)
    args.Check(xBegin[i] + size[i] <= xShape[i] && outBegin[i] + size[i] <= outShape[i], "the box does not lie inside both x and out");
  const float* x = args.Floats(0, "x", Product(args, xShape));
  float* out = args.Floats(3, "out", Product(args, outShape));
  const float fill = static_cast<float>(args.Number(7, "fill"));
  const int64_t nOut = Product(args, outShape);
  if (Product(args, size) != nOut) {
#pragma omp parallel for if (nOut > kParallelGrain)
    for (int64_t i = 0; i < nOut; i++) out[i] = fill;
  }
  if (Product(args, size) == 0) return info.Env().Undefined();
  std::vector<int64_t> xs(rank), os(rank);
  int64_t a = 1, b = 1;
  for (size_t i = rank; i-- > 0;) {
    xs[i] = a;
    os[i] = b;
    a *= xShape[i];
    b *= outShape[i];
  }
  const int64_t inner = size[rank - 1];
  const int64_t rows = Product(args, size) / inner;
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
  Export(env, exports, "transpose", Transpose);
  Export(env, exports, "concat", Concat);
  Export(env, exports, "split", Split);
  Export(env, exports, "window", Window);
}

}  // namespace se
