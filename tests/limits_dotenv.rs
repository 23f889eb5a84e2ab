//! Issue 8: GitLab's dotenv limits, measured on a pipeline that runs.
//!
//! The GitLab pipeline of a model with more than 200 image variants runs under gitlab-ci-local
//! (shell executor, each job in its own copy of the repository; `buildah` and `skopeo` are stubs
//! that succeed at once and log what they were asked): every dotenv report it produces is
//! measured against GitLab's limits (20 variables, 5,120 bytes), every child build is handed its
//! parent's tag, and the tags are those `pipegen tags` computes.

// Needs external tools: in the full tier (scripts/test.sh), not in the offline `cargo test`.
#![cfg(feature = "external-tests")]

mod support;

use support::git;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use pipegen::yaml::Value;

const GITLAB_MAX_DOTENV_VARIABLES: usize = 20;
const GITLAB_MAX_DOTENV_BYTES: usize = 5120;

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

    // Stand-ins that succeed at once: the registry holds nothing, every build "works" (a push
    // writes its digest, which the job reads), and buildah logs each build's arguments, one file
    // per job.
    let stubs = dir.path().join("stubs");
    let calls = dir.path().join("calls");
    std::fs::create_dir_all(&calls).expect("create the calls directory");
    executable(&stubs.join("skopeo"), "#!/bin/sh\necho 'manifest unknown' >&2\nexit 1\n");
    executable(
        &stubs.join("buildah"),
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{}/'\"$(printf '%s' \"$CI_JOB_NAME\" | tr ':/' '__')\"\n\
             while [ \"$#\" -gt 0 ]; do if [ \"$1\" = --digestfile ]; then echo sha256:00 > \"$2\"; fi; shift; done\n",
            calls.display()
        ),
    );
    let path = format!("{}:{}", stubs.display(), std::env::var("PATH").unwrap_or_default());
    let mut command = Command::new(support::tool("gitlab-ci-local"));
    // `--no-artifacts-to-source`: with shell isolation, gitlab-ci-local copies each finished
    // job's artifacts into the repository (rsync, through a temporary file) while other jobs
    // rsync the repository into their build directories; a file that appears and vanishes
    // between the two fails the second rsync (exit 24) and the job. The jobs read their needs'
    // dotenv reports from gitlab-ci-local's state directory, not from the repository.
    command.current_dir(&repo).env("PATH", &path).arg("--home").arg(dir.path().join("gcl-home")).args([
        "--force-shell-executor",
        "--shell-isolation",
        "--no-artifacts-to-source",
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
