//! `pipegen emit`: print one pipeline, or write every output file.

use std::path::Path;

use crate::emit::{self, Target};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::outputs;
use crate::workspace::Workspace;

pub fn run(model: Option<&Path>, target: Option<Target>) -> Result<ExitStatus, Error> {
    let workspace = Workspace::locate(model)?;
    let (loaded, plan) = workspace.plan()?;
    if let Some(target) = target {
        super::print_stdout(&emit::render(&plan, target));
        return Ok(ExitStatus::Success);
    }
    let files = outputs::expected(&loaded.model, &plan);
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "{} lists no `outputs`; add `outputs: {{ gitlab: .gitlab-ci.yml }}` to the model, or print one pipeline with --target gitlab|github",
            workspace.model_arg.display()
        )));
    }
    // Everything is rendered before anything is written.
    for file in &files {
        let path = workspace.path(&file.path);
        outputs::write_atomically(&path, &file.content)
            .map_err(|source| Error::Write { path: path.clone(), source })?;
        eprintln!("pipegen: wrote {} ({})", file.path, file.target);
    }
    Ok(ExitStatus::Success)
}
