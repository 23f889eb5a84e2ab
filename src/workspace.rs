//! Where a model lives: its file, and the repository root every path in it is relative to.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::model::{self, LoadedModel};
use crate::plan::{self, Plan};

/// The model file pipegen reads without `--model`.
pub const DEFAULT_MODEL: &str = "pipegen.yaml";

/// `path` written as models write paths: components joined by `/` whatever the platform.
pub fn slash_path(path: &Path) -> String {
    path.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// A model file and its repository.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The model file as the user named it (for messages they can click).
    pub model_arg: PathBuf,
    /// The repository root: the enclosing git work tree, or the model's directory outside git.
    pub root: PathBuf,
    /// The model file relative to the root, with `/` separators (for headers).
    pub model_in_repo: String,
}

impl Workspace {
    pub fn locate(model: Option<&Path>) -> Result<Self, Error> {
        let model_arg = model.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(DEFAULT_MODEL));
        let absolute =
            std::path::absolute(&model_arg).map_err(|source| Error::Read { path: model_arg.clone(), source })?;
        if !absolute.is_file() {
            let hint = if model.is_none() {
                format!("no {DEFAULT_MODEL} here; pass --model PATH (docs/model.md describes the format)")
            } else {
                format!("no model file at {}", model_arg.display())
            };
            return Err(Error::Usage(hint));
        }
        let directory = absolute.parent().unwrap_or(Path::new("/")).to_path_buf();
        let root =
            directory.ancestors().find(|dir| dir.join(".git").exists()).map(Path::to_path_buf).unwrap_or(directory);
        let model_in_repo = slash_path(absolute.strip_prefix(&root).unwrap_or(&absolute));
        Ok(Workspace { model_arg, root, model_in_repo })
    }

    /// Read and check the model.
    pub fn load(&self) -> Result<LoadedModel, Error> {
        let text = std::fs::read_to_string(&self.model_arg)
            .map_err(|source| Error::Read { path: self.model_arg.clone(), source })?;
        Ok(model::load(&self.model_arg.display().to_string(), &text)?)
    }

    /// Read the model and plan its pipeline, without the platforms' limits: for the commands
    /// that only read the plan (`tags`, `plan`, `graph`), which a pipeline too large for a
    /// platform must not stop.
    pub fn plan_without_limits(&self) -> Result<(LoadedModel, Plan), Error> {
        let loaded = self.load()?;
        let plan = plan::build(&loaded, &self.model_in_repo)?;
        Ok((loaded, plan))
    }

    /// Read the model and plan its pipeline.
    pub fn plan(&self) -> Result<(LoadedModel, Plan), Error> {
        let loaded = self.load()?;
        let plan = plan::build(&loaded, &self.model_in_repo)?;
        // A pipeline a platform would refuse is never written: the platforms of the model's
        // outputs (every one when it lists none) are checked before anything is printed or written.
        let over_limits = crate::emit::check(&plan, &crate::emit::targets_of(&loaded.model));
        if !over_limits.is_empty() {
            return Err(crate::model::ModelErrors::new(loaded.source.clone(), over_limits).into());
        }
        Ok((loaded, plan))
    }

    /// A path of the model (relative to the root) on disk.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }
}
