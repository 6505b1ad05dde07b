//! The redraw clock: when the charts draw. Read-outs follow every message; the charts redraw
//! at most every [`REDRAW_MS`] while training, and never take more than about half of the main
//! thread (see [`DrawLoad`]).

use leptos::prelude::*;
use web_time::Instant;

use crate::worker::FromWorker;

/// Least time between two chart redraws while training (read-outs update on every message).
pub const REDRAW_MS: f64 = 200.0;

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

/// What a message from the worker asks of the charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redraw {
    /// Nothing to draw.
    No,
    /// Draw at once (paused, stopped, crashed: nothing else competes for the thread).
    Now,
    /// Draw when the throttle allows (while training).
    Throttled,
}

impl Redraw {
    /// The redraw `message` asks for; `running` is whether the worker trains on after it.
    pub fn after(message: &FromWorker, running: bool) -> Redraw {
        match message {
            FromWorker::Reports { .. } | FromWorker::Views { .. } if running => Redraw::Throttled,
            FromWorker::Reports { .. } | FromWorker::Views { .. } | FromWorker::Stopped { .. } | FromWorker::Crashed { .. } => Redraw::Now,
            _ => Redraw::No,
        }
    }
}

/// When the charts redraw (a `Copy` handle; every chart canvas tracks [`RedrawClock::redraw`]).
#[derive(Debug, Clone, Copy)]
pub struct RedrawClock {
    /// Bumped when charts should redraw.
    pub redraw: RwSignal<u64>,
    /// What the charts' drawing costs.
    pub draw_load: StoredValue<DrawLoad>,
    last_redraw: StoredValue<Option<Instant>, LocalStorage>,
    pending: StoredValue<bool>,
}

impl RedrawClock {
    /// A clock that has not drawn yet.
    pub fn new() -> Self {
        Self {
            redraw: RwSignal::new(0),
            draw_load: StoredValue::new(DrawLoad::default()),
            last_redraw: StoredValue::new_local(None),
            pending: StoredValue::new(false),
        }
    }

    /// Applies a message's [`Redraw`]: now, throttled, or not at all.
    pub fn reduce(self, redraw: Redraw) {
        match redraw {
            Redraw::No => {}
            Redraw::Now => self.request(true),
            Redraw::Throttled => self.request(false),
        }
    }

    /// Bumps `redraw` now, or once after the throttle interval (at most one pending).
    pub fn request(self, now: bool) {
        let load = self.draw_load.get_value();
        let gap = REDRAW_MS.max(2.0 * load.last_round_ms);
        let due = load.pending == 0 && self.last_redraw.get_value().is_none_or(|t| t.elapsed().as_secs_f64() * 1e3 >= gap);
        if now || due {
            self.last_redraw.set_value(Some(Instant::now()));
            self.redraw.update(|v| *v += 1);
        } else if !self.pending.get_value() {
            self.pending.set_value(true);
            set_timeout(
                move || {
                    self.pending.set_value(false);
                    self.request(false);
                },
                std::time::Duration::from_millis(gap as u64),
            );
        }
    }
}

impl Default for RedrawClock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use creditlab::BackendInfo;

    use super::*;
    use crate::worker::StopReason;

    #[test]
    fn reports_and_views_wait_for_the_throttle_only_while_training() {
        let reports = FromWorker::Reports { generation: 1, reports: Vec::new(), updates_per_second: 0.0 };
        let views = FromWorker::Views { generation: 1, views: Vec::new() };
        for message in [&reports, &views] {
            assert_eq!(Redraw::after(message, true), Redraw::Throttled);
            assert_eq!(Redraw::after(message, false), Redraw::Now);
        }
        let stopped = FromWorker::Stopped { generation: 1, reason: StopReason::Paused };
        assert_eq!(Redraw::after(&stopped, false), Redraw::Now);
        assert_eq!(Redraw::after(&FromWorker::Crashed { message: "boom".into() }, false), Redraw::Now);
        let ready = FromWorker::Ready { generation: 1, backend: BackendInfo { kind: creditlab::BackendKind::Cpu, reason: String::new() } };
        assert_eq!(Redraw::after(&ready, true), Redraw::No);
        assert_eq!(Redraw::after(&FromWorker::Error { generation: 1, message: "x".into() }, false), Redraw::No);
    }
}
