//! What the runner's kernel refuses, checked on the plan for every backend: Linux starts no
//! program with an environment string (`NAME=value`) or argument over 128 KiB
//! (`MAX_ARG_STRLEN`, 32 pages), failing with E2BIG ("Argument list too long"). Both platforms
//! hand a job's variables to its shell as environment, a service's to its container, a build's
//! arguments to its build job (`PIPEGEN_ARG_<NAME>`), and GitHub a job's script too (in
//! `PIPEGEN_SCRIPT`, then as the argument of `bash -c`). Without this check the pipeline is
//! written and every such job fails before its first line.
//!
//! The kernel also caps a program's arguments and environment together (`ARG_MAX`: a quarter of
//! the stack limit, 2 MiB with the usual 8 MiB), and the platform and runner add their own
//! variables to the job's: what pipegen hands one process is held to half of it,
//! [`MAX_ENVIRONMENT`].

use std::collections::BTreeSet;

use super::Plan;
use crate::model::{Diagnostic, ModelPath};

/// The longest string `execve` takes, its terminating NUL included.
pub const MAX_ENV_STRING: usize = 128 * 1024;

/// What pipegen's own variables may take of one process's arguments and environment: half of
/// the usual `ARG_MAX` (2 MiB), the rest left to the platform's and the runner's variables.
pub const MAX_ENVIRONMENT: usize = 1024 * 1024;

/// Every value that would reach a process as one string over [`MAX_ENV_STRING`], and every
/// process whose variables together come to more than [`MAX_ENVIRONMENT`]; one problem per
/// place in the model, however many variants carry it.
pub fn check(plan: &Plan) -> Vec<Diagnostic> {
    let mut problems = check_strings(plan);
    let mut reported = BTreeSet::new();
    let mut over = |bytes: usize, path: ModelPath, what: &dyn Fn() -> String| {
        if bytes > MAX_ENVIRONMENT && reported.insert(path.to_string()) {
            problems.push(
                Diagnostic::new(
                    "environment-too-large",
                    path,
                    format!(
                        "{} would start with {bytes} bytes of pipegen's variables; Linux starts no program whose arguments and environment together pass 2 MiB, and the platform adds its own, so pipegen keeps its share to {MAX_ENVIRONMENT}",
                        what()
                    ),
                )
                .label("too much for one process")
                .help("keep large text in files of the repository and pass their paths"),
            );
        }
    };
    for build in &plan.builds {
        let total: usize =
            build.args.iter().chain(&build.parent_args).map(|(n, v)| entry(n, v) + ARG_PREFIX.len()).sum();
        over(total, ModelPath::keys(["images", &*build.this.id.image, "args"]), &|| {
            format!("the build job of image `{}`", build.this.id.image)
        });
    }
    for run in &plan.runs {
        let env: usize = run.env.iter().map(|(n, v)| entry(n, v)).sum();
        let script: usize = run.script.iter().map(|line| line.len() + 1).sum::<usize>() + entry("PIPEGEN_SCRIPT", "");
        over(env + script, ModelPath::keys(["jobs", run.job.as_str()]), &|| format!("job `{}`", run.job));
        for service in &run.services {
            // GitLab hands a job's variables to its services' containers too.
            let own: usize = service.env.iter().map(|(n, v)| entry(n, v)).sum();
            over(own + env, ModelPath::keys(["jobs", run.job.as_str(), "services"]), &|| {
                format!("service `{}` of job `{}`", service.alias, run.job)
            });
        }
    }
    problems
}

/// `NAME=value` and its NUL, as `execve` counts it.
fn entry(name: &str, value: &str) -> usize {
    name.len() + "=".len() + value.len() + 1
}

/// Every value that would reach a process as one string over [`MAX_ENV_STRING`].
fn check_strings(plan: &Plan) -> Vec<Diagnostic> {
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

    /// The total is the kernel's too: strings that each fit, 2 MiB of them together, start no
    /// program; pipegen's share, [`MAX_ENVIRONMENT`], does.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_kernel_starts_no_program_with_2_mib_of_environment() {
        let run = |total: usize| {
            let mut command = std::process::Command::new("true");
            command.env_clear();
            let each = MAX_ENV_STRING - 64;
            for i in 0..total.div_ceil(each) {
                command.env(format!("V{i}"), "e".repeat(each.min(total - i * each)));
            }
            command.status()
        };
        assert!(run(MAX_ENVIRONMENT).expect("pipegen's share starts").success());
        let error = run(2 * 1024 * 1024).expect_err("2 MiB together is refused");
        assert_eq!(error.raw_os_error(), Some(7), "E2BIG: {error}");
    }

    #[test]
    fn variables_that_each_fit_but_not_together_are_refused_once_per_place() {
        let value = "v".repeat(MAX_ENV_STRING - 1024);
        let many = |n: usize| (0..n).map(|i| format!("A{i}: \"{value}\"")).collect::<Vec<_>>().join(", ");
        let text = |n: usize| {
            format!(
                "pipegen: 1\nname: t\nregistry: r.example.com/t\naxes:\n  v: [\"1\", \"2\"]\nimages:\n  app:\n    axes: [v]\n    args: {{ {} }}\nservices:\n  db:\n    image: postgres:16.4\n    port: 5432\n    env: {{ {} }}\njobs:\n  test:\n    image: app\n    services: [db]\n    env: {{ {} }}\n    script: [make]\n",
                many(n),
                many(n / 2 + 1),
                many(n / 2),
            )
        };
        // 1 MiB is eight such values; a service gets its job's variables as well as its own.
        assert_eq!(codes(&text(7)), []);
        assert_eq!(
            codes(&text(9)),
            [
                ("environment-too-large", "images.app.args".to_string()),
                ("environment-too-large", "jobs.test.services".to_string()),
            ]
        );
        let text = text(18);
        assert_eq!(
            codes(&text),
            [
                ("environment-too-large", "images.app.args".to_string()),
                ("environment-too-large", "jobs.test".to_string()),
                ("environment-too-large", "jobs.test.services".to_string()),
            ]
        );
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
