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
fn help_documents_every_config_field() {
    let output = creditlab().args(["train", "--help"]).output().expect("run creditlab");
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).expect("utf-8");
    for (name, _, _) in creditlab::config::CONFIG_FIELDS {
        assert!(help.contains(name), "--help does not mention {name}");
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
