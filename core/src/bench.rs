//! The training benchmark's cases, shared by `creditlab bench` (native) and the wasm bench in
//! the browser test crate, so that both measure exactly the same work.

use web_time::Instant;

use crate::config::{GameConfig, TrainConfig};
use crate::backend::Backend;
use crate::train::{TrainError, Trainer, UpdateProbe};
use crate::Estimator;

/// One case: a name and its config (one estimator; seeds × episodes vary).
pub fn cases() -> Vec<(String, TrainConfig)> {
    let games = [
        r#"{"kind": "bandit"}"#,
        r#"{"kind": "pipeline"}"#,
        r#"{"kind": "kuhn"}"#,
        r#"{"kind": "foraging"}"#,
    ];
    let mut out = Vec::new();
    for game in games {
        let Ok(game) = serde_json::from_str::<GameConfig>(game) else { continue };
        for (seeds, groups) in [(1u64, 4u32), (8, 4), (32, 4), (8, 32)] {
            let config = TrainConfig {
                game: game.clone(),
                estimators: vec![Estimator::AgentWise],
                seeds: (1..=seeds).collect(),
                groups,
                group_size: 8,
                updates: 1_000_000,
                ..TrainConfig::default()
            };
            out.push((format!("{} · {seeds} runs × {} episodes", game.kind(), groups * 8), config));
        }
    }
    out
}

/// What one case measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measurement {
    /// Updates per second.
    pub updates_per_second: f64,
    /// Samples (decisions) per update, over all runs.
    pub samples_per_update: u32,
}

/// Times `updates` updates of `config` on `backend`, after 3 warm-up updates.
pub async fn measure(config: TrainConfig, backend: Backend, updates: u32) -> Result<Measurement, TrainError> {
    let mut trainer = Trainer::new(config, backend).await?;
    for _ in 0..3 {
        trainer.step().await?;
    }
    let start = Instant::now();
    let mut samples = 0u32;
    for _ in 0..updates {
        let report = trainer.step().await?;
        samples += report.runs.iter().flat_map(|r| &r.agents).map(|a| a.samples).sum::<u32>();
    }
    Ok(Measurement {
        updates_per_second: f64::from(updates) / start.elapsed().as_secs_f64().max(1e-9),
        samples_per_update: samples / updates.max(1),
    })
}

/// Rows per agent in the update-step benchmark (the issue's batch sizes).
pub const UPDATE_STEP_ROWS: [u32; 4] = [8, 64, 256, 1024];

/// The update-step cases: the lab's default policy (the default bandit's agents, one MLP each,
/// 32 hidden units) and one run, with `rows` rows per agent (groups of 8 one-step episodes).
pub fn update_step_cases() -> Vec<(u32, TrainConfig)> {
    UPDATE_STEP_ROWS.iter().map(|&rows| (rows, rows_case(rows))).collect()
}

/// Rows per agent in the backend comparison (WebGPU against the CPU): the update-step sizes and
/// larger ones, to find where WebGPU starts to win.
pub const BACKEND_ROWS: [u32; 6] = [8, 64, 256, 1024, 4096, 16384];

/// The default policy and one run (agent-wise) with `rows` rows per agent: groups of 8 one-step
/// episodes, larger groups past 1,024 groups. The update-step and backend-comparison cases.
pub fn rows_case(rows: u32) -> TrainConfig {
    let group_size = (rows / 1024).max(8);
    TrainConfig {
        estimators: vec![Estimator::AgentWise],
        groups: rows / group_size,
        group_size,
        updates: 1_000_000,
        ..TrainConfig::default()
    }
}

/// What one update-step case measured, with the policy's shape (for the peers).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UpdateStep {
    /// Rows per agent (model).
    pub rows: u32,
    /// Parameter models (agents).
    pub models: usize,
    /// Observation size.
    pub input: usize,
    /// Hidden units.
    pub hidden: usize,
    /// Actions.
    pub actions: usize,
    /// Timed updates.
    pub updates: u32,
    /// Median update-step time (ms).
    pub lab_ms: f64,
    /// Mean update-step time (ms): in a browser that is not cross-origin isolated the clock
    /// ticks in 0.1 ms steps, and the mean of many steps is the figure that survives that.
    pub mean_ms: f64,
}

/// Times the update step proper ([`Trainer::last_update_ms`]) of `config`: the median of
/// `updates` updates after 3 warm-up updates.
pub async fn measure_update_step(rows: u32, config: TrainConfig, backend: Backend, updates: u32) -> Result<UpdateStep, TrainError> {
    let mut trainer = Trainer::new(config, backend).await?;
    for _ in 0..3 {
        trainer.step().await?;
    }
    let mut times = Vec::with_capacity(updates as usize);
    for _ in 0..updates {
        trainer.step().await?;
        times.push(trainer.last_update_ms());
    }
    let mean_ms = times.iter().sum::<f64>() / times.len().max(1) as f64;
    times.sort_by(f64::total_cmp);
    let shape = trainer.policy_shape().ok_or_else(|| TrainError::Device("the update-step bench times the MLP policy".into()))?;
    Ok(UpdateStep {
        rows,
        models: shape.models,
        input: shape.input,
        hidden: shape.hidden,
        actions: shape.actions,
        updates,
        lab_ms: times.get(times.len() / 2).copied().unwrap_or(f64::NAN),
        mean_ms,
    })
}

/// The update-step case with `rows` rows per agent as the peers get it: the initial parameters,
/// a first batch's rows and the lab's loss there ([`Trainer::update_probe`]).
pub async fn update_probe(rows: u32, backend: Backend) -> Result<UpdateProbe, TrainError> {
    Trainer::new(rows_case(rows), backend).await?.update_probe().await
}

/// The table header the benchmark prints (markdown).
pub const TABLE_HEADER: &str = "| case | samples per update | updates/s | ms/update |\n|---|---|---|---|";

/// One table row.
pub fn table_row(name: &str, m: &Measurement) -> String {
    format!("| {name} | {} | {:.0} | {:.2} |", m.samples_per_update, m.updates_per_second, 1000.0 / m.updates_per_second)
}

/// Episodes per update of the language agents' update-step cases (groups of 16).
#[cfg(feature = "language")]
pub const LANGUAGE_EPISODES: [u32; 4] = [32, 128, 512, 2048];

/// One language agents' update-step case as measured, with the shapes a peer needs to build
/// the same update (`.ci/bench_language.py`).
#[cfg(feature = "language")]
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LanguageStep {
    /// Episodes per update.
    pub episodes: u32,
    /// Responses per agent (solver, verifier) in the last timed batch.
    pub rows: [usize; 2],
    /// Positions per row (prompt and response) per agent.
    pub length: [usize; 2],
    /// Most response tokens per agent.
    pub response: [usize; 2],
    /// Vocabulary size.
    pub vocab: usize,
    /// Position table size.
    pub positions: usize,
    /// Model widths, heads and blocks per agent.
    pub widths: [u32; 2],
    /// Attention heads per agent.
    pub heads: [u32; 2],
    /// Blocks per agent.
    pub blocks: [u32; 2],
    /// Adam's learning rate.
    pub learning_rate: f32,
    /// Entropy bonus β.
    pub entropy_coef: f32,
    /// Sampling temperature τ.
    pub temperature: f32,
    /// Median update step (ms): rows packed, loss, one backward pass per agent, norms read
    /// back, Adam.
    pub lab_ms: f64,
    /// Mean update step (ms).
    pub mean_ms: f64,
    /// Whole updates per second (sampling, estimator and update step).
    pub updates_per_second: f64,
}

/// Times the language agents' update step with `episodes` episodes per update: the arithmetic
/// game with the page's defaults, one run (agent-wise), `updates` updates after 3 warm-up ones.
#[cfg(feature = "language")]
pub async fn measure_language_step(episodes: u32, backend: Backend, updates: u32) -> Result<LanguageStep, TrainError> {
    let Some(game) = GameConfig::example("arithmetic") else {
        return Err(TrainError::Device("no arithmetic game".into()));
    };
    let GameConfig::Arithmetic(task) = game.clone() else { unreachable!("the arithmetic example is arithmetic") };
    let config = TrainConfig {
        estimators: vec![Estimator::AgentWise],
        seeds: vec![1],
        groups: (episodes / 16).max(1),
        group_size: 16,
        updates: 1_000_000,
        ..TrainConfig::for_game(game)
    };
    let (learning_rate, entropy_coef) = (config.learning_rate, config.entropy_coef);
    let mut trainer = Trainer::new(config, backend).await?;
    for _ in 0..3 {
        trainer.step().await?;
    }
    let mut times = Vec::with_capacity(updates as usize);
    let start = Instant::now();
    for _ in 0..updates {
        trainer.step().await?;
        times.push(trainer.last_update_ms());
    }
    let wall = start.elapsed().as_secs_f64();
    let mean_ms = times.iter().sum::<f64>() / times.len().max(1) as f64;
    times.sort_by(f64::total_cmp);
    let batch = trainer.token().and_then(|t| t.last_batch(0)).ok_or_else(|| TrainError::Device("no batch".into()))?;
    let mut rows = [0usize; 2];
    let mut length = [1usize; 2];
    for r in &batch.responses {
        let k = r.agent as usize;
        rows[k] += 1;
        length[k] = length[k].max(r.prompt.len() + r.tokens.len());
    }
    let response = [crate::env::arithmetic::response_length(&task, 0), crate::env::arithmetic::response_length(&task, 1)];
    Ok(LanguageStep {
        episodes,
        rows,
        length,
        response,
        vocab: crate::env::arithmetic::VOCAB_SIZE,
        positions: task.max_positions(),
        widths: [task.agents[0].width, task.agents[1].width],
        heads: [task.agents[0].heads, task.agents[1].heads],
        blocks: [task.agents[0].blocks, task.agents[1].blocks],
        learning_rate,
        entropy_coef,
        temperature: task.temperature,
        lab_ms: times.get(times.len() / 2).copied().unwrap_or(f64::NAN),
        mean_ms,
        updates_per_second: f64::from(updates) / wall.max(1e-9),
    })
}
