//! Issue 8: the pipelines fit what GitLab and GitHub accept, measured on the output.
//!
//! - The GitLab pipeline of a model with more than 200 image variants runs under gitlab-ci-local
//!   (shell executor, each job in its own copy of the repository; `buildah` and `skopeo` are stubs
//!   that succeed at once and log what they were asked): every dotenv report it produces is
//!   measured against GitLab's limits (20 variables, 5,120 bytes), every child build is handed
//!   its parent's tag, and the tags are those `pipegen tags` computes.
//! - Every generated file (the models' and the valid fixtures' outputs) is read back as YAML and
//!   checked against every limit, independently of pipegen's own checks.
//! - A model of 1,000 images either fits both platforms or is refused with exit 2 and a message
//!   naming the limit; a raised GitLab limit in the model is honoured.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use pipegen::yaml::Value;

const GITLAB_MAX_NEEDS: usize = 50;
const GITLAB_MAX_JOB_NAME: usize = 255;
const GITLAB_MAX_PARALLEL: u64 = 200;
const GITLAB_MAX_RETRY: u64 = 2;
const GITLAB_MAX_CACHES: usize = 4;
const GITLAB_MAX_KEY_FILES: usize = 2;
const GITLAB_MAX_DOTENV_VARIABLES: usize = 20;
const GITLAB_MAX_DOTENV_BYTES: usize = 5120;
const GITLAB_MAX_CONFIG_BYTES: usize = 2 * 1024 * 1024;
const GITHUB_MAX_WORKFLOW_BYTES: usize = 512_000;
const GITHUB_MAX_MATRIX: usize = 256;
const GITHUB_MAX_JOB_MINUTES: u64 = 360;

/// A model with 210 builds: a base over ten values of an axis, and twenty images built from it.
fn wide_model() -> String {
    let mut text = String::from(
        "pipegen: 1\nname: wide\nregistry: registry.example.com/wide\naxes:\n  v: [v0, v1, v2, v3, v4, v5, v6, v7, v8, v9]\n\
         images:\n  base:\n    context: base\n    axes: [v]\n    args: { V: \"${v}\" }\n",
    );
    for i in 0..20 {
        let _ = writeln!(text, "  c{i:02}:\n    from: base\n    context: c{i:02}\n    inputs: [\"shared/*.txt\"]");
    }
    text
}

fn git(dir: &Path, args: &[&str]) -> String {
    let mut command = Command::new(support::tool("git"));
    command
        .args(["-c", "user.name=pipegen test", "-c", "user.email=test@pipegen.invalid", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir);
    let (code, out, err) = support::run(&mut command);
    assert_eq!(code, 0, "git {args:?}: {err}");
    out
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("create a directory");
    std::fs::write(path, text).expect("write a file");
}

fn executable(path: &Path, text: &str) {
    write(path, text);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// Every file under `dir` whose name satisfies `wanted`.
fn files_under(dir: &Path, wanted: &dyn Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten() {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().and_then(|n| n.to_str()).is_some_and(wanted) {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn a_pipeline_of_210_builds_stays_within_gitlabs_dotenv_limits_when_it_runs() {
    support::ensure_tools();
    let dir = tempfile::Builder::new().prefix("pipegen-limits-").tempdir().expect("temporary directory");
    let repo = dir.path().join("repo");
    write(&repo.join("pipegen.yaml"), &wide_model());
    write(&repo.join("base/Dockerfile"), "FROM scratch\n");
    for i in 0..20 {
        write(&repo.join(format!("c{i:02}/Dockerfile")), &format!("ARG BASE_IMAGE\nFROM $BASE_IMAGE\nLABEL c={i}\n"));
    }
    write(&repo.join("shared/one.txt"), "shared\n");
    write(&repo.join(".gitignore"), "/.gitlab-ci-local/\n/pipegen-tag.env\n");
    let (code, out, err) = support::run(support::pipegen().args(["emit", "--target", "gitlab"]).current_dir(&repo));
    assert_eq!(code, 0, "{err}");
    write(&repo.join(".gitlab-ci.yml"), &out);
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["remote", "add", "origin", "https://gitlab.example.com/pipegen/limits.git"]);
    git(&repo, &["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "a wide model"]);
    let pipeline: Value = pipegen::yaml::from_str(&out).expect("YAML");
    let builds: Vec<String> = pipeline
        .as_mapping()
        .expect("a mapping")
        .keys()
        .filter_map(Value::as_str)
        .filter(|k| k.starts_with("build:"))
        .map(str::to_string)
        .collect();
    assert_eq!(builds.len(), 210);

    // Stand-ins that succeed at once: the registry holds nothing, every build "works", and
    // buildah logs each build's arguments, one file per job.
    let stubs = dir.path().join("stubs");
    let calls = dir.path().join("calls");
    std::fs::create_dir_all(&calls).expect("create the calls directory");
    executable(&stubs.join("skopeo"), "#!/bin/sh\necho 'manifest unknown' >&2\nexit 1\n");
    executable(
        &stubs.join("buildah"),
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{}/'\"$(printf '%s' \"$CI_JOB_NAME\" | tr ':/' '__')\"\n",
            calls.display()
        ),
    );
    let path = format!("{}:{}", stubs.display(), std::env::var("PATH").unwrap_or_default());
    let mut command = Command::new(support::tool("gitlab-ci-local"));
    command.current_dir(&repo).env("PATH", &path).arg("--home").arg(dir.path().join("gcl-home")).args([
        "--force-shell-executor",
        "--shell-isolation",
        "--no-json-schema-validation",
        "--concurrency",
        "8",
    ]);
    let started = std::time::Instant::now();
    let (code, out, err) = support::run(&mut command);
    let log = format!("{out}{err}");
    assert_eq!(code, 0, "gitlab-ci-local failed:\n{}", &log[log.len().saturating_sub(20_000)..]);
    eprintln!("210 build jobs ran in {:.1} s", started.elapsed().as_secs_f64());
    for build in &builds {
        assert!(log.contains(&format!(" PASS  {build}")), "{build} passed");
    }

    // Every dotenv report the jobs produced: one per build, each within GitLab's limits.
    let reports = files_under(&repo.join(".gitlab-ci-local"), &|name| name == "pipegen-tag.env");
    let mut published: BTreeMap<String, String> = BTreeMap::new();
    for report in &reports {
        let text = std::fs::read_to_string(report).expect("read a dotenv report");
        let variables: Vec<(&str, &str)> = text.lines().map(|l| l.split_once('=').expect("KEY=VALUE")).collect();
        assert!(variables.len() <= GITLAB_MAX_DOTENV_VARIABLES, "{}: {} variables", report.display(), variables.len());
        assert!(text.len() <= GITLAB_MAX_DOTENV_BYTES, "{}: {} bytes", report.display(), text.len());
        assert_eq!(variables.len(), 1, "{}: a build publishes only its own tag", report.display());
        for (k, v) in variables {
            published.insert(k.to_string(), v.to_string());
        }
    }
    assert_eq!(published.len(), 210, "a report per build, from {} files", reports.len());

    // The tags are what `pipegen tags` computes, and each child build got its parent's.
    let (code, out, err) = support::run(support::pipegen().args(["tags", "--format", "json"]).current_dir(&repo));
    assert_eq!(code, 0, "{err}");
    let tags: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let mut from_cli = BTreeSet::new();
    for tag in tags.as_array().expect("a list") {
        from_cli.insert(tag["tag"].as_str().expect("a tag").to_string());
    }
    // Each report holds the image's reference (the registry's: the pipeline pushes).
    let tag_of = |reference: &String| reference.rsplit_once(':').expect("a reference").1.to_string();
    let from_pipeline: BTreeSet<String> = published.values().map(tag_of).collect();
    assert_eq!(from_pipeline, from_cli, "the pipeline's tags are pipegen's");
    let c07 = std::fs::read_to_string(calls.join("build_c07_v3")).expect("build:c07:v3 ran buildah");
    let base_v3 = tag_of(&published["PIPEGEN_REF_BASE__V3"]);
    assert!(
        c07.contains(&format!("BASE_IMAGE=registry.example.com/wide/base:{base_v3}")),
        "build:c07:v3 was built from base v3's tag {base_v3}:\n{c07}"
    );
}

/// A limit crossed in one generated file.
fn check_gitlab(name: &str, text: &str, problems: &mut Vec<String>) {
    let doc: Value = pipegen::yaml::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let size = pipegen::emit::gitlab::limits::parsed_size(text);
    if size > GITLAB_MAX_CONFIG_BYTES {
        problems.push(format!("{name}: the parsed configuration takes about {size} bytes"));
    }
    for (key, job) in doc.as_mapping().expect("a mapping") {
        let job_name = key.as_str().expect("a string key");
        if ["workflow", "stages", "variables", "default"].contains(&job_name) {
            continue;
        }
        if job_name.chars().count() > GITLAB_MAX_JOB_NAME {
            problems.push(format!("{name}: job name of {} characters", job_name.chars().count()));
        }
        let needs = job.get("needs").and_then(Value::as_sequence).map_or(0, Vec::len);
        if needs > GITLAB_MAX_NEEDS {
            problems.push(format!("{name}: {job_name} needs {needs} jobs"));
        }
        if job.get("parallel").and_then(Value::as_u64).is_some_and(|p| p > GITLAB_MAX_PARALLEL) {
            problems.push(format!("{name}: {job_name} has parallel over {GITLAB_MAX_PARALLEL}"));
        }
        if job.get("retry").and_then(|r| r.get("max")).and_then(Value::as_u64).is_some_and(|r| r > GITLAB_MAX_RETRY) {
            problems.push(format!("{name}: {job_name} retries more than {GITLAB_MAX_RETRY} times"));
        }
        let caches = job.get("cache").and_then(Value::as_sequence).cloned().unwrap_or_default();
        if caches.len() > GITLAB_MAX_CACHES {
            problems.push(format!("{name}: {job_name} has {} caches", caches.len()));
        }
        for cache in &caches {
            let files = cache.get("key").and_then(|k| k.get("files")).and_then(Value::as_sequence).map_or(0, Vec::len);
            if files > GITLAB_MAX_KEY_FILES {
                problems.push(format!("{name}: {job_name} has a cache key of {files} files"));
            }
        }
    }
}

fn check_github(name: &str, text: &str, problems: &mut Vec<String>) {
    if text.len() > GITHUB_MAX_WORKFLOW_BYTES {
        problems.push(format!("{name}: {} bytes", text.len()));
    }
    let doc: Value = pipegen::yaml::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut ids = BTreeSet::new();
    for (id, job) in doc["jobs"].as_mapping().expect("jobs") {
        let id = id.as_str().expect("an id");
        if !ids.insert(id.to_ascii_lowercase()) {
            problems.push(format!("{name}: job id {id} differs from another only in case"));
        }
        let matrix = job.get("strategy").and_then(|s| s.get("matrix")).and_then(|m| m.get("shard"));
        if matrix.and_then(Value::as_sequence).is_some_and(|s| s.len() > GITHUB_MAX_MATRIX) {
            problems.push(format!("{name}: {id} has a matrix over {GITHUB_MAX_MATRIX} jobs"));
        }
        match job.get("timeout-minutes").and_then(Value::as_u64) {
            Some(minutes) if minutes <= GITHUB_MAX_JOB_MINUTES => {}
            other => problems.push(format!("{name}: {id} has timeout-minutes {other:?}")),
        }
        if job.get("outputs").and_then(Value::as_mapping).is_some_and(|o| o.len() > 1) {
            problems.push(format!("{name}: {id} has more than one output: outputs must not grow with the model"));
        }
    }
}

#[test]
fn every_generated_file_is_within_every_limit() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for model in support::models().iter().chain(&support::valid_fixtures()) {
        let relative = support::relative(model);
        for target in ["gitlab", "github"] {
            let (code, text, err) = support::run(
                support::pipegen()
                    .args(["emit", "--target", target, "--model", &relative])
                    .current_dir(support::repo()),
            );
            assert_eq!(code, 0, "{relative}: {err}");
            let name = format!("{relative} ({target})");
            match target {
                "gitlab" => check_gitlab(&name, &text, &mut problems),
                _ => check_github(&name, &text, &mut problems),
            }
            checked += 1;
        }
    }
    assert!(checked >= 26, "{checked} files checked");
    assert!(problems.is_empty(), "over a limit:\n{}", problems.join("\n"));
}

/// 1,000 images in a layered graph (each layer built from two images of the one before), one
/// job each: what a large monorepo might declare.
fn thousand_images() -> String {
    let mut text = String::from("pipegen: 1\nname: big\nregistry: registry.example.com/big\nimages:\n");
    for i in 0..1000 {
        let _ = writeln!(text, "  img{i}:\n    context: images/img{i}");
        if i >= 10 {
            let layer = i / 10;
            let _ =
                writeln!(text, "    from: [img{}, img{}]", (layer - 1) * 10 + i % 10, (layer - 1) * 10 + (i + 1) % 10);
        }
    }
    text.push_str("jobs:\n");
    for i in (0..1000).step_by(10) {
        let _ = writeln!(text, "  test{i}:\n    image: img{i}\n    script: [make test]");
    }
    text
}

#[test]
fn a_model_of_1000_images_fits_both_platforms_or_is_refused_naming_the_limit() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let model = dir.path().join("pipegen.yaml");
    write(&model, &thousand_images());
    for target in ["gitlab", "github"] {
        let (code, text, err) =
            support::run(support::pipegen().args(["emit", "--target", target]).current_dir(dir.path()));
        match code {
            0 => {
                let mut problems = Vec::new();
                match target {
                    "gitlab" => check_gitlab(target, &text, &mut problems),
                    _ => check_github(target, &text, &mut problems),
                }
                assert!(problems.is_empty(), "accepted, but over a limit: {problems:?}");
                eprintln!("1,000 images: the {target} pipeline fits, {} bytes", text.len());
            }
            2 => {
                assert!(text.is_empty(), "nothing is printed when the model is refused");
                assert!(err.contains("error[pipeline-too-large]"), "{err}");
                assert!(
                    err.contains("GitHub does not start a workflow file over 512000") || err.contains("GitLab allows"),
                    "{err}"
                );
                eprintln!("1,000 images: refused for {target}: {}", err.lines().next().unwrap_or_default());
            }
            other => panic!("exit {other}: {err}"),
        }
    }
}

#[test]
fn a_raised_gitlab_limit_in_the_model_is_honoured() {
    let mut model = String::from("pipegen: 1\nname: t\nregistry: registry.example.com/t\nimages:\n");
    for i in 0..51 {
        let _ = writeln!(model, "  i{i}: {{}}");
    }
    model.push_str("services:\n");
    for i in 0..51 {
        let _ = writeln!(model, "  s{i}: {{ image: i{i}, port: 80 }}");
    }
    let services: Vec<String> = (0..51).map(|i| format!("s{i}")).collect();
    let _ = writeln!(model, "jobs:\n  e2e:\n    services: [{}]\n    script: [make e2e]", services.join(", "));
    let dir = tempfile::tempdir().expect("temporary directory");
    write(&dir.path().join("pipegen.yaml"), &model);
    let (code, _, err) = support::run(support::pipegen().args(["emit", "--target", "gitlab"]).current_dir(dir.path()));
    assert_eq!(code, 2, "51 needs are over GitLab's default");
    assert!(err.contains("it would need 51 jobs; GitLab allows 50"), "{err}");
    write(&dir.path().join("pipegen.yaml"), &format!("{model}limits:\n  gitlab: {{ needs: 60 }}\n"));
    let (code, text, err) =
        support::run(support::pipegen().args(["emit", "--target", "gitlab"]).current_dir(dir.path()));
    assert_eq!(code, 0, "{err}");
    let doc: Value = pipegen::yaml::from_str(&text).expect("YAML");
    assert_eq!(doc["e2e"]["needs"].as_sequence().map(Vec::len), Some(51));
}

/// Kolla's size: 187 images built from one base. The workflow stays far under GitHub's limit
/// (issue 8: under 200 KB), because a build job costs a few hundred bytes.
#[test]
fn the_workflow_of_187_images_is_under_200_kb() {
    let mut model = String::from(
        "pipegen: 1\nname: kolla\nregistry: registry.example.com/kolla\nimages:\n  base:\n    context: docker/base\n",
    );
    for i in 0..186 {
        let _ = writeln!(model, "  service-number-{i}:\n    from: base\n    context: docker/service-number-{i}");
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    write(&dir.path().join("pipegen.yaml"), &model);
    for (target, most) in [("github", 200_000), ("gitlab", 200_000)] {
        let (code, text, err) =
            support::run(support::pipegen().args(["emit", "--target", target]).current_dir(dir.path()));
        assert_eq!(code, 0, "{err}");
        assert!(text.len() < most, "the {target} pipeline of 187 images is {} bytes", text.len());
        let per_build = text.len() / 187;
        assert!(per_build < 700, "a {target} build job costs {per_build} bytes");
    }
}
