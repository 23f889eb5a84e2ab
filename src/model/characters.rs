//! Which characters a model's values may hold.
//!
//! Values travel into YAML files, shell scripts, job names and file names. A few characters
//! cannot make that trip intact, so they are refused where they are written, with the reason:
//!
//! - in the file itself, control characters other than tab, line feed and carriage return, and
//!   the line breaks only some YAML parsers count (NEL, U+2028, U+2029): GitLab's and pipegen's
//!   parsers would disagree on the lines, or refuse the file;
//! - in any value or key, control characters other than tab and newline (written with escapes
//!   such as `"\0"` or `"\e"`): NUL ends a C string, escape sequences act on terminals, and a
//!   carriage return rewrites log lines;
//! - newlines in fields that are single lines by nature: names, paths, globs, registry, target,
//!   references, health checks. Only scripts, environment values and build arguments may span
//!   lines (`MULTI_LINE`).

use serde_json::Value;

use super::diagnostic::Diagnostic;
use super::path::{ModelPath, Segment, Walk};
use super::printable;
use super::source::{Location, SourceFile};

/// At most this many raw control characters are reported, each where it is, so that a binary
/// file gives a short answer; the last says how many more there are.
const MAX_RAW_REPORTS: usize = 100;

/// A character the file itself may not hold, wherever it is.
pub fn forbidden_in_file(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// A character no value or key may hold.
pub fn forbidden_in_value(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n')
}

/// A character no plain path of a model (a context, a Dockerfile, a cache path) may hold: a
/// line break, a control character, or one a glob reads (only `inputs` are globs).
pub fn unfit_in_plain_path(c: char) -> bool {
    matches!(c, '\n' | '*' | '?' | '[' | ']' | '{' | '}') || forbidden_in_value(c) || forbidden_in_file(c)
}

/// Whether the value at `path` may span lines: the items of a job's `script`, the values of
/// `env` (jobs and services) and of `args` (images).
pub fn is_multi_line(path: &ModelPath) -> bool {
    let keys: Vec<Option<&str>> = path
        .segments()
        .iter()
        .map(|s| match s {
            Segment::Key(k) => Some(&**k),
            Segment::Index(_) => None,
        })
        .collect();
    matches!(
        keys.as_slice(),
        [Some("jobs"), Some(_), Some("script"), None]
            | [Some("jobs"), Some(_), Some("env"), Some(_)]
            | [Some("services"), Some(_), Some("env"), Some(_)]
            | [Some("images"), Some(_), Some("args"), Some(_)]
    )
}

/// Control characters in the raw text, each located where it is (at most [`MAX_RAW_REPORTS`]).
pub fn raw_control_characters(source: &SourceFile) -> Vec<(Diagnostic, Location)> {
    let mut found: Vec<(Diagnostic, Location)> = Vec::new();
    let mut more = 0;
    for (offset, c) in source.text.char_indices().filter(|(_, c)| forbidden_in_file(*c)) {
        if found.len() == MAX_RAW_REPORTS {
            more += 1;
            continue;
        }
        let mut at = source.location_of_offset(offset);
        at.len = c.len_utf8();
        let why = if matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}') {
            "YAML parsers disagree on whether it breaks the line"
        } else {
            "YAML does not allow control characters in a file"
        };
        // A value may hold a line or paragraph separator written as an escape (`"\L"`, `"\P"`);
        // no value holds a control character, however it is written.
        let help = if forbidden_in_value(c) {
            format!("{why}; remove it: no field takes a control character, not even as an escape")
        } else {
            format!("{why}; remove it, or write it as an escape in a double-quoted string if a value needs it")
        };
        let diagnostic = Diagnostic::new(
            "control-character",
            ModelPath::root(),
            format!("the model file holds the character {} here", printable::describe(c)),
        )
        .label("not allowed in a YAML file")
        .help(help);
        found.push((diagnostic, at));
    }
    if more > 0
        && let Some((last, _)) = found.last_mut()
    {
        last.message.push_str(&format!(" (and {more} more such character{})", if more == 1 { "" } else { "s" }));
    }
    found
}

/// Every string (value or key) that holds a character its field cannot carry.
pub fn check(value: &Value, at: &Walk<'_>, found: &mut Vec<Diagnostic>) {
    // Only where something may be wrong: most strings hold neither a control character nor a
    // newline.
    match value {
        Value::String(text) => check_string(text, at, false, found),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if worth_a_look(item) {
                    check(item, &at.index(i), found);
                }
            }
        }
        Value::Object(map) => {
            for (key, child) in map {
                let key_suspect = suspect(key);
                if key_suspect || worth_a_look(child) {
                    let child_at = at.key(key);
                    if key_suspect {
                        check_string(key, &child_at, true, found);
                    }
                    check(child, &child_at, found);
                }
            }
        }
        _ => {}
    }
}

/// Whether `text` holds what [`check_string`] refuses somewhere: a control character or a
/// newline.
fn suspect(text: &str) -> bool {
    text.chars().any(|c| c == '\n' || forbidden_in_value(c))
}

/// Whether [`check`] could find anything in `value`.
fn worth_a_look(value: &Value) -> bool {
    match value {
        Value::String(text) => suspect(text),
        Value::Array(_) | Value::Object(_) => true,
        _ => false,
    }
}

fn check_string(text: &str, at: &Walk<'_>, is_key: bool, found: &mut Vec<Diagnostic>) {
    if !suspect(text) {
        return;
    }
    let path = at.path();
    let what = || if is_key { "the key".to_string() } else { format!("the value of `{}`", field(&path)) };
    if let Some(c) = text.chars().find(|c| forbidden_in_value(*c)) {
        let diagnostic = Diagnostic::new(
            "control-character",
            path.clone(),
            format!("{} holds the control character {}", what(), printable::describe(c)),
        )
        .label("control character")
        .help("control characters cannot be carried intact into YAML, shell scripts and logs; remove it");
        found.push(if is_key { diagnostic.at_key() } else { diagnostic });
        return;
    }
    if text.contains('\n') && (is_key || !is_multi_line(&path)) {
        let diagnostic =
            Diagnostic::new("newline", path.clone(), format!("{} holds a newline, but it is a single line", what()))
                .label("more than one line")
                .help("only scripts, `env` values and build `args` may span lines; names, paths, references and the other fields are one line each");
        found.push(if is_key { diagnostic.at_key() } else { diagnostic });
    }
}

/// The field a path names, for messages: `context`, `inputs`, `env.FOO`.
fn field(path: &ModelPath) -> String {
    let keys = path.key_names();
    match keys.as_slice() {
        [.., parent @ ("env" | "args"), name] => format!("{parent}.{name}"),
        [.., last] => (*last).to_string(),
        [] => "the model".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(value: Value) -> Vec<(String, String)> {
        let mut found = Vec::new();
        check(&value, &Walk::Root, &mut found);
        found.into_iter().map(|d| (d.code.to_string(), d.path.to_string())).collect()
    }

    #[test]
    fn newlines_only_where_values_span_lines() {
        let value = serde_json::json!({
            "images": { "a": { "context": "x\n/../..", "args": { "A": "1\n2" }, "inputs": ["a\nb"] } },
            "jobs": { "t": { "script": ["echo 1\necho 2"], "env": { "E": "1\n2" }, "image": "a\n" } },
            "services": { "s": { "env": { "E": "x\ny" }, "health": { "cmd": "a\nb" } } }
        });
        assert_eq!(
            problems(value),
            [
                ("newline".to_string(), "images.a.context".to_string()),
                ("newline".to_string(), "images.a.inputs[0]".to_string()),
                ("newline".to_string(), "jobs.t.image".to_string()),
                ("newline".to_string(), "services.s.health.cmd".to_string()),
            ]
        );
    }

    #[test]
    fn control_characters_nowhere() {
        let value =
            serde_json::json!({ "jobs": { "t": { "script": ["a\u{0}b", "tab\tok"], "env": { "E\u{1b}": "x" } } } });
        assert_eq!(
            problems(value),
            [
                ("control-character".to_string(), "jobs.t.script[0]".to_string()),
                ("control-character".to_string(), "jobs.t.env[\"E\\u{1b}\"]".to_string()),
            ]
        );
    }
}
