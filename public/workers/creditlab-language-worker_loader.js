// Starts the language agents' training worker (creditlab-language-worker): wasm-bindgen's no-modules glue, then its module, passed
// as an object (a bare path is deprecated and logs a warning). The page starts it as
// `creditlab-language-worker_loader.js?v=<build>`: its files are asked for with the same `?v=`, so the
// offline cache (sw.js) keeps each build's worker apart.
importScripts("./creditlab-language-worker.js" + self.location.search);
wasm_bindgen({ module_or_path: "./creditlab-language-worker_bg.wasm" + self.location.search });
