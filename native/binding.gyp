# Fallback build for machines with node-gyp but no cmake: the same core and binding sources,
# CPU only (CUDA builds go through CMakeLists.txt). `npm run build:gyp` (node-gyp rebuild
# --directory=native). Output: native/build/Release/infogain.node. It lives in native/, not at the
# package root, because npm runs `node-gyp rebuild` at install for any package with a root
# binding.gyp (`"gypfile": false` does not stop it on a lockfile install such as `npm ci`).
{
  "target_defaults": {
    "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
    "cflags!": ["-fno-exceptions"],
  },
  "targets": [
    {
      "target_name": "infogain_isa",
      "type": "static_library",
      "conditions": [
        ["target_arch=='x64'", {
          "dependencies": ["infogain_avx2", "infogain_avx512"],
          "sources": [],
        }, {
          "sources": ["core/isa_fallback.cpp"],
        }],
      ],
    },
    {
      "target_name": "infogain",
      "sources": [
        "<!@(node ../scripts/gyp-sources.js core)",
        "<!@(node ../scripts/gyp-sources.js node)",
        "cuda/stub.cpp",
      ],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except_all",
        "infogain_isa",
      ],
      "defines": ["NAPI_VERSION=9", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc": ["-fvisibility=hidden"],
      "ldflags": ["-Wl,--exclude-libs,ALL", "-Wl,-z,nodelete"],
    },
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "infogain_avx2",
          "type": "static_library",
          "sources": ["<!@(node ../scripts/gyp-sources.js avx2)"],
          "cflags_cc": ["-mavx2", "-mfma", "-mf16c"],
        },
        {
          "target_name": "infogain_avx512",
          "type": "static_library",
          "sources": ["<!@(node ../scripts/gyp-sources.js avx512)"],
          "cflags_cc": ["-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-mfma", "-mf16c", "-Wno-maybe-uninitialized", "-Wno-uninitialized"],
        },
      ],
    }],
  ],
}
