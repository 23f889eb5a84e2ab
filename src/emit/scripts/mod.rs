//! Every shell script the pipelines run, written once here and parameterized by the platform
//! (which builder, where the commit SHA is, how a job publishes its tag). Each generated file
//! holds each script once: GitLab in hidden jobs that jobs `extend`, GitHub in the workflow's
//! `env`, which every step can `eval`. A job passes its own values (image, context, build
//! arguments, parents, services) as variables, never as shell text, so a model value is data
//! whatever it holds.
//!
//! The scripts are POSIX sh: GitLab runs them in the builder's or the job's image, whose shell
//! may be BusyBox's; GitHub in bash.

mod alias;
mod build;
mod compact;
mod local;
mod merge;
mod probes;
mod registry;
mod run;
mod tag;

pub use compact::{embed, minify, prune};
pub use local::{LOAD, LOCAL_RUN};
pub use probes::{CmdProbe, ProbeKinds, health_command, probe_seconds, wait_variable};
pub use run::{ALIASES, CACHE_KEY, RUN};

use crate::model::Platform as ImagePlatform;
use crate::plan::recipe::Glob;
use crate::plan::{AliasTag, Build, Plan, Policy, TagMode};

/// The tool that builds images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builder {
    /// buildah in an unprivileged container (GitLab).
    Buildah,
    /// docker buildx with a BuildKit container (GitHub).
    Buildx,
}

impl Builder {
    /// Whose `.dockerignore` rules apply: buildah's own, or BuildKit's under buildx.
    pub fn ignore_rules(self) -> crate::dockerignore::Builder {
        match self {
            Builder::Buildah => crate::dockerignore::Builder::Buildah,
            Builder::Buildx => crate::dockerignore::Builder::BuildKit,
        }
    }
}

/// How a build job hands its tag to the jobs that need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publish {
    /// A dotenv report (GitLab): one `PIPEGEN_REF_<KEY>=<reference>` line in this file.
    Dotenv(&'static str),
    /// Step outputs (`tag`, `build`) and, for the later steps of the job, `$GITHUB_ENV`.
    GithubOutput,
}

/// What differs between platforms in the scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Platform {
    pub builder: Builder,
    /// The variable holding the pipeline's commit SHA.
    pub commit: &'static str,
    pub publish: Publish,
    /// The registry the platform gives a job credentials for, and the variables that hold them:
    /// (host variable or literal host, user variable, password variable).
    pub own_registry: OwnRegistry,
    /// Where a pipeline that does not push keeps its images.
    pub unpushed: Unpushed,
    /// Shell lines that set, from the platform's variables, `pipegen_ref_branch` (the
    /// pipeline's branch, empty for a git tag), `pipegen_ref_tag` (its git tag, else empty) and
    /// `pipegen_default_branch` (the repository's default branch), for the alias step.
    pub refs: &'static str,
}

/// Where a pipeline that does not push (the model's `push:`) keeps the images it builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unpushed {
    /// A scratch path of the platform's own registry, `PIPEGEN_SCRATCH` (GitLab: the job token
    /// may push to the project's registry, also in a fork's merge request).
    Scratch,
    /// Local images, saved to `$PIPEGEN_LOCAL_IMAGES/<KEY>.tar` for the jobs that need them
    /// (GitHub: a fork's pull request has a read-only token and may push nowhere).
    Local,
}

/// The platform's own registry and the job's credentials for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnRegistry {
    /// A shell word naming the host: `"${CI_REGISTRY:-}"`, `ghcr.io`.
    pub host: &'static str,
    pub user: &'static str,
    pub password: &'static str,
}

/// Which parts of the build script a pipeline needs, from what its builds use: a pipeline embeds
/// only those (issue 8: the scripts were most of a small model's output). A part left out is
/// one no build of the plan reaches, except the `.dockerignore` filter, which also depends on
/// the repository (see [`Uses::ignore_filter`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Uses {
    /// Some build is content-tagged: the recipe, the registry look-up.
    pub content_tags: bool,
    /// Some build is tagged by commit.
    pub commit_tags: bool,
    /// Some content-tagged build has plain inputs, glob inputs.
    pub inputs: bool,
    pub globs: bool,
    /// Some build has a target, build arguments, arguments that refer to parents, parents.
    pub target: bool,
    pub args: bool,
    pub parent_args: bool,
    pub parents: bool,
    /// Some build has image caches (the cache dance).
    pub caches: bool,
    /// Some content-tagged build had an ignore file for this builder in the repository when the
    /// pipeline was emitted ([`Plan::ignore_files`]): the awk filter that lists the files the
    /// builder receives. Without it, a build that finds an ignore file at run time stops with
    /// "… has an ignore file: regenerate with pipegen emit".
    pub ignore_filter: bool,
    /// Some content-tagged build names its platforms (the recipe's `platforms` line).
    pub platforms: bool,
    /// Some build is split by platform (platform jobs and a merge job).
    pub split: bool,
    /// Some content-tagged build reads a submodule ([`Plan::checks_out_submodules`]): a path
    /// git calls missing is looked up among the gitlinks of its directories.
    pub submodules: bool,
}

impl Uses {
    /// Every part: the whole script.
    pub const ALL: Uses = Uses {
        content_tags: true,
        commit_tags: true,
        inputs: true,
        globs: true,
        target: true,
        args: true,
        parent_args: true,
        parents: true,
        caches: true,
        ignore_filter: true,
        platforms: true,
        split: true,
        submodules: true,
    };

    /// The parts `plan`'s builds need when `builder` builds them.
    pub fn of(plan: &Plan, builder: Builder) -> Uses {
        let mut uses = Uses::default();
        for build in &plan.builds {
            let content = build.this.tag == TagMode::Content;
            uses.content_tags |= content;
            uses.commit_tags |= !content;
            // Each question is asked until its answer is known: on a large plan, every build
            // has inputs and no ignore file.
            if content && !(uses.globs && uses.inputs) {
                for input in &build.inputs {
                    if Glob::is_glob(input) {
                        uses.globs = true;
                    } else {
                        uses.inputs = true;
                    }
                }
            }
            if content && !uses.ignore_filter && !plan.ignore_files.is_empty() {
                uses.ignore_filter = builder
                    .ignore_rules()
                    .ignore_file_candidates(&build.context, &build.dockerfile)
                    .iter()
                    .any(|candidate| plan.ignore_files.contains(candidate));
            }
            uses.target |= build.target.is_some();
            uses.args |= !build.args.is_empty();
            uses.parent_args |= !build.parent_args.is_empty();
            uses.parents |= !build.parents.is_empty();
            uses.caches |= !build.caches.is_empty();
            uses.platforms |= content && !build.platforms.is_empty();
            uses.split |= build.split();
            uses.submodules |= content && !uses.submodules && plan.checks_out_submodules(build);
        }
        uses
    }
}

/// The shell functions of a build job: log in, compute the tag, ask the registry, build and
/// push. `pipegen_tag_step` then `pipegen_build_step` (when `pipegen_build` is `true`) run them;
/// `pipegen_build_job` runs both. Only the parts `uses` names, [`embed`]ded.
pub fn build_library(platform: Platform, policy: &Policy, uses: &Uses) -> String {
    let mut text =
        String::from("# pipegen: the build job's functions. Its values come from its PIPEGEN_* variables.\n");
    text.push_str(&registry::functions(platform, uses));
    text.push_str(&tag::functions(platform, uses));
    text.push_str(&build::functions(platform, policy, uses));
    embed(&text, &["pipegen_tools", "pipegen_build_job"])
}

/// The shell functions and the loop that wait for a job's services (GitLab, whose runner only
/// warns after 30 s; GitHub's local images, which no runner waits for): each
/// `PIPEGEN_WAIT_<n>` variable describes one service. Only the probes of `kinds`, with `cmd`
/// checks run where `cmd` says, [`embed`]ded.
pub fn wait_library(kinds: ProbeKinds, cmd: CmdProbe) -> String {
    embed(&probes::wait_functions(kinds, cmd), &["pipegen_wait_services"])
}

/// The shell functions of the alias step (see [`alias`]): `pipegen_aliases REF` points the
/// job's alias tags (`PIPEGEN_ALIAS_TAGS`) at the manifest REF names.
pub fn alias_library(platform: Platform) -> String {
    embed(&alias::functions(platform), &["pipegen_aliases"])
}

/// The variable the alias step reads, when the build has alias tags: one alias a line, its
/// template then the words of its condition.
pub fn alias_variables(build: &Build) -> Vec<(String, String)> {
    if build.aliases.is_empty() {
        return Vec::new();
    }
    let lines: Vec<String> = build.aliases.iter().map(AliasTag::line).collect();
    vec![("PIPEGEN_ALIAS_TAGS".to_string(), lines.join("\n"))]
}

/// The variables of the job that builds one platform of a split build: the build's, and which
/// platform, and where its digest goes when it goes through a dotenv report (GitLab: the
/// variable it writes; GitHub hands it on as the job's output).
pub fn platform_variables(build: &Build, platform: ImagePlatform, publish: Publish) -> Vec<(String, String)> {
    let mut out = build_variables(build);
    out.extend(platform_only_variables(build, platform, publish));
    out
}

/// What [`platform_variables`] adds to the build's variables.
pub fn platform_only_variables(build: &Build, platform: ImagePlatform, publish: Publish) -> Vec<(String, String)> {
    let mut out = vec![
        ("PIPEGEN_SPLIT".to_string(), "platform".to_string()),
        ("PIPEGEN_PLATFORM".to_string(), platform.name().to_string()),
    ];
    if let Publish::Dotenv(_) = publish {
        out.push(("PIPEGEN_DIGEST_VARIABLE".to_string(), crate::naming::digest_variable(&build.this.key, platform)));
    }
    out
}

/// The variables of the job that merges a split build's platforms into a manifest list: the
/// build's, and per platform the variable that holds its digest (`<platform>=<variable>`).
pub fn merge_variables(build: &Build) -> Vec<(String, String)> {
    let mut out = build_variables(build);
    out.extend(merge_only_variables(build));
    out
}

/// What [`merge_variables`] adds to the build's variables.
pub fn merge_only_variables(build: &Build) -> Vec<(String, String)> {
    let digests: Vec<String> = build
        .platforms
        .iter()
        .map(|p| format!("{}={}", p.name(), crate::naming::digest_variable(&build.this.key, *p)))
        .collect();
    vec![("PIPEGEN_SPLIT".to_string(), "merge".to_string()), ("PIPEGEN_DIGESTS".to_string(), digests.join("\n"))]
}

/// The variables the build script reads (see [`tag`]), those that are not empty, in a fixed
/// order. Both platforms set them on the build job.
pub fn build_variables(build: &Build) -> Vec<(String, String)> {
    let mut out = vec![("PIPEGEN_IMAGE".to_string(), build.this.id.image.to_string())];
    // The script's default key is the image's name in upper case with `_` for `-`: a variant's
    // key (which adds its values) is spelt out.
    if *build.this.key != crate::naming::upper_identifier(&build.this.id.image) {
        out.push(("PIPEGEN_KEY".to_string(), build.this.key.to_string()));
    }
    out.push(("PIPEGEN_CONTEXT".to_string(), build.context.clone()));
    // The script's default is `<context>/Dockerfile` as written (`Dockerfile` for `.`): a context
    // written with a trailing `/` gets its Dockerfile spelt out, as git has no `a//Dockerfile`.
    let script_default =
        if build.context == "." { "Dockerfile".to_string() } else { format!("{}/Dockerfile", build.context) };
    if build.dockerfile != script_default {
        out.push(("PIPEGEN_DOCKERFILE".to_string(), build.dockerfile.clone()));
    }
    let (globs, paths): (Vec<Glob>, Vec<&String>) = {
        let mut globs = Vec::new();
        let mut paths = Vec::new();
        for input in &build.inputs {
            match Glob::parse(input) {
                Some(glob) => globs.push(glob),
                None => paths.push(input),
            }
        }
        (globs, paths)
    };
    if !paths.is_empty() {
        out.push(("PIPEGEN_INPUTS".to_string(), paths.iter().map(|p| p.as_str()).collect::<Vec<_>>().join("\n")));
    }
    if !globs.is_empty() {
        let text: Vec<String> = globs.iter().flat_map(|g| [g.prefix.clone(), g.rest.clone()]).collect();
        out.push(("PIPEGEN_GLOBS".to_string(), text.join("\n")));
    }
    if let Some(target) = &build.target {
        out.push(("PIPEGEN_TARGET".to_string(), target.clone()));
    }
    let mut args = build.args.clone();
    args.sort();
    if !args.is_empty() {
        out.push(("PIPEGEN_ARGS".to_string(), args.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join("\n")));
        out.extend(args.iter().map(|(k, v)| (format!("PIPEGEN_ARG_{k}"), v.clone())));
    }
    let mut templates = build.parent_args.clone();
    templates.sort();
    if !templates.is_empty() {
        let names: Vec<&str> = templates.iter().map(|(k, _)| k.as_str()).collect();
        out.push(("PIPEGEN_PARENT_ARGS".to_string(), names.join("\n")));
        out.extend(templates.iter().map(|(k, v)| (format!("PIPEGEN_ARG_{k}"), v.clone())));
    }
    let mut parents = build.parents.clone();
    parents.sort_by(|a, b| a.arg.cmp(&b.arg));
    if !parents.is_empty() {
        let entries: Vec<String> =
            parents.iter().map(|p| format!("{}={}={}", p.arg, p.build.id.image, p.build.key)).collect();
        out.push(("PIPEGEN_PARENTS".to_string(), entries.join("\n")));
    }
    if !build.platforms.is_empty() {
        out.push((
            "PIPEGEN_PLATFORMS".to_string(),
            build.platforms.iter().map(|p| p.name()).collect::<Vec<_>>().join("\n"),
        ));
    }
    if let Some(platform) = build.single_platform() {
        out.push(("PIPEGEN_PLATFORM".to_string(), platform.name().to_string()));
    }
    if let TagMode::Commit { suffix } = &build.this.tag {
        out.push(("PIPEGEN_TAG_MODE".to_string(), "commit".to_string()));
        if let Some(suffix) = suffix {
            out.push(("PIPEGEN_TAG_SUFFIX".to_string(), suffix.clone()));
        }
    }
    if !build.caches.is_empty() {
        let entries: Vec<String> = build.caches.iter().flat_map(|c| [c.name.clone(), c.paths[0].clone()]).collect();
        out.push(("PIPEGEN_CACHES".to_string(), entries.join("\n")));
    }
    out
}
