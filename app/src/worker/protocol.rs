//! The messages between the page and its training worker, and their encoding.
//!
//! The page sends [`ToWorker`] commands and receives [`FromWorker`] results: the core's
//! [`StepReport`]s, in batches of one slice of updates, and the batch views. Every message
//! carries the *generation* of the experiment it belongs to; the page ignores answers to an
//! experiment it has since replaced.

use creditlab::bench::UpdateStep;
use creditlab::import::{Analysis, StepAnalysis};
use creditlab::{BackendInfo, BatchView, SameBatch, StepReport, TrainConfig, UpdateProbe};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

/// How fast the worker trains: as fast as it can, or slowed down to watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pace {
    /// As many updates as the backend allows.
    Full,
    /// At most this many updates per second.
    PerSecond(u32),
}

impl Pace {
    /// The paces offered in the page, with their labels.
    pub const CHOICES: [(Pace, &'static str); 4] = [
        (Pace::Full, "full speed"),
        (Pace::PerSecond(30), "up to 30 updates/s"),
        (Pace::PerSecond(5), "up to 5 updates/s"),
        (Pace::PerSecond(1), "up to 1 update/s"),
    ];
}

/// A command from the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    /// Drops any current experiment and initialises `config` (answered by `Ready` or `Error`).
    Configure {
        /// The experiment's generation, echoed in every answer about it.
        generation: u64,
        /// The experiment (validated again by the trainer); boxed, it is the largest message.
        config: Box<TrainConfig>,
        /// Try WebGPU first.
        prefer_gpu: bool,
    },
    /// Trains until paused or finished.
    Start,
    /// Stops after the update in flight (answered by `Stopped`).
    Pause,
    /// Does one update while paused.
    Step,
    /// Changes the pace.
    SetPace(Pace),
    /// Which seed (index into `config.seeds`) the batch views show; answered by `Views`.
    Inspect {
        /// Seed index.
        seed_index: u32,
    },
    /// Applies every estimator to run `run`'s last batch (answered by `SameBatch`).
    Compare {
        /// Run index.
        run: u32,
    },
    /// Takes diverged run `run` on from its last finite state (answered by its next report).
    Resume {
        /// Run index.
        run: u32,
        /// Its learning rate is multiplied by this from now on (0 < factor <= 1).
        learning_rate_factor: f32,
    },
    /// Fault injection (the address's `fault=`, for tests and demonstrations).
    Inject(Fault),
    /// Reads and analyses a logged run (answered by `ImportProgress`, then `Imported` or
    /// `ImportFailed`); training goes on around it.
    Import {
        /// The import, echoed in every answer about it.
        id: u64,
        /// Where the file is.
        source: ImportSource,
    },
    /// Times the update step in this very module, on the CPU, and describes each case's update
    /// for the in-browser peers (answered by `Bench`). Not sent by the page: `.ci/bench` posts it
    /// to the worker the page ships (`tests/peers/bench.mjs`), so the shipped build is what is timed.
    Bench {
        /// Rows per agent of each case (the update-step cases of `creditlab::bench`).
        rows: Vec<u32>,
        /// Timed updates per case (after 3 warm-up updates).
        updates: u32,
    },
}

/// Where an imported run comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportSource {
    /// A URL the worker fetches and reads as a stream: a file the user chose or dropped (an
    /// object URL of it, so that the page never holds the file) or an example file.
    Url {
        /// The URL.
        url: String,
        /// The file's name, for messages.
        name: String,
        /// Its size in bytes, where known (the progress bar's end).
        size: Option<u64>,
    },
    /// Text pasted into the page.
    Text {
        /// The text.
        text: String,
        /// What to call it.
        name: String,
    },
}

impl ImportSource {
    /// The name shown for it.
    pub fn name(&self) -> &str {
        match self {
            ImportSource::Url { name, .. } | ImportSource::Text { name, .. } => name,
        }
    }
}

/// A failure to provoke, to see the lab handle it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fault {
    /// The device fails during this update (as a lost WebGPU device would).
    DeviceLoss(u32),
    /// The worker panics before this update.
    WorkerPanic(u32),
}

impl Fault {
    /// Reads `device-loss@N` or `worker-panic@N` (N ≥ 1).
    pub fn parse(text: &str) -> Result<Fault, String> {
        let (kind, at) = text.split_once('@').ok_or_else(|| format!("“{text}” is not kind@update"))?;
        let at: u32 = at.parse().ok().filter(|&n| n >= 1).ok_or_else(|| format!("“{at}” is not an update number ≥ 1"))?;
        match kind {
            "device-loss" => Ok(Fault::DeviceLoss(at)),
            "worker-panic" => Ok(Fault::WorkerPanic(at)),
            _ => Err(format!("“{kind}” is not device-loss or worker-panic")),
        }
    }
}

/// Why the worker stopped training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopReason {
    /// Paused by the page.
    Paused,
    /// Every update is done.
    Finished,
    /// An update failed (an `Error` message says why).
    Failed,
    /// Every run has diverged: nothing is left to train until one is resumed.
    Diverged,
}

/// A result for the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// The experiment is initialised on `backend`.
    Ready {
        /// The experiment.
        generation: u64,
        /// The backend and why.
        backend: BackendInfo,
    },
    /// New updates, in order.
    Reports {
        /// The experiment.
        generation: u64,
        /// The updates' reports.
        reports: Vec<StepReport>,
        /// Updates per second over the last second of training.
        updates_per_second: f32,
    },
    /// The batch views of the last update: the inspected seed's run of every estimator.
    Views {
        /// The experiment.
        generation: u64,
        /// One per estimator, in config order.
        views: Vec<BatchView>,
    },
    /// Every estimator on one frozen batch.
    SameBatch {
        /// The experiment.
        generation: u64,
        /// The comparison.
        same: Box<SameBatch>,
    },
    /// Training stopped.
    Stopped {
        /// The experiment.
        generation: u64,
        /// Why.
        reason: StopReason,
    },
    /// Something went wrong; the message is for the user.
    Error {
        /// The experiment.
        generation: u64,
        /// What happened.
        message: String,
    },
    /// The worker panicked: it is dead and must be replaced (sent from the panic hook).
    Crashed {
        /// The panic message.
        message: String,
    },
    /// The update step timed in this module, one case per requested size, each with its update
    /// described for the peers.
    Bench {
        /// The timings, in request order.
        steps: Vec<UpdateStep>,
        /// The same cases' updates (parameters, rows, the lab's loss), in request order.
        probes: Vec<UpdateProbe>,
        /// Why a case could not be run, if one could not.
        error: Option<String>,
    },
    /// How far an import has come.
    ImportProgress {
        /// The import.
        id: u64,
        /// Bytes read.
        bytes: u64,
        /// The file's size, where known.
        size: Option<u64>,
        /// Samples read.
        samples: u64,
        /// Steps analysed, once reading is done.
        steps_done: u32,
        /// Steps in the file, once reading is done (0 while reading).
        steps: u32,
    },
    /// Some of an import's steps, in order, sent before its `Imported` (whose analysis then has
    /// no steps): a file of many steps arrives in several messages, each decoded in a main-thread
    /// task of its own.
    ImportedSteps {
        /// The import.
        id: u64,
        /// The next steps.
        steps: Vec<StepAnalysis>,
    },
    /// An import's analysis (its steps, where there are many, came before in `ImportedSteps`).
    Imported {
        /// The import.
        id: u64,
        /// The file's name.
        name: String,
        /// The analysis.
        analysis: Box<Analysis>,
    },
    /// An import was refused; the message names the line and the field.
    ImportFailed {
        /// The import.
        id: u64,
        /// The file's name.
        name: String,
        /// What is wrong.
        error: String,
    },
    /// A message from the worker that the page could not read (a bug, reported, not a crash).
    Unreadable {
        /// The decoding error.
        error: String,
    },
}

/// Worker messages as JSON text: the core's types use serde features (internally tagged enums)
/// that gloo-worker's default bincode cannot decode.
#[derive(Debug)]
pub struct JsonCodec;

impl gloo_worker::Codec for JsonCodec {
    fn encode<I: Serialize>(input: I) -> JsValue {
        match serde_json::to_string(&input) {
            Ok(text) => JsValue::from_str(&text),
            Err(err) => JsValue::from_str(&format!("{{\"codec error\":{:?}}}", err.to_string())),
        }
    }

    fn decode<O: for<'de> Deserialize<'de>>(input: JsValue) -> O {
        let text = input.as_string().unwrap_or_default();
        match serde_json::from_str(&text) {
            Ok(value) => value,
            // Both ends are this build, so this is a bug; the page gets `Unreadable` (its own
            // type has that variant) and says so rather than dying.
            Err(err) => {
                let error = format!("{err}: {text:.200}");
                let fallback = serde_json::json!({ "Unreadable": { "error": error } });
                match serde_json::from_value(fallback) {
                    Ok(value) => value,
                    Err(_) => panic!("a message to the worker did not decode: {error}"),
                }
            }
        }
    }
}
