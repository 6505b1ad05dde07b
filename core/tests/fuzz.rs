//! Structure-aware fuzzing of the config parser (the rules the CLI, the page's link and imported
//! run files share): valid configs of every game are mutated field by field — values swapped for
//! other types, huge, negative or non-finite numbers, unknown keys, removed keys, deep nesting —
//! and parsing must never panic; whatever is accepted must pass validation again and fit memory.
//!
//! `CREDITLAB_FUZZ_CASES` sets the number of cases (default 512, the test command's budget);
//! a long run: `CREDITLAB_FUZZ_CASES=200000 cargo test --release -p creditlab --test fuzz`.

use creditlab::config::MAX_ROWS;
use creditlab::{GameConfig, TrainConfig};
use proptest::prelude::*;
use serde_json::{json, Value};

fn cases() -> u32 {
    std::env::var("CREDITLAB_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512)
}

fn seeds() -> Vec<Value> {
    GameConfig::examples()
        .into_iter()
        .map(|game| serde_json::to_value(TrainConfig { game, ..TrainConfig::default() }).unwrap_or(Value::Null))
        .collect()
}

/// Every path (object keys, array indices) in `value`.
fn paths(value: &Value, prefix: &mut Vec<PathPart>, out: &mut Vec<Vec<PathPart>>) {
    out.push(prefix.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                prefix.push(PathPart::Key(k.clone()));
                paths(v, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                prefix.push(PathPart::Index(i));
                paths(v, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone)]
enum PathPart {
    Key(String),
    Index(usize),
}

fn at<'a>(value: &'a mut Value, path: &[PathPart]) -> Option<&'a mut Value> {
    let mut node = value;
    for part in path {
        node = match (part, node) {
            (PathPart::Key(k), Value::Object(map)) => map.get_mut(k)?,
            (PathPart::Index(i), Value::Array(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

/// A replacement value: other types, edge numbers, big structures.
fn replacement() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|v| serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)),
        prop::sample::select(vec![0.0, -0.0, 1e38, 3.5e38, -1e300, 1e-45, 4294967296.0, -1.0, 0.5, 1e6 + 1.0])
            .prop_map(Value::from),
        "[a-z_-]{0,12}".prop_map(Value::String),
        prop::sample::select(vec!["NaN", "inf", "-inf", "1e999", "", "grpo-global", "agent-wise", "shared", "custom"])
            .prop_map(|s| Value::String(s.to_string())),
        prop::collection::vec(0u64..100, 0..70).prop_map(|v| json!(v)),
        (0usize..40).prop_map(|depth| (0..depth).fold(json!(1), |v, _| json!([v]))),
        Just(json!({"unknown": 1})),
        Just(json!([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, Value),
    Remove(usize),
    AddKey(usize, String, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), replacement()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        1 => any::<usize>().prop_map(Mutation::Remove),
        1 => (any::<usize>(), "[a-z_]{1,10}", replacement()).prop_map(|(i, k, v)| Mutation::AddKey(i, k, v)),
    ]
}

fn apply(value: &mut Value, mutation: &Mutation) {
    let mut all = Vec::new();
    paths(value, &mut Vec::new(), &mut all);
    let pick = |i: usize| all[i % all.len()].clone();
    match mutation {
        Mutation::Replace(i, v) => {
            if let Some(node) = at(value, &pick(*i)) {
                *node = v.clone();
            }
        }
        Mutation::Remove(i) => {
            let path = pick(*i);
            if let Some((last, parent)) = path.split_last() {
                match (last, at(value, parent)) {
                    (PathPart::Key(k), Some(Value::Object(map))) => {
                        map.remove(k);
                    }
                    (PathPart::Index(i), Some(Value::Array(items))) if *i < items.len() => {
                        items.remove(*i);
                    }
                    _ => {}
                }
            }
        }
        Mutation::AddKey(i, key, v) => {
            if let Some(Value::Object(map)) = at(value, &pick(*i)) {
                map.insert(key.clone(), v.clone());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    /// Mutated configs of every game: parsing never panics; an accepted config validates and
    /// fits memory (and so does the same config written and read again).
    #[test]
    fn mutated_configs_never_panic_the_parser(game in 0usize..6, mutations in prop::collection::vec(mutation(), 1..6)) {
        let mut value = seeds()[game].clone();
        for m in &mutations {
            apply(&mut value, m);
        }
        let text = value.to_string();
        if let Ok(config) = TrainConfig::from_json(&text) {
            prop_assert!(config.validate().is_ok());
            prop_assert!(config.runs() * config.game.max_decisions() * (config.groups * config.group_size) as usize <= MAX_ROWS);
            let again = serde_json::to_string(&config).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(TrainConfig::from_json(&again).ok(), Some(config));
        }
    }

    /// Arbitrary text: never panics.
    #[test]
    fn arbitrary_text_never_panics_the_parser(text in ".{0,300}") {
        let _ = TrainConfig::from_json(&text);
    }
}
