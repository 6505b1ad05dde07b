// Starts the training worker (creditlab-gpu-worker): wasm-bindgen's no-modules glue, then its module, passed
// as an object (a bare path is deprecated and logs a warning). Started as `…_loader.js?v=<build>`,
// like the CPU worker: its files carry the build too (see sw.js).
importScripts("./creditlab-gpu-worker.js" + self.location.search);
wasm_bindgen({ module_or_path: "./creditlab-gpu-worker_bg.wasm" + self.location.search });
