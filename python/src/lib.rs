//! `creditlab._creditlab`: the core behind the Python package (`python/creditlab/__init__.py`
//! checks the arrays and names the field; this module assumes contiguous, checked inputs).
//! Every failure is a `ValueError` whose message names the field, as the CLI's do.

use creditlab::advantage::EstimatorOptions;
use creditlab::env::kuhn::KuhnPolicy;
use creditlab::import::{analyse, read_from, Reference};
use creditlab::{backend, Batch, Estimator, RunRecord, Sample, TrainConfig, Trainer};
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::exceptions::{PyStopIteration, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use std::collections::HashMap;

fn value_error(message: impl Into<String>) -> PyErr {
    PyValueError::new_err(message.into())
}

fn estimator_named(name: &str) -> PyResult<Estimator> {
    Estimator::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Estimator::ALL.iter().map(|e| e.name()).collect();
        value_error(format!("estimator: unknown \"{name}\" (one of {})", names.join(", ")))
    })
}

fn slice<'a, T: numpy::Element>(array: &'a PyReadonlyArray1<'_, T>, field: &str) -> PyResult<&'a [T]> {
    array.as_slice().map_err(|_| value_error(format!("{field}: the array must be contiguous")))
}

fn id(value: i64, field: &str, index: usize) -> PyResult<u32> {
    u32::try_from(value).map_err(|_| value_error(format!("{field}[{index}]: {value} is not an integer in 0..2^32")))
}

/// One batch estimator's advantages and ledger (see `creditlab.advantages`).
#[pyfunction]
#[pyo3(signature = (estimator, group, episode, agent, reward, turn, anchor, options, with_ledger=true))]
#[allow(clippy::too_many_arguments)]
fn advantages<'py>(
    py: Python<'py>,
    estimator: &str,
    group: PyReadonlyArray1<'py, i64>,
    episode: PyReadonlyArray1<'py, i64>,
    agent: PyReadonlyArray1<'py, i64>,
    reward: PyReadonlyArray1<'py, f64>,
    turn: PyReadonlyArray1<'py, i64>,
    anchor: Option<Vec<Option<String>>>,
    options: &str,
    with_ledger: bool,
) -> PyResult<(Bound<'py, PyArray1<f32>>, Option<Bound<'py, PyDict>>)> {
    let estimator = estimator_named(estimator)?;
    if estimator.needs().payoff_oracle {
        return Err(value_error(format!(
            "estimator: {} needs the game's exact payoff; from Python use the batch estimators, or the CLI's object input (`creditlab advantages --help`)",
            estimator.name()
        )));
    }
    let options: EstimatorOptions = serde_json::from_str(options).map_err(|e| value_error(format!("options: {e}")))?;
    let (group, episode, agent, reward, turn) =
        (slice(&group, "group")?, slice(&episode, "episode")?, slice(&agent, "agent")?, slice(&reward, "reward")?, slice(&turn, "turn")?);
    let mut samples = Vec::with_capacity(reward.len());
    for i in 0..reward.len() {
        samples.push(Sample {
            group: id(group[i], "group", i)?,
            episode: id(episode[i], "episode", i)?,
            agent: id(agent[i], "agent", i)?,
            turn: id(turn[i], "turn", i)?,
            reward: reward[i] as f32,
            anchor: anchor.as_ref().and_then(|a| a.get(i).cloned().flatten()),
            action: None,
        });
    }
    let result = estimator.compute(&Batch { samples }, &options, None).map_err(|e| value_error(e.to_string()))?;
    if !with_ledger {
        return Ok((PyArray1::from_vec(py, result.values), None));
    }
    let ledger = PyDict::new(py);
    let column = |f: fn(&creditlab::LedgerEntry) -> f32| PyArray1::from_vec(py, result.ledger.iter().map(f).collect());
    // A batch has few keys and many samples: each key's Python string is made once and the
    // column refers to it (a million strings made one by one cost more than the estimator).
    let mut interned: HashMap<&str, Bound<'py, PyString>> = HashMap::new();
    let keys = PyList::empty(py);
    for entry in &result.ledger {
        keys.append(interned.entry(entry.key.as_str()).or_insert_with(|| PyString::new(py, &entry.key)).clone())?;
    }
    ledger.set_item("key", keys)?;
    ledger.set_item("key_size", PyArray1::from_vec(py, result.ledger.iter().map(|e| e.key_size).collect()))?;
    ledger.set_item("mean", column(|e| e.mean))?;
    ledger.set_item("std", column(|e| e.std))?;
    ledger.set_item("value", column(|e| e.value))?;
    ledger.set_item("advantage", column(|e| e.advantage))?;
    ledger.set_item("note", result.ledger.iter().map(|e| e.note.clone()).collect::<Vec<_>>())?;
    Ok((PyArray1::from_vec(py, result.values), Some(ledger)))
}

/// The analysis and verdict of a logged run, as JSON text (see `creditlab.inspect`): the file
/// at `path`, or `data`.
#[pyfunction]
#[pyo3(signature = (path, data, expect, expect_mean_only))]
fn inspect_json(py: Python<'_>, path: Option<String>, data: Option<Vec<u8>>, expect: Option<&str>, expect_mean_only: bool) -> PyResult<String> {
    let expect = expect
        .map(|name| {
            estimator_named(name).map(|estimator| Reference {
                estimator,
                variant: expect_mean_only.then(|| "mean-only".to_string()),
                options: EstimatorOptions { mean_only: expect_mean_only, ..EstimatorOptions::default() },
            })
        })
        .transpose()?;
    py.detach(|| {
        let run = match (&path, data) {
            (Some(path), _) => {
                let file = std::fs::File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
                read_from(file, |_| {}).map_err(|e| format!("{path}: {e}"))?
            }
            (None, Some(data)) => read_from(data.as_slice(), |_| {}).map_err(|e| format!("the data: {e}"))?,
            (None, None) => return Err("give a path or the data".to_string()),
        };
        let analysis = analyse(&run, expect.as_ref(), |_, _| {});
        serde_json::to_string(&analysis).map_err(|e| e.to_string())
    })
    .map_err(value_error)
}

fn config_from_json(config: &str) -> PyResult<TrainConfig> {
    TrainConfig::from_json(config).map_err(|e| value_error(format!("config: {e}")))
}

/// A config with every default filled in (JSON text), checked as `train` checks it.
#[pyfunction]
fn resolve_config(config: &str) -> PyResult<String> {
    let config = config_from_json(config)?;
    serde_json::to_string(&config).map_err(|e| value_error(e.to_string()))
}

/// Trains every run of a config to the end; the run record as JSON text (see `creditlab.train`).
#[pyfunction]
fn train_json(py: Python<'_>, config: &str) -> PyResult<String> {
    let config = config_from_json(config)?;
    py.detach(|| {
        pollster::block_on(async {
            let mut trainer = Trainer::new(config.clone(), backend::cpu("Python")).await.map_err(|e| e.to_string())?;
            let mut record = RunRecord::new(config, trainer.backend().clone());
            while !trainer.is_finished() {
                record.reports.push(trainer.step().await.map_err(|e| e.to_string())?);
            }
            Ok::<_, String>(record.to_json())
        })
    })
    .map_err(value_error)
}

/// A trainer stepped from Python: each `next()` is one update's report as JSON text.
#[pyclass(unsendable)]
struct TrainerCore {
    trainer: Trainer,
}

#[pymethods]
impl TrainerCore {
    #[new]
    fn new(config: &str) -> PyResult<Self> {
        let config = config_from_json(config)?;
        let trainer = pollster::block_on(Trainer::new(config, backend::cpu("Python"))).map_err(|e| value_error(e.to_string()))?;
        Ok(Self { trainer })
    }

    /// The next update's report (JSON text); `StopIteration` when every update is done.
    fn step(&mut self) -> PyResult<String> {
        if self.trainer.is_finished() {
            return Err(PyStopIteration::new_err("every update is done"));
        }
        let report = pollster::block_on(self.trainer.step()).map_err(|e| value_error(e.to_string()))?;
        serde_json::to_string(&report).map_err(|e| value_error(e.to_string()))
    }

    /// The backend and why, as JSON text.
    fn backend(&self) -> PyResult<String> {
        serde_json::to_string(self.trainer.backend()).map_err(|e| value_error(e.to_string()))
    }
}

/// Kuhn poker's exact evaluation of a policy given as JSON text ("uniform", "first-action" or
/// the 12 information sets).
#[pyfunction]
fn eval_kuhn_json(policy: &str) -> PyResult<String> {
    let table = match policy {
        "\"uniform\"" => KuhnPolicy::uniform(),
        "\"first-action\"" => KuhnPolicy::first_action(),
        text => KuhnPolicy::from_json(text).map_err(|e| value_error(format!("policy: {e}")))?,
    };
    let nash_conv = table.nash_conv();
    Ok(serde_json::json!({
        "nash_conv": nash_conv,
        "exploitability": nash_conv / 2.0,
        "p1_value": table.p1_value(),
        "p1_best_response": table.p1_best_response(),
        "p2_best_response": table.p2_best_response(),
    })
    .to_string())
}

/// The module.
#[pymodule]
fn _creditlab(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(advantages, module)?)?;
    module.add_function(wrap_pyfunction!(inspect_json, module)?)?;
    module.add_function(wrap_pyfunction!(train_json, module)?)?;
    module.add_function(wrap_pyfunction!(resolve_config, module)?)?;
    module.add_function(wrap_pyfunction!(eval_kuhn_json, module)?)?;
    module.add_class::<TrainerCore>()?;
    module.add("ESTIMATORS", Estimator::ALL.iter().map(|e| e.name()).collect::<Vec<_>>())?;
    Ok(())
}
