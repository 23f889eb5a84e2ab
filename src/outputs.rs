//! The files `pipegen emit` writes and `pipegen check` compares: what they should contain, how
//! they differ, and writing them so that a reader never sees half a file.

use std::io::Write;
use std::path::Path;

use crate::emit::{self, Target};
use crate::model::Model;
use crate::plan::Plan;

/// One generated file.
#[derive(Debug, Clone)]
pub struct Output {
    pub target: Target,
    /// Relative to the repository root, as the model writes it.
    pub path: String,
    pub content: String,
}

/// Every file the model's `outputs` asks for, rendered.
pub fn expected(model: &Model, plan: &Plan) -> Vec<Output> {
    let wanted = [(Target::Gitlab, &model.outputs.gitlab), (Target::Github, &model.outputs.github)];
    wanted
        .into_iter()
        .filter_map(|(target, path)| {
            path.as_ref().map(|path| Output { target, path: path.clone(), content: emit::render(plan, target) })
        })
        .collect()
}

/// How a file on disk compares with what it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    Current,
    Missing,
    /// With a unified diff from the file on disk to what emit would write.
    Stale(String),
}

/// Compare `output` with the file at `on_disk`.
pub fn freshness(output: &Output, on_disk: &Path) -> std::io::Result<Freshness> {
    let existing = match std::fs::read_to_string(on_disk) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Freshness::Missing),
        Err(e) => return Err(e),
    };
    if existing == output.content {
        return Ok(Freshness::Current);
    }
    Ok(Freshness::Stale(unified_diff(&existing, &output.content, &output.path)))
}

/// A unified diff from `old` to `new`, both named after `path`.
pub fn unified_diff(old: &str, new: &str, path: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// A unified diff that creates `new` at `path`, for a file that does not exist yet.
pub fn creation_diff(new: &str, path: &str) -> String {
    similar::TextDiff::from_lines("", new)
        .unified_diff()
        .context_radius(3)
        .header("/dev/null", &format!("b/{path}"))
        .to_string()
}

/// Write `content` to `path` through a temporary file in the same directory and a rename, so
/// the file is either the old one or the new one, never a part. The file gets the permissions
/// any new file gets (0666 less the umask: 0644 under 022), not a temporary file's 0600.
pub fn write_atomically(path: &Path, content: &str) -> std::io::Result<()> {
    let directory = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(directory)?;
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The mode is given to open(2), which applies the umask.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut temporary = builder.tempfile_in(directory)?;
    temporary.write_all(content.as_bytes())?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|e| e.error)?;
    Ok(())
}
