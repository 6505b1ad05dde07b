// The update step as shipped, against the in-browser peers, in one headless Chromium (run by
// .ci/bench, not a test):
//   1. the lab: the training worker the page ships (dist/creditlab-worker_bg.wasm, as trunk built
//      it) is started as the page starts it and sent `Bench` (app/src/worker/protocol.rs): it
//      times its own update step (Trainer::last_update_ms, the same cases as
//      `creditlab bench --update-step`) and describes each case's update — parameters, rows,
//      the loss the lab computes there (Trainer::update_probe);
//   2. the peers (index.html, peers.js: TensorFlow.js and jax-js), in the same browser, start from
//      exactly those parameters and rows; each must compute the lab's loss on its first step.
// Prints one JSON line per figure: {"kind":"lab", rows, mean_ms, median_ms, …} and
// {"kind":"peer", peer, backend, rows, mean_ms, ms, loss_ok, …}. Exit status 1 when the lab's
// worker fails or a peer that ran computes another loss (an unavailable backend is reported, not
// a failure).
// Usage: node tests/peers/bench.mjs [dist]   Env: BENCH_ROWS (default 8,64,256,1024),
//        BENCH_STEPS (timed updates, default 200), BENCH_PEERS=0 (the lab only), CHROMIUM.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { serveDist } from "../e2e/serve.mjs";
import { launchChromium } from "./browser.mjs";

const here = dirname(fileURLToPath(import.meta.url));

const dist = resolve(process.argv[2] ?? "dist");
const rows = (process.env.BENCH_ROWS ?? "8,64,256,1024").split(",").map(Number);
const updates = Number(process.env.BENCH_STEPS ?? 200);

// The lab's probe (a Trainer::update_probe) in the peers' shape (reference.js).
function peerProbe(probe) {
    const { rows: r } = probe;
    const { models, rows: b } = r;
    const actions = probe.actions;
    const chosen = [];
    for (let i = 0; i < models * b; i++) chosen.push(r.chosen.slice(i * actions, (i + 1) * actions).indexOf(1));
    return {
        rows: b, models, input: probe.input, hidden: probe.hidden, actions,
        w1: probe.w1, b1: probe.b1, w2: probe.w2, b2: probe.b2,
        x: r.x, chosen, legal: r.legal, advantage: r.advantage, weight: r.weight,
        lr: probe.learning_rates, loss: probe.loss,
    };
}

// In a page of the lab's origin: starts the shipped worker through its loader, as the page does
// (gloo-worker's messages, JSON text: WorkerLoaded, Connected, ProcessInput / ProcessOutput),
// asks for the benchmark and returns its answer.
const ASK_WORKER = ({ rows, updates, rounds }) => new Promise((done, fail) => {
    const worker = new Worker(`creditlab-worker_loader.js?v=bench`);
    worker.onerror = (e) => fail(new Error(`worker: ${e.message}`));
    worker.onmessage = ({ data }) => {
        const message = JSON.parse(data);
        if (message === "WorkerLoaded") {
            worker.postMessage(JSON.stringify({ Connected: 0 }));
            worker.postMessage(JSON.stringify({ ProcessInput: [0, { Bench: { rows, updates } }] }));
        } else if (message.ProcessOutput) {
            const out = message.ProcessOutput[1];
            if (out.Bench && --rounds > 0 && !out.Bench.error) {
                worker.postMessage(JSON.stringify({ ProcessInput: [0, { Bench: { rows, updates } }] }));
            } else if (out.Bench) {
                worker.terminate();
                done(out.Bench);
            } else if (out.Crashed) fail(new Error(`worker crashed: ${out.Crashed.message}`));
        }
    };
});

const lab = await serveDist(dist);
const peers = await serveDist(resolve(here));
const browser = await launchChromium();
let failed = false;
try {
    const page = await browser.newPage();
    page.on("console", (m) => { if (m.type() === "error") console.error(`console: ${m.text()}`); });
    // Any file of dist/ gives a page of the lab's origin without starting the lab itself (and
    // without an icon: the browser's request for /favicon.ico is answered empty).
    await page.route("**/favicon.ico", (route) => route.fulfill({ status: 204 }));
    await page.goto(`${lab.url}creditlab-worker_loader.js`);
    // V8 first runs wasm from its baseline compiler and tiers hot functions up in the background:
    // a first round warms every case up, the second is timed (a user's first seconds are the
    // first round's; the start-up figures are the page benchmark's).
    const answer = await page.evaluate(ASK_WORKER, { rows, updates, rounds: 2 });
    if (answer.error) {
        console.error(`the lab's worker: ${answer.error}`);
        failed = true;
    }
    for (const step of answer.steps) {
        console.log(JSON.stringify({ kind: "lab", rows: step.rows, models: step.models, updates: step.updates,
            mean_ms: step.mean_ms, median_ms: step.lab_ms }));
    }
    if (process.env.BENCH_PEERS === "0") process.exit(failed ? 1 : 0);
    await page.goto(peers.url);
    await page.waitForFunction(() => window.peersReady === true, null, { timeout: 60_000 });
    const probes = answer.probes.map(peerProbe);
    const results = await page.evaluate(
        ({ probes, updates }) => window.runPeers(probes, { updates, warmup: 10 }),
        { probes, updates },
    );
    for (const result of results) {
        console.log(JSON.stringify({ kind: "peer", ...result, norms: undefined }));
        if (!result.error && !result.loss_ok) {
            console.error(`${result.peer}/${result.backend} at ${result.rows} rows: loss ${result.loss}, the lab's ${result.lab_loss}`);
            failed = true;
        }
    }
} finally {
    await browser.close();
    lab.close();
    peers.close();
}
process.exit(failed ? 1 : 0);
