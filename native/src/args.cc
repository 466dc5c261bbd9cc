#include "args.h"

#include <cmath>

namespace se {
namespace {

constexpr int64_t kMaxSafe = (int64_t{1} << 53);

const char* TypedArrayName(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
  }
  return "a typed array";
}

std::string Describe(const Napi::Value& v) {
  if (v.IsTypedArray()) return TypedArrayName(v.As<Napi::TypedArray>().TypedArrayType());
  if (v.IsNull()) return "null";
  if (v.IsUndefined()) return "undefined";
  if (v.IsArray()) return "an Array";
  if (v.IsNumber()) return "a number";
  if (v.IsString()) return "a string";
  return "another value";
}

}  // namespace

std::string Args::Name(size_t i, const char* name) const {
  return std::string(function_) + ": argument " + std::to_string(i) + " (" + name + ")";
}

void Args::Check(bool ok, const std::string& what) const {
  if (!ok) throw Napi::RangeError::New(Env(), std::string(function_) + ": " + what);
}

int64_t Args::Integer(size_t i, const char* name, int64_t min) const {
  const Napi::Value v = info_[i];
  if (!v.IsNumber()) throw Napi::TypeError::New(Env(), Name(i, name) + " must be a number, got " + Describe(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d == std::floor(d)) || std::fabs(d) >= static_cast<double>(kMaxSafe) || d < static_cast<double>(min))
    throw Napi::RangeError::New(Env(), Name(i, name) + " must be an integer >= " + std::to_string(min) + ", got " + std::to_string(d));
  return static_cast<int64_t>(d);
}

double Args::Number(size_t i, const char* name) const {
  const Napi::Value v = info_[i];
  if (!v.IsNumber()) throw Napi::TypeError::New(Env(), Name(i, name) + " must be a number, got " + Describe(v));
  return v.As<Napi::Number>().DoubleValue();
}

std::vector<int64_t> Args::Integers(size_t i, const char* name, size_t size, int64_t min) const {
  const Napi::Value v = info_[i];
  if (!v.IsArray()) throw Napi::TypeError::New(Env(), Name(i, name) + " must be an Array of numbers, got " + Describe(v));
  Napi::Array a = v.As<Napi::Array>();
  if (size != kAnySize && a.Length() != size)
    throw Napi::RangeError::New(Env(), Name(i, name) + " must hold " + std::to_string(size) + " numbers, got " + std::to_string(a.Length()));
  std::vector<int64_t> out(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) {
    const Napi::Value e = a.Get(k);
    const double d = e.IsNumber() ? e.As<Napi::Number>().DoubleValue() : NAN;
    if (!(d == std::floor(d)) || std::fabs(d) >= static_cast<double>(kMaxSafe) || d < static_cast<double>(min))
      throw Napi::RangeError::New(Env(), Name(i, name) + "[" + std::to_string(k) + "] must be an integer >= " + std::to_string(min));
    out[k] = static_cast<int64_t>(d);
  }
  return out;
}

float* Args::FloatsOf(const Napi::Value& v, const std::string& name, int64_t length) const {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(Env(), name + " must be a Float32Array, got " + Describe(v));
  Napi::Float32Array a = v.As<Napi::Float32Array>();
  if (static_cast<int64_t>(a.ElementLength()) != length)
    throw Napi::RangeError::New(Env(), name + " holds " + std::to_string(a.ElementLength()) + " elements where the shape needs " + std::to_string(length));
  return a.Data();
}

float* Args::Floats(size_t i, const char* name, int64_t length) const { return FloatsOf(info_[i], Name(i, name), length); }

float* Args::FloatsOrNull(size_t i, const char* name, int64_t length) const {
  const Napi::Value v = info_[i];
  return v.IsNull() || v.IsUndefined() ? nullptr : FloatsOf(v, Name(i, name), length);
}

float* Args::FloatsOfAnyLength(size_t i, const char* name, int64_t* length) const {
  const Napi::Value v = info_[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(Env(), Name(i, name) + " must be a Float32Array, got " + Describe(v));
  Napi::Float32Array a = v.As<Napi::Float32Array>();
  *length = static_cast<int64_t>(a.ElementLength());
  return a.Data();
}

std::vector<float*> Args::FloatArrays(size_t i, const char* name, const std::vector<int64_t>& lengths) const {
  const Napi::Value v = info_[i];
  if (!v.IsArray()) throw Napi::TypeError::New(Env(), Name(i, name) + " must be an Array of Float32Arrays, got " + Describe(v));
  Napi::Array a = v.As<Napi::Array>();
  if (a.Length() != lengths.size())
    throw Napi::RangeError::New(Env(), Name(i, name) + " must hold " + std::to_string(lengths.size()) + " arrays, got " + std::to_string(a.Length()));
  std::vector<float*> out(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) out[k] = FloatsOf(a.Get(k), Name(i, name) + "[" + std::to_string(k) + "]", lengths[k]);
  return out;
}

int64_t Times(const Args& args, int64_t a, int64_t b) {
  int64_t p = 0;
  args.Check(!__builtin_mul_overflow(a, b, &p) && p < kMaxSafe, "a shape holds more than 2^53 elements");
  return p;
}

int64_t Product(const Args& args, const std::vector<int64_t>& dims) {
  int64_t p = 1;
  for (int64_t d : dims) p = Times(args, p, d);
  return p;
}

}  // namespace se
