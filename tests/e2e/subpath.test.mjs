// End-to-end: the release page served from a sub-path, as a course site or a project page serves
// it. Every asset, the CPU worker and the WebGPU worker's files, and the lessons' links work there.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { dirname, join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { serveDist } from "./serve.mjs";
import { waitForBackend, waitForUpdate } from "./helpers.mjs";

const dist = resolve(join(dirname(fileURLToPath(import.meta.url)), "..", "..", "dist"));
const PREFIX = "/credit-lab/";
let server;
let browser;

before(async () => {
    server = await serveDist(dist, 0, PREFIX);
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-dev-shm-usage"] });
});
after(async () => {
    await browser?.close();
    server?.close();
});

test("under a sub-path: every request stays under it, the lab trains, a lesson link keeps the path, About names the build", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = [];
    const outside = [];
    page.on("pageerror", (err) => errors.push(err.message));
    page.on("requestfinished", (req) => { if (!new URL(req.url()).pathname.startsWith(PREFIX)) outside.push(req.url()); });
    page.on("response", (res) => { if (res.status() >= 400) errors.push(`${res.status()} ${res.url()}`); });
    await page.goto(server.url + "?updates=5");
    await waitForBackend(page);
    await page.getByTestId("pace").selectOption({ label: "full speed" });
    await page.getByTestId("start").click({ timeout: 60_000 });
    await waitForUpdate(page, 5);
    // The WebGPU worker's loader and glue are there too (fetched only on request in the page).
    for (const file of ["creditlab-gpu-worker_loader.js", "creditlab-gpu-worker.js", "creditlab-gpu-worker_bg.wasm"]) {
        const res = await page.request.get(server.url + file);
        assert.equal(res.status(), 200, file);
    }
    // A lesson chosen in the About list keeps the sub-path in the address a teacher copies.
    await page.getByTestId("about").locator("summary").click();
    assert.match(await page.getByTestId("about-version").textContent(), /build [0-9a-f]{12}|build unknown/);
    await page.getByTestId("about").getByRole("link", { name: /reward scales/ }).click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get("lesson") === "scales");
    assert.ok(new URL(page.url()).pathname.startsWith(PREFIX), page.url());
    await waitForBackend(page);
    assert.match(await page.getByTestId("lesson-step").textContent(), /step 1 of/);
    assert.deepEqual(outside, [], "no request leaves the sub-path");
    assert.deepEqual(errors, []);
    await page.close();
});
