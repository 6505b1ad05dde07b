//! The worker link: the training worker the page talks to, and what it says of itself
//! (backend, ready, running, pace, crash). Every command goes out through [`WorkerLink::send`];
//! every answer comes back through the session, which hands it to [`WorkerLink::reduce`] first.

use creditlab::BackendInfo;
use gloo_worker::{Spawnable, WorkerBridge};
use leptos::prelude::*;

use crate::worker::{FromWorker, JsonCodec, Pace, ToWorker, TrainingWorker};

/// Where trunk puts the CPU worker's loader (`data-type="worker"` files are not hashed).
pub const WORKER_LOADER: &str = "./creditlab-worker_loader.js";
/// The WebGPU worker's loader (the same worker built with WebGPU; fetched only on request).
pub const GPU_WORKER_LOADER: &str = "./creditlab-gpu-worker_loader.js";
/// The language worker's loader (the CPU worker with the language agents' trainer; fetched when
/// the experiment is played by language agents).
pub const LANGUAGE_WORKER_LOADER: &str = "./creditlab-language-worker_loader.js";

/// Why the page trains on the CPU by default (the badge shows the part before the parenthesis).
/// Measured by `.ci/bench` (BENCHMARKS.md, "WebGPU against the CPU"): the lab's policies are
/// small MLPs, and WebGPU's dispatch and read-back cost more than the arithmetic they save.
pub const CPU_BY_DEFAULT: &str = "faster than WebGPU for these small policies (measured: WebGPU 6–16× slower per update \
    at 8–16,384 rows per agent on a software adapter; no GPU machine was available to measure real hardware)";

/// The training worker and its state as the page knows it (a `Copy` handle).
#[derive(Debug, Clone, Copy)]
pub struct WorkerLink {
    /// The backend the worker chose.
    pub backend: RwSignal<Option<BackendInfo>>,
    /// Whether the user asked for WebGPU (the WebGPU worker runs; it falls back to the CPU
    /// where there is no adapter).
    pub use_gpu: RwSignal<bool>,
    /// Whether the running worker trains language agents (the language worker on the CPU; the
    /// WebGPU worker has them too).
    pub language: RwSignal<bool>,
    /// Whether the worker is training.
    pub running: RwSignal<bool>,
    /// Whether the worker has the experiment ready.
    pub ready: RwSignal<bool>,
    /// Updates per second reported by the worker.
    pub updates_per_second: RwSignal<f32>,
    /// How fast the worker trains.
    pub pace: RwSignal<Pace>,
    /// The worker's panic message, once it has crashed (until a new worker is started).
    pub crashed: RwSignal<Option<String>>,
    /// Runs whose roll-back was asked for and not yet answered by a report.
    pub resuming: RwSignal<Vec<usize>>,
    /// The experiment's generation: answers about an older one are dropped.
    generation: StoredValue<u64>,
    bridge: StoredValue<Option<WorkerBridge<TrainingWorker>>, LocalStorage>,
}

impl WorkerLink {
    /// A link with no worker yet.
    pub fn new() -> Self {
        Self {
            backend: RwSignal::new(None),
            use_gpu: RwSignal::new(false),
            language: RwSignal::new(false),
            running: RwSignal::new(false),
            ready: RwSignal::new(false),
            updates_per_second: RwSignal::new(0.0),
            pace: RwSignal::new(Pace::PerSecond(30)),
            crashed: RwSignal::new(None),
            resuming: RwSignal::new(Vec::new()),
            generation: StoredValue::new(0),
            bridge: StoredValue::new_local(None),
        }
    }

    /// Starts a training worker (dropping the old one) whose answers go to `receive`, and sets
    /// its pace: the WebGPU one if the user asked for it, else the language worker for language
    /// agents, else the CPU one.
    pub fn spawn(self, receive: impl Fn(FromWorker) + 'static) {
        self.bridge.set_value(None);
        self.crashed.set(None);
        let loader = match (self.use_gpu.get_untracked(), self.language.get_untracked()) {
            (true, _) => GPU_WORKER_LOADER,
            (false, true) => LANGUAGE_WORKER_LOADER,
            (false, false) => WORKER_LOADER,
        };
        // The build in the URL: the worker's files are asked for with it (the offline cache keeps
        // builds apart by it, sw.js).
        let loader = format!("{loader}?v={}", crate::components::about::BUILD);
        let bridge = TrainingWorker::spawner().encoding::<JsonCodec>().callback(receive).with_loader(true).as_module(false).spawn(&loader);
        self.bridge.set_value(Some(bridge));
        self.send(ToWorker::SetPace(self.pace.get_untracked()));
    }

    /// Sends a command (dropped while there is no worker).
    pub fn send(self, command: ToWorker) {
        self.bridge.with_value(|bridge| {
            if let Some(bridge) = bridge {
                bridge.send(command);
            }
        });
    }

    /// Starts a new generation: the worker's state is that of an experiment not yet
    /// configured. Returns the generation to configure.
    pub fn next_generation(self) -> u64 {
        self.generation.update_value(|g| *g += 1);
        self.resuming.set(Vec::new());
        self.ready.set(false);
        self.running.set(false);
        self.updates_per_second.set(0.0);
        self.generation.get_value()
    }

    /// Whether `message` is about the current experiment (crashes and unreadable messages are
    /// about the worker, so always current).
    pub fn is_current(self, message: &FromWorker) -> bool {
        let generation = match message {
            FromWorker::Ready { generation, .. }
            | FromWorker::Reports { generation, .. }
            | FromWorker::Views { generation, .. }
            | FromWorker::SameBatch { generation, .. }
            | FromWorker::Stopped { generation, .. }
            | FromWorker::Error { generation, .. } => *generation,
            FromWorker::Crashed { .. } | FromWorker::Unreadable { .. } => return true,
            // Imports are not about the experiment (the session hands them to `yours`).
            FromWorker::ImportProgress { .. }
            | FromWorker::ImportedSteps { .. }
            | FromWorker::Imported { .. }
            | FromWorker::ImportFailed { .. } => return true,
            // Only the benchmark asks for it, talking to the worker directly.
            FromWorker::Bench { .. } => return false,
        };
        generation == self.generation.get_value()
    }

    /// The worker's state after `message`; returns a notice for the user, if the message is one.
    pub fn reduce(self, message: &FromWorker) -> Option<String> {
        match message {
            FromWorker::Ready { backend, .. } => {
                let mut backend = backend.clone();
                if !self.use_gpu.get_untracked() && backend.kind == creditlab::BackendKind::Cpu && backend.reason == creditlab::backend::CPU_CHOSEN {
                    backend.reason = CPU_BY_DEFAULT.to_string();
                }
                self.backend.set(Some(backend));
                self.ready.set(true);
            }
            FromWorker::Reports { reports, updates_per_second, .. } => {
                self.updates_per_second.set(*updates_per_second);
                if let Some(last) = reports.last() {
                    if !self.resuming.with_untracked(Vec::is_empty) {
                        self.resuming.update(|r| r.retain(|&run| last.runs.get(run).is_some_and(|x| x.diverged.is_some() && x.resumed.is_none())));
                    }
                }
            }
            FromWorker::Stopped { .. } => self.running.set(false),
            FromWorker::Error { message, .. } => return Some(message.clone()),
            FromWorker::Crashed { message } => {
                self.running.set(false);
                self.ready.set(false);
                self.crashed.set(Some(message.clone()));
            }
            FromWorker::Unreadable { error } => {
                return Some(format!(
                    "A message from the training worker could not be read ({error}). This is a bug in the lab; the runs so far are kept."
                ))
            }
            FromWorker::Views { .. }
            | FromWorker::SameBatch { .. }
            | FromWorker::Bench { .. }
            | FromWorker::ImportProgress { .. }
            | FromWorker::ImportedSteps { .. }
            | FromWorker::Imported { .. }
            | FromWorker::ImportFailed { .. } => {}
        }
        None
    }
}

impl Default for WorkerLink {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use creditlab::BackendKind;

    use super::*;
    use crate::worker::StopReason;

    fn ready(generation: u64, reason: &str) -> FromWorker {
        FromWorker::Ready { generation, backend: BackendInfo { kind: BackendKind::Cpu, reason: reason.into() } }
    }

    #[test]
    fn answers_about_an_older_experiment_are_not_current() {
        let link = WorkerLink::new();
        let first = link.next_generation();
        let second = link.next_generation();
        assert_eq!(second, first + 1);
        assert!(!link.is_current(&ready(first, "")));
        assert!(link.is_current(&ready(second, "")));
        // A crash is about the worker, whatever the experiment.
        assert!(link.is_current(&FromWorker::Crashed { message: "boom".into() }));
    }

    #[test]
    fn the_worker_state_follows_its_messages() {
        let link = WorkerLink::new();
        let generation = link.next_generation();
        assert_eq!(link.reduce(&ready(generation, creditlab::backend::CPU_CHOSEN)), None);
        assert!(link.ready.get_untracked());
        // The CPU chosen by default says why (the measured reason), not just "CPU chosen".
        assert_eq!(link.backend.get_untracked().map(|b| b.reason), Some(CPU_BY_DEFAULT.to_string()));
        link.running.set(true);
        link.reduce(&FromWorker::Stopped { generation, reason: StopReason::Paused });
        assert!(!link.running.get_untracked());
        let notice = link.reduce(&FromWorker::Error { generation, message: "no batch".into() });
        assert_eq!(notice.as_deref(), Some("no batch"));
        link.running.set(true);
        assert_eq!(link.reduce(&FromWorker::Crashed { message: "boom".into() }), None);
        assert!(!link.running.get_untracked() && !link.ready.get_untracked());
        assert_eq!(link.crashed.get_untracked().as_deref(), Some("boom"));
        let next = link.next_generation();
        assert!(next > generation && !link.ready.get_untracked() && link.resuming.get_untracked().is_empty());
    }
}
