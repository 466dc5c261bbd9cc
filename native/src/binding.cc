// The addon's entry point: version and thread settings, every kernel family's functions, and the one wrapper
// (Export) that keeps asynchronous signals off the call's threads (signals.h) and turns whatever C++ exception a
// function throws into a JavaScript Error, so that no call can end the process. The build also defines
// NODE_ADDON_API_CPP_EXCEPTIONS_ALL, which does the same for the module's Init.
#include <napi.h>
#include <omp.h>

#include <new>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>

#include "args.h"
#include "engine.h"
#include "families.h"
#include "signals.h"

namespace se {

namespace {

const char* StatusName(dnnl_status_t s) {
  switch (s) {
    case dnnl_out_of_memory: return "out_of_memory";
    case dnnl_invalid_arguments: return "invalid_arguments";
    case dnnl_unimplemented: return "unimplemented";
    case dnnl_runtime_error: return "runtime_error";
    default: return "error";
  }
}

}  // namespace

void Export(Napi::Env env, Napi::Object exports, const char* name, Entry fn) {
  auto guarded = [name, fn](const Napi::CallbackInfo& info) -> Napi::Value {
    const std::string where = std::string(name) + ": ";
    try {
      const AsyncSignalsBlocked quiet;  // signals.h: oneDNN's sgemm must not be interrupted
      return fn(info);
    } catch (const Napi::Error&) {
      throw;  // already a JavaScript error (a bad argument)
    } catch (const dnnl::error& e) {
      throw Napi::Error::New(info.Env(), where + "oneDNN: " + e.what() + " (" + StatusName(e.status) + ")");
    } catch (const std::bad_alloc&) {
      throw Napi::Error::New(info.Env(), where + "out of memory");
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), where + e.what());
    } catch (...) {
      throw Napi::Error::New(info.Env(), where + "unknown C++ exception");
    }
  };
  exports.Set(name, Napi::Function::New(env, guarded, name));
}

namespace {

// setThreads(threads): OpenMP threads of the calling thread's kernels (and oneDNN's).
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Args args(info, "setThreads");
  const int64_t threads = args.Integer(0, "threads", 1);
  args.Check(threads <= 4096, "threads must be at most 4096");
  omp_set_num_threads(static_cast<int>(threads));
  return info.Env().Undefined();
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), omp_get_max_threads()); }

// cachedPrimitives(): how many objects (oneDNN primitives) this environment's state has cached.
Napi::Value CachedPrimitives(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(State::Of(info.Env()).cache.size()));
}

// channelBlock(): the channel block of this CPU's fastest oneDNN convolutions, which the inference programs keep their
// activations in: 16 (nChw16c) with AVX-512, 8 (nChw8c) with AVX2, 0 below (NHWC). Others than the CPU's run as
// oneDNN's reference kernels, a hundred times slower. Follows ONEDNN_MAX_CPU_ISA, as oneDNN's dispatch does.
Napi::Value ChannelBlock(const Napi::CallbackInfo& info) {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto has = [isa](dnnl::cpu_isa want) { return (isa & static_cast<unsigned>(want)) == static_cast<unsigned>(want); };
  return Napi::Number::New(info.Env(), has(dnnl::cpu_isa::avx512_core) ? 16 : has(dnnl::cpu_isa::avx2) ? 8 : 0);
}

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
  State::Create(env);
  Export(env, exports, "setThreads", SetThreads);
  Export(env, exports, "getThreads", GetThreads);
  Export(env, exports, "version", Version);
  Export(env, exports, "channelBlock", ChannelBlock);
  Export(env, exports, "cachedPrimitives", CachedPrimitives);
  InitConv(env, exports);
  InitMatMul(env, exports);
  InitPool(env, exports);
  InitBatchNorm(env, exports);
  InitElementwise(env, exports);
  InitReduce(env, exports);
  InitShape(env, exports);
  InitOptimizer(env, exports);
  InitProgram(env, exports);
  return exports;
}

}  // namespace
}  // namespace se

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return se::Init(env, exports); }

NODE_API_MODULE(snapshot_ensembles_native, InitAddon)
