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
/// Least time between two chart redraws while training (the read-outs update every slice).
const REDRAW_MS: f64 = 250.0;

/// How fast the loop trains: as fast as the device allows, or slowed down to watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// As many updates as fit, yielding to the browser every few milliseconds.
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
    /// Bumped when the charts should redraw (throttled while training).
    pub redraw: RwSignal<u64>,
    /// How fast the loop trains.
    pub pace: RwSignal<Pace>,
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
            redraw: RwSignal::new(0),
            pace: RwSignal::new(Pace::PerSecond(30)),
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
                Ok(Some(report)) => {
                    self.reports.update(|r| r.push(report));
                    self.redraw.update(|v| *v += 1);
                }
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
        self.redraw.update(|v| *v += 1);
        self.updates_per_second.set(0.0);
        self.message.set(None);
        spawn_local(self.rebuild());
    }

    async fn run_loop(self) {
        self.looping.set_value(true);
        // Wall-clock rate over windows of about a second: updates, charts and idle time included.
        let mut window_start = Instant::now();
        let mut window_updates = 0usize;
        let mut last_redraw = Instant::now();
        while self.running.get_untracked() {
            let slice_start = Instant::now();
            let mut fresh = Vec::new();
            let pace = self.pace.get_untracked();
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
                if pace != Pace::Full {
                    break;
                }
            }
            if !fresh.is_empty() {
                window_updates += fresh.len();
                let seconds = window_start.elapsed().as_secs_f32();
                if seconds >= 1.0 || self.updates_per_second.get_untracked() == 0.0 {
                    self.updates_per_second.set(window_updates as f32 / seconds.max(1e-3));
                    window_start = Instant::now();
                    window_updates = 0;
                }
                self.reports.update(|r| r.extend(fresh));
                if last_redraw.elapsed().as_secs_f64() * 1e3 >= REDRAW_MS || !self.running.get_untracked() {
                    self.redraw.update(|v| *v += 1);
                    last_redraw = Instant::now();
                }
            }
            // Give the browser the thread: paint, input, and the charts' redraw.
            let wait_ms = match pace {
                _ if !self.ready.get_untracked() => 50.0,
                Pace::Full => 0.0,
                Pace::PerSecond(n) => (1e3 / f64::from(n.max(1)) - slice_start.elapsed().as_secs_f64() * 1e3).max(0.0),
            };
            TimeoutFuture::new(wait_ms as u32).await;
        }
        self.redraw.update(|v| *v += 1);
        self.looping.set_value(false);
    }
}
