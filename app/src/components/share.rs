//! Export and import: the run record (JSON), its per-update metrics (CSV), the current batch and
//! its ledger (JSON), importing a run file, and the run history kept in the browser.

use creditlab::{MetricsCsv, RunRecord};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;

use crate::download;
use crate::report_log::{parse_items, Part};
use crate::session::Session;
use crate::storage::{self, SavedRun};

/// Largest run file the page reads (a million-update record is far smaller).
const MAX_IMPORT_BYTES: f64 = 256.0 * 1024.0 * 1024.0;

fn file_stem(session: Session) -> String {
    let config = session.config.get_untracked();
    format!("creditlab-{}-update{}", config.game.kind(), session.data.history.with_untracked(|h| h.updates))
}

fn when(ms: f64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    String::from(date.to_locale_string("en-GB", &wasm_bindgen::JsValue::UNDEFINED))
}

/// A part's reports as JSON text (the array's items), read back from browser storage where the
/// part was stored.
async fn part_text(part: Part<js_sys::JsString>) -> Result<js_sys::JsString, String> {
    match part {
        Part::Chunk(json) => Ok(json),
        Part::Tail(json) => Ok(json.into()),
        Part::Stored(key) => storage::chunk(&key).await,
    }
}

/// The run on show as record JSON, in parts (JS strings, joined as they are): the record's
/// frame around its reports, whose older chunks are read back from browser storage one at a
/// time, so a long run is never one string in the wasm memory. Also the number of updates.
async fn record_json(session: Session) -> Result<(js_sys::Array, u32), String> {
    let (before, after) = session.record_frame().json_frame();
    let (parts, updates) = session.data.reports.with_value(|log| (log.parts(), log.len() as u32));
    let array = js_sys::Array::new();
    array.push(&JsValue::from_str(&before));
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            array.push(&JsValue::from_str(","));
        }
        array.push(&part_text(part).await?.into());
    }
    array.push(&JsValue::from_str(&after));
    Ok((array, updates))
}

/// The run on show's metrics CSV, in parts (header, then each chunk's rows).
async fn metrics_csv(session: Session) -> Result<js_sys::Array, String> {
    let (parts, figures) = session.data.reports.with_value(|log| (log.parts(), log.figures().clone()));
    let csv = MetricsCsv::new(figures);
    let array = js_sys::Array::new();
    array.push(&JsValue::from_str(&csv.header().map_err(|e| e.to_string())?));
    for part in parts {
        let reports = parse_items(&String::from(part_text(part).await?))?;
        array.push(&JsValue::from_str(&csv.rows(&reports).map_err(|e| e.to_string())?));
    }
    Ok(array)
}

/// The export, import and history panel.
#[component]
pub fn Share(
    /// The session.
    session: Session,
) -> impl IntoView {
    let runs = RwSignal::new(Vec::<SavedRun>::new());
    let storage_note = RwSignal::new(None::<String>);
    let refresh = move || {
        spawn_local(async move {
            match storage::list().await {
                Ok(list) => {
                    runs.set(list);
                    storage_note.set(None);
                }
                Err(e) => storage_note.set(Some(format!("The run history is unavailable: {e}. The lab works without it."))),
            }
        })
    };
    refresh();
    // Each finished run is saved; a full or missing storage is said, and nothing else changes.
    Effect::new(move |previous: Option<u64>| {
        let finished = session.data.finished.get();
        if previous.is_some_and(|p| p != finished) {
            let config = session.config.get_untracked();
            // In a task of its own, after the redraws that the finish causes.
            set_timeout(move || spawn_local(async move {
                let saved = match record_json(session).await {
                    Ok((parts, updates)) => storage::save(&config, updates, &parts.join("")).await,
                    Err(e) => Err(e),
                };
                match saved {
                    Ok(()) => refresh(),
                    Err(e) => session.message.set(Some(format!(
                        "The finished run was not saved in the history: {e}. Export it as JSON to keep it."
                    ))),
                }
            }), std::time::Duration::ZERO);
        }
        finished
    });

    let has_reports = move || {
        session.data.reports_changed.track();
        session.data.reports.with_value(|r| !r.is_empty())
    };
    let export_json = move |_| {
        let name = format!("{}.json", file_stem(session));
        spawn_local(async move {
            let result = record_json(session).await.and_then(|(parts, _)| download::parts(&name, "application/json", &parts));
            if let Err(e) = result {
                session.message.set(Some(format!("Export failed: {e}")));
            }
        });
    };
    let export_csv = move |_| {
        let name = format!("{}.csv", file_stem(session));
        spawn_local(async move {
            let result = metrics_csv(session).await.and_then(|parts| download::parts(&name, "text/csv", &parts));
            if let Err(e) = result {
                session.message.set(Some(format!("CSV export failed: {e}")));
            }
        });
    };
    let export_batch = move |_| {
        let views = session.data.views.get_untracked();
        let result = serde_json::to_string_pretty(&views)
            .map_err(|e| e.to_string())
            .and_then(|json| download::text(&format!("{}-batch.json", file_stem(session)), "application/json", &json));
        if let Err(e) = result {
            session.message.set(Some(format!("Batch export failed: {e}")));
        }
    };
    let import = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
        input.set_value("");
        let file = gloo_file::File::from(file);
        let name = file.name();
        if file.size() as f64 > MAX_IMPORT_BYTES {
            session.message.set(Some(format!("Could not import {name}: the file is larger than 256 MB. Nothing was changed.")));
            return;
        }
        spawn_local(async move {
            let text = match gloo_file::futures::read_as_text(&file).await {
                Ok(text) => text,
                Err(e) => {
                    session.message.set(Some(format!("Could not read {name}: {e}. Nothing was changed.")));
                    return;
                }
            };
            match RunRecord::from_json(&text) {
                Ok(record) => {
                    let updates = record.reports.len();
                    session.open_record(record);
                    session.message.set(Some(format!(
                        "Imported {name}: {updates} updates, charts restored without training. Reset trains it again."
                    )));
                }
                Err(e) => session.message.set(Some(format!("Could not import {name}: {e}. Nothing was changed."))),
            }
        });
    };
    let open = move |id: u32| {
        spawn_local(async move {
            match storage::load(id).await {
                Ok(record) => {
                    let updates = record.reports.len();
                    session.open_record(record);
                    session.message.set(Some(format!("Opened a saved run: {updates} updates. Reset trains it again.")));
                }
                Err(e) => session.message.set(Some(format!("Could not open the saved run: {e}"))),
            }
        })
    };
    let remove = move |id: u32| {
        spawn_local(async move {
            match storage::delete(id).await {
                Ok(()) => refresh(),
                Err(e) => session.message.set(Some(format!("Could not delete the saved run: {e}"))),
            }
        })
    };
    let list = move || {
        runs.get()
            .into_iter()
            .filter_map(|run| {
                let id = run.id?;
                Some(view! {
                    <li data-testid="history-run">
                        <span class="history-title">{run.title.clone()}</span>
                        <span class="hint">{format!(" · {} updates · {}", run.updates, when(run.saved_ms))}</span>
                        <button data-testid="history-open" on:click=move |_| open(id)>"Open"</button>
                        <button class="link" aria-label="delete this saved run" on:click=move |_| remove(id)>"Delete"</button>
                    </li>
                })
            })
            .collect_view()
    };
    view! {
        <section class="share" data-testid="share" aria-label="export, import and history">
            <h2>"Export, import and history"</h2>
            <div class="share-buttons">
                <button data-testid="export-json" on:click=export_json disabled=move || !has_reports()
                    title="config, every report and the build version">"Export run (JSON)"</button>
                <button data-testid="export-csv" on:click=export_csv disabled=move || !has_reports()
                    title="one row per update, run and agent">"Metrics (CSV)"</button>
                <button data-testid="export-batch" on:click=export_batch disabled=move || session.data.views.with(Vec::is_empty)
                    title="the inspected seed's last batch and its ledger, per estimator">"Batch + ledger (JSON)"</button>
                <label class="import">"Import a run (JSON) "
                    <input type="file" accept=".json,application/json" data-testid="import-file" on:change=import />
                </label>
            </div>
            <p class="hint">"Each chart has its own PNG and SVG buttons. Finished runs are kept in this browser (the newest "
                {storage::KEEP}"); the address bar always holds a link to the experiment."</p>
            {move || storage_note.get().map(|n| view! { <p class="hint" data-testid="storage-note">{n}</p> })}
            <ul class="history" data-testid="run-history">{list}</ul>
        </section>
    }
}
