//! GitLab CI: a `.gitlab-ci.yml` from a plan, as typed structs serialized in a fixed order.
//!
//! Each build job extends `.pipegen:build` (buildah, no privileged docker-in-docker), which holds
//! the build functions once; the job itself only sets its variables. It computes its own content
//! tag from git and its parents' tags, skips or builds and pushes, and publishes its tag as a
//! dotenv report of one variable. A job needs exactly the builds it uses, with their artifacts
//! where it reads their tag, so nothing waits for a stage and no report grows with the model.

pub mod limits;
pub mod names;
pub mod push;

use std::borrow::Cow;

use indexmap::IndexMap;
use serde::Serialize;

use crate::emit::scripts::{self, Builder, OwnRegistry, Platform, Publish, Unpushed};
use crate::emit::{Extent, JobsBegun, Rendering, Stopped};
use crate::model::{ArtifactsWhen, Platform as ImagePlatform};
use crate::plan::{Build, BuildUse, CacheUse, ImageUse, JobId, Need, Plan, Run};
use crate::yaml::SizeLimit;
use names::{BUILD_TEMPLATE, CACHE_KEY_DOTENV, CACHE_KEY_TEMPLATE, PUSH_TEMPLATE, TAG_DOTENV, WAIT_TEMPLATE};

/// The image that runs buildah builds (Fedora; git and skopeo are added when missing).
pub const BUILDER_IMAGE: &str = "quay.io/buildah/stable:v1.42.2";

/// GitLab runs the build scripts with buildah and reads the commit from `CI_COMMIT_SHA`.
pub const PLATFORM: Platform = Platform {
    builder: Builder::Buildah,
    commit: "CI_COMMIT_SHA",
    publish: Publish::Dotenv(TAG_DOTENV),
    own_registry: OwnRegistry {
        host: "\"${CI_REGISTRY:-}\"",
        user: "CI_REGISTRY_USER",
        password: "CI_REGISTRY_PASSWORD",
    },
    unpushed: Unpushed::Scratch,
    refs: r#"  pipegen_ref_tag="${CI_COMMIT_TAG:-}"
  pipegen_ref_branch=
  if [ -z "$pipegen_ref_tag" ]; then
    pipegen_ref_branch="${CI_COMMIT_REF_NAME:-}"
  fi
  pipegen_default_branch="${CI_DEFAULT_BRANCH:-}""#,
};

/// `cache:key:files` takes at most this many files; more are hashed by a cache-key job.
pub const MAX_KEY_FILES: usize = 2;

#[derive(Serialize)]
struct Pipeline<'p> {
    workflow: Workflow,
    stages: Vec<String>,
    variables: IndexMap<String, GlobalVariable>,
    default: Defaults,
    #[serde(flatten)]
    jobs: Jobs<'p>,
}

/// The pipeline's jobs: the hidden templates and cache-key jobs, then each build's and run's
/// job, built as it is written and dropped after, so a large plan's jobs are never all in
/// memory at once (their text is).
struct Jobs<'p> {
    plan: &'p Plan,
    first: IndexMap<String, Job>,
    begun: JobsBegun,
}

impl Serialize for Jobs<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let plan = self.plan;
        let begin = self.begun.restart();
        let first = self.first.iter().map(|(name, job)| (name.clone(), JobEntry::Ready(job)));
        let builds = plan.builds.iter().flat_map(|build| {
            let split = build.split();
            let template = split.then(|| {
                (names::split_template(&build.this.id), JobEntry::Built(Box::new(split_template(plan, build))))
            });
            let platforms = split.then_some(&build.platforms).into_iter().flatten().map(move |platform| {
                begin();
                let id = JobId::Platform { build: build.this.id.clone(), platform: *platform };
                (names::job(&id), JobEntry::Built(Box::new(platform_job(plan, build, *platform))))
            });
            let last = std::iter::once_with(move || {
                begin();
                let job = if split { merge_job(build) } else { build_job(plan, build) };
                (names::build(&build.this.id), JobEntry::Built(Box::new(job)))
            });
            template.into_iter().chain(platforms).chain(last)
        });
        let runs = plan.runs.iter().map(|run| {
            begin();
            (names::job(&run.id()), JobEntry::Built(Box::new(run_job(plan, run))))
        });
        let nothing =
            plan.is_empty().then(|| ("pipegen:nothing".to_string(), JobEntry::Built(Box::new(nothing_job(plan)))));
        serializer.collect_map(first.chain(builds).chain(runs).chain(nothing))
    }
}

/// A job of [`Jobs`]: one kept for the whole render, or one built to be written.
enum JobEntry<'a> {
    Ready(&'a Job),
    Built(Box<Job>),
}

impl Serialize for JobEntry<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            JobEntry::Ready(job) => job.serialize(serializer),
            JobEntry::Built(job) => job.serialize(serializer),
        }
    }
}

#[derive(Serialize)]
struct Workflow {
    name: String,
    auto_cancel: AutoCancel,
    rules: Vec<push::Rule>,
}

/// The variable `workflow:name` reads when the model has a refresh schedule.
const PIPELINE_NAME: &str = "PIPEGEN_PIPELINE_NAME";

/// The name of a scheduled refresh pipeline.
pub fn refresh_pipeline_name(plan: &Plan) -> String {
    format!("{}: upstream refresh", plan.name)
}

/// The workflow: named after the model, its rules from the push policy; with a refresh
/// schedule, scheduled pipelines (created in the project: YAML cannot create schedules) are
/// named `<name>: upstream refresh`.
fn workflow(plan: &Plan) -> Workflow {
    let auto_cancel = AutoCancel { on_new_commit: "interruptible" };
    if plan.refresh.is_none() || plan.is_empty() {
        return Workflow { name: plan.name.clone(), auto_cancel, rules: push::workflow_rules(&plan.policy.push, None) };
    }
    let names = (PIPELINE_NAME, refresh_pipeline_name(plan), plan.name.clone());
    Workflow {
        name: format!("${PIPELINE_NAME}"),
        auto_cancel,
        rules: push::workflow_rules(&plan.policy.push, Some(names)),
    }
}

#[derive(Serialize)]
struct AutoCancel {
    on_new_commit: &'static str,
}

#[derive(Serialize)]
struct Defaults {
    interruptible: bool,
}

#[derive(Serialize)]
struct GlobalVariable {
    value: String,
    description: String,
}

/// A job variable: plain, or kept as written when it holds a `$` (GitLab expands `variables:`).
#[derive(Serialize)]
#[serde(untagged)]
enum Variable {
    Plain(String),
    Raw { value: String, expand: bool },
}

impl Variable {
    fn data(value: &str) -> Variable {
        if value.contains('$') {
            Variable::Raw { value: value.to_string(), expand: false }
        } else {
            Variable::Plain(value.to_string())
        }
    }
}

#[derive(Serialize, Default)]
struct Job {
    #[serde(skip_serializing_if = "Option::is_none")]
    extends: Option<Cow<'static, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<Image>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    services: Vec<Service>,
    #[serde(skip_serializing_if = "Option::is_none")]
    needs: Option<Vec<NeedEntry>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rules: Vec<push::Rule>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    variables: IndexMap<String, Variable>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cache: Vec<Cache>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parallel: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry: Option<Retry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timeout: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    before_script: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    script: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    artifacts: Option<Artifacts>,
}

/// A job's image: by name (pipegen's own helper images), or started without its entrypoint.
#[derive(Serialize)]
#[serde(untagged)]
enum Image {
    Named(String),
    /// `entrypoint: [""]`: GitLab's Docker executor otherwise starts the image with its
    /// `ENTRYPOINT`, where GitHub always overrides a job container's: a model's job runs alike
    /// on both, whatever its image.
    WithoutEntrypoint {
        name: String,
        entrypoint: [&'static str; 1],
    },
}

impl Image {
    fn without_entrypoint(name: String) -> Image {
        Image::WithoutEntrypoint { name, entrypoint: [""] }
    }
}

#[derive(Serialize)]
struct Service {
    name: String,
    alias: String,
    variables: IndexMap<String, String>,
}

/// A need: by name (GitLab then passes its artifacts, the tag), or without its artifacts.
#[derive(Serialize)]
#[serde(untagged)]
enum NeedEntry {
    WithArtifacts(String),
    Without { job: String, artifacts: bool },
}

#[derive(Serialize)]
struct Cache {
    key: CacheKey,
    paths: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fallback_keys: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum CacheKey {
    Plain(String),
    Files { files: Vec<String>, prefix: String },
}

#[derive(Serialize)]
struct Retry {
    max: u32,
    when: Vec<&'static str>,
}

#[derive(Serialize, Default)]
struct Artifacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    paths: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    when: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expire_in: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reports: Option<Reports>,
}

#[derive(Serialize)]
struct Reports {
    dotenv: &'static str,
}

/// Failures worth another try: flaky scripts, stuck or timed-out runs, runner trouble.
const RETRY_WHEN: &[&str] =
    &["script_failure", "job_execution_timeout", "stuck_or_timeout_failure", "runner_system_failure"];

/// The GitLab backend.
pub const BACKEND: crate::emit::Backend = crate::emit::Backend { name: "gitlab", render, limits: limits::check };

/// The GitLab pipeline of `plan`, without the header comment, written to `extent`.
pub fn render(plan: &Plan, extent: Extent) -> Rendering {
    let mut jobs = IndexMap::new();
    if !plan.is_empty() {
        jobs.insert(PUSH_TEMPLATE.to_string(), Job { rules: push::job_rules(&plan.policy.push), ..Job::default() });
    }
    if !plan.builds.is_empty() {
        let aliases = plan.builds.iter().any(|b| !b.aliases.is_empty());
        jobs.insert(BUILD_TEMPLATE.to_string(), build_template(plan, aliases));
    }
    if plan.runs.iter().any(|r| r.services.iter().any(|s| s.health.is_some())) {
        jobs.insert(WAIT_TEMPLATE.to_string(), wait_template(plan));
    }
    let key_caches = computed_key_caches(plan);
    if !key_caches.is_empty() {
        jobs.insert(CACHE_KEY_TEMPLATE.to_string(), cache_key_template());
    }
    for cache in &key_caches {
        jobs.insert(names::cache_key_job(&cache.name), cache_key_job(plan, cache));
    }
    let mut variables = IndexMap::new();
    variables.insert(
        "PIPEGEN_REGISTRY".to_string(),
        GlobalVariable {
            value: plan.registry.clone(),
            description:
                "Registry and path images are pushed to and pulled from; set it for a pipeline to push elsewhere."
                    .to_string(),
        },
    );
    if !plan.builds.is_empty() {
        variables.insert(
            "PIPEGEN_SCRATCH".to_string(),
            GlobalVariable {
                value: format!("${{CI_REGISTRY_IMAGE}}/{}", crate::plan::push::SCRATCH_PATH),
                description: format!(
                    "Where a pipeline that does not push (PIPEGEN_PUSH=false) keeps the images it builds, tagged {}<tag>; a cleanup policy removing tags that match ^{} expires them.",
                    crate::plan::push::SCRATCH_TAG_PREFIX,
                    crate::plan::push::SCRATCH_TAG_PREFIX
                ),
            },
        );
    }
    if !key_caches.is_empty() {
        variables.insert(
            CACHE_HELPER_VARIABLE.to_string(),
            GlobalVariable {
                value: plan.policy.cache_helper_image.to_string(),
                description: "Image of the small helper that computes cache keys and carries image caches (busybox); set it to a mirror.".to_string(),
            },
        );
    }
    let mut stages = plan.stages.clone();
    if plan.is_empty() && stages.is_empty() {
        stages.push("test".to_string());
    }
    let pipeline = Pipeline {
        workflow: workflow(plan),
        stages,
        variables,
        default: Defaults { interruptible: true },
        jobs: Jobs { plan, first: jobs, begun: JobsBegun::default() },
    };
    // GitLab limits the tree, which only grows as the text does: once past the limit, it
    // stays past it.
    let limit = (extent == Extent::UpToLimit)
        .then(|| SizeLimit::Tree(plan.raised.gitlab_config_bytes.unwrap_or(limits::MAX_CONFIG_BYTES)));
    let written = crate::yaml::to_string_limited(&pipeline, limit).expect("the GitLab pipeline serializes");
    if !written.complete {
        let stopped =
            Stopped { jobs_begun: pipeline.jobs.begun.get(), jobs: plan.job_count(), measured: written.tree_size };
        return Rendering { text: written.text, tree_size: Some(written.tree_size), stopped: Some(stopped) };
    }
    // Jobs repeat much (needs, rules, variables of a build's platform jobs): each repeated node
    // is written once. GitLab expands aliases before it measures the configuration's size, so
    // the tree is the same size.
    Rendering {
        text: crate::yaml::share_repeated_nodes(&written.text, crate::yaml::MIN_SHARED_BYTES),
        tree_size: Some(written.tree_size),
        stopped: None,
    }
}

/// GitLab refuses a pipeline without a visible job: a model with nothing to build or run gets
/// one that never runs, so no pipeline is created.
fn nothing_job(plan: &Plan) -> Job {
    Job {
        stage: plan.stages.first().cloned().or_else(|| Some("test".to_string())),
        needs: Some(Vec::new()),
        rules: vec![push::never()],
        script: vec![format!("echo {}", crate::shell::quote("pipegen: the model has no images and no jobs"))],
        ..Job::default()
    }
}

/// The hidden job every build extends; with `aliases`, it also points the job's alias tags at
/// the image once it exists (built or skipped).
fn build_template(plan: &Plan, aliases: bool) -> Job {
    let policy = &plan.policy;
    let mut variables = IndexMap::new();
    // Unprivileged containers cannot create namespaces for RUN steps; chroot isolation works.
    variables.insert("BUILDAH_ISOLATION".to_string(), Variable::Plain("chroot".to_string()));
    // The docker format keeps HEALTHCHECK and SHELL, which the OCI format drops.
    variables.insert("BUILDAH_FORMAT".to_string(), Variable::Plain("docker".to_string()));
    let mut before_script = vec![scripts::build_library(PLATFORM, policy, &scripts::Uses::of(plan, PLATFORM.builder))];
    let mut script = vec!["pipegen_build_job".to_string()];
    if aliases {
        before_script.push(scripts::alias_library(PLATFORM));
        script.push(r#"pipegen_aliases "$PIPEGEN_REGISTRY/$PIPEGEN_IMAGE:$pipegen_tag""#.to_string());
    }
    before_script.push("pipegen_tools".to_string());
    Job {
        extends: Some(Cow::Borrowed(PUSH_TEMPLATE)),
        image: Some(Image::Named(BUILDER_IMAGE.to_string())),
        variables,
        timeout: Some(policy.build_timeout.to_string()),
        before_script,
        script,
        artifacts: Some(Artifacts { reports: Some(Reports { dotenv: TAG_DOTENV }), ..Artifacts::default() }),
        ..Job::default()
    }
}

fn wait_template(plan: &Plan) -> Job {
    let library = scripts::wait_library(scripts::ProbeKinds::of(plan), scripts::CmdProbe::Job);
    Job {
        extends: Some(Cow::Borrowed(PUSH_TEMPLATE)),
        before_script: vec![library, "pipegen_wait_services".to_string()],
        ..Job::default()
    }
}

/// The image of the cache helper, which the build script reads too.
const CACHE_HELPER_VARIABLE: &str = "PIPEGEN_CACHE_HELPER_IMAGE";

fn cache_key_template() -> Job {
    let mut variables = IndexMap::new();
    variables.insert("PIPEGEN_KEY_REPORT".to_string(), Variable::Plain(CACHE_KEY_DOTENV.to_string()));
    Job {
        extends: Some(Cow::Borrowed(PUSH_TEMPLATE)),
        // The runner expands it (from the pipeline's variables, where its default is, or the
        // project's, which override that): a mirror set for the build script serves here too.
        image: Some(Image::Named(format!("${CACHE_HELPER_VARIABLE}"))),
        needs: Some(Vec::new()),
        variables,
        script: vec![scripts::embed(scripts::CACHE_KEY, &[])],
        artifacts: Some(Artifacts { reports: Some(Reports { dotenv: CACHE_KEY_DOTENV }), ..Artifacts::default() }),
        ..Job::default()
    }
}

/// Caches whose key has more files than `cache:key:files` takes, each once, in plan order.
fn computed_key_caches(plan: &Plan) -> Vec<&CacheUse> {
    let mut found: Vec<&CacheUse> = Vec::new();
    let uses = plan.builds.iter().flat_map(|b| &b.caches).chain(plan.runs.iter().flat_map(|r| &r.caches));
    for cache in uses {
        if cache.key_files.len() > MAX_KEY_FILES && !found.iter().any(|c| c.name == cache.name) {
            found.push(cache);
        }
    }
    found
}

fn cache_key_job(plan: &Plan, cache: &CacheUse) -> Job {
    let mut variables = IndexMap::new();
    variables.insert("PIPEGEN_KEY_FILES".to_string(), Variable::data(&lines(&cache.key_files)));
    variables.insert("PIPEGEN_KEY_VARIABLE".to_string(), Variable::Plain(names::cache_key_variable(&cache.name)));
    Job {
        extends: Some(Cow::Borrowed(CACHE_KEY_TEMPLATE)),
        stage: plan.stages.first().cloned(),
        variables,
        ..Job::default()
    }
}

/// Items one a line, as the scripts read lists.
fn lines(items: &[String]) -> String {
    items.join("\n")
}

fn needs(needs: &[Need], caches: &[CacheUse]) -> Vec<NeedEntry> {
    let mut entries: Vec<NeedEntry> = needs
        .iter()
        .map(|n| {
            let job = names::job(&n.job);
            if n.takes_tag { NeedEntry::WithArtifacts(job) } else { NeedEntry::Without { job, artifacts: false } }
        })
        .collect();
    let mut seen: Vec<&str> = Vec::new();
    for cache in caches.iter().filter(|c| c.key_files.len() > MAX_KEY_FILES) {
        if !seen.contains(&cache.name.as_str()) {
            seen.push(&cache.name);
            entries.push(NeedEntry::WithArtifacts(names::cache_key_job(&cache.name)));
        }
    }
    entries
}

/// The full reference of a build, as GitLab expands it in `image:` and `services:` from the
/// needed build's dotenv report: the build job alone knows where the image is (the registry,
/// or in a pipeline that does not push, possibly the scratch path).
pub fn reference(build: &BuildUse) -> String {
    format!("${{{}}}", crate::naming::ref_variable(&build.key))
}

fn image_reference(image: &ImageUse) -> String {
    match image {
        ImageUse::Model(build) => reference(build),
        ImageUse::External(reference) => reference.clone(),
    }
}

fn build_job(plan: &Plan, build: &Build) -> Job {
    let mut variables =
        data_variables(scripts::build_variables(build).into_iter().chain(scripts::alias_variables(build)));
    variables.extend(submodules_variable(plan.checks_out_submodules(build)));
    variables.extend(lfs_variable(plan.skips_lfs(build)));
    Job {
        extends: Some(Cow::Borrowed(BUILD_TEMPLATE)),
        stage: Some(build.stage.clone()),
        timeout: own_timeout(plan, build),
        tags: build.single_platform().map(|p| runner_tags(plan, p)).unwrap_or_default(),
        needs: Some(needs(&build.needs, &build.caches)),
        variables,
        cache: caches(&build.caches),
        ..Job::default()
    }
}

/// The runner tags of a platform's jobs: the model's, else none (any untagged runner), since
/// tags differ between GitLab instances and a tag no runner has leaves a job pending.
fn runner_tags(plan: &Plan, platform: ImagePlatform) -> Vec<String> {
    plan.runner(platform).map(|r| r.gitlab.iter().map(|t| t.0.clone()).collect()).unwrap_or_default()
}

/// The hidden job a split build's jobs extend: what its platform jobs and its merge job share
/// (the build's variables and stage), written once.
fn split_template(plan: &Plan, build: &Build) -> Job {
    let mut variables = data_variables(scripts::build_variables(build));
    variables.extend(submodules_variable(plan.checks_out_submodules(build)));
    variables.extend(lfs_variable(plan.skips_lfs(build)));
    Job {
        extends: Some(Cow::Borrowed(BUILD_TEMPLATE)),
        stage: Some(build.stage.clone()),
        timeout: own_timeout(plan, build),
        variables,
        ..Job::default()
    }
}

/// The variable that has the runner check a job's submodules out, recursively, when `wanted`
/// (a build that reads one, a job that asks): the runner's default is none, which leaves their
/// directories empty.
fn submodules_variable(wanted: bool) -> Option<(String, Variable)> {
    wanted.then(|| ("GIT_SUBMODULE_STRATEGY".to_string(), Variable::data("recursive")))
}

/// A build's `timeout` when it is not the one `.pipegen:build` sets for every build.
fn own_timeout(plan: &Plan, build: &Build) -> Option<String> {
    (build.timeout != plan.policy.build_timeout).then(|| build.timeout.to_string())
}

/// The variable that keeps the runner from fetching Git LFS files (`git lfs pull`, its default
/// in a repository that stores some) for a build that reads none of them.
fn lfs_variable(skipped: bool) -> Option<(String, Variable)> {
    skipped.then(|| ("GIT_LFS_SKIP_SMUDGE".to_string(), Variable::data("1")))
}

/// Variables whose values are data: never expanded by GitLab.
fn data_variables(variables: impl IntoIterator<Item = (String, String)>) -> IndexMap<String, Variable> {
    variables.into_iter().map(|(name, value)| (name, Variable::data(&value))).collect()
}

/// One platform of a split build, on that platform's runner: builds and pushes by digest, and
/// hands the digest to the merge job in its dotenv report (one variable).
fn platform_job(plan: &Plan, build: &Build, platform: ImagePlatform) -> Job {
    Job {
        extends: Some(Cow::Owned(names::split_template(&build.this.id))),
        tags: runner_tags(plan, platform),
        needs: Some(needs(&build.needs, build.caches_for(Some(platform)))),
        variables: data_variables(scripts::platform_only_variables(build, platform, PLATFORM.publish)),
        cache: caches(build.caches_for(Some(platform))),
        ..Job::default()
    }
}

/// The job of a split build that keeps the build's name: it merges its platforms' digests into
/// a manifest list under the tag, and publishes the tag. Jobs using the image need only it.
fn merge_job(build: &Build) -> Job {
    let mut entries = needs(&build.needs, &[]);
    entries.extend(build.platform_jobs().iter().map(|id| NeedEntry::WithArtifacts(names::job(id))));
    Job {
        extends: Some(Cow::Owned(names::split_template(&build.this.id))),
        needs: Some(entries),
        variables: data_variables(
            scripts::merge_only_variables(build).into_iter().chain(scripts::alias_variables(build)),
        ),
        ..Job::default()
    }
}

/// A job's model caches as GitLab caches: per model cache, the exact key (hash of the key
/// files, per stage and variant) falling back to the rolling key of the same stage, which every
/// run also pushes. The push-only rolling entries come after every exact one: GitLab does not
/// mind the order, and gitlab-ci-local (4.64) stops restoring a job's caches at the first
/// entry it does not pull, so a second cache listed after one would never be restored there.
fn caches(caches: &[CacheUse]) -> Vec<Cache> {
    let mut exact = Vec::new();
    let mut rolling = Vec::new();
    for cache in caches {
        let key = if cache.key_files.len() > MAX_KEY_FILES {
            CacheKey::Plain(format!("{}-${{{}}}", cache.prefix, names::cache_key_variable(&cache.name)))
        } else if cache.key_files.is_empty() {
            CacheKey::Plain(cache.prefix.clone())
        } else {
            CacheKey::Files { files: cache.key_files.clone(), prefix: cache.prefix.clone() }
        };
        let latest = format!("{}-latest", cache.prefix);
        exact.push(Cache { key, paths: cache.paths.clone(), fallback_keys: vec![latest.clone()], policy: None });
        if !cache.key_files.is_empty() {
            rolling.push(Cache {
                key: CacheKey::Plain(latest),
                paths: cache.paths.clone(),
                fallback_keys: Vec::new(),
                policy: Some("push"),
            });
        }
    }
    exact.extend(rolling);
    exact
}

fn run_job(plan: &Plan, run: &Run) -> Job {
    let services = run
        .services
        .iter()
        .map(|s| {
            // Service variables: GitLab expands `$`; `$$` keeps one.
            let mut variables: IndexMap<String, String> =
                s.env.iter().map(|(k, v)| (k.clone(), v.replace('$', "$$"))).collect();
            // The runner's own wait (30 s, then only a warning) watches this port; the job's
            // before_script does the real wait with the model's timeout.
            variables.insert("HEALTHCHECK_TCP_PORT".to_string(), s.port.to_string());
            Service { name: image_reference(&s.image), alias: s.alias.clone(), variables }
        })
        .collect();
    let artifacts = run.artifacts.as_ref().map(|a| Artifacts {
        paths: Some(a.paths.clone()),
        when: Some(match a.when {
            ArtifactsWhen::OnSuccess => "on_success",
            ArtifactsWhen::OnFailure => "on_failure",
            ArtifactsWhen::Always => "always",
        }),
        expire_in: Some(format!("{} days", plan.policy.artifact_retention_days)),
        reports: None,
    });
    let mut variables: IndexMap<String, Variable> =
        run.env.iter().map(|(k, v)| (k.clone(), Variable::data(v))).collect();
    variables.extend(submodules_variable(run.submodules));
    let waits: Vec<(String, String, String)> = run
        .services
        .iter()
        .filter_map(|s| {
            s.health.as_ref().map(|h| {
                let (key, value) = scripts::wait_variable(s, h, &plan.policy);
                (key, s.alias.clone(), value)
            })
        })
        .collect();
    if !waits.is_empty() {
        let list: Vec<String> = waits.iter().map(|(key, alias, _)| format!("{key}={alias}")).collect();
        variables.insert("PIPEGEN_WAITS".to_string(), Variable::Plain(list.join("\n")));
        for (key, _, value) in waits.iter() {
            variables.insert(format!("PIPEGEN_WAIT_{key}"), Variable::data(value));
        }
    }
    Job {
        extends: Some(Cow::Borrowed(if waits.is_empty() { PUSH_TEMPLATE } else { WAIT_TEMPLATE })),
        stage: Some(run.stage.clone()),
        image: run.image.as_ref().map(|i| Image::without_entrypoint(image_reference(i))),
        services,
        needs: Some(needs(&run.needs, &run.caches)),
        variables,
        cache: caches(&run.caches),
        parallel: run.shards,
        retry: (run.retry > 0).then(|| Retry { max: run.retry, when: RETRY_WHEN.to_vec() }),
        timeout: run.attempt_timeout().map(|t| t.to_string()),
        script: run.script.clone(),
        artifacts,
        ..Job::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Policy;
    use crate::yaml::Value;

    fn pipeline(text: &str) -> Value {
        let loaded = crate::model::load::load("t.yaml", text).unwrap_or_else(|e| panic!("{e}"));
        let plan = crate::plan::build(&loaded, "t.yaml").unwrap_or_else(|e| panic!("{e}"));
        crate::yaml::from_str(&render(&plan, Extent::Whole).text).expect("the pipeline is YAML")
    }

    /// The cache-key job's image is the helper image the build script uses, which users point at
    /// a mirror with `PIPEGEN_CACHE_HELPER_IMAGE`; unset, the pipeline's default holds.
    #[test]
    fn the_cache_key_job_runs_the_helper_image_users_can_change() {
        let p = pipeline(
            r#"
pipegen: 1
name: t
registry: registry.example.com/t
caches:
  deps: { key: [a.lock, b.lock, c.lock], paths: [deps] }
images:
  app: { caches: [deps] }
"#,
        );
        assert_eq!(p[CACHE_KEY_TEMPLATE]["image"].as_str(), Some("$PIPEGEN_CACHE_HELPER_IMAGE"));
        assert_eq!(
            p["variables"]["PIPEGEN_CACHE_HELPER_IMAGE"]["value"].as_str(),
            Some(Policy::default().cache_helper_image)
        );
    }

    /// A job's image, the model's or an external one, starts without its entrypoint, as GitHub
    /// starts a job container; services keep theirs.
    #[test]
    fn job_images_start_without_their_entrypoint() {
        let p = pipeline(
            r#"
pipegen: 1
name: t
registry: registry.example.com/t
images:
  app: {}
services:
  db: { image: "postgres:16.4", port: 5432 }
jobs:
  own: { image: app, services: [db], script: ["true"] }
  external: { image: "ruby:3.3", script: ["true"] }
"#,
        );
        for job in ["own", "external"] {
            assert_eq!(p[job]["image"]["entrypoint"].as_sequence().map(|e| e.len()), Some(1), "{job}");
            assert_eq!(p[job]["image"]["entrypoint"][0].as_str(), Some(""), "{job}");
        }
        assert_eq!(p["own"]["image"]["name"].as_str(), Some("${PIPEGEN_REF_APP}"));
        assert_eq!(p["external"]["image"]["name"].as_str(), Some("ruby:3.3"));
        assert!(p["own"]["services"][0]["entrypoint"].is_null(), "services keep their entrypoint");
    }
}
