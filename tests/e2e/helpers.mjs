// Shared by the end-to-end test files: the static server and browser, and page helpers.
import { before, after } from "node:test";
import { fileURLToPath } from "node:url";
import { dirname, join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { serveDist } from "./serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(join(here, "..", "..", "dist"));
let server;
let browser;

/** Registers the before/after hooks of a test file: serve dist/ and launch Chromium (with
 *  `extraArgs`, e.g. WebGPU's software adapter). */
export function useLab(extraArgs = []) {
    before(async () => {
        server = await serveDist(dist);
        browser = await chromium.launch({
            executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
            args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking",
                   "--disable-component-update", "--disable-sync", "--no-first-run", ...extraArgs],
        });
    });
    after(async () => {
        await browser?.close();
        server?.close();
    });
}

/** Per canvas with `testId`: the number of pixels that differ from its top-left (background) pixel. */
export function drawnPixels(page, testId) {
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

export const updateOf = (text) => Number(/update (\d+) of/.exec(text)?.[1] ?? NaN);

/** A new page (own browser context) at the lab's viewport. */
export function newPage(options = {}) {
    return browser.newPage({ viewport: { width: 1280, height: 720 }, acceptDownloads: true, ...options });
}

/** Opens the lab (with `query`, e.g. "?game=kuhn") in a new page; collects uncaught errors. */
export async function openLab(query = "", page = undefined) {
    page ??= await newPage();
    const errors = [];
    page.on("pageerror", (err) => errors.push(err.message));
    page.on("worker", (worker) => worker.on("console", (m) => { if (m.type() === "error") errors.push(`worker: ${m.text()}`); }));
    await page.goto(server.url + query);
    await waitForBackend(page);
    return { page, errors };
}

/** Waits until the worker has chosen its backend. */
export async function waitForBackend(page) {
    // The badge must exist first: before the page mounts there is none, and "no badge" is not
    // "chosen" (on a loaded machine the page mounts late, and a test then read "choosing…").
    await page.waitForFunction(() => {
        const badge = document.querySelector("[data-testid=backend]");
        return badge !== null && !badge.textContent.includes("choosing");
    }, null, { timeout: 60_000 });
}

export async function waitForUpdate(page, n, timeout = 300_000) {
    await page.waitForFunction((n) => {
        const m = /update (\d+) of/.exec(document.querySelector("[data-testid=progress]").textContent);
        return m && Number(m[1]) === n;
    }, n, { timeout });
}

/** Types `value` into the number field `name` and commits it (change event). */
export async function setField(page, name, value) {
    const field = page.getByTestId(`field-${name}`);
    await field.fill(String(value));
    await field.press("Enter");
    await field.blur();
}

/** Starts watching the page while it trains (functional, not timed: the verdict must not
 *  depend on how busy the machine is — the timings are the benchmark's, tests/e2e/bench.mjs):
 *  every update number the progress read-out shows, in order, and how many frames had been
 *  painted when each appeared. `watched(page)` returns `{ updates, frames }` (same length). */
export async function watchTraining(page) {
    await page.evaluate(() => {
        const progress = document.querySelector("[data-testid=progress]");
        const updates = [];
        const frames = [];
        let painted = 0;
        const note = () => {
            const m = /update (\d+) of/.exec(progress.textContent);
            if (m && Number(m[1]) !== updates.at(-1)) {
                updates.push(Number(m[1]));
                frames.push(painted);
            }
        };
        note();
        new MutationObserver(note).observe(progress, { childList: true, characterData: true, subtree: true });
        const frame = () => { painted++; requestAnimationFrame(frame); };
        requestAnimationFrame(frame);
        window.__watched = () => ({ updates: updates.slice(), frames: frames.slice() });
    });
}

export const watched = (page) => page.evaluate(() => window.__watched());
