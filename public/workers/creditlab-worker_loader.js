// Starts the training worker (creditlab-worker): wasm-bindgen's no-modules glue, then its module, passed
// as an object (a bare path is deprecated and logs a warning). The page starts it as
// `creditlab-worker_loader.js?v=<build>`: its files are asked for with the same `?v=`, so the
// offline cache (sw.js) keeps each build's worker apart.
importScripts("./creditlab-worker.js" + self.location.search);
wasm_bindgen({ module_or_path: "./creditlab-worker_bg.wasm" + self.location.search });
