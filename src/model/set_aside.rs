//! Setting aside values the schema refused, so that the model's other checks can still run:
//! every error of a run is reported at once.
//!
//! Only values no other part of the model depends on are set aside: a job's shards, retries,
//! timeout, artifacts, submodules, variables, caches and secrets, a service's variables and health check,
//! an image's target, timeout, build arguments, caches, context, Dockerfile and inputs (and, put
//! in with a stand-in since they are required, whether refused or missing, a job's script and a
//! service's port). Without one of them nothing else can go wrong (each only adds checks of its
//! own, or refers to something else), so the checks that run without it report only errors that
//! are really there. A refused value that others depend on (axes, parents, an image or service a
//! job runs, which bring it their axes, stages, declared names, a required field) is not set
//! aside: checking on without it would report false errors (every `${axis}` of an image whose
//! `axes` were refused would be "unknown"). It is kept as written: a value the types still read
//! (a reserved name, a number out of range) lets the other checks run, and their errors at or
//! under it are left out; one they cannot read stops the model at the schema's errors.
//!
//! A key the model does not have (`foo:` at the top level, `imgae:` in a job) is set aside
//! wherever it is: pipegen never reads it, so without it the model means what it meant.

use super::path::{ModelPath, Segment};
use crate::yaml::Value;

/// Key paths under which a refused value is set aside whole: `*` is any one key. The first that
/// matches decides, so an entry comes before the mapping that holds it (one wrong variable sets
/// that variable aside, not the others).
const INDEPENDENT: &[&[&str]] = &[
    &["jobs", "*", "parallel"],
    &["jobs", "*", "retry"],
    &["jobs", "*", "timeout"],
    &["jobs", "*", "artifacts"],
    &["jobs", "*", "submodules"],
    &["jobs", "*", "env", "*"],
    &["jobs", "*", "env"],
    &["jobs", "*", "caches"],
    &["jobs", "*", "secrets"],
    &["services", "*", "env", "*"],
    &["services", "*", "env"],
    &["services", "*", "health", "timeout"],
    &["services", "*", "health", "interval"],
    &["services", "*", "health"],
    &["images", "*", "target"],
    &["images", "*", "tag"],
    &["images", "*", "timeout"],
    &["images", "*", "args", "*"],
    &["images", "*", "args"],
    &["images", "*", "caches"],
    &["images", "*", "context"],
    &["images", "*", "dockerfile"],
    &["images", "*", "inputs"],
];

/// Required values nothing else depends on: a refused one is replaced by a stand-in of the right
/// type, which no check refuses (a job's script, as `script: rspec`, GitLab's spelling, is
/// common; a service's port: only the pipeline reads it).
const REQUIRED: &[(&[&str], StandIn)] =
    &[(&["jobs", "*", "script"], StandIn::Script), (&["services", "*", "port"], StandIn::Port)];

#[derive(Clone, Copy)]
enum StandIn {
    Script,
    Port,
}

impl StandIn {
    fn value(self) -> Value {
        match self {
            StandIn::Script => Value::Sequence(vec![Value::String(":".to_string())]),
            StandIn::Port => Value::Number(1.into()),
        }
    }
}

/// A value the schema refused: where, whether it is a key the model does not have, and for a
/// mapping that lacks a required field, that field.
pub(super) struct Refused<'a> {
    pub path: &'a ModelPath,
    pub unknown_key: bool,
    pub missing: Option<&'a str>,
}

/// `value` with the refused values at `refused` set aside where they can be: unknown keys and
/// independent values removed, a required value nothing depends on (refused or missing) given a
/// stand-in. Any other refused value is kept as written: when the model still reads with its
/// types (a name of the wrong form, a number out of range), its checks run with it, and their
/// errors at or under it are dropped by the caller; when it does not, the model's other checks
/// cannot run.
pub(super) fn without_refused(value: &Value, refused: &[Refused<'_>]) -> Value {
    let mut kept = value.clone();
    for Refused { path, unknown_key, missing } in refused {
        if *unknown_key {
            remove_unknown_key(&mut kept, path);
            continue;
        }
        let filled;
        let path = match missing {
            Some(field) => {
                filled = path.key(*field);
                &filled
            }
            None => *path,
        };
        if let Some(independent) = INDEPENDENT.iter().find_map(|pattern| independent_prefix(path, pattern)) {
            remove(&mut kept, independent);
            continue;
        }
        if let Some((keys, stand_in)) =
            REQUIRED.iter().find_map(|(pattern, stand_in)| Some((independent_prefix(path, pattern)?, *stand_in)))
        {
            put(&mut kept, keys, stand_in.value());
        }
    }
    kept
}

/// Remove the key at `path`, which may pass through list items (`caches[0].foo`).
pub(super) fn remove_unknown_key(value: &mut Value, path: &ModelPath) {
    let Some((Segment::Key(last), parents)) = path.segments().split_last() else { return };
    let mut at = value;
    for segment in parents {
        let next = match segment {
            Segment::Key(key) => at.get_mut(&**key),
            Segment::Index(i) => at.get_mut(*i),
        };
        match next {
            Some(next) => at = next,
            None => return,
        }
    }
    if let Value::Mapping(mapping) = at {
        mapping.remove(&**last);
    }
}

/// The keys of `path` that `pattern` matches, when `path` is at or under such a value.
fn independent_prefix<'a>(path: &'a ModelPath, pattern: &[&str]) -> Option<Vec<&'a str>> {
    let segments = path.segments();
    if segments.len() < pattern.len() {
        return None;
    }
    pattern
        .iter()
        .zip(segments)
        .map(|(want, segment)| match segment {
            Segment::Key(key) if *want == "*" || **key == **want => Some(&**key),
            _ => None,
        })
        .collect()
}

/// The value at `keys`, when it is there.
fn at_keys<'v>(value: &'v mut Value, keys: &[&str]) -> Option<&'v mut Value> {
    keys.iter().try_fold(value, |at, key| at.get_mut(*key))
}

/// Remove the value at `keys`, when it is there.
fn remove(value: &mut Value, keys: Vec<&str>) {
    let Some((last, parents)) = keys.split_last() else { return };
    if let Some(Value::Mapping(mapping)) = at_keys(value, parents) {
        mapping.remove(*last);
    }
}

/// Put `with` at `keys`, in place of what is there or where a required value is missing.
fn put(value: &mut Value, keys: Vec<&str>, with: Value) {
    let Some((last, parents)) = keys.split_last() else { return };
    if let Some(Value::Mapping(mapping)) = at_keys(value, parents) {
        mapping.insert(Value::String(last.to_string()), with);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Value {
        crate::yaml::from_str(text).unwrap()
    }

    fn values(paths: &[ModelPath]) -> Vec<Refused<'_>> {
        paths.iter().map(|path| Refused { path, unknown_key: false, missing: None }).collect()
    }

    #[test]
    fn an_unknown_key_is_set_aside_wherever_it_is() {
        let model =
            value("foo: 1\nimages: { a: { from: [b], axis: [x] } }\njobs: { t: { imgae: a, caches: [{ nmae: c }] } }");
        let unknown = [
            ModelPath::keys(["foo"]),
            ModelPath::keys(["images", "a", "axis"]),
            ModelPath::keys(["jobs", "t", "imgae"]),
            ModelPath::keys(["jobs", "t", "caches"]).index(0).key("nmae"),
        ];
        let refused: Vec<Refused<'_>> =
            unknown.iter().map(|path| Refused { path, unknown_key: true, missing: None }).collect();
        let kept = without_refused(&model, &refused);
        assert_eq!(kept, value("images: { a: { from: [b] } }\njobs: { t: { caches: [{}] } }"));
    }

    #[test]
    fn an_independent_value_is_set_aside_and_the_rest_kept() {
        let model = value("jobs: { test: { parallel: four, script: [x], env: { A: [1], B: b } } }");
        let refused = [ModelPath::keys(["jobs", "test", "parallel"]), ModelPath::keys(["jobs", "test", "env", "A"])];
        let kept = without_refused(&model, &values(&refused));
        assert_eq!(kept, value("jobs: { test: { script: [x], env: { B: b } } }"));
    }

    #[test]
    fn a_value_under_an_independent_one_sets_it_aside_whole() {
        let model = value("jobs: { test: { artifacts: { paths: [a], when: sometimes } } }");
        let refused = [ModelPath::keys(["jobs", "test", "artifacts", "when"])];
        let kept = without_refused(&model, &values(&refused));
        assert_eq!(kept, value("jobs: { test: {} }"));
    }

    #[test]
    fn a_wrong_mapping_is_set_aside_whole_and_a_wrong_entry_alone() {
        let model = value("images: { a: { args: [X], caches: 3 } }\njobs: { t: { env: { A: [1], B: b } } }");
        let refused = [
            ModelPath::keys(["images", "a", "args"]),
            ModelPath::keys(["images", "a", "caches"]),
            ModelPath::keys(["jobs", "t", "env", "A"]),
        ];
        let kept = without_refused(&model, &values(&refused));
        assert_eq!(kept, value("images: { a: {} }\njobs: { t: { env: { B: b } } }"));
    }

    #[test]
    fn a_missing_required_value_gets_its_stand_in() {
        let model = value("services: { db: { image: x } }\njobs: { t: { image: a } }");
        let at = [ModelPath::keys(["services", "db"]), ModelPath::keys(["jobs", "t"])];
        let refused = [
            Refused { path: &at[0], unknown_key: false, missing: Some("port") },
            Refused { path: &at[1], unknown_key: false, missing: Some("script") },
        ];
        let kept = without_refused(&model, &refused);
        assert_eq!(kept, value("services: { db: { image: x, port: 1 } }\njobs: { t: { image: a, script: [':'] } }"));
        // A missing field others depend on gets none: the model keeps its error.
        let image = [ModelPath::keys(["jobs", "t"])];
        let refused = [Refused { path: &image[0], unknown_key: false, missing: Some("image") }];
        assert_eq!(without_refused(&model, &refused), model);
    }

    #[test]
    fn a_value_others_refer_to_is_kept_as_written() {
        let model = value("images: { a: { axes: 3, from: 4 } }\njobs: { t: { parallel: x, image: 5, services: 6 } }");
        for refused in [
            vec![ModelPath::keys(["images", "a", "axes"])],
            vec![ModelPath::keys(["images", "a", "from"])],
            vec![ModelPath::keys(["jobs", "t", "image"])],
            vec![ModelPath::keys(["jobs", "t", "services"])],
            vec![ModelPath::keys(["jobs", "t"])],
            vec![ModelPath::root()],
        ] {
            assert_eq!(without_refused(&model, &values(&refused)), model, "{refused:?}");
        }
        // Beside one that can be set aside, it still stays.
        let refused = [ModelPath::keys(["jobs", "t", "parallel"]), ModelPath::keys(["images", "a", "axes"])];
        assert_eq!(
            without_refused(&model, &values(&refused)),
            value("images: { a: { axes: 3, from: 4 } }\njobs: { t: { image: 5, services: 6 } }")
        );
    }
}
