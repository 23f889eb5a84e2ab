//! Objects at a commit, read in batches: what path names which object, and blobs' contents.
//!
//! A path is resolved by reading each directory on its way once (one `git cat-file --batch` per
//! level of depth), not by asking git for `<commit>:<path>` per path: git resolves such a name
//! by scanning every directory's entries from the root, so a thousand images side by side in one
//! directory cost a thousand entries per path looked up (1.3 s for 5,000 paths), where reading
//! the directory once costs its size.

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
    /// A submodule's commit, which is not in this repository: git calls the path missing.
    Gitlink,
}

/// `<type> <id>` of the object (tree or blob) at each path at `commit` (a commit or a tree),
/// `None` where there is none: what `git cat-file --batch-check='%(objecttype) %(objectname)'`
/// says of `<commit>:<path>`. `.` is the root; a trailing `/` names the same directory.
pub fn objects(root: &Path, commit: &str, paths: &[String]) -> Result<Vec<Option<String>>, Error> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let split: Vec<Vec<&str>> = paths.iter().map(|p| components(p)).collect();
    let top = batch(root, &[format!("{commit}^{{tree}}")], "read the commit's tree")?;
    let Some(Some(top)) = top.into_iter().next() else {
        return Err(Error::Git(format!("git found no tree at {commit}")));
    };
    let hash_bytes = top.id.len() / 2;
    // Directories read so far, by their path (the root is ""), and what each path names.
    let mut trees: HashMap<String, HashMap<Vec<u8>, Entry>> = HashMap::new();
    let mut named: HashMap<String, Option<Entry>> = HashMap::new();
    trees.insert(String::new(), parse_tree(&top.content, hash_bytes)?);
    named.insert(String::new(), Some(Entry::Tree(top.id.clone())));
    let depth = split.iter().map(Vec::len).max().unwrap_or(0);
    for level in 1..=depth {
        // What each path's first `level` names name, from the directory above.
        for parts in split.iter().filter(|p| p.len() >= level) {
            if let std::collections::hash_map::Entry::Vacant(slot) = named.entry(parts[..level].join("/")) {
                let parent = parts[..level - 1].join("/");
                slot.insert(trees.get(&parent).and_then(|t| t.get(parts[level - 1].as_bytes())).cloned());
            }
        }
        // The directories a longer path goes through, each read once.
        let mut to_read: Vec<(String, String)> = Vec::new();
        for parts in split.iter().filter(|p| p.len() > level) {
            let path = parts[..level].join("/");
            if let Some(Some(Entry::Tree(id))) = named.get(&path)
                && !trees.contains_key(&path)
            {
                to_read.push((path, id.clone()));
            }
        }
        to_read.sort();
        to_read.dedup();
        let ids: Vec<String> = to_read.iter().map(|(_, id)| id.clone()).collect();
        for ((path, _), object) in to_read.into_iter().zip(batch(root, &ids, "read directories")?) {
            let object = object.ok_or_else(|| Error::Git(format!("git could not read the directory {path}")))?;
            trees.insert(path, parse_tree(&object.content, hash_bytes)?);
        }
    }
    Ok(split
        .iter()
        .map(|parts| match named.get(&parts.join("/")).cloned().flatten() {
            Some(Entry::Tree(id)) => Some(format!("tree {id}")),
            Some(Entry::Blob(id)) => Some(format!("blob {id}")),
            Some(Entry::Gitlink) | None => None,
        })
        .collect())
}

/// A path's names from the root, as git reads `<commit>:<path>`: `.` and the empty path are the
/// root, a trailing `/` is dropped, and an empty name (`a//b`) matches nothing.
fn components(path: &str) -> Vec<&str> {
    let path = path.trim_end_matches('/');
    if path.is_empty() || path == "." {
        return Vec::new();
    }
    path.split('/').collect()
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
            b"160000" => Entry::Gitlink,
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

    #[test]
    fn a_path_names_from_the_root_as_git_reads_them() {
        assert!(components(".").is_empty());
        assert!(components("").is_empty());
        assert_eq!(components("a/b/"), ["a", "b"]);
        assert_eq!(components("a//b"), ["a", "", "b"]);
    }
}
