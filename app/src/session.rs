//! The training session behind the page: owns the backend and the trainer, runs updates in
//! short slices and yields to the browser between them so that the page keeps painting.
//!
//! The trainer is taken out of its slot for the duration of one asynchronous step and put back
//! afterwards; a generation counter makes a Reset during a step drop the stale trainer.

use creditlab::backend::{self, Backend};
use creditlab::{BackendInfo, StepReport, TrainConfig, Trainer};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_time::Instant;

/// How long one slice of updates may run before the page gets the thread back.
const SLICE_MS: f64 = 12.0;

/// Reactive state of the session, shared by every component.
#[derive(Debug, Clone, Copy)]
pub struct Session {
    /// The experiment being trained.
    pub config: RwSignal<TrainConfig>,
    /// The backend once chosen.
    pub backend: RwSignal<Option<BackendInfo>>,
    /// Every report so far, in update order.
    pub reports: RwSignal<Vec<StepReport>>,
    /// Whether the loop should keep stepping.
    pub running: RwSignal<bool>,
    /// Updates per second over the last slice.
    pub updates_per_second: RwSignal<f32>,
    /// A message for the user (error or notice).
    pub message: RwSignal<Option<String>>,
    /// Whether the trainer is ready (initialised, not mid-reset).
    pub ready: RwSignal<bool>,
    device: StoredValue<Option<Backend>, LocalStorage>,
    trainer: StoredValue<Option<Trainer>, LocalStorage>,
    generation: StoredValue<u64>,
    looping: StoredValue<bool>,
    stepping: StoredValue<bool>,
}

impl Session {
    /// Creates the session and starts choosing the backend (WebGPU when an adapter exists).
    pub fn new(config: TrainConfig) -> Self {
        let session = Self {
            config: RwSignal::new(config),
            backend: RwSignal::new(None),
            reports: RwSignal::new(Vec::new()),
            running: RwSignal::new(false),
            updates_per_second: RwSignal::new(0.0),
            message: RwSignal::new(None),
            ready: RwSignal::new(false),
            device: StoredValue::new_local(None),
            trainer: StoredValue::new_local(None),
            generation: StoredValue::new(0),
            looping: StoredValue::new(false),
            stepping: StoredValue::new(false),
        };
        spawn_local(async move {
            let chosen = backend::choose(true).await;
            session.backend.set(Some(chosen.info.clone()));
            session.device.set_value(Some(chosen));
            session.rebuild().await;
        });
        session
    }

    /// (Re)creates the trainer from the current config on the chosen backend.
    async fn rebuild(self) {
        let Some(device) = self.device.get_value() else { return };
        self.generation.update_value(|g| *g += 1);
        let generation = self.generation.get_value();
        self.ready.set(false);
        self.trainer.set_value(None);
        match Trainer::new(self.config.get_untracked(), device).await {
            Ok(trainer) if self.generation.get_value() == generation => {
                self.trainer.set_value(Some(trainer));
                self.ready.set(true);
            }
            Ok(_) => {}
            Err(err) => self.message.set(Some(format!("Cannot start training: {err}"))),
        }
    }

    /// Does one update; `Ok(None)` when the run is finished or the trainer is not ready.
    async fn step_once(self) -> Result<Option<StepReport>, String> {
        let generation = self.generation.get_value();
        let Some(mut trainer) = self.trainer.try_update_value(Option::take).flatten() else {
            return Ok(None);
        };
        if trainer.is_finished() {
            self.trainer.set_value(Some(trainer));
            return Ok(None);
        }
        let result = trainer.step().await;
        if self.generation.get_value() == generation {
            self.trainer.set_value(Some(trainer));
        }
        result.map(Some).map_err(|e| e.to_string())
    }

    /// Starts (or resumes) training.
    pub fn start(self) {
        if self.running.get_untracked() {
            return;
        }
        self.message.set(None);
        self.running.set(true);
        if !self.looping.get_value() {
            spawn_local(self.run_loop());
        }
    }

    /// Pauses after the update in flight.
    pub fn pause(self) {
        self.running.set(false);
    }

    /// Does exactly one update while paused.
    pub fn step(self) {
        if self.running.get_untracked() || self.stepping.get_value() {
            return;
        }
        self.stepping.set_value(true);
        spawn_local(async move {
            match self.step_once().await {
                Ok(Some(report)) => self.reports.update(|r| r.push(report)),
                Ok(None) => self.message.set(Some("The run is finished; Reset to train again.".into())),
                Err(err) => self.message.set(Some(format!("Training stopped: {err}"))),
            }
            self.stepping.set_value(false);
        });
    }

    /// Stops, forgets every report and re-initialises the runs from their seeds.
    pub fn reset(self) {
        self.running.set(false);
        self.reports.set(Vec::new());
        self.updates_per_second.set(0.0);
        self.message.set(None);
        spawn_local(self.rebuild());
    }

    async fn run_loop(self) {
        self.looping.set_value(true);
        while self.running.get_untracked() {
            let slice_start = Instant::now();
            let mut fresh = Vec::new();
            while self.running.get_untracked() && slice_start.elapsed().as_secs_f64() * 1e3 < SLICE_MS {
                match self.step_once().await {
                    Ok(Some(report)) => fresh.push(report),
                    Ok(None) => {
                        if self.ready.get_untracked() {
                            self.running.set(false);
                        }
                        break;
                    }
                    Err(err) => {
                        self.message.set(Some(format!("Training stopped: {err}")));
                        self.running.set(false);
                        break;
                    }
                }
            }
            if !fresh.is_empty() {
                let seconds = slice_start.elapsed().as_secs_f32().max(1e-6);
                self.updates_per_second.set(fresh.len() as f32 / seconds);
                self.reports.update(|r| r.extend(fresh));
            }
            // Give the browser the thread: paint, input, and the charts' redraw.
            TimeoutFuture::new(if self.ready.get_untracked() { 0 } else { 50 }).await;
        }
        self.looping.set_value(false);
    }
}
