//! The training worker (CPU only): a separate module that the page starts as a Web Worker (trunk
//! builds it with `data-type="worker"`). It holds burn and the trainer; the page holds the views.

fn main() {
    creditlab_app::worker::run();
}
