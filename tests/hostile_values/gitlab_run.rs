//! A GitLab pipeline run as GitLab Runner's shell would run its jobs, without containers: each
//! job in `needs` order, `extends` resolved, its variables exported (GitLab expands `$VAR`,
//! `${VAR}` and `$$` in `variables:` values unless `expand: false`; an undefined variable
//! expands to nothing), `before_script` and `script` in one bash behind `set -eo pipefail` (and
//! in dash behind `set -e`, for jobs whose image may lack bash), and the dotenv reports of the
//! jobs it needs added to its variables.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use crate::sandbox::{Sandbox, run_script};

/// Top-level keys that are not jobs.
const GLOBAL: &[&str] = &["default", "include", "stages", "variables", "workflow", "image", "services", "cache"];

/// Predefined variables of this run (the job token is a value no model holds, so a value that
/// GitLab expanded shows). `PIPEGEN_PUSH`: a pipeline of the default branch, which pushes (the
/// rules of `.pipegen:push` would set it; the sandbox does not evaluate rules).
pub fn predefined(sandbox: &Sandbox) -> BTreeMap<String, String> {
    [
        ("CI", "true"),
        ("GITLAB_CI", "true"),
        ("CI_JOB_TOKEN", "expanded-ci-job-token"),
        ("CI_COMMIT_SHA", sandbox.commit.as_str()),
        ("PIPEGEN_PUSH", "true"),
        ("CI_PROJECT_DIR", &sandbox.repo.display().to_string()),
        ("HOME", &sandbox.home.display().to_string()),
        ("LANG", "C.UTF-8"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// GitLab's expansion of a variable's value: `$$` is `$`, `$NAME` and `${NAME}` the variable.
pub fn expand(value: &str, variables: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let chars: Vec<char> = value.chars().collect();
    let mut i = 0;
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    while i < chars.len() {
        if chars[i] != '$' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        match chars.get(i + 1) {
            Some('$') => {
                out.push('$');
                i += 2;
            }
            Some('{') => match chars[i + 2..].iter().position(|&c| c == '}') {
                Some(end) => {
                    let name: String = chars[i + 2..i + 2 + end].iter().collect();
                    out.push_str(variables.get(&name).map_or("", String::as_str));
                    i += end + 3;
                }
                None => {
                    out.push('$');
                    i += 1;
                }
            },
            Some(&c) if name_char(c) => {
                let name: String = chars[i + 1..].iter().take_while(|&&c| name_char(c)).collect();
                out.push_str(variables.get(&name).map_or("", String::as_str));
                i += 1 + name.chars().count();
            }
            _ => {
                out.push('$');
                i += 1;
            }
        }
    }
    out
}

/// A job's definition with `extends` merged in (GitLab deep-merges mappings; the job wins).
pub fn resolved(doc: &Json, job: &str) -> Map<String, Json> {
    let definition = doc.get(job).and_then(Json::as_object).cloned().unwrap_or_default();
    let parents: Vec<String> = match definition.get("extends") {
        Some(Json::String(p)) => vec![p.clone()],
        Some(Json::Array(ps)) => ps.iter().filter_map(|p| p.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    };
    let mut merged = Map::new();
    for parent in parents {
        merge(&mut merged, resolved(doc, &parent));
    }
    merge(&mut merged, definition);
    merged.remove("extends");
    merged
}

fn merge(into: &mut Map<String, Json>, from: Map<String, Json>) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(Json::Object(a)), Json::Object(b)) => merge(a, b),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

/// A `variables:` mapping as the job sees it, each value expanded against `scope` unless it
/// says `expand: false`.
pub fn variables(section: Option<&Json>, scope: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, value) in section.and_then(Json::as_object).into_iter().flatten() {
        let (text, expanded) = match value {
            Json::String(s) => (s.clone(), true),
            Json::Object(o) => (
                o.get("value").and_then(Json::as_str).unwrap_or_default().to_string(),
                o.get("expand").and_then(Json::as_bool).unwrap_or(true),
            ),
            other => (other.to_string(), true),
        };
        out.insert(name.clone(), if expanded { expand(&text, scope) } else { text });
    }
    out
}

fn lines(section: Option<&Json>) -> Vec<String> {
    match section {
        Some(Json::Array(items)) => items.iter().flat_map(|i| lines(Some(i))).collect(),
        Some(Json::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn dotenv_of(job: &Map<String, Json>) -> Option<&str> {
    job.get("artifacts")?.get("reports")?.get("dotenv")?.as_str()
}

fn needs(job: &Map<String, Json>) -> Vec<(String, bool)> {
    job.get("needs")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|n| match n {
            Json::String(s) => Some((s.clone(), true)),
            Json::Object(o) => {
                Some((o.get("job")?.as_str()?.to_string(), o.get("artifacts").and_then(Json::as_bool).unwrap_or(true)))
            }
            _ => None,
        })
        .collect()
}

/// Every job, run; `Err` names the first that failed. Returns the jobs that ran, by name.
pub fn run(text: &str, sandbox: &Sandbox) -> Result<Vec<String>, String> {
    let doc: Json = pipegen::yaml::from_str(text).map_err(|e| format!("GitLab: not YAML: {e}"))?;
    let top = doc.as_object().ok_or("GitLab: not a mapping")?;
    let jobs: Vec<String> = top
        .iter()
        .filter(|(k, v)| !k.starts_with('.') && !GLOBAL.contains(&k.as_str()) && v.is_object())
        .map(|(k, _)| k.clone())
        .collect();
    let predefined = predefined(sandbox);
    let global = variables(doc.get("variables"), &predefined);
    let mut reports: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut done: Vec<String> = Vec::new();
    while done.len() < jobs.len() {
        let ready =
            jobs.iter().find(|j| !done.contains(j) && needs(&resolved(&doc, j)).iter().all(|(n, _)| done.contains(n)));
        let Some(name) = ready.cloned() else { return Err(format!("GitLab: jobs whose needs never run: {jobs:?}")) };
        let job = resolved(&doc, &name);
        let mut scope = predefined.clone();
        scope.extend(global.clone());
        for (need, artifacts) in needs(&job) {
            if artifacts {
                scope.extend(reports.get(&need).cloned().unwrap_or_default());
            }
        }
        let own = variables(job.get("variables"), &scope);
        scope.extend(own);
        let mut body = String::new();
        for line in lines(job.get("before_script")).into_iter().chain(lines(job.get("script"))) {
            body.push_str(&line);
            body.push('\n');
        }
        // The runner runs bash where the image has it, else sh: the builder image has bash;
        // a job's image may not (alpine), so its scripts run under dash as well.
        let builds = job.contains_key("artifacts") && dotenv_of(&job).is_some();
        let shells: &[(&str, &str)] =
            if builds { &[("bash", "set -eo pipefail")] } else { &[("bash", "set -eo pipefail"), ("dash", "set -e")] };
        for (shell, set) in shells {
            let (code, output) = run_script(sandbox, &name, &[shell], &format!("{set}\n{body}"), &scope);
            if code != 0 {
                return Err(format!("GitLab job `{name}` failed under {shell} with status {code}:\n{output}"));
            }
        }
        if let Some(file) = dotenv_of(&job) {
            let path = sandbox.repo.join(file);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("GitLab job `{name}`: no dotenv report {file}: {e}"))?;
            std::fs::remove_file(&path).ok();
            let report =
                text.lines().filter_map(|l| l.split_once('=').map(|(k, v)| (k.to_string(), v.to_string()))).collect();
            reports.insert(name.clone(), report);
        }
        done.push(name);
    }
    Ok(done)
}
