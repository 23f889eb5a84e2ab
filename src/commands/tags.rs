//! `pipegen tags`: the tag each image gets at a commit, by the pipeline's own recipe.

use std::path::Path;

use serde::Serialize;

use crate::content_tags;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::git;
use crate::plan::{Plan, TagMode};
use crate::workspace::Workspace;

use super::OutputFormat;

#[derive(Serialize)]
struct TagLine {
    /// The build, platform-neutral: `build base [ruby=3.2]`.
    id: String,
    image: String,
    variant: String,
    kind: &'static str,
    tag: String,
    reference: String,
}

pub fn run(model: Option<&Path>, rev: &str, format: OutputFormat) -> Result<ExitStatus, Error> {
    let workspace = Workspace::locate(model)?;
    let (_, plan) = workspace.plan_without_limits()?;
    if plan.builds.is_empty() {
        if format == OutputFormat::Json {
            super::print_stdout("[]\n");
        }
        return Ok(ExitStatus::Success);
    }
    let commit = git::commit(&workspace.root, rev)?;
    let (mut paths, globs) = content_tags::questions(&plan);
    // Commit-tagged builds hash nothing, but a missing Dockerfile is worth a warning for them too.
    for build in &plan.builds {
        paths.extend([build.context.clone(), build.dockerfile.clone()]);
    }
    paths.sort();
    paths.dedup();
    let facts = git::tree_facts(&workspace.root, &commit, &paths, &globs)?;
    let computed = content_tags::compute(&plan, &commit, &facts);
    for warning in missing_from_tree(&plan, &facts, &commit) {
        eprintln!("pipegen: warning: {warning}");
    }
    let registry = std::env::var("PIPEGEN_REGISTRY").ok().filter(|r| !r.is_empty()).unwrap_or(plan.registry.clone());
    let lines: Vec<TagLine> = plan
        .builds
        .iter()
        .zip(computed)
        .map(|(build, (_, tag))| TagLine {
            id: build.id().to_string(),
            image: build.this.id.image.clone(),
            variant: build.this.id.variant.describe(),
            kind: match build.this.tag {
                TagMode::Content => "content",
                TagMode::Commit { .. } => "commit",
            },
            reference: format!("{registry}/{}:{tag}", build.this.id.image),
            tag,
        })
        .collect();
    match format {
        OutputFormat::Json => {
            super::print_stdout(&format!("{}\n", serde_json::to_string_pretty(&lines).expect("tags serialize")))
        }
        OutputFormat::Text => {
            let width = lines.iter().map(|l| l.id.len()).max().unwrap_or(0);
            let text: String =
                lines.iter().map(|l| format!("{:width$}  {:7}  {}\n", l.id, l.kind, l.reference)).collect();
            super::print_stdout(&text);
        }
    }
    Ok(ExitStatus::Success)
}

/// What a build's context or Dockerfile is missing at the commit. The tag is still what the
/// pipeline would compute, but the build would fail, so say so.
fn missing_from_tree(plan: &Plan, facts: &content_tags::TreeFacts, commit: &str) -> Vec<String> {
    let mut warnings = Vec::new();
    let short = &commit[..commit.len().min(12)];
    for build in &plan.builds {
        for (what, path) in [("dockerfile", &build.dockerfile), ("context", &build.context)] {
            if facts.objects.get(path.as_str()).cloned().flatten().is_none() {
                warnings.push(format!(
                    "{}: the {what} `{path}` is not in git at {short}; the build would fail",
                    build.id()
                ));
            }
        }
    }
    warnings.dedup();
    warnings
}
