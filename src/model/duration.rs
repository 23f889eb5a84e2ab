//! Durations as models write them: `30s`, `5m`, `1h30m`.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::patterns;

/// A whole number of seconds, written and displayed as `1h30m`, `5m`, `45s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    secs: u64,
}

/// Why a duration could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration `{text}`: {reason}")]
pub struct DurationError {
    pub text: String,
    pub reason: &'static str,
}

impl Duration {
    pub const fn from_secs(secs: u64) -> Self {
        Duration { secs }
    }

    pub const fn as_secs(self) -> u64 {
        self.secs
    }

    /// Whole minutes, rounded up (GitHub's `timeout-minutes` counts minutes).
    pub const fn as_minutes_ceil(self) -> u64 {
        self.secs.div_ceil(60)
    }

    /// Parse `1h30m`, `5m`, `45s`: units in the order h, m, s, each at most once.
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        let err = |reason| DurationError { text: text.to_string(), reason };
        if text.is_empty() {
            return Err(err("it is empty; write e.g. `30s`, `5m` or `1h30m`"));
        }
        let mut secs: u64 = 0;
        let mut digits = String::new();
        let mut last_unit_rank = 0;
        for c in text.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let (rank, factor) = match c {
                'h' => (1, 3600),
                'm' => (2, 60),
                's' => (3, 1),
                _ => return Err(err("use a number followed by a unit (h, m, s), e.g. `30s`, `5m`, `1h30m`")),
            };
            if digits.is_empty() {
                return Err(err("each unit needs a number before it, e.g. `30s`"));
            }
            if rank <= last_unit_rank {
                return Err(err("units must appear once each, in the order h, m, s"));
            }
            last_unit_rank = rank;
            let value: u64 = digits.parse().map_err(|_| err("the number is too large"))?;
            secs = value
                .checked_mul(factor)
                .and_then(|v| secs.checked_add(v))
                .ok_or_else(|| err("the number is too large"))?;
            digits.clear();
        }
        if !digits.is_empty() {
            return Err(err("the number needs a unit (h, m, s), e.g. `30s`"));
        }
        Ok(Duration { secs })
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (h, m, s) = (self.secs / 3600, self.secs / 60 % 60, self.secs % 60);
        if self.secs == 0 {
            return f.write_str("0s");
        }
        if h > 0 {
            write!(f, "{h}h")?;
        }
        if m > 0 {
            write!(f, "{m}m")?;
        }
        if s > 0 {
            write!(f, "{s}s")?;
        }
        Ok(())
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Duration::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A duration: a number and a unit, hours, minutes and seconds in that order (`30s`, `5m`, `1h30m`).",
            "pattern": patterns::DURATION,
            "examples": ["30s", "5m", "1h30m"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_combinations() {
        assert_eq!(Duration::parse("30s").unwrap().as_secs(), 30);
        assert_eq!(Duration::parse("5m").unwrap().as_secs(), 300);
        assert_eq!(Duration::parse("1h30m").unwrap().as_secs(), 5400);
        assert_eq!(Duration::parse("1h0m5s").unwrap().as_secs(), 3605);
    }

    #[test]
    fn rejects_malformed_text() {
        for bad in ["", "5", "m", "5 m", "1m1h", "1m1m", "5min", "-5s", "99999999999999999999h"] {
            assert!(Duration::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    /// The schema's pattern takes the durations pipegen takes (up to its nine digits a unit):
    /// none of zero, which every duration of the model, a timeout or an interval, refuses.
    #[test]
    fn the_schema_takes_the_same_durations() {
        let values = [
            "0s",
            "0m",
            "0h",
            "00s",
            "0h0m0s",
            "0h0s",
            "0m0s",
            "000000000h",
            "1s",
            "0h1s",
            "0h0m1s",
            "10s",
            "1h0m",
            "100m",
            "0h10m",
            "5",
            "s",
            "1m1h",
            "",
            "999999999h",
        ];
        for value in values {
            let pipegen = Duration::parse(value).is_ok_and(|d| d.as_secs() > 0);
            assert_eq!(patterns::matches(patterns::DURATION, value), pipegen, "{value:?}");
        }
    }

    #[test]
    fn displays_canonically() {
        assert_eq!(Duration::from_secs(5400).to_string(), "1h30m");
        assert_eq!(Duration::from_secs(61).to_string(), "1m1s");
        assert_eq!(Duration::from_secs(0).to_string(), "0s");
    }

    #[test]
    fn minutes_round_up() {
        assert_eq!(Duration::from_secs(61).as_minutes_ceil(), 2);
        assert_eq!(Duration::from_secs(60).as_minutes_ceil(), 1);
    }
}
