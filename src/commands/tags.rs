//! `pipegen tags`: the tag each image gets at a commit, by the pipeline's own rules.

use std::path::Path;

use serde::Serialize;

use crate::content_tags;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::git;
use crate::plan::{Plan, TagKind};
use crate::workspace::Workspace;

use super::OutputFormat;

#[derive(Serialize)]
struct TagLine {
    job: String,
    image: String,
    variant: String,
    kind: &'static str,
    tag: String,
    reference: String,
}

pub fn run(model: Option<&Path>, rev: &str, format: OutputFormat) -> Result<ExitStatus, Error> {
    let workspace = Workspace::locate(model)?;
    let (_, plan) = workspace.plan()?;
    let Some(tags) = &plan.tags else {
        if format == OutputFormat::Json {
            super::print_stdout("[]\n");
        }
        return Ok(ExitStatus::Success);
    };
    let commit = git::commit(&workspace.root, rev)?;
    let tree = git::Tree::read(&workspace.root, &commit)?;
    let computed = content_tags::compute(tags, &commit, |specs| tree.files(specs))?;
    for warning in missing_from_tree(&plan, &tree, &commit)? {
        eprintln!("pipegen: warning: {warning}");
    }
    let registry = std::env::var("PIPEGEN_REGISTRY").ok().filter(|r| !r.is_empty()).unwrap_or(plan.registry.clone());
    let lines: Vec<TagLine> = tags
        .tags
        .iter()
        .map(|t| {
            let tag = computed[&t.variable].clone();
            let job = plan.build_by_key(&t.key).map(|b| b.name.gitlab.clone()).unwrap_or_default();
            TagLine {
                job,
                image: t.image.clone(),
                variant: t.variant.describe(),
                kind: match t.kind {
                    TagKind::Content(_) => "content",
                    TagKind::Commit { .. } => "commit",
                },
                reference: format!("{registry}/{}:{tag}", t.image),
                tag,
            }
        })
        .collect();
    match format {
        OutputFormat::Json => {
            super::print_stdout(&format!("{}\n", serde_json::to_string_pretty(&lines).expect("tags serialize")))
        }
        OutputFormat::Text => {
            let width = lines.iter().map(|l| l.job.len()).max().unwrap_or(0);
            let text: String =
                lines.iter().map(|l| format!("{:width$}  {:7}  {}\n", l.job, l.kind, l.reference)).collect();
            super::print_stdout(&text);
        }
    }
    Ok(ExitStatus::Success)
}

/// What a build's context or Dockerfile is missing at the commit. The tag is still what the
/// pipeline would compute, but the build would fail, so say so.
fn missing_from_tree(plan: &Plan, tree: &git::Tree<'_>, commit: &str) -> Result<Vec<String>, Error> {
    let mut warnings = Vec::new();
    let short = &commit[..commit.len().min(12)];
    for build in &plan.builds {
        for (what, path) in [("dockerfile", &build.dockerfile), ("context", &build.context)] {
            let pathspec = format!(":(literal){path}");
            if tree.files(std::slice::from_ref(&pathspec))?.is_empty() {
                warnings.push(format!(
                    "{}: the {what} `{path}` holds no file git tracks at {short}; the build would fail",
                    build.name.gitlab
                ));
            }
        }
    }
    warnings.dedup();
    Ok(warnings)
}
