//! `pipegen plan`: what a pipeline would rebuild for some changed paths, why, and which jobs run.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::changes::{self, BuildVerdict, Reason};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::git;
use crate::plan::Plan;
use crate::workspace::Workspace;

use super::OutputFormat;

#[derive(Serialize)]
struct JobLine {
    /// The job, platform-neutral: `run qa [ruby=3.2]`.
    id: String,
    stage: String,
    shards: Option<u32>,
    needs: Vec<String>,
}

#[derive(Serialize)]
struct Report {
    changed: Vec<String>,
    builds: Vec<BuildVerdict>,
    jobs: Vec<JobLine>,
}

/// Where the changed paths come from.
pub enum ChangedPaths {
    /// Given on the command line (relative to the current directory or the repository root).
    Given(Vec<PathBuf>),
    /// From git: uncommitted changes, or everything since a revision.
    Git { since: Option<String> },
}

pub fn run(model: Option<&Path>, changed: ChangedPaths, format: OutputFormat) -> Result<ExitStatus, Error> {
    let workspace = Workspace::locate(model)?;
    let (_, plan) = workspace.plan_without_limits()?;
    let (changed, origin) = match changed {
        ChangedPaths::Given(paths) => {
            (paths.iter().map(|p| repository_path(&workspace, p)).collect(), "given".to_string())
        }
        ChangedPaths::Git { since } => {
            let origin = match &since {
                Some(rev) => format!("changed since {rev}"),
                None => "uncommitted changes".to_string(),
            };
            (git::changed_paths(&workspace.root, since.as_deref())?, origin)
        }
    };
    let report = Report { builds: changes::verdicts(&plan, &changed), jobs: jobs(&plan), changed };
    match format {
        OutputFormat::Json => {
            super::print_stdout(&format!("{}\n", serde_json::to_string_pretty(&report).expect("a plan serializes")))
        }
        OutputFormat::Text => super::print_stdout(&text(&report, &origin)),
    }
    Ok(ExitStatus::Success)
}

/// A path as the model writes paths: relative to the repository root, with `/`.
fn repository_path(workspace: &Workspace, path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    crate::workspace::slash_path(absolute.strip_prefix(&workspace.root).unwrap_or(path))
}

fn jobs(plan: &Plan) -> Vec<JobLine> {
    plan.runs
        .iter()
        .map(|r| JobLine {
            id: r.id().to_string(),
            stage: r.stage.clone(),
            shards: r.shards,
            needs: r.needs.iter().map(|n| n.job.to_string()).collect(),
        })
        .collect()
}

fn reason_text(reason: &Reason) -> String {
    match reason {
        Reason::Changed { path, via } => format!("{path} changed ({via})"),
        Reason::Parent { id } => format!("parent {id} is rebuilt"),
        Reason::CommitTag => "tagged by commit: built in every pipeline".to_string(),
    }
}

fn text(report: &Report, origin: &str) -> String {
    let mut out = format!("Changed paths ({}, {origin}):\n", report.changed.len());
    for path in &report.changed {
        out.push_str(&format!("  {path}\n"));
    }
    let width = report.builds.iter().map(|b| b.id.len()).max().unwrap_or(0);
    let (rebuilt, reused): (Vec<&BuildVerdict>, Vec<&BuildVerdict>) = report.builds.iter().partition(|b| b.rebuilt);
    out.push_str(&format!("\nRebuilt ({}):\n", rebuilt.len()));
    for build in rebuilt {
        let reasons: Vec<String> = build.reasons.iter().map(reason_text).collect();
        out.push_str(&format!("  {:width$}  {}\n", build.id, reasons.join("; ")));
    }
    out.push_str(&format!("\nReused, already in the registry when built before ({}):\n", reused.len()));
    for build in reused {
        out.push_str(&format!("  {}\n", build.id));
    }
    out.push_str(&format!("\nJobs, all run in every pipeline ({}):\n", report.jobs.len()));
    let width = report.jobs.iter().map(|j| j.id.len()).max().unwrap_or(0);
    for job in &report.jobs {
        let shards = job.shards.map(|n| format!(", {n} shards")).unwrap_or_default();
        out.push_str(&format!("  {:width$}  stage {}{shards}; needs {}\n", job.id, job.stage, needs_text(&job.needs)));
    }
    out
}

fn needs_text(needs: &[String]) -> String {
    if needs.is_empty() { "nothing".to_string() } else { needs.join(", ") }
}
