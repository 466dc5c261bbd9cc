// Each kernel family adds its functions to the addon's exports through Export, which is where every C++ exception
// (oneDNN's dnnl::error, std::bad_alloc, anything else) becomes a JavaScript Error naming the function.
#pragma once
#include <napi.h>

namespace se {

using Entry = Napi::Value (*)(const Napi::CallbackInfo&);

/** Adds `fn` as exports[name]; a C++ exception thrown by it is thrown in JavaScript as an Error (see binding.cc). */
void Export(Napi::Env env, Napi::Object exports, const char* name, Entry fn);

void InitConv(Napi::Env env, Napi::Object exports);
void InitMatMul(Napi::Env env, Napi::Object exports);
void InitPool(Napi::Env env, Napi::Object exports);
void InitBatchNorm(Napi::Env env, Napi::Object exports);
void InitElementwise(Napi::Env env, Napi::Object exports);
void InitReduce(Napi::Env env, Napi::Object exports);
void InitShape(Napi::Env env, Napi::Object exports);
void InitOptimizer(Napi::Env env, Napi::Object exports);
void InitProgram(Napi::Env env, Napi::Object exports);

}  // namespace se
