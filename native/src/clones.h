// The addon is built for any x86-64 (no -march): oneDNN picks its own instruction set at run time, and our own
// memory-bound loops are compiled three times by GCC's function multi-versioning, for the x86-64 baseline (SSE2),
// x86-64-v3 (AVX2, FMA) and x86-64-v4 (AVX-512); the loader picks the best the CPU has when the addon loads.
// A build for one machine (SE_NATIVE_MARCH=-march=native npm run build:native) compiles each loop once for it.
#pragma once

#if defined(SE_PORTABLE_BUILD) && defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SE_CLONES __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define SE_CLONES
#endif
