//! The worker's training service: the state machine behind [`ToWorker`] commands. It owns the
//! backend and the [`Trainer`], trains in slices of about 30 ms and answers through a
//! callback, so the browser tests drive it directly, without a Web Worker.

use std::cell::RefCell;
use std::rc::Rc;

use creditlab::backend::{self, Backend};
use creditlab::inspect::VIEW_SAMPLES;
use creditlab::{BackendKind, StepReport, TrainConfig, TrainError, Trainer};
use gloo_timers::future::TimeoutFuture;
use wasm_bindgen_futures::spawn_local;
use web_time::Instant;

use super::protocol::{Fault, FromWorker, Pace, StopReason, ToWorker};

/// How long the worker trains before it reports and looks at its messages.
const SLICE_MS: f64 = 30.0;
/// Least time between two batch views sent while training (they are larger than reports).
const VIEW_MS: f64 = 250.0;

#[derive(Debug)]
struct State {
    generation: u64,
    /// Chosen once per worker: WebGPU initialises at most once per process.
    backend: Option<Backend>,
    /// Taken out while an update is in flight.
    trainer: Option<Trainer>,
    running: bool,
    looping: bool,
    stepping: bool,
    pace: Pace,
    seed_index: usize,
    /// Resumes asked for while an update was in flight.
    resumes: Vec<(u32, f32)>,
    fault: Option<Fault>,
}

/// The worker's training service: handles [`ToWorker`] commands and answers through `out`.
#[derive(Clone)]
pub struct Service {
    state: Rc<RefCell<State>>,
    out: Rc<dyn Fn(FromWorker)>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").field("state", &self.state).finish_non_exhaustive()
    }
}

impl Service {
    /// A service that answers through `out`.
    pub fn new(out: impl Fn(FromWorker) + 'static) -> Self {
        let state = State {
            generation: 0,
            backend: None,
            trainer: None,
            running: false,
            looping: false,
            stepping: false,
            pace: Pace::Full,
            seed_index: 0,
            resumes: Vec::new(),
            fault: None,
        };
        Self { state: Rc::new(RefCell::new(state)), out: Rc::new(out) }
    }

    fn send(&self, message: FromWorker) {
        (self.out)(message);
    }

    fn generation(&self) -> u64 {
        self.state.borrow().generation
    }

    /// Handles one command.
    pub fn handle(&self, command: ToWorker) {
        match command {
            ToWorker::Configure { generation, config, prefer_gpu } => {
                {
                    let mut state = self.state.borrow_mut();
                    state.generation = generation;
                    state.trainer = None;
                    state.running = false;
                }
                let service = self.clone();
                spawn_local(async move { service.configure(generation, *config, prefer_gpu).await });
            }
            ToWorker::Start => {
                let start_loop = {
                    let mut state = self.state.borrow_mut();
                    state.running = true;
                    !std::mem::replace(&mut state.looping, true)
                };
                if start_loop {
                    let service = self.clone();
                    spawn_local(async move { service.run_loop().await });
                }
            }
            ToWorker::Pause => self.state.borrow_mut().running = false,
            ToWorker::Step => {
                let go = {
                    let mut state = self.state.borrow_mut();
                    let idle = !state.running && !state.looping && !state.stepping && state.trainer.is_some();
                    if idle {
                        state.stepping = true;
                    }
                    idle
                };
                if go {
                    let service = self.clone();
                    spawn_local(async move {
                        let generation = service.generation();
                        let outcome = service.step_once().await;
                        service.state.borrow_mut().stepping = false;
                        match outcome {
                            Step::Report(report) => {
                                // One update is no rate: the read-out shows one while running only.
                                service.send(FromWorker::Reports { generation, reports: vec![*report], updates_per_second: 0.0 });
                                service.send_views();
                            }
                            Step::Finished => service.send(FromWorker::Stopped { generation, reason: StopReason::Finished }),
                            Step::Failed(message) => {
                                service.send(FromWorker::Error { generation, message });
                                service.send(FromWorker::Stopped { generation, reason: StopReason::Failed });
                            }
                            Step::Diverged(report) => {
                                service.send(FromWorker::Reports { generation, reports: vec![*report], updates_per_second: 0.0 });
                                service.send_views();
                                service.send(FromWorker::Stopped { generation, reason: StopReason::Diverged });
                            }
                            Step::Recovered | Step::Stale => {}
                        }
                    });
                }
            }
            ToWorker::SetPace(pace) => self.state.borrow_mut().pace = pace,
            ToWorker::Inspect { seed_index } => {
                self.state.borrow_mut().seed_index = seed_index as usize;
                self.send_views();
            }
            ToWorker::Compare { run } => self.send_compare(run),
            ToWorker::Resume { run, learning_rate_factor } => {
                self.state.borrow_mut().resumes.push((run, learning_rate_factor));
                self.apply_resumes();
            }
            ToWorker::Import { id, source } => {
                let service = self.clone();
                spawn_local(async move { super::import::import(id, source, &|message| service.send(message)).await });
            }
            ToWorker::Bench { rows, updates } => {
                let service = self.clone();
                spawn_local(async move { service.send(bench(&rows, updates).await) });
            }
            ToWorker::Inject(fault) => {
                let mut state = self.state.borrow_mut();
                state.fault = Some(fault);
                if let (Fault::DeviceLoss(at), Some(trainer)) = (fault, state.trainer.as_mut()) {
                    trainer.inject_device_failure(at);
                }
            }
        }
    }

    /// Applies the resumes asked for, when the trainer is not busy with an update.
    fn apply_resumes(&self) {
        let generation = self.generation();
        let errors: Vec<String> = {
            let mut state = self.state.borrow_mut();
            let resumes = std::mem::take(&mut state.resumes);
            match state.trainer.as_mut() {
                Some(trainer) => resumes
                    .into_iter()
                    .filter_map(|(run, factor)| trainer.resume(run as usize, factor).err().map(|e| e.to_string()))
                    .collect(),
                None => {
                    state.resumes = resumes;
                    Vec::new()
                }
            }
        };
        for message in errors {
            self.send(FromWorker::Error { generation, message });
        }
    }

    async fn configure(&self, generation: u64, config: TrainConfig, prefer_gpu: bool) {
        let cached = self.state.borrow().backend.clone();
        let backend = match cached {
            Some(backend) if prefer_gpu || backend.info.kind == creditlab::BackendKind::Cpu => backend,
            _ => {
                let chosen = backend::choose(prefer_gpu).await;
                self.state.borrow_mut().backend = Some(chosen.clone());
                chosen
            }
        };
        let info = backend.info.clone();
        let trainer = Trainer::new(config, backend).await;
        if self.generation() != generation {
            return;
        }
        match trainer {
            Ok(mut trainer) => {
                // The page's trainer can always go on from its last report if the device fails.
                trainer.set_checkpointing(true);
                let mut state = self.state.borrow_mut();
                if let Some(Fault::DeviceLoss(at)) = state.fault {
                    trainer.inject_device_failure(at);
                }
                state.trainer = Some(trainer);
                drop(state);
                self.send(FromWorker::Ready { generation, backend: info });
            }
            Err(err) => self.send(FromWorker::Error { generation, message: format!("Cannot start training: {err}") }),
        }
    }

    /// One update of the current experiment.
    async fn step_once(&self) -> Step {
        let generation = self.generation();
        self.apply_resumes();
        let Some(mut trainer) = self.state.borrow_mut().trainer.take() else { return Step::Stale };
        if trainer.is_finished() {
            self.state.borrow_mut().trainer = Some(trainer);
            return Step::Finished;
        }
        let next = trainer.updates_done() + 1;
        if self.state.borrow().fault == Some(Fault::WorkerPanic(next)) {
            panic!("simulated worker panic before update {next} (fault=worker-panic@{next} in the address)");
        }
        let result = trainer.step().await;
        if self.generation() != generation {
            return Step::Stale;
        }
        match result {
            Ok(report) => {
                let all_stopped = trainer.all_stopped();
                self.state.borrow_mut().trainer = Some(trainer);
                if all_stopped {
                    Step::Diverged(Box::new(report))
                } else {
                    Step::Report(Box::new(report))
                }
            }
            Err(TrainError::Device(err)) if trainer.can_recover() => {
                // The device is gone: go on on the CPU from the last report.
                let was = match trainer.backend().kind {
                    BackendKind::WebGpu => "WebGPU",
                    BackendKind::Cpu => "CPU",
                };
                let cpu = backend::cpu(format!("the {was} device failed at update {next} ({err}); training went on on the CPU"));
                let info = cpu.info.clone();
                match trainer.recover(cpu.clone()).await {
                    Ok(recovered) if self.generation() == generation => {
                        {
                            let mut state = self.state.borrow_mut();
                            state.trainer = Some(recovered);
                            state.backend = Some(cpu);
                        }
                        self.send(FromWorker::Ready { generation, backend: info });
                        self.send(FromWorker::Error {
                            generation,
                            message: format!(
                                "The {was} device failed during update {next} ({err}). Training goes on on the CPU from update {}; nothing was lost.",
                                next - 1
                            ),
                        });
                        Step::Recovered
                    }
                    Ok(_) => Step::Stale,
                    Err(err) => Step::Failed(format!("Training stopped: the device failed and the CPU could not take over: {err}")),
                }
            }
            Err(err) => {
                self.state.borrow_mut().trainer = Some(trainer);
                Step::Failed(format!("Training stopped: {err}"))
            }
        }
    }

    async fn run_loop(&self) {
        let generation = self.generation();
        let mut window_start = Instant::now();
        let mut window_updates = 0usize;
        let mut rate = 0.0f32;
        let mut last_views: Option<Instant> = None;
        let mut reason = StopReason::Paused;
        loop {
            let (running, pace) = {
                let state = self.state.borrow();
                (state.running && state.generation == generation, state.pace)
            };
            if !running {
                break;
            }
            let slice_start = Instant::now();
            let mut reports = Vec::new();
            let mut stop = None;
            loop {
                match self.step_once().await {
                    Step::Report(report) => reports.push(*report),
                    Step::Diverged(report) => {
                        reports.push(*report);
                        stop = Some(StopReason::Diverged);
                    }
                    Step::Recovered => {}
                    Step::Finished => stop = Some(StopReason::Finished),
                    Step::Failed(message) => {
                        self.send(FromWorker::Error { generation, message });
                        stop = Some(StopReason::Failed);
                    }
                    Step::Stale => stop = Some(StopReason::Paused),
                }
                let running = self.state.borrow().running;
                if stop.is_some() || !running || pace != Pace::Full || slice_start.elapsed().as_secs_f64() * 1e3 >= SLICE_MS {
                    break;
                }
            }
            if !reports.is_empty() && self.generation() == generation {
                window_updates += reports.len();
                let seconds = window_start.elapsed().as_secs_f32();
                // A rate over at least a second of the loop, waits for the pace included: the
                // first update alone measured the arithmetic (89/s at a pace of 30/s).
                if seconds >= 1.0 {
                    rate = window_updates as f32 / seconds.max(1e-3);
                    window_start = Instant::now();
                    window_updates = 0;
                }
                self.send(FromWorker::Reports { generation, reports, updates_per_second: rate });
                if stop.is_some() || last_views.is_none_or(|t| t.elapsed().as_secs_f64() * 1e3 >= VIEW_MS) {
                    self.send_views();
                    last_views = Some(Instant::now());
                }
            }
            if let Some(stop) = stop {
                reason = stop;
                break;
            }
            // Let the worker's message queue run (Pause, Inspect …), then go on at the pace.
            match pace {
                Pace::Full => yield_to_messages().await,
                Pace::PerSecond(n) => {
                    let wait_ms = (1e3 / f64::from(n.max(1)) - slice_start.elapsed().as_secs_f64() * 1e3).max(0.0);
                    TimeoutFuture::new(wait_ms as u32).await;
                }
            }
        }
        {
            let mut state = self.state.borrow_mut();
            state.looping = false;
            if state.generation == generation {
                state.running = false;
            }
        }
        if self.generation() == generation {
            self.send_views();
            self.send(FromWorker::Stopped { generation, reason });
        }
    }

    /// Sends the batch views of the inspected seed (one per estimator), when there are any.
    fn send_views(&self) {
        let views = {
            let state = self.state.borrow();
            let Some(trainer) = state.trainer.as_ref() else { return };
            let seeds = trainer.config().seeds.len();
            let seed = state.seed_index.min(seeds.saturating_sub(1));
            (0..trainer.config().estimators.len())
                .filter_map(|e| trainer.batch_view(e * seeds + seed, VIEW_SAMPLES))
                .collect::<Vec<_>>()
        };
        if !views.is_empty() {
            self.send(FromWorker::Views { generation: self.generation(), views });
        }
    }

    fn send_compare(&self, run: u32) {
        let same = self.state.borrow().trainer.as_ref().and_then(|t| t.same_batch(run as usize, VIEW_SAMPLES));
        match same {
            Some(same) => self.send(FromWorker::SameBatch { generation: self.generation(), same: Box::new(same) }),
            None => self.send(FromWorker::Error {
                generation: self.generation(),
                message: "No batch to compare yet: do one update first.".into(),
            }),
        }
    }
}

enum Step {
    Report(Box<StepReport>),
    /// A report after which every run has diverged.
    Diverged(Box<StepReport>),
    /// The device failed; the trainer goes on on the CPU (no report this time).
    Recovered,
    Finished,
    Failed(String),
    /// The experiment was replaced (or is not ready) while the update ran.
    Stale,
}

/// The update-step benchmark in this module ([`ToWorker::Bench`]): every case timed as
/// `creditlab bench --update-step` times it natively, then described for the peers.
async fn bench(rows: &[u32], updates: u32) -> FromWorker {
    let (mut steps, mut probes) = (Vec::new(), Vec::new());
    for &r in rows {
        let timed = creditlab::bench::measure_update_step(r, creditlab::bench::rows_case(r), backend::cpu("bench"), updates).await;
        let probe = creditlab::bench::update_probe(r, backend::cpu("bench")).await;
        match (timed, probe) {
            (Ok(step), Ok(probe)) => {
                steps.push(step);
                probes.push(probe);
            }
            (Err(e), _) | (_, Err(e)) => return FromWorker::Bench { steps, probes, error: Some(format!("{r} rows: {e}")) },
        }
    }
    FromWorker::Bench { steps, probes, error: None }
}

/// Lets the message queue run, then resumes: one task queued through a `MessageChannel`. Not
/// `setTimeout(0)`, which browsers clamp to 4 ms once timers nest: a worker training at full
/// speed in 30 ms slices sat idle 12 % of the time (a profile of the scales lesson).
async fn yield_to_messages() {
    use wasm_bindgen::{closure::Closure, JsCast, JsValue};
    let promise = js_sys::Promise::new(&mut |resolve: js_sys::Function, _reject| {
        let Ok(channel) = web_sys::MessageChannel::new() else {
            let _ = resolve.call0(&JsValue::NULL);
            return;
        };
        let port = channel.port1();
        let closing = port.clone();
        let wake = Closure::once_into_js(move || {
            closing.close();
            let _ = resolve.call0(&JsValue::NULL);
        });
        port.set_onmessage(Some(wake.unchecked_ref()));
        let _ = channel.port2().post_message(&JsValue::NULL);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
