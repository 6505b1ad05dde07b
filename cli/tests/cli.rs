//! The `creditlab` binary, run as a user would.

use std::process::Command;

fn creditlab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_creditlab"))
}

fn temp_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("creditlab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

#[test]
fn train_writes_every_report() {
    let config = temp_path("config.json");
    let out = temp_path("run.json");
    std::fs::write(&config, r#"{"updates": 7, "seeds": [2, 3], "group_size": 4}"#).expect("write");
    let status = creditlab()
        .args(["train", "--quiet", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .status()
        .expect("run creditlab");
    assert!(status.success());
    let record: creditlab::RunRecord =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("read run")).expect("a run record");
    assert_eq!(record.format, "creditlab-run");
    assert_eq!(record.reports.len(), 7);
    assert_eq!(record.reports[6].update, 7);
    // 3 estimators × 2 seeds, 3 agents each, 4 groups × 4 episodes per agent.
    assert_eq!(record.reports[0].runs.len(), 6);
    assert_eq!(record.reports[0].runs[5].agents[2].samples, 16);
    assert_eq!(record.config.seeds, vec![2, 3]);
}

#[test]
fn a_diverging_run_writes_the_record_names_the_run_and_fails() {
    let config = temp_path("diverging.json");
    let out = temp_path("diverging-run.json");
    // Agent 2's rewards on a scale of 4e19: difference rewards' gradient norm leaves f32.
    std::fs::write(
        &config,
        r#"{"game": {"kind": "bandit", "agents": [{"scale": 1}, {"scale": 10}, {"scale": 4e19}]},
            "estimators": ["agent-wise", "difference"], "seeds": [1, 2, 3, 4], "updates": 6}"#,
    )
    .expect("write");
    let output = creditlab().args(["train", "--config"]).arg(&config).arg("--out").arg(&out).output().expect("run");
    assert!(!output.status.success(), "a diverged run fails the command");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("difference/seed"), "{stderr}");
    assert!(stderr.contains("diverged at update"), "{stderr}");
    assert!(stderr.contains("agent 2's gradient norm is"), "{stderr}");
    assert!(stderr.contains("runs diverged"), "{stderr}");
    assert!(!stderr.contains("agent-wise/seed 1 diverged"), "{stderr}");
    // Every report is kept, and the record reads back.
    let record = creditlab::RunRecord::from_json(&std::fs::read_to_string(&out).expect("record written")).expect("valid");
    assert_eq!(record.reports.len(), 6);
    assert!(record.reports.iter().all(|r| r.runs[..4].iter().all(creditlab::RunReport::is_measured)));
}

#[test]
fn help_documents_every_config_field() {
    let output = creditlab().args(["train", "--help"]).output().expect("run creditlab");
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).expect("utf-8");
    for (name, _, _) in creditlab::config::help_fields() {
        assert!(help.contains(&name), "--help does not mention {name}");
    }
}

#[test]
fn bad_configs_fail_with_a_message_naming_the_field() {
    let cases = [
        (r#"{"updates": 5, "learnin_rate": 1}"#, "learnin_rate"),
        (r#"{"group_size": 0}"#, "group_size"),
        (r#"{"game": {"kind": "bandit", "agents": [{"activation": 2}]}}"#, "game.agents[0].activation"),
        ("{not json", "invalid config"),
    ];
    for (text, needle) in cases {
        let config = temp_path("bad.json");
        std::fs::write(&config, text).expect("write");
        let out = temp_path("never.json");
        let _ = std::fs::remove_file(&out);
        let output = creditlab()
            .args(["train", "--config"])
            .arg(&config)
            .arg("--out")
            .arg(&out)
            .output()
            .expect("run creditlab");
        assert!(!output.status.success(), "{text} should fail");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(needle), "{text}: stderr {stderr}");
        assert!(output.stdout.is_empty());
        assert!(!out.exists(), "nothing is written on error");
    }
}

#[test]
fn missing_config_file_is_a_clear_error() {
    let output = creditlab()
        .args(["train", "--config", "/nonexistent/cfg.json", "--out", "-"])
        .output()
        .expect("run creditlab");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read /nonexistent/cfg.json"));
}

fn advantages(args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = creditlab()
        .arg("advantages")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run creditlab");
    // A command that refuses its arguments exits before it reads: its closed stdin is no error.
    match child.stdin.take().expect("stdin").write_all(stdin.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        result => result.expect("write stdin"),
    }
    child.wait_with_output().expect("wait")
}

const BATCH: &str = r#"[
  {"group": 0, "episode": 0, "agent": 0, "turn": 0, "reward": 1, "anchor": "s0"},
  {"group": 0, "episode": 1, "agent": 0, "turn": 0, "reward": 3, "anchor": "s0"},
  {"group": 0, "episode": 1, "agent": 1, "turn": 1, "reward": 7},
  {"group": 1, "episode": 2, "agent": 1, "turn": 0, "reward": 2}
]"#;

#[test]
fn advantages_gives_one_value_and_ledger_entry_per_sample_in_input_order() {
    for name in ["grpo-global", "agent-wise", "global-step", "trajectory-per-agent", "rloo", "mars", "gigpo"] {
        let output = advantages(&["--estimator", name], BATCH);
        assert!(output.status.success(), "{name}: {}", String::from_utf8_lossy(&output.stderr));
        let out: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        assert_eq!(out["advantages"].as_array().expect("advantages").len(), 4, "{name}");
        assert_eq!(out["ledger"].as_array().expect("ledger").len(), 4, "{name}");
    }
    // Agent-wise by hand: agent 0 in group 0 has {1, 3}: μ = 2, σ = √2 → ∓1/√2; agent 1 in
    // group 0 is a singleton → its raw reward 7 (divided by 1 + ε).
    let output = advantages(&["--estimator", "agent-wise", "--mean-only"], BATCH);
    let out: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let values: Vec<f64> = out["advantages"].as_array().expect("array").iter().map(|v| v.as_f64().expect("number")).collect();
    assert_eq!(values, vec![-1.0, 1.0, 7.0, 2.0]);
    assert_eq!(out["ledger"][0]["key"], "g0/a0");
    assert_eq!(out["ledger"][0]["key_size"], 2);
}

#[test]
fn counterfactual_estimators_read_the_game_from_the_input() {
    let input = r#"{"game": {"kind": "matrix", "name": "stag-hunt"}, "default_actions": [1, 1],
        "samples": [{"group": 0, "episode": 0, "agent": 0, "turn": 0, "reward": 2, "action": 0},
                    {"group": 0, "episode": 0, "agent": 1, "turn": 1, "reward": 4, "action": 0}]}"#;
    let expect = |name: &str, values: [f64; 2]| {
        let output = advantages(&["--estimator", name], input);
        assert!(output.status.success(), "{name}: {}", String::from_utf8_lossy(&output.stderr));
        let out: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        assert_eq!(out["advantages"], serde_json::json!(values), "{name}");
    };
    // Team payoff = sum: (S,S) = 4, (S,H) = (H,S) = 1, (H,H) = 2; both played S.
    expect("shapley", [1.0, 1.0]);
    expect("difference", [3.0, 3.0]); // 4 − G(H, S) = 4 − 1
    expect("coma", [1.5, 1.5]); // 4 − (½·4 + ½·1)
    // A reward that is neither the player's payoff (2) nor the team's (4) is refused by sample.
    let output = advantages(&["--estimator", "coma"], &input.replace(r#""reward": 4"#, r#""reward": 3"#));
    assert!(!output.status.success() && output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("sample 1: reward 3 contradicts the joint action"), "{stderr}");
    // Without a game the counterfactual estimators refuse.
    let output = advantages(&["--estimator", "coma"], BATCH);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("game"));
}

#[test]
fn malformed_batches_fail_naming_sample_and_field_with_nothing_on_stdout() {
    let cases = [
        (r#"[{"group": 0, "episode": 0, "agent": 0, "turn": 0}]"#, "sample 0, field `reward`"),
        (r#"[{"group": 0, "episode": 0, "agent": 0, "turn": 0, "reward": 1}, {"group": 0, "episode": 0, "agent": -2, "turn": 0, "reward": 1}]"#, "sample 1, field `agent`"),
        (r#"[{"group": 0, "episode": 0, "agent": 0, "turn": 0, "reward": 1, "anchr": "s"}]"#, "sample 0, field `anchr`"),
        ("[{", "not valid JSON"),
    ];
    for (input, needle) in cases {
        let output = advantages(&["--estimator", "agent-wise"], input);
        assert!(!output.status.success(), "{input}");
        assert!(output.stdout.is_empty(), "{input}: nothing on stdout");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(needle), "{input}: {stderr}");
    }
    let output = advantages(&["--estimator", "shapley"], r#"{"game": {"kind": "matrix", "name": "stag-hunt"}, "samples": [{"group": 0, "episode": 0, "agent": 0, "turn": 0, "reward": 0}]}"#);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("sample 0: field `action`"));
    // A game without an exact team payoff is refused by name, with the games that have one.
    let sample = r#""samples": [{"group": 0, "episode": 0, "agent": 0, "turn": 0, "reward": 0, "action": 0}]"#;
    let output = advantages(&["--estimator", "coma"], &format!(r#"{{"game": {{"kind": "kuhn"}}, {sample}}}"#));
    assert!(!output.status.success() && output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("game: coma needs the exact team payoff") && stderr.contains("kuhn has none") && stderr.contains("bandit, matrix"), "{stderr}");
    // A bad field inside the game is named like the trainer's config errors.
    let output = advantages(&["--estimator", "coma"], &format!(r#"{{"game": {{"kind": "matrix", "name": "penalty", "k": "x"}}, {sample}}}"#));
    assert!(!output.status.success(), "a malformed game is refused");
}

#[test]
fn advantages_help_lists_every_estimator_and_variant() {
    let output = creditlab().args(["advantages", "--help"]).output().expect("run creditlab");
    let help = String::from_utf8(output.stdout).expect("utf-8");
    for name in ["grpo-global", "agent-wise", "global-step", "trajectory-per-agent", "rloo", "mars", "gigpo", "coma", "difference", "shapley"] {
        assert!(help.contains(name), "--help does not list {name}");
    }
    for flag in ["--gigpo-agent-wise", "--gigpo-own-steps", "--rloo-first-sample", "--mars-padded-unique"] {
        assert!(help.contains(flag), "--help does not name {flag}");
    }
}

/// The reference code's variants by flag: each changes the numbers where REFERENCE.md says it
/// does, and a flag that cannot apply is refused by name.
#[test]
fn advantages_variants_follow_the_reference_code() {
    let values = |args: &[&str], batch: &str| -> Vec<f64> {
        let output = advantages(args, batch);
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        let out: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        out["advantages"].as_array().expect("array").iter().map(|v| v.as_f64().expect("number")).collect()
    };
    // Episode 0: agent 0 then agent 1 (step rewards 1, 2); episode 1: agent 0 only (reward 5).
    let batch = r#"[
      {"group": 0, "episode": 0, "agent": 0, "turn": 0, "reward": 1, "anchor": "s"},
      {"group": 0, "episode": 0, "agent": 1, "turn": 1, "reward": 2, "anchor": "t"},
      {"group": 0, "episode": 1, "agent": 0, "turn": 0, "reward": 5, "anchor": "s"}
    ]"#;
    // Dr. MAS: agent 0's samples carry the whole totals 3 and 5 (mean 4): A^E = ∓1; its step
    // returns 1 + 0.95·2 = 2.9 and 5 share anchor s (mean 3.95): A^S = ∓1.05.
    let dr_mas = values(&["--estimator", "gigpo", "--gigpo-agent-wise"], batch);
    assert!((dr_mas[0] - (-1.0 - 1.05)).abs() < 1e-5 && (dr_mas[2] - (1.0 + 1.05)).abs() < 1e-5, "{dr_mas:?}");
    // Own steps: agent 0's totals are 1 and 5 (mean 3): A^E = ∓2; returns 1 and 5: A^S = ∓2.
    let own = values(&["--estimator", "gigpo", "--gigpo-agent-wise", "--gigpo-own-steps"], batch);
    assert!((own[0] + 4.0).abs() < 1e-5 && (own[2] - 4.0).abs() < 1e-5, "{own:?}");
    // RLOO first sample: members 1 (episode 0's first) and 5; every sample scored with its own
    // reward: A = (r − 3)·2, so the second sample of episode 0 gets (2 − 3)·2 = −2.
    assert_eq!(values(&["--estimator", "rloo", "--rloo-first-sample"], batch), vec![-4.0, -2.0, 4.0]);
    // The default: episode 0's mean 1.5 against 5.
    assert_eq!(values(&["--estimator", "rloo"], batch), vec![-3.5, -3.5, 3.5]);
    let refused = advantages(&["--estimator", "gigpo", "--gigpo-own-steps"], batch);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--gigpo-agent-wise"));
    let refused = advantages(&["--estimator", "rloo", "--rloo-scope", "agent", "--rloo-first-sample"], batch);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--rloo-first-sample: applies at --rloo-scope episode only"));
}

#[test]
fn train_covers_every_game() {
    for game in [
        r#"{"kind": "matrix", "name": "penalty", "k": 25}"#,
        r#"{"kind": "matrix", "name": "coordination", "players": 3}"#,
        r#"{"kind": "pipeline", "refiner": true}"#,
        r#"{"kind": "kuhn"}"#,
        r#"{"kind": "tic-tac-toe"}"#,
        r#"{"kind": "foraging", "agent_levels": [1, 1, 2], "food": 3}"#,
    ] {
        let output = creditlab()
            .args(["train", "--quiet", "--config", "-", "--out", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                let config = format!(r#"{{"game": {game}, "updates": 2, "groups": 2, "group_size": 4, "policy": "shared"}}"#);
                child.stdin.take().expect("stdin").write_all(config.as_bytes())?;
                child.wait_with_output()
            })
            .expect("run creditlab");
        assert!(output.status.success(), "{game}: {}", String::from_utf8_lossy(&output.stderr));
        let record: creditlab::RunRecord = serde_json::from_slice(&output.stdout).expect("a run record");
        assert_eq!(record.reports.len(), 2, "{game}");
        assert!(!record.reports[1].runs[0].figures.is_empty(), "{game}: figures");
    }
}

#[test]
fn eval_kuhn_prints_known_nash_conv_values() {
    let run = |policy: &str| {
        let output = creditlab().args(["eval", "kuhn", "--json", "--policy", policy]).output().expect("run creditlab");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
        value["nash_conv"].as_f64().expect("nash_conv")
    };
    assert!((run("uniform") - 11.0 / 12.0).abs() < 1e-9);
    assert!((run("first-action") - 2.0).abs() < 1e-9);
    // An equilibrium (α = 0) from a file: NashConv 0.
    let third = 1.0 / 3.0;
    let equilibrium = serde_json::json!({
        "J": [1, 0], "Q": [1, 0], "K": [1, 0], "Jpb": [1, 0], "Qpb": [1.0 - third, third], "Kpb": [0, 1],
        "Jp": [1.0 - third, third], "Qp": [1, 0], "Kp": [0, 1], "Jb": [1, 0], "Qb": [1.0 - third, third], "Kb": [0, 1]
    });
    let file = temp_path("kuhn-equilibrium.json");
    std::fs::write(&file, equilibrium.to_string()).expect("write");
    assert!(run(file.to_str().expect("utf-8 path")).abs() < 1e-9);
    let text = creditlab().args(["eval", "kuhn", "--policy", "uniform"]).output().expect("run creditlab");
    assert!(String::from_utf8_lossy(&text.stdout).starts_with("NashConv 0.916667"));
    // A malformed table: a clear error, non-zero exit, nothing on standard output.
    let bad = temp_path("kuhn-bad.json");
    std::fs::write(&bad, r#"{"J": [0.5, 0.5]}"#).expect("write");
    let output = creditlab().args(["eval", "kuhn", "--policy"]).arg(&bad).output().expect("run creditlab");
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("information set `Q` is missing"));
}

#[test]
fn csv_prints_one_row_per_update_run_and_agent_and_refuses_bad_records() {
    let config = temp_path("csv-config.json");
    let out = temp_path("csv-run.json");
    std::fs::write(&config, r#"{"updates": 3, "seeds": [5], "group_size": 2, "groups": 1}"#).expect("write");
    let status = creditlab().args(["train", "--quiet", "--config"]).arg(&config).arg("--out").arg(&out).status().expect("run");
    assert!(status.success());
    let output = creditlab().arg("csv").arg(&out).output().expect("run creditlab csv");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("update,wall_ms,estimator,seed,agent,"), "{}", lines[0]);
    assert!(lines[0].contains("figure:optimal_action_rate"));
    // 3 updates × 3 runs × 3 agents, plus the header.
    assert_eq!(lines.len(), 1 + 3 * 3 * 3);

    // A hand-edited record: a report is missing.
    let mut record: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("read")).expect("json");
    record["reports"].as_array_mut().expect("reports").remove(0);
    let broken = temp_path("csv-broken.json");
    std::fs::write(&broken, record.to_string()).expect("write");
    let output = creditlab().arg("csv").arg(&broken).output().expect("run creditlab csv");
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "nothing on stdout");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("reports[0].update"), "{stderr}");
}

/// `theory_check` puts the same-batch gradient comparison in the record and the CSV, and
/// `train` prints the scatter's correlations and the per-agent medians.
#[test]
fn train_with_the_theory_check_prints_the_correlations() {
    let config = temp_path("theory.json");
    let out = temp_path("theory-run.json");
    std::fs::write(&config, r#"{"updates": 6, "seeds": [1, 2], "estimators": ["global-step", "agent-wise"], "theory_check": true}"#)
        .expect("write");
    let output = creditlab().args(["train", "--quiet", "--config"]).arg(&config).arg("--out").arg(&out).output().expect("run creditlab");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("theory check: 72 points"), "{stderr}");
    assert!(stderr.contains("per-sample second moments r = 0.") && stderr.contains("batch gradients r = "), "{stderr}");
    assert!(stderr.contains("agent 2: median predicted"), "{stderr}");
    let record: creditlab::RunRecord = serde_json::from_str(&std::fs::read_to_string(&out).expect("read")).expect("record");
    let check = record.reports[0].runs[0].theory.as_ref().expect("theory check in the record");
    assert_eq!(check.measured.len(), 3);
    let csv = creditlab().args(["csv"]).arg(&out).output().expect("run creditlab");
    let text = String::from_utf8(csv.stdout).expect("utf-8");
    let header: Vec<&str> = text.lines().next().expect("header").split(',').collect();
    let column = header.iter().position(|c| *c == "second_moment_inflation").expect("column");
    let first: Vec<&str> = text.lines().nth(1).expect("row").split(',').collect();
    assert!(first[column].parse::<f32>().expect("a number") > 0.0);
}

/// `inspect`: the exit status a training repository's CI can rely on, the verdict named, JSON
/// that parses, and a malformed file refused with its line and field.
#[test]
fn inspect_names_the_verdict_and_sets_the_exit_status() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/examples");
    let run = |args: &[&str], file: &std::path::Path| creditlab().arg("inspect").args(args).arg(file).output().expect("run creditlab");
    let ok = run(&["--quiet"], &examples.join("agent-wise.json"));
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("the advantages match agent-wise"));
    let bug = run(&[], &examples.join("solver-verifier.jsonl"));
    assert_eq!(bug.status.code(), Some(1));
    let text = String::from_utf8_lossy(&bug.stdout);
    assert!(text.contains("deviation from agent-wise") && text.contains("whole batch"), "{text}");
    assert!(text.contains("first group that differs: q1-0"), "{text}");
    let json = run(&["--json"], &examples.join("bandit-grpo.csv"));
    assert!(json.status.success());
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(value["verdict"]["verdict"], "matches");
    assert_eq!(value["verdict"]["reference"]["estimator"], "grpo-global");
    assert_eq!(value["steps"].as_array().map(Vec::len), Some(2));
    // Expecting mean-only of the estimator that matches: its std switch was ignored.
    let ignored = run(&["--expect", "grpo-global", "--expect-mean-only"], &examples.join("bandit-grpo.csv"));
    assert_eq!(ignored.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&ignored.stdout).contains("don't divide by std"));
    let bad = temp_path("bad.jsonl");
    std::fs::write(&bad, "{\"group\": 1, \"episode\": 1, \"agent\": 1, \"reward\": 1}\n{\"group\": 1, \"episode\": 2, \"agent\": 1, \"reward\": null}\n").expect("write");
    let refused = run(&[], &bad);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("line 2, field `reward`: is missing"), "{stderr}");
    assert!(refused.stdout.is_empty());
}
