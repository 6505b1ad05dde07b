// The backend: the page starts the CPU-only worker (measured faster for the lab's policies) and
// says so; the WebGPU worker, several times larger, is fetched only when the user asks for it.
// This file's Chromium has WebGPU's software adapter, so asking for WebGPU must get it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useLab, openLab, newPage, waitForUpdate } from "./helpers.mjs";

useLab(["--enable-unsafe-webgpu"]);

test("the CPU worker trains by default and says why; WebGPU is fetched only on request, and trains", async () => {
    const page = await newPage();
    const fetched = [];
    page.on("request", (r) => fetched.push(new URL(r.url()).pathname));
    const { errors } = await openLab("", page);
    const badge = page.getByTestId("backend");
    assert.equal(await badge.textContent(), "CPU — faster than WebGPU for these small policies");
    assert.match(await badge.getAttribute("title"), /measured: WebGPU .* slower/);
    assert.ok(fetched.some((p) => p.endsWith("/creditlab-worker_bg.wasm")), fetched.join(" "));
    assert.ok(!fetched.some((p) => p.includes("gpu-worker")), `the WebGPU worker was fetched at start: ${fetched.join(" ")}`);
    await page.getByTestId("step").click({ timeout: 60_000 });
    await waitForUpdate(page, 1, 60_000);

    // Asking for WebGPU fetches its worker, restarts the experiment on it, and it trains.
    await page.getByTestId("backend-switch").click();
    await page.waitForFunction(() => document.querySelector("[data-testid=backend]").textContent === "WebGPU", null, { timeout: 60_000 });
    assert.ok(fetched.some((p) => p.endsWith("/creditlab-gpu-worker_bg.wasm")), fetched.join(" "));
    await waitForUpdate(page, 0, 10_000);
    await page.getByTestId("step").click({ timeout: 60_000 });
    await waitForUpdate(page, 1, 60_000);
    assert.equal(await page.getByTestId("backend-switch").textContent(), "use the CPU");

    // And back: the CPU worker again, with its reason.
    await page.getByTestId("backend-switch").click();
    await page.waitForFunction(() => document.querySelector("[data-testid=backend]").textContent.startsWith("CPU — faster"), null, { timeout: 60_000 });
    await page.getByTestId("step").click({ timeout: 60_000 });
    await waitForUpdate(page, 1, 60_000);
    assert.deepEqual(errors, []);
    await page.close();
});
