//! The few git questions pipegen asks, by running git (I/O at the edge).

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use crate::error::Error;
use crate::shell::FILE_LINE_FORMAT;

fn git(root: &Path) -> Command {
    let mut command = Command::new("git");
    command.current_dir(root);
    command
}

fn run(mut command: Command, what: &str) -> Result<String, Error> {
    let output = command.output().map_err(|e| Error::Git(format!("cannot run git to {what}: {e}")))?;
    if !output.status.success() {
        return Err(Error::Git(format!("git could not {what}: {}", String::from_utf8_lossy(&output.stderr).trim())));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The commit SHA `rev` names.
pub fn commit(root: &Path, rev: &str) -> Result<String, Error> {
    let mut command = git(root);
    command.args(["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")]);
    Ok(run(command, &format!("find the commit {rev} (is {} a git repository with commits?)", root.display()))?
        .trim()
        .to_string())
}

/// The tree of one commit, listed through a private index like the pipeline does.
pub struct Tree<'a> {
    root: &'a Path,
    index: tempfile::TempDir,
    /// Listings already asked for: every variant of an image, and the per-build checks of
    /// `pipegen tags`, ask for the same pathspecs; one git run answers them all.
    listed: RefCell<HashMap<Vec<String>, Vec<String>>>,
}

impl<'a> Tree<'a> {
    pub fn read(root: &'a Path, rev: &str) -> Result<Self, Error> {
        let index = tempfile::tempdir().map_err(|e| Error::Git(format!("cannot create a temporary index: {e}")))?;
        let mut command = git(root);
        command.env("GIT_INDEX_FILE", index.path().join("index")).args(["read-tree", rev]);
        run(command, &format!("read the tree of {rev}"))?;
        Ok(Tree { root, index, listed: RefCell::new(HashMap::new()) })
    }

    /// `file <mode> <blob> <path>` for every file matched by `pathspecs`, sorted by path.
    pub fn files(&self, pathspecs: &[String]) -> Result<Vec<String>, Error> {
        if let Some(listed) = self.listed.borrow().get(pathspecs) {
            return Ok(listed.clone());
        }
        let mut command = git(self.root);
        command
            .env("GIT_INDEX_FILE", self.index.path().join("index"))
            .arg("ls-files")
            .arg(format!("--format={FILE_LINE_FORMAT}"))
            .arg("--")
            .args(pathspecs);
        let files: Vec<String> = run(command, "list files")?.lines().map(str::to_string).collect();
        self.listed.borrow_mut().insert(pathspecs.to_vec(), files.clone());
        Ok(files)
    }
}

/// Paths changed since `since` (committed, staged, unstaged and untracked), or, without
/// `since`, the uncommitted changes of the working tree.
pub fn changed_paths(root: &Path, since: Option<&str>) -> Result<Vec<String>, Error> {
    let mut paths = Vec::new();
    let mut diff = git(root);
    diff.args(["diff", "--name-only", "--no-renames", since.unwrap_or("HEAD")]);
    paths.extend(run(diff, "list changed files")?.lines().map(str::to_string));
    let mut untracked = git(root);
    untracked.args(["ls-files", "--others", "--exclude-standard"]);
    paths.extend(run(untracked, "list untracked files")?.lines().map(str::to_string));
    paths.sort();
    paths.dedup();
    Ok(paths)
}
