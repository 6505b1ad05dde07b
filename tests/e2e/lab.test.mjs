// End-to-end: the release page built by trunk (dist/), in Debian's Chromium, driven by playwright-core.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useLab, drawnPixels, updateOf, newPage, openLab, waitForUpdate, setField, watchTraining, watched } from "./helpers.mjs";

useLab();

const CHARTS = ["chart-reward", "chart-gradnorm", "chart-policy", "chart-advantages", "chart-credit"];

test("the bandit trains in the worker: start, pause, step, full speed; updates in order, the page keeps painting, charts drawn", async () => {
    // 600 updates: at full speed the default 200 were done in ~0.2 s, too few frames to tell
    // whether the page paints while the worker trains (a loaded CI machine saw 1 of 8 intervals).
    const { page, errors } = await openLab("?updates=600");
    assert.match(await page.getByTestId("backend").textContent(), /^(WebGPU|CPU — .+)$/);
    const progress = page.getByTestId("progress");
    assert.equal(updateOf(await progress.textContent()), 0);
    assert.equal(await page.getByTestId("game").inputValue(), "bandit");

    // Watchable pace: Pause stops the run mid-way, Step does exactly one update.
    await page.getByTestId("pace").selectOption({ label: "up to 5 updates/s" });
    await page.getByTestId("start").click({ timeout: 60_000 });
    await page.waitForFunction(() => /update ([3-9]|\d\d+) of.* updates\/s/.test(document.querySelector("[data-testid=progress]").textContent),
        null, { timeout: 120_000 });
    // The rate read-out is measured over the paced loop: never above the pace (a loaded machine
    // can only make it lower).
    const rate = Number(/([\d.]+) updates\/s/.exec(await progress.textContent())[1]);
    assert.ok(rate > 0 && rate <= 6, `read-out ${rate} updates/s at a pace of 5/s`);
    await page.getByTestId("pause").click();
    await page.waitForFunction(() => document.querySelector("[data-testid=pause]").disabled, null, { timeout: 10_000 });
    await page.waitForTimeout(500);
    const paused = updateOf(await progress.textContent());
    assert.ok(paused >= 3 && paused < 200, `paused at ${paused}`);
    await page.waitForTimeout(800);
    assert.equal(updateOf(await progress.textContent()), paused, "no updates while paused");
    await page.getByTestId("step").click();
    await waitForUpdate(page, paused + 1, 30_000);

    // Full speed to the end: the read-out only ever moves forward and reaches the last update,
    // and the page goes on painting while the worker trains (how long its tasks take is the
    // benchmark's business, measured against its budget in BENCHMARKS.md).
    await watchTraining(page);
    await page.getByTestId("pace").selectOption({ label: "full speed" });
    await page.getByTestId("start").click();
    await waitForUpdate(page, 600);
    await page.waitForTimeout(600);
    const { updates, frames } = await watched(page);
    assert.equal(updates.at(-1), 600, `the read-out ended at ${updates.at(-1)}`);
    for (let i = 1; i < updates.length; i++) assert.ok(updates[i] > updates[i - 1], `update ${updates[i]} shown after ${updates[i - 1]}`);
    // Shown as it trained, not all at the end; and frames were painted while the numbers moved.
    assert.ok(updates.length >= 4, `the read-out moved while training: ${updates.join(", ")}`);
    const between = frames.filter((f, i) => i > 0 && f > frames[i - 1]).length;
    assert.ok(between >= 2, `frames painted between read-out changes in only ${between} of ${updates.length - 1} intervals`);

    for (const id of CHARTS) {
        const drawn = await drawnPixels(page, id);
        assert.equal(drawn.length, 3, `${id}: one canvas per estimator`);
        for (const n of drawn) assert.ok(n > 3000, `${id}: only ${n} pixels drawn`);
    }
    const norms = await page.getByTestId("agent-gradnorm").allTextContents();
    assert.equal(norms.length, 9);
    for (const n of norms) assert.ok(Number(n) >= 0, `gradient norm ${n}`);
    // The ledger shows the last batch; a click highlights the rows that share the key.
    const rows = page.locator("[data-testid=ledger] tbody tr");
    assert.ok(await rows.count() > 10);
    await rows.nth(2).click();
    const key = await rows.nth(2).getAttribute("data-key");
    const shared = await page.locator("[data-testid=ledger] tbody tr.shared").count();
    const sameKey = await page.locator(`[data-testid=ledger] tbody tr[data-key="${key}"]`).count();
    assert.ok(shared >= 1 && shared === sameKey, `${shared} highlighted, ${sameKey} share ${key}`);
    // The pager: 96 samples are two pages; "▶" moves to the last one and is then disabled.
    assert.equal(await page.getByTestId("ledger-next").textContent(), "▶");
    assert.match(await page.getByTestId("ledger-page").textContent(), /page 1 of 2/);
    await page.getByTestId("ledger-next").click();
    assert.match(await page.getByTestId("ledger-page").textContent(), /page 2 of 2/);
    assert.ok(await page.getByTestId("ledger-next").isDisabled());
    await page.getByTestId("ledger-prev").click();
    // The same-batch view: every estimator on one frozen batch.
    await page.getByTestId("freeze").click();
    await page.waitForSelector("[data-testid=chart-same-batch]", { timeout: 30_000 });
    await page.waitForTimeout(300);
    const same = await drawnPixels(page, "chart-same-batch");
    assert.equal(same.length, 3);
    for (const n of same) assert.ok(n > 2000, `same-batch chart: only ${n} pixels`);
    if (process.env.E2E_SCREENSHOT) await page.screenshot({ path: process.env.E2E_SCREENSHOT, fullPage: true });
    assert.deepEqual(errors, [], "no uncaught errors in the page or the worker");
    await page.close();
});

for (const game of ["matrix", "pipeline", "kuhn", "tic-tac-toe", "foraging", "tiny-hanabi"]) {
    test(`${game}: a short run trains and draws every chart`, async () => {
        const { page, errors } = await openLab();
        await page.getByTestId("game").selectOption(game);
        await setField(page, "updates", 8);
        await page.waitForFunction(() => /update 0 of 8$/.test(document.querySelector("[data-testid=progress]").textContent),
            null, { timeout: 60_000 });
        await page.getByTestId("pace").selectOption({ label: "full speed" });
        await page.getByTestId("start").click({ timeout: 60_000 });
        await waitForUpdate(page, 8);
        await page.waitForTimeout(800);
        const columns = (await drawnPixels(page, "chart-reward")).length;
        assert.ok(columns >= 2, `${columns} estimator columns`);
        const figure = game === "kuhn" ? "chart-nashconv" : "chart-figure";
        for (const id of [...CHARTS, figure]) {
            const drawn = await drawnPixels(page, id);
            assert.equal(drawn.length, columns, `${id}: one per column`);
            for (const n of drawn) assert.ok(n > 2000, `${game} ${id}: only ${n} pixels drawn`);
        }
        assert.ok(await page.locator("[data-testid=ledger] tbody tr[data-key]").count() > 0, "ledger rows");
        if (process.env.E2E_SCREENSHOTS) await page.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/${game}.png` });
        assert.deepEqual(errors, []);
        await page.close();
    });
}

test("switching estimators changes the columns and the new set trains", async () => {
    const { page, errors } = await openLab();
    assert.equal((await drawnPixels(page, "chart-reward")).length, 3);
    await page.getByTestId("estimator-global-step").uncheck();
    await page.getByTestId("estimator-rloo").check();
    await page.getByTestId("estimator-mars").check();
    await page.waitForFunction(() => document.querySelectorAll("[data-testid=chart-reward]").length === 4, null, { timeout: 10_000 });
    const titles = await page.locator("section.column h2").allTextContents();
    assert.ok(titles.some((t) => t.includes("RLOO")) && !titles.some((t) => t.includes("step level")), titles.join(" | "));
    await page.getByTestId("step").click({ timeout: 60_000 });
    await waitForUpdate(page, 1, 60_000);
    const norms = await page.getByTestId("agent-gradnorm").allTextContents();
    assert.equal(norms.length, 12);
    assert.deepEqual(errors, []);
    await page.close();
});

test("bad values are refused at the control; Reset restarts from update 0", async () => {
    const { page, errors } = await openLab();
    await setField(page, "learning_rate", "-3");
    assert.match(await page.getByTestId("error-learning_rate").textContent(), /learning_rate/);
    await setField(page, "learning_rate", "0.003");
    assert.equal(await page.getByTestId("error-learning_rate").textContent(), "");
    await page.getByTestId("step").click({ timeout: 60_000 });
    await waitForUpdate(page, 1, 30_000);
    await page.getByTestId("reset").click();
    await waitForUpdate(page, 0, 30_000);
    await page.getByTestId("step").click({ timeout: 60_000 });
    await waitForUpdate(page, 1, 30_000);
    assert.deepEqual(errors, []);
    await page.close();
});

test("a load logs no warning or error in the page or the worker; Tab reaches Start through the skip link", async () => {
    const page = await newPage();
    const logged = [];
    const keep = (where) => (m) => { if (m.type() === "warning" || m.type() === "error") logged.push(`${where}: ${m.text()}`); };
    page.on("console", keep("page"));
    page.on("worker", (worker) => worker.on("console", keep("worker")));
    const { errors } = await openLab("?updates=3", page);
    // Keyboard, before any click: the first Tab stop skips the builder; Start is the next one.
    await page.waitForFunction(() => !document.querySelector("[data-testid=start]").disabled, null, { timeout: 60_000 });
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), "skip-link");
    await page.keyboard.press("Enter");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), "start");
    await page.getByTestId("step").click({ timeout: 60_000 });
    await waitForUpdate(page, 1, 60_000);
    await page.waitForTimeout(500);
    assert.deepEqual(logged, [], "console messages");
    assert.deepEqual(errors, []);
    await page.close();
});

test("theory check: the switch turns it on, each update adds points, the scatter and the medians are drawn", async () => {
    const { page, errors } = await openLab("?estimators=global-step,agent-wise&updates=6");
    await page.getByTestId("theory").scrollIntoViewIfNeeded();
    await page.getByTestId("theory-on").click({ timeout: 60_000 });
    assert.match(page.url(), /theory_check=true/, "the switch writes the config field into the address");
    await page.getByTestId("pace").selectOption({ label: "full speed" });
    await page.getByTestId("start").click({ timeout: 60_000 });
    await waitForUpdate(page, 6);
    await page.waitForSelector("[data-testid=chart-theory]", { timeout: 30_000 });
    await page.waitForTimeout(800);
    const [pixels] = await drawnPixels(page, "chart-theory");
    assert.ok(pixels > 3000, `theory scatter: only ${pixels} pixels`);
    const medians = await page.getByTestId("theory-medians").locator("li").allTextContents();
    assert.equal(medians.length, 3, "one line per agent");
    for (const line of medians) assert.match(line, /predicted [\d.]+ · second moments [\d.]+ · batch gradients [\d.]+/);
    if (process.env.E2E_SCREENSHOT_THEORY) await page.screenshot({ path: process.env.E2E_SCREENSHOT_THEORY, fullPage: true });
    assert.deepEqual(errors, [], "no uncaught errors in the page or the worker");
    await page.close();
});

test("the estimator picker names the reference code's variants and writes them into the address", async () => {
    const { page, errors } = await openLab("?game=kuhn&estimators=grpo-global,rloo,mars,gigpo");
    const texts = async (id) => page.getByTestId(id).locator("option").allTextContents();
    assert.deepEqual(await texts("variant-gigpo"), ["global keys", "agent-wise, as Dr. MAS's code", "agent-wise, each agent's own steps"]);
    assert.ok((await texts("variant-rloo")).includes("first sample per trajectory (DrMAS code)"));
    assert.ok((await texts("variant-mars")).includes("over the padded tensor (MARS code)"));
    await page.getByTestId("variant-gigpo").selectOption("own-steps");
    await page.waitForFunction(() => /gigpo_own_steps=true/.test(location.search));
    assert.match(page.url(), /gigpo_agent_wise=true/);
    await page.getByTestId("variant-rloo").selectOption("first-sample");
    await page.waitForFunction(() => /rloo_first_sample=true/.test(location.search));
    await page.getByTestId("variant-mars").selectOption("padded");
    await page.waitForFunction(() => /mars_padded_unique=true/.test(location.search));
    // The picker shows a variant only while its estimator is compared.
    await page.getByTestId("estimator-mars").uncheck();
    assert.equal(await page.getByTestId("variant-mars").count(), 0);
    assert.deepEqual(errors, []);
    await page.close();
});
