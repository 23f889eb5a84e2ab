//! `pipegen check`: are the output files what `emit` would write?

use std::path::Path;

use crate::error::Error;
use crate::exit::ExitStatus;
use crate::outputs::{self, Freshness};
use crate::workspace::Workspace;

pub fn run(model: Option<&Path>, quiet: bool) -> Result<ExitStatus, Error> {
    let workspace = Workspace::locate(model)?;
    let (loaded, plan) = workspace.plan()?;
    let files = outputs::expected(&loaded.model, &plan);
    if files.is_empty() {
        return Err(Error::Usage(format!("{} lists no `outputs` to check", workspace.model_arg.display())));
    }
    let mut stale = Vec::new();
    let mut out = String::new();
    for file in &files {
        let path = workspace.path(&file.path);
        let freshness = outputs::freshness(file, &path).map_err(|source| Error::Read { path: path.clone(), source })?;
        match freshness {
            Freshness::Current => {}
            Freshness::Missing => {
                if quiet {
                    out.push_str(&format!("{}\n", file.path));
                } else {
                    // The contract: a unified diff per stale *or missing* file.
                    out.push_str(&format!(
                        "{} is missing ({} pipeline of {}):\n{}",
                        file.path,
                        file.target,
                        workspace.model_in_repo,
                        outputs::creation_diff(&file.content, &file.path)
                    ));
                }
                stale.push(file);
            }
            Freshness::Stale(diff) => {
                if quiet {
                    out.push_str(&format!("{}\n", file.path));
                } else {
                    out.push_str(&format!(
                        "{} is stale ({} pipeline of {}):\n{diff}",
                        file.path, file.target, workspace.model_in_repo
                    ));
                }
                stale.push(file);
            }
        }
    }
    if stale.is_empty() {
        return Ok(ExitStatus::Success);
    }
    if !quiet {
        out.push_str(&format!("\nTo update: pipegen emit --model {}\n", workspace.model_arg.display()));
    }
    super::print_stdout(&out);
    Ok(ExitStatus::Stale)
}
