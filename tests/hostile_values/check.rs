//! The properties of one compiled model, given its two rendered outputs (so the tests that show
//! each property bites can hand in a broken output):
//!
//! 1. both outputs read the same under YAML 1.1 (Psych, PyYAML) and 1.2 (serde_yaml);
//! 2. shellcheck finds nothing in any script of either output;
//! 3. run with stand-in tools, no job runs an injected command, and the stand-ins and the
//!    platforms get exactly the model's values;
//! 4. neither file holds an invisible character raw, and jactionlint finds nothing in the
//!    workflow (a literal `${{` and invisible characters are what it reports in values).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use serde_json::Value as Json;

use crate::github_expr::{self, Contexts};
use crate::job_scripts::{Dialect, JobScript};
use crate::model::{AXIS_ARG, Health, Hostile, Job, REGISTRY};
use crate::sandbox::{Call, Sandbox, job_key, run_script};
use crate::{github_run, gitlab_run, job_scripts, linters, support};

/// Property 1.
pub fn same_under_yaml_1_1_and_1_2(gitlab: &str, github: &str) -> Result<(), String> {
    for (text, is_github, name) in [(gitlab, false, "GitLab"), (github, true, "GitHub")] {
        let expected: Json = pipegen::yaml::from_str(text).map_err(|e| format!("{name}: not YAML 1.2: {e}"))?;
        support::yaml_readers::readings(text, &expected, is_github).map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(())
}

/// Property 4. The invisible characters are listed here as jactionlint's `invisible-characters`
/// rule reports them (found by running it over every code point), not taken from pipegen.
pub fn seen_and_linted(gitlab: &str, github: &str) -> Result<(), String> {
    let invisible = |c: char| {
        matches!(u32::from(c), 0x80..=0x9F | 0xAD | 0x34F | 0x61C | 0x115F..=0x1160 | 0x17B4..=0x17B5
            | 0x180B..=0x180F | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x206F | 0x3164
            | 0xFE00..=0xFE0F | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFFB | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0000..=0xE01FF)
    };
    for (name, text) in [("GitLab", gitlab), ("GitHub", github)] {
        if let Some((line, c)) =
            text.lines().enumerate().find_map(|(i, l)| l.chars().find(|&c| invisible(c)).map(|c| (i + 1, c)))
        {
            return Err(format!("{name}: line {line} holds U+{:04X} raw", u32::from(c)));
        }
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("workflow.yml");
    std::fs::write(&file, github).expect("write the workflow");
    let verdict = linters::jactionlint(&[file], dir.path());
    if verdict.code != 0 {
        return Err(format!("jactionlint finds something:\n{}", verdict.report));
    }
    Ok(())
}

/// Property 2. A finding of shellcheck never appears because a script exports more variables
/// (exporting only ends "referenced but not assigned"), so a script that passes with none of
/// its test-added `export` passes with any: each script body is checked once that way for the
/// whole test binary (the big build scripts are the same in every model), and only a body that
/// fails that way is checked with its own exports.
pub fn shellcheck_passes(gitlab: &str, github: &str) -> Result<(), String> {
    static CLEAN: Mutex<BTreeSet<(bool, String)>> = Mutex::new(BTreeSet::new());
    let mut scripts = job_scripts::gitlab("gitlab", gitlab)?;
    scripts.extend(job_scripts::github("github", github)?);
    if scripts.is_empty() {
        return Err("no script found to check".into());
    }
    let bare = |script: &JobScript| -> (bool, String) {
        let mut lines: Vec<&str> = script.text.split('\n').collect();
        if lines.len() > 1 && lines[1].starts_with("export ") && script.origins[1].what.starts_with("preamble") {
            lines[1] = ":";
        }
        (script.dialect == Dialect::Sh, lines.join("\n"))
    };
    let clean = CLEAN.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let unknown: Vec<&JobScript> = scripts.iter().filter(|s| !clean.contains(&bare(s))).collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let bodies: Vec<JobScript> = unknown
        .iter()
        .map(|s| JobScript {
            pipeline: s.pipeline.clone(),
            job: s.job.clone(),
            dialect: s.dialect,
            text: bare(s).1,
            origins: s.origins.clone(),
        })
        .collect();
    let findings = job_scripts::shellcheck(&bodies, dir.path());
    let failed: BTreeSet<(bool, String)> = bodies
        .iter()
        .filter(|b| findings.iter().any(|f| f.pipeline == b.pipeline && f.job == b.job))
        .map(&bare)
        .collect();
    CLEAN.lock().unwrap_or_else(|e| e.into_inner()).extend(bodies.iter().map(&bare).filter(|b| !failed.contains(b)));
    let own: Vec<JobScript> = unknown
        .iter()
        .filter(|s| failed.contains(&bare(s)))
        .map(|s| JobScript {
            pipeline: s.pipeline.clone(),
            job: s.job.clone(),
            dialect: s.dialect,
            text: s.text.clone(),
            origins: s.origins.clone(),
        })
        .collect();
    let findings = job_scripts::shellcheck(&own, dir.path());
    if findings.is_empty() {
        Ok(())
    } else {
        Err(findings.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("\n"))
    }
}

/// Property 3, both platforms.
pub fn runs_hand_over_exact_values(model: &Hostile, gitlab: &str, github: &str) -> Result<(), String> {
    gitlab_values(model, gitlab)?;
    github_values(model, github)
}

fn not_pwned(sandbox: &Sandbox, platform: &str) -> Result<(), String> {
    if sandbox.pwned() { Err(format!("{platform}: an injected command ran (the marker file exists)")) } else { Ok(()) }
}

/// The value of `--flag VALUE` in a call.
fn flag<'a>(call: &'a Call, name: &str) -> Vec<&'a str> {
    call.words.windows(2).filter(|w| w[0] == name).map(|w| w[1].as_str()).collect()
}

/// Each image was built once, with exactly its build args, Dockerfile and context.
fn builds(model: &Hostile, calls: &BTreeMap<String, Vec<Call>>, platform: &str) -> Result<(), String> {
    let variants = model.images.iter().flat_map(|image| {
        model.variants(&format!("build:{}", image.name), model.image_varies(image)).into_iter().map(move |v| (image, v))
    });
    for (image, (job, value)) in variants {
        let job = job_key(&job);
        let tag_prefix = format!("{REGISTRY}/{}:", image.name);
        let build: Vec<&Call> = calls
            .get(&job)
            .into_iter()
            .flatten()
            .filter(|c| flag(c, "--tag").iter().any(|t| t.starts_with(&tag_prefix)))
            .collect();
        let [build] = build.as_slice() else {
            let seen: Vec<String> =
                calls.get(&job).into_iter().flatten().map(|c| format!("{} {:?}", c.tool, c.words)).collect();
            return Err(format!("{platform}: {} builds of image `{}` in {job}: {seen:#?}", build.len(), image.name));
        };
        let mut args: Vec<&str> = flag(build, "--build-arg");
        let parent_arg =
            image.parent.map(|p| format!("{}_IMAGE=", model.images[p].name.to_uppercase().replace('-', "_")));
        args.retain(|a| parent_arg.as_ref().is_none_or(|p| !a.starts_with(p.as_str())));
        let mut want: Vec<String> = image.args.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if let Some(value) = value.filter(|_| image.axis_arg) {
            want.push(format!("{AXIS_ARG}=<{value}>"));
        }
        // In any order (pipegen sorts them), each exactly once.
        args.sort_unstable();
        want.sort_unstable();
        if args != want {
            return Err(format!(
                "{platform}: image `{}` is built with other build args:\n  got  {args:?}\n  want {want:?}",
                image.name
            ));
        }
        let context = image.context.clone().unwrap_or_else(|| ".".into());
        let dockerfile = image.dockerfile.clone().unwrap_or_else(|| match &image.context {
            Some(c) => format!("{c}/Dockerfile"),
            None => "Dockerfile".into(),
        });
        let targets = flag(build, "--target");
        if targets != image.target.iter().map(String::as_str).collect::<Vec<_>>() {
            return Err(format!(
                "{platform}: image `{}` is built for target {targets:?}, not {:?}",
                image.name, image.target
            ));
        }
        let files = flag(build, "--file");
        if files != [dockerfile.as_str()] {
            return Err(format!("{platform}: image `{}` is built from {files:?}, not {dockerfile:?}", image.name));
        }
        if build.words.last().map(String::as_str) != Some(context.as_str()) {
            return Err(format!(
                "{platform}: image `{}` is built in {:?}, not {context:?}",
                image.name,
                build.words.last()
            ));
        }
    }
    Ok(())
}

/// Every job of the pipelines: each of the model's once per value of the axis when it varies,
/// named as the platforms name it, with the axis's variable among its env.
fn planned_jobs(model: &Hostile) -> Vec<Job> {
    let mut out = Vec::new();
    for job in &model.jobs {
        for (name, value) in model.variants(&job.name, model.job_varies(job)) {
            let mut variant = job.clone();
            variant.name = name;
            if let (Some(value), Some((axis, _))) = (value, &model.axis) {
                variant.env.push((axis.clone(), value));
            }
            out.push(variant);
        }
    }
    out
}

/// The environment the job's script saw, each time it ran, from the `pipegen-job` stand-in.
fn job_envs(calls: &BTreeMap<String, Vec<Call>>, job: &str) -> Result<Vec<BTreeMap<String, String>>, String> {
    let envs: Vec<BTreeMap<String, String>> = calls
        .get(&job_key(job))
        .into_iter()
        .flatten()
        .filter(|c| c.tool == crate::model::JOB_COMMAND)
        .map(|c| {
            c.words.iter().filter_map(|w| w.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
        })
        .collect();
    if envs.is_empty() {
        return Err(format!("the script of job `{job}` did not run"));
    }
    Ok(envs)
}

fn env_matches(
    platform: &str,
    what: &str,
    got: &BTreeMap<String, String>,
    want: &[(String, String)],
) -> Result<(), String> {
    for (name, value) in want {
        if got.get(name) != Some(value) {
            return Err(format!("{platform}: {what}: {name} is {:?}, not {value:?}", got.get(name)));
        }
    }
    Ok(())
}

/// A `cmd` health check's stand-in got exactly the value; an `http` one asked for the path.
fn health(platform: &str, service: &crate::model::Service, host: &str, calls: &[Call]) -> Result<(), String> {
    let (tool, want) = match &service.health {
        Health::Cmd(value) => (crate::model::HEALTH_COMMAND, vec![value.clone()]),
        Health::Http(path) => ("curl", vec![format!("http://{host}:{}{path}", service.port)]),
    };
    let seen: Vec<&Call> = calls.iter().filter(|c| c.tool == tool).collect();
    let hit = seen.iter().any(|c| match &service.health {
        Health::Cmd(_) => c.words == want,
        Health::Http(_) => c.words.iter().any(|w| *w == want[0]),
    });
    if hit {
        Ok(())
    } else {
        Err(format!("{platform}: service `{}`'s health check did not get {want:?}: {seen:?}", service.name))
    }
}

fn gitlab_values(model: &Hostile, text: &str) -> Result<(), String> {
    let sandbox = Sandbox::new(&model.files());
    let ran = gitlab_run::run(text, &sandbox);
    not_pwned(&sandbox, "GitLab")?;
    ran?;
    let calls = sandbox.calls();
    builds(model, &calls, "GitLab")?;
    let doc: Json = pipegen::yaml::from_str(text).map_err(|e| e.to_string())?;
    for job in &planned_jobs(model) {
        for seen in job_envs(&calls, &job.name).map_err(|e| format!("GitLab: {e}"))? {
            env_matches("GitLab", &format!("job `{}`", job.name), &seen, &job.env)?;
        }
        let definition = gitlab_run::resolved(&doc, &job.name);
        let scope = gitlab_run::predefined(&sandbox);
        for &s in &job.services {
            let service = &model.services[s];
            let entry = definition
                .get("services")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .find(|e| e.get("alias").and_then(Json::as_str) == Some(service.name.as_str()))
                .ok_or_else(|| format!("GitLab: job `{}` has no service `{}`", job.name, service.name))?;
            let variables = gitlab_run::variables(entry.get("variables"), &scope);
            env_matches("GitLab", &format!("service `{}`", service.name), &variables, &service.env)?;
            let calls = calls.get(&job_key(&job.name)).cloned().unwrap_or_default();
            health("GitLab", service, &service.name, &calls)?;
        }
        let cache = definition.get("cache").and_then(Json::as_array).cloned().unwrap_or_default();
        if let Some(c) = job.cache {
            let want = &model.caches[c];
            for entry in &cache {
                let paths: Vec<&str> = entry
                    .get("paths")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Json::as_str)
                    .collect();
                if paths != [want.path.as_str()] {
                    return Err(format!("GitLab: job `{}` caches {paths:?}, not {:?}", job.name, want.path));
                }
                if let Some(files) = entry.get("key").and_then(|k| k.get("files")).and_then(Json::as_array) {
                    let files: Vec<&str> = files.iter().filter_map(Json::as_str).collect();
                    if files != [want.key.as_str()] {
                        return Err(format!(
                            "GitLab: job `{}`'s cache key files are {files:?}, not {:?}",
                            job.name, want.key
                        ));
                    }
                }
            }
        }
        if let Some(path) = &job.artifacts {
            let paths = definition.get("artifacts").and_then(|a| a.get("paths")).cloned();
            if paths != Some(serde_json::json!([path])) {
                return Err(format!("GitLab: job `{}` keeps artifacts {paths:?}, not {path:?}", job.name));
            }
        }
    }
    Ok(())
}

fn github_values(model: &Hostile, text: &str) -> Result<(), String> {
    let sandbox = Sandbox::new(&model.files());
    let ran = github_run::run(text, &sandbox);
    not_pwned(&sandbox, "GitHub")?;
    ran?;
    let doc: Json = pipegen::yaml::from_str(text).map_err(|e| e.to_string())?;
    let contexts: Contexts = github_run::contexts(&sandbox);
    // Services are containers the runner starts: their health command runs in them with
    // `/bin/sh -c` (Docker's CMD-SHELL), with the service's environment.
    for (id, job) in doc.get("jobs").and_then(Json::as_object).into_iter().flatten() {
        let name = job.get("name").and_then(Json::as_str).unwrap_or(id);
        for (service_name, service) in job.get("services").and_then(Json::as_object).into_iter().flatten() {
            // GitHub evaluates expressions in `options` before the runner splits it.
            let options = service.get("options").and_then(Json::as_str).unwrap_or_default();
            let words = github_expr::dotnet_arguments(&github_expr::evaluate(options, &contexts)?);
            let Some(at) = words.iter().position(|w| w == "--health-cmd") else { continue };
            let command = words.get(at + 1).ok_or("--health-cmd without a value")?;
            let env = github_run::env(service.get("env"), &contexts)?;
            let (code, output) =
                run_script(&sandbox, &format!("{name}@{service_name}"), &["sh", "-c", command, "health"], "", &env);
            if code != 0 {
                return Err(format!("GitHub: the health command of `{service_name}` in `{id}` failed:\n{output}"));
            }
        }
    }
    not_pwned(&sandbox, "GitHub")?;
    let calls = sandbox.calls();
    builds(model, &calls, "GitHub")?;
    for job in &planned_jobs(model) {
        for seen in job_envs(&calls, &job.name).map_err(|e| format!("GitHub: {e}"))? {
            env_matches("GitHub", &format!("job `{}`", job.name), &seen, &job.env)?;
        }
        let (_, definition) = doc
            .get("jobs")
            .and_then(Json::as_object)
            .into_iter()
            .flatten()
            .find(|(_, j)| j.get("name").and_then(Json::as_str) == Some(job.name.as_str()))
            .ok_or_else(|| format!("GitHub: no job named `{}`", job.name))?;
        for &s in &job.services {
            let service = &model.services[s];
            let entry = definition
                .get("services")
                .and_then(|x| x.get(&service.name))
                .ok_or_else(|| format!("GitHub: job `{}` has no service `{}`", job.name, service.name))?;
            let env = github_run::env(entry.get("env"), &contexts)?;
            env_matches("GitHub", &format!("service `{}`", service.name), &env, &service.env)?;
            let calls = calls.get(&job_key(&format!("{}@{}", job.name, service.name))).cloned().unwrap_or_default();
            health("GitHub", service, crate::sandbox::SERVICE_ADDRESS, &calls)?;
        }
        let steps: Vec<&Json> = definition.get("steps").and_then(Json::as_array).into_iter().flatten().collect();
        let with = |action: &str| -> Vec<&Json> {
            steps
                .iter()
                .filter(|s| s.get("uses").and_then(Json::as_str).is_some_and(|u| u.starts_with(action)))
                .filter_map(|s| s.get("with"))
                .collect()
        };
        if let Some(c) = job.cache {
            let want = &model.caches[c];
            for w in with("actions/cache@") {
                let path = github_expr::evaluate(w.get("path").and_then(Json::as_str).unwrap_or_default(), &contexts)?;
                if path != want.path {
                    return Err(format!("GitHub: job `{}` caches {path:?}, not {:?}", job.name, want.path));
                }
                let key = w.get("key").and_then(Json::as_str).unwrap_or_default();
                let files = github_expr::hash_files_arguments(key)?;
                if files != [want.key.clone()] {
                    return Err(format!("GitHub: job `{}`'s cache key hashes {files:?}, not {:?}", job.name, want.key));
                }
            }
        }
        if let Some(want) = &job.artifacts {
            for w in with("actions/upload-artifact@") {
                let path = github_expr::evaluate(w.get("path").and_then(Json::as_str).unwrap_or_default(), &contexts)?;
                if path.trim_end_matches('\n') != want {
                    return Err(format!("GitHub: job `{}` uploads {path:?}, not {want:?}", job.name));
                }
            }
        }
    }
    Ok(())
}
