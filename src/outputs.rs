//! The files `pipegen emit` writes and `pipegen check` compares: what they should contain and
//! how they differ. Reading and writing them is `commands::files`.

use std::path::Path;

use crate::emit::Target;
use crate::model::Model;
use crate::plan::Plan;
use crate::workspace::Rendered;

/// One generated file.
#[derive(Debug, Clone)]
pub struct Output {
    pub target: Target,
    /// Relative to the repository root, as the model writes it.
    pub path: String,
    pub content: String,
}

/// Every file the model's `outputs` asks for, rendered.
pub fn expected(model: &Model, plan: &Plan) -> Vec<Output> {
    expected_from(model, plan, &mut Rendered::default())
}

/// Every file the model's `outputs` asks for, taken from `rendered` where it holds it.
pub fn expected_from(model: &Model, plan: &Plan, rendered: &mut Rendered) -> Vec<Output> {
    let wanted = [(Target::Gitlab, &model.outputs.gitlab), (Target::Github, &model.outputs.github)];
    wanted
        .into_iter()
        .filter_map(|(target, path)| {
            path.as_ref().map(|path| Output { target, path: path.clone(), content: rendered.take(plan, target) })
        })
        .collect()
}

/// How a file on disk compares with what it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    Current,
    Missing,
    /// With a unified diff from the file on disk to what emit would write.
    Stale(String),
    /// Stale, and not shown as a diff: why.
    StaleWithoutDiff(String),
}

/// Compare `output` with the bytes on disk (`None`: there is no file).
pub fn freshness(output: &Output, existing: Option<&[u8]>) -> Freshness {
    let Some(existing) = existing else { return Freshness::Missing };
    if existing == output.content.as_bytes() {
        return Freshness::Current;
    }
    let Ok(text) = std::str::from_utf8(existing) else {
        return Freshness::StaleWithoutDiff("it is not UTF-8 text".to_string());
    };
    // A checkout with `core.autocrlf=true` (the default of Git for Windows) ends every line with
    // CRLF, and git commits them as LF again: the same lines are current, and a stale file's diff
    // shows only the lines that differ.
    match with_lf_line_ends(text) {
        Some(lf) if lf == output.content => Freshness::Current,
        Some(lf) => Freshness::Stale(unified_diff(&lf, &output.content, &output.path)),
        None => Freshness::Stale(unified_diff(text, &output.content, &output.path)),
    }
}

/// `text` with LF line ends, when every line of it ends with CRLF (what a checkout converts a
/// file to); `None` otherwise, as a file with mixed line ends was edited, not converted.
fn with_lf_line_ends(text: &str) -> Option<String> {
    let lines = text.matches('\n').count();
    (lines > 0 && text.matches("\r\n").count() == lines && text.matches('\r').count() == lines)
        .then(|| text.replace("\r\n", "\n"))
}

/// A unified diff from `old` to `new`, both named after `path`.
pub fn unified_diff(old: &str, new: &str, path: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// A unified diff that creates `new` at `path`, for a file that does not exist yet.
pub fn creation_diff(new: &str, path: &str) -> String {
    similar::TextDiff::from_lines("", new)
        .unified_diff()
        .context_radius(3)
        .header("/dev/null", &format!("b/{path}"))
        .to_string()
}

/// Write one file as `emit` writes its outputs (`commands::files::write_all`): whole or not at
/// all, with the mode of any new file, no temporary file left behind.
pub fn write_atomically(path: &Path, content: &str) -> std::io::Result<()> {
    match crate::commands::files::write_all(&[(path.to_path_buf(), content)]) {
        Ok(()) => Ok(()),
        Err(crate::error::Error::Write { source, .. }) => Err(source),
        Err(other) => Err(std::io::Error::other(other.to_string())),
    }
}
