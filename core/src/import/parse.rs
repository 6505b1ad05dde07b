//! The import format: a logged batch (or many: one per training `step`) from a real
//! multi-agent RL run, as JSONL (one sample per line), a JSON array of sample objects, or CSV
//! with a header line. The layout is told by the first byte that is not white space: `[` a
//! JSON array, `{` JSONL, anything else CSV.
//!
//! Per sample (names, then the aliases the common frameworks' dumps use):
//!
//! | field | aliases | value |
//! |---|---|---|
//! | `group` (required) | `uid`, `group_id`, `prompt_uid`, `prompt_id` | string or integer: GRPO's prompt uid |
//! | `episode` (required) | `traj_uid`, `trajectory`, `trajectory_id`, `episode_id`, `rollout_id` | string or integer |
//! | `agent` (required) | `agent_id`, `agent_name`, `role` | string or integer |
//! | `reward` (required) | `score`, `rewards`, `return` | finite number |
//! | `turn` | `turn_id`, `turn_idx` | non-negative integer; by default the sample's order in its episode |
//! | `anchor` | `anchor_obs`, `anchor_state` | string or integer: GiGPO's anchor state |
//! | `advantage` | `advantages`, `adv` | finite number, or the per-token values of one response (all equal) |
//! | `tokens` | `response_length`, `response_len`, `num_tokens` | non-negative integer |
//! | `step` | `global_step`, `training_step`, `iteration` | non-negative integer (default 0) |
//!
//! A line (or object, or row) with `grad_norm` (`gradient_norm`, `grad_norm_pre_clip`) and no
//! reward is a logged gradient norm: `step` and `agent` say whose. Other fields are kept out
//! and listed as ignored. The parser is fed chunks of bytes ([`Importer::push`]) and keeps one
//! line or object at a time, so memory grows with the samples, not the file.

use std::collections::HashMap;

use serde_json::Value;

/// The most samples one import holds (about 50 bytes each in memory).
pub const MAX_SAMPLES: usize = 5_000_000;
/// The longest line, JSON object or CSV row accepted.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// Why an import was refused: the line (1-based) and, where one is at fault, the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[error("{}", self.describe())]
pub struct ImportError {
    /// 1-based line of the file (0: the file as a whole).
    pub line: u64,
    /// The field at fault, by its name in the file.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl ImportError {
    fn new(line: u64, field: Option<&str>, message: impl Into<String>) -> Self {
        Self { line, field: field.map(str::to_string), message: message.into() }
    }

    fn describe(&self) -> String {
        match (self.line, &self.field) {
            (0, None) => self.message.clone(),
            (0, Some(f)) => format!("field `{f}`: {}", self.message),
            (l, None) => format!("line {l}: {}", self.message),
            (l, Some(f)) => format!("line {l}, field `{f}`: {}", self.message),
        }
    }
}

/// How the file was laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// One JSON object per line.
    Jsonl,
    /// One JSON array of objects.
    JsonArray,
    /// A header line, then one row per sample.
    Csv,
}

/// The fields of the format, each with its aliases (the name first).
pub const FIELDS: &[(&str, &[&str])] = &[
    ("group", &["group", "uid", "group_id", "prompt_uid", "prompt_id"]),
    ("episode", &["episode", "traj_uid", "trajectory", "trajectory_id", "episode_id", "rollout_id"]),
    ("agent", &["agent", "agent_id", "agent_name", "role"]),
    ("reward", &["reward", "score", "rewards", "return"]),
    ("turn", &["turn", "turn_id", "turn_idx"]),
    ("anchor", &["anchor", "anchor_obs", "anchor_state"]),
    ("advantage", &["advantage", "advantages", "adv"]),
    ("tokens", &["tokens", "response_length", "response_len", "num_tokens"]),
    ("step", &["step", "global_step", "training_step", "iteration"]),
    ("grad_norm", &["grad_norm", "gradient_norm", "grad_norm_pre_clip"]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Group,
    Episode,
    Agent,
    Reward,
    Turn,
    Anchor,
    Advantage,
    Tokens,
    Step,
    GradNorm,
}

const FIELD_ORDER: [Field; 10] = [
    Field::Group,
    Field::Episode,
    Field::Agent,
    Field::Reward,
    Field::Turn,
    Field::Anchor,
    Field::Advantage,
    Field::Tokens,
    Field::Step,
    Field::GradNorm,
];

fn field_of(name: &str) -> Option<Field> {
    FIELDS.iter().position(|(_, aliases)| aliases.contains(&name)).map(|i| FIELD_ORDER[i])
}

/// Names interned in order of first appearance.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Names {
    /// Every name, by id.
    pub names: Vec<String>,
    #[serde(skip)]
    ids: HashMap<String, u32>,
}

impl Names {
    /// The id of `name`, adding it if new.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }

    /// The name of `id`.
    pub fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("?", String::as_str)
    }

    /// How many names.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// No names.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// One imported sample, its names interned (ids into [`ImportedRun`]'s name tables).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImportedSample {
    /// The training step it belongs to.
    pub step: u32,
    /// Its group (GRPO's prompt uid).
    pub group: u32,
    /// Its episode (trajectory).
    pub episode: u32,
    /// Its agent.
    pub agent: u32,
    /// Its turn: the file's, or else its order in its episode.
    pub turn: u32,
    /// Its reward.
    pub reward: f32,
    /// Its anchor state, where given.
    pub anchor: Option<u32>,
    /// The framework's own advantage, where given.
    pub advantage: Option<f32>,
    /// The response's length in tokens, where given.
    pub tokens: Option<u32>,
    /// The line it was read from (1-based).
    pub line: u32,
}

/// A logged gradient norm: agent `agent` at step `step`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LoggedNorm {
    /// The training step.
    pub step: u32,
    /// The agent (id into the agents' names).
    pub agent: u32,
    /// The pre-clip gradient norm.
    pub norm: f32,
}

/// A parsed file.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImportedRun {
    /// Every sample, in file order.
    pub samples: Vec<ImportedSample>,
    /// Group names.
    pub groups: Names,
    /// Episode names.
    pub episodes: Names,
    /// Agent names.
    pub agents: Names,
    /// Anchor states.
    pub anchors: Names,
    /// Logged gradient norms.
    pub norms: Vec<LoggedNorm>,
    /// Fields present in the file that the format does not use (at most 20).
    pub ignored_fields: Vec<String>,
}

/// A field's raw value, from JSON or from a CSV cell.
enum Raw<'a> {
    Json(&'a Value),
    Cell(&'a str),
}

impl Raw<'_> {
    fn is_null(&self) -> bool {
        match self {
            Raw::Json(v) => v.is_null(),
            Raw::Cell(s) => s.trim().is_empty(),
        }
    }

    fn shown(&self) -> String {
        let text = match self {
            Raw::Json(v) => v.to_string(),
            Raw::Cell(s) => format!("{s:?}"),
        };
        if text.chars().count() > 40 { format!("{}…", text.chars().take(40).collect::<String>()) } else { text }
    }

    /// A name: a string or an integer.
    fn name(&self) -> Result<String, String> {
        match self {
            Raw::Json(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Raw::Json(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
            Raw::Json(Value::Number(n)) if n.as_f64().is_some_and(|f| f.fract() == 0.0 && f.abs() < 9e15) => {
                Ok(format!("{}", n.as_f64().unwrap_or_default() as i64))
            }
            Raw::Cell(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
            other => Err(format!("must be a string or an integer, got {}", other.shown())),
        }
    }

    fn number(&self) -> Result<f64, String> {
        let value = match self {
            Raw::Json(Value::Number(n)) => n.as_f64(),
            Raw::Cell(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        value
            .filter(|v| v.is_finite() && v.abs() <= f64::from(f32::MAX))
            .ok_or_else(|| format!("must be a finite number, got {}", self.shown()))
    }

    fn count(&self) -> Result<u32, String> {
        let value = match self {
            Raw::Json(Value::Number(n)) => n.as_u64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0).map(|f| f as u64)),
            Raw::Cell(s) => {
                let s = s.trim();
                s.parse::<u64>().ok().or_else(|| s.parse::<f64>().ok().filter(|f| f.fract() == 0.0 && *f >= 0.0).map(|f| f as u64))
            }
            _ => None,
        };
        value
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| format!("must be a non-negative integer below 2^32, got {}", self.shown()))
    }

    /// An advantage: a number, or a response's per-token values (all equal: one advantage
    /// broadcast to its tokens, as verl and TRL log them).
    fn advantage(&self) -> Result<f64, String> {
        if let Raw::Json(Value::Array(items)) = self {
            let values: Option<Vec<f64>> = items.iter().map(|v| v.as_f64().filter(|f| f.is_finite())).collect();
            let values = values.ok_or_else(|| format!("per-token values must all be finite numbers, got {}", self.shown()))?;
            let first = *values.first().ok_or("is an empty list")?;
            if values.iter().any(|v| (v - first).abs() > 1e-6 * first.abs().max(1.0)) {
                return Err("per-token values differ within one response: the lab compares one advantage per sample (a response's, broadcast to its tokens)".into());
            }
            return Ok(first);
        }
        self.number()
    }
}

/// Streaming reader of an import file: feed it chunks with [`push`](Self::push), then
/// [`finish`](Self::finish).
#[derive(Debug)]
pub struct Importer {
    layout: Option<Layout>,
    run: ImportedRun,
    /// Bytes of the record being read.
    pending: Vec<u8>,
    /// 1-based line of the next byte.
    line: u64,
    /// Line where the pending record starts.
    record_line: u64,
    bytes: u64,
    /// JSON array: nesting depth, inside a string, after a backslash, the closing `]` seen.
    depth: u32,
    in_string: bool,
    escaped: bool,
    closed: bool,
    /// CSV: the header's fields by column (None: ignored).
    columns: Option<Vec<(String, Option<Field>)>>,
    csv_reader: csv_core::Reader,
    has_advantage: Option<(bool, u64)>,
    /// Per (step, episode): the next turn when the file gives none.
    next_turn: HashMap<(u32, u32), u32>,
    /// Per (step, episode): its group (an episode belongs to one group).
    episode_group: HashMap<(u32, u32), (u32, u64)>,
}

impl Default for Importer {
    fn default() -> Self {
        Self::new()
    }
}

impl Importer {
    /// A reader at the start of a file.
    pub fn new() -> Self {
        Self {
            layout: None,
            run: ImportedRun::default(),
            pending: Vec::new(),
            line: 1,
            record_line: 1,
            bytes: 0,
            depth: 0,
            in_string: false,
            escaped: false,
            closed: false,
            columns: None,
            csv_reader: csv_core::Reader::new(),
            has_advantage: None,
            next_turn: HashMap::new(),
            episode_group: HashMap::new(),
        }
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    /// Samples read so far.
    pub fn samples_read(&self) -> usize {
        self.run.samples.len()
    }

    /// The layout, once the first byte that is not white space has been read.
    pub fn layout(&self) -> Option<Layout> {
        self.layout
    }

    /// Reads the next chunk of the file.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), ImportError> {
        for &byte in chunk {
            self.bytes += 1;
            self.byte(byte)?;
            if byte == b'\n' {
                self.line += 1;
            }
        }
        Ok(())
    }

    fn binary(&self, byte: u8) -> ImportError {
        ImportError::new(self.line, None, format!("byte 0x{byte:02x} is not text: the file looks binary, not JSONL, JSON or CSV"))
    }

    fn byte(&mut self, byte: u8) -> Result<(), ImportError> {
        if byte == 0 || (byte < 0x20 && !matches!(byte, b'\n' | b'\r' | b'\t')) {
            return Err(self.binary(byte));
        }
        let layout = match self.layout {
            Some(layout) => layout,
            None if byte.is_ascii_whitespace() => return Ok(()),
            None if byte == 0xEF || byte == 0xBB || byte == 0xBF => return Ok(()), // a UTF-8 byte-order mark
            None => {
                let layout = match byte {
                    b'[' => Layout::JsonArray,
                    b'{' => Layout::Jsonl,
                    _ => Layout::Csv,
                };
                self.layout = Some(layout);
                if layout == Layout::JsonArray {
                    self.depth = 1;
                    return Ok(());
                }
                layout
            }
        };
        match layout {
            Layout::Jsonl | Layout::Csv => {
                if byte == b'\n' {
                    let record = std::mem::take(&mut self.pending);
                    self.record(&record)?;
                    self.pending = record;
                    self.pending.clear();
                    self.record_line = self.line + 1;
                } else {
                    self.keep(byte)?;
                }
                Ok(())
            }
            Layout::JsonArray => self.array_byte(byte),
        }
    }

    fn keep(&mut self, byte: u8) -> Result<(), ImportError> {
        if self.pending.len() >= MAX_RECORD_BYTES {
            return Err(ImportError::new(
                self.record_line,
                None,
                format!("a record longer than {} MB: is this a file of samples?", MAX_RECORD_BYTES >> 20),
            ));
        }
        self.pending.push(byte);
        Ok(())
    }

    fn array_byte(&mut self, byte: u8) -> Result<(), ImportError> {
        if self.closed {
            return if byte.is_ascii_whitespace() {
                Ok(())
            } else {
                Err(ImportError::new(self.line, None, "text after the closing `]` of the array"))
            };
        }
        if self.depth >= 2 {
            self.keep(byte)?;
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if byte == b'\\' {
                    self.escaped = true;
                } else if byte == b'"' {
                    self.in_string = false;
                }
                return Ok(());
            }
            match byte {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth -= 1;
                    if self.depth == 1 {
                        let record = std::mem::take(&mut self.pending);
                        self.record(&record)?;
                        self.pending = record;
                        self.pending.clear();
                    }
                }
                _ => {}
            }
            return Ok(());
        }
        match byte {
            b'{' => {
                self.depth = 2;
                self.record_line = self.line;
                self.keep(byte)
            }
            b']' => {
                self.closed = true;
                Ok(())
            }
            b',' => Ok(()),
            b if b.is_ascii_whitespace() => Ok(()),
            other => Err(ImportError::new(
                self.line,
                None,
                format!("expected a sample object `{{…}}` in the array, found `{}`", char::from(other)),
            )),
        }
    }

    /// Ends the file: the last line, then the checks that need the whole file.
    pub fn finish(mut self) -> Result<ImportedRun, ImportError> {
        match self.layout {
            None => return Err(ImportError::new(0, None, "the file is empty")),
            Some(Layout::JsonArray) => {
                if !self.closed {
                    return Err(ImportError::new(self.line, None, "the JSON array is not closed (a missing `]` or `}`: is the file cut short?)"));
                }
            }
            Some(_) => {
                let record = std::mem::take(&mut self.pending);
                self.record(&record)?;
            }
        }
        if self.run.samples.is_empty() {
            return Err(ImportError::new(0, None, "the file holds no samples"));
        }
        Ok(self.run)
    }

    /// One line, object or row.
    fn record(&mut self, bytes: &[u8]) -> Result<(), ImportError> {
        let line = self.record_line;
        let text = std::str::from_utf8(bytes).map_err(|e| {
            ImportError::new(line, None, format!("not UTF-8 text at byte {} of the line: the file looks binary", e.valid_up_to() + 1))
        })?;
        let text = text.trim_end_matches('\r');
        if text.trim().is_empty() {
            return Ok(());
        }
        match self.layout {
            Some(Layout::Csv) => self.csv_row(text, line),
            _ => {
                let value: Value = serde_json::from_str(text).map_err(|e| {
                    let message = e.to_string();
                    ImportError::new(line + e.line().saturating_sub(1) as u64, None, format!("not a JSON object: {message}"))
                })?;
                let Value::Object(object) = value else {
                    return Err(ImportError::new(line, None, "each sample must be a JSON object `{…}`"));
                };
                let mut fields: Vec<(Field, &str, Raw<'_>)> = Vec::with_capacity(8);
                let mut ignored = Vec::new();
                for (key, value) in &object {
                    match field_of(key) {
                        Some(field) => fields.push((field, key.as_str(), Raw::Json(value))),
                        None => ignored.push(key.clone()),
                    }
                }
                self.note_ignored(ignored);
                self.sample(&fields, line)
            }
        }
    }

    fn note_ignored(&mut self, names: Vec<String>) {
        for name in names {
            if self.run.ignored_fields.len() < 20 && !self.run.ignored_fields.contains(&name) {
                self.run.ignored_fields.push(name);
            }
        }
    }

    fn csv_cells(&mut self, text: &str, line: u64) -> Result<Vec<String>, ImportError> {
        let mut input = text.as_bytes();
        let mut output = vec![0u8; text.len() + 1];
        let mut ends = vec![0usize; text.len() + 2];
        let (mut out_len, mut ends_len) = (0, 0);
        self.csv_reader.reset();
        loop {
            let (result, read, written, ended) = self.csv_reader.read_record(input, &mut output[out_len..], &mut ends[ends_len..]);
            input = &input[read..];
            out_len += written;
            ends_len += ended;
            match result {
                // The row's end is the end of the line: an empty input tells the reader so.
                csv_core::ReadRecordResult::InputEmpty => {}
                csv_core::ReadRecordResult::Record | csv_core::ReadRecordResult::End => break,
                csv_core::ReadRecordResult::OutputFull | csv_core::ReadRecordResult::OutputEndsFull => {
                    return Err(ImportError::new(line, None, "a CSV row the reader could not split"));
                }
            }
        }
        let mut cells = Vec::with_capacity(ends_len);
        let mut start = 0;
        for &end in &ends[..ends_len] {
            cells.push(String::from_utf8_lossy(&output[start..end]).into_owned());
            start = end;
        }
        Ok(cells)
    }

    fn csv_row(&mut self, text: &str, line: u64) -> Result<(), ImportError> {
        let cells = self.csv_cells(text, line)?;
        let Some(columns) = &self.columns else {
            let mut columns: Vec<(String, Option<Field>)> = Vec::with_capacity(cells.len());
            let mut ignored = Vec::new();
            for cell in cells {
                let name = cell.trim().trim_start_matches('\u{feff}').to_string();
                let field = field_of(&name);
                if field.is_none() {
                    ignored.push(name.clone());
                }
                columns.push((name, field));
            }
            if !columns.iter().any(|(_, f)| *f == Some(Field::Reward) || *f == Some(Field::GradNorm)) {
                return Err(ImportError::new(
                    line,
                    Some("reward"),
                    "the CSV header names no `reward` column (is this a file of samples? JSONL and JSON start with `{` or `[`)",
                ));
            }
            self.note_ignored(ignored);
            self.columns = Some(columns);
            return Ok(());
        };
        if cells.len() != columns.len() {
            return Err(ImportError::new(line, None, format!("{} cells where the header has {} columns", cells.len(), columns.len())));
        }
        let columns = columns.clone();
        let fields: Vec<(Field, &str, Raw<'_>)> = columns
            .iter()
            .zip(&cells)
            .filter_map(|((name, field), cell)| field.map(|f| (f, name.as_str(), Raw::Cell(cell.as_str()))))
            .collect();
        self.sample(&fields, line)
    }

    fn sample(&mut self, fields: &[(Field, &str, Raw<'_>)], line: u64) -> Result<(), ImportError> {
        let mut found: [Option<(&str, &Raw<'_>)>; 10] = [None; 10];
        for (field, name, raw) in fields {
            let slot = &mut found[FIELD_ORDER.iter().position(|f| f == field).unwrap_or(0)];
            if let Some((other, _)) = slot {
                return Err(ImportError::new(line, Some(name), format!("`{other}` and `{name}` both give the sample's {}", FIELDS[FIELD_ORDER.iter().position(|f| f == field).unwrap_or(0)].0)));
            }
            if !raw.is_null() {
                *slot = Some((name, raw));
            }
        }
        let get = |field: Field| found[FIELD_ORDER.iter().position(|f| *f == field).unwrap_or(0)];
        let fail = |name: &str, message: String| ImportError::new(line, Some(name), message);
        let step = match get(Field::Step) {
            Some((name, raw)) => raw.count().map_err(|m| fail(name, m))?,
            None => 0,
        };
        if get(Field::Reward).is_none() {
            if let Some((name, raw)) = get(Field::GradNorm) {
                let norm = raw.number().map_err(|m| fail(name, m))?;
                let (agent_field, agent) = get(Field::Agent).ok_or_else(|| fail("agent", "a gradient-norm record must name its agent".into()))?;
                let agent = agent.name().map_err(|m| fail(agent_field, m))?;
                let agent = self.run.agents.intern(&agent);
                self.run.norms.push(LoggedNorm { step, agent, norm: norm as f32 });
                return Ok(());
            }
        }
        let required = |field: Field| get(field).ok_or_else(|| fail(FIELDS[FIELD_ORDER.iter().position(|f| *f == field).unwrap_or(0)].0, "is missing".into()));
        let (name, raw) = required(Field::Group)?;
        let group = self.run.groups.intern(&raw.name().map_err(|m| fail(name, m))?);
        let (name, raw) = required(Field::Episode)?;
        let episode = self.run.episodes.intern(&raw.name().map_err(|m| fail(name, m))?);
        let (name, raw) = required(Field::Agent)?;
        let agent = self.run.agents.intern(&raw.name().map_err(|m| fail(name, m))?);
        let (name, raw) = required(Field::Reward)?;
        let reward = raw.number().map_err(|m| fail(name, m))? as f32;
        let turn = match get(Field::Turn) {
            Some((name, raw)) => Some(raw.count().map_err(|m| fail(name, m))?),
            None => None,
        };
        let anchor = match get(Field::Anchor) {
            Some((name, raw)) => Some(self.run.anchors.intern(&raw.name().map_err(|m| fail(name, m))?)),
            None => None,
        };
        let advantage = match get(Field::Advantage) {
            Some((name, raw)) => Some(raw.advantage().map_err(|m| fail(name, m))? as f32),
            None => None,
        };
        let tokens = match get(Field::Tokens) {
            Some((name, raw)) => Some(raw.count().map_err(|m| fail(name, m))?),
            None => None,
        };
        match self.has_advantage {
            None => self.has_advantage = Some((advantage.is_some(), line)),
            Some((had, first)) if had != advantage.is_some() => {
                return Err(fail(
                    "advantage",
                    if had {
                        "is missing, while the samples before it have one (give every sample its advantage, or none)".into()
                    } else {
                        format!("is given here but not on line {first}: give every sample its advantage, or none")
                    },
                ));
            }
            Some(_) => {}
        }
        match self.episode_group.get(&(step, episode)) {
            Some(&(g, first)) if g != group => {
                return Err(fail(
                    get(Field::Episode).map_or("episode", |f| f.0),
                    format!(
                        "episode `{}` is in group `{}` here but in group `{}` on line {first}: an episode belongs to one group",
                        self.run.episodes.name(episode),
                        self.run.groups.name(group),
                        self.run.groups.name(g)
                    ),
                ));
            }
            Some(_) => {}
            None => {
                self.episode_group.insert((step, episode), (group, line));
            }
        }
        if self.run.samples.len() >= MAX_SAMPLES {
            return Err(ImportError::new(line, None, format!("more than {MAX_SAMPLES} samples: the lab analyses at most that many at once (split the file by step)")));
        }
        let order = self.next_turn.entry((step, episode)).or_insert(0);
        let turn = turn.unwrap_or(*order);
        *order += 1;
        let line = u32::try_from(line).unwrap_or(u32::MAX);
        self.run.samples.push(ImportedSample { step, group, episode, agent, turn, reward, anchor, advantage, tokens, line });
        Ok(())
    }
}

/// Why reading a file through [`read_from`] stopped: the reader failed, or the content was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The reader failed.
    #[error("cannot read it: {0}")]
    Io(#[from] std::io::Error),
    /// The content was refused.
    #[error(transparent)]
    Import(#[from] ImportError),
}

/// Reads `reader` to its end in chunks of 1 MB through an [`Importer`] (the CLI, the Python
/// package); `progress(importer)` is called after each chunk.
pub fn read_from(mut reader: impl std::io::Read, mut progress: impl FnMut(&Importer)) -> Result<ImportedRun, ReadError> {
    let mut importer = Importer::new();
    let mut chunk = vec![0u8; 1 << 20];
    loop {
        let read = reader.read(&mut chunk)?;
        if read == 0 {
            break;
        }
        importer.push(&chunk[..read])?;
        progress(&importer);
    }
    Ok(importer.finish()?)
}

/// Parses a whole file held in memory (the CLI, tests); see [`Importer`].
pub fn parse(bytes: &[u8]) -> Result<ImportedRun, ImportError> {
    let mut importer = Importer::new();
    importer.push(bytes)?;
    importer.finish()
}
