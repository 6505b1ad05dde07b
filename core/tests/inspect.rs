//! The page's batch views: what the trainer trained on, cut to whole groups, and every
//! estimator on one frozen batch.

use creditlab::advantage::Estimator;
use creditlab::backend;
use creditlab::env::matrix::MatrixSpec;
use creditlab::env::pipeline::PipelineConfig;
use creditlab::metrics::mean_std;
use creditlab::{GameConfig, TrainConfig, Trainer};

fn trained(config: TrainConfig, updates: u32) -> Trainer {
    pollster::block_on(async {
        let mut trainer = Trainer::new(config, backend::cpu("test")).await.expect("valid config");
        for _ in 0..updates {
            trainer.step().await.expect("step");
        }
        trainer
    })
}

#[test]
fn batch_view_is_the_trained_batch_in_whole_groups() {
    let config = TrainConfig { groups: 6, group_size: 8, ..TrainConfig::default() };
    let trainer = trained(config.clone(), 0);
    assert!(trainer.batch_view(0, 512).is_none(), "no view before the first update");
    let trainer = trained(config, 2);
    let agent_wise = trainer.config().estimators.iter().position(|e| *e == Estimator::AgentWise);
    let run = agent_wise.expect("the default config compares agent-wise");
    let full = trainer.batch_view(run, usize::MAX).expect("a view after an update");
    assert_eq!(full.update, 2);
    assert_eq!(full.estimator, Estimator::AgentWise);
    assert_eq!(full.samples.len(), 6 * 8 * 3);
    assert_eq!(full.total_samples as usize, full.samples.len());
    assert_eq!(full.advantages.values.len(), full.samples.len());
    assert_eq!(full.advantages.ledger.len(), full.samples.len());
    // Agent-wise: every (group, agent) key has mean advantage 0 and std 1 (up to ε).
    for group in 0..6 {
        for agent in 0..3 {
            let a: Vec<f32> = full
                .samples
                .iter()
                .zip(&full.advantages.values)
                .filter(|(s, _)| s.group == group && s.agent == agent)
                .map(|(_, &a)| a)
                .collect();
            let (mean, std) = mean_std(&a);
            assert!(mean.abs() < 1e-4, "group {group} agent {agent}: mean {mean}");
            assert!(std == 0.0 || (std - 1.0).abs() < 1e-3, "group {group} agent {agent}: std {std}");
        }
    }
    // Cut to whole groups: 100 samples hold four groups of 24.
    let cut = trainer.batch_view(run, 100).expect("view");
    assert_eq!(cut.samples.len(), 96);
    assert_eq!(cut.samples[..], full.samples[..96]);
    assert_eq!(cut.advantages.values[..], full.advantages.values[..96]);
    // The first group always, even when it alone is larger than asked.
    assert_eq!(trainer.batch_view(run, 1).expect("view").samples.len(), 24);
}

#[test]
fn same_batch_applies_every_estimator_to_the_run_batch() {
    let estimators = vec![
        Estimator::GlobalStep,
        Estimator::AgentWise,
        Estimator::Coma,
        Estimator::Difference,
        Estimator::Shapley,
    ];
    let config = TrainConfig {
        game: GameConfig::Matrix(MatrixSpec::Climbing),
        estimators,
        updates: 3,
        ..TrainConfig::default()
    };
    let trainer = trained(config, 3);
    for run in 0..5 {
        let view = trainer.batch_view(run, 512).expect("view");
        let same = trainer.same_batch(run, 512).expect("same batch");
        assert_eq!(same.samples, view.samples);
        assert_eq!(same.collected_by, view.estimator);
        assert_eq!(same.results.len(), 5);
        let own = same.results.iter().find(|r| r.estimator == view.estimator).expect("its own estimator");
        // Recomputing the run's own estimator on its batch gives exactly what it trained on.
        assert_eq!(own.advantages.as_ref().expect("applies"), &view.advantages);
        for result in &same.results {
            let a = result.advantages.as_ref().expect("every estimator applies to a matrix game");
            assert_eq!(a.values.len(), same.samples.len());
            assert!(a.values.iter().all(|v| v.is_finite()));
        }
    }
    // Different estimators give different credit to the same batch.
    let same = trainer.same_batch(0, 512).expect("same batch");
    assert_ne!(same.results[0].advantages, same.results[2].advantages);
}

#[test]
fn same_batch_on_a_turn_based_game_gives_mars_its_step_rewards() {
    let config = TrainConfig {
        game: GameConfig::Pipeline(PipelineConfig::default()),
        estimators: vec![Estimator::AgentWise, Estimator::Mars],
        ..TrainConfig::default()
    };
    let trainer = trained(config, 1);
    let same = trainer.same_batch(0, 64).expect("same batch");
    assert!(same.results.iter().all(|r| r.advantages.is_some() && r.error.is_none()));
    // MARS is followed by its code's reading (padded unique values) on the same batch.
    let labels: Vec<&str> = same.results.iter().map(|r| r.label()).collect();
    assert_eq!(labels, [Estimator::AgentWise.label(), Estimator::Mars.label(), "MARS padded unique (code)"]);
    // MARS trains on step rewards; the view's step rewards are what it normalised.
    let mars = trainer.batch_view(1, 64).expect("view");
    assert_eq!(mars.step_rewards.len(), mars.samples.len());
    assert!(mars.cells.is_empty(), "the pipeline is not on a grid");
}

#[test]
fn foraging_views_carry_each_decision_cell() {
    let config = TrainConfig {
        game: GameConfig::Foraging(Default::default()),
        estimators: vec![Estimator::Gigpo],
        groups: 2,
        group_size: 4,
        ..TrainConfig::default()
    };
    let trainer = trained(config, 1);
    let view = trainer.batch_view(0, 10_000).expect("view");
    assert_eq!(view.cells.len(), view.samples.len());
    assert!(view.cells.iter().all(|[r, c]| *r < 5 && *c < 5));
    assert!(view.samples.iter().all(|s| s.anchor.is_some()), "GiGPO's anchors are recorded");
}
