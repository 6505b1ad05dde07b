// End-to-end: links, lessons, step-through, predict-then-reveal, export/import and the run
// history, on the release page in Debian's Chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { useLab, drawnPixels, updateOf, newPage, openLab, waitForUpdate, setField } from "./helpers.mjs";

useLab();

const query = (page) => new URL(page.url()).searchParams;

test("a lesson link with hidden and locked controls shows only what the lesson allows", async () => {
    const { page, errors } = await openLab("?lesson=scales&step=2&hide=builder,ledger,share,same-batch,theory&lock=all");
    // Hidden parts are not on the page; the lesson card is, at its step.
    assert.equal(await page.locator("aside.builder").count(), 0, "builder hidden");
    assert.equal(await page.getByTestId("ledger").count(), 0, "ledger hidden");
    assert.equal(await page.getByTestId("share").count(), 0, "export/import hidden");
    assert.equal(await page.getByTestId("same-batch").count(), 0, "same-batch hidden");
    assert.equal(await page.getByTestId("theory").count(), 0, "theory check hidden");
    assert.match(await page.getByTestId("lesson-step").textContent(), /step 2 of 3/);
    // The step's preset: global step level against agent-wise, the third agent ×1000, seeds 1,2,3.
    const titles = await page.locator("section.column h2").allTextContents();
    assert.equal(titles.length, 2, titles.join(" | "));
    assert.ok(titles[0].includes("step level") && titles[1].includes("Agent-wise"), titles.join(" | "));
    assert.equal(query(page).get("seeds"), "1,2,3");
    assert.equal(query(page).get("lesson"), "scales");
    // The question's answer is revealed on demand.
    assert.equal(await page.getByTestId("lesson-answer").count(), 0);
    await page.getByTestId("lesson-reveal").click();
    assert.match(await page.getByTestId("lesson-answer").textContent(), /Larger/);
    // The same link without hiding the builder: every control is locked.
    const { page: locked } = await openLab("?lesson=scales&step=1&lock=all");
    assert.ok(await locked.getByTestId("field-learning_rate").isDisabled());
    assert.ok(await locked.getByTestId("game").isDisabled());
    assert.ok(await locked.getByTestId("estimator-agent-wise").isDisabled());
    assert.ok(await locked.getByTestId("field-agent2-scale").isDisabled());
    // Lesson navigation loads the next step's experiment as a new history entry.
    const before = await locked.evaluate(() => history.length);
    await locked.getByTestId("lesson-next").click();
    await locked.waitForFunction(() => new URL(location.href).searchParams.get("step") === "2");
    assert.equal(await locked.evaluate(() => history.length), before + 1);
    assert.match(await locked.getByTestId("lesson-step").textContent(), /step 2 of 3/);
    // Locked, the theory check's switch cannot change the lesson's experiment either.
    assert.ok(await locked.getByTestId("theory-on").isDisabled());
    assert.deepEqual(errors, []);
    await page.close();
    await locked.close();
});

test("a hand-edited link falls back field by field, says which fields were ignored, and gets a seed", async () => {
    const { page, errors } = await openLab("?game=kuhn&learning_rate=fast&updates=12&colour=red&game.arms=3");
    const message = await page.getByTestId("message").textContent();
    for (const field of ["learning_rate", "colour", "game.arms"]) assert.ok(message.includes(field), message);
    assert.equal(await page.getByTestId("game").inputValue(), "kuhn");
    assert.match(await page.getByTestId("progress").textContent(), /update 0 of 12/);
    assert.equal(await page.getByTestId("field-learning_rate").inputValue(), "0.003");
    // A seed was drawn and written back; the bad fields are gone from the address.
    const params = query(page);
    assert.match(params.get("seeds") ?? "", /^\d+$/);
    assert.equal(params.get("learning_rate"), null);
    assert.equal(params.get("updates"), "12");
    // Reopening the written-back link reproduces the experiment exactly.
    const url = page.url();
    const { page: again } = await openLab(new URL(url).search);
    assert.equal(again.url(), url);
    assert.equal(await again.getByTestId("message").count(), 0);
    // A knob replaces the history entry; another game pushes one, and Back returns to it.
    const length = await page.evaluate(() => history.length);
    await setField(page, "hidden", 16);
    await page.waitForFunction(() => new URL(location.href).searchParams.get("hidden") === "16");
    assert.equal(await page.evaluate(() => history.length), length);
    await page.getByTestId("game").selectOption("matrix");
    await page.waitForFunction(() => new URL(location.href).searchParams.get("game") === "matrix");
    assert.equal(await page.evaluate(() => history.length), length + 1);
    await page.goBack();
    await page.waitForFunction(() => document.querySelector("[data-testid=game]").value === "kuhn");
    assert.equal(await page.getByTestId("field-hidden").inputValue(), "16");
    assert.equal(await page.evaluate(() => history.length), length + 1, "Back does not add an entry");
    await page.goForward();
    await page.waitForFunction(() => document.querySelector("[data-testid=game]").value === "matrix");
    assert.deepEqual(errors, []);
    await page.close();
    await again.close();
});

test("step through one update and predict, then reveal", async () => {
    const { page, errors } = await openLab("?updates=20&seeds=4&estimators=global-step,agent-wise");
    await page.getByTestId("step").click({ timeout: 60_000 });
    await waitForUpdate(page, 1, 60_000);
    await page.waitForFunction(() => document.querySelectorAll("[data-testid=ledger] tbody tr[data-key]").length > 0);
    // Step-through: raw rewards → keys → μ, σ → guess, then advantages → norms → parameter change.
    await page.getByTestId("step-freeze").click();
    assert.match(await page.getByTestId("step-header").textContent(), /update 1 · Global \(step level\)/);
    const stage = page.getByTestId("step-stage");
    assert.match(await stage.textContent(), /reward r/);
    await page.getByTestId("step-next").click();
    assert.match(await stage.textContent(), /key/);
    await page.getByTestId("step-next").click();
    assert.match(await stage.textContent(), /μ/);
    await page.getByTestId("step-next").click();
    await page.getByTestId("guess-negative").click();
    assert.match(await page.getByTestId("step-reveal").textContent(), /A = /);
    await page.getByTestId("step-next").click();
    assert.match(await stage.textContent(), /‖∇θ_k‖/);
    await page.getByTestId("step-next").click();
    const change = await stage.textContent();
    assert.match(change, /‖Δθ_k‖/);
    assert.match(change, /initial policy/, "update 1 has no earlier policy report");
    // Predict the next update under agent-wise: the mean advantage of an agent is about zero.
    await page.getByTestId("predict-estimator").selectOption("1");
    await page.getByTestId("predict-agent").selectOption("0");
    await page.getByTestId("predict-sign").selectOption("about zero");
    await page.getByTestId("predict-go").click();
    await waitForUpdate(page, 2, 60_000);
    const reveal = await page.getByTestId("predict-reveal").textContent();
    assert.match(reveal, /Largest gradient norm at update 2/);
    assert.match(reveal, /✓ .*mean advantage: .* about zero/, reveal);
    assert.match(await page.getByTestId("predict-score").textContent(), /score [12] \/ 2/);
    assert.deepEqual(errors, []);
    await page.close();
});

test("export and re-import a run; a finished run survives a reload in the history", async () => {
    const { page, errors } = await openLab("?updates=5&seeds=3&hide=predict,step-through");
    await page.getByTestId("pace").selectOption({ label: "full speed" });
    await page.getByTestId("start").click({ timeout: 60_000 });
    await waitForUpdate(page, 5);
    await page.waitForSelector("[data-testid=history-run]", { timeout: 30_000 });

    const download = async (testId) => {
        const [file] = await Promise.all([page.waitForEvent("download"), page.getByTestId(testId).first().click()]);
        return { name: file.suggestedFilename(), text: await readFile(await file.path(), "utf8") };
    };
    const json = await download("export-json");
    const record = JSON.parse(json.text);
    assert.equal(record.format, "creditlab-run");
    assert.equal(record.reports.length, 5);
    assert.deepEqual(record.config.seeds, [3]);
    const csv = await download("export-csv");
    const lines = csv.text.trim().split("\n");
    assert.ok(lines[0].startsWith("update,"), lines[0]);
    assert.equal(lines.length, 1 + 5 * 3 * 3, "header + updates × runs × agents");
    const batch = JSON.parse((await download("export-batch")).text);
    assert.equal(batch.length, 3);
    assert.ok(batch[0].advantages.ledger.length > 0);
    const svg = await download("svg-chart-reward");
    assert.ok(svg.name.endsWith(".svg") && svg.text.includes("<svg"), svg.name);
    const png = await download("png-chart-gradnorm");
    assert.ok(png.name.endsWith(".png"));

    // A malformed file is refused with a message and changes nothing.
    await page.getByTestId("import-file").setInputFiles({
        name: "broken.json", mimeType: "application/json", buffer: Buffer.from(json.text.slice(0, 200)),
    });
    await page.waitForFunction(() => document.querySelector("[data-testid=message]")?.textContent.includes("Could not import"));
    assert.match(await page.getByTestId("progress").textContent(), /update 5 of 5/);

    // Reload: the run is in the history and opens without training.
    await page.reload();
    await page.waitForSelector("[data-testid=history-run]", { timeout: 30_000 });
    await page.getByTestId("history-open").first().click();
    await page.waitForFunction(() => /update 5 of 5 · opened run/.test(document.querySelector("[data-testid=progress]").textContent));
    await page.waitForTimeout(500);
    for (const n of await drawnPixels(page, "chart-reward")) assert.ok(n > 3000, `restored chart: ${n} pixels`);

    // Re-import the exported file on a fresh page: the charts come back, identical export.
    const { page: other } = await openLab("?updates=7");
    await other.getByTestId("import-file").setInputFiles({ name: json.name, mimeType: "application/json", buffer: Buffer.from(json.text) });
    await other.waitForFunction(() => /update 5 of 5/.test(document.querySelector("[data-testid=progress]").textContent));
    assert.match(await other.getByTestId("message").textContent(), /Imported/);
    assert.equal(new URL(other.url()).searchParams.get("updates"), "5", "the address follows the imported run");
    const [again] = await Promise.all([other.waitForEvent("download"), other.getByTestId("export-json").click()]);
    assert.deepEqual(JSON.parse(await readFile(await again.path(), "utf8")), record, "export → import → export is the same record");
    assert.equal(updateOf(await other.getByTestId("progress").textContent()), 5);
    assert.deepEqual(errors, []);
    await page.close();
    await other.close();
});

test("without browser storage the lab says so and keeps working", async () => {
    const page = await newPage();
    await page.addInitScript(() => Object.defineProperty(window, "indexedDB", { value: null, configurable: true }));
    const { errors } = await openLab("?updates=3&seeds=2", page);
    await page.waitForSelector("[data-testid=storage-note]", { timeout: 30_000 });
    assert.match(await page.getByTestId("storage-note").textContent(), /history is unavailable.*works without it/);
    await page.getByTestId("pace").selectOption({ label: "full speed" });
    await page.getByTestId("start").click({ timeout: 60_000 });
    await waitForUpdate(page, 3);
    await page.waitForFunction(() => document.querySelector("[data-testid=message]")?.textContent.includes("not saved in the history"));
    // The finished run is still on the page and exports.
    const [file] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-json").click()]);
    assert.equal(JSON.parse(await readFile(await file.path(), "utf8")).reports.length, 3);
    assert.deepEqual(errors, []);
    await page.close();
});
