// The page benchmark (run by .ci/bench, not a test): the release page in dist/, in headless
// Chromium, measured the way a user meets it. Prints one JSON line per figure:
//   {"kind":"startup", ...}   navigation → Start enabled → first update drawn, cold cache (median of 3)
//   {"kind":"e2e", ...}       updates/s at full speed for a config (every run of it steps once per update)
//   {"kind":"responsiveness", ...}  longest main-thread task and frame rate while training at full speed
//   {"kind":"import", ...}    "Your run": a 1 M-sample JSONL file imported in the page (samples/s, longest
//                             main-thread task), against `creditlab inspect` on the same file natively
//                             (CREDITLAB_CLI: the release binary; left out when not set)
// Usage: node tests/e2e/bench.mjs [dist]
import { chromium } from "playwright-core";
import { resolve } from "node:path";
import { serveDist } from "./serve.mjs";
import { createWriteStream, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";

const dist = resolve(process.argv[2] ?? "dist");
const server = await serveDist(dist);
const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update"],
});

// In the page from its first script on: clicks Start the moment it is enabled (when asked to),
// and records when the first update is drawn (its progress and the reward chart's summary).
const PROBE = () => {
    const marks = (window.__marks = {});
    const autostart = new URLSearchParams(location.search).has("bench-autostart");
    const poll = () => {
        const start = document.querySelector("[data-testid=start]");
        if (marks.ready === undefined && start && !start.disabled) {
            marks.ready = performance.now();
            if (autostart) start.click();
        }
        const progress = document.querySelector("[data-testid=progress]")?.textContent ?? "";
        const chart = document.querySelector("[data-testid=chart-reward]");
        const m = /update (\d+) of/.exec(progress);
        if (marks.first === undefined && m && Number(m[1]) >= 1 && chart && !chart.getAttribute("aria-label").includes("—")) {
            marks.first = performance.now();
        }
        if (marks.first === undefined) requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const emit = (o) => console.log(JSON.stringify(o));

async function startup() {
    const ready = [];
    const first = [];
    for (let i = 0; i < 3; i++) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
        await context.addInitScript(PROBE);
        const page = await context.newPage();
        await page.goto(`${server.url}?bench-autostart`);
        await page.waitForFunction(() => window.__marks?.first !== undefined, null, { timeout: 60_000 });
        const marks = await page.evaluate(() => window.__marks);
        ready.push(marks.ready);
        first.push(marks.first);
        await context.close();
    }
    emit({ kind: "startup", ready_ms: median(ready), first_update_ms: median(first), samples: first.map(Math.round) });
}

/** Opens `query` at full speed and measures updates/s over `seconds` after one warm-up second. */
async function e2e(name, query, seconds = 4) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(server.url + query);
    await page.waitForFunction(() => document.querySelector("[data-testid=start]")?.disabled === false, null, { timeout: 60_000 });
    const runs = await page.locator("section.column").count();
    await page.getByTestId("pace").selectOption({ label: "full speed" });
    // Long tasks from the click on: the first second (the first batch views mount, the charts'
    // code runs for the first time) is reported apart from the steady state measured below.
    await page.evaluate(() => {
        window.__startLongest = 0;
        window.__startObserver = new PerformanceObserver((list) => {
            for (const e of list.getEntries()) window.__startLongest = Math.max(window.__startLongest, e.duration);
        });
        window.__startObserver.observe({ type: "longtask" });
    });
    await page.getByTestId("start").click();
    await page.waitForTimeout(1000);
    const startLongest = await page.evaluate(() => { window.__startObserver.disconnect(); return window.__startLongest; });
    const figures = await page.evaluate(async (seconds) => {
        const update = () => Number(/update (\d+) of/.exec(document.querySelector("[data-testid=progress]").textContent)?.[1] ?? 0);
        let longest = 0;
        const observer = new PerformanceObserver((list) => {
            for (const e of list.getEntries()) longest = Math.max(longest, e.duration);
        });
        observer.observe({ type: "longtask" });
        let frames = 0;
        let counting = true;
        const frame = () => { frames++; if (counting) requestAnimationFrame(frame); };
        requestAnimationFrame(frame);
        const u0 = update();
        const t0 = performance.now();
        await new Promise((r) => setTimeout(r, seconds * 1000));
        counting = false;
        const u1 = update();
        const t1 = performance.now();
        observer.disconnect();
        return { updates: u1 - u0, seconds: (t1 - t0) / 1e3, frames, longest };
    }, seconds);
    const seeds = await page.evaluate(() => new URLSearchParams(location.search).get("seeds"));
    await page.close();
    return { name, query, columns: runs, seeds, ...figures, start_longest: startLongest, updates_per_second: figures.updates / figures.seconds,
        fps: figures.frames / figures.seconds };
}

// BENCH_ONLY=import runs the import figure alone.
const only = process.env.BENCH_ONLY;
if (!only) await startup();
// Each lesson's first step as its link opens it (its estimators and seeds), with room to run.
for (const lesson of only ? [] : ["scales", "frequencies", "overgeneralization", "counterfactual", "turns", "anchors"]) {
    const r = await e2e(lesson, `?lesson=${lesson}&updates=100000`);
    emit({ kind: "e2e", ...r });
}
// The bandit lesson at 256 rows per agent (16 groups of 16), as the lesson has it (2 estimators ×
// 3 seeds) and as one run; and many seeds: 32 seeds × 256 rows, one estimator.
const seeds32 = Array.from({ length: 32 }, (_, i) => i + 1).join(",");
for (const [name, query] of only ? [] : [
    ["bandit lesson, 256 rows", "?lesson=scales&groups=16&group_size=16&updates=100000"],
    ["bandit, 1 run, 256 rows", "?lesson=scales&estimators=agent-wise&seeds=1&groups=16&group_size=16&updates=100000"],
    ["bandit, 32 seeds × 256 rows", `?lesson=scales&estimators=agent-wise&seeds=${seeds32}&groups=16&group_size=16&updates=100000`],
]) {
    emit({ kind: "e2e", ...(await e2e(name, query)) });
}
// Language agents on the CPU: the arithmetic game with its defaults, one run, and its Dr. MAS
// lesson (2 estimators × 3 seeds). BENCH_ONLY=language runs these alone.
for (const [name, query] of only && only !== "language" ? [] : [
    ["language agents, 1 run", "?game=arithmetic&estimators=agent-wise&seeds=1&updates=100000"],
    ["language lesson (tokens)", "?lesson=tokens&updates=100000"],
]) {
    emit({ kind: "e2e", ...(await e2e(name, query)) });
}
// Responsiveness: the default page (bandit, three estimators) at full speed.
if (!only) {
    const r = await e2e("default page", "?updates=100000", 6);
    emit({ kind: "responsiveness", longest_task_ms: r.longest, start_longest_task_ms: r.start_longest, fps: r.fps,
        updates_per_second: r.updates_per_second });
}

// "Your run": 1 M samples (100 steps × 500 groups × 5 episodes × 4 turns of 2 agents), each
// episode's outcome its samples' reward, advantages from global GRPO (so the file conforms).
async function writeImportFile(path) {
    const out = createWriteStream(path);
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let step = 0; step < 100; step++) {
        let lines = [];
        for (let g = 0; g < 500; g++) {
            const rewards = Array.from({ length: 5 }, () => (random() < 0.4 ? 1 : 0));
            const mean = rewards.reduce((a, b) => a + b, 0) / 5;
            const std = Math.sqrt(rewards.reduce((a, r) => a + (r - mean) ** 2, 0) / 4);
            rewards.forEach((r, e) => {
                const advantage = std === 0 ? 0 : (r - mean) / (std + 1e-6);
                for (let t = 0; t < 4; t++) {
                    lines.push(JSON.stringify({ step, uid: `q${step}-${g}`, traj_uid: `${step}-${g}-${e}`, agent: t % 2 ? "verifier" : "solver", turn: t, reward: r, advantage }));
                }
            });
        }
        if (!out.write(lines.join("\n") + "\n")) await new Promise((r) => out.once("drain", r));
    }
    await new Promise((r) => out.end(r));
}

async function importBench() {
    const file = join(tmpdir(), `creditlab-bench-import-${process.pid}.jsonl`);
    await writeImportFile(file);
    const bytes = statSync(file).size;
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(server.url);
    await page.waitForFunction(() => document.querySelector("[data-testid=start]")?.disabled === false, null, { timeout: 60_000 });
    await page.locator("[data-testid=your-run] > summary").click();
    await page.evaluate(() => {
        window.__importLongest = 0;
        new PerformanceObserver((list) => {
            for (const e of list.getEntries()) window.__importLongest = Math.max(window.__importLongest, e.duration);
        }).observe({ type: "longtask" });
    });
    const started = Date.now();
    await page.getByTestId("your-run-file").setInputFiles(file);
    await page.waitForFunction(() => document.querySelector(".import-results > p")?.textContent.includes("1000000 samples"), null, { timeout: 900_000 });
    const seconds = (Date.now() - started) / 1000;
    const longest = await page.evaluate(() => window.__importLongest);
    const verdict = await page.getByTestId("import-verdict").textContent();
    await page.close();
    let native = null;
    if (process.env.CREDITLAB_CLI) {
        const t0 = Date.now();
        execFileSync(process.env.CREDITLAB_CLI, ["inspect", "--quiet", file], { stdio: ["ignore", "ignore", "inherit"] });
        native = (Date.now() - t0) / 1000;
    }
    return { kind: "import", samples: 1_000_000, bytes, seconds, samples_per_second: 1e6 / seconds, longest_task_ms: longest, verdict: verdict.trim().slice(0, 120),
        native_seconds: native };
}
if (!only || only === "import") emit(await importBench());

await browser.close();
server.close();
