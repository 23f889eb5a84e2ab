//! Errors of a pipegen run, and how they are shown.

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::model::{ModelErrors, printable};

/// Anything that stops a command, other than a stale output.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Model(ModelErrors),
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Git(String),
    /// A registry that could not say what a base image's digest is.
    #[error("{0}")]
    Registry(String),
    /// Ignore files pipegen cannot hash as their builder reads them.
    #[error("{0}")]
    Ignore(crate::dockerignore::IgnoreErrors),
}

impl From<ModelErrors> for Error {
    fn from(errors: ModelErrors) -> Self {
        Error::Model(errors)
    }
}

/// Whether to colour what goes to stderr: only on a terminal, never with `NO_COLOR` set, never
/// on a terminal that says it shows no colour (`TERM=dumb`), as miette and owo-colors decide.
pub fn stderr_color() -> bool {
    color_wanted(std::env::var_os("NO_COLOR"), std::env::var_os("TERM"), std::io::stderr().is_terminal())
}

/// [`stderr_color`] from the values it reads: `NO_COLOR` (set and not empty turns colour off,
/// <https://no-color.org>), `TERM` (`dumb` turns it off) and whether stderr is a terminal.
fn color_wanted(no_color: Option<std::ffi::OsString>, term: Option<std::ffi::OsString>, terminal: bool) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty()) && term.is_none_or(|t| t != "dumb")
}

impl Error {
    /// The text for stderr. Paths and values in it may come from the user or the model, so
    /// their unprintable characters are escaped.
    pub fn render(&self, color: bool) -> String {
        match self {
            Error::Model(errors) => errors.render(color),
            Error::Ignore(errors) => errors
                .0
                .iter()
                .map(|e| {
                    let text = format!("{}:{}:{}: error: {}\n  help: {}", e.file, e.line, e.column, e.message, e.help);
                    format!("{}\n", printable::escape_keeping_lines(&text))
                })
                .collect(),
            other => format!("error: {}\n", printable::escape_keeping_lines(&other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::color_wanted;

    #[test]
    fn colour_only_on_a_terminal_that_shows_it_and_without_no_color() {
        let some = |v: &str| Some(std::ffi::OsString::from(v));
        assert!(color_wanted(None, some("xterm-256color"), true));
        assert!(color_wanted(None, None, true));
        assert!(color_wanted(some(""), some("xterm"), true), "an empty NO_COLOR is unset");
        assert!(!color_wanted(None, some("xterm"), false), "not a terminal");
        assert!(!color_wanted(some("1"), some("xterm"), true), "NO_COLOR");
        assert!(!color_wanted(None, some("dumb"), true), "TERM=dumb");
    }
}
