//! `pipegen emit`: print one pipeline, or write every output file.

use std::path::Path;

use super::files;
use crate::emit::Target;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::outputs;
use crate::workspace::Workspace;

pub fn run(model: Option<&Path>, target: Option<Target>) -> Result<ExitStatus, Error> {
    let workspace = Workspace::locate(model)?;
    let (loaded, plan, mut rendered) = workspace.plan_rendered(target)?;
    if let Some(target) = target {
        super::print_stdout(&rendered.take(&plan, target))?;
        // The process ends next: its exit returns the memory at once, where dropping the plan
        // would free its allocations one by one.
        std::mem::forget((loaded, plan, rendered));
        return Ok(ExitStatus::Success);
    }
    let files = outputs::expected_from(&loaded.model, &plan, &mut rendered);
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "{} lists no `outputs`; add `outputs: {{ gitlab: .gitlab-ci.yml }}` to the model, or print one pipeline with --target gitlab|github",
            workspace.model_arg.display()
        )));
    }
    // Everything is rendered and every path checked before anything is written.
    let paths = files::resolve(&workspace, &loaded, &plan, &files)?;
    let writes: Vec<(std::path::PathBuf, &str)> =
        paths.into_iter().zip(&files).map(|(path, file)| (path, file.content.as_str())).collect();
    // A failed write is named as the model names the output, not by its resolved path.
    files::write_all(&writes).map_err(|error| match error {
        Error::Write { path, source } => match writes.iter().position(|(resolved, _)| *resolved == path) {
            Some(i) => Error::Write { path: files[i].path.clone().into(), source },
            None => Error::Write { path, source },
        },
        other => other,
    })?;
    for file in &files {
        super::print_stderr(&format!("pipegen: wrote {} ({})\n", file.path, file.target));
    }
    Ok(ExitStatus::Success)
}
