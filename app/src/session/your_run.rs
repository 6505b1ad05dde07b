//! "Your run": an imported batch from the user's own training and its analysis. The worker
//! reads and analyses it ([`crate::worker::import`]); this part keeps the last finished analysis
//! (a failed or abandoned import never replaces it), the progress of the one in flight and its
//! error.

use std::sync::Arc;

use creditlab::import::{Analysis, StepAnalysis};
use leptos::prelude::*;

use crate::worker::FromWorker;

/// The example files (in `public/examples/`, served under `examples/`): file name and what it
/// shows. A link's `run=` names one of them.
pub const EXAMPLES: [(&str, &str); 3] = [
    ("solver-verifier.jsonl", "a solver and a verifier, 4 steps, with a bug to find (JSONL)"),
    ("agent-wise.json", "a planner and an executor, agent-wise advantages (JSON)"),
    ("bandit-grpo.csv", "three agents on reward scales ×1, ×10, ×100, global GRPO (CSV)"),
];

/// How far the import in flight has come.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportProgress {
    /// The file's name.
    pub name: String,
    /// Bytes read and the file's size, where known.
    pub bytes: (u64, Option<u64>),
    /// Samples read.
    pub samples: u64,
    /// Steps analysed of the file's steps (0 of 0 while reading).
    pub steps: (u32, u32),
}

impl ImportProgress {
    /// Done as a fraction of the whole (reading is the first half when the size is known), or
    /// None where unknown.
    pub fn fraction(&self) -> Option<f64> {
        let (done, steps) = self.steps;
        if steps > 0 {
            return Some(0.5 + 0.5 * f64::from(done) / f64::from(steps));
        }
        self.bytes.1.filter(|&size| size > 0).map(|size| 0.5 * self.bytes.0 as f64 / size as f64)
    }

    /// One line for people.
    pub fn describe(&self) -> String {
        let (done, steps) = self.steps;
        if steps > 0 {
            format!("{}: analysing step {done} of {steps} ({} samples)", self.name, self.samples)
        } else {
            format!("{}: reading, {:.1} MB, {} samples", self.name, self.bytes.0 as f64 / 1e6, self.samples)
        }
    }
}

/// The imported run's state in the page.
#[derive(Debug, Clone, Copy)]
pub struct YourRun {
    /// The panel is open.
    pub open: RwSignal<bool>,
    /// The last finished analysis and its file's name.
    pub analysis: RwSignal<Option<(String, Arc<Analysis>)>>,
    /// The import in flight.
    pub progress: RwSignal<Option<ImportProgress>>,
    /// Why the last import failed.
    pub error: RwSignal<Option<String>>,
    /// The step shown (index into the analysis's steps).
    pub step: RwSignal<usize>,
    /// The id of the import in flight (answers to older ones are dropped).
    pending: StoredValue<Option<u64>>,
    /// The steps of the import in flight received so far (`ImportedSteps`).
    parts: StoredValue<Vec<StepAnalysis>>,
    next_id: StoredValue<u64>,
}

impl Default for YourRun {
    fn default() -> Self {
        Self::new()
    }
}

impl YourRun {
    /// No run imported.
    pub fn new() -> Self {
        Self {
            open: RwSignal::new(false),
            analysis: RwSignal::new(None),
            progress: RwSignal::new(None),
            error: RwSignal::new(None),
            step: RwSignal::new(0),
            pending: StoredValue::new(None),
            parts: StoredValue::new(Vec::new()),
            next_id: StoredValue::new(1),
        }
    }

    /// Starts an import of `name`; returns its id.
    pub fn begin(self, name: &str) -> u64 {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.pending.set_value(Some(id));
        self.parts.set_value(Vec::new());
        self.open.set(true);
        self.error.set(None);
        self.progress.set(Some(ImportProgress { name: name.to_string(), bytes: (0, None), samples: 0, steps: (0, 0) }));
        id
    }

    /// Whether `message` is about imports (handled here, whatever the experiment's generation).
    pub fn concerns(message: &FromWorker) -> bool {
        matches!(
            message,
            FromWorker::ImportProgress { .. } | FromWorker::ImportedSteps { .. } | FromWorker::Imported { .. } | FromWorker::ImportFailed { .. }
        )
    }

    /// The state after `message`.
    pub fn reduce(self, message: FromWorker) {
        let current = |id: u64| self.pending.get_value() == Some(id);
        match message {
            FromWorker::ImportProgress { id, bytes, size, samples, steps_done, steps } if current(id) => {
                self.progress.update(|p| {
                    if let Some(p) = p {
                        if steps == 0 {
                            p.bytes = (bytes, size.or(p.bytes.1));
                        }
                        p.samples = samples;
                        p.steps = (steps_done, steps);
                    }
                });
            }
            FromWorker::ImportedSteps { id, steps } if current(id) => self.parts.update_value(|parts| parts.extend(steps)),
            FromWorker::Imported { id, name, mut analysis } if current(id) => {
                // The steps came before, a few per message, each decoded in a task of its own;
                // the views are built in another (a 1 M-sample file's analysis decoded and drawn
                // in one task held the main thread 62 ms).
                analysis.steps.extend(self.parts.try_update_value(std::mem::take).unwrap_or_default());
                let analysis = Arc::new(*analysis);
                set_timeout(
                    move || {
                        if self.pending.try_get_value() != Some(Some(id)) {
                            return;
                        }
                        self.pending.set_value(None);
                        self.progress.set(None);
                        self.step.set(analysis.steps.iter().position(|s| s.step == analysis.verdict_step).unwrap_or(0));
                        self.analysis.set(Some((name, analysis)));
                    },
                    std::time::Duration::ZERO,
                );
            }
            FromWorker::ImportFailed { id, name, error } if current(id) => {
                self.pending.set_value(None);
                self.parts.set_value(Vec::new());
                self.progress.set(None);
                self.error.set(Some(format!("{name} was not imported: {error}")));
            }
            FromWorker::Crashed { .. } if self.pending.get_value().is_some() => {
                self.pending.set_value(None);
                self.parts.set_value(Vec::new());
                self.progress.set(None);
                self.error.set(Some("The worker stopped while reading the file; the analysis before it is kept. Try again.".into()));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_is_shipped_and_cached_for_offline_use() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let sw = std::fs::read_to_string(root.join("public/sw.js")).expect("sw.js");
        for (file, _) in EXAMPLES {
            assert!(root.join("public/examples").join(file).is_file(), "{file} is not in public/examples");
            assert!(sw.contains(&format!("\"examples/{file}\"")), "sw.js does not cache {file}");
        }
    }

    #[test]
    fn progress_reads_the_first_half_then_analyses_the_second() {
        let mut p = ImportProgress { name: "f".into(), bytes: (50, Some(100)), samples: 10, steps: (0, 0) };
        assert_eq!(p.fraction(), Some(0.25));
        p.steps = (2, 4);
        assert_eq!(p.fraction(), Some(0.75));
        assert!(p.describe().contains("step 2 of 4"));
    }
}
