//! What GitHub refuses, checked on the plan and the rendered workflow in one place, so a
//! workflow over a limit is never written. Source: GitHub docs, "Actions limits" (workflow file
//! size, job matrix), "Usage limits" (job execution time on GitHub-hosted runners) and "Usage
//! limits for self-hosted runners", and the workflow syntax reference (job ids).

use std::collections::HashMap;

use super::names;
use crate::emit::Rendering;
use crate::model::{Diagnostic, ModelPath};
use crate::plan::{JobId, Plan};

/// A workflow file larger than 500 KB does not start runs.
pub const MAX_WORKFLOW_BYTES: usize = 512_000;
/// A job matrix generates at most this many jobs.
pub const MAX_MATRIX: u32 = 256;
/// GitHub refuses a workflow holding an expression longer than this ("Exceeded max expression
/// length 21000"; the runner's `ExpressionConstants.MaxLength`).
pub const MAX_EXPRESSION: usize = 21_000;
/// A job on a GitHub-hosted runner runs for at most six hours ("Usage limits").
pub const MAX_JOB_MINUTES: u64 = 360;
/// A job on a self-hosted runner runs for at most five days ("Usage limits for self-hosted
/// runners").
pub const MAX_SELF_HOSTED_JOB_MINUTES: u64 = 5 * 24 * 60;

/// Whether a `runs-on` label names a GitHub-hosted runner: `ubuntu-*`, `windows-*`, `macos-*`
/// (the hosted arm64 labels `ubuntu-24.04-arm`, `windows-11-arm` among them). Any other label is
/// a self-hosted runner's (a larger hosted runner's own name is taken for one too).
pub fn hosted(label: &str) -> bool {
    ["ubuntu-", "windows-", "macos-"].iter().any(|prefix| label.starts_with(prefix))
}

/// The `runs-on` labels of a build's jobs that build: its one job, or each platform job of a
/// split build (the merge job, on a hosted runner, only merges; its timeout stays within
/// [`MAX_JOB_MINUTES`]).
fn build_labels(plan: &Plan, build: &crate::plan::Build) -> Vec<String> {
    if build.split() {
        build.platforms.iter().map(|p| super::runs_on(plan, Some(*p))).collect()
    } else {
        vec![super::runs_on(plan, build.single_platform())]
    }
}

/// Every limit `plan` or its rendered `file` crosses.
pub fn check(plan: &Plan, file: &Rendering) -> Vec<Diagnostic> {
    let text = &file.text;
    let mut problems = Vec::new();
    // Job ids are case-insensitive (`needs` and expressions match them so).
    let ids = plan.job_ids();
    let mut seen: foldhash::HashMap<String, &JobId> = HashMap::with_capacity_and_hasher(ids.len(), Default::default());
    for id in &ids {
        let mut github = names::id(id);
        github.make_ascii_lowercase();
        if let Some(first) = seen.insert(github, id) {
            let github = names::id(id);
            problems.push(
                Diagnostic::new(
                    "name-collision",
                    id.origin(),
                    format!("{first} and {id} would both get the GitHub job id `{github}`{}", if names::id(first) == github { "" } else { " (GitHub ignores case in job ids)" }),
                )
                .at_key()
                .label("generated name collides")
                .related(first.origin(), "with the job generated here")
                .help("rename an image, a job or an axis value so the generated names differ in more than case or punctuation"),
            );
        }
    }
    for build in &plan.builds {
        let minutes = build.timeout.as_minutes_ceil();
        if minutes <= MAX_JOB_MINUTES {
            continue;
        }
        // Only a written timeout exceeds a limit: the default is far below it.
        let labels = build_labels(plan, build);
        let (limit, runners, fix) = match labels.iter().find(|l| hosted(l)) {
            Some(label) => (
                MAX_JOB_MINUTES,
                format!("GitHub-hosted runners (`{label}`)"),
                "set the image's `timeout` to at most 6h, or build its platforms on self-hosted runners (`runners:`)",
            ),
            None => (
                MAX_SELF_HOSTED_JOB_MINUTES,
                "self-hosted runners".to_string(),
                "set the image's `timeout` to at most 120h",
            ),
        };
        if minutes > limit {
            problems.push(at_timeout(
                over(
                    &build.id(),
                    Diagnostic::new(
                        "timeout-too-long",
                        build.id().origin(),
                        format!(
                            "a build may take {minutes} minutes (its image's `timeout: {}`); {runners} stop a job after {limit} minutes",
                            build.timeout
                        ),
                    ),
                    fix,
                ),
                true,
            ));
        }
    }
    let mut reported_ports = std::collections::HashSet::new();
    for run in &plan.runs {
        let id = run.id();
        if let Some(shards) = run.shards
            && shards > MAX_MATRIX
        {
            problems.push(over(
                &id,
                Diagnostic::new(
                    "too-many-shards",
                    id.origin(),
                    format!("`parallel: {shards}`; a GitHub matrix has at most {MAX_MATRIX} jobs"),
                ),
                "split the job",
            ));
        }
        if run.image.is_none() && reported_ports.insert(run.job.as_str()) {
            port_clashes(run, &mut problems);
        }
        let minutes = super::run_minutes(plan, run);
        if minutes > MAX_JOB_MINUTES {
            problems.push(at_timeout(
                over(&id, Diagnostic::new("timeout-too-long", id.origin(),
                    format!("its attempts, service waits and set-up may take {minutes} minutes; GitHub-hosted runners stop a job after {MAX_JOB_MINUTES}")),
                    "shorten `timeout`, lower `retry`, or shorten the services' health timeouts",
                ),
                run.timeout.is_some(),
            ));
        }
    }
    if let Some((longest, at)) = longest_expression(text)
        && longest > MAX_EXPRESSION
    {
        let start: String = text[at..].chars().take(60).collect();
        // A job's expression (a cache key's `hashFiles` of many key files) is the job's; the
        // workflow's own (whether the run pushes) tests the branches that push.
        let (origin, help) = match job_at(plan, text, at) {
            Some(id) => (id.origin(), "use fewer key files or shorter names for what this expression lists"),
            None => (
                ModelPath::keys(["push", "branches"]),
                "name fewer branches: a prefix and `*` (`release/*`) stands for many",
            ),
        };
        problems.push(
            Diagnostic::new(
                "expression-too-long",
                origin,
                format!("GitHub limit: the workflow would hold an expression of {longest} characters (`${{{{{start}…`); GitHub refuses a workflow with an expression over {MAX_EXPRESSION}"),
            )
            .at_key()
            .label("over a GitHub limit")
            .help(help),
        );
    }
    let size = match file.stopped {
        // Writing stopped once the workflow was certain to pass the limit.
        Some(stopped) => Some(format!("over {MAX_WORKFLOW_BYTES} bytes ({})", stopped.describe("bytes"))),
        None => (text.len() > MAX_WORKFLOW_BYTES).then(|| format!("{} bytes", text.len())),
    };
    if let Some(size) = size {
        problems.push(
            Diagnostic::new(
                "pipeline-too-large",
                crate::emit::jobs_section(plan),
                format!("the GitHub workflow would be {size}; GitHub does not start a workflow file over {MAX_WORKFLOW_BYTES}"),
            )
            .at_key()
            .label("too many builds and jobs for one workflow")
            .help("split the model into several models (one workflow each)"),
        );
    }
    problems
}

/// The length of the longest `${{ … }}` in `text` (what is between the braces) and where it
/// starts. A model's own `${{` is written as `${{ '${{' }}`, which is short.
fn longest_expression(text: &str) -> Option<(usize, usize)> {
    let mut longest: Option<(usize, usize)> = None;
    let mut from = 0;
    while let Some(start) = text[from..].find("${{") {
        let inside = from + start + 3;
        let Some(end) = text[inside..].find("}}") else { break };
        if longest.is_none_or(|(length, _)| end > length) {
            longest = Some((end, inside));
        }
        from = inside + end + 2;
    }
    longest
}

/// The plan's job whose entry under `jobs:` holds the offset `at` of the rendered workflow.
fn job_at(plan: &Plan, text: &str, at: usize) -> Option<JobId> {
    let jobs = text.find("\njobs:\n")?;
    if at < jobs {
        return None;
    }
    // Each job's entry starts with its id, indented by two spaces, on a line of its own (`? ` before
    // an id too long for a plain key).
    let mut end = at;
    loop {
        let line = text[jobs..end].rfind('\n').map(|i| jobs + i + 1)?;
        let entry = &text[line..];
        if let Some(key) = entry.strip_prefix("  ")
            && !key.starts_with(' ')
        {
            let key = key.strip_prefix("? ").unwrap_or(key);
            let id: String = key.chars().take_while(|c| *c != ':' && *c != '\n').collect();
            return plan.job_ids().into_iter().find(|job| names::id(job) == id);
        }
        end = line.checked_sub(1)?;
    }
}

/// A job without an `image` runs on the runner itself, and GitHub maps each service's port to
/// the same port of the runner (`ports: [5432:5432]`): two services on one port cannot both
/// start ("port is already allocated"). In a job's container each service has its own address.
fn port_clashes(run: &crate::plan::Run, problems: &mut Vec<Diagnostic>) {
    let mut first_on: HashMap<u16, (usize, &str)> = HashMap::new();
    for (i, service) in run.services.iter().enumerate() {
        if let Some((first, alias)) = first_on.get(&service.port) {
            let at = ModelPath::keys(["jobs", run.job.as_str(), "services"]);
            problems.push(
                Diagnostic::new(
                    "port-clash",
                    at.index(i),
                    format!(
                        "GitHub limit: job `{}` has no `image`, so its services publish their ports on the runner, and `{}` and `{alias}` both use port {}",
                        run.job, service.alias, service.port
                    ),
                )
                .label("second service on the port")
                .related(at.index(*first), "the first")
                .help("give the job an `image` (each service then has its own address), or run the services on different ports"),
            );
        } else {
            first_on.insert(service.port, (i, service.alias.as_str()));
        }
    }
}

/// A timeout diagnostic at the `timeout` value that causes it, when the model writes one; at
/// the job or image otherwise (a default timeout with retries or service waits).
fn at_timeout(diagnostic: Diagnostic, written: bool) -> Diagnostic {
    if written { diagnostic.at_value_of("timeout") } else { diagnostic }
}

/// `diagnostic`, said as a GitHub limit of the job `id`, with its fix.
fn over(id: &JobId, diagnostic: Diagnostic, fix: &str) -> Diagnostic {
    let message = format!("GitHub limit: {} ({id}): {}", names::display(id), diagnostic.message);
    Diagnostic { message, ..diagnostic }.at_key().label("over a GitHub limit").help(fix.to_string())
}
