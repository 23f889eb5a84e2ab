//! What GitHub refuses, checked on the plan and the rendered workflow in one place, so a
//! workflow over a limit is never written. Source: GitHub docs, "Actions limits" (workflow file
//! size, job matrix) and "Usage limits" (job execution time on GitHub-hosted runners), and the
//! workflow syntax reference (job ids).

use std::collections::HashMap;

use super::names;
use crate::emit::Rendering;
use crate::model::{Diagnostic, ModelPath};
use crate::plan::{JobId, Plan};

/// A workflow file larger than 500 KB does not start runs.
pub const MAX_WORKFLOW_BYTES: usize = 512_000;
/// A job matrix generates at most this many jobs.
pub const MAX_MATRIX: u32 = 256;
/// A job on a GitHub-hosted runner runs for at most six hours.
pub const MAX_JOB_MINUTES: u64 = 360;

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
        if minutes > MAX_JOB_MINUTES {
            problems.push(over(
                &build.id(),
                Diagnostic::new(
                    "timeout-too-long",
                    build.id().origin(),
                    format!(
                        "a build may take {minutes} minutes (its image's `timeout: {}`); GitHub-hosted runners stop a job after {MAX_JOB_MINUTES}",
                        build.timeout
                    ),
                ),
                "set the image's `timeout` to at most 6h",
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
            problems.push(over(&id, Diagnostic::new("timeout-too-long", id.origin(),
                format!("its attempts, service waits and set-up may take {minutes} minutes; GitHub-hosted runners stop a job after {MAX_JOB_MINUTES}")),
                "shorten `timeout`, lower `retry`, or shorten the services' health timeouts",
            ));
        }
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
                ModelPath::keys(["images"]),
                format!("the GitHub workflow would be {size}; GitHub does not start a workflow file over {MAX_WORKFLOW_BYTES}"),
            )
            .at_key()
            .label("too many builds and jobs for one workflow")
            .help("split the model into several models (one workflow each)"),
        );
    }
    problems
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

/// `diagnostic`, said as a GitHub limit of the job `id`, with its fix.
fn over(id: &JobId, diagnostic: Diagnostic, fix: &str) -> Diagnostic {
    let message = format!("GitHub limit: {} ({id}): {}", names::display(id), diagnostic.message);
    Diagnostic { message, ..diagnostic }.at_key().label("over a GitHub limit").help(fix.to_string())
}
