// The filter gradient of a stride-1 convolution over activations blocked by 8 channels (nChw8c), as a training
// program keeps them on AVX2: our own loops. oneDNN 2.6.3's jit:avx2 kernel runs this pass at about two thirds of the
// cores' peak; these ran the networks' 3x3 layers 1.1 to 1.9x faster than it in most runs (standalone, batch 64, 2
// threads, the AMD EPYC with AVX2).
//
// dw[kh][kw][ci][co] = sum over images n and output positions (oy, ox) of x[n][oy - pt + kh][ox - pl + kw][ci] dy[n][oy][ox][co],
// positions whose input lies in the padding left out. The sum is taken as outer products: for one (kh, kw), a tile
// of R input channels and two blocks of 8 output channels keeps R x 2 eight-lane accumulators in registers (12 with
// R = 6, enough to cover the multiply-adds' latency) while it walks the positions, each step one load of dy per
// output block and one broadcast of x per input channel. Each thread takes whole images (so threads write no shared
// memory) in chunks small enough to stay in its L2 while every tile walks them, sums into its own copy of dw, and the
// copies are added at the end, in thread order: the same numbers on every run with the same thread count.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "clones.h"
#include "conv.h"
#include "threadScratch.h"
#include "vector8.h"

namespace se {
namespace {

constexpr int64_t kLanes = 8;
// Images per chunk: as many as keep x and dy under this many bytes (at least one).
constexpr int64_t kChunkBytes = 128 * 1024;

// The output positions (oy, ox) of one filter tap (kh, kw) whose input is inside the image.
struct Taps {
  int64_t oy0, oy1, ox0, ox1;
  Taps(const ConvShape& s, int64_t kh, int64_t kw)
      : oy0(std::max<int64_t>(0, s.pt - kh)),
        oy1(std::min<int64_t>(s.oh, s.h + s.pt - kh)),
        ox0(std::max<int64_t>(0, s.pl - kw)),
        ox1(std::min<int64_t>(s.ow, s.w + s.pl - kw)) {}
  bool Empty() const { return oy0 >= oy1 || ox0 >= ox1; }
};

// Input channels ci0 .. ci0 + R - 1 against B blocks of output channels from block cob, one tap, images [n0, n1):
// added to t (HWIO). Cloned per target itself, its vector code written out here: a vector helper inlined into a
// clone kept the baseline target's code (a broadcast became eight inserts, the accumulators spilled).
template <int R, int B>
SE_CLONES void Tile(const ConvShape& s, const float* x, const float* dy, int64_t n0, int64_t n1, int64_t ci0, int64_t cob, int64_t kh, int64_t kw,
                 const Taps& p, float* t) {
  const int64_t inBlocks = s.ci / kLanes, outBlocks = s.co / kLanes, hw = s.h * s.w, ohw = s.oh * s.ow, len = p.ox1 - p.ox0;
  F8 acc[R][B];
  for (int i = 0; i < R; i++)
    for (int b = 0; b < B; b++) acc[i][b] = F8{};
  for (int64_t n = n0; n < n1; n++) {
    const float* xc[R];
    for (int i = 0; i < R; i++) xc[i] = x + (n * inBlocks + (ci0 + i) / kLanes) * hw * kLanes + (ci0 + i) % kLanes;
    const float* d = dy + (n * outBlocks + cob) * ohw * kLanes;
    for (int64_t oy = p.oy0; oy < p.oy1; oy++) {
      const int64_t xAt = ((oy - s.pt + kh) * s.w + p.ox0 - s.pl + kw) * kLanes, dAt = (oy * s.ow + p.ox0) * kLanes;
      for (int64_t j = 0; j < len; j++) {
        F8 g[B];
        for (int b = 0; b < B; b++) g[b] = Load8(d + b * ohw * kLanes + dAt + j * kLanes);
        for (int i = 0; i < R; i++) {
          const float e = xc[i][xAt + j * kLanes];
          const F8 v = F8{e, e, e, e, e, e, e, e};  // one vbroadcastss (from a helper it became eight inserts)
          for (int b = 0; b < B; b++) acc[i][b] += v * g[b];
        }
      }
    }
  }
  for (int i = 0; i < R; i++)
    for (int b = 0; b < B; b++) {
      float* o = t + ((kh * s.kw + kw) * s.ci + ci0 + i) * s.co + (cob + b) * kLanes;
      Store8(o, Load8(o) + acc[i][b]);
    }
}

// Every tile of images [n0, n1), for B output blocks from block cob.
template <int B>
void Tiles(const ConvShape& s, const float* x, const float* dy, int64_t n0, int64_t n1, int64_t cob, int64_t kh, int64_t kw, const Taps& p,
                  float* t) {
  int64_t ci = 0;
  for (; ci + 6 <= s.ci; ci += 6) Tile<6, B>(s, x, dy, n0, n1, ci, cob, kh, kw, p, t);
  if (s.ci - ci == 4) Tile<4, B>(s, x, dy, n0, n1, ci, cob, kh, kw, p, t);
  if (s.ci - ci == 2) Tile<2, B>(s, x, dy, n0, n1, ci, cob, kh, kw, p, t);
}

// Images [n0, n1) added to t: chunk by chunk, every tap and tile.
void FilterGradientOf(const ConvShape& s, const float* x, const float* dy, int64_t n0, int64_t n1, float* t) {
  const int64_t perImage = (s.h * s.w * s.ci + s.oh * s.ow * s.co) * static_cast<int64_t>(sizeof(float));
  const int64_t chunk = std::max<int64_t>(1, kChunkBytes / perImage);
  for (int64_t c0 = n0; c0 < n1; c0 += chunk) {
    const int64_t c1 = std::min(n1, c0 + chunk);
    for (int64_t kh = 0; kh < s.kh; kh++)
      for (int64_t kw = 0; kw < s.kw; kw++) {
        const Taps p(s, kh, kw);
        if (p.Empty()) continue;
        int64_t cob = 0;
        for (; cob + 2 <= s.co / kLanes; cob += 2) Tiles<2>(s, x, dy, c0, c1, cob, kh, kw, p, t);
        if (cob < s.co / kLanes) Tiles<1>(s, x, dy, c0, c1, cob, kh, kw, p, t);
      }
  }
}

}  // namespace

bool OwnFilterGradientTakes(const ConvShape& s) {
  return s.block == kLanes && s.sh == 1 && s.sw == 1 && s.dh == 1 && s.dw == 1 && s.ci % kLanes == 0 && s.co % kLanes == 0;
}

void OwnFilterGradient(const ConvShape& s, const float* x, const float* dy, float* dw) {
  const int threads = omp_get_max_threads();
  const int64_t len = s.WLength(), stride = ThreadStride<float>(len);
  std::vector<float> partial(static_cast<size_t>(threads) * stride, 0.f);  // outside the parallel region: bad_alloc is caught
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    FilterGradientOf(s, x, dy, s.n * t / nt, s.n * (t + 1) / nt, partial.data() + t * stride);
  }
  std::copy(partial.begin(), partial.begin() + len, dw);
  for (int t = 1; t < threads; t++)
    for (int64_t k = 0; k < len; k++) dw[k] += partial[t * stride + k];
}

}  // namespace se
