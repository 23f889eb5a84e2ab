//! `git::objects` reads each directory once to say what a path names at a commit: it must say
//! what git itself says of `<commit>:<path>` (`git cat-file --batch-check --follow-symlinks`,
//! which the pipeline's script asks), on every kind of path a model can name and some it should
//! not, through symbolic links that lead up, down, through each other and nowhere.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};

use support::git;

/// What git says of a path when it follows symbolic links.
#[derive(Debug, PartialEq)]
enum GitSays {
    /// `<type> <id>`, or `None` for a path that is missing, below a file (`notdir`) or through a
    /// link to a name the repository lacks (`dangling`).
    Object(Option<String>),
    /// `symlink` (out of the repository) or `loop`.
    Unfollowable(String),
}

/// What `git cat-file --batch-check --follow-symlinks` says of each path.
fn git_says(dir: &Path, commit: &str, paths: &[String]) -> Vec<GitSays> {
    // `<commit>:<path>`, the root being `<commit>:`.
    let name = |path: &str| if path == "." { String::new() } else { path.trim_end_matches('/').to_string() };
    let input: String = paths.iter().map(|p| format!("{commit}:{}\n", name(p))).collect();
    let mut child = Command::new("git")
        .args(["cat-file", "--batch-check=%(objecttype) %(objectname)", "--follow-symlinks"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run git");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), input.as_bytes()).expect("feed git");
    let output = child.wait_with_output().expect("git answers");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let mut lines = text.lines();
    let mut says = Vec::new();
    while let Some(line) = lines.next() {
        let word = line.split(' ').next().unwrap_or_default();
        says.push(match word {
            // Two lines: the answer, then the link's target or the name asked.
            "symlink" | "loop" => {
                lines.next();
                GitSays::Unfollowable(word.to_string())
            }
            "notdir" | "dangling" => {
                lines.next();
                GitSays::Object(None)
            }
            _ if line.ends_with(" missing") => GitSays::Object(None),
            _ => GitSays::Object(Some(line.to_string())),
        });
    }
    says
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
    for (link, target) in LINKS {
        std::os::unix::fs::symlink(target, root.join(link)).expect("symlink");
    }
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "-A"]);
    // A submodule's entry (a commit this repository does not hold).
    git(root, &["update-index", "--add", "--cacheinfo", &format!("160000,{SUBMODULE_COMMIT},vendored")]);
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
        "link/nested/deeper/file.txt",
        "link/../img2/Dockerfile",
        "images/img2/up",
        "images/img2/up/img3/Dockerfile",
        "images/img2/sibling/Dockerfile",
        "images/img2/sibling/../img4",
        "images/img2/file-link",
        "images/img2/file-link/below",
        "chain",
        "chain/Dockerfile",
        "chain//nested///deeper",
        "dot-free",
        "images/img2/dotted",
        "images/img2/dotted/deeper",
        "nowhere",
        "nowhere/Dockerfile",
        "to-submodule",
        "link/.dockerignore",
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
            // Git calls a submodule's path and every path below it missing; `objects` names
            // the submodule's commit there, unless a link leads to it (`to-submodule`).
            if path == "vendored" || path.starts_with("vendored/") {
                assert_eq!(theirs, &GitSays::Object(None), "{path:?} at {rev}");
                assert_eq!(ours.as_deref(), Some(format!("commit {SUBMODULE_COMMIT}").as_str()), "{path:?} at {rev}");
                continue;
            }
            assert_eq!(&GitSays::Object(ours.clone()), theirs, "{path:?} at {rev}");
        }
        let at = |path: &str| ours[paths.iter().position(|p| p == path).expect("asked")].clone();
        for missing in [
            "images/img7/Dockerfile/below-a-file",
            "images/img999",
            "images/img999/Dockerfile",
            "missing/deep/path",
            "images/img2/file-link/below",
            // Through links to names the repository lacks; git reads no `.` in a link.
            "images/img2/dotted",
            "nowhere/Dockerfile",
            "to-submodule",
            "link/.dockerignore",
        ] {
            assert_eq!(at(missing), None, "{missing} is missing");
        }
        // Links followed: a Dockerfile through a link is the file it points to.
        assert_eq!(at("link/Dockerfile"), at("images/img1/Dockerfile"));
        assert_eq!(at("chain/Dockerfile"), at("images/img1/Dockerfile"));
        assert_eq!(at("images/img2/up/img3/Dockerfile"), at("images/img3/Dockerfile"));
        assert!(at("link").is_some_and(|o| o.starts_with("tree ")));

        // Links out of the repository or round a loop: git says so, and `objects` refuses each
        // path, naming it, the link and what the link does, and names every such link of one
        // call once.
        let unfollowable: Vec<String> = UNFOLLOWABLE.iter().map(|(p, _)| p.to_string()).collect();
        for ((path, what), theirs) in UNFOLLOWABLE.iter().zip(git_says(root, rev, &unfollowable)) {
            assert_eq!(theirs, GitSays::Unfollowable(what.to_string()), "{path:?} at {rev}");
            let error = pipegen::git::objects(root, rev, &[path.to_string(), "top.txt".to_string()])
                .expect_err("an unfollowable link is refused")
                .to_string();
            assert!(error.contains(&format!("`{path}`")), "{error}");
            let said = if *what == "symlink" { "out of the repository" } else { "a loop" };
            assert!(error.contains(said), "{path}: {error}");
        }
        let error = pipegen::git::objects(root, rev, &unfollowable).expect_err("refused").to_string();
        for link in ["`absolute`, which", "`above`, which"] {
            assert_eq!(error.matches(link).count(), 1, "{link} once in {error}");
        }
        assert!(!error.contains("`absolute/passwd`"), "a link is reported once: {error}");
        assert!(error.contains("`loop-a`") && error.contains("a loop"), "{error}");
        assert!(error.contains("(to `/etc`)") && error.contains("(to `../outside`)"), "{error}");
    }
}

/// The commit the test repository's submodule `vendored` is pinned at (not in the repository).
const SUBMODULE_COMMIT: &str = "1234567890123456789012345678901234567890";

/// Symbolic links of the test repository: `(link, target)`.
const LINKS: &[(&str, &str)] = &[
    ("link", "images/img1"),
    ("chain", "link"),
    ("dot-free", "images//img5/"),
    ("images/img2/up", ".."),
    ("images/img2/sibling", "../img3"),
    ("images/img2/file-link", "Dockerfile"),
    ("absolute", "/etc"),
    ("above", "../outside"),
    ("images/img2/dotted", "./nested"),
    ("nowhere", "images/img999"),
    ("loop-a", "loop-b"),
    ("loop-b", "loop-a"),
    ("to-submodule", "vendored"),
];

/// Paths through links out of the repository or round a loop, and what git says of each.
const UNFOLLOWABLE: &[(&str, &str)] = &[
    ("absolute", "symlink"),
    ("absolute/passwd", "symlink"),
    ("above", "symlink"),
    ("loop-a", "loop"),
    ("loop-b/x", "loop"),
];

/// Random trees of directories, files and symbolic links (relative, through `..`, with `.`,
/// absolute, dangling, in loops, to files and to directories), and random paths through them:
/// `objects` says what `git cat-file --follow-symlinks` says of every path it accepts, and
/// refuses exactly the paths git calls out of the repository or a loop.
#[test]
fn random_links_resolve_as_git_resolves_them() {
    let mut seed: u64 = 0x5eed_1e55;
    let mut next = move |n: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n
    };
    let names = ["a", "b", "c", "d"];
    let (mut found, mut unfollowable) = (0, 0);
    for round in 0..8 {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        // Directories up to three deep, with files, then links anywhere.
        let mut dirs = vec![String::new()];
        for _ in 0..12 {
            let parent = dirs[next(dirs.len())].clone();
            let path =
                if parent.is_empty() { names[next(4)].to_string() } else { format!("{parent}/{}", names[next(4)]) };
            if path.matches('/').count() < 3 && std::fs::create_dir_all(root.join(&path)).is_ok() {
                std::fs::write(root.join(&path).join("f"), format!("{path}\n")).expect("write");
                dirs.push(path);
            }
        }
        let targets = [
            "..",
            "../..",
            "f",
            "a",
            "b/f",
            "../a/f",
            "./a",
            "/etc",
            "../../../x",
            "c/..",
            "a//f",
            "missing",
            "l0",
            "l1",
        ];
        for i in 0..16 {
            let parent = &dirs[next(dirs.len())];
            let link = if parent.is_empty() { format!("l{}", i % 5) } else { format!("{parent}/l{}", i % 5) };
            if !root.join(&link).exists() {
                let _ = std::os::unix::fs::symlink(targets[next(targets.len())], root.join(&link));
            }
        }
        git(root, &["init", "-q", "-b", "main"]);
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "random"]);
        let commit = git(root, &["rev-parse", "HEAD"]).trim().to_string();
        // Every entry of the tree, then paths that start at one and go on a few random steps.
        let entries: Vec<String> = git(root, &["ls-files"]).lines().map(str::to_string).chain(dirs.clone()).collect();
        let parts = ["a", "b", "c", "d", "f", "l0", "l1", "l2", "l3", "l4", "..", ".", "x"];
        let paths: Vec<String> = (0..400)
            .map(|_| {
                let mut path = entries[next(entries.len())].clone();
                for _ in 0..next(3) {
                    path = if path.is_empty() {
                        parts[next(parts.len())].to_string()
                    } else {
                        format!("{path}/{}", parts[next(parts.len())])
                    };
                }
                path
            })
            .filter(|p: &String| !p.is_empty() && !p.starts_with(".."))
            .collect();
        let theirs = git_says(root, &commit, &paths);
        type Answers<'a> = Vec<(&'a String, &'a GitSays)>;
        let (refused, accepted): (Answers, Answers) =
            paths.iter().zip(&theirs).partition(|(_, says)| matches!(says, GitSays::Unfollowable(_)));
        let accepted_paths: Vec<String> = accepted.iter().map(|(p, _)| (*p).clone()).collect();
        let ours = pipegen::git::objects(root, &commit, &accepted_paths).expect("git answers");
        for ((path, theirs), ours) in accepted.iter().zip(&ours) {
            assert_eq!(&&GitSays::Object(ours.clone()), theirs, "round {round}: {path:?}");
        }
        found += ours.iter().filter(|o| o.is_some()).count();
        unfollowable += refused.len();
        for (path, _) in refused {
            assert!(
                pipegen::git::objects(root, &commit, std::slice::from_ref(path)).is_err(),
                "round {round}: {path:?} is refused"
            );
        }
    }
    // The trees are rich enough to say something: objects through links, and refusals.
    assert!(found > 300 && unfollowable > 50, "{found} objects found, {unfollowable} paths refused");
}
