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
