//! The model as it is written: serde types whose doc comments, defaults and examples become the
//! JSON Schema that editors validate against (`pipegen schema`).
//!
//! Everything a model may say is here; what it means is decided in `graph` and `plan`.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::duration::Duration;
use super::patterns;

/// A pipegen model (format 1): container images, the jobs that test them, and where the
/// generated pipelines go. See docs/model.md for the full reference.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "pipegen model", example = example_model())]
#[schemars(extend("patternProperties" = { "^x-": {
    "description": "Ignored by pipegen: a place for YAML anchors (`x-common: &common {…}`) that the model reuses with aliases (`*common`) and merge keys (`<<: *common`)."
} }))]
pub struct Model {
    /// Format version of the model. Only `1` exists.
    #[schemars(range(min = 1, max = 1), example = 1)]
    pub pipegen: u32,

    /// Names the pipeline (GitLab) and the workflow (GitHub).
    #[schemars(regex(pattern = patterns::NAME), example = &"gdk")]
    pub name: String,

    /// Registry and path the images are pushed to, e.g. `registry.example.com/gdk`; image `base`
    /// becomes `registry.example.com/gdk/base:<tag>`. Overridable at run time, without
    /// regenerating, through the `PIPEGEN_REGISTRY` variable.
    #[schemars(regex(pattern = patterns::REGISTRY), example = &"registry.example.com/gdk")]
    pub registry: String,

    /// Files that `pipegen emit` writes and `pipegen check` verifies, relative to the repository
    /// root. Default: none; then `pipegen emit` only prints (`--target gitlab|github`), and
    /// `pipegen check` fails (exit 2, `no-outputs`) rather than pass with nothing compared.
    #[serde(default)]
    #[schemars(example = example_outputs())]
    pub outputs: Outputs,

    /// Named matrix dimensions. Each axis is a non-empty list of distinct values; an image or job
    /// that varies over an axis is built or run once per value. An entry is a value, or a value
    /// with named fields (`{ value: "16.13", major: "16" }`, read as `${pg.major}`); every entry
    /// of an axis has the same fields.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(
        extend("propertyNames" = { "pattern": patterns::AXIS_NAME }),
        // Each axis: one value at least, each value once (as `validate` checks, by value).
        extend("additionalProperties" = {
            "type": "array", "items": { "$ref": "#/definitions/AxisEntry" }, "minItems": 1, "uniqueItems": true
        }),
        example = example_axes(),
        example = example_axis_fields()
    )]
    pub axes: IndexMap<String, Vec<AxisEntry>>,

    /// Stage names in pipeline order. Stages group jobs for display; jobs never wait for a whole
    /// stage, only for what they need. When given, it must declare every stage used, including
    /// the defaults of images and jobs that set none (`build-<depth>`, `test`).
    ///
    /// Default: derived from the image graph: an image without `stage` is in `build-<depth>`
    /// (`build-1` without parents, one more than its deepest parent otherwise), a job without
    /// `stage` in `test`, and stages whose members sit shallower in the graph come first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("uniqueItems" = true), example = ["base", "components", "image", "test"])]
    pub stages: Option<Vec<StageName>>,

    /// Named dependency caches. A cache's key is derived from its key files and from the stage
    /// (and variant) that uses it, so stages never overwrite each other's cache.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(extend("propertyNames" = { "pattern": patterns::NAME }), example = example_caches())]
    pub caches: IndexMap<String, Cache>,

    /// The container images of this repository, by name. Names become repository names in the
    /// registry and build job names (`build:<image>`).
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": patterns::NAME }), example = example_images())]
    pub images: IndexMap<String, Image>,

    /// Services that jobs run beside them (databases, the application under test), by alias:
    /// jobs reach a service at the host name of its key.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(extend("propertyNames" = { "pattern": patterns::SERVICE_NAME, "maxLength": patterns::MAX_HOST_LABEL }), example = example_services())]
    pub services: IndexMap<String, Service>,

    /// Jobs that run scripts in the images (tests, checks), by name.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(extend("propertyNames" = { "pattern": patterns::JOB_NAME }), example = example_jobs())]
    pub jobs: IndexMap<String, Job>,

    /// Platform limits an administrator raised, which pipegen then checks against instead of the
    /// platform's defaults. Default: none; the defaults of GitLab (and GitHub's fixed limits).
    #[serde(default, skip_serializing_if = "Limits::is_default")]
    #[schemars(example = example_limits())]
    pub limits: Limits,

    /// Which pipelines push images to `registry`: by default those of the default branch
    /// (including scheduled ones) and of git tags. Every other pipeline (merge and pull
    /// requests, other branches) builds and tests without pushing and without registry secrets,
    /// so a fork's pull request works: GitLab keeps its images in a scratch path of the
    /// project's own registry, GitHub hands them to later jobs as local images. Each job sees
    /// the decision as the variable `PIPEGEN_PUSH` (`true` or `false`).
    #[serde(default, skip_serializing_if = "Push::is_default")]
    #[schemars(example = example_push())]
    pub push: Push,
    /// The platforms every image is built for, unless the image says otherwise (`linux/amd64`,
    /// `linux/arm64`…). An image with two platforms or more is built once per platform, each on
    /// a runner of that platform (see `runners`), and published as one manifest list under its
    /// tag. Default: none; each image is built once, for the platform of the runner that builds
    /// it, as a plain image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), extend("uniqueItems" = true), example = example_platforms())]
    pub platforms: Option<Vec<Platform>>,

    /// Which runners build each platform: GitLab runner `tags` and a GitHub `runs-on` label.
    /// Default for a platform not listed: on GitHub `ubuntu-24.04-arm` for `linux/arm64` and
    /// `ubuntu-latest` for every other platform; on GitLab no tags (the instance's untagged
    /// runners), since runner tags differ between instances.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(
        extend("propertyNames" = { "enum": Platform::ALL_NAMES }),
        example = example_runners()
    )]
    pub runners: IndexMap<String, Runner>,

    /// A scheduled pipeline that refreshes the images: content tags hash the digest of every
    /// external base image (`FROM debian:bookworm`), so a run after an upstream update rebuilds
    /// exactly the images above it, and nothing else. GitHub: the workflow gets
    /// `on: schedule`; GitLab: create the schedule in the project (Build > Pipeline schedules, or
    /// the API); the pipeline marks scheduled runs. Default: no schedule (base images are still
    /// resolved in every pipeline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = example_refresh())]
    pub refresh: Option<Refresh>,
}

/// Which pipelines push (see docs/model.md, "Push policy").
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Push {
    /// Whether pipelines of the default branch push (pushes to it and its scheduled
    /// pipelines). Default: `true`.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    #[schemars(extend("default" = true), example = false)]
    pub default_branch: bool,

    /// More branches whose pipelines push: a branch name, or a prefix followed by `*`
    /// (`release/*`); `*` alone is every branch. Merge and pull requests never push. Default:
    /// none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("uniqueItems" = true), example = ["release/*", "stable"])]
    pub branches: Vec<BranchPattern>,

    /// Whether pipelines of git tags push. Default: `true`.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    #[schemars(extend("default" = true), example = false)]
    pub tags: bool,
}

/// A branch name, or a prefix and a final `*`, or `*` alone.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct BranchPattern(#[schemars(regex(pattern = patterns::BRANCH_PATTERN), example = &"release/*")] pub String);

impl Default for Push {
    fn default() -> Self {
        Push { default_branch: true, branches: Vec::new(), tags: true }
    }
}

impl Push {
    fn is_default(&self) -> bool {
        *self == Push::default()
    }
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

fn example_push() -> serde_json::Value {
    serde_json::json!({ "default_branch": true, "branches": ["release/*"], "tags": true })
}

/// A platform an image is built for: `os/arch[/variant]` as container registries and builders
/// name them. pipegen builds Linux images (buildah and BuildKit on Linux runners).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize, JsonSchema)]
pub enum Platform {
    /// 64-bit x86.
    #[serde(rename = "linux/amd64")]
    LinuxAmd64,
    /// 64-bit ARM (Graviton, Ampere, Apple silicon under Linux).
    #[serde(rename = "linux/arm64")]
    LinuxArm64,
    /// 32-bit ARMv7 (Raspberry Pi 2 and later in 32-bit mode).
    #[serde(rename = "linux/arm/v7")]
    LinuxArmV7,
    /// 32-bit ARMv6 (Raspberry Pi 1, Zero).
    #[serde(rename = "linux/arm/v6")]
    LinuxArmV6,
    /// 32-bit x86.
    #[serde(rename = "linux/386")]
    Linux386,
    /// 64-bit POWER, little endian.
    #[serde(rename = "linux/ppc64le")]
    LinuxPpc64le,
    /// IBM Z.
    #[serde(rename = "linux/s390x")]
    LinuxS390x,
    /// 64-bit RISC-V.
    #[serde(rename = "linux/riscv64")]
    LinuxRiscv64,
}

impl Platform {
    /// Every platform, in the order of the schema.
    pub const ALL: [Platform; 8] = [
        Platform::LinuxAmd64,
        Platform::LinuxArm64,
        Platform::LinuxArmV7,
        Platform::LinuxArmV6,
        Platform::Linux386,
        Platform::LinuxPpc64le,
        Platform::LinuxS390x,
        Platform::LinuxRiscv64,
    ];

    /// Their names, as the model writes them.
    pub const ALL_NAMES: [&'static str; 8] = [
        "linux/amd64",
        "linux/arm64",
        "linux/arm/v7",
        "linux/arm/v6",
        "linux/386",
        "linux/ppc64le",
        "linux/s390x",
        "linux/riscv64",
    ];

    /// `linux/arm/v7`.
    pub fn name(self) -> &'static str {
        Self::ALL_NAMES[Self::ALL.iter().position(|p| *p == self).expect("every platform is listed")]
    }

    /// The platform a model names, if it is one.
    pub fn parse(name: &str) -> Option<Platform> {
        Self::ALL_NAMES.iter().position(|n| *n == name).map(|i| Self::ALL[i])
    }

    /// `linux/arm/v7` → `linux-arm-v7`: for job names and temporary tags.
    pub fn slug(self) -> String {
        self.name().replace('/', "-")
    }
}

/// The runners that build one platform.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Runner {
    /// GitLab runner tags a job of this platform asks for (`tags:`). Default: none; any
    /// untagged runner of the instance.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("uniqueItems" = true), example = ["saas-linux-medium-arm64"])]
    pub gitlab: Vec<RunnerTag>,

    /// The GitHub `runs-on` label of a job of this platform. Default: a GitHub-hosted runner,
    /// `ubuntu-24.04-arm` for `linux/arm64` and `ubuntu-latest` for the other platforms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"ubuntu-24.04-arm")]
    pub github: Option<RunnerTag>,
}

/// A runner tag or label: letters, digits, `.`, `_`, `-` and inner spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct RunnerTag(#[schemars(regex(pattern = patterns::RUNNER_TAG), example = &"ubuntu-24.04-arm")] pub String);

fn example_platforms() -> serde_json::Value {
    serde_json::json!(["linux/amd64", "linux/arm64"])
}

fn example_runners() -> serde_json::Value {
    serde_json::json!({ "linux/arm64": { "gitlab": ["saas-linux-medium-arm64"], "github": "ubuntu-24.04-arm" } })
}

/// When to refresh the images (see docs/model.md, "Upstream refresh").
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Refresh {
    /// When, as five cron fields in UTC (minute, hour, day of month, month, day of week; `*`,
    /// `,`, `-`, `/`, month and day names), at most every 5 minutes (GitHub's shortest interval).
    /// GitLab's YAML cannot create a schedule: create one in the project with the same
    /// expression (its syntax is the same).
    #[schemars(example = "0 4 * * 1", length(min = 9))]
    pub schedule: String,
}

fn example_refresh() -> serde_json::Value {
    serde_json::json!({ "schedule": "0 4 * * 1" })
}

/// Limits an administrator raised (see docs/model.md, "Platform limits").
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// A self-managed GitLab's raised limits. Default: none; GitLab's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = example_gitlab_limits())]
    pub gitlab: Option<GitlabLimits>,
}

impl Limits {
    fn is_default(&self) -> bool {
        self.gitlab.is_none()
    }
}

/// Limits of a GitLab instance that differ from GitLab's defaults: raised by a self-managed
/// instance's administrator, or set (the pipeline size) by an administrator or GitLab.com's plan.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GitlabLimits {
    /// How many jobs one job may need, as the instance's `ci_needs_size_limit` says. Default:
    /// GitLab's own limit, 50 jobs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1), example = 100)]
    pub needs: Option<usize>,

    /// How much memory, in bytes, the parsed configuration may take, as the instance's
    /// `max_yaml_size_bytes` says. Default: GitLab's own limit, 2 MB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1), example = 4194304)]
    pub config_bytes: Option<usize>,

    /// How many jobs one pipeline may have, as the instance's `ci_pipeline_size` says (each
    /// shard of a `parallel` job counts). GitLab sets none by default; an administrator, or
    /// GitLab.com for a plan, may. Default: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1), example = 500)]
    pub jobs: Option<usize>,
}

fn example_limits() -> serde_json::Value {
    serde_json::json!({ "gitlab": { "needs": 100 } })
}

fn example_gitlab_limits() -> serde_json::Value {
    serde_json::json!({ "needs": 100, "config_bytes": 4194304, "jobs": 500 })
}

/// Where the generated pipelines are written.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Outputs {
    /// Path of the generated GitLab CI file, e.g. `.gitlab-ci.yml`. Default: none; no GitLab
    /// file is written or checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::REL_PATH), example = &".gitlab-ci.yml")]
    pub gitlab: Option<String>,

    /// Path of the generated GitHub Actions workflow, e.g. `.github/workflows/images.yml`.
    /// Default: none; no GitHub workflow is written or checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::REL_PATH), example = &".github/workflows/images.yml")]
    pub github: Option<String>,
}

/// One value of an axis. It appears in job names and image tags, so it is limited to letters,
/// digits, `.`, `_` and `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct AxisValue(#[schemars(regex(pattern = patterns::AXIS_VALUE), example = &"16.4")] pub String);

/// One entry of an axis: a value, or a value with named fields.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum AxisEntry {
    /// A value alone: `"16.13"`.
    Value(AxisValue),
    /// A value with named fields: `{ value: "16.13", major: "16" }`.
    Fields(AxisFields),
}

impl AxisEntry {
    /// The value: what job names, tags and `${axis}` use.
    pub fn value(&self) -> &str {
        match self {
            AxisEntry::Value(value) => &value.0,
            AxisEntry::Fields(entry) => &entry.value.0,
        }
    }

    /// The named fields, in the order written (none for a plain value).
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        let fields = match self {
            AxisEntry::Value(_) => None,
            AxisEntry::Fields(entry) => Some(&entry.fields),
        };
        fields.into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// An axis value with named fields. `${axis.field}` is a field of the variant's entry,
/// `${axis}` (and `${axis.value}`) its value. Fields are data for build arguments, environment
/// variables, scripts and paths; job names and tags use the value.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[schemars(extend("propertyNames" = { "pattern": patterns::AXIS }))]
pub struct AxisFields {
    /// The value: it appears in job names and image tags.
    #[schemars(example = &"16.13")]
    pub value: AxisValue,

    /// The named fields: lowercase letters, digits and `_`, starting with a letter, each holding
    /// text.
    #[serde(flatten)]
    pub fields: IndexMap<String, String>,
}

/// A stage name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct StageName(#[schemars(regex(pattern = patterns::NAME), example = &"test")] pub String);

/// A dependency cache: directories restored before a job and saved after it.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cache {
    /// Files whose content keys the cache (lockfiles). A change to any of them starts a new cache,
    /// seeded from the last cache of the same stage.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = ["Gemfile.lock"])]
    pub key: Vec<RelPath>,

    /// Directories (relative to the repository root) that the cache holds. `${axis}` and
    /// `${axis.field}` take the values of the image or job that uses the cache, which must vary
    /// over those axes.
    #[schemars(length(min = 1), example = ["vendor/ruby"])]
    pub paths: Vec<PathTemplate>,
}

/// A cache path relative to the repository root in which `${axis}` and `${axis.field}` take the
/// variant's values. The platforms read it as a glob, so: no leading `/`, no `..`, no glob
/// characters, no `\`; not starting with `#`, `!`, `~` or a blank, not ending with a blank.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct PathTemplate(
    #[schemars(regex(pattern = patterns::GLOB_SAFE_PATH_TEMPLATE), example = &".venv-${python}")] pub String,
);

/// A path relative to the repository root that the platforms read as a glob (cache key files),
/// so: no leading `/`, no `..`, no glob characters, no `\`; not starting with `#`, `!`, `~` or a
/// blank, not ending with a blank.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct RelPath(#[schemars(regex(pattern = patterns::GLOB_SAFE_PATH), example = &"images/base")] pub String);

/// An artifact path or glob relative to the repository root, read alike by GitLab Runner and
/// `actions/upload-artifact`: `*`, `**` and `?` match; no leading `/`, no `..`, no `[`, `]`,
/// `{`, `}` or `\`; not starting with `#`, `!`, `~` or a blank, not ending with a blank.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct ArtifactPath(
    #[schemars(regex(pattern = patterns::ARTIFACT_GLOB), example = &"qa/tmp/", example = &"reports/**/*.xml")]
    pub  String,
);

/// A container image built by the pipeline.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Image {
    /// Stage the build job is shown in. Default: `build-<depth>`: `build-1` for an image without
    /// parents, one more than its deepest parent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"base")]
    pub stage: Option<StageName>,

    /// Build context, relative to the repository root. What the build receives of it (its files,
    /// less what its `.dockerignore` excludes) counts for the content tag, so give base images a
    /// narrow context. `${axis}` and `${axis.field}` take the variant's values. Default: `.` (the
    /// repository root).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        regex(pattern = patterns::REL_PATH_TEMPLATE),
        extend("default" = "."),
        example = &"images/base",
        example = &"${distro}/base"
    )]
    pub context: Option<String>,

    /// Dockerfile, relative to the repository root. `${axis}` and `${axis.field}` take the
    /// variant's values. Default: `<context>/Dockerfile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::REL_PATH_TEMPLATE), example = &"images/base/Dockerfile")]
    pub dockerfile: Option<String>,

    /// More paths or globs (`gitaly/**`) whose change rebuilds the image. The context and the
    /// Dockerfile always count. `${axis}` and `${axis.field}` take the variant's values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = [".tool-versions", "gitaly/**"])]
    pub inputs: Vec<Glob>,

    /// Build arguments. `${axis}` is replaced by the variant's value of that axis, `${axis.field}`
    /// by a field of its entry, `${parent:NAME}` by the full reference (registry, name, tag) of
    /// parent `NAME` and `${parent:NAME.tag}` by its tag. Parents are passed by pipegen (as
    /// `<PARENT>_IMAGE`, or the `arg` of their `from` entry); don't set those here.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(
        extend("propertyNames" = { "pattern": patterns::BUILD_ARG }),
        example = example_args()
    )]
    pub args: IndexMap<String, String>,

    /// Axes the image varies over. It also inherits every axis of its parents.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("uniqueItems" = true), example = ["ruby"])]
    pub axes: Vec<AxisName>,

    /// Parent image(s) of this model: a name, `{ image: NAME, arg: ARG }`, or a list of either.
    /// Each reaches the Dockerfile as a build argument holding its full reference: `arg` when
    /// given (`BASE_IMAGE` for `ARG BASE_IMAGE` / `FROM $BASE_IMAGE`), otherwise `<NAME>_IMAGE`
    /// (`gitaly-deps` → `GITALY_DEPS_IMAGE`). Default: none; the image's base is the Dockerfile's
    /// own `FROM` (e.g. `debian:12`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"base", example = ["base", "gitaly"], example = example_parent_edge())]
    pub from: Option<Parents>,

    /// Multi-stage build target (`FROM … AS <target>` in the Dockerfile). Default: none; the
    /// Dockerfile's last stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::TARGET), example = &"runtime")]
    pub target: Option<String>,

    /// How the image is tagged: `content` (a hash of everything that determines it; rebuilt only
    /// when that changes) or `commit` (the commit SHA; rebuilt in every pipeline). Default:
    /// `content`.
    #[serde(default)]
    #[schemars(example = &"commit")]
    pub tag: TagMode,

    /// How long the image's build job may take before it is stopped: a large image built from a
    /// cold cache may need more than the default. Default: `1h`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "1h"), example = &"3h")]
    pub timeout: Option<Duration>,

    /// Caches (declared under `caches`) that feed `RUN --mount=type=cache` directories of the
    /// Dockerfile; each must hold exactly one path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("uniqueItems" = true), example = ["go"])]
    pub caches: Vec<Name>,

    /// Alias tags: human-readable tags (`latest`, `16`, `16-dev-202612021213`) that pipelines
    /// which push point at the image the build's own tag names, by digest, whether the build ran
    /// or was skipped. Each is a template, or `{ tag: TEMPLATE, when: … }` to set it only on the
    /// default branch, on git tags or on some branches. Templates hold `${axis}` and
    /// `${axis.field}` of the image's axes and pipeline values: `${branch}`, `${git_tag}`,
    /// `${semver}`, `${semver.major}`, `${semver.minor}`, `${semver.patch}`, `${date}`,
    /// `${timestamp}`, `${commit}`, `${short_commit}`. An alias whose values this pipeline does not
    /// have (`${semver}` on a branch) is not set. See docs/model.md, "Alias tags". Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("uniqueItems" = true), example = example_aliases())]
    pub aliases: Vec<Alias>,
    /// The platforms this image is built for, instead of the model's `platforms`. A child's
    /// platforms must be among each parent's: it builds each platform from its parent's image of
    /// the same platform. Default: the model's `platforms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), extend("uniqueItems" = true), example = example_platforms())]
    pub platforms: Option<Vec<Platform>>,
}

/// An alias tag: a template set in every pipeline that pushes, or a template with the pipelines
/// it is set in.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Alias {
    /// A template set in every pipeline that pushes: `latest`, `${pg}`.
    Always(AliasTemplate),
    /// A template and when it is set: `{ tag: "${pg}-dev-${timestamp}", when: default-branch }`.
    When(AliasEntry),
}

impl Alias {
    pub fn template(&self) -> &str {
        match self {
            Alias::Always(template) => &template.0,
            Alias::When(entry) => &entry.tag.0,
        }
    }

    pub fn when(&self) -> AliasWhen {
        match self {
            Alias::Always(_) => AliasWhen::Event(AliasEvent::Always),
            Alias::When(entry) => entry.when.clone(),
        }
    }
}

/// An alias tag template: letters, digits, `_`, `.`, `-` and `${…}` placeholders.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct AliasTemplate(
    #[schemars(regex(pattern = patterns::ALIAS_TAG), example = &"${pg}-dev-${timestamp}")] pub String,
);

/// An alias tag and the pipelines that set it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AliasEntry {
    /// The template of the tag.
    #[schemars(example = &"${semver.major}.${semver.minor}")]
    pub tag: AliasTemplate,

    /// Which pushing pipelines set it: `always`, `default-branch` (a pipeline of the repository's
    /// default branch), `git-tag` (a pipeline of a git tag), `{ branch: [PATTERNS] }` or
    /// `{ git-tag: [PATTERNS] }` (a branch or git tag matching one of the shell patterns, where
    /// `*` also matches `/`). Default: `always`.
    #[serde(default)]
    #[schemars(
        extend("default" = "always"),
        example = &"default-branch",
        example = example_alias_when_branch()
    )]
    pub when: AliasWhen,
}

/// When an alias tag is set.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum AliasWhen {
    /// `always`, `default-branch` or `git-tag`.
    Event(AliasEvent),
    /// Pipelines of branches matching one of the patterns.
    Branches(BranchPatterns),
    /// Pipelines of git tags matching one of the patterns.
    GitTags(GitTagPatterns),
}

impl Default for AliasWhen {
    fn default() -> Self {
        AliasWhen::Event(AliasEvent::Always)
    }
}

/// A kind of pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AliasEvent {
    /// Every pipeline that pushes.
    Always,
    /// A pipeline of the repository's default branch (not of a git tag, not of a merge or pull
    /// request).
    DefaultBranch,
    /// A pipeline of a git tag.
    GitTag,
}

/// Branches, by shell pattern.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BranchPatterns {
    /// Branch names or shell patterns (`release/*`; `*` also matches `/`).
    #[schemars(length(min = 1), extend("uniqueItems" = true), example = ["main", "release/*"])]
    pub branch: Vec<RefGlob>,
}

/// Git tags, by shell pattern.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GitTagPatterns {
    /// Git tag names or shell patterns (`v*`; `*` also matches `/`).
    #[serde(rename = "git-tag")]
    #[schemars(length(min = 1), extend("uniqueItems" = true), example = ["v*"])]
    pub git_tag: Vec<RefGlob>,
}

/// A branch or git tag name, or a shell pattern of them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct RefGlob(#[schemars(regex(pattern = patterns::REF_GLOB), example = &"release/*")] pub String);

fn example_aliases() -> serde_json::Value {
    serde_json::json!([
        { "tag": "latest", "when": "default-branch" },
        { "tag": "${pg}-dev-${timestamp}", "when": "default-branch" },
        { "tag": "${pg}", "when": "git-tag" },
        "sha-${short_commit}"
    ])
}

fn example_alias_when_branch() -> serde_json::Value {
    serde_json::json!({ "branch": ["release/*"] })
}

/// A path or glob relative to the repository root (`**` crosses directories).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Glob(#[schemars(regex(pattern = patterns::REL_GLOB), example = &"gitaly/**")] pub String);

/// The name of a platform secret a job reads (a GitHub secret, a GitLab CI/CD variable).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct SecretName(#[schemars(regex(pattern = patterns::SECRET_NAME), example = &"CODECOV_TOKEN")] pub String);

/// The name of an axis declared under `axes`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct AxisName(#[schemars(regex(pattern = patterns::AXIS), example = &"ruby")] pub String);

/// The name of something declared in this model (an image, a cache, a service).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Name(#[schemars(regex(pattern = patterns::NAME), example = &"base")] pub String);

/// The name of a job of this model.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct JobName(#[schemars(regex(pattern = patterns::JOB_NAME), example = &"build")] pub String);

/// One parent, or a list of parents; each a name or a name with the build argument that
/// carries it.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Parents {
    /// A single parent image, passed as `<NAME>_IMAGE`.
    One(Name),
    /// Several parent images.
    Many(#[schemars(length(min = 1), extend("uniqueItems" = true))] Vec<Parent>),
    /// A single parent image, passed in the build argument of your choice.
    // After `Many`: serde would also read a two-item list as this struct.
    Edge(ParentEdge),
}

/// One entry of a list of parents.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Parent {
    /// A parent image, passed as `<NAME>_IMAGE`.
    Name(Name),
    /// A parent image, passed in the build argument of your choice.
    Edge(ParentEdge),
}

/// A parent image and the build argument that carries its reference into the Dockerfile.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParentEdge {
    /// The parent: an image of this model.
    #[schemars(example = &"base")]
    pub image: Name,

    /// The build argument that receives the parent's full reference (registry, name, tag), for
    /// a Dockerfile that reads its parent as `ARG BASE_IMAGE` / `FROM $BASE_IMAGE`. Two parents of
    /// one image cannot share it, and `args` cannot set it too. Default: `<NAME>_IMAGE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::BUILD_ARG), example = &"BASE_IMAGE")]
    pub arg: Option<String>,
}

/// One parent of an image as the pipeline passes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParentRef<'a> {
    /// Its position in `from` when `from` is a list.
    pub index: Option<usize>,
    /// The parent image's name.
    pub image: &'a str,
    /// The build argument written in the model, if any.
    pub arg: Option<&'a str>,
    /// Written as `{ image: …, arg: … }` rather than as a bare name.
    pub mapping: bool,
}

impl ParentRef<'_> {
    /// The build argument that carries the parent: the written one, else `<NAME>_IMAGE`.
    pub fn build_arg(&self) -> String {
        self.arg.map_or_else(|| crate::naming::parent_arg(self.image), str::to_string)
    }

    /// Where this entry is in the model: `images.<image>.from`, `….from[1]`.
    pub fn path(&self, image: &str) -> crate::model::ModelPath {
        let from = crate::model::ModelPath::keys(["images", image, "from"]);
        match self.index {
            Some(i) => from.index(i),
            None => from,
        }
    }
}

impl Parent {
    fn as_ref(&self, index: Option<usize>) -> ParentRef<'_> {
        match self {
            Parent::Name(name) => ParentRef { index, image: &name.0, arg: None, mapping: false },
            Parent::Edge(edge) => ParentRef { index, image: &edge.image.0, arg: edge.arg.as_deref(), mapping: true },
        }
    }
}

impl Parents {
    /// The parents in the order written, each with its index when written as a list.
    pub fn iter(&self) -> impl Iterator<Item = (Option<usize>, &str)> {
        self.refs().into_iter().map(|r| (r.index, r.image))
    }

    /// The parents in the order written, with the build argument each was given.
    pub fn refs(&self) -> Vec<ParentRef<'_>> {
        match self {
            Parents::One(name) => vec![ParentRef { index: None, image: &name.0, arg: None, mapping: false }],
            Parents::Edge(edge) => {
                vec![ParentRef { index: None, image: &edge.image.0, arg: edge.arg.as_deref(), mapping: true }]
            }
            Parents::Many(list) => list.iter().enumerate().map(|(i, p)| p.as_ref(Some(i))).collect(),
        }
    }
}

/// How an image is tagged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TagMode {
    /// A hash of the image's git content, build args, target and parents' tags. Built only when
    /// the registry does not hold that tag yet.
    #[default]
    Content,
    /// The commit SHA of the pipeline. Built in every pipeline.
    Commit,
}

/// A service container that jobs run beside them.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// An image of this model (by name) or an external reference with a tag or digest
    /// (`postgres:16.4`).
    #[schemars(regex(pattern = patterns::IMAGE_REF), example = &"postgres:16.4")]
    pub image: String,

    /// The port the service listens on; health checks use it.
    #[schemars(range(min = 1, max = 65535), example = 5432)]
    pub port: u16,

    /// How to tell that the service is ready. Jobs do not start their script before it is, and
    /// fail when it is not ready within the timeout. Default: none; jobs start without waiting
    /// (GitLab's runner still waits up to 30 s for the port, then only warns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = example_http_health(), example = example_cmd_health())]
    pub health: Option<Health>,

    /// Environment variables of the service container.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(
        extend("propertyNames" = { "pattern": patterns::SERVICE_ENV_NAME }),
        example = example_service_env()
    )]
    pub env: IndexMap<String, String>,
}

/// A health check: exactly one of `http`, `tcp` or `cmd`, with a timeout.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("oneOf" = [
    { "required": ["http"] },
    { "required": ["tcp"] },
    { "required": ["cmd"] }
]))]
pub struct Health {
    /// Healthy when `GET http://<service>:<port><path>` answers 2xx or 3xx.
    // `with = String`: `http: ~` is no check of another kind; the schema refuses it as `tcp: ~`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", regex(pattern = patterns::HTTP_PATH), example = &"/-/readiness")]
    pub http: Option<String>,

    /// Healthy when the port accepts TCP connections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("const" = true), example = true)]
    pub tcp: Option<bool>,

    /// Healthy when this shell command exits 0. It runs with `PIPEGEN_SERVICE_HOST` and
    /// `PIPEGEN_SERVICE_PORT` set (inside the service container on GitHub, in the job on GitLab).
    // Not null (as `http`), and not blank: `sh -c ''` and `--health-cmd ""` succeed at once, so
    // the check would wait for nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        with = "String",
        regex(pattern = patterns::COMMAND),
        example = &"pg_isready -h \"$PIPEGEN_SERVICE_HOST\" -U postgres"
    )]
    pub cmd: Option<String>,

    /// How long a job waits for the service before it fails with a message naming the service
    /// and the timeout. Default: `60s`.
    #[serde(default = "Health::default_timeout")]
    #[schemars(extend("default" = "60s"), example = &"5m")]
    pub timeout: Duration,

    /// How often to check. Default: `5s`.
    #[serde(default = "Health::default_interval")]
    #[schemars(extend("default" = "5s"), example = &"10s")]
    pub interval: Duration,
}

impl Health {
    fn default_timeout() -> Duration {
        Duration::from_secs(60)
    }
    fn default_interval() -> Duration {
        Duration::from_secs(5)
    }
}

/// A job that runs a script.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Job {
    /// Stage the job is shown in. Default: `test`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = "test"), example = &"qa")]
    pub stage: Option<StageName>,

    /// The image the script runs in: an image of this model or an external reference
    /// (`ruby:3.3`). Default: none; the job runs in the runner's default image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::IMAGE_REF), example = &"gdk")]
    pub image: Option<String>,

    /// Services (declared under `services`) started beside the job.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("uniqueItems" = true), example = ["gdk", "postgres"])]
    pub services: Vec<Name>,

    /// Caches (declared under `caches`) restored before and saved after the script.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("uniqueItems" = true), example = ["gems"])]
    pub caches: Vec<Name>,

    /// Axes the job runs over: one run per combination of values. The job also varies over the
    /// axes of its image and its services' images. Each axis is an environment variable of the
    /// job (`$ruby`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("uniqueItems" = true), example = ["ruby"])]
    pub axes: Vec<AxisName>,

    /// Jobs of this model that this job runs after, and whose artifacts it receives: each
    /// variant (and shard) of this job starts once every variant and shard of each named job
    /// whose axis values agree with its own (on the axes both have) has succeeded, and finds
    /// their artifacts (`when: on_success` or `always`) at the same paths in its workspace. A
    /// named job without artifacts only orders the two. Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("uniqueItems" = true), example = ["build"])]
    pub needs: Vec<JobName>,

    /// Number of shards that split the work; each run sees `CI_NODE_INDEX` (1..N) and
    /// `CI_NODE_TOTAL` (N), also for `parallel: 1` (one shard: 1 and 1; GitLab's `parallel: 1`).
    /// Default: none (one run, which sees neither variable, as on GitLab without `parallel`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 200), example = 4)]
    pub parallel: Option<u32>,

    /// Shell commands, run in order; the job fails at the first that fails.
    #[schemars(length(min = 1), example = ["bundle exec rspec qa/"])]
    pub script: Vec<String>,

    /// Times a failed run is retried (flaky tests, stuck tests); GitLab allows at most 2.
    /// Default: `0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 2), extend("default" = 0), example = 2)]
    pub retry: Option<u32>,

    /// How long one run may take before it is stopped (and retried, with `retry`). Default: none;
    /// the project's job timeout on GitLab (60 minutes unless changed), 60 minutes per run on
    /// GitHub.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"30m")]
    pub timeout: Option<Duration>,

    /// Files kept after the job (one week on GitLab, uploaded with `actions/upload-artifact` on
    /// GitHub). Default: none; nothing is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = example_artifacts())]
    pub artifacts: Option<Artifacts>,

    /// Environment variables of the job. `${axis}` is replaced by the variant's value.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(
        extend("propertyNames" = { "pattern": patterns::JOB_ENV_NAME }),
        example = example_job_env()
    )]
    pub env: IndexMap<String, String>,

    /// Secrets the script reads, each as the environment variable of its name. On GitHub, the
    /// repository's, environment's or organization's secret of that name, given to the script's
    /// step alone (a workflow sees no secret it does not name); on GitLab, the project's or
    /// group's CI/CD variable of that name, which GitLab gives every job (mark it masked). Runs
    /// that a fork's pull request starts get no secrets on either platform (an empty value on
    /// GitHub). Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("uniqueItems" = true), example = ["CODECOV_TOKEN"])]
    pub secrets: Vec<SecretName>,

    /// Check the repository's git submodules out, recursively, before the script runs
    /// (`GIT_SUBMODULE_STRATEGY: recursive` on GitLab, `submodules: recursive` on GitHub's
    /// checkout). Default: `false`, the platforms' default: their directories stay empty. Builds
    /// need no such field: a build that reads a submodule checks submodules out by itself.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[schemars(extend("default" = false), example = true)]
    pub submodules: bool,
}

/// Files kept after a job.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Artifacts {
    /// Paths (files or directories) relative to the repository root, or globs: `*` matches
    /// within a directory, `**` across directories, `?` one character (`reports/**/*.xml`).
    #[schemars(length(min = 1), example = ["qa/tmp/"], example = ["log/*.log", "reports/**/junit.xml"])]
    pub paths: Vec<ArtifactPath>,

    /// When to keep them: `on_success`, `on_failure` or `always`. Default: `on_success`.
    #[serde(default)]
    #[schemars(example = &"on_failure")]
    pub when: ArtifactsWhen,
}

/// When artifacts are kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactsWhen {
    /// Only when the job succeeds.
    #[default]
    OnSuccess,
    /// Only when the job fails (logs of failed tests).
    OnFailure,
    /// Whatever the result.
    Always,
}

fn example_model() -> serde_json::Value {
    serde_json::json!({
        "pipegen": 1,
        "name": "example",
        "registry": "registry.example.com/example",
        "outputs": { "gitlab": ".gitlab-ci.yml" },
        "images": {
            "base": { "context": "images/base" },
            "app": { "from": "base", "tag": "commit" }
        },
        "jobs": { "test": { "image": "app", "script": ["make test"] } }
    })
}

fn example_parent_edge() -> serde_json::Value {
    serde_json::json!([{ "image": "base", "arg": "BASE_IMAGE" }, "gitaly"])
}

fn example_outputs() -> serde_json::Value {
    serde_json::json!({ "gitlab": ".gitlab-ci.yml", "github": ".github/workflows/images.yml" })
}

fn example_caches() -> serde_json::Value {
    serde_json::json!({ "gems": { "key": ["Gemfile.lock"], "paths": ["vendor/ruby"] } })
}

fn example_images() -> serde_json::Value {
    serde_json::json!({
        "base": { "context": "images/base", "args": { "RUBY_VERSION": "${ruby}" }, "axes": ["ruby"] },
        "app": { "from": "base", "tag": "commit" }
    })
}

fn example_services() -> serde_json::Value {
    serde_json::json!({
        "postgres": {
            "image": "postgres:16.4",
            "port": 5432,
            "env": { "POSTGRES_PASSWORD": "postgres" },
            "health": { "cmd": "pg_isready -h \"$PIPEGEN_SERVICE_HOST\" -U postgres", "timeout": "60s" }
        }
    })
}

fn example_jobs() -> serde_json::Value {
    serde_json::json!({
        "test": { "image": "app", "services": ["postgres"], "script": ["make test"], "retry": 1, "timeout": "30m" }
    })
}

fn example_http_health() -> serde_json::Value {
    serde_json::json!({ "http": "/-/readiness", "timeout": "5m", "interval": "5s" })
}

fn example_cmd_health() -> serde_json::Value {
    serde_json::json!({ "cmd": "pg_isready -h \"$PIPEGEN_SERVICE_HOST\" -U postgres", "timeout": "60s" })
}

fn example_artifacts() -> serde_json::Value {
    serde_json::json!({ "paths": ["qa/tmp/"], "when": "on_failure" })
}

fn example_axes() -> serde_json::Value {
    serde_json::json!({ "postgres": ["15", "16", "17"] })
}

fn example_axis_fields() -> serde_json::Value {
    serde_json::json!({ "pg": [{ "value": "16.13", "major": "16" }, { "value": "17.9", "major": "17" }] })
}

fn example_args() -> serde_json::Value {
    serde_json::json!({ "RUBY_VERSION": "${ruby}" })
}

fn example_service_env() -> serde_json::Value {
    serde_json::json!({ "POSTGRES_PASSWORD": "postgres" })
}

fn example_job_env() -> serde_json::Value {
    serde_json::json!({ "DB_FLAVOR": "${flavor}" })
}
