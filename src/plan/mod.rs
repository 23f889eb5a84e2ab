//! The platform-neutral pipeline: every build and run, what each needs, where its tag comes
//! from, its caches and its service waits, decided once. Jobs are named by what they are
//! ([`JobId`]); each backend in `emit/` names them for its platform, owns its limits and renders
//! the plan.

mod build;
mod need_match;
mod policy;
pub mod process_limits;
pub mod push;
pub mod recipe;
pub mod registry_limits;
pub mod repo_path;

pub use build::{build, default_dockerfile, job_axes};
pub use policy::Policy;
pub use push::{BranchMatch, PushPolicy};
pub use recipe::{CONTENT_TAG_HEADER, CONTENT_TAG_LEN, Recipe};

use std::fmt;

use crate::model::{AliasWhen, ArtifactsWhen, Duration, ModelPath, Platform, Runner};
use crate::variant::Variant;

/// One build of a model image: the image and the values of its axes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BuildId {
    /// Shared: a plan names each build many times (its jobs, its children's parents, needs).
    pub image: std::sync::Arc<str>,
    pub variant: Variant,
}

/// A job of the pipeline, by what it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobId {
    /// The build of one image variant.
    Build(BuildId),
    /// One variant of a job of the model.
    Run { job: String, variant: Variant },
    /// The build of one platform of an image variant built for several: it pushes by digest,
    /// and the build's own job ([`JobId::Build`]) merges the platforms into a manifest list.
    Platform { build: BuildId, platform: Platform },
}

impl JobId {
    /// Where in the model the job comes from, for messages.
    pub fn origin(&self) -> ModelPath {
        match self {
            JobId::Build(id) | JobId::Platform { build: id, .. } => ModelPath::keys(["images", &*id.image]),
            JobId::Run { job, .. } => ModelPath::keys(["jobs", job.as_str()]),
        }
    }

    pub fn variant(&self) -> &Variant {
        match self {
            JobId::Build(id) | JobId::Platform { build: id, .. } => &id.variant,
            JobId::Run { variant, .. } => variant,
        }
    }
}

/// Platform-neutral text: `build base [ruby=3.2]`, `run qa [ruby=3.2]`, `build base
/// [ruby=3.2] for linux/arm64`. `plan --format json`,
/// `graph` and `tags` use it; the platforms' job names come from each backend.
impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, name, variant) = match self {
            JobId::Build(id) | JobId::Platform { build: id, .. } => ("build", &*id.image, &id.variant),
            JobId::Run { job, variant } => ("run", job.as_str(), variant),
        };
        f.write_str(&crate::naming::label(&format!("{kind} {name}"), variant))?;
        match self {
            JobId::Platform { platform, .. } => write!(f, " for {}", platform.name()),
            _ => Ok(()),
        }
    }
}

/// The whole pipeline.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The model's `name`.
    pub name: String,
    /// The model file, relative to the repository root (for headers and regenerate commands).
    pub model_file: String,
    /// The default registry (the model's); overridable at run time by `PIPEGEN_REGISTRY`.
    pub registry: String,
    /// Stage names in order.
    pub stages: Vec<String>,
    /// Image builds, parents before children.
    pub builds: Vec<Build>,
    /// Jobs of the model, one per variant.
    pub runs: Vec<Run>,
    /// What the plan decides for every job alike.
    pub policy: Policy,
    /// Limits an administrator raised, from the model's `limits`.
    pub raised: RaisedLimits,
    /// The runners the model chose per platform (each backend has defaults for the others).
    pub runners: Vec<(Platform, Runner)>,
    /// The refresh schedule (five cron fields, single-spaced), from the model's `refresh`.
    pub refresh: Option<String>,
    /// The ignore files (`.dockerignore`, `.containerignore`, repository-relative) that the
    /// repository held where a build could read one when the pipeline was emitted: the commands
    /// fill it in (`Workspace::plan`). A pipeline embeds the `.dockerignore` filter only when a
    /// content-tagged build has one; without it, a build that finds one at run time stops and asks
    /// for the pipeline to be emitted again.
    pub ignore_files: std::collections::BTreeSet<String>,
    /// The repository's submodules (their paths in `.gitmodules`) when the pipeline was
    /// emitted: the commands fill it in (`Workspace::plan`). A build whose paths reach one
    /// checks submodules out ([`Plan::checks_out_submodules`]).
    pub submodules: std::collections::BTreeSet<String>,
    /// The directories (repository-relative, `.` for the root) whose `.gitattributes` stores
    /// files in Git LFS (`filter=lfs`), among the root, each build context and the directories
    /// on the way to it, when the pipeline was emitted: the commands fill it in. A build whose
    /// context one of them governs fetches LFS files ([`Plan::checks_out_lfs`]).
    pub lfs_attributes: std::collections::BTreeSet<String>,
    /// The builds' contexts and Dockerfiles that lead elsewhere in the repository through
    /// symbolic links (`app` → `data/app`), each with the path it leads to, when the pipeline was
    /// emitted: the commands fill it in. What governs a build's files is what governs the
    /// files the builder reads there ([`Plan::checks_out_lfs`]).
    pub link_targets: std::collections::BTreeMap<String, String>,
    /// Where each build is in `builds`: emitters look builds up by id for every job that uses
    /// one, which a scan of `builds` made quadratic in the model's size.
    build_index: foldhash::HashMap<BuildId, usize>,
}

/// Limits of a self-managed GitLab that its administrator raised (the model's `limits.gitlab`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RaisedLimits {
    pub gitlab_needs: Option<usize>,
    pub gitlab_config_bytes: Option<usize>,
    /// The instance's `ci_pipeline_size`, when it has one.
    pub gitlab_jobs: Option<usize>,
}

/// How a build's image is tagged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagMode {
    /// A hash of everything that determines the image ([`Recipe`]).
    Content,
    /// The commit SHA, followed by `-<suffix>` for a variant.
    Commit { suffix: Option<String> },
}

/// One build of a model image, as a job that uses it sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildUse {
    pub id: BuildId,
    /// An identifier of the build (`base__3_2`) for variable and output names; shared, like the
    /// image's name.
    pub key: std::sync::Arc<str>,
    pub tag: TagMode,
}

/// A parent of a build: the build argument that carries its reference, and which build of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parent {
    pub arg: String,
    pub build: BuildUse,
}

/// A use of an image: one build of a model image, or an external reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageUse {
    Model(BuildUse),
    External(String),
}

/// What a job waits for, and whether it takes the needed job's tag (or, for a needed run of a
/// model job, its artifacts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub job: JobId,
    /// The job reads the needed build's reference (GitLab: `artifacts: true`): its content tag
    /// is only known once the build job computed it, and in a pipeline that does not push, any
    /// image may be in the registry or where that pipeline keeps it. Always true for a needed
    /// run ([`JobId::Run`], the model's `needs`): the job receives its artifacts.
    pub takes_tag: bool,
}

/// One image build.
#[derive(Debug, Clone)]
pub struct Build {
    pub this: BuildUse,
    pub stage: String,
    pub context: String,
    pub dockerfile: String,
    pub inputs: Vec<String>,
    pub target: Option<String>,
    /// Build arguments after substitution, in model order; parents' arguments are not here,
    /// nor arguments that refer to parents.
    pub args: Vec<(String, String)>,
    /// Build arguments that refer to parents (`${parent:NAME}`), in model order: their axes
    /// substituted, the parents' references left for the build job, which knows their tags (see
    /// [`crate::variant::ArgValue::WithParents`]).
    pub parent_args: Vec<(String, String)>,
    pub parents: Vec<Parent>,
    /// What it caches (names, key files, paths: the same in each of its jobs), keyed for its
    /// only job: by the platform it builds when it names one. A split build's platform jobs
    /// key theirs by their platform: [`Build::caches_for`].
    pub caches: Vec<CacheUse>,
    /// A split build's caches per platform job, in platform order; empty otherwise.
    pub platform_caches: Vec<(Platform, Vec<CacheUse>)>,
    /// The parents' builds.
    pub needs: Vec<Need>,
    /// The alias tags the build's job points at its image in pipelines that push.
    pub aliases: Vec<AliasTag>,
    /// The platforms it is built for, sorted by name; empty: once, for the runner's own.
    pub platforms: Vec<Platform>,
    /// How long each of its jobs may take: the image's `timeout`, else the policy's.
    pub timeout: Duration,
}

/// An alias tag of one build: its template with the build's axis values in place (pipeline
/// values such as `${branch}` left for the pipeline, see [`crate::alias_tags`]) and when it is
/// set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasTag {
    pub template: String,
    pub when: AliasWhen,
}

impl AliasTag {
    /// The template, then the words of its condition (`latest default-branch`): a line of the
    /// alias script's variable, and how `plan --format json` shows it.
    pub fn line(&self) -> String {
        format!("{} {}", self.template, self.condition())
    }

    /// When it is set, in words: `always`, `default-branch`, `git-tag`, `branch <patterns>` or
    /// `git-tag <patterns>`.
    fn condition(&self) -> String {
        use crate::model::AliasEvent;
        match &self.when {
            AliasWhen::Event(AliasEvent::Always) => "always".to_string(),
            AliasWhen::Event(AliasEvent::DefaultBranch) => "default-branch".to_string(),
            AliasWhen::Event(AliasEvent::GitTag) => "git-tag".to_string(),
            AliasWhen::Branches(b) => {
                format!("branch {}", b.branch.iter().map(|g| g.0.as_str()).collect::<Vec<_>>().join(" "))
            }
            AliasWhen::GitTags(t) => {
                format!("git-tag {}", t.git_tag.iter().map(|g| g.0.as_str()).collect::<Vec<_>>().join(" "))
            }
        }
    }
}

impl Build {
    pub fn id(&self) -> JobId {
        JobId::Build(self.this.id.clone())
    }

    /// Whether it is built by one job per platform, which its own job then merges into a
    /// manifest list (two platforms or more).
    pub fn split(&self) -> bool {
        self.platforms.len() > 1
    }

    /// How many jobs [`Build::platform_jobs`] lists.
    pub fn platform_job_count(&self) -> usize {
        if self.split() { self.platforms.len() } else { 0 }
    }

    /// The per-platform jobs of a split build (none otherwise), in platform order.
    pub fn platform_jobs(&self) -> Vec<JobId> {
        if !self.split() {
            return Vec::new();
        }
        self.platforms.iter().map(|p| JobId::Platform { build: self.this.id.clone(), platform: *p }).collect()
    }

    /// The platform its single job builds, when it is built for exactly one.
    pub fn single_platform(&self) -> Option<Platform> {
        match self.platforms.as_slice() {
            [only] => Some(*only),
            _ => None,
        }
    }

    /// The caches of one of its building jobs: its only job (`None`), or a split build's job of
    /// `platform`, whose keys name that platform so that no two architectures share a cache.
    pub fn caches_for(&self, platform: Option<Platform>) -> &[CacheUse] {
        platform
            .and_then(|platform| self.platform_caches.iter().find(|(p, _)| *p == platform))
            .map_or(&self.caches, |(_, caches)| caches)
    }

    /// The content-tag recipe of this build, when it is tagged by content.
    pub fn recipe(&self) -> Option<Recipe> {
        (self.this.tag == TagMode::Content).then(|| Recipe::of(self))
    }
}

/// A use of a named cache by one job: its key prefix is per cache, stage, variant and (for a
/// build job that names it) platform.
#[derive(Debug, Clone)]
pub struct CacheUse {
    pub name: String,
    pub key_files: Vec<String>,
    pub paths: Vec<String>,
    /// `<cache>@<stage>[+<value>…][@<os>-<arch>[-<variant>]]`: `@` and `+` appear in no cache,
    /// stage or axis value, so two uses never share a prefix unless they are the same stage,
    /// values and platform.
    pub prefix: String,
}

impl CacheUse {
    /// The same cache used by a split build's job of `platform` (`stage` and `variant` are
    /// the build's): keyed by that platform.
    pub(crate) fn on_platform(&self, stage: &str, variant: &Variant, platform: Platform) -> CacheUse {
        CacheUse { prefix: crate::naming::cache_prefix(&self.name, stage, variant, Some(platform)), ..self.clone() }
    }
}

/// A service beside a job.
#[derive(Debug, Clone)]
pub struct ServiceUse {
    pub alias: String,
    pub image: ImageUse,
    pub port: u16,
    pub env: Vec<(String, String)>,
    pub health: Option<HealthCheck>,
}

/// How to tell a service is ready, and how long to wait.
#[derive(Debug, Clone)]
pub struct HealthCheck {
    pub probe: Probe,
    pub timeout: Duration,
    pub interval: Duration,
}

/// What a health check does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    Http(String),
    Tcp,
    Cmd(String),
}

/// One run (per variant) of a model job.
#[derive(Debug, Clone)]
pub struct Run {
    /// The model's name of the job.
    pub job: String,
    pub variant: Variant,
    pub stage: String,
    pub image: Option<ImageUse>,
    pub services: Vec<ServiceUse>,
    pub caches: Vec<CacheUse>,
    /// The variant's axes as variables, then the job's `env` after substitution.
    pub env: Vec<(String, String)>,
    /// Shards (1 or more: the model wrote `parallel`), each seeing `CI_NODE_INDEX` and
    /// `CI_NODE_TOTAL`.
    pub shards: Option<u32>,
    pub script: Vec<String>,
    pub retry: u32,
    pub timeout: Option<Duration>,
    pub artifacts: Option<ArtifactsPlan>,
    /// The builds of the images it runs (its image and its services'), then the runs of the
    /// jobs it `needs` whose variants agree with its own.
    pub needs: Vec<Need>,
    /// The runs among `needs` whose files it receives: those of jobs that keep artifacts when
    /// they succeed (`on_success`, `always`); a job whose artifacts are `on_failure` only hands
    /// nothing on.
    pub received: Vec<JobId>,
    /// Some job needs this one and receives its artifacts: they keep their paths from the
    /// repository root on every platform, where the receiving job finds them.
    pub handed_on: bool,
    /// Its checkout holds the repository's submodules (the model's `submodules`).
    pub submodules: bool,
    /// The platform secrets its script reads, each as the variable of its name.
    pub secrets: Vec<String>,
}

impl Run {
    pub fn id(&self) -> JobId {
        JobId::Run { job: self.job.clone(), variant: self.variant.clone() }
    }

    /// The longest its services' health checks may take together: a job waits for them one after
    /// another before its script (GitLab always; GitHub when the job starts them itself).
    pub fn service_waits(&self) -> Duration {
        Duration::from_secs(self.services.iter().filter_map(|s| s.health.as_ref()).map(|h| h.timeout.as_secs()).sum())
    }

    /// One attempt's time where the service waits and the script share one timeout (a GitLab
    /// job's `timeout:` covers its `before_script`): the model's `timeout` for the script, plus
    /// the waits, so that a slow service fails with its own message (naming it and its timeout)
    /// rather than the job's timeout, and the script keeps its whole time. None: the model sets
    /// no timeout, and the platform's default applies.
    pub fn attempt_timeout(&self) -> Option<Duration> {
        self.timeout.map(|t| Duration::from_secs(t.as_secs().saturating_add(self.service_waits().as_secs())))
    }

    /// Every model image it runs: its own, then its services'.
    pub fn model_images(&self) -> impl Iterator<Item = &BuildUse> {
        self.image.iter().chain(self.services.iter().map(|s| &s.image)).filter_map(|u| match u {
            ImageUse::Model(b) => Some(b),
            ImageUse::External(_) => None,
        })
    }
}

/// Files kept after a job.
#[derive(Debug, Clone)]
pub struct ArtifactsPlan {
    pub paths: Vec<String>,
    pub when: ArtifactsWhen,
}

impl Plan {
    /// Whether `build` reads a submodule: its context, Dockerfile or an input (a glob by its
    /// literal directories) is a submodule, lies in one or holds one. Its job then checks
    /// submodules out, or the builder would find their directories empty.
    pub fn checks_out_submodules(&self, build: &Build) -> bool {
        if self.submodules.is_empty() {
            return false;
        }
        let overlaps = |path: &str| {
            self.submodules.iter().any(|submodule| path == "." || within(path, submodule) || within(submodule, path))
        };
        overlaps(&build.context)
            || overlaps(&build.dockerfile)
            || build.inputs.iter().any(|input| match recipe::Glob::parse(input) {
                Some(glob) => overlaps(&glob.prefix),
                None => overlaps(input),
            })
    }

    /// Whether `build`'s context or Dockerfile may be stored in Git LFS: a `.gitattributes` that
    /// sends files to LFS is at the root, on the way to its context or in it, or on the way to
    /// its Dockerfile. Its checkout then fetches them, or the builder would receive their
    /// pointer files.
    /// A context or Dockerfile that is a symbolic link (or lies behind one) counts as the path it
    /// leads to as well ([`Plan::link_targets`]).
    pub fn checks_out_lfs(&self, build: &Build) -> bool {
        let resolved = |path: &String| -> [String; 2] {
            [path.clone(), self.link_targets.get(path).cloned().unwrap_or_else(|| path.clone())]
        };
        let (contexts, dockerfiles) = (resolved(&build.context), resolved(&build.dockerfile));
        self.lfs_attributes.iter().any(|directory| {
            directory == "."
                || contexts
                    .iter()
                    .any(|context| context == "." || within(context, directory) || within(directory, context))
                || dockerfiles.iter().any(|dockerfile| within(dockerfile, directory))
        })
    }

    /// Whether `build`'s checkout can leave Git LFS files as pointers: the repository stores
    /// some, but none where the build reads ([`Plan::checks_out_lfs`]). GitLab's runner fetches
    /// every LFS file unless told not to; a build's tag is computed from git's objects, never
    /// from the fetched files, so skipping them changes nothing but the time.
    pub fn skips_lfs(&self, build: &Build) -> bool {
        !self.lfs_attributes.is_empty() && !self.checks_out_lfs(build)
    }

    /// The build of `id`.
    pub fn build(&self, id: &BuildId) -> Option<&Build> {
        self.build_index.get(id).map(|&i| &self.builds[i])
    }

    /// How many jobs [`Plan::job_ids`] lists.
    pub fn job_count(&self) -> usize {
        self.builds.iter().map(|b| b.platform_job_count() + 1).sum::<usize>() + self.runs.len()
    }

    /// Every job, in pipeline order: builds (each after its platforms' jobs), then runs.
    pub fn job_ids(&self) -> Vec<JobId> {
        self.builds
            .iter()
            .flat_map(|b| b.platform_jobs().into_iter().chain([b.id()]))
            .chain(self.runs.iter().map(Run::id))
            .collect()
    }

    /// The runner the model chose for `platform`, if it chose one.
    pub fn runner(&self, platform: Platform) -> Option<&Runner> {
        self.runners.iter().find(|(p, _)| *p == platform).map(|(_, r)| r)
    }

    /// Whether the pipeline has nothing to do.
    pub fn is_empty(&self) -> bool {
        self.builds.is_empty() && self.runs.is_empty()
    }
}

/// Whether the repository path `path` is `directory` or lies below it.
fn within(path: &str, directory: &str) -> bool {
    path.strip_prefix(directory).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}
