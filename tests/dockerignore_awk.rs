//! The awk filter (`src/dockerignore/filter.awk`) decides exactly what the Rust filter decides,
//! under busybox awk, mawk and gawk: random ignore files (every feature, refused patterns among
//! them) × random trees (spaces, quotes, tabs, newlines, backslashes, non-ASCII names) for both
//! builders, and real `git ls-files` / `git ls-tree` output of a repository with such names.

// Needs external tools: in the full tier (scripts/test.sh), not in the offline `cargo test`.
#![cfg(feature = "external-tests")]

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use pipegen::dockerignore::{Builder, IgnoreFile, awk};

const BUILDERS: [Builder; 2] = [Builder::BuildKit, Builder::Buildah];

/// The awks a pipeline image may have: (name in messages, program and leading arguments).
fn awks() -> Vec<(&'static str, Vec<String>)> {
    support::ensure_tools();
    vec![
        ("busybox awk", vec![support::tool("busybox").display().to_string(), "awk".to_string()]),
        ("mawk", vec![support::tool("mawk").display().to_string()]),
        ("gawk", vec![support::tool("gawk").display().to_string()]),
    ]
}

/// A small deterministic generator (xorshift64*): the same cases on every run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const SEGMENTS: &[&str] = &[
    "a", "b", "ab", "é", "x y", "*", "?", "**", "*.md", "a*", "[a-b]", "[^a]*", "\\*", ".", "..", "c\\+", "ba**",
    "**b", "[é]", "k[!a]", "n?l", "*\\\\*", "q\"t",
];
const ODD_LINES: &[&str] = &["\\d", "a[*]", "^x", "!", "[", "c++", "# comment", "", "[z-a]", "a\\", "\u{FEFF}a", "!/"];
const NAMES: &[&str] =
    &["a", "b", "ab", "é", "x y", "a.md", "b.md", "*", "c++", "q\"t", "n\nl", "t\tb", "back\\slash", "ba", "kb", "ée"];

fn ignore_file(random: &mut Random) -> String {
    let mut text = String::new();
    if random.below(8) == 0 {
        text.push('\u{FEFF}');
    }
    for _ in 0..1 + random.below(5) {
        if random.below(10) == 0 {
            text.push_str(random.pick(ODD_LINES));
        } else {
            text.push_str(random.pick(&["", "", "", "!", "! ", "/", "./", " ", "!/"]));
            let segments: Vec<&str> = (0..1 + random.below(3)).map(|_| random.pick(SEGMENTS)).collect();
            text.push_str(&segments.join("/"));
            text.push_str(random.pick(&["", "", "", "/", "  ", "\r"]));
        }
        text.push('\n');
    }
    text
}

fn tree(random: &mut Random) -> Vec<String> {
    let mut paths: Vec<String> = (0..1 + random.below(30))
        .map(|_| (0..1 + random.below(3)).map(|_| random.pick(NAMES)).collect::<Vec<_>>().join("/"))
        .collect();
    paths.sort();
    paths.dedup();
    // A file cannot also be a directory.
    let all = paths.clone();
    paths.retain(|p| !all.iter().any(|q| q.starts_with(&format!("{p}/"))));
    paths
}

/// A path as git prints it with core.quotePath=false.
fn git_quoted(path: &str) -> String {
    if !path.bytes().any(|b| b < 0x20 || b == 0x7F || b == b'"' || b == b'\\') {
        return path.to_string();
    }
    let mut out = String::from("\"");
    for c in path.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7F => out.push_str(&format!("\\{:03o}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// What the awk filter, as pipelines embed it ([`awk::program`]), printed, or None when it refused (exit 2, a located message).
fn run_awk(awk_argv: &[String], builder: Builder, ignore: Option<&Path>, context: &str, input: &str) -> Option<String> {
    let mut command = Command::new(&awk_argv[0]);
    command
        .args(&awk_argv[1..])
        .args(["-v", &format!("builder={}", builder.name()), &awk::program()])
        .env("LC_ALL", "C")
        .env(awk::IGNORE_FILE_VARIABLE, ignore.map(|p| p.display().to_string()).unwrap_or_default())
        .env(awk::CONTEXT_VARIABLE, context)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap_or_else(|e| panic!("run {awk_argv:?}: {e}"));
    // A refused ignore file stops awk before it reads its input: the pipe may be closed.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(0) => Some(String::from_utf8(output.stdout).unwrap()),
        Some(2) => {
            assert!(stderr.contains(":1:") || stderr.contains(":2:") || stderr.contains(":"), "{stderr}");
            None
        }
        other => panic!("{awk_argv:?} exited {other:?}: {stderr}"),
    }
}

#[test]
fn awk_and_rust_agree_on_random_ignore_files_and_trees() {
    let awks = awks();
    let dir = tempfile::tempdir().unwrap();
    let ignore_path = dir.path().join("ignore");
    let mut random = Random(0x5EED_1DEA_2025);
    let (mut refused, mut compared, mut partial) = (0, 0, 0);
    for case in 0..120 {
        let ignore = ignore_file(&mut random);
        let paths = tree(&mut random);
        let context = if random.below(2) == 0 { "." } else { "ctx" };
        let tab = random.below(3) == 0;
        std::fs::write(&ignore_path, &ignore).unwrap();
        let lines: Vec<String> = paths
            .iter()
            .map(|p| {
                let full = if context == "." { p.clone() } else { format!("{context}/{p}") };
                let quoted = git_quoted(&full);
                if tab { format!("100644 blob 0123abcd\t{quoted}") } else { quoted }
            })
            .collect();
        let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
        for builder in BUILDERS {
            let expected = IgnoreFile::parse("ignore", ignore.as_bytes(), builder).ok().map(|file| {
                let sent = file.sent(paths.iter().map(String::as_bytes));
                paths
                    .iter()
                    .zip(&lines)
                    .filter(|(p, _)| sent.contains(&p.as_bytes()))
                    .map(|(_, l)| format!("{l}\n"))
                    .collect::<String>()
            });
            match &expected {
                Some(kept) => {
                    compared += 1;
                    let n = kept.matches('\n').count();
                    if n > 0 && n < lines.len() {
                        partial += 1;
                    }
                }
                None => refused += 1,
            }
            for (name, argv) in &awks {
                let got = run_awk(argv, builder, Some(&ignore_path), context, &input);
                assert_eq!(
                    got, expected,
                    "case {case}, {builder:?}, {name}\nignore file: {ignore:?}\ncontext: {context}\npaths: {paths:?}"
                );
            }
        }
    }
    // The generator reaches both outcomes often enough to mean something.
    assert!(
        refused > 20 && compared > 150 && partial > 40,
        "{refused} refused, {compared} compared, {partial} partial"
    );
}

/// Names git must quote, listed by git itself: `ls-files` (path only) and `ls-tree` (after a TAB).
#[test]
fn awk_reads_paths_as_git_prints_them() {
    let awks = awks();
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let names = [
        "ctx/plain.txt",
        "ctx/x y.md",
        "ctx/q\"t.txt",
        "ctx/n\nl.md",
        "ctx/t\tb",
        "ctx/back\\s",
        "ctx/é.md",
        "ctx/keep/a.md",
        "other/a.txt",
    ];
    for name in names {
        let path = repo.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, name).unwrap();
    }
    let ignore = "*.md\n!keep\n";
    std::fs::write(repo.join("ctx/.dockerignore"), ignore).unwrap();
    let git = |args: &[&str]| {
        let output = Command::new("git")
            .args(["-c", "core.quotePath=false", "-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .current_dir(repo)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "names"]);
    let in_context: Vec<String> = git(&["ls-files", "-z", "--", "ctx"])
        .split('\0')
        .filter(|p| !p.is_empty())
        .map(|p| p.strip_prefix("ctx/").unwrap().to_string())
        .collect();
    for builder in BUILDERS {
        let file = IgnoreFile::parse(".dockerignore", ignore.as_bytes(), builder).unwrap();
        let mut expected: Vec<String> = file
            .sent(in_context.iter().map(String::as_bytes))
            .into_iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect();
        expected.sort();
        assert_eq!(expected, [".dockerignore", "back\\s", "keep/a.md", "plain.txt", "q\"t.txt", "t\tb"], "{builder:?}");
        for listing in [git(&["ls-files", "--", "ctx"]), git(&["ls-tree", "-r", "HEAD", "--", "ctx"])] {
            for (name, argv) in &awks {
                let out = run_awk(argv, builder, Some(&repo.join("ctx/.dockerignore")), "ctx", &listing).unwrap();
                let kept: Vec<&str> = out.lines().collect();
                let listed: Vec<&str> = listing.lines().collect();
                assert_eq!(kept.len(), expected.len(), "{builder:?} {name}: {out}");
                assert!(kept.iter().all(|l| listed.contains(l)), "{builder:?} {name}: lines come out unchanged");
            }
        }
    }
}

/// The command a pipeline runs (the program quoted as one shell word) works under sh, with the
/// values only in the environment; and a path outside the context stops it.
#[test]
fn the_rendered_command_runs_under_sh() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ignore"), "*.md\n").unwrap();
    for builder in BUILDERS {
        let run = |input: &str| {
            let mut child = Command::new("sh")
                .args(["-c", &awk::command(builder)])
                .env(awk::IGNORE_FILE_VARIABLE, dir.path().join("ignore"))
                .env(awk::CONTEXT_VARIABLE, "c t x")
                .env(awk::SKIP_VARIABLE, "3")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
            let output = child.wait_with_output().unwrap();
            (output.status.code(), String::from_utf8(output.stdout).unwrap(), String::from_utf8(output.stderr).unwrap())
        };
        let (code, out, err) = run("file 100644 abc c t x/a.md\nfile 100644 def c t x/b $(id).txt\n");
        assert_eq!((code, out.as_str(), err.as_str()), (Some(0), "file 100644 def c t x/b $(id).txt\n", ""));
        let (code, _, err) = run("file 100644 abc elsewhere/a\n");
        assert_eq!(code, Some(2));
        assert!(err.contains("elsewhere/a is not in the context c t x"), "{err}");
    }
    let size = awk::program();
    eprintln!("awk program: {} bytes, {} lines without comments", size.len(), size.lines().count());
}
