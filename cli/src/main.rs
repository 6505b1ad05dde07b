//! `creditlab`: the lab's core on the command line, JSON in and out.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::TypedValueParser;
use clap::{Parser, Subcommand, ValueEnum};
use creditlab::advantage::counterfactual::Counterfactual;
use creditlab::advantage::{DifferenceBaseline, Estimator, EstimatorOptions, RlooScope};
use creditlab::config::help_fields;
use creditlab::env::kuhn::KuhnPolicy;
use creditlab::env::AnyGame;
use creditlab::{backend, Batch, GameConfig, RunRecord, TrainConfig, Trainer};

/// burn's flex backend allocates a fresh buffer for every tensor op; glibc's malloc hands the
/// larger ones back to the kernel each time (page faults and copies were ~12 % of the update
/// step in perf). mimalloc keeps them: the update step at 256 rows went 0.67 → 0.55 ms.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Evaluate a policy exactly: for Kuhn poker, its NashConv (0 at an equilibrium).
    #[command(after_long_help = EVAL_HELP)]
    Eval {
        /// The game.
        #[arg(value_enum)]
        game: EvalGame,
        /// uniform, first-action, or a JSON file of the 12 information sets' [pass, bet].
        #[arg(long, value_name = "uniform|first-action|FILE")]
        policy: String,
        /// Print a JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Check a run record (as written by `train` or exported by the page) and print its
    /// per-update metrics as CSV: one row per update, run and agent.
    Csv {
        /// The run record ("-" reads standard input).
        #[arg(value_name = "RUN.json")]
        record: PathBuf,
    },
    /// Measure training speed (updates per second) for several games and batch sizes on the CPU.
    Bench {
        /// Updates timed per case (after 3 warm-up updates).
        #[arg(long, default_value_t = 30)]
        updates: u32,
        /// Time only the update step (loss, backward, Adam, readback) of the default policy at
        /// 8, 64, 256 and 1024 rows per agent, one JSON object per line (the peers read it).
        #[arg(long)]
        update_step: bool,
        /// Time the language agents' update step (the arithmetic game's defaults) at 32, 128, 512
        /// and 2048 episodes per update, one JSON object per line (`.ci/bench_language.py` reads it).
        #[arg(long, conflicts_with = "update_step")]
        language_step: bool,
    },
    /// Analyse a logged run from your own training (JSONL, a JSON array or CSV; fields and
    /// aliases in --help): per step, who acts how often, rewards per group and agent, every
    /// batch estimator's advantages, Dr. MAS's predicted inflation per agent, and whether the
    /// file's own advantages match a reference estimator. Exit status 0 when they match one (in
    /// its default semantics or a named variant) or the file has none; 1 otherwise, also when
    /// they show a known normalisation bug.
    #[command(after_long_help = inspect_help())]
    Inspect {
        /// The file ("-" reads standard input).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Print the whole analysis as one JSON object.
        #[arg(long)]
        json: bool,
        /// The estimator your training was set up to compute: a match of another one then
        /// fails, and a std division missing or ignored is named.
        #[arg(long, value_parser = estimator_parser())]
        expect: Option<Estimator>,
        /// With --expect: its mean-only variant (no division by the std).
        #[arg(long, requires = "expect")]
        expect_mean_only: bool,
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
        /// GiGPO with agent-wise grouping, as Dr. MAS's code computes it: every sample carries its
        /// whole episode's total, the (group, agent) statistics take one value per agent step,
        /// step returns run over the whole episode, step groups are (group, agent, anchor).
        #[arg(long)]
        gigpo_agent_wise: bool,
        /// With --gigpo-agent-wise: each agent's own part of the episode is its episode instead
        /// (its own total and step returns, one value per episode).
        #[arg(long, requires = "gigpo_agent_wise")]
        gigpo_own_steps: bool,
        /// RLOO at --rloo-scope episode as DrMAS's code: each trajectory's first sample is its
        /// member and every sample is scored with its own reward, A = (r − mean)·n/(n−1) (the
        /// default uses each trajectory's mean reward).
        #[arg(long)]
        rloo_first_sample: bool,
        /// MARS's unique values as its code takes them over the right-padded tensor: 0 joins a
        /// player's unique values when one of its rows is shorter than the batch's longest (the
        /// default takes the turns only).
        #[arg(long)]
        mars_padded_unique: bool,
        /// Difference rewards' counterfactual: the default action, or the expectation under the
        /// agent's policy (aristocrat utility).
        #[arg(long, value_enum, default_value_t = DifferenceArg::DefaultAction)]
        difference_baseline: DifferenceArg,
    },
}

/// Games `eval` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EvalGame {
    /// Kuhn poker: NashConv and the game value of a policy.
    Kuhn,
}

/// Parses an estimator name; `--help` lists every estimator of the core.
fn estimator_parser() -> impl TypedValueParser<Value = Estimator> {
    let names: Vec<&'static str> = Estimator::ALL.into_iter().map(Estimator::name).collect();
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
For coma, difference and shapley the input is an object naming the game (any game config of
`train --help` with an exact team payoff: a matrix game, or the bandit with one context and every
activation 1; another game is refused by name):
  {\"game\": {\"kind\": \"matrix\", \"name\": \"climbing\"},          (or penalty with \"k\", prisoners-dilemma,
   \"policies\": [[0.5, 0.5, 0], [1, 0, 0]],   optional   stag-hunt, matching-pennies, custom with \"payoffs\";
   \"default_actions\": [2, 2],                optional   or {\"kind\": \"bandit\", ...})
   \"samples\": [...]}
  policies default to uniform, default actions to 0. Each sample's reward must be its player's payoff
  of the episode's joint action or the team payoff (the common payoff, or the players' sum in a
  general-sum game); a batch that contradicts the game is refused naming the sample. (On the bandit,
  whose rewards are noisy, rewards are not checked.)
Variants of the reference code (off by default; the ledger's note says how each differs):
  --gigpo-agent-wise                      Dr. MAS's agent-wise GiGPO (REFERENCE.md §8 (a)-(d))
  --gigpo-agent-wise --gigpo-own-steps    each agent's own part of the episode as its episode
  --rloo-first-sample                     DrMAS's RLOO at trajectory scope (first sample per trajectory)
  --mars-padded-unique                    MARS's unique values over the padded tensor
Output (standard output): {\"advantages\": [...], \"ledger\": [...]}, one entry per sample, in input order.
On malformed input: an error naming the sample and field on standard error, a non-zero exit, nothing on standard output.";

const EVAL_HELP: &str = "\
Kuhn poker policy file: a JSON object with the 12 information sets, card then history
(J, Q, K; history \"\" or \"pb\" for player 1, \"p\" or \"b\" for player 2), each [pass, bet]:
  {\"J\": [0.8, 0.2], \"Q\": [1, 0], \"K\": [0.4, 0.6], \"Jpb\": [1, 0], \"Qpb\": [0.5, 0.5], \"Kpb\": [0, 1],
   \"Jp\": [0.67, 0.33], \"Qp\": [1, 0], \"Kp\": [0, 1], \"Jb\": [1, 0], \"Qb\": [0.67, 0.33], \"Kb\": [0, 1]}
Known values: uniform 11/12, first-action 2, any equilibrium 0 (game value -1/18).";

fn eval(game: EvalGame, policy: &str, json: bool) -> Result<(), String> {
    let EvalGame::Kuhn = game;
    let table = match policy {
        "uniform" => KuhnPolicy::uniform(),
        "first-action" => KuhnPolicy::first_action(),
        path => KuhnPolicy::from_json(&read_input(&PathBuf::from(path))?).map_err(|e| format!("{path}: {e}"))?,
    };
    let (nash_conv, value) = (table.nash_conv(), table.p1_value());
    let (br1, br2) = (table.p1_best_response(), table.p2_best_response());
    let mut stdout = std::io::stdout().lock();
    let text = if json {
        serde_json::json!({"nash_conv": nash_conv, "exploitability": nash_conv / 2.0, "p1_value": value,
            "p1_best_response": br1, "p2_best_response": br2})
        .to_string()
    } else {
        format!(
            "NashConv {nash_conv:.6}\nexploitability {:.6}\nplayer 1 value {value:.6}\nbest response: player 1 {br1:.6}, player 2 {br2:.6}",
            nash_conv / 2.0
        )
    };
    writeln!(stdout, "{text}").map_err(|e| format!("cannot write standard output: {e}"))
}

fn bench(updates: u32, update_step: bool, language_step: bool) -> Result<(), String> {
    use creditlab::bench;
    let mut stdout = std::io::stdout().lock();
    if language_step {
        for episodes in bench::LANGUAGE_EPISODES {
            let m = pollster::block_on(bench::measure_language_step(episodes, backend::cpu("bench"), updates)).map_err(|e| e.to_string())?;
            writeln!(stdout, "{}", serde_json::to_string(&m).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
        }
        return Ok(());
    }
    if update_step {
        for (rows, config) in bench::update_step_cases() {
            let m = pollster::block_on(bench::measure_update_step(rows, config, backend::cpu("bench"), updates)).map_err(|e| e.to_string())?;
            writeln!(stdout, "{}", serde_json::to_string(&m).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
        }
        return Ok(());
    }
    writeln!(stdout, "{}", bench::TABLE_HEADER).map_err(|e| e.to_string())?;
    for (name, config) in bench::cases() {
        let m = pollster::block_on(bench::measure(config, backend::cpu("bench"), updates)).map_err(|e| e.to_string())?;
        writeln!(stdout, "{}", bench::table_row(&name, &m)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The object form of the input.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct GameBatch {
    game: Option<GameConfig>,
    policies: Option<Vec<Vec<f64>>>,
    default_actions: Option<Vec<usize>>,
    samples: serde_json::Value,
}

fn config_help() -> String {
    let mut text = String::from(
        "Config fields (JSON object; every field is optional, unknown fields are refused):\n",
    );
    for (name, default, meaning) in help_fields() {
        text.push_str(&format!("  {name:<26} default {default:<24} {meaning}\n"));
    }
    text.push_str(
        "\nExamples:\n  {\"updates\": 100, \"seeds\": [1, 2, 3], \"game\": {\"kind\": \"bandit\", \
         \"agents\": [{\"scale\": 1}, {\"scale\": 100, \"offset\": -50}]}}\n  \
         {\"game\": {\"kind\": \"matrix\", \"name\": \"penalty\", \"k\": 50}, \"estimators\": [\"coma\", \"agent-wise\"]}\n  \
         {\"game\": {\"kind\": \"kuhn\"}, \"estimators\": [\"mars\"], \"policy\": \"shared\", \"ppo_clip\": 0.2, \"epochs\": 4}\n",
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

fn csv(path: &PathBuf) -> Result<(), String> {
    let record = RunRecord::from_json(&read_input(path)?).map_err(|e| format!("invalid run record: {e}"))?;
    let text = record.metrics_csv().map_err(|e| e.to_string())?;
    std::io::stdout().lock().write_all(text.as_bytes()).map_err(|e| format!("cannot write standard output: {e}"))
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
            for run in &report.runs {
                if let Some(d) = run.diverged.as_ref().filter(|d| d.update == report.update) {
                    eprintln!(
                        "{}/seed {} diverged at {}; it is stopped at its last finite update ({}), the other runs go on",
                        run.estimator,
                        run.seed,
                        d.describe(),
                        d.update - 1
                    );
                }
            }
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
    let json = record.to_json();
    if out.as_os_str() == "-" {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{json}").map_err(|e| format!("cannot write standard output: {e}"))?;
    } else {
        std::fs::write(&out, json + "\n").map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    }
    for line in creditlab::metrics::theory_summary(&record.reports) {
        eprintln!("{line}");
    }
    // The record is written either way; a diverged run still makes the command fail.
    let last = record.reports.last().map(|r| r.runs.as_slice()).unwrap_or_default();
    let diverged: Vec<String> = last
        .iter()
        .filter_map(|run| run.diverged.as_ref().map(|d| format!("{}/seed {} at {}", run.estimator, run.seed, d.describe())))
        .collect();
    if !diverged.is_empty() {
        return Err(format!(
            "{} of {} runs diverged ({}); the record with every report was written",
            diverged.len(),
            last.len(),
            diverged.join("; ")
        ));
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
    let built = match &game {
        Some((Some(config), _, _)) if estimator.needs_game() => {
            if !config.has_payoff_oracle() {
                let one_step: Vec<&str> = GameConfig::examples().iter().filter(|g| g.has_payoff_oracle()).map(GameConfig::kind).collect();
                return Err(format!(
                    "game: {name} needs the exact team payoff of a one-step game; {} has none (these games have one: {})",
                    config.kind(),
                    one_step.join(", ")
                ));
            }
            Some(AnyGame::new(config).map_err(|e| e.to_string())?)
        }
        _ if estimator.needs_game() => {
            return Err(format!("{name} needs an input object with a \"game\" (see --help)"));
        }
        _ => None,
    };
    let oracle = built.as_ref().and_then(AnyGame::oracle);
    let counterfactual = oracle.map(|oracle| {
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

fn inspect_help() -> String {
    let mut text = String::from(
        "Input: JSONL (one sample object per line), a JSON array of sample objects, or CSV with a header\n\
         line; the first character that is not white space tells which. Fields (then their aliases):\n",
    );
    for (name, aliases) in creditlab::import::FIELDS {
        text.push_str(&format!("  {name:<10} {}\n", aliases[1..].join(", ")));
    }
    text.push_str(
        "group, episode, agent and reward are required; turn defaults to the sample's order in its episode,\n\
         step to 0. A record with grad_norm, step and agent and no reward is a logged gradient norm.\n\
         advantage may be the per-token list of one response (all values equal). Other fields are ignored.\n\
         Examples: public/examples/ (README, \"Your own run\").",
    );
    text
}

/// Reads `path` in chunks through the importer, with progress on standard error.
fn import_file(path: &PathBuf, quiet: bool) -> Result<creditlab::import::ImportedRun, String> {
    let name = path.display().to_string();
    let (reader, size): (Box<dyn Read>, u64) = if path.as_os_str() == "-" {
        (Box::new(std::io::stdin().lock()), 0)
    } else {
        let file = std::fs::File::open(path).map_err(|e| format!("cannot read {name}: {e}"))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        (Box::new(file), size)
    };
    let mut next_report = 0.1;
    creditlab::import::read_from(reader, |importer| {
        if !quiet && size > 8 << 20 && importer.bytes_read() as f64 >= next_report * size as f64 {
            eprintln!("read {:.0} % ({} samples)", 100.0 * importer.bytes_read() as f64 / size as f64, importer.samples_read());
            next_report += 0.1;
        }
    })
    .map_err(|e| format!("{name}: {e}"))
}

fn inspect(path: &PathBuf, json: bool, expect: Option<creditlab::import::Reference>, quiet: bool) -> Result<bool, String> {
    let run = import_file(path, quiet)?;
    let total_steps = creditlab::import::step_batches(&run).len();
    let analysis = creditlab::import::analyse(&run, expect.as_ref(), |done, total| {
        if !quiet && total >= 20 && done % (total / 10).max(1) == 0 {
            eprintln!("analysed {done} of {total} steps");
        }
    });
    let mut stdout = std::io::stdout().lock();
    let text = if json {
        serde_json::to_string_pretty(&analysis).map_err(|e| format!("cannot encode the analysis: {e}"))?
    } else {
        creditlab::import::report::text(&analysis, &path.display().to_string(), total_steps)
    };
    writeln!(stdout, "{text}").map_err(|e| format!("cannot write standard output: {e}"))?;
    Ok(analysis.passes())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect { file, json, expect, expect_mean_only, quiet } => {
            let expect = expect.map(|estimator| creditlab::import::Reference {
                estimator,
                variant: expect_mean_only.then(|| "mean-only".to_string()),
                options: EstimatorOptions { mean_only: expect_mean_only, ..EstimatorOptions::default() },
            });
            match inspect(&file, json, expect, quiet) {
                Ok(true) => Ok(()),
                Ok(false) => return ExitCode::FAILURE,
                Err(e) => Err(e),
            }
        }
        Command::Train { config, out, quiet } => train(config, out, quiet),
        Command::Eval { game, policy, json } => eval(game, &policy, json),
        Command::Bench { updates, update_step, language_step } => bench(updates, update_step, language_step),
        Command::Csv { record } => csv(&record),
        Command::Advantages {
            estimator,
            eps,
            mean_only,
            rloo_scope,
            gamma,
            omega,
            gigpo_mean_std,
            gigpo_agent_wise,
            gigpo_own_steps,
            rloo_first_sample,
            mars_padded_unique,
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
                gigpo_own_steps,
                rloo_first_sample,
                mars_padded_unique,
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
            } else if rloo_first_sample && rloo_scope != RlooScopeArg::Episode {
                Err("--rloo-first-sample: applies at --rloo-scope episode only".into())
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
