//! The experiment's data as the page holds it: the charts' history, the batch views, the
//! same-batch comparison and the log of every report (the newest in memory, older ones spilled
//! to IndexedDB). It changes only through [`Experiment::reset`], [`Experiment::keep`] and the
//! reducer [`Experiment::reduce`].

use creditlab::{BatchView, SameBatch, StepReport, TrainConfig};
use leptos::prelude::*;

use crate::history::History;
use crate::report_log::ReportLog;
use crate::storage;
use crate::worker::{FromWorker, StopReason};

/// The experiment's data (a `Copy` handle).
#[derive(Debug, Clone, Copy)]
pub struct Experiment {
    /// Chart data of the current experiment.
    pub history: RwSignal<History>,
    /// The last batch of the inspected seed, one view per estimator.
    pub views: RwSignal<Vec<BatchView>>,
    /// The frozen batch under every estimator, once asked for.
    pub same_batch: RwSignal<Option<SameBatch>>,
    /// Which seed (index) the batch views show.
    pub inspect_seed: RwSignal<usize>,
    /// Every report of the experiment, in update order (for exports): the newest in memory,
    /// older ones in browser storage.
    pub reports: StoredValue<ReportLog<js_sys::JsString>, LocalStorage>,
    /// Bumped whenever `reports` changes (exports and read-outs track it).
    pub reports_changed: RwSignal<u64>,
    /// The run on show was imported (or opened from the history), not trained here.
    pub imported: RwSignal<bool>,
    /// Bumped when a run finishes (the run history saves it).
    pub finished: RwSignal<u64>,
    /// A notice about storage for the user (set from the spill tasks).
    notice: RwSignal<Option<String>>,
}

impl Experiment {
    /// The empty data of `config`, inspecting seed `inspect`; storage problems are told
    /// through `notice`.
    pub fn new(config: &TrainConfig, inspect: usize, notice: RwSignal<Option<String>>) -> Self {
        Self {
            history: RwSignal::new(History::new(config)),
            views: RwSignal::new(Vec::new()),
            same_batch: RwSignal::new(None),
            inspect_seed: RwSignal::new(inspect),
            reports: StoredValue::new_local(ReportLog::default()),
            reports_changed: RwSignal::new(0),
            imported: RwSignal::new(false),
            finished: RwSignal::new(0),
            notice,
        }
    }

    /// Replaces the data with `reports` of `config`: new charts, empty batch views, a new report
    /// log (the old one's stored chunks are deleted).
    pub fn reset(self, config: &TrainConfig, reports: Vec<StepReport>, imported: bool) {
        let mut history = History::new(config);
        for report in &reports {
            history.push(report);
        }
        self.history.set(history);
        // A new log under a new key prefix: the experiment's start time (so a closed tab's
        // chunks can be told by age) and a random tag (two tabs never share one).
        let prefix = format!("{:013}.{:08x}", js_sys::Date::now() as u64, (js_sys::Math::random() * f64::from(u32::MAX)) as u32);
        let old = self.reports.try_update_value(|log| std::mem::replace(log, ReportLog::new(prefix, true)));
        if let Some(old) = old.filter(|old| !old.prefix().is_empty()) {
            leptos::task::spawn_local(async move {
                let (lower, upper) = (format!("{}/", old.prefix()), format!("{}0", old.prefix()));
                if let Err(e) = storage::drop_chunks(&lower, &upper).await {
                    leptos::logging::warn!("an old experiment's reports were not cleared: {e}");
                }
            });
        }
        self.keep(reports);
        self.imported.set(imported);
        self.views.set(Vec::new());
        self.same_batch.set(None);
        if self.inspect_seed.get_untracked() >= config.seeds.len() {
            self.inspect_seed.set(0);
        }
    }

    /// Adds the next `reports` to the log and writes the chunks that leave memory.
    pub fn keep(self, reports: Vec<StepReport>) {
        // A chunk's JSON becomes a JS string at once: the wasm memory never shrinks, so it must
        // not hold chunks waiting for IndexedDB.
        let spills = self.reports.try_update_value(|log| log.push(reports, js_sys::JsString::from)).unwrap_or_default();
        self.reports_changed.update(|v| *v += 1);
        for spill in spills {
            leptos::task::spawn_local(async move {
                let result = storage::put_chunk(&spill.key, &spill.json).await;
                let first_refusal = self.reports.try_update_value(|log| log.written(&spill.key, result.is_ok())).unwrap_or(false);
                let replaced = self.reports.with_value(|log| !spill.key.starts_with(log.prefix()));
                if result.is_ok() && replaced {
                    // Written after its experiment was replaced (and its chunks deleted).
                    let _ = storage::drop_chunks(&spill.key, &format!("{}\0", spill.key)).await;
                }
                if let (true, Err(e)) = (first_refusal, result) {
                    self.notice.set(Some(format!(
                        "Older reports could not be moved to browser storage ({e}), so this run is kept in memory: a very long run will use more memory. Exports are unaffected."
                    )));
                }
            });
        }
    }

    /// Whether every update is done.
    pub fn is_finished(self) -> bool {
        self.history.with_untracked(|h| h.updates >= h.total)
    }

    /// The data after `message` (about the current experiment); returns a notice for the user,
    /// if the message calls for one.
    pub fn reduce(self, message: FromWorker) -> Option<String> {
        match message {
            FromWorker::Reports { reports, .. } => {
                self.history.update(|h| {
                    for report in &reports {
                        h.push(report);
                    }
                });
                self.keep(reports);
            }
            FromWorker::Views { views, .. } => self.views.set(views),
            FromWorker::SameBatch { same, .. } => self.same_batch.set(Some(*same)),
            FromWorker::Stopped { reason: StopReason::Finished, .. } if self.is_finished() => self.finished.update(|v| *v += 1),
            FromWorker::Stopped { reason: StopReason::Finished, .. } => return Some("The run is finished; Reset to train again.".into()),
            FromWorker::Stopped { reason: StopReason::Diverged, .. } => {
                self.finished.update(|v| *v += 1);
                return Some("Every run has diverged, so training stopped. Roll a run back below to go on, or change the settings.".into());
            }
            // Keep what was trained: the run history saves the reports received so far.
            FromWorker::Crashed { .. } if self.reports.with_value(|r| !r.is_empty()) && !self.imported.get_untracked() => {
                self.finished.update(|v| *v += 1)
            }
            FromWorker::Ready { .. }
            | FromWorker::Stopped { .. }
            | FromWorker::Error { .. }
            | FromWorker::Crashed { .. }
            | FromWorker::Unreadable { .. }
            | FromWorker::Bench { .. }
            | FromWorker::ImportProgress { .. }
            | FromWorker::ImportedSteps { .. }
            | FromWorker::Imported { .. }
            | FromWorker::ImportFailed { .. } => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_is_told_and_a_finished_or_diverged_run_is_saved() {
        let notice = RwSignal::new(None);
        let data = Experiment::new(&TrainConfig::default(), 0, notice);
        let stopped = |reason| FromWorker::Stopped { generation: 1, reason };
        // "Finished" before the last update was drawn: the user is told to reset; nothing saved.
        let told = data.reduce(stopped(StopReason::Finished));
        assert!(told.is_some_and(|t| t.contains("Reset")));
        assert_eq!(data.finished.get_untracked(), 0);
        // Every update done: the run history saves it, silently.
        data.history.update(|h| h.updates = h.total);
        assert_eq!(data.reduce(stopped(StopReason::Finished)), None);
        assert_eq!(data.finished.get_untracked(), 1);
        // Every run diverged: saved, and the user is told how to go on.
        assert!(data.reduce(stopped(StopReason::Diverged)).is_some_and(|t| t.contains("diverged")));
        assert_eq!(data.finished.get_untracked(), 2);
        // A pause changes nothing here.
        assert_eq!(data.reduce(stopped(StopReason::Paused)), None);
        assert_eq!(data.finished.get_untracked(), 2);
    }
}
