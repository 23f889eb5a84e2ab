//! JSON Schema violations, explained in the model's own terms.
//!
//! The validator reports "does not match pattern ^[a-z0-9]…$"; users need "`Gitaly` is not a
//! valid name: use lowercase letters, digits and dashes". Each pattern of `patterns.rs` has its
//! explanation here, and unknown keys get the fields that were probably meant.

use jsonschema::JsonType;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use super::diagnostic::Diagnostic;
use super::duration::Duration;
use super::path::{ModelPath, Segment};
use super::source::SourceFile;
use super::{patterns, schema, suggest};

/// Every schema violation of `instance`, as diagnostics.
/// `source` is the model's text, for quoting values as they were written.
pub fn check(instance: &Value, source: &SourceFile) -> Vec<Diagnostic> {
    let mut found: Vec<Diagnostic> =
        schema::validator().iter_errors(instance).flat_map(|error| explain_all(&error, instance, source)).collect();
    // A value refused by two of the schema's rules (a number for `health`: its type, and none of
    // `http`, `tcp`, `cmd`) gets the more specific error alone.
    // But a number that is not whole where a whole one belongs (`retry: 2.5`) is of the wrong
    // type first: that it is also too large is beside the point.
    let not_whole: Vec<ModelPath> = found
        .iter()
        .filter(|d| d.code == "wrong-type" && value_at(instance, &d.path).is_some_and(Value::is_number))
        .filter(|d| wants_integer(&d.path.pointer_segments()))
        .map(|d| d.path.clone())
        .collect();
    let specific: Vec<ModelPath> = found.iter().filter(|d| d.code != "wrong-type").map(|d| d.path.clone()).collect();
    found.retain(|d| match not_whole.contains(&d.path) {
        true => d.code == "wrong-type",
        false => d.code != "wrong-type" || !specific.contains(&d.path),
    });
    found
}

/// Whether the schema takes a whole number (alone or among other types) at `segments`.
pub(super) fn wants_integer(segments: &[String]) -> bool {
    schema::schema_at(segments).and_then(|s| s.get("type")).is_some_and(|t| match t {
        Value::String(t) => t == "integer",
        Value::Array(ts) => ts.iter().any(|t| t == "integer"),
        _ => false,
    })
}

/// The value at `path` in `instance`.
fn value_at<'v>(instance: &'v Value, path: &ModelPath) -> Option<&'v Value> {
    path.pointer_segments().iter().try_fold(instance, |value, segment| match value {
        Value::Object(map) => map.get(segment),
        Value::Array(items) => items.get(segment.parse::<usize>().ok()?),
        _ => None,
    })
}

/// Explain `error`, looking inside `anyOf`/`oneOf` when only one branch could have been meant.
///
/// An optional field is `anyOf: [T, null]` and a name-or-list is `anyOf: [name, [name]]`; the
/// validator then only says "not valid under any of the schemas". A branch whose only complaint
/// is the value's type (`null` for a string, a string for a list) was not meant; when exactly one
/// branch is left, its own errors are the ones the user needs.
fn explain_all(error: &jsonschema::ValidationError<'_>, instance: &Value, source: &SourceFile) -> Vec<Diagnostic> {
    if left_to_validate(error, instance) {
        return Vec::new();
    }
    let branches = match error.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => context,
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let path = ModelPath::from_json_pointer(error.instance_path().as_str(), instance);
            let object = error.instance();
            return unexpected.iter().map(|key| unknown_field(&path, key, object.get(key))).collect();
        }
        _ if checked_again(error) => return Vec::new(),
        _ => return vec![explain(error, instance, source)],
    };
    if let Some(diagnostic) = constant_choice(error, branches, instance) {
        return vec![diagnostic];
    }
    let here = error.instance_path().as_str();
    let meant: Vec<&Vec<jsonschema::ValidationError<'static>>> = branches
        .iter()
        .filter(|errors| {
            !matches!(errors.as_slice(), [only] if matches!(only.kind(), ValidationErrorKind::Type { .. })
                && only.instance_path().as_str() == here)
        })
        .collect();
    // Two mappings a field takes (`when: {branch: …}` or `{git-tag: …}`): the branch whose keys
    // the value has complains only inside it; the others complain here (a missing or unknown key).
    let fitting: Vec<&&Vec<jsonschema::ValidationError<'static>>> = meant
        .iter()
        .filter(|errors| !errors.is_empty() && errors.iter().all(|e| e.instance_path().as_str().len() > here.len()))
        .collect();
    if meant.len() > 1
        && let [errors] = fitting.as_slice()
    {
        return errors.iter().flat_map(|e| explain_all(e, instance, source)).collect();
    }
    match meant.as_slice() {
        [errors] if !errors.is_empty() => errors.iter().flat_map(|e| explain_all(e, instance, source)).collect(),
        // Every branch refused the value's type alone (`timeout: 5` for a duration or nothing):
        // say which type the field takes, rather than that no branch of an `anyOf` matched.
        [] => match branches.iter().flatten().find(|e| {
            matches!(e.kind(), ValidationErrorKind::Type { kind } if !matches!(kind, TypeKind::Single(JsonType::Null)))
        }) {
            Some(branch) => vec![with_field_help(explain(branch, instance, source))],
            None => vec![no_branch(error, instance)],
        },
        _ => vec![no_branch(error, instance)],
    }
}

/// A service name the schema refuses only for its length, which `validate` reports itself
/// (`name-too-long`): one error per mistake, with the code it always had. (The other rules
/// `validate` checks again are not in `pipegen`'s validator at all: [`patterns::checked_by_schema`].)
fn checked_again(error: &jsonschema::ValidationError<'_>) -> bool {
    match error.kind() {
        ValidationErrorKind::PropertyNames { error: inner } => {
            let key = inner.instance().as_str().unwrap_or_default();
            // Only service names have a `maxLength`; a name of the wrong form too gets the
            // schema's `invalid-name` alone.
            matches!(inner.kind(), ValidationErrorKind::MaxLength { .. })
                && patterns::matches(patterns::SERVICE_NAME, key)
        }
        _ => false,
    }
}

/// An empty or repeating list that `validate` reports itself, better than the schema can: by
/// name and at the repeated entry (`duplicate-stage`, `duplicate-reference`), by an axis
/// entry's value, not the whole entry (`duplicate-value`), as `empty-axis` or `empty`. The
/// schema says the same (`minItems`, `uniqueItems`) for editors; one error per problem here.
fn left_to_validate(error: &jsonschema::ValidationError<'_>, instance: &Value) -> bool {
    if !matches!(error.kind(), ValidationErrorKind::UniqueItems | ValidationErrorKind::MinItems { .. }) {
        return false;
    }
    let path = ModelPath::from_json_pointer(error.instance_path().as_str(), instance);
    matches!(
        path.key_names().as_slice(),
        ["stages"]
            | ["axes", _]
            | ["images", _, "axes" | "caches" | "from"]
            | ["jobs", _, "axes" | "caches" | "services" | "needs"]
    )
}

/// A value no branch of an `anyOf` or `oneOf` takes, said in the model's words, with the
/// field's own help, rather than the schema's ("not valid under any of the schemas").
fn no_branch(error: &jsonschema::ValidationError<'_>, instance: &Value) -> Diagnostic {
    let path = ModelPath::from_json_pointer(error.instance_path().as_str(), instance);
    let owner = if path.segments().len() <= 1 { "the model".to_string() } else { subject(&path) };
    let diagnostic = Diagnostic::new(
        "invalid-value",
        path.clone(),
        format!("{} in {owner} cannot be {}", show_field(&path), show(error.instance().as_ref())),
    )
    .label("not a value this field takes");
    // An alias's `when` with both keys, or neither: no single branch explains it.
    if last_key(&path) == Some("when") && error.instance().is_object() {
        return diagnostic.help(
            "a `when` is one of `always`, `default-branch`, `git-tag`, `{branch: [PATTERN, …]}` or \
             `{git-tag: [PATTERN, …]}`; for branches and git tags alike, write two alias entries",
        );
    }
    let diagnostic = with_field_help(diagnostic);
    if diagnostic.help.is_some() {
        return diagnostic;
    }
    match schema::description_at(&path.pointer_segments()) {
        Some(description) => diagnostic.help(description.replace('\n', " ")),
        None => diagnostic,
    }
}

/// `diagnostic` with the help the field's own schema gives: what its text must look like (a
/// duration's form, not "quote it", as `"5"` would be refused too), else its example.
fn with_field_help(diagnostic: Diagnostic) -> Diagnostic {
    let Some(field) = schema::schema_at(&diagnostic.path.pointer_segments()) else { return diagnostic };
    let form = field
        .get("anyOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(schema::resolved)
        .find_map(|branch| branch.get("pattern").and_then(Value::as_str).and_then(patterns::editor_message));
    if let Some(form) = form {
        let mut diagnostic = diagnostic;
        diagnostic.help = None;
        return diagnostic.help(form);
    }
    if diagnostic.help.is_some() {
        return diagnostic;
    }
    let example = field.get("examples").and_then(|e| e.get(0)).map(|e| match e {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    });
    match example {
        Some(example) => {
            let name = last_key(&diagnostic.path).unwrap_or("value").to_string();
            diagnostic.help(format!("for example `{name}: {example}`"))
        }
        None => diagnostic,
    }
}

/// A `oneOf` whose branches are constants (an enum with documented values): "not one of …".
fn constant_choice(
    error: &jsonschema::ValidationError<'_>,
    branches: &[Vec<jsonschema::ValidationError<'static>>],
    instance: &Value,
) -> Option<Diagnostic> {
    let mut allowed = Vec::new();
    for errors in branches {
        match errors.as_slice() {
            [only] => match only.kind() {
                ValidationErrorKind::Constant { expected_value } => allowed.push(expected_value.as_ref().clone()),
                _ => return None,
            },
            _ => return None,
        }
    }
    (!allowed.is_empty()).then(|| not_one_of(error, &allowed, instance))
}

fn not_one_of(error: &jsonschema::ValidationError<'_>, allowed: &[Value], instance: &Value) -> Diagnostic {
    let path = ModelPath::from_json_pointer(error.instance_path().as_str(), instance);
    let value = error.instance().as_ref();
    let names: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
    let wrong = value.as_str().unwrap_or_default();
    let list = names.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ");
    Diagnostic::new("invalid-value", path.clone(), format!("{} is not one of {list}", show(value)))
        .label("not allowed here")
        .maybe_help(suggest::did_you_mean(wrong, names.iter().copied()))
}

/// What the thing at `path` is called in messages: "image `gdk`", "job `qa`", "the model".
/// What one entry of a top-level section of named entries is called (`images` → `image`).
fn entry_kind(section: &str) -> Option<&'static str> {
    match section {
        "images" => Some("image"),
        "services" => Some("service"),
        "jobs" => Some("job"),
        "caches" => Some("cache"),
        "axes" => Some("axis"),
        _ => None,
    }
}

pub(super) fn subject(path: &ModelPath) -> String {
    let keys = path.key_names();
    match keys.as_slice() {
        [] => "the model".into(),
        [section, name, ..] => match entry_kind(section) {
            Some(kind) => format!("{kind} `{name}`"),
            None => format!("`{section}`"),
        },
        [first] => format!("`{first}`"),
    }
}

/// The list a path names: `platforms`, `` `aliases` of image `app` ``, `` `push.branches` ``.
fn list(path: &ModelPath) -> String {
    match path.segments() {
        [Segment::Key(section), Segment::Key(_), rest @ ..] if entry_kind(section).is_some() && !rest.is_empty() => {
            format!("`{}` of {}", ModelPath::from_segments(rest.to_vec()), subject(path))
        }
        _ => format!("`{path}`"),
    }
}

/// The mapping a path names, for errors about the mapping itself (a missing or unknown field):
/// the entry (`job \`test\``), or the section inside it (`\`artifacts\` of job \`test\``), so
/// that a field of `artifacts` is not reported as one of the job.
fn section(path: &ModelPath) -> String {
    match path.segments() {
        [Segment::Key(section), Segment::Key(_), rest @ ..] if entry_kind(section).is_some() => {
            if rest.is_empty() {
                subject(path)
            } else {
                format!("`{}` of {}", ModelPath::from_segments(rest.to_vec()), subject(path))
            }
        }
        [_, _, ..] => format!("`{path}`"),
        _ => subject(path),
    }
}

fn last_key(path: &ModelPath) -> Option<&str> {
    path.key_names().pop()
}

fn show(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

fn explain(error: &jsonschema::ValidationError<'_>, instance: &Value, source: &SourceFile) -> Diagnostic {
    let path = ModelPath::from_json_pointer(error.instance_path().as_str(), instance);
    let value = error.instance().as_ref();
    match error.kind() {
        ValidationErrorKind::Required { property } => {
            let field = property.as_str().unwrap_or_default().to_string();
            let mut segments = path.pointer_segments();
            segments.push(field.clone());
            // Doc comments wrap at 100 columns; the renderer wraps again, so join the lines.
            let help = schema::description_at(&segments).map(|d| format!("`{field}`: {}", d.replace('\n', " ")));
            Diagnostic::new(
                "missing-field",
                path.clone(),
                format!("{} is missing the required field `{field}`", section(&path)),
            )
            // The name of the incomplete entry (`qa:`), not the first of its other fields.
            .at_key()
            .label(format!("`{field}` is required here"))
            .maybe_help(help)
            .missing(field)
        }
        ValidationErrorKind::Pattern { pattern } => pattern_violation(&path, value, patterns::published(pattern)),
        ValidationErrorKind::PropertyNames { error: inner } => {
            let key = inner.instance().as_str().unwrap_or_default().to_string();
            let key_path = path.key(key.clone());
            match inner.kind() {
                ValidationErrorKind::Pattern { pattern } => {
                    pattern_violation(&key_path, &Value::String(key), patterns::published(pattern)).at_key()
                }
                // `runners` keys: platforms.
                ValidationErrorKind::Enum { options } => {
                    let allowed: Vec<&str> =
                        options.as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                    Diagnostic::new(
                        "invalid-name",
                        key_path,
                        format!("`{key}` is not one of {}", quoted_list(&allowed)),
                    )
                    .at_key()
                    .label("not allowed here")
                    .help(suggest::help_for(&key, "values", allowed.iter().copied()))
                }
                _ => Diagnostic::new("invalid-name", key_path, format!("`{key}` is not a valid name here")).at_key(),
            }
        }
        ValidationErrorKind::UniqueItems => {
            let items: Vec<&Value> = value.as_array().into_iter().flatten().collect();
            let (first, second) = (0..items.len())
                .flat_map(|j| (0..j).map(move |i| (i, j)))
                .find(|(i, j)| items[*i] == items[*j])
                .unwrap_or((0, 0));
            let line = source.value_location(&path.index(first)).line;
            Diagnostic::new(
                "duplicate-value",
                path.index(second),
                format!(
                    "{} lists {} twice; the first copy is its {} entry, on line {line}",
                    list(&path),
                    show(items.get(second).copied().unwrap_or(value)),
                    ordinal(first + 1)
                ),
            )
            .label("second time")
            .related(path.index(first), "first time")
            .help("each entry counts once; remove the repeated one")
        }
        // `cmd: ~` (or `http: ~`) names a kind and gives it nothing; without this it read as no
        // kind at all, a TCP check.
        ValidationErrorKind::Type { .. } if value.is_null() && is_health_kind(&path) => {
            let field = last_key(&path).unwrap_or_default();
            Diagnostic::new(
                "health-kind",
                path.clone(),
                format!("the health check of {} has an empty `{field}`", subject(&path)),
            )
            .label(if field == "http" { "write a path" } else { "write a command" })
            .help("give `http` a path, `cmd` a command, or write `tcp: true`, e.g. `health: { http: /ready }`")
        }
        ValidationErrorKind::Type { kind } => type_mismatch(&path, value, kind, source),
        ValidationErrorKind::Enum { options } => {
            not_one_of(error, options.as_array().map(Vec::as_slice).unwrap_or_default(), instance)
        }
        ValidationErrorKind::Minimum { limit } | ValidationErrorKind::ExclusiveMinimum { limit } => Diagnostic::new(
            "out-of-range",
            path.clone(),
            format!(
                "`{}` is too small for `{}`",
                as_written(value, &path, source),
                last_key(&path).unwrap_or("this value")
            ),
        )
        .label(format!("the minimum is {limit}")),
        ValidationErrorKind::Maximum { limit } | ValidationErrorKind::ExclusiveMaximum { limit } => {
            maximum(&path, value, limit, source)
        }
        // A schedule shorter than five fields can be (`@daily`, `0 4 * *`) is not empty: it gets
        // the schedule's own message, as a longer wrong one does.
        ValidationErrorKind::MinLength { .. }
            if path == ModelPath::keys(["refresh", "schedule"])
                && let Some(text) = value.as_str().filter(|text| !text.is_empty())
                && let Some((message, help)) = super::cron::problem(text) =>
        {
            super::validate::bad_schedule(message, help)
        }
        ValidationErrorKind::MinItems { .. } | ValidationErrorKind::MinLength { .. } => Diagnostic::new(
            "empty",
            path.clone(),
            format!("`{}` of {} must not be empty", last_key(&path).unwrap_or("value"), subject(&path)),
        )
        .label("empty"),
        ValidationErrorKind::OneOfNotValid { .. } | ValidationErrorKind::OneOfMultipleValid { .. }
            if last_key(&path) == Some("health") =>
        {
            Diagnostic::new(
                "health-kind",
                path.clone(),
                format!("the health check of {} needs exactly one of `http`, `tcp` or `cmd`", subject(&path)),
            )
            .label("one of http, tcp, cmd")
            .help("for example `health: { http: /ready, timeout: 5m }`")
        }
        ValidationErrorKind::AnyOf { .. } if last_key(&path) == Some("from") => Diagnostic::new(
            "invalid-value",
            path.clone(),
            format!(
                "`from` of {} must be an image name, `{{ image: NAME, arg: ARG }}`, or a list of those",
                subject(&path)
            ),
        )
        .label("expected a name, a mapping or a list"),
        // An axis entry is a value or a mapping with `value`; a number or a list is neither, and
        // the value's form is the one people mean.
        ValidationErrorKind::AnyOf { .. } if is_axis_entry(&path) => {
            let diagnostic = type_mismatch(&path, value, &TypeKind::Single(JsonType::String), source);
            match diagnostic.help {
                Some(_) => diagnostic,
                None => diagnostic.help("an axis entry is a value (`\"16.13\"`) or a value with named fields (`{ value: \"16.13\", major: \"16\" }`)"),
            }
        }
        ValidationErrorKind::Constant { expected_value } => Diagnostic::new(
            "invalid-value",
            path.clone(),
            format!("`{}` can only be {}", last_key(&path).unwrap_or("value"), show(expected_value)),
        )
        .label(format!("write {}", show(expected_value))),
        _ => Diagnostic::new("schema", path.clone(), format!("{}: {}", subject(&path), error)).label("here"),
    }
}

/// `a`, `b` as "`a`, `b`".
fn quoted_list(items: &[&str]) -> String {
    items.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
}

/// `services.<name>.health.http` or `….cmd`: the probe of a health check.
fn is_health_kind(path: &ModelPath) -> bool {
    matches!(last_key(path), Some("http" | "cmd")) && path.parent().is_some_and(|p| last_key(&p) == Some("health"))
}

/// `axes.<name>[i]`: one entry of an axis.
fn is_axis_entry(path: &ModelPath) -> bool {
    matches!(path.segments(), [Segment::Key(axes), Segment::Key(_), Segment::Index(_)] if &**axes == "axes")
}

/// An unknown key, with the field it probably meant: a close name whose schema takes a value
/// of the kind written (`tags: [docker]` is not a misspelt `tag: commit`).
fn unknown_field(parent: &ModelPath, key: &str, value: Option<&Value>) -> Diagnostic {
    let segments = parent.pointer_segments();
    let fields = schema::fields_at(&segments);
    let fitting: Vec<&str> = fields
        .iter()
        .map(String::as_str)
        .filter(|field| {
            let mut at = segments.clone();
            at.push((*field).to_string());
            value.is_none_or(|value| schema::schema_at(&at).is_none_or(|s| schema::accepts_kind(s, value)))
        })
        .collect();
    let help = suggest::did_you_mean(key, fitting.iter().copied())
        .or_else(|| {
            suggest::synonym(key)
                .iter()
                .find(|meant| fitting.contains(meant))
                .map(|meant| format!("did you mean `{meant}`? (pipegen's name for `{key}`)"))
        })
        .unwrap_or_else(|| suggest::listing("fields here", fields.iter().map(String::as_str)));
    Diagnostic::new("unknown-field", parent.key(key), format!("unknown field `{key}` in {}", section(parent)))
        .at_key()
        .label("not a field of this section")
        .help(help)
}

/// A number as the model writes it (`1e41`, where JSON shows `1e+41`), when the text at `path`
/// reads as that number; anything else as JSON shows it.
pub(super) fn as_written(value: &Value, path: &ModelPath, source: &SourceFile) -> String {
    let shown = match value {
        Value::String(s) => return s.clone(),
        other => other.to_string(),
    };
    let Value::Number(number) = value else { return shown };
    let at = source.value_location(path);
    let written = source.text.get(at.offset..at.offset + at.len).unwrap_or_default().trim();
    let same = match crate::yaml::plain_scalar_value(written) {
        Some(crate::yaml::Value::Number(n)) => n.as_f64().is_some_and(|n| Some(n) == number.as_f64()),
        _ => false,
    };
    if same { written.to_string() } else { shown }
}

fn maximum(path: &ModelPath, value: &Value, limit: &Value, source: &SourceFile) -> Diagnostic {
    let field = last_key(path).unwrap_or("value");
    let value = as_written(value, path, source);
    let (message, help) = match field {
        "pipegen" => (
            format!("unsupported model format `{value}`"),
            Some("this pipegen reads format 1; write `pipegen: 1` or upgrade pipegen".to_string()),
        ),
        "retry" => (
            format!("`retry: {value}` in {} is more than GitLab allows", subject(path)),
            Some("GitLab retries a job at most 2 times; use 0, 1 or 2".to_string()),
        ),
        "parallel" => (
            format!("`parallel: {value}` in {} is more than GitLab allows", subject(path)),
            Some("GitLab runs at most 200 parallel shards of a job".to_string()),
        ),
        _ => (format!("`{value}` is too large for `{field}`"), None),
    };
    Diagnostic::new("out-of-range", path.clone(), message).label(format!("the maximum is {limit}")).maybe_help(help)
}

fn type_mismatch(path: &ModelPath, value: &Value, kind: &TypeKind, source: &SourceFile) -> Diagnostic {
    // An optional field allows `null` too; nobody means to write that, so it is not offered.
    let expected = match kind {
        TypeKind::Single(t) => format!("{t:?}").to_lowercase(),
        TypeKind::Multiple(ts) => {
            let named: Vec<String> =
                ts.iter().map(|t| format!("{t:?}").to_lowercase()).filter(|t| t != "null").collect();
            named.join(" or ")
        }
    };
    let found = match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    };
    let expected_text = match expected.as_str() {
        "string" => "a string".to_string(),
        "array" => "a list".to_string(),
        "object" => "a mapping".to_string(),
        "integer" => "a whole number".to_string(),
        "boolean" => "`true` or `false`".to_string(),
        other => other.to_string(),
    };
    let help = match value {
        Value::Number(n) if expected == "string" => {
            // Quote what was written: YAML has already turned `3.10` into 3.1.
            let at = source.value_location(path);
            let written = source.text.get(at.offset..at.offset + at.len).unwrap_or_default().trim();
            let written = if written.is_empty() { n.to_string() } else { written.to_string() };
            if written == n.to_string() {
                Some(format!("quote it: `\"{written}\"`; names and versions are strings"))
            } else {
                Some(format!("quote it: `\"{written}\"`; unquoted, YAML reads `{written}` as the number {n}"))
            }
        }
        Value::String(text) if expected == "integer" && text.trim().parse::<u64>().is_ok() => {
            Some(format!("remove the quotes: `{}`", text.trim()))
        }
        Value::Null if expected == "object" => Some("write `{}` for an entry with no settings".to_string()),
        // `script: rspec`, GitLab's spelling of a one-line script, or `caches: gems`.
        Value::String(text) if expected == "array" => {
            Some(format!("write it as a list: `{}: [{}]`", last_key(path).unwrap_or("field"), flow_item(text)))
        }
        // `[true]` in a script: YAML reads the word as a boolean.
        Value::Bool(_) if expected == "string" => {
            let at = source.value_location(path);
            let written = source.text.get(at.offset..at.offset + at.len).unwrap_or_default().trim();
            (!written.is_empty())
                .then(|| format!("quote it: `\"{written}\"`; unquoted, YAML reads `{written}` as a boolean"))
        }
        _ => None,
    };
    // A number where a whole one belongs is shown as written (`1.5`), not as "a number"; so is
    // one too large for a float (`1e400`), which YAML 1.2 reads as a number (infinite) and the
    // reader keeps as text.
    let found = match value {
        Value::Number(_) if expected == "integer" => show(&Value::String(as_written(value, path, source))),
        Value::String(text) if expected == "integer" && is_plain_infinite_float(text, path, source) => {
            show(&Value::String(text.clone()))
        }
        _ => found.to_string(),
    };
    // A top-level field belongs to the model, not to itself (`images` in the model).
    let owner = if path.segments().len() <= 1 { "the model".to_string() } else { subject(path) };
    Diagnostic::new(
        "wrong-type",
        path.clone(),
        format!("{} in {owner} should be {expected_text}, not {found}", show_field(path)),
    )
    .label(format!("expected {expected_text}"))
    .maybe_help(help)
}

/// Whether `text` is written unquoted at `path` and is a float of YAML 1.2's core schema
/// (`1e400`) too large for a 64-bit float: a number, not text, to whoever reads the YAML.
fn is_plain_infinite_float(text: &str, path: &ModelPath, source: &SourceFile) -> bool {
    let at = source.value_location(path);
    let written = source.text.get(at.offset..at.offset + at.len).unwrap_or_default().trim();
    written == text
        && text.bytes().any(|b| b.is_ascii_digit())
        && text.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && text.parse::<f64>().is_ok_and(f64::is_infinite)
}

/// `text` as an item of a YAML flow list: plain when YAML reads it back as this string there,
/// else double-quoted (a JSON string is a YAML one).
fn flow_item(text: &str) -> String {
    let plain = crate::yaml::plain_scalar_value(text) == Some(crate::yaml::Value::String(text.to_string()))
        && !text.contains([',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', ':'])
        && !text.starts_with(['-', '?', ' '])
        && !text.ends_with(' ')
        && !text.contains('\n');
    if plain { text.to_string() } else { Value::String(text.to_string()).to_string() }
}

fn show_field(path: &ModelPath) -> String {
    match path.segments().last() {
        Some(Segment::Index(i)) => format!("the {} item of `{}`", ordinal(i + 1), last_key(path).unwrap_or("list")),
        Some(Segment::Key(k)) => format!("`{k}`"),
        None => "the model".to_string(),
    }
}

/// `1` → `first`: prose counts from one, where the path (`from[0]`) counts from zero.
fn ordinal(n: usize) -> String {
    const WORDS: [&str; 10] =
        ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"];
    if let Some(word) = WORDS.get(n.wrapping_sub(1)) {
        return (*word).to_string();
    }
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn pattern_violation(path: &ModelPath, value: &Value, pattern: &str) -> Diagnostic {
    let text = value.as_str().unwrap_or_default();
    let field = last_key(path).unwrap_or("value");
    let address = if pattern == patterns::SERVICE_NAME { address_of(text) } else { None };
    let (code, message, help): (&str, String, String) = match pattern {
        p if p == patterns::DURATION => {
            // The parser accepts more digits than the pattern; what it accepts is only too long.
            let reason = Duration::parse(text).err().map(|e| e.reason).unwrap_or("the number is too large");
            ("bad-duration", format!("invalid duration `{text}` for `{field}` in {}", subject(path)), reason.to_string())
        }
        // The image graph only has the model's images; an external base image is the Dockerfile's.
        p if p == patterns::NAME && field == "from" && crate::model::is_external_reference(text) => (
            "unknown-parent",
            format!("`{text}` is not an image of this model"),
            format!("`from` names images of this model; for an external base image, write `FROM {text}` in the Dockerfile"),
        ),
        p if p == patterns::SERVICE_NAME && address.is_some() => (
            "reserved-name",
            format!("service `{text}` cannot be reached at its name: {}", address.unwrap_or_default()),
            if text.contains("localhost") || text.starts_with("ip6-") {
                "jobs reach a service at the host name of its key; name it after what it runs, e.g. `app` or `db`".to_string()
            } else {
                format!("jobs reach a service at the host name of its key; give it a name that is no number, e.g. `db-{text}`")
            },
        ),
        p if p == patterns::NAME || p == patterns::JOB_NAME || p == patterns::SERVICE_NAME => {
            let what = path_kind(path);
            let start = if p == patterns::JOB_NAME { "start with a letter, " } else { "" };
            (
                "invalid-name",
                format!("`{text}` is not a valid {what} name"),
                format!(
                    "names {start}use lowercase letters, digits and dashes (not at the ends), because they become registry repositories and job names on GitLab and GitHub; e.g. `{}`",
                    sanitize_name(text, (p == patterns::JOB_NAME).then_some("job-"))
                ),
            )
        }
        p if p == patterns::AXIS || p == patterns::AXIS_NAME => (
            "invalid-name",
            format!("`{text}` is not a valid axis name"),
            format!("axis names are environment variables of the jobs: lowercase letters, digits and `_`, starting with a letter; e.g. `{}`", sanitize_name(text, Some("axis-")).replace('-', "_")),
        ),
        // TARGET and AXIS_VALUE are the same expression; the field tells them apart.
        p if p == patterns::TARGET && field == "target" => (
            "invalid-value",
            format!("`{text}` is not a valid build target"),
            "a multi-stage target is a stage name of the Dockerfile (`FROM … AS <name>`)".into(),
        ),
        p if p == patterns::ALIAS_TAG => (
            "invalid-alias",
            format!("`{text}` is not a valid alias tag in {}", subject(path)),
            "a tag holds letters, digits, `_`, `.` and `-`; placeholders are `${axis}`, `${axis.field}` or a pipeline value such as `${branch}`, `${git_tag}`, `${semver.major}`, `${date}` or `${short_commit}`; write `-` where you meant `/`, `:` or `+`".into(),
        ),
        p if p == patterns::COMMAND => (
            "invalid-value",
            format!("the health check command of {} is blank", subject(path)),
            "a blank command succeeds at once (`sh -c ''`, `--health-cmd \"\"`), so jobs would not wait for the service; write the command that tells it is ready, e.g. `pg_isready -h \"$PIPEGEN_SERVICE_HOST\"`".into(),
        ),
        p if p == patterns::REF_GLOB => (
            "invalid-value",
            format!("`{text}` is not a branch or tag pattern"),
            "write a branch or git tag name, or a shell pattern such as `release/*`, without spaces".into(),
        ),
        p if p == patterns::AXIS_VALUE => (
            "invalid-axis-value",
            format!("`{text}` is not a valid axis value"),
            "axis values appear in job names and image tags: letters, digits, `.`, `_` and `-`, starting with a letter or digit".into(),
        ),
        p if p == patterns::ENV_NAME
            || p == patterns::SECRET_NAME
            || p == patterns::BUILD_ARG
            || p == patterns::JOB_ENV_NAME
            || p == patterns::SERVICE_ENV_NAME =>
        {
            (
            "invalid-name",
            format!("`{text}` is not a valid variable name"),
            "build argument and environment variable names use letters, digits and `_`, and do not start with a digit".into(),
        )
        }
        p if p == patterns::REGISTRY => (
            "invalid-registry",
            format!("`{text}` is not a valid registry"),
            "write a host (and port) with an optional lowercase path, e.g. `registry.example.com/team`; no scheme, no tag".into(),
        ),
        p if p == patterns::IMAGE_REF => (
            "invalid-image",
            format!("`{text}` is not a valid image reference"),
            "write an image of this model by name, or an external reference in lowercase with a tag or digest, e.g. `postgres:16.4`".into(),
        ),
        p if p == patterns::REL_PATH
            || p == patterns::REL_PATH_TEMPLATE
            || p == patterns::REL_GLOB
            || p == patterns::GLOB_SAFE_PATH
            || p == patterns::GLOB_SAFE_PATH_TEMPLATE
            || p == patterns::ARTIFACT_GLOB =>
        (
            "invalid-path",
            format!("`{text}` is not a valid path for `{field}` in {}", subject(path)),
            if (p == patterns::REL_PATH_TEMPLATE || p == patterns::GLOB_SAFE_PATH_TEMPLATE) && starts_like_an_option(text) {
                "a path starting with `-` reaches the build tools (buildah, docker buildx, `mkdir`, `rm`) as an option, not a path: rename the directory".into()
            } else if p == patterns::ARTIFACT_GLOB && text.contains('$') {
                "GitLab Runner expands variables in artifact paths (`$HOME/x` names its home directory's `x`) and GitHub's upload-artifact does not, so the same path would name two places: rename the file or directory".into()
            } else if p == patterns::GLOB_SAFE_PATH_TEMPLATE && text.contains('$') && !text.contains(['*', '?', '[', ']', '\\']) {
                "a cache path may hold `${axis}` and `${axis.field}`, and no other `$`: GitLab Runner expands variables in cache paths and GitHub's actions/cache does not, so the same path would name two places; rename the directory".into()
            } else if p == patterns::GLOB_SAFE_PATH_TEMPLATE && text.contains([',', '"']) {
                "an image's cache reaches buildah and docker buildx inside a comma-separated option (`--output type=local,dest=<path>`), where `,` and `\"` split the path: rename the directory".into()
            } else if text.contains('\\') && (p == patterns::REL_PATH || p == patterns::REL_PATH_TEMPLATE || p == patterns::REL_GLOB) {
                let with_slashes = text.replace('\\', "/");
                if let Some(wildcards) = escapes_glob_characters(text) {
                    if p == patterns::REL_GLOB && leaves_the_repository(&wildcards) {
                        "pipegen's globs have no escape character, and are relative to the repository root: no leading `/`, no `..`".into()
                    } else if p == patterns::REL_GLOB {
                        format!(
                            "pipegen's globs have no escape character: to match a `[`, `]`, `{{`, `}}`, `?` or `\\` in a file name, put `?` (any one character) in its place, `{wildcards}`, or name the directory that holds the file"
                        )
                    } else {
                        "a model's paths have no escape character and separate directories with `/`; this one cannot hold `[`, `]`, `{`, `}` or `?`: rename the file or directory".into()
                    }
                } else if leaves_the_repository(&with_slashes) {
                    "a model's paths separate directories with `/`, as the runners do, and hold no `\\`".into()
                } else {
                    format!("a model's paths separate directories with `/`, as the runners do: write `{with_slashes}`")
                }
            } else if p == patterns::ARTIFACT_GLOB && text.contains(['[', ']', '{', '}']) && !glob_reads_otherwise(text) && !leaves_the_repository(text) {
                "artifact globs use `*`, `**` and `?` only, which both platforms read alike (GitLab Runner reads `{a,b}` as alternatives, GitHub's @actions/glob as text): write one pattern per alternative".into()
            } else if (p == patterns::GLOB_SAFE_PATH || p == patterns::GLOB_SAFE_PATH_TEMPLATE || p == patterns::ARTIFACT_GLOB) && glob_reads_otherwise(text) {
                "the platforms read this path as a glob (GitHub's actions/cache, upload-artifact and hashFiles trim blanks at either end, skip a path starting with `#`, read a leading `!` as an exclusion and `~` as the home directory; `\\` escapes on both platforms): rename it, or name its directory".into()
            } else if p == patterns::REL_GLOB || p == patterns::ARTIFACT_GLOB {
                "paths and globs are relative to the repository root: no leading `/`, no `..`".into()
            } else if p == patterns::REL_PATH && text.contains("${") {
                "`${axis}` works in contexts, Dockerfiles, inputs and cache paths, not here; paths are relative to the repository root: no leading `/`, no `..`, no glob characters".into()
            } else if p == patterns::REL_PATH_TEMPLATE && text.contains("${") {
                "paths are relative to the repository root: no leading `/`, no `..`, no glob characters; a placeholder is `${axis}` or `${axis.field}` (lowercase names), and `$$` is a literal `$`".into()
            } else {
                "paths are relative to the repository root: no leading `/`, no `..`, no glob characters".into()
            },
        ),
        p if p == patterns::BRANCH_PATTERN => (
            "invalid-branch",
            format!("`{text}` is not a branch name or prefix"),
            "write a branch name, or a prefix followed by one final `*` (`release/*`), or `*` for every branch; letters, digits, `.`, `_`, `/` and `-`".into(),
        ),
        p if p == patterns::RUNNER_TAG => (
            "invalid-value",
            format!("`{text}` is not a valid runner tag or label"),
            "runner tags and labels use letters, digits, `.`, `_`, `-` and inner spaces, e.g. `ubuntu-24.04-arm`".into(),
        ),
        "^/" => ("invalid-value", format!("the health check path `{text}` must start with `/`"), format!("write `/{text}`")),
        other => ("invalid-value", format!("{} does not match `{other}`", show(value)), String::new()),
    };
    // An empty value has nothing to quote: "`` is not a valid path" reads as a typo of pipegen's.
    let message = if text.is_empty() && value.is_string() {
        format!("{} in {} is empty", show_field(path), subject(path))
    } else {
        message
    };
    let diagnostic = Diagnostic::new(code, path.clone(), message).label("here");
    if help.is_empty() { diagnostic } else { diagnostic.help(help) }
}

/// When some `\` in `text` reads as an escape rather than a Windows separator (it comes before
/// `[`, `]`, `{`, `}`, `?` or another `\`; before `*` it is taken for a separator, `src\*.rs`):
/// `text` with each escaped character and its `\` replaced by `?`, and every other `\` by `/`.
fn escapes_glob_characters(text: &str) -> Option<String> {
    const ESCAPED: [char; 6] = ['[', ']', '{', '}', '?', '\\'];
    let mut out = String::with_capacity(text.len());
    let mut escapes = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let rest = chars.as_str();
        match rest.chars().next() {
            Some(next) if ESCAPED.contains(&next) => {
                escapes = true;
                out.push('?');
                chars.next();
            }
            _ => out.push('/'),
        }
    }
    escapes.then_some(out)
}

/// Whether `text` is absolute or climbs out with a `..` component.
fn leaves_the_repository(text: &str) -> bool {
    text.starts_with('/') || text.split('/').any(|c| c == "..")
}

/// Whether `text` holds what only a glob-safe path refuses: the platforms' glob libraries would
/// read it as something else than the path.
fn glob_reads_otherwise(text: &str) -> bool {
    text.starts_with(['#', '!', '~'])
        || text.starts_with(char::is_whitespace)
        || text.ends_with(char::is_whitespace)
        || text.contains('\\')
}

/// What a resolver makes of a service's name that [`patterns::SERVICE_NAME`] refuses and
/// [`patterns::NAME`] accepts: an IPv4 address as `inet_aton` reads one number (decimal, octal
/// after a `0`, hex after `0x`), or a name of the container's own `/etc/hosts`.
fn address_of(name: &str) -> Option<String> {
    let plain = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if !plain {
        return None;
    }
    let number = if let Some(hex) = name.strip_prefix("0x") {
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(if hex.is_empty() { Ok(0) } else { u32::from_str_radix(hex, 16) })
    } else if name.bytes().all(|b| b.is_ascii_digit()) {
        Some(if name.len() > 1 && name.starts_with('0') { u32::from_str_radix(name, 8) } else { name.parse::<u32>() })
    } else {
        None
    };
    Some(match number {
        Some(Ok(n)) => {
            let [a, b, c, d] = n.to_be_bytes();
            format!("a resolver reads `{name}` as the IP address {a}.{b}.{c}.{d}")
        }
        Some(Err(_)) => format!("a resolver reads the number `{name}` as an address, never as a host name"),
        None => format!("`{name}` is a name of the job container's own `/etc/hosts`, which points at the job itself"),
    })
}

/// What kind of name sits at `path` (image, job, …), for messages: a reference names what it
/// refers to (`images.gdk.stage` holds a stage name), a key what it declares.
fn path_kind(path: &ModelPath) -> &'static str {
    let referring = match path.segments() {
        [_, _, ..] => last_key(path),
        _ => None,
    };
    match referring {
        Some("stage" | "stages") => return "stage",
        Some("from" | "image") => return "image",
        Some("caches") if path.segments().len() > 2 => return "cache",
        Some("services") if path.segments().len() > 2 => return "service",
        _ => {}
    }
    match path.segments().first() {
        Some(Segment::Key(k)) => match &**k {
            "images" => "image",
            "jobs" => "job",
            "services" => "service",
            "caches" => "cache",
            "stages" => "stage",
            "name" => "model",
            _ => "",
        },
        _ => "",
    }
}

/// Whether a path's first component, after any `./`, starts with `-`.
fn starts_like_an_option(text: &str) -> bool {
    text.split('/').find(|c| !c.is_empty() && *c != ".").is_some_and(|c| c.starts_with('-'))
}

/// A valid name close to `text`, for the help line; `letter_first`: the prefix that makes a name
/// that must start with a letter do so (`1x` → `job-1x`).
fn sanitize_name(text: &str, letter_first: Option<&str>) -> String {
    let lowered: String =
        text.to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let trimmed = lowered.trim_matches('-');
    match letter_first {
        _ if trimmed.is_empty() => "my-name".to_string(),
        Some(prefix) if !trimmed.starts_with(|c: char| c.is_ascii_lowercase()) => format!("{prefix}{trimmed}"),
        _ => trimmed.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::ordinal;

    #[test]
    fn prose_counts_from_one() {
        let said: Vec<String> = [1, 2, 10, 11, 12, 13, 21, 22, 23, 101, 111].into_iter().map(ordinal).collect();
        assert_eq!(
            said,
            ["first", "second", "tenth", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st", "111th"]
        );
    }
}
