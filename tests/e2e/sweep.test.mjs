// End-to-end: a sweep written by `python -m creditlab.sweep` (on a local Ray) opens in the page —
// its runs and summary listed — and any run opens like a run record; a folder without a sweep is
// refused in words and the sweep shown stays. Needs the Python package with its sweep extra (the
// test command's Python layer installs it into ~/.cache/creditlab/py-venv).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, writeFile, mkdir } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { useLab, openLab, drawnPixels } from "./helpers.mjs";

useLab();

const python = process.env.CREDITLAB_PYTHON ?? join(homedir(), ".cache/creditlab/py-venv/bin/python");
// Outside CI a developer without the venv skips it, and is told why; in CI it must run.
const skip = !existsSync(python) && !process.env.CI && `no Python with creditlab[sweep] at ${python} (bash .ci/test makes one)`;

test("a sweep from Python lists its runs and summary, and opens a run like a record", { skip }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "creditlab-sweep-"));
    await writeFile(join(dir, "tiny.yaml"),
        "name: tiny\nbase: {updates: 6, groups: 2, group_size: 4}\ngrid:\n  estimators: [global-step, agent-wise]\nseeds: 2\n");
    execFileSync(python, ["-m", "creditlab.sweep", "tiny.yaml", "--out", "out", "--num-cpus", "2", "--quiet"],
        { cwd: dir, stdio: ["ignore", "inherit", "inherit"], timeout: 300_000 });
    const { page, errors } = await openLab();
    await page.locator("[data-testid=your-run] > summary").click();
    await page.getByTestId("sweep-folder").setInputFiles(join(dir, "out"));
    await page.getByTestId("sweep-title").waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId("sweep-title").textContent(), "Sweep tiny: 4 runs, 4 finished, 0 failed.");
    // The summary: each estimator's three agents over both seeds, with an interval.
    const summary = await page.locator("[data-testid=sweep-summary] tbody tr").allTextContents();
    assert.equal(summary.length, 2 * 3, summary.join(" | "));
    assert.match(summary[0], /^baseagent-wise02-?\d+\.\d{3} \[/);
    assert.equal(await page.locator("[data-testid=sweep-runs] tbody tr").count(), 4);
    // Open the last run: the page shows its 6 updates, charts drawn, nothing trained.
    await page.getByTestId("sweep-open").last().click();
    await page.waitForFunction(() => /update 6 of 6/.test(document.querySelector("[data-testid=progress]")?.textContent ?? ""));
    assert.match(await page.getByTestId("message").textContent(), /Opened base · agent-wise · seed 2 from sweep tiny: 6 updates/);
    await page.getByTestId("chart-reward").scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    for (const n of await drawnPixels(page, "chart-reward")) assert.ok(n > 1000, `opened run's chart: ${n} pixels`);
    // A folder without sweep.json: refused in words; the sweep stays listed.
    const empty = join(dir, "empty");
    await mkdir(empty);
    await writeFile(join(empty, "notes.txt"), "not a sweep");
    await page.getByTestId("sweep-folder").setInputFiles(empty);
    await page.getByTestId("sweep-error").waitFor();
    assert.match(await page.getByTestId("sweep-error").textContent(), /no sweep\.json/);
    assert.equal(await page.locator("[data-testid=sweep-runs] tbody tr").count(), 4);
    assert.deepEqual(errors, []);
});
