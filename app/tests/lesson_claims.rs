//! Every number a lesson quotes, checked against the lab: each test reruns a lesson step's preset
//! (on the CPU, its own seeds), computes what the sentence says, writes it the way the lesson
//! writes it, and asserts that the lesson's text says exactly that. A change to the trainer that
//! moves a figure fails here until the lesson's sentence is updated with it.

use creditlab::env::matrix::MatrixGame;
use creditlab::{backend, BatchView, RunReport, StepReport, TrainConfig, Trainer};
use creditlab_app::lessons::{self, LessonStep};

/// The preset's reports, and the inspected seed's batch views after the last update (as the
/// page's columns show them).
fn train(config: TrainConfig) -> (Vec<StepReport>, Vec<BatchView>) {
    pollster::block_on(async {
        let mut trainer = Trainer::new(config, backend::cpu("test")).await.expect("a lesson preset is valid");
        let mut reports = Vec::new();
        while !trainer.is_finished() {
            reports.push(trainer.step().await.expect("step"));
        }
        let seeds = trainer.config().seeds.len();
        let views = (0..trainer.config().estimators.len())
            .filter_map(|e| trainer.batch_view(e * seeds, creditlab::inspect::VIEW_SAMPLES))
            .collect();
        (reports, views)
    })
}

fn step(id: &str, index: usize) -> &'static LessonStep {
    let lesson = lessons::find(id).expect("the lesson exists");
    &lesson.steps[index]
}

fn preset(id: &str, index: usize) -> TrainConfig {
    lessons::preset(id, index).expect("the step exists")
}

/// Asserts that `step`'s texts contain `quoted`.
fn says(step: &LessonStep, quoted: &str) {
    let all = [step.text, step.look, step.question, step.answer].join(" ");
    assert!(all.contains(quoted), "the lesson should say “{quoted}”; it says:\n{all}");
}

fn runs<'a>(report: &'a StepReport, estimator: &'a str) -> impl Iterator<Item = &'a RunReport> + 'a {
    report.runs.iter().filter(move |r| r.estimator.name() == estimator)
}

fn range(values: impl IntoIterator<Item = f32>) -> (f32, f32) {
    values.into_iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

fn median(mut values: Vec<f32>) -> f32 {
    values.sort_by(f32::total_cmp);
    let n = values.len();
    if n % 2 == 1 { values[n / 2] } else { 0.5 * (values[n / 2 - 1] + values[n / 2]) }
}

/// A number as the lessons write it: one decimal, the minus sign "−".
fn signed(value: f32) -> String {
    format!("{value:.1}").replace('-', "−")
}

/// A number with two decimals as the lessons write it, the minus sign "−".
fn signed2(value: f64) -> String {
    format!("{value:.2}").replace('-', "−")
}

/// "0.26–0.54", as the lessons write a range.
fn dash((lo, hi): (f32, f32)) -> String {
    format!("{lo:.2}–{hi:.2}")
}

/// The joint action a run's players settled on (the most probable action of each), e.g. "(B, B)".
fn settled(run: &RunReport) -> String {
    let letter = |probs: &[f32]| {
        let best = (0..probs.len()).max_by(|&a, &b| probs[a].total_cmp(&probs[b])).unwrap_or(0);
        char::from(b'A' + best as u8)
    };
    let letters: Vec<String> = run.agents.iter().map(|a| letter(&a.action_probs).to_string()).collect();
    format!("({})", letters.join(", "))
}

/// Per seed (in order), where `estimator`'s runs settled at the last update.
fn endings(reports: &[StepReport], estimator: &str) -> Vec<String> {
    runs(reports.last().expect("reports"), estimator).map(settled).collect()
}

#[test]
fn scales_step_1_the_small_agent_learns_agent_wise_not_under_the_global_baseline() {
    let lesson = step("scales", 0);
    let (reports, _) = train(preset("scales", 0));
    let at = |u: usize| &reports[u - 1];
    let score = |e: &str| range(runs(at(50), e).map(|r| r.agents[0].reward_score));
    says(lesson, &format!("0.26–0.54 under the global baseline and {} agent-wise", dash(score("agent-wise"))));
    says(lesson, &format!("its score after 50 updates was {} under the global baseline", dash(score("global-step"))));
    // "Its rewards (around 0.5) sit far below the global mean (dominated by ×100's ≈ 45–50 at the start)".
    let first = |k: usize| range(runs(at(1), "global-step").map(|r| r.agents[k].reward_mean));
    let (lo, hi) = first(0);
    assert!(lo > 0.3 && hi < 0.7, "agent ×1's rewards at update 1: {lo}–{hi}");
    let (lo, hi) = first(2);
    says(lesson, &format!("≈ {:.0}–{:.0} at the start", lo, hi));
}

#[test]
fn scales_step_2_gradient_norms_and_predicted_factors() {
    let lesson = step("scales", 1);
    let (reports, _) = train(preset("scales", 1));
    let norms = |e: &str, k: usize| {
        median(reports[..50].iter().flat_map(|r| runs(r, e).filter_map(|run| run.agents[k].grad_norm)).collect())
    };
    let three = |e: &str| format!("{:.2}, {:.2} and {:.2}", norms(e, 0), norms(e, 1), norms(e, 2));
    says(lesson, &format!("median norms over the first 50 updates were {} under the global baseline", three("global-step")));
    says(lesson, &format!("the same order for all agents ({})", three("agent-wise")));
    // The predicted second-moment factor of the global baseline, over every update and seed.
    let factors = |k: usize| range(reports.iter().flat_map(|r| runs(r, "global-step").filter_map(|run| run.agents[k].predicted_inflation)));
    let small = range([factors(0).0, factors(1).0, factors(0).1, factors(1).1]);
    says(lesson, &format!("the ×1 and ×10 agents' are {}", dash(small)));
    says(lesson, &format!("its predicted factor is {}", dash(factors(2))));
    assert!(factors(2).0 > 1.0 && small.1 < 1.0);
    // Late in the run the ×1000 agent has converged: its norm is the smallest.
    let last = reports.last().expect("reports");
    let mean_norm = |k: usize| {
        let v: Vec<f32> = runs(last, "global-step").filter_map(|r| r.agents[k].grad_norm).collect();
        v.iter().sum::<f32>() / v.len() as f32
    };
    says(lesson, &format!("at update 150: {:.2}, {:.2} and {:.2}", mean_norm(0), mean_norm(1), mean_norm(2)));
    assert!(mean_norm(2) < mean_norm(0).min(mean_norm(1)));
}

#[test]
fn frequencies_the_verifier_is_centred_agent_wise_only() {
    let lesson = step("frequencies", 0);
    let (reports, _) = train(preset("frequencies", 0));
    let verifier = |e: &str| range(reports.iter().flat_map(|r| runs(r, e).map(|run| run.agents[1].advantage_mean)));
    let (lo, hi) = verifier("agent-wise");
    assert!(lo.abs() < 1e-4 && hi.abs() < 1e-4, "agent-wise: the verifier's mean advantage {lo}…{hi}");
    let (lo, hi) = verifier("global-step");
    assert!(lo > 0.0);
    says(lesson, &format!("between +{lo:.2} and +{hi:.2} in every update"));
}

#[test]
fn overgeneralization_step_1_climbing_ends_below_the_optimum() {
    let lesson = step("overgeneralization", 0);
    // The average payoff of each of player 1's actions against a uniform partner.
    let game = match preset("overgeneralization", 0).game {
        creditlab::GameConfig::Matrix(spec) => MatrixGame::new(&spec).expect("climbing"),
        other => panic!("climbing is a matrix game, got {other:?}"),
    };
    let average = |a: usize| (0..3).map(|b| game.player_payoffs(&[a, b])[0]).sum::<f32>() / 3.0;
    says(lesson, &format!("A earns (11 − 30 + 0)/3 ≈ {}", signed(average(0))));
    says(lesson, &format!("B ≈ {} and C ≈ +{}", signed(average(1)), signed(average(2))));
    let pays = |joint: &str| {
        let action = |i: usize| usize::from(joint.as_bytes()[i] - b'A');
        format!("{joint} = {}", game.team_payoff(&[action(1), action(4)]))
    };
    let (reports, _) = train(preset("overgeneralization", 0));
    for e in ["grpo-global", "agent-wise"] {
        assert_eq!(endings(&reports, e), ["(B, B)", "(C, B)", "(B, B)"], "{e}");
    }
    assert_eq!(endings(&reports, "coma"), ["(C, B)", "(C, C)", "(C, C)"]);
    says(lesson, &format!("global GRPO and agent-wise ended at {} on seeds 1 and 3 and at {} on seed 2", pays("(B, B)"), pays("(C, B)")));
    says(lesson, &format!("COMA at {} on seeds 2 and 3 and at {} on seed 1", pays("(C, C)"), pays("(C, B)")));
    says(lesson, &format!("never at {}", pays("(A, A)")));
    for run in &reports.last().expect("reports").runs {
        let optimal = run.figures.get("optimal_joint_prob").copied().unwrap_or(f32::NAN);
        assert!(optimal < 0.1, "{} seed {}: P(A, A) = {optimal}", run.estimator.name(), run.seed);
    }
}

#[test]
fn overgeneralization_step_2_penalty_100_ends_safe_but_for_one_seed() {
    let lesson = step("overgeneralization", 1);
    says(lesson, "i.e. k > 8");
    // From the game's own table: against a uniform partner, A's average beats B's exactly below k = 8.
    let a_beats_b = |k: f32| {
        let game = MatrixGame::new(&creditlab::env::matrix::MatrixSpec::Penalty { k }).expect("penalty");
        let average = |a: usize| (0..3).map(|b| game.player_payoffs(&[a, b])[0]).sum::<f32>() / 3.0;
        average(0) > average(1)
    };
    assert!(a_beats_b(7.9) && !a_beats_b(8.0) && !a_beats_b(8.1) && !a_beats_b(100.0));
    let (reports, _) = train(preset("overgeneralization", 1));
    for e in ["grpo-global", "agent-wise"] {
        assert_eq!(endings(&reports, e), ["(C, A)", "(B, B)", "(B, B)"], "{e}");
    }
    assert_eq!(endings(&reports, "coma"), ["(B, B)", "(B, B)", "(B, B)"]);
    says(lesson, "two of three global GRPO and agent-wise runs and all three COMA runs ended at the safe (B, B) = 2; one seed reached (C, A) = 10");
}

#[test]
fn counterfactual_shapley_reaches_the_optimum_on_this_seed() {
    let lesson = step("counterfactual", 0);
    let (reports, _) = train(preset("counterfactual", 0));
    let ending = |e: &str| endings(&reports, e).join("");
    assert_eq!(ending("grpo-global"), "(C, B)");
    assert_eq!(ending("coma"), "(C, C)");
    assert_eq!(ending("difference"), "(C, C)");
    assert_eq!(ending("shapley"), "(A, A)");
    says(lesson, "global GRPO ends at (C, B) = 6, COMA and difference rewards at (C, C) = 5, and Shapley at the optimum (A, A) = 11");
    // The overgeneralisation lesson refers to this run.
    says(step("overgeneralization", 0), "Shapley credit reaches (A, A) = 11 on seed 1");
}

#[test]
fn turns_mars_is_less_exploitable_than_global_grpo() {
    let lesson = step("turns", 0);
    assert_eq!(preset("turns", 0).policy, creditlab::policy::PolicySharing::Separate, "the text says each seat has its own network");
    says(lesson, "Each seat has its own policy network");
    let (reports, _) = train(preset("turns", 0));
    let nash = |e: &str| runs(reports.last().expect("reports"), e).map(|r| r.figures["nash_conv"]).collect::<Vec<_>>();
    let (global, mars) = (nash("grpo-global"), nash("mars"));
    says(lesson, &format!("NashConv rose to {:.2} and {:.2} under global GRPO", global[0], global[1]));
    says(lesson, &format!("MARS brought it to {:.2} and {:.2}", mars[0], mars[1]));
    assert!(global.iter().all(|&g| g > 11.0 / 12.0), "worse than uniform play: {global:?}");
}

#[test]
fn anchors_step_credit_lives_where_states_repeat() {
    let lesson = step("anchors", 0);
    let (_, views) = train(preset("anchors", 0));
    let view = |e: &str| views.iter().find(|v| v.estimator.name() == e).expect("a view per estimator");
    let gigpo = view("gigpo");
    assert_eq!(preset("anchors", 0).gigpo_gamma, 0.95);
    says(lesson, "(γ = 0.95)");
    // Every episode of a group starts from the same state: the first decisions always share a
    // step group; later ones only where episodes meet the same state again.
    let entries: Vec<(u32, u32)> = gigpo.samples.iter().zip(&gigpo.advantages.ledger).map(|(s, l)| (s.turn, l.key_size)).collect();
    assert!(entries.iter().filter(|(turn, _)| *turn == 0).all(|&(_, size)| size >= 2), "first decisions share a state");
    let shared = entries.iter().filter(|(_, size)| *size >= 2).count() as f32 / entries.len() as f32;
    says(lesson, &format!("{:.0} % of GiGPO's decisions share their state with another decision of the group", 100.0 * shared));
    // The step term averages to zero within a step group: GiGPO's cells' grounds (the mean
    // advantage of the decisions made in each cell) are paler — smaller on the shared scale.
    let grounds = |v: &BatchView| {
        use std::collections::BTreeMap;
        let mut cells: BTreeMap<(u32, [u8; 2]), (f64, u32)> = BTreeMap::new();
        for ((s, &a), &cell) in v.samples.iter().zip(&v.advantages.values).zip(&v.cells) {
            let slot = cells.entry((s.agent, cell)).or_default();
            slot.0 += f64::from(a);
            slot.1 += 1;
        }
        cells.values().map(|(sum, n)| (sum / f64::from(*n)).abs() as f32).sum::<f32>() / cells.len() as f32
    };
    let (pale, vivid) = (grounds(gigpo), grounds(view("grpo-global")));
    assert!(pale < vivid, "mean |cell mean|: GiGPO {pale} against GRPO {vivid}");
    says(lesson, "GiGPO's cells are paler than GRPO's");
}

#[test]
fn counterfactual_matching_pennies_gives_zero_credit() {
    let lesson = step("counterfactual", 1);
    assert!(lesson.preset.contains("matching-pennies"));
    says(lesson, "G = 1 + (−1) = 0 for every joint action");
    let (reports, _) = train(preset("counterfactual", 1));
    let (first, last) = (&reports[0], reports.last().expect("reports"));
    for e in ["grpo-global", "coma", "difference", "shapley"] {
        for (start, end) in runs(first, e).zip(runs(last, e)) {
            for (a, b) in start.agents.iter().zip(&end.agents) {
                assert_eq!((b.advantage_min, b.advantage_max), (0.0, 0.0), "{e}: every credit is 0");
                assert_eq!(a.action_probs, b.action_probs, "{e}: the policy never changes");
            }
        }
    }
    let moved = runs(first, "agent-wise").zip(runs(last, "agent-wise")).any(|(a, b)| a.agents[0].action_probs != b.agents[0].action_probs);
    assert!(moved, "agent-wise still moves the players");
    says(lesson, "Agent-wise normalisation still moves the players");
    says(lesson, "Global GRPO at trajectory level gives 0 too");
    says(lesson, "their policies never change");
}

#[test]
fn overgeneralization_step_3_tiny_hanabi_settles_without_signalling() {
    let lesson = step("overgeneralization", 2);
    let (reports, _) = train(preset("overgeneralization", 2));
    let last = reports.last().expect("reports");
    let payoffs = ["grpo-global", "agent-wise", "gigpo"].into_iter().flat_map(|e| runs(last, e)).map(|r| r.figures["expected_team_payoff"]);
    let (lo, hi) = range(payoffs);
    assert!(hi < 9.0, "no run learned to signal (optimum 10)");
    let quoted = if format!("{lo:.2}") == format!("{hi:.2}") { format!("{lo:.2}") } else { dash((lo, hi)) };
    says(lesson, &format!("every global GRPO, agent-wise and GiGPO run ended with an expected payoff of {quoted}"));
}

#[test]
fn scales_step_3_the_theory_check_follows_the_line_until_the_agents_settle() {
    use creditlab::metrics::{second_moment_log_correlation, theory_points, TheoryPoint};
    let lesson = step("scales", 2);
    let (reports, _) = train(preset("scales", 2));
    let points = theory_points(&reports);
    let within = |lo: u32, hi: u32| -> Vec<TheoryPoint> { points.iter().filter(|p| (lo..=hi).contains(&p.update)).copied().collect() };
    let (early, late) = (within(1, 10), within(31, 40));
    let agent = |set: &[TheoryPoint], k: usize, f: &dyn Fn(&TheoryPoint) -> Option<f32>| {
        median(set.iter().filter(|p| p.agent == k).filter_map(f).collect())
    };
    let (r_early, r_late) = (second_moment_log_correlation(&early).expect("defined"), second_moment_log_correlation(&late).expect("defined"));
    assert!(r_early > 0.9 && r_late < r_early - 0.3, "early {r_early}, late {r_late}");
    says(lesson, &format!("and of the predicted factor correlate at {r_early:.2}"));
    says(lesson, &format!("the correlation is {}", signed2(r_late)));
    let second = |set: &[TheoryPoint]| agent(set, 2, &|p| p.second_moment);
    let predicted = |set: &[TheoryPoint]| agent(set, 2, &|p| Some(p.predicted));
    says(lesson, &format!("median ratio is {:.2} against a predicted {:.2}", second(&early), predicted(&early)));
    says(lesson, &format!("has fallen to {:.2} while the prediction stays {:.2}", second(&late), predicted(&late)));
    assert!(second(&late) < 0.5 * second(&early));
    let batch = |k: usize| agent(&early, k, &|p| Some(p.measured));
    let second_small = |k: usize| agent(&early, k, &|p| p.second_moment);
    assert!(batch(0) < 0.5 * second_small(0) && batch(1) < 0.5 * second_small(1));
    says(lesson, &format!("(medians over the first 10 updates {:.2} and {:.2})", batch(0), batch(1)));
}

/// Over `lo..=hi` (1-based updates), each of `estimator`'s runs' mean of `f`; their range.
fn window(reports: &[StepReport], estimator: &str, (lo, hi): (usize, usize), f: impl Fn(&RunReport) -> f32) -> (f32, f32) {
    let seeds = runs(&reports[0], estimator).count();
    range((0..seeds).map(|s| {
        let values: Vec<f32> = reports[lo - 1..hi].iter().map(|r| f(runs(r, estimator).nth(s).expect("run"))).collect();
        values.iter().sum::<f32>() / values.len() as f32
    }))
}

/// Per run of `estimator`, the median over the first `n` updates of `f`; their range.
fn early_median(reports: &[StepReport], estimator: &str, n: usize, f: impl Fn(&RunReport) -> Option<f32>) -> (f32, f32) {
    let seeds = runs(&reports[0], estimator).count();
    range((0..seeds).map(|s| median(reports[..n].iter().filter_map(|r| f(runs(r, estimator).nth(s).expect("run"))).collect())))
}

fn accuracy(run: &RunReport) -> f32 {
    run.figures["accuracy"]
}

#[test]
fn tokens_step_1_one_baseline_costs_the_solver_a_little() {
    let lesson = step("tokens", 0);
    let (reports, views) = train(preset("tokens", 0));
    let factor = |e: &str, k: usize| early_median(&reports, e, 50, |r| r.agents[k].predicted_inflation);
    says(lesson, &format!("the predicted factor of the solver is {} under the global baseline", dash(factor("global-step", 0))));
    says(lesson, &format!("the verifier's {}", dash(factor("global-step", 1))));
    let acc = |e: &str, at: usize| dash(window(&reports, e, (at - 9, at), accuracy));
    says(lesson, &format!("over updates 91–100 was {} under the global baseline and {} agent-wise", acc("global-step", 100), acc("agent-wise", 100)));
    says(lesson, &format!("over updates 291–300 {} against {}", acc("global-step", 300), acc("agent-wise", 300)));
    // The token credit map's rows are responses with their tokens.
    assert!(views.iter().all(|v| v.responses.len() == v.samples.len() && !v.responses.is_empty()));
}

#[test]
fn tokens_step_2_a_verifier_paid_ten_times_starves_the_solver_under_one_baseline() {
    let lesson = step("tokens", 1);
    let (reports, _) = train(preset("tokens", 1));
    let factor = |k: usize| early_median(&reports, "global-step", 50, |r| r.agents[k].predicted_inflation);
    says(lesson, &format!("its predicted factor falls to {}", dash(factor(0))));
    says(lesson, &format!("while the verifier's is {}", dash(factor(1))));
    let norm = |e: &str| dash(early_median(&reports, e, 50, |r| r.agents[0].grad_norm));
    says(lesson, &format!("over the first 50 updates was {} under the global baseline against {} agent-wise", norm("global-step"), norm("agent-wise")));
    let acc = |e: &str| dash(window(&reports, e, (291, 300), accuracy));
    says(lesson, &format!("over updates 291–300 was {} against {}", acc("global-step"), acc("agent-wise")));
}

#[test]
fn length_bias_each_aggregation_and_the_solvers_response_length() {
    for index in 0..3 {
        let lesson = step("length-bias", index);
        let (reports, _) = train(preset("length-bias", index));
        let tokens = |at: usize| dash(window(&reports, "agent-wise", (at - 9, at), |r| r.agents[0].tokens.expect("tokens")));
        let acc = dash(window(&reports, "agent-wise", (91, 100), accuracy));
        says(lesson, &format!("{} tokens over updates 41–50 and {} over updates 91–100", tokens(50), tokens(100)));
        says(lesson, &format!("accuracy {acc}"));
    }
}
