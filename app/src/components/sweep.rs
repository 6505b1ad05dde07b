//! "A sweep from Python": choose the folder `python -m creditlab.sweep` wrote; its runs are
//! listed with their final figures and the summary per variant, estimator and agent (mean over
//! seeds and its 95 % interval); any finished run opens like a run record (charts restored,
//! nothing trained). The folder's files stay on the user's disk; a record is read when opened.

use std::collections::HashMap;
use std::sync::Arc;

use creditlab::RunRecord;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;

use crate::session::Session;
use crate::sweep::{relative, Sweep};

/// Runs listed (a sweep of thousands lists its first ones; its CSVs have them all).
const LISTED_RUNS: usize = 500;

fn figure(value: Option<f64>) -> String {
    value.map_or("—".into(), |v| format!("{v:.3}"))
}

fn with_interval(mean: Option<f64>, lo: Option<f64>, hi: Option<f64>) -> String {
    match (mean, lo, hi) {
        (Some(m), Some(lo), Some(hi)) => format!("{m:.3} [{lo:.3}, {hi:.3}]"),
        (m, _, _) => figure(m),
    }
}

/// A chosen file's path within the chosen folder (its name where the browser gives no path).
fn path_of(file: &web_sys::File) -> String {
    js_sys::Reflect::get(file, &JsValue::from_str("webkitRelativePath"))
        .ok()
        .and_then(|v| v.as_string())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| file.name())
}

/// The sweep panel.
#[component]
pub fn SweepView(
    /// The session.
    session: Session,
) -> impl IntoView {
    let sweep: RwSignal<Option<Arc<Sweep>>> = RwSignal::new(None);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let records: StoredValue<HashMap<String, web_sys::File>, LocalStorage> =
        StoredValue::new_local(HashMap::new());
    let on_folder = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(list) = input.files() else { return };
        let chosen: Vec<(String, web_sys::File)> = (0..list.length())
            .filter_map(|i| list.get(i))
            .map(|f| (path_of(&f), f))
            .collect();
        input.set_value("");
        let Some((sweep_path, sweep_file)) = chosen
            .iter()
            .filter(|(p, _)| p == "sweep.json" || p.ends_with("/sweep.json"))
            .min_by_key(|(p, _)| p.matches('/').count())
            .cloned()
        else {
            error.set(Some(
                "That folder has no sweep.json: choose the folder python -m creditlab.sweep wrote (its --out, sweeps/NAME by default). \
                 The sweep shown before, if any, is kept."
                    .into(),
            ));
            return;
        };
        let found: HashMap<String, web_sys::File> = chosen
            .into_iter()
            .filter_map(|(p, f)| {
                relative(&p, &sweep_path)
                    .filter(|r| r.starts_with("records/"))
                    .map(|r| (r.to_string(), f))
            })
            .collect();
        spawn_local(async move {
            let text = gloo_file::futures::read_as_text(&gloo_file::File::from(sweep_file)).await;
            match text
                .map_err(|e| format!("sweep.json could not be read: {e}"))
                .and_then(|t| Sweep::from_json(&t))
            {
                Ok(read) => {
                    records.set_value(found);
                    error.set(None);
                    sweep.set(Some(Arc::new(read)));
                }
                Err(e) => error.set(Some(format!(
                    "{e}. The sweep shown before, if any, is kept."
                ))),
            }
        });
    };
    let open_run = move |index: usize| {
        let Some(s) = sweep.get_untracked() else {
            return;
        };
        let Some(run) = s.runs.get(index).cloned() else {
            return;
        };
        let what = format!("{} · {} · seed {}", run.label, run.estimator, run.seed);
        let file = run
            .record
            .as_ref()
            .and_then(|path| records.with_value(|m| m.get(path).cloned()));
        let Some(file) = file else {
            error.set(Some(format!(
                "The record of {what} is not in the chosen folder ({}).",
                run.record.as_deref().unwrap_or("no record")
            )));
            return;
        };
        let name = s.name.clone();
        spawn_local(async move {
            let result = gloo_file::futures::read_as_text(&gloo_file::File::from(file))
                .await
                .map_err(|e| e.to_string())
                .and_then(|text| RunRecord::from_json(&text).map_err(|e| e.to_string()));
            match result {
                Ok(record) => {
                    let updates = record.reports.len();
                    session.open_record(record);
                    error.set(None);
                    session.message.set(Some(format!(
                        "Opened {what} from sweep {name}: {updates} updates, charts restored without training. Reset trains it again."
                    )));
                }
                Err(e) => error.set(Some(format!(
                    "The record of {what} could not be opened: {e}. Nothing was changed."
                ))),
            }
        });
    };
    let shown = move || {
        sweep.get().map(|s| {
            let finished = s.runs.iter().filter(|r| r.finished).count();
            let failed = s.runs.iter().filter(|r| r.error.is_some()).count();
            let agents = s.agents();
            let summary = s
                .summary
                .iter()
                .map(|row| {
                    view! {
                        <tr>
                            <td>{row.label.clone()}</td><td>{row.estimator.clone()}</td><td>{row.agent}</td><td>{row.seeds}</td>
                            <td>{with_interval(row.final_reward_mean, row.final_reward_lo, row.final_reward_hi)}</td>
                            <td>{figure(row.grad_norm_median_mean)}</td><td>{figure(row.grad_norm_spread_mean)}</td>
                            <td>{figure(row.grad_norm_spikes_mean)}</td>
                        </tr>
                    }
                })
                .collect_view();
            let runs = s
                .runs
                .iter()
                .take(LISTED_RUNS)
                .enumerate()
                .map(|(i, run)| {
                    let rewards = (0..agents).map(|k| view! { <td>{figure(run.final_reward.get(k).copied().flatten())}</td> }).collect_view();
                    let status = match (&run.error, run.finished) {
                        (Some(e), _) => view! { <td class="hint" title=e.clone()>"failed"</td> }.into_any(),
                        (None, true) => view! { <td><button class="link" data-testid="sweep-open" on:click=move |_| open_run(i)>"open"</button></td> }.into_any(),
                        (None, false) => view! { <td class="hint">"not run"</td> }.into_any(),
                    };
                    view! {
                        <tr><td>{run.label.clone()}</td><td>{run.estimator.clone()}</td><td>{run.seed}</td>{rewards}
                            <td>{run.wall_s.map_or("—".into(), |w| format!("{w:.2} s"))}</td>{status}</tr>
                    }
                })
                .collect_view();
            let more = (s.runs.len() > LISTED_RUNS).then(|| {
                view! { <p class="hint">{format!("The first {LISTED_RUNS} of {} runs; runs.csv lists them all.", s.runs.len())}</p> }
            });
            let reward_heads = (0..agents).map(|k| view! { <th>{format!("agent {k}")}</th> }).collect_view();
            view! {
                <p data-testid="sweep-title">{format!("Sweep {}: {} runs, {finished} finished, {failed} failed.", s.name, s.runs.len())}</p>
                <p class="hint">"Per variant, estimator and agent over the seeds: the final reward (mean of each run's last tenth of updates) with its 95 % interval, \
                    and each run's gradient norm: its median, its spread (95th percentile ÷ median) and its spikes (updates above 5× the median)."</p>
                <div class="table-scroll">
                    <table class="readout" data-testid="sweep-summary">
                        <thead><tr><th>"variant"</th><th>"estimator"</th><th>"agent"</th><th>"seeds"</th><th>"final reward [95 %]"</th>
                            <th>"grad-norm median"</th><th>"spread"</th><th>"spikes"</th></tr></thead>
                        <tbody>{summary}</tbody>
                    </table>
                </div>
                <div class="table-scroll">
                    <table class="readout" data-testid="sweep-runs">
                        <caption>"Runs: final reward per agent"</caption>
                        <thead><tr><th>"variant"</th><th>"estimator"</th><th>"seed"</th>{reward_heads}<th>"wall"</th><th></th></tr></thead>
                        <tbody>{runs}</tbody>
                    </table>
                </div>
                {more}
            }
        })
    };
    view! {
        <section class="sweep" data-testid="sweep" aria-label="a sweep from Python">
            <h3>"A sweep from Python"</h3>
            <p class="hint">"python -m creditlab.sweep SWEEP.yaml runs a grid of configs × seeds on Ray and writes a folder (README, “Sweeps on Ray”). \
                Choose that folder to list its runs and open any of them here like a run record."</p>
            <label>"Open a sweep's folder "
                <input type="file" prop:webkitdirectory=true data-testid="sweep-folder" on:change=on_folder />
            </label>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="sweep-error">{e}</p> })}
            {shown}
        </section>
    }
}
