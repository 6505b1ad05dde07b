//! The page's side of an experiment, in parts that change for different reasons:
//!
//! - [`WorkerLink`] (`link`): the training worker and what it says of itself (backend, ready,
//!   running, pace, crash);
//! - [`Experiment`] (`experiment`): the experiment's data (history, batch views, report log);
//! - [`RedrawClock`] (`clock`): when the charts draw;
//! - the teacher's settings ([`Teacher`]: what a lesson link hides and locks);
//!
//! and, held here, the config being edited and the notice shown to the user. [`Session`] is the
//! `Copy` handle that ties them together: components read the part they need from it
//! (`session.link`, `session.data`, `session.clock`).
//!
//! Data flows one way: a control changes the config → the worker is reconfigured → reports and
//! batch views come back as messages → [`Session::receive`] hands each to one small reducer per
//! part → signals → charts. Each experiment has a generation number; messages about an older
//! one are dropped.

pub mod clock;
pub mod experiment;
pub mod link;
pub mod your_run;

use creditlab::{BackendInfo, RunRecord, TrainConfig};
use leptos::prelude::*;

pub use clock::{DrawLoad, Redraw, RedrawClock};
pub use experiment::Experiment;
pub use link::{WorkerLink, CPU_BY_DEFAULT, GPU_WORKER_LOADER, WORKER_LOADER};
pub use your_run::YourRun;

use crate::game_view::GameView;
use crate::history::History;
use crate::storage;
use crate::url::Teacher;
use crate::worker::{Fault, FromWorker, ImportSource, Pace, ToWorker};

thread_local! {
    /// The page's session, for [`buffers_json`].
    static CURRENT: std::cell::Cell<Option<Session>> = const { std::cell::Cell::new(None) };
}

/// How much of the experiment the page holds, as JSON: `{"updates", "reports_in_memory",
/// "stored_chunks", "longest_series"}` — the long-run test checks that these stay bounded (the
/// tail of reports, the chunks in IndexedDB, the charts' downsampled series) however long a run.
pub fn buffers_json() -> String {
    let Some(session) = CURRENT.with(std::cell::Cell::get) else { return "null".into() };
    let data = session.data;
    let (updates, in_memory, stored) =
        data.reports.try_with_value(|log| (log.len(), log.in_memory_reports(), log.stored_chunks())).unwrap_or_default();
    let longest = data.history.try_with_untracked(History::longest_series).unwrap_or_default();
    format!(r#"{{"updates":{updates},"reports_in_memory":{in_memory},"stored_chunks":{stored},"longest_series":{longest}}}"#)
}

/// Reactive state of the page, shared by every component (a `Copy` handle over its parts).
#[derive(Debug, Clone, Copy)]
pub struct Session {
    /// The experiment being trained (always a valid config).
    pub config: RwSignal<TrainConfig>,
    /// A message for the user (error or notice).
    pub message: RwSignal<Option<String>>,
    /// The next URL change is a new experiment (a new history entry) rather than a knob.
    pub push_url: StoredValue<bool>,
    /// What a teacher's link hides and locks, and the open lesson.
    pub teacher: RwSignal<Teacher>,
    /// The training worker.
    pub link: WorkerLink,
    /// The experiment's data.
    pub data: Experiment,
    /// When the charts redraw.
    pub clock: RedrawClock,
    /// An imported run from the user's own training ("Your run").
    pub yours: YourRun,
}

impl Session {
    /// Creates the session, starts the training worker (with `fault` injected, if any) and
    /// configures `config` on it.
    pub fn new(config: TrainConfig, inspect: usize, teacher: Teacher, fault: Option<Fault>) -> Self {
        let message = RwSignal::new(None);
        let session = Self {
            data: Experiment::new(&config, inspect, message),
            config: RwSignal::new(config),
            message,
            push_url: StoredValue::new(false),
            teacher: RwSignal::new(teacher),
            link: WorkerLink::new(),
            clock: RedrawClock::new(),
            yours: YourRun::new(),
        };
        // A closed tab's stored reports go a day later (this page's go with each experiment).
        leptos::task::spawn_local(async {
            if let Err(e) = storage::drop_old_chunks().await {
                leptos::logging::warn!("old reports were not cleared: {e}");
            }
        });
        CURRENT.with(|c| c.set(Some(session)));
        session.link.language.set(session.config.with_untracked(|c| c.game.is_language()));
        session.link.spawn(move |message| session.receive(message));
        if let Some(fault) = fault {
            session.link.send(ToWorker::Inject(fault));
        }
        session.reconfigure();
        session
    }

    /// After a crash: a new worker, and the experiment trained again from its seeds (the
    /// crashed run's reports were saved in the run history).
    pub fn restart_worker(self) {
        self.message.set(None);
        self.link.spawn(move |message| self.receive(message));
        self.reconfigure();
    }

    /// Switches between the CPU worker and the WebGPU one; the experiment starts again from
    /// its seeds on the new worker.
    pub fn set_use_gpu(self, on: bool) {
        if self.link.use_gpu.get_untracked() == on {
            return;
        }
        self.link.use_gpu.set(on);
        self.link.backend.set(None);
        self.restart_worker();
    }

    /// Rolls diverged run `run` back to its last finite state and lets it train on with its
    /// learning rate multiplied by `learning_rate_factor`.
    pub fn resume_run(self, run: usize, learning_rate_factor: f32) {
        self.link.resuming.update(|r| r.push(run));
        self.link.send(ToWorker::Resume { run: run as u32, learning_rate_factor });
    }

    /// Replaces the experiment with `config` (already validated by the controls) and starts
    /// it from update 0.
    pub fn apply(self, config: TrainConfig) {
        self.config.set(config);
        self.reconfigure();
    }

    /// Replaces the experiment with `config` as a new experiment (a new browser history
    /// entry rather than a knob change).
    pub fn apply_new(self, config: TrainConfig) {
        self.push_url.set_value(true);
        self.apply(config);
    }

    /// The current game's names and reference decisions, as a memo owned by the caller (each
    /// component keeps its own, disposed with it).
    pub fn game_view(self) -> Memo<GameView> {
        Memo::new(move |_| GameView::of(&self.config.with(|c| c.game.clone())))
    }

    /// Sends the current config to the worker as a new generation; clears every view.
    fn reconfigure(self) {
        let config = self.config.get_untracked();
        // Language agents train in the language worker, the MLP games in the smaller CPU one:
        // a change of side starts the other worker (the WebGPU worker trains both).
        if config.game.is_language() != self.link.language.get_untracked() {
            self.link.language.set(config.game.is_language());
            if !self.link.use_gpu.get_untracked() {
                self.link.backend.set(None);
                self.link.spawn(move |message| self.receive(message));
            }
        }
        let generation = self.link.next_generation();
        self.data.reset(&config, Vec::new(), false);
        self.clock.request(true);
        let prefer_gpu = self.link.use_gpu.get_untracked();
        self.link.send(ToWorker::Configure { generation, config: Box::new(config), prefer_gpu });
        self.link.send(ToWorker::Inspect { seed_index: self.data.inspect_seed.get_untracked() as u32 });
    }

    /// Opens a finished run (imported or from the history) without training: the charts show
    /// its reports; Reset trains the same config again.
    pub fn open_record(self, record: RunRecord) {
        self.link.send(ToWorker::Pause);
        self.push_url.set_value(true);
        self.config.set(record.config);
        self.link.backend.set(Some(record.backend));
        self.link.next_generation();
        self.data.reset(&self.config.get_untracked(), record.reports, true);
        self.clock.request(true);
    }

    /// The run on show as a portable record without its reports (config, backend, build
    /// version); [`Experiment::reports`] holds them.
    pub fn record_frame(self) -> RunRecord {
        let backend =
            self.link.backend.get_untracked().unwrap_or_else(|| BackendInfo { kind: creditlab::BackendKind::Cpu, reason: "not chosen yet".into() });
        RunRecord::new(self.config.get_untracked(), backend)
    }

    /// Starts (or resumes) training.
    pub fn start(self) {
        if self.data.imported.get_untracked() {
            self.message.set(Some("This run was opened from a file or the history; Reset trains it again.".into()));
            return;
        }
        if !self.link.ready.get_untracked() || self.link.running.get_untracked() {
            return;
        }
        self.message.set(None);
        self.link.running.set(true);
        self.link.send(ToWorker::Start);
    }

    /// Pauses after the update in flight.
    pub fn pause(self) {
        self.link.send(ToWorker::Pause);
    }

    /// Does exactly one update while paused.
    pub fn step(self) {
        if self.link.ready.get_untracked() && !self.link.running.get_untracked() {
            if self.data.is_finished() {
                self.message.set(Some("The run is finished; Reset to train again.".into()));
            } else {
                self.link.send(ToWorker::Step);
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
        self.link.pace.set(pace);
        self.link.send(ToWorker::SetPace(pace));
    }

    /// Shows seed `index`'s batches in the batch views.
    pub fn inspect(self, index: usize) {
        self.data.inspect_seed.set(index);
        self.link.send(ToWorker::Inspect { seed_index: index as u32 });
    }

    /// Freezes run `run`'s last batch and applies every estimator to it.
    pub fn compare(self, run: usize) {
        self.link.send(ToWorker::Compare { run: run as u32 });
    }

    /// One message from the worker: dropped if it is about an older experiment, else handed to
    /// each part's reducer in turn (the worker's state first: the others read whether it runs).
    /// Reads and analyses a logged run in the worker ("Your run").
    pub fn import(self, source: ImportSource) {
        let id = self.yours.begin(source.name());
        self.link.send(ToWorker::Import { id, source });
    }

    fn receive(self, message: FromWorker) {
        if YourRun::concerns(&message) {
            return self.yours.reduce(message);
        }
        if matches!(message, FromWorker::Crashed { .. }) {
            self.yours.reduce(message.clone());
        }
        if !self.link.is_current(&message) {
            return;
        }
        let link_notice = self.link.reduce(&message);
        let redraw = Redraw::after(&message, self.link.running.get_untracked());
        let data_notice = self.data.reduce(message);
        if let Some(notice) = link_notice.or(data_notice) {
            self.message.set(Some(notice));
        }
        self.clock.reduce(redraw);
    }
}
