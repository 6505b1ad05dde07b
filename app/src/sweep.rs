//! A sweep from Python (`python -m creditlab.sweep`, README "Sweeps on Ray"): its `sweep.json`
//! read for the page — the runs listed with their final figures, the summary per variant,
//! estimator and agent — each run's record opened like any run record. Pure; the view is
//! [`crate::components::sweep`].

use serde::Deserialize;

/// The `format` a sweep's `sweep.json` declares.
pub const FORMAT: &str = "creditlab-sweep";

/// One run of the sweep.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SweepRun {
    /// Its id (a hash of its config).
    pub run: String,
    /// Its variant's overrides, for people.
    pub label: String,
    /// Its estimator.
    pub estimator: String,
    /// Its seed.
    pub seed: u64,
    /// Whether it finished.
    #[serde(default)]
    pub finished: bool,
    /// Why it failed, if it did.
    #[serde(default)]
    pub error: Option<String>,
    /// Its record's path in the sweep's folder.
    #[serde(default)]
    pub record: Option<String>,
    /// Its wall time in seconds.
    #[serde(default)]
    pub wall_s: Option<f64>,
    /// Per agent, the final reward (mean over the last tenth of its updates).
    #[serde(skip)]
    pub final_reward: Vec<Option<f64>>,
}

/// One row of the summary: a variant, an estimator and an agent over the seeds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SummaryRow {
    /// The variant's overrides, for people.
    pub label: String,
    /// The estimator.
    pub estimator: String,
    /// The agent.
    pub agent: u32,
    /// Seeds finished.
    pub seeds: u32,
    /// Final reward: mean over seeds and its 95 % interval.
    pub final_reward_mean: Option<f64>,
    #[allow(missing_docs)]
    pub final_reward_lo: Option<f64>,
    #[allow(missing_docs)]
    pub final_reward_hi: Option<f64>,
    /// The gradient norm's median, mean over seeds.
    pub grad_norm_median_mean: Option<f64>,
    /// The gradient norm's spread (95th percentile ÷ median), mean over seeds.
    pub grad_norm_spread_mean: Option<f64>,
    /// Updates with a gradient norm above 5× the run's median, mean over seeds.
    pub grad_norm_spikes_mean: Option<f64>,
}

/// A sweep's `sweep.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    /// Its name.
    pub name: String,
    /// Its runs.
    pub runs: Vec<SweepRun>,
    /// Its summary.
    pub summary: Vec<SummaryRow>,
}

impl Sweep {
    /// Reads `sweep.json`; an error names the field (`runs[3].seed: …`).
    pub fn from_json(text: &str) -> Result<Self, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("sweep.json is not JSON: {e}"))?;
        let object = value.as_object().ok_or("sweep.json: not an object")?;
        match object.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT) => {}
            Some(other) => {
                return Err(format!(
                    "sweep.json, field `format`: \"{other}\" is not \"{FORMAT}\""
                ))
            }
            None => {
                return Err(format!(
                    "sweep.json, field `format`: missing (a sweep's sweep.json says \"{FORMAT}\")"
                ))
            }
        }
        let name = object
            .get("name")
            .and_then(|n| n.as_str())
            .unwrap_or("sweep")
            .to_string();
        let list = |field: &str| -> Result<&Vec<serde_json::Value>, String> {
            object
                .get(field)
                .and_then(|v| v.as_array())
                .ok_or_else(|| format!("sweep.json, field `{field}`: missing or not a list"))
        };
        let mut runs = Vec::new();
        for (i, item) in list("runs")?.iter().enumerate() {
            let mut run: SweepRun = serde_json::from_value(item.clone())
                .map_err(|e| format!("sweep.json, field `runs[{i}]`: {e}"))?;
            if let Some(fields) = item.as_object() {
                run.final_reward = (0..)
                    .map_while(|k| fields.get(&format!("final_reward_{k}")))
                    .map(serde_json::Value::as_f64)
                    .collect();
            }
            runs.push(run);
        }
        let summary = list("summary")?
            .iter()
            .enumerate()
            .map(|(i, item)| {
                serde_json::from_value(item.clone())
                    .map_err(|e| format!("sweep.json, field `summary[{i}]`: {e}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            name,
            runs,
            summary,
        })
    }

    /// The most agents any run has figures for.
    pub fn agents(&self) -> usize {
        self.runs
            .iter()
            .map(|r| r.final_reward.len())
            .max()
            .unwrap_or(0)
    }
}

/// `path` (a file's path in a chosen folder, `out/records/x.json`) relative to the folder that
/// holds `sweep.json` (`out/sweep.json`), or None where it lies outside it.
pub fn relative<'a>(path: &'a str, sweep_json: &str) -> Option<&'a str> {
    let dir = sweep_json.strip_suffix("sweep.json")?;
    path.strip_prefix(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SWEEP: &str = r#"{"format": "creditlab-sweep", "version": 1, "name": "tiny", "spec": {},
        "runs": [
          {"run": "ab", "variant": 0, "label": "base", "estimator": "agent-wise", "seed": 1, "updates": 4,
           "finished": true, "error": null, "wall_s": 0.1, "record": "records/ab.json",
           "final_reward_0": 0.5, "final_reward_1": 5.0, "final_reward_2": null, "overrides": {}},
          {"run": "cd", "variant": 0, "label": "base", "estimator": "global-step", "seed": 1, "updates": 4,
           "finished": false, "error": "config: updates: 0 is below 1", "wall_s": null, "record": null, "overrides": {}}],
        "summary": [{"variant": 0, "label": "base", "estimator": "agent-wise", "agent": 0, "seeds": 1,
          "final_reward_mean": 0.5, "final_reward_lo": null, "final_reward_hi": null, "final_score_mean": 0.4,
          "grad_norm_median_mean": 0.3, "grad_norm_spread_mean": 2.0, "grad_norm_spikes_mean": 0}]}"#;

    #[test]
    fn a_sweep_is_read_with_its_runs_figures_and_summary() {
        let sweep = Sweep::from_json(SWEEP).unwrap();
        assert_eq!(sweep.name, "tiny");
        assert_eq!(sweep.runs.len(), 2);
        assert_eq!(sweep.runs[0].final_reward, vec![Some(0.5), Some(5.0), None]);
        assert_eq!(sweep.runs[0].record.as_deref(), Some("records/ab.json"));
        assert_eq!(
            sweep.runs[1].error.as_deref(),
            Some("config: updates: 0 is below 1")
        );
        assert_eq!(sweep.agents(), 3);
        assert_eq!(sweep.summary[0].final_reward_lo, None);
        assert_eq!(sweep.summary[0].grad_norm_spikes_mean, Some(0.0));
    }

    #[test]
    fn a_file_that_is_not_a_sweep_names_the_field() {
        assert!(Sweep::from_json("{").unwrap_err().contains("not JSON"));
        assert!(Sweep::from_json(r#"{"format": "creditlab-record"}"#)
            .unwrap_err()
            .contains("field `format`"));
        assert!(Sweep::from_json(r#"{"format": "creditlab-sweep"}"#)
            .unwrap_err()
            .contains("field `runs`"));
        let bad = SWEEP.replace(
            r#""seed": 1, "updates": 4,
           "finished": false"#,
            r#""seed": "one", "updates": 4,
           "finished": false"#,
        );
        assert!(Sweep::from_json(&bad)
            .unwrap_err()
            .starts_with("sweep.json, field `runs[1]`"));
    }

    #[test]
    fn paths_are_read_from_the_folder_that_holds_sweep_json() {
        assert_eq!(
            relative("out/records/ab.json", "out/sweep.json"),
            Some("records/ab.json")
        );
        assert_eq!(
            relative("records/ab.json", "sweep.json"),
            Some("records/ab.json")
        );
        assert_eq!(relative("other/records/ab.json", "out/sweep.json"), None);
    }
}
