// Eight floats (or int32s) as one value, GCC's vector extension: each target clone (clones.h) lowers it to its own
// instructions, one ymm register with AVX2, two SSE2 registers in the baseline clone. For the loops over channels
// blocked by 8 (pool.cc, convFilter.cc).
#pragma once
#include <cstdint>
#include <cstring>

namespace se {

typedef float F8 __attribute__((vector_size(32)));
typedef int32_t I8 __attribute__((vector_size(32)));

inline F8 Load8(const float* p) {
  F8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void Store8(float* p, F8 v) { std::memcpy(p, &v, sizeof v); }
// m ? a : b lane by lane, m's lanes all ones or all zeros (a comparison's result).
inline F8 Select(I8 m, F8 a, F8 b) { return reinterpret_cast<F8>((reinterpret_cast<I8>(a) & m) | (reinterpret_cast<I8>(b) & ~m)); }
inline I8 Select(I8 m, I8 a, I8 b) { return (a & m) | (b & ~m); }

}  // namespace se
