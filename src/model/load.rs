//! Reading a model: YAML syntax, then the JSON Schema, then typed values, then the semantic
//! checks. Each step reports every problem it finds, located in the text; a later step only
//! runs on what the earlier ones accepted.

use std::sync::Arc;

use serde_json::Value as Json;

use super::diagnostic::{Diagnostic, ModelErrors};
use super::path::{ModelPath, Walk};
use super::source::{Location, MAX_DEPTH, ShapeProblem, SourceFile};
use super::types::Model;
use super::{characters, merge, schema_errors, set_aside, validate};
use crate::stages::StageLayout;
use crate::yaml;

/// A model that passed every check, with its text for later messages.
#[derive(Debug, Clone)]
pub struct LoadedModel {
    pub source: Arc<SourceFile>,
    pub model: Model,
    /// The stages of the model's images and jobs, derived (or declared) once for the checks.
    pub layout: StageLayout,
}

/// Parse and check a model read as bytes: text that is not UTF-8 is reported at its first bad
/// byte. `name` is how the file is shown in messages and headers.
pub fn load_bytes(name: &str, bytes: &[u8]) -> Result<LoadedModel, ModelErrors> {
    match std::str::from_utf8(bytes) {
        Ok(text) => load(name, text),
        Err(error) => {
            // The text before the bad byte is the same in the lossy copy, so its offsets hold.
            let bad = error.valid_up_to();
            let text = String::from_utf8_lossy(bytes);
            let source = Arc::new(SourceFile::new(name, text.as_ref()));
            let mut at = source.location_of_offset(bad);
            at.len = '\u{fffd}'.len_utf8();
            let shown: Vec<String> = bytes[bad..bad + error.error_len().unwrap_or(bytes.len() - bad).min(4)]
                .iter()
                .map(|b| format!("0x{b:02X}"))
                .collect();
            let diagnostic = Diagnostic::new(
                "not-utf8",
                ModelPath::root(),
                format!("the model is not UTF-8 text: byte {} here is not part of a UTF-8 character", shown.join(" ")),
            )
            .label("not UTF-8")
            .help(not_utf8_help(bytes));
            Err(ModelErrors::at(source, diagnostic, at))
        }
    }
}

/// How to make `bytes` UTF-8: an editor that saves "Unicode" on Windows writes UTF-16 with a
/// byte-order mark; anything else is most likely Latin-1.
fn not_utf8_help(bytes: &[u8]) -> &'static str {
    let utf16 = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
    if utf16 {
        "this file is UTF-16 (it starts with a UTF-16 byte-order mark): save it as UTF-8 (YAML files are \
         UTF-8); `iconv -f utf-16 -t utf-8` converts it"
    } else {
        "save the model as UTF-8 (YAML files are UTF-8); `iconv -f latin1 -t utf-8` converts a Latin-1 file"
    }
}

/// A `%YAML` directive before the document asking for another version than 1.2: YAML 1.1
/// readers take `yes`, `on` and `0b1` for other things than 1.2 does, which pipegen reads by.
fn yaml_version_directive(source: &SourceFile) -> Option<(String, Location)> {
    for &(start, end) in source.line_ranges() {
        let line = source.text[start..end].trim_start_matches('\u{feff}');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let version = line.strip_prefix("%YAML")?.split_whitespace().next().unwrap_or_default();
        if version == "1.2" {
            return None;
        }
        let mut at = source.location_of_offset(start);
        at.len = end - start;
        return Some((version.to_string(), at));
    }
    None
}

/// Parse and check a model. `name` is how the file is shown in messages and headers.
pub fn load(name: &str, text: &str) -> Result<LoadedModel, ModelErrors> {
    // One parse gives both the located tree and, for a plain document, the value.
    let (source, read) = SourceFile::read(name, text);
    let source = Arc::new(source);

    let raw = characters::raw_control_characters(&source);
    if !raw.is_empty() {
        let mut errors = ModelErrors::new(source.clone(), Vec::new());
        for (diagnostic, at) in raw {
            errors.diagnostics.push(diagnostic);
            errors.fixed_locations.push(Some(at));
        }
        return Err(errors);
    }

    if let Some((version, at)) = yaml_version_directive(&source) {
        let diagnostic = Diagnostic::new(
            "yaml-version",
            ModelPath::root(),
            format!("`%YAML {version}` asks for a YAML version pipegen does not read"),
        )
        .label("pipegen reads YAML 1.2")
        .help(
            "remove the directive (or write `%YAML 1.2`): pipegen, GitHub and editors read the model as YAML 1.2, \
             where `yes` and `on` are strings and `010` is ten, whatever a 1.1 directive says",
        );
        return Err(ModelErrors::at(source.clone(), diagnostic, at));
    }

    match source.shape_problem() {
        Some(ShapeProblem::TooDeep(at)) => {
            let diagnostic = Diagnostic::new(
                "too-deep",
                ModelPath::root(),
                format!("the model nests lists and mappings more than {MAX_DEPTH} levels deep"),
            )
            .label(format!("more than {MAX_DEPTH} levels deep here"))
            .help("a model needs a few levels (images.NAME.args.ARG); this looks like a generated or corrupted file");
            return Err(ModelErrors::at(source.clone(), diagnostic, *at));
        }
        Some(ShapeProblem::SecondDocument(at)) => {
            let diagnostic = Diagnostic::new(
                "multiple-documents",
                ModelPath::root(),
                "a model is one YAML document, and a second one starts here",
            )
            .label("second document")
            .help("remove this `---` and what follows, or move the other document to a file of its own");
            return Err(ModelErrors::at(source.clone(), diagnostic, *at));
        }
        Some(ShapeProblem::ForeignTag { tag, at }) => {
            let diagnostic = Diagnostic::new("yaml-tag", ModelPath::root(), format!("the YAML tag `{tag}` means nothing in a model"))
                .label("a tag pipegen does not read")
                .help(format!("remove `{tag}`: a model holds plain strings, numbers, lists and mappings; the YAML reader would drop the tag and keep the text as written"));
            return Err(ModelErrors::at(source.clone(), diagnostic, *at));
        }
        Some(ShapeProblem::Syntax { message, at }) => {
            // libyaml's messages say what was being parsed; the locator's parser is the fallback.
            let error = match yaml::from_str::<yaml::Value>(text) {
                Err(error) if yaml::error_location(&error).is_some() => syntax_error(&source, text, &error),
                _ => ModelErrors::at(
                    source.clone(),
                    Diagnostic::new("yaml-syntax", ModelPath::root(), format!("this is not valid YAML: {message}"))
                        .label("the YAML parser stopped here"),
                    *at,
                ),
            };
            return Err(error);
        }
        None => {}
    }

    let duplicates: Vec<Diagnostic> = source
        .duplicate_keys()
        .iter()
        .map(|dup| {
            let written = |at: Location| source.text.get(at.offset..at.offset + at.len).unwrap_or_default();
            // `~` and `null`, `1` and `0x1`: two spellings YAML reads as one key.
            let spelled = if written(dup.first) == written(dup.second) {
                String::new()
            } else {
                format!(" (as `{}`, which YAML reads as the same key)", written(dup.first))
            };
            Diagnostic::new("duplicate-key", dup.path.clone(), format!("`{}` is defined twice", dup.path))
                .at_key()
                .label("second definition")
                .help(format!(
                    "the first definition is on line {}{spelled}; remove or rename one of them",
                    dup.first.line
                ))
        })
        .collect();
    if !duplicates.is_empty() {
        // Second occurrences are anchored by their exact location, not by path (the path is shared).
        let mut errors = ModelErrors::new(source.clone(), Vec::new());
        for (dup, diagnostic) in source.duplicate_keys().iter().zip(duplicates) {
            errors.diagnostics.push(diagnostic);
            errors.fixed_locations.push(Some(dup.second));
        }
        return Err(errors);
    }

    // An integer no 64-bit number holds: serde_yaml refuses one of 65 to 128 bits and would read
    // a longer one as an approximate float (`1e+41`); every field is far smaller.
    let oversized = source.oversized_numbers();
    if !oversized.is_empty() {
        let located = oversized
            .iter()
            .map(|number| (out_of_range(&number.text, number.path.clone(), &number.path.to_string()), Some(number.at)))
            .collect();
        return Err(ModelErrors::located(source.clone(), located));
    }

    // A core tag its text is not (`!!int "x"`) is refused beside the model's other errors; the
    // value is read on as its text.
    let mistagged: Vec<Diagnostic> = source.mistagged_values().iter().map(mistagged_value).collect();
    let mut value: yaml::Value = match read {
        Some(value) => value,
        // serde_yaml would stop at the tag with a message of its own.
        None if !mistagged.is_empty() => return Err(ModelErrors::new(source, mistagged)),
        None => match yaml::from_str(text) {
            Ok(value) => value,
            Err(error) => return Err(syntax_error(&source, text, &error)),
        },
    };

    let mut problems = Vec::new();
    // A quoted `<<` is a key of that name, which no section has: refused as such, never merged.
    let mut quoted_merge_keys = Vec::new();
    for (mapping, _) in source.quoted_merge_keys() {
        let key = mapping.key("<<");
        set_aside::remove_unknown_key(&mut value, &key);
        quoted_merge_keys.push(
            Diagnostic::new("unknown-field", key, "unknown field `<<`: a quoted `<<` is a key, not a merge")
                .at_key()
                .label("quoted, so not a merge key")
                .help("to merge an anchor's entries, write the key unquoted: `<<: *name`"),
        );
    }
    merge::strip_extensions(&mut value);
    merge::merge_keys(&mut value, &Walk::Root, &mut problems);
    if !problems.is_empty() {
        return Err(ModelErrors::new(source, problems));
    }
    problems.extend(quoted_merge_keys);

    let json = to_json(&value, &Walk::Root, &mut problems);
    if !json.is_object() {
        let diagnostic = Diagnostic::new(
            "not-a-model",
            ModelPath::root(),
            "a model is a YAML mapping with `pipegen: 1`, `name` and `registry`, and its `images`, `services` and `jobs`",
        )
        .label("expected a mapping")
        .help("see docs/model.md for the format, or `pipegen schema` for the JSON Schema");
        return Err(ModelErrors::new(source, vec![diagnostic]));
    }
    problems.extend(mistagged);
    let mut key_problems = Vec::new();
    non_string_keys(&value, &Walk::Root, &source, &mut key_problems);
    characters::check(&json, &Walk::Root, &mut problems);
    // A key that is no string gets no second error for the text YAML wrote it as (a list key's
    // text holds newlines).
    problems.retain(|d| !key_problems.iter().any(|(_, _, read)| *read == d.path));
    // A value already refused for what it is gets no second error for what it is not.
    let refused: Vec<ModelPath> =
        problems.iter().map(|d| d.path.clone()).chain(key_problems.iter().map(|(_, _, read)| read.clone())).collect();
    let mut schema_problems = schema_errors::check(&json, &source);
    schema_problems.retain(|d| !refused.iter().any(|p| d.path.starts_with(p)));
    problems.extend(schema_problems);
    if key_problems.is_empty() {
        // JSON Schema takes `4.0` as an integer: these are found beside the schema's errors, not
        // instead of them, and not again under a value already refused.
        let mut fractions = Vec::new();
        fractional_integers(&json, &Walk::Root, &source, &mut fractions);
        // Not under a value refused already, nor beside the schema's own `wrong-type`; but a
        // whole number written as a float (`retry: 1e3`) is of the wrong type before it is too
        // large, so the schema's other errors at its path give way to it.
        fractions.retain(|d| {
            !problems.iter().any(|p| d.path.starts_with(&p.path) && (p.path != d.path || p.code == "wrong-type"))
        });
        problems.retain(|p| !fractions.iter().any(|f| f.path == p.path));
        problems.extend(fractions);
    }
    if !problems.is_empty() || !key_problems.is_empty() {
        if key_problems.is_empty() {
            problems.extend(checks_beyond_the_schema(&value, &source, &problems));
        }
        let located =
            problems.into_iter().map(|d| (d, None)).chain(key_problems.into_iter().map(|(d, at, _)| (d, at))).collect();
        return Err(ModelErrors::located(source, located));
    }

    let model: Model = match yaml::from_value(value) {
        Ok(model) => model,
        Err(error) => {
            // The schema mirrors the types, so this is a mismatch between the two: still a
            // located, readable error rather than a panic.
            let diagnostic = Diagnostic::new("invalid-model", ModelPath::root(), error.to_string()).label("here");
            return Err(ModelErrors::new(source, vec![diagnostic]));
        }
    };

    match validate::check(&model, &source) {
        Ok(layout) => Ok(LoadedModel { source, model, layout }),
        Err(problems) => Err(ModelErrors::new(source, problems)),
    }
}

/// The model's other errors, when the schema refused some values: every error of a run is
/// reported at once. Either the model still has its types (a name or a reference of the wrong
/// form, say), or every value of the wrong type is one nothing else refers to and is set aside
/// ([`set_aside`]). An error at or under a value the schema refused is left out, as it would
/// repeat that one.
fn checks_beyond_the_schema(value: &yaml::Value, source: &SourceFile, refused: &[Diagnostic]) -> Vec<Diagnostic> {
    let model = yaml::from_value::<Model>(value.clone()).ok().or_else(|| {
        let paths: Vec<set_aside::Refused<'_>> = refused
            .iter()
            .map(|d| set_aside::Refused {
                path: &d.path,
                unknown_key: d.code == "unknown-field",
                missing: d.missing.as_deref(),
            })
            .collect();
        yaml::from_value::<Model>(set_aside::without_refused(value, &paths)).ok()
    });
    let Some(model) = model else {
        return Vec::new();
    };
    let Err(mut found) = validate::check(&model, source) else {
        return Vec::new();
    };
    found.retain(|d| !refused.iter().any(|r| d.path.starts_with(&r.path)));
    found
}

/// A syntax error from serde_yaml, located where its parser stopped (or where the unfinished
/// construct began, when it stopped at the end of the file).
fn syntax_error(source: &Arc<SourceFile>, text: &str, error: &yaml::Error) -> ModelErrors {
    let stopped = yaml::error_location(error).unwrap_or((1, 1));
    // A whole number past 64 bits is valid YAML the reader cannot hold (`retry:
    // 99999999999999999999`): too large for any field, not a syntax error.
    let said = error.to_string();
    // The locator finds those written as plain scalars ([`SourceFile::oversized_numbers`]); this
    // is for any other way to write one.
    if let Some((field, number)) = said
        .split_once(": invalid type: integer `")
        .and_then(|(field, rest)| Some((field, rest.split_once('`')?.0)))
        .filter(|_| said.contains("` as i128") || said.contains("` as u128"))
    {
        // serde_yaml names the field but not its place in the model.
        let diagnostic = out_of_range(number, ModelPath::root(), field);
        return ModelErrors::at(source.clone(), diagnostic, source.location_at(stopped.0, stopped.1));
    }
    // Aliases of anchors that hold aliases, nested until the text stands for billions of values
    // (a "billion laughs"): serde_yaml stops, and says nothing of where.
    if said.contains("repetition limit exceeded") {
        let (path, at, label) = match source.repetition_past_limit() {
            Some((path, at)) => (path.clone(), *at, "the aliases repeat too much by here"),
            None => (ModelPath::root(), source.location_at(stopped.0, stopped.1), "the YAML parser stopped here"),
        };
        let diagnostic = Diagnostic::new(
            "aliases-too-large",
            path,
            "the model's aliases repeat their anchors too often: the model would grow past a million values",
        )
        .label(label)
        .help(
            "an anchor whose value holds aliases of other anchors repeats them at every use, so a few nested \
             levels multiply into billions; share plain values with each anchor, or write the values out",
        );
        return ModelErrors::at(source.clone(), diagnostic, at);
    }
    let syntax = SyntaxError::read(&said);
    let mut message = format!("this is not valid YAML: {}", syntax.problem);
    let mut at = stopped;
    let mut label = "the YAML parser stopped here".to_string();
    if let Some((what, start)) = &syntax.context {
        match start {
            Some((line, column)) => {
                message.push_str(&format!(", {what} that starts at line {line}, column {column}"));
                // Stopped at the end of the file: the unfinished construct is the news.
                if stopped.0 > text.lines().count() {
                    at = (*line, *column);
                    let thing = what.trim_start_matches("while parsing a ").trim_start_matches("while scanning a ");
                    label = format!("the file ends before this {thing} is complete");
                }
            }
            None => message.push_str(&format!(", {what}")),
        }
    }
    let mut diagnostic = Diagnostic::new("yaml-syntax", ModelPath::root(), message).label(label);
    // YAML forbids tabs in indentation, and a tab looks like spaces in most editors.
    let line = text.lines().nth(at.0.saturating_sub(1)).unwrap_or("");
    let indentation = &line[..line.len() - line.trim_start_matches([' ', '\t']).len()];
    if indentation.contains('\t') {
        diagnostic =
            diagnostic.help("this line is indented with a tab: YAML indents with spaces only; replace the tab");
    }
    ModelErrors::at(source.clone(), diagnostic, source.location_at(at.0, at.1))
}

/// The error for `number`, an integer past 64 bits written at `path`, the field named `field`.
fn out_of_range(number: &str, path: ModelPath, field: &str) -> Diagnostic {
    Diagnostic::new(
        "out-of-range",
        path,
        format!("`{number}` at `{field}` is out of range: no field of a model takes a number past 64 bits"),
    )
    .label("out of range")
    .help("write the number the field takes (see its documentation in docs/model.md)")
}

/// A YAML parser error, read from its text: `did not find expected ',' or ']' at line 10 column
/// 1, while parsing a flow sequence at line 9 column 11`.
struct SyntaxError {
    problem: String,
    /// `while parsing a flow sequence`, and where that started.
    context: Option<(String, Option<(usize, usize)>)>,
}

impl SyntaxError {
    fn read(text: &str) -> Self {
        let (head, context) = match text.split_once(", while ") {
            Some((head, context)) => (head, Some(format!("while {context}"))),
            None => (text, None),
        };
        let problem = head.split(" at line ").next().unwrap_or(head).to_string();
        let context = context.map(|context| match context.split_once(" at line ") {
            Some((what, place)) => {
                let numbers: Vec<usize> = place.split(" column ").filter_map(|n| n.trim().parse().ok()).collect();
                let start = match numbers.as_slice() {
                    [line, column] => Some((*line, *column)),
                    _ => None,
                };
                (what.to_string(), start)
            }
            None => (context, None),
        });
        SyntaxError { problem, context }
    }
}

/// Mapping keys that YAML read as something other than a string (`123:`, `3.10:`, `true:`,
/// `? [a, b]:`), each with where it is written when the file says and the path the rest of the
/// loading knows it by (`3.1`). Every key of a model is a name or a field, so a string;
/// unquoted, `3.10` would quietly become `3.1`.
fn non_string_keys(
    value: &yaml::Value,
    at: &Walk<'_>,
    source: &SourceFile,
    found: &mut Vec<(Diagnostic, Option<Location>, ModelPath)>,
) {
    match value {
        yaml::Value::Mapping(map) => {
            let mut written: Option<Vec<(Option<&str>, Location)>> = None;
            let mut complex_keys = 0;
            for (key, child) in map {
                if !matches!(key, yaml::Value::String(_)) {
                    let written = written.get_or_insert_with(|| source.keys_at(&at.path()).unwrap_or_default());
                    // A scalar key is found by what its spelling reads as; a list or mapping
                    // key by its place among the keys that have no spelling.
                    let spelled = match key {
                        yaml::Value::Sequence(_) | yaml::Value::Mapping(_) => {
                            complex_keys += 1;
                            written
                                .iter()
                                .filter(|(text, _)| text.is_none())
                                .nth(complex_keys - 1)
                                .map(|(_, at)| (None, *at))
                        }
                        _ => written
                            .iter()
                            .find(|(text, _)| text.is_some_and(|t| yaml::plain_scalar_value(t).as_ref() == Some(key)))
                            .map(|(text, at)| (*text, *at)),
                    };
                    let (spelling, location) = spelled.unzip();
                    let parent = at.path();
                    let read = parent.key(&*key_text(key));
                    found.push((non_string_key(key, spelling.flatten(), &parent), location, read));
                }
                if merge::holds_collections(child) {
                    non_string_keys(child, &at.key(&key_text(key)), source, found);
                }
            }
        }
        yaml::Value::Sequence(items) => {
            for (i, item) in items.iter().enumerate().filter(|(_, item)| merge::holds_collections(item)) {
                non_string_keys(item, &at.index(i), source, found);
            }
        }
        yaml::Value::Tagged(tagged) => non_string_keys(&tagged.value, at, source, found),
        _ => {}
    }
}

/// The error for a scalar whose core tag its text is not: `!!int "x"`.
fn mistagged_value(mistagged: &super::source::MistaggedValue) -> Diagnostic {
    let (what, example) = match mistagged.tag.as_str() {
        "!!int" => ("a whole number", "`!!int 5432`"),
        "!!float" => ("a number", "`!!float 1.5`"),
        "!!bool" => ("`true` or `false`", "`!!bool true`"),
        "!!null" => ("null", "`!!null ~`"),
        _ => ("a single value", "a plain value"),
    };
    let shown = if mistagged.text.is_empty() { "an empty value".to_string() } else { format!("`{}`", mistagged.text) };
    Diagnostic::new(
        "yaml-tag",
        mistagged.path.clone(),
        format!("the YAML tag `{}` says this is {what}, and {shown} is not", mistagged.tag),
    )
    .label(format!("not {what}"))
    .help(format!(
        "write {what} after the tag ({example}), or remove `{}` and quote the text if text is meant",
        mistagged.tag
    ))
}

/// The error for a key that is not a string, `spelling` being how the file writes it. A scalar
/// (`3.10`, `true`) was meant as text and quoting it says so; an empty key or a list or mapping
/// used as a key is no name at all, so quoting it is no advice.
fn non_string_key(key: &yaml::Value, spelling: Option<&str>, parent: &ModelPath) -> Diagnostic {
    let text = key_text(key);
    let key = match key {
        yaml::Value::Tagged(tagged) => &tagged.value,
        key => key,
    };
    let diagnostic =
        |message: String| Diagnostic::new("wrong-type", parent.key(spelling.unwrap_or(&text)), message).at_key();
    match key {
        // `null:`, `~:`: a name YAML reads as null; quoting keeps it a name.
        yaml::Value::Null if spelling.is_some_and(|s| !s.trim().is_empty()) => {
            let spelling = spelling.unwrap_or_default();
            diagnostic(format!("the key `{spelling}` in {} is read as null, not as a name", show_path(parent)))
                .label("YAML reads this key as null")
                .help(format!("quote it if it is meant as a name: `\"{spelling}\":`"))
        }
        yaml::Value::Null => diagnostic(format!("{} has an empty key", show_path(parent)))
            .label("YAML reads this key as null")
            .help("write the name or field this entry is for before its `:`"),
        yaml::Value::Sequence(_) | yaml::Value::Mapping(_) => {
            let kind = if matches!(key, yaml::Value::Sequence(_)) { "list" } else { "mapping" };
            diagnostic(format!("a key in {} is a {kind}, not a name", show_path(parent)))
                .label(format!("a {kind} used as a key"))
                .help("keys are names and fields, written as plain text before `:`; `? ` starts a complex key, which a model never needs")
        }
        _ => {
            let spelling = spelling.unwrap_or(&text);
            diagnostic(format!("the key `{spelling}` in {} is not a string", show_path(parent)))
                .label(match key {
                    yaml::Value::Bool(_) => format!("YAML reads this as the boolean {text}"),
                    yaml::Value::Number(_) => format!("YAML reads this as the number {text}"),
                    _ => "YAML reads this as something other than text".to_string(),
                })
                .help(format!("quote it: `\"{spelling}\"`; names and fields are strings"))
        }
    }
}

/// A mapping key as text: a string as it is, anything else the way YAML writes it (`3.1`).
fn key_text(key: &yaml::Value) -> std::borrow::Cow<'_, str> {
    match key {
        yaml::Value::String(s) => std::borrow::Cow::Borrowed(s),
        other => yaml::to_string(other).unwrap_or_default().trim_end().to_string().into(),
    }
}

/// Numbers written with a decimal point (`parallel: 4.0`) where the model takes a whole number.
/// JSON Schema counts 4.0 as an integer, the model's types do not; say so where it is written.
fn fractional_integers(value: &Json, at: &Walk<'_>, source: &SourceFile, found: &mut Vec<Diagnostic>) {
    match value {
        Json::Number(n) if n.is_f64() => {
            let path = at.path();
            let segments = path.pointer_segments();
            if schema_errors::wants_integer(&segments) {
                let field = segments.last().cloned().unwrap_or_default();
                let whole = n.as_f64().unwrap_or_default();
                // As written (`1e3`), not as JSON shows it (`1000.0`).
                let written = schema_errors::as_written(value, &path, source);
                found.push(
                    Diagnostic::new("wrong-type", path, format!("`{field}` should be a whole number, not `{written}`"))
                        .label("expected a whole number")
                        // Past 2^53 a float's digits are not the ones written (`1e41`).
                        .maybe_help((whole.abs() < 9_007_199_254_740_992.0).then(|| format!("write `{whole:.0}`"))),
                );
            }
        }
        // Only collections and fractional numbers, where something may be wrong.
        Json::Object(map) => {
            for (key, child) in map.iter().filter(|(_, child)| may_hold_fractions(child)) {
                fractional_integers(child, &at.key(key), source, found);
            }
        }
        Json::Array(items) => {
            for (i, item) in items.iter().enumerate().filter(|(_, item)| may_hold_fractions(item)) {
                fractional_integers(item, &at.index(i), source, found);
            }
        }
        _ => {}
    }
}

/// Whether [`fractional_integers`] could find anything in `value`.
fn may_hold_fractions(value: &Json) -> bool {
    match value {
        Json::Number(n) => n.is_f64(),
        Json::Object(_) | Json::Array(_) => true,
        _ => false,
    }
}

fn show_path(path: &ModelPath) -> String {
    if path.is_root() { "the model".to_string() } else { format!("`{path}`") }
}

/// The JSON of a null, boolean or string, which needs no path (nothing about it can be wrong):
/// most of a model's values, whose paths are then never built.
fn plain_json(value: &yaml::Value) -> Option<Json> {
    match value {
        yaml::Value::Null => Some(Json::Null),
        yaml::Value::Bool(b) => Some(Json::Bool(*b)),
        yaml::Value::String(s) => Some(Json::String(s.clone())),
        _ => None,
    }
}

/// The tags of YAML's core schema, which only say what the value already is (`!!str 3.10`),
/// and the non-specific `!` (serde_yaml shows it as `!!`). serde_yaml resolves most core tags
/// itself; what reaches here is the rest.
fn is_core_tag(tag: &str) -> bool {
    let name = tag.strip_prefix("tag:yaml.org,2002:").or_else(|| tag.strip_prefix("!!")).unwrap_or(tag);
    matches!(name, "" | "!" | "str" | "int" | "float" | "bool" | "null" | "seq" | "map")
}

/// Any other tag would be dropped while the value stayed, read as something it was not meant to
/// be: GitLab's `!reference [.setup, script]` would become two script lines, `.setup` and `script`.
fn unknown_tag(tag: &str, path: ModelPath) -> Diagnostic {
    let help = if tag == "!reference" {
        "`!reference` is GitLab's, and a model is no GitLab file: write the lines here, or share them with a YAML anchor (`&name` on the first, `*name` where it is used again)".to_string()
    } else {
        format!("remove `{tag}`: a model holds plain strings, numbers, lists and mappings, which need no tag")
    };
    Diagnostic::new("yaml-tag", path, format!("the YAML tag `{tag}` means nothing in a model"))
        .label("a tag pipegen does not read")
        .help(help)
}

/// YAML values as JSON for the schema validator. Mapping keys become strings the way YAML wrote
/// them (`3.10:` stays "3.10" as far as YAML kept it); core tags are dropped, others reported.
/// Numbers JSON cannot hold (`.nan`, `.inf`) are reported where they are written.
fn to_json(value: &yaml::Value, at: &Walk<'_>, found: &mut Vec<Diagnostic>) -> Json {
    match value {
        yaml::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Json::from(i)
            } else if let Some(u) = n.as_u64() {
                Json::from(u)
            } else if let Some(number) = n.as_f64().and_then(serde_json::Number::from_f64) {
                Json::Number(number)
            } else {
                let path = at.path();
                let field = path.segments().last().map_or_else(|| "the model".to_string(), |_| format!("`{path}`"));
                found.push(
                    Diagnostic::new(
                        "wrong-type",
                        path.clone(),
                        format!("{field} is `{n}`, which YAML reads as a special number, neither text nor a finite number"),
                    )
                    .label("not a finite number")
                    .help(format!(
                        "YAML reads `.nan` and `.inf` as special numbers: quote it if it is text (`\"{n}\"`), or write a finite number"
                    )),
                );
                Json::Null
            }
        }
        yaml::Value::Sequence(items) => Json::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| plain_json(item).unwrap_or_else(|| to_json(item, &at.index(i), found)))
                .collect(),
        ),
        yaml::Value::Mapping(map) => Json::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = key_text(k);
                    let child = plain_json(v).unwrap_or_else(|| to_json(v, &at.key(&key), found));
                    (key.into_owned(), child)
                })
                .collect(),
        ),
        yaml::Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            if !is_core_tag(&tag) {
                found.push(unknown_tag(&tag, at.path()));
            }
            to_json(&tagged.value, at, found)
        }
        // Null, booleans and strings.
        plain => plain_json(plain).unwrap_or_default(),
    }
}
