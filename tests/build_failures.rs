//! A build job whose builder fails fails, at that point, saying what failed, and hands nothing
//! on. The job's functions run on the left of `||` (`pipegen_build_step || return 1`), where
//! POSIX sh and bash switch `errexit` off for the whole function body, so `sh -e` would not stop
//! them: every command that matters must stop its function itself.
//!
//! Each job runs its emitted script as its platform runs it (GitLab: `before_script` and
//! `script` under `sh -e` and under `bash -eo pipefail`; GitHub: the Build step under `bash -e`,
//! a step's default shell), in a real git repository, against stand-ins for buildah, skopeo
//! and docker that log each call and fail where the case says. Needs only git, sh and bash.

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use pipegen::emit::{Target, render};
use serde_yaml::Value;

const MODEL: &str = r#"
pipegen: 1
name: failures
registry: registry.example.com/failures
caches:
  gomod: { key: [go.sum], paths: [.go/pkg/mod] }
images:
  app:
    context: app
    caches: [gomod]
  multi:
    context: multi
    platforms: [linux/arm64, linux/amd64]
"#;

const DIGEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

/// buildah, skopeo and docker at once (by the name it is called under): logs the call to
/// `$FAKE_LOG`, fails a call whose words contain `$FAIL`; the registry holds nothing; a push
/// writes a digest unless `$NO_DIGEST` is set.
const FAKE: &str = r#"#!/bin/sh
me="$(basename "$0")"
echo "$me $*" >> "$FAKE_LOG"
if [ -n "${FAIL:-}" ]; then
  case "$me $*" in
    *"$FAIL"*) echo "$me: simulated failure" >&2; exit 1 ;;
  esac
fi
case "$me $*" in
  'skopeo inspect '*|'docker buildx imagetools inspect'*) echo 'manifest unknown' >&2; exit 1 ;;
  *login*) cat > /dev/null ;;
esac
while [ "$#" -gt 0 ]; do
  case "$1" in
    --digestfile) [ -n "${NO_DIGEST:-}" ] || printf '%s' "$FAKE_DIGEST" > "$2" ;;
    --metadata-file)
      if [ -n "${NO_DIGEST:-}" ]; then echo '{}' > "$2"; else printf '{"containerimage.digest": "%s"}\n' "$FAKE_DIGEST" > "$2"; fi
      ;;
  esac
  shift
done
"#;

struct Run {
    code: i32,
    output: String,
    /// The stand-ins' calls, one a line.
    calls: Vec<String>,
    /// What the job handed on: its dotenv report (GitLab), its step outputs (GitHub).
    published: String,
}

fn git(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = support::run(Command::new("git").args(args).current_dir(dir));
    assert_eq!(code, 0, "git {args:?}: {err}");
    out.trim().to_string()
}

/// A repository holding the model's contexts, with the stand-ins in `bin/` beside it.
fn workspace() -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    for file in ["app/Dockerfile", "multi/Dockerfile"] {
        fs::create_dir_all(repo.join(file).parent().unwrap()).unwrap();
        fs::write(repo.join(file), "FROM scratch\n").unwrap();
    }
    fs::write(repo.join("go.sum"), "").unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["-c", "user.name=t", "-c", "user.email=t@example.com", "add", "."]);
    git(&repo, &["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "contexts"]);
    let commit = git(&repo, &["rev-parse", "HEAD"]);
    let bin = tmp.path().join("bin");
    fs::create_dir_all(&bin).unwrap();
    for name in ["buildah", "skopeo", "docker"] {
        fs::write(bin.join(name), FAKE).unwrap();
        fs::set_permissions(bin.join(name), fs::Permissions::from_mode(0o755)).unwrap();
    }
    // A parent's local image, which a job of a run that does not push loads.
    fs::create_dir_all(tmp.path().join("images")).unwrap();
    fs::write(tmp.path().join("images/BASE=t1.tar"), "").unwrap();
    (tmp, commit)
}

fn emitted(target: Target) -> Value {
    let loaded = pipegen::model::load("pipegen.yaml", MODEL).unwrap_or_else(|e| panic!("{}", e.render(false)));
    let plan = pipegen::plan::build(&loaded, "pipegen.yaml").unwrap_or_else(|e| panic!("{}", e.render(false)));
    serde_yaml::from_str(&render(&plan, target)).unwrap()
}

fn text(value: &Value) -> String {
    value.as_str().map(String::from).unwrap_or_else(|| value["value"].as_str().expect("a string").to_string())
}

/// Runs `job` of the emitted pipeline in a fresh workspace with `env` (the case's `FAIL`,
/// `NO_DIGEST`, `PIPEGEN_PUSH`, …) as `shell` runs it.
fn run_job(target: Target, job: &str, shell: &[&str], env: &[(&str, &str)]) -> Run {
    let (tmp, commit) = workspace();
    let repo = tmp.path().join("repo");
    let log = tmp.path().join("log");
    let outputs = tmp.path().join("outputs");
    let pipeline = emitted(target);
    let mut command = Command::new(shell[0]);
    command
        .args(&shell[1..])
        .current_dir(&repo)
        .env_clear()
        .env("PATH", format!("{}:{}", tmp.path().join("bin").display(), std::env::var("PATH").unwrap_or_default()))
        .env("HOME", tmp.path())
        .env("TMPDIR", tmp.path())
        .env("FAKE_LOG", &log)
        .env("FAKE_DIGEST", DIGEST)
        .env("PIPEGEN_PUSH", "true")
        .env("PIPEGEN_REGISTRY", "registry.example.com/failures");
    match target {
        Target::Gitlab => {
            // The job's variables, its templates' first (`extends`), then the script: the
            // runner runs before_script and script in one shell.
            let mut chain = vec![&pipeline[job]];
            while let Some(parent) = chain.last().unwrap()["extends"].as_str() {
                chain.push(&pipeline[parent]);
            }
            let mut lines = Vec::new();
            for level in chain.iter().rev() {
                if let Some(variables) = level["variables"].as_mapping() {
                    for (name, value) in variables {
                        command.env(name.as_str().unwrap(), text(value));
                    }
                }
            }
            for part in ["before_script", "script"] {
                let found = chain.iter().find_map(|level| level[part].as_sequence()).expect(part);
                lines.extend(found.iter().map(|line| line.as_str().unwrap().to_string()));
            }
            command
                .arg(lines.join("\n"))
                .env("CI_COMMIT_SHA", &commit)
                .env("PIPEGEN_SCRATCH", "registry.example.com/failures/pipegen-scratch");
        }
        Target::Github => {
            let job = &pipeline["jobs"][job];
            let step = job["steps"].as_sequence().unwrap().iter().find(|s| s["name"] == "Build").expect("Build step");
            command
                .arg(step["run"].as_str().unwrap())
                .env("PIPEGEN_BUILD_SH", pipeline["env"]["PIPEGEN_BUILD_SH"].as_str().unwrap())
                .env("PIPEGEN_LOCAL_IMAGES", tmp.path().join("images"))
                .env("GITHUB_SHA", &commit)
                .env("GITHUB_OUTPUT", &outputs);
            // The job's own variables; a merge job's digests come from its platform jobs.
            for (name, value) in job["env"].as_mapping().unwrap() {
                let value = text(value);
                command.env(name.as_str().unwrap(), if value.contains("${{") { DIGEST.to_string() } else { value });
            }
        }
    }
    if job.contains("multi") && target == Target::Gitlab && !job.contains('@') {
        for variable in ["PIPEGEN_DIGEST_MULTI__LINUX_AMD64", "PIPEGEN_DIGEST_MULTI__LINUX_ARM64"] {
            command.env(variable, DIGEST);
        }
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let (code, out, err) = support::run(&mut command);
    let published = fs::read_to_string(repo.join("pipegen-tag.env")).unwrap_or_default()
        + &fs::read_to_string(&outputs).unwrap_or_default();
    let calls = fs::read_to_string(&log).unwrap_or_default().lines().map(String::from).collect();
    Run { code, output: format!("{out}{err}"), calls, published }
}

/// A failure case: its name, the variables that make a stand-in fail, the call that fails, what
/// the job says.
type Case = (&'static str, &'static [(&'static str, &'static str)], &'static str, &'static str);

const GITLAB_SHELLS: [&[&str]; 2] = [&["sh", "-e", "-c"], &["bash", "-eo", "pipefail", "-c"]];
/// A step's default shell on a Linux runner (`shell` unset): `bash -e {0}`.
const GITHUB_SHELL: &[&str] = &["bash", "-e", "-c"];

/// Asserts the job failed at the call that matches `fail` (nothing after it ran), said `says`,
/// and published nothing.
fn assert_failed(run: &Run, case: &str, fail: &str, says: &str) {
    let context = format!("{case}:\n{}\ncalls:\n{}\npublished:\n{}", run.output, run.calls.join("\n"), run.published);
    assert_ne!(run.code, 0, "the job fails: {context}");
    assert!(run.output.contains(says), "it says {says:?}: {context}");
    assert!(run.calls.last().is_some_and(|c| c.contains(fail)), "nothing runs after {fail:?}: {context}");
    assert!(run.published.is_empty(), "nothing is handed on: {context}");
}

/// The control: every job succeeds with the stand-ins as they are, and publishes.
#[test]
fn a_job_whose_builder_works_publishes_its_reference() {
    for shell in GITLAB_SHELLS {
        let run = run_job(Target::Gitlab, "build:app", shell, &[]);
        assert_eq!(run.code, 0, "{shell:?}: {}", run.output);
        assert!(run.published.starts_with("PIPEGEN_REF_APP=registry.example.com/failures/app:"), "{}", run.published);
        let run = run_platform(Target::Gitlab, shell, &[]);
        assert_eq!(run.code, 0, "{shell:?}: {}", run.output);
        assert_eq!(run.published, format!("PIPEGEN_DIGEST_MULTI__LINUX_AMD64={DIGEST}\n"));
        let run = run_job(Target::Gitlab, "build:multi", shell, &[]);
        assert_eq!(run.code, 0, "{shell:?}: {}", run.output);
        assert!(run.published.starts_with("PIPEGEN_REF_MULTI="), "{}", run.published);
    }
    for push in ["true", "false"] {
        let run = run_job(Target::Github, "build_app", GITHUB_SHELL, &[("PIPEGEN_PUSH", push)]);
        assert_eq!(run.code, 0, "push {push}: {}", run.output);
        assert!(run.published.contains("build=true\n"), "{}", run.published);
    }
    let run = run_platform(Target::Github, GITHUB_SHELL, &[]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(run.published.contains(&format!("digest={DIGEST}\n")), "{}", run.published);
    let run = run_job(Target::Github, "build_multi", GITHUB_SHELL, &[]);
    assert_eq!(run.code, 0, "{}", run.output);
}

fn run_platform(target: Target, shell: &[&str], env: &[(&str, &str)]) -> Run {
    let job = match target {
        Target::Gitlab => "build:multi@linux-amd64",
        Target::Github => "build_multi__linux-amd64",
    };
    run_job(target, job, shell, env)
}

#[test]
fn a_gitlab_build_job_stops_where_buildah_fails_and_says_so() {
    let reference = "registry.example.com/failures/app:";
    let cases: [Case; 6] = [
        ("the build", &[("FAIL", "buildah build --layers")], "buildah build --layers", "pipegen: building "),
        ("the push", &[("FAIL", "buildah push")], "buildah push", "pipegen: pushing "),
        ("the digest", &[("NO_DIGEST", "1")], "buildah push", "pipegen: reading the digest of "),
        ("the cache load", &[("FAIL", "/load ")], "/load ", "pipegen: loading cache gomod failed"),
        ("the cache save", &[("FAIL", "type=local")], "type=local", "pipegen: saving cache gomod failed"),
        (
            "the login",
            &[("FAIL", "login"), ("PIPEGEN_REGISTRY_PASSWORD", "secret")],
            "login",
            "pipegen: logging in to registry.example.com failed",
        ),
    ];
    for shell in GITLAB_SHELLS {
        for (case, env, fail, says) in cases {
            let run = run_job(Target::Gitlab, "build:app", shell, env);
            assert_failed(&run, &format!("{shell:?}, {case}"), fail, says);
            if says.ends_with(' ') {
                assert!(run.output.contains(&format!("{says}{reference}")), "{case} names the image: {}", run.output);
            }
        }
        // A platform's job whose build fails hands on no digest (not `skipped`).
        let run = run_platform(Target::Gitlab, shell, &[("FAIL", "buildah build --layers")]);
        assert_failed(&run, &format!("{shell:?}, a platform's build"), "buildah build", "pipegen: building ");
        let run = run_platform(Target::Gitlab, shell, &[("NO_DIGEST", "1")]);
        assert_failed(
            &run,
            &format!("{shell:?}, a platform's digest"),
            "buildah push",
            "pipegen: reading the digest of ",
        );
        // The merge job whose list cannot be pushed publishes no reference.
        let run = run_job(Target::Gitlab, "build:multi", shell, &[("FAIL", "manifest push")]);
        assert_failed(
            &run,
            &format!("{shell:?}, the merge"),
            "manifest push",
            "pipegen: pushing the manifest list registry.example.com/failures/multi:",
        );
    }
}

#[test]
fn a_github_build_step_stops_where_docker_fails_and_says_so() {
    let cases: [Case; 9] = [
        (
            "the build and push",
            &[("FAIL", "--push")],
            "--push",
            "pipegen: building and pushing registry.example.com/failures/app:",
        ),
        (
            "the digest",
            &[("NO_DIGEST", "1")],
            "--push",
            "pipegen: reading the digest of registry.example.com/failures/app:",
        ),
        ("the cache load", &[("FAIL", "type=cacheonly")], "type=cacheonly", "pipegen: loading cache gomod failed"),
        ("the cache save", &[("FAIL", "type=local")], "type=local", "pipegen: saving cache gomod failed"),
        (
            "the builder",
            &[("FAIL", "buildx create")],
            "buildx create",
            "pipegen: starting BuildKit to build registry.example.com/failures/app:",
        ),
        (
            "the login",
            &[("FAIL", "login"), ("PIPEGEN_REGISTRY_PASSWORD", "secret")],
            "login",
            "pipegen: logging in to registry.example.com failed",
        ),
        (
            "a local build",
            &[("FAIL", "--load"), ("PIPEGEN_PUSH", "false")],
            "--load",
            "pipegen: building registry.example.com/failures/app:",
        ),
        (
            "loading a parent's local image",
            &[("FAIL", "docker load"), ("PIPEGEN_PUSH", "false")],
            "docker load",
            "pipegen: loading ",
        ),
        (
            "saving the local image",
            &[("FAIL", "docker save"), ("PIPEGEN_PUSH", "false")],
            "docker save",
            "pipegen: saving registry.example.com/failures/app:",
        ),
    ];
    for (case, env, fail, says) in cases {
        let run = run_job(Target::Github, "build_app", GITHUB_SHELL, env);
        assert_failed(&run, case, fail, says);
    }
    let run = run_platform(Target::Github, GITHUB_SHELL, &[("FAIL", "--push")]);
    assert_failed(&run, "a platform's build", "--push", "pipegen: building and pushing ");
    let run = run_job(Target::Github, "build_multi", GITHUB_SHELL, &[("FAIL", "imagetools create")]);
    assert_failed(
        &run,
        "the merge",
        "imagetools create",
        "pipegen: pushing the manifest list registry.example.com/failures/multi:",
    );
}

/// The step that loads a job's local images runs them on the left of `&&` (`eval "$LOAD" && …`),
/// where `bash -e` does not stop: an image that does not load stops the step there.
#[test]
fn a_local_image_that_does_not_load_stops_the_step() {
    let (tmp, _) = workspace();
    fs::write(tmp.path().join("images/OTHER=t2.tar"), "").unwrap();
    let log = tmp.path().join("log");
    let mut command = Command::new("bash");
    command
        .args(["-e", "-c", "eval \"$PIPEGEN_LOAD_SH\" && echo the job ran"])
        .env("PATH", format!("{}:{}", tmp.path().join("bin").display(), std::env::var("PATH").unwrap_or_default()))
        .env("PIPEGEN_LOAD_SH", pipegen::emit::scripts::minify(pipegen::emit::scripts::LOAD))
        .env("PIPEGEN_LOCAL_IMAGES", tmp.path().join("images"))
        .env("FAKE_LOG", &log)
        .env("FAIL", "BASE=t1.tar");
    let (code, out, err) = support::run(&mut command);
    let calls = fs::read_to_string(&log).unwrap_or_default();
    assert_ne!(code, 0, "{out}{err}");
    assert!(!out.contains("the job ran"), "{out}");
    assert!(!calls.contains("OTHER"), "nothing loads after the failure: {calls}");
}
