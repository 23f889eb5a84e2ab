//! Reading a model: YAML syntax, then the JSON Schema, then typed values, then the semantic
//! checks. Each step reports every problem it finds, located in the text; a later step only
//! runs on what the earlier ones accepted.

use std::sync::Arc;

use serde_json::Value as Json;

use super::diagnostic::{Diagnostic, ModelErrors};
use super::path::ModelPath;
use super::source::SourceFile;
use super::types::Model;
use super::{schema_errors, validate};
use crate::yaml;

/// A model that passed every check, with its text for later messages.
#[derive(Debug, Clone)]
pub struct LoadedModel {
    pub source: Arc<SourceFile>,
    pub model: Model,
}

/// Parse and check a model. `name` is how the file is shown in messages and headers.
pub fn load(name: &str, text: &str) -> Result<LoadedModel, ModelErrors> {
    let source = Arc::new(SourceFile::new(name, text));

    let duplicates: Vec<Diagnostic> = source
        .duplicate_keys()
        .iter()
        .map(|dup| {
            Diagnostic::new("duplicate-key", dup.path.clone(), format!("`{}` is defined twice", dup.path))
                .at_key()
                .label("second definition")
                .help(format!("the first definition is on line {}; remove or rename one of them", dup.first.line))
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

    let value: yaml::Value = match yaml::from_str(text) {
        Ok(value) => value,
        Err(error) => {
            let (line, column) = yaml::error_location(&error).unwrap_or((1, 1));
            let message = error.to_string();
            let message = message.split(" at line ").next().unwrap_or(&message).to_string();
            let diagnostic =
                Diagnostic::new("yaml-syntax", ModelPath::root(), format!("this is not valid YAML: {message}"))
                    .label("the YAML parser stopped here");
            return Err(ModelErrors::at(source.clone(), diagnostic, source.location_at(line, column)));
        }
    };

    let json = to_json(&value);
    if !json.is_object() {
        let diagnostic = Diagnostic::new(
            "not-a-model",
            ModelPath::root(),
            "a model is a YAML mapping with `pipegen: 1`, `name`, `registry` and `images`",
        )
        .label("expected a mapping")
        .help("start from `pipegen init`, or see docs/model.md");
        return Err(ModelErrors::new(source, vec![diagnostic]));
    }
    let schema_problems = schema_errors::check(&json);
    if !schema_problems.is_empty() {
        return Err(ModelErrors::new(source, schema_problems));
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

    let problems = validate::check(&model, &source);
    if !problems.is_empty() {
        return Err(ModelErrors::new(source, problems));
    }
    Ok(LoadedModel { source, model })
}

/// YAML values as JSON for the schema validator. Mapping keys become strings the way YAML wrote
/// them (`3.10:` stays "3.10" as far as YAML kept it); tags are dropped.
fn to_json(value: &yaml::Value) -> Json {
    match value {
        yaml::Value::Null => Json::Null,
        yaml::Value::Bool(b) => Json::Bool(*b),
        yaml::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Json::from(i)
            } else if let Some(u) = n.as_u64() {
                Json::from(u)
            } else {
                n.as_f64().and_then(serde_json::Number::from_f64).map(Json::Number).unwrap_or(Json::Null)
            }
        }
        yaml::Value::String(s) => Json::String(s.clone()),
        yaml::Value::Sequence(items) => Json::Array(items.iter().map(to_json).collect()),
        yaml::Value::Mapping(map) => Json::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = match k {
                        yaml::Value::String(s) => s.clone(),
                        other => yaml::to_string(other).unwrap_or_default().trim_end().to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        yaml::Value::Tagged(tagged) => to_json(&tagged.value),
    }
}
