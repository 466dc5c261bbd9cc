{
  "targets": [
    {
      "target_name": "snapshot_ensembles_native",
      "sources": [
        "src/binding.cc",
        "src/signals.cc",
        "src/args.cc",
        "src/engine.cc",
        "src/conv.cc",
        "src/convFilter.cc",
        "src/convInference.cc",
        "src/matmul.cc",
        "src/pool.cc",
        "src/batchnorm.cc",
        "src/elementwise.cc",
        "src/reduce.cc",
        "src/shape.cc",
        "src/optimizer.cc",
        "src/program.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!(node locate-dnnl.cjs include)"
      ],
      "libraries": [
        "-L<!(node locate-dnnl.cjs lib)",
        "-Wl,-rpath,<!(node locate-dnnl.cjs lib)",
        "-ldnnl"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_CPP_EXCEPTIONS_ALL"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-fopenmp", "<!(node -p \"process.env.SE_NATIVE_MARCH || '-DSE_PORTABLE_BUILD'\")"],
      "ldflags": ["-fopenmp"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-Xpreprocessor", "-fopenmp"],
        "OTHER_LDFLAGS": ["-lomp"]
      }
    }
  ]
}
