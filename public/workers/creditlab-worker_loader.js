// Starts the training worker (creditlab-worker): wasm-bindgen's no-modules glue, then its module, passed
// as an object (a bare path is deprecated and logs a warning).
importScripts("./creditlab-worker.js");
wasm_bindgen({ module_or_path: "./creditlab-worker_bg.wasm" });
