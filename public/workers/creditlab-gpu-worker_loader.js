// Starts the training worker (creditlab-gpu-worker): wasm-bindgen's no-modules glue, then its module, passed
// as an object (a bare path is deprecated and logs a warning).
importScripts("./creditlab-gpu-worker.js");
wasm_bindgen({ module_or_path: "./creditlab-gpu-worker_bg.wasm" });
