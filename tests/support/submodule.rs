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
