//! GitHub Actions: one workflow from a plan, as typed structs serialized in a fixed order.
//!
//! A tags job computes every tag from git (the same script as GitLab, so both platforms agree
//! on content tags) and asks the registry which content-tagged images exist; a build job per
//! image variant is skipped by its `if:` when its image exists, and builds and pushes it with
//! docker buildx otherwise. Script jobs run in their image (`container:`) beside health-checked
//! `services:`. Every job `needs` exactly what the plan says, so nothing waits for a stage.
//!
//! References are assembled where they are used, from the registry expression and the tag the
//! tags job outputs (`tag_<key>`), never passed as job outputs: GitHub drops a job output that
//! contains a secret's value, and a registry path often contains the registry user's name.

use indexmap::IndexMap;
use serde::Serialize;

mod actions;
mod scripts;
mod waivers;

use crate::model::ArtifactsWhen;
use crate::plan::{Build, BuildRef, CacheUse, ImageUse, JobName, Plan, Probe, ScriptJob, TagRef, TagsJob};
use actions::*;
use waivers::{Waiver, write_waivers};

/// The runner of every job.
pub const RUNS_ON: &str = "ubuntu-latest";
/// The shell of steps that run on the runner itself: bash with `-eo pipefail`. Steps in a job's
/// container keep GitHub's default (bash if the image has it, else sh).
const HOST_SHELL: &str = "bash";
/// The tags job: a checkout, a hash per build and a registry lookup per content tag.
const TAGS_MINUTES: u64 = 15;
/// An image build, and a script attempt without a model timeout (GitLab's default job timeout).
const DEFAULT_MINUTES: u64 = 60;
/// Checkout, caches, artifacts and pulling images around a script job's attempts.
const SETUP_MINUTES: u64 = 10;
/// How long artifacts are kept, as GitLab's `expire_in: 1 week`.
const ARTIFACT_RETENTION_DAYS: u64 = 7;

#[derive(Serialize)]
struct Workflow {
    name: String,
    on: Triggers,
    concurrency: Concurrency,
    permissions: IndexMap<&'static str, &'static str>,
    env: IndexMap<String, String>,
    jobs: IndexMap<String, Job>,
}

#[derive(Serialize)]
struct Triggers {
    push: Empty,
    pull_request: Empty,
    workflow_dispatch: Dispatch,
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct Dispatch {
    inputs: IndexMap<&'static str, Input>,
}

#[derive(Serialize)]
struct Input {
    description: String,
    required: bool,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct Concurrency {
    group: &'static str,
    #[serde(rename = "__pipegen_waiver__")]
    waiver: Waiver,
    #[serde(rename = "cancel-in-progress")]
    cancel_in_progress: &'static str,
}

#[derive(Serialize)]
struct Job {
    name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    needs: Vec<String>,
    #[serde(rename = "if", skip_serializing_if = "Option::is_none")]
    condition: Option<String>,
    #[serde(rename = "runs-on")]
    runs_on: &'static str,
    #[serde(rename = "timeout-minutes")]
    timeout_minutes: u64,
    permissions: IndexMap<&'static str, &'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    strategy: Option<Strategy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    container: Option<Container>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    services: IndexMap<String, Service>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    outputs: IndexMap<String, String>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    env: IndexMap<String, String>,
    steps: Vec<Step>,
}

#[derive(Serialize)]
struct Strategy {
    #[serde(rename = "fail-fast")]
    fail_fast: bool,
    matrix: Matrix,
}

#[derive(Serialize)]
struct Matrix {
    shard: Vec<u32>,
}

#[derive(Serialize)]
struct Container {
    #[serde(rename = "__pipegen_waiver__", skip_serializing_if = "Option::is_none")]
    waiver: Option<Waiver>,
    image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    credentials: Option<Credentials>,
}

#[derive(Serialize)]
struct Credentials {
    username: String,
    password: String,
}

#[derive(Serialize)]
struct Service {
    #[serde(rename = "__pipegen_waiver__", skip_serializing_if = "Option::is_none")]
    waiver: Option<Waiver>,
    image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    credentials: Option<Credentials>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    env: IndexMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ports: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    options: Option<String>,
}

#[derive(Serialize, Default)]
struct Step {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(rename = "if", skip_serializing_if = "Option::is_none")]
    condition: Option<String>,
    #[serde(rename = "__pipegen_waiver__", skip_serializing_if = "Option::is_none")]
    waiver: Option<Waiver>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uses: Option<String>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    with: IndexMap<&'static str, With>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    env: IndexMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shell: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    run: Option<String>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum With {
    Text(String),
    Flag(bool),
    Number(u64),
}

/// The GitHub workflow of `plan`, without the header comment.
pub fn render(plan: &Plan) -> String {
    let tags_id = plan.tags.as_ref().map(|t| t.name.github.clone());
    let mut jobs = IndexMap::new();
    if let Some(tags) = &plan.tags {
        jobs.insert(tags.name.github.clone(), tags_job(tags));
    }
    for build in &plan.builds {
        let tags_id = tags_id.as_deref().expect("a plan with builds has a tags job");
        jobs.insert(build.name.github.clone(), build_job(plan, build, tags_id));
    }
    for job in &plan.jobs {
        jobs.insert(job.name.github.clone(), script_job(plan, job, tags_id.as_deref()));
    }
    let mut inputs = IndexMap::new();
    inputs.insert(
        "registry",
        Input {
            description: format!(
                "Registry and path to push images to and pull them from in this run (default: the repository variable PIPEGEN_REGISTRY, else {})",
                plan.registry
            ),
            required: false,
            kind: "string",
        },
    );
    let mut env = IndexMap::new();
    env.insert("PIPEGEN_REGISTRY".to_string(), format!("${{{{ {} }}}}", registry_expression(plan)));
    let workflow = Workflow {
        name: plan.name.clone(),
        on: Triggers { push: Empty {}, pull_request: Empty {}, workflow_dispatch: Dispatch { inputs } },
        concurrency: Concurrency {
            group: "${{ github.workflow }}-${{ github.ref }}",
            waiver: Waiver::CancelSupersededRuns,
            cancel_in_progress: "${{ github.ref != format('refs/heads/{0}', github.event.repository.default_branch) }}",
        },
        permissions: IndexMap::new(),
        env,
        jobs,
    };
    let text = crate::yaml::to_string(&workflow).expect("the GitHub workflow serializes");
    write_waivers(&annotate_pins(&text))
}

/// Put each pinned action's version in a comment after its SHA. serde cannot write comments;
/// the `uses:` lines are exactly the ones this module serialized.
fn annotate_pins(text: &str) -> String {
    let mut out = text.to_string();
    for action in ACTIONS {
        out = out
            .replace(&format!("uses: {}\n", action.uses()), &format!("uses: {} # {}\n", action.uses(), action.version));
    }
    out
}

/// The run's registry: the `registry` input of a manual run, else the repository variable
/// `PIPEGEN_REGISTRY`, else the model's. Evaluated wherever it is needed (container and
/// service images cannot read `env`), always to the same value within a run.
fn registry_expression(plan: &Plan) -> String {
    format!("inputs.registry || vars.PIPEGEN_REGISTRY || {}", string_literal(&plan.registry))
}

/// A string literal of GitHub's expression language.
fn string_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `text` where GitHub evaluates expressions (`with:`, `env:`), kept literal.
fn literal(text: &str) -> String {
    text.replace("${{", "${{ '${{' }}")
}

/// The full reference of a build, as an expression: registry, image, and the tag from the
/// tags job.
fn reference(plan: &Plan, tags_id: &str, build: &BuildRef) -> String {
    format!(
        "${{{{ format('{{0}}/{}:{{1}}', {}, needs.{tags_id}.outputs.tag_{}) }}}}",
        build.image.replace('\'', "''"),
        registry_expression(plan),
        build.key
    )
}

fn image_reference(plan: &Plan, tags_id: Option<&str>, image: &ImageUse) -> String {
    match image {
        ImageUse::Model(build) => {
            reference(plan, tags_id.expect("a job using a model image needs the tags job"), build)
        }
        ImageUse::External(reference) => literal(reference),
    }
}

fn permissions(pairs: &[(&'static str, &'static str)]) -> IndexMap<&'static str, &'static str> {
    pairs.iter().copied().collect()
}

fn checkout() -> Step {
    let mut with = IndexMap::new();
    with.insert("persist-credentials", With::Flag(false));
    Step { name: "Check out".to_string(), uses: Some(CHECKOUT.uses()), with, ..Step::default() }
}

/// `docker/login-action` for the registry, with the credentials chosen by the registry step
/// of the tags job (`mode` is the expression of its `login` output).
fn login(host: &str, mode: &str) -> Step {
    let mut with = IndexMap::new();
    with.insert("registry", With::Text(format!("${{{{ {host} }}}}")));
    with.insert(
        "username",
        With::Text(format!("${{{{ {mode} == 'secrets' && secrets.PIPEGEN_REGISTRY_USER || github.actor }}}}")),
    );
    with.insert(
        "password",
        With::Text(format!(
            "${{{{ {mode} == 'secrets' && secrets.PIPEGEN_REGISTRY_PASSWORD || secrets.GITHUB_TOKEN }}}}"
        )),
    );
    Step {
        name: "Log in to the registry".to_string(),
        condition: Some(format!("{mode} != 'none'")),
        uses: Some(LOGIN.uses()),
        with,
        ..Step::default()
    }
}

/// Credentials for pulling a model image into `container:` or `services:`, where no step can
/// run first. Both must be non-empty whatever the login mode: GitHub's workflow schema types them
/// `non-empty-string`, so an expression that evaluates to '' fails the job ("Unexpected value
/// ''"), and act refuses it too ("failed to interpolate container.credentials.username"). In
/// the `none` mode the runner therefore logs in with the actor and a placeholder password, which
/// a registry without logins accepts; the job token goes to ghcr.io only.
fn pull_credentials(tags_id: &str) -> Credentials {
    let mode = format!("needs.{tags_id}.outputs.login");
    Credentials {
        username: format!("${{{{ {mode} == 'secrets' && secrets.PIPEGEN_REGISTRY_USER || github.actor }}}}"),
        password: format!(
            "${{{{ {mode} == 'secrets' && secrets.PIPEGEN_REGISTRY_PASSWORD || {mode} == 'github' && secrets.GITHUB_TOKEN || '{ANONYMOUS_PASSWORD}' }}}}"
        ),
    }
}

/// The password of the `none` login mode: any non-empty text; a registry without logins ignores it.
const ANONYMOUS_PASSWORD: &str = "anonymous";

fn tags_job(tags: &TagsJob) -> Job {
    let has_builds = !tags.tags.is_empty();
    let mut outputs = IndexMap::new();
    let mut steps = vec![checkout()];
    if has_builds {
        outputs.insert("host".to_string(), "${{ steps.registry.outputs.host }}".to_string());
        outputs.insert("login".to_string(), "${{ steps.registry.outputs.login }}".to_string());
        let mut env = IndexMap::new();
        env.insert("PIPEGEN_HAS_CREDENTIALS".to_string(), "${{ secrets.PIPEGEN_REGISTRY_PASSWORD != '' }}".to_string());
        steps.push(Step {
            name: "Choose registry credentials".to_string(),
            id: Some("registry".to_string()),
            env,
            shell: Some(HOST_SHELL),
            run: Some(scripts::registry_setup()),
            ..Step::default()
        });
        steps.push(login("steps.registry.outputs.host", "steps.registry.outputs.login"));
    }
    for tag in &tags.tags {
        outputs.insert(format!("tag_{}", tag.key), format!("${{{{ steps.tags.outputs.tag_{} }}}}", tag.key));
        if matches!(tag.kind, crate::plan::TagKind::Content(_)) {
            outputs.insert(format!("exists_{}", tag.key), format!("${{{{ steps.tags.outputs.exists_{} }}}}", tag.key));
        }
    }
    steps.push(Step {
        name: "Compute tags".to_string(),
        id: Some("tags".to_string()),
        shell: Some(HOST_SHELL),
        run: Some(scripts::compute_tags(tags)),
        ..Step::default()
    });
    Job {
        name: tags.name.gitlab.clone(),
        needs: Vec::new(),
        condition: None,
        runs_on: RUNS_ON,
        timeout_minutes: TAGS_MINUTES,
        permissions: if has_builds {
            permissions(&[("contents", "read"), ("packages", "read")])
        } else {
            permissions(&[("contents", "read")])
        },
        strategy: None,
        container: None,
        services: IndexMap::new(),
        outputs,
        env: IndexMap::new(),
        steps,
    }
}

fn needs(names: &[JobName]) -> Vec<String> {
    names.iter().map(|n| n.github.clone()).collect()
}

/// Run even when a needed build was skipped because its image exists (GitHub skips the
/// dependents of a skipped job unless their `if:` says otherwise), but not after a failure or
/// a cancellation.
const AFTER_NEEDS: &str = "!cancelled() && !failure()";

fn build_job(plan: &Plan, build: &Build, tags_id: &str) -> Job {
    let condition = match &build.this.tag {
        TagRef::Content { .. } => {
            format!("${{{{ {AFTER_NEEDS} && needs.{tags_id}.outputs.exists_{} != 'true' }}}}", build.this.key)
        }
        TagRef::Commit { .. } => format!("${{{{ {AFTER_NEEDS} }}}}"),
    };
    let mut steps = vec![
        checkout(),
        Step { name: "Set up Docker Buildx".to_string(), uses: Some(SETUP_BUILDX.uses()), ..Step::default() },
        login(&format!("needs.{tags_id}.outputs.host"), &format!("needs.{tags_id}.outputs.login")),
    ];
    for cache in &build.caches {
        steps.push(Step { id: Some(cache_step_id(cache)), waiver: Some(Waiver::BuildCache), ..cache_step(cache) });
        steps.push(Step {
            name: format!("Load cache {} into BuildKit", cache.name),
            shell: Some(HOST_SHELL),
            run: Some(scripts::cache_inject(cache)),
            ..Step::default()
        });
    }

    let mut build_args: Vec<String> = build.args.iter().map(|(k, v)| literal(&format!("{k}={v}"))).collect();
    build_args.extend(build.parents.iter().map(|(arg, parent)| format!("{arg}={}", reference(plan, tags_id, parent))));
    // The per-image layer cache lives in the registry beside the image (as on GitLab), one tag
    // per variant; a run without push rights (a fork's pull request) only reads it.
    let cache_ref = format!(
        "type=registry,ref=${{{{ format('{{0}}/{}/cache:{}', {}) }}}}",
        build.this.image,
        build.this.key,
        registry_expression(plan)
    );
    let mut with = IndexMap::new();
    with.insert("context", With::Text(literal(&build.context)));
    with.insert("file", With::Text(literal(&build.dockerfile)));
    if let Some(target) = &build.target {
        with.insert("target", With::Text(literal(target)));
    }
    if !build_args.is_empty() {
        with.insert("build-args", With::Text(lines(&build_args)));
    }
    with.insert("tags", With::Text(reference(plan, tags_id, &build.this)));
    with.insert("push", With::Flag(true));
    with.insert("cache-from", With::Text(cache_ref.clone()));
    with.insert("cache-to", With::Text(format!("{cache_ref},mode=max,ignore-error=true")));
    let what = crate::naming::label(&build.this.image, &build.this.variant);
    steps.push(Step { name: format!("Build and push {what}"), uses: Some(BUILD_PUSH.uses()), with, ..Step::default() });
    for cache in &build.caches {
        steps.push(Step {
            name: format!("Save cache {} from BuildKit", cache.name),
            // actions/cache saves nothing after an exact hit, so there is nothing to export.
            condition: Some(format!("steps.{}.outputs.cache-hit != 'true'", cache_step_id(cache))),
            shell: Some(HOST_SHELL),
            run: Some(scripts::cache_extract(cache)),
            ..Step::default()
        });
    }
    Job {
        name: build.name.gitlab.clone(),
        needs: needs(&build.needs),
        condition: Some(condition),
        runs_on: RUNS_ON,
        timeout_minutes: DEFAULT_MINUTES,
        permissions: permissions(&[("contents", "read"), ("packages", "write")]),
        strategy: None,
        container: None,
        services: IndexMap::new(),
        outputs: IndexMap::new(),
        env: IndexMap::new(),
        steps,
    }
}

fn lines(items: &[String]) -> String {
    let mut text = items.join("\n");
    text.push('\n');
    text
}

/// A model cache as `actions/cache`: the exact key hashes the key files, per stage and variant;
/// GitHub's prefix match on `restore-keys` falls back to the newest cache of the same stage.
/// Without key files every run saves a new cache and restores the newest.
fn cache_step(cache: &CacheUse) -> Step {
    let prefix = literal(&cache.prefix);
    let key = if cache.key_files.is_empty() {
        format!("{prefix}-${{{{ github.run_id }}}}")
    } else {
        let files: Vec<String> = cache.key_files.iter().map(|f| string_literal(f)).collect();
        format!("{prefix}-${{{{ hashFiles({}) }}}}", files.join(", "))
    };
    let paths: Vec<String> = cache.paths.iter().map(|p| literal(p)).collect();
    let mut with = IndexMap::new();
    with.insert("path", With::Text(if paths.len() == 1 { paths[0].clone() } else { lines(&paths) }));
    with.insert("key", With::Text(key));
    with.insert("restore-keys", With::Text(format!("{prefix}-")));
    Step { name: format!("Cache {}", cache.name), uses: Some(CACHE.uses()), with, ..Step::default() }
}

/// zizmor cannot see through the expression that names a model image (the registry is chosen
/// at run time), so it reports it as possibly unpinned. An external image is written as the
/// model pins it: by digest (nothing to say), or by a tag, which the model is free to choose;
/// `latest` is left to the linters.
fn image_waiver(image: &ImageUse) -> Option<Waiver> {
    match image {
        ImageUse::Model(_) => Some(Waiver::OwnImage),
        ImageUse::External(reference) => {
            let name = reference.rsplit('/').next().unwrap_or(reference);
            let pinned_by_tag =
                !reference.contains('@') && name.split_once(':').is_some_and(|(_, tag)| tag != "latest");
            pinned_by_tag.then_some(Waiver::ModelTagPin)
        }
    }
}

/// The id of the step that restores `cache` in an image build.
fn cache_step_id(cache: &CacheUse) -> String {
    format!("cache_{}", cache.name)
}

fn uses_model_image(job: &ScriptJob) -> bool {
    job.image.iter().chain(job.services.iter().map(|s| &s.image)).any(|i| matches!(i, ImageUse::Model(_)))
}

fn script_job(plan: &Plan, job: &ScriptJob, tags_id: Option<&str>) -> Job {
    let credentials = |image: &ImageUse| match image {
        ImageUse::Model(_) => Some(pull_credentials(tags_id.expect("a job using a model image needs the tags job"))),
        ImageUse::External(_) => None,
    };
    let container = job.image.as_ref().map(|image| Container {
        waiver: image_waiver(image),
        image: image_reference(plan, tags_id, image),
        credentials: credentials(image),
    });
    let mut services = IndexMap::new();
    for service in &job.services {
        let mut env: IndexMap<String, String> = service.env.iter().map(|(k, v)| (k.clone(), literal(v))).collect();
        if service.health.as_ref().is_some_and(|h| matches!(h.probe, Probe::Cmd(_))) {
            // The check runs inside the service container, where the service is localhost.
            env.insert("PIPEGEN_SERVICE_HOST".to_string(), "localhost".to_string());
            env.insert("PIPEGEN_SERVICE_PORT".to_string(), service.port.to_string());
        }
        services.insert(
            service.alias.clone(),
            Service {
                waiver: image_waiver(&service.image),
                image: image_reference(plan, tags_id, &service.image),
                credentials: credentials(&service.image),
                env,
                // A job on the runner itself reaches services through published ports.
                ports: if container.is_none() { vec![format!("{0}:{0}", service.port)] } else { Vec::new() },
                options: service.health.as_ref().map(|h| literal(&scripts::health_options(service, h))),
            },
        );
    }

    let mut env: IndexMap<String, String> = job.env.iter().map(|(k, v)| (k.clone(), literal(v))).collect();
    if let Some(shards) = job.shards {
        env.insert("CI_NODE_INDEX".to_string(), "${{ matrix.shard }}".to_string());
        env.insert("CI_NODE_TOTAL".to_string(), shards.to_string());
    }

    let mut steps = vec![checkout()];
    if container.is_none() && !job.services.is_empty() {
        steps.push(Step {
            name: "Resolve service aliases".to_string(),
            shell: Some(HOST_SHELL),
            run: Some(scripts::resolve_aliases(&job.services)),
            ..Step::default()
        });
    }
    steps.extend(job.caches.iter().map(cache_step));
    let mut script_env = IndexMap::new();
    script_env.insert("PIPEGEN_SCRIPT".to_string(), literal(&lines(&job.script)));
    steps.push(Step {
        name: if job.retry > 0 {
            format!("Run the script (up to {} attempts)", job.retry + 1)
        } else {
            "Run the script".to_string()
        },
        env: script_env,
        run: Some(scripts::run_script(job)),
        ..Step::default()
    });
    if let Some(artifacts) = &job.artifacts {
        let name = match job.shards {
            Some(_) => format!("{}-shard-${{{{ matrix.shard }}}}", job.name.github),
            None => job.name.github.clone(),
        };
        let paths: Vec<String> = artifacts.paths.iter().map(|p| literal(p)).collect();
        let mut with = IndexMap::new();
        with.insert("name", With::Text(name));
        with.insert("path", With::Text(lines(&paths)));
        with.insert("retention-days", With::Number(ARTIFACT_RETENTION_DAYS));
        steps.push(Step {
            name: "Upload artifacts".to_string(),
            condition: Some(
                match artifacts.when {
                    ArtifactsWhen::OnSuccess => "success()",
                    ArtifactsWhen::OnFailure => "failure()",
                    ArtifactsWhen::Always => "always()",
                }
                .to_string(),
            ),
            uses: Some(UPLOAD_ARTIFACT.uses()),
            with,
            ..Step::default()
        });
    }

    let per_attempt = job.timeout.map_or(DEFAULT_MINUTES, |t| t.as_minutes_ceil());
    let service_wait =
        job.services.iter().filter_map(|s| s.health.as_ref()).map(|h| h.timeout.as_minutes_ceil()).max().unwrap_or(0);
    Job {
        name: job.name.gitlab.clone(),
        needs: needs(&job.needs),
        condition: (!job.needs.is_empty()).then(|| format!("${{{{ {AFTER_NEEDS} }}}}")),
        runs_on: RUNS_ON,
        timeout_minutes: u64::from(job.retry + 1) * per_attempt + SETUP_MINUTES + service_wait,
        permissions: if uses_model_image(job) {
            permissions(&[("contents", "read"), ("packages", "read")])
        } else {
            permissions(&[("contents", "read")])
        },
        strategy: job.shards.map(|n| Strategy { fail_fast: false, matrix: Matrix { shard: (1..=n).collect() } }),
        container,
        services,
        outputs: IndexMap::new(),
        env,
        steps,
    }
}

#[cfg(test)]
mod tests;
