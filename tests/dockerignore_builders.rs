//! What the real builders receive, against what pipegen's filters keep (issue 11).
//!
//! A git repository holds a context with a tricky `.dockerignore` (exceptions, a parent-directory
//! exception, glob exceptions inside excluded directories, `**name`, classes, escapes, CRLF, names
//! with spaces, quotes, tabs, newlines and non-ASCII letters). `COPY . /ctx` in a `FROM scratch`
//! image, exported with `--output type=local`, shows every file the build saw. It must equal what
//! the Rust filter keeps of `git ls-files`, and what the awk filter prints of the same listing as a
//! pipeline gets it (core.quotePath=false), for BuildKit (the kit's v0.23.2 through buildx, a
//! docker-container builder of its own) and buildah (Debian's, vfs storage, chroot isolation).
//! A second build checks which ignore file applies when a Dockerfile outside the context has its
//! own `<Dockerfile>.dockerignore`. The files each build received are also exactly those its
//! content tag hashes: the `context … sent` lines of the recipe, as `pipegen tags` computes it
//! and as the platform's generated tag script writes it. No registry is used.

// Needs external tools: in the full tier (scripts/test.sh), not in the offline `cargo test`.
#![cfg(feature = "external-tests")]

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use pipegen::dockerignore::{Builder, IgnoreFile, awk};

const IGNORE: &str = "# the fixture's ignore file\n\
*.md\n\
!README*.md\n\
README-secret.md\n\
docs/\n\
!./docs/keep.txt\n\
**/*.tmp\r\n\
/build\n\
src/gen/**\n\
  spaced.txt   \n\
a/b\n\
!a\n\
lib*\n\
!**/keep\n\
**foo\n\
[x-z]?.txt\n\
\\*star\n\
é?\n\
n/**/z\n";

const FILES: &[&str] = &[
    "Dockerfile",
    "README.md",
    "README-secret.md",
    "notes.md",
    "sub/notes.md",
    "docs/guide.md",
    "docs/keep.txt",
    "docs/deep/x.txt",
    "x.tmp",
    "deep/y.tmp",
    "build/out.bin",
    "src/main.rs",
    "src/gen/out.rs",
    "spaced.txt",
    "a/b/c.txt",
    "a/d.txt",
    "lib/keep",
    "lib/other",
    "libx.txt",
    "keep",
    "barfoo",
    "xa.txt",
    "wa.txt",
    "*star",
    "éa",
    "name with space.txt",
    "q\"uote.txt",
    "new\nline.txt",
    "tab\tname",
    "n/x\ny/z",
    "n/xy/z",
];

/// The kit's buildx, its docker socket (the privileged proxy) and BuildKit image.
struct Kit {
    buildx: PathBuf,
    docker_host: String,
    buildkit_image: String,
}

fn kit() -> Kit {
    let candidates = [
        std::env::var_os("PIPEGEN_REAL_ENGINES_KIT").map(PathBuf::from),
        Some(support::repo().join("../shared/real-engines")),
        Some(support::repo().join("../../shared/real-engines")),
    ];
    let setup = candidates
        .into_iter()
        .flatten()
        .map(|dir| dir.join("setup.sh"))
        .find(|setup| setup.exists())
        .expect("the real-builder test needs the offline kit (../shared/real-engines or PIPEGEN_REAL_ENGINES_KIT)");
    // setup.sh is idempotent and locks itself; it prints the environment as `export` lines.
    let script = format!(
        "eval \"$(bash {})\" && printf '%s\\n' \"$RE_BUILDX\" \"$RE_DOCKER_SOCK\" \"$RE_BUILDKIT_IMAGE\"",
        pipegen::shell::quote(&setup.display().to_string())
    );
    let (code, out, err) = support::run(Command::new("bash").args(["-c", &script]));
    assert_eq!(code, 0, "{} failed\n{out}{err}", setup.display());
    let values: Vec<&str> = out.lines().collect();
    Kit { buildx: PathBuf::from(values[0]), docker_host: values[1].to_string(), buildkit_image: values[2].to_string() }
}

/// A docker-container buildx builder of this test's own, removed when dropped.
struct Buildx<'k> {
    kit: &'k Kit,
    name: String,
}

impl<'k> Buildx<'k> {
    fn new(kit: &'k Kit) -> Buildx<'k> {
        let buildx = Buildx { kit, name: format!("pipegen-dockerignore-{}", std::process::id()) };
        let image = format!("image={}", kit.buildkit_image);
        buildx.ok(&["create", "--name", &buildx.name, "--driver", "docker-container", "--driver-opt", &image]);
        buildx
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.kit.buildx);
        command.env("DOCKER_HOST", &self.kit.docker_host);
        command
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = support::run(self.command().args(args));
        assert_eq!(code, 0, "buildx {args:?}\n{out}{err}");
        out
    }

    /// Build `context` with `dockerfile` (both in `repo`); the files the image's /ctx holds.
    fn received(&self, repo: &Path, context: &str, dockerfile: &str) -> BTreeSet<Vec<u8>> {
        let out = repo.join(format!("out-buildkit-{}", dockerfile.replace('/', "-")));
        let output = format!("type=local,dest={}", out.display());
        let mut command = self.command();
        command.current_dir(repo).args(["--builder", &self.name, "build", "--quiet", "--file", dockerfile]);
        let (code, stdout, err) = support::run(command.args(["--output", &output, context]));
        assert_eq!(code, 0, "buildx build\n{stdout}{err}");
        files_under(&out.join("ctx"))
    }
}

impl Drop for Buildx<'_> {
    fn drop(&mut self) {
        let _ = self.command().args(["rm", "--force", &self.name]).output();
    }
}

/// buildah with storage and configuration in `dir`: the files /ctx holds after the build.
fn buildah_received(dir: &Path, repo: &Path, context: &str, dockerfile: &str) -> BTreeSet<Vec<u8>> {
    let storage = dir.join("storage.conf");
    fs::write(
        &storage,
        format!("[storage]\ndriver = \"vfs\"\ngraphroot = \"{0}/graph\"\nrunroot = \"{0}/run\"\n", dir.display()),
    )
    .unwrap();
    let registries = dir.join("registries.conf");
    fs::write(&registries, "unqualified-search-registries = []\n").unwrap();
    let out = repo.join(format!("out-buildah-{}", dockerfile.replace('/', "-")));
    let output = format!("type=local,dest={}", out.display());
    let mut command = Command::new(support::tool("buildah"));
    command
        .current_dir(repo)
        .env("CONTAINERS_STORAGE_CONF", &storage)
        .env("CONTAINERS_REGISTRIES_CONF", &registries)
        .env("BUILDAH_ISOLATION", "chroot")
        .env("TMPDIR", dir)
        .args(["build", "--quiet", "--layers=false", "--file", dockerfile, "--output", &output, context]);
    let (code, stdout, err) = support::run(&mut command);
    assert_eq!(code, 0, "buildah build\n{stdout}{err}");
    files_under(&out.join("ctx"))
}

/// Every file under `root`, relative to it, as bytes.
fn files_under(root: &Path) -> BTreeSet<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    let mut files = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                files.insert(entry.path().strip_prefix(root).unwrap().as_os_str().as_bytes().to_vec());
            }
        }
    }
    files
}

/// A git repository holding the fixture under `ctx/`, committed.
fn repository(dir: &Path) -> PathBuf {
    let repo = dir.join("repo");
    for name in FILES {
        let path = repo.join("ctx").join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, format!("{name}\n")).unwrap();
    }
    fs::write(repo.join("ctx/Dockerfile"), "FROM scratch\nCOPY . /ctx\n").unwrap();
    fs::write(repo.join("ctx/.dockerignore"), IGNORE).unwrap();
    // A Dockerfile outside the context with an ignore file of its own.
    fs::create_dir_all(repo.join("images")).unwrap();
    fs::write(repo.join("images/app.Dockerfile"), "FROM scratch\nCOPY . /ctx\n").unwrap();
    fs::write(repo.join("images/app.Dockerfile.dockerignore"), "*.txt\nsrc\n").unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "fixture"]);
    repo
}

fn git(repo: &Path, args: &[&str]) -> Vec<u8> {
    let output = Command::new("git")
        .args(["-c", "user.name=pipegen", "-c", "user.email=pipegen@invalid"])
        .args(args)
        .current_dir(repo)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

/// The Rust filter: the ignore file the builder picks (the first candidate git has), applied to
/// `git ls-files -z` of the context.
fn rust_kept(repo: &Path, builder: Builder, context: &str, dockerfile: &str) -> (String, BTreeSet<Vec<u8>>) {
    let tracked: Vec<Vec<u8>> = git(repo, &["ls-files", "-z", "--", context])
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    let everything = git(repo, &["ls-files", "-z"]);
    let in_repository = |path: &String| everything.split(|&b| b == 0).any(|p| p == path.as_bytes());
    let candidates = builder.ignore_file_candidates(context, dockerfile);
    let chosen = candidates.into_iter().find(in_repository).expect("an ignore file");
    let file = IgnoreFile::parse(&chosen, &fs::read(repo.join(&chosen)).unwrap(), builder).unwrap();
    let prefix = format!("{context}/");
    let relative: Vec<&[u8]> = tracked.iter().filter_map(|p| p.strip_prefix(prefix.as_bytes())).collect();
    let kept = file.sent(relative.iter().copied()).into_iter().map(<[u8]>::to_vec).collect();
    (chosen, kept)
}

/// The awk filter under each awk, fed `git ls-files` as a pipeline lists it: the paths it prints.
fn awk_kept(repo: &Path, builder: Builder, context: &str, ignore_file: &str) -> BTreeSet<Vec<u8>> {
    let listing = git(repo, &["-c", "core.quotePath=false", "ls-files", "--", context]);
    let mut results = Vec::new();
    for awk_argv in [vec!["busybox", "awk"], vec!["mawk"], vec!["gawk"]] {
        let mut child = Command::new(support::tool(awk_argv[0]))
            .args(&awk_argv[1..])
            .args(["-v", &format!("builder={}", builder.name()), awk::SOURCE])
            .current_dir(repo)
            .env("LC_ALL", "C")
            .env(awk::IGNORE_FILE_VARIABLE, ignore_file)
            .env(awk::CONTEXT_VARIABLE, context)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&listing).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{awk_argv:?}");
        // The printed lines are git's; read them back through git's own unquoting rules.
        let kept: BTreeSet<Vec<u8>> = String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(|line| unquote(line).strip_prefix(format!("{context}/").as_bytes()).unwrap().to_vec())
            .collect();
        results.push(kept);
    }
    assert!(results.windows(2).all(|w| w[0] == w[1]), "busybox awk, mawk and gawk agree");
    results.remove(0)
}

/// git's C quoting undone (only the escapes this fixture's names produce).
fn unquote(line: &str) -> Vec<u8> {
    let Some(inner) = line.strip_prefix('"').and_then(|l| l.strip_suffix('"')) else { return line.as_bytes().to_vec() };
    let mut out = Vec::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.extend_from_slice(c.to_string().as_bytes());
            continue;
        }
        match chars.next() {
            Some('n') => out.push(b'\n'),
            Some('t') => out.push(b'\t'),
            Some(other) => out.extend_from_slice(other.to_string().as_bytes()),
            None => {}
        }
    }
    out
}

/// What pipegen hashes for a build of `context` with `dockerfile` when `builder` builds: the
/// files of the recipe's `context … sent` part, computed in Rust (`pipegen tags`) and by the
/// platform's generated tag script (run with bash, its recipe file read back).
fn hashed_by_pipegen(
    repo: &Path,
    builder: Builder,
    context: &str,
    dockerfile: &str,
) -> (BTreeSet<Vec<u8>>, BTreeSet<Vec<u8>>) {
    use pipegen::emit::{Target, github, gitlab, scripts};
    let model = format!(
        "pipegen: 1\nname: t\nregistry: registry.example.com/t\nimages:\n  one: {{ context: {context}, dockerfile: {dockerfile} }}\n"
    );
    let loaded = pipegen::model::load("pipegen.yaml", &model).unwrap();
    let mut plan = pipegen::plan::build(&loaded, "pipegen.yaml").unwrap();
    pipegen::workspace::read_repository(repo, &mut plan);
    let (target, platform) = match builder {
        Builder::BuildKit => (Target::Github, github::PLATFORM),
        Builder::Buildah => (Target::Gitlab, gitlab::PLATFORM),
    };
    let commit = String::from_utf8(git(repo, &["rev-parse", "HEAD"])).unwrap().trim().to_string();
    let computed =
        pipegen::commands::tags::compute(repo, &plan, &commit, target, pipegen::commands::tags::Bases::Resolve)
            .unwrap();
    let lines = &computed.facts.sent[&(context.to_string(), dockerfile.to_string())];
    let rust = lines.iter().map(|line| pipegen::listing::path_of(line)).collect();

    let tmp = tempfile::tempdir().unwrap();
    let library = scripts::build_library(platform, &plan.policy, &scripts::Uses::of(&plan, platform.builder));
    let script = tmp.path().join("tag.sh");
    fs::write(&script, format!("set -u\n{library}\npipegen_tag_of\n")).unwrap();
    let mut command = Command::new("bash");
    command.arg(&script).current_dir(repo).env("TMPDIR", tmp.path()).env("CI_COMMIT_SHA", &commit);
    command.env("GITHUB_SHA", &commit).envs(scripts::build_variables(&plan.builds[0]));
    let (code, out, err) = support::run(&mut command);
    assert_eq!(code, 0, "the tag script\n{out}{err}");
    let recipe = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("pipegen-recipe-") && !name.contains('.')
        })
        .expect("the tag script leaves its recipe");
    let text = fs::read_to_string(recipe).unwrap();
    let sent = text
        .lines()
        .skip_while(|l| *l != format!("context {context} sent"))
        .skip(1)
        .take_while(|l| !l.starts_with("dockerfile "))
        .map(pipegen::listing::path_of)
        .collect();
    (rust, sent)
}

fn names(set: &BTreeSet<Vec<u8>>) -> Vec<String> {
    set.iter().map(|p| String::from_utf8_lossy(p).into_owned()).collect()
}

#[test]
fn buildkit_and_buildah_receive_what_the_filters_keep() {
    support::ensure_tools();
    let dir = tempfile::Builder::new().prefix("pipegen-dockerignore-").tempdir().unwrap();
    let repo = repository(dir.path());
    let kit = kit();
    let buildx = Buildx::new(&kit);
    let buildah_dir = dir.path().join("buildah");
    fs::create_dir_all(&buildah_dir).unwrap();

    for (context, dockerfile) in [("ctx", "ctx/Dockerfile"), ("ctx", "images/app.Dockerfile")] {
        for builder in [Builder::BuildKit, Builder::Buildah] {
            let received = match builder {
                Builder::BuildKit => buildx.received(&repo, context, dockerfile),
                Builder::Buildah => buildah_received(&buildah_dir, &repo, context, dockerfile),
            };
            let (ignore_file, rust) = rust_kept(&repo, builder, context, dockerfile);
            let awk = awk_kept(&repo, builder, context, &ignore_file);
            let what = format!("{builder:?} building {context} with {dockerfile} ({ignore_file})");
            assert_eq!(names(&received), names(&rust), "{what}: received vs the Rust filter");
            assert_eq!(names(&rust), names(&awk), "{what}: the Rust filter vs the awk filter");
            // And the content tag hashes exactly those, in pipegen tags and in the pipeline.
            let (tags, pipeline) = hashed_by_pipegen(&repo, builder, context, dockerfile);
            assert_eq!(names(&received), names(&tags), "{what}: received vs what pipegen tags hashes");
            assert_eq!(names(&received), names(&pipeline), "{what}: received vs what the pipeline hashes");
            eprintln!("{what}: {} of {} files", received.len(), FILES.len() + 2);
        }
    }

    // Where the builders part ways on this fixture, as seen from the builds themselves.
    let buildkit = buildx.received(&repo, "ctx", "ctx/Dockerfile");
    let buildah = buildah_received(&buildah_dir, &repo, "ctx", "ctx/Dockerfile");
    let only = |a: &BTreeSet<Vec<u8>>, b: &BTreeSet<Vec<u8>>| names(&a.difference(b).cloned().collect());
    assert_eq!(only(&buildkit, &buildah), ["lib/keep"]);
    assert_eq!(only(&buildah, &buildkit), ["a/b/c.txt", "barfoo"]);
    // BuildKit reads images/app.Dockerfile.dockerignore; buildah looks for it under the context
    // (ctx/images/app.Dockerfile.dockerignore) and falls back to ctx/.dockerignore.
    assert_eq!(
        rust_kept(&repo, Builder::BuildKit, "ctx", "images/app.Dockerfile").0,
        "images/app.Dockerfile.dockerignore"
    );
    assert_eq!(rust_kept(&repo, Builder::Buildah, "ctx", "images/app.Dockerfile").0, "ctx/.dockerignore");
}
