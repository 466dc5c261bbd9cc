#include "signals.h"

#include <omp.h>
#include <pthread.h>

#include <initializer_list>

namespace se {

namespace {

sigset_t AsyncSignals() {
  sigset_t set;
  sigfillset(&set);
  for (int fault : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP}) sigdelset(&set, fault);
  return set;
}

const sigset_t kAsync = AsyncSignals();

// The OpenMP team size whose threads (other than this one) block kAsync, per calling thread: each thread that starts
// parallel regions (the main thread, a worker thread) has its own team. Threads the runtime adds later are made inside
// a call, while this thread blocks kAsync, and inherit its mask.
thread_local int blockedTeam = 0;

}  // namespace

AsyncSignalsBlocked::AsyncSignalsBlocked() {
  pthread_sigmask(SIG_BLOCK, &kAsync, &old_);
  const int team = omp_get_max_threads();
  if (team == blockedTeam) return;
#pragma omp parallel num_threads(team)
  if (omp_get_thread_num() != 0) pthread_sigmask(SIG_BLOCK, &kAsync, nullptr);
  blockedTeam = team;
}

AsyncSignalsBlocked::~AsyncSignalsBlocked() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

}  // namespace se
