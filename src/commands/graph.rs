//! `pipegen graph`: the image graph as Mermaid or dot.

use std::path::Path;

use crate::error::Error;
use crate::exit::ExitStatus;
use crate::graph_render::{self, GraphFormat};
use crate::workspace::Workspace;

pub fn run(model: Option<&Path>, format: GraphFormat) -> Result<ExitStatus, Error> {
    let workspace = Workspace::locate(model)?;
    let (_, plan) = workspace.plan_without_limits()?;
    super::print_stdout(&graph_render::render(&plan, format))?;
    Ok(ExitStatus::Success)
}
