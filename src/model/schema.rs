//! The model's JSON Schema: generated from the types in `types.rs`, published as
//! `schema/pipegen.schema.json` for editors, and checked against every model on load.

use std::sync::OnceLock;

use schemars::generate::SchemaSettings;
use serde_json::Value;

use super::patterns;
use super::source::MERGE_KEY;
use super::types::Model;

/// The schema's identifier. Editors match it, it never needs to resolve.
pub const SCHEMA_ID: &str = "https://pipegen.dev/schema/1/pipegen.schema.json";

/// The JSON Schema (draft-07, which every editor's YAML support reads) of model format 1.
pub fn json_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let generator = SchemaSettings::draft07().into_generator();
        let schema = generator.into_root_schema_for::<Model>();
        let mut value = serde_json::to_value(schema).expect("a generated schema is valid JSON");
        for_editors(&mut value);
        if let Value::Object(map) = &mut value {
            // `$id` and `$schema` first, then the rest in generated order.
            let mut ordered = serde_json::Map::new();
            ordered.insert("$schema".into(), map.remove("$schema").unwrap_or(Value::Null));
            ordered.insert("$id".into(), Value::String(SCHEMA_ID.into()));
            for (k, v) in std::mem::take(map) {
                ordered.insert(k, v);
            }
            *map = ordered;
        }
        value
    })
}

/// What editors need beyond draft-07, added to every sub-schema:
///
/// - descriptions unwrapped: doc comments wrap at 100 columns, and yaml-language-server turns
///   every single newline into a paragraph break;
/// - `markdownDescription`, the same text, so hovers and completions show `code` as code;
/// - `patternErrorMessage` (yaml-language-server, VS Code) next to every `pattern`, so a typo gets
///   "write a duration: …, e.g. `30s`" rather than the bare regular expression;
/// - every `propertyNames` takes the merge key `<<` too: editors validate the document as
///   written, where `args: { <<: *shared, EXTRA: "1" }` has a key `<<`, while `pipegen` resolves
///   merges before it validates, so its own validator never sees one. `if`/`else` rather than a
///   wider pattern keeps the name rule, and its message, exactly as they were for every other key;
/// - a property's own description first: see [`own_description_first`].
///
/// Validators ignore these keywords; `pipegen` explains its own errors in `schema_errors`.
fn for_editors(schema: &mut Value) {
    let Value::Object(map) = schema else { return };
    let mut out = serde_json::Map::new();
    for (key, mut value) in std::mem::take(map) {
        match key.as_str() {
            // Maps of sub-schemas.
            "properties" => {
                if let Value::Object(children) = &mut value {
                    for child in children.values_mut() {
                        for_editors(child);
                        own_description_first(child);
                    }
                }
            }
            "definitions" | "patternProperties" => {
                if let Value::Object(children) = &mut value {
                    children.values_mut().for_each(for_editors);
                }
            }
            // Lists of sub-schemas.
            "allOf" | "anyOf" | "oneOf" => {
                if let Value::Array(children) = &mut value {
                    children.iter_mut().for_each(for_editors);
                }
            }
            // One sub-schema (or a list of them, for `items`).
            "items" | "additionalProperties" | "propertyNames" | "not" | "if" | "then" | "else" => match &mut value {
                Value::Array(children) => children.iter_mut().for_each(for_editors),
                other => for_editors(other),
            },
            _ => {}
        }
        let extra = match (key.as_str(), &value) {
            ("description", Value::String(text)) => {
                value = Value::String(unwrap_paragraphs(text));
                Some(("markdownDescription", value.clone()))
            }
            ("pattern", Value::String(pattern)) => {
                patterns::editor_message(pattern).map(|m| ("patternErrorMessage", Value::String(m.into())))
            }
            _ => None,
        };
        if key == "propertyNames" {
            value = serde_json::json!({ "if": { "const": MERGE_KEY }, "else": value });
        }
        out.insert(key, value);
        if let Some((extra_key, extra_value)) = extra {
            out.insert(extra_key.into(), extra_value);
        }
    }
    *map = out;
}

/// Make yaml-language-server's hover show a property's own description (its default, its
/// advice) rather than the generic one of the type it refers to.
///
/// A property of a named type is a wrapper: `allOf: [{$ref}]`, or `anyOf: [{$ref}, {type: null}]`
/// when it is optional. The server's hover takes the first description among the schemas that
/// matched the value, and it records a schema only after the schemas inside it, so the referenced
/// definition's description ("A duration: …") won. Repeating the property's description as the
/// first `allOf` entry puts it first (the server checks `allOf` before `anyOf`/`oneOf`).
///
/// The server also joins the descriptions of every `anyOf` branch ("… || …") when each branch
/// seems matched, comparing title, description and properties: a `{type: null}` branch equals any
/// schema without them (such as a `oneOf` branch `{required: [http]}` of `health`). Its own
/// description tells it apart, and says what `null` means.
fn own_description_first(property: &mut Value) {
    let Value::Object(map) = property else { return };
    if let Some(Value::Array(branches)) = map.get_mut("anyOf") {
        for branch in branches.iter_mut().filter(|b| **b == serde_json::json!({ "type": "null" })) {
            let text = "Nothing: the same as leaving the field out.";
            branch["description"] = text.into();
            branch["markdownDescription"] = text.into();
        }
    }
    if !["allOf", "anyOf", "oneOf"].iter().any(|key| map.contains_key(*key)) {
        return;
    }
    let Some(description) = map.get("description").cloned() else { return };
    let markdown = map.get("markdownDescription").cloned().unwrap_or_else(|| description.clone());
    let own = serde_json::json!({ "description": description, "markdownDescription": markdown });
    if let Value::Array(parts) = map.entry("allOf").or_insert_with(|| Value::Array(Vec::new())) {
        parts.insert(0, own);
    }
}

/// Join the lines of each paragraph with spaces; paragraphs stay apart.
fn unwrap_paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(|paragraph| paragraph.lines().map(str::trim).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The schema as the text of `schema/pipegen.schema.json`.
pub fn json_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(json_schema()).expect("a schema serializes");
    text.push('\n');
    text
}

/// The compiled validator of `pipegen`'s own first check, built once: the published schema with
/// the patterns `validate` checks again reduced to their form ([`patterns::checked_by_schema`]).
pub fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let mut schema = json_schema().clone();
        reduce_patterns(&mut schema);
        jsonschema::validator_for(&schema).expect("the generated schema compiles")
    })
}

/// Replace each `pattern` in `schema` by what `pipegen`'s validator checks instead.
fn reduce_patterns(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match (key.as_str(), value) {
                    ("pattern", Value::String(pattern)) => {
                        let reduced = patterns::checked_by_schema(pattern);
                        if reduced != pattern {
                            *pattern = reduced.to_string();
                        }
                    }
                    (_, value) => reduce_patterns(value),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(reduce_patterns),
        _ => {}
    }
}

/// The sub-schema that governs the value at `pointer` (a JSON pointer into an instance),
/// following `$ref`, `properties`, `additionalProperties`, `items` and the branches of
/// `anyOf`/`oneOf`/`allOf`. Used to list the fields a misspelt key could have meant.
pub fn schema_at<'a>(instance_path: &[String]) -> Option<&'a Value> {
    let root = json_schema();
    let mut current = resolve(root, root);
    for segment in instance_path {
        let next = step(root, current, segment)?;
        current = resolve(root, next);
    }
    Some(current)
}

/// `schema` with its `$ref`s followed, within the model's schema.
pub fn resolved(schema: &Value) -> &Value {
    resolve(json_schema(), schema)
}

fn resolve<'a>(root: &'a Value, mut schema: &'a Value) -> &'a Value {
    while let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let Some(pointer) = reference.strip_prefix('#') else { break };
        match root.pointer(pointer) {
            Some(target) => schema = target,
            None => break,
        }
    }
    schema
}

fn step<'a>(root: &'a Value, schema: &'a Value, segment: &str) -> Option<&'a Value> {
    if let Some(found) = schema.get("properties").and_then(|p| p.get(segment)) {
        return Some(found);
    }
    if let Some(additional) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        return Some(additional);
    }
    if let Some(items) = schema.get("items").filter(|_| segment.parse::<usize>().is_ok()) {
        return Some(items);
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(branches)) = schema.get(key) {
            for branch in branches {
                if let Some(found) = step(root, resolve(root, branch), segment) {
                    return Some(found);
                }
            }
        }
    }
    None
}

/// The fields an object at `instance_path` may have, including those of the object branches of
/// an `anyOf`/`oneOf`/`allOf` there (a `from` entry is a name or `{ image, arg }`).
pub fn fields_at(instance_path: &[String]) -> Vec<String> {
    let root = json_schema();
    let mut fields = Vec::new();
    let mut pending: Vec<&Value> = schema_at(instance_path).into_iter().collect();
    while let Some(schema) = pending.pop() {
        let schema = resolve(root, schema);
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            fields.extend(properties.keys().filter(|k| !fields.contains(*k)).cloned().collect::<Vec<_>>());
        }
        for key in ["anyOf", "oneOf", "allOf"] {
            if let Some(Value::Array(branches)) = schema.get(key) {
                pending.extend(branches.iter().rev());
            }
        }
    }
    fields
}

/// The description of the field at `instance_path`, for "missing field" help.
pub fn description_at(instance_path: &[String]) -> Option<String> {
    schema_at(instance_path).and_then(|s| s.get("description")).and_then(Value::as_str).map(str::to_string)
}

/// Whether `schema` takes values of `value`'s kind (a string, a list, a mapping, a number…),
/// whatever their content: `tag` takes a string, so `tags: [a, b]` is no misspelt `tag`.
/// A schema that says nothing about kinds takes every kind.
pub fn accepts_kind(schema: &Value, value: &Value) -> bool {
    let root = json_schema();
    let schema = resolve(root, schema);
    // Every keyword must hold, as in JSON Schema itself.
    let typed = match schema.get("type") {
        Some(Value::String(t)) => kind_matches(t, value),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).any(|t| kind_matches(t, value)),
        _ => true,
    };
    let constants: Vec<&Value> = schema
        .get("const")
        .into_iter()
        .chain(schema.get("enum").and_then(Value::as_array).into_iter().flatten())
        .collect();
    let constant =
        constants.is_empty() || constants.iter().any(|c| std::mem::discriminant(*c) == std::mem::discriminant(value));
    let branches = ["anyOf", "oneOf"].iter().all(|key| match schema.get(*key) {
        Some(Value::Array(branches)) => branches.iter().any(|branch| accepts_kind(branch, value)),
        _ => true,
    });
    let all = match schema.get("allOf") {
        Some(Value::Array(parts)) => parts.iter().all(|part| accepts_kind(part, value)),
        _ => true,
    };
    typed && constant && branches && all
}

fn kind_matches(name: &str, value: &Value) -> bool {
    match (name, value) {
        ("null", Value::Null) | ("boolean", Value::Bool(_)) | ("string", Value::String(_)) => true,
        ("array", Value::Array(_)) | ("object", Value::Object(_)) | ("number", Value::Number(_)) => true,
        ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string written under the keyword `keyword` (`pattern`, `description`) in `schema`.
    fn strings_of<'a>(keyword: &str, schema: &'a Value, out: &mut Vec<&'a str>) {
        match schema {
            Value::Object(map) => map.iter().for_each(|(key, value)| match value {
                Value::String(text) if key == keyword => out.push(text),
                value => strings_of(keyword, value, out),
            }),
            Value::Array(items) => items.iter().for_each(|item| strings_of(keyword, item, out)),
            _ => {}
        }
    }

    /// Every property schema in `schema`, with its name.
    fn properties_in<'a>(schema: &'a Value, out: &mut Vec<(&'a str, &'a Value)>) {
        match schema {
            Value::Object(map) => map.iter().for_each(|(key, value)| {
                if let ("properties", Value::Object(properties)) = (key.as_str(), value) {
                    out.extend(properties.iter().map(|(name, property)| (name.as_str(), property)));
                }
                properties_in(value, out);
            }),
            Value::Array(items) => items.iter().for_each(|item| properties_in(item, out)),
            _ => {}
        }
    }

    #[test]
    fn a_property_of_a_named_type_leads_with_its_own_description() {
        let mut properties = Vec::new();
        properties_in(json_schema(), &mut properties);
        let wrappers: Vec<_> = properties
            .iter()
            .filter(|(_, p)| p.get("description").is_some() && (p.get("anyOf").is_some() || p.get("allOf").is_some()))
            .collect();
        assert!(wrappers.len() >= 21, "{}", wrappers.len());
        for (name, property) in wrappers {
            let first = &property["allOf"][0];
            assert_eq!(first["description"], property["description"], "{name}");
            assert_eq!(first["markdownDescription"], property["markdownDescription"], "{name}");
            for branch in property.get("anyOf").and_then(Value::as_array).into_iter().flatten() {
                if branch["type"] == "null" {
                    assert!(branch.get("description").is_some(), "the null branch of {name}");
                }
            }
        }
    }

    /// Doc comments are published: notes for pipegen's developers belong in `//` comments.
    #[test]
    fn published_descriptions_hold_no_notes_about_the_code() {
        let mut descriptions = Vec::new();
        strings_of("description", json_schema(), &mut descriptions);
        assert!(descriptions.len() > 100);
        let words = ["serde", "schemars", "struct", "enum", "variant `", "`Many`", "`Edge`", "Rust", "TODO", "FIXME"];
        for text in descriptions {
            for word in words {
                assert!(!text.contains(word), "a description mentions {word}: {text}");
            }
        }
    }

    #[test]
    fn pipegens_validator_checks_the_form_of_what_validate_checks_again() {
        let mut published = Vec::new();
        strings_of("pattern", json_schema(), &mut published);
        let mut reduced_schema = json_schema().clone();
        reduce_patterns(&mut reduced_schema);
        let mut reduced = Vec::new();
        strings_of("pattern", &reduced_schema, &mut reduced);
        assert_eq!(published.len(), reduced.len());
        for strict in
            [patterns::JOB_NAME, patterns::DURATION, patterns::SECRET_NAME, patterns::IMAGE_REF, patterns::ALIAS_TAG]
        {
            assert!(published.contains(&strict), "the published schema has {strict}");
            assert!(!reduced.contains(&strict), "pipegen's validator does not compile {strict}");
        }
        // What editors refuse and pipegen's validator lets through is what `validate` reports.
        for (strict, text) in [
            (patterns::JOB_NAME, "image"),
            (patterns::DURATION, "0s"),
            (patterns::SECRET_NAME, "CI_X"),
            (patterns::ALIAS_TAG, "-x"),
            (patterns::ALIAS_TAG, ".x"),
        ] {
            assert!(!patterns::matches(strict, text));
            assert!(patterns::matches(patterns::checked_by_schema(strict), text));
        }
    }
}
