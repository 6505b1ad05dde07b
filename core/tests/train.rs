//! Trainer behaviour on the CPU backend: determinism, learning, and the Dr. MAS effect.

use creditlab::advantage::Estimator;
use creditlab::backend;
use creditlab::policy::PolicySharing;
use creditlab::{StepReport, TrainConfig, Trainer};

mod common;
use common::{median, run};

fn run_index(report: &StepReport, estimator: Estimator) -> usize {
    report.runs.iter().position(|r| r.estimator == estimator).expect("a run of that estimator")
}

fn run_of(report: &StepReport, estimator: Estimator) -> &creditlab::RunReport {
    &report.runs[run_index(report, estimator)]
}

fn without_timing(mut reports: Vec<StepReport>) -> Vec<StepReport> {
    for r in &mut reports {
        r.wall_ms = 0.0;
    }
    reports
}

#[test]
fn same_seed_same_build_gives_identical_reports() {
    let config = TrainConfig { updates: 15, seeds: vec![3, 4], ..TrainConfig::default() };
    let a = without_timing(run(&config));
    let b = without_timing(run(&config));
    assert_eq!(a, b);
    // And a different seed gives a different run.
    let c = without_timing(run(&TrainConfig { seeds: vec![5, 4], ..config }));
    assert_ne!(a[0].runs[0], c[0].runs[0]);
}

#[test]
fn runs_on_the_same_seed_start_from_the_same_policy_and_batch() {
    let config = TrainConfig { updates: 1, ..TrainConfig::default() };
    let report = &run(&config)[0];
    let global = run_of(report, Estimator::GlobalStep);
    let agent_wise = run_of(report, Estimator::AgentWise);
    for (g, a) in global.agents.iter().zip(&agent_wise.agents) {
        // Same first batch: identical rewards; different estimators: different advantages.
        assert_eq!(g.reward_mean, a.reward_mean);
        assert_eq!(g.reward_std, a.reward_std);
    }
    assert_ne!(global.agents[0].advantage_mean, agent_wise.agents[0].advantage_mean);
}

#[test]
fn agent_wise_training_improves_the_team_reward() {
    let config = TrainConfig {
        updates: 120,
        estimators: vec![Estimator::AgentWise],
        seeds: vec![11],
        learning_rate: 0.02,
        ..TrainConfig::default()
    };
    let reports = run(&config);
    let mean = |slice: &[StepReport]| {
        slice.iter().map(|r| r.runs[0].team_reward_mean).sum::<f32>() / slice.len() as f32
    };
    let (first, last) = (mean(&reports[..10]), mean(&reports[reports.len() - 10..]));
    assert!(last > first + 5.0, "team reward {first} → {last}");
    let optimal = reports.last().expect("reports").runs[0].figures["optimal_action_rate"];
    assert!(optimal > 0.6, "optimal-arm rate {optimal}");
}

#[test]
fn every_report_is_finite_and_complete() {
    let reports = run(&TrainConfig { updates: 5, ..TrainConfig::default() });
    for report in &reports {
        for run in &report.runs {
            assert_eq!(run.agents.len(), 3);
            for agent in &run.agents {
                assert_eq!(agent.samples, 32);
                assert!(agent.grad_norm.expect("finite norm") > 0.0);
                let total: f32 = agent.action_probs.iter().sum();
                assert!((total - 1.0).abs() < 1e-4);
                assert!(agent.entropy > 0.0 && agent.entropy <= (4f32).ln() + 1e-4);
            }
        }
    }
}

/// max/min across agents of the gradient norm, for each of the first `updates` updates.
fn spreads(reports: &[StepReport], run: usize, updates: usize) -> Vec<f32> {
    reports[..updates]
        .iter()
        .map(|r| {
            let norms: Vec<f32> = r.runs[run].agents.iter().map(|a| a.grad_norm.expect("finite")).collect();
            norms.iter().copied().fold(f32::MIN, f32::max) / norms.iter().copied().fold(f32::MAX, f32::min)
        })
        .collect()
}

/// Dr. MAS on the default bandit (reward scales 1, 10, 100): under one global baseline (step or
/// trajectory level) the agents' gradient norms spread far apart; agent-wise normalisation keeps
/// them together.
///
/// Measured while the policies are still learning (the first 5 updates): once an agent has
/// converged, all its samples pick one arm, its agent-wise key has zero variance, A = 0 exactly
/// and its gradient vanishes, so max/min would then measure convergence, not normalisation.
#[test]
fn global_baseline_spreads_gradient_norms_across_agents_far_more_than_agent_wise() {
    let mut global = Vec::new();
    let mut agent_wise = Vec::new();
    let mut trajectory = Vec::new();
    for seed in 1..=5 {
        let reports = run(&TrainConfig { updates: 5, seeds: vec![seed], ..TrainConfig::default() });
        let (g, a) = (run_index(&reports[0], Estimator::GlobalStep), run_index(&reports[0], Estimator::AgentWise));
        let t = run_index(&reports[0], Estimator::GrpoGlobal);
        global.push(median(spreads(&reports, g, 5)));
        agent_wise.push(median(spreads(&reports, a, 5)));
        trajectory.push(median(spreads(&reports, t, 5)));
    }
    let (g, a) = (median(global.clone()), median(agent_wise.clone()));
    let t = median(trajectory.clone());
    eprintln!("grad-norm max/min across agents, median of updates 1-5, per seed: global-step {global:?} (median {g}), grpo-global {trajectory:?} (median {t}), agent-wise {agent_wise:?} (median {a})");
    assert!(a < 3.0, "agent-wise norms should stay together: {a}");
    assert!(g > 2.0 * a, "global step level {g} vs agent-wise {a}");
    assert!(t > 1.5 * a, "global GRPO {t} vs agent-wise {a}");
}

/// The predicted factor (σ_k² + (μ_k − μ)²)/σ² orders the agents as the measured global norms do:
/// the large-scale agent is inflated, the small ones deflated.
#[test]
fn predicted_inflation_tracks_the_scales() {
    let report = &run(&TrainConfig { updates: 1, ..TrainConfig::default() })[0];
    let global = run_of(report, Estimator::GlobalStep);
    let factors: Vec<f32> =
        global.agents.iter().map(|a| a.predicted_inflation.expect("defined")).collect();
    assert!(factors[2] > 1.5 && factors[0] < 0.6 && factors[1] < 0.6, "{factors:?}");
    let norms: Vec<f32> = global.agents.iter().map(|a| a.grad_norm.expect("finite")).collect();
    assert!(norms[2] > norms[0] && norms[2] > norms[1], "{norms:?}");
}

/// The trainer's options change what it does, each in the direction it should.
#[test]
fn shared_policy_ppo_kl_and_per_agent_rates_train() {
    let base = TrainConfig { updates: 3, estimators: vec![Estimator::AgentWise], ..TrainConfig::default() };
    let plain = run(&base);
    // A shared MLP: one parameter set per run, per-agent gradient contributions still reported.
    let shared = run(&TrainConfig { policy: PolicySharing::Shared, ..base.clone() });
    for agent in &shared[0].runs[0].agents {
        assert!(agent.grad_norm.expect("finite") > 0.0);
    }
    // Same first batch (same seed: the env and sampling streams do not depend on the policy's
    // parameters at update 1 beyond its probabilities), different parameters.
    assert_ne!(plain[2].runs[0].agents[0].action_probs, shared[2].runs[0].agents[0].action_probs);
    // PPO with 4 epochs moves the policy further than one plain step at the same learning rate.
    let one = run(&TrainConfig { updates: 1, learning_rate: 0.01, ..base.clone() });
    let ppo = run(&TrainConfig { updates: 1, learning_rate: 0.01, ppo_clip: Some(0.2), epochs: 4, ..base.clone() });
    let moved = |r: &StepReport, initial: &[f32]| -> f32 {
        r.runs[0].agents[2].action_probs.iter().zip(initial).map(|(a, b)| (a - b).abs()).sum()
    };
    let initial = initial_probs(&base);
    assert!(moved(&ppo[0], &initial) > moved(&one[0], &initial), "PPO epochs should move the policy more");
    // First-epoch gradient norms are the plain policy gradient's: identical at ρ = 1.
    assert_eq!(one[0].runs[0].agents[0].grad_norm, ppo[0].runs[0].agents[0].grad_norm);
    // A tiny learning rate for agent 2 keeps its policy where it started.
    let rates = run(&TrainConfig { updates: 3, agent_learning_rates: Some(vec![0.003, 0.003, 1e-7]), ..base.clone() });
    assert!(moved(&rates[2], &initial) < 1e-3, "agent 2 barely moves");
    // A strong KL penalty to the initial policy keeps every agent closer to it.
    let free = run(&TrainConfig { updates: 30, learning_rate: 0.02, ..base.clone() });
    let anchored = run(&TrainConfig { updates: 30, learning_rate: 0.02, kl_coef: 5.0, ..base.clone() });
    assert!(moved(&anchored[29], &initial) < moved(&free[29], &initial));
}

fn initial_probs(config: &TrainConfig) -> Vec<f32> {
    pollster::block_on(async {
        let trainer = Trainer::new(config.clone(), backend::cpu("test")).await.expect("valid config");
        let mut p = vec![0.0; 4];
        trainer.host_policy().expect("an MLP game").probs(0, 2, &[1.0], &[true; 4], &mut p);
        p
    })
}

/// Clipping by the global norm keeps every run's update norm at the cap while the reported
/// (pre-clip) norms stay as they were.
#[test]
fn clipping_leaves_reported_norms_pre_clip() {
    let base = TrainConfig { updates: 1, ..TrainConfig::default() };
    let free = run(&base);
    let clipped = run(&TrainConfig { max_grad_norm: Some(0.01), ..base });
    for (a, b) in free[0].runs.iter().zip(&clipped[0].runs) {
        assert_eq!(a.grad_norm, b.grad_norm);
    }
}

/// Adam's first step moves every parameter with a non-zero gradient by the learning rate (its
/// bias-corrected m̂/√v̂ is ±1), so each agent's parameter change is at most lr·√(parameters) and
/// positive when its gradient is.
#[test]
fn update_norm_is_the_size_of_adams_step() {
    let config = TrainConfig { updates: 1, seeds: vec![4, 5], ..TrainConfig::default() };
    let reports = common::run(&config);
    // Input one-hot context (1) and agent count are the bandit's; 4 arms; hidden 32.
    let (input, hidden, actions) = (1.0f32, config.hidden as f32, 4.0f32);
    let params = input * hidden + hidden + hidden * actions + actions;
    let bound = config.learning_rate * params.sqrt() * 1.001;
    for report in &reports {
        for run in &report.runs {
            for agent in &run.agents {
                let change = agent.update_norm.expect("measured");
                assert!(change <= bound, "{change} > {bound}");
                if agent.grad_norm.is_some_and(|g| g > 1e-6) {
                    assert!(change > 0.0);
                }
            }
        }
    }
}

/// The CPU backend's reports for a fixed config, checked in: the browser test layer compares the
/// wasm build's reports with the same file, so native and wasm must agree bit for bit.
/// `CREDITLAB_BLESS=1` rewrites the file after an intended change of the training arithmetic.
#[test]
fn cpu_reports_match_the_checked_in_fixture() {
    let config = TrainConfig { updates: 5, groups: 2, group_size: 8, ..TrainConfig::default() };
    let reports = without_timing(run(&config));
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/cpu-reports.json");
    let text = serde_json::to_string_pretty(&reports).expect("json");
    if std::env::var_os("CREDITLAB_BLESS").is_some() {
        std::fs::write(path, &text).expect("write the fixture");
    }
    let expected: Vec<StepReport> = serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("parse");
    assert_eq!(reports, expected, "native CPU reports differ from {path}");
}

/// A lost device: with checkpointing on, the trainer rebuilt on another backend from the last
/// report goes on exactly as the uninterrupted run (PPO with two epochs and a KL anchor, so the
/// Adam state, the random streams and the initial policy all have to come back).
#[test]
fn a_lost_device_recovers_from_the_last_report_bit_for_bit() {
    let config = TrainConfig {
        updates: 10,
        seeds: vec![1, 2],
        ppo_clip: Some(0.2),
        epochs: 2,
        kl_coef: 0.05,
        ..TrainConfig::default()
    };
    let plain = without_timing(run(&config));
    let recovered = pollster::block_on(async {
        let mut trainer = Trainer::new(config.clone(), backend::cpu("test")).await.expect("valid");
        trainer.set_checkpointing(true);
        trainer.inject_device_failure(6);
        let mut reports = Vec::new();
        while !trainer.is_finished() {
            match trainer.step().await {
                Ok(report) => reports.push(report),
                Err(creditlab::TrainError::Device(message)) => {
                    assert!(message.contains("update 6"), "{message}");
                    assert_eq!(trainer.updates_done(), 5, "the failed update did not count");
                    assert!(trainer.can_recover());
                    trainer = trainer.recover(backend::cpu("recovered")).await.expect("recover");
                    assert_eq!(trainer.backend().reason, "recovered");
                }
                Err(other) => panic!("{other}"),
            }
        }
        reports
    });
    assert_eq!(without_timing(recovered), plain, "the recovered run differs from the uninterrupted one");
}
