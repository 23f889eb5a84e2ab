//! Shared by the integration tests: the repository, the built binary, and the external tools
//! that `scripts/install-tools.sh` installs (run once, under a lock, when a test needs them).

#![allow(dead_code)]

pub mod model_gen;
pub mod real_engines;
pub mod submodule;
pub mod yaml_readers;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The pipegen binary cargo built for these tests.
pub fn pipegen() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pipegen"))
}

/// Run pipegen in `dir` without colour: (exit code, stdout, stderr).
pub fn pipegen_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    run(pipegen().args(args).current_dir(dir).env("NO_COLOR", "1"))
}

/// Install the external test tools through the project's own script (a no-op when they are
/// current). Test binaries run in parallel, so a file lock serializes the script.
pub fn ensure_tools() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let tools = repo().join(".tools");
        std::fs::create_dir_all(&tools).expect("create .tools");
        let lock = File::create(tools.join(".install.lock")).expect("create the install lock");
        lock.lock().expect("lock the tool install");
        let status = Command::new("bash")
            .arg(repo().join("scripts/install-tools.sh"))
            .current_dir(repo())
            .status()
            .expect("run scripts/install-tools.sh");
        assert!(status.success(), "scripts/install-tools.sh failed; run it by hand to see why");
        lock.unlock().expect("unlock the tool install");
    });
}

/// A tool installed by `scripts/install-tools.sh`: the venv, node_modules, then the system.
pub fn tool(name: &str) -> PathBuf {
    ensure_tools();
    let candidates =
        [repo().join(".tools/venv/bin").join(name), repo().join(".tools/node/node_modules/.bin").join(name)];
    for candidate in candidates {
        if candidate.exists() {
            return candidate;
        }
    }
    for dir in std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).unwrap_or_default() {
        let candidate = dir.join(name);
        if candidate.exists() {
            return candidate;
        }
    }
    panic!("{name} is not installed; scripts/install-tools.sh should have installed it");
}

/// Copy the directory `from` (a fixture tree) to `to`, recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("create {}: {e}", to.display()));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display())) {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("copy {}: {e}", entry.path().display()));
        }
    }
}

/// Run `command`, returning (exit code, stdout, stderr).
pub fn run(command: &mut Command) -> (i32, String, String) {
    let output = command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Run pipegen with `args` in `dir` with its stderr a pipe closed before pipegen writes to it
/// (its writes get EPIPE): the exit code.
pub fn exit_code_with_stderr_closed(dir: &Path, args: &[&str]) -> Option<i32> {
    let mut child = pipegen()
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run pipegen");
    drop(child.stderr.take());
    child.wait_with_output().expect("wait for pipegen").status.code()
}

/// Every model under `model/`.
pub fn models() -> Vec<PathBuf> {
    let mut models: Vec<PathBuf> = std::fs::read_dir(repo().join("model"))
        .expect("read model/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    models.sort();
    models
}

/// Every valid fixture model under `tests/fixtures/valid/`.
pub fn valid_fixtures() -> Vec<PathBuf> {
    let dir = repo().join("tests/fixtures/valid");
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries.map(|e| e.expect("entry").path()).filter(|p| p.extension().is_some_and(|e| e == "yaml")).collect()
        })
        .unwrap_or_default();
    fixtures.sort();
    fixtures
}

/// A path relative to the repository, for messages.
pub fn relative(path: &Path) -> String {
    path.strip_prefix(repo()).unwrap_or(path).display().to_string()
}

/// Run the installed git in `repo` with a test identity and no signing; its stdout. A failure
/// fails the test with git's message.
pub fn git(repo: &Path, args: &[&str]) -> String {
    let mut command = Command::new(tool("git"));
    command
        .args(["-c", "user.name=pipegen test", "-c", "user.email=test@pipegen.invalid", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(repo);
    let (code, stdout, stderr) = run(&mut command);
    assert_eq!(code, 0, "git {args:?} failed: {stderr}");
    stdout
}
