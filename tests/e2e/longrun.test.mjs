// Long runs: memory over 10,000 updates, measured in the browser (page JS heap after a forced
// garbage collection, plus the page's and the worker's wasm linear memory). Opt-in
// (CREDITLAB_LONG_RUN=1): the figures go to the issue notes / BENCHMARKS.md.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useLab, openLab } from "./helpers.mjs";

useLab();

async function memory(page, cdp) {
    await cdp.send("HeapProfiler.collectGarbage");
    const { usedSize } = await cdp.send("Runtime.getHeapUsage");
    const pageWasm = await page.evaluate(() => window.wasmBindings.wasm_memory_bytes());
    const [worker] = page.workers();
    const workerWasm = worker ? await worker.evaluate(() => wasm_bindgen.wasm_memory_bytes()) : 0;
    return { jsHeap: usedSize, pageWasm, workerWasm, total: usedSize + pageWasm + workerWasm };
}

/** Trains at full speed and pauses (from inside the page, in the same frame) at update `n`. */
async function trainTo(page, n) {
    await page.getByTestId("start").click({ timeout: 60_000 });
    const at = await page.evaluate((n) => new Promise((done) => {
        const tick = () => {
            const m = /update (\d+) of/.exec(document.querySelector("[data-testid=progress]").textContent);
            if (m && Number(m[1]) >= n) {
                document.querySelector("[data-testid=pause]").click();
                done(Number(m[1]));
            } else requestAnimationFrame(tick);
        };
        tick();
    }), n);
    await page.waitForFunction(() => !document.querySelector("[data-testid=start]").disabled, null, { timeout: 60_000 });
    return at;
}

test("memory stays flat from update 1,000 to 10,000", { skip: process.env.CREDITLAB_LONG_RUN !== "1" }, async () => {
    const { page, errors } = await openLab("?updates=1000000&seeds=1&hide=predict,step-through");
    const cdp = await page.context().newCDPSession(page);
    await page.getByTestId("pace").selectOption({ label: "full speed" });
    const first = await trainTo(page, 1000);
    const at1k = await memory(page, cdp);
    const second = await trainTo(page, 10000);
    const at10k = await memory(page, cdp);
    const growth = (at10k.total - at1k.total) / at1k.total;
    console.log(JSON.stringify({ first, at1k, second, at10k, growth }));
    assert.ok(growth < 0.05, `memory grew ${(growth * 100).toFixed(1)} % between update ${first} and ${second}`);
    assert.deepEqual(errors, []);
    await page.close();
});
