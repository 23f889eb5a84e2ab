//! `pipegen tags`: the tag each image gets at a commit, by the pipeline's own recipe.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::content_tags::{self, BuildTag, TreeFacts};
use crate::emit::Target;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::git;
use crate::model::{self, LoadedModel};
use crate::plan::{Plan, TagMode};
use crate::workspace::Workspace;

use super::OutputFormat;

#[derive(Serialize)]
struct TagLine {
    /// The build, platform-neutral: `build base [ruby=3.2]`.
    id: String,
    image: String,
    variant: String,
    kind: &'static str,
    tag: String,
    reference: String,
    /// Set when the platforms' builders receive different files for this build (their ignore
    /// rules differ), so each platform has a tag of its own: one line per platform.
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<&'static str>,
    /// Set with `--offline` when the tag hashes a base image (its own or an ancestor's) whose
    /// digest was not asked of its registry: not the pipeline's tag.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    offline: bool,
}

/// Every build's tag at one commit for one platform, and what git said.
pub struct Computed {
    pub facts: TreeFacts,
    /// In plan order.
    pub builds: Vec<BuildTag>,
}

/// Whether the digests of external base images are asked of their registries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bases {
    /// Asked (skopeo), as the pipeline asks them: the tags are the pipeline's.
    Resolve,
    /// Not asked: each is hashed as `unresolved`, so the tags are not the pipeline's. `pipegen
    /// plan` compares two sides computed at once, whose base images have the same digests, so it
    /// needs none.
    Offline,
}

/// What the platforms of one `pipegen tags` learn once and share: each base image's digest (its
/// registry asked once, so they agree on it), and each path's object and glob's listing at the
/// commit (the same whatever the builder).
#[derive(Debug, Default)]
pub struct Asked {
    pub digests: HashMap<String, String>,
    pub tree: TreeFacts,
}

/// Every build's tag at `commit` (a commit, or a tree for a working tree) when `target` builds:
/// one `git cat-file --batch-check` for every path, one `git diff-tree` per glob, per context
/// with an ignore file one `git ls-tree -r`, one `git cat-file --batch` for the Dockerfiles and, with
/// [`Bases::Resolve`], one `skopeo inspect` per external base image not pinned by digest.
pub fn compute(root: &Path, plan: &Plan, commit: &str, target: Target, bases: Bases) -> Result<Computed, Error> {
    compute_with(root, plan, commit, target, bases, &mut Asked::default())
}

/// [`compute`], with what earlier platforms already asked, which it adds to.
pub fn compute_with(
    root: &Path,
    plan: &Plan,
    commit: &str,
    target: Target,
    bases: Bases,
    asked: &mut Asked,
) -> Result<Computed, Error> {
    let builder = target.builder();
    let (mut paths, globs) = content_tags::questions(plan, builder);
    // Commit-tagged builds hash nothing, but a missing Dockerfile is worth a warning for them too.
    for build in &plan.builds {
        paths.extend([build.context.clone(), build.dockerfile.clone()]);
    }
    paths.sort();
    paths.dedup();
    let mut facts = git::tree_facts(root, commit, &paths, &globs, &asked.tree)?;
    asked.tree.objects.extend(facts.objects.iter().map(|(path, object)| (path.clone(), object.clone())));
    asked.tree.globs.extend(facts.globs.iter().map(|(glob, files)| (glob.clone(), files.clone())));
    facts.sent = git::sent_files(root, plan, builder, &facts)?;
    facts.dockerfiles = git::dockerfiles(root, plan, &facts)?;
    if bases == Bases::Resolve {
        for image in content_tags::lookups(plan, &facts) {
            let digest = match asked.digests.get(&image) {
                Some(digest) => digest.clone(),
                None => crate::registry_digest::resolve(&image)?,
            };
            asked.digests.insert(image.clone(), digest.clone());
            facts.digests.insert(image, digest);
        }
    }
    let builds = content_tags::explain(plan, commit, &facts);
    Ok(Computed { facts, builds })
}

/// The model the pipeline of `commit` was generated from: the model file as that commit has
/// it, so that `tags --rev v1.2` gives the tags v1.2's pipeline computed even when the model
/// changed since. The working tree's model (already read and checked: a model with errors is
/// reported as such first) serves when the commit has the same text, and when it has no such
/// file (a model not yet committed), with a warning either time it differs.
fn model_at(
    workspace: &Workspace,
    rev: &str,
    commit: &str,
    working: (LoadedModel, Plan),
) -> Result<(LoadedModel, Plan), Error> {
    let path = &workspace.model_in_repo;
    let short = &commit[..commit.len().min(12)];
    match git::file_at(&workspace.root, commit, path)? {
        None => {
            super::print_stderr(&format!(
                "pipegen: warning: {path} is not in git at {rev} ({short}); the tags are computed with the working \
                 tree's model, which that commit's pipeline did not have\n"
            ));
            Ok(working)
        }
        Some(text) if working.0.source.text == text => Ok(working),
        Some(text) => {
            super::print_stderr(&format!(
                "pipegen: warning: {path} differs in the working tree from {rev} ({short}); the tags are \
                 computed with the model as {rev} has it, as its pipeline was\n"
            ));
            let loaded = model::load(&format!("{rev}:{path}"), &text)?;
            let plan = crate::plan::build(&loaded, path)?;
            Ok((loaded, plan))
        }
    }
}

pub fn run(
    model: Option<&Path>,
    rev: &str,
    target: Option<Target>,
    format: OutputFormat,
    bases: Bases,
) -> Result<ExitStatus, Error> {
    let workspace = Workspace::locate(model)?;
    let (loaded, plan) = workspace.plan_without_limits()?;
    let commit = git::commit(&workspace.root, rev)?;
    let (loaded, plan) = model_at(&workspace, rev, &commit, (loaded, plan))?;
    if plan.builds.is_empty() {
        if format == OutputFormat::Json {
            super::print_stdout("[]\n")?;
        }
        return Ok(ExitStatus::Success);
    }
    let targets = match target {
        Some(target) => vec![target],
        None => crate::emit::targets_of(&loaded.model),
    };
    let mut computed: Vec<(Target, Computed)> = Vec::new();
    let mut asked = Asked::default();
    for target in targets {
        computed.push((target, compute_with(&workspace.root, &plan, &commit, target, bases, &mut asked)?));
    }
    let unresolved =
        if bases == Bases::Offline { content_tags::lookups(&plan, &computed[0].1.facts) } else { Vec::new() };
    if !unresolved.is_empty() {
        super::print_stderr(&format!(
            "pipegen: warning: --offline: the digests of {} are not asked of their registries, so the tags of the \
             images built on them (marked `offline`) are not the pipeline's\n",
            unresolved.join(", ")
        ));
    }
    let at = format!("in git at {}", &commit[..commit.len().min(12)]);
    for warning in missing_from_tree(&workspace.root, &plan, &computed[0].1.facts, &at) {
        super::print_stderr(&format!("pipegen: warning: {warning}\n"));
    }
    let registry = std::env::var("PIPEGEN_REGISTRY").ok().filter(|r| !r.is_empty()).unwrap_or(plan.registry.clone());
    let offline = offline_builds(&plan, &computed[0].1.builds);
    let mut lines: Vec<TagLine> = Vec::new();
    let mut differing = 0;
    for (i, build) in plan.builds.iter().enumerate() {
        let first = &computed[0].1.builds[i].tag;
        let agree = computed.iter().all(|(_, c)| &c.builds[i].tag == first);
        if !agree {
            differing += 1;
        }
        for (target, c) in &computed {
            let tag = c.builds[i].tag.clone();
            lines.push(TagLine {
                id: build.id().to_string(),
                image: build.this.id.image.to_string(),
                variant: build.this.id.variant.describe(),
                kind: match build.this.tag {
                    TagMode::Content => "content",
                    TagMode::Commit { .. } => "commit",
                },
                reference: format!("{registry}/{}:{tag}", build.this.id.image),
                tag,
                platform: (!agree).then(|| target.name()),
                offline: offline[i],
            });
            if agree {
                break;
            }
        }
    }
    if differing > 0 {
        super::print_stderr(&format!(
            "pipegen: warning: {differing} build{} get a tag per platform: GitLab's buildah and GitHub's BuildKit read \
             their ignore files differently and receive different files (docs/dockerignore.md); pass --target to see one\n",
            if differing == 1 { "" } else { "s" }
        ));
    }
    match format {
        OutputFormat::Json => {
            super::print_stdout(&format!("{}\n", serde_json::to_string_pretty(&lines).expect("tags serialize")))?
        }
        OutputFormat::Text => {
            let width = lines.iter().map(|l| l.id.len()).max().unwrap_or(0);
            let text: String = lines
                .iter()
                .map(|l| {
                    let platform = l.platform.map(|p| format!("  ({p})")).unwrap_or_default();
                    let offline = if l.offline { "  (offline)" } else { "" };
                    format!("{:width$}  {:7}  {}{platform}{offline}\n", l.id, l.kind, l.reference)
                })
                .collect();
            super::print_stdout(&text)?;
        }
    }
    Ok(ExitStatus::Success)
}

/// Per build, in plan order: whether its tag hashes an unresolved base image digest, its own or
/// (through a parent's tag) an ancestor's.
fn offline_builds(plan: &Plan, builds: &[BuildTag]) -> Vec<bool> {
    let unresolved = format!(" {}", content_tags::UNRESOLVED);
    let mut out: Vec<bool> = Vec::with_capacity(builds.len());
    for (build, tag) in plan.builds.iter().zip(builds) {
        let own = tag.parts.iter().flatten().any(|(key, text)| {
            key == "upstream" && text.lines().any(|l| l.starts_with("upstream ") && l.ends_with(&unresolved))
        });
        let inherited = build.parents.iter().any(|p| {
            plan.builds.iter().position(|b| b.this.id == p.build.id).is_some_and(|at| out.get(at) == Some(&true))
        });
        out.push(own || inherited);
    }
    out
}

/// How a Git LFS pointer file starts (the LFS specification's first line).
const LFS_POINTER: &[u8] = b"version https://git-lfs.github.com/spec/v1\n";

/// Why git cannot give the text of the Dockerfile at `dockerfile`, so no base image of it is
/// looked up, when it cannot: it lies in a submodule, or git holds an LFS pointer to it.
fn bases_unread(facts: &content_tags::TreeFacts, dockerfile: &str) -> Option<&'static str> {
    let object = facts.objects.get(dockerfile).and_then(Option::as_deref);
    if object.is_some_and(|o| o.starts_with("commit ")) {
        Some(
            "is in a submodule, whose files git keeps in another repository: its tag follows the submodule's pinned commit, but its base images are not looked up, so their updates rebuild nothing until the pin moves",
        )
    } else if facts.dockerfiles.get(dockerfile).is_some_and(|text| text.starts_with(LFS_POINTER)) {
        Some(
            "is stored in Git LFS, so git holds a pointer to it: its tag follows its content through the pointer, but its base images are not looked up, so their updates rebuild nothing; keep Dockerfiles out of LFS",
        )
    } else {
        None
    }
}

/// Why a path git lacks matters when the working tree has it.
const UNSEEN: &str = ", but the working tree has it: an untracked file, or a symbolic link git cannot follow (git reads no `.` in a link's target, and follows none into a submodule); the build would fail or read what no tag hashes";

/// What a build's context or Dockerfile is missing at the commit, or is there as the wrong
/// kind of object (a directory named as the Dockerfile, a file as the context). The tag is still
/// what the pipeline would compute, but the build would fail, so say so; or, where the working
/// tree has the path, that git cannot see it (the pipeline's build job stops on a link git cannot
/// follow); the same for an input (a glob's directory) git lacks but the working tree has. And a
/// Dockerfile in a submodule or in Git LFS, whose base images no tag can follow. `at` says where
/// git was asked: `in git at <commit>` for `tags`, `in the working tree` for `plan`; both
/// commands warn with these lines, so one place decides what is missing.
pub fn missing_from_tree(root: &Path, plan: &Plan, facts: &content_tags::TreeFacts, at: &str) -> Vec<String> {
    let mut warnings = Vec::new();
    for build in &plan.builds {
        if build.this.tag == crate::plan::TagMode::Content
            && let Some(why) = bases_unread(facts, &build.dockerfile)
        {
            warnings.push(format!("{}: the dockerfile `{}` {why}", build.id(), build.dockerfile));
        }
        for (what, path, wrong_kind) in
            [("dockerfile", &build.dockerfile, "tree "), ("context", &build.context, "blob ")]
        {
            match facts.objects.get(path.as_str()).cloned().flatten() {
                Some(object) if object.starts_with(wrong_kind) => {
                    let kind =
                        if what == "dockerfile" { "a directory, not a file," } else { "a file, not a directory," };
                    warnings.push(format!("{}: the {what} `{path}` is {kind} {at}; the build would fail", build.id()));
                    continue;
                }
                Some(_) => continue,
                None => {}
            }
            let why = if root.join(path).exists() { UNSEEN } else { "; the build would fail" };
            warnings.push(format!("{}: the {what} `{path}` is not {at}{why}", build.id()));
        }
        // An input git lacks is hashed as absent (`none`), which is no mistake unless the
        // checkout has it: the build job stops there when a link leads where git cannot follow.
        // A glob is looked up by its directory.
        for input in &build.inputs {
            let (path, shown) = match crate::plan::recipe::Glob::parse(input) {
                Some(glob) if glob.prefix == "." => continue,
                Some(glob) => (glob.prefix.clone(), format!("`{input}` (its directory `{}`)", glob.prefix)),
                None => (input.clone(), format!("`{input}`")),
            };
            if facts.objects.get(&path) == Some(&None) && root.join(&path).exists() {
                warnings.push(format!("{}: the input {shown} is not {at}{UNSEEN}", build.id()));
            }
        }
    }
    warnings.dedup();
    warnings
}
