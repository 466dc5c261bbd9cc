// The one place where a call's JavaScript arguments become C++ values. Every entry point reads its arguments through
// an Args, usually into a small struct of its own (as sharp and onnxruntime-node do), so that nothing computes before
// every argument has been checked: a typed array must be a Float32Array holding exactly the number of elements its
// call's shape implies, a count a non-negative integer, a shape a list of them. The first argument that is wrong
// throws a JavaScript TypeError or RangeError naming the function and the argument; nothing is read or written past
// a buffer, and nothing divides by an empty axis.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace se {

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* function) : info_(info), function_(function) {}

  Napi::Env Env() const { return info_.Env(); }
  const char* Function() const { return function_; }

  /** An integer >= min (a JS number with no fraction, within 2^53). */
  int64_t Integer(size_t i, const char* name, int64_t min = 0) const;
  /** A finite or infinite JS number. */
  double Number(size_t i, const char* name) const;
  /** Whether argument i is null or undefined. */
  bool Absent(size_t i) const { return info_[i].IsNull() || info_[i].IsUndefined(); }
  /** true or false (any JS value, by its truthiness). */
  bool Flag(size_t i) const { return info_[i].ToBoolean().Value(); }
  /** An array of integers >= min; `size` elements unless it is kAnySize. */
  std::vector<int64_t> Integers(size_t i, const char* name, size_t size = kAnySize, int64_t min = 0) const;

  /** A Float32Array of exactly `length` elements. */
  float* Floats(size_t i, const char* name, int64_t length) const;
  /** The same, or nullptr for null and undefined. */
  float* FloatsOrNull(size_t i, const char* name, int64_t length) const;
  /** A Float32Array of any length, which the caller then checks against the rest of the call. */
  float* FloatsOfAnyLength(size_t i, const char* name, int64_t* length) const;
  /** An array of Float32Arrays, the k-th of exactly lengths[k] elements. */
  std::vector<float*> FloatArrays(size_t i, const char* name, const std::vector<int64_t>& lengths) const;

  /** Throws a RangeError naming the function when `ok` is false. */
  void Check(bool ok, const std::string& what) const;

  static constexpr size_t kAnySize = static_cast<size_t>(-1);

 private:
  float* FloatsOf(const Napi::Value& v, const std::string& name, int64_t length) const;
  std::string Name(size_t i, const char* name) const;

  const Napi::CallbackInfo& info_;
  const char* function_;
};

/** The product of `dims` (1 for none); throws a RangeError when it overflows 2^53. */
int64_t Product(const Args& args, const std::vector<int64_t>& dims);
/** a * b, checked the same way. */
int64_t Times(const Args& args, int64_t a, int64_t b);

// Elementwise loops split over OpenMP threads only when there is enough work to pay for the fork.
constexpr int64_t kParallelGrain = 1 << 15;

}  // namespace se
