//! A repository whose builds read a git submodule, for the tests of how a path in a submodule is
//! checked out and hashed (`tests/tags_and_plan.rs` through the CLI, `tests/tags_script.rs` in
//! every shell).

use std::path::Path;

/// Builds that read the submodule `vendor/inner` in every way: a context in it, the submodule as
/// context, a context holding it (`.`), inputs in it (one missing there) and a glob through it;
/// `apart` does not read it. `test` runs what `in-submodule` builds, without the submodule;
/// `vendored-test` asks for it.
pub const MODEL: &str = r#"
pipegen: 1
name: sub
registry: registry.example.com/sub
images:
  in-submodule:
    context: vendor/inner/docker
  submodule-root:
    context: vendor/inner
    dockerfile: vendor/inner/docker/Dockerfile
  around:
    context: .
    dockerfile: app/Dockerfile
  beside:
    context: app
    inputs: [vendor/inner/docker/Dockerfile, vendor/inner/absent, "vendor/*/notes/*.txt", absent-too]
  apart:
    context: app
jobs:
  test:
    image: in-submodule
    script: [make test]
  vendored-test:
    image: apart
    submodules: true
    script: [make -C vendor/inner test]
"#;

/// The builds of [`MODEL`] that read the submodule, in plan order.
pub const READERS: [&str; 4] = ["around", "beside", "in-submodule", "submodule-root"];

/// Make `repo` (a git repository, created when it is not one) hold [`MODEL`] as `pipegen.yaml`,
/// `app/Dockerfile` and the submodule `vendor/inner`, whose own repository is made at `upstream`,
/// and commit them.
pub fn create(repo: &Path, upstream: &Path) {
    std::fs::create_dir_all(upstream.join("docker")).expect("create the submodule's repository");
    std::fs::write(upstream.join("docker/Dockerfile"), "FROM scratch\n").expect("write");
    std::fs::write(upstream.join("notes.txt"), "notes\n").expect("write");
    super::git(upstream, &["init", "-q", "-b", "main"]);
    super::git(upstream, &["add", "-A"]);
    super::git(upstream, &["commit", "-q", "-m", "inner"]);
    std::fs::create_dir_all(repo.join("app")).expect("create the repository");
    std::fs::write(repo.join("app/Dockerfile"), "FROM scratch\n").expect("write");
    std::fs::write(repo.join("pipegen.yaml"), MODEL).expect("write the model");
    if !repo.join(".git").exists() {
        super::git(repo, &["init", "-q", "-b", "main"]);
    }
    let upstream = upstream.to_str().expect("a UTF-8 path");
    super::git(repo, &["-c", "protocol.file.allow=always", "submodule", "add", "-q", upstream, "vendor/inner"]);
    super::git(repo, &["add", "-A"]);
    super::git(repo, &["commit", "-q", "-m", "a submodule"]);
}

/// Commit a change in the submodule and pin the repository to it.
pub fn move_pin(repo: &Path) {
    std::fs::write(repo.join("vendor/inner/notes.txt"), "moved\n").expect("write");
    super::git(&repo.join("vendor/inner"), &["commit", "-q", "-am", "move"]);
    super::git(repo, &["commit", "-q", "-am", "a new pin"]);
}

/// Builds with glob inputs that reach the submodule `vendor/inner` of [`create`] and one whose
/// globs cannot: the glob's directory is the submodule (`whole`) or lies in it (`below`), or a
/// leading part of the pattern matches the gitlink (`**` in `any-depth`, `*` in `one-level`,
/// `*/*` from the root in `from-root`); `unreached`'s globs match files beside the submodule
/// ([`reach`] adds them) but no path in it (`vendor/*.txt` is one component, `x*` and `*` at the
/// root do not match `vendor/inner`).
pub const REACH_MODEL: &str = r#"
pipegen: 1
name: reach
registry: registry.example.com/reach
images:
  whole:
    context: app
    inputs: ["vendor/inner/**"]
  below:
    context: app
    inputs: ["vendor/inner/docker/*"]
  any-depth:
    context: app
    inputs: ["vendor/**/*.txt"]
  one-level:
    context: app
    inputs: ["vendor/*/notes.txt"]
  from-root:
    context: app
    inputs: ["*/*/notes.txt"]
  unreached:
    context: app
    inputs: ["vendor/*.txt", "vendor/x*/**", "*/notes.txt"]
"#;

/// The builds of [`REACH_MODEL`] whose globs reach the submodule, in plan order.
pub const REACHERS: [&str; 5] = ["any-depth", "below", "from-root", "one-level", "whole"];

/// [`create`], then [`REACH_MODEL`] as `pipegen.yaml` and files beside the submodule that
/// `unreached`'s globs match, committed.
pub fn reach(repo: &Path, upstream: &Path) {
    create(repo, upstream);
    std::fs::write(repo.join("pipegen.yaml"), REACH_MODEL).expect("write the model");
    std::fs::write(repo.join("vendor/readme.txt"), "beside\n").expect("write");
    std::fs::create_dir_all(repo.join("vendor/xtra")).expect("create a directory");
    std::fs::write(repo.join("vendor/xtra/a.txt"), "beside\n").expect("write");
    std::fs::write(repo.join("app/notes.txt"), "beside\n").expect("write");
    super::git(repo, &["add", "-A"]);
    super::git(repo, &["commit", "-q", "-m", "globs around a submodule"]);
}
