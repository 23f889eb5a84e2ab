//! `git::objects` reads each directory once to say what a path names at a commit: it must say
//! what git itself says of `<commit>:<path>` (`git cat-file --batch-check`), on every kind of
//! path a model can name and some it should not.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};

use support::git;

/// What `git cat-file --batch-check` says of each path, as `objects` words it.
fn git_says(dir: &Path, commit: &str, paths: &[String]) -> Vec<Option<String>> {
    let input: String = paths.iter().map(|p| format!("{}\n", pipegen::git::object_name(commit, p))).collect();
    let mut child = Command::new("git")
        .args(["cat-file", "--batch-check=%(objecttype) %(objectname)"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run git");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), input.as_bytes()).expect("feed git");
    let output = child.wait_with_output().expect("git answers");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| (!line.ends_with(" missing")).then(|| line.to_string()))
        .collect()
}

#[test]
fn objects_are_what_git_says_of_each_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    for i in 0..300 {
        let image = root.join(format!("images/img{i}"));
        std::fs::create_dir_all(image.join("nested/deeper")).expect("mkdir");
        std::fs::write(image.join("Dockerfile"), format!("FROM scratch\nLABEL n={i}\n")).expect("write");
        std::fs::write(image.join("nested/deeper/file.txt"), format!("{i}\n")).expect("write");
    }
    std::fs::create_dir_all(root.join("odd names/ü ñ")).expect("mkdir");
    std::fs::write(root.join("odd names/ü ñ/a b.txt"), "x\n").expect("write");
    std::fs::write(root.join("top.txt"), "top\n").expect("write");
    std::os::unix::fs::symlink("images/img1", root.join("link")).expect("symlink");
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "-A"]);
    // A submodule's entry (a commit this repository does not hold).
    git(root, &["update-index", "--add", "--cacheinfo", "160000,1234567890123456789012345678901234567890,vendored"]);
    git(root, &["commit", "-q", "-m", "tree"]);
    let commit = git(root, &["rev-parse", "HEAD"]).trim().to_string();

    let mut paths: Vec<String> = [
        ".",
        "",
        "images",
        "images/",
        "images/img7",
        "images/img7/",
        "images/img7/Dockerfile",
        "images/img7/nested/deeper/file.txt",
        "images/img7/Dockerfile/below-a-file",
        "images/img999",
        "images/img999/Dockerfile",
        "images//img7",
        "images/img7/../img8",
        "top.txt",
        "link",
        "link/Dockerfile",
        "vendored",
        "vendored/inside",
        "odd names/ü ñ/a b.txt",
        "odd names/ü ñ",
        "missing/deep/path",
    ]
    .iter()
    .map(|p| p.to_string())
    .collect();
    paths.extend((0..300).flat_map(|i| [format!("images/img{i}"), format!("images/img{i}/Dockerfile")]));

    let tree = git(root, &["rev-parse", "HEAD^{tree}"]).trim().to_string();
    for rev in [commit.as_str(), tree.as_str()] {
        let ours = pipegen::git::objects(root, rev, &paths).expect("git answers");
        let theirs = git_says(root, rev, &paths);
        assert_eq!(ours.len(), paths.len());
        for ((path, ours), theirs) in paths.iter().zip(&ours).zip(&theirs) {
            assert_eq!(ours, theirs, "{path:?} at {rev}");
        }
        assert!(ours.iter().filter(|o| o.is_none()).count() >= 8, "the missing paths are missing");
    }
}
