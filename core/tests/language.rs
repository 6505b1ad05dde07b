//! Language agents (the arithmetic task, token policies, token-level policy gradient): they
//! learn, they show Dr. MAS's effect, they are deterministic, and bad configs name their field.

use creditlab::backend;
use creditlab::config::TrainConfig;
use creditlab::{Estimator, StepReport, Trainer};

fn config(json: &str) -> TrainConfig {
    TrainConfig::from_json(json).expect("valid config")
}

fn train(config: TrainConfig) -> Vec<StepReport> {
    pollster::block_on(async {
        let mut trainer = Trainer::new(config, backend::cpu("test")).await.expect("trainer");
        let mut reports = Vec::new();
        while !trainer.is_finished() {
            reports.push(trainer.step().await.expect("step"));
        }
        reports
    })
}

fn median(mut v: Vec<f32>) -> f32 {
    v.sort_by(f32::total_cmp);
    v[v.len() / 2]
}

/// Training settings of the Dr. MAS test (the thresholds below were set on them).
const LEARNING: &str = r#""learning_rate": 0.005, "entropy_coef": 0.01, "group_size": 16"#;

#[test]
fn a_seeded_short_run_raises_the_solvers_accuracy() {
    // The language agents' defaults (`TrainConfig::for_game`), one seed, 200 updates.
    let arithmetic = creditlab::GameConfig::example("arithmetic").expect("arithmetic");
    let reports = train(TrainConfig { estimators: vec![Estimator::AgentWise], updates: 200, ..TrainConfig::for_game(arithmetic) });
    let accuracy: Vec<f32> = reports.iter().map(|r| r.runs[0].figures["accuracy"]).collect();
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    let (start, end) = (mean(&accuracy[..10]), mean(&accuracy[180..]));
    assert!(start < 0.1, "a fresh solver guesses: accuracy {start}");
    assert!(end > 0.5 && end > start + 0.4, "accuracy went from {start:.3} to {end:.3}");
    // Every response is a sample; the solver's responses are longer than the verifier's one token.
    let last = &reports.last().unwrap().runs[0];
    let tokens: Vec<f32> = last.agents.iter().map(|a| a.tokens.expect("token counts")).collect();
    assert!(tokens[0] > 1.5 && tokens[1] == 1.0, "{tokens:?}");
}

/// Dr. MAS at token level: the verifier is paid ×10 the solver. One global baseline shrinks the
/// solver's advantages (its rewards sit far from the pooled mean, its variation is a tenth of
/// σ) and not the verifier's, so each agent's gradient norm moves by a different factor against
/// agent-wise normalisation: the agents' norms spread apart. Agent-wise against agent-wise on
/// other seeds moves no agent more than another.
#[test]
fn one_global_baseline_spreads_the_agents_gradient_norms_apart() {
    let run = |estimator: &str, seeds: &str| {
        let json = format!(
            r#"{{"game": {{"kind": "arithmetic", "verifier_reward": "outcome",
                "agents": [{{"width": 32, "heads": 2}}, {{"width": 16, "heads": 1, "reward_scale": 10}}]}},
                "estimators": ["{estimator}"], "seeds": [{seeds}], "updates": 40, {LEARNING}}}"#
        );
        let reports = train(config(&json));
        // Per agent: the median over seeds of each run's median gradient norm.
        (0..2)
            .map(|k| {
                let runs = reports[0].runs.len();
                let per_run: Vec<f32> = (0..runs)
                    .map(|r| median(reports.iter().filter_map(|rep| rep.runs[r].agents[k].grad_norm).collect()))
                    .collect();
                median(per_run)
            })
            .collect::<Vec<f32>>()
    };
    let global = run("global-step", "1, 2, 3, 4, 5");
    let agent_wise = run("agent-wise", "1, 2, 3, 4, 5");
    let other_seeds = run("agent-wise", "6, 7, 8, 9, 10");
    let spread = |a: &[f32], b: &[f32]| {
        let r: Vec<f32> = a.iter().zip(b).map(|(x, y)| x / y).collect();
        r.iter().copied().fold(0.0, f32::max) / r.iter().copied().fold(f32::INFINITY, f32::min)
    };
    let (effect, control) = (spread(&global, &agent_wise), spread(&other_seeds, &agent_wise));
    assert!(global[0] < agent_wise[0] / 2.5, "the solver's norm shrinks under the global baseline: {global:?} vs {agent_wise:?}");
    assert!(effect > 3.0, "global against agent-wise moves the agents' norms by factors {effect:.2} apart");
    assert!(control < 2.0, "agent-wise on other seeds: {control:.2}");
}

#[test]
fn every_estimator_that_applies_trains_language_agents() {
    for estimator in Estimator::ALL.into_iter().filter(|e| !e.needs().payoff_oracle) {
        let json = format!(r#"{{"game": {{"kind": "arithmetic"}}, "estimators": ["{}"], "updates": 2}}"#, estimator.name());
        let reports = train(config(&json));
        let run = &reports[1].runs[0];
        assert!(run.diverged.is_none(), "{estimator}: {:?}", run.diverged);
        assert!(run.agents.iter().all(|a| a.samples > 0), "{estimator}: both agents answered");
        assert!(run.figures.contains_key("accuracy") && run.figures.contains_key("outcome"));
    }
    let err = TrainConfig::from_json(r#"{"game": {"kind": "arithmetic"}, "estimators": ["coma"]}"#).unwrap_err();
    assert_eq!(err.field, "estimators", "{err}");
}

#[test]
fn the_same_seed_trains_the_same_bits_with_every_loss_aggregation() {
    for agg in ["token-mean", "seq-mean-token-sum", "seq-mean-token-mean", "seq-mean-token-sum-norm"] {
        let json = format!(
            r#"{{"game": {{"kind": "arithmetic"}}, "estimators": ["agent-wise", "global-step"], "seeds": [3], "updates": 4,
                "loss_agg": "{agg}", "ppo_clip": 0.2, "epochs": 2, "max_grad_norm": 0.5}}"#
        );
        let strip = |mut reports: Vec<StepReport>| {
            reports.iter_mut().for_each(|r| r.wall_ms = 0.0);
            serde_json::to_string(&reports).unwrap()
        };
        let (a, b) = (strip(train(config(&json))), strip(train(config(&json))));
        assert_eq!(a, b, "{agg}");
    }
    // …and each setting is used: the aggregations, clipping and PPO each change the training
    // (the solver's: for the verifier's one-token responses the aggregations coincide).
    let trained = |extra: &str| {
        let json = format!(
            r#"{{"game": {{"kind": "arithmetic"}}, "estimators": ["agent-wise"], "seeds": [3], "updates": 3,
                "entropy_coef": 0.03, "groups": 8, "group_size": 16{extra}}}"#
        );
        let reports = train(config(&json));
        reports.iter().map(|r| r.runs[0].agents.iter().map(|a| a.grad_norm).collect::<Vec<_>>()).collect::<Vec<_>>()
    };
    let variants = [
        trained(""),
        trained(r#", "loss_agg": "seq-mean-token-sum""#),
        trained(r#", "loss_agg": "seq-mean-token-mean""#),
        trained(r#", "loss_agg": "seq-mean-token-sum-norm""#),
        trained(r#", "max_grad_norm": 0.001"#),
        trained(r#", "ppo_clip": 0.1, "epochs": 3"#),
    ];
    for (i, a) in variants.iter().enumerate() {
        for b in &variants[i + 1..] {
            assert_ne!(a, b, "two settings trained the same");
        }
    }
}

#[test]
fn a_shared_model_trains_both_agents() {
    let reports = train(config(r#"{"game": {"kind": "arithmetic"}, "estimators": ["agent-wise"], "policy": "shared", "updates": 3}"#));
    // The shared gradient is the sum of the agents' parts: its norm lies between the
    // difference and the sum of theirs, and is neither agent's alone.
    for report in &reports {
        let run = &report.runs[0];
        let g: Vec<f32> = run.agents.iter().map(|a| a.grad_norm.expect("finite")).collect();
        let total = run.grad_norm.expect("finite");
        assert!(total <= (g[0] + g[1]) * 1.0001 && total >= (g[0] - g[1]).abs() * 0.9999, "{g:?} → {total}");
        assert!(g[1] > 0.0 && (total - g[0]).abs() > 1e-6, "the verifier's part counts: {g:?} → {total}");
    }
}

/// The batch the estimators see: per (episode, agent) the step rewards add up to the return
/// every sample of the agent is credited with, samples and responses stay aligned, and a
/// verifier that never acts (one round) is paid nothing.
#[test]
fn step_rewards_add_up_to_each_agents_return() {
    use creditlab::env::arithmetic::{ArithmeticConfig, Episodes, LanguageAgent};
    use creditlab::train::token::rollout_of;
    use rand::SeedableRng;
    for (rounds, scale) in [(2u32, 1.0f32), (3, 10.0), (1, 1.0)] {
        let task = ArithmeticConfig {
            rounds,
            verifier_reward: creditlab::env::game::VerifierReward::Judgement,
            agents: vec![LanguageAgent::default(), LanguageAgent { width: 16, heads: 1, reward_scale: scale, ..LanguageAgent::default() }],
            ..ArithmeticConfig::default()
        };
        let mut env = rand_chacha::ChaCha8Rng::seed_from_u64(rounds.into());
        let mut episodes = Episodes::new(&task, 3, 4, &mut env);
        let mut n = 0u32;
        while !episodes.finished() {
            let requests = episodes.requests();
            // Scripted: the solver alternates right and wrong answers, the verifier alternates verdicts.
            let responses = requests
                .iter()
                .map(|r| {
                    n += 1;
                    let q = episodes.question(r.episode);
                    if r.agent == 0 {
                        let mut t = creditlab::env::arithmetic::number_tokens(q.answer() + i64::from(n % 2));
                        t.push(creditlab::env::arithmetic::END);
                        t
                    } else {
                        vec![if n.is_multiple_of(3) { creditlab::env::arithmetic::ACCEPT } else { creditlab::env::arithmetic::REJECT }]
                    }
                })
                .collect();
            episodes.respond(&requests, responses);
        }
        let (rollout, responses) = rollout_of(&episodes);
        assert_eq!(responses.len(), rollout.batch.len());
        let mut sums = std::collections::BTreeMap::new();
        for ((sample, response), step) in rollout.batch.samples.iter().zip(&responses).zip(&rollout.step_rewards) {
            assert_eq!((sample.episode, sample.agent, sample.turn), (response.episode, response.agent, response.turn));
            *sums.entry((sample.episode, sample.agent)).or_insert(0.0f32) += step;
        }
        for sample in &rollout.batch.samples {
            let sum = sums[&(sample.episode, sample.agent)];
            assert!((sum - sample.reward).abs() < 1e-6, "rounds {rounds}: episode {} agent {}: {sum} vs {}", sample.episode, sample.agent, sample.reward);
        }
        if rounds == 1 {
            assert!(rollout.batch.samples.iter().all(|s| s.agent == 0));
            assert!((0..episodes.len()).all(|e| episodes.episode_return(e, 1) == 0.0));
        }
        assert!(rollout.scores.iter().all(|s| s.is_finite() && (0.0..=1.0).contains(s)));
    }
}

#[test]
fn bad_language_configs_name_their_field() {
    let cases = [
        (r#"{"game": {"kind": "arithmetic", "agents": [{"width": 30, "heads": 4}, {}]}}"#, "game.agents[0].heads"),
        (r#"{"game": {"kind": "arithmetic", "agents": [{}]}}"#, "game.agents"),
        (r#"{"game": {"kind": "arithmetic", "operand_max": 99, "ops": ["*"]}}"#, "game.answer_length"),
        (r#"{"game": {"kind": "arithmetic", "ops": []}}"#, "game.ops"),
        (r#"{"game": {"kind": "arithmetic", "temperature": 0}}"#, "game.temperature"),
        (r#"{"game": {"kind": "arithmetic"}, "theory_check": true}"#, "theory_check"),
    ];
    for (json, field) in cases {
        let err = TrainConfig::from_json(json).expect_err(json);
        assert_eq!(err.field, field, "{json}: {err}");
    }
    // An unknown aggregation is named, with where it was and what is allowed.
    let err = TrainConfig::from_json(r#"{"game": {"kind": "arithmetic"}, "loss_agg": "token-sum"}"#).unwrap_err().to_string();
    assert!(err.contains("`token-sum`") && err.contains("loss_agg:") && err.contains("seq-mean-token-sum-norm"), "{err}");
    let err = TrainConfig::from_json(r#"{"game": {"kind": "arithmetic", "agents": [{"width": "wide"}, {}]}}"#).unwrap_err();
    assert!(err.field == "game" && err.to_string().contains("\"wide\""), "{err}");
}

/// The page's token views read each response beside its sample: the batch view carries them,
/// aligned, with the tokens as text.
#[test]
fn the_batch_view_carries_every_response_beside_its_sample() {
    pollster::block_on(async {
        let config = config(r#"{"game": {"kind": "arithmetic"}, "estimators": ["agent-wise"], "updates": 2}"#);
        let mut trainer = Trainer::new(config, backend::cpu("test")).await.expect("trainer");
        assert!(trainer.batch_view(0, creditlab::inspect::VIEW_SAMPLES).is_none(), "no batch before the first update");
        trainer.step().await.expect("step");
        let view = trainer.batch_view(0, creditlab::inspect::VIEW_SAMPLES).expect("a view");
        assert_eq!(view.responses.len(), view.samples.len());
        for (sample, response) in view.samples.iter().zip(&view.responses) {
            let text: String = response.tokens.concat();
            if sample.agent == 0 {
                assert!(response.prompt.ends_with('=') && !text.is_empty() && response.tokens.len() <= 3, "{response:?}");
            } else {
                assert!(response.prompt.ends_with('?') && (text == "✓" || text == "✗"), "{response:?}");
            }
        }
        // The same-batch view applies the other estimators to the same responses.
        let same = trainer.same_batch(0, creditlab::inspect::VIEW_SAMPLES).expect("same batch");
        assert!(same.results.iter().any(|r| r.advantages.is_some()));
    });
}

/// The config of the language agents' determinism fixture (the browser test layer trains the
/// same in wasm and compares with the same file).
fn fixture_config() -> TrainConfig {
    config(r#"{"game": {"kind": "arithmetic"}, "estimators": ["agent-wise", "global-step"], "seeds": [1], "updates": 3,
        "groups": 2, "group_size": 4, "entropy_coef": 0.03}"#)
}

/// The CPU backend's reports for the language agents, checked in
/// (`core/tests/fixtures/language-reports.json`): natively bit for bit; the browser test layer
/// compares the wasm build's with the same file. `CREDITLAB_BLESS=1` rewrites it after an
/// intended change of the training arithmetic.
#[test]
fn language_reports_match_the_checked_in_fixture() {
    let mut reports = train(fixture_config());
    reports.iter_mut().for_each(|r| r.wall_ms = 0.0);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/language-reports.json");
    let text = serde_json::to_string_pretty(&reports).expect("json");
    if std::env::var_os("CREDITLAB_BLESS").is_some() {
        std::fs::write(path, &text).expect("write the fixture");
    }
    let expected: Vec<StepReport> = serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("parse");
    assert_eq!(reports, expected, "native CPU reports differ from {path}");
    assert_eq!(serde_json::to_string(&fixture_config()).ok(), serde_json::to_string(&creditlab::TrainConfig::from_json(FIXTURE_CONFIG).unwrap()).ok());
}

/// The fixture's config as the browser test reads it (kept equal to [`fixture_config`]).
const FIXTURE_CONFIG: &str = r#"{"game": {"kind": "arithmetic"}, "estimators": ["agent-wise", "global-step"], "seeds": [1], "updates": 3,
    "groups": 2, "group_size": 4, "entropy_coef": 0.03}"#;
