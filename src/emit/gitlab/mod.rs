//! GitLab CI: a `.gitlab-ci.yml` from a plan, as typed structs serialized in a fixed order.
//!
//! Image builds run buildah (no privileged docker-in-docker); a `pipegen:tags` job in `.pre`
//! computes every tag from git and hands it on as a dotenv report; every job lists its `needs`,
//! so nothing waits for a stage to finish.

use indexmap::IndexMap;
use serde::Serialize;

mod scripts;
use crate::model::ArtifactsWhen;
use crate::plan::{Build, BuildRef, CacheUse, ImageUse, JobName, Plan, ScriptJob, TagRef, TagsJob};

/// The image that runs buildah builds. Fedora-based; skopeo is added when missing.
pub const BUILDER_IMAGE: &str = "quay.io/buildah/stable:v1.42.2";
/// The image that computes tags: git, sh and sha256sum.
pub const TAGS_IMAGE: &str = "alpine/git:v2.49.1";
/// The dotenv report of the tags job.
pub const TAGS_DOTENV: &str = "pipegen.env";
/// The hidden template every build extends.
pub const BUILD_TEMPLATE: &str = ".pipegen:build";

#[derive(Serialize)]
struct Pipeline {
    workflow: Workflow,
    stages: Vec<String>,
    variables: IndexMap<String, Variable>,
    default: Defaults,
    #[serde(flatten)]
    jobs: IndexMap<String, Job>,
}

#[derive(Serialize)]
struct Workflow {
    name: String,
    auto_cancel: AutoCancel,
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
struct Variable {
    value: String,
    description: String,
}

#[derive(Serialize, Default)]
struct Job {
    #[serde(skip_serializing_if = "Option::is_none")]
    extends: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<Image>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    services: Vec<Service>,
    #[serde(skip_serializing_if = "Option::is_none")]
    needs: Option<Vec<Need>>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    variables: IndexMap<String, String>,
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

#[derive(Serialize)]
#[serde(untagged)]
enum Image {
    Name(String),
    WithEntrypoint { name: String, entrypoint: Vec<String> },
}

#[derive(Serialize)]
struct Service {
    name: String,
    alias: String,
    variables: IndexMap<String, String>,
}

#[derive(Serialize)]
struct Need {
    job: String,
    artifacts: bool,
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

#[derive(Serialize)]
struct Artifacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    paths: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    when: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expire_in: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reports: Option<Reports>,
}

#[derive(Serialize)]
struct Reports {
    dotenv: String,
}

/// Failures worth another try: flaky scripts, stuck or timed-out runs, runner trouble.
const RETRY_WHEN: &[&str] =
    &["script_failure", "job_execution_timeout", "stuck_or_timeout_failure", "runner_system_failure"];

/// The GitLab pipeline of `plan`, without the header comment.
pub fn render(plan: &Plan) -> String {
    let mut jobs = IndexMap::new();
    if !plan.builds.is_empty() {
        jobs.insert(BUILD_TEMPLATE.to_string(), build_template());
    }
    if let Some(tags) = &plan.tags {
        jobs.insert(tags.name.gitlab.clone(), tags_job(tags));
    }
    for build in &plan.builds {
        jobs.insert(build.name.gitlab.clone(), build_job(build));
    }
    for job in &plan.jobs {
        jobs.insert(job.name.gitlab.clone(), script_job(plan, job));
    }
    let mut variables = IndexMap::new();
    variables.insert(
        "PIPEGEN_REGISTRY".to_string(),
        Variable {
            value: plan.registry.clone(),
            description:
                "Registry and path images are pushed to and pulled from; set it for a pipeline to push elsewhere."
                    .to_string(),
        },
    );
    let pipeline = Pipeline {
        workflow: Workflow { name: plan.name.clone(), auto_cancel: AutoCancel { on_new_commit: "interruptible" } },
        stages: plan.stages.clone(),
        variables,
        default: Defaults { interruptible: true },
        jobs,
    };
    crate::yaml::to_string(&pipeline).expect("the GitLab pipeline serializes")
}

fn build_template() -> Job {
    let mut variables = IndexMap::new();
    // Unprivileged containers cannot create namespaces for RUN steps; chroot isolation works.
    variables.insert("BUILDAH_ISOLATION".to_string(), "chroot".to_string());
    // The docker format keeps HEALTHCHECK and SHELL, which the OCI format drops.
    variables.insert("BUILDAH_FORMAT".to_string(), "docker".to_string());
    Job {
        image: Some(Image::Name(BUILDER_IMAGE.to_string())),
        variables,
        before_script: vec![scripts::builder_setup()],
        ..Job::default()
    }
}

fn tags_job(tags: &TagsJob) -> Job {
    Job {
        stage: Some(".pre".to_string()),
        image: Some(Image::WithEntrypoint { name: TAGS_IMAGE.to_string(), entrypoint: vec![String::new()] }),
        needs: Some(Vec::new()),
        script: vec![scripts::compute_tags(tags)],
        artifacts: Some(Artifacts {
            paths: None,
            when: None,
            expire_in: None,
            reports: Some(Reports { dotenv: TAGS_DOTENV.to_string() }),
        }),
        ..Job::default()
    }
}

fn needs(names: &[JobName], tags: Option<&JobName>) -> Vec<Need> {
    names.iter().map(|n| Need { job: n.gitlab.clone(), artifacts: Some(n) == tags }).collect()
}

/// The full reference of a build, as GitLab expands it in `image:`, `services:` and scripts.
pub fn reference(build: &BuildRef) -> String {
    let tag = match &build.tag {
        TagRef::Content { variable } => format!("${{{variable}}}"),
        TagRef::Commit { suffix: None } => "${CI_COMMIT_SHA}".to_string(),
        TagRef::Commit { suffix: Some(s) } => format!("${{CI_COMMIT_SHA}}-{s}"),
    };
    format!("${{PIPEGEN_REGISTRY}}/{}:{tag}", build.image)
}

fn image_reference(image: &ImageUse) -> String {
    match image {
        ImageUse::Model(build) => reference(build),
        ImageUse::External(reference) => reference.clone(),
    }
}

fn tags_name(needs: &[JobName]) -> Option<&JobName> {
    needs.iter().find(|n| n.gitlab == crate::plan::TAGS_JOB)
}

fn build_job(build: &Build) -> Job {
    let mut variables = IndexMap::new();
    for (axis, value) in build.this.variant.pairs() {
        variables.insert(axis.clone(), value.clone());
    }
    Job {
        extends: Some(BUILD_TEMPLATE.to_string()),
        stage: Some(build.stage.clone()),
        needs: Some(needs(&build.needs, tags_name(&build.needs))),
        variables,
        cache: caches(&build.caches),
        script: vec![scripts::build(build)],
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
        let key = match (&cache.computed_key, cache.key_files.is_empty()) {
            (Some(variable), _) => CacheKey::Plain(format!("{}-${{{variable}}}", cache.prefix)),
            (None, false) => CacheKey::Files { files: cache.key_files.clone(), prefix: cache.prefix.clone() },
            (None, true) => CacheKey::Plain(cache.prefix.clone()),
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

fn script_job(plan: &Plan, job: &ScriptJob) -> Job {
    let _ = plan;
    let services = job
        .services
        .iter()
        .map(|s| {
            let mut variables: IndexMap<String, String> = s.env.iter().cloned().collect();
            // The runner's own wait (30 s, then only a warning) watches this port; the job's
            // before_script does the real wait with the model's timeout.
            variables.insert("HEALTHCHECK_TCP_PORT".to_string(), s.port.to_string());
            Service { name: image_reference(&s.image), alias: s.alias.clone(), variables }
        })
        .collect();
    let artifacts = job.artifacts.as_ref().map(|a| Artifacts {
        paths: Some(a.paths.clone()),
        when: Some(match a.when {
            ArtifactsWhen::OnSuccess => "on_success",
            ArtifactsWhen::OnFailure => "on_failure",
            ArtifactsWhen::Always => "always",
        }),
        expire_in: Some("1 week"),
        reports: None,
    });
    Job {
        stage: Some(job.stage.clone()),
        image: job.image.as_ref().map(|i| Image::Name(image_reference(i))),
        services,
        needs: Some(needs(&job.needs, tags_name(&job.needs))),
        variables: job.env.iter().cloned().collect(),
        cache: caches(&job.caches),
        parallel: job.shards,
        retry: (job.retry > 0).then(|| Retry { max: job.retry, when: RETRY_WHEN.to_vec() }),
        timeout: job.timeout.map(|t| t.to_string()),
        before_script: scripts::wait_for_services(&job.services),
        script: job.script.clone(),
        artifacts,
        ..Job::default()
    }
}
