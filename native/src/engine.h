// What the addon keeps between calls, once per Node.js environment (the main thread and each worker thread that
// loads it): a oneDNN CPU engine and stream, and the primitives built for the shapes seen so far. It lives in the
// environment's instance data, so workers never share a stream or a cache, and it is freed when its environment ends.
#pragma once
#include <napi.h>

#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>

namespace se {

struct State {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  /** Cached objects by key; each key starts with its family's name, which alone decides the object's type. */
  std::unordered_map<std::string, std::shared_ptr<void>> cache;

  /** The state of the environment a call runs in (made when the addon is loaded there). */
  static State& Of(Napi::Env env);
  /** Makes the state of a new environment. */
  static void Create(Napi::Env env);

  /** The object cached under `key`, made by `make()` the first time. */
  template <typename T, typename Make>
  T& Cached(const std::string& key, Make make) {
    auto it = cache.find(key);
    if (it == cache.end()) it = cache.emplace(key, std::make_shared<T>(make())).first;
    return *static_cast<T*>(it->second.get());
  }
};

}  // namespace se
