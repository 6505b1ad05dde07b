//! "Your run": import a batch logged by your own multi-agent training (JSONL, JSON or CSV; the
//! README's "Your own run" lists the fields and the frameworks' aliases) and see what every
//! estimator does with it, which agents one global baseline inflates, and whether the file's own
//! advantages match a reference estimator — or which known normalisation bug they show. The file
//! is read and analysed in the worker; the page shows the result.

use std::sync::Arc;

use creditlab::import::{Analysis, StepAnalysis, Verdict};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::chart_canvas::{ChartCanvas, DrawFn};
use super::sweep::SweepView;
use crate::charts;
use crate::download;
use crate::session::your_run::EXAMPLES;
use crate::session::Session;
use crate::worker::ImportSource;

/// The advantage histograms' test ids, per batch estimator.
const CHART_IDS: [(&str, &str); 7] = [
    ("grpo-global", "chart-import-grpo-global"),
    ("agent-wise", "chart-import-agent-wise"),
    ("global-step", "chart-import-global-step"),
    ("trajectory-per-agent", "chart-import-trajectory-per-agent"),
    ("rloo", "chart-import-rloo"),
    ("mars", "chart-import-mars"),
    ("gigpo", "chart-import-gigpo"),
];

/// The example file of the bug-hunt lesson.
pub const LESSON_FILE: &str = "solver-verifier.jsonl";

/// The bug-hunt lesson's title (in the lesson menu and About, after the lessons that train).
pub const LESSON_TITLE: &str = "Find the bug in a logged run (Your run)";

/// Opens the bug-hunt lesson and brings "Your run" into view.
pub fn open_lesson(session: Session) {
    open_example(session, LESSON_FILE);
    if let Some(panel) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("your-run"))
    {
        panel.scroll_into_view();
    }
}

/// Rows of the ledger shown.
const LEDGER_ROWS: usize = creditlab::import::DETAIL_SAMPLES;

/// An example file's URL, resolved against the page (the worker's own base is its script).
fn example_url(file: &str) -> String {
    let relative = format!("examples/{file}");
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .and_then(|base| web_sys::Url::new_with_base(&relative, &base).ok())
        .map_or(relative, |u| u.href())
}

/// Starts the import of a file the user chose or dropped: the worker reads it from an object URL.
fn import_file(session: Session, file: web_sys::File) {
    match web_sys::Url::create_object_url_with_blob(&file) {
        Ok(url) => session.import(ImportSource::Url { url, name: file.name(), size: Some(file.size() as u64) }),
        Err(_) => session.yours.error.set(Some(format!("{} could not be opened by the browser", file.name()))),
    }
}

/// Opens an example file.
pub fn open_example(session: Session, file: &str) {
    session.import(ImportSource::Url { url: example_url(file), name: file.to_string(), size: None });
}

fn fmt(value: Option<f32>, digits: usize) -> String {
    value.map_or("—".into(), |v| format!("{v:.digits$}"))
}

/// The analysis as CSV: one row per step and agent.
fn analysis_csv(analysis: &Analysis) -> String {
    let mut out = String::from("step,agent,samples,episodes_acting,acts_per_episode,reward_mean,reward_std,tokens_mean,predicted_inflation,logged_grad_norm,file_advantage_mean,file_advantage_std,verdict\n");
    for step in &analysis.steps {
        for a in &step.agents {
            let verdict = step.verdict.summary().replace('"', "'");
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{},{},\"{verdict}\"\n",
                step.step,
                a.agent.replace(',', ";"),
                a.samples,
                a.episodes_acting,
                a.acts_per_episode,
                a.reward.mean,
                a.reward.std,
                a.tokens.map_or(String::new(), |t| t.mean.to_string()),
                a.predicted_inflation.map_or(String::new(), |v| v.to_string()),
                a.logged_grad_norm.map_or(String::new(), |v| v.to_string()),
                a.file_advantage.map_or(String::new(), |m| m.mean.to_string()),
                a.file_advantage.map_or(String::new(), |m| m.std.to_string()),
            ));
        }
    }
    out
}

/// The panel.
#[component]
pub fn YourRunView(
    /// The session.
    session: Session,
) -> impl IntoView {
    let yours = session.yours;
    let pasted = RwSignal::new(String::new());
    let dragging = RwSignal::new(false);
    let on_file = move |ev: leptos::ev::Event| {
        let input = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        if let Some(file) = input.as_ref().and_then(|i| i.files()).and_then(|f| f.get(0)) {
            import_file(session, file);
        }
        if let Some(input) = input {
            input.set_value("");
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        if let Some(file) = ev.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)) {
            import_file(session, file);
        }
    };
    let analyse_pasted = move |_| {
        let text = pasted.get_untracked();
        if text.trim().is_empty() {
            yours.error.set(Some("Paste some samples first (JSONL, JSON or CSV).".into()));
        } else {
            session.import(ImportSource::Text { text, name: "pasted text".into() });
        }
    };
    let examples = EXAMPLES
        .iter()
        .map(|(file, what)| {
            let file = *file;
            view! {
                <li><button class="link" data-testid=format!("example-{file}") on:click=move |_| open_example(session, file)>{file}</button>
                    " — " {*what}</li>
            }
        })
        .collect_view();
    let progress = move || {
        yours.progress.get().map(|p| {
            let value = p.fraction().map(|f| format!("{f:.3}"));
            view! {
                <div class="import-progress" data-testid="import-progress">
                    <progress max="1" value=value></progress>
                    <span>{p.describe()}</span>
                </div>
            }
        })
    };
    let error = move || yours.error.get().map(|e| view! { <p class="message" role="alert" data-testid="import-error">{e}</p> });
    let results = move || yours.analysis.get().map(|(name, analysis)| view! { <Results session name analysis /> });
    view! {
        <details class="your-run" id="your-run" data-testid="your-run" prop:open=move || yours.open.get()
            on:toggle=move |ev| {
                let open = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlDetailsElement>().ok()).is_some_and(|d| d.open());
                if open != yours.open.get_untracked() { yours.open.set(open); }
            }>
            <summary><h2>"Your run: import a batch from your own training"</h2></summary>
            <p class="hint">"Drop in a batch logged by your multi-agent RL training — JSONL, a JSON array or CSV with "
                <code>"group"</code>", "<code>"episode"</code>", "<code>"agent"</code>", "<code>"reward"</code>
                " and optionally "<code>"turn"</code>", "<code>"advantage"</code>", "<code>"tokens"</code>", "<code>"step"</code>
                " (verl's "<code>"uid"</code>", "<code>"traj_uid"</code>", "<code>"score"</code>", "<code>"advantages"</code>" are read too). "
                "Every estimator runs on it, the predicted inflation is computed per agent, and your advantages are checked against the reference semantics. "
                "The file stays in your browser."</p>
            <div class="import-inputs">
                <label class="drop" class:dragging=move || dragging.get()
                    on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
                    on:dragleave=move |_| dragging.set(false)
                    on:drop=on_drop>
                    "Choose or drop a file "
                    <input type="file" accept=".jsonl,.json,.csv,.txt,.ndjson" data-testid="your-run-file" on:change=on_file />
                </label>
                <div class="paste">
                    <textarea rows="3" placeholder="…or paste samples here" data-testid="import-text" aria-label="samples to analyse"
                        prop:value=move || pasted.get() on:input=move |ev| pasted.set(event_target_value(&ev))></textarea>
                    <button data-testid="import-paste" on:click=analyse_pasted>"Analyse pasted text"</button>
                </div>
            </div>
            <p class="hint">"Examples:"</p>
            <ul class="examples">{examples}</ul>
            {progress}
            {error}
            {results}
            <SweepView session />
        </details>
    }
}

/// The analysis of one file.
#[component]
fn Results(session: Session, name: String, analysis: Arc<Analysis>) -> impl IntoView {
    let yours = session.yours;
    let steps = analysis.steps.len();
    let current = {
        let analysis = analysis.clone();
        move || analysis.steps.get(yours.step.get().min(steps.saturating_sub(1))).cloned()
    };
    let step_picker = (steps > 1).then(|| {
        let options = analysis
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mark = if s.verdict.passes() { "" } else { " ✗" };
                view! { <option value=i.to_string() selected=move || yours.step.get() == i>{format!("step {}{mark}", s.step)}</option> }
            })
            .collect_view();
        view! {
            <label>"Step "
                <select data-testid="import-step" on:change=move |ev| {
                    if let Ok(i) = event_target_value(&ev).parse::<usize>() { yours.step.set(i); }
                }>{options}</select>
            </label>
        }
    });
    let export_json = {
        let analysis = analysis.clone();
        let name = name.clone();
        move |_| {
            let result = serde_json::to_string_pretty(&*analysis)
                .map_err(|e| e.to_string())
                .and_then(|text| download::text(&format!("{name}.analysis.json"), "application/json", &text));
            if let Err(e) = result {
                session.message.set(Some(format!("export failed: {e}")));
            }
        }
    };
    let export_csv = {
        let analysis = analysis.clone();
        let name = name.clone();
        move |_| {
            if let Err(e) = download::text(&format!("{name}.analysis.csv"), "text/csv", &analysis_csv(&analysis)) {
                session.message.set(Some(format!("export failed: {e}")));
            }
        }
    };
    let verdict_class = if analysis.passes() { "verdict pass" } else { "verdict fail" };
    // The bug-hunt lesson: the verdict waits until the student has looked and guessed.
    let lesson = name == LESSON_FILE;
    let revealed = RwSignal::new(!lesson);
    let lesson_card = lesson.then(|| {
        view! {
            <div class="lesson-card" data-testid="import-lesson">
                <h3>"Lesson: find the bug in this run"</h3>
                <p>"This batch comes from a solver–verifier system whose configuration says it normalises agent-wise (Dr. MAS): "
                    "each agent's rewards against that agent's own mean and std within each group (prompt). "
                    "Look at the first group in the ledger below (the tab agent-wise against the column your A): the verifier's five answers all scored 1. "
                    "What should agent-wise normalisation give a sample whose key's rewards are all equal, and what does the file give it?"</p>
                <p><strong>"Question: "</strong>"which normalisation did this framework really compute?"</p>
                <button data-testid="import-lesson-reveal" on:click=move |_| revealed.set(true) disabled=move || revealed.get()>"Reveal the verdict"</button>
                <Show when=move || revealed.get()>
                    <p data-testid="import-lesson-answer">"Agent-wise statistics, but over the whole batch instead of each group: every sample is centred on the mean of its agent's rewards across all prompts. "
                        "The verifier's identical rewards of 1 in the first group get +0.42 instead of 0, and a prompt the solver always gets right still pushes it up. "
                        "With groups of uneven size the error differs per group. The verdict above names the bug, the first group where it shows and its lines."</p>
                </Show>
            </div>
        }
    });
    let headline = format!(
        "{name}: {} samples, {} step{}, agents {}{}",
        analysis.samples,
        steps,
        if steps == 1 { "" } else { "s" },
        analysis.agents.join(", "),
        if analysis.ignored_fields.is_empty() { String::new() } else { format!(" (ignored fields: {})", analysis.ignored_fields.join(", ")) }
    );
    let table_analysis = analysis.clone();
    let passes = analysis.passes();
    let summary = format!("step {}: {}", analysis.verdict_step, analysis.verdict.summary());
    let trends = (steps > 1).then(|| trends_charts(session, &analysis));
    let step_view = {
        let analysis = analysis.clone();
        move || current().map(|step| step_details(session, &analysis, step))
    };
    view! {
        <div class="import-results" data-testid="import-results">
            <p>{headline}</p>
            {lesson_card}
            <Show when=move || revealed.get() fallback=|| view! { <p class="hint" data-testid="import-verdict-hidden">"The verdict is hidden until you reveal it."</p> }>
                <div class=verdict_class data-testid="import-verdict" role="status">
                    <strong>{match (&analysis.verdict, passes) {
                        (Verdict::NoAdvantages, _) => "Nothing to check: ",
                        (_, true) => "Conforms: ",
                        (_, false) => "Does not conform: ",
                    }}</strong>
                    {summary.clone()}
                    {differing_table(&table_analysis)}
                </div>
            </Show>
            <div class="controls">{step_picker}
                <button class="link" data-testid="import-export-json" on:click=export_json>"Export JSON"</button>
                <button class="link" data-testid="import-export-csv" on:click=export_csv>"Export CSV"</button>
            </div>
            {trends}
            {step_view}
        </div>
    }
}

/// The samples where the file differs from the reference, with their lines.
fn differing_table(analysis: &Analysis) -> Option<impl IntoView> {
    let (Verdict::Deviates { differing, .. } | Verdict::Unrecognised { differing, .. }) = &analysis.verdict else { return None };
    let first = differing.first()?;
    let rows = differing
        .iter()
        .take(20)
        .map(|d| {
            view! {
                <tr class="differs"><td>{d.line}</td><td class="key">{d.episode.clone()}</td><td class="key">{d.agent.clone()}</td><td>{d.turn}</td>
                    <td>{format!("{:.4}", d.reward)}</td><td>{format!("{:.4}", d.file)}</td><td>{format!("{:.4}", d.reference)}</td></tr>
            }
        })
        .collect_view();
    Some(view! {
        <table class="ledger" data-testid="import-differing">
            <caption>{format!("The first group that differs, {} (step {}): its samples that differ", first.group, analysis.verdict_step)}</caption>
            <thead><tr><th>"line"</th><th>"episode"</th><th>"agent"</th><th>"turn"</th><th>"reward"</th><th>"your A"</th><th>"reference A"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    })
}

/// Predicted inflation and logged gradient norms per agent over the steps.
fn trends_charts(session: Session, analysis: &Analysis) -> impl IntoView {
    let names = analysis.agents.clone();
    let steps: Vec<u32> = analysis.steps.iter().map(|s| s.step).collect();
    let series = |pick: fn(&creditlab::import::AgentSummary) -> Option<f32>| -> Vec<Vec<Option<f32>>> {
        names
            .iter()
            .map(|name| analysis.steps.iter().map(|s| s.agents.iter().find(|a| &a.agent == name).and_then(pick)).collect())
            .collect()
    };
    let predicted = series(|a| a.predicted_inflation);
    let logged = series(|a| a.logged_grad_norm);
    let has_logged = logged.iter().flatten().any(Option::is_some);
    let (n1, s1) = (names.clone(), steps.clone());
    let inflation: DrawFn = crate::chart_fn!(clone n1, s1, predicted; move |root, theme| {
        charts::imported::trends(root, "predicted inflation (σ_k² + (μ_k − μ)²)/σ² per step", &n1, &s1, &predicted, theme)
    });
    let norms: DrawFn = crate::chart_fn!(clone names, steps, logged; move |root, theme| {
        charts::imported::trends(root, "logged gradient norm per step", &names, &steps, &logged, theme)
    });
    view! {
        <div class="same-grid">
            <ChartCanvas session test_id="chart-import-inflation" draw=inflation />
            {has_logged.then(|| view! { <ChartCanvas session test_id="chart-import-norms" draw=norms /> })}
        </div>
    }
}

/// One step: the agents' table, the reward and advantage histograms, the credit map, the ledger.
fn step_details(session: Session, analysis: &Analysis, step: StepAnalysis) -> impl IntoView {
    let names: Vec<String> = step.agents.iter().map(|a| a.agent.clone()).collect();
    let agent_rows = step
        .agents
        .iter()
        .map(|a| {
            view! {
                <tr><th>{a.agent.clone()}</th><td>{a.samples}</td><td>{a.episodes_acting}</td><td>{format!("{:.2}", a.acts_per_episode)}</td>
                    <td>{format!("{:.3} ± {:.3}", a.reward.mean, a.reward.std)}</td><td>{fmt(a.tokens.map(|t| t.mean), 1)}</td>
                    <td>{fmt(a.predicted_inflation, 3)}</td><td>{fmt(a.logged_grad_norm, 3)}</td>
                    <td>{a.file_advantage.map_or("—".into(), |m| format!("{:.3} ± {:.3}", m.mean, m.std))}</td></tr>
            }
        })
        .collect_view();
    let present: Vec<usize> = step.agents.iter().map(|a| analysis.agents.iter().position(|n| *n == a.agent).unwrap_or(0)).collect();
    let reward_counts: Vec<Vec<u32>> = step.agents.iter().map(|a| a.reward_histogram.clone()).collect();
    let reward_moments: Vec<creditlab::import::Moments> = step.agents.iter().map(|a| a.reward).collect();
    let reward_range = step.reward_range;
    let reward_names = names.clone();
    let rewards: DrawFn = crate::chart_fn!(clone reward_names, reward_counts, reward_moments; move |root, theme| {
        let data = charts::imported::Histograms { names: &reward_names, counts: &reward_counts, moments: &reward_moments, range: reward_range };
        charts::imported::histograms(root, "rewards per agent", data, "reward", theme)
    });
    let histograms = step
        .estimators
        .iter()
        .map(|e| {
            let counts: Vec<Vec<u32>> = present.iter().map(|&k| e.histograms.get(k).cloned().unwrap_or_default()).collect();
            let moments: Vec<creditlab::import::Moments> = present.iter().map(|&k| e.agents.get(k).copied().unwrap_or_default()).collect();
            let (names, range, caption) = (names.clone(), e.range, format!("{} — advantages", e.label));
            let draw: DrawFn = crate::chart_fn!(clone names, counts, moments, caption; move |root, theme| {
                let data = charts::imported::Histograms { names: &names, counts: &counts, moments: &moments, range };
                charts::imported::histograms(root, &caption, data, "advantage", theme)
            });
            let test_id = CHART_IDS.iter().find(|(name, _)| *name == e.estimator).map_or("chart-import-estimator", |(_, id)| *id);
            view! { <ChartCanvas session test_id width=330 height=200 draw /> }
        })
        .collect_view();
    // The credit map: per estimator and agent, the mean advantage at each turn.
    let turns = step.estimators.iter().flat_map(|e| e.credit.iter().map(|row| row.iter().rposition(Option::is_some).map_or(0, |t| t + 1))).max().unwrap_or(0);
    let max = step.estimators.iter().flat_map(|e| e.credit.iter().flatten().flatten()).fold(0.0f32, |m, v| m.max(v.abs())).max(1e-6);
    let theme = crate::components::chart_canvas::current_theme();
    let credit_rows = step
        .estimators
        .iter()
        .flat_map(|e| {
            present.iter().map(|&k| {
                let cells = (0..turns)
                    .map(|t| match e.credit.get(k).and_then(|row| row.get(t)).copied().flatten() {
                        Some(v) => {
                            let c = theme.diverging(v, max);
                            view! { <td style=format!("background: rgb({}, {}, {})", c.0, c.1, c.2)>{format!("{v:.2}")}</td> }.into_any()
                        }
                        None => view! { <td>""</td> }.into_any(),
                    })
                    .collect_view();
                view! { <tr><th class="key">{format!("{} · {}", e.estimator, analysis.agents.get(k).cloned().unwrap_or_default())}</th>{cells}</tr> }
            })
            .collect::<Vec<_>>()
        })
        .collect_view();
    let turn_heads = (0..turns).map(|t| view! { <th>{format!("turn {t}")}</th> }).collect_view();
    let ledger = (analysis.verdict_step == step.step).then(|| ledger_view(analysis));
    view! {
        <h3 data-testid="import-step-title">{format!("Step {}: {} samples, {} groups, {} episodes ({}–{} per group)", step.step, step.samples, step.groups, step.episodes, step.group_sizes[0], step.group_sizes[1])}</h3>
        <div class="table-scroll">
            <table class="readout" data-testid="import-agents">
                <thead><tr><th>"agent"</th><th title="samples at this step">"samples"</th><th title="episodes it acts in">"episodes"</th>
                    <th title="samples per episode it acts in">"acts/ep"</th><th>"reward μ ± σ"</th><th title="mean response length">"tokens"</th>
                    <th title="Dr. MAS: (σ_k² + (μ_k − μ)²)/σ² under one global baseline, from this batch">"predicted inflation"</th>
                    <th title="the gradient norm your file logs">"logged ‖g‖"</th><th>"your A μ ± σ"</th></tr></thead>
                <tbody>{agent_rows}</tbody>
            </table>
        </div>
        <div class="same-grid">
            <ChartCanvas session test_id="chart-import-rewards" width=330 height=200 draw=rewards />
            {histograms}
        </div>
        <div class="table-scroll">
            <table class="ledger credit-table" data-testid="import-credit">
                <caption>"Credit map: mean advantage per estimator, agent and turn"</caption>
                <thead><tr><th>"estimator · agent"</th>{turn_heads}</tr></thead>
                <tbody>{credit_rows}</tbody>
            </table>
        </div>
        {ledger}
    }
}

/// The ledger of the verdict's step: the first samples with every estimator's key, statistics and
/// advantage, the file's advantage beside them; a click on a key highlights the samples sharing it.
fn ledger_view(analysis: &Analysis) -> impl IntoView {
    let detail = analysis.detail.clone();
    let estimators: Vec<String> = analysis.steps.first().map(|s| s.estimators.iter().map(|e| e.estimator.clone()).collect()).unwrap_or_default();
    let chosen = RwSignal::new(1usize.min(estimators.len().saturating_sub(1)));
    let key = RwSignal::new(None::<String>);
    let differing: Vec<u32> = match &analysis.verdict {
        Verdict::Deviates { differing, .. } | Verdict::Unrecognised { differing, .. } => differing.iter().map(|d| d.line).collect(),
        _ => Vec::new(),
    };
    let agents = analysis.agents.clone();
    let tabs = estimators
        .iter()
        .enumerate()
        .map(|(i, name)| {
            view! { <button role="tab" class:active=move || chosen.get() == i aria-selected=move || (chosen.get() == i).to_string()
                on:click=move |_| { chosen.set(i); key.set(None); }>{name.clone()}</button> }
        })
        .collect_view();
    let rows = move || {
        let Some(advantages) = detail.estimators.get(chosen.get()) else { return Vec::new() };
        let selected = key.get();
        detail
            .samples
            .iter()
            .zip(&advantages.ledger)
            .enumerate()
            .take(LEDGER_ROWS)
            .map(|(i, (s, entry))| {
                let line = detail.lines.get(i).copied().unwrap_or(0);
                let file = detail.file.as_ref().and_then(|f| f.get(i)).map_or("—".into(), |v| format!("{v:.4}"));
                let shared = selected.as_deref() == Some(entry.key.as_str());
                let entry_key = entry.key.clone();
                view! {
                    <tr class:shared=shared class:differs=differing.contains(&line) on:click=move |_| key.set(Some(entry_key.clone()))>
                        <td>{line}</td><td class="key">{agents.get(s.agent as usize).cloned().unwrap_or_default()}</td><td>{s.turn}</td>
                        <td>{format!("{:.4}", s.reward)}</td><td class="key">{entry.key.clone()}</td><td>{entry.key_size}</td>
                        <td>{format!("{:.4}", entry.mean)}</td><td>{format!("{:.4}", entry.std)}</td><td>{format!("{:.4}", entry.advantage)}</td><td>{file}</td>
                    </tr>
                }
            })
            .collect::<Vec<_>>()
    };
    view! {
        <div class="ledger-bar"><h3>"Ledger of this step's first samples"</h3><div role="tablist">{tabs}</div></div>
        <div class="table-scroll">
            <table class="ledger" data-testid="import-ledger">
                <thead><tr><th>"line"</th><th>"agent"</th><th>"turn"</th><th>"reward"</th><th>"key"</th><th>"n"</th><th>"μ"</th><th>"σ"</th><th>"A"</th><th>"your A"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
