//! The address codec of a config: every config field as one `key=value` parameter named by
//! its path in the config's JSON (`learning_rate=0.01`, `game.size=6`,
//! `game.agents.2.scale=100`). Arrays of values are comma-separated (`seeds=1,2,3`), `off` is
//! `null` (`ppo_clip=off`), an array of objects is given by its length (`game.agents=4`) and
//! its elements' fields, and the matrix game's payoff table is JSON.
//!
//! [`set`] applies one parameter (the builder's generic controls use it too), [`read_config`]
//! a list of them against a base, and [`flatten`] writes the fields that differ from a base.
//! [`crate::url`] (the page's whole address) and [`crate::lessons`] (their presets) both use it.

use creditlab::env::matrix::MatrixSpec;
use creditlab::{GameConfig, TrainConfig};
use serde_json::{Number, Value};

/// One parameter that was not used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    /// The parameter's name as written.
    pub key: String,
    /// Why it was ignored.
    pub reason: String,
}

/// The config as JSON with short decimal numbers (f32 written by its shortest form).
pub fn to_value(config: &TrainConfig) -> Value {
    serde_json::to_string(config).ok().and_then(|text| serde_json::from_str(&text).ok()).unwrap_or(Value::Null)
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => Some("off".into()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// The URL text of one value, or `None` for an array of objects (written element-wise).
pub fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => None,
        Value::Array(items) if items.iter().all(|v| !v.is_array() && !v.is_object()) => {
            Some(items.iter().filter_map(scalar_text).collect::<Vec<_>>().join(","))
        }
        Value::Array(_) | Value::Object(_) => Some(value.to_string()),
        other => scalar_text(other),
    }
}

pub fn flatten(path: &str, value: &Value, base: Option<&Value>, out: &mut Vec<(String, String)>) {
    if base == Some(value) {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if path == "game" && key == "kind" {
                    continue;
                }
                let child = format!("{path}.{key}");
                flatten(&child, v, base.and_then(|b| b.get(key)), out);
            }
        }
        Value::Array(items) if value_text(value).is_none() => {
            if base.and_then(Value::as_array).map(Vec::len) != Some(items.len()) {
                out.push((path.to_string(), items.len().to_string()));
            }
            for (i, item) in items.iter().enumerate() {
                flatten(&format!("{path}.{i}"), item, base.and_then(|b| b.get(i)), out);
            }
        }
        other => {
            if let Some(text) = value_text(other) {
                out.push((path.to_string(), text));
            }
        }
    }
}

/// Where a parameter applies, for ordering: teacher's first, then the game, its variant, its
/// fields by depth, then every other config field, then the view.
pub fn order(key: &str) -> (u8, usize) {
    match key {
        "lesson" | "step" => (0, 0),
        "game" => (1, 0),
        "game.name" => (2, 0),
        k if k.starts_with("game.") => (3, k.split('.').count()),
        "hide" | "lock" | "inspect" | "fault" => (5, 0),
        k => (4, k.split('.').count()),
    }
}

fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "on" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        other => Err(format!("“{other}” is not true or false")),
    }
}

fn parse_number(text: &str, integer: bool) -> Result<Value, String> {
    let value: f64 = text.trim().parse().map_err(|_| format!("“{text}” is not a number"))?;
    if !value.is_finite() {
        return Err(format!("“{text}” is not a finite number"));
    }
    if integer {
        if value < 0.0 || value.fract() != 0.0 || value > 1e15 {
            return Err(format!("“{text}” is not a whole number ≥ 0"));
        }
        return Ok(Value::from(value as u64));
    }
    Number::from_f64(value).map(Value::Number).ok_or_else(|| format!("“{text}” is not a number"))
}

/// One element of a comma-separated list: a number when it reads as one, else text.
fn list_item(text: &str) -> Value {
    let text = text.trim();
    match text.parse::<u64>() {
        Ok(n) => Value::from(n),
        Err(_) => match text.parse::<f64>().ok().filter(|v| v.is_finite()).and_then(Number::from_f64) {
            Some(n) => Value::Number(n),
            None => Value::String(text.to_string()),
        },
    }
}

/// The new JSON value for a field whose current value is `current`.
pub fn parse_value(current: &Value, text: &str) -> Result<Value, String> {
    let off = matches!(text.trim(), "off" | "null" | "none");
    if text.trim_start().starts_with(['[', '{']) {
        return serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"));
    }
    match current {
        Value::Number(_) if off => Ok(Value::Null),
        Value::Number(n) => parse_number(text, n.is_u64()),
        Value::Bool(_) => parse_bool(text).map(Value::Bool),
        Value::String(_) => Ok(Value::String(text.trim().to_string())),
        Value::Array(_) if off => Ok(Value::Null),
        Value::Array(_) => Ok(Value::Array(text.split(',').filter(|s| !s.trim().is_empty()).map(list_item).collect())),
        Value::Null if off => Ok(Value::Null),
        // An optional field that is off: a number, or a list.
        Value::Null if text.contains(',') => Ok(Value::Array(text.split(',').map(list_item).collect())),
        Value::Null => parse_number(text, false),
        Value::Object(_) => Err("give the object's fields one by one".into()),
    }
}

/// The value at `path` (dot-separated keys and indices) and a way to set it.
fn slot<'a>(root: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    let mut node = root;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let part = *part;
        node = match node {
            // An optional field left out of the JSON (e.g. a bandit agent's `arm_means`).
            Value::Object(map) => {
                if i + 1 == parts.len() && i > 0 {
                    map.entry(part).or_insert(Value::Null)
                } else {
                    map.get_mut(part)?
                }
            }
            Value::Array(items) => items.get_mut(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

/// The default game object of a matrix game variant (the core's [`MatrixSpec::variants`]).
fn matrix_variant(name: &str) -> Option<Value> {
    let spec = MatrixSpec::variant(name)?;
    serde_json::to_value(GameConfig::Matrix(spec)).ok()
}

fn matrix_names() -> String {
    MatrixSpec::variants().iter().map(MatrixSpec::name).collect::<Vec<_>>().join(", ")
}

/// Applies `key=text` to `config` (validated by the core); the config is unchanged on error,
/// which says why in the page's words.
pub fn set(config: &mut TrainConfig, key: &str, text: &str) -> Result<(), String> {
    let candidate = edited(config, key, text)?;
    candidate.validate().map_err(|e| e.message)?;
    *config = candidate;
    Ok(())
}

/// `config` with `key=text` applied, not yet validated (an edit that does not parse, or names
/// no field, is refused in the page's words).
pub fn edited(config: &TrainConfig, key: &str, text: &str) -> Result<TrainConfig, String> {
    let mut value = to_value(config);
    if key == "game.name" && config.game.kind() == "matrix" {
        value["game"] = matrix_variant(text.trim()).ok_or_else(|| {
            format!("“{}” is not a matrix game (they are {})", text.trim(), matrix_names())
        })?;
    } else {
        if key == "game.kind" || key.split('.').any(str::is_empty) {
            return Err("no such field".into());
        }
        let current = slot(&mut value, key).ok_or_else(|| "no such field for this game".to_string())?;
        match current {
            Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => {
                let n: usize = text.trim().parse().map_err(|_| format!("“{text}” is not a count"))?;
                if n == 0 || n > 64 {
                    return Err(format!("{n} is out of range 1..=64"));
                }
                let last = items.last().cloned().unwrap_or(Value::Null);
                items.resize(n, last);
            }
            current => *current = parse_value(current, text)?,
        }
    }
    serde_json::from_value(value).map_err(|e| plain_reason(&e.to_string(), text))
}

/// The value at `path` as a control shows it: a number or a name, a comma-separated list, JSON
/// for a table, `off` for null; `None` where there is no such field.
pub fn field_text(config: &TrainConfig, path: &str) -> Option<String> {
    let mut value = to_value(config);
    slot(&mut value, path).and_then(|v| value_text(v))
}

/// The backquoted names in a serde message (`a`, `b` …), as a plain list.
fn quoted_names(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// Why a value was refused, in the page's words rather than the JSON parser's ("invalid type:
/// floating point `-1.0`, expected u64" becomes "“-1” is not a whole number ≥ 0").
pub fn plain_reason(message: &str, text: &str) -> String {
    let text = text.trim();
    let message = message.split(" at line ").next().unwrap_or(message);
    if message.starts_with("unknown field") {
        return "no such field for this game".into();
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let names = quoted_names(rest);
        return match names.split_first() {
            Some((given, allowed)) if !allowed.is_empty() => format!("“{given}” is not one of {}", allowed.join(", ")),
            _ => format!("“{text}” is not a known value"),
        };
    }
    if message.starts_with("invalid type") || message.starts_with("invalid value") {
        let expected = message.rsplit("expected ").next().unwrap_or_default();
        if ["u8", "u16", "u32", "u64", "usize", "integer"].iter().any(|t| expected.contains(t)) {
            return format!("“{text}” is not a whole number ≥ 0");
        }
        if ["f32", "f64", "number"].iter().any(|t| expected.contains(t)) {
            return format!("“{text}” is not a number");
        }
        if expected.contains("bool") {
            return format!("“{text}” is not true or false");
        }
        return format!("“{text}” is not a value this field takes");
    }
    if message.starts_with("invalid length") {
        return format!("“{text}” has the wrong number of values");
    }
    format!("“{text}” could not be read")
}


/// The defaults with the default game of `kind` (a known game), or of the bandit.
pub fn default_for(kind: Option<&str>) -> TrainConfig {
    TrainConfig::for_game(kind.and_then(GameConfig::example).unwrap_or_default())
}

/// A config read from parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigRead {
    /// The base with every usable parameter applied.
    pub config: TrainConfig,
    /// The parameters that were not used, in order.
    pub ignored: Vec<Ignored>,
    /// Whether `seeds` was given (and used).
    pub seeds_given: bool,
}

/// Applies config parameters to the base of their game: `game=` first (an unknown game is
/// ignored), then every other one in [`order`]; `base` gives the config to start from for a
/// game kind (`None`: no game given).
pub fn read_config(params: &[(String, String)], base: impl FnOnce(Option<&str>) -> TrainConfig) -> ConfigRead {
    let mut ignored = Vec::new();
    let mut params: Vec<&(String, String)> = params.iter().collect();
    params.sort_by_key(|(k, _)| order(k));
    let mut kind = None;
    for (key, text) in params.iter().filter(|(k, _)| k == "game") {
        match GameConfig::example(text.trim()) {
            Some(g) => kind = Some(g.kind()),
            None => ignored.push(Ignored {
                key: key.clone(),
                reason: format!(
                    "no game “{}” (the games are {})",
                    text.trim(),
                    GameConfig::examples().iter().map(GameConfig::kind).collect::<Vec<_>>().join(", ")
                ),
            }),
        }
    }
    let mut config = base(kind);
    let mut seeds_given = false;
    for (key, text) in params.into_iter().filter(|(k, _)| k != "game") {
        match set(&mut config, key, text) {
            Ok(()) => seeds_given |= key == "seeds",
            Err(reason) => ignored.push(Ignored { key: key.clone(), reason }),
        }
    }
    ConfigRead { config, ignored, seeds_given }
}

/// The `key=value` pairs of a query string (keys trimmed, empty keys dropped).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut params: Vec<(String, String)> =
        form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.trim().to_string(), v.into_owned())).collect();
    params.retain(|(k, _)| !k.is_empty());
    params
}
