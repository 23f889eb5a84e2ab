//! YAML's sharing features in models: anchors and aliases (`&common`, `*common`), merge keys
//! (`<<: *common`), and top-level `x-` keys to hold what is shared.
//!
//! serde_yaml expands aliases itself; merge keys are resolved here, innermost first, so a shared
//! mapping may merge another. Keys written in a mapping win over merged ones, and of several
//! merged mappings (`<<: [*a, *b]`) the first that has a key wins, as YAML's merge type says.
//! Merged entries take the place of the `<<` key, so `images: { <<: *shared, app: … }` lists the
//! shared images first.

use super::diagnostic::Diagnostic;
use super::path::{ModelPath, Walk};
use super::source::MERGE_KEY;
use crate::yaml::{Mapping, Value};

/// Top-level keys with this prefix are ignored: a place for anchors (as in Compose files).
pub const EXTENSION_PREFIX: &str = "x-";

/// Remove the top-level `x-` keys: they only hold anchors, which serde_yaml has already expanded
/// wherever they are used.
pub fn strip_extensions(value: &mut Value) {
    if let Value::Mapping(map) = value {
        map.retain(|key, _| !key.as_str().is_some_and(|k| k.starts_with(EXTENSION_PREFIX)));
    }
}

/// Resolve every merge key under `value`; a `<<` whose value is not a mapping (or a list of
/// mappings) is reported at `path.<<`.
pub fn merge_keys(value: &mut Value, at: &Walk<'_>, found: &mut Vec<Diagnostic>) {
    match value {
        Value::Mapping(map) => {
            // Only collections hold merge keys.
            for (key, child) in map.iter_mut().filter(|(_, child)| holds_collections(child)) {
                merge_keys(child, &at.key(key.as_str().unwrap_or("?")), found);
            }
            if map.contains_key(MERGE_KEY) {
                *map = merged(std::mem::take(map), &at.path(), found);
            }
        }
        Value::Sequence(items) => {
            for (i, item) in items.iter_mut().enumerate().filter(|(_, item)| holds_collections(item)) {
                merge_keys(item, &at.index(i), found);
            }
        }
        Value::Tagged(tagged) => merge_keys(&mut tagged.value, at, found),
        _ => {}
    }
}

/// Whether `value` is a collection (or a tagged one), the only values a walk looks into.
pub(super) fn holds_collections(value: &Value) -> bool {
    matches!(value, Value::Mapping(_) | Value::Sequence(_) | Value::Tagged(_))
}

/// `map` with its `<<` entries replaced by the entries they merge.
fn merged(map: Mapping, path: &ModelPath, found: &mut Vec<Diagnostic>) -> Mapping {
    let written: Vec<Value> = map.keys().filter(|k| k.as_str() != Some(MERGE_KEY)).cloned().collect();
    let mut out = Mapping::new();
    for (key, value) in map {
        if key.as_str() != Some(MERGE_KEY) {
            out.insert(key, value);
            continue;
        }
        let at = path.key(MERGE_KEY);
        let sources = match value {
            Value::Mapping(source) => vec![source],
            Value::Sequence(items) => items
                .into_iter()
                .enumerate()
                .filter_map(|(i, item)| match item {
                    Value::Mapping(source) => Some(source),
                    other => {
                        found.push(not_a_mapping(at.index(i), &other));
                        None
                    }
                })
                .collect(),
            other => {
                found.push(not_a_mapping(at, &other));
                Vec::new()
            }
        };
        for source in sources {
            for (k, v) in source {
                if !written.contains(&k) && !out.contains_key(&k) {
                    out.insert(k, v);
                }
            }
        }
    }
    out
}

fn not_a_mapping(at: ModelPath, value: &Value) -> Diagnostic {
    let what = match value {
        Value::Null => "nothing",
        Value::Bool(_) | Value::Number(_) | Value::String(_) => "a single value",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    };
    Diagnostic::new("merge-key", at, format!("`<<` merges mappings, but this is {what}"))
        .at_key()
        .label("expected a mapping, an alias of one, or a list of them")
        .help("write `<<: *name` with `&name` on a mapping, e.g. under a top-level `x-common:` key")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merge(text: &str) -> (Value, Vec<Diagnostic>) {
        let mut value: Value = crate::yaml::from_str(text).expect("YAML");
        strip_extensions(&mut value);
        let mut found = Vec::new();
        merge_keys(&mut value, &Walk::Root, &mut found);
        (value, found)
    }

    #[test]
    fn written_keys_win_and_the_first_merged_mapping_wins() {
        let (value, found) =
            merge("x-a: &a {k: a, only_a: 1}\nx-b: &b {k: b, only_b: 2}\nm:\n  first: 0\n  <<: [*a, *b]\n  k: mine\n");
        assert!(found.is_empty());
        let expected: Value = crate::yaml::from_str("m: {first: 0, only_a: 1, only_b: 2, k: mine}").expect("YAML");
        assert_eq!(value, expected);
    }

    #[test]
    fn merged_mappings_may_merge_others() {
        let (value, found) = merge("x-a: &a {a: 1}\nx-b: &b {<<: *a, b: 2}\nm: {<<: *b, c: 3}\n");
        assert!(found.is_empty());
        let expected: Value = crate::yaml::from_str("m: {a: 1, b: 2, c: 3}").expect("YAML");
        assert_eq!(value, expected);
    }

    #[test]
    fn merging_something_else_is_reported_where_it_is() {
        let (_, found) = merge("m: {<<: 1}\nn:\n  <<: [{a: 1}, [x]]\n");
        let at: Vec<String> = found.iter().map(|d| d.path.to_string()).collect();
        assert_eq!(at, ["m[\"<<\"]", "n[\"<<\"][1]"]);
    }
}
