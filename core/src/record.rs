//! A run's full record as a portable file: JSON export and a validating import, and the
//! per-update metrics as CSV.
//!
//! Import checks everything a hand-edited or truncated file could get wrong (format, the config
//! by the same rules as every other config, the reports' order and shapes) and names the field;
//! it never panics and changes nothing on failure.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::backend::BackendInfo;
use crate::config::TrainConfig;
use crate::metrics::StepReport;

/// The `format` of every run record.
pub const RECORD_FORMAT: &str = "creditlab-run";

/// A run's full record: what the CLI writes and the page exports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRecord {
    /// Always "creditlab-run".
    pub format: String,
    /// The crate version that produced it.
    pub version: String,
    /// The backend the run trained on.
    pub backend: BackendInfo,
    /// The config.
    pub config: TrainConfig,
    /// Every report, in update order.
    pub reports: Vec<StepReport>,
}

impl RunRecord {
    /// An empty record for `config` on `backend`.
    pub fn new(config: TrainConfig, backend: BackendInfo) -> Self {
        Self {
            format: RECORD_FORMAT.to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            backend,
            config,
            reports: Vec::new(),
        }
    }
}

/// Why a run record was refused, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct RecordError {
    /// Path of the offending field, e.g. `reports[3].runs`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

fn refuse(field: impl Into<String>, message: impl Into<String>) -> RecordError {
    RecordError { field: field.into(), message: message.into() }
}

/// Columns of [`RunRecord::metrics_csv`] before the game's figures.
pub const CSV_COLUMNS: [&str; 23] = [
    "update",
    "wall_ms",
    "estimator",
    "seed",
    "agent",
    "samples",
    "reward_mean",
    "reward_std",
    "reward_score",
    "advantage_mean",
    "advantage_std",
    "advantage_min",
    "advantage_max",
    "grad_norm",
    "update_norm",
    "entropy",
    "tokens",
    "predicted_inflation",
    "measured_inflation",
    "second_moment_inflation",
    "team_reward_mean",
    "run_grad_norm",
    "diverged",
];

impl RunRecord {
    /// The record as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()))
    }

    /// Parses and checks a record (see [`RunRecord::check`]).
    pub fn from_json(text: &str) -> Result<Self, RecordError> {
        let record: RunRecord = serde_json::from_str(text).map_err(|e| refuse("record", format!("not a Credit Lab run record: {e}")))?;
        record.check()?;
        Ok(record)
    }

    /// Checks that the record is one this build can show: its format, its config (the same
    /// rules as every config), and reports that are updates 1, 2, … of exactly the config's
    /// runs (estimators outer, seeds inner) and agents.
    pub fn check(&self) -> Result<(), RecordError> {
        if self.format != RECORD_FORMAT {
            return Err(refuse("format", format!("is {:?}, expected {RECORD_FORMAT:?}", self.format)));
        }
        self.config.validate().map_err(|e| refuse(format!("config.{}", e.field), e.message))?;
        if self.reports.len() > self.config.updates as usize {
            return Err(refuse("reports", format!("{} reports for a run of {} updates", self.reports.len(), self.config.updates)));
        }
        let agents = self.config.game.agents();
        let seeds = &self.config.seeds;
        for (i, report) in self.reports.iter().enumerate() {
            let at = |field: &str| format!("reports[{i}].{field}");
            if report.update as usize != i + 1 {
                return Err(refuse(at("update"), format!("is {}, expected {}", report.update, i + 1)));
            }
            if report.runs.len() != self.config.runs() {
                return Err(refuse(at("runs"), format!("has {} runs, the config has {}", report.runs.len(), self.config.runs())));
            }
            for (r, run) in report.runs.iter().enumerate() {
                let (estimator, seed) = (self.config.estimators[r / seeds.len()], seeds[r % seeds.len()]);
                if run.estimator != estimator || run.seed != seed {
                    return Err(refuse(
                        at(&format!("runs[{r}]")),
                        format!("is {} seed {}, the config says {} seed {seed}", run.estimator, run.seed, estimator),
                    ));
                }
                if run.agents.len() != agents {
                    return Err(refuse(at(&format!("runs[{r}].agents")), format!("has {} agents, the game has {agents}", run.agents.len())));
                }
            }
        }
        Ok(())
    }

    /// The per-update metrics as CSV: one row per (update, run, agent), the columns of
    /// [`CSV_COLUMNS`] then one `figure:<name>` column per game figure (empty where a run did
    /// not report it). See [`MetricsCsv`] for writing it a part at a time.
    pub fn metrics_csv(&self) -> Result<String, RecordError> {
        let csv = MetricsCsv::new(figure_names(&self.reports));
        Ok(csv.header()? + &csv.rows(&self.reports)?)
    }

    /// The record's JSON (compact) around its reports: `before` ends with `"reports":[` and
    /// `after` closes the array and the record, so `before + r1 + "," + r2 + … + after` is the
    /// record holding reports r1, r2, … — a long run's record can be written a part at a time.
    pub fn json_frame(&self) -> (String, String) {
        let empty = RunRecord { reports: Vec::new(), ..self.clone() };
        let json = serde_json::to_string(&empty).unwrap_or_else(|e| format!("{{\"error\": {:?},\"reports\":[]}}", e.to_string()));
        // `reports` is the struct's last field, so the JSON ends with its empty array.
        let cut = json.len() - "]}".len();
        debug_assert!(json.ends_with("\"reports\":[]}"));
        (json[..cut].to_string(), json[cut..].to_string())
    }
}

/// The game figures' names in `reports` (the CSV's last columns).
pub fn figure_names(reports: &[StepReport]) -> BTreeSet<String> {
    reports.iter().flat_map(|r| r.runs.iter().flat_map(|run| run.figures.keys().cloned())).collect()
}

/// The metrics CSV of [`RunRecord::metrics_csv`], written a part at a time: the header, then the
/// rows of any run of consecutive reports (so a long run need not be in memory at once).
#[derive(Debug, Clone)]
pub struct MetricsCsv {
    figures: Vec<String>,
}

impl MetricsCsv {
    /// The CSV for a run whose reports hold the figures `figures`.
    pub fn new(figures: BTreeSet<String>) -> Self {
        Self { figures: figures.into_iter().collect() }
    }

    fn write(rows: impl FnOnce(&mut csv::Writer<Vec<u8>>) -> Result<(), csv::Error>) -> Result<String, RecordError> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        rows(&mut writer).map_err(|e| refuse("csv", e.to_string()))?;
        let bytes = writer.into_inner().map_err(|e| refuse("csv", e.to_string()))?;
        String::from_utf8(bytes).map_err(|e| refuse("csv", e.to_string()))
    }

    /// The header line.
    pub fn header(&self) -> Result<String, RecordError> {
        Self::write(|writer| {
            writer.write_record(CSV_COLUMNS.iter().map(|c| c.to_string()).chain(self.figures.iter().map(|f| format!("figure:{f}"))))
        })
    }

    /// The rows of `reports`.
    pub fn rows(&self, reports: &[StepReport]) -> Result<String, RecordError> {
        let figures = &self.figures;
        Self::write(|writer| {
            let opt = |v: Option<f32>| v.map_or(String::new(), |v| v.to_string());
            for report in reports {
                for run in &report.runs {
                    // update, wall_ms, estimator, seed, agent: every row starts so.
                    let key = |k: usize| {
                        vec![
                            report.update.to_string(),
                            report.wall_ms.to_string(),
                            run.estimator.name().to_string(),
                            run.seed.to_string(),
                            k.to_string(),
                        ]
                    };
                    if let Some(divergence) = &run.diverged {
                        // A stopped run: one row per agent where it diverged, no figures (they
                        // are copies), nothing afterwards.
                        if divergence.update == report.update {
                            for k in 0..run.agents.len() {
                                let mut row = key(k);
                                row.resize(CSV_COLUMNS.len() - 1, String::new());
                                row.push(divergence.describe());
                                row.extend(figures.iter().map(|_| String::new()));
                                writer.write_record(&row)?;
                            }
                        }
                        continue;
                    }
                    for (k, a) in run.agents.iter().enumerate() {
                        let mut row = key(k);
                        row.extend([
                            a.samples.to_string(),
                            a.reward_mean.to_string(),
                            a.reward_std.to_string(),
                            a.reward_score.to_string(),
                            a.advantage_mean.to_string(),
                            a.advantage_std.to_string(),
                            a.advantage_min.to_string(),
                            a.advantage_max.to_string(),
                            opt(a.grad_norm),
                            opt(a.update_norm),
                            a.entropy.to_string(),
                            opt(a.tokens),
                            opt(a.predicted_inflation),
                            opt(run.theory.as_ref().and_then(|t| t.measured.get(k).copied().flatten())),
                            opt(run.theory.as_ref().and_then(|t| t.second_moment.get(k).copied().flatten())),
                            run.team_reward_mean.to_string(),
                            opt(run.grad_norm),
                            String::new(),
                        ]);
                        row.extend(figures.iter().map(|f| opt(run.figures.get(f).copied())));
                        writer.write_record(&row)?;
                    }
                }
            }
            Ok(())
        })
    }
}
