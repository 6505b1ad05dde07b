// Runs the update-step peers (index.html + peers.js: TensorFlow.js and jax-js) in headless
// Chromium and prints one JSON line per peer × backend × batch size.
//
// Usage: node tests/peers/run.mjs [probes.jsonl]
//   probes.jsonl  one probe per line (the lab's probes: rows, models, input, hidden, actions,
//                 w1, b1, w2, b2, x, chosen, legal, advantage, weight, lr, loss). Without it,
//                 synthetic probes for B = 8, 64, 256, 1024 (M 3, O 1, H 32, A 4, seeded; their
//                 `loss` is the float64 reference, reference.js).
// Env: PEER_UPDATES (timed steps, default 50), PEER_WARMUP (default 5), PEER_ONLY (comma list,
//      e.g. "tfjs/wasm,jax-js"), PEER_ROWS (the synthetic probes' batch sizes, default
//      "8,64,256,1024"), CHROMIUM (default /usr/bin/chromium).
// Exit status 1 when a peer that ran reports loss_ok false (an unavailable backend is not a failure).
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { serveDist } from "../e2e/serve.mjs";
import { launchChromium } from "./browser.mjs";
import { syntheticProbe } from "./reference.js";

const here = dirname(fileURLToPath(import.meta.url));

const updates = Number(process.env.PEER_UPDATES ?? 50);
const warmup = Number(process.env.PEER_WARMUP ?? 5);
const only = process.env.PEER_ONLY ? process.env.PEER_ONLY.split(",").map((s) => s.trim()).filter(Boolean) : null;

const probes = process.argv[2]
    ? (await readFile(process.argv[2], "utf8")).split("\n").filter((line) => line.trim()).map((line) => JSON.parse(line))
    : (process.env.PEER_ROWS ?? "8,64,256,1024").split(",").map((rows) => syntheticProbe(Number(rows)));

const server = await serveDist(resolve(here));
const browser = await launchChromium();
let failed = false;
try {
    const page = await browser.newPage();
    page.on("pageerror", (err) => console.error(`page error: ${err.message}`));
    page.on("console", (m) => { if (m.type() === "error") console.error(`console: ${m.text()}`); });
    await page.goto(server.url);
    await page.waitForFunction(() => window.peersReady === true, null, { timeout: 60_000 });
    const results = await page.evaluate(
        ({ probes, updates, warmup, only }) => window.runPeers(probes, { updates, warmup, only }),
        { probes, updates, warmup, only },
    );
    for (const result of results) {
        console.log(JSON.stringify(result));
        if (!result.error && !result.loss_ok) failed = true;
    }
} finally {
    await browser.close();
    server.close();
}
process.exit(failed ? 1 : 0);
