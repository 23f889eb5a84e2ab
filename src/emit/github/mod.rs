//! GitHub Actions: one workflow from a plan, as typed structs serialized in a fixed order.
//!
//! The shared scripts are written once, as values of the workflow's `env` (every step sees
//! them and runs `eval "$PIPEGEN_…"`); each job passes its own values through its `env`. A
//! build job always runs, so its output `tag` exists: it computes its tag from git and its
//! parents' tags (`needs.<parent>.outputs.tag`), and skips its build steps, not itself, when the
//! registry holds the tag. Script jobs run in their image (`container:`) beside health-checked
//! `services:`. Every job `needs` exactly the builds it uses.
//!
//! References are assembled where they are used, from the registry expression and the needed
//! build's `tag` output, never passed as job outputs: GitHub drops a job output that contains a
//! secret's value, and a registry path often contains the registry user's name.

mod actions;
pub mod limits;
mod literal;
pub mod names;
mod push;
mod waivers;

use std::cell::RefCell;
use std::rc::Rc;

use indexmap::IndexMap;
use serde::Serialize;

use crate::emit::scripts::{self, Builder, OwnRegistry, Platform, Publish, Unpushed};
use crate::emit::{Extent, JobsBegun, Rendering, Stopped};
use crate::model::{ArtifactsWhen, Platform as ImagePlatform};
use crate::plan::{Build, BuildUse, CacheUse, ImageUse, JobId, Need, Plan, Probe, Run};
use actions::*;
use literal::literal;
use waivers::Waiver;

use crate::yaml::Commented;

/// The runner of every job but the builds of a platform the model names.
pub const RUNS_ON: &str = "ubuntu-latest";

/// GitHub's hosted arm64 runner, the default for `linux/arm64` builds.
pub const ARM64_RUNS_ON: &str = "ubuntu-24.04-arm";

/// GitHub runs the build scripts with docker buildx and reads the commit from `GITHUB_SHA`.
pub const PLATFORM: Platform = Platform {
    builder: Builder::Buildx,
    commit: "GITHUB_SHA",
    publish: Publish::GithubOutput,
    own_registry: OwnRegistry { host: "ghcr.io", user: "GITHUB_ACTOR", password: "PIPEGEN_GITHUB_TOKEN" },
    unpushed: Unpushed::Local,
    // A pull request's branch is its head branch; the default branch comes from the event
    // (`PIPEGEN_DEFAULT_BRANCH`, set by the alias step from github.event.repository, or the
    // branch of a scheduled run, whose event has no repository).
    refs: r#"  pipegen_ref_tag=
  pipegen_ref_branch=
  if [ "${GITHUB_REF_TYPE:-}" = tag ]; then
    pipegen_ref_tag="${GITHUB_REF_NAME:-}"
  else
    pipegen_ref_branch="${GITHUB_HEAD_REF:-${GITHUB_REF_NAME:-}}"
  fi
  pipegen_default_branch="${PIPEGEN_DEFAULT_BRANCH:-}""#,
};

/// The workflow `env` entries that hold the shared scripts.
const BUILD_SCRIPT: &str = "PIPEGEN_BUILD_SH";
const RUN_SCRIPT: &str = "PIPEGEN_RUN_SH";
const ALIASES_SCRIPT: &str = "PIPEGEN_ALIASES_SH";
const LOAD_SCRIPT: &str = "PIPEGEN_LOAD_SH";
const LOCAL_RUN_SCRIPT: &str = "PIPEGEN_LOCAL_RUN_SH";
const WAIT_SCRIPT: &str = "PIPEGEN_WAIT_SH";

/// Where a run that does not push keeps its local images, one `<KEY>.tar` each (`runner` is
/// only a context of steps).
const LOCAL_IMAGES: &str = "${{ runner.temp }}/pipegen-images";
/// Steps that only run when the run does not push, and those that only run when it does.
const NOT_PUSHING: &str = "env.PIPEGEN_PUSH != 'true'";
const PUSHING: &str = "env.PIPEGEN_PUSH == 'true'";
const ALIAS_TAGS_SCRIPT: &str = "PIPEGEN_ALIAS_SH";

/// The shell of steps on the runner itself: bash with `-eo pipefail`. Steps in a job's
/// container keep GitHub's default (bash if the image has it, else sh).
const HOST_SHELL: &str = "bash";

#[derive(Serialize)]
struct Workflow<'p> {
    name: String,
    on: Triggers,
    concurrency: Concurrency,
    permissions: IndexMap<&'static str, &'static str>,
    env: IndexMap<String, String>,
    jobs: Jobs<'p>,
}

/// The workflow's jobs, each built as it is written and dropped after: a large plan's jobs are
/// never all in memory at once (their text is).
struct Jobs<'p> {
    plan: &'p Plan,
    begun: JobsBegun,
}

impl Serialize for Jobs<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let plan = self.plan;
        let begin = self.begun.restart();
        let builds = plan.builds.iter().flat_map(|build| {
            let split = build.split();
            let platforms = split.then_some(&build.platforms).into_iter().flatten().map(move |platform| {
                begin();
                let id = JobId::Platform { build: build.this.id.clone(), platform: *platform };
                (names::id(&id), platform_job(plan, build, *platform))
            });
            let last = std::iter::once_with(move || {
                begin();
                let job = if split { merge_job(plan, build) } else { build_job(plan, build) };
                (names::id(&build.id()), job)
            });
            platforms.chain(last)
        });
        let runs = plan.runs.iter().map(|run| {
            begin();
            (names::id(&run.id()), run_job(plan, run))
        });
        let nothing = plan.is_empty().then(|| ("pipegen_nothing".to_string(), nothing_job()));
        serializer.collect_map(builds.chain(runs).chain(nothing))
    }
}

#[derive(Serialize)]
struct Triggers {
    #[serde(skip_serializing_if = "Option::is_none")]
    push: Option<Empty>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pull_request: Option<Empty>,
    /// GitHub's merge queue: a workflow of required checks must run on it, or a queued pull
    /// request waits forever. Like a pull request, such a run does not push.
    #[serde(skip_serializing_if = "Option::is_none")]
    merge_group: Option<Empty>,
    /// The model's refresh schedule: runs on the default branch's latest commit.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    schedule: Vec<Schedule>,
    workflow_dispatch: Dispatch,
}

#[derive(Serialize)]
struct Schedule {
    cron: String,
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
    #[serde(rename = "cancel-in-progress")]
    cancel_in_progress: Commented<String>,
}

#[derive(Serialize)]
struct Job {
    name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    needs: Vec<String>,
    #[serde(rename = "runs-on")]
    runs_on: String,
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
    outputs: IndexMap<&'static str, &'static str>,
    #[serde(skip_serializing_if = "IndexMap::is_empty", serialize_with = "literal::map")]
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
    image: Commented<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credentials: Option<Credentials>,
}

#[derive(Serialize)]
struct Credentials {
    username: &'static str,
    password: String,
}

#[derive(Serialize)]
struct Service {
    image: Commented<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credentials: Option<Credentials>,
    #[serde(skip_serializing_if = "IndexMap::is_empty", serialize_with = "literal::map")]
    env: IndexMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ports: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "literal::optional_text")]
    options: Option<String>,
}

#[derive(Serialize, Default)]
struct Step {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'static str>,
    #[serde(rename = "if", skip_serializing_if = "Option::is_none")]
    condition: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uses: Option<Commented<String>>,
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
    #[serde(serialize_with = "literal::text")]
    Text(String),
    Flag(bool),
    Number(u64),
}

/// Credentials for pulling a model image into `container:` or `services:`, where no step can
/// run first. Never empty: GitHub's workflow schema types both `non-empty-string` (an
/// expression that evaluates to '' fails the job: "Unexpected value ''"), and act refuses an
/// empty one. The secrets when set; else, on ghcr.io, the job's own token; else the actor and
/// the placeholder password `anonymous`, which a registry without logins accepts. The job token
/// goes to ghcr.io only (and under act, which has none unless given one, the placeholder
/// stands in for it).
fn pull_credentials(plan: &Plan) -> Credentials {
    Credentials {
        username: "${{ secrets.PIPEGEN_REGISTRY_USER || github.actor }}",
        password: format!(
            "${{{{ secrets.PIPEGEN_REGISTRY_PASSWORD || startsWith(format('{{0}}/', {}), 'ghcr.io/') && github.token || 'anonymous' }}}}",
            registry_expression(plan)
        ),
    }
}

/// The GitHub backend.
pub const BACKEND: crate::emit::Backend = crate::emit::Backend { name: "github", render, limits: limits::check };

/// The GitHub workflow of `plan`, without the header comment, written to `extent`.
pub fn render(plan: &Plan, extent: Extent) -> Rendering {
    render_from(plan, extent, FIRST_BUDGET)
}

/// How much text [`up_to_limit`] writes before it first shares it. Shares cut a workflow's text
/// by two to five times (jobs of the same shape share their steps): a file whose text is within
/// four times the limit is shared once, when it is complete, and most refusals are decided by
/// the first share.
const FIRST_BUDGET: usize = 4 * limits::MAX_WORKFLOW_BYTES;

/// [`render`], whose writing up to the limit starts with `first_budget` bytes of text.
fn render_from(plan: &Plan, extent: Extent, first_budget: usize) -> Rendering {
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
    if !plan.is_empty() {
        env.insert(
            "PIPEGEN_PUSH".to_string(),
            format!("${{{{ ({}) && 'true' || 'false' }}}}", push::expression(&plan.policy.push)),
        );
    }
    if !plan.builds.is_empty() {
        env.insert(
            BUILD_SCRIPT.to_string(),
            scripts::build_library(PLATFORM, &plan.policy, &scripts::Uses::of(plan, PLATFORM.builder)),
        );
    }
    if plan.builds.iter().any(|b| !b.aliases.is_empty()) {
        env.insert(ALIAS_TAGS_SCRIPT.to_string(), scripts::alias_library(PLATFORM));
    }
    if !plan.runs.is_empty() {
        env.insert(RUN_SCRIPT.to_string(), scripts::embed(scripts::RUN, &[]));
    }
    if plan.runs.iter().any(|r| r.image.is_none() && !r.services.is_empty()) {
        env.insert(ALIASES_SCRIPT.to_string(), scripts::embed(scripts::ALIASES, &[]));
    }
    let local_runs: Vec<&Run> = plan.runs.iter().filter(|r| r.model_images().next().is_some()).collect();
    if !local_runs.is_empty() {
        env.insert(LOAD_SCRIPT.to_string(), scripts::minify(scripts::LOAD));
        env.insert(LOCAL_RUN_SCRIPT.to_string(), scripts::minify(scripts::LOCAL_RUN));
    }
    if local_runs.iter().any(|r| r.services.iter().any(|s| s.health.is_some())) {
        env.insert(
            WAIT_SCRIPT.to_string(),
            scripts::wait_library(scripts::ProbeKinds::of(plan), scripts::CmdProbe::ServiceContainer),
        );
    }
    // A model with nothing to build or run gets a workflow that only runs when asked.
    let on_push = (!plan.is_empty()).then_some(Empty {});
    let scheduled = is_scheduled(plan);
    let workflow = Workflow {
        name: plan.name.clone(),
        on: Triggers {
            push: on_push,
            pull_request: (!plan.is_empty()).then_some(Empty {}),
            merge_group: (!plan.is_empty()).then_some(Empty {}),
            schedule: plan.refresh.iter().filter(|_| scheduled).map(|cron| Schedule { cron: cron.clone() }).collect(),
            workflow_dispatch: Dispatch { inputs },
        },
        concurrency: Concurrency {
            // GitHub also sends `push` for the merge queue's branch (`gh-readonly-queue/…`):
            // in one group, that run and the queue's own would cancel each other.
            group: "${{ github.workflow }}-${{ github.event_name == 'merge_group' && 'merge_group-' || '' }}${{ github.ref }}",
            // A run that pushes must finish (else images are pushed and their aliases not
            // moved): the condition that sets PIPEGEN_PUSH exempts it, whatever the branch.
            cancel_in_progress: Waiver::CancelSupersededRuns
                .on(Commented::new(format!("${{{{ !({}) }}}}", push::expression(&plan.policy.push)))),
        },
        permissions: IndexMap::new(),
        env,
        jobs: Jobs { plan, begun: JobsBegun::default() },
    };
    match extent {
        Extent::Whole => {
            let text = crate::yaml::to_string(&workflow).expect("the GitHub workflow serializes");
            // GitHub limits the file's bytes, not its tree.
            Rendering { text: shared(&text), tree_size: None, stopped: None }
        }
        Extent::UpToLimit => up_to_limit(plan, &workflow, first_budget),
    }
}

/// Whether the workflow runs on the model's refresh schedule: only a model with something to
/// build or run has one.
fn is_scheduled(plan: &Plan) -> bool {
    plan.refresh.is_some() && !plan.is_empty()
}

/// The repository's default branch, as an expression (with `${{ }}`). A scheduled run's event
/// has no `repository`, and GitHub runs it on the default branch: there it is the run's branch.
fn default_branch_expression(plan: &Plan) -> &'static str {
    if is_scheduled(plan) {
        "${{ github.event_name == 'schedule' && github.ref_name || github.event.repository.default_branch }}"
    } else {
        "${{ github.event.repository.default_branch }}"
    }
}

/// Jobs repeat much (steps, credentials, permissions): each repeated node is written once.
fn shared(text: &str) -> String {
    crate::yaml::share_repeated_nodes(text, crate::yaml::MIN_SHARED_BYTES)
}

/// The workflow, unless it would pass GitHub's size limit; then the part written when that
/// became certain.
///
/// GitHub limits the bytes of the shared file, which can be several times smaller than the text
/// written. So each time the text passes a budget, its whole jobs are shared: a lower bound of
/// the shared file, since what follows them can only add to it (aliases, and anchors on nodes
/// they repeat). Once that bound passes the limit, so would the file, and writing stops; until
/// then it goes on (nothing is written twice) to a budget that the shares seen so far say is
/// enough.
fn up_to_limit(plan: &Plan, workflow: &Workflow, first_budget: usize) -> Rendering {
    // The shared beginning that passed the limit, once one has.
    let over: Rc<RefCell<Option<String>>> = Rc::default();
    let found = Rc::clone(&over);
    let extend = Box::new(move |text: &str, open_entries: &[usize]| {
        // Depth 0 holds the workflow's keys, depth 1 its jobs (or the `env` entries before them).
        let whole_entries = open_entries.get(1).copied().unwrap_or(0);
        let bound = shared(&text[..whole_entries]);
        if bound.len() > limits::MAX_WORKFLOW_BYTES {
            *found.borrow_mut() = Some(bound);
            return None;
        }
        // Enough to pass the limit if the text shares as its beginning did, and at least a
        // quarter more than now, so the shares computed add up to a few times the text.
        let ratio = whole_entries as f64 / bound.len().max(1) as f64;
        let needed = (limits::MAX_WORKFLOW_BYTES as f64 * ratio * 1.25) as usize;
        Some(needed.max(text.len() + text.len() / 4))
    });
    let written =
        crate::yaml::to_string_extending(workflow, first_budget, extend).expect("the GitHub workflow serializes");
    if written.complete {
        return Rendering { text: shared(&written.text), tree_size: None, stopped: None };
    }
    let bound = over.take().expect("writing stops only where the shared text passed the limit");
    let stopped = Stopped { jobs_begun: workflow.jobs.begun.get(), jobs: plan.job_count(), measured: bound.len() };
    Rendering { text: bound, tree_size: None, stopped: Some(stopped) }
}

fn nothing_job() -> Job {
    Job {
        name: "pipegen:nothing".to_string(),
        needs: Vec::new(),
        runs_on: RUNS_ON.to_string(),
        timeout_minutes: 5,
        permissions: permissions(&[("contents", "read")]),
        strategy: None,
        container: None,
        services: IndexMap::new(),
        outputs: IndexMap::new(),
        env: IndexMap::new(),
        steps: vec![Step {
            name: "Nothing to do".to_string(),
            run: Some(format!("echo {}", scripts_quote("pipegen: the model has no images and no jobs"))),
            ..Step::default()
        }],
    }
}

fn scripts_quote(text: &str) -> String {
    crate::shell::quote(text)
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

/// The full reference of a build, as an expression: registry, image, and the tag its build
/// job published.
fn reference(plan: &Plan, build: &BuildUse) -> String {
    format!(
        "${{{{ format('{{0}}/{}:{{1}}', {}, needs.{}.outputs.tag) }}}}",
        build.id.image.replace('\'', "''"),
        registry_expression(plan),
        names::id(&JobId::Build(build.id.clone()))
    )
}

fn image_reference(plan: &Plan, image: &ImageUse) -> String {
    match image {
        ImageUse::Model(build) => reference(plan, build),
        ImageUse::External(reference) => literal(reference),
    }
}

fn permissions(pairs: &[(&'static str, &'static str)]) -> IndexMap<&'static str, &'static str> {
    pairs.iter().copied().collect()
}

/// The job's checkout, with what the action leaves out by default that the job reads: the
/// repository's submodules, recursively (their directories stay empty otherwise), and the files
/// stored in Git LFS (pointer files otherwise).
fn checkout(submodules: bool, lfs: bool) -> Step {
    let mut with = IndexMap::new();
    with.insert("persist-credentials", With::Flag(false));
    if submodules {
        with.insert("submodules", With::Text("recursive".to_string()));
    }
    if lfs {
        with.insert("lfs", With::Flag(true));
    }
    Step { name: "Check out".to_string(), uses: Some(CHECKOUT.step_uses()), with, ..Step::default() }
}

/// A path at the repository root that no job writes: listed among the paths of an artifact that
/// another job downloads, it roots the archive at the repository root.
const ARTIFACT_ROOT_ANCHOR: &str = ".pipegen-artifact-root";

/// The step that downloads the artifacts of a needed run into the workspace, where they were:
/// every shard's, of every attempt that uploaded some (the run's name, then `.` and what
/// [`run_job`] adds: no other job's name starts so), merged into the checkout.
fn download_step(id: &JobId) -> Step {
    let mut with = IndexMap::new();
    let id = names::id(id);
    with.insert("pattern", With::Text(format!("{id}.*")));
    with.insert("merge-multiple", With::Flag(true));
    Step {
        // By its id, which holds no character GitHub could read as an expression.
        name: format!("Download the artifacts of {id}"),
        uses: Some(DOWNLOAD_ARTIFACT.step_uses()),
        with,
        ..Step::default()
    }
}

fn needs(needs: &[Need]) -> Vec<String> {
    needs.iter().map(|n| names::id(&n.job)).collect()
}

/// The key of a build's local image in the run's cache (`key` may be an expression): each
/// attempt of the run saves its own (a cache entry cannot be written twice), and a job restores
/// its own attempt's, else the latest earlier one's ([`local_image_prefix`]): after "Re-run
/// failed jobs" a job runs in a new attempt, but the builds it needs ran, and saved, in an
/// earlier one.
fn local_image_key(key: &str) -> String {
    format!("{}${{{{ github.run_attempt }}}}", local_image_prefix(key))
}

/// The start of every attempt's key of a build's local image: its `restore-keys`. `<KEY>=<tag>`
/// names one build of the run, and the `-` after it ends the name, so no other build's
/// image matches.
fn local_image_prefix(key: &str) -> String {
    format!("pipegen-image-${{{{ github.run_id }}}}-{key}-")
}

/// The name of a build's local image in the run's cache and on disk: `<KEY>=<tag>`, from its
/// build job's output. Each platform job of a split build saves its own image,
/// `<KEY>=<tag>@<os>-<arch>` (the `@`, which no tag holds, keeps one name from being the start of
/// another in `restore-keys`): a job for `platform` gets that one, as Docker builds `FROM` a
/// local image of the platform it builds only; a job on the default runner (`platform` None,
/// `ubuntu-latest`) gets `linux/amd64`, else the first platform.
fn local_image_name(plan: &Plan, build: &BuildUse, platform: Option<ImagePlatform>) -> String {
    let name = format!("{}=${{{{ needs.{}.outputs.tag }}}}", build.key, names::id(&JobId::Build(build.id.clone())));
    let Some(platforms) = plan.build(&build.id).map(|b| &b.platforms).filter(|p| p.len() > 1) else {
        return name;
    };
    let chosen = [platform, Some(ImagePlatform::LinuxAmd64)]
        .into_iter()
        .flatten()
        .find(|p| platforms.contains(p))
        .unwrap_or(platforms[0]);
    format!("{name}@{}", chosen.slug())
}

/// Restores the local image of `build` when the run does not push (a miss is no error: a build
/// that skipped left its image in the registry).
fn restore_local_image(plan: &Plan, build: &BuildUse) -> Step {
    let name = local_image_name(plan, build, None);
    let mut with = IndexMap::new();
    with.insert("path", With::Text(format!("{LOCAL_IMAGES}/{name}.tar")));
    with.insert("key", With::Text(local_image_key(&name)));
    with.insert("restore-keys", With::Text(local_image_prefix(&name)));
    Step {
        name: format!("Restore the local image of {}", names::display(&JobId::Build(build.id.clone()))),
        condition: Some(NOT_PUSHING),
        uses: Some(CACHE_RESTORE.step_uses()),
        with,
        ..Step::default()
    }
}

/// Restores the local image of a build's parent number `n` (`PIPEGEN_PARENT_<n>`): the same
/// step in every build job, so builds with as many parents share their steps.
fn restore_parent_image(n: usize) -> Step {
    let key = format!("${{{{ env.PIPEGEN_PARENT_{n} }}}}");
    let mut with = IndexMap::new();
    with.insert("path", With::Text(format!("{LOCAL_IMAGES}/{key}.tar")));
    with.insert("key", With::Text(local_image_key(&key)));
    with.insert("restore-keys", With::Text(local_image_prefix(&key)));
    Step {
        name: format!("Restore the local image of parent {n}"),
        condition: Some(NOT_PUSHING),
        uses: Some(CACHE_RESTORE.step_uses()),
        with,
        ..Step::default()
    }
}

/// The variables `pipegen_login` reads: the registry secrets, and the job's token for ghcr.io.
fn registry_credentials_env() -> IndexMap<String, String> {
    step_env(&[
        ("PIPEGEN_REGISTRY_USER", "${{ secrets.PIPEGEN_REGISTRY_USER }}"),
        ("PIPEGEN_REGISTRY_PASSWORD", "${{ secrets.PIPEGEN_REGISTRY_PASSWORD }}"),
        ("PIPEGEN_GITHUB_TOKEN", "${{ github.token }}"),
    ])
}

fn local_images_env() -> IndexMap<String, String> {
    step_env(&[("PIPEGEN_LOCAL_IMAGES", LOCAL_IMAGES)])
}

/// A step's variables, written here.
fn step_env(pairs: &[(&str, &str)]) -> IndexMap<String, String> {
    pairs.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect()
}

/// The variables of the step that runs a job's script: each secret it names, read from
/// GitHub's `secrets` context there and nowhere else, so no other step (and no action) sees it.
/// A secret's name is an environment variable's name (`[A-Za-z_][A-Za-z0-9_]*`, checked with the
/// model), which is all that reaches the expression.
fn secrets_env(run: &Run) -> IndexMap<String, String> {
    run.secrets.iter().map(|name| (name.clone(), format!("${{{{ secrets.{name} }}}}"))).collect()
}

/// The `runs-on` label of a platform's jobs: the model's, else `ubuntu-24.04-arm` (GitHub's
/// hosted arm64 runner) for `linux/arm64` and `ubuntu-latest` for every other platform.
pub(super) fn runs_on(plan: &Plan, platform: Option<ImagePlatform>) -> String {
    let Some(platform) = platform else { return RUNS_ON.to_string() };
    match plan.runner(platform).and_then(|r| r.github.as_ref()) {
        Some(label) => label.0.clone(),
        None if platform == ImagePlatform::LinuxArm64 => ARM64_RUNS_ON.to_string(),
        None => RUNS_ON.to_string(),
    }
}

/// The env of a build's jobs: the script's variables, then each parent's key and tag
/// (`<KEY>=<tag>`, with the platform of its local image that a job building `platform` needs when
/// the parent is split) by position: the build script reads its parents' tags there, and the
/// shared restore steps name their local images by it.
fn build_env(
    plan: &Plan,
    build: &Build,
    platform: Option<ImagePlatform>,
    variables: Vec<(String, String)>,
) -> IndexMap<String, String> {
    let mut env = IndexMap::new();
    for (name, value) in variables {
        env.insert(name, literal(&value));
    }
    for (i, parent) in build.parents.iter().enumerate() {
        env.insert(format!("PIPEGEN_PARENT_{}", i + 1), local_image_name(plan, &parent.build, platform));
    }
    env
}

/// Which of a build's jobs: the only one, one platform of a split build, or the merge job.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BuildJobKind {
    Single,
    Platform(ImagePlatform),
    Merge,
}

/// What differs between a build's jobs: the job, its env, needs, runner and output.
struct BuildJob {
    id: JobId,
    kind: BuildJobKind,
    env: IndexMap<String, String>,
    needs: Vec<String>,
    runs_on: String,
    output: (&'static str, &'static str),
}

/// A build job: a build, one platform of a split build, or the job that merges them. Jobs that
/// build restore their parents' local images when the run does not push (by position), and
/// save their own (each platform of a split build its own, see [`local_image_name`]); the job
/// that publishes the image (a build's only job or its merge job) sets the alias tags.
fn build_like_job(plan: &Plan, build: &Build, job: BuildJob) -> Job {
    let builds = job.kind != BuildJobKind::Merge;
    let publishes = matches!(job.kind, BuildJobKind::Single | BuildJobKind::Merge);
    let saved = match job.kind {
        BuildJobKind::Single => Some(("Save the local image".to_string(), String::new())),
        BuildJobKind::Platform(platform) => {
            Some((format!("Save the local image of {}", platform.name()), format!("@{}", platform.slug())))
        }
        BuildJobKind::Merge => None,
    };
    let tag_env = registry_credentials_env().into_iter().chain(local_images_env()).collect();
    let mut steps = vec![checkout(plan.checks_out_submodules(build), plan.checks_out_lfs(build))];
    if builds {
        let platform = match job.kind {
            BuildJobKind::Platform(platform) => Some(platform),
            _ => None,
        };
        for cache in build.caches_for(platform) {
            let step = cache_step(cache);
            steps.push(Step { uses: step.uses.map(|uses| Waiver::BuildCache.on(uses)), ..step });
        }
        steps.extend((1..=build.parents.len()).map(restore_parent_image));
    }
    steps.push(Step {
        name: "Build".to_string(),
        id: Some("tag"),
        env: tag_env,
        run: Some(format!("eval \"${BUILD_SCRIPT}\" && pipegen_build_job")),
        ..Step::default()
    });
    if let Some((step_name, suffix)) = saved {
        let mut with = IndexMap::new();
        let name = &format!("${{{{ steps.tag.outputs.key }}}}=${{{{ steps.tag.outputs.tag }}}}{suffix}");
        with.insert("path", With::Text(format!("{LOCAL_IMAGES}/{name}.tar")));
        with.insert("key", With::Text(local_image_key(name)));
        steps.push(Step {
            name: step_name,
            condition: Some("env.PIPEGEN_PUSH != 'true' && steps.tag.outputs.build == 'true'"),
            uses: Some(CACHE_SAVE.step_uses()),
            with,
            ..Step::default()
        });
    }
    if publishes && !build.aliases.is_empty() {
        // After the build step, built or skipped: the image exists under its tag.
        let alias_env = step_env(&[
            ("PIPEGEN_TAG", "${{ steps.tag.outputs.tag }}"),
            ("PIPEGEN_DEFAULT_BRANCH", default_branch_expression(plan)),
        ]);
        steps.push(Step {
            name: "Alias tags".to_string(),
            env: alias_env,
            run: Some(format!(
                "eval \"${ALIAS_TAGS_SCRIPT}\" && pipegen_aliases \"$PIPEGEN_REGISTRY/$PIPEGEN_IMAGE:$PIPEGEN_TAG\""
            )),
            ..Step::default()
        });
    }
    let mut outputs = IndexMap::new();
    outputs.insert(job.output.0, job.output.1);
    Job {
        name: names::job_name(&job.id, None),
        needs: job.needs,
        runs_on: job.runs_on,
        timeout_minutes: match job.kind {
            // The merge job runs on a GitHub-hosted runner and only merges: a build longer than
            // that runner allows (on self-hosted runners) does not make it longer.
            BuildJobKind::Merge => build.timeout.as_minutes_ceil().min(limits::MAX_JOB_MINUTES),
            _ => build.timeout.as_minutes_ceil(),
        },
        permissions: permissions(&[("contents", "read"), ("packages", "write")]),
        strategy: None,
        container: None,
        services: IndexMap::new(),
        outputs,
        env: job.env,
        steps,
    }
}

const TAG_OUTPUT: (&str, &str) = ("tag", "${{ steps.tag.outputs.tag }}");

fn build_job(plan: &Plan, build: &Build) -> Job {
    let mut variables = scripts::build_variables(build);
    variables.extend(scripts::alias_variables(build));
    let job = BuildJob {
        id: build.id(),
        kind: BuildJobKind::Single,
        env: build_env(plan, build, build.single_platform(), variables),
        needs: needs(&build.needs),
        runs_on: runs_on(plan, build.single_platform()),
        output: TAG_OUTPUT,
    };
    build_like_job(plan, build, job)
}

/// One platform of a split build, on that platform's runner: builds and pushes by digest, and
/// hands the digest to the merge job as its output `digest`.
fn platform_job(plan: &Plan, build: &Build, platform: ImagePlatform) -> Job {
    let job = BuildJob {
        id: JobId::Platform { build: build.this.id.clone(), platform },
        kind: BuildJobKind::Platform(platform),
        env: build_env(plan, build, Some(platform), scripts::platform_variables(build, platform, PLATFORM.publish)),
        needs: needs(&build.needs),
        runs_on: runs_on(plan, Some(platform)),
        output: ("digest", "${{ steps.tag.outputs.digest }}"),
    };
    build_like_job(plan, build, job)
}

/// The job of a split build that keeps the build's id: it merges its platforms' digests into a
/// manifest list under the tag, and publishes the tag. Jobs using the image need only it.
fn merge_job(plan: &Plan, build: &Build) -> Job {
    let mut variables = scripts::merge_variables(build);
    variables.extend(scripts::alias_variables(build));
    // The merge job reads its parents' tags only; it builds nothing.
    let mut env = build_env(plan, build, None, variables);
    let mut job_needs = needs(&build.needs);
    for id in build.platform_jobs() {
        let JobId::Platform { platform, .. } = &id else { continue };
        env.insert(
            crate::naming::digest_variable(&build.this.key, *platform),
            format!("${{{{ needs.{}.outputs.digest }}}}", names::id(&id)),
        );
        job_needs.push(names::id(&id));
    }
    let job = BuildJob {
        id: build.id(),
        kind: BuildJobKind::Merge,
        env,
        needs: job_needs,
        runs_on: RUNS_ON.to_string(),
        output: TAG_OUTPUT,
    };
    build_like_job(plan, build, job)
}

fn lines(items: &[String]) -> String {
    let mut text = items.join("\n");
    text.push('\n');
    text
}

/// A model cache as `actions/cache`: the exact key hashes the key files, per stage and variant;
/// GitHub's prefix match on `restore-keys` falls back to the newest cache of the same stage.
/// The key ends the prefix with `~`, which no prefix holds, so one stage's restore key never
/// matches another's keys. Without key files every run saves a new cache and restores the newest.
fn cache_step(cache: &CacheUse) -> Step {
    let prefix = literal(&cache.prefix);
    let key = if cache.key_files.is_empty() {
        format!("{prefix}~${{{{ github.run_id }}}}")
    } else {
        let files: Vec<String> = cache.key_files.iter().map(|f| string_literal(f)).collect();
        format!("{prefix}~${{{{ hashFiles({}) }}}}", files.join(", "))
    };
    let paths: Vec<String> = cache.paths.iter().map(|p| literal(p)).collect();
    let mut with = IndexMap::new();
    with.insert("path", With::Text(if paths.len() == 1 { paths[0].clone() } else { lines(&paths) }));
    with.insert("key", With::Text(key));
    with.insert("restore-keys", With::Text(format!("{prefix}~")));
    Step { name: format!("Cache {}", cache.name), uses: Some(CACHE.step_uses()), with, ..Step::default() }
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

fn credentials(plan: &Plan, image: &ImageUse) -> Option<Credentials> {
    matches!(image, ImageUse::Model(_)).then(|| pull_credentials(plan))
}

/// A job's time on GitHub: its attempts, the service waits and the set-up around them. The
/// waits are summed: a job that starts its services itself (in its local images) waits for them
/// one after another.
pub fn run_minutes(plan: &Plan, run: &Run) -> u64 {
    let per_attempt = run.timeout.unwrap_or(plan.policy.default_script_timeout).as_minutes_ceil();
    let service_wait = run.service_waits().as_minutes_ceil();
    u64::from(run.retry + 1) * per_attempt + plan.policy.setup_margin.as_minutes_ceil() + service_wait
}

/// The image a run's container or service uses, as an expression (without `${{ }}`).
fn image_expression(plan: &Plan, image: &ImageUse) -> String {
    match image {
        ImageUse::Model(build) => format!(
            "format('{{0}}/{}:{{1}}', {}, needs.{}.outputs.tag)",
            build.id.image.replace('\'', "''"),
            registry_expression(plan),
            names::id(&JobId::Build(build.id.clone()))
        ),
        ImageUse::External(reference) => string_literal(reference),
    }
}

/// The image of a run's container or service. A run that uses model images and does not push
/// has them only as local images, which the runner cannot start before the steps: there the
/// image is empty, so GitHub starts no such container, and a step runs them
/// ([`scripts::LOCAL_RUN`]).
fn run_image(plan: &Plan, run: &Run, image: &ImageUse) -> String {
    if run.model_images().next().is_none() {
        return image_reference(plan, image);
    }
    format!("${{{{ ({}) && {} || '' }}}}", push::expression(&plan.policy.push), image_expression(plan, image))
}

fn run_job(plan: &Plan, run: &Run) -> Job {
    let local = run.model_images().next().is_some();
    let waiver = |image: &ImageUse| match image {
        ImageUse::External(_) if local => Some(Waiver::PushOnlyImage),
        _ => image_waiver(image),
    };
    let container = run.image.as_ref().map(|image| Container {
        image: Waiver::on_optional(waiver(image), Commented::new(run_image(plan, run, image))),
        credentials: credentials(plan, image),
    });
    let mut services = IndexMap::new();
    for service in &run.services {
        let mut env: IndexMap<String, String> = service.env.iter().map(|(k, v)| (k.clone(), literal(v))).collect();
        if service.health.as_ref().is_some_and(|h| matches!(h.probe, Probe::Cmd(_))) {
            // The check runs inside the service container, where the service is localhost.
            env.insert("PIPEGEN_SERVICE_HOST".to_string(), "localhost".to_string());
            env.insert("PIPEGEN_SERVICE_PORT".to_string(), service.port.to_string());
        }
        services.insert(
            service.alias.clone(),
            Service {
                image: Waiver::on_optional(
                    waiver(&service.image),
                    Commented::new(run_image(plan, run, &service.image)),
                ),
                credentials: credentials(plan, &service.image),
                env,
                // A job on the runner itself reaches services through published ports.
                ports: if container.is_none() { vec![format!("{0}:{0}", service.port)] } else { Vec::new() },
                options: service.health.as_ref().map(|h| literal(&health_options(plan, service, h))),
            },
        );
    }

    let mut env: IndexMap<String, String> = run.env.iter().map(|(k, v)| (k.clone(), literal(v))).collect();
    if let Some(shards) = run.shards {
        env.insert("CI_NODE_INDEX".to_string(), "${{ matrix.shard }}".to_string());
        env.insert("CI_NODE_TOTAL".to_string(), shards.to_string());
    }
    env.insert("PIPEGEN_SCRIPT".to_string(), literal(&lines(&run.script)));
    if run.retry > 0 {
        env.insert("PIPEGEN_ATTEMPTS".to_string(), (run.retry + 1).to_string());
    }
    match run.timeout {
        Some(timeout) => {
            env.insert("PIPEGEN_TIMEOUT".to_string(), timeout.as_secs().to_string());
            env.insert("PIPEGEN_TIMEOUT_TEXT".to_string(), timeout.to_string());
        }
        // Without one, each attempt gets what `timeout-minutes` counts for it (GitLab's default
        // job timeout, which ends an attempt that `retry` then retries): a stuck first attempt
        // would otherwise use the job's minutes and never be retried. A single attempt is
        // bounded by the job's minutes already. The model asked for no timeout, so an image
        // without `timeout` runs its attempts unbounded (`PIPEGEN_TIMEOUT_DEFAULT`).
        None if run.retry > 0 => {
            let timeout = plan.policy.default_script_timeout;
            env.insert("PIPEGEN_TIMEOUT".to_string(), timeout.as_secs().to_string());
            env.insert("PIPEGEN_TIMEOUT_TEXT".to_string(), timeout.to_string());
            env.insert("PIPEGEN_TIMEOUT_DEFAULT".to_string(), "true".to_string());
        }
        None => {}
    }
    let on_runner = container.is_none() && !run.services.is_empty();
    if on_runner {
        let aliases: Vec<String> = run.services.iter().map(|s| s.alias.clone()).collect();
        env.insert("PIPEGEN_ALIASES".to_string(), aliases.join(" "));
    }
    if local {
        local_run_env(plan, run, &mut env);
    }

    // A job's script may read any file: it gets LFS files whenever the repository stores some,
    // as GitLab's runner fetches them for every job.
    let mut steps = vec![checkout(run.submodules, !plan.lfs_attributes.is_empty())];
    if on_runner {
        steps.push(Step {
            name: "Resolve service aliases".to_string(),
            shell: Some(HOST_SHELL),
            run: Some(format!("eval \"${ALIASES_SCRIPT}\"")),
            ..Step::default()
        });
    }
    steps.extend(run.received.iter().map(download_step));
    steps.extend(run.caches.iter().map(cache_step));
    let attempts = if run.retry > 0 { format!(" (up to {} attempts)", run.retry + 1) } else { String::new() };
    if local {
        let mut restored: Vec<&BuildUse> = Vec::new();
        for build in run.model_images() {
            if !restored.iter().any(|b| b.id == build.id) {
                restored.push(build);
                steps.push(restore_local_image(plan, build));
            }
        }
        // The build script for its login: images whose build was skipped are pulled from the
        // registry.
        steps.push(Step {
            name: format!("Run the script in the local images{attempts}"),
            condition: Some(NOT_PUSHING),
            env: registry_credentials_env().into_iter().chain(local_images_env()).chain(secrets_env(run)).collect(),
            shell: Some(HOST_SHELL),
            run: Some(format!("eval \"${LOAD_SCRIPT}\" && eval \"${BUILD_SCRIPT}\" && eval \"${LOCAL_RUN_SCRIPT}\"")),
            ..Step::default()
        });
    }
    steps.push(Step {
        name: format!("Run the script{attempts}"),
        condition: local.then_some(PUSHING),
        env: secrets_env(run),
        run: Some(format!("eval \"${RUN_SCRIPT}\"")),
        ..Step::default()
    });
    if let Some(artifacts) = &run.artifacts {
        // Named by the job and the run's attempt: an artifact's name is the run's, and a job run
        // again ("Re-run jobs") would otherwise fail to upload under the name its first attempt
        // used (upload-artifact refuses it), losing the new attempt's files. The parts are
        // joined by `.`, which no job id holds, so that no job's name is another's: with `-`,
        // shard 1 of `test` and a job `test-shard-1` uploaded under one name.
        let id = names::id(&run.id());
        let attempt = "attempt-${{ github.run_attempt }}";
        let name = match run.shards {
            Some(_) => format!("{id}.shard-${{{{ matrix.shard }}}}.{attempt}"),
            None => format!("{id}.{attempt}"),
        };
        let mut paths: Vec<String> = artifacts.paths.iter().map(|p| literal(p)).collect();
        if run.handed_on {
            // upload-artifact roots the archive at the deepest directory its paths' search
            // paths share; a path at the repository root that matches nothing makes that the
            // root, so a job that downloads the archive finds each file at its own path.
            paths.push(ARTIFACT_ROOT_ANCHOR.to_string());
        }
        let mut with = IndexMap::new();
        with.insert("name", With::Text(name));
        with.insert("path", With::Text(lines(&paths)));
        // upload-artifact (since v4.4.0) leaves out every file or directory whose name starts
        // with `.` unless told otherwise; GitLab archives them, and a model's `.reports/` or
        // `.coverage` would upload nothing.
        with.insert("include-hidden-files", With::Flag(true));
        with.insert("retention-days", With::Number(u64::from(plan.policy.artifact_retention_days)));
        steps.push(Step {
            name: "Upload artifacts".to_string(),
            condition: Some(match artifacts.when {
                ArtifactsWhen::OnSuccess => "success()",
                ArtifactsWhen::OnFailure => "failure()",
                ArtifactsWhen::Always => "always()",
            }),
            uses: Some(UPLOAD_ARTIFACT.step_uses()),
            with,
            ..Step::default()
        });
    }

    let uses_model_image = run.model_images().next().is_some();
    Job {
        name: names::job_name(&run.id(), run.shards),
        needs: needs(&run.needs),
        runs_on: RUNS_ON.to_string(),
        timeout_minutes: run_minutes(plan, run),
        permissions: if uses_model_image {
            permissions(&[("contents", "read"), ("packages", "read")])
        } else {
            permissions(&[("contents", "read")])
        },
        strategy: run.shards.map(|n| Strategy { fail_fast: false, matrix: Matrix { shard: (1..=n).collect() } }),
        container,
        services,
        outputs: IndexMap::new(),
        env,
        steps,
    }
}

/// The variables of [`scripts::LOCAL_RUN`]: the job's image, its services (alias, image, port
/// and variables), their waits, and which of the job's variables the job's container gets.
fn local_run_env(plan: &Plan, run: &Run, env: &mut IndexMap<String, String>) {
    let mut pass: Vec<String> = env.keys().chain(&run.secrets).cloned().collect();
    pass.extend(["CI", RUN_SCRIPT].map(String::from));
    if let Some(image) = &run.image {
        env.insert("PIPEGEN_JOB_IMAGE".to_string(), image_reference(plan, image));
    }
    let mut keys = Vec::new();
    let mut waits = Vec::new();
    // `cmd` checks run in the service's container, as Docker runs them when the run pushes:
    // from the runner, which can `docker exec`, never from the job's container.
    let mut exec_waits = Vec::new();
    for (index, service) in run.services.iter().enumerate() {
        // The service's number, not its name: `<KEY>_<NAME>` would be ambiguous (`db` with
        // `X_Y` and `db-x` with `Y` are both `DB_X_Y`), `<number>_<NAME>` is not, as the number
        // ends at the first `_` and no variable name starts with a digit.
        let key = (index + 1).to_string();
        let mut spec = vec![service.alias.clone(), image_reference(plan, &service.image), service.port.to_string()];
        for (name, value) in &service.env {
            spec.push(name.clone());
            env.insert(format!("PIPEGEN_LOCAL_SERVICE_{key}_{name}"), literal(value));
        }
        env.insert(format!("PIPEGEN_LOCAL_SERVICE_{key}"), spec.join("\n"));
        if let Some(health) = &service.health {
            let (wait, value) = scripts::wait_variable(service, health, &plan.policy);
            env.insert(format!("PIPEGEN_WAIT_{wait}"), literal(&value));
            if matches!(health.probe, Probe::Cmd(_)) {
                exec_waits.push(format!("{wait}={}", service.alias));
            } else {
                waits.push(format!("{wait}={}", service.alias));
                pass.push(format!("PIPEGEN_WAIT_{wait}"));
            }
        }
        keys.push(key);
    }
    if !keys.is_empty() {
        env.insert("PIPEGEN_LOCAL_SERVICES".to_string(), keys.join("\n"));
    }
    if !waits.is_empty() {
        env.insert("PIPEGEN_WAITS".to_string(), waits.join("\n"));
        pass.extend(["PIPEGEN_WAITS", WAIT_SCRIPT].map(String::from));
    }
    if !exec_waits.is_empty() {
        env.insert("PIPEGEN_EXEC_WAITS".to_string(), exec_waits.join("\n"));
    }
    env.insert("PIPEGEN_PASS".to_string(), pass.join("\n"));
}

/// The `docker create` options of a service with a health check: Docker checks every interval;
/// failures during the start period (the model's timeout) do not count, the first one after it
/// marks the service unhealthy, and the runner fails the job naming the service. One check may
/// take as long as one probe of GitLab's wait ([`scripts::probe_seconds`]), whatever the interval.
fn health_options(plan: &Plan, service: &crate::plan::ServiceUse, health: &crate::plan::HealthCheck) -> String {
    let interval = health.interval.as_secs().max(1);
    let probe = scripts::probe_seconds(health, &plan.policy);
    format!(
        "--health-cmd {} --health-interval {interval}s --health-timeout {probe}s --health-retries 1 --health-start-period {}s",
        runner_quote(&scripts::health_command(service, health, &plan.policy)),
        health.timeout.as_secs()
    )
}

/// One argument of the runner's `docker create` command line. The runner joins `options`
/// into one string that .NET splits: double quotes group, `\"` is a literal quote, and
/// backslashes are literal unless they precede a quote.
pub fn runner_quote(text: &str) -> String {
    let mut out = String::from("\"");
    let mut backslashes = 0;
    for c in text.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                out.push_str(&"\\".repeat(backslashes * 2 + 1));
                out.push('"');
                backslashes = 0;
            }
            _ => {
                out.push_str(&"\\".repeat(backslashes));
                out.push(c);
                backslashes = 0;
            }
        }
    }
    out.push_str(&"\\".repeat(backslashes * 2));
    out.push('"');
    out
}

#[cfg(test)]
mod tests;
