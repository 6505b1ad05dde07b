//! The import of a logged run: every layout and alias, the errors (line and field named), the
//! analysis against hand-computed values, the conformance check (each reference recognised as
//! itself, each known deviation recognised on a batch that shows it), and no panic on any input.

use creditlab::advantage::EstimatorOptions;
use creditlab::import::{analyse, check, parse, step_batches, Deviation, ImportedRun, Importer, Layout, Reference, Verdict, BATCH_ESTIMATORS};
use creditlab::{Batch, Estimator, Sample};
use proptest::prelude::*;

/// A 2-group batch as JSONL: group "p0" has 3 episodes, "p1" has 2 (uneven groups); agent
/// "solver" acts twice per episode, "verifier" once.
fn jsonl(advantages: Option<&[f32]>) -> String {
    let rows: Vec<(&str, &str, &str, u32, f32)> = vec![
        ("p0", "e0", "solver", 0, 1.0),
        ("p0", "e0", "solver", 1, 0.0),
        ("p0", "e0", "verifier", 2, 1.0),
        ("p0", "e1", "solver", 0, 0.0),
        ("p0", "e1", "solver", 1, 0.0),
        ("p0", "e1", "verifier", 2, 0.0),
        ("p0", "e2", "solver", 0, 1.0),
        ("p0", "e2", "solver", 1, 1.0),
        ("p0", "e2", "verifier", 2, 1.0),
        ("p1", "e3", "solver", 0, 5.0),
        ("p1", "e3", "solver", 1, 3.0),
        ("p1", "e3", "verifier", 2, 2.0),
        ("p1", "e4", "solver", 0, 4.0),
        ("p1", "e4", "solver", 1, 4.0),
        ("p1", "e4", "verifier", 2, 6.0),
    ];
    rows.iter()
        .enumerate()
        .map(|(i, (g, e, a, t, r))| {
            let adv = advantages.map_or(String::new(), |adv| format!(", \"advantage\": {}", adv[i]));
            format!("{{\"group\": \"{g}\", \"episode\": \"{e}\", \"agent\": \"{a}\", \"turn\": {t}, \"reward\": {r}{adv}}}\n")
        })
        .collect()
}

fn batch_of(run: &ImportedRun) -> Batch {
    step_batches(run).remove(0).batch
}

fn with_advantages(run_text: &str, values: &[f32]) -> ImportedRun {
    parse(jsonl(Some(values)).as_bytes()).unwrap_or_else(|e| panic!("{e} in {run_text}"))
}

#[test]
fn every_layout_and_alias_reads_the_same_samples() {
    let from_jsonl = parse(jsonl(None).as_bytes()).expect("jsonl");
    let array = format!("[\n{}]", jsonl(None).lines().collect::<Vec<_>>().join(",\n"));
    let from_array = parse(array.as_bytes()).expect("array");
    let mut csv = String::from("uid,traj_uid,agent_name,turn_id,score,extra\n");
    for line in jsonl(None).lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("line");
        csv.push_str(&format!("{},{},{},{},{},x\n", v["group"].as_str().unwrap(), v["episode"].as_str().unwrap(), v["agent"].as_str().unwrap(), v["turn"], v["reward"]));
    }
    let from_csv = parse(csv.as_bytes()).expect("csv");
    let strip = |run: &ImportedRun| run.samples.iter().map(|s| (s.group, s.episode, s.agent, s.turn, s.reward)).collect::<Vec<_>>();
    assert_eq!(strip(&from_jsonl), strip(&from_array));
    assert_eq!(strip(&from_jsonl), strip(&from_csv));
    assert_eq!(from_csv.ignored_fields, vec!["extra".to_string()]);
    assert_eq!(from_jsonl.agents.names, vec!["solver", "verifier"]);
    assert_eq!(from_jsonl.groups.names, vec!["p0", "p1"]);
    // Each layout is told by its first byte.
    let mut importer = Importer::new();
    importer.push(b"  \n[").expect("push");
    assert_eq!(importer.layout(), Some(Layout::JsonArray));
}

#[test]
fn framework_field_names_are_accepted() {
    // verl-style names, integer ids, per-token advantages (one value broadcast), lengths, steps.
    let text = concat!(
        r#"{"uid": 7, "traj_uid": "a", "agent_id": 0, "score": 1.5, "advantages": [0.5, 0.5, 0.5], "response_length": 3, "global_step": 2}"#,
        "\n",
        r#"{"uid": 7, "traj_uid": "b", "agent_id": 0, "score": 0.5, "advantages": [-0.5, -0.5], "response_length": 2, "global_step": 2}"#,
        "\n",
        r#"{"global_step": 2, "agent_id": 0, "grad_norm": 3.25}"#,
        "\n"
    );
    let run = parse(text.as_bytes()).expect("parse");
    assert_eq!(run.samples.len(), 2);
    assert_eq!(run.samples[0].advantage, Some(0.5));
    assert_eq!(run.samples[1].tokens, Some(2));
    assert_eq!(run.samples[0].step, 2);
    assert_eq!(run.groups.names, vec!["7"]);
    assert_eq!(run.norms.len(), 1);
    assert_eq!(run.norms[0].norm, 3.25);
    let analysis = analyse(&run, None, |_, _| {});
    assert_eq!(analysis.steps[0].agents[0].logged_grad_norm, Some(3.25));
    assert_eq!(analysis.steps[0].agents[0].tokens.map(|t| t.mean), Some(2.5));
}

#[test]
fn bad_input_names_the_line_and_the_field() {
    let cases: Vec<(&[u8], &str)> = vec![
        (b"", "the file is empty"),
        (b"   \n\n", "the file is empty"),
        (b"{\"group\": 1, \"episode\": 1, \"agent\": 1, \"reward\": 1}\n{\"group\": 1, \"episode\": 2, \"agent\": 1}\n", "line 2, field `reward`: is missing"),
        (b"{\"group\": 1, \"episode\": 1, \"agent\": 1, \"reward\": \"high\"}\n", "line 1, field `reward`: must be a finite number, got \"high\""),
        (b"{\"group\": 1, \"episode\": 1, \"agent\": 1, \"reward\": 1}\n{\"group\": 1, \"episode\": 2, \"agent\": [1], \"reward\": 1}\n", "line 2, field `agent`: must be a string or an integer"),
        (b"{\"group\": 1, \"episode\": 1, \"agent\": 1, \"reward\": 1}\n{\"group\": 1, \"episode\"\n", "line 2: not a JSON object"),
        (b"[{\"group\": 1, \"episode\": 1, \"agent\": 1, \"reward\": 1},\n {\"group\": 1,", "not closed"),
        (b"\x00\x01binary", "the file looks binary"),
        (b"\x89PNG\r\n\x1a\n", "the file looks binary"),
        (b"group,episode,agent,reward\n1,1,1,1\n1,1\n", "line 3: 2 cells where the header has 4 columns"),
        (b"name,value\nx,1\n", "field `reward`: the CSV header names no `reward` column"),
        (b"{\"group\": 1, \"episode\": 1, \"agent\": 1, \"reward\": 1, \"advantage\": 0}\n{\"group\": 1, \"episode\": 2, \"agent\": 1, \"reward\": 2}\n", "line 2, field `advantage`: is missing"),
        (b"{\"group\": 1, \"uid\": 2, \"episode\": 1, \"agent\": 1, \"reward\": 1}\n", "both give the sample's group"),
        (b"{\"group\": 1, \"episode\": 1, \"agent\": 1, \"reward\": 1}\n{\"group\": 2, \"episode\": 1, \"agent\": 1, \"reward\": 1}\n", "line 2, field `episode`: episode `1` is in group `2` here but in group `1` on line 1"),
        (b"{\"group\": 1, \"episode\": 1, \"agent\": 1, \"reward\": 1e999}\n", "line 1"),
        (b"{\"group\": 1, \"episode\": 1, \"agent\": 1, \"reward\": 1, \"turn\": -1}\n", "line 1, field `turn`: must be a non-negative integer"),
    ];
    for (input, expected) in cases {
        let message = match parse(input) {
            Ok(run) => panic!("accepted {:?}: {run:?}", String::from_utf8_lossy(input)),
            Err(e) => e.to_string(),
        };
        assert!(message.contains(expected), "{:?}: got {message:?}, expected {expected:?}", String::from_utf8_lossy(input));
    }
}

#[test]
fn a_file_fed_in_small_chunks_reads_as_one() {
    let text = format!("[{}]", jsonl(None).lines().collect::<Vec<_>>().join(","));
    let whole = parse(text.as_bytes()).expect("whole");
    for chunk in [1, 3, 7, 64] {
        let mut importer = Importer::new();
        for part in text.as_bytes().chunks(chunk) {
            importer.push(part).expect("push");
        }
        assert_eq!(importer.finish().expect("finish"), whole);
    }
}

#[test]
fn the_analysis_matches_hand_computed_statistics() {
    let run = parse(jsonl(None).as_bytes()).expect("parse");
    let analysis = analyse(&run, None, |_, _| {});
    let step = &analysis.steps[0];
    assert_eq!((step.samples, step.groups, step.episodes, step.group_sizes), (15, 2, 5, [2, 3]));
    let solver = &step.agents[0];
    assert_eq!((solver.samples, solver.episodes_acting, solver.acts_per_episode), (10, 5, 2.0));
    // The solver's rewards: 1,0,0,0,1,1,5,3,4,4 → mean 1.9.
    assert!((solver.reward.mean - 1.9).abs() < 1e-6);
    // Predicted inflation, by hand for the verifier (σ_k² + (μ_k − μ)²)/σ² per group, averaged:
    // p0: all = [1,0,1,0,0,0,1,1,1] μ = 5/9, σ² = (5·(4/9)² + 4·(5/9)²)/8 = 0.2778; verifier
    // [1,0,1] μ_k = 2/3, σ_k² = 1/3 → (1/3 + (1/9)²)/0.2778 = 1.2444.
    // p1: all = [5,3,2,4,4,6] μ = 4, σ² = 2; verifier [2,6] μ_k = 4, σ_k² = 8 → 4.
    let verifier = &step.agents[1];
    let expected = (1.244_444_4 + 4.0) / 2.0;
    assert!((verifier.predicted_inflation.expect("factor") - expected).abs() < 1e-4, "{:?}", verifier.predicted_inflation);
    assert_eq!(step.estimators.len(), BATCH_ESTIMATORS.len());
    for summary in &step.estimators {
        let counted: u32 = summary.histograms.iter().flatten().sum();
        assert_eq!(counted as usize, 15, "{}", summary.estimator);
    }
    // The credit map: global GRPO gives every sample of an episode the same value, so the
    // verifier's turn-2 cell is the mean over episodes.
    let grpo = &step.estimators[0];
    assert_eq!(grpo.estimator, "grpo-global");
    assert!(grpo.credit[1][2].is_some() && grpo.credit[1][0].is_none());
    assert_eq!(analysis.verdict, Verdict::NoAdvantages);
    assert!(analysis.passes());
}

fn verdict_of(values: &[f32]) -> Verdict {
    analyse(&with_advantages("", values), None, |_, _| {}).verdict
}

fn reference(estimator: Estimator) -> Reference {
    Reference { estimator, variant: None, options: EstimatorOptions::default() }
}

#[test]
fn each_known_deviation_is_recognised() {
    let run = parse(jsonl(None).as_bytes()).expect("parse");
    let batch = batch_of(&run);
    let agent_wise = reference(Estimator::AgentWise).compute(&batch);
    let grpo = reference(Estimator::GrpoGlobal).compute(&batch);

    // Batch-wide: agent-wise statistics over both groups at once.
    let mut merged = batch.clone();
    merged.samples.iter_mut().for_each(|s| s.group = 0);
    let batch_wide = reference(Estimator::AgentWise).compute(&merged).values;
    // Double normalisation: global GRPO normalised again over the batch.
    let n = grpo.values.len() as f64;
    let mean = grpo.values.iter().map(|v| f64::from(*v)).sum::<f64>() / n;
    let std = (grpo.values.iter().map(|v| (f64::from(*v) - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let double: Vec<f32> = grpo.values.iter().map(|v| ((f64::from(*v) - mean) / (std + 1e-6)) as f32).collect();
    // Final turn's reward for every sample, agent-wise.
    let mut finals = batch.clone();
    for i in 0..finals.samples.len() {
        let s = &batch.samples[i];
        let last = batch.samples.iter().filter(|o| o.episode == s.episode).max_by_key(|o| o.turn).expect("episode").reward;
        finals.samples[i].reward = last;
    }
    let final_turn = reference(Estimator::AgentWise).compute(&finals).values;
    // Population std, by hand from the ledger.
    let population: Vec<f32> = agent_wise
        .ledger
        .iter()
        .map(|e| {
            if e.key_size < 2 || e.std == 0.0 {
                e.advantage
            } else {
                let n = e.key_size as f32;
                (e.value - e.mean) / (e.std * ((n - 1.0) / n).sqrt() + 1e-6)
            }
        })
        .collect();
    let cases: Vec<(Deviation, Vec<f32>)> = vec![
        (Deviation::BatchWide, batch_wide),
        (Deviation::DoubleNormalised, double),
        (Deviation::FinalTurnReward, final_turn),
        (Deviation::PopulationStd, population),
        (Deviation::AllZero, vec![0.0; 15]),
    ];
    for (deviation, values) in cases {
        match verdict_of(&values) {
            Verdict::Deviates { deviation: found, first_group, differing, .. } => {
                assert_eq!(found, deviation);
                assert!(first_group.is_some() && !differing.is_empty(), "{deviation:?}");
            }
            other => panic!("{deviation:?}: {other:?}"),
        }
    }
}

#[test]
fn a_singleton_given_zero_and_eps_inside_the_root_are_recognised() {
    // Singleton keys: the verifier of group p1 alone (one episode), rewards differ.
    let text = concat!(
        r#"{"group": "a", "episode": 0, "agent": "s", "reward": 1.0}"#, "\n",
        r#"{"group": "a", "episode": 1, "agent": "s", "reward": 3.0}"#, "\n",
        r#"{"group": "a", "episode": 1, "agent": "v", "reward": 2.0}"#, "\n",
        r#"{"group": "b", "episode": 2, "agent": "s", "reward": 0.5}"#, "\n",
        r#"{"group": "b", "episode": 3, "agent": "s", "reward": 0.7}"#, "\n",
        r#"{"group": "b", "episode": 3, "agent": "v", "reward": 4.0}"#, "\n",
    );
    let run = parse(text.as_bytes()).expect("parse");
    let batch = batch_of(&run);
    let reference_values = reference(Estimator::AgentWise).compute(&batch);
    let zeroed: Vec<f32> = reference_values.ledger.iter().map(|e| if e.key_size == 1 { 0.0 } else { e.advantage }).collect();
    let verdict = check(&batch, Some(&zeroed), None);
    assert!(matches!(verdict, Verdict::Deviates { deviation: Deviation::SingletonZero, .. }), "{verdict:?}");

    // ε inside the root shows only where σ is small: rewards 0.001 apart.
    let tiny: Vec<Sample> = (0..4)
        .map(|i| Sample { group: 0, episode: i, agent: 0, turn: 0, reward: 0.001 * i as f32, anchor: None, action: None })
        .collect();
    let tiny = Batch { samples: tiny };
    let agent_wise = reference(Estimator::AgentWise).compute(&tiny);
    let inside: Vec<f32> = agent_wise.ledger.iter().map(|e| (e.value - e.mean) / (e.std * e.std + 1e-6).sqrt()).collect();
    let verdict = check(&tiny, Some(&inside), None);
    assert!(matches!(verdict, Verdict::Deviates { deviation: Deviation::EpsInsideSqrt, .. }), "{verdict:?}");
}

#[test]
fn an_expected_estimator_catches_a_std_switch_that_was_ignored() {
    let run = parse(jsonl(None).as_bytes()).expect("parse");
    let batch = batch_of(&run);
    let with_std = reference(Estimator::GrpoGlobal).compute(&batch).values;
    let mean_only = Reference { estimator: Estimator::GrpoGlobal, variant: Some("mean-only".into()), options: EstimatorOptions { mean_only: true, ..Default::default() } };
    // Without an expectation, std division is the default: a match.
    assert!(check(&batch, Some(&with_std), None).passes());
    // Asked for mean-only, given std division: the switch was ignored.
    let verdict = check(&batch, Some(&with_std), Some(&mean_only));
    assert!(matches!(verdict, Verdict::Deviates { deviation: Deviation::StdNotSkipped, .. }), "{verdict:?}");
    // Asked for std division, given mean-only: the division is missing.
    let verdict = check(&batch, Some(&mean_only.compute(&batch).values), Some(&reference(Estimator::GrpoGlobal)));
    assert!(matches!(verdict, Verdict::Deviates { deviation: Deviation::StdMissing, .. }), "{verdict:?}");
}

#[test]
fn advantages_that_are_nothing_known_are_unrecognised_with_the_first_differing_group() {
    let run = parse(jsonl(None).as_bytes()).expect("parse");
    let batch = batch_of(&run);
    let mut values = reference(Estimator::AgentWise).compute(&batch).values;
    // Group p1 (samples 9..15) scaled by 3: p0 still agrees.
    for v in &mut values[9..] {
        *v *= 3.0;
    }
    match check(&batch, Some(&values), None) {
        Verdict::Unrecognised { closest, first_group, differing, .. } => {
            assert_eq!(closest.estimator, Estimator::AgentWise);
            assert_eq!(first_group, Some(1));
            assert!(differing.iter().all(|d| d.index >= 9));
        }
        other => panic!("{other:?}"),
    }
}

fn random_batch(seed: u64) -> Batch {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut samples = Vec::new();
    let mut episode = 0;
    for group in 0..rng.random_range(1..4u32) {
        for _ in 0..rng.random_range(1..5u32) {
            for turn in 0..rng.random_range(1..5u32) {
                let reward = if rng.random_bool(0.4) { f32::from(rng.random_range(0..3u8)) } else { rng.random_range(-5.0..5.0f32) };
                let anchor = rng.random_bool(0.7).then(|| format!("s{}", rng.random_range(0..3u8)));
                samples.push(Sample { group, episode, agent: rng.random_range(0..3u32), turn, reward, anchor, action: None });
            }
            episode += 1;
        }
    }
    Batch { samples }
}

/// The batch as a JSONL file with `advantages`.
fn file_of(batch: &Batch, advantages: &[f32]) -> String {
    batch
        .samples
        .iter()
        .zip(advantages)
        .map(|(s, a)| {
            let anchor = s.anchor.as_ref().map_or(String::new(), |x| format!(", \"anchor\": \"{x}\""));
            format!(
                "{{\"group\": {}, \"episode\": {}, \"agent\": \"agent{}\", \"turn\": {}, \"reward\": {}, \"advantage\": {}{anchor}}}\n",
                s.group, s.episode, s.agent, s.turn, s.reward, a
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A reference estimator's own output, written to a file and read back, is recognised as
    /// itself (it may also match others that agree on that batch).
    #[test]
    fn a_reference_estimators_output_is_recognised_as_itself(seed in 0u64..1_000_000, which in 0usize..1000) {
        let batch = random_batch(seed);
        let references = creditlab::import::conformance::references();
        let reference = &references[which % references.len()];
        let values = reference.compute(&batch).values;
        let run = parse(file_of(&batch, &values).as_bytes()).expect("parse");
        let analysis = analyse(&run, None, |_, _| {});
        match &analysis.verdict {
            Verdict::Matches { reference: found, also, .. } => {
                let named = reference.describe();
                prop_assert!(found.describe() == named || also.contains(&named), "{named}: matched {} and {also:?}", found.describe());
            }
            other => prop_assert!(false, "{}: {other:?}", reference.describe()),
        }
    }

    /// No input makes the importer panic: bytes, or JSON-ish text.
    #[test]
    fn no_input_panics_the_importer(bytes in proptest::collection::vec(any::<u8>(), 0..400), text in "[\\[\\]{}\",:0-9a-z \n.eE+-]{0,300}") {
        let _ = parse(&bytes);
        if let Ok(run) = parse(text.as_bytes()) {
            let _ = analyse(&run, None, |_, _| {});
        }
    }
}

/// The example files in `public/examples/` give the verdicts the README and the lesson promise.
#[test]
fn the_example_files_give_their_verdicts() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/examples");
    let read = |name: &str| parse(&std::fs::read(dir.join(name)).expect("example file")).expect(name);
    let analysis = analyse(&read("agent-wise.json"), None, |_, _| {});
    assert!(matches!(&analysis.verdict, Verdict::Matches { reference, .. } if reference.estimator == Estimator::AgentWise && reference.variant.is_none()), "{:?}", analysis.verdict);
    let analysis = analyse(&read("bandit-grpo.csv"), None, |_, _| {});
    assert!(matches!(&analysis.verdict, Verdict::Matches { reference, .. } if reference.estimator == Estimator::GrpoGlobal), "{:?}", analysis.verdict);
    assert_eq!(analysis.steps.len(), 2);
    let run = read("solver-verifier.jsonl");
    assert_eq!(run.norms.len(), 8);
    let analysis = analyse(&run, None, |_, _| {});
    assert_eq!(analysis.steps.len(), 4);
    for step in &analysis.steps {
        assert!(matches!(&step.verdict, Verdict::Deviates { deviation: Deviation::BatchWide, reference, .. } if reference.estimator == Estimator::AgentWise), "step {}: {:?}", step.step, step.verdict);
    }
    assert!(!analysis.passes());
    // The bug-hunt lesson quotes the first group's verifier: a reward of 1 (all five of its
    // answers scored 1) gets +0.42 in the file where agent-wise gives 0.
    let Verdict::Deviates { differing, .. } = &analysis.verdict else { panic!("{:?}", analysis.verdict) };
    let verifier = differing.iter().find(|d| d.agent == "verifier").expect("a verifier sample differs");
    assert_eq!((verifier.group.as_str(), verifier.reward, verifier.reference), ("q1-0", 1.0, 0.0));
    assert!((verifier.file - 0.42).abs() < 0.005, "{}", verifier.file);
}
