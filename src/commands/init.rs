//! `pipegen init [DIR]`: find the repository's Dockerfiles, infer a starting model, check it,
//! and write it to DIR/pipegen.yaml (or print it).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::Error;
use crate::exit::ExitStatus;
use crate::init::{self, infer, render};
use crate::model;
use crate::outputs;
use crate::plan;
use crate::workspace::DEFAULT_MODEL;

pub fn run(dir: &Path, force: bool, stdout: bool) -> Result<ExitStatus, Error> {
    if !dir.is_dir() {
        return Err(Error::Usage(format!("{} is not a directory", dir.display())));
    }
    let model_path = dir.join(DEFAULT_MODEL);
    if !stdout && !force && model_path.exists() {
        return Err(Error::Usage(format!(
            "{} exists; pass --force to replace it, or --stdout to print the inferred model instead",
            model_path.display()
        )));
    }
    let absolute = dir.canonicalize().map_err(|source| Error::Read { path: dir.to_path_buf(), source })?;
    // Model paths are relative to the repository root, found as `pipegen` finds it from the
    // model: the closest directory with `.git`, else the model's own directory.
    let root = absolute.ancestors().find(|d| d.join(".git").exists()).unwrap_or(&absolute).to_path_buf();
    let within = relative_path(&absolute, &root);

    let files = list_files(&root)?;
    let mut dockerfiles = Vec::new();
    for path in &files {
        let under_dir = within.is_empty() || path.starts_with(&format!("{within}/"));
        let file_name = path.rsplit('/').next().unwrap_or(path);
        if !under_dir || init::is_skipped(path) || !init::is_dockerfile_name(file_name) {
            continue;
        }
        let on_disk = root.join(path);
        if !on_disk.is_file() {
            continue; // tracked, but deleted from the working tree
        }
        let bytes = std::fs::read(&on_disk).map_err(|source| Error::Read { path: on_disk.clone(), source })?;
        dockerfiles.push((path.clone(), String::from_utf8_lossy(&bytes).into_owned()));
    }

    let directory_name = absolute.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let name = Some(init::sanitize_name(&directory_name)).filter(|n| !n.is_empty()).unwrap_or("images".to_string());
    let inference = infer::infer(infer::Input { name: &name, dockerfiles: &dockerfiles, files: &files });
    let text = render::render(&inference);
    // pipegen must accept what it writes, up to planning its pipeline; a model it rejects would
    // be a bug here, not the user's.
    let loaded = model::load(&model_path.display().to_string(), &text)?;
    plan::build(&loaded, DEFAULT_MODEL)?;

    for unresolved in &inference.unresolved {
        for reason in &unresolved.reasons {
            eprintln!("pipegen: not inferred: image `{}` ({}): {reason}", unresolved.name, unresolved.dockerfile);
        }
    }
    let summary = format!(
        "{} image(s) from {} Dockerfile(s){}",
        inference.model.images.len(),
        dockerfiles.len(),
        match inference.unresolved.len() {
            0 => String::new(),
            n => format!("; {n} not inferred, listed in it as comments"),
        }
    );
    if dockerfiles.is_empty() {
        eprintln!("pipegen: no Dockerfiles found under {}", dir.display());
    }
    if stdout {
        super::print_stdout(&text);
        eprintln!("pipegen: inferred {summary}");
    } else {
        outputs::write_atomically(&model_path, &text)
            .map_err(|source| Error::Write { path: model_path.clone(), source })?;
        eprintln!("pipegen: wrote {}: {summary}", model_path.display());
    }
    Ok(ExitStatus::Success)
}

/// `path` relative to `root`, with `/` separators (empty for the root itself).
fn relative_path(path: &Path, root: &Path) -> String {
    crate::workspace::slash_path(path.strip_prefix(root).unwrap_or(Path::new("")))
}

/// Every file of the repository, relative to its root, sorted: what git tracks or would track
/// (so `.gitignore` counts) in a git work tree, otherwise a walk that skips
/// [`init::SKIPPED_DIRECTORIES`].
fn list_files(root: &Path) -> Result<Vec<String>, Error> {
    if root.join(".git").exists() {
        match git_files(root) {
            Ok(files) => return Ok(files),
            Err(why) => eprintln!("pipegen: cannot list files with git ({why}); walking {} instead", root.display()),
        }
    }
    let mut files = Vec::new();
    let mut stack: Vec<PathBuf> = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| Error::Read { path: dir.clone(), source })?;
        for entry in entries {
            let entry = entry.map_err(|source| Error::Read { path: dir.clone(), source })?;
            let kind = entry.file_type().map_err(|source| Error::Read { path: entry.path(), source })?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else { continue };
            if kind.is_dir() {
                if !init::SKIPPED_DIRECTORIES.contains(&name.as_str()) {
                    stack.push(entry.path());
                }
            } else if kind.is_file() || kind.is_symlink() && entry.path().is_file() {
                let path = relative_path(&entry.path(), root);
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn git_files(root: &Path) -> Result<Vec<String>, String> {
    let output = Command::new("git")
        .current_dir(root)
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .output()
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_string());
    }
    let mut files: Vec<String> = output
        .stdout
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .filter_map(|p| std::str::from_utf8(p).ok().map(str::to_string))
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
}
