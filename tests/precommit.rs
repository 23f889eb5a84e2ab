//! pipegen's pre-commit hooks (`.pre-commit-hooks.yaml`), run by the real pre-commit in
//! throwaway git repositories that use them exactly as docs/editor-and-precommit.md says: four
//! lines of `.pre-commit-config.yaml` naming this repository, a `rev` and a hook.
//!
//! Which pipegen: pre-commit clones `repo:` at `rev:` and builds it with `cargo install`
//! (`language: rust`). The tests commit a snapshot of this working tree (tracked and untracked,
//! not ignored) to a scratch repository and point `repo:` there, so they test the hooks and code
//! as they are now, uncommitted changes included; HEAD would test the last commit instead.
//!
//! Build time: a cold `cargo install` of pipegen's release profile (thin LTO, one codegen unit)
//! takes minutes. The tests give cargo a target directory that outlives the run
//! (`CARGO_TARGET_TMPDIR/precommit-cargo`) and an unoptimized release profile through
//! `CARGO_PROFILE_RELEASE_*`, so only pipegen itself is compiled again (the clone's path is new
//! each time): about 15 s once the dependencies are built. `CARGO_NET_OFFLINE` resolves the
//! dependencies from cargo's local cache, which building these tests has filled. The hooks are
//! installed once per test run, in a `PRE_COMMIT_HOME` of its own.

// Needs external tools: in the full tier (scripts/test.sh), not in the offline `cargo test`.
#![cfg(feature = "external-tests")]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

/// The model of the throwaway repositories: one image, one job whose `retry` the tests edit.
const MODEL: &str = "\
pipegen: 1
name: app
registry: registry.example.com/app
outputs:
  gitlab: .gitlab-ci.yml
  github: .github/workflows/images.yml
images:
  app:
    context: app
jobs:
  test:
    image: app
    script: [make test]
    retry: 1
";

/// This working tree, committed in a scratch repository, and a pre-commit home holding the
/// hooks' environment (pipegen built by cargo).
struct Hooks {
    repo: PathBuf,
    rev: String,
    home: PathBuf,
    scratch: PathBuf,
}

/// Built once per test run; left in `CARGO_TARGET_TMPDIR/precommit` for inspection and replaced
/// by the next run.
fn hooks() -> &'static Hooks {
    static HOOKS: OnceLock<Hooks> = OnceLock::new();
    HOOKS.get_or_init(|| {
        let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("precommit");
        if scratch.exists() {
            std::fs::remove_dir_all(&scratch).expect("remove the previous run's scratch directory");
        }
        let repo = scratch.join("pipegen");
        let home = scratch.join("pre-commit-home");
        std::fs::create_dir_all(&repo).expect("create the snapshot directory");
        std::fs::create_dir_all(&home).expect("create PRE_COMMIT_HOME");
        std::fs::write(scratch.join("gitconfig"), "").expect("write an empty git config");
        let hooks = Hooks { repo: repo.clone(), rev: String::new(), home, scratch };

        // The working tree as `git add -A` would see it, deleted files left out.
        let listed = git(&hooks, &support::repo(), &["ls-files", "-z", "--cached", "--others", "--exclude-standard"]);
        let mut copied = 0;
        for file in listed.split('\0').filter(|f| !f.is_empty()) {
            let from = support::repo().join(file);
            if !from.is_file() {
                continue;
            }
            let to = repo.join(file);
            std::fs::create_dir_all(to.parent().expect("a parent")).expect("create a directory");
            std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("copy {file}: {e}"));
            copied += 1;
        }
        assert!(repo.join(".pre-commit-hooks.yaml").is_file(), "the snapshot has no .pre-commit-hooks.yaml");
        git(&hooks, &repo, &["init", "-q", "-b", "main"]);
        git(&hooks, &repo, &["add", "-A"]);
        git(&hooks, &repo, &["commit", "-q", "-m", "pipegen working tree"]);
        let rev = git(&hooks, &repo, &["rev-parse", "HEAD"]).trim().to_string();
        let hooks = Hooks { rev, ..hooks };

        // Install both hooks' environment once: pre-commit clones the snapshot and builds pipegen.
        let template = hooks.scratch.join("install");
        std::fs::create_dir_all(&template).expect("create the install repository");
        git(&hooks, &template, &["init", "-q", "-b", "main"]);
        std::fs::write(template.join(".pre-commit-config.yaml"), config(&hooks, "{ id: pipegen-check }"))
            .expect("write");
        let start = Instant::now();
        let (code, stdout, stderr) = support::run(pre_commit(&hooks, &template).arg("install-hooks"));
        assert_eq!(code, 0, "pre-commit install-hooks failed:\n{stdout}\n{stderr}");
        eprintln!("precommit: snapshot of {copied} files; hooks installed in {:.1?}", start.elapsed());
        hooks
    })
}

/// The `.pre-commit-config.yaml` a user writes: four lines.
fn config(hooks: &Hooks, hook: &str) -> String {
    format!("repos:\n  - repo: {}\n    rev: {}\n    hooks: [{hook}]\n", hooks.repo.display(), hooks.rev)
}

/// The environment every command of these tests runs in: no global or system git settings
/// (a `core.hooksPath` would stop `pre-commit install`), a fixed author, pre-commit's own home,
/// and the cargo settings described at the top of this file.
fn environment(command: &mut Command, hooks: &Hooks) {
    for leaked in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_CONFIG"] {
        command.env_remove(leaked);
    }
    command
        .env("GIT_CONFIG_GLOBAL", hooks.scratch.join("gitconfig"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "pipegen test")
        .env("GIT_AUTHOR_EMAIL", "test@pipegen.invalid")
        .env("GIT_COMMITTER_NAME", "pipegen test")
        .env("GIT_COMMITTER_EMAIL", "test@pipegen.invalid")
        .env("PRE_COMMIT_HOME", &hooks.home)
        .env("PRE_COMMIT_COLOR", "never")
        .env("CARGO_TARGET_DIR", PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("precommit-cargo"))
        .env("CARGO_NET_OFFLINE", "true")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false");
}

fn git(hooks: &Hooks, dir: &Path, args: &[&str]) -> String {
    let mut command = Command::new("git");
    command.args(args).current_dir(dir);
    environment(&mut command, hooks);
    let (code, stdout, stderr) = support::run(&mut command);
    assert_eq!(code, 0, "git {args:?} in {}:\n{stdout}\n{stderr}", dir.display());
    stdout
}

fn pre_commit(hooks: &Hooks, dir: &Path) -> Command {
    let mut command = Command::new(support::tool("pre-commit"));
    command.current_dir(dir);
    environment(&mut command, hooks);
    command
}

/// `git commit`, with the hook: (exit code, everything it printed).
fn commit(hooks: &Hooks, dir: &Path, message: &str) -> (i32, String) {
    let mut command = Command::new("git");
    command.args(["commit", "-m", message]).current_dir(dir);
    environment(&mut command, hooks);
    let (code, stdout, stderr) = support::run(&mut command);
    (code, format!("{stdout}{stderr}"))
}

fn commits(hooks: &Hooks, dir: &Path) -> usize {
    git(hooks, dir, &["rev-list", "--count", "HEAD"]).trim().parse().expect("a count")
}

/// A user's repository: a model, its generated files, README.md, and the hook `hook` (a flow
/// mapping such as `{ id: pipegen-check }`) installed and already passing in the first commit.
fn user_repository(hooks: &Hooks, hook: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    git(hooks, root, &["init", "-q", "-b", "main"]);
    std::fs::write(root.join("pipegen.yaml"), MODEL).expect("write the model");
    std::fs::write(root.join("README.md"), "# app\n").expect("write README.md");
    std::fs::write(root.join(".pre-commit-config.yaml"), config(hooks, hook)).expect("write the config");
    let (code, stdout, stderr) = support::run(support::pipegen().arg("emit").current_dir(root));
    assert_eq!(code, 0, "pipegen emit:\n{stdout}\n{stderr}");
    let (code, stdout, stderr) = support::run(pre_commit(hooks, root).arg("install"));
    assert_eq!(code, 0, "pre-commit install:\n{stdout}\n{stderr}");
    git(hooks, root, &["add", "-A"]);
    let (code, output) = commit(hooks, root, "initial");
    assert_eq!(code, 0, "the first commit, with current files, must pass:\n{output}");
    assert!(hook_line(&output, "pipegen").ends_with("Passed"), "{output}");
    dir
}

/// The status line pre-commit prints for the hook named `name`: `pipegen check....Passed`.
fn hook_line<'a>(output: &'a str, name: &str) -> &'a str {
    output
        .lines()
        .find(|l| l.starts_with(name) && l.contains("..."))
        .unwrap_or_else(|| panic!("no status line for {name} in:\n{output}"))
}

/// Edit the model so both generated files go stale, and stage only the model (the mistake the
/// hooks are for).
fn edit_model_only(hooks: &Hooks, root: &Path) {
    let model = std::fs::read_to_string(root.join("pipegen.yaml")).expect("read the model");
    std::fs::write(root.join("pipegen.yaml"), model.replace("retry: 1", "retry: 2")).expect("write the model");
    git(hooks, root, &["add", "pipegen.yaml"]);
}

#[test]
fn a_stale_generated_file_stops_the_commit_with_its_diff_and_the_command_that_fixes_it() {
    let hooks = hooks();
    let repo = user_repository(hooks, "{ id: pipegen-check }");
    let root = repo.path();
    edit_model_only(hooks, root);

    let (code, output) = commit(hooks, root, "retry twice");
    assert_ne!(code, 0, "the commit went through with stale files:\n{output}");
    assert!(hook_line(&output, "pipegen check").ends_with("Failed"), "{output}");
    assert!(output.contains("- hook id: pipegen-check\n- exit code: 1\n"), "{output}");
    // Each stale file by name, with a unified diff of what changes.
    for needle in [
        ".gitlab-ci.yml is stale (gitlab pipeline of pipegen.yaml):\n--- a/.gitlab-ci.yml\n+++ b/.gitlab-ci.yml\n@@ ",
        "\n-    max: 1\n+    max: 2\n",
        ".github/workflows/images.yml is stale (github pipeline of pipegen.yaml):\n--- a/.github/workflows/images.yml\n",
    ] {
        assert!(output.contains(needle), "no {needle:?} in:\n{output}");
    }
    // The report ends with the one command that fixes it.
    let last = output.trim_end().lines().next_back().unwrap_or_default();
    let fix =
        last.strip_prefix("To update: ").unwrap_or_else(|| panic!("the report does not end with the fix:\n{output}"));
    assert_eq!(fix, "pipegen emit --model pipegen.yaml");
    assert_eq!(commits(hooks, root), 1, "nothing was committed");

    // Run exactly the command printed, add what it wrote, and the commit passes.
    let mut words = fix.split_whitespace();
    assert_eq!(words.next(), Some("pipegen"));
    let (code, stdout, stderr) = support::run(support::pipegen().args(words).current_dir(root));
    assert_eq!(code, 0, "{fix}:\n{stdout}\n{stderr}");
    git(hooks, root, &["add", ".gitlab-ci.yml", ".github/workflows/images.yml"]);
    let (code, output) = commit(hooks, root, "retry twice");
    assert_eq!(code, 0, "{output}");
    assert!(hook_line(&output, "pipegen check").ends_with("Passed"), "{output}");
    assert_eq!(commits(hooks, root), 2);
}

#[test]
fn the_emit_hook_regenerates_the_files_and_the_next_commit_passes() {
    let hooks = hooks();
    let repo = user_repository(hooks, "{ id: pipegen-emit }");
    let root = repo.path();
    let before = std::fs::read_to_string(root.join(".gitlab-ci.yml")).expect("read");
    edit_model_only(hooks, root);

    let (code, output) = commit(hooks, root, "retry twice");
    assert_ne!(code, 0, "pre-commit stops a commit whose hook changed files:\n{output}");
    assert!(hook_line(&output, "pipegen emit").ends_with("Failed"), "{output}");
    assert!(output.contains("- files were modified by this hook"), "{output}");
    assert!(output.contains("pipegen: wrote .gitlab-ci.yml (gitlab)"), "{output}");
    let after = std::fs::read_to_string(root.join(".gitlab-ci.yml")).expect("read");
    assert_ne!(before, after, "the hook did not rewrite .gitlab-ci.yml");
    assert!(after.contains("    max: 2\n"), "{after}");
    assert_eq!(commits(hooks, root), 1);

    git(hooks, root, &["add", "-u"]);
    let (code, output) = commit(hooks, root, "retry twice");
    assert_eq!(code, 0, "{output}");
    assert!(hook_line(&output, "pipegen emit").ends_with("Passed"), "{output}");
    assert_eq!(commits(hooks, root), 2);
}

#[test]
fn a_commit_without_models_or_generated_files_skips_the_hook() {
    let hooks = hooks();
    let repo = user_repository(hooks, "{ id: pipegen-check }");
    let root = repo.path();
    // Stale outputs in the working tree do not matter to a commit that does not touch them.
    let model = std::fs::read_to_string(root.join("pipegen.yaml")).expect("read the model");
    std::fs::write(root.join("pipegen.yaml"), model.replace("retry: 1", "retry: 2")).expect("write the model");
    std::fs::write(root.join("README.md"), "# app\n\nBuilt by pipegen.\n").expect("write README.md");
    git(hooks, root, &["add", "README.md"]);

    let (code, output) = commit(hooks, root, "readme");
    assert_eq!(code, 0, "{output}");
    let line = hook_line(&output, "pipegen check");
    assert!(line.ends_with("(no files to check)Skipped"), "{line}");
    assert_eq!(commits(hooks, root), 2);
}

#[test]
fn quiet_check_names_only_the_stale_files() {
    let hooks = hooks();
    let repo = user_repository(hooks, "{ id: pipegen-check, args: [--quiet] }");
    let root = repo.path();
    edit_model_only(hooks, root);

    let (code, output) = commit(hooks, root, "retry twice");
    assert_ne!(code, 0, "{output}");
    let report = output.split("- exit code: 1\n\n").nth(1).unwrap_or_else(|| panic!("no hook output in:\n{output}"));
    assert_eq!(report.trim_end(), ".gitlab-ci.yml\n.github/workflows/images.yml", "the whole report:\n{output}");
}

#[test]
fn the_hooks_run_for_models_and_generated_files_only() {
    let text = std::fs::read_to_string(support::repo().join(".pre-commit-hooks.yaml")).expect("read the hooks");
    let hooks: Vec<serde_yaml::Value> = serde_yaml::from_str(&text).expect("parse the hooks");
    let field = |hook: &serde_yaml::Value, key: &str| hook[key].as_str().map(str::to_string);
    let ids: Vec<Option<String>> = hooks.iter().map(|h| field(h, "id")).collect();
    assert_eq!(ids, [Some("pipegen-check".to_string()), Some("pipegen-emit".to_string())]);
    for (hook, entry) in hooks.iter().zip(["pipegen check", "pipegen emit"]) {
        assert_eq!(field(hook, "entry").as_deref(), Some(entry));
        assert_eq!(field(hook, "language").as_deref(), Some("rust"));
        assert_eq!(hook["pass_filenames"].as_bool(), Some(false), "pipegen takes a model, not file names");
        assert_eq!(hook["files"], hooks[0]["files"], "both hooks watch the same files");
    }
    let files = field(&hooks[0], "files").expect("a files pattern");

    let watched = [
        "pipegen.yaml",
        "pipegen.yml",
        "ci/pipegen.yaml",
        "pipegen-images.yaml",
        ".gitlab-ci.yml",
        "services/api/.gitlab-ci.yml",
        ".gitlab/ci/images.yml",
        ".github/workflows/images.yml",
        ".github/workflows/images.yaml",
        "generated/gdk/gitlab-ci.yml",
        "ci/generated/pipeline.yml",
    ];
    let ignored = [
        "README.md",
        "src/main.rs",
        "Dockerfile",
        "images/base/Dockerfile",
        "docs/pipegen.md",
        "mypipegen.yaml",
        ".github/dependabot.yml",
        ".github/workflows/README.md",
        "Cargo.lock",
    ];
    // pre-commit matches `files` with Python's `re.search`; ask the Python pre-commit runs on.
    let program = "import re, sys\npattern = re.compile(sys.argv[1])\nfor f in sys.argv[2:]:\n    if pattern.search(f):\n        print(f)\n";
    let (code, stdout, stderr) = support::run(
        Command::new(support::tool("python")).arg("-c").arg(program).arg(&files).args(watched).args(ignored),
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().collect::<Vec<_>>(), watched, "files the hooks run for, of {watched:?} and {ignored:?}");
}
