//! The JSON Schema is what an editor knows about a model: it must describe every field, show an
//! example of it, state its default, and catch malformed values while the user types.
//!
//! `every_property_is_documented` walks every property of the schema (top level, definitions,
//! nested objects) and lists every gap at once. `documented_defaults_are_what_pipegen_does`
//! proves each `default` true: leaving a field out and writing its default give the same
//! pipelines, and writing an example instead gives different ones.

use pipegen::emit::{self, Target};
use pipegen::model::schema::{SCHEMA_ID, json_schema};
use serde_json::{Map, Value, json};

/// A property of the schema: where it is, its schema, and what its parent object says about it.
struct Property<'a> {
    /// `#/definitions/Image/properties/context`, for messages.
    location: String,
    /// The definition it belongs to (`Image`), or `None` at the top level.
    definition: Option<String>,
    name: String,
    schema: &'a Map<String, Value>,
    required: bool,
    /// Required in one branch of the parent's `oneOf`/`anyOf` (`http` | `tcp` | `cmd`): one of a
    /// choice, not an optional field with a default.
    one_of_a_choice: bool,
}

fn properties() -> Vec<Property<'static>> {
    let root = json_schema();
    let mut found = Vec::new();
    collect(root, "#", None, &mut found);
    for (name, definition) in root["definitions"].as_object().expect("definitions") {
        collect(definition, &format!("#/definitions/{name}"), Some(name), &mut found);
    }
    found
}

/// Every property of the object schema `schema` and of the object schemas nested in it.
fn collect(schema: &'static Value, at: &str, definition: Option<&str>, found: &mut Vec<Property<'static>>) {
    let Some(object) = schema.as_object() else { return };
    let names_in = |key: &str| -> Vec<&str> {
        object.get(key).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect()
    };
    let required = names_in("required");
    let mut chosen = Vec::new();
    for key in ["oneOf", "anyOf"] {
        for branch in object.get(key).and_then(Value::as_array).into_iter().flatten() {
            chosen.extend(
                branch.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str),
            );
        }
    }
    if let Some(props) = object.get("properties").and_then(Value::as_object) {
        for (name, property) in props {
            let location = format!("{at}/properties/{name}");
            found.push(Property {
                location: location.clone(),
                definition: definition.map(str::to_string),
                name: name.clone(),
                schema: property.as_object().unwrap_or_else(|| panic!("{location} is not a schema object")),
                required: required.contains(&name.as_str()),
                one_of_a_choice: chosen.contains(&name.as_str()),
            });
            collect(property, &location, definition, found);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = object.get(key) {
            collect(child, &format!("{at}/{key}"), definition, found);
        }
    }
}

/// `schema` with `$ref`s followed (`#/definitions/…`, directly or as the only `allOf` part
/// besides the property's own description, which the schema repeats there for hovers).
fn resolved(schema: &Map<String, Value>) -> &Map<String, Value> {
    let description_only = |part: &Value| {
        part.as_object().is_some_and(|p| p.keys().all(|k| k == "description" || k == "markdownDescription"))
    };
    let reference = schema.get("$ref").or_else(|| match schema.get("allOf").and_then(Value::as_array) {
        Some(all) => match all.iter().filter(|part| !description_only(part)).collect::<Vec<_>>().as_slice() {
            [only] => only.get("$ref"),
            _ => None,
        },
        None => None,
    });
    match reference.and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => resolved(json_schema().pointer(pointer).and_then(Value::as_object).expect("a $ref resolves")),
        None => schema,
    }
}

/// Whether the property holds a list or a mapping (whose natural default is empty).
fn is_collection(schema: &Map<String, Value>) -> bool {
    let schema = resolved(schema);
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect(),
        _ => Vec::new(),
    };
    matches!(types.as_slice(), ["array"] | ["object"])
}

/// A validator for one property's schema, with the root's definitions so its `$ref`s resolve.
fn validator_for(schema: &Map<String, Value>) -> jsonschema::Validator {
    let mut standalone = schema.clone();
    standalone.insert("$schema".into(), json_schema()["$schema"].clone());
    standalone.insert("definitions".into(), json_schema()["definitions"].clone());
    jsonschema::validator_for(&Value::Object(standalone)).expect("a property's schema compiles")
}

/// A value as a model writes it, to compare with the `Default: `…`` of a description.
fn written(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The literal after "Default: " in a description, when it is one backticked value.
fn documented_default(description: &str) -> Option<&str> {
    let rest = &description[description.find("Default: `")? + "Default: `".len()..];
    Some(&rest[..rest.find('`')?])
}

#[test]
fn the_schema_identifies_itself() {
    let root = json_schema();
    assert_eq!(root["$schema"], "http://json-schema.org/draft-07/schema#", "editors read draft-07");
    assert_eq!(root["$id"], SCHEMA_ID);
    assert_eq!(root["title"], "pipegen model");
    assert!(root["description"].as_str().is_some_and(|d| !d.is_empty()), "the model itself needs a description");
    // The same text, wrapped lines joined: yaml-language-server shows each newline as a paragraph.
    for property in properties() {
        let description = property.schema.get("description").and_then(Value::as_str).unwrap_or_default();
        assert!(
            !description.contains(" \n") && !description.contains("\n "),
            "{}: wrapped description",
            property.location
        );
        assert_eq!(property.schema.get("markdownDescription").and_then(Value::as_str), Some(description));
    }
}

#[test]
fn every_property_is_documented() {
    let mut gaps = Vec::new();
    let all = properties();
    assert!(all.len() > 40, "the walk found only {} properties", all.len());
    for property in &all {
        let Property { location, schema, .. } = property;
        let description = schema.get("description").and_then(Value::as_str).unwrap_or_default();
        if description.trim().is_empty() {
            gaps.push(format!("{location}: no description (a doc comment on the field)"));
        }
        let validator = validator_for(schema);
        match schema.get("examples").and_then(Value::as_array) {
            Some(examples) if !examples.is_empty() => {
                for example in examples {
                    if let Some(error) = validator.iter_errors(example).next() {
                        gaps.push(format!("{location}: example {example} is not valid: {error}"));
                    }
                }
            }
            _ => gaps.push(format!("{location}: no examples (`#[schemars(example = …)]`)")),
        }
        let default = schema.get("default");
        if let Some(default) = default
            && let Some(error) = validator.iter_errors(default).next()
        {
            gaps.push(format!("{location}: default {default} is not valid: {error}"));
        }
        if property.required {
            if default.is_some() {
                gaps.push(format!("{location}: required, yet it has a default"));
            }
            continue;
        }
        if property.one_of_a_choice {
            continue;
        }
        let collection = is_collection(schema);
        match (default, documented_default(description)) {
            // An empty list or mapping needs no words; a non-empty one does.
            (Some(default), _) if collection => {
                if default.as_array().is_some_and(|a| !a.is_empty()) || default.as_object().is_some_and(|o| !o.is_empty())
                {
                    gaps.push(format!("{location}: a collection whose default is not empty: {default}"));
                }
            }
            (Some(default), Some(literal)) if literal == written(default) => {}
            (Some(default), documented) => gaps.push(format!(
                "{location}: `default` is {default} but the description says {}; hovers show only the description, so write \"Default: `{}`.\"",
                documented.map_or("nothing".to_string(), |d| format!("`{d}`")),
                written(default)
            )),
            // `build-<depth>`, `<context>/Dockerfile`: derived from the rest of the model.
            (None, Some(literal)) if literal.contains('<') => {}
            (None, Some(literal)) => gaps.push(format!(
                "{location}: the description documents the default `{literal}` but the schema has no `default` (`extend(\"default\" = …)`)"
            )),
            (None, None) if collection => {}
            (None, None) if description.contains("Default: ") => {}
            (None, None) => gaps.push(format!(
                "{location}: optional, but neither a `default` nor \"Default: …\" in the description says what leaving it out means"
            )),
        }
    }
    assert!(gaps.is_empty(), "schema gaps:\n  {}", gaps.join("\n  "));
}

/// Every `pattern` of the schema, with where it is.
fn patterns(value: &Value, at: &str, found: &mut Vec<(String, Map<String, Value>)>) {
    match value {
        Value::Object(map) => {
            if map.contains_key("pattern") {
                found.push((at.to_string(), map.clone()));
            }
            for (key, child) in map {
                if key != "examples" && key != "default" {
                    patterns(child, &format!("{at}/{key}"), found);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                patterns(child, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

#[test]
fn every_pattern_explains_itself_to_editors() {
    let mut found = Vec::new();
    patterns(json_schema(), "#", &mut found);
    // Names, image references, paths, durations, registries, variables, axis values, targets.
    assert!(found.len() >= 15, "only {} patterns", found.len());
    let missing: Vec<String> = found
        .iter()
        .filter(|(_, schema)| schema.get("patternErrorMessage").and_then(Value::as_str).is_none_or(str::is_empty))
        .map(|(at, schema)| format!("{at}: {}", schema["pattern"]))
        .collect();
    assert!(
        missing.is_empty(),
        "patterns without a patternErrorMessage (add one in patterns::editor_message):\n  {}",
        missing.join("\n  ")
    );
}

/// Malformed values an editor must flag: the schema rejects each one where a valid value passes.
#[test]
fn the_schema_catches_typos_while_typing() {
    let validator = jsonschema::validator_for(json_schema()).expect("compiles");
    let model = |image: Value, job: Value| {
        json!({
            "pipegen": 1, "name": "demo", "registry": "registry.example.com/demo",
            "images": { "base": image },
            "jobs": { "qa": job }
        })
    };
    let ok_job = json!({ "script": ["true"] });
    assert!(validator.is_valid(&model(json!({ "context": "images/base" }), ok_job.clone())));
    let health = |check: Value| {
        let mut instance = model(json!({}), ok_job.clone());
        instance["services"] = json!({ "db": { "image": "postgres:16", "port": 5432, "health": check } });
        instance
    };
    assert!(validator.is_valid(&health(json!({ "cmd": "pg_isready" }))));
    let bad = [
        ("a misspelt field", model(json!({ "form": "x" }), ok_job.clone())),
        ("an unknown tag mode", model(json!({ "tag": "comit" }), ok_job.clone())),
        ("an absolute context", model(json!({ "context": "/images" }), ok_job.clone())),
        ("a context outside the repository", model(json!({ "context": "../images" }), ok_job.clone())),
        ("`..` after a newline", model(json!({ "context": "images\n/../../etc" }), ok_job.clone())),
        ("an input glob with `..` after a newline", model(json!({ "inputs": ["a\n/../b"] }), ok_job.clone())),
        ("an uppercase parent", model(json!({ "from": "Base" }), ok_job.clone())),
        ("a duration with a space", model(json!({}), json!({ "script": ["true"], "timeout": "5 minutes" }))),
        ("a duration without a unit", model(json!({}), json!({ "script": ["true"], "timeout": "30" }))),
        ("an uppercase image reference", model(json!({}), json!({ "script": ["true"], "image": "Postgres:16" }))),
        ("retry over GitLab's limit", model(json!({}), json!({ "script": ["true"], "retry": 3 }))),
        ("a repeated stage", {
            let mut m = model(json!({}), ok_job.clone());
            m["stages"] = json!(["test", "test"]);
            m
        }),
        ("an empty axis", {
            let mut m = model(json!({}), ok_job.clone());
            m["axes"] = json!({ "ruby": [] });
            m
        }),
        ("a repeated axis value", {
            let mut m = model(json!({}), ok_job.clone());
            m["axes"] = json!({ "ruby": ["3.3", "3.3"] });
            m
        }),
        ("an image's repeated axis", model(json!({ "axes": ["ruby", "ruby"] }), ok_job.clone())),
        ("an image's repeated cache", model(json!({ "caches": ["go", "go"] }), ok_job.clone())),
        ("a repeated parent", model(json!({ "from": ["base", "base"] }), ok_job.clone())),
        ("an empty list of parents", model(json!({ "from": [] }), ok_job.clone())),
        ("a job's repeated axis", model(json!({}), json!({ "script": ["true"], "axes": ["ruby", "ruby"] }))),
        ("a job's repeated cache", model(json!({}), json!({ "script": ["true"], "caches": ["gems", "gems"] }))),
        ("a job's repeated service", model(json!({}), json!({ "script": ["true"], "services": ["db", "db"] }))),
        ("a health check kind left empty", health(json!({ "cmd": null }))),
        ("a health check path left empty", health(json!({ "http": null }))),
        ("a blank health check command", health(json!({ "cmd": " " }))),
        ("an empty health check path", health(json!({ "http": "" }))),
        (
            "an unknown artifacts when",
            model(json!({}), json!({ "script": ["true"], "artifacts": { "paths": ["x"], "when": "never" } })),
        ),
    ];
    for (what, instance) in bad {
        assert!(!validator.is_valid(&instance), "the schema accepts {what}: {instance}");
    }
    // Top-level `x-` keys hold anchors; elsewhere an unknown key is still a typo.
    let mut shared = model(json!({ "context": "images/base" }), ok_job.clone());
    shared["x-common"] = json!({ "anything": ["goes", 1] });
    assert!(validator.is_valid(&shared));
    let nested = model(json!({ "x-common": 1 }), ok_job);
    assert!(!validator.is_valid(&nested));
}

/// Editors validate a model as written, merge keys included (`args: { <<: *shared, EXTRA: "1" }`),
/// so every mapping keyed by names takes the key `<<`; any other bad name is still refused.
#[test]
fn every_name_rule_lets_a_merge_key_through() {
    let validator = jsonschema::validator_for(json_schema()).expect("compiles");
    let shared = json!({ "anything": 1 });
    let merged = json!({
        "pipegen": 1, "name": "demo", "registry": "registry.example.com/demo",
        "axes": { "<<": shared, "pg": [{ "<<": shared, "value": "16.13" }] },
        "caches": { "<<": shared },
        "images": { "<<": shared, "app": { "args": { "<<": shared, "EXTRA": "1" } } },
        "services": { "<<": shared, "db": { "image": "postgres:16", "port": 5432, "env": { "<<": shared } } },
        "jobs": { "<<": shared, "qa": { "script": ["true"], "env": { "<<": shared } } },
        "runners": { "<<": shared }
    });
    // `shared` is no valid axis, cache, image…: only the names are the point here.
    let about_names: Vec<String> = validator
        .iter_errors(&merged)
        .filter(|e| matches!(e.kind(), jsonschema::error::ValidationErrorKind::PropertyNames { .. }))
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(about_names.is_empty(), "{about_names:#?}");
    // Each name rule: `<<` passes, a bad name fails.
    let mut rules = Vec::new();
    collect_property_names(json_schema(), &mut rules);
    assert!(rules.len() >= 10, "only {} propertyNames", rules.len());
    for rule in rules {
        let name_validator = validator_for(rule.as_object().expect("a schema"));
        assert!(name_validator.is_valid(&json!("<<")), "{rule} refuses `<<`");
        assert!(!name_validator.is_valid(&json!("<< x")), "{rule} takes `<< x`");
    }
}

fn collect_property_names<'a>(value: &'a Value, found: &mut Vec<&'a Value>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "propertyNames" {
                    found.push(child);
                } else if key != "examples" && key != "default" {
                    collect_property_names(child, found);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|child| collect_property_names(child, found)),
        _ => {}
    }
}

/// Where each definition with defaults occurs in [`base_model`], to try its defaults there.
const INSTANCES: [(&str, &str); 6] = [
    ("Push", "/push"),
    ("Image", "/images/base"),
    ("Job", "/jobs/qa"),
    ("Health", "/services/web/health"),
    ("Artifacts", "/jobs/qa/artifacts"),
    ("AliasEntry", "/images/app/aliases/0"),
];

/// A model that uses every definition with a default, leaving every defaulted field out.
fn base_model() -> Value {
    json!({
        "pipegen": 1,
        "name": "demo",
        "registry": "registry.example.com/demo",
        "outputs": { "gitlab": ".gitlab-ci.yml", "github": ".github/workflows/images.yml" },
        "push": { "branches": ["release/*"] },
        "images": {
            "base": { "dockerfile": "images/base/Dockerfile" },
            "app": { "from": "base", "context": "app", "aliases": [{ "tag": "latest" }] }
        },
        "services": { "web": { "image": "app", "port": 8080, "health": { "http": "/ready" } } },
        "jobs": {
            "qa": { "image": "app", "services": ["web"], "script": ["make test"], "artifacts": { "paths": ["out/"] } }
        }
    })
}

/// Both pipelines of `model` (a JSON value, which is YAML too).
fn pipelines(model: &Value) -> Vec<String> {
    let text = serde_json::to_string_pretty(model).expect("serialize");
    let loaded = pipegen::model::load("pipegen.yaml", &text).unwrap_or_else(|e| panic!("{}\n{text}", e.render(false)));
    let plan = pipegen::plan::build(&loaded, "pipegen.yaml").unwrap_or_else(|e| panic!("{}", e.render(false)));
    Target::ALL.iter().map(|&target| emit::render(&plan, target)).collect()
}

fn with(model: &Value, pointer: &str, field: &str, value: &Value) -> Value {
    let mut model = model.clone();
    let object = model.pointer_mut(pointer).and_then(Value::as_object_mut).expect("the instance exists");
    object.insert(field.to_string(), value.clone());
    model
}

#[test]
fn documented_defaults_are_what_pipegen_does() {
    let base = base_model();
    let without = pipelines(&base);
    let mut checked = 0;
    for property in properties() {
        let Some(default) = property.schema.get("default") else { continue };
        if is_collection(property.schema) {
            continue; // An empty list or mapping; the types' `#[serde(default)]` says so.
        }
        let definition = property.definition.as_deref().unwrap_or("the top level");
        let Some((_, pointer)) = INSTANCES.iter().find(|(d, _)| Some(*d) == property.definition.as_deref()) else {
            panic!("{}: add an instance of {definition} to INSTANCES and base_model()", property.location)
        };
        let instance = base.pointer(pointer).expect("the instance exists");
        assert!(instance.get(&property.name).is_none(), "base_model() must leave {} out at {pointer}", property.name);
        // `assert!`, not `assert_eq!`: the pipelines are long; the message says what differs.
        assert!(
            pipelines(&with(&base, pointer, &property.name, default)) == without,
            "{}: writing the default {default} changes the pipelines, so it is not the default",
            property.location
        );
        // The comparison can tell: a different value gives a different pipeline.
        let example = property
            .schema
            .get("examples")
            .and_then(Value::as_array)
            .and_then(|e| e.iter().find(|e| *e != default))
            .unwrap_or_else(|| panic!("{}: no example other than the default", property.location));
        assert!(
            pipelines(&with(&base, pointer, &property.name, example)) != without,
            "{}: the example {example} changes nothing, so this check proves nothing",
            property.location
        );
        checked += 1;
    }
    // push's default_branch, tags; an image's context, tag, timeout; a job's stage, retry,
    // submodules; a health check's timeout, interval; artifacts' when; an alias's when. (A job's
    // `parallel` has none: `parallel: 1` sets CI_NODE_INDEX and CI_NODE_TOTAL, leaving it out not.)
    assert_eq!(checked, 12, "defaults checked");
}
