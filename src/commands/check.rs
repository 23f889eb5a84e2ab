//! `pipegen check`: are the output files what `emit` would write?

use std::path::Path;

use super::files::{self, OnDisk};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::model::{Diagnostic, ModelErrors, ModelPath};
use crate::outputs::{self, Freshness};
use crate::workspace::Workspace;

pub fn run(model: Option<&Path>, quiet: bool) -> Result<ExitStatus, Error> {
    let workspace = Workspace::locate(model)?;
    let (loaded, plan, mut rendered) = workspace.plan_rendered(None)?;
    let files = outputs::expected_from(&loaded.model, &plan, &mut rendered);
    if files.is_empty() {
        // An error, not a pass: a pre-commit hook or CI job that checks nothing would stay green
        // while the pipelines drift (after `outputs` was deleted, say). About the model, so
        // located in it, at its top level, where `outputs` belongs.
        let diagnostic = Diagnostic::new(
            "no-outputs",
            ModelPath::root(),
            "the model lists no `outputs`, so `pipegen check` has no files to compare",
        )
        .at_key()
        .label("no `outputs` in this mapping")
        .help("add the files `pipegen emit` writes, e.g. `outputs: { gitlab: .gitlab-ci.yml }`, or stop running `pipegen check` on this model");
        return Err(ModelErrors::new(loaded.source.clone(), vec![diagnostic]).into());
    }
    let paths = files::resolve(&workspace, &loaded, &plan, &files)?;
    let mut stale = 0;
    let mut out = String::new();
    for (file, path) in files.iter().zip(&paths) {
        let freshness = match files::read_output(path)? {
            OnDisk::Missing => Freshness::Missing,
            OnDisk::Bytes(bytes) => outputs::freshness(file, Some(&bytes)),
            OnDisk::TooLarge(size) => Freshness::StaleWithoutDiff(format!(
                "it is {size} bytes, more than pipegen compares ({} MiB)",
                files::MAX_OUTPUT_BYTES / 1024 / 1024
            )),
        };
        let report = match freshness {
            Freshness::Current => continue,
            // The contract: a unified diff per stale *or missing* file.
            Freshness::Missing => format!(
                "{} is missing ({} pipeline of {}):\n{}",
                file.path,
                file.target,
                workspace.model_in_repo,
                outputs::creation_diff(&file.content, &file.path)
            ),
            Freshness::Stale(diff) => {
                format!("{} is stale ({} pipeline of {}):\n{diff}", file.path, file.target, workspace.model_in_repo)
            }
            Freshness::StaleWithoutDiff(why) => format!(
                "{} is stale ({} pipeline of {}); no diff, because {why}\n",
                file.path, file.target, workspace.model_in_repo
            ),
        };
        stale += 1;
        if quiet {
            out.push_str(&format!("{}\n", file.path));
        } else {
            out.push_str(&report);
        }
    }
    if stale == 0 {
        return Ok(ExitStatus::Success);
    }
    if !quiet {
        out.push_str(&format!("\nTo update: pipegen emit --model {}\n", workspace.model_arg.display()));
    }
    super::print_stdout(&out)?;
    Ok(ExitStatus::Stale)
}
