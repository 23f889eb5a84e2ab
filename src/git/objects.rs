//! Objects at a commit, read in batches: what path names which object, and blobs' contents.
//!
//! A path is resolved by reading each directory on its way once (one `git cat-file --batch` a
//! round, for every path at once), not by asking git for `<commit>:<path>` per path: git
//! resolves such a name by scanning every directory's entries from the root, so a thousand
//! images side by side in one directory cost a thousand entries per path looked up (1.3 s for
//! 5,000 paths), where reading the directory once costs its size.
//!
//! Symbolic links on the way are followed, as the builder's file system follows them in the
//! checkout: a Dockerfile that is a link to `../shared/Dockerfile` is built from that file, so
//! its tag must hash that file. The rules are git's own for `git cat-file --follow-symlinks`,
//! which the pipeline's script asks, so both name the same object. A link to a name the
//! repository lacks names nothing, like a missing path (git says `dangling`; the pipeline's
//! script also checks that the checkout lacks it, since git reads no `.` in a link's target).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use super::git;
use crate::error::Error;

/// An object `git cat-file --batch` printed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Object {
    id: String,
    kind: String,
    content: Vec<u8>,
}

/// An entry of a tree: what a name in a directory is.
#[derive(Debug, Clone)]
enum Entry {
    Tree(String),
    Blob(String),
    /// A symbolic link: a blob holding the path it points to.
    Link(String),
    /// A submodule's commit, whose objects are not in this repository (git calls the path and
    /// every path below it missing).
    Gitlink(String),
}

/// How many links one path may go through, as git (and Linux) count them.
const MAX_LINKS: u32 = 40;

/// Why a path that goes through a symbolic link names nothing git can hash, though the build's
/// file system finds something there (or fails).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Unfollowable {
    /// A link to an absolute path, or above the repository's root: what is left of the path.
    OutOfRepository(String),
    Loop,
}

/// Where one path ends.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// `tree <id>` or `blob <id>`.
    Object(String),
    Missing,
    /// Why, and the last link the path went through.
    Unfollowable(Unfollowable, String),
}

/// One path on its way: the directories from the root to where it is (their ids, and their
/// names below the root), and the rest of its name.
struct Walk {
    dirs: Vec<String>,
    names: Vec<Vec<u8>>,
    name: Vec<u8>,
    follows_left: u32,
    last_link: String,
}

/// What a walk waits for, or where it ended.
enum Step {
    Done(Outcome),
    Tree(String),
    Link(String),
}

/// Trees read so far by id, each as its entries by name.
type Trees = HashMap<String, HashMap<Vec<u8>, Entry>>;

impl Walk {
    /// Goes as far as the trees and links read so far allow.
    fn advance(&mut self, trees: &Trees, links: &HashMap<String, Vec<u8>>) -> Step {
        loop {
            let slashes = self.name.iter().take_while(|&&b| b == b'/').count();
            self.name.drain(..slashes);
            let here = self.dirs.last().expect("a walk starts at the root").clone();
            if self.name.is_empty() {
                return Step::Done(Outcome::Object(format!("tree {here}")));
            }
            let (first, rest) = match self.name.iter().position(|&b| b == b'/') {
                Some(slash) => (self.name[..slash].to_vec(), Some(self.name[slash + 1..].to_vec())),
                None => (self.name.clone(), None),
            };
            if first == b".." {
                if self.dirs.len() == 1 {
                    let outside = Unfollowable::OutOfRepository(String::from_utf8_lossy(&self.name).into_owned());
                    return Step::Done(Outcome::Unfollowable(outside, self.last_link.clone()));
                }
                self.dirs.pop();
                self.names.pop();
                self.name = rest.unwrap_or_default();
                continue;
            }
            let Some(tree) = trees.get(&here) else { return Step::Tree(here) };
            match tree.get(&first) {
                None => return Step::Done(Outcome::Missing),
                // The submodule's pinned commit stands for the gitlink and everything below it
                // (the checkout holds its files when the job checks submodules out), but only on
                // a path without links: the pipeline's script finds it among the path's literal
                // directories (`git ls-tree`), which no link leads through.
                Some(Entry::Gitlink(id)) => {
                    return Step::Done(if self.last_link.is_empty() {
                        Outcome::Object(format!("commit {id}"))
                    } else {
                        Outcome::Missing
                    });
                }
                Some(Entry::Tree(id)) => match rest {
                    None => return Step::Done(Outcome::Object(format!("tree {id}"))),
                    Some(rest) => {
                        self.dirs.push(id.clone());
                        self.names.push(first);
                        self.name = rest;
                    }
                },
                // A name below a file names nothing.
                Some(Entry::Blob(id)) => {
                    return Step::Done(match rest {
                        None => Outcome::Object(format!("blob {id}")),
                        Some(_) => Outcome::Missing,
                    });
                }
                Some(Entry::Link(id)) => {
                    let Some(target) = links.get(id) else { return Step::Link(id.clone()) };
                    let mut link = self.names.join(&b'/');
                    if !link.is_empty() {
                        link.push(b'/');
                    }
                    link.extend_from_slice(&first);
                    self.last_link = String::from_utf8_lossy(&link).into_owned();
                    if self.follows_left == 0 {
                        return Step::Done(Outcome::Unfollowable(Unfollowable::Loop, self.last_link.clone()));
                    }
                    self.follows_left -= 1;
                    if target.first() == Some(&b'/') {
                        let outside = Unfollowable::OutOfRepository(String::from_utf8_lossy(target).into_owned());
                        return Step::Done(Outcome::Unfollowable(outside, self.last_link.clone()));
                    }
                    // The target takes the link's place, read from the directory that holds it.
                    let mut name = target.clone();
                    if let Some(rest) = rest {
                        name.push(b'/');
                        name.extend_from_slice(&rest);
                    }
                    self.name = name;
                }
            }
        }
    }
}

/// `<type> <id>` of the object (tree or blob) at each path at `commit` (a commit or a tree),
/// `None` where there is none: what `git cat-file --batch-check='%(objecttype) %(objectname)'
/// --follow-symlinks` says of `<commit>:<path>`, except that a path at or below a submodule
/// (reached without links) names the submodule's commit, `commit <id>`, where git says
/// missing. `.` is the root; a trailing `/` names the same directory. A path through a symbolic link that leads out of the repository or round a loop
/// is an error, once for each such link: the build would read what git does not hold, or fail.
pub fn objects(root: &Path, commit: &str, paths: &[String]) -> Result<Vec<Option<String>>, Error> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let top = batch(root, &[format!("{commit}^{{tree}}")], "read the commit's tree")?;
    let Some(Some(top)) = top.into_iter().next() else {
        return Err(Error::Git(format!("git found no tree at {commit}")));
    };
    let hash_bytes = top.id.len() / 2;
    let mut trees: Trees = HashMap::new();
    let mut links: HashMap<String, Vec<u8>> = HashMap::new();
    trees.insert(top.id.clone(), parse_tree(&top.content, hash_bytes)?);
    let mut walks: Vec<Walk> = paths
        .iter()
        .map(|path| Walk {
            dirs: vec![top.id.clone()],
            names: Vec::new(),
            name: if path == "." { Vec::new() } else { path.as_bytes().to_vec() },
            follows_left: MAX_LINKS,
            last_link: String::new(),
        })
        .collect();
    let mut outcomes: Vec<Option<Outcome>> = vec![None; paths.len()];
    // Each round takes every path as far as it goes, then reads what they wait for, at once.
    loop {
        let mut wanted = Vec::new();
        for (walk, outcome) in walks.iter_mut().zip(outcomes.iter_mut()).filter(|(_, o)| o.is_none()) {
            match walk.advance(&trees, &links) {
                Step::Done(done) => *outcome = Some(done),
                Step::Tree(id) | Step::Link(id) => wanted.push(id),
            }
        }
        if wanted.is_empty() {
            break;
        }
        wanted.sort();
        wanted.dedup();
        for (id, object) in wanted.iter().zip(batch(root, &wanted, "read directories and links")?) {
            let object = object.ok_or_else(|| Error::Git(format!("git could not read the object {id}")))?;
            if object.kind == "tree" {
                trees.insert(id.clone(), parse_tree(&object.content, hash_bytes)?);
            } else {
                links.insert(id.clone(), object.content);
            }
        }
    }
    // Each link once, with the first path (in order) that goes through it.
    let mut unfollowable: std::collections::BTreeMap<String, (&String, Unfollowable)> = Default::default();
    let objects = paths
        .iter()
        .zip(outcomes)
        .map(|(path, outcome)| match outcome.expect("every walk ends") {
            Outcome::Object(object) => Some(object),
            Outcome::Missing => None,
            Outcome::Unfollowable(why, link) => {
                let first = unfollowable.entry(link).or_insert_with(|| (path, why.clone()));
                if path < first.0 {
                    *first = (path, why);
                }
                None
            }
        })
        .collect();
    if unfollowable.is_empty() {
        return Ok(objects);
    }
    let messages: Vec<String> =
        unfollowable.iter().map(|(link, (path, why))| unfollowable_message(path, link, commit, why)).collect();
    Err(Error::Git(messages.join("\nerror: ")))
}

/// Why a build's path cannot be hashed, and what to do.
fn unfollowable_message(path: &str, link: &str, commit: &str, why: &Unfollowable) -> String {
    let (path, link) = (path.escape_debug(), link.escape_debug());
    let commit = &commit[..commit.len().min(12)];
    match why {
        Unfollowable::OutOfRepository(outside) => format!(
            "`{path}` at {commit} goes through the symbolic link `{link}`, which leads out of the repository (to `{}`): the build would read what git does not hold, and no tag can hash it; make the link name a file or directory of the repository, relative to the link's own directory",
            outside.escape_debug()
        ),
        Unfollowable::Loop => format!(
            "`{path}` at {commit} goes through more than {MAX_LINKS} symbolic links (a loop, at `{link}`): the build cannot read it; make the links end at a file or directory"
        ),
    }
}

/// The entries of a tree object: `<mode> <name>\0<id>` each, the id in `hash_bytes` raw bytes.
fn parse_tree(mut content: &[u8], hash_bytes: usize) -> Result<HashMap<Vec<u8>, Entry>, Error> {
    let malformed = || Error::Git("git printed a directory in a form pipegen does not know".to_string());
    let mut entries = HashMap::new();
    while !content.is_empty() {
        let space = content.iter().position(|&b| b == b' ').ok_or_else(malformed)?;
        let nul = content.iter().position(|&b| b == 0).ok_or_else(malformed)?;
        let id = content.get(nul + 1..nul + 1 + hash_bytes).ok_or_else(malformed)?;
        let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
        let entry = match &content[..space] {
            b"40000" => Entry::Tree(id),
            b"120000" => Entry::Link(id),
            b"160000" => Entry::Gitlink(id),
            _ => Entry::Blob(id),
        };
        entries.insert(content.get(space + 1..nul).ok_or_else(malformed)?.to_vec(), entry);
        content = &content[nul + 1 + hash_bytes..];
    }
    Ok(entries)
}

/// The contents of the blobs `ids`, in their order, from one `git cat-file --batch`.
pub fn blobs(root: &Path, ids: &[String]) -> Result<Vec<Vec<u8>>, Error> {
    batch(root, ids, "read files")?
        .into_iter()
        .zip(ids)
        .map(|(object, id)| match object {
            Some(object) if object.kind == "blob" => Ok(object.content),
            Some(object) => Err(Error::Git(format!("the object {id} is a {}, not a file", object.kind))),
            None => Err(Error::Git(format!("git could not read the object {id}"))),
        })
        .collect()
}

/// What one `git cat-file --batch` prints for `names` (object ids or revision expressions),
/// `None` for a name that names nothing.
fn batch(root: &Path, names: &[String], what: &str) -> Result<Vec<Option<Object>>, Error> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut input = String::new();
    for name in names {
        input.push_str(name);
        input.push('\n');
    }
    let mut child = git(root)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Git(format!("cannot run git to {what}: {e}")))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // Written from another thread: git answers while it reads, and a full pipe would block both.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().map_err(|e| Error::Git(format!("cannot run git to {what}: {e}")))?;
    writer
        .join()
        .expect("the writer thread does not panic")
        .map_err(|e| Error::Git(format!("cannot feed git: {e}")))?;
    if !output.status.success() {
        return Err(Error::Git(format!("git could not {what}: {}", String::from_utf8_lossy(&output.stderr).trim())));
    }
    parse_batch(&output.stdout, names.len())
}

/// `git cat-file --batch` output for `count` names: per object `<id> <type> <size>\n<contents>\n`,
/// or `<name> missing\n` (or `ambiguous`).
fn parse_batch(mut out: &[u8], count: usize) -> Result<Vec<Option<Object>>, Error> {
    let malformed = || Error::Git("git cat-file --batch answered in a form pipegen does not know".to_string());
    let mut objects = Vec::with_capacity(count);
    for _ in 0..count {
        let end = out.iter().position(|&b| b == b'\n').ok_or_else(malformed)?;
        let header = std::str::from_utf8(&out[..end]).map_err(|_| malformed())?;
        // `<name> missing`: the name may hold spaces, the answer is its last word.
        if header.ends_with(" missing") || header.ends_with(" ambiguous") {
            objects.push(None);
            out = &out[end + 1..];
            continue;
        }
        let fields: Vec<&str> = header.splitn(3, ' ').collect();
        let [id, kind, size] = fields[..] else { return Err(malformed()) };
        let size: usize = size.parse().map_err(|_| malformed())?;
        let content = out.get(end + 1..end + 1 + size).ok_or_else(malformed)?.to_vec();
        objects.push(Some(Object { id: id.to_string(), kind: kind.to_string(), content }));
        out = out.get(end + 2 + size..).ok_or_else(malformed)?;
    }
    Ok(objects)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_answer_is_split_by_the_sizes_it_states() {
        // Contents holding newlines and what looks like a header; a missing name with spaces.
        let out = b"a1 blob 14\nFROM x\nb2 b 1\n\nHEAD:a b missing\nb2 blob 0\n\n";
        let objects = parse_batch(out, 3).expect("parses");
        assert_eq!(objects[0].as_ref().map(|o| o.content.as_slice()), Some(&b"FROM x\nb2 b 1\n"[..]));
        assert_eq!(objects[1], None);
        assert_eq!(objects[2].as_ref().map(|o| (o.id.as_str(), o.content.len())), Some(("b2", 0)));
    }

    #[test]
    fn a_short_answer_is_an_error() {
        assert!(parse_batch(b"a1 blob 10\nshort\n", 1).is_err());
        assert!(parse_batch(b"", 1).is_err());
    }
}
