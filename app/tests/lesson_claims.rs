//! The lessons' answers quote what the lab shows; these runs of the lesson presets (on the CPU,
//! the same seeds) keep the qualitative claims true.

use creditlab::{backend, StepReport, TrainConfig, Trainer};
use creditlab_app::lessons;

fn train(config: TrainConfig) -> Vec<StepReport> {
    pollster::block_on(async {
        let mut trainer = Trainer::new(config, backend::cpu("test")).await.expect("a lesson preset is valid");
        let mut reports = Vec::new();
        while !trainer.is_finished() {
            reports.push(trainer.step().await.expect("step"));
        }
        reports
    })
}

fn preset(id: &str, step: usize) -> TrainConfig {
    lessons::preset(id, step).expect("the lesson exists")
}

/// Mean over the runs of `estimator` of `value(run)` in `report`.
fn mean_of(report: &StepReport, estimator: &str, value: impl Fn(&creditlab::RunReport) -> f32) -> f32 {
    let values: Vec<f32> = report.runs.iter().filter(|r| r.estimator.name() == estimator).map(value).collect();
    assert!(!values.is_empty(), "no {estimator} runs");
    values.iter().sum::<f32>() / values.len() as f32
}

#[test]
fn scales_the_small_agent_learns_agent_wise_not_under_the_global_step_baseline() {
    let config = TrainConfig { updates: 50, ..preset("scales", 0) };
    let reports = train(config);
    let last = reports.last().expect("reports");
    let global = mean_of(last, "global-step", |r| r.agents[0].reward_score);
    let agent_wise = mean_of(last, "agent-wise", |r| r.agents[0].reward_score);
    assert!(agent_wise > global + 0.3, "×1 agent: global {global}, agent-wise {agent_wise}");
}

#[test]
fn climbing_independent_learners_miss_the_optimum() {
    let reports = train(preset("overgeneralization", 0));
    let last = reports.last().expect("reports");
    for run in &last.runs {
        let optimal = run.figures.get("optimal_joint_prob").copied().unwrap_or(f32::NAN);
        assert!(optimal < 0.1, "{} seed {}: P(A, A) = {optimal}", run.estimator.name(), run.seed);
    }
}

#[test]
fn kuhn_mars_is_less_exploitable_than_global_grpo() {
    let reports = train(preset("turns", 0));
    let last = reports.last().expect("reports");
    let nash = |e: &str| mean_of(last, e, |r| r.figures.get("nash_conv").copied().unwrap_or(f32::NAN));
    let (global, mars) = (nash("grpo-global"), nash("mars"));
    assert!(mars < 0.5 && global > 2.0 * mars, "NashConv: global GRPO {global}, MARS {mars}");
}
