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
    named(model)
        .map(|(target, path)| Output { target, path: path.to_string(), content: rendered.take(plan, target) })
        .collect()
}

/// The output files the model names, by platform.
pub fn named(model: &Model) -> impl Iterator<Item = (Target, &str)> {
    [(Target::Gitlab, &model.outputs.gitlab), (Target::Github, &model.outputs.github)]
        .into_iter()
        .filter_map(|(target, path)| path.as_deref().map(|path| (target, path)))
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
/// Invisible characters are escaped (a byte order mark would make `-\u{feff}# Generated…` and
/// `+# Generated…` look alike), as in every message.
pub fn unified_diff(old: &str, new: &str, path: &str) -> String {
    let diff = similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string();
    crate::model::printable::escape_diff(&diff).into_owned()
}

/// A unified diff that creates `new` at `path`, for a file that does not exist yet.
pub fn creation_diff(new: &str, path: &str) -> String {
    let diff = similar::TextDiff::from_lines("", new)
        .unified_diff()
        .context_radius(3)
        .header("/dev/null", &format!("b/{path}"))
        .to_string();
    crate::model::printable::escape_diff(&diff).into_owned()
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

/// Who wrote a file that an output would replace, by the header at its top.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Author {
    /// pipegen, from this model.
    ThisModel,
    /// pipegen, from the model at this repository path (as its header writes it).
    OtherModel(String),
    /// Not pipegen: a hand-written file, or one pipegen's header was taken off.
    NotPipegen,
}

/// The longest other model's name [`author`] returns, as messages shorten quoted values.
const MAX_SHOWN_MODEL_CHARS: usize = 120;

/// Who wrote `existing`, for the model at `model_file` (its repository path). pipegen's header
/// is the first line of every file it writes; the file's leading comment lines are searched for
/// it (after a byte-order mark, blank lines or a comment an editor put above it; lines end in
/// CRLF, LF or a lone CR, as in YAML),
/// and the header's model is compared, not the rest of its wording. An empty file (or one of
/// white space alone) holds nothing to lose: it is taken as this model's, as a missing one is
/// (`touch .gitlab-ci.yml` before the first `emit`, or a file a tool created empty).
pub fn author(existing: &[u8], model_file: &str) -> Author {
    // The header is short and at the top: a large file is not read to its end.
    let text = String::from_utf8_lossy(&existing[..existing.len().min(64 * 1024)]);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if existing.len() <= 64 * 1024 && text.trim().is_empty() {
        return Author::ThisModel;
    }
    let ours = crate::emit::header_model_name(model_file);
    // Lines end as YAML ends them: CRLF, LF, or a lone CR (which `str::lines` does not split).
    for line in text.split(['\n', '\r']).map(str::trim) {
        if line.is_empty() {
            continue;
        }
        if !line.starts_with('#') {
            break;
        }
        if let Some(rest) = line.strip_prefix(crate::emit::HEADER_START) {
            let model = rest.strip_suffix(crate::emit::HEADER_MODEL_END).unwrap_or(rest);
            if model == ours {
                return Author::ThisModel;
            }
            // The name is for messages: escaped, and shortened as a quoted value is.
            let shown = crate::model::printable::escape(model);
            return Author::OtherModel(crate::model::printable::shorten(&shown, MAX_SHOWN_MODEL_CHARS).into_owned());
        }
    }
    Author::NotPipegen
}

/// Errors that stopped `emit` or `check` before they looked at `outputs`, with `no-outputs` among
/// them when the model names no outputs either: a run reports every problem the command meets,
/// not one more for the next run. A model with an `outputs` entry, even a misspelt one, has its
/// own error there already.
pub fn with_no_outputs(error: crate::error::Error) -> crate::error::Error {
    use crate::model::ModelPath;
    let crate::error::Error::Model(mut errors) = error else { return error };
    // A file that was not read as YAML (a syntax error, bytes that are not UTF-8) says nothing
    // certain about what it lists.
    let unread = errors.fixed_locations.iter().any(Option::is_some);
    if unread || errors.source.keys_at(&ModelPath::root()).is_none() {
        return crate::error::Error::Model(errors);
    }
    let key = ModelPath::keys(["outputs"]);
    let named = errors.source.contains(&key) && errors.source.keys_at(&key).is_none_or(|keys| !keys.is_empty());
    if !named {
        let missing = no_outputs(&errors.source);
        errors.extend(missing);
    }
    crate::error::Error::Model(errors)
}

/// The error of `emit` and `check` for a model without `outputs`: located at `outputs` when the
/// model has the key (an empty mapping), else at the model's top, where it belongs.
pub fn no_outputs(source: &std::sync::Arc<crate::model::SourceFile>) -> crate::model::ModelErrors {
    use crate::model::{Diagnostic, ModelPath};
    let key = ModelPath::keys(["outputs"]);
    let (at, label) = if source.contains(&key) {
        (key, "no output in this mapping")
    } else {
        (ModelPath::root(), "no `outputs` in this mapping")
    };
    let diagnostic = Diagnostic::new(
        "no-outputs",
        at,
        "the model lists no `outputs`: `pipegen emit` has no files to write and `pipegen check` none to compare",
    )
    .at_key()
    .label(label)
    .help("add the files `pipegen emit` writes, e.g. `outputs: { gitlab: .gitlab-ci.yml }`, or print one pipeline with `pipegen emit --target gitlab|github`");
    crate::model::ModelErrors::new(source.clone(), vec![diagnostic])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_taken_as_this_models() {
        for empty in ["", "\n", "  \r\n\t\n", "\u{feff}"] {
            assert_eq!(author(empty.as_bytes(), "pipegen.yaml"), Author::ThisModel, "{empty:?}");
        }
        assert_eq!(author(b"\n# our pipeline\n", "pipegen.yaml"), Author::NotPipegen);
        assert_eq!(author(b" x", "pipegen.yaml"), Author::NotPipegen);
    }

    #[test]
    fn the_author_is_read_from_the_header_among_the_first_comment_lines() {
        let header = "# Generated by pipegen from sub/pipegen.yaml. Do not edit: change the model and run\n#   pipegen emit --model sub/pipegen.yaml\n";
        assert_eq!(author(format!("{header}stages: []\n").as_bytes(), "sub/pipegen.yaml"), Author::ThisModel);
        let crlf = format!("\u{feff}\r\n# edited\r\n{}", header.replace('\n', "\r\n"));
        assert_eq!(author(crlf.as_bytes(), "sub/pipegen.yaml"), Author::ThisModel);
        assert_eq!(author(header.as_bytes(), "pipegen.yaml"), Author::OtherModel("sub/pipegen.yaml".to_string()));
        assert_eq!(author(b"stages: [test]\n", "pipegen.yaml"), Author::NotPipegen);
        // Lone CRs end lines too, as in YAML: the header's model is on its own line.
        let cr_only = format!("{header}stages: []\n").replace('\n', "\r");
        assert_eq!(author(cr_only.as_bytes(), "sub/pipegen.yaml"), Author::ThisModel);
        // Another model's name is shown bounded and escaped, however the header spells it.
        let long = format!("# Generated by pipegen from {}\u{1b}[31m.\n", "x".repeat(10_000));
        let Author::OtherModel(shown) = author(long.as_bytes(), "pipegen.yaml") else { panic!("not another model's") };
        assert!(shown.chars().count() <= 120 && shown.contains("\\u{1b}"), "{shown}");
        // Below the first YAML line, the text is the pipeline's, not a header.
        assert_eq!(author(format!("stages: []\n{header}").as_bytes(), "sub/pipegen.yaml"), Author::NotPipegen);
    }
}
