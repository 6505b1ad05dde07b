//! The training worker with the language agents' trainer: the CPU worker built with the core's
//! `language` feature (burn-nn's transformer). The page starts it instead of the CPU worker when
//! the experiment is played by language agents, so that the MLP games' worker stays small.

fn main() {
    creditlab_app::worker::run();
}
