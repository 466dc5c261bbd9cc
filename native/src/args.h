// Argument conversion shared by the kernel families: JS typed arrays and number arrays to C++ views.
#pragma once
#include <napi.h>

#include <cstdint>
#include <vector>

namespace se {

inline float* F32(const Napi::Value& v) { return v.As<Napi::Float32Array>().Data(); }

inline float* F32OrNull(const Napi::Value& v) {
  return v.IsNull() || v.IsUndefined() ? nullptr : v.As<Napi::Float32Array>().Data();
}

inline size_t Length(const Napi::Value& v) { return v.As<Napi::TypedArray>().ElementLength(); }

inline int64_t Int(const Napi::Value& v) { return v.As<Napi::Number>().Int64Value(); }

inline bool Bool(const Napi::Value& v) { return v.ToBoolean().Value(); }

inline std::vector<int64_t> Ints(const Napi::Value& v) {
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out[i] = a.Get(i).As<Napi::Number>().Int64Value();
  return out;
}

inline int64_t Product(const std::vector<int64_t>& dims) {
  int64_t p = 1;
  for (int64_t d : dims) p *= d;
  return p;
}

// Throws a JS Error (the binding enables C++ exceptions) when a precondition does not hold.
inline void Require(const Napi::Env& env, bool ok, const char* what) {
  if (!ok) throw Napi::Error::New(env, what);
}

// Elementwise loops split over OpenMP threads only when there is enough work to pay for the fork.
constexpr int64_t kParallelGrain = 1 << 15;

}  // namespace se
