//! What the page keeps in the browser, in IndexedDB through `rexie`:
//! - finished runs: a short summary per run (listed) and, apart from it, the run record's JSON
//!   (the same file "Export run" writes), read only when a run is opened. The newest [`KEEP`]
//!   runs are kept;
//! - the older reports of the experiment on show, in chunks (see `report_log`), so a long run
//!   does not fill the page's memory. Chunks of an experiment that was replaced are deleted; ones
//!   left by a closed tab are deleted a day later.
//!
//! Every failure comes back as a sentence for the page; the lab keeps working without storage.

use creditlab::{RunRecord, TrainConfig};
use rexie::{KeyRange, ObjectStore, Rexie, TransactionMode};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};

const DATABASE: &str = "creditlab";
const STORE: &str = "runs";
/// Run records by the id of their summary in [`STORE`] (version 2; version 1 kept the record in
/// the summary, which [`load`] still reads).
const RECORDS: &str = "records";
/// Chunks of reports, keyed by `report_log` keys.
const CHUNKS: &str = "chunks";
/// Chunks older than this are an abandoned tab's (ms).
const CHUNKS_KEPT_MS: f64 = 24.0 * 3600.0 * 1000.0;

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

/// A one-line title for a run of `c`.
pub fn title(c: &TrainConfig) -> String {
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
        .version(2)
        .add_object_store(ObjectStore::new(STORE).key_path("id").auto_increment(true))
        .add_object_store(ObjectStore::new(RECORDS))
        .add_object_store(ObjectStore::new(CHUNKS).key_path("key"))
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

/// Saves a finished run (its summary, and its record's JSON `record` apart); drops the oldest
/// beyond [`KEEP`].
pub async fn save(config: &TrainConfig, updates: u32, record: &js_sys::JsString) -> Result<(), String> {
    let run = SavedRun { id: None, saved_ms: js_sys::Date::now(), title: title(config), updates, record: String::new() };
    let value = serde_wasm_bindgen::to_value(&run).map_err(|e| e.to_string())?;
    let db = open().await?;
    let tx = db.transaction(&[STORE, RECORDS], TransactionMode::ReadWrite).map_err(describe)?;
    let id = tx.store(STORE).map_err(describe)?.add(&value, None).await.map_err(describe)?;
    tx.store(RECORDS).map_err(describe)?.put(record, Some(&id)).await.map_err(describe)?;
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
    let tx = db.transaction(&[STORE, RECORDS], TransactionMode::ReadOnly).map_err(describe)?;
    let text = match tx.store(RECORDS).map_err(describe)?.get(JsValue::from(id)).await.map_err(describe)? {
        Some(record) => record.as_string().ok_or("the stored run is damaged: its record is not text")?,
        None => {
            let value = tx.store(STORE).map_err(describe)?.get(JsValue::from(id)).await.map_err(describe)?.ok_or("that run is no longer stored")?;
            from_js::<SavedRun>(value)?.record
        }
    };
    RunRecord::from_json(&text).map_err(|e| format!("the stored run is damaged: {e}"))
}

/// Removes saved run `id`.
pub async fn delete(id: u32) -> Result<(), String> {
    let db = open().await?;
    let tx = db.transaction(&[STORE, RECORDS], TransactionMode::ReadWrite).map_err(describe)?;
    tx.store(STORE).map_err(describe)?.delete(JsValue::from(id)).await.map_err(describe)?;
    tx.store(RECORDS).map_err(describe)?.delete(JsValue::from(id)).await.map_err(describe)?;
    tx.done().await.map_err(describe)?;
    Ok(())
}

/// Stores a chunk of reports (`json`) under `key`.
pub async fn put_chunk(key: &str, json: &js_sys::JsString) -> Result<(), String> {
    let value = js_sys::Object::new();
    let set = |field: &str, v: &JsValue| js_sys::Reflect::set(&value, &JsValue::from_str(field), v).map(drop).map_err(|_| "could not build a chunk".to_string());
    set("key", &JsValue::from_str(key))?;
    set("saved_ms", &JsValue::from_f64(js_sys::Date::now()))?;
    set("json", json)?;
    let db = open().await?;
    let tx = db.transaction(&[CHUNKS], TransactionMode::ReadWrite).map_err(describe)?;
    tx.store(CHUNKS).map_err(describe)?.put(&value, None).await.map_err(describe)?;
    tx.done().await.map_err(describe)?;
    Ok(())
}

/// The JSON of the chunk stored under `key` (a JS string: it need not enter the wasm memory).
pub async fn chunk(key: &str) -> Result<js_sys::JsString, String> {
    let db = open().await?;
    let tx = db.transaction(&[CHUNKS], TransactionMode::ReadOnly).map_err(describe)?;
    let value = tx
        .store(CHUNKS)
        .map_err(describe)?
        .get(JsValue::from_str(key))
        .await
        .map_err(describe)?
        .ok_or("part of the run's reports is no longer in browser storage (was the site's data cleared?)")?;
    js_sys::Reflect::get(&value, &JsValue::from_str("json"))
        .ok()
        .and_then(|json| json.dyn_into::<js_sys::JsString>().ok())
        .ok_or_else(|| "a stored chunk of reports is damaged".to_string())
}

/// Deletes the chunks whose keys lie in `lower..upper`.
pub async fn drop_chunks(lower: &str, upper: &str) -> Result<(), String> {
    let range = KeyRange::bound(&JsValue::from_str(lower), &JsValue::from_str(upper), Some(false), Some(true))
        .map_err(|e| format!("browser storage failed ({e})"))?;
    let db = open().await?;
    let tx = db.transaction(&[CHUNKS], TransactionMode::ReadWrite).map_err(describe)?;
    tx.store(CHUNKS).map_err(describe)?.delete(range.into()).await.map_err(describe)?;
    tx.done().await.map_err(describe)?;
    Ok(())
}

/// Deletes chunks of experiments started more than a day ago (a closed tab's; keys start with
/// the experiment's start time in ms, 13 digits).
pub async fn drop_old_chunks() -> Result<(), String> {
    drop_chunks("", &format!("{:013}", (js_sys::Date::now() - CHUNKS_KEPT_MS).max(0.0) as u64)).await
}
