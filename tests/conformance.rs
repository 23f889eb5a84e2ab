//! Issue 3, conformance: the generated pipelines pass the platforms' own checks.
//!
//! Every file under `generated/`, the root `.gitlab-ci.yml` and what `pipegen emit --target …`
//! prints for every model and valid fixture must get zero findings from: GitLab's and GitHub's
//! JSON Schemas (check-jsonschema), jactionlint and zizmor (GitHub), shellcheck on every job's
//! script as the runner runs it, and gitlab-ci-local, whose job list and `needs` must be those of
//! pipegen's plan. The inputs under `tests/fixtures/broken/` show that each check bites.
//! The tools come from `scripts/install-tools.sh` (through `support::ensure_tools`); a missing
//! tool is installed or fails the test, never skipped.

// Needs external tools: in the full tier (scripts/test.sh), not in the offline `cargo test`.
#![cfg(feature = "external-tests")]

mod support;

#[path = "conformance/corpus.rs"]
mod corpus;
#[path = "conformance/gitlab_jobs.rs"]
mod gitlab_jobs;
#[path = "conformance/job_scripts.rs"]
mod job_scripts;
#[path = "conformance/linters.rs"]
mod linters;
#[path = "conformance/locate.rs"]
mod locate;

use std::path::PathBuf;

use pipegen::emit::Target;

use corpus::Pipeline;
use job_scripts::{Finding, JobScript};

fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("pipegen-conformance-").tempdir().expect("create a temporary directory")
}

fn broken(name: &str) -> PathBuf {
    let path = support::repo().join("tests/fixtures/broken").join(name);
    assert!(path.is_file(), "missing broken fixture {}", path.display());
    path
}

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The 1-based line of `text` that contains `needle` (exactly one must).
fn line_of(text: &str, needle: &str) -> usize {
    let lines: Vec<usize> = text.lines().enumerate().filter(|(_, l)| l.contains(needle)).map(|(i, _)| i + 1).collect();
    assert_eq!(lines.len(), 1, "expected one line containing {needle:?}, found {lines:?}");
    lines[0]
}

/// The scripts of every pipeline, and the pipelines whose scripts cannot be read.
fn all_scripts(pipelines: &[&Pipeline]) -> (Vec<JobScript>, Vec<String>) {
    let mut scripts = Vec::new();
    let mut problems = Vec::new();
    for pipeline in pipelines {
        let extracted = match pipeline.target {
            Target::Gitlab => job_scripts::gitlab(&pipeline.name(), &pipeline.text),
            Target::Github => job_scripts::github(&pipeline.name(), &pipeline.text),
        };
        match extracted {
            Ok(found) => scripts.extend(found),
            Err(problem) => problems.push(problem),
        }
    }
    (scripts, problems)
}

fn report(findings: &[Finding]) -> String {
    findings.iter().map(|f| format!("{}\n", f.message)).collect()
}

// ------------------------------------------------------------------------------ the pipelines

#[test]
fn every_pipeline_is_checked() {
    let sources: Vec<&String> = corpus::all().iter().flat_map(|p| &p.sources).collect();
    let listing: String = corpus::all().iter().map(|p| format!("  {}: {}\n", p.target, p.name())).collect();
    let mut wanted = Vec::new();
    let generated = support::repo().join("generated");
    let mut stack = vec![generated];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten() {
            let path = entry.expect("read generated/").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                wanted.push(support::relative(&path));
            }
        }
    }
    if support::repo().join(".gitlab-ci.yml").is_file() {
        wanted.push(".gitlab-ci.yml".to_string());
    }
    for model in support::models().into_iter().chain(support::valid_fixtures()) {
        for target in Target::ALL {
            wanted.push(format!("pipegen emit --target {target} --model {}", support::relative(&model)));
        }
    }
    for target in Target::ALL {
        wanted.push(format!("pipegen emit --target {target} (in a repository like tests/fixtures/repos/checkout)"));
    }
    let missing: Vec<&String> = wanted.iter().filter(|w| !sources.contains(w)).collect();
    assert!(missing.is_empty(), "not checked: {missing:?}\nchecked:\n{listing}");
    assert_eq!(sources.len(), wanted.len(), "checked:\n{listing}");
}

#[test]
fn gitlab_pipelines_match_gitlabs_schema() {
    let pipelines = corpus::of(Target::Gitlab);
    let dir = scratch();
    let files = corpus::materialize(&pipelines, dir.path());
    let verdict = linters::schema(Target::Gitlab, &files);
    assert_eq!(
        verdict.code,
        0,
        "GitLab's schema rejects a pipeline:\n{}\n{}",
        verdict.report,
        corpus::legend(&pipelines, &files)
    );
}

#[test]
fn github_workflows_match_githubs_schema() {
    let pipelines = corpus::of(Target::Github);
    let dir = scratch();
    let files = corpus::materialize(&pipelines, dir.path());
    let verdict = linters::schema(Target::Github, &files);
    assert_eq!(
        verdict.code,
        0,
        "GitHub's schema rejects a workflow:\n{}\n{}",
        verdict.report,
        corpus::legend(&pipelines, &files)
    );
}

#[test]
fn github_workflows_pass_jactionlint() {
    let pipelines = corpus::of(Target::Github);
    let dir = scratch();
    let files = corpus::materialize(&pipelines, dir.path());
    let verdict = linters::jactionlint(&files, dir.path());
    assert_eq!(
        verdict.code,
        0,
        "jactionlint has findings:\n{}\n{}",
        verdict.report,
        corpus::legend(&pipelines, &files)
    );
}

#[test]
fn github_workflows_pass_zizmor() {
    let pipelines = corpus::of(Target::Github);
    let dir = scratch();
    let files = corpus::materialize(&pipelines, dir.path());
    let verdict = linters::zizmor(&files);
    assert_eq!(verdict.code, 0, "zizmor has findings:\n{}\n{}", verdict.report, corpus::legend(&pipelines, &files));
}

#[test]
fn every_job_script_passes_shellcheck() {
    support::ensure_tools();
    let gitlab = corpus::of(Target::Gitlab);
    let github = corpus::of(Target::Github);
    let pipelines: Vec<&Pipeline> = gitlab.into_iter().chain(github).collect();
    let (scripts, unreadable) = all_scripts(&pipelines);
    assert!(
        scripts.iter().any(|s| s.job.starts_with("build:") && s.text.contains("pipegen_tag_of()")),
        "no GitLab build script was found to check: is the extraction broken?"
    );
    assert!(
        scripts.iter().any(|s| s.job.contains(" / step ") && s.text.contains("pipegen_tag_of()")),
        "no GitHub build script (the workflow's env, run by a step) was found to check: is the extraction broken?"
    );
    assert!(
        scripts.iter().any(|s| s.job.contains(" / step ")),
        "no `run:` step of a GitHub workflow was found to check: is the extraction broken?"
    );
    let dir = scratch();
    let findings = job_scripts::shellcheck(&scripts, dir.path());
    assert!(
        findings.is_empty() && unreadable.is_empty(),
        "shellcheck finds {} problems in {} job scripts:\n{}\ncannot read the scripts of {} pipelines:\n{}",
        findings.len(),
        scripts.len(),
        report(&findings),
        unreadable.len(),
        unreadable.join("\n")
    );
}

#[test]
fn gitlab_ci_local_lists_the_planned_jobs_and_needs() {
    support::ensure_tools();
    let pipelines = corpus::of(Target::Gitlab);
    let dir = scratch();
    // gitlab-ci-local is a Node program that takes 1 to 3 s per pipeline: one per core at a time.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<(usize, Vec<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let Some(pipeline) = pipelines.get(i) else { break done };
                        done.push((i, check_with_gitlab_ci_local(pipeline, &dir.path().join(i.to_string()))));
                    }
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a gitlab-ci-local worker panicked")).collect()
    });
    let failures: Vec<String> = results
        .into_iter()
        .filter(|(_, problems)| !problems.is_empty())
        .map(|(i, problems)| format!("{}:\n  {}\n", pipelines[i].name(), problems.join("\n  ")))
        .collect();
    assert!(failures.is_empty(), "gitlab-ci-local disagrees with pipegen's plan:\n{}", failures.join("\n"));
}

fn check_with_gitlab_ci_local(pipeline: &Pipeline, dir: &std::path::Path) -> Vec<String> {
    let Some(model) = &pipeline.model else {
        return vec![
            "its first line does not name the model it was generated from, so there is no plan to compare".into(),
        ];
    };
    let plan = corpus::plan_of(model);
    match gitlab_jobs::list_json(&pipeline.text, dir) {
        Ok(listed) => gitlab_jobs::differences(&plan, &listed),
        Err(report) => vec![format!("gitlab-ci-local rejects it:\n{report}")],
    }
}

// ------------------------------------------------------------------------------ the checks bite

#[test]
fn gitlab_schema_rejects_an_unknown_keyword() {
    let verdict = linters::schema(Target::Gitlab, &[broken("gitlab-unknown-keyword.gitlab-ci.yml")]);
    assert_eq!(verdict.code, 1, "{}", verdict.report);
    assert!(verdict.output.contains("'scirpt' was unexpected"), "{}", verdict.report);
}

#[test]
fn github_schema_rejects_a_job_without_a_runner() {
    let verdict = linters::schema(Target::Github, &[broken("github-no-runner.yml")]);
    assert_eq!(verdict.code, 1, "{}", verdict.report);
    assert!(verdict.output.contains("'runs-on' is a required property"), "{}", verdict.report);
}

#[test]
fn gitlab_ci_local_rejects_a_need_on_a_missing_job_and_an_unknown_keyword() {
    support::ensure_tools();
    let dir = scratch();
    let missing =
        gitlab_jobs::list_json(&read(&broken("gitlab-needs-missing-job.gitlab-ci.yml")), &dir.path().join("a"))
            .expect_err("gitlab-ci-local accepted a need on a job that does not exist");
    assert!(missing.contains("needs: [compile] for deploy could not be found"), "{missing}");
    let unknown = gitlab_jobs::list_json(&read(&broken("gitlab-unknown-keyword.gitlab-ci.yml")), &dir.path().join("b"))
        .expect_err("gitlab-ci-local accepted an unknown keyword");
    assert!(unknown.contains("'scirpt' property is not expected"), "{unknown}");
}

#[test]
fn the_plan_comparison_reports_a_dropped_need_and_a_dropped_job() {
    support::ensure_tools();
    // The first model with a job that needs two others: drop one need, and drop a job no one needs.
    let (model, plan) = support::models()
        .iter()
        .chain(&support::valid_fixtures())
        .map(|m| support::relative(m))
        .map(|m| {
            let plan = corpus::plan_of(&m);
            (m, plan)
        })
        .find(|(_, plan)| plan.builds.iter().any(|b| b.needs.len() >= 2) && !plan.runs.is_empty())
        .expect("a model with a build that needs two jobs and a job of its own");
    let mut command = support::pipegen();
    command.args(["emit", "--target", "gitlab", "--model"]).arg(support::repo().join(&model));
    let (code, text, stderr) = support::run(&mut command);
    assert_eq!(code, 0, "{stderr}");
    let mut doc: pipegen::yaml::Value = pipegen::yaml::from_str(&text).expect("emitted YAML");
    let needy = plan.builds.iter().find(|b| b.needs.len() >= 2).expect("checked above");
    let gitlab_name = pipegen::emit::gitlab::names::job;
    let needy_name = gitlab_name(&needy.id());
    let dropped_need = gitlab_name(&needy.needs.last().expect("two needs").job);
    let needs = doc.get_mut(&needy_name).and_then(|j| j.get_mut("needs")).and_then(|n| n.as_sequence_mut());
    needs
        .expect("the build's needs")
        .retain(|n| n.as_str().or_else(|| n.get("job").and_then(|j| j.as_str())) != Some(dropped_need.as_str()));
    let dropped_job = gitlab_name(&plan.runs.last().expect("checked above").id());
    doc.as_mapping_mut().expect("a mapping").remove(&dropped_job).expect("the job is in the pipeline");
    let mutated = pipegen::yaml::to_string(&doc).expect("serialize");

    let dir = scratch();
    let listed = gitlab_jobs::list_json(&mutated, dir.path()).expect("gitlab-ci-local reads the mutated pipeline");
    let problems = gitlab_jobs::differences(&plan, &listed).join("\n");
    assert!(problems.contains(&format!("job `{needy_name}` needs")), "{model}: {problems}");
    // A sharded job is listed per shard (`qa:3.3: [1/4]`).
    assert!(problems.contains(&format!("job `{dropped_job}")), "{model}: {problems}");
    assert!(problems.contains("is not in the pipeline"), "{model}: {problems}");
}

#[test]
fn zizmor_and_jactionlint_reject_an_unpinned_action_that_keeps_credentials() {
    let file = broken("github-unpinned-no-persist.yml");
    let dir = scratch();
    let zizmor = linters::zizmor(std::slice::from_ref(&file));
    assert!(zizmor.code >= 10, "zizmor should report findings (exit 10 + severity):\n{}", zizmor.report);
    for rule in ["unpinned-uses", "artipacked"] {
        assert!(zizmor.output.contains(&format!("[{rule}]")), "zizmor did not report {rule}:\n{}", zizmor.report);
    }
    let jactionlint = linters::jactionlint(&[file], dir.path());
    assert_eq!(jactionlint.code, 1, "{}", jactionlint.report);
    for rule in ["unpinned-uses", "artipacked"] {
        assert!(
            jactionlint.output.contains(&format!("[{rule}]")),
            "jactionlint did not report {rule}:\n{}",
            jactionlint.report
        );
    }
}

#[test]
fn zizmor_and_jactionlint_reject_template_injection() {
    let file = broken("github-template-injection.yml");
    let dir = scratch();
    let zizmor = linters::zizmor(std::slice::from_ref(&file));
    assert!(zizmor.code >= 10, "{}", zizmor.report);
    assert!(zizmor.output.contains("error[template-injection]"), "{}", zizmor.report);
    let jactionlint = linters::jactionlint(&[file], dir.path());
    assert_eq!(jactionlint.code, 1, "{}", jactionlint.report);
    assert!(jactionlint.output.contains("[template-injection]"), "{}", jactionlint.report);
}

#[test]
fn zizmor_fails_on_a_file_it_cannot_read_as_a_workflow() {
    // Otherwise an empty or broken workflow among many would only draw a warning.
    let zizmor = linters::zizmor(&[broken("github-no-runner.yml"), broken("github-template-injection.yml")]);
    assert_eq!(zizmor.code, 1, "{}", zizmor.report);
    assert!(zizmor.output.contains("no audit was performed"), "{}", zizmor.report);
}

#[test]
fn shellcheck_reports_unquoted_variables_in_gitlab_jobs_at_their_lines() {
    support::ensure_tools();
    let path = broken("gitlab-unquoted-variable.gitlab-ci.yml");
    let text = read(&path);
    let name = support::relative(&path);
    let scripts = job_scripts::gitlab(&name, &text).expect("readable");
    let dir = scratch();
    let findings = job_scripts::shellcheck(&scripts, dir.path());
    let mut got: Vec<(String, u32, Option<usize>)> =
        findings.iter().map(|f| (f.job.clone(), f.code, f.file_line)).collect();
    got.sort();
    // The template's before_script runs in `build` (it extends the template); `target`, set
    // there, and `flavour`, a job variable, are assigned; only the unquoted uses are reported.
    let mut expected = vec![
        ("build".to_string(), 2086, Some(line_of(&text, "echo $HOME"))),
        ("build".to_string(), 2086, Some(line_of(&text, "- echo $target"))),
    ];
    expected.sort();
    assert_eq!(got, expected, "{}", report(&findings));
    assert!(findings.iter().all(|f| f.pipeline == name && f.message.contains(&name)));
}

#[test]
fn shellcheck_reports_unquoted_variables_in_github_steps_at_their_lines() {
    support::ensure_tools();
    let path = broken("github-unquoted-variable.yml");
    let text = read(&path);
    let scripts = job_scripts::github(&support::relative(&path), &text).expect("readable");
    let dir = scratch();
    let findings = job_scripts::shellcheck(&scripts, dir.path());
    let mut got: Vec<(String, u32, Option<usize>)> =
        findings.iter().map(|f| (f.job.clone(), f.code, f.file_line)).collect();
    got.sort();
    // An expression is a variable to shellcheck (quoted or not), and plain text inside single
    // quotes; `greeting` comes from the job's env.
    let job = "greet / step 1 (Greet)".to_string();
    let mut expected = vec![
        (job.clone(), 2086, Some(line_of(&text, "echo $greeting"))),
        (job, 2086, Some(line_of(&text, "echo ${{ github.event_name }}"))),
    ];
    expected.sort();
    assert_eq!(got, expected, "{}", report(&findings));
}
