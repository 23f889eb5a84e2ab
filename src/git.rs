//! The few git questions pipegen asks, by running git (I/O at the edge).

use std::path::Path;
use std::process::Command;

use std::collections::HashMap;

use crate::content_tags::{self, TreeFacts};
use crate::dockerignore::{Builder, IgnoreErrors, IgnoreFile};
use crate::error::Error;
use crate::plan::Plan;
use crate::plan::recipe::Glob;

mod objects;

pub use objects::{blobs, objects};

/// The empty tree's id in a SHA-1 repository (whose commit ids have 40 digits); a SHA-256
/// repository's is asked of git.
pub const EMPTY_TREE_SHA1: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

fn git(root: &Path) -> Command {
    let mut command = Command::new("git");
    command.current_dir(root);
    command
}

fn run(command: Command, what: &str) -> Result<String, Error> {
    run_bytes(command, what).map(|stdout| String::from_utf8_lossy(&stdout).into_owned())
}

fn run_bytes(mut command: Command, what: &str) -> Result<Vec<u8>, Error> {
    let output = command.output().map_err(|e| Error::Git(format!("cannot run git to {what}: {e}")))?;
    if !output.status.success() {
        return Err(Error::Git(format!("git could not {what}: {}", why_git_failed(&output.stderr))));
    }
    Ok(output.stdout)
}

/// What git said when it failed, without the usage text some commands append to it (dozens of
/// option lines that bury the one that says what is wrong).
fn why_git_failed(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let said: Vec<&str> = text.lines().take_while(|line| !line.starts_with("usage: ")).collect();
    said.join("\n").trim().to_string()
}

/// Stops with a clear error when `root` is in no git repository: the commands that read the
/// model's files from git history have nothing to read there.
pub fn require_repository(root: &Path) -> Result<(), Error> {
    let mut command = git(root);
    command.args(["rev-parse", "--git-dir"]);
    match command.output() {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => Err(Error::Git(format!(
            "{} is in no git repository that git can use ({}); this command reads the files the model names from \
             git: run it in the repository the model describes",
            root.display(),
            why_git_failed(&output.stderr)
        ))),
        Err(e) => Err(Error::Git(format!("cannot run git, which this command reads the repository with: {e}"))),
    }
}

/// The files git tracks (in the index) named `name`, at any depth, repository-relative; `None`
/// when `root` is in no repository or git cannot be run or refuses it (an unsafe owner, say):
/// the caller then reads the working tree alone.
pub fn tracked_named(root: &Path, name: &str) -> Option<Vec<String>> {
    if !root.join(".git").exists() {
        return None;
    }
    let mut command = git(root);
    command.args(["ls-files", "-z", "--"]).arg(format!(":(glob,top)**/{name}"));
    Some(nul_separated(&run_bytes(command, "list tracked files").ok()?))
}

/// The files git tracks (in the index: committed or staged) whose name ends in one of `suffixes`
/// (`.dockerignore`), at any depth, repository-relative; `None` when `root` is in no repository
/// or git cannot be run or refuses it: the caller then reads the working tree alone. One
/// `git ls-files` answers for every suffix, whatever the number of builds.
pub fn tracked_ending(root: &Path, suffixes: &[&str]) -> Option<Vec<String>> {
    if !root.join(".git").exists() {
        return None;
    }
    let mut command = git(root);
    command.args(["ls-files", "-z", "--"]);
    for suffix in suffixes {
        command.arg(format!(":(glob,top)**/*{suffix}"));
    }
    Some(nul_separated(&run_bytes(command, "list tracked files").ok()?))
}

/// The commit SHA `rev` names.
pub fn commit(root: &Path, rev: &str) -> Result<String, Error> {
    require_repository(root)?;
    if rev.trim().is_empty() {
        return Err(Error::Git(
            "an empty revision names no commit: give a branch, a tag or a commit id (HEAD~1, origin/main, v1.2)"
                .to_string(),
        ));
    }
    let mut command = git(root);
    command.args(["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")]);
    match run(command, "read a commit") {
        Ok(id) if !id.trim().is_empty() => Ok(id.trim().to_string()),
        _ if rev == "HEAD" && answer(root, &["rev-list", "-n", "1", "--all"]).is_some() => Err(Error::Git(format!(
            "HEAD of the repository at {} is a branch with no commit yet (its other branches have some): \
             commit the model and the files it names, or check out a branch that has commits",
            root.display()
        ))),
        _ if rev == "HEAD" => Err(Error::Git(format!(
            "the repository at {} has no commit yet: commit the model and the files it names first",
            root.display()
        ))),
        _ if answer(root, &["rev-parse", "--is-shallow-repository"]).as_deref() == Some("true") => {
            Err(Error::Git(format!(
                "`{rev}` names no commit in the repository at {}, a shallow clone: the commit may be older \
                 than the history it fetched; fetch more (`git fetch --unshallow`, or a larger `GIT_DEPTH` on \
                 GitLab, `fetch-depth: 0` on GitHub)",
                root.display()
            )))
        }
        _ => Err(Error::Git(format!(
            "`{rev}` names no commit in the repository at {}: give a branch, a tag or a commit id (HEAD~1, \
             origin/main, v1.2)",
            root.display()
        ))),
    }
}

/// What git prints for `args` in `root`, trimmed, when it succeeds and prints something.
fn answer(root: &Path, args: &[&str]) -> Option<String> {
    let mut command = git(root);
    command.args(args);
    run(command, "ask git").ok().map(|out| out.trim().to_string()).filter(|out| !out.is_empty())
}

/// The repository's list of submodules.
const GITMODULES: &str = ".gitmodules";

/// How `git diff-tree -r <empty tree> <tree>` starts the line of a gitlink (a submodule).
const GITLINK_ADDED: &str = ":000000 160000 ";

/// A glob and the files it matches.
type GlobListing = (String, Vec<String>);

/// Every object id and glob listing the recipes of a plan ask for, at `commit`: one
/// `git cat-file --batch-check` for all paths, one `git diff-tree` per glob whose directory
/// exists, and in a repository with `.gitmodules` one more per glob of several components for
/// the gitlinks it reaches (the commands the pipeline's script runs, so both read the same
/// bytes), except what is already `known` at this commit (its objects and globs). A glob whose
/// directory is in a submodule lists its pinned commit, `commit <id>`.
pub fn tree_facts(
    root: &Path,
    commit: &str,
    paths: &[String],
    globs: &[Glob],
    known: &TreeFacts,
) -> Result<TreeFacts, Error> {
    let mut facts = TreeFacts::default();
    // Whether the repository has submodules whose gitlinks a glob may reach (see below).
    let mut paths = paths.to_vec();
    if !globs.is_empty() && !paths.iter().any(|p| p == GITMODULES) {
        paths.push(GITMODULES.to_string());
    }
    let (known_paths, new_paths): (Vec<&String>, Vec<&String>) =
        paths.iter().partition(|p| known.objects.contains_key(*p));
    let new_paths: Vec<String> = new_paths.into_iter().cloned().collect();
    let ids = objects(root, commit, &new_paths)?;
    facts.objects = new_paths.into_iter().zip(ids).collect();
    for path in known_paths {
        facts.objects.insert(path.clone(), known.objects[path].clone());
    }
    let (known_globs, globs): (Vec<&Glob>, Vec<&Glob>) =
        globs.iter().partition(|g| known.globs.contains_key(&g.pattern));
    for glob in known_globs {
        facts.globs.insert(glob.pattern.clone(), known.globs[&glob.pattern].clone());
    }
    if globs.is_empty() {
        return Ok(facts);
    }
    let empty_tree = if commit.len() == EMPTY_TREE_SHA1.len() {
        EMPTY_TREE_SHA1.to_string()
    } else {
        let mut command = git(root);
        command.args(["hash-object", "-t", "tree", "/dev/null"]);
        run(command, "name the empty tree")?.trim().to_string()
    };
    // A glob whose directory is a submodule or lies in one (`vendor/lib/**`) may match any of
    // its files: it is hashed by the submodule's pinned commit, the one line `commit <id>`.
    for glob in &globs {
        if let Some(pinned) = facts.objects.get(&glob.prefix).and_then(Option::as_deref)
            && pinned.starts_with("commit ")
        {
            facts.globs.insert(glob.pattern.clone(), vec![pinned.to_string()]);
        }
    }
    // Where `.gitmodules` is a file (the pipeline's script looks where a build reads a
    // submodule), each glob also lists the gitlinks it reaches without matching them
    // (`vendor/**/*.go` reaches `vendor/lib`): one git more per glob of several components.
    let reach_gitlinks =
        facts.objects.get(GITMODULES).and_then(Option::as_deref).is_some_and(|o| o.starts_with("blob "));
    // One git per glob, a few at a time: each lists only the subtree under the glob's directory.
    // Each glob's directory by its tree's id: its name may go through a symbolic link.
    let to_list: Vec<(&Glob, String)> = globs
        .iter()
        .filter_map(|g| {
            let object = facts.objects.get(&g.prefix).and_then(Option::as_deref)?;
            Some((*g, object.strip_prefix("tree ")?.to_string()))
        })
        .collect();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(to_list.len().max(1));
    let chunks: Vec<&[(&Glob, String)]> = to_list.chunks(to_list.len().div_ceil(workers).max(1)).collect();
    let results: Vec<Result<Vec<GlobListing>, Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let empty_tree = &empty_tree;
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|(glob, tree)| {
                            // What the tree holds under `pathspecs`, as added to the empty tree.
                            let listed = |pathspecs: &[String], what: String| {
                                let mut command = git(root);
                                command
                                    .args(["-c", "core.quotePath=true", "diff-tree", "-r", "--no-renames"])
                                    .args([empty_tree.as_str(), tree.as_str(), "--"])
                                    .args(pathspecs);
                                run(command, &what)
                            };
                            let text = listed(&[glob.pathspec()], format!("list the files of {}", glob.pattern))?;
                            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
                            let reach = if reach_gitlinks { glob.reach_pathspecs() } else { Vec::new() };
                            if !reach.is_empty() {
                                let text = listed(&reach, format!("list the submodules {} reaches", glob.pattern))?;
                                lines.extend(text.lines().filter(|l| l.starts_with(GITLINK_ADDED)).map(str::to_string));
                            }
                            Ok((glob.pattern.clone(), lines))
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

/// For each context (and Dockerfile) of a content-tagged build of `plan` whose ignore file
/// applies when `builder` builds (see [`content_tags::ignore_file`]), the listing lines of the
/// files the build receives, from the trees `facts` names. Each ignore file is read and each
/// context listed once; every problem of every refused ignore file is reported together.
pub fn sent_files(
    root: &Path,
    plan: &Plan,
    builder: Builder,
    facts: &TreeFacts,
) -> Result<HashMap<(String, String), Vec<String>>, Error> {
    let mut sent = HashMap::new();
    let mut ignore_files: HashMap<String, Result<IgnoreFile, IgnoreErrors>> = HashMap::new();
    let mut listings: HashMap<String, Vec<String>> = HashMap::new();
    for recipe in plan.builds.iter().filter_map(|b| b.recipe()) {
        let Some((context, dockerfile)) = recipe.context() else { continue };
        let key = (context.to_string(), dockerfile.to_string());
        if sent.contains_key(&key) {
            continue;
        }
        let Some((path, id)) = content_tags::ignore_file(facts, builder, context, dockerfile) else { continue };
        if !ignore_files.contains_key(&path) {
            let mut command = git(root);
            command.args(["cat-file", "blob", &id]);
            let bytes = run_bytes(command, &format!("read {path}"))?;
            ignore_files.insert(path.clone(), IgnoreFile::parse(&path, &bytes, builder));
        }
        let Ok(ignore) = &ignore_files[&path] else { continue };
        if !listings.contains_key(context) {
            // The context's tree by its id: its name may go through a symbolic link.
            let Some(tree) =
                facts.objects.get(context).and_then(Option::as_deref).and_then(|o| o.strip_prefix("tree "))
            else {
                continue;
            };
            let mut command = git(root);
            command.args(["-c", "core.quotePath=true", "ls-tree", "-r", tree]);
            let text = run(command, &format!("list the files of {context}"))?;
            listings.insert(context.to_string(), text.lines().map(str::to_string).collect());
        }
        sent.insert(key, content_tags::sent_lines(ignore, &listings[context]));
    }
    let mut refused: Vec<_> = ignore_files.into_values().filter_map(Result::err).flat_map(|e| e.0).collect();
    if !refused.is_empty() {
        refused.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        return Err(Error::Ignore(IgnoreErrors(refused)));
    }
    Ok(sent)
}

/// The bytes of every Dockerfile of a content-tagged build of `plan` that is a file at the
/// commit (`facts` holds their object ids), all read by one `git cat-file --batch`: a
/// repository of a thousand images has a thousand Dockerfiles.
pub fn dockerfiles(root: &Path, plan: &Plan, facts: &TreeFacts) -> Result<HashMap<String, Vec<u8>>, Error> {
    let mut wanted: Vec<(String, String)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for recipe in plan.builds.iter().filter_map(|b| b.recipe()) {
        let Some(upstream) = recipe.upstream() else { continue };
        if !seen.insert(upstream.dockerfile.clone()) {
            continue;
        }
        let object = facts.objects.get(&upstream.dockerfile).cloned().flatten();
        let Some(id) = object.as_deref().and_then(|o| o.strip_prefix("blob ")) else { continue };
        wanted.push((upstream.dockerfile.clone(), id.to_string()));
    }
    let ids: Vec<String> = wanted.iter().map(|(_, id)| id.clone()).collect();
    let contents = blobs(root, &ids)?;
    Ok(wanted.into_iter().map(|(path, _)| path).zip(contents).collect())
}

/// The working tree (tracked files as they are now, and untracked ones `.gitignore` does not
/// exclude) as a git tree, through a private copy of the index so that the user's index is left
/// alone. Like `git stash`, this writes the changed files' blobs into the object store, where
/// nothing refers to them (`git gc` removes them). Returns the commit `HEAD` names when the tree is
/// HEAD's, so commit tags stay those of HEAD.
pub fn working_tree(root: &Path) -> Result<String, Error> {
    let mut command = git(root);
    command.args(["rev-parse", "--git-path", "index"]);
    let index = root.join(run(command, "find the index")?.trim());
    let private =
        tempfile::NamedTempFile::new().map_err(|e| Error::Git(format!("cannot create a temporary index: {e}")))?;
    if index.is_file() {
        copy_index(&index, private.path()).map_err(|e| Error::Git(format!("cannot copy the index: {e}")))?;
    }
    let mut add = git(root);
    add.env("GIT_INDEX_FILE", private.path()).args(["add", "--all", "--", "."]);
    run(add, "read the working tree")?;
    let mut write = git(root);
    write.env("GIT_INDEX_FILE", private.path()).args(["write-tree"]);
    let tree = run(write, "write the working tree")?.trim().to_string();
    let mut head = git(root);
    head.args(["rev-parse", "--verify", "--quiet", "HEAD^{tree}"]);
    if run(head, "read HEAD").ok().is_some_and(|t| t.trim() == tree) {
        return commit(root, "HEAD");
    }
    Ok(tree)
}

/// A copy of the index that git reads as it reads the index itself. Git trusts an entry whose
/// file has the size and modification time it recorded, unless that time is not older than the
/// index file's own ("racily clean": the file may have changed in the same clock tick after the
/// index was written), whose content it then compares. A copy made now would make every entry
/// older than its index and hide such a change: a file rewritten with the same size within one
/// tick of `git add` would keep its old blob. So the copy keeps the index's modification time.
fn copy_index(index: &Path, copy: &Path) -> std::io::Result<()> {
    std::fs::copy(index, copy)?;
    let modified = std::fs::metadata(index)?.modified()?;
    std::fs::File::options().write(true).open(copy)?.set_modified(modified)
}

/// The file at `path` in `rev` (a commit), or `None` when `rev` has no such file.
pub fn file_at(root: &Path, rev: &str, path: &str) -> Result<Option<String>, Error> {
    let ids = objects(root, rev, &[path.to_string()])?;
    match ids.first().cloned().flatten() {
        Some(object) if object.starts_with("blob ") => {
            let mut command = git(root);
            command.args(["cat-file", "blob", &object["blob ".len()..]]);
            let bytes = run_bytes(command, &format!("read {path} at {rev}"))?;
            Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
        }
        _ => Ok(None),
    }
}

/// The files under `path` whose content differs between two tree-ishes, repository-relative.
pub fn changed_files(root: &Path, old: &str, new: &str, path: &str) -> Result<Vec<String>, Error> {
    let mut command = git(root);
    command.args(["diff-tree", "-r", "-z", "--no-renames", "--name-only", old, new, "--"]);
    command.arg(if path == "." { ":/" } else { path });
    Ok(nul_separated(&run_bytes(command, &format!("compare {path}"))?))
}

/// Paths changed since `commit` (committed, staged, unstaged and untracked; with HEAD's id, the
/// uncommitted changes of the working tree).
pub fn changed_paths(root: &Path, commit: &str) -> Result<Vec<String>, Error> {
    let mut paths = Vec::new();
    let mut diff = git(root);
    diff.args(["diff", "-z", "--name-only", "--no-renames", commit, "--"]);
    paths.extend(nul_separated(&run_bytes(diff, "list changed files")?));
    let mut untracked = git(root);
    untracked.args(["ls-files", "-z", "--others", "--exclude-standard"]);
    paths.extend(nul_separated(&run_bytes(untracked, "list untracked files")?));
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// The paths of git's `-z` output, each as it is named (`-z` quotes none of them: a name with a
/// newline, a tab, a quote or a non-ASCII letter stays itself).
fn nul_separated(listed: &[u8]) -> Vec<String> {
    listed
        .split(|b| *b == 0)
        .filter(|path| !path.is_empty())
        .map(|path| String::from_utf8_lossy(path).into_owned())
        .collect()
}

/// Every file HEAD's tree, the index or the working tree holds (tracked, or untracked and not
/// ignored: what `git add --all` would add), each with whether it is a submodule;
/// repository-relative, sorted, once each. `None` when `root` is in no repository that git can
/// use. Before the first commit, the index and the working tree.
pub fn known_files(root: &Path) -> Option<Vec<(String, bool)>> {
    const GITLINK: &str = "160000 ";
    let listed = |args: &[&str]| -> Option<Vec<String>> {
        let mut command = git(root);
        command.args(args);
        run_bytes(command, "list files").ok().map(|out| nul_separated(&out))
    };
    // `<mode> <type> <id>\t<path>` and `<mode> <id> <stage>\t<path>`: the mode, then the path.
    let with_mode = |line: String| match line.split_once('\t') {
        Some((info, path)) => (path.to_string(), info.starts_with(GITLINK)),
        None => (line, false),
    };
    let mut files: Vec<(String, bool)> =
        listed(&["ls-files", "-z", "-s", "--full-name", "--", ":/"])?.into_iter().map(with_mode).collect();
    if let Some(head) = listed(&["ls-tree", "-r", "-z", "--full-tree", "HEAD"]) {
        files.extend(head.into_iter().map(with_mode));
    }
    files.extend(
        listed(&["ls-files", "-z", "--others", "--exclude-standard", "--full-name", "--", ":/"])?
            .into_iter()
            .map(|p| (p, false)),
    );
    files.sort();
    files.dedup();
    Some(files)
}
