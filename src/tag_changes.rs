//! What a pipeline at one revision rebuilds compared with another: the builds whose tag differs,
//! each with why (the files, the model fields, the parents that changed what it hashes), the
//! builds that are new, and those that are gone. Both sides are tags computed by the recipe, the
//! model of each side included, so a change the tag does not see (a file the `.dockerignore`
//! leaves out, a comment in the model) rebuilds nothing, and every change it sees is reported.

use std::collections::HashMap;

use serde::Serialize;

use crate::changes::{BuildVerdict, Reason};
use crate::content_tags::BuildTag;
use crate::model::ModelPath;
use crate::plan::{BuildId, JobId, Plan, TagMode};

/// One revision: its plan and every build's tag with what it hashed.
pub struct Side<'a> {
    pub plan: &'a Plan,
    pub tags: &'a [BuildTag],
}

/// A build the earlier revision had and the later one has not.
#[derive(Debug, Clone, Serialize)]
pub struct Removed {
    /// The build, platform-neutral: `build base [ruby=3.2]`.
    pub id: String,
    pub image: String,
    pub variant: String,
}

/// Every build of `new` with its verdict against `old` (`None`: the model did not exist then),
/// and the builds of `old` that `new` lacks. `changed_files(path, was, is)` lists the files
/// under a path whose content differs between the two revisions, given the objects the path
/// named in each (`tree <id>`, `blob <id>`, when it named one): a path through a symbolic link
/// changes with what the link points to.
pub fn compare(
    old: Option<&Side<'_>>,
    new: &Side<'_>,
    changed_files: impl Fn(&str, Option<&str>, Option<&str>) -> Vec<String>,
) -> (Vec<BuildVerdict>, Vec<Removed>) {
    let old_tags: HashMap<&BuildId, &BuildTag> =
        old.map(|o| o.tags.iter().map(|t| (&t.id, t)).collect()).unwrap_or_default();
    let new_tags: HashMap<&BuildId, &BuildTag> = new.tags.iter().map(|t| (&t.id, t)).collect();
    let mut verdicts: Vec<BuildVerdict> = Vec::with_capacity(new.plan.builds.len());
    // Builds whose tag changes with every commit: commit-tagged ones and those below them.
    let mut rebuilt_every_time: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (build, now) in new.plan.builds.iter().zip(new.tags) {
        let verdict = |status: &'static str, reasons: Vec<Reason>| BuildVerdict::new(build, status, reasons);
        if matches!(build.this.tag, TagMode::Commit { .. }) {
            rebuilt_every_time.insert(build.id().to_string());
        }
        let Some(before) = old_tags.get(&build.this.id) else {
            verdicts.push(verdict("new", Vec::new()));
            continue;
        };
        if matches!(build.this.tag, TagMode::Commit { .. }) {
            let mut reasons = Vec::new();
            if before.parts.is_some() {
                reasons.push(model_change(&build.this.id, "tag", Some("content"), Some("commit")));
            }
            reasons.push(Reason::CommitTag);
            verdicts.push(verdict("rebuilt", reasons));
            continue;
        }
        if before.tag == now.tag {
            // A parent rebuilt in every pipeline (commit-tagged, or below one) gives the child a
            // new tag in every pipeline too, though both sides here hash one stand-in commit.
            let rebuilt_parents: Vec<Reason> = build
                .parents
                .iter()
                .map(|parent| JobId::Build(parent.build.id.clone()).to_string())
                .filter(|id| rebuilt_every_time.contains(id))
                .map(|id| Reason::Parent { id })
                .collect();
            if rebuilt_parents.is_empty() {
                verdicts.push(verdict("unchanged", Vec::new()));
            } else {
                rebuilt_every_time.insert(build.id().to_string());
                verdicts.push(verdict("rebuilt", rebuilt_parents));
            }
            continue;
        }
        let mut reasons = match (&before.parts, &now.parts) {
            (Some(was), Some(is)) => part_changes(&build.this.id, was, is, &verdicts, new.plan, &changed_files),
            (None, _) => vec![model_change(&build.this.id, "tag", Some("commit"), Some("content"))],
            (_, None) => Vec::new(),
        };
        if reasons.is_empty() {
            reasons.push(Reason::Recipe { before: before.tag.clone(), after: now.tag.clone() });
        }
        verdicts.push(verdict("rebuilt", reasons));
    }
    let removed = old
        .map(|o| {
            o.plan
                .builds
                .iter()
                .filter(|b| !new_tags.contains_key(&b.this.id))
                .map(|b| Removed {
                    id: b.id().to_string(),
                    image: b.this.id.image.to_string(),
                    variant: b.this.id.variant.describe(),
                })
                .collect()
        })
        .unwrap_or_default();
    (verdicts, removed)
}

/// Why two recipes of one build differ, part by part.
fn part_changes(
    id: &BuildId,
    was: &[(String, String)],
    is: &[(String, String)],
    earlier: &[BuildVerdict],
    plan: &Plan,
    changed_files: &impl Fn(&str, Option<&str>, Option<&str>) -> Vec<String>,
) -> Vec<Reason> {
    let before: HashMap<&str, &str> = was.iter().map(|(k, t)| (k.as_str(), t.as_str())).collect();
    let after: HashMap<&str, &str> = is.iter().map(|(k, t)| (k.as_str(), t.as_str())).collect();
    let mut reasons = Vec::new();
    for (key, text) in is {
        let key = key.as_str();
        match before.get(key) {
            Some(old) if *old == text => {}
            Some(old) => reasons.extend(one_change(id, key, old, text, earlier, plan, changed_files)),
            None => reasons.extend(added_or_removed(id, key, None, Some(text))),
        }
    }
    for (key, text) in was {
        if !after.contains_key(key.as_str()) {
            reasons.extend(added_or_removed(id, key, Some(text), None));
        }
    }
    // One reason per changed file, under the first part that sends it.
    let mut seen = std::collections::HashSet::new();
    reasons.retain(|r| match r {
        Reason::Changed { path, .. } => seen.insert(path.clone()),
        _ => true,
    });
    reasons
}

fn one_change(
    id: &BuildId,
    key: &str,
    old: &str,
    new: &str,
    earlier: &[BuildVerdict],
    plan: &Plan,
    changed_files: &impl Fn(&str, Option<&str>, Option<&str>) -> Vec<String>,
) -> Vec<Reason> {
    let (label, _) = key.split_once(' ').unwrap_or((key, ""));
    match label {
        "header" => vec![Reason::Recipe { before: old.to_string(), after: new.to_string() }],
        // A `.gitattributes` changes how the checkout writes the files it governs.
        "context" | "dockerfile" | "input" | "attributes" => {
            let ((old_path, was), (new_path, is)) = (object_of(old), object_of(new));
            // One in a submodule moves with its pin, which the path below it that the build
            // reads reports already.
            let pinned = |object: Option<&str>| object.is_some_and(|o| o.starts_with("commit "));
            if label == "attributes" && (pinned(was) || pinned(is)) {
                return Vec::new();
            }
            if old_path != new_path {
                return vec![model_change(id, label, Some(old_path), Some(new_path))];
            }
            let via = format!("{label} {new_path}");
            let files = match (listing(old), listing(new)) {
                // A context whose ignore file applies on one side at least: compare what it sends.
                (Some(was), Some(is)) => listing_changes(new_path, &was, &is),
                _ => changed_files(new_path, was, is),
            };
            files.into_iter().map(|path| Reason::Changed { path, via: via.clone(), platform: None }).collect()
        }
        "glob" => {
            let pattern = &key["glob ".len()..];
            let prefix = crate::plan::recipe::Glob::parse(pattern).map(|g| g.prefix).unwrap_or_default();
            // A glob whose directory is in a submodule lists its pinned commit (`commit <id>`),
            // which stands for the directory.
            let (was_pinned, was): (Vec<&str>, Vec<&str>) = old.lines().skip(1).partition(|l| l.starts_with("commit "));
            let (is_pinned, is): (Vec<&str>, Vec<&str>) = new.lines().skip(1).partition(|l| l.starts_with("commit "));
            let mut paths = listing_changes(&prefix, &was, &is);
            if was_pinned != is_pinned && !paths.contains(&prefix) {
                paths.insert(0, prefix.clone());
            }
            paths
                .into_iter()
                .map(|path| Reason::Changed { path, via: format!("input {pattern}"), platform: None })
                .collect()
        }
        "target" => vec![model_change(id, "target", old.strip_prefix("target "), new.strip_prefix("target "))],
        "arg" => {
            let name = &key["arg ".len()..];
            vec![model_change(id, &format!("args.{name}"), Some(arg_value(old)), Some(arg_value(new)))]
        }
        "parent" => {
            let arg = &key["parent ".len()..];
            let build = plan.build(id).and_then(|b| b.parents.iter().find(|p| p.arg == arg));
            match build {
                Some(parent) => {
                    let parent_id = JobId::Build(parent.build.id.clone()).to_string();
                    if earlier.iter().any(|v| v.id == parent_id && v.rebuilt) {
                        vec![Reason::Parent { id: parent_id }]
                    } else {
                        vec![model_change(id, "from", Some(old), Some(new))]
                    }
                }
                None => vec![model_change(id, "from", Some(old), Some(new))],
            }
        }
        // The base images follow from the Dockerfile, the arguments and the parents, whose own
        // parts say what changed; `plan` hashes no digest (both sides are computed at once).
        "upstream" => Vec::new(),
        _ => vec![model_change(id, label, Some(old), Some(new))],
    }
}

fn added_or_removed(id: &BuildId, key: &str, old: Option<&str>, new: Option<&str>) -> Vec<Reason> {
    let (label, rest) = key.split_once(' ').unwrap_or((key, ""));
    // Which `.gitattributes` a build reads follows from its paths, whose own parts say what changed.
    if label == "attributes" {
        return Vec::new();
    }
    let field = match label {
        "input" | "glob" => "inputs".to_string(),
        "arg" => format!("args.{rest}"),
        "parent" => "from".to_string(),
        other => other.to_string(),
    };
    vec![model_change(id, &field, old.map(|t| shown(label, key, t)), new.map(|t| shown(label, key, t)))]
}

/// What a part says in a message: an input's path, an argument's value, the target.
fn shown<'t>(label: &str, key: &'t str, text: &'t str) -> &'t str {
    match label {
        "input" => object_of(text).0,
        "glob" => &key["glob ".len()..],
        "arg" => arg_value(text),
        "target" => text.strip_prefix("target ").unwrap_or(text),
        _ => text,
    }
}

fn model_change(id: &BuildId, field: &str, before: Option<&str>, after: Option<&str>) -> Reason {
    let mut path = ModelPath::keys(["images", &*id.image]);
    for key in field.splitn(2, '.') {
        path = path.key(key);
    }
    Reason::Model { field: path.to_string(), before: before.map(str::to_string), after: after.map(str::to_string) }
}

/// `<label> <path> <type> <id>` (or `none`, or `sent`; the path may hold spaces): the path, and
/// `<type> <id>` when it names an object.
fn object_of(text: &str) -> (&str, Option<&str>) {
    let first = text.lines().next().unwrap_or_default();
    let rest = first.split_once(' ').map_or("", |(_, rest)| rest);
    if let Some(path) = rest.strip_suffix(" none").or_else(|| rest.strip_suffix(" sent")) {
        return (path, None);
    }
    match rest.rsplitn(3, ' ').collect::<Vec<_>>()[..] {
        [_, _, path] => (path, Some(&rest[path.len() + 1..])),
        _ => (rest, None),
    }
}

/// The listing lines of a context part that lists what it sends.
fn listing(text: &str) -> Option<Vec<&str>> {
    let mut lines = text.lines();
    lines.next().filter(|first| first.ends_with(" sent"))?;
    Some(lines.collect())
}

/// `arg <NAME> <bytes>` then the value: the value.
fn arg_value(text: &str) -> &str {
    text.split_once('\n').map_or("", |(_, value)| value)
}

/// The files (repository paths) whose line differs between two listings of the tree at
/// `directory`, in listing order.
fn listing_changes(directory: &str, was: &[&str], is: &[&str]) -> Vec<String> {
    let in_old: std::collections::HashSet<&str> = was.iter().copied().collect();
    let in_new: std::collections::HashSet<&str> = is.iter().copied().collect();
    let mut paths: Vec<String> = Vec::new();
    for line in was.iter().filter(|l| !in_new.contains(*l)).chain(is.iter().filter(|l| !in_old.contains(*l))) {
        let path = String::from_utf8_lossy(&crate::listing::path_of(line)).into_owned();
        let path = if directory.is_empty() || directory == "." {
            path
        } else {
            format!("{}/{path}", directory.trim_end_matches('/'))
        };
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    paths.sort();
    paths
}

#[cfg(test)]
mod tests {
    use super::object_of;

    #[test]
    fn a_recipe_line_gives_its_whole_path_and_its_object() {
        assert_eq!(object_of("context odd names/ü tree abc"), ("odd names/ü", Some("tree abc")));
        assert_eq!(object_of("dockerfile a b/Dockerfile blob 12"), ("a b/Dockerfile", Some("blob 12")));
        assert_eq!(object_of("input a b none"), ("a b", None));
        assert_eq!(object_of("context a b sent\n100644 blob 1\tf"), ("a b", None));
    }
}
