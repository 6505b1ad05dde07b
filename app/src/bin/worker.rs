//! The training worker: a separate module that the page starts as a Web Worker (trunk builds it
//! with `data-type="worker"`). It holds burn and the trainer; the page holds the views.

use creditlab_app::worker::{report_panics, JsonCodec, TrainingWorker};
use gloo_worker::Registrable;

fn main() {
    creditlab_app::run_constructors();
    report_panics();
    TrainingWorker::registrar().encoding::<JsonCodec>().register();
}
