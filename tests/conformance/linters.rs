//! The platforms' own checkers, each run once over many files: check-jsonschema with GitLab's
//! and GitHub's schemas, jactionlint (default profile) and zizmor (offline). Nothing in the
//! repository may switch a rule off for them: no configuration file is read, and inputs that
//! zizmor cannot parse are an error rather than a warning.

use std::path::{Path, PathBuf};
use std::process::Command;

use pipegen::emit::Target;

use crate::corpus::describe_run;
use crate::support;

/// What a tool said.
pub struct Verdict {
    pub code: i32,
    /// Command, exit status, stdout and stderr, ready for a failure message.
    pub report: String,
    /// stdout and stderr together, for looking for rule names.
    pub output: String,
}

fn run(mut command: Command) -> Verdict {
    command.current_dir(support::repo());
    let (code, stdout, stderr) = support::run(&mut command);
    Verdict { code, report: describe_run(&command, code, &stdout, &stderr), output: format!("{stdout}{stderr}") }
}

/// check-jsonschema with the vendored schema of `target`'s platform (no network).
pub fn schema(target: Target, files: &[PathBuf]) -> Verdict {
    let mut command = Command::new(support::tool("check-jsonschema"));
    match target {
        Target::Gitlab => command.args(["--builtin-schema", "vendor.gitlab-ci", "--data-transform", "gitlab-ci"]),
        Target::Github => command.args(["--builtin-schema", "vendor.github-workflows"]),
    };
    command.args(["--color", "never"]).args(files);
    run(command)
}

/// jactionlint with its default profile and an empty configuration.
pub fn jactionlint(files: &[PathBuf], scratch: &Path) -> Verdict {
    let config = scratch.join("jactionlint-empty.yaml");
    std::fs::write(&config, "").expect("write an empty jactionlint config");
    let mut command = Command::new(support::tool("jactionlint"));
    command.args(["--profile", "default", "--no-online", "--no-color", "--config-file"]).arg(&config).args(files);
    run(command)
}

/// zizmor, offline, without configuration, failing on inputs it cannot read as workflows.
pub fn zizmor(files: &[PathBuf]) -> Verdict {
    let mut command = Command::new(support::tool("zizmor"));
    command
        .args(["--offline", "--no-config", "--strict-collection", "--no-progress", "--color", "never"])
        .args(files)
        .env("RUST_BACKTRACE", "0");
    run(command)
}
