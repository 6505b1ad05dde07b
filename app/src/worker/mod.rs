//! Training off the main thread. The worker (`src/bin/worker.rs`, built by trunk as a separate
//! module) owns the backend and the [`creditlab::Trainer`]; the page talks to it in messages.
//!
//! - [`protocol`]: the messages ([`ToWorker`], [`FromWorker`]) and their JSON codec;
//! - [`service`]: the training service's state machine behind a callback, so the browser tests
//!   drive it directly;
//! - [`import`]: reading and analysing a logged run (a stream of the file, in the worker);
//! - [`actor`]: the thin gloo-worker actor around the service, and the panic plumbing.

pub mod actor;
pub mod import;
pub mod protocol;
pub mod service;

pub use actor::{report_panics, run, TrainingWorker};
pub use protocol::{Fault, FromWorker, ImportSource, JsonCodec, Pace, StopReason, ToWorker};
pub use service::Service;
