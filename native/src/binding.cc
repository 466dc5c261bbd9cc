// The addon's entry point: version and thread settings, then every kernel family's functions.
#include <napi.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "args.h"
#include "families.h"

namespace {

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  int64_t threads = se::Int(info[0]);
  se::Require(info.Env(), threads >= 1, "threads must be at least 1");
  omp_set_num_threads(static_cast<int>(threads));
  return info.Env().Undefined();
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), omp_get_max_threads()); }

Napi::Value Version(const Napi::CallbackInfo& info) {
  const dnnl_version_t* v = dnnl_version();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("major", v->major);
  o.Set("minor", v->minor);
  o.Set("patch", v->patch);
  o.Set("cpuIsa", static_cast<int>(dnnl::get_effective_cpu_isa()));
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads));
  exports.Set("version", Napi::Function::New(env, Version));
  se::InitConv(env, exports);
  se::InitMatMul(env, exports);
  se::InitPool(env, exports);
  se::InitBatchNorm(env, exports);
  se::InitElementwise(env, exports);
  se::InitReduce(env, exports);
  se::InitShape(env, exports);
  se::InitOptimizer(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(snapshot_ensembles_native, Init)
