//! What the runner's kernel refuses, checked on the plan for every backend: Linux starts no
//! program with an environment string (`NAME=value`) or argument over 128 KiB
//! (`MAX_ARG_STRLEN`, 32 pages), failing with E2BIG ("Argument list too long"). Both platforms
//! hand a job's variables to its shell as environment, a service's to its container, a build's
//! arguments to its build job (`PIPEGEN_ARG_<NAME>`), and GitHub a job's script too (in
//! `PIPEGEN_SCRIPT`, then as the argument of `bash -c`). Without this check the pipeline is
//! written and every such job fails before its first line.

use std::collections::BTreeSet;

use super::Plan;
use crate::model::{Diagnostic, ModelPath};

/// The longest string `execve` takes, its terminating NUL included.
pub const MAX_ENV_STRING: usize = 128 * 1024;

/// Every value that would reach a process as one string over [`MAX_ENV_STRING`]; one problem
/// per place in the model, however many variants carry it.
pub fn check(plan: &Plan) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let mut reported = BTreeSet::new();
    // Paths and names are made only for a value over the limit: the check runs on every value
    // of every variant.
    let mut over = |bytes: usize, path: &dyn Fn() -> ModelPath, what: &dyn Fn() -> String| {
        if bytes <= MAX_ENV_STRING {
            return;
        }
        let path = path();
        if reported.insert(path.to_string()) {
            problems.push(
                Diagnostic::new(
                    "value-too-long",
                    path,
                    format!(
                        "{} would reach its process as {bytes} bytes; Linux starts no program with one environment string or argument over {MAX_ENV_STRING} (\"Argument list too long\")",
                        what()
                    ),
                )
                .label("too long for one variable")
                .help("keep large text in a file of the repository and pass its path"),
            );
        }
    };
    let entry = |name: &str, value: &str| name.len() + "=".len() + value.len() + 1;
    for build in &plan.builds {
        for (name, value) in build.args.iter().chain(&build.parent_args) {
            over(
                entry(name, value) + ARG_PREFIX.len(),
                &|| ModelPath::keys(["images", &*build.this.id.image, "args", name.as_str()]),
                &|| format!("build argument `{name}` (`{ARG_PREFIX}{name}`)"),
            );
        }
    }
    for run in &plan.runs {
        let job = || ModelPath::keys(["jobs", run.job.as_str()]);
        for (name, value) in &run.env {
            over(entry(name, value), &|| job().key("env").key(name.as_str()), &|| format!("variable `{name}`"));
        }
        for service in &run.services {
            for (name, value) in &service.env {
                over(entry(name, value), &|| job().key("services"), &|| {
                    format!("variable `{name}` of service `{}`", service.alias)
                });
            }
        }
        let script: usize = run.script.iter().map(|line| line.len() + 1).sum();
        over(entry("PIPEGEN_SCRIPT", "") + script, &|| job().key("script"), &|| {
            "the script (on GitHub, one variable)".to_string()
        });
    }
    problems
}

/// How a build job's variables name its build arguments.
const ARG_PREFIX: &str = "PIPEGEN_ARG_";

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(model: &str) -> Vec<(&'static str, String)> {
        let loaded = crate::model::load("m.yaml", model).unwrap_or_else(|e| panic!("{e}"));
        match crate::plan::build(&loaded, "m.yaml") {
            Ok(_) => Vec::new(),
            Err(errors) => errors.diagnostics.iter().map(|d| (d.code, d.path.to_string())).collect(),
        }
    }

    fn model(arg: usize, env: usize, script: usize) -> String {
        format!(
            "pipegen: 1\nname: t\nregistry: r.example.com/t\naxes:\n  v: [\"1\", \"2\"]\nimages:\n  app:\n    args: {{ TEXT: \"{}\" }}\njobs:\n  test:\n    image: app\n    axes: [v]\n    env: {{ BIG: \"{}\" }}\n    script: [\"{}\"]\n",
            "a".repeat(arg),
            "e".repeat(env),
            "s".repeat(script)
        )
    }

    /// The limit is the kernel's: a program starts with `BIG=<value>` of exactly
    /// [`MAX_ENV_STRING`] bytes (NUL included), and not with one byte more.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_kernel_starts_no_program_with_a_longer_environment_string() {
        let run = |value_len: usize| std::process::Command::new("true").env("BIG", "e".repeat(value_len)).status();
        assert!(run(MAX_ENV_STRING - "BIG=".len() - 1).expect("true starts").success());
        let error = run(MAX_ENV_STRING - "BIG=".len()).expect_err("one byte more is refused");
        assert_eq!(error.raw_os_error(), Some(7), "E2BIG: {error}");
    }

    #[test]
    fn one_string_over_128_kib_is_refused_where_it_is_written_once() {
        // `PIPEGEN_ARG_TEXT=` (17) and a NUL; `BIG=` (4) and a NUL; `PIPEGEN_SCRIPT=` (15), a
        // newline and a NUL.
        let fits = model(MAX_ENV_STRING - 18, MAX_ENV_STRING - 5, MAX_ENV_STRING - 17);
        assert_eq!(codes(&fits), []);
        let over = model(MAX_ENV_STRING - 17, MAX_ENV_STRING - 4, MAX_ENV_STRING - 16);
        assert_eq!(
            codes(&over),
            [
                ("value-too-long", "images.app.args.TEXT".to_string()),
                ("value-too-long", "jobs.test.env.BIG".to_string()),
                ("value-too-long", "jobs.test.script".to_string()),
            ]
        );
    }
}
