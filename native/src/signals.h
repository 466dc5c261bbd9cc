// Asynchronous signals kept off the threads that run oneDNN. oneDNN's generated sgemm kernels (2.x, and 3.x before
// 3.11.2) point the stack pointer into a heap buffer while they run, so a signal handled on such a thread writes its
// frame into the heap (uxlfoundation/oneDNN#4845): here a V8 CPU profile (`node --cpu-prof`) of any dense layer's
// matrix product ended in "corrupted size vs. prev_size", and so could a Ctrl-C (SIGINT) or a terminal resize
// (SIGWINCH) handled mid-product. Every addon call blocks them on the calling thread, and the OpenMP threads that
// oneDNN runs on keep them blocked for good: a process-directed signal then goes to one of Node's other threads, a
// thread-directed one (the profiler's SIGPROF) waits until the call returns. Faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
// SIGTRAP) stay unblocked.
#pragma once
#include <signal.h>

namespace se {

/** Blocks asynchronous signals on this thread and its OpenMP threads for its lifetime; restores this thread's mask. */
class AsyncSignalsBlocked {
 public:
  AsyncSignalsBlocked();
  ~AsyncSignalsBlocked();
  AsyncSignalsBlocked(const AsyncSignalsBlocked&) = delete;
  AsyncSignalsBlocked& operator=(const AsyncSignalsBlocked&) = delete;

 private:
  sigset_t old_;
};

}  // namespace se
