//! `creditlab`: the lab's core on the command line, JSON in and out.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use creditlab::config::CONFIG_FIELDS;
use creditlab::{backend, RunRecord, TrainConfig, Trainer};

#[derive(Debug, Parser)]
#[command(name = "creditlab", version, about = "Credit assignment in multi-agent RL: train and compare estimators")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train every (estimator, seed) run of a config on the CPU and write the run record as JSON.
    #[command(after_long_help = config_help(), after_help = "Run with --help for every config field.")]
    Train {
        /// JSON config file ("-" reads standard input). Missing fields take their defaults.
        #[arg(long, value_name = "FILE.json")]
        config: Option<PathBuf>,
        /// Where to write the run record ("-" writes standard output).
        #[arg(long, value_name = "RUN.json")]
        out: PathBuf,
        /// Print no progress on standard error.
        #[arg(long)]
        quiet: bool,
    },
}

fn config_help() -> String {
    let mut text = String::from(
        "Config fields (JSON object; every field is optional, unknown fields are refused):\n",
    );
    for (name, default, meaning) in CONFIG_FIELDS {
        text.push_str(&format!("  {name:<28} default {default:<18} {meaning}\n"));
    }
    text.push_str(
        "\nExample: {\"updates\": 100, \"seeds\": [1, 2, 3], \"game\": {\"kind\": \"bandit\", \
         \"agents\": [{\"scale\": 1}, {\"scale\": 100, \"offset\": -50}]}}\n",
    );
    text
}

fn read_input(path: &PathBuf) -> Result<String, String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| format!("cannot read standard input: {e}"))?;
        Ok(text)
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    }
}

fn train(config: Option<PathBuf>, out: PathBuf, quiet: bool) -> Result<(), String> {
    let config = match &config {
        Some(path) => TrainConfig::from_json(&read_input(path)?).map_err(|e| format!("invalid config: {e}"))?,
        None => TrainConfig::default(),
    };
    let record = pollster::block_on(async {
        let mut trainer = Trainer::new(config.clone(), backend::cpu("native CLI")).await.map_err(|e| e.to_string())?;
        let mut record = RunRecord::new(config, trainer.backend().clone());
        while !trainer.is_finished() {
            let report = trainer.step().await.map_err(|e| e.to_string())?;
            if !quiet && (report.update % 50 == 0 || trainer.is_finished()) {
                let summary: Vec<String> = report
                    .runs
                    .iter()
                    .map(|r| format!("{}/seed {}: team reward {:.2}", r.estimator, r.seed, r.team_reward_mean))
                    .collect();
                eprintln!("update {:>6}/{}  {}", report.update, record.config.updates, summary.join(" | "));
            }
            record.reports.push(report);
        }
        Ok::<_, String>(record)
    })?;
    let json = serde_json::to_string_pretty(&record).map_err(|e| format!("cannot encode the run: {e}"))?;
    if out.as_os_str() == "-" {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{json}").map_err(|e| format!("cannot write standard output: {e}"))?;
    } else {
        std::fs::write(&out, json + "\n").map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train { config, out, quiet } => train(config, out, quiet),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("creditlab: error: {message}");
            ExitCode::FAILURE
        }
    }
}
