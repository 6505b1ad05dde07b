//! The training worker with burn's WebGPU backend as well (`--features webgpu`), fetched only
//! when the user asks for WebGPU; otherwise the same as `worker.rs`.

fn main() {
    creditlab_app::worker::run();
}
