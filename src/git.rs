//! The few git questions pipegen asks, by running git (I/O at the edge).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::content_tags::TreeFacts;
use crate::error::Error;
use crate::plan::recipe::Glob;

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

/// A glob and the files it matches.
type GlobListing = (String, Vec<String>);

/// Every object id and glob listing the recipes of a plan ask for, at `commit`: one
/// `git cat-file --batch-check` for all paths, one `git diff-tree` per glob whose directory
/// exists (the commands the pipeline's script runs, so both read the same bytes).
pub fn tree_facts(root: &Path, commit: &str, paths: &[String], globs: &[Glob]) -> Result<TreeFacts, Error> {
    let mut facts = TreeFacts::default();
    let ids = objects(root, commit, paths)?;
    facts.objects = paths.iter().cloned().zip(ids).collect();
    if globs.is_empty() {
        return Ok(facts);
    }
    let mut command = git(root);
    command.args(["hash-object", "-t", "tree", "/dev/null"]);
    let empty_tree = run(command, "name the empty tree")?.trim().to_string();
    // One git per glob, a few at a time: each lists only the subtree under the glob's directory.
    let listed: Vec<&Glob> = globs
        .iter()
        .filter(|g| facts.objects.get(&g.prefix).and_then(Option::as_deref).is_some_and(|o| o.starts_with("tree ")))
        .collect();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(listed.len().max(1));
    let chunks: Vec<&[&Glob]> = listed.chunks(listed.len().div_ceil(workers).max(1)).collect();
    let results: Vec<Result<Vec<GlobListing>, Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let empty_tree = &empty_tree;
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|glob| {
                            let mut command = git(root);
                            let tree = glob.tree(commit);
                            command.args([
                                "diff-tree",
                                "-r",
                                "--no-renames",
                                empty_tree,
                                &tree,
                                "--",
                                &glob.pathspec(),
                            ]);
                            let text = run(command, &format!("list the files of {}", glob.pattern))?;
                            Ok((glob.pattern.clone(), text.lines().map(str::to_string).collect()))
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a git worker does not panic")).collect()
    });
    for result in results {
        facts.globs.extend(result?);
    }
    for glob in globs {
        facts.globs.entry(glob.pattern.clone()).or_default();
    }
    Ok(facts)
}

/// `<type> <id>` of the object (tree or blob) at each path at `commit`, `None` where there is none.
pub fn objects(root: &Path, commit: &str, paths: &[String]) -> Result<Vec<Option<String>>, Error> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let mut input = String::new();
    for path in paths {
        input.push_str(&object_name(commit, path));
        input.push('\n');
    }
    let mut child = git(root)
        .args(["cat-file", "--batch-check=%(objecttype) %(objectname)"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Git(format!("cannot run git to look up paths: {e}")))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // Written from another thread: git answers while it reads, and a full pipe would block both.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().map_err(|e| Error::Git(format!("cannot run git to look up paths: {e}")))?;
    writer
        .join()
        .expect("the writer thread does not panic")
        .map_err(|e| Error::Git(format!("cannot feed git: {e}")))?;
    if !output.status.success() {
        return Err(Error::Git(format!(
            "git could not look up paths: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text.lines().map(|line| (!line.ends_with(" missing")).then(|| line.to_string())).collect())
}

/// `<commit>:<path>`, the root being `<commit>:`.
pub fn object_name(commit: &str, path: &str) -> String {
    let path = if path == "." { "" } else { path.trim_end_matches('/') };
    format!("{commit}:{path}")
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
