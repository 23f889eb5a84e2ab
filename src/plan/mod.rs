//! The backend-neutral pipeline: every job, what it needs, which image reference and tag it
//! uses, its cache keys and its service waits, decided once. The GitLab and GitHub emitters only
//! translate a `Plan`; they decide nothing about the graph.

mod build;
mod limits;

pub use build::{TAGS_JOB, build, job_axes};

use crate::model::{ArtifactsWhen, Duration};
use crate::variant::Variant;

/// A job's name on each platform.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobName {
    /// `build:base:3.2`
    pub gitlab: String,
    /// `build_base_3-2`
    pub github: String,
}

impl JobName {
    pub fn new(gitlab: String) -> Self {
        let github = crate::naming::github_job_id(&gitlab);
        JobName { gitlab, github }
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
    /// The job that computes every tag, when there are images.
    pub tags: Option<TagsJob>,
    /// Image builds, parents before children.
    pub builds: Vec<Build>,
    /// Jobs of the model, one per variant.
    pub jobs: Vec<ScriptJob>,
}

/// The one job that computes every build's tag from git, before any build starts.
#[derive(Debug, Clone)]
pub struct TagsJob {
    pub name: JobName,
    /// In topological order, so a parent's tag is known before its children's.
    pub tags: Vec<ComputedTag>,
    /// Cache keys too long for GitLab's `key:files` (more than two files), hashed here.
    pub cache_keys: Vec<ComputedCacheKey>,
}

/// How one build's tag is computed.
#[derive(Debug, Clone)]
pub struct ComputedTag {
    /// Identifier of the build (`base__3_2`): GitHub output names derive from it.
    pub key: String,
    /// The variable that holds the tag (`PIPEGEN_TAG_BASE__3_2`).
    pub variable: String,
    pub image: String,
    pub variant: Variant,
    pub kind: TagKind,
}

/// How a tag is made.
#[derive(Debug, Clone)]
pub enum TagKind {
    /// A hash of the recipe.
    Content(ContentRecipe),
    /// The commit SHA, followed by `-<values>` for a variant.
    Commit { suffix: Option<String> },
}

/// Everything that determines a content-tagged image, in the order it is hashed.
///
/// The hashed text is, line by line: `pipegen content tag v1`, `image <name>`, `context <path>`,
/// `dockerfile <path>`, `input <glob>` per input, `target <target>` (if any), `arg <K>=<V>` per
/// build argument sorted by name, `parent <ARG> <tag>` per parent sorted by argument, then
/// `file <mode> <blob> <path>` for every file git tracks under the context, the Dockerfile and
/// the inputs at the pipeline's commit (as `git ls-files` lists them, sorted by path). The tag
/// is the first 24 hex digits of its SHA-256.
#[derive(Debug, Clone)]
pub struct ContentRecipe {
    pub image: String,
    pub context: String,
    pub dockerfile: String,
    pub inputs: Vec<String>,
    pub target: Option<String>,
    /// Build arguments after substitution, sorted by name; parents' arguments are not here.
    pub args: Vec<(String, String)>,
    /// Parent argument and the variable holding that parent's tag, sorted by argument.
    pub parents: Vec<(String, String)>,
}

/// Length of a content tag, in hex digits of the SHA-256.
pub const CONTENT_TAG_LEN: usize = 24;

/// First line of the hashed recipe: bump it when the recipe changes, so old tags are not reused.
pub const CONTENT_TAG_HEADER: &str = "pipegen content tag v1";

impl ContentRecipe {
    /// The git pathspecs whose files are hashed: the context and the Dockerfile literally, the
    /// inputs as globs (`**` crosses directories).
    pub fn pathspecs(&self) -> Vec<String> {
        let mut specs = vec![format!(":(literal){}", self.context), format!(":(literal){}", self.dockerfile)];
        specs.extend(self.inputs.iter().map(|i| format!(":(glob){i}")));
        specs
    }

    /// The recipe's lines before the file list, with each parent's tag looked up by `tag_of`
    /// (given the variable name).
    pub fn header_lines(&self, tag_of: impl Fn(&str) -> String) -> Vec<String> {
        let mut lines = vec![
            CONTENT_TAG_HEADER.to_string(),
            format!("image {}", self.image),
            format!("context {}", self.context),
            format!("dockerfile {}", self.dockerfile),
        ];
        lines.extend(self.inputs.iter().map(|i| format!("input {i}")));
        if let Some(target) = &self.target {
            lines.push(format!("target {target}"));
        }
        lines.extend(self.args.iter().map(|(k, v)| format!("arg {k}={v}")));
        lines.extend(self.parents.iter().map(|(arg, variable)| format!("parent {arg} {}", tag_of(variable))));
        lines
    }
}

/// A cache key hashed by the tags job.
#[derive(Debug, Clone)]
pub struct ComputedCacheKey {
    pub variable: String,
    pub files: Vec<String>,
}

/// A use of an image: one build of a model image, or an external reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageUse {
    Model(BuildRef),
    External(String),
}

/// One build of a model image, as others refer to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildRef {
    pub image: String,
    pub variant: Variant,
    /// The build job.
    pub job: JobName,
    /// Identifier of the build (`base__3_2`).
    pub key: String,
    pub tag: TagRef,
}

/// Where a build's tag comes from at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagRef {
    /// From the tags job, in this variable.
    Content { variable: String },
    /// The commit SHA, with this suffix for variants.
    Commit { suffix: Option<String> },
}

/// One image build.
#[derive(Debug, Clone)]
pub struct Build {
    pub name: JobName,
    pub this: BuildRef,
    pub stage: String,
    pub context: String,
    pub dockerfile: String,
    pub target: Option<String>,
    /// Build arguments after substitution, in model order.
    pub args: Vec<(String, String)>,
    /// Each parent: the argument that carries its reference, and which build of it.
    pub parents: Vec<(String, BuildRef)>,
    pub caches: Vec<CacheUse>,
    /// The tags job and the parents' builds.
    pub needs: Vec<JobName>,
}

/// A use of a named cache by one job: its key prefix is per cache, stage and variant.
#[derive(Debug, Clone)]
pub struct CacheUse {
    pub name: String,
    pub key_files: Vec<String>,
    pub paths: Vec<String>,
    /// `<cache>-<stage>[-<values>]`: the exact key is this plus a hash of the key files; the
    /// rolling key (the fallback for a new lockfile) is this alone.
    pub prefix: String,
    /// When GitLab cannot hash the key files itself, the variable the tags job puts it in.
    pub computed_key: Option<String>,
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
pub struct ScriptJob {
    pub name: JobName,
    /// The model's name of the job.
    pub job: String,
    pub variant: Variant,
    pub stage: String,
    pub image: Option<ImageUse>,
    pub services: Vec<ServiceUse>,
    pub caches: Vec<CacheUse>,
    /// The variant's axes as variables, then the job's `env` after substitution.
    pub env: Vec<(String, String)>,
    /// Shards (2 or more), each seeing `CI_NODE_INDEX` and `CI_NODE_TOTAL`.
    pub shards: Option<u32>,
    pub script: Vec<String>,
    pub retry: u32,
    pub timeout: Option<Duration>,
    pub artifacts: Option<ArtifactsPlan>,
    /// The tags job (if it uses a model image or a computed cache key) and the builds it uses.
    pub needs: Vec<JobName>,
}

/// Files kept after a job.
#[derive(Debug, Clone)]
pub struct ArtifactsPlan {
    pub paths: Vec<String>,
    pub when: ArtifactsWhen,
}

impl Plan {
    /// The build that produces `key`.
    pub fn build_by_key(&self, key: &str) -> Option<&Build> {
        self.builds.iter().find(|b| b.this.key == key)
    }

    /// Every job name, in pipeline order: tags, builds, jobs.
    pub fn job_names(&self) -> Vec<&JobName> {
        self.tags
            .iter()
            .map(|t| &t.name)
            .chain(self.builds.iter().map(|b| &b.name))
            .chain(self.jobs.iter().map(|j| &j.name))
            .collect()
    }
}
