// Per-thread blocks of scratch in one vector (allocated outside the parallel region): each thread's block starts a
// whole number of cache lines after the previous one's, with a spare line between them, so that no two threads write
// to one cache line whatever the vector's own alignment. Blocks only c elements apart shared a line at each boundary:
// the max pooling's gradient ran six times slower on two threads than it does now (false sharing).
#pragma once
#include <cstddef>
#include <cstdint>

namespace se {

constexpr size_t kCacheLine = 64;

/** The distance, in elements of T, between two threads' blocks of `count` elements. */
template <typename T>
constexpr size_t ThreadStride(int64_t count) {
  static_assert(kCacheLine % sizeof(T) == 0, "an element must divide a cache line");
  const size_t line = kCacheLine / sizeof(T);
  return (static_cast<size_t>(count) + line - 1) / line * line + line;
}

}  // namespace se
