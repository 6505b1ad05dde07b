// End-to-end: the release page built by trunk (dist/), in Debian's Chromium, driven by playwright-core.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { dirname, join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { serveDist } from "./serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(join(here, "..", "..", "dist"));
let server;
let browser;

before(async () => {
    server = await serveDist(dist);
    browser = await chromium.launch({
        executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
        args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
});

after(async () => {
    await browser?.close();
    server?.close();
});

/** Number of pixels of each chart canvas that differ from its top-left (background) pixel. */
function drawnPixels(page, testId) {
    return page.$$eval(`[data-testid=${testId}]`, (canvases) => canvases.map((canvas) => {
        const ctx = canvas.getContext("2d");
        const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
        let drawn = 0;
        for (let i = 0; i < data.length; i += 4) {
            if (data[i] !== data[0] || data[i + 1] !== data[1] || data[i + 2] !== data[2] || data[i + 3] !== data[3]) drawn++;
        }
        return drawn;
    }));
}

const updateOf = (text) => Number(/update (\d+) of/.exec(text)?.[1] ?? NaN);

test("the page trains when Start is clicked, draws its charts and updates its numbers", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = [];
    page.on("pageerror", (err) => errors.push(err.message));
    await page.goto(server.url);

    const badge = page.getByTestId("backend");
    await assert.doesNotReject(page.waitForFunction(
        () => !document.querySelector("[data-testid=backend]")?.textContent.includes("choosing"), null, { timeout: 60_000 }));
    const badgeText = await badge.textContent();
    assert.match(badgeText, /^(WebGPU|CPU — .+)$/);

    const progress = page.getByTestId("progress");
    assert.equal(updateOf(await progress.textContent()), 0);
    const teamBefore = await page.getByTestId("team-reward").allTextContents();

    // Watchable pace first: Pause must stop the run mid-way, Step must do exactly one update.
    await page.getByTestId("pace").selectOption({ label: "up to 5 updates/s" });
    await page.getByTestId("start").click({ timeout: 60_000 });
    await page.waitForFunction(() => {
        const m = /update (\d+) of/.exec(document.querySelector("[data-testid=progress]").textContent);
        return m && Number(m[1]) >= 3;
    }, null, { timeout: 120_000 });
    await page.getByTestId("pause").click();
    await page.waitForTimeout(400);
    const paused = updateOf(await progress.textContent());
    assert.ok(paused >= 3 && paused < 200, `paused at ${paused}`);
    await page.waitForTimeout(800);
    assert.equal(updateOf(await progress.textContent()), paused, "no updates while paused");
    await page.getByTestId("step").click();
    await page.waitForFunction((n) => {
        const m = /update (\d+) of/.exec(document.querySelector("[data-testid=progress]").textContent);
        return m && Number(m[1]) === n + 1;
    }, paused, { timeout: 30_000 });

    // Then full speed to the end, recording the longest main-thread task (reported, not asserted:
    // timing budgets live in the benchmarks).
    await page.evaluate(() => {
        window.__longest = 0;
        new PerformanceObserver((list) => {
            for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration);
        }).observe({ type: "longtask", buffered: false });
    });
    await page.getByTestId("pace").selectOption({ label: "full speed" });
    await page.getByTestId("start").click();
    await page.waitForFunction(() => /update 200 of 200/.test(document.querySelector("[data-testid=progress]").textContent),
        null, { timeout: 300_000 });

    // Every run's charts are drawn.
    for (const id of ["chart-reward", "chart-gradnorm"]) {
        const drawn = await drawnPixels(page, id);
        assert.equal(drawn.length, 3, `${id}: one canvas per run`);
        for (const n of drawn) assert.ok(n > 3000, `${id}: only ${n} pixels drawn`);
    }
    // The numbers on the page changed.
    const teamAfter = await page.getByTestId("team-reward").allTextContents();
    assert.notDeepEqual(teamAfter, teamBefore);
    for (const t of teamAfter) assert.ok(Number.isFinite(Number(t)), `team reward ${t}`);
    const norms = await page.getByTestId("agent-gradnorm").allTextContents();
    assert.equal(norms.length, 9);
    for (const n of norms) assert.ok(Number(n) >= 0, `gradient norm ${n}`);

    const longest = await page.evaluate(() => window.__longest);
    console.log(`main-thread tasks over 50 ms during the full-speed run: ${longest ? `longest ${longest} ms` : "none"}`);
    if (process.env.E2E_SCREENSHOT) {
        await page.screenshot({ path: process.env.E2E_SCREENSHOT, fullPage: true });
    }
    assert.deepEqual(errors, [], "no uncaught errors in the page");
    await page.close();
});

test("Reset clears the run and a new run starts from update 0", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(server.url);
    await page.getByTestId("step").click({ timeout: 60_000 });
    await page.waitForFunction(() => /update 1 of/.test(document.querySelector("[data-testid=progress]").textContent),
        null, { timeout: 30_000 });
    await page.getByTestId("reset").click();
    await page.waitForFunction(() => /update 0 of/.test(document.querySelector("[data-testid=progress]").textContent),
        null, { timeout: 30_000 });
    await page.getByTestId("step").click({ timeout: 60_000 });
    await page.waitForFunction(() => /update 1 of/.test(document.querySelector("[data-testid=progress]").textContent),
        null, { timeout: 30_000 });
    await page.close();
});
