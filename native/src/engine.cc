#include "engine.h"

namespace se {

State& State::Of(Napi::Env env) { return *env.GetInstanceData<State>(); }

void State::Create(Napi::Env env) { env.SetInstanceData<State>(new State()); }

}  // namespace se
