// Credit Lab's service worker: after the first visit the page works offline (a lecture hall's Wi-Fi).
//
// One cache per build (`sw.js?build=<commit>`, registered by the page of that build). Every file a
// build ships has a name of that build: trunk hashes the page's module and stylesheet, and the page
// asks for the workers' files with `?v=<commit>` — so a cache never serves one build's worker to
// another build's page. Navigations go to the network first (online, the page is always the
// newest) and fall back to the cached page; everything else is served from the cache first, and
// what was fetched (the WebGPU worker, once asked for) is kept. Activating a build's worker
// deletes the caches of other builds.
const BUILD = new URL(self.location.href).searchParams.get("build") || "unknown";
const CACHE = `creditlab-${BUILD}`;
const WORKER_FILES = ["creditlab-worker_loader.js", "creditlab-worker.js", "creditlab-worker_bg.wasm"];
// "Your run"'s example files (the app's `EXAMPLES`; a native test keeps the two lists equal).
const EXAMPLE_FILES = ["examples/solver-verifier.jsonl", "examples/agent-wise.json", "examples/bandit-grpo.csv"];

self.addEventListener("install", (event) => {
    event.waitUntil((async () => {
        const cache = await caches.open(CACHE);
        const page = await fetch("./", { cache: "reload" });
        if (!page.ok) throw new Error(`the page answered ${page.status}`);
        const html = await page.clone().text();
        await cache.put("./", page);
        // The page's own files, as trunk linked them (relative URLs), and the CPU worker's.
        const linked = [...html.matchAll(/(?:href|src)="(\.\/[^"#?]+)"/g)].map((m) => m[1]);
        const files = [...new Set(linked)].concat(WORKER_FILES.map((f) => `./${f}?v=${BUILD}`), EXAMPLE_FILES.map((f) => `./${f}`));
        await cache.addAll(files.map((url) => new Request(url, { cache: "reload" })));
        await self.skipWaiting();
    })());
});

self.addEventListener("activate", (event) => {
    event.waitUntil((async () => {
        for (const key of await caches.keys()) {
            if (key.startsWith("creditlab-") && key !== CACHE) await caches.delete(key);
        }
        await self.clients.claim();
    })());
});

self.addEventListener("fetch", (event) => {
    const request = event.request;
    const url = new URL(request.url);
    if (request.method !== "GET" || url.origin !== self.location.origin) return;
    // The page's check for a newer build asks the server itself.
    if (request.cache === "no-store") return;
    if (request.mode === "navigate") {
        event.respondWith((async () => {
            try {
                return await fetch(request);
            } catch (err) {
                const cached = await caches.match("./", { cacheName: CACHE });
                if (cached) return cached;
                throw err;
            }
        })());
        return;
    }
    event.respondWith((async () => {
        const cache = await caches.open(CACHE);
        const hit = await cache.match(request);
        if (hit) return hit;
        const response = await fetch(request);
        if (response.ok && url.pathname.startsWith(new URL("./", self.location.href).pathname)) {
            cache.put(request, response.clone());
        }
        return response;
    })());
});
