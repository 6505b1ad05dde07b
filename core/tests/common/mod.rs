//! Helpers shared by the core's integration tests.
#![allow(dead_code)] // each test binary uses its own part of these helpers

use creditlab::backend;
use creditlab::{StepReport, TrainConfig, Trainer};

/// Trains `config` to the end on the CPU backend and returns every report.
pub fn run(config: &TrainConfig) -> Vec<StepReport> {
    pollster::block_on(async {
        let mut trainer = Trainer::new(config.clone(), backend::cpu("test")).await.expect("valid config");
        let mut reports = Vec::new();
        while !trainer.is_finished() {
            reports.push(trainer.step().await.expect("step"));
        }
        reports
    })
}

/// The median (upper median for an even count).
pub fn median(mut v: Vec<f32>) -> f32 {
    v.sort_by(f32::total_cmp);
    v[v.len() / 2]
}
