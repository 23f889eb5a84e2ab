//! The GitHub step that runs a job in the run's local images (a run that does not push: a pull
//! request under the default push policy), run by `sh` as the workflow writes it, with its
//! variables filled in as GitHub would and a stand-in for docker (and curl) that logs what it is
//! asked: the containers start logged in to the registry, where images whose build was skipped
//! are pulled from, and the job's script sees none of the credentials; `cmd` health checks run
//! in their service's container. Also the script runner of every GitHub job, run by `sh`.

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use pipegen::emit::{Target, render};
use serde_yaml::Value;

/// Logs each call with the docker configuration it runs under (`own`: a directory that exists,
/// else `default`); `login` logs its password from stdin, `create` names the job's container;
/// `image inspect` and `pull` of the image `FAKE_MISSING` fail (no such local image, and the
/// registry does not have it).
/// Each call's arguments also go to `$FAKE_LOG.argv`, each ended by NUL, the call by `\001`.
const FAKE_DOCKER: &str = r#"#!/bin/sh
printf '%s\0' "$@" >> "$FAKE_LOG.argv"
printf '\001\0' >> "$FAKE_LOG.argv"
if [ -n "${DOCKER_CONFIG:-}" ] && [ -d "$DOCKER_CONFIG" ]; then config=own; else config=default; fi
for last; do :; done
case "$1" in
  image|pull) echo "docker $* config=$config" >> "$FAKE_LOG"; [ "$last" != "${FAKE_MISSING:-}" ] ;;
  login) echo "docker $* password=$(cat) config=$config" >> "$FAKE_LOG" ;;
  create) echo "docker $* config=$config" >> "$FAKE_LOG"; echo job-container ;;
  *) echo "docker $* config=$config" >> "$FAKE_LOG" ;;
esac
"#;

/// The job's script and the http wait run curl: it logs which credentials it could read.
const FAKE_CURL: &str = r#"#!/bin/sh
echo "curl $* token=${PIPEGEN_GITHUB_TOKEN:-none} password=${PIPEGEN_REGISTRY_PASSWORD:-none} config=${DOCKER_CONFIG:-default}" >> "$FAKE_LOG"
"#;

/// A GitHub expression's value in this run: a pull request on ghcr.io without the registry
/// secrets, whose build of `api` was skipped (tag `t1`).
fn value_of(expression: &str, temp: &Path) -> String {
    match expression.trim() {
        "secrets.PIPEGEN_REGISTRY_USER" | "secrets.PIPEGEN_REGISTRY_PASSWORD" => String::new(),
        "github.token" => "the-job-token".to_string(),
        "runner.temp" => temp.display().to_string(),
        e if e.starts_with("inputs.registry || vars.PIPEGEN_REGISTRY || '") => {
            e.trim_start_matches("inputs.registry || vars.PIPEGEN_REGISTRY || '").trim_end_matches('\'').to_string()
        }
        e if e.contains("github.event_name == 'pull_request'") || e.contains("github.event_name == 'push'") => {
            "false".to_string()
        }
        e if e.contains("needs.build_api.outputs.tag") => "ghcr.io/acme/s2/api:t1".to_string(),
        e if e.contains("needs.build_app.outputs.tag") => "ghcr.io/acme/s2/app:t2".to_string(),
        // Any other model image: the local image of that name a test built.
        e if e.contains("needs.build_") && e.contains(".outputs.tag") => {
            let image = e.split("needs.build_").nth(1).and_then(|r| r.split(".outputs.tag").next()).unwrap();
            local_image(image)
        }
        e => panic!("no value for the expression {e}"),
    }
}

fn fill(text: &str, temp: &Path) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("an expression ends") + start;
        out.push_str(&value_of(&rest[start + 3..end], temp));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The reference of the local image a test built for the model image `image`, which the
/// workflow's expressions resolve to (images other than `api` and `app`).
fn local_image(image: &str) -> String {
    format!("pipegen-test-local-run/{image}:{}", std::process::id())
}

/// Runs `job`'s local-images step of `model`'s workflow with `sh`: its status, output and log.
fn run_local_step(model: &str, job: &str) -> (i32, String, Vec<String>) {
    let (code, out, log, _) = run_local_step_with_argv(model, job);
    (code, out, log)
}

/// [`run_local_step`], and the arguments of each docker call, exactly as docker received them.
fn run_local_step_with_argv(model: &str, job: &str) -> (i32, String, Vec<String>, Vec<Vec<String>>) {
    run_local_step_in(model, job, true, None)
}

/// [`run_local_step_with_argv`] with the stand-in docker and curl (`fake`), else with the
/// machine's docker (whose calls are not logged), in a work tree holding a file `input`; the
/// output ends with `output: ` and the file `output` when the step left one in the work tree.
fn run_local_step_in(
    model: &str,
    job: &str,
    fake: bool,
    missing: Option<&str>,
) -> (i32, String, Vec<String>, Vec<Vec<String>>) {
    let loaded = pipegen::model::load("pipegen.yaml", model).unwrap_or_else(|e| panic!("{}", e.render(false)));
    let plan = pipegen::plan::build(&loaded, "pipegen.yaml").unwrap_or_else(|e| panic!("{}", e.render(false)));
    let workflow: Value = serde_yaml::from_str(&render(&plan, Target::Github)).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    fs::create_dir_all(&bin).unwrap();
    if fake {
        for (name, text) in [("docker", FAKE_DOCKER), ("curl", FAKE_CURL)] {
            fs::write(bin.join(name), text).unwrap();
            fs::set_permissions(bin.join(name), fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    let log = tmp.path().join("log");
    let work = tmp.path().join("work");
    fs::create_dir_all(tmp.path().join("pipegen-images")).unwrap();
    fs::create_dir_all(&work).unwrap();
    fs::write(work.join("input"), "from the work tree\n").unwrap();
    let job = &workflow["jobs"][job];
    let step = job["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["run"].as_str().is_some_and(|r| r.contains("PIPEGEN_LOCAL_RUN_SH")))
        .expect("the local-images step");
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(step["run"].as_str().unwrap())
        .current_dir(&work)
        .env_clear()
        .env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()))
        .env("FAKE_LOG", &log)
        .env("TMPDIR", tmp.path())
        .env("HOME", tmp.path())
        .env("GITHUB_ACTOR", "octocat")
        .env("FAKE_MISSING", missing.unwrap_or_default());
    for env in [&workflow["env"], &job["env"], &step["env"]] {
        for (name, value) in env.as_mapping().unwrap() {
            let value = value.as_str().map(|v| fill(v, tmp.path())).unwrap_or_else(|| format!("{value:?}"));
            command.env(name.as_str().unwrap(), value);
        }
    }
    let (code, out, err) = support::run(&mut command);
    let out = match fs::read_to_string(work.join("output")) {
        Ok(output) => format!("{out}{err}output: {output}"),
        Err(_) => format!("{out}{err}"),
    };
    let mut calls = vec![Vec::new()];
    for arg in fs::read_to_string(log.with_extension("argv")).unwrap_or_default().split_terminator('\0') {
        if arg == "\u{1}" {
            calls.push(Vec::new());
        } else {
            calls.last_mut().expect("a call").push(arg.to_string());
        }
    }
    calls.pop();
    let log = fs::read_to_string(&log).unwrap_or_default().lines().map(String::from).collect();
    (code, out, log, calls)
}

/// The reviewer's model: an unchanged `api` (its build skipped) is only in the registry,
/// private on ghcr.io by default; a job beside it on the runner.
const BESIDE: &str = r#"
pipegen: 1
name: s2
registry: ghcr.io/acme/s2
images: { api: { context: api } }
services: { api: { image: api, port: 8080, health: { http: /health } } }
jobs: { e2e: { services: [api], script: ["curl http://api:8080/"] } }
"#;

/// A job in a model image beside a service in another (`api`, whose build was skipped).
const IN_ITS_IMAGE: &str = r#"
pipegen: 1
name: s2
registry: ghcr.io/acme/s2
images: { api: { context: api }, app: { context: app } }
services: { api: { image: api, port: 8080, health: { http: /health } } }
jobs: { e2e: { image: app, services: [api], script: ["make e2e"] } }
"#;

fn position(log: &[String], start: &str) -> usize {
    log.iter().position(|l| l.starts_with(start)).unwrap_or_else(|| panic!("no `{start}` in {log:#?}"))
}

#[test]
fn services_start_logged_in_and_the_script_on_the_runner_sees_no_credentials() {
    let (code, out, log) = run_local_step(BESIDE, "e2e");
    assert_eq!(code, 0, "{out}\n{log:#?}");
    let login = position(&log, "docker login");
    assert_eq!(
        log[login], "docker login --username octocat --password-stdin ghcr.io password=the-job-token config=own",
        "the job's token on ghcr.io, in the step's own configuration"
    );
    let run = position(&log, "docker run");
    assert!(login < run, "logged in before the service's image is pulled: {log:#?}");
    assert!(log[run].ends_with("ghcr.io/acme/s2/api:t1 config=own"), "{}", log[run]);
    let script = log.iter().rfind(|l| l.starts_with("curl http://api:8080/ ")).expect("the script ran");
    assert_eq!(script, "curl http://api:8080/ token=none password=none config=default", "{log:#?}");
}

#[test]
fn the_job_container_is_created_logged_in_and_gets_no_credentials() {
    let model = IN_ITS_IMAGE;
    let (code, out, log) = run_local_step(model, "e2e");
    assert_eq!(code, 0, "{out}\n{log:#?}");
    let login = position(&log, "docker login");
    let create = position(&log, "docker create");
    assert!(login < position(&log, "docker run") && login < create, "{log:#?}");
    assert!(log[create].contains("ghcr.io/acme/s2/app:t2 sh -c"), "{}", log[create]);
    assert!(log[create].ends_with("config=own"), "{}", log[create]);
    for secret in ["PIPEGEN_GITHUB_TOKEN", "PIPEGEN_REGISTRY_PASSWORD", "DOCKER_CONFIG"] {
        assert!(!log[create].contains(secret), "{secret} passed to the job: {}", log[create]);
    }
    let start = position(&log, "docker start");
    assert!(log[start].ends_with("config=default"), "the step's configuration is gone: {}", log[start]);
}

/// A `cmd` check runs in the service's container, where the service is `localhost`, when the
/// run does not push too: as Docker runs the service's health command when it pushes, so a
/// check such as `redis-cli ping` behaves the same in both. The runner runs it (`docker exec`)
/// before the script starts, beside a job image or without one.
#[test]
fn a_cmd_check_runs_in_the_service_container() {
    for image in ["image: app, ", ""] {
        let model = format!(
            r#"
pipegen: 1
name: s2
registry: ghcr.io/acme/s2
images: {{ api: {{ context: api }}, app: {{ context: app }} }}
services:
  api: {{ image: api, port: 8080, health: {{ http: /health }} }}
  cache: {{ image: redis:7.4, port: 6379, health: {{ cmd: redis-cli ping }} }}
jobs: {{ e2e: {{ {image}services: [api, cache], script: ["curl http://api:8080/"] }} }}
"#
        );
        let (code, out, log) = run_local_step(&model, "e2e");
        assert_eq!(code, 0, "{out}\n{log:#?}");
        let exec = position(&log, "docker exec");
        assert!(
            log[exec].starts_with(
                "docker exec --env PIPEGEN_SERVICE_HOST=localhost --env PIPEGEN_SERVICE_PORT=6379 pipegen-"
            ) && log[exec].ends_with("-cache sh -c redis-cli ping config=default"),
            "{image}: {}",
            log[exec]
        );
        assert_eq!(log.iter().filter(|l| l.starts_with("docker exec")).count(), 1, "{log:#?}");
        if image.is_empty() {
            let script = log.iter().rposition(|l| l.starts_with("curl http://api:8080/ ")).expect("the script ran");
            let wait = position(&log, "curl -fsSg -o /dev/null --max-time 5 http://api:8080/health");
            assert!(exec < wait && wait < script, "the checks before the script: {log:#?}");
        } else {
            let create = position(&log, "docker create");
            assert!(!log[create].contains("PIPEGEN_WAIT_CACHE"), "not checked in the job's container: {}", log[create]);
            assert!(log[create].contains("PIPEGEN_WAIT_API"), "{}", log[create]);
            assert!(exec < position(&log, "docker start"), "{log:#?}");
        }
    }
}

/// Each service starts with its own variables, whatever their names: `db` with `X_Y` and `db-x`
/// with `Y` once travelled in one variable (`PIPEGEN_LOCAL_SERVICE_DB_X_Y`), and `db` started
/// with `db-x`'s value.
#[test]
fn services_whose_names_and_variables_run_together_keep_their_own_values() {
    let model = r#"
pipegen: 1
name: s2
registry: ghcr.io/acme/s2
images: { api: { context: api } }
services:
  db: { image: api, port: 5432, env: { X_Y: for-db } }
  db-x: { image: api, port: 5433, env: { Y: for-db-x, X_Y: also-db-x } }
jobs: { e2e: { services: [db, db-x], script: ["true"] } }
"#;
    let (code, out, log) = run_local_step(model, "e2e");
    assert_eq!(code, 0, "{out}\n{log:#?}");
    let run = |alias: &str| {
        log.iter()
            .find(|l| l.starts_with("docker run") && l.contains(&format!("--network-alias {alias} ")))
            .unwrap_or_else(|| panic!("`{alias}` started: {log:#?}"))
            .clone()
    };
    let db = run("db");
    assert!(db.contains(" --env X_Y=for-db ") && !db.contains("--env Y="), "{db}");
    let db_x = run("db-x");
    assert!(db_x.contains(" --env Y=for-db-x ") && db_x.contains(" --env X_Y=also-db-x "), "{db_x}");
}

/// The script's timeout needs `timeout` in the job's image: an image without it is told so at
/// once, as the service waits name the tools they miss, rather than failing every attempt with
/// "timeout: not found" (127) as if the script had failed.
#[test]
fn a_timeout_without_the_timeout_tool_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/bin/sh", tmp.path().join("sh")).unwrap();
    let run = |timeout: Option<&str>| {
        let mut command = Command::new(tmp.path().join("sh"));
        command
            .arg("-c")
            .arg(pipegen::emit::scripts::RUN)
            .env_clear()
            .env("PATH", tmp.path())
            .env("PIPEGEN_SCRIPT", "echo the script ran")
            .env("PIPEGEN_ATTEMPTS", "2");
        if let Some(timeout) = timeout {
            command.env("PIPEGEN_TIMEOUT", "1800").env("PIPEGEN_TIMEOUT_TEXT", timeout);
        }
        support::run(&mut command)
    };
    let (code, out, err) = run(Some("30m"));
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(err, "pipegen: the job's timeout (30m) needs timeout in the job image (coreutils or BusyBox)\n");
    assert!(!out.contains("the script ran") && !err.contains("attempt"), "{out}{err}");
    let (code, out, err) = run(None);
    assert_eq!((code, out.as_str()), (0, "the script ran\n"), "without a timeout none is needed: {err}");
    // The default bound of a model without a timeout: such an image runs its attempts unbounded.
    let (code, out, err) = support::run(
        Command::new(tmp.path().join("sh"))
            .arg("-c")
            .arg(pipegen::emit::scripts::RUN)
            .env_clear()
            .env("PATH", tmp.path())
            .env("PIPEGEN_SCRIPT", "echo the script ran")
            .env("PIPEGEN_ATTEMPTS", "2")
            .env("PIPEGEN_TIMEOUT", "3600")
            .env("PIPEGEN_TIMEOUT_TEXT", "1h")
            .env("PIPEGEN_TIMEOUT_DEFAULT", "true"),
    );
    assert_eq!((code, out.as_str()), (0, "the script ran\n"), "{err}");
    assert_eq!(err, "pipegen: the job image has no timeout: its attempts are not stopped after the default 1h\n");
}

/// A pull request's build of one platform of a split build (`app@linux-arm64`, child of the
/// split `base`), `pipegen_build_step` as the workflow's build script has it, with the tag
/// step's results set and a stand-in docker: the platform job builds and saves its image under
/// the plain reference, where the jobs that load it look, in a file of its own platform; the
/// child builds `FROM` its parent's plain reference, whose local image of the same platform the
/// job's `PIPEGEN_PARENT_1` restores.
#[test]
fn a_platform_job_of_a_run_that_does_not_push_saves_its_own_image_under_the_plain_reference() {
    let model =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid/platforms.yaml")).unwrap();
    let loaded = pipegen::model::load("pipegen.yaml", &model).unwrap_or_else(|e| panic!("{}", e.render(false)));
    let plan = pipegen::plan::build(&loaded, "pipegen.yaml").unwrap_or_else(|e| panic!("{}", e.render(false)));
    let workflow: Value = serde_yaml::from_str(&render(&plan, Target::Github)).unwrap();
    let job = &workflow["jobs"]["build_app_3-2__linux-arm64"];
    let parent = job["env"]["PIPEGEN_PARENT_1"].as_str().unwrap();
    assert_eq!(parent, "BASE__3_2=${{ needs.build_base_3-2.outputs.tag }}@linux-arm64");
    let steps = job["steps"].as_sequence().unwrap();
    let restore = steps.iter().find(|s| s["name"].as_str() == Some("Restore the local image of parent 1")).unwrap();
    assert_eq!(
        restore["with"]["path"].as_str(),
        Some("${{ runner.temp }}/pipegen-images/${{ env.PIPEGEN_PARENT_1 }}.tar")
    );
    let save = steps.iter().find(|s| s["name"].as_str() == Some("Save the local image of linux/arm64")).unwrap();
    assert_eq!(
        save["with"]["path"].as_str(),
        Some(
            "${{ runner.temp }}/pipegen-images/${{ steps.tag.outputs.key }}=${{ steps.tag.outputs.tag }}@linux-arm64.tar"
        )
    );

    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    fs::create_dir_all(&bin).unwrap();
    fs::write(bin.join("docker"), FAKE_DOCKER).unwrap();
    fs::set_permissions(bin.join("docker"), fs::Permissions::from_mode(0o755)).unwrap();
    let log = tmp.path().join("log");
    let images = tmp.path().join("pipegen-images");
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(
            r#"eval "$PIPEGEN_BUILD_SH" && pipegen_push=false pipegen_tag=t2 pipegen_ref="$PIPEGEN_REGISTRY/app:t2" && pipegen_build_step"#,
        )
        .current_dir(tmp.path())
        .env_clear()
        .env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()))
        .env("FAKE_LOG", &log)
        .env("TMPDIR", tmp.path())
        .env("PIPEGEN_REGISTRY", "reg.example/p")
        .env("PIPEGEN_LOCAL_IMAGES", &images)
        .env("PIPEGEN_DOCKERFILE", "images/app/Dockerfile")
        .env("PIPEGEN_PARENT_1", parent.replace("${{ needs.build_base_3-2.outputs.tag }}", "t1"));
    command.env("PIPEGEN_BUILD_SH", workflow["env"]["PIPEGEN_BUILD_SH"].as_str().unwrap());
    for (name, value) in job["env"].as_mapping().unwrap() {
        if name.as_str() != Some("PIPEGEN_PARENT_1") {
            command.env(name.as_str().unwrap(), value.as_str().unwrap());
        }
    }
    let (code, out, err) = support::run(&mut command);
    assert_eq!(code, 0, "{out}{err}");
    let log = fs::read_to_string(&log).unwrap();
    let build = log.lines().find(|l| l.starts_with("docker buildx build")).unwrap_or_else(|| panic!("{log}"));
    assert!(build.contains("--build-arg BASE_IMAGE=reg.example/p/base:t1 "), "{build}");
    assert!(build.contains("--platform linux/arm64 --tag reg.example/p/app:t2 --load "), "{build}");
    assert!(
        log.lines().any(|l| l.starts_with(&format!(
            "docker save --output {}/APP__3_2=t2@linux-arm64.tar reg.example/p/app:t2 ",
            images.display()
        ))),
        "{log}"
    );
}

/// Every value a model gives the local run reaches docker as one argument: a service's variable
/// of several lines (`POSTGRES_INITDB_ARGS`) once became an argument per line, so a line such as
/// `--privileged` or `-v /:/h` was read as an option of `docker run`. The job's variables go by
/// name, docker reading their values from its environment.
#[test]
fn a_value_of_several_lines_stays_one_argument_and_adds_no_option() {
    let model = r#"
pipegen: 1
name: s2
registry: ghcr.io/acme/s2
images: { app: { context: app } }
services:
  db:
    image: postgres:16.4
    port: 5432
    env: { POSTGRES_INITDB_ARGS: "--auth-host=scram-sha-256\n--data-checksums", EVIL: "x\n--privileged\n-v\n/:/h" }
jobs: { e2e: { image: app, services: [db], env: { JOB_VAR: "a\n--privileged" }, script: ["true"] } }
"#;
    let (code, out, log, calls) = run_local_step_with_argv(model, "e2e");
    assert_eq!(code, 0, "{out}\n{log:#?}");
    let call = |verb: &str| calls.iter().find(|c| c[0] == verb).unwrap_or_else(|| panic!("no {verb}: {calls:#?}"));
    let run = call("run");
    assert_eq!(run.last().map(String::as_str), Some("postgres:16.4"), "{run:#?}");
    let envs: Vec<&str> = run.windows(2).filter(|w| w[0] == "--env").map(|w| w[1].as_str()).collect();
    assert_eq!(
        envs,
        ["POSTGRES_INITDB_ARGS=--auth-host=scram-sha-256\n--data-checksums", "EVIL=x\n--privileged\n-v\n/:/h"],
        "{run:#?}"
    );
    let create = call("create");
    assert!(create.windows(2).any(|w| w[0] == "--env" && w[1] == "JOB_VAR"), "{create:#?}");
    for call in &calls {
        for arg in call {
            assert!(!["--privileged", "-v", "/:/h", "--data-checksums"].contains(&arg.as_str()), "{call:#?}");
        }
    }
}

/// A job's image starts without its `ENTRYPOINT` (as GitHub's `container:` and GitLab's
/// `entrypoint: [""]` start it) when a step runs it, while services keep theirs: an image whose
/// entrypoint is a server took the job's `sh -c` as its arguments and never ran the script.
#[test]
fn the_job_image_starts_without_its_entrypoint_and_services_keep_theirs() {
    let model = IN_ITS_IMAGE;
    let (code, out, log, calls) = run_local_step_with_argv(model, "e2e");
    assert_eq!(code, 0, "{out}\n{log:#?}");
    let create = calls.iter().find(|c| c[0] == "create").unwrap_or_else(|| panic!("no create: {calls:#?}"));
    let image = create.iter().position(|a| a == "ghcr.io/acme/s2/app:t2").expect("the job's image");
    let entrypoint = create.iter().position(|a| a == "--entrypoint").unwrap_or_else(|| panic!("{create:#?}"));
    assert!(entrypoint < image && create[entrypoint + 1].is_empty(), "{create:#?}");
    assert_eq!(create[image + 1..image + 3], ["sh", "-c"], "the script follows the image: {create:#?}");
    let run = calls.iter().find(|c| c[0] == "run").unwrap_or_else(|| panic!("no run: {calls:#?}"));
    assert!(!run.iter().any(|a| a.starts_with("--entrypoint")), "the service keeps its entrypoint: {run:#?}");
}

/// An image this run built that the run's cache did not hand on (actions/cache saves no entry
/// over 10 GB and evicts old ones), and that the registry does not have either, is named before
/// docker would start it, with why; docker alone said the registry's "manifest unknown".
#[test]
fn an_image_neither_restored_nor_in_the_registry_is_named_before_anything_starts() {
    let model = IN_ITS_IMAGE;
    for (missing, starts) in [("ghcr.io/acme/s2/api:t1", 0), ("ghcr.io/acme/s2/app:t2", 1)] {
        let (code, out, log, calls) = run_local_step_in(model, "e2e", true, Some(missing));
        assert_ne!(code, 0, "{out}\n{log:#?}");
        assert!(
            out.contains(&format!("pipegen: {missing} is not a local image of this run and cannot be pulled"))
                && out.contains("the run's cache keeps no image over 10 GB"),
            "{out}"
        );
        // Asked for locally first, then pulled; nothing of it started, nor the job.
        let asked: Vec<&Vec<String>> = calls.iter().filter(|c| c.last().map(String::as_str) == Some(missing)).collect();
        assert_eq!(asked.iter().map(|c| c[0].as_str()).collect::<Vec<_>>(), ["image", "pull"], "{calls:#?}");
        assert_eq!(calls.iter().filter(|c| c[0] == "run").count(), starts, "{calls:#?}");
        assert!(!calls.iter().any(|c| c[0] == "create"), "{calls:#?}");
    }
    // Found locally or pulled, it starts.
    let (code, out, log, _) = run_local_step_in(model, "e2e", true, Some("other:1"));
    assert_eq!(code, 0, "{out}\n{log:#?}");
}

/// A stand-in for a model image: the static busybox in `scratch` (a shell, wget, timeout,
/// httpd), with `entrypoint`, built by the machine's docker and removed when dropped.
#[cfg(feature = "external-tests")]
struct LocalImage(String);

#[cfg(feature = "external-tests")]
impl LocalImage {
    fn build(image: &str, entrypoint: &str) -> LocalImage {
        let context = tempfile::tempdir().unwrap();
        fs::copy(support::tool("busybox"), context.path().join("busybox")).expect("copy busybox (busybox-static)");
        fs::create_dir_all(context.path().join("www")).unwrap();
        fs::write(context.path().join("www/index.html"), "served by the service\n").unwrap();
        fs::write(
            context.path().join("Dockerfile"),
            format!(
                "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n\
                 COPY www /www\nENV PATH=/bin\nENTRYPOINT {entrypoint}\n"
            ),
        )
        .unwrap();
        let reference = local_image(image);
        let (code, out, err) = support::run(
            Command::new("docker")
                .env("DOCKER_BUILDKIT", "0")
                .args(["build", "--quiet", "--tag", &reference])
                .arg(context.path()),
        );
        assert_eq!(code, 0, "docker build {reference}\n{out}{err}");
        LocalImage(reference)
    }
}

#[cfg(feature = "external-tests")]
impl Drop for LocalImage {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rmi", "--force", &self.0]).output();
    }
}

/// The local-images step with the machine's docker: a job image whose `ENTRYPOINT` would
/// swallow the script (it echoes its arguments and exits 0) runs the script, which reads the
/// work tree, reaches the service and writes back; the service, a server started by its own
/// entrypoint, keeps it.
#[cfg(feature = "external-tests")]
#[test]
fn a_job_image_with_an_entrypoint_runs_the_script_with_real_docker() {
    let _job = LocalImage::build("job", r#"["/bin/echo", "the entrypoint got:"]"#);
    let _web = LocalImage::build("web", r#"["/bin/httpd", "-f", "-p", "8080", "-h", "/www"]"#);
    let model = r#"
pipegen: 1
name: lr
registry: pipegen.invalid/lr
images: { job: { context: job }, web: { context: web } }
services: { web: { image: web, port: 8080, health: { http: /, timeout: 20s, interval: 1s } } }
jobs:
  e2e:
    image: job
    services: [web]
    script: ['{ cat input; wget -q -O - http://web:8080/; } > output']
"#;
    let (code, out, _, _) = run_local_step_in(model, "e2e", false, None);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("the entrypoint got:"), "{out}");
    assert!(out.contains("pipegen: service 'web' is healthy"), "{out}");
    assert!(out.ends_with("output: from the work tree\nserved by the service\n"), "{out}");
}
