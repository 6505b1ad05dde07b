//! Divergence: a run whose numbers stop being finite is stopped at that update, named, kept at
//! its last finite state, and can be resumed; the other runs train on.

use creditlab::advantage::Estimator;
use creditlab::backend;
use creditlab::config::GameConfig;
use creditlab::env::bandit::{BanditAgent, BanditConfig};
use creditlab::{RunRecord, StepReport, TrainConfig, Trainer};

/// Agent 2's rewards on a scale of 4e19: difference rewards' gradient norms leave f32's range
/// on some seeds (at different updates), agent-wise GRPO's never do.
fn overflowing() -> TrainConfig {
    let agents = [1.0, 10.0, 4e19].map(|scale| BanditAgent { scale, ..BanditAgent::default() }).to_vec();
    TrainConfig {
        game: GameConfig::Bandit(BanditConfig { agents, ..BanditConfig::default() }),
        estimators: vec![Estimator::AgentWise, Estimator::Difference],
        seeds: vec![1, 2, 3, 4],
        updates: 12,
        ..TrainConfig::default()
    }
}

fn train(trainer: &mut Trainer) -> Vec<StepReport> {
    pollster::block_on(async {
        let mut reports = Vec::new();
        while !trainer.is_finished() {
            reports.push(trainer.step().await.expect("a diverging run does not fail the step"));
        }
        reports
    })
}

fn new_trainer(config: &TrainConfig) -> Trainer {
    pollster::block_on(Trainer::new(config.clone(), backend::cpu("test"))).expect("valid config")
}

#[test]
fn a_diverging_run_stops_named_and_finite_while_the_others_train_on() {
    let config = overflowing();
    let mut trainer = new_trainer(&config);
    let reports = train(&mut trainer);
    assert_eq!(reports.len(), 12, "the step never fails");
    let runs = config.runs();
    let mut stopped = 0;
    for r in 0..runs {
        let first = reports.iter().position(|rep| rep.runs[r].diverged.is_some());
        let estimator = reports[0].runs[r].estimator;
        let Some(first) = first else {
            // Never diverged: every figure measured and finite, its gradient norms finite.
            for rep in &reports {
                let run = &rep.runs[r];
                assert!(run.is_measured() && run.team_reward_mean.is_finite());
                assert!(run.agents.iter().all(|a| a.grad_norm.is_some_and(f32::is_finite) && a.reward_mean.is_finite()));
            }
            continue;
        };
        stopped += 1;
        assert_eq!(estimator, Estimator::Difference, "only difference rewards overflow here");
        let divergence = reports[first].runs[r].diverged.clone().expect("diverged");
        assert_eq!(divergence.update, reports[first].update, "named at the update where it happened");
        assert_eq!(divergence.agent, Some(2), "agent 2's scale (4e19) overflows");
        assert_eq!(divergence.quantity, "gradient norm");
        assert!(divergence.describe().starts_with(&format!("update {}: agent 2's gradient norm is", divergence.update)));
        // Reports before it are measurements; from it on the run's figures are the last finite
        // ones (or zeros), marked, and the same divergence.
        assert!(reports[..first].iter().all(|rep| rep.runs[r].is_measured()));
        for rep in &reports[first..] {
            assert_eq!(rep.runs[r].diverged.as_ref(), Some(&divergence));
            if first > 0 {
                let last = &reports[first - 1].runs[r];
                assert_eq!(rep.runs[r].team_reward_mean, last.team_reward_mean);
                assert_eq!(rep.runs[r].agents, last.agents);
            }
        }
        assert_eq!(trainer.divergence(r), Some(&divergence));
    }
    assert!(stopped >= 2 && stopped < runs, "{stopped} of {runs} runs diverged: the config no longer shows a mix");
    assert!(reports.iter().any(|rep| rep.runs.iter().any(|run| run.diverged.as_ref().is_some_and(|d| d.update > 1))),
        "some run diverges after earlier finite updates");
    // Everything stays finite, so the record exports and imports (JSON has no NaN).
    let record = RunRecord { reports, ..RunRecord::new(config, trainer.backend().clone()) };
    let back = RunRecord::from_json(&record.to_json()).expect("a record with diverged runs re-imports");
    assert_eq!(back, record);
    // The CSV has a row per agent at the update a run diverged, with the reason and no
    // figures, and none for its later (copied) reports.
    let csv = record.metrics_csv().expect("csv");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().expect("header").clone();
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (update, diverged, reward) = (column("update"), column("diverged"), column("reward_mean"));
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    let marked: Vec<&csv::StringRecord> = rows.iter().filter(|row| !row[diverged].is_empty()).collect();
    assert_eq!(marked.len(), 3 * stopped_runs(&record.reports));
    assert!(marked.iter().all(|row| row[diverged].contains("agent 2's gradient norm is") && row[reward].is_empty()));
    let measured: usize = record.reports.iter().map(|rep| rep.runs.iter().filter(|r| r.is_measured()).count() * 3).sum();
    assert_eq!(rows.len(), measured + marked.len());
    assert!(rows.iter().all(|row| row[update].parse::<u32>().is_ok()));
}

fn stopped_runs(reports: &[StepReport]) -> usize {
    (0..reports[0].runs.len()).filter(|&r| reports.iter().any(|rep| rep.runs[r].diverged.is_some())).count()
}

#[test]
fn a_stopped_run_keeps_its_last_finite_state_and_resumes_from_it() {
    let config = overflowing();
    let mut trainer = new_trainer(&config);
    // Step until some run diverges after at least one finite update.
    let (run, bad_update) = pollster::block_on(async {
        loop {
            let before = trainer.host_policy().expect("an MLP game").clone();
            let report = trainer.step().await.expect("step");
            if let Some(r) = report.runs.iter().position(|run| run.diverged.as_ref().is_some_and(|d| d.update == report.update && d.update > 1)) {
                // The bad update did not move its parameters: every agent's model is as before.
                let host = trainer.host_policy().expect("an MLP game");
                for k in 0..3 {
                    assert_eq!(host.model_change(&before, host.model(r, k)), 0.0, "run {r} agent {k} moved");
                }
                return (r, report.update);
            }
            assert!(!trainer.is_finished(), "no run diverged after a finite update");
        }
    });
    // Resuming is refused for a bad factor or a run that has not diverged.
    assert!(trainer.resume(run, 0.0).is_err());
    assert!(trainer.resume(run, f32::NAN).is_err());
    let healthy = (0..config.runs()).find(|&r| trainer.divergence(r).is_none()).expect("a healthy run");
    assert!(trainer.resume(healthy, 0.1).is_err());
    // A stopped run's model stays put while it is stopped.
    let frozen = trainer.host_policy().expect("an MLP game").clone();
    let report = pollster::block_on(trainer.step()).expect("step");
    assert!(report.runs[run].diverged.is_some());
    let host = trainer.host_policy().expect("an MLP game");
    assert_eq!(host.model_change(&frozen, host.model(run, 0)), 0.0);
    // Resumed, it trains from there at a tenth of the learning rate, and says so.
    trainer.resume(run, 0.1).expect("resume");
    assert!(trainer.divergence(run).is_none());
    let before = trainer.host_policy().expect("an MLP game").clone();
    let report = pollster::block_on(trainer.step()).expect("step");
    let resumed = &report.runs[run];
    assert!(resumed.diverged.is_none(), "this seed's run trains on after resuming: {:?}", resumed.diverged);
    let resume = resumed.resumed.as_ref().expect("the first report after resuming says so");
    assert_eq!(resume.from_update, bad_update - 1);
    assert_eq!(resume.learning_rate_factor, 0.1);
    // Adam's step is at most lr·√params per model (one-hot context, 32 hidden units, 4 arms);
    // a tenth of that now. Agent 2, whose scale swamps the team reward, moves.
    let bound = 0.1 * config.learning_rate * (32.0 + 32.0 + 32.0 * 4.0 + 4.0f32).sqrt() * 1.01;
    let host = trainer.host_policy().expect("an MLP game");
    let moved: Vec<f32> = (0..3).map(|k| host.model_change(&before, host.model(run, k))).collect();
    assert!(moved.iter().all(|&m| m <= bound), "{moved:?} > {bound}");
    assert!(moved[2] > 0.0, "{moved:?}");
    // The report after that no longer carries the resume.
    let next = pollster::block_on(trainer.step()).expect("step");
    assert!(next.runs[run].resumed.is_none());
}
