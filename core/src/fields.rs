//! Config errors and the one table of config fields: each field's name, meaning, default, range
//! and unit, in one place. Validation checks a value against its field's [`Range`], the CLI's
//! `train --help` prints the table, and the page's builder takes its controls and bounds from it.
//!
//! A leaf module: it knows no game, estimator or trainer.

use std::fmt::Display;

/// A config error that names the offending field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("config field `{field}`: {message}")]
pub struct ConfigError {
    /// Dotted path of the field, e.g. `game.agents[1].activation`.
    pub field: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl ConfigError {
    /// An error about `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// The values a field takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Range {
    /// A whole number in `min..=max`.
    Whole {
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
    },
    /// A finite number in `min..=max`, or `min < x <= max` when `above_min`.
    Real {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
        /// The lower bound itself is refused.
        above_min: bool,
    },
    /// `true` or `false`.
    Flag,
    /// One of these names.
    Choice(&'static [&'static str]),
    /// A list or a table, checked by its config's own code (the doc says what it takes).
    Other,
}

impl Range {
    /// `min..=max`, whole numbers.
    pub const fn whole(min: u64, max: u64) -> Self {
        Range::Whole { min, max }
    }

    /// `min..=max`, any finite number.
    pub const fn real(min: f64, max: f64) -> Self {
        Range::Real { min, max, above_min: false }
    }

    /// `min < x <= max`.
    pub const fn above(min: f64, max: f64) -> Self {
        Range::Real { min, max, above_min: true }
    }

    /// `x >= min`.
    pub const fn at_least(min: f64) -> Self {
        Range::Real { min, max: f64::INFINITY, above_min: false }
    }

    /// Any finite number.
    pub const ANY: Range = Range::Real { min: f64::NEG_INFINITY, max: f64::INFINITY, above_min: false };

    /// The bounds a number control offers, where the range has them.
    pub fn bounds(&self) -> Option<(f64, f64)> {
        match *self {
            Range::Whole { min, max } => Some((min as f64, max as f64)),
            Range::Real { min, max, .. } if min.is_finite() && max.is_finite() => Some((min, max)),
            _ => None,
        }
    }

    /// The range as the help and the error messages write it: `1..=1024`, `> 0, <= 1e6`.
    pub fn text(&self) -> String {
        match *self {
            Range::Whole { min, max } => format!("{min}..={max}"),
            Range::Real { min, max, .. } if min == f64::NEG_INFINITY && max == f64::INFINITY => "any finite number".into(),
            Range::Real { min, max, above_min } if max == f64::INFINITY => {
                format!("{} {}", if above_min { ">" } else { ">=" }, number(min))
            }
            Range::Real { min, max, above_min: false } => format!("{}..={}", number(min), number(max)),
            Range::Real { min, max, above_min: true } => format!("> {}, <= {}", number(min), number(max)),
            Range::Flag => "true or false".into(),
            Range::Choice(names) => names.join(", "),
            Range::Other => String::new(),
        }
    }
}

/// `1e6` rather than `1000000`, `0.5` as it is.
fn number(v: f64) -> String {
    if v.abs() >= 1e5 && v == v.trunc() {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// One config field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field {
    /// Its path inside its config (`updates`, `size`, `agents[k].scale`).
    pub name: &'static str,
    /// A label for the page's control.
    pub label: &'static str,
    /// What it means.
    pub doc: &'static str,
    /// Its default, as JSON (`8`, `"separate"`, `null`).
    pub default: &'static str,
    /// The values it takes.
    pub range: Range,
    /// The unit of a number, if any (`updates`, `episodes`).
    pub unit: &'static str,
    /// `null` is allowed and means "off" (ppo_clip, max_grad_norm).
    pub optional: bool,
    /// The value is a list whose every element is in `range` (`agent_learning_rates`).
    pub list: bool,
    /// The span a slider offers where the range is wider than one can slide through (penalty
    /// k: any finite number, slid over 0..=100); the typed value may go beyond it.
    pub slider: Option<(f64, f64)>,
}

impl Field {
    /// A field with no unit that cannot be off.
    pub const fn new(name: &'static str, label: &'static str, default: &'static str, range: Range, doc: &'static str) -> Self {
        Self { name, label, doc, default, range, unit: "", optional: false, list: false, slider: None }
    }

    /// The same field with a unit.
    pub const fn unit(self, unit: &'static str) -> Self {
        Self { unit, ..self }
    }

    /// The same field with a slider over `lo..=hi` (inside its range).
    pub const fn slider(self, lo: f64, hi: f64) -> Self {
        Self { slider: Some((lo, hi)), ..self }
    }

    /// The same field as a list of values, each in its range.
    pub const fn list(self) -> Self {
        Self { list: true, ..self }
    }

    /// The same field, allowed to be `null` (off).
    pub const fn optional(self) -> Self {
        Self { optional: true, ..self }
    }

    /// The field's path under `prefix` (`game` + `size` = `game.size`; no prefix: the name).
    pub fn path(&self, prefix: &str) -> String {
        if prefix.is_empty() { self.name.to_string() } else { format!("{prefix}.{}", self.name) }
    }

    /// Checks a whole number against the range.
    pub fn check_whole(&self, prefix: &str, value: impl Into<u64> + Display + Copy) -> Result<(), ConfigError> {
        let v: u64 = value.into();
        match self.range {
            Range::Whole { min, max } if v < min || v > max => {
                Err(ConfigError::new(self.path(prefix), format!("{value} is out of range {}", self.range.text())))
            }
            _ => Ok(()),
        }
    }

    /// Checks a number against the range (and that it is finite).
    pub fn check_real(&self, prefix: &str, value: f32) -> Result<(), ConfigError> {
        self.check_real_at(&self.path(prefix), value)
    }

    /// [`Field::check_real`] for one element of the field (`agent_learning_rates[1]`),
    /// named by its whole path.
    pub fn check_real_at(&self, path: &str, value: f32) -> Result<(), ConfigError> {
        check_finite(path, value)?;
        let v = f64::from(value);
        match self.range {
            Range::Real { min, max, above_min } if v < min || v > max || (above_min && v == min) => {
                let off = if self.optional { " (or null for off)" } else { "" };
                Err(ConfigError::new(path, format!("{value} is out of range {}{off}", self.range.text())))
            }
            _ => Ok(()),
        }
    }

    /// The field's line in the help: its meaning, then its range and unit.
    pub fn describe(&self) -> String {
        let range = self.range.text();
        let mut out = self.doc.to_string();
        if self.list && !range.is_empty() {
            out.push_str(&format!(" (a list, each {range}{}{})", if self.unit.is_empty() { "" } else { " " }, self.unit));
        } else if !range.is_empty() && !matches!(self.range, Range::Flag | Range::Choice(_)) {
            out.push_str(&format!(" ({range}{}{})", if self.unit.is_empty() { "" } else { " " }, self.unit));
        } else if let Range::Choice(names) = self.range {
            out.push_str(&format!(" (one of {})", names.join(", ")));
        }
        if self.optional {
            out.push_str("; null = off");
        }
        out
    }
}

/// Refuses a number that is not finite.
pub fn check_finite(field: &str, value: f32) -> Result<(), ConfigError> {
    if !value.is_finite() {
        return Err(ConfigError::new(field, format!("{value} is not a finite number")));
    }
    Ok(())
}

/// The field called `name` in `fields`.
pub fn find<'a>(fields: &'a [Field], name: &str) -> Option<&'a Field> {
    fields.iter().find(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_refuse_by_name_and_say_what_is_allowed() {
        let f = Field::new("group_size", "group size", "8", Range::whole(1, 1024), "episodes per group");
        assert!(f.check_whole("", 1u32).is_ok() && f.check_whole("", 1024u32).is_ok());
        let err = f.check_whole("", 5000u32).expect_err("out of range");
        assert_eq!((err.field.as_str(), err.message.as_str()), ("group_size", "5000 is out of range 1..=1024"));
        let lr = Field::new("learning_rate", "learning rate", "0.003", Range::above(0.0, 1e6), "Adam's step");
        assert_eq!(lr.check_real("", 0.0).expect_err("zero").message, "0 is out of range > 0, <= 1e6");
        assert!(lr.check_real("", f32::NAN).expect_err("nan").message.contains("not a finite number"));
        let size = Field::new("size", "grid size", "5", Range::whole(3, 8), "grid side");
        assert_eq!(size.check_whole("game", 2u32).expect_err("small").field, "game.size");
        assert_eq!(size.describe(), "grid side (3..=8)");
    }
}
