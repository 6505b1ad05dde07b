//! Finished runs kept in the browser: IndexedDB through `rexie`, one object per run holding
//! a short summary and the run record's JSON (the same file "Export run" writes). The newest
//! [`KEEP`] runs are kept. Every failure comes back as a sentence for the page; the lab keeps
//! working without storage.

use creditlab::RunRecord;
use rexie::{ObjectStore, Rexie, TransactionMode};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

const DATABASE: &str = "creditlab";
const STORE: &str = "runs";

/// How many finished runs the history keeps (oldest dropped first).
pub const KEEP: usize = 30;

/// One run in the history list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedRun {
    /// IndexedDB key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    /// When it was saved (ms since the epoch).
    pub saved_ms: f64,
    /// Game and estimators.
    pub title: String,
    /// Updates in the record.
    pub updates: u32,
    /// The record as JSON (left out of the list).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub record: String,
}

/// A one-line title for a run.
pub fn title(record: &RunRecord) -> String {
    let c = &record.config;
    let estimators: Vec<&str> = c.estimators.iter().map(|e| e.name()).collect();
    format!("{} · {} · seeds {}", c.game.kind(), estimators.join(", "), c.seeds.iter().map(u64::to_string).collect::<Vec<_>>().join(","))
}

fn describe(error: rexie::Error) -> String {
    let text = match error {
        rexie::Error::IdbError(e) => e.to_string(),
        other => other.to_string(),
    };
    if text.contains("Quota") {
        "browser storage is full".into()
    } else {
        format!("browser storage failed ({text})")
    }
}

async fn open() -> Result<Rexie, String> {
    Rexie::builder(DATABASE)
        .version(1)
        .add_object_store(ObjectStore::new(STORE).key_path("id").auto_increment(true))
        .build()
        .await
        .map_err(|e| match describe(e) {
            full if full.contains("full") => full,
            _ => "browser storage (IndexedDB) is not available in this browser window".into(),
        })
}

fn from_js<T: for<'de> Deserialize<'de>>(value: JsValue) -> Result<T, String> {
    serde_wasm_bindgen::from_value(value).map_err(|e| format!("a stored run could not be read ({e})"))
}

/// Every saved run, newest first, without their records.
pub async fn list() -> Result<Vec<SavedRun>, String> {
    let db = open().await?;
    let tx = db.transaction(&[STORE], TransactionMode::ReadOnly).map_err(describe)?;
    let store = tx.store(STORE).map_err(describe)?;
    let values = store.get_all(None, None).await.map_err(describe)?;
    let mut runs = Vec::with_capacity(values.len());
    for value in values {
        let mut run: SavedRun = from_js(value)?;
        run.record = String::new();
        runs.push(run);
    }
    runs.sort_by(|a, b| b.saved_ms.total_cmp(&a.saved_ms));
    Ok(runs)
}

/// Saves a finished run; drops the oldest beyond [`KEEP`].
pub async fn save(record: &RunRecord) -> Result<(), String> {
    let run = SavedRun {
        id: None,
        saved_ms: js_sys::Date::now(),
        title: title(record),
        updates: record.reports.len() as u32,
        record: record.to_json(),
    };
    let value = serde_wasm_bindgen::to_value(&run).map_err(|e| e.to_string())?;
    let db = open().await?;
    let tx = db.transaction(&[STORE], TransactionMode::ReadWrite).map_err(describe)?;
    let store = tx.store(STORE).map_err(describe)?;
    store.add(&value, None).await.map_err(describe)?;
    tx.done().await.map_err(describe)?;
    let runs = list().await?;
    for old in runs.iter().skip(KEEP) {
        if let Some(id) = old.id {
            delete(id).await?;
        }
    }
    Ok(())
}

/// The record of saved run `id`, checked like an imported file.
pub async fn load(id: u32) -> Result<RunRecord, String> {
    let db = open().await?;
    let tx = db.transaction(&[STORE], TransactionMode::ReadOnly).map_err(describe)?;
    let store = tx.store(STORE).map_err(describe)?;
    let value = store.get(JsValue::from(id)).await.map_err(describe)?.ok_or("that run is no longer stored")?;
    let run: SavedRun = from_js(value)?;
    RunRecord::from_json(&run.record).map_err(|e| format!("the stored run is damaged: {e}"))
}

/// Removes saved run `id`.
pub async fn delete(id: u32) -> Result<(), String> {
    let db = open().await?;
    let tx = db.transaction(&[STORE], TransactionMode::ReadWrite).map_err(describe)?;
    let store = tx.store(STORE).map_err(describe)?;
    store.delete(JsValue::from(id)).await.map_err(describe)?;
    tx.done().await.map_err(describe)?;
    Ok(())
}
