//! A GitHub workflow run as the runner runs its `run:` steps, without containers: jobs in
//! `needs` order, each `run:` in its shell (`bash -e {0}` unless the step, the job or the
//! workflow says otherwise) with the workflow's, the job's and the step's `env:` evaluated
//! (`github_expr`), step outputs read from `$GITHUB_OUTPUT`, job outputs handed to the jobs that
//! need them. A `run:` is never evaluated: it must hold no `${{`. `uses:` steps are not run
//! (checkout's work is the sandbox repository; the test reads the others' `with:` itself).

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::github_expr::{Contexts, evaluate};
use crate::sandbox::{Sandbox, run_script};

/// Contexts every run has.
pub fn contexts(sandbox: &Sandbox) -> Contexts {
    [
        ("github.token", "github-token"),
        ("github.sha", sandbox.commit.as_str()),
        ("github.actor", "octocat"),
        ("github.workflow", "workflow"),
        ("github.ref", "refs/heads/main"),
        ("matrix.shard", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// An `env:` mapping, evaluated.
pub fn env(section: Option<&Json>, contexts: &Contexts) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for (name, value) in section.and_then(Json::as_object).into_iter().flatten() {
        // The push policy's expression reads the event; the sandbox runs a push to the default
        // branch, whose runs push.
        if name == "PIPEGEN_PUSH" {
            out.insert(name.clone(), "true".to_string());
            continue;
        }
        let text = match value {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        };
        out.insert(name.clone(), evaluate(&text, contexts).map_err(|e| format!("env {name}: {e}"))?);
    }
    Ok(out)
}

/// `name=value` lines and `name<<DELIMITER` blocks of a `$GITHUB_OUTPUT` file.
fn outputs(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut lines = text.split('\n');
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delimiter {
                    break;
                }
                value.push(l);
            }
            out.insert(name.to_string(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            out.insert(name.to_string(), value.to_string());
        }
    }
    out
}

fn shell_of(value: Option<&Json>) -> Option<String> {
    value?.get("defaults")?.get("run")?.get("shell")?.as_str().map(str::to_string)
}

/// Every job, run; `Err` names the first that failed. Returns the job ids that ran.
pub fn run(text: &str, sandbox: &Sandbox) -> Result<Vec<String>, String> {
    let doc: Json = pipegen::yaml::from_str(text).map_err(|e| format!("GitHub: not YAML: {e}"))?;
    let jobs = doc.get("jobs").and_then(Json::as_object).ok_or("GitHub: no jobs")?;
    let mut contexts = contexts(sandbox);
    let workflow_env = env(doc.get("env"), &contexts)?;
    let mut done: Vec<String> = Vec::new();
    let needs_of = |job: &Json| -> Vec<String> {
        match job.get("needs") {
            Some(Json::String(s)) => vec![s.clone()],
            Some(Json::Array(a)) => a.iter().filter_map(|n| n.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        }
    };
    while done.len() < jobs.len() {
        let ready = jobs.iter().find(|(id, job)| !done.contains(id) && needs_of(job).iter().all(|n| done.contains(n)));
        let Some((id, job)) = ready else { return Err("GitHub: jobs whose needs never run".to_string()) };
        let job_env = env(job.get("env"), &contexts)?;
        let mut step_outputs: BTreeMap<String, String> = BTreeMap::new();
        for (index, step) in job.get("steps").and_then(Json::as_array).into_iter().flatten().enumerate() {
            let Some(run) = step.get("run").and_then(Json::as_str) else { continue };
            if run.contains("${{") {
                return Err(format!("GitHub job `{id}`, step {}: an expression in `run:`:\n{run}", index + 1));
            }
            if step.get("if").and_then(Json::as_str).is_some_and(|c| c.contains("failure()")) {
                continue;
            }
            let mut step_contexts = contexts.clone();
            step_contexts.extend(step_outputs.iter().map(|(k, v)| (k.clone(), v.clone())));
            let mut scope = workflow_env.clone();
            scope.extend(job_env.clone());
            scope.extend(env(step.get("env"), &step_contexts)?);
            let output_file = sandbox.dir.path().join(format!("github-output-{id}-{index}"));
            std::fs::write(&output_file, "").expect("create GITHUB_OUTPUT");
            scope.insert("GITHUB_OUTPUT".into(), output_file.display().to_string());
            scope.insert("GITHUB_SHA".into(), sandbox.commit.clone());
            scope.insert("GITHUB_WORKSPACE".into(), sandbox.repo.display().to_string());
            scope.insert("GITHUB_ACTIONS".into(), "true".into());
            scope.insert("CI".into(), "true".into());
            scope.insert("RUNNER_TEMP".into(), sandbox.dir.path().display().to_string());
            scope.insert("HOME".into(), sandbox.home.display().to_string());
            scope.insert("LANG".into(), "C.UTF-8".into());
            let shell = step
                .get("shell")
                .and_then(Json::as_str)
                .map(str::to_string)
                .or_else(|| shell_of(Some(job)))
                .or_else(|| shell_of(Some(&doc)));
            let command: &[&str] = match shell.as_deref() {
                None => &["bash", "-e"],
                Some("bash") => &["bash", "--noprofile", "--norc", "-eo", "pipefail"],
                Some("sh") => &["sh", "-e"],
                Some(other) => return Err(format!("GitHub job `{id}`: a shell this test does not run: {other}")),
            };
            let name = job.get("name").and_then(Json::as_str).unwrap_or(id);
            let (code, output) = run_script(sandbox, name, command, run, &scope);
            if code != 0 {
                return Err(format!(
                    "GitHub job `{id}` ({name}), step {} failed with status {code}:\n{output}",
                    index + 1
                ));
            }
            if let Some(step_id) = step.get("id").and_then(Json::as_str) {
                let written = std::fs::read_to_string(&output_file).unwrap_or_default();
                for (k, v) in outputs(&written) {
                    step_outputs.insert(format!("steps.{step_id}.outputs.{k}"), v);
                }
            }
        }
        let mut job_contexts = contexts.clone();
        job_contexts.extend(step_outputs);
        for (name, value) in job.get("outputs").and_then(Json::as_object).into_iter().flatten() {
            let value = evaluate(value.as_str().unwrap_or_default(), &job_contexts)?;
            contexts.insert(format!("needs.{id}.outputs.{name}"), value);
        }
        done.push(id.clone());
    }
    Ok(done)
}
