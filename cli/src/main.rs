//! `creditlab`: the lab's core on the command line, JSON in and out.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::TypedValueParser;
use clap::{Parser, Subcommand, ValueEnum};
use creditlab::advantage::oracle::{Counterfactual, OracleGame};
use creditlab::advantage::{DifferenceBaseline, Estimator, EstimatorOptions, RlooScope};
use creditlab::config::CONFIG_FIELDS;
use creditlab::{backend, Batch, RunRecord, TrainConfig, Trainer};

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
    /// Compute one estimator's advantages and ledger for a batch read from standard input.
    #[command(after_long_help = ADVANTAGES_HELP)]
    Advantages {
        /// The estimator.
        #[arg(long, value_parser = estimator_parser())]
        estimator: Estimator,
        /// ε in (x − μ) / (σ + ε).
        #[arg(long, default_value_t = 1e-6)]
        eps: f32,
        /// Mean-only variant (Dr. GRPO) of the group estimators; MARS's mean mode.
        #[arg(long)]
        mean_only: bool,
        /// RLOO's members: episode (trajectory level), agent, or group (step level).
        #[arg(long, value_enum, default_value_t = RlooScopeArg::Episode)]
        rloo_scope: RlooScopeArg,
        /// Discount γ (MARS default 1, GiGPO default 0.95).
        #[arg(long)]
        gamma: Option<f32>,
        /// GiGPO's weight ω of the step term.
        #[arg(long, default_value_t = 1.0)]
        omega: f32,
        /// GiGPO in mean_std mode (the default is mean mode).
        #[arg(long)]
        gigpo_mean_std: bool,
        /// GiGPO with agent-wise grouping.
        #[arg(long)]
        gigpo_agent_wise: bool,
        /// Difference rewards' counterfactual: the default action, or the expectation under the
        /// agent's policy (aristocrat utility).
        #[arg(long, value_enum, default_value_t = DifferenceArg::DefaultAction)]
        difference_baseline: DifferenceArg,
    },
}

/// Parses an estimator name; `--help` lists every estimator of the core.
fn estimator_parser() -> impl TypedValueParser<Value = Estimator> {
    let names: Vec<&'static str> = Estimator::all().into_iter().map(Estimator::name).collect();
    clap::builder::PossibleValuesParser::new(names).try_map(|name| {
        Estimator::from_name(&name).ok_or_else(|| format!("unknown estimator {name}"))
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RlooScopeArg {
    Episode,
    Agent,
    Group,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DifferenceArg {
    DefaultAction,
    Expected,
}

const ADVANTAGES_HELP: &str = "\
Input (standard input): a JSON array of samples, each an object with
  group, episode, agent, turn   non-negative integers
  reward                        a number
  anchor                        optional string (the anchor state, for GiGPO)
  action                        optional integer (required by coma, difference, shapley)
For coma, difference and shapley the input is an object naming the game:
  {\"game\": {\"kind\": \"matrix\", \"name\": \"climbing\"},          (or penalty with \"k\", prisoners-dilemma,
   \"policies\": [[0.5, 0.5, 0], [1, 0, 0]],   optional   stag-hunt, matching-pennies, custom with \"payoffs\";
   \"default_actions\": [2, 2],                optional   or {\"kind\": \"bandit\", ...} as in `train --help`)
   \"samples\": [...]}
  policies default to uniform, default actions to 0.
Output (standard output): {\"advantages\": [...], \"ledger\": [...]}, one entry per sample, in input order.
On malformed input: an error naming the sample and field on standard error, a non-zero exit, nothing on standard output.";

/// The object form of the input.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct GameBatch {
    game: Option<OracleGame>,
    policies: Option<Vec<Vec<f64>>>,
    default_actions: Option<Vec<usize>>,
    samples: serde_json::Value,
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

fn advantages_command(estimator: Estimator, options: EstimatorOptions) -> Result<(), String> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).map_err(|e| format!("cannot read standard input: {e}"))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("the input is not valid JSON: {e}"))?;
    let (samples, game) = if value.is_array() {
        (value, None)
    } else {
        let input: GameBatch = serde_json::from_value(value).map_err(|e| format!("the input object: {e}"))?;
        (input.samples, Some((input.game, input.policies, input.default_actions)))
    };
    let batch = Batch::from_json_value(&samples).map_err(|e| e.to_string())?;
    let name = estimator.name();
    let oracle = match &game {
        Some((Some(game), _, _)) if estimator.needs_game() => Some(game.build().map_err(|e| e.to_string())?),
        _ if estimator.needs_game() => {
            return Err(format!("{name} needs an input object with a \"game\" (see --help)"));
        }
        _ => None,
    };
    let counterfactual = oracle.as_deref().map(|oracle| {
        let mut cf = Counterfactual::uniform(oracle);
        if let Some((_, Some(policies), _)) = &game {
            cf.policies = policies.clone();
        }
        if let Some((_, _, Some(defaults))) = &game {
            cf.default_actions = defaults.clone();
        }
        cf
    });
    let result = estimator.compute(&batch, &options, counterfactual.as_ref()).map_err(|e| e.to_string())?;
    let json = serde_json::to_string_pretty(&result).map_err(|e| format!("cannot encode the result: {e}"))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{json}").map_err(|e| format!("cannot write standard output: {e}"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train { config, out, quiet } => train(config, out, quiet),
        Command::Advantages {
            estimator,
            eps,
            mean_only,
            rloo_scope,
            gamma,
            omega,
            gigpo_mean_std,
            gigpo_agent_wise,
            difference_baseline,
        } => {
            let defaults = EstimatorOptions::default();
            let options = EstimatorOptions {
                eps,
                mean_only,
                rloo_scope: match rloo_scope {
                    RlooScopeArg::Episode => RlooScope::Episode,
                    RlooScopeArg::Agent => RlooScope::Agent,
                    RlooScopeArg::Group => RlooScope::Group,
                },
                mars_gamma: gamma.unwrap_or(defaults.mars_gamma),
                gigpo_gamma: gamma.unwrap_or(defaults.gigpo_gamma),
                gigpo_omega: omega,
                gigpo_mean_std,
                gigpo_agent_wise,
                difference_baseline: match difference_baseline {
                    DifferenceArg::DefaultAction => DifferenceBaseline::DefaultAction,
                    DifferenceArg::Expected => DifferenceBaseline::Expected,
                },
            };
            if !eps.is_finite() || !(0.0..=1.0).contains(&eps) {
                Err(format!("--eps {eps}: must be between 0 and 1"))
            } else if gamma.is_some_and(|g| !(0.0..=1.0).contains(&g)) {
                Err("--gamma: must be between 0 and 1".into())
            } else if !omega.is_finite() {
                Err("--omega: must be a finite number".into())
            } else {
                advantages_command(estimator, options)
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("creditlab: error: {message}");
            ExitCode::FAILURE
        }
    }
}
