// End-to-end reliability: what happens to a run when its tab is hidden or frozen.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { useLab, openLab, updateOf, waitForUpdate } from "./helpers.mjs";

useLab();

test("a run in a frozen background tab continues without lost or duplicated updates", async () => {
    const { page, errors } = await openLab("?updates=120&seeds=5,6&hide=predict,step-through");
    await page.getByTestId("pace").selectOption({ label: "up to 30 updates/s" });
    await page.getByTestId("start").click({ timeout: 60_000 });
    await page.waitForFunction(() => /update ([5-9]|\d\d+) of/.test(document.querySelector("[data-testid=progress]").textContent));
    // Hide the tab and freeze its page (as a browser does with background tabs); the worker is
    // not frozen, its messages wait for the page.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Emulation.setFocusEmulationEnabled", { enabled: false });
    await cdp.send("Page.setWebLifecycleState", { state: "frozen" });
    await new Promise((r) => setTimeout(r, 2000));
    await cdp.send("Page.setWebLifecycleState", { state: "active" });
    const after = updateOf(await page.getByTestId("progress").textContent());
    assert.ok(after >= 5 && after <= 120, `update ${after} after thawing`);
    await waitForUpdate(page, 120, 120_000);
    // Every update arrived exactly once and in order: the exported record is 1..=120.
    const [file] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-json").click()]);
    const record = JSON.parse(await readFile(await file.path(), "utf8"));
    assert.deepEqual(record.reports.map((r) => r.update), Array.from({ length: 120 }, (_, i) => i + 1));
    for (const report of record.reports) assert.equal(report.runs.length, 3 * 2, "every run in every report");
    assert.deepEqual(errors, []);
    await page.close();
});

async function exportRecord(page) {
    const [file] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-json").click()]);
    return JSON.parse(await readFile(await file.path(), "utf8"));
}

test("a diverging run is stopped and named, the others train on, and it can be rolled back", async () => {
    // Agent 2's rewards on a scale of 4e19: difference rewards' gradient norm leaves f32 on
    // some seeds (core/tests/divergence.rs), agent-wise GRPO's never does.
    const { page, errors } = await openLab(
        "?game=bandit&game.agents.2.scale=4e19&estimators=agent-wise,difference&seeds=1,2,3,4&updates=40&hide=predict,step-through");
    await page.getByTestId("pace").selectOption({ label: "up to 5 updates/s" });
    await page.getByTestId("start").click({ timeout: 60_000 });
    const item = page.locator("[data-testid^=diverged-]").first();
    await item.waitFor({ timeout: 60_000 });
    const text = await item.textContent();
    assert.match(text, /Difference rewards · seed \d+ diverged at update \d+: agent 2's gradient norm is/);
    assert.match(text, /It stopped at update \d+, its last finite state/);
    const run = Number((await item.getAttribute("data-testid")).replace("diverged-", ""));
    assert.ok(run >= 4, `only difference-reward runs (4..7) diverge, not run ${run}`);
    const firstBad = Number(/diverged at update (\d+)/.exec(text)[1]);
    // Roll it back at a tenth of the learning rate, mid-run.
    await page.getByTestId(`roll-back-${run}-0`).click();
    await page.getByTestId("pace").selectOption({ label: "full speed" });
    await waitForUpdate(page, 40, 120_000);
    const record = await exportRecord(page);
    assert.deepEqual(record.reports.map((r) => r.update), Array.from({ length: 40 }, (_, i) => i + 1));
    for (const report of record.reports) {
        for (const r of report.runs.slice(0, 4)) {
            assert.equal(r.diverged, undefined, "agent-wise runs train on");
            assert.ok(Number.isFinite(r.team_reward_mean) && r.agents.every((a) => Number.isFinite(a.grad_norm)));
        }
    }
    // The rolled-back run went on from its last finite update: a later report says it resumed
    // at a tenth of the rate, or names a later divergence.
    const after = record.reports.map((r) => r.runs[run]).filter((r, i) => i + 1 > firstBad);
    const resumed = after.find((r) => r.resumed);
    const again = after.find((r) => r.diverged && r.diverged.update > firstBad);
    assert.ok(resumed || again, "the roll-back took effect");
    if (resumed) {
        assert.equal(resumed.resumed.from_update, firstBad - 1);
        assert.equal(resumed.resumed.learning_rate_factor, 0.1);
    }
    assert.deepEqual(errors, []);
    await page.close();
});

test("a lost device: training goes on on the CPU from the last report, nothing lost", async () => {
    const { page, errors } = await openLab("?fault=device-loss@6&updates=15&seeds=3&hide=predict,step-through");
    await page.getByTestId("start").click({ timeout: 60_000 });
    await waitForUpdate(page, 15, 120_000);
    assert.match(await page.getByTestId("backend").textContent(), /^CPU — the (WebGPU|CPU) device failed at update 6/);
    assert.match(await page.getByTestId("message").textContent(),
        /device failed during update 6 \(device lost \(simulated at update 6\)\)\. Training goes on on the CPU from update 5; nothing was lost/);
    const record = await exportRecord(page);
    assert.deepEqual(record.reports.map((r) => r.update), Array.from({ length: 15 }, (_, i) => i + 1));
    assert.equal(record.backend.kind, "cpu");
    assert.deepEqual(errors, []);
    await page.close();
});

test("a worker panic is caught: the reports stay, and a new worker trains without a reload", async () => {
    const { page, errors } = await openLab("?fault=worker-panic@5&updates=20&seeds=3&hide=predict,step-through");
    await page.evaluate(() => { window.__sameDocument = true; });
    await page.getByTestId("start").click({ timeout: 60_000 });
    await page.getByTestId("crash").waitFor({ timeout: 60_000 });
    assert.match(await page.getByTestId("crash-message").textContent(), /simulated worker panic before update 5/);
    assert.match(await page.getByTestId("crash").textContent(), /The 4 updates received before it are kept/);
    assert.match(await page.getByTestId("progress").textContent(), /^update 4 of 20 · the worker crashed/);
    // The four reports export, and the run history keeps them.
    const record = await exportRecord(page);
    assert.deepEqual(record.reports.map((r) => r.update), [1, 2, 3, 4]);
    await page.getByTestId("history-run").first().waitFor({ timeout: 30_000 });
    assert.match(await page.getByTestId("history-run").first().textContent(), /4 updates/);
    // A new worker, in the same document.
    await page.getByTestId("restart-worker").click();
    await page.getByTestId("crash").waitFor({ state: "detached" });
    await page.getByTestId("start").click({ timeout: 60_000 });
    await waitForUpdate(page, 20, 120_000);
    assert.equal(await page.evaluate(() => window.__sameDocument), true, "no reload");
    // The old worker's death is on its console; the page itself threw nothing.
    assert.deepEqual(errors.filter((e) => !e.startsWith("worker:")), []);
    assert.ok(errors.some((e) => e.includes("simulated worker panic")), errors.join("\n"));
    await page.close();
});
