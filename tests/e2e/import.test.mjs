// End-to-end: "Your run" — an example file opened from a link, the others from their buttons, a
// file chosen with the file input, pasted text refused with its line and field while the
// analysis before it stays, and the analysis exported.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { useLab, drawnPixels, openLab } from "./helpers.mjs";

useLab();

const verdict = (page) => page.getByTestId("import-verdict").textContent();

test("a lesson link opens the bug-hunt example: the verdict names the bug, the group and the lines", async () => {
    const { page, errors } = await openLab("?run=solver-verifier.jsonl");
    // The lesson hides the verdict until the student reveals it.
    await page.getByTestId("import-lesson").waitFor({ timeout: 60_000 });
    assert.equal(await page.getByTestId("import-verdict").count(), 0);
    await page.getByTestId("import-lesson-reveal").click();
    assert.match(await page.getByTestId("import-lesson-answer").textContent(), /\+0\.42 instead of 0/);
    const text = await verdict(page);
    assert.match(text, /Does not conform/);
    assert.match(text, /deviation from agent-wise/);
    assert.match(text, /whole batch/);
    // The differing samples of the first group, with their lines in the file.
    const rows = await page.locator("[data-testid=import-differing] tbody tr").allTextContents();
    assert.ok(rows.length >= 2, rows.join(" | "));
    assert.match(rows[0], /^1s1-t0solver/);
    // The lesson's quote: the verifier's reward of 1 gets +0.42 where agent-wise gives 0.
    assert.match(rows[1], /^2s1-t0verifier\d+1\.00000\.42440\.0000$/);
    // Four steps, each marked as failing; the agents' table has both agents with the logged norms.
    assert.equal(await page.locator("[data-testid=import-step] option").count(), 4);
    const agents = await page.locator("[data-testid=import-agents] tbody tr").allTextContents();
    assert.equal(agents.length, 2);
    assert.ok(agents[1].startsWith("verifier"), agents.join(" | "));
    // The charts are drawn: rewards, every estimator's histograms, the trends over the steps.
    for (const id of ["chart-import-rewards", "chart-import-agent-wise", "chart-import-grpo-global", "chart-import-inflation", "chart-import-norms"]) {
        await page.getByTestId(id).scrollIntoViewIfNeeded();
        await page.waitForFunction((id) => !document.querySelector(`[data-testid=${id}]`)?.getAttribute("aria-label")?.includes("no samples")
            && (document.querySelector(`[data-testid=${id}]`)?.getAttribute("aria-label") ?? "") !== "", id);
        const [pixels] = await drawnPixels(page, id);
        assert.ok(pixels > 500, `${id}: ${pixels} pixels`);
    }
    // The credit map and the ledger, with the differing samples highlighted.
    assert.ok(await page.locator("[data-testid=import-credit] tbody tr").count() >= 14);
    assert.ok(await page.locator("[data-testid=import-ledger] tbody tr.differs").count() >= 2);
    // Another step.
    await page.getByTestId("import-step").selectOption({ index: 3 });
    await page.waitForFunction(() => document.querySelector("[data-testid=import-step-title]")?.textContent.startsWith("Step 4"));
    assert.deepEqual(errors, []);
});

test("the other examples conform; a chosen file is read; pasted nonsense is refused by line and field, and the analysis stays", async () => {
    const { page, errors } = await openLab();
    await page.locator("[data-testid=your-run] > summary").click();
    await page.getByTestId("example-agent-wise.json").click();
    await page.waitForFunction(() => document.querySelector("[data-testid=import-verdict]")?.textContent.includes("agent-wise"), null, { timeout: 60_000 });
    assert.match(await verdict(page), /Conforms: step 0: the advantages match agent-wise/);
    // A CSV chosen with the file input (read by the worker from an object URL).
    const csv = join(tmpdir(), `creditlab-e2e-${process.pid}.csv`);
    await writeFile(csv, await readFile(new URL("../../public/examples/bandit-grpo.csv", import.meta.url)));
    await page.getByTestId("your-run-file").setInputFiles(csv);
    await page.waitForFunction(() => document.querySelector("[data-testid=import-verdict]")?.textContent.includes("grpo-global"), null, { timeout: 60_000 });
    assert.match(await page.locator(".import-results > p").first().textContent(), /144 samples, 2 steps, agents x1, x10, x100/);
    // Pasted text with a missing reward on line 2: the message names both; the CSV's analysis stays.
    await page.getByTestId("import-text").fill('{"group": 1, "episode": 1, "agent": "a", "reward": 1}\n{"group": 1, "episode": 2, "agent": "a"}\n');
    await page.getByTestId("import-paste").click();
    await page.getByTestId("import-error").waitFor();
    assert.match(await page.getByTestId("import-error").textContent(), /line 2, field `reward`: is missing/);
    assert.match(await verdict(page), /grpo-global/);
    // A binary file is refused as such.
    const binary = join(tmpdir(), `creditlab-e2e-${process.pid}.png`);
    await writeFile(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
    await page.getByTestId("your-run-file").setInputFiles(binary);
    await page.waitForFunction(() => document.querySelector("[data-testid=import-error]")?.textContent.includes("binary"));
    // The analysis exports as JSON that parses and as CSV with a row per step and agent.
    const [json] = await Promise.all([page.waitForEvent("download"), page.getByTestId("import-export-json").click()]);
    const analysis = JSON.parse(await readFile(await json.path(), "utf8"));
    assert.equal(analysis.verdict.verdict, "matches");
    assert.equal(analysis.steps.length, 2);
    const [csvDownload] = await Promise.all([page.waitForEvent("download"), page.getByTestId("import-export-csv").click()]);
    const lines = (await readFile(await csvDownload.path(), "utf8")).trim().split("\n");
    assert.equal(lines.length, 1 + 2 * 3);
    // The lab still trains beside it.
    await page.getByTestId("step").click();
    await page.waitForFunction(() => /update 1 of/.test(document.querySelector("[data-testid=progress]")?.textContent ?? ""));
    assert.deepEqual(errors, []);
});

test("the lesson menu opens the bug hunt in Your run; a file dropped on the panel is read", async () => {
    const { page, errors } = await openLab();
    // The bug hunt is the lesson menu's last entry; choosing it opens the panel with the example.
    const last = page.locator("[data-testid=lesson-menu] option").last();
    assert.match(await last.textContent(), /Find the bug in a logged run/);
    await page.getByTestId("lesson-menu").selectOption(await last.getAttribute("value"));
    await page.getByTestId("import-lesson").waitFor({ timeout: 60_000 });
    assert.equal(await page.getByTestId("lesson-menu").inputValue(), "");
    assert.equal(await page.locator("[data-testid=import-step] option").count(), 4);
    // A JSONL batch dropped on the panel (verl's field names): two groups, two agents, no advantages.
    const text = [
        { uid: 1, traj_uid: "1-0", agent_id: "writer", score: 0 }, { uid: 1, traj_uid: "1-0", agent_id: "critic", score: 10 },
        { uid: 1, traj_uid: "1-1", agent_id: "writer", score: 1 }, { uid: 1, traj_uid: "1-1", agent_id: "critic", score: 30 },
        { uid: 2, traj_uid: "2-0", agent_id: "writer", score: 1 }, { uid: 2, traj_uid: "2-0", agent_id: "critic", score: 20 },
        { uid: 2, traj_uid: "2-1", agent_id: "writer", score: 0 }, { uid: 2, traj_uid: "2-1", agent_id: "critic", score: 40 },
    ].map((r) => JSON.stringify(r)).join("\n");
    const dataTransfer = await page.evaluateHandle((text) => {
        const dt = new DataTransfer();
        dt.items.add(new File([text], "dropped.jsonl", { type: "application/jsonl" }));
        return dt;
    }, text);
    await page.dispatchEvent("[data-testid=your-run] label.drop", "drop", { dataTransfer });
    await page.waitForFunction(() => document.querySelector(".import-results > p")?.textContent.includes("8 samples"), null, { timeout: 60_000 });
    assert.match(await page.locator(".import-results > p").first().textContent(), /8 samples, 1 step, agents writer, critic/);
    // No advantages in the file: nothing to check, and the panel says so; the drop replaced the lesson.
    assert.match(await verdict(page), /no advantages/i);
    assert.equal(await page.getByTestId("import-lesson").count(), 0);
    assert.deepEqual(errors, []);
});
