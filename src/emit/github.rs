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
//!
//! # Pinned actions
//!
//! Every action is pinned by its full commit SHA, with the version in a comment. Each SHA was
//! accepted only because at least two independent public repositories pin that SHA to that
//! version (as stored in the code index, looked up in this session):
//!
//! | action | version | SHA | pinned so by |
//! |---|---|---|---|
//! | actions/checkout | v5.0.0 | 08c6903cd8c0fde910a37f88322edcfb5dd907a8 | argoproj/argo-cd `.github/workflows/image-reuse.yaml`; external-secrets/external-secrets `.github/workflows/ci.yml`; fluxcd/gha-workflows `.github/workflows/controller-release.yaml` |
//! | actions/cache | v4.3.0 | 0057852bfaa89a56745cba8c7296529d2fc39830 | renovatebot/renovate `.github/workflows/build.yml`; external-secrets/external-secrets `.github/workflows/ci.yml`; prometheus/prometheus `.github/workflows/ci.yml` |
//! | actions/upload-artifact | v5.0.0 | 330a01c490aca151604b8cf639adc76d48f6c5d4 | renovatebot/renovate `.github/workflows/build.yml`; prometheus/promci `actions/save_artifacts/action.yml` |
//! | docker/setup-buildx-action | v3.11.1 | e468171a9de216ec08956ac3ada2f0791b6bd435 | argoproj/argo-cd `.github/workflows/image-reuse.yaml`; external-secrets/external-secrets `.github/workflows/publish.yml`; fluxcd/gha-workflows `.github/workflows/controller-release.yaml` |
//! | docker/login-action | v3.6.0 | 5e57cd118135c172c3672efd75eb46360885c0ef | argoproj/argo-cd `.github/workflows/image-reuse.yaml`; fluxcd/gha-workflows `.github/workflows/controller-release.yaml` (goauthentik/authentik pins it as `# v3`) |
//! | docker/build-push-action | v6.18.0 | 263435318d21b8e681c14492fe198d362a7d2c83 | argoproj/argo-cd `.github/workflows/image-reuse.yaml`; fluxcd/gha-workflows `.github/workflows/controller-release.yaml` (goauthentik/authentik pins it as `# v6`) |

use indexmap::IndexMap;
use serde::Serialize;

use super::github_scripts as scripts;
use crate::model::ArtifactsWhen;
use crate::plan::{Build, BuildRef, CacheUse, ImageUse, JobName, Plan, Probe, ScriptJob, TagRef, TagsJob};

/// An action pinned by commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    pub name: &'static str,
    pub sha: &'static str,
    pub version: &'static str,
}

impl Action {
    fn uses(self) -> String {
        format!("{}@{}", self.name, self.sha)
    }
}

pub const CHECKOUT: Action =
    Action { name: "actions/checkout", sha: "08c6903cd8c0fde910a37f88322edcfb5dd907a8", version: "v5.0.0" };
pub const CACHE: Action =
    Action { name: "actions/cache", sha: "0057852bfaa89a56745cba8c7296529d2fc39830", version: "v4.3.0" };
pub const UPLOAD_ARTIFACT: Action =
    Action { name: "actions/upload-artifact", sha: "330a01c490aca151604b8cf639adc76d48f6c5d4", version: "v5.0.0" };
pub const SETUP_BUILDX: Action =
    Action { name: "docker/setup-buildx-action", sha: "e468171a9de216ec08956ac3ada2f0791b6bd435", version: "v3.11.1" };
pub const LOGIN: Action =
    Action { name: "docker/login-action", sha: "5e57cd118135c172c3672efd75eb46360885c0ef", version: "v3.6.0" };
pub const BUILD_PUSH: Action =
    Action { name: "docker/build-push-action", sha: "263435318d21b8e681c14492fe198d362a7d2c83", version: "v6.18.0" };

/// Every action the workflow may use.
pub const ACTIONS: [Action; 6] = [CHECKOUT, CACHE, UPLOAD_ARTIFACT, SETUP_BUILDX, LOGIN, BUILD_PUSH];

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

/// A deliberate choice that a linter's heuristic reports, written into the workflow as comments:
/// why, and the ignore directives of jactionlint and zizmor. Serialized as a pseudo-key
/// (`__pipegen_waiver__`) right before the key it concerns, then turned into comment lines by
/// [`write_waivers`]; serde cannot write comments itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waiver {
    /// Why superseded runs are cancelled everywhere but on the default branch (a note only).
    CancelSupersededRuns,
    /// `actions/cache` restored in an image build (the BuildKit cache dance).
    BuildCache,
    /// A model image in `container:` or `services:`, named by an expression.
    OwnImage,
    /// An external image that the model pins by a tag (the contract allows `postgres:16.4`).
    ModelTagPin,
}

impl Serialize for Waiver {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl Waiver {
    const KEY: &'static str = "__pipegen_waiver__: ";
    const ALL: [Waiver; 4] = [Waiver::CancelSupersededRuns, Waiver::BuildCache, Waiver::OwnImage, Waiver::ModelTagPin];

    fn name(self) -> &'static str {
        match self {
            Waiver::CancelSupersededRuns => "cancel-superseded-runs",
            Waiver::BuildCache => "build-cache",
            Waiver::OwnImage => "own-image",
            Waiver::ModelTagPin => "model-tag-pin",
        }
    }

    /// The comment lines above the concerned key.
    fn comments(self) -> &'static [&'static str] {
        match self {
            Waiver::CancelSupersededRuns => &[
                "A newer run of the same ref cancels a superseded one, except on the default branch,",
                "where every run finishes so that the images it publishes are complete.",
            ],
            Waiver::BuildCache => &[
                "Image builds restore their caches by design; GitHub restores only caches saved by runs of",
                "this ref or of the default branch.",
                "jactionlint ignore=cache-poisoning",
                "zizmor: ignore[cache-poisoning]",
            ],
            Waiver::OwnImage => {
                &["An image of this workflow, named by its content or commit tag in the run's registry."]
            }
            Waiver::ModelTagPin => &[
                "The model pins this image by tag; pin it by digest there (name:tag@sha256:...) to make it immutable.",
                "jactionlint ignore=unpinned-images",
            ],
        }
    }

    /// A directive that must stand on the concerned line itself (zizmor reads no other).
    fn same_line(self) -> Option<&'static str> {
        match self {
            Waiver::OwnImage => Some("zizmor: ignore[unpinned-images]"),
            _ => None,
        }
    }

    fn from_name(text: &str) -> Option<Waiver> {
        Waiver::ALL.into_iter().find(|w| w.name() == text)
    }
}

/// Replace each waiver pseudo-key by its comment lines, at its indentation, and put its
/// same-line directive after the next line.
fn write_waivers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending: Option<&'static str> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(waiver) = trimmed.strip_prefix(Waiver::KEY).and_then(Waiver::from_name) {
            let indent = &line[..line.len() - trimmed.len()];
            for comment in waiver.comments() {
                out.push_str(&format!("{indent}# {comment}\n"));
            }
            pending = waiver.same_line();
            continue;
        }
        out.push_str(line);
        if let Some(directive) = pending.take() {
            out.push_str(&format!(" # {directive}"));
        }
        out.push('\n');
    }
    out
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
/// run first. Empty when the login mode is `none`: the runner then pulls anonymously.
fn pull_credentials(tags_id: &str) -> Credentials {
    let mode = format!("needs.{tags_id}.outputs.login");
    Credentials {
        username: format!(
            "${{{{ {mode} == 'secrets' && secrets.PIPEGEN_REGISTRY_USER || {mode} == 'github' && github.actor || '' }}}}"
        ),
        password: format!(
            "${{{{ {mode} == 'secrets' && secrets.PIPEGEN_REGISTRY_PASSWORD || {mode} == 'github' && secrets.GITHUB_TOKEN || '' }}}}"
        ),
    }
}

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
    let variant = build.this.variant.describe();
    let what = if variant.is_empty() { build.this.image.clone() } else { format!("{} [{variant}]", build.this.image) };
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
mod tests {
    use super::*;
    use crate::model::load;
    use crate::yaml::Value;

    /// A GDK-like model: a base varying over `ruby`, children per variant, a commit-tagged
    /// final image, a sharded, retried job with services, caches and artifacts.
    const GDK: &str = r#"
pipegen: 1
name: gdk
registry: ghcr.io/example/gdk
axes:
  ruby: ["3.2", "3.3"]
stages: [base, components, image, test]
caches:
  gems: { key: [Gemfile.lock], paths: [vendor/ruby] }
  go: { key: [go.sum], paths: [.go/pkg/mod] }
  node: { key: [package.json, yarn.lock, go.sum], paths: [node_modules] }
images:
  base: { stage: base, context: images/base, args: { RUBY_VERSION: "${ruby}" }, axes: [ruby] }
  gitaly: { stage: components, from: base, context: gitaly, caches: [go] }
  gdk: { stage: image, from: [base, gitaly], target: runtime, tag: commit }
services:
  gdk: { image: gdk, port: 3000, health: { http: /-/readiness, timeout: 5m, interval: 5s } }
  postgres:
    image: postgres:16.4
    port: 5432
    health: { cmd: "pg_isready -h \"$PIPEGEN_SERVICE_HOST\" -U postgres", timeout: 60s }
  redis: { image: redis:7.4, port: 6379, health: { tcp: true, timeout: 30s, interval: 2s } }
jobs:
  qa:
    stage: test
    image: gdk
    services: [gdk, postgres, redis]
    caches: [gems, node]
    parallel: 4
    script: [bundle exec rspec]
    retry: 2
    timeout: 30m
    artifacts: { paths: [qa/tmp/], when: on_failure }
    env: { LITERAL: "$${{ github.token }}" }
  lint:
    image: ruby:3.3
    script: [rubocop]
"#;

    /// Kolla: `infra` has no axes and is shared; `svc` varies by install type; `api` by distro too.
    const KOLLA: &str = r#"
pipegen: 1
name: kolla
registry: registry.example.com/kolla
axes:
  install_type: [binary, source]
  distro: [debian, rocky]
stages: [infra, svc, api, test]
images:
  infra: { stage: infra, context: infra }
  svc: { stage: svc, from: infra, context: svc, axes: [install_type] }
  api: { stage: api, from: [svc, infra], context: api, axes: [distro] }
services:
  db: { image: mariadb:11.4, port: 3306, health: { tcp: true } }
jobs:
  functional: { stage: test, services: [db], script: [./run.sh], artifacts: { paths: [out/], when: always } }
"#;

    fn plan(text: &str) -> Plan {
        let loaded = load::load("t.yaml", text).unwrap_or_else(|e| panic!("{e}"));
        crate::plan::build(&loaded, "t.yaml").unwrap_or_else(|e| panic!("{e}"))
    }

    fn workflow(text: &str) -> Value {
        crate::yaml::from_str(&render(&plan(text))).expect("the workflow is YAML")
    }

    fn jobs(workflow: &Value) -> Vec<(String, &Value)> {
        workflow["jobs"]
            .as_mapping()
            .expect("jobs")
            .iter()
            .map(|(k, v)| (k.as_str().expect("job id").to_string(), v))
            .collect()
    }

    fn strings(value: &Value) -> Vec<String> {
        value
            .as_sequence()
            .map(|s| s.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    }

    fn steps(job: &Value) -> &Vec<Value> {
        job["steps"].as_sequence().expect("steps")
    }

    #[test]
    fn each_variant_build_needs_only_its_own_parent_variant() {
        let w = workflow(GDK);
        assert_eq!(strings(&w["jobs"]["build_gitaly_3-2"]["needs"]), ["pipegen_tags", "build_base_3-2"]);
        assert_eq!(strings(&w["jobs"]["build_gitaly_3-3"]["needs"]), ["pipegen_tags", "build_base_3-3"]);
        assert_eq!(
            strings(&w["jobs"]["build_gdk_3-3"]["needs"]),
            ["pipegen_tags", "build_base_3-3", "build_gitaly_3-3"]
        );
        assert_eq!(strings(&w["jobs"]["qa_3-2"]["needs"]), ["pipegen_tags", "build_gdk_3-2"]);
        // The parent's reference in the build args is the same variant's.
        let args = w["jobs"]["build_gitaly_3-3"]["steps"]
            .as_sequence()
            .unwrap()
            .iter()
            .find_map(|s| s["with"]["build-args"].as_str())
            .expect("build args");
        assert!(
            args.contains("BASE_IMAGE=${{ format('{0}/base:{1}'") && args.contains("outputs.tag_base__3_3)"),
            "{args}"
        );
        assert!(!args.contains("3_2"), "{args}");
    }

    #[test]
    fn an_axis_less_parent_is_built_once_and_shared() {
        let w = workflow(KOLLA);
        let ids: Vec<String> = jobs(&w).into_iter().map(|(id, _)| id).collect();
        assert_eq!(ids.iter().filter(|id| id.starts_with("build_infra")).count(), 1, "{ids:?}");
        assert_eq!(strings(&w["jobs"]["build_svc_binary"]["needs"]), ["pipegen_tags", "build_infra"]);
        assert_eq!(strings(&w["jobs"]["build_svc_source"]["needs"]), ["pipegen_tags", "build_infra"]);
        assert_eq!(
            strings(&w["jobs"]["build_api_source-rocky"]["needs"]),
            ["pipegen_tags", "build_svc_source", "build_infra"]
        );
    }

    #[test]
    fn children_of_a_skippable_build_tolerate_a_skipped_parent() {
        let w = workflow(GDK);
        for (id, job) in jobs(&w) {
            if job["needs"].is_null() {
                assert!(job["if"].is_null(), "{id} needs nothing and needs no condition");
                continue;
            }
            let condition = job["if"].as_str().unwrap_or_else(|| panic!("{id} has needs but no if"));
            assert!(
                condition.starts_with("${{ !cancelled() && !failure()"),
                "{id}: a skipped (already built) parent must not skip it: {condition}"
            );
        }
        let base = w["jobs"]["build_base_3-2"]["if"].as_str().unwrap();
        assert!(base.ends_with("&& needs.pipegen_tags.outputs.exists_base__3_2 != 'true' }}"), "{base}");
        // A commit-tagged image is built in every run.
        assert_eq!(w["jobs"]["build_gdk_3-2"]["if"].as_str(), Some("${{ !cancelled() && !failure() }}"));
    }

    #[test]
    fn only_build_jobs_may_write_packages() {
        for model in [GDK, KOLLA] {
            let w = workflow(model);
            assert_eq!(w["permissions"].as_mapping().map(|m| m.len()), Some(0), "top-level permissions: {{}}");
            for (id, job) in jobs(&w) {
                let packages = job["permissions"]["packages"].as_str();
                if id.starts_with("build_") {
                    assert_eq!(packages, Some("write"), "{id}");
                } else {
                    assert_ne!(packages, Some("write"), "{id}");
                }
                assert_eq!(job["permissions"]["contents"].as_str(), Some("read"), "{id}");
            }
        }
    }

    #[test]
    fn every_action_is_pinned_by_a_full_sha_with_its_version() {
        let text = render(&plan(GDK));
        let w: Value = crate::yaml::from_str(&text).unwrap();
        let mut seen = 0;
        for (id, job) in jobs(&w) {
            for step in steps(job) {
                if let Some(uses) = step["uses"].as_str() {
                    let (_, sha) = uses.split_once('@').unwrap_or_else(|| panic!("{id}: {uses}"));
                    assert!(sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit()), "{id}: {uses}");
                    let action = ACTIONS.iter().find(|a| a.uses() == uses).unwrap_or_else(|| panic!("unknown {uses}"));
                    assert!(text.contains(&format!("uses: {uses} # {}\n", action.version)));
                    seen += 1;
                }
            }
        }
        assert!(seen > 10);
        for action in ACTIONS {
            assert!(text.contains(&action.uses()), "the GDK-like model uses {}", action.name);
        }
    }

    #[test]
    fn no_expression_is_pasted_into_a_script() {
        for model in [GDK, KOLLA] {
            let w = workflow(model);
            for (id, job) in jobs(&w) {
                for step in steps(job) {
                    if let Some(run) = step["run"].as_str() {
                        assert!(!run.contains("${{"), "{id}: {run}");
                    }
                }
            }
        }
    }

    #[test]
    fn every_job_has_a_timeout_and_retries_fit_in_it() {
        for model in [GDK, KOLLA] {
            let w = workflow(model);
            for (id, job) in jobs(&w) {
                assert!(job["timeout-minutes"].as_u64().is_some_and(|m| m > 0), "{id}");
            }
        }
        let w = workflow(GDK);
        // 3 attempts of 30 minutes, 10 minutes around them, the longest service wait (5m).
        assert_eq!(w["jobs"]["qa_3-2"]["timeout-minutes"].as_u64(), Some(3 * 30 + 10 + 5));
        let run = steps(&w["jobs"]["qa_3-2"]).iter().find_map(|s| s["run"].as_str()).unwrap();
        assert!(run.starts_with(
            "if command -v bash > /dev/null 2>&1; then set -- bash -eo pipefail -c; else set -- sh -e -c; fi\n"
        ));
        assert!(run.contains("timeout 1800 \"$@\" \"$PIPEGEN_SCRIPT\" || pipegen_status=$?"), "{run}");
        assert!(run.contains("if [ \"$pipegen_attempt\" -ge 3 ]; then"), "{run}");
    }

    #[test]
    fn checkouts_do_not_persist_credentials() {
        let w = workflow(GDK);
        let mut checkouts = 0;
        for (id, job) in jobs(&w) {
            for step in
                steps(job).iter().filter(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/checkout@")))
            {
                assert_eq!(step["with"]["persist-credentials"].as_bool(), Some(false), "{id}");
                checkouts += 1;
            }
        }
        assert_eq!(checkouts, jobs(&w).len());
    }

    #[test]
    fn shards_services_artifacts_and_env_map_to_github_keywords() {
        let w = workflow(GDK);
        let qa = &w["jobs"]["qa_3-3"];
        assert_eq!(qa["strategy"]["fail-fast"].as_bool(), Some(false));
        let shards: Vec<u64> =
            qa["strategy"]["matrix"]["shard"].as_sequence().unwrap().iter().filter_map(Value::as_u64).collect();
        assert_eq!(shards, [1, 2, 3, 4]);
        assert_eq!(qa["env"]["CI_NODE_INDEX"].as_str(), Some("${{ matrix.shard }}"));
        assert_eq!(qa["env"]["CI_NODE_TOTAL"].as_str(), Some("4"));
        assert_eq!(qa["env"]["ruby"].as_str(), Some("3.3"));
        assert_eq!(
            qa["env"]["LITERAL"].as_str(),
            Some("${{ '${{' }} github.token }}"),
            "a model's `${{{{` stays literal"
        );
        assert!(qa["container"]["image"].as_str().unwrap().ends_with("needs.pipegen_tags.outputs.tag_gdk__3_3) }}"));

        let services = &qa["services"];
        let http = services["gdk"]["options"].as_str().unwrap();
        assert!(http.starts_with("--health-cmd \"if command -v curl"), "{http}");
        assert!(http.contains("http://localhost:3000/-/readiness"), "{http}");
        assert!(
            http.ends_with("--health-interval 5s --health-timeout 5s --health-retries 1 --health-start-period 300s"),
            "{http}"
        );
        let cmd = services["postgres"]["options"].as_str().unwrap();
        assert!(cmd.starts_with(r#"--health-cmd "pg_isready -h \"$PIPEGEN_SERVICE_HOST\" -U postgres""#), "{cmd}");
        assert_eq!(services["postgres"]["env"]["PIPEGEN_SERVICE_HOST"].as_str(), Some("localhost"));
        assert_eq!(services["postgres"]["env"]["PIPEGEN_SERVICE_PORT"].as_str(), Some("5432"));
        let tcp = services["redis"]["options"].as_str().unwrap();
        assert!(tcp.contains("':18EB [0-9A-F]*:0000 0A' /proc/net/tcp"), "{tcp}");
        assert!(tcp.contains("--health-start-period 30s"), "{tcp}");
        // In a container job the services are reached by alias; nothing is published.
        assert!(services["gdk"]["ports"].is_null());

        let upload = steps(qa)
            .iter()
            .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/upload-artifact@")))
            .unwrap();
        assert_eq!(upload["if"].as_str(), Some("failure()"));
        assert_eq!(upload["with"]["name"].as_str(), Some("qa_3-3-shard-${{ matrix.shard }}"));
    }

    #[test]
    fn a_job_on_the_runner_publishes_service_ports_and_resolves_aliases() {
        let w = workflow(KOLLA);
        let job = &w["jobs"]["functional"];
        assert!(job["container"].is_null());
        assert_eq!(strings(&job["services"]["db"]["ports"]), ["3306:3306"]);
        let resolve = steps(job).iter().find_map(|s| s["run"].as_str().filter(|r| r.contains("/etc/hosts"))).unwrap();
        assert!(resolve.contains("for pipegen_alias in db; do"), "{resolve}");
        let upload = steps(job)
            .iter()
            .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/upload-artifact@")))
            .unwrap();
        assert_eq!(upload["if"].as_str(), Some("always()"));
    }

    #[test]
    fn caches_key_on_their_files_and_fall_back_to_their_prefix() {
        let w = workflow(GDK);
        let qa = steps(&w["jobs"]["qa_3-2"]);
        let cache = |name: &str| {
            qa.iter()
                .find(|s| s["name"].as_str() == Some(&format!("Cache {name}")))
                .unwrap_or_else(|| panic!("cache {name}"))
        };
        assert_eq!(cache("gems")["with"]["key"].as_str(), Some("gems-test-3.2-${{ hashFiles('Gemfile.lock') }}"));
        assert_eq!(cache("gems")["with"]["restore-keys"].as_str(), Some("gems-test-3.2-"));
        assert_eq!(
            cache("node")["with"]["key"].as_str(),
            Some("node-test-3.2-${{ hashFiles('package.json', 'yarn.lock', 'go.sum') }}")
        );
        assert_eq!(cache("node")["with"]["path"].as_str(), Some("node_modules"));
    }

    #[test]
    fn an_image_cache_is_danced_into_and_out_of_buildkit() {
        let w = workflow(GDK);
        let build = steps(&w["jobs"]["build_gitaly_3-2"]);
        let names: Vec<&str> = build.iter().filter_map(|s| s["name"].as_str()).collect();
        assert_eq!(
            names,
            [
                "Check out",
                "Set up Docker Buildx",
                "Log in to the registry",
                "Cache go",
                "Load cache go into BuildKit",
                "Build and push gitaly [ruby=3.2]",
                "Save cache go from BuildKit",
            ]
        );
        assert_eq!(build[3]["with"]["path"].as_str(), Some(".go/pkg/mod"));
        assert_eq!(build[3]["with"]["key"].as_str(), Some("go-components-3.2-${{ hashFiles('go.sum') }}"));
        let inject = build[4]["run"].as_str().unwrap();
        assert!(inject.contains(
            "RUN --mount=type=cache,id=go,target=/pipegen-cache --mount=type=bind,source=.,target=/pipegen-restored"
        ));
        assert!(
            inject.ends_with("--file \"$RUNNER_TEMP/pipegen-cache-go\"/inject.Dockerfile .go/pkg/mod\n"),
            "{inject}"
        );
        assert_eq!(build[3]["id"].as_str(), Some("cache_go"));
        assert_eq!(build[6]["if"].as_str(), Some("steps.cache_go.outputs.cache-hit != 'true'"));
        let extract = build[6]["run"].as_str().unwrap();
        assert!(extract.contains("RUN --mount=type=cache,id=go,target=/pipegen-cache"));
        assert!(extract.contains("--output type=local,dest=.go/pkg/mod"), "{extract}");
        let with = &build[5]["with"];
        let cache_ref = "type=registry,ref=${{ format('{0}/gitaly/cache:gitaly__3_2', inputs.registry || vars.PIPEGEN_REGISTRY || 'ghcr.io/example/gdk') }}";
        assert_eq!(with["cache-from"].as_str(), Some(cache_ref));
        assert_eq!(with["cache-to"].as_str(), Some(format!("{cache_ref},mode=max,ignore-error=true").as_str()));
        assert_eq!(with["push"].as_bool(), Some(true));
        assert_eq!(with["context"].as_str(), Some("gitaly"));
        assert_eq!(with["file"].as_str(), Some("gitaly/Dockerfile"));
        // Host steps run bash with pipefail.
        assert_eq!(build[4]["shell"].as_str(), Some("bash"));
    }

    #[test]
    fn the_registry_is_the_models_unless_overridden_for_the_run() {
        let w = workflow(GDK);
        assert_eq!(
            w["env"]["PIPEGEN_REGISTRY"].as_str(),
            Some("${{ inputs.registry || vars.PIPEGEN_REGISTRY || 'ghcr.io/example/gdk' }}")
        );
        assert_eq!(w["on"]["workflow_dispatch"]["inputs"]["registry"]["required"].as_bool(), Some(false));
        assert!(w["on"]["push"].is_mapping() && w["on"]["pull_request"].is_mapping());
        assert_eq!(w["concurrency"]["group"].as_str(), Some("${{ github.workflow }}-${{ github.ref }}"));
        assert_eq!(
            w["concurrency"]["cancel-in-progress"].as_str(),
            Some("${{ github.ref != format('refs/heads/{0}', github.event.repository.default_branch) }}"),
            "superseded runs are cancelled, but never a run publishing the default branch"
        );
        let tags = &w["jobs"]["pipegen_tags"];
        assert_eq!(tags["outputs"]["tag_gdk__3_2"].as_str(), Some("${{ steps.tags.outputs.tag_gdk__3_2 }}"));
        assert_eq!(tags["outputs"]["exists_base__3_2"].as_str(), Some("${{ steps.tags.outputs.exists_base__3_2 }}"));
        assert!(tags["outputs"]["exists_gdk__3_2"].is_null(), "commit-tagged images are always built");
        let script = steps(tags).iter().find_map(|s| s["run"].as_str().filter(|r| r.contains("pipegen_hash"))).unwrap();
        assert!(script.contains("pipegen_commit=\"${GITHUB_SHA}\""));
        assert!(script.contains("docker buildx imagetools inspect --raw \"$1\""));
    }

    #[test]
    fn waivers_become_comments_and_leave_no_pseudo_key() {
        let text = render(&plan(GDK));
        assert!(!text.contains("__pipegen_waiver__"));
        assert!(text.contains(
            "  # where every run finishes so that the images it publishes are complete.\n  cancel-in-progress: "
        ));
        assert!(!text.contains("concurrency-cancels-release"), "cancelling is not waived, it is scoped");
        assert!(text.contains("      # zizmor: ignore[cache-poisoning]\n      uses: actions/cache@"));
        let image_lines: Vec<&str> = text.lines().filter(|l| l.trim_start().starts_with("image: ${{")).collect();
        assert!(!image_lines.is_empty());
        assert!(image_lines.iter().all(|l| l.ends_with(" # zizmor: ignore[unpinned-images]")), "{image_lines:?}");
        assert!(text.contains("        # jactionlint ignore=unpinned-images\n        image: postgres:16.4\n"));
    }

    #[test]
    fn tag_pinned_external_images_carry_the_models_choice() {
        let external = |r: &str| image_waiver(&ImageUse::External(r.to_string()));
        assert_eq!(external("postgres:16.4"), Some(Waiver::ModelTagPin));
        assert_eq!(external("localhost:5000/team/db:1"), Some(Waiver::ModelTagPin));
        assert_eq!(external("postgres:16.4@sha256:0123"), None);
        assert_eq!(external("localhost:5000/team/db"), None, "a registry port is not a tag");
        assert_eq!(external("postgres:latest"), None, "latest is left to the linters");
    }

    #[test]
    fn waiver_keys_turn_into_indented_comments() {
        let text = "a:\n  __pipegen_waiver__: own-image\n  image: x\n  __pipegen_waiver__: build-cache\n  uses: y\n";
        assert_eq!(
            write_waivers(text),
            "a:\n  # An image of this workflow, named by its content or commit tag in the run's registry.\n  image: x # zizmor: ignore[unpinned-images]\n  # Image builds restore their caches by design; GitHub restores only caches saved by runs of\n  # this ref or of the default branch.\n  # jactionlint ignore=cache-poisoning\n  # zizmor: ignore[cache-poisoning]\n  uses: y\n"
        );
    }

    #[test]
    fn output_is_deterministic() {
        assert_eq!(render(&plan(GDK)), render(&plan(GDK)));
        assert_eq!(render(&plan(KOLLA)), render(&plan(KOLLA)));
    }
}
