// The one oneDNN CPU engine and stream, and the thread count that every kernel family uses.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

namespace se {

dnnl::engine& Engine();
dnnl::stream& Stream();

}  // namespace se
