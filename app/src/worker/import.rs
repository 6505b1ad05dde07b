//! An imported run, read and analysed in the worker: the file is fetched from its URL (an object
//! URL of the user's file, or an example file) and fed to the core's streaming
//! [`Importer`](creditlab::import::Importer) chunk by chunk, so neither the page nor the worker
//! holds the file's text; then [`creditlab::import::analyse`] runs step by step. Progress goes to
//! the page as it comes; a refused file's message names the line and the field.

use creditlab::import::{analyse, Analysis, ImportedRun, Importer};
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::protocol::{FromWorker, ImportSource};

/// Bytes between two progress messages while reading.
const PROGRESS_BYTES: u64 = 2 << 20;

/// Reads and analyses `source`, answering through `send`.
pub async fn import(id: u64, source: ImportSource, send: &dyn Fn(FromWorker)) {
    let name = source.name().to_string();
    let run = match read(id, &source, send).await {
        Ok(run) => run,
        Err(error) => return send(FromWorker::ImportFailed { id, name, error }),
    };
    let samples = run.samples.len() as u64;
    let analysis = analyse(&run, None, |done, total| {
        // About twenty messages, whatever the number of steps.
        if done == total || done % (total / 20).max(1) == 0 {
            send(FromWorker::ImportProgress { id, bytes: 0, size: None, samples, steps_done: done as u32, steps: total as u32 });
        }
    });
    send_analysis(id, name, analysis, send);
}

/// Steps per `ImportedSteps` message: a 100-step file's analysis decoded in one message held the
/// page's main thread ~45 ms; three take about one (and the 4-step example arrives in two).
const STEPS_PER_MESSAGE: usize = 3;

/// Sends `analysis`: its steps in messages of [`STEPS_PER_MESSAGE`], then the rest.
fn send_analysis(id: u64, name: String, mut analysis: Analysis, send: &dyn Fn(FromWorker)) {
    let mut steps = std::mem::take(&mut analysis.steps).into_iter().peekable();
    while steps.peek().is_some() {
        send(FromWorker::ImportedSteps { id, steps: steps.by_ref().take(STEPS_PER_MESSAGE).collect() });
    }
    send(FromWorker::Imported { id, name, analysis: Box::new(analysis) });
}

async fn read(id: u64, source: &ImportSource, send: &dyn Fn(FromWorker)) -> Result<ImportedRun, String> {
    let mut importer = Importer::new();
    let progress = |importer: &Importer, size: Option<u64>| FromWorker::ImportProgress {
        id,
        bytes: importer.bytes_read(),
        size,
        samples: importer.samples_read() as u64,
        steps_done: 0,
        steps: 0,
    };
    match source {
        ImportSource::Text { text, .. } => {
            importer.push(text.as_bytes()).map_err(|e| e.to_string())?;
        }
        ImportSource::Url { url, name, size } => {
            let response = fetch(url).await.map_err(|e| format!("cannot read {name}: {}", describe(&e)))?;
            if !response.ok() {
                return Err(format!("cannot read {name}: HTTP {}", response.status()));
            }
            let body = response.body().ok_or_else(|| format!("{name} is empty"))?;
            let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
            let mut next = PROGRESS_BYTES;
            loop {
                let chunk = JsFuture::from(reader.read()).await.map_err(|e| format!("cannot read {name}: {}", describe(&e)))?;
                if Reflect::get(&chunk, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true) {
                    break;
                }
                let bytes: Uint8Array = Reflect::get(&chunk, &"value".into()).map_err(|e| describe(&e))?.unchecked_into();
                let result = importer.push(&bytes.to_vec());
                if let Err(e) = result {
                    let _ = reader.cancel();
                    return Err(e.to_string());
                }
                if importer.bytes_read() >= next {
                    send(progress(&importer, *size));
                    next += PROGRESS_BYTES;
                }
            }
        }
    }
    send(progress(&importer, None));
    importer.finish().map_err(|e| e.to_string())
}

/// `fetch(url)` from a worker or, in the browser tests that drive the service directly, from
/// the page.
async fn fetch(url: &str) -> Result<web_sys::Response, JsValue> {
    let global = js_sys::global();
    let promise = if let Some(worker) = global.dyn_ref::<web_sys::WorkerGlobalScope>() {
        worker.fetch_with_str(url)
    } else if let Some(window) = global.dyn_ref::<web_sys::Window>() {
        window.fetch_with_str(url)
    } else {
        return Err(JsValue::from_str("no fetch in this context"));
    };
    JsFuture::from(promise).await?.dyn_into()
}

fn describe(error: &JsValue) -> String {
    error.as_string().or_else(|| error.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message()))).unwrap_or_else(|| format!("{error:?}"))
}
