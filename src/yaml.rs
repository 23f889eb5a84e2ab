//! The one place that names the YAML crate.
//!
//! `serde_yaml` is archived upstream. Everything else in pipegen goes through this module, so
//! switching to a maintained fork (for example `serde_yaml_ng`) is a one-line change here.
//! Never `serde_yml`: it is unsound (RUSTSEC-2025-0068).

pub use serde_yaml::{Error, Value};

/// Deserialize a value from YAML text.
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Error> {
    serde_yaml::from_str(text)
}

/// Convert an already-parsed YAML value into a typed value.
pub fn from_value<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, Error> {
    serde_yaml::from_value(value)
}

/// Serialize a value as YAML text.
pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    serde_yaml::to_string(value)
}

/// Where a YAML error happened, as a 1-based line and column, when the parser knows.
pub fn error_location(error: &Error) -> Option<(usize, usize)> {
    error.location().map(|l| (l.line(), l.column()))
}
