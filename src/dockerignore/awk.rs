//! The ignore filter as a POSIX awk program (`filter.awk`), for pipelines that have only `sh`,
//! `awk` (busybox, mawk or gawk) and `git`: the same decisions as [`super::IgnoreFile::sent`],
//! checked against it by `tests/dockerignore_awk.rs` under all three awks.
//!
//! Input on stdin: lines as git prints them with `core.quotePath=false` (the path alone, or after a
//! TAB, or after `PIPEGEN_SKIP` space-separated fields; a C-quoted `"…"` path is unquoted). Output:
//! the lines whose path is in the context and is sent, unchanged. Exit 2 with `FILE:LINE:COL:`
//! messages for an ignore file pipegen refuses, or a path outside the context.

use super::Builder;

/// The program's source, comments included.
pub const SOURCE: &str = include_str!("filter.awk");

/// The environment variable naming the ignore file to apply (empty or unset: none).
pub const IGNORE_FILE_VARIABLE: &str = "PIPEGEN_IGNORE_FILE";
/// The environment variable naming the ignore file in messages (default: its path), for a file
/// read out of git into a temporary file.
pub const IGNORE_NAME_VARIABLE: &str = "PIPEGEN_IGNORE_NAME";
/// The environment variable naming the context directory, repository-relative (`.` for the root).
pub const CONTEXT_VARIABLE: &str = "PIPEGEN_CONTEXT";
/// The environment variable counting the space-separated fields before the path on each line.
pub const SKIP_VARIABLE: &str = "PIPEGEN_SKIP";

/// The program as a pipeline embeds it: without its comment lines, blank lines, leading
/// indentation and the spaces between tokens that awk does not need ([`crate::awk::compact`]). The tests
/// (`tests/dockerignore_awk.rs`) run this text, under busybox awk, mawk and gawk.
pub fn program() -> String {
    crate::awk::compact(SOURCE)
}

/// The shell command that runs the filter for `builder`: `LC_ALL=C` so that every awk counts
/// bytes, the program as one single-quoted word ([`crate::awk::single_quoted`]). The ignore
/// file, context and skip count come from the environment variables above.
pub fn command(builder: Builder) -> String {
    format!("LC_ALL=C awk -v builder={} {}", builder.name(), crate::awk::single_quoted(&program()))
}
