// A minimal static server for dist/ on 127.0.0.1: an ephemeral port for the end-to-end tests
// (`serveDist`), or the README's serve command (`node tests/e2e/serve.mjs dist 8080`). With a
// `prefix` (e.g. "/credit-lab/") dist/ is served under that sub-path only, as a course site or a
// project page serves it; anything outside it is 404.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript",
    ".wasm": "application/wasm",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".jsonl": "application/jsonl",
    ".csv": "text/csv",
    ".png": "image/png",
    ".ico": "image/x-icon",
};

export async function serveDist(root, port = 0, prefix = "/") {
    const server = createServer(async (req, res) => {
        let path;
        try {
            path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
        } catch {
            res.writeHead(400).end("bad request");
            return;
        }
        if (!path.startsWith(prefix)) {
            res.writeHead(404).end("not found");
            return;
        }
        path = "/" + path.slice(prefix.length);
        const file = join(root, path.endsWith("/") ? join(path, "index.html") : path);
        if (!file.startsWith(root)) {
            res.writeHead(403).end();
            return;
        }
        try {
            const body = await readFile(file);
            res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
            res.end(body);
        } catch {
            res.writeHead(404).end("not found");
        }
    });
    await new Promise((done, fail) => {
        server.once("error", fail);
        server.listen(port, "127.0.0.1", done);
    });
    return { url: `http://127.0.0.1:${server.address().port}${prefix}`, close: () => server.close() };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
    const [root = "dist", port = "8080", prefix = "/"] = process.argv.slice(2);
    try {
        const { url } = await serveDist(resolve(root), Number(port), prefix.endsWith("/") ? prefix : `${prefix}/`);
        console.log(`serving Credit Lab (${root}/) at ${url} — Ctrl-C stops it`);
    } catch (err) {
        console.error(`cannot serve on 127.0.0.1:${port}: ${err.message}`);
        process.exit(1);
    }
}
