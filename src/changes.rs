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
    Changed {
        path: String,
        via: String,
        /// The platform whose builder this holds for, when it does not for every platform
        /// planned (their ignore files differ).
        #[serde(skip_serializing_if = "Option::is_none")]
        platform: Option<String>,
    },
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

/// A changed path, matched as a git pathspec matches it: a directory covers what lies under it,
/// anything else is one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    /// Repository-relative and normalized (`.`: the whole repository).
    pub path: String,
    /// For a directory (in HEAD's tree, the index or the working tree): what lies under it that
    /// git tracks or would add; `None` for a file, or a path that is absent and no directory.
    pub under: Option<Vec<Entry>>,
    /// The symbolic link on a build's path this path was reached through (`ctx/Dockerfile`
    /// when `docker/Dockerfile` changed and `ctx/Dockerfile` links to it).
    pub through: Option<String>,
}

/// A file under a changed directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub path: String,
    /// A submodule: what lies inside it is its pinned commit's, unlisted.
    pub gitlink: bool,
}

impl Changed {
    pub fn file(path: &str) -> Changed {
        Changed { path: path.to_string(), under: None, through: None }
    }

    pub fn directory(path: &str, under: Vec<Entry>) -> Changed {
        Changed { path: path.to_string(), under: Some(under), through: None }
    }
}

/// How a build's parts are matched against a path.
struct Matchers {
    context: String,
    dockerfile: String,
    /// Each input: the glob as written, its literal directory (where a link on its way can
    /// be), and its matcher.
    inputs: Vec<(String, String, GlobMatcher)>,
    /// The `.gitattributes` that govern how the checkout writes what it reads (content tags).
    attributes: Vec<String>,
}

/// Whether `path` is `spec` or lies under it (`.`: everything).
fn within(spec: &str, path: &str) -> bool {
    let spec = spec.trim_end_matches('/');
    spec == "." || spec.is_empty() || path == spec || path.starts_with(&format!("{spec}/"))
}

/// Whether the changed directory `changed` holds `path`: as a git pathspec, a directory covers
/// everything under it, and `.` the whole repository.
pub fn covers(changed: &str, path: &str) -> bool {
    changed == "." || path.starts_with(&format!("{changed}/"))
}

/// `path` and every directory above it: a pathspec that matches a directory matches what is
/// inside it.
fn with_parents(path: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(path), |at| at.rsplit_once('/').map(|(parent, _)| parent))
}

/// Whether the glob `glob` can match a path inside the submodule at `gitlink`, whose files are
/// not listed: each of its names matches the glob's name at its place, or a `**` on the way
/// matches any. A name that is no glob on its own (a brace around a `/`) counts as a match.
fn glob_reaches_under(glob: &str, gitlink: &str) -> bool {
    let globs: Vec<&str> = glob.split('/').collect();
    for (i, name) in gitlink.split('/').enumerate() {
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
    // Every name matched, and the glob goes on below the submodule (or is it).
    true
}

impl Matchers {
    /// Which part of the build `changed` reaches, if any; `sent(path)` says whether the build's
    /// context receives a path of it (its ignore file may leave it out).
    fn via(&self, changed: &Changed, sent: &dyn Fn(&str) -> bool) -> Option<String> {
        // A path reached through a link counts for a part the link is (or is above): the build
        // follows that link. A link inside a context is sent as a link, not as what it leads to.
        let reached = |part: &str| changed.through.as_deref().is_none_or(|link| link == part || covers(link, part));
        let files: Vec<&Entry> = changed.under.iter().flatten().collect();
        let path = changed.path.as_str();
        let directory = changed.under.is_some();
        if reached(&self.context) {
            let whole = directory && (path == self.context || covers(path, &self.context));
            let inside = match directory {
                true => files.iter().any(|f| within(&self.context, &f.path) && sent(&f.path)),
                false => within(&self.context, path) && sent(path),
            };
            if whole || inside {
                return Some(format!("context {}", self.context));
            }
        }
        if reached(&self.dockerfile) {
            let hit = within(&self.dockerfile, path) || (directory && covers(path, &self.dockerfile));
            if hit {
                return Some(format!("dockerfile {}", self.dockerfile));
            }
        }
        self.inputs
            .iter()
            .filter(|(_, prefix, _)| reached(prefix))
            .find(|(glob, _, m)| match directory {
                false => with_parents(path).any(|c| m.is_match(c)),
                true => files.iter().any(|f| {
                    with_parents(&f.path).any(|c| m.is_match(c)) || (f.gitlink && glob_reaches_under(glob, &f.path))
                }),
            })
            .map(|(glob, _, _)| format!("input {glob}"))
            .or_else(|| {
                // A changed directory reaches the `.gitattributes` among its files.
                self.attributes
                    .iter()
                    .find(|a| *a == path || files.iter().any(|f| f.path == **a))
                    .map(|a| format!("attributes {a}"))
            })
    }
}

/// Whether a build receives a path of its context on a platform (its ignore file may leave it
/// out).
pub type Sent<'a> = &'a dyn Fn(&Build, &str) -> bool;

/// Every build of `plan`, rebuilt or reused when `changed` paths change, for each of
/// `platforms`: (its name, whether a build receives a path of its context there). A build is
/// rebuilt when a change reaches it on any platform; a reason found on some platforms only
/// names them. Each path is named once per build (and platform), by the first part it reaches,
/// and not at all when a directory named already holds it.
pub fn verdicts(plan: &Plan, changed: &[Changed], platforms: &[(&str, Sent)]) -> Vec<BuildVerdict> {
    let mut verdicts: Vec<BuildVerdict> = Vec::new();
    for build in &plan.builds {
        let inputs = if build.this.tag == TagMode::Content { build.inputs.clone() } else { Vec::new() };
        let attributes =
            if build.this.tag == TagMode::Content { crate::plan::recipe::attribute_files(build) } else { Vec::new() };
        let matchers = Matchers {
            context: build.context.clone(),
            dockerfile: build.dockerfile.clone(),
            inputs: inputs
                .iter()
                .filter_map(|g| {
                    let prefix = crate::plan::recipe::Glob::literal_part(g);
                    GlobBuilder::new(g)
                        .literal_separator(true)
                        .build()
                        .ok()
                        .map(|glob| (g.clone(), prefix, glob.compile_matcher()))
                })
                .collect(),
            attributes,
        };
        let mut reasons: Vec<Reason> = Vec::new();
        for change in changed {
            let found: Vec<Option<String>> =
                platforms.iter().map(|(_, sent)| matchers.via(change, &|path| sent(build, path))).collect();
            let everywhere = found.windows(2).all(|pair| pair[0] == pair[1]);
            for ((name, _), via) in platforms.iter().zip(found.iter()) {
                let Some(via) = via else { continue };
                let platform = (!everywhere).then(|| name.to_string());
                let named = reasons.iter().any(|r| {
                    matches!(r, Reason::Changed { path, platform: p, .. }
                        if (*path == change.path || covers(path, &change.path)) && *p == platform)
                });
                if !named {
                    reasons.push(Reason::Changed { path: change.path.clone(), via: via.clone(), platform });
                }
                if everywhere {
                    break;
                }
            }
        }
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
                    let prefix = crate::plan::recipe::Glob::literal_part(g);
                    (
                        g.to_string(),
                        prefix,
                        GlobBuilder::new(g).literal_separator(true).build().unwrap().compile_matcher(),
                    )
                })
                .collect(),
            attributes: vec![".gitattributes".into(), "images/.gitattributes".into(), "docker/.gitattributes".into()],
        }
    }

    /// The files of the repository the tests' directories hold.
    const FILES: &[&str] = &[
        "README.md",
        "docker/base.Dockerfile",
        "docs/a.lock",
        "gitaly/a/b.go",
        "images/base/Dockerfile",
        "images/base/x",
        "src/x/a.txt",
        "tools/bin/x",
        "vendor/x/go.sum",
        "vendor/x/y/z.txt",
    ];

    /// `path` as a pathspec in a repository of [`FILES`]: a directory when a file lies under it.
    fn spec(path: &str) -> Changed {
        let under: Vec<Entry> = FILES
            .iter()
            .filter(|f| path == "." || f.starts_with(&format!("{path}/")))
            .map(|f| Entry { path: f.to_string(), gitlink: false })
            .collect();
        if under.is_empty() { Changed::file(path) } else { Changed::directory(path, under) }
    }

    fn via(m: &Matchers, path: &str) -> Option<String> {
        m.via(&spec(path), &|_| true)
    }

    #[test]
    fn a_gitattributes_on_the_way_to_a_path_rebuilds() {
        let m = matchers(&["tools"]);
        assert_eq!(via(&m, ".gitattributes").as_deref(), Some("attributes .gitattributes"));
        assert_eq!(via(&m, "docker/.gitattributes").as_deref(), Some("attributes docker/.gitattributes"));
        assert_eq!(via(&m, "other/.gitattributes"), None);
    }

    #[test]
    fn matches_like_git_pathspecs() {
        let m = matchers(&["gitaly/**", "*.lock", "tools"]);
        assert_eq!(via(&m, "images/base/x").as_deref(), Some("context images/base"));
        assert_eq!(via(&m, "images/basement/x"), None);
        assert_eq!(via(&m, "docker/base.Dockerfile").as_deref(), Some("dockerfile docker/base.Dockerfile"));
        assert_eq!(via(&m, "gitaly/a/b.go").as_deref(), Some("input gitaly/**"));
        assert_eq!(via(&m, "Gemfile.lock").as_deref(), Some("input *.lock"));
        assert_eq!(via(&m, "sub/Gemfile.lock"), None, "`*` stays within a directory");
        assert_eq!(via(&m, "tools/bin/x").as_deref(), Some("input tools"), "a directory covers its content");
    }

    /// A changed directory covers everything under it, as a git pathspec does (tester:
    /// `--changed images` and `--changed .` rebuilt nothing, `--changed images/base` did).
    #[test]
    fn a_changed_directory_covers_what_lies_under_it() {
        let m = matchers(&["gitaly/**", "*.lock", "tools", "vendor/*/go.sum"]);
        assert_eq!(via(&m, "images").as_deref(), Some("context images/base"));
        assert_eq!(via(&m, ".").as_deref(), Some("context images/base"));
        assert_eq!(via(&m, "docker").as_deref(), Some("dockerfile docker/base.Dockerfile"));
        assert_eq!(via(&m, "image"), None, "a name is not a prefix");
        let inputs = matchers(&["gitaly/**", "*.lock", "tools", "vendor/*/go.sum"]);
        let inputs = Matchers { context: "ctx".into(), dockerfile: "ctx/Dockerfile".into(), ..inputs };
        assert_eq!(via(&inputs, "gitaly").as_deref(), Some("input gitaly/**"));
        assert_eq!(via(&inputs, "vendor").as_deref(), Some("input vendor/*/go.sum"));
        assert_eq!(via(&inputs, "vendor/x").as_deref(), Some("input vendor/*/go.sum"));
        assert_eq!(via(&inputs, "vendor/x/y"), None, "only go.sum under a vendor module");
        assert_eq!(via(&inputs, "docs"), None, "`*.lock` is at the top only");
        assert_eq!(via(&inputs, ".").as_deref(), Some("context ctx"));
    }

    /// A file is matched as a file: a glob with `**` matches what it matches, not every path
    /// (tester: `**/*.lock` rebuilt for `--changed README.md`, `src/**/*.go` for `src/x/a.txt`).
    /// A directory is matched by the files under it: whether one matches, not whether one could.
    #[test]
    fn a_glob_with_double_stars_matches_files_not_every_path() {
        let m = matchers(&["**/*.lock", "src/**/*.go"]);
        let m = Matchers { context: "ctx".into(), dockerfile: "ctx/Dockerfile".into(), ..m };
        assert_eq!(via(&m, "README.md"), None);
        assert_eq!(via(&m, "src/x/a.txt"), None);
        assert_eq!(via(&m, "src/x/b.go").as_deref(), Some("input src/**/*.go"));
        assert_eq!(via(&m, "deep/er/Gemfile.lock").as_deref(), Some("input **/*.lock"));
        assert_eq!(via(&m, "src"), None, "src/ holds no .go file");
        assert_eq!(via(&m, "src/x"), None);
        assert_eq!(via(&m, "docs").as_deref(), Some("input **/*.lock"), "docs/a.lock");
        assert_eq!(via(&m, "vendor"), None, "nothing under vendor/ ends in .lock");
    }

    /// Inside a submodule nothing is listed: a glob that reaches into it counts.
    #[test]
    fn a_glob_reaching_into_a_submodule_counts() {
        let m = matchers(&["mod/**/*.go", "other/*.go"]);
        let m = Matchers { context: "ctx".into(), dockerfile: "ctx/Dockerfile".into(), ..m };
        let sub = |path: &str| Changed::directory(path, vec![Entry { path: "mod".into(), gitlink: true }]);
        assert_eq!(m.via(&sub("mod"), &|_| true).as_deref(), Some("input mod/**/*.go"));
        assert_eq!(m.via(&sub("."), &|_| true).as_deref(), Some("context ctx"));
        let elsewhere = Changed::directory("x", vec![Entry { path: "x/sub".into(), gitlink: true }]);
        assert_eq!(m.via(&elsewhere, &|_| true), None);
    }

    /// A path reached through a link names the part the link is: a Dockerfile that is a link
    /// inside its context changes the Dockerfile, while the context sends the link itself.
    #[test]
    fn a_path_through_a_link_names_the_part_the_link_is() {
        let m = Matchers {
            context: "docker".into(),
            dockerfile: "docker/Df".into(),
            inputs: Vec::new(),
            attributes: Vec::new(),
        };
        let through = |link: &str| Changed { through: Some(link.into()), ..Changed::file("docker/Df") };
        assert_eq!(m.via(&through("docker/Df"), &|_| true).as_deref(), Some("dockerfile docker/Df"));
        assert_eq!(m.via(&through("docker"), &|_| true).as_deref(), Some("context docker"));
        assert_eq!(m.via(&Changed::file("docker/Df"), &|_| true).as_deref(), Some("context docker"));
    }

    /// A path the context's ignore file leaves out is still the Dockerfile.
    #[test]
    fn a_dockerfile_the_ignore_file_leaves_out_is_still_the_dockerfile() {
        let m = Matchers {
            context: "ctx".into(),
            dockerfile: "ctx/Dockerfile".into(),
            inputs: Vec::new(),
            attributes: Vec::new(),
        };
        assert_eq!(m.via(&Changed::file("ctx/Dockerfile"), &|_| false).as_deref(), Some("dockerfile ctx/Dockerfile"));
        assert_eq!(m.via(&Changed::file("ctx/a"), &|_| false), None);
    }
}
