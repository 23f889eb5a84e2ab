//! The one place that reads and writes YAML.
//!
//! Reading goes through `serde_yaml`, which is archived upstream: everything else in pipegen
//! goes through this module, so switching to a maintained fork (for example `serde_yaml_ng`)
//! is a one-line change here. Never `serde_yml`: it is unsound (RUSTSEC-2025-0068).
//!
//! Writing is pipegen's own: a serde serializer that writes block-style YAML in one pass
//! ([`writer`]), choosing for each string a style that YAML 1.1 readers (GitLab's Psych) and
//! YAML 1.2 readers (GitHub, serde_yaml) read back as exactly that string ([`scalar`],
//! [`resolve`]), and writing comments where a value asks for them ([`Commented`]).

mod comment;
mod plain;
mod quoted;
mod resolve;
mod scalar;
mod share;
pub mod tree_size;
mod writer;

pub use comment::{Commented, unfit_for_comment};
pub use plain::{integer_past_64_bits, leading_zero_digits, plain_scalar_value};
pub use quoted::DoubleQuoted;
pub(crate) use resolve::reads_as_non_string;
pub use scalar::is_invisible;
pub use serde_yaml::{Error, Mapping, Value};
pub use share::{MIN_SHARED_BYTES, share_repeated_nodes};

/// Deserialize a value from YAML text.
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Error> {
    serde_yaml::from_str(text)
}

/// Convert an already-parsed YAML value into a typed value.
pub fn from_value<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, Error> {
    serde_yaml::from_value(value)
}

/// Serialize a value as block-style YAML that YAML 1.1 and 1.2 readers read the same way.
///
/// Every string, key or value, is written so that both versions read it back as that string:
/// `'yes'`, `'1_000'`, `'2024-01-01'`, `"tab\there"`. The one exception is a struct field named
/// `on`, GitHub's trigger key, which stays plain as GitHub documents it (a YAML 1.1 reader
/// would see `true`); a map key `on`, which can come from a model, is quoted.
pub fn to_string<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, WriteError> {
    to_string_measured(value).map(|(text, _)| text)
}

/// [`to_string`], and the size of the tree a reader builds from the text, measured while
/// writing ([`tree_size`]).
pub fn to_string_measured<T: serde::Serialize + ?Sized>(value: &T) -> Result<(String, usize), WriteError> {
    to_string_limited(value, None).map(|written| (written.text, written.tree_size))
}

/// A size a text must not pass. The text only grows as it is written, so once it passes the
/// limit the rest cannot change the verdict, and writing stops there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeLimit {
    /// Bytes of text.
    Bytes(usize),
    /// The size of the tree a reader builds from the text ([`tree_size`]).
    Tree(usize),
}

/// What [`to_string_limited`] wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// The text; only its beginning when `complete` is false.
    pub text: String,
    /// The size of the tree a reader builds from `text` ([`tree_size`]); when writing stopped,
    /// what the text's beginning already measures (its nodes written so far).
    pub tree_size: usize,
    /// False when writing stopped because the text passed its limit.
    pub complete: bool,
    /// When writing stopped: where the entry being written in each collection still open
    /// began, outermost first. `text[..open_entries[n]]` holds only whole entries at depth `n`.
    pub open_entries: Vec<usize>,
}

/// [`to_string_measured`], stopping as soon as the text passes `limit`.
pub fn to_string_limited<T: serde::Serialize + ?Sized>(
    value: &T,
    limit: Option<SizeLimit>,
) -> Result<Written, WriteError> {
    written(value, writer::Writer::new(limit, None))
}

/// Asked when the text passes its byte budget, with the text so far and where the entries of
/// the collections still open began ([`Written::open_entries`]): a larger budget to write on
/// to, or `None` to stop there.
pub type Extend = Box<dyn FnMut(&str, &[usize]) -> Option<usize>>;

/// [`to_string_limited`] with a byte budget that `extend` may raise each time the text passes
/// it: a limit known only from the text written so far is checked without writing the text
/// again.
pub fn to_string_extending<T: serde::Serialize + ?Sized>(
    value: &T,
    budget: usize,
    extend: Extend,
) -> Result<Written, WriteError> {
    written(value, writer::Writer::new(Some(SizeLimit::Bytes(budget)), Some(extend)))
}

fn written<T: serde::Serialize + ?Sized>(value: &T, mut writer: writer::Writer) -> Result<Written, WriteError> {
    let complete = match value.serialize(&mut writer) {
        Ok(()) => true,
        Err(WriteError::OverLimit) => false,
        Err(error) => return Err(error),
    };
    let (text, tree_size, open_entries) = writer.finish();
    Ok(Written { text, tree_size, complete, open_entries })
}

/// Why a value was not written as YAML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write YAML: {0}")]
    Invalid(String),
    /// The text passed its [`SizeLimit`]; [`to_string_limited`] turns this into an
    /// incomplete [`Written`].
    #[error("the YAML text passed its size limit")]
    OverLimit,
}

impl WriteError {
    fn new(message: impl Into<String>) -> Self {
        WriteError::Invalid(message.into())
    }
}

impl serde::ser::Error for WriteError {
    fn custom<T: std::fmt::Display>(message: T) -> Self {
        WriteError::Invalid(message.to_string())
    }
}

/// Where a YAML error happened, as a 1-based line and column, when the parser knows.
pub fn error_location(error: &Error) -> Option<(usize, usize)> {
    error.location().map(|l| (l.line(), l.column()))
}

#[cfg(test)]
mod tests;
