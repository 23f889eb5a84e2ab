//! `pipegen plan --changed`: which builds a set of changed paths rebuilds, and why. Paths match
//! the way the pipeline's `git ls-files` pathspecs do: the context and the Dockerfile literally
//! (a directory covers everything under it), inputs as globs where `*` stays within a directory
//! and `**` crosses them. A changed directory, like a pathspec, covers everything under it (`.`
//! the whole repository).

use globset::{GlobBuilder, GlobMatcher};
use serde::Serialize;

use crate::plan::{Build, Plan, TagMode};

/// Why a build runs again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Reason {
    /// A changed path is part of what the image is made of.
    Changed { path: String, via: String },
    /// A parent is rebuilt, so this image's content tag changes too.
    Parent { id: String },
    /// Tagged by commit: built in every pipeline.
    CommitTag,
    /// A field of the model changed what the image is built with (`images.app.args.X`); the
    /// values are the variant's, after substitution.
    Model { field: String, before: Option<String>, after: Option<String> },
    /// pipegen's tag recipe itself changed: every content tag is new.
    Recipe { before: String, after: String },
}

/// The verdict for one build.
#[derive(Debug, Clone, Serialize)]
pub struct BuildVerdict {
    /// The build, platform-neutral: `build base [ruby=3.2]`.
    pub id: String,
    pub image: String,
    pub variant: String,
    /// `rebuilt`, `new` (the earlier revision's model had no such build) or `unchanged`.
    pub status: &'static str,
    /// Whether the pipeline builds it: rebuilt or new.
    pub rebuilt: bool,
    pub reasons: Vec<Reason>,
    /// The platforms it is built for (empty: the runner's own).
    pub platforms: Vec<String>,
    /// Its per-platform jobs when it is built for several platforms (its own job merges them).
    pub platform_jobs: Vec<String>,
    /// Its alias tags: the template and when it is set (`latest default-branch`).
    pub aliases: Vec<String>,
}

impl BuildVerdict {
    /// The verdict `status` (with its `reasons`) for `build`.
    pub fn new(build: &Build, status: &'static str, reasons: Vec<Reason>) -> BuildVerdict {
        BuildVerdict {
            id: build.id().to_string(),
            image: build.this.id.image.to_string(),
            variant: build.this.id.variant.describe(),
            status,
            rebuilt: status != "unchanged",
            reasons,
            platforms: build.platforms.iter().map(|p| p.name().to_string()).collect(),
            platform_jobs: build.platform_jobs().iter().map(ToString::to_string).collect(),
            aliases: build.aliases.iter().map(crate::plan::AliasTag::line).collect(),
        }
    }
}

/// How a build's inputs are matched against a path.
struct Matchers {
    context: String,
    dockerfile: String,
    inputs: Vec<(String, GlobMatcher)>,
}

fn literal_covers(spec: &str, path: &str) -> bool {
    let spec = spec.trim_end_matches('/');
    spec == "." || spec.is_empty() || path == spec || path.starts_with(&format!("{spec}/")) || covers(path, spec)
}

/// Whether the changed directory `changed` holds `path`: as a git pathspec, a directory covers
/// everything under it, and `.` the whole repository.
fn covers(changed: &str, path: &str) -> bool {
    changed == "." || path.starts_with(&format!("{changed}/"))
}

/// Whether the glob `glob` can match a path under the changed directory `changed`: each of
/// `changed`'s names matches the glob's name at its place, or a `**` on the way matches any.
/// A name that is no glob on its own (a brace around a `/`) counts as a match.
fn glob_reaches_under(glob: &str, changed: &str) -> bool {
    if changed == "." {
        return true;
    }
    let globs: Vec<&str> = glob.split('/').collect();
    for (i, name) in changed.split('/').enumerate() {
        let Some(&pattern) = globs.get(i) else { return false };
        if pattern.contains("**") {
            return true;
        }
        let matches = GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_or(true, |g| g.compile_matcher().is_match(name));
        if !matches {
            return false;
        }
    }
    // Every name matched, and the glob goes on below `changed` (or is `changed` itself).
    true
}

impl Matchers {
    fn via(&self, path: &str) -> Option<String> {
        if literal_covers(&self.context, path) {
            return Some(format!("context {}", self.context));
        }
        if literal_covers(&self.dockerfile, path) {
            return Some(format!("dockerfile {}", self.dockerfile));
        }
        // Like a git pathspec, a pattern that matches a directory matches what is inside it.
        let mut candidates = vec![path.to_string()];
        let mut at = path;
        while let Some((parent, _)) = at.rsplit_once('/') {
            candidates.push(parent.to_string());
            at = parent;
        }
        self.inputs
            .iter()
            .find(|(glob, m)| candidates.iter().any(|c| m.is_match(c)) || glob_reaches_under(glob, path))
            .map(|(glob, _)| format!("input {glob}"))
    }
}

/// Every build of `plan`, rebuilt or reused when `changed` paths change. `sent(build, path)`
/// says whether the build receives a path of its context (its ignore file may leave it out).
pub fn verdicts(plan: &Plan, changed: &[String], sent: impl Fn(&Build, &str) -> bool) -> Vec<BuildVerdict> {
    let mut verdicts: Vec<BuildVerdict> = Vec::new();
    for build in &plan.builds {
        let inputs = if build.this.tag == TagMode::Content { build.inputs.clone() } else { Vec::new() };
        let matchers = Matchers {
            context: build.context.clone(),
            dockerfile: build.dockerfile.clone(),
            inputs: inputs
                .iter()
                .filter_map(|g| {
                    GlobBuilder::new(g)
                        .literal_separator(true)
                        .build()
                        .ok()
                        .map(|glob| (g.clone(), glob.compile_matcher()))
                })
                .collect(),
        };
        let mut reasons: Vec<Reason> = changed
            .iter()
            .filter_map(|path| matchers.via(path).map(|via| (path, via)))
            .filter(|(path, via)| !via.starts_with("context ") || sent(build, path))
            .map(|(path, via)| Reason::Changed { path: path.clone(), via })
            .collect();
        for parent in &build.parents {
            let parent_id = crate::plan::JobId::Build(parent.build.id.clone()).to_string();
            if verdicts.iter().any(|v| v.id == parent_id && v.rebuilt) {
                reasons.push(Reason::Parent { id: parent_id });
            }
        }
        if matches!(build.this.tag, TagMode::Commit { .. }) {
            reasons.push(Reason::CommitTag);
        }
        let status = if reasons.is_empty() { "unchanged" } else { "rebuilt" };
        verdicts.push(BuildVerdict::new(build, status, reasons));
    }
    verdicts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matchers(inputs: &[&str]) -> Matchers {
        Matchers {
            context: "images/base".into(),
            dockerfile: "docker/base.Dockerfile".into(),
            inputs: inputs
                .iter()
                .map(|g| {
                    (g.to_string(), GlobBuilder::new(g).literal_separator(true).build().unwrap().compile_matcher())
                })
                .collect(),
        }
    }

    #[test]
    fn matches_like_git_pathspecs() {
        let m = matchers(&["gitaly/**", "*.lock", "tools"]);
        assert_eq!(m.via("images/base/x").as_deref(), Some("context images/base"));
        assert_eq!(m.via("images/basement/x"), None);
        assert_eq!(m.via("docker/base.Dockerfile").as_deref(), Some("dockerfile docker/base.Dockerfile"));
        assert_eq!(m.via("gitaly/a/b.go").as_deref(), Some("input gitaly/**"));
        assert_eq!(m.via("Gemfile.lock").as_deref(), Some("input *.lock"));
        assert_eq!(m.via("sub/Gemfile.lock"), None, "`*` stays within a directory");
        assert_eq!(m.via("tools/bin/x").as_deref(), Some("input tools"), "a directory covers its content");
    }

    /// A changed directory covers everything under it, as a git pathspec does (tester:
    /// `--changed images` and `--changed .` rebuilt nothing, `--changed images/base` did).
    #[test]
    fn a_changed_directory_covers_what_lies_under_it() {
        let m = matchers(&["gitaly/**", "*.lock", "tools", "vendor/*/go.sum"]);
        assert_eq!(m.via("images").as_deref(), Some("context images/base"));
        assert_eq!(m.via(".").as_deref(), Some("context images/base"));
        assert_eq!(m.via("docker").as_deref(), Some("dockerfile docker/base.Dockerfile"));
        assert_eq!(m.via("image"), None, "a name is not a prefix");
        let inputs = matchers(&["gitaly/**", "*.lock", "tools", "vendor/*/go.sum"]);
        let inputs = Matchers { context: "ctx".into(), dockerfile: "ctx/Dockerfile".into(), ..inputs };
        assert_eq!(inputs.via("gitaly").as_deref(), Some("input gitaly/**"));
        assert_eq!(inputs.via("vendor").as_deref(), Some("input vendor/*/go.sum"));
        assert_eq!(inputs.via("vendor/x").as_deref(), Some("input vendor/*/go.sum"));
        assert_eq!(inputs.via("vendor/x/y"), None, "only go.sum under a vendor module");
        assert_eq!(inputs.via("docs"), None, "`*.lock` is at the top only");
        assert_eq!(inputs.via(".").as_deref(), Some("context ctx"));
    }
}
