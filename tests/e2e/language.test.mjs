// End-to-end: language agents in the page — the arithmetic game from the menu and from its lesson
// link, its per-agent model sizes in the builder, and its token views (credit map, transcripts,
// response-length chart) after a few updates, on the release page in Debian's Chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useLab, drawnPixels, openLab, waitForUpdate, setField } from "./helpers.mjs";

useLab();

test("the arithmetic game trains language agents and shows their tokens", async () => {
    const { page, errors } = await openLab("?game=arithmetic&seeds=1&updates=6&estimators=global-step,agent-wise");
    // The builder: the language agents' defaults and one fieldset per agent with its model size.
    assert.equal(await page.getByTestId("game").inputValue(), "arithmetic");
    assert.equal(await page.getByTestId("field-entropy_coef").inputValue(), "0.03");
    assert.equal(await page.getByTestId("field-game-agents-0-width").inputValue(), "32");
    assert.equal(await page.getByTestId("field-game-agents-1-width").inputValue(), "16");
    // A width the heads do not divide is refused at the control, naming the field.
    await setField(page, "game-agents-1-heads", 3);
    await page.getByTestId("error-game-agents-1-heads").filter({ hasText: /\S/ }).waitFor();
    assert.match(await page.getByTestId("error-game-agents-1-heads").textContent(), /heads do not divide the width 16/);
    await setField(page, "game-agents-1-heads", 1);
    await page.getByTestId("start").click();
    await waitForUpdate(page, 6);
    // Two columns, each with a token credit map: a row per response, tokens as text.
    const maps = page.getByTestId("token-map");
    assert.equal(await maps.count(), 2);
    const caption = await maps.first().locator("caption").textContent();
    assert.match(caption, /Token credit map of update 6/);
    const firstRow = maps.first().locator("tbody tr").first();
    const prompt = await firstRow.locator("td.prompt").textContent();
    assert.match(prompt, /^\d\+\d=$/, "a solver's prompt is a question");
    const tokens = await firstRow.locator("td.tok:not(.masked)").allTextContents();
    assert.ok(tokens.length >= 1 && tokens.every((t) => /^[0-9−⏎]$/.test(t)), tokens.join(" "));
    // A written token is coloured by its response's advantage; a masked one is not.
    const background = await firstRow.locator("td.tok:not(.masked)").first().evaluate((el) => el.style.background);
    assert.match(background, /rgb/);
    // Transcripts: the question, then each round's answer and verdict with its return and advantage.
    const transcript = page.getByTestId("transcript").first();
    const text = await transcript.textContent();
    assert.match(text, /episode \d+: \d\+\d=/);
    assert.match(text, /round 1 · solver writes/);
    assert.match(text, /return [\d.]+ · A [+−-]?\d/);
    // The response-length chart replaces the action-probability chart, and is drawn.
    assert.equal(await page.getByTestId("chart-policy").count(), 0);
    const drawn = await drawnPixels(page, "chart-tokens");
    assert.ok(drawn.length === 2 && drawn.every((n) => n > 200), `response-length charts drawn: ${drawn}`);
    assert.match(await page.getByTestId("headline").first().textContent(), /first answers right \(solver\) \d/);
    assert.deepEqual(errors, []);
    await page.close();
});

test("the token-level Dr. MAS lesson opens its experiment", async () => {
    const { page, errors } = await openLab("?lesson=tokens&step=2");
    assert.match(await page.getByTestId("lesson-step").textContent(), /step 2 of 2/);
    assert.equal(await page.getByTestId("game").inputValue(), "arithmetic");
    assert.match(await page.getByTestId("field-game-agents-1-reward_scale").inputValue(), /^10(\.0)?$/);
    const titles = await page.locator("section.column h2").allTextContents();
    assert.ok(titles[0].includes("step level") && titles[1].includes("Agent-wise"), titles.join(" | "));
    const { page: bias } = await openLab("?lesson=length-bias&step=2");
    assert.equal(await bias.getByTestId("field-loss_agg").inputValue(), "seq-mean-token-mean");
    assert.equal(await bias.getByTestId("field-answer_length").inputValue(), "8");
    assert.deepEqual(errors, []);
    await page.close();
    await bias.close();
});
