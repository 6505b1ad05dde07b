//! The page's side of an experiment: the config being edited, the training worker it talks
//! to, and the reactive state the views read (history, batch views, progress).
//!
//! Data flows one way: a control changes the config → the worker is reconfigured → reports and
//! batch views come back as messages → signals → charts. Each experiment has a generation
//! number; messages about an older one are dropped.

use creditlab::{BackendInfo, BatchView, RunRecord, SameBatch, StepReport, TrainConfig};
use gloo_worker::{Spawnable, WorkerBridge};
use leptos::prelude::*;
use web_time::Instant;

use crate::game_view::GameView;
use crate::history::History;
use crate::report_log::ReportLog;
use crate::storage;
use crate::url::Teacher;
use crate::worker::{Fault, FromWorker, JsonCodec, Pace, StopReason, ToWorker, TrainingWorker};

/// Least time between two chart redraws while training (read-outs update on every message).
const REDRAW_MS: f64 = 200.0;

/// The charts' drawing, measured, so that while training it takes at most about half of the
/// main thread (input, timers and storage keep the other half): a redraw waits until the last
/// one's drawing is done and at least as long again has passed.
#[derive(Debug, Clone, Copy, Default)]
pub struct DrawLoad {
    /// Chart drawings scheduled and not yet done.
    pub pending: u32,
    /// Drawing time (ms) of the round in progress.
    pub round_ms: f64,
    /// Drawing time (ms) of the last finished round.
    pub last_round_ms: f64,
}

/// Where trunk puts the CPU worker's loader (`data-type="worker"` files are not hashed).
pub const WORKER_LOADER: &str = "./creditlab-worker_loader.js";
/// The WebGPU worker's loader (the same worker built with WebGPU; fetched only on request).
pub const GPU_WORKER_LOADER: &str = "./creditlab-gpu-worker_loader.js";

/// Why the page trains on the CPU by default (the badge shows the part before the parenthesis).
/// Measured by `.ci/bench` (BENCHMARKS.md, "WebGPU against the CPU"): the lab's policies are
/// small MLPs, and WebGPU's dispatch and read-back cost more than the arithmetic they save.
pub const CPU_BY_DEFAULT: &str = "faster than WebGPU for these small policies (measured: WebGPU 6–16× slower per update \
    at 8–16,384 rows per agent on a software adapter; no GPU machine was available to measure real hardware)";

thread_local! {
    /// The page's session, for [`buffers_json`].
    static CURRENT: std::cell::Cell<Option<Session>> = const { std::cell::Cell::new(None) };
}

/// How much of the experiment the page holds, as JSON: `{"updates", "reports_in_memory",
/// "stored_chunks", "longest_series"}` — the long-run test checks that these stay bounded (the
/// tail of reports, the chunks in IndexedDB, the charts' downsampled series) however long a run.
pub fn buffers_json() -> String {
    let Some(session) = CURRENT.with(std::cell::Cell::get) else { return "null".into() };
    let (updates, in_memory, stored) =
        session.reports.try_with_value(|log| (log.len(), log.in_memory_reports(), log.stored_chunks())).unwrap_or_default();
    let longest = session.history.try_with_untracked(History::longest_series).unwrap_or_default();
    format!(r#"{{"updates":{updates},"reports_in_memory":{in_memory},"stored_chunks":{stored},"longest_series":{longest}}}"#)
}

/// Reactive state of the page, shared by every component (a `Copy` handle).
#[derive(Debug, Clone, Copy)]
pub struct Session {
    /// The experiment being trained (always a valid config).
    pub config: RwSignal<TrainConfig>,
    /// The backend the worker chose.
    pub backend: RwSignal<Option<BackendInfo>>,
    /// Whether the user asked for WebGPU (the WebGPU worker runs; it falls back to the CPU
    /// where there is no adapter).
    pub use_gpu: RwSignal<bool>,
    /// Chart data of the current experiment.
    pub history: RwSignal<History>,
    /// The last batch of the inspected seed, one view per estimator.
    pub views: RwSignal<Vec<BatchView>>,
    /// The frozen batch under every estimator, once asked for.
    pub same_batch: RwSignal<Option<SameBatch>>,
    /// Which seed (index) the batch views show.
    pub inspect_seed: RwSignal<usize>,
    /// Whether the worker is training.
    pub running: RwSignal<bool>,
    /// Whether the worker has the experiment ready.
    pub ready: RwSignal<bool>,
    /// Updates per second reported by the worker.
    pub updates_per_second: RwSignal<f32>,
    /// A message for the user (error or notice).
    pub message: RwSignal<Option<String>>,
    /// Bumped when charts should redraw (throttled while training).
    pub redraw: RwSignal<u64>,
    /// How fast the worker trains.
    pub pace: RwSignal<Pace>,
    /// Every report of the experiment, in update order (for exports): the newest in memory,
    /// older ones in browser storage.
    pub reports: StoredValue<ReportLog<js_sys::JsString>, LocalStorage>,
    /// Bumped whenever `reports` changes (exports and read-outs track it).
    pub reports_changed: RwSignal<u64>,
    /// What a teacher's link hides and locks, and the open lesson.
    pub teacher: RwSignal<Teacher>,
    /// The run on show was imported (or opened from the history), not trained here.
    pub imported: RwSignal<bool>,
    /// Bumped when a run finishes (the run history saves it).
    pub finished: RwSignal<u64>,
    /// The next URL change is a new experiment (a new history entry) rather than a knob.
    pub push_url: StoredValue<bool>,
    /// The worker's panic message, once it has crashed (until a new worker is started).
    pub crashed: RwSignal<Option<String>>,
    /// Runs whose roll-back was asked for and not yet answered by a report.
    pub resuming: RwSignal<Vec<usize>>,
    generation: StoredValue<u64>,
    bridge: StoredValue<Option<WorkerBridge<TrainingWorker>>, LocalStorage>,
    last_redraw: StoredValue<Option<Instant>, LocalStorage>,
    redraw_pending: StoredValue<bool>,
    /// What the charts' drawing costs (see [`DrawLoad`]).
    pub draw_load: StoredValue<DrawLoad>,
}

impl Session {
    /// Creates the session, starts the training worker (with `fault` injected, if any) and
    /// configures `config` on it.
    pub fn new(config: TrainConfig, inspect: usize, teacher: Teacher, fault: Option<Fault>) -> Self {
        let session = Self {
            history: RwSignal::new(History::new(&config)),
            config: RwSignal::new(config),
            backend: RwSignal::new(None),
            use_gpu: RwSignal::new(false),
            views: RwSignal::new(Vec::new()),
            same_batch: RwSignal::new(None),
            inspect_seed: RwSignal::new(inspect),
            running: RwSignal::new(false),
            ready: RwSignal::new(false),
            updates_per_second: RwSignal::new(0.0),
            message: RwSignal::new(None),
            redraw: RwSignal::new(0),
            pace: RwSignal::new(Pace::PerSecond(30)),
            reports: StoredValue::new_local(ReportLog::default()),
            reports_changed: RwSignal::new(0),
            teacher: RwSignal::new(teacher),
            imported: RwSignal::new(false),
            finished: RwSignal::new(0),
            push_url: StoredValue::new(false),
            crashed: RwSignal::new(None),
            resuming: RwSignal::new(Vec::new()),
            generation: StoredValue::new(0),
            bridge: StoredValue::new_local(None),
            last_redraw: StoredValue::new_local(None),
            redraw_pending: StoredValue::new(false),
            draw_load: StoredValue::new(DrawLoad::default()),
        };
        // A closed tab's stored reports go a day later (this page's go with each experiment).
        leptos::task::spawn_local(async {
            if let Err(e) = storage::drop_old_chunks().await {
                leptos::logging::warn!("old reports were not cleared: {e}");
            }
        });
        CURRENT.with(|c| c.set(Some(session)));
        session.spawn_worker();
        if let Some(fault) = fault {
            session.send(ToWorker::Inject(fault));
        }
        session.reconfigure();
        session
    }

    /// Starts a training worker (dropping the old one) and sets its pace: the WebGPU one if
    /// the user asked for it, else the CPU one.
    fn spawn_worker(self) {
        self.bridge.set_value(None);
        let loader = if self.use_gpu.get_untracked() { GPU_WORKER_LOADER } else { WORKER_LOADER };
        let bridge = TrainingWorker::spawner()
            .encoding::<JsonCodec>()
            .callback(move |message| self.receive(message))
            .with_loader(true)
            .as_module(false)
            .spawn(loader);
        self.bridge.set_value(Some(bridge));
        self.send(ToWorker::SetPace(self.pace.get_untracked()));
    }

    /// After a crash: a new worker, and the experiment trained again from its seeds (the
    /// crashed run's reports were saved in the run history).
    pub fn restart_worker(self) {
        self.crashed.set(None);
        self.message.set(None);
        self.spawn_worker();
        self.reconfigure();
    }

    /// Switches between the CPU worker and the WebGPU one; the experiment starts again from
    /// its seeds on the new worker.
    pub fn set_use_gpu(self, on: bool) {
        if self.use_gpu.get_untracked() == on {
            return;
        }
        self.use_gpu.set(on);
        self.backend.set(None);
        self.restart_worker();
    }

    /// Rolls diverged run `run` back to its last finite state and lets it train on with its
    /// learning rate multiplied by `learning_rate_factor`.
    pub fn resume_run(self, run: usize, learning_rate_factor: f32) {
        self.resuming.update(|r| r.push(run));
        self.send(ToWorker::Resume { run: run as u32, learning_rate_factor });
    }

    fn send(self, command: ToWorker) {
        self.bridge.with_value(|bridge| {
            if let Some(bridge) = bridge {
                bridge.send(command);
            }
        });
    }

    /// Replaces the experiment with `config` (already validated by the controls) and starts
    /// it from update 0.
    pub fn apply(self, config: TrainConfig) {
        self.config.set(config);
        self.reconfigure();
    }

    /// Starts a new generation (answers about the old one are dropped) showing `reports` of the
    /// current config: the charts, the read-outs and empty batch views.
    fn new_generation(self, reports: Vec<StepReport>, imported: bool) {
        self.generation.update_value(|g| *g += 1);
        let config = self.config.get_untracked();
        let mut history = History::new(&config);
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
        self.resuming.set(Vec::new());
        self.views.set(Vec::new());
        self.same_batch.set(None);
        self.ready.set(false);
        self.running.set(false);
        self.updates_per_second.set(0.0);
        if self.inspect_seed.get_untracked() >= config.seeds.len() {
            self.inspect_seed.set(0);
        }
        self.request_redraw(true);
    }

    /// The current game's names and reference decisions, as a memo owned by the caller (each
    /// component keeps its own, disposed with it).
    pub fn game_view(self) -> Memo<GameView> {
        Memo::new(move |_| GameView::of(&self.config.with(|c| c.game.clone())))
    }

    /// Sends the current config to the worker as a new generation; clears every view.
    fn reconfigure(self) {
        self.new_generation(Vec::new(), false);
        let config = self.config.get_untracked();
        let prefer_gpu = self.use_gpu.get_untracked();
        self.send(ToWorker::Configure { generation: self.generation.get_value(), config, prefer_gpu });
        self.send(ToWorker::Inspect { seed_index: self.inspect_seed.get_untracked() as u32 });
    }

    /// Opens a finished run (imported or from the history) without training: the charts show
    /// its reports; Reset trains the same config again.
    pub fn open_record(self, record: RunRecord) {
        self.send(ToWorker::Pause);
        self.push_url.set_value(true);
        self.config.set(record.config);
        self.backend.set(Some(record.backend));
        self.new_generation(record.reports, true);
    }

    /// The run on show as a portable record without its reports (config, backend, build
    /// version); [`Session::reports`] holds them.
    pub fn record_frame(self) -> RunRecord {
        let backend = self.backend.get_untracked().unwrap_or_else(|| BackendInfo { kind: creditlab::BackendKind::Cpu, reason: "not chosen yet".into() });
        RunRecord::new(self.config.get_untracked(), backend)
    }

    /// Adds the next `reports` to the log and writes the chunks that leave memory.
    fn keep(self, reports: Vec<StepReport>) {
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
                    self.message.set(Some(format!(
                        "Older reports could not be moved to browser storage ({e}), so this run is kept in memory: a very long run will use more memory. Exports are unaffected."
                    )));
                }
            });
        }
    }

    /// Replaces the experiment with `config` as a new experiment (a new browser history
    /// entry rather than a knob change).
    pub fn apply_new(self, config: TrainConfig) {
        self.push_url.set_value(true);
        self.apply(config);
    }

    /// Starts (or resumes) training.
    pub fn start(self) {
        if self.imported.get_untracked() {
            self.message.set(Some("This run was opened from a file or the history; Reset trains it again.".into()));
            return;
        }
        if !self.ready.get_untracked() || self.running.get_untracked() {
            return;
        }
        self.message.set(None);
        self.running.set(true);
        self.send(ToWorker::Start);
    }

    /// Pauses after the update in flight.
    pub fn pause(self) {
        self.send(ToWorker::Pause);
    }

    /// Does exactly one update while paused.
    pub fn step(self) {
        if self.ready.get_untracked() && !self.running.get_untracked() {
            if self.is_finished() {
                self.message.set(Some("The run is finished; Reset to train again.".into()));
            } else {
                self.send(ToWorker::Step);
            }
        }
    }

    /// Stops and restarts the experiment from its seeds.
    pub fn reset(self) {
        self.message.set(None);
        self.reconfigure();
    }

    /// Changes the pace.
    pub fn set_pace(self, pace: Pace) {
        self.pace.set(pace);
        self.send(ToWorker::SetPace(pace));
    }

    /// Shows seed `index`'s batches in the batch views.
    pub fn inspect(self, index: usize) {
        self.inspect_seed.set(index);
        self.send(ToWorker::Inspect { seed_index: index as u32 });
    }

    /// Freezes run `run`'s last batch and applies every estimator to it.
    pub fn compare(self, run: usize) {
        self.send(ToWorker::Compare { run: run as u32 });
    }

    /// Whether every update is done.
    pub fn is_finished(self) -> bool {
        self.history.with_untracked(|h| h.updates >= h.total)
    }

    fn receive(self, message: FromWorker) {
        let current = self.generation.get_value();
        match message {
            FromWorker::Ready { generation, mut backend } if generation == current => {
                if !self.use_gpu.get_untracked() && backend.kind == creditlab::BackendKind::Cpu && backend.reason == creditlab::backend::CPU_CHOSEN {
                    backend.reason = CPU_BY_DEFAULT.to_string();
                }
                self.backend.set(Some(backend));
                self.ready.set(true);
            }
            FromWorker::Reports { generation, reports, updates_per_second } if generation == current => {
                self.history.update(|h| {
                    for report in &reports {
                        h.push(report);
                    }
                });
                self.updates_per_second.set(updates_per_second);
                if let Some(last) = reports.last() {
                    if !self.resuming.with_untracked(Vec::is_empty) {
                        self.resuming.update(|r| r.retain(|&run| last.runs.get(run).is_some_and(|x| x.diverged.is_some() && x.resumed.is_none())));
                    }
                }
                self.keep(reports);
                self.request_redraw(!self.running.get_untracked());
            }
            FromWorker::Views { generation, views } if generation == current => {
                self.views.set(views);
                // The batch charts redraw with the others, under the same throttle.
                self.request_redraw(!self.running.get_untracked());
            }
            FromWorker::SameBatch { generation, same } if generation == current => {
                self.same_batch.set(Some(*same));
            }
            FromWorker::Stopped { generation, reason } if generation == current => {
                self.running.set(false);
                if reason == StopReason::Finished && !self.is_finished() {
                    self.message.set(Some("The run is finished; Reset to train again.".into()));
                }
                if reason == StopReason::Finished && self.is_finished() {
                    self.finished.update(|v| *v += 1);
                }
                if reason == StopReason::Diverged {
                    self.message.set(Some(
                        "Every run has diverged, so training stopped. Roll a run back below to go on, or change the settings.".into(),
                    ));
                    self.finished.update(|v| *v += 1);
                }
                self.request_redraw(true);
            }
            FromWorker::Error { generation, message } if generation == current => {
                self.message.set(Some(message));
            }
            FromWorker::Crashed { message } => {
                self.running.set(false);
                self.ready.set(false);
                self.crashed.set(Some(message));
                // Keep what was trained: the run history saves the reports received so far.
                if self.reports.with_value(|r| !r.is_empty()) && !self.imported.get_untracked() {
                    self.finished.update(|v| *v += 1);
                }
                self.request_redraw(true);
            }
            FromWorker::Unreadable { error } => {
                self.message.set(Some(format!(
                    "A message from the training worker could not be read ({error}). This is a bug in the lab; the runs so far are kept."
                )));
            }
            _ => {}
        }
    }

    /// Bumps `redraw` now, or once after the throttle interval (at most one pending).
    fn request_redraw(self, now: bool) {
        let load = self.draw_load.get_value();
        let gap = REDRAW_MS.max(2.0 * load.last_round_ms);
        let due = load.pending == 0 && self.last_redraw.get_value().is_none_or(|t| t.elapsed().as_secs_f64() * 1e3 >= gap);
        if now || due {
            self.last_redraw.set_value(Some(Instant::now()));
            self.redraw.update(|v| *v += 1);
        } else if !self.redraw_pending.get_value() {
            self.redraw_pending.set_value(true);
            set_timeout(
                move || {
                    self.redraw_pending.set_value(false);
                    self.request_redraw(false);
                },
                std::time::Duration::from_millis(gap as u64),
            );
        }
    }
}
