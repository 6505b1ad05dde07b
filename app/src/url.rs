//! The page's state in the URL's query string: the whole experiment, the view and the teacher's
//! settings, so that a link reproduces a run and a course link shows what its lesson needs.
//!
//! Every config field is one parameter named by its path in the config's JSON
//! (`learning_rate=0.01`, `game.size=6`, `game.agents.2.scale=100`); arrays of values are
//! comma-separated (`seeds=1,2,3`, `estimators=grpo-global,agent-wise`), `off` is `null`
//! (`ppo_clip=off`), an array of objects is given by its length (`game.agents=4`) and its
//! elements' fields, and the matrix game's payoff table is JSON. Only fields that differ from
//! the *base* are written: the game's defaults, or the opened lesson step's preset. `game` and
//! `seeds` are always written.
//!
//! Decoding starts from the base and applies the parameters one at a time, game first and
//! shorter paths first; a parameter whose value does not parse, names no field, or makes the
//! config invalid (by the core's own [`TrainConfig::validate`]) is ignored and reported, and
//! every other one still applies.

use creditlab::{GameConfig, TrainConfig};
use serde_json::{Map, Number, Value};

use crate::lessons;

/// The parts of the page a link can hide (`hide=builder,ledger`).
pub const HIDEABLE: &[(&str, &str)] = &[
    ("builder", "the whole experiment builder"),
    ("game", "the game menu and the game's parameters"),
    ("estimators", "the estimator checkboxes"),
    ("training", "the training hyperparameters"),
    ("ledger", "the advantage ledger"),
    ("same-batch", "the same-batch comparison"),
    ("step-through", "the step-through of one update"),
    ("predict", "predict, then reveal"),
    ("share", "export, import and the run history"),
    ("lessons", "the lesson menu"),
];

/// What a teacher's link sets beside the experiment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Teacher {
    /// Parts of the page not shown (names from [`HIDEABLE`]).
    pub hide: Vec<String>,
    /// Builder controls that cannot be changed: their field names (`learning_rate`,
    /// `agent1-scale`, `estimators`, …) or `all`.
    pub lock: Vec<String>,
    /// The open lesson, by id.
    pub lesson: Option<String>,
    /// The lesson's step (0-based).
    pub step: usize,
}

impl Teacher {
    /// Whether part `name` is hidden.
    pub fn hides(&self, name: &str) -> bool {
        self.hide.iter().any(|h| h == name)
    }

    /// Whether control `name` is locked.
    pub fn locks(&self, name: &str) -> bool {
        self.lock.iter().any(|l| l == name || l == "all")
    }
}

/// Everything the URL holds.
#[derive(Debug, Clone, PartialEq)]
pub struct PageState {
    /// The experiment.
    pub config: TrainConfig,
    /// Which seed (index) the batch views show.
    pub inspect: usize,
    /// The teacher's settings.
    pub teacher: Teacher,
}

/// One parameter that was not used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    /// The parameter's name as written.
    pub key: String,
    /// Why it was ignored.
    pub reason: String,
}

/// The result of reading a query string.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The state: the base with every usable parameter applied.
    pub state: PageState,
    /// Parameters that were not used, in the order they were met.
    pub ignored: Vec<Ignored>,
    /// Whether the link gave no usable seeds and a fresh one was drawn (write the URL back).
    pub seeded: bool,
    /// A failure to provoke (`fault=device-loss@N` or `worker-panic@N`; tests and
    /// demonstrations); used once, not written back.
    pub fault: Option<crate::worker::Fault>,
}

impl Decoded {
    /// A sentence for the page listing the ignored parameters; `None` when all were used.
    pub fn ignored_message(&self) -> Option<String> {
        if self.ignored.is_empty() {
            return None;
        }
        let parts: Vec<String> = self.ignored.iter().map(|i| format!("{} ({})", i.key, i.reason)).collect();
        Some(format!("Some settings in the link were ignored and left at their defaults: {}.", parts.join("; ")))
    }
}

/// The config a link is read against: the lesson step's preset when it is on `kind`'s game,
/// otherwise the defaults with `kind`'s default game.
pub fn base(teacher: &Teacher, kind: Option<&str>) -> TrainConfig {
    let preset = teacher.lesson.as_deref().and_then(|id| lessons::preset(id, teacher.step));
    match (preset, kind) {
        (Some(preset), None) => preset,
        (Some(preset), Some(kind)) if preset.game.kind() == kind => preset,
        (_, kind) => {
            let game = kind
                .and_then(|kind| GameConfig::examples().into_iter().find(|g| g.kind() == kind))
                .unwrap_or_default();
            TrainConfig { game, ..TrainConfig::default() }
        }
    }
}

/// The config as JSON with short decimal numbers (f32 written by its shortest form).
fn to_value(config: &TrainConfig) -> Value {
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
fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => None,
        Value::Array(items) if items.iter().all(|v| !v.is_array() && !v.is_object()) => {
            Some(items.iter().filter_map(scalar_text).collect::<Vec<_>>().join(","))
        }
        Value::Array(_) | Value::Object(_) => Some(value.to_string()),
        other => scalar_text(other),
    }
}

fn flatten(path: &str, value: &Value, base: Option<&Value>, out: &mut Vec<(String, String)>) {
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

/// The state as `key=value` pairs, in a stable order.
pub fn pairs(state: &PageState) -> Vec<(String, String)> {
    let config = &state.config;
    let base_config = base(&state.teacher, Some(config.game.kind()));
    let mut out = Vec::new();
    let teacher = &state.teacher;
    if let Some(lesson) = &teacher.lesson {
        out.push(("lesson".into(), lesson.clone()));
        out.push(("step".into(), (teacher.step + 1).to_string()));
    }
    out.push(("game".into(), config.game.kind().to_string()));
    let value = to_value(config);
    let base_value = to_value(&base_config);
    if let (Value::Object(map), Value::Object(base_map)) = (&value, &base_value) {
        for (key, v) in map {
            if key == "seeds" {
                continue;
            }
            let mut one = Vec::new();
            flatten(key, v, base_map.get(key), &mut one);
            // Matrix games: the variant's name must come before its fields.
            one.sort_by_key(|(k, _)| k != "game.name");
            out.extend(one);
        }
    }
    out.push(("seeds".into(), value_text(&value["seeds"]).unwrap_or_default()));
    if state.inspect > 0 {
        out.push(("inspect".into(), state.inspect.to_string()));
    }
    if !teacher.hide.is_empty() {
        out.push(("hide".into(), teacher.hide.join(",")));
    }
    if !teacher.lock.is_empty() {
        out.push(("lock".into(), teacher.lock.join(",")));
    }
    out
}

/// The state as a query string (without the leading `?`), e.g.
/// `game=kuhn&estimators=grpo-global,mars&updates=150&seeds=1,2`.
pub fn encode(state: &PageState) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs(state) {
        query.append_pair(&key, &value);
    }
    // Commas are allowed in a query string; keeping them literal keeps lists readable.
    query.finish().replace("%2C", ",")
}

/// Where a parameter applies, for ordering: teacher's first, then the game, its variant, its
/// fields by depth, then every other config field, then the view.
fn order(key: &str) -> (u8, usize) {
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
fn parse_value(current: &Value, text: &str) -> Result<Value, String> {
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

/// The matrix games' variant names (`game.name`).
const MATRIX_VARIANTS: [&str; 7] = ["climbing", "penalty", "prisoners-dilemma", "stag-hunt", "matching-pennies", "coordination", "custom"];

/// The default game object of a matrix game variant.
fn matrix_variant(name: &str) -> Option<Value> {
    let mut map = Map::new();
    map.insert("kind".into(), "matrix".into());
    map.insert("name".into(), name.into());
    match name {
        "climbing" | "prisoners-dilemma" | "stag-hunt" | "matching-pennies" => {}
        "penalty" => {
            map.insert("k".into(), 50.into());
        }
        "coordination" => {
            map.insert("players".into(), 2.into());
            map.insert("actions".into(), 3.into());
        }
        "custom" => {
            map.insert("payoffs".into(), serde_json::json!([[[1, 1], [0, 0]], [[0, 0], [1, 1]]]));
            map.insert("common".into(), true.into());
        }
        _ => return None,
    }
    Some(Value::Object(map))
}

/// Applies `key=text` to `config`; the config is unchanged on error.
fn apply(config: &mut TrainConfig, key: &str, text: &str) -> Result<(), String> {
    let mut value = to_value(config);
    if key == "game.name" && config.game.kind() == "matrix" {
        value["game"] = matrix_variant(text.trim()).ok_or_else(|| {
            format!("“{}” is not a matrix game (they are {})", text.trim(), MATRIX_VARIANTS.join(", "))
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
    let candidate: TrainConfig = serde_json::from_value(value).map_err(|e| plain_reason(&e.to_string(), text))?;
    candidate.validate().map_err(|e| e.message)?;
    *config = candidate;
    Ok(())
}

/// The backquoted names in a serde message (`a`, `b` …), as a plain list.
fn quoted_names(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// Why a value was refused, in the page's words rather than the JSON parser's ("invalid type:
/// floating point `-1.0`, expected u64" becomes "“-1” is not a whole number ≥ 0").
fn plain_reason(message: &str, text: &str) -> String {
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

/// "1 seed", "3 seeds".
fn count(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

fn names(text: &str, allowed: impl Fn(&str) -> bool) -> (Vec<String>, Vec<String>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for name in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if allowed(name) {
            if !good.iter().any(|g| g == name) {
                good.push(name.to_string());
            }
        } else {
            bad.push(name.to_string());
        }
    }
    (good, bad)
}

/// Reads a query string (with or without the leading `?`). `fresh_seed` is used when the link
/// gives no usable seeds. Never panics; every unusable parameter is listed in `ignored`.
pub fn decode(query: &str, fresh_seed: u64) -> Decoded {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut params: Vec<(String, String)> =
        form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.trim().to_string(), v.into_owned())).collect();
    params.retain(|(k, _)| !k.is_empty());
    let mut ignored = Vec::new();
    // A parameter given twice (`game=kuhn&game=foraging`): the first counts, the rest are named.
    let mut seen = std::collections::BTreeSet::new();
    params.retain(|(k, v)| {
        let first = seen.insert(k.clone());
        if !first {
            ignored.push(Ignored { key: k.clone(), reason: format!("given more than once; the first value is used, not “{}”", v.trim()) });
        }
        first
    });
    params.sort_by_key(|(k, _)| order(k));
    let mut ignore = |key: &str, reason: String| ignored.push(Ignored { key: key.to_string(), reason });

    // The teacher's lesson and step choose the base.
    let mut teacher = Teacher::default();
    let mut step_text = None;
    for (key, text) in &params {
        match key.as_str() {
            "lesson" if lessons::find(text.trim()).is_some() => teacher.lesson = Some(text.trim().to_string()),
            "lesson" => ignore(
                key,
                format!("no lesson “{}” (the lessons are {})", text.trim(), lessons::LESSONS.iter().map(|l| l.id).collect::<Vec<_>>().join(", ")),
            ),
            "step" => step_text = Some(text.clone()),
            _ => {}
        }
    }
    if let Some(text) = step_text {
        match (text.trim().parse::<usize>(), teacher.lesson.as_deref().and_then(lessons::find)) {
            (Ok(n), Some(lesson)) if (1..=lesson.steps.len()).contains(&n) => teacher.step = n - 1,
            (Ok(_), Some(lesson)) => ignore("step", format!("the lesson has steps 1..={}", lesson.steps.len())),
            (_, None) => ignore("step", "there is no lesson to step through".into()),
            (Err(_), _) => ignore("step", format!("“{text}” is not a step number")),
        }
    }

    let mut kind = None;
    for (key, text) in params.iter().filter(|(k, _)| k == "game") {
        match GameConfig::examples().iter().find(|g| g.kind() == text.trim()) {
            Some(g) => kind = Some(g.kind()),
            None => ignore(
                key,
                format!(
                    "no game “{}” (the games are {})",
                    text.trim(),
                    GameConfig::examples().iter().map(GameConfig::kind).collect::<Vec<_>>().join(", ")
                ),
            ),
        }
    }
    let mut config = base(&teacher, kind);
    let mut seeds_given = teacher.lesson.is_some();
    let mut inspect = 0;
    let mut fault = None;
    for (key, text) in &params {
        match key.as_str() {
            "lesson" | "step" | "game" => {}
            "hide" => {
                let (good, bad) = names(text, |n| HIDEABLE.iter().any(|(h, _)| *h == n));
                teacher.hide = good;
                if !bad.is_empty() {
                    ignore(
                        key,
                        format!(
                            "nothing called {} can be hidden (the parts are {})",
                            bad.join(", "),
                            HIDEABLE.iter().map(|(h, _)| *h).collect::<Vec<_>>().join(", ")
                        ),
                    );
                }
            }
            "lock" => {
                let (good, bad) = names(text, |n| n.len() <= 40 && n.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)));
                teacher.lock = good;
                if !bad.is_empty() {
                    ignore(key, "control names are letters, digits, - and _".into());
                }
            }
            "inspect" => match text.trim().parse::<usize>() {
                Ok(i) => inspect = i,
                Err(_) => ignore(key, format!("“{text}” is not a seed index")),
            },
            "fault" => match crate::worker::Fault::parse(text.trim()) {
                Ok(f) => fault = Some(f),
                Err(reason) => ignore(key, reason),
            },
            key => match apply(&mut config, key, text) {
                Ok(()) => seeds_given |= key == "seeds",
                Err(reason) => ignore(key, reason),
            },
        }
    }
    let seeded = !seeds_given;
    if seeded {
        config.seeds = vec![fresh_seed];
    }
    if inspect >= config.seeds.len() {
        ignore(
            "inspect",
            format!("the experiment has {}, counted from 0, so the largest is {}", count(config.seeds.len(), "seed"), config.seeds.len() - 1),
        );
        inspect = 0;
    }
    Decoded { state: PageState { config, inspect, teacher }, ignored, seeded, fault }
}

#[cfg(test)]
mod tests {
    use super::*;
    use creditlab::advantage::Estimator;
    use creditlab::EstimatorKind;

    fn state(config: TrainConfig) -> PageState {
        PageState { config, inspect: 0, teacher: Teacher::default() }
    }

    fn round_trip(state: &PageState) -> Decoded {
        decode(&encode(state), 999)
    }

    #[test]
    fn a_fault_is_read_once_and_never_written_back() {
        use crate::worker::Fault;
        let d = decode("game=bandit&seeds=1&fault=device-loss@6", 9);
        assert_eq!(d.fault, Some(Fault::DeviceLoss(6)));
        assert!(d.ignored.is_empty());
        assert_eq!(decode("seeds=1&fault=worker-panic@1", 9).fault, Some(Fault::WorkerPanic(1)));
        assert_eq!(encode(&d.state), "game=bandit&seeds=1");
        for bad in ["boom@3", "device-loss@0", "device-loss", "worker-panic@x"] {
            let d = decode(&format!("seeds=1&fault={bad}"), 9);
            assert_eq!(d.fault, None, "{bad}");
            assert_eq!(d.ignored.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["fault"], "{bad}");
        }
    }

    #[test]
    fn default_link_is_short_and_round_trips() {
        let s = state(TrainConfig::default());
        assert_eq!(encode(&s), "game=bandit&seeds=1");
        let back = round_trip(&s);
        assert_eq!(back.state, s);
        assert!(back.ignored.is_empty() && !back.seeded);
    }

    #[test]
    fn a_link_without_seeds_draws_one() {
        let d = decode("game=kuhn&learning_rate=0.01", 4242);
        assert!(d.seeded);
        assert_eq!(d.state.config.seeds, vec![4242]);
        assert_eq!(d.state.config.learning_rate, 0.01);
        assert!(encode(&d.state).contains("seeds=4242"));
    }

    #[test]
    fn ignored_fields_are_named() {
        let d = decode("game=pipeline&learning_rate=fast&game.rounds=99&colour=red&seeds=3&game.size=4", 1);
        let keys: Vec<&str> = d.ignored.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["game.rounds", "game.size", "learning_rate", "colour"]);
        assert_eq!(d.state.config.game.kind(), "pipeline");
        assert_eq!(d.state.config.seeds, vec![3]);
        let message = d.ignored_message().unwrap_or_default();
        assert!(message.contains("learning_rate (“fast” is not a number)"), "{message}");
    }

    #[test]
    fn refusals_are_in_the_pages_words_and_list_what_is_allowed() {
        let reason = |query: &str, key: &str| -> String {
            let d = decode(query, 1);
            let found = d.ignored.iter().find(|i| i.key == key).map(|i| i.reason.clone());
            found.unwrap_or_else(|| panic!("{query}: {key} not ignored: {:?}", d.ignored))
        };
        assert_eq!(reason("seeds=-1", "seeds"), "“-1” is not a whole number ≥ 0");
        assert_eq!(reason("seeds=1.5", "seeds"), "“1.5” is not a whole number ≥ 0");
        let game = reason("game=tictactoe", "game");
        assert!(game.contains("tictactoe") && game.contains("tic-tac-toe") && game.contains("foraging"), "{game}");
        let variant = reason("game=matrix&game.name=chicken", "game.name");
        assert!(variant.contains("climbing") && variant.contains("stag-hunt"), "{variant}");
        let estimator = reason("estimators=grpo-global,∞", "estimators");
        assert!(estimator.starts_with("“∞” is not one of") && estimator.contains("agent-wise"), "{estimator}");
        let lesson = reason("lesson=nope", "lesson");
        assert!(lesson.contains("scales") && lesson.contains("anchors"), "{lesson}");
        assert_eq!(reason("seeds=4&inspect=3", "inspect"), "the experiment has 1 seed, counted from 0, so the largest is 0");
        assert!(reason("seeds=4,5&inspect=3", "inspect").starts_with("the experiment has 2 seeds"));
        // No parser vocabulary leaks into any message of a batch of garbage links.
        for query in ["seeds=-1", "estimators=∞", "updates=1e99", "game=bandit&game.agents.0.scale=x", "learning_rate=[1]",
                      "game=matrix&game.payoffs=[[1]]", "policy=sideways", "ppo_clip=true"] {
            for i in decode(query, 1).ignored {
                for word in ["invalid type", "expected", "variant", "u64", "f32", "line ", "column "] {
                    assert!(!i.reason.contains(word), "{query}: {} says {:?}", i.key, i.reason);
                }
            }
        }
    }

    #[test]
    fn a_parameter_given_twice_uses_the_first_and_says_so() {
        let d = decode("game=kuhn&game=foraging&seeds=1&seeds=2", 9);
        assert_eq!(d.state.config.game.kind(), "kuhn");
        assert_eq!(d.state.config.seeds, vec![1]);
        let keys: Vec<&str> = d.ignored.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["game", "seeds"]);
        assert!(d.ignored[0].reason.contains("more than once") && d.ignored[0].reason.contains("foraging"), "{:?}", d.ignored);
    }

    #[test]
    fn teacher_settings_round_trip() {
        let mut s = state(TrainConfig::default());
        s.teacher = Teacher {
            hide: vec!["builder".into(), "ledger".into()],
            lock: vec!["learning_rate".into(), "estimators".into()],
            lesson: None,
            step: 0,
        };
        s.config.seeds = vec![3, 4];
        s.inspect = 1;
        assert_eq!(round_trip(&s).state, s);
        let d = decode("hide=builder,sidebar&step=2&lock=a b", 1);
        assert_eq!(d.state.teacher.hide, ["builder"]);
        assert_eq!(d.ignored.len(), 3, "{:?}", d.ignored);
    }

    #[test]
    fn every_game_and_matrix_variant_round_trips() {
        let mut games = GameConfig::examples();
        for name in ["penalty", "prisoners-dilemma", "stag-hunt", "matching-pennies", "coordination", "custom"] {
            let value = matrix_variant(name).unwrap_or(Value::Null);
            games.push(serde_json::from_value(value).expect("variant"));
        }
        for game in games {
            let mut config = TrainConfig { game: game.clone(), seeds: vec![5, 6], ..TrainConfig::default() };
            if let GameConfig::Matrix(creditlab::env::matrix::MatrixSpec::Penalty { k }) = &mut config.game {
                *k = 75.0;
            }
            let s = state(config);
            let back = round_trip(&s);
            assert!(back.ignored.is_empty(), "{game:?}: {:?}", back.ignored);
            assert_eq!(back.state, s, "{}", encode(&s));
        }
    }

    /// Every top-level field and every bandit field changed from its default survives the
    /// link (the test walks the config's JSON, so a new field is covered when it is added).
    #[test]
    fn every_field_round_trips() {
        let mut config = TrainConfig {
            estimators: vec![Estimator::Batch(EstimatorKind::Rloo), Estimator::Coma, Estimator::Batch(EstimatorKind::Gigpo)],
            seeds: vec![7, 8, 9],
            updates: 77,
            groups: 3,
            group_size: 5,
            hidden: 17,
            learning_rate: 0.0123,
            agent_learning_rates: Some(vec![0.01, 0.02, 0.5, 0.25]),
            ppo_clip: Some(0.3),
            epochs: 2,
            entropy_coef: 0.01,
            kl_coef: 0.2,
            max_grad_norm: Some(2.5),
            eps: 1e-4,
            mean_only: true,
            rloo_scope: creditlab::advantage::RlooScope::Agent,
            mars_gamma: 0.9,
            gigpo_gamma: 0.5,
            gigpo_omega: 2.0,
            gigpo_mean_std: true,
            gigpo_agent_wise: true,
            difference_baseline: creditlab::advantage::DifferenceBaseline::Expected,
            ..TrainConfig::default()
        };
        if let GameConfig::Bandit(b) = &mut config.game {
            b.arms = 5;
            let mut extra = b.agents[0].clone();
            extra.scale = 1000.0;
            extra.offset = -3.5;
            extra.arm_std = 0.7;
            extra.arm_means = Some(vec![0.1, 0.2, 0.3, 0.4, 0.5]);
            b.agents.push(extra);
            b.agents[1].activation = 1.0;
        }
        config.validate().expect("a valid config");
        let s = state(config.clone());
        let text = encode(&s);
        let back = round_trip(&s);
        assert!(back.ignored.is_empty(), "{text}: {:?}", back.ignored);
        assert_eq!(back.state.config, config, "{text}");
        // Each changed top-level field is in the link.
        let defaults = to_value(&TrainConfig::default());
        for (key, value) in to_value(&config).as_object().into_iter().flatten() {
            if defaults.get(key) != Some(value) {
                assert!(text.split('&').any(|p| p.starts_with(&format!("{key}="))), "{key} missing from {text}");
            }
        }
        // Fewer agents than the default also round-trip.
        let mut two = TrainConfig::default();
        if let GameConfig::Bandit(b) = &mut two.game {
            b.agents.truncate(2);
        }
        assert_eq!(round_trip(&state(two.clone())).state.config, two);
    }

    #[test]
    fn lesson_links_read_against_the_lesson() {
        for lesson in lessons::LESSONS {
            for step in 0..lesson.steps.len() {
                let teacher = Teacher { lesson: Some(lesson.id.into()), step, ..Teacher::default() };
                let preset = base(&teacher, None);
                let s = PageState { config: preset.clone(), inspect: 0, teacher: teacher.clone() };
                let back = round_trip(&s);
                assert_eq!(back.state, s, "{}", encode(&s));
                // The short teacher link (no config parameters) opens the preset.
                let short = decode(&format!("lesson={}&step={}", lesson.id, step + 1), 1);
                assert!(short.ignored.is_empty(), "{:?}", short.ignored);
                assert_eq!(short.state.config, preset);
                // A student's change to the preset is kept.
                let mut changed = s.clone();
                changed.config.learning_rate *= 2.0;
                assert_eq!(round_trip(&changed).state, changed);
            }
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Fields that are valid on their own whatever else the link says, with a valid value.
    fn valid_field() -> impl Strategy<Value = (&'static str, String)> {
        prop_oneof![
            (1u32..=1000).prop_map(|v| ("updates", v.to_string())),
            (1u32..=128).prop_map(|v| ("hidden", v.to_string())),
            (1u32..=8).prop_map(|v| ("epochs", v.to_string())),
            (1e-5f32..1.0).prop_map(|v| ("learning_rate", v.to_string())),
            (0.0f32..=1.0).prop_map(|v| ("entropy_coef", v.to_string())),
            (0.0f32..=1.0).prop_map(|v| ("kl_coef", v.to_string())),
            (0.0f32..=1.0).prop_map(|v| ("mars_gamma", v.to_string())),
            (0.0f32..=1.0).prop_map(|v| ("gigpo_gamma", v.to_string())),
            any::<bool>().prop_map(|v| ("mean_only", v.to_string())),
            prop::sample::select(vec!["episode", "agent", "group"]).prop_map(|v| ("rloo_scope", v.to_string())),
            prop::collection::vec(0u64..1_000_000, 1..5)
                .prop_map(|v| ("seeds", v.iter().map(u64::to_string).collect::<Vec<_>>().join(","))),
        ]
    }

    /// Parameters that must be refused: unknown keys, and known keys (not among the valid
    /// ones above) with values that cannot be right.
    fn bad_field() -> impl Strategy<Value = (String, String)> {
        let junk = "[^&=#%+]{0,12}";
        prop_oneof![
            ("x[a-z]{1,8}", junk).prop_map(|(k, v)| (k, v)),
            (prop::sample::select(vec!["group_size", "groups", "eps", "gigpo_omega", "ppo_clip", "max_grad_norm"]), "[a-z]{1,6}")
                .prop_map(|(k, v)| (k.to_string(), v)),
            prop::sample::select(vec!["-1", "1e9", "NaN", "inf", "2.5x"]).prop_map(|v| ("game.arms".to_string(), v.to_string())),
        ]
    }

    /// Cases per property (`CREDITLAB_FUZZ_CASES` for a long run; 256 in the test command).
    fn cases() -> u32 {
        std::env::var("CREDITLAB_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

        /// A hand-edited link never panics the reader and never loses a valid field: each valid
        /// parameter is applied whatever junk surrounds it, and each bad one is reported.
        #[test]
        fn malformed_links_keep_every_valid_field(
            valid in prop::collection::vec(valid_field(), 0..6),
            bad in prop::collection::vec(bad_field(), 0..6),
            shuffle in any::<u64>(),
        ) {
            // One value per key: the last valid value of a key wins.
            let mut valid_unique: Vec<(&str, String)> = Vec::new();
            for (k, v) in valid {
                valid_unique.retain(|(key, _)| *key != k);
                valid_unique.push((k, v));
            }
            let mut params: Vec<(String, String)> =
                valid_unique.iter().map(|(k, v)| (k.to_string(), v.clone())).chain(bad.iter().cloned()).collect();
            // A deterministic shuffle.
            let n = params.len().max(1);
            params.rotate_left((shuffle as usize) % n);
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &params {
                query.append_pair(k, v);
            }
            let decoded = decode(&query.finish(), 7);
            let got = to_value(&decoded.state.config);
            for (key, text) in &valid_unique {
                let expected = parse_value(&to_value(&TrainConfig::default())[*key], text).expect("valid");
                prop_assert_eq!(&got[*key], &expected, "{} lost", key);
                prop_assert!(!decoded.ignored.iter().any(|i| i.key == *key));
            }
            for (key, _) in &bad {
                prop_assert!(decoded.ignored.iter().any(|i| &i.key == key), "{} not reported", key);
            }
            prop_assert!(decoded.state.config.validate().is_ok());
        }

        /// Any bytes at all: the reader never panics and always yields a valid config.
        #[test]
        fn any_query_reads_to_a_valid_config(query in ".{0,200}") {
            let decoded = decode(&query, 1);
            prop_assert!(decoded.state.config.validate().is_ok());
            // What it read writes back to a link that reads the same.
            let again = decode(&encode(&decoded.state), 2);
            prop_assert_eq!(again.state, decoded.state);
        }
    }
}
