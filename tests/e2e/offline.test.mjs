// End-to-end: after the first visit the page works offline (public/sw.js): the browser context
// goes offline, the page reloads from the cache, a lesson trains and a run is exported.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { useLab, newPage, openLab, waitForBackend, waitForUpdate } from "./helpers.mjs";

useLab();

test("offline after the first visit: reload, train a lesson, export the run", async () => {
    const { page, errors } = await openLab();
    // The service worker of this build has saved every file.
    await page.waitForFunction(() => /Offline use: ready/.test(document.querySelector("[data-testid=offline-status]")?.textContent ?? ""),
        null, { timeout: 60_000 });
    const cached = await page.evaluate(async () => {
        const names = await caches.keys();
        const cache = await caches.open(names.find((n) => n.startsWith("creditlab-")));
        return (await cache.keys()).map((r) => new URL(r.url).pathname.split("/").pop());
    });
    for (const file of ["creditlab-worker_bg.wasm", "creditlab-worker.js", "creditlab-worker_loader.js"]) {
        assert.ok(cached.includes(file), `${file} cached: ${cached.join(" ")}`);
    }
    assert.ok(cached.some((f) => /^creditlab-app-.*_bg\.wasm$/.test(f)), cached.join(" "));
    assert.ok(!cached.some((f) => f.includes("gpu-worker_bg")), "the WebGPU worker is cached only once fetched");

    await page.context().setOffline(true);
    await page.goto(page.url().split("?")[0] + "?lesson=scales");
    await waitForBackend(page);
    assert.match(await page.getByTestId("lesson-step").textContent(), /step 1 of/);
    await page.getByTestId("pace").selectOption({ label: "full speed" });
    await page.getByTestId("start").click({ timeout: 60_000 });
    await waitForUpdate(page, 150);
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-json").click()]);
    const record = JSON.parse(await readFile(await download.path(), "utf8"));
    assert.equal(record.reports.length, 150);
    await page.context().setOffline(false);
    assert.deepEqual(errors, []);
    await page.close();
});

test("a newer build on the server is announced with a reload button", async () => {
    // Playwright cannot route requests that a service worker sees: this test checks the page's
    // notice, so the context runs without one.
    const { page, errors } = await openLab("", await newPage({ serviceWorkers: "block" }));
    const own = await page.evaluate(() => document.querySelector('link[rel="modulepreload"][href*="creditlab-app-"]').getAttribute("href"));
    // From now on the server's page names another module: a new version was deployed.
    const index = page.url().split("?")[0];
    await page.route((url) => url.href === index, async (route) => {
        const response = await route.fetch();
        const body = (await response.text()).replaceAll(own, "./creditlab-app-0123456789abcdef.js");
        await route.fulfill({ response, body });
    });
    assert.equal(await page.getByTestId("new-version").count(), 0);
    await page.evaluate(() => window.dispatchEvent(new Event("online")));
    await page.getByTestId("new-version").waitFor({ timeout: 10_000 });
    assert.match(await page.getByTestId("new-version").textContent(), /A new version of Credit Lab is available/);
    assert.deepEqual(errors, []);
    await page.close();
});
