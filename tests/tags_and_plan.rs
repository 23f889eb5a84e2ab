//! `pipegen tags` computes the same tags as the pipeline's own script, and `pipegen plan` says
//! which builds a change rebuilds and why.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use pretty_assertions::assert_eq;
use serde_json::Value;

/// A throwaway git repository holding a copy of `tests/fixtures/repos/tags`, committed.
struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        support::copy_dir(&support::repo().join("tests/fixtures/repos/tags"), dir.path());
        let repo = Repo { dir };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.commit_all("initial");
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn git(&self, args: &[&str]) -> String {
        let (code, out, err) = support::run(
            Command::new("git")
                .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
                .args(args)
                .current_dir(self.path()),
        );
        assert_eq!(code, 0, "git {args:?} failed: {err}");
        out
    }

    fn commit_all(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    fn pipegen(&self, args: &[&str]) -> (i32, String, String) {
        support::run(support::pipegen().args(args).current_dir(self.path()))
    }

    fn pipegen_json(&self, args: &[&str]) -> Value {
        let (code, out, err) = self.pipegen(args);
        assert_eq!(code, 0, "pipegen {args:?} failed: {err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("pipegen {args:?} printed no JSON ({e}): {out}"))
    }
}

/// Run every build job of the generated GitLab pipeline, in order, as far as its tag step (its
/// own variables, the dotenv reports of the builds it needs, a registry that has nothing), and
/// read the dotenv report each one publishes: (job, tag).
fn pipeline_tags(repo: &Repo) -> Vec<(String, String)> {
    let (code, yaml, err) = repo.pipegen(&["emit", "--target", "gitlab"]);
    assert_eq!(code, 0, "{err}");
    let pipeline: pipegen::yaml::Value = pipegen::yaml::from_str(&yaml).expect("generated YAML parses");
    let library = pipeline[".pipegen:build"]["before_script"][0].as_str().expect("the build template's functions");
    let scratch = tempfile::tempdir().expect("temp dir");
    let script_file: PathBuf = scratch.path().join("tag.sh");
    std::fs::write(&script_file, format!("{library}\npipegen_tag_step && pipegen_publish\n")).expect("write script");
    // A registry that holds nothing.
    std::fs::write(scratch.path().join("skopeo"), "#!/bin/sh\necho 'manifest unknown' >&2\nexit 1\n").expect("stub");
    std::fs::set_permissions(scratch.path().join("skopeo"), std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let path = format!("{}:{}", scratch.path().display(), std::env::var("PATH").unwrap_or_default());
    let commit = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    let mut published: Vec<(String, String, String)> = Vec::new(); // (job, variable, tag)
    let jobs = pipeline.as_mapping().expect("a mapping");
    for (name, job) in jobs {
        let name = name.as_str().expect("a job name");
        if job.get("extends").and_then(|e| e.as_str()) != Some(".pipegen:build") {
            continue;
        }
        let mut command = Command::new("bash");
        command.args(["-eo", "pipefail"]).arg(&script_file).current_dir(repo.path());
        // A pipeline that pushes (the default branch): its images are the registry's.
        command
            .env("PATH", &path)
            .env("CI_COMMIT_SHA", &commit)
            .env("PIPEGEN_REGISTRY", "registry.example.com/tags")
            .env("PIPEGEN_PUSH", "true");
        for (key, value) in job["variables"].as_mapping().expect("variables") {
            let value = value.as_str().or_else(|| value["value"].as_str()).expect("a string variable");
            command.env(key.as_str().expect("a name"), value);
        }
        for need in job["needs"].as_sequence().expect("needs") {
            let needed = need.as_str().expect("a build need takes the build's artifacts");
            let (_, variable, tag) = published.iter().find(|(job, _, _)| job == needed).expect("needed before");
            command.env(variable, tag);
        }
        let (code, _, err) = support::run(&mut command);
        assert_eq!(code, 0, "{name}: the pipeline's tag step failed: {err}");
        let report = repo.path().join("pipegen-tag.env");
        let dotenv = std::fs::read_to_string(&report).expect("the tag step writes its dotenv report");
        std::fs::remove_file(&report).expect("clean up");
        let lines: Vec<&str> = dotenv.lines().collect();
        assert_eq!(lines.len(), 1, "{name}: one variable per report: {dotenv}");
        // The report holds the image's reference: the registry's, under its tag.
        let (variable, reference) = lines[0].split_once('=').expect("KEY=VALUE");
        published.push((name.to_string(), variable.to_string(), reference.to_string()));
    }
    published
        .into_iter()
        .map(|(job, _, reference)| {
            let tag = reference.rsplit_once(':').expect("a reference with a tag").1.to_string();
            (job, tag)
        })
        .collect()
}

/// `pipegen tags --format json` as (platform-neutral id, tag), in plan order.
fn cli_tags(repo: &Repo) -> Vec<(String, String)> {
    let json = repo.pipegen_json(&["tags", "--format", "json"]);
    json.as_array()
        .expect("a list")
        .iter()
        .map(|t| {
            let id = t["id"].as_str().unwrap();
            (id.to_string(), t["tag"].as_str().unwrap().to_string())
        })
        .collect()
}

fn tag_values(pairs: &[(String, String)]) -> Vec<String> {
    pairs.iter().map(|(_, v)| v.clone()).collect()
}

#[test]
fn pipegen_tags_agrees_with_the_pipeline_script() {
    let repo = Repo::new();
    let from_pipeline = pipeline_tags(&repo);
    let from_cli = cli_tags(&repo);
    assert_eq!(from_pipeline.len(), 7, "two bases, two components, the tool, two apps: {from_pipeline:?}");
    assert_eq!(tag_values(&from_pipeline), tag_values(&from_cli));

    // Change a component input and commit: both move together, and only what depends on it.
    std::fs::write(repo.path().join("shared/deep/file.txt"), "changed\n").unwrap();
    repo.commit_all("change a shared input");
    let after_pipeline = pipeline_tags(&repo);
    let after_cli = cli_tags(&repo);
    assert_eq!(tag_values(&after_pipeline), tag_values(&after_cli));
    let changed: Vec<&str> = from_cli
        .iter()
        .zip(&after_cli)
        .filter(|(before, after)| before.1 != after.1)
        .map(|(before, _)| before.0.as_str())
        .collect();
    assert_eq!(
        changed,
        [
            "build component [version=1.0]",
            "build component [version=2.0]",
            "build app [version=1.0]",
            "build app [version=2.0]"
        ],
        "a shared input changes the components' tags, and the apps are tagged by the new commit"
    );
}

#[test]
fn tags_ignore_uncommitted_changes_and_follow_rev() {
    let repo = Repo::new();
    let before = cli_tags(&repo);
    std::fs::write(repo.path().join("images/base/Dockerfile"), "FROM scratch\nLABEL x=y\n").unwrap();
    assert_eq!(cli_tags(&repo), before, "tags describe a commit, not the working tree");
    repo.commit_all("change the base");
    let after = cli_tags(&repo);
    assert!(after.iter().zip(&before).all(|(a, b)| a.1 != b.1 || a.0.starts_with("build tool")));
    let json = repo.pipegen_json(&["tags", "--rev", "HEAD~1", "--format", "json"]);
    let old: Vec<String> = json.as_array().unwrap().iter().map(|t| t["tag"].as_str().unwrap().to_string()).collect();
    assert_eq!(old, tag_values(&before), "--rev computes the tags of an earlier commit");
}

/// `tags --rev` gives the tags that commit's pipeline computed: with the model as the commit has
/// it, not the working tree's, which may have changed since (an arg, an axis value).
#[test]
fn tags_at_a_revision_use_the_model_that_revision_has() {
    let repo = Repo::new();
    let first = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    let before = cli_tags(&repo);
    let model = std::fs::read_to_string(repo.path().join("pipegen.yaml")).unwrap();
    let changed = model.replace("QUOTE: \"it's", "QUOTE: \"it is");
    assert_ne!(changed, model);
    std::fs::write(repo.path().join("pipegen.yaml"), &changed).unwrap();
    repo.commit_all("change an arg of the base");
    let after = cli_tags(&repo);
    assert_ne!(tag_values(&after), tag_values(&before), "the arg is in every tag");

    let (code, out, err) = repo.pipegen(&["tags", "--rev", &first, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let json: Value = serde_json::from_str(&out).unwrap();
    let old: Vec<String> = json.as_array().unwrap().iter().map(|t| t["tag"].as_str().unwrap().to_string()).collect();
    assert_eq!(old, tag_values(&before), "the first commit's tags, with its own model");
    assert!(err.contains("differs in the working tree from") && err.contains("as its pipeline was"), "{err}");

    // The working tree's model is the commit's: nothing to say.
    let (code, _, err) = repo.pipegen(&["tags"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("differs"), "{err}");

    // A model not committed yet: its own tags, with a warning.
    std::fs::copy(repo.path().join("pipegen.yaml"), repo.path().join("new.yaml")).unwrap();
    let (code, _, err) = repo.pipegen(&["tags", "--model", "new.yaml"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("new.yaml is not in git at HEAD"), "{err}");
}

#[test]
fn tags_say_what_the_tree_is_missing() {
    let repo = Repo::new();
    let (code, _, err) = repo.pipegen(&["tags"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err, "", "nothing is missing in the fixture");
    std::fs::remove_file(repo.path().join("images/component.Dockerfile")).unwrap();
    repo.commit_all("lose a Dockerfile");
    let (code, out, err) = repo.pipegen(&["tags"]);
    assert_eq!(code, 0, "the tags are still what the pipeline computes: {err}");
    assert!(out.contains("build component [version=1.0]"), "{out}");
    let warnings: Vec<&str> = err.lines().collect();
    assert_eq!(warnings.len(), 2, "one per variant of the component: {err}");
    assert!(
        warnings[0].starts_with(
            "pipegen: warning: build component [version=1.0]: the dockerfile `images/component.Dockerfile` is not in git at "
        ),
        "{err}"
    );
    assert!(warnings[0].ends_with("; the build would fail"), "{err}");

    // A link git cannot follow (a `.` in its target) to a file the checkout has: the build
    // would read it, but no tag hashes it, so the warning says why git does not see it.
    std::fs::write(repo.path().join("images/real.Dockerfile"), "FROM scratch\n").unwrap();
    std::os::unix::fs::symlink("./real.Dockerfile", repo.path().join("images/component.Dockerfile")).unwrap();
    repo.commit_all("a Dockerfile through a link git does not follow");
    let (code, _, err) = repo.pipegen(&["tags"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(err.contains("is not in git at ") && err.contains(", but the working tree has it: "), "{err}");
    assert!(
        err.contains(
            "a symbolic link git cannot follow (git reads no `.` in a link's target, and follows none into a submodule)"
        ),
        "{err}"
    );
    // The pipeline's tag step, in a checkout that has the file, stops rather than hash nothing.
    let message = std::panic::catch_unwind(|| pipeline_tags(&repo))
        .expect_err("the pipeline's tag step fails")
        .downcast::<String>()
        .expect("a message");
    assert!(message.contains("the pipeline's tag step failed"), "{message}");
    assert!(
        message.contains(
            "images/component.Dockerfile goes through a symbolic link that leads to a name git cannot follow"
        ),
        "{message}"
    );
}

#[test]
fn tags_outside_git_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    support::copy_dir(&support::repo().join("tests/fixtures/repos/tags"), dir.path());
    let (code, out, err) = support::run(support::pipegen().args(["tags"]).current_dir(dir.path()));
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("is in no git repository"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// `plan --changed` reads its paths relative to the current directory, as git does, and resolves
/// `.` and `..` lexically into repository paths; one outside the repository is an error.
#[test]
fn plan_changed_paths_are_relative_to_the_current_directory_and_normalized() {
    let repo = Repo::new();
    let in_dir = |dir: &str, args: &[&str]| {
        let (code, out, err) = support::run(support::pipegen().args(args).current_dir(repo.path().join(dir)));
        assert_eq!(code, 0, "pipegen {args:?} in {dir} failed: {err}");
        serde_json::from_str::<Value>(&out).unwrap()
    };
    let plan = in_dir(".", &["plan", "--changed", "images/base/../../shared/./deep//file.txt", "--format", "json"]);
    assert_eq!(plan["changed"], serde_json::json!(["shared/deep/file.txt"]));
    let component = verdict(&plan, "build component [version=1.0]");
    assert_eq!(component["reasons"][0]["via"], "input shared/**", "not blamed on context images/base");
    assert_eq!(verdict(&plan, "build base [version=1.0]")["rebuilt"], false);

    for spelling in ["./Dockerfile", "Dockerfile", "../base/Dockerfile"] {
        let args = ["plan", "-m", "../../pipegen.yaml", "--changed", spelling, "--format", "json"];
        let plan = in_dir("images/base", &args);
        assert_eq!(plan["changed"], serde_json::json!(["images/base/Dockerfile"]), "{spelling}");
        assert_eq!(verdict(&plan, "build base [version=1.0]")["reasons"][0]["via"], "context images/base");
    }
    // `./x.lock` in component/ is component/x.lock: `*.lock` (root files only) does not match it.
    let plan = in_dir("component", &["plan", "-m", "../pipegen.yaml", "--changed", "../deps.lock", "--format", "json"]);
    assert_eq!(plan["changed"], serde_json::json!(["deps.lock"]));
    assert_eq!(verdict(&plan, "build component [version=1.0]")["reasons"][0]["via"], "input *.lock");
    let plan = in_dir("component", &["plan", "-m", "../pipegen.yaml", "--changed", "./x.lock", "--format", "json"]);
    assert_eq!(plan["changed"], serde_json::json!(["component/x.lock"]));
    assert_eq!(verdict(&plan, "build component [version=1.0]")["reasons"][0]["via"], "context component");

    let absolute = repo.path().join("tool/Dockerfile");
    let plan = in_dir(".", &["plan", "--changed", absolute.to_str().unwrap(), "--format", "json"]);
    assert_eq!(plan["changed"], serde_json::json!(["tool/Dockerfile"]));

    for outside in ["../elsewhere", "/etc/passwd", "tool/../../x"] {
        let (code, out, err) = repo.pipegen(&["plan", "--changed", outside]);
        assert_eq!((code, out.as_str()), (2, ""), "{outside}: {err}");
        assert!(err.contains(&format!("--changed {outside}: the path is outside the repository")), "{err}");
    }
}

fn verdict<'a>(plan: &'a Value, job: &str) -> &'a Value {
    plan["builds"].as_array().unwrap().iter().find(|b| b["id"] == job).unwrap_or_else(|| panic!("no build {job}"))
}

#[test]
fn plan_explains_rebuilds_from_changed_paths() {
    let repo = Repo::new();
    let plan = repo.pipegen_json(&["plan", "--changed", "shared/deep/file.txt", "--format", "json"]);
    let component = verdict(&plan, "build component [version=1.0]");
    assert_eq!(component["rebuilt"], true);
    assert_eq!(component["reasons"][0]["via"], "input shared/**");
    assert_eq!(verdict(&plan, "build base [version=1.0]")["rebuilt"], false);
    assert_eq!(verdict(&plan, "build tool")["rebuilt"], false);
    let app = verdict(&plan, "build app [version=2.0]");
    let kinds: Vec<&str> = app["reasons"].as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["changed", "parent", "commit-tag"],
        "app lives in context `.`, has a rebuilt parent and a commit tag"
    );

    let plan = repo.pipegen_json(&["plan", "--changed", "images/base/Dockerfile", "--format", "json"]);
    for job in [
        "build base [version=1.0]",
        "build base [version=2.0]",
        "build component [version=1.0]",
        "build component [version=2.0]",
    ] {
        assert_eq!(verdict(&plan, job)["rebuilt"], true, "{job}");
    }
    assert_eq!(verdict(&plan, "build component [version=1.0]")["reasons"][0]["id"], "build base [version=1.0]");
    assert_eq!(verdict(&plan, "build tool")["rebuilt"], false, "the axis-less tool does not depend on base");

    let plan = repo.pipegen_json(&["plan", "--changed", "tool/README.md", "tool/Dockerfile", "--format", "json"]);
    assert_eq!(
        verdict(&plan, "build tool")["reasons"],
        serde_json::json!([{ "kind": "changed", "path": "tool/Dockerfile", "via": "context tool" }]),
        "the tool's .dockerignore leaves README.md out"
    );

    let plan = repo.pipegen_json(&["plan", "--changed", "sub/deps.lock", "--format", "json"]);
    assert_eq!(
        verdict(&plan, "build component [version=1.0]")["rebuilt"],
        false,
        "`*.lock` does not reach into directories"
    );
}

/// A changed directory covers everything under it, as a git pathspec does (tester: `--changed
/// images` and `--changed .` rebuilt nothing while `--changed images/base` rebuilt the base).
#[test]
fn plan_changed_directories_cover_the_builds_under_them() {
    let repo = Repo::new();
    let via = |plan: &Value, job: &str| verdict(plan, job)["reasons"][0]["via"].as_str().map(str::to_string);
    let plan = repo.pipegen_json(&["plan", "--changed", "images", "--format", "json"]);
    assert_eq!(via(&plan, "build base [version=1.0]").as_deref(), Some("context images/base"));
    assert_eq!(via(&plan, "build component [version=2.0]").as_deref(), Some("dockerfile images/component.Dockerfile"));
    assert_eq!(verdict(&plan, "build tool")["rebuilt"], false, "tool/ is not under images/");

    let plan = repo.pipegen_json(&["plan", "--changed", "shared", "--format", "json"]);
    assert_eq!(via(&plan, "build component [version=1.0]").as_deref(), Some("input shared/**"));
    assert_eq!(verdict(&plan, "build base [version=1.0]")["rebuilt"], false);

    let plan = repo.pipegen_json(&["plan", "--changed", ".", "--format", "json"]);
    for build in plan["builds"].as_array().unwrap() {
        assert_eq!(build["rebuilt"], true, "`.` is the whole repository: {}", build["id"]);
    }
    assert_eq!(via(&plan, "build tool").as_deref(), Some("context tool"));
}

/// The builds `plan --changed <paths>` rebuilds, and the text line of each.
fn rebuilt_for(repo: &Repo, args: &[&str]) -> (Vec<String>, String) {
    let json = repo.pipegen_json(&[&["plan", "--format", "json", "--changed"], args].concat());
    let (code, text, err) = repo.pipegen(&[&["plan", "--changed"], args].concat());
    assert_eq!(code, 0, "{err}");
    (rebuilt(&json), text)
}

/// A changed file is matched as a file and a directory by the files under it, as a git pathspec
/// matches (tester: `inputs: ["**/*.lock"]` rebuilt for `--changed README.md`).
#[test]
fn plan_changed_matches_globs_against_files_not_every_path() {
    let repo = Repo::new();
    let model = "pipegen: 1\nname: t\nregistry: registry.example.com/t\nimages:\n  \
                 app: { context: tool, inputs: [\"**/*.lock\", \"src/**/*.go\"] }\n";
    std::fs::write(repo.path().join("pipegen.yaml"), model).unwrap();
    std::fs::create_dir_all(repo.path().join("src/x")).unwrap();
    std::fs::write(repo.path().join("src/x/a.txt"), "a\n").unwrap();
    std::fs::create_dir_all(repo.path().join("locks/deep")).unwrap();
    std::fs::write(repo.path().join("locks/deep/x.lock"), "x\n").unwrap();
    repo.commit_all("globs");
    for (paths, expected) in [
        (&["README.md"][..], &[][..]),
        (&["src/x/a.txt"], &[]),
        (&["src"], &[]),
        (&["src/x/b.go"], &["build app"]),
        (&["new/deps.lock"], &["build app"]),
        (&["shared"], &[]),
        (&["locks"], &["build app"]),
        (&["deps.lock"], &["build app"]),
    ] {
        let (rebuilt, text) = rebuilt_for(&repo, paths);
        assert_eq!(rebuilt, expected, "--changed {paths:?}: {text}");
    }
    // As the plan of a real edit says.
    std::fs::write(repo.path().join("README.md"), "edited\n").unwrap();
    assert_eq!(rebuilt(&repo.pipegen_json(&["plan", "--format", "json"])), Vec::<String>::new());
}

/// Without `--target`, `--changed` answers for every platform of the model: their builders read
/// different ignore files (tester: only the first platform's was read).
#[test]
fn plan_changed_answers_for_every_platform() {
    let repo = Repo::new();
    let model = "pipegen: 1\nname: t\nregistry: registry.example.com/t\n\
                 outputs: { gitlab: ci/gitlab.yml, github: ci/github.yml }\nimages:\n  app: { context: app }\n";
    std::fs::write(repo.path().join("pipegen.yaml"), model).unwrap();
    std::fs::create_dir_all(repo.path().join("app")).unwrap();
    std::fs::write(repo.path().join("app/Dockerfile"), "FROM scratch\nCOPY . /\n").unwrap();
    std::fs::write(repo.path().join("app/.containerignore"), "a\n").unwrap();
    std::fs::write(repo.path().join("app/.dockerignore"), "b\n").unwrap();
    repo.commit_all("two ignore files");
    for changed in ["app/a", "app/b"] {
        let (rebuilt, text) = rebuilt_for(&repo, &[changed]);
        assert_eq!(rebuilt, ["build app"], "--changed {changed}: {text}");
        let sent_on = if changed == "app/a" { "github" } else { "gitlab" };
        assert!(text.contains(&format!("{changed} changed (context app, on {sent_on})")), "{text}");
    }
    let (_, text) = rebuilt_for(&repo, &["app/c"]);
    assert!(text.contains("app/c changed (context app)\n"), "both platforms: no platform named: {text}");
    // As the plan of a real edit says.
    std::fs::write(repo.path().join("app/a"), "a\n").unwrap();
    assert_eq!(rebuilt(&repo.pipegen_json(&["plan", "--format", "json"])), ["build app"]);
}

/// A Dockerfile that is a link inside its context is named as the Dockerfile when what it leads
/// to changes, and a path reached through two links is named once.
#[test]
fn plan_changed_names_a_linked_dockerfile_once_and_as_the_dockerfile() {
    let repo = Repo::new();
    let model = "pipegen: 1\nname: t\nregistry: registry.example.com/t\nimages:\n  \
                 inside: { context: docker, dockerfile: docker/Df }\n  viactx: { context: ctx }\n";
    std::fs::write(repo.path().join("pipegen.yaml"), model).unwrap();
    std::fs::create_dir_all(repo.path().join("docker")).unwrap();
    std::fs::create_dir_all(repo.path().join("real")).unwrap();
    std::fs::write(repo.path().join("real/Dockerfile"), "FROM scratch\n").unwrap();
    std::os::unix::fs::symlink("../real/Dockerfile", repo.path().join("docker/Df")).unwrap();
    std::os::unix::fs::symlink("real", repo.path().join("ctx")).unwrap();
    repo.commit_all("links");
    let (rebuilt, text) = rebuilt_for(&repo, &["real/Dockerfile"]);
    assert_eq!(rebuilt, ["build inside", "build viactx"], "{text}");
    assert!(text.contains("build inside  docker/Df changed (dockerfile docker/Df)\n"), "{text}");
    assert!(text.contains("build viactx  ctx/Dockerfile changed (context ctx)\n"), "{text}");
    let (rebuilt, text) = rebuilt_for(&repo, &["real"]);
    assert_eq!(rebuilt, ["build inside", "build viactx"], "a directory holding the linked file: {text}");
    assert!(text.contains("build viactx  ctx changed (context ctx)\n"), "ctx/Dockerfile lies in ctx: {text}");
}

#[test]
fn plan_reads_uncommitted_changes_from_git() {
    let repo = Repo::new();
    std::fs::write(repo.path().join("tool/Dockerfile"), "FROM scratch\nLABEL t=1\n").unwrap();
    let (code, out, err) = repo.pipegen(&["plan"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Changed paths (1, uncommitted changes):\n  tool/Dockerfile\n"), "{out}");
    let tool_line = out.lines().find(|l| l.trim_start().starts_with("build tool ")).expect("a line for build tool");
    assert!(tool_line.ends_with("  tool/Dockerfile changed (context tool)"), "{out}");
    assert!(out.contains("Reused, already in the registry when built before (4):"), "{out}");
    assert!(out.contains("run test [version=1.0]"), "{out}");
    repo.commit_all("change the tool");
    let plan = repo.pipegen_json(&["plan", "--since", "HEAD~1", "--format", "json"]);
    assert_eq!(plan["changed"], serde_json::json!(["tool/Dockerfile"]));
    assert_eq!(verdict(&plan, "build tool")["rebuilt"], true);
}

/// A file rewritten in the same clock tick as the index was written, keeping its size, is
/// "racily clean" to git: its recorded size and time match, and only because its time is not
/// older than the index's does git compare its content. `plan` reads the working tree through a
/// copy of the index, which must keep that protection. The tick is made here: the file's time
/// and the index's are set back to the time git recorded for the file; its change time cannot
/// be set back, so git is told not to compare it (`core.trustctime`), as it would match within
/// one tick anyway.
#[test]
fn plan_sees_a_file_changed_within_the_clock_tick_of_its_last_add() {
    let repo = Repo::new();
    repo.git(&["config", "core.trustctime", "false"]);
    let file = repo.path().join("tool/racy.txt");
    let set_time =
        |path: &Path, time| std::fs::File::options().write(true).open(path).unwrap().set_modified(time).unwrap();
    // Older than the index git is about to write, so git records the file as clean for good
    // (an entry as new as its index is smudged, and every later look compares content).
    let recorded = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    std::fs::write(&file, "1\n").unwrap();
    set_time(&file, recorded);
    repo.commit_all("a file");
    std::fs::write(&file, "2\n").unwrap();
    set_time(&file, recorded);
    set_time(&repo.path().join(".git/index"), recorded);
    // `git diff` compares without writing the index (`git status` would rewrite it).
    let diff = repo.git(&["diff", "--name-only"]);
    assert_eq!(diff.trim(), "tool/racy.txt", "git itself sees the change");
    let plan = repo.pipegen_json(&["plan", "--format", "json"]);
    assert_eq!(plan["changed"], serde_json::json!(["tool/racy.txt"]));
    let tool = verdict(&plan, "build tool");
    assert_eq!(tool["rebuilt"], true, "{plan:#}");
    let reasons = tool["reasons"].to_string();
    assert!(reasons.contains("tool/racy.txt"), "{plan:#}");
}

/// File names as they are: git quotes a name with a non-ASCII letter, a newline or a quote in
/// its plain output (`"tool/\303\274n\303\257.txt"`); `plan` reads git's NUL-separated
/// output, lists each name once, and escapes what a terminal would act on.
#[test]
fn plan_names_changed_files_as_they_are_named() {
    let repo = Repo::new();
    std::fs::write(repo.path().join("tool/ünï.txt"), "1\n").unwrap();
    repo.commit_all("a file with a non-ASCII name");
    std::fs::write(repo.path().join("tool/ünï.txt"), "2\n").unwrap();
    std::fs::write(repo.path().join("tool/new\nline \"quoted\".txt"), "x\n").unwrap();
    let (code, out, err) = repo.pipegen(&["plan"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("Changed paths (2, uncommitted changes):\n  tool/new\\nline \"quoted\".txt\n  tool/ünï.txt\n"),
        "{out}"
    );
    let tool_line = out.lines().find(|l| l.trim_start().starts_with("build tool ")).expect("a line for build tool");
    assert!(tool_line.ends_with("  tool/new\\nline \"quoted\".txt, tool/ünï.txt changed (context tool)"), "{out}");
    let plan = repo.pipegen_json(&["plan", "--format", "json"]);
    assert_eq!(plan["changed"], serde_json::json!(["tool/new\nline \"quoted\".txt", "tool/ünï.txt"]));
    repo.commit_all("change them");
    let plan = repo.pipegen_json(&["plan", "--since", "HEAD~1", "--format", "json"]);
    assert_eq!(plan["changed"], serde_json::json!(["tool/new\nline \"quoted\".txt", "tool/ünï.txt"]));
}

/// A Dockerfile that starts from another base image: `plan` names the Dockerfile, asks no
/// registry (`debian:bookworm` is never looked up: the two sides it compares have the same
/// digests), and the recipe's `upstream` part adds no reason of its own.
#[test]
fn plan_names_the_dockerfile_of_a_new_base_image_without_asking_a_registry() {
    let repo = Repo::new();
    std::fs::write(repo.path().join("tool/Dockerfile"), "ARG OS=debian\nFROM ${OS}:bookworm\n").unwrap();
    let plan = repo.pipegen_json(&["plan", "--format", "json"]);
    let tool = verdict(&plan, "build tool");
    assert_eq!(tool["rebuilt"], true);
    assert_eq!(
        tool["reasons"],
        serde_json::json!([{ "kind": "changed", "path": "tool/Dockerfile", "via": "context tool" }])
    );
    // `pipegen tags` asks, unless --offline: then it says which tags are not the pipeline's.
    repo.commit_all("the tool on debian");
    let (code, out, err) = repo.pipegen(&["tags", "--offline"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("--offline: the digests of debian:bookworm are not asked"), "{err}");
    let tool_line = out.lines().find(|l| l.starts_with("build tool ")).expect("a line for build tool");
    assert!(tool_line.ends_with("  (offline)"), "{out}");
}

/// A registry that cannot be reached (nothing listens on port 1 of this machine): `pipegen
/// tags` stops with exit 2 and says how to get tags anyway, whether skopeo is installed or not.
#[test]
fn tags_say_how_to_go_on_when_a_base_image_cannot_be_resolved() {
    let repo = Repo::new();
    std::fs::write(repo.path().join("tool/Dockerfile"), "FROM 127.0.0.1:1/nothing/here:1\n").unwrap();
    repo.commit_all("a base nobody serves");
    let (code, out, err) = repo.pipegen(&["tags"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("127.0.0.1:1/nothing/here:1"), "{err}");
    assert!(err.contains("pass --offline for tags that leave base images out"), "{err}");
    assert!(out.is_empty(), "no tag is printed when one cannot be computed: {out}");
}

/// The builds of a `plan --format json` report with a status, and the ids of the removed ones.
fn statuses(plan: &Value) -> (Vec<(String, String)>, Vec<String>) {
    let builds = plan["builds"].as_array().unwrap().iter();
    let with_status =
        builds.map(|b| (b["id"].as_str().unwrap().to_string(), b["status"].as_str().unwrap().to_string()));
    let removed = plan["removed"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap().to_string());
    (with_status.collect(), removed.collect())
}

fn rebuilt(plan: &Value) -> Vec<String> {
    statuses(plan).0.into_iter().filter(|(_, s)| s == "rebuilt").map(|(id, _)| id).collect()
}

/// `plan --since` compares the tags of both revisions, each with its own model: a model edit is
/// seen, a new image is new and a removed one is reported, a file change names the file, a
/// parent's change reaches its children, and a file the `.dockerignore` leaves out changes
/// nothing, in the pipeline as in `pipegen tags`.
#[test]
fn plan_since_compares_the_tags_of_both_revisions() {
    let repo = Repo::new();
    let model = repo.path().join("pipegen.yaml");
    let edit_model = |from: &str, to: &str| {
        let text = std::fs::read_to_string(&model).unwrap();
        assert!(text.contains(from), "the fixture model holds {from:?}");
        std::fs::write(&model, text.replacen(from, to, 1)).unwrap();
    };

    // An argument added in the model: the tool (no axis) and the app built from it.
    edit_model("  tool:\n    context: tool\n", "  tool:\n    context: tool\n    args: { X: \"1\" }\n");
    repo.commit_all("an argument for the tool");
    let plan = repo.pipegen_json(&["plan", "--since", "HEAD~1", "--format", "json"]);
    assert_eq!(rebuilt(&plan), ["build tool", "build app [version=1.0]", "build app [version=2.0]"]);
    let tool = verdict(&plan, "build tool");
    assert_eq!(
        tool["reasons"],
        serde_json::json!([{ "kind": "model", "field": "images.tool.args.X", "before": null, "after": "1" }])
    );
    let (code, out, err) = repo.pipegen(&["plan", "--since", "HEAD~1"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("build tool                "), "{out}");
    assert!(out.contains("model images.tool.args.X: `1` added"), "{out}");

    // The same edit uncommitted is seen by `plan` alone; committed, `plan` sees nothing.
    let (_, out, _) = repo.pipegen(&["plan"]);
    assert!(out.contains("Rebuilt (2):"), "only the commit-tagged app, once per variant: {out}");
    edit_model("args: { X: \"1\" }", "args: { X: \"2\" }");
    let plan = repo.pipegen_json(&["plan", "--format", "json"]);
    assert_eq!(verdict(&plan, "build tool")["reasons"][0]["before"], "1");
    assert_eq!(verdict(&plan, "build tool")["reasons"][0]["after"], "2");
    repo.git(&["checkout", "--", "pipegen.yaml"]);

    // A new image and a removed one.
    edit_model("  tool:\n", "  extra:\n    context: tool\n  tool:\n");
    edit_model("jobs:\n", "  gone: {}\njobs:\n");
    repo.commit_all("an image more");
    edit_model("  gone: {}\n", "");
    repo.commit_all("an image less");
    let plan = repo.pipegen_json(&["plan", "--since", "HEAD~2", "--format", "json"]);
    let (all, removed) = statuses(&plan);
    assert!(all.contains(&("build extra".to_string(), "new".to_string())), "{all:?}");
    assert!(removed.is_empty(), "gone came and went between the two revisions: {removed:?}");
    let plan = repo.pipegen_json(&["plan", "--since", "HEAD~1", "--format", "json"]);
    assert_eq!(statuses(&plan).1, ["build gone"]);
    assert_eq!(rebuilt(&plan), ["build app [version=1.0]", "build app [version=2.0]"], "nothing else");

    // A file: the base's Dockerfile; its children follow, the tool does not.
    std::fs::write(repo.path().join("images/base/Dockerfile"), "FROM scratch\nLABEL v=2\n").unwrap();
    repo.commit_all("change the base");
    let plan = repo.pipegen_json(&["plan", "--since", "HEAD~1", "--format", "json"]);
    assert_eq!(
        rebuilt(&plan),
        [
            "build base [version=1.0]",
            "build base [version=2.0]",
            "build component [version=1.0]",
            "build component [version=2.0]",
            "build app [version=1.0]",
            "build app [version=2.0]"
        ]
    );
    assert_eq!(
        verdict(&plan, "build base [version=1.0]")["reasons"],
        serde_json::json!([{ "kind": "changed", "path": "images/base/Dockerfile", "via": "context images/base" }])
    );
    assert_eq!(
        verdict(&plan, "build component [version=2.0]")["reasons"],
        serde_json::json!([{ "kind": "parent", "id": "build base [version=2.0]" }])
    );

    // A file the tool's .dockerignore leaves out: no content tag changes, in the pipeline either.
    let tags_before = pipeline_tags(&repo);
    std::fs::write(repo.path().join("tool/README.md"), "edited\n").unwrap();
    repo.commit_all("edit an ignored file");
    let plan = repo.pipegen_json(&["plan", "--since", "HEAD~1", "--format", "json"]);
    assert_eq!(rebuilt(&plan), ["build app [version=1.0]", "build app [version=2.0]"], "only the commit tags");
    let tags_after = pipeline_tags(&repo);
    let content = |tags: &[(String, String)]| {
        tags.iter().filter(|(job, _)| !job.starts_with("build:app")).cloned().collect::<Vec<_>>()
    };
    assert_eq!(content(&tags_before), content(&tags_after), "the pipeline rebuilds nothing either");
    assert_eq!(tag_values(&tags_after), tag_values(&cli_tags(&repo)), "and agrees with pipegen tags");
}

/// A model that did not exist at the earlier revision: every build is new. One that does not
/// load there: a located error naming the revision.
#[test]
fn plan_since_a_revision_without_the_model() {
    let repo = Repo::new();
    let plan = repo.pipegen_json(&["plan", "--since", "HEAD", "--format", "json"]);
    assert_eq!(rebuilt(&plan), ["build app [version=1.0]", "build app [version=2.0]"], "a clean tree");
    let restored = std::fs::read_to_string(support::repo().join("tests/fixtures/repos/tags/pipegen.yaml")).unwrap();
    repo.git(&["rm", "-q", "pipegen.yaml"]);
    repo.commit_all("no model");
    std::fs::write(repo.path().join("pipegen.yaml"), &restored).unwrap();
    repo.commit_all("a model");
    let plan = repo.pipegen_json(&["plan", "--since", "HEAD~1", "--format", "json"]);
    let (all, removed) = statuses(&plan);
    assert!(all.iter().all(|(_, status)| status == "new") && all.len() == 7 && removed.is_empty(), "{all:?}");

    std::fs::write(
        repo.path().join("pipegen.yaml"),
        "pipegen: 1\nname: tags\nregistry: r.example/t\nimages: { base: { contxt: x } }\n",
    )
    .unwrap();
    repo.commit_all("a broken model");
    std::fs::write(repo.path().join("pipegen.yaml"), restored).unwrap();
    repo.commit_all("the model again");
    let (code, _, err) = repo.pipegen(&["plan", "--since", "HEAD~1"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("HEAD~1:pipegen.yaml:4:"), "the model at HEAD~1, located: {err}");
    assert!(err.contains("unknown field `contxt`"), "{err}");
}

/// An ignore file pipegen cannot hash as its builder reads it is an error located in it, in
/// `pipegen tags` and `pipegen plan` (exit 2) and in the build job's tag step, which stops.
#[test]
fn a_refused_ignore_file_is_a_located_error() {
    let repo = Repo::new();
    std::fs::write(repo.path().join("tool/.dockerignore"), "*.md\nlogs/\\d*\n").unwrap();
    repo.commit_all("an ignore file with a pattern whose meaning is an accident");
    for args in [&["tags"][..], &["plan", "--since", "HEAD~1"]] {
        let (code, out, err) = repo.pipegen(args);
        assert_eq!(code, 2, "pipegen {args:?}: {out}{err}");
        assert!(err.starts_with("tool/.dockerignore:2:6: error: "), "pipegen {args:?}: {err}");
        assert!(err.contains("help: "), "{err}");
    }

    let (code, yaml, err) = repo.pipegen(&["emit", "--target", "gitlab"]);
    assert_eq!(code, 0, "{err}");
    let pipeline: pipegen::yaml::Value = pipegen::yaml::from_str(&yaml).unwrap();
    let library = pipeline[".pipegen:build"]["before_script"][0].as_str().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let script = scratch.path().join("tag.sh");
    std::fs::write(&script, format!("{library}\npipegen_tag_of\n")).unwrap();
    let mut command = Command::new("bash");
    command.arg(&script).current_dir(repo.path()).env("TMPDIR", scratch.path());
    command.env("CI_COMMIT_SHA", repo.git(&["rev-parse", "HEAD"]).trim());
    for (key, value) in pipeline["build:tool"]["variables"].as_mapping().unwrap() {
        command.env(key.as_str().unwrap(), value.as_str().or_else(|| value["value"].as_str()).unwrap());
    }
    let (code, _, err) = support::run(&mut command);
    assert_ne!(code, 0, "the tag step stops");
    assert!(err.starts_with("tool/.dockerignore:2:6: "), "located in the repository's file: {err}");
}

/// A model whose paths go through symbolic links, with `spelled`'s paths written as given.
fn linked_model(spelled: &str) -> String {
    format!(
        r#"
pipegen: 1
name: linked
registry: registry.example.com/linked
images:
  linked-dockerfile:
    context: app
    inputs: ["lib-link/*.txt"]
  linked-context:
    context: lib-link
  spelled:
{spelled}"#
    )
}

/// `spelled`'s paths in several odd spellings, and the plain way.
const SPELLED_ODDLY: &str =
    "    context: ./lib/\n    dockerfile: ./lib//Dockerfile\n    inputs: [\"./shared/\", \"./shared/./*.txt\"]\n";
const SPELLED_PLAINLY: &str = "    context: lib\n    inputs: [shared, \"shared/*.txt\"]\n";

fn linked_repo() -> Repo {
    let repo = Repo::new();
    let root = repo.path();
    std::fs::write(root.join("pipegen.yaml"), linked_model(SPELLED_ODDLY)).unwrap();
    for (path, text) in [
        ("docker/Dockerfile", "FROM scratch\n"),
        ("app/file", "app\n"),
        ("lib/Dockerfile", "FROM scratch\n"),
        ("lib/file", "lib\n"),
        ("shared/a.txt", "a\n"),
    ] {
        std::fs::create_dir_all(root.join(path).parent().unwrap()).unwrap();
        std::fs::write(root.join(path), text).unwrap();
    }
    std::os::unix::fs::symlink("../docker/Dockerfile", root.join("app/Dockerfile")).unwrap();
    std::os::unix::fs::symlink("lib", root.join("lib-link")).unwrap();
    repo.commit_all("paths through links");
    repo
}

/// A builder follows symbolic links in the checkout: a Dockerfile that is a link is built from
/// the file it points to, a context that is a link sends that directory. Tags hash what the
/// build reads, in `pipegen tags` and in the pipeline alike, and `pipegen plan` names the file
/// that changed behind the link. Paths spelled `./lib/` or `lib//x` are the paths git knows.
#[test]
fn paths_through_symbolic_links_and_odd_spellings_are_hashed_as_the_build_reads_them() {
    let repo = linked_repo();
    let before = cli_tags(&repo);
    assert_eq!(tag_values(&pipeline_tags(&repo)), tag_values(&before), "the pipeline agrees");

    // Every spelling of a path is the plain one: the same tags, the plain path in the pipeline.
    std::fs::write(repo.path().join("plain.yaml"), linked_model(SPELLED_PLAINLY)).unwrap();
    let plain = repo.pipegen_json(&["tags", "--model", "plain.yaml", "--format", "json"]);
    let plain: Vec<String> = plain.as_array().unwrap().iter().map(|t| t["tag"].as_str().unwrap().to_string()).collect();
    assert_eq!(plain, tag_values(&before));
    let (_, yaml, _) = repo.pipegen(&["emit", "--target", "gitlab"]);
    assert!(yaml.contains("PIPEGEN_CONTEXT: lib\n") && !yaml.contains("./lib"), "{yaml}");

    // The file behind the Dockerfile's link changes: that image's tag, and only its, moves.
    std::fs::write(repo.path().join("docker/Dockerfile"), "FROM scratch\nLABEL changed=yes\n").unwrap();
    repo.commit_all("change the linked Dockerfile");
    let after = cli_tags(&repo);
    let moved: Vec<&str> = before.iter().zip(&after).filter(|(b, a)| b.1 != a.1).map(|(b, _)| b.0.as_str()).collect();
    assert_eq!(moved, ["build linked-dockerfile"]);
    assert_eq!(tag_values(&pipeline_tags(&repo)), tag_values(&after), "the pipeline agrees");
    let (code, out, err) = repo.pipegen(&["plan", "--since", "HEAD~1"]);
    assert_eq!(code, 0, "{err}");
    let line = out.lines().find(|l| l.contains("build linked-dockerfile")).unwrap_or_default();
    assert!(line.ends_with(" app/Dockerfile changed (dockerfile app/Dockerfile)"), "{out}");

    // A file in the linked context's directory changes: the linked context's tag moves.
    std::fs::write(repo.path().join("lib/file"), "changed\n").unwrap();
    repo.commit_all("change the linked context");
    let last = cli_tags(&repo);
    let moved: Vec<&str> = after.iter().zip(&last).filter(|(b, a)| b.1 != a.1).map(|(b, _)| b.0.as_str()).collect();
    assert_eq!(moved, ["build linked-context", "build spelled"]);
    assert_eq!(tag_values(&pipeline_tags(&repo)), tag_values(&last), "the pipeline agrees");
    let (_, out, _) = repo.pipegen(&["plan", "--since", "HEAD~1"]);
    let line = out.lines().find(|l| l.contains("build linked-context")).unwrap_or_default();
    assert!(line.ends_with(" lib-link/file changed (context lib-link)"), "{out}");

    // `--changed` matches paths, and a path behind a link in the working tree is the linked one.
    for (changed, rebuilt) in [
        ("docker/Dockerfile", vec!["build linked-dockerfile"]),
        ("lib/file", vec!["build linked-context", "build spelled"]),
        ("lib/new.txt", vec!["build linked-context", "build linked-dockerfile", "build spelled"]),
    ] {
        let json = repo.pipegen_json(&["plan", "--changed", changed, "--format", "json"]);
        let ids: Vec<&str> = json["builds"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["rebuilt"] == true)
            .map(|b| b["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, rebuilt, "--changed {changed}");
        assert_eq!(json["changed"], serde_json::json!([changed]), "the paths given, as given");
    }
}

/// A link out of the repository, or round a loop, on a build's path: the build would read what
/// git does not hold (or fail), so no tag can be computed, and both `pipegen tags` and the
/// pipeline's tag step stop, naming the path and the link.
#[test]
fn a_build_path_through_a_link_out_of_the_repository_stops_tags_and_the_pipeline() {
    for (link, target, said) in [("escape", "/etc", "out of the repository"), ("round", "round", "a loop")] {
        let repo = linked_repo();
        std::os::unix::fs::symlink(target, repo.path().join(link)).unwrap();
        let model = format!("{}  outside:\n    context: {link}\n", linked_model(SPELLED_ODDLY));
        std::fs::write(repo.path().join("pipegen.yaml"), model).unwrap();
        repo.commit_all("a link git cannot follow");
        let (code, _, err) = repo.pipegen(&["tags"]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(&format!("error: `{link}` at ")) && err.contains(said), "{err}");
        assert_eq!(err.lines().filter(|l| l.starts_with("error: ")).count(), 1, "once, for the link: {err}");
        let result = std::panic::catch_unwind(|| pipeline_tags(&repo));
        let message = result.expect_err("the pipeline's tag step fails").downcast::<String>().expect("a message");
        assert!(message.contains("build:outside: the pipeline's tag step failed"), "{message}");
        assert!(
            message.contains(&format!("pipegen: outside: {link} goes through a symbolic link that leads")),
            "{message}"
        );
    }
}

/// A repository whose builds read a submodule (`support::submodule`), and the submodule's own
/// repository (in the same temporary directory).
fn submodule_repo() -> (Repo, tempfile::TempDir) {
    let upstream = tempfile::tempdir().expect("temp dir");
    let dir = tempfile::tempdir().expect("temp dir");
    support::submodule::create(dir.path(), upstream.path());
    (Repo { dir }, upstream)
}

/// A build that reads a submodule (its context or Dockerfile lies in one, holds one, or an input
/// names one) checks submodules out, or its builder would find their directories empty; a path in
/// a submodule, which git calls missing, is hashed by the commit the repository pins the
/// submodule at, in `pipegen tags` and in the pipeline alike, so moving the pin rebuilds it.
#[test]
fn builds_that_read_a_submodule_check_it_out_and_are_tagged_by_its_pinned_commit() {
    let (repo, _upstream) = submodule_repo();
    let reads = support::submodule::READERS;

    let (code, yaml, err) = repo.pipegen(&["emit", "--target", "gitlab"]);
    assert_eq!(code, 0, "{err}");
    let pipeline: pipegen::yaml::Value = pipegen::yaml::from_str(&yaml).expect("generated YAML parses");
    for image in ["in-submodule", "submodule-root", "around", "beside", "apart"] {
        let strategy = &pipeline[format!("build:{image}").as_str()]["variables"]["GIT_SUBMODULE_STRATEGY"];
        let strategy = strategy.as_str().or_else(|| strategy["value"].as_str());
        assert_eq!(strategy, reads.contains(&image).then_some("recursive"), "build:{image}:\n{yaml}");
    }
    assert!(pipeline["test"]["variables"]["GIT_SUBMODULE_STRATEGY"].is_null(), "{yaml}");
    let strategy = &pipeline["vendored-test"]["variables"]["GIT_SUBMODULE_STRATEGY"];
    assert_eq!(strategy.as_str().or_else(|| strategy["value"].as_str()), Some("recursive"), "{yaml}");
    let (code, yaml, err) = repo.pipegen(&["emit", "--target", "github"]);
    assert_eq!(code, 0, "{err}");
    let workflow: pipegen::yaml::Value = pipegen::yaml::from_str(&yaml).expect("generated YAML parses");
    for image in ["in-submodule", "submodule-root", "around", "beside", "apart"] {
        let job = format!("build_{image}");
        let checkout = &workflow["jobs"][job.as_str()]["steps"][0];
        assert!(checkout["uses"].as_str().is_some_and(|u| u.starts_with("actions/checkout@")), "{job}: {yaml}");
        let submodules = checkout["with"]["submodules"].as_str();
        assert_eq!(submodules, reads.contains(&image).then_some("recursive"), "{job}:\n{yaml}");
    }
    assert!(workflow["jobs"]["test"]["steps"][0]["with"]["submodules"].is_null(), "{yaml}");
    assert_eq!(workflow["jobs"]["vendored-test"]["steps"][0]["with"]["submodules"].as_str(), Some("recursive"));

    let before = cli_tags(&repo);
    assert_eq!(tag_values(&pipeline_tags(&repo)), tag_values(&before), "the pipeline agrees");
    let (code, out, err) = repo.pipegen(&["tags"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("not in git"), "a path in a submodule is hashed, not missing:\n{out}{err}");
    for image in ["in-submodule", "submodule-root"] {
        let warning = format!("build {image}: the dockerfile `vendor/inner/docker/Dockerfile` is in a submodule");
        assert!(err.contains(&warning), "{err}");
    }
    assert_eq!(err.matches("is in a submodule").count(), 2, "{err}");

    // A new commit in the submodule, pinned: every build that reads it gets a new tag.
    support::submodule::move_pin(repo.path());
    let after = cli_tags(&repo);
    let moved: Vec<&str> = before.iter().zip(&after).filter(|(b, a)| b.1 != a.1).map(|(b, _)| b.0.as_str()).collect();
    assert_eq!(moved, reads.map(|image| format!("build {image}")));
    assert_eq!(tag_values(&pipeline_tags(&repo)), tag_values(&after), "the pipeline agrees");
    let (code, out, err) = repo.pipegen(&["plan", "--since", "HEAD~1"]);
    assert_eq!(code, 0, "{err}");
    let line = out.lines().find(|l| l.contains("build in-submodule ")).unwrap_or_default();
    assert!(line.contains(" vendor/inner/docker changed (context vendor/inner/docker)"), "{out}");

    // Without `.gitmodules` no build asks for submodules; the job that says so still does.
    std::fs::remove_file(repo.path().join(".gitmodules")).unwrap();
    let (_, yaml, _) = repo.pipegen(&["emit", "--target", "gitlab"]);
    assert_eq!(yaml.matches("GIT_SUBMODULE_STRATEGY").count(), 1, "{yaml}");
    let pipeline: pipegen::yaml::Value = pipegen::yaml::from_str(&yaml).expect("generated YAML parses");
    assert!(!pipeline["vendored-test"]["variables"]["GIT_SUBMODULE_STRATEGY"].is_null(), "{yaml}");
}

/// A glob input that may match files in a submodule is hashed by the submodule's pinned commit
/// (`support::submodule::REACH_MODEL`): its directory is the submodule or lies in it, or a
/// leading part of its pattern matches the gitlink (`vendor/**/*.txt`). Moving the pin rebuilds
/// those builds, in `pipegen tags` and the pipeline alike, and `plan` names the submodule; a
/// glob that cannot reach it keeps its tag.
#[test]
fn a_glob_that_reaches_into_a_submodule_follows_its_pin() {
    let upstream = tempfile::tempdir().expect("temp dir");
    let repo = Repo { dir: tempfile::tempdir().expect("temp dir") };
    support::submodule::reach(repo.path(), upstream.path());
    let before = cli_tags(&repo);
    assert_eq!(tag_values(&pipeline_tags(&repo)), tag_values(&before), "the pipeline agrees");

    support::submodule::move_pin(repo.path());
    let after = cli_tags(&repo);
    assert_eq!(tag_values(&pipeline_tags(&repo)), tag_values(&after), "the pipeline agrees");
    let moved: Vec<&str> = before.iter().zip(&after).filter(|(b, a)| b.1 != a.1).map(|(b, _)| b.0.as_str()).collect();
    assert_eq!(moved, support::submodule::REACHERS.map(|image| format!("build {image}")));

    let (code, out, err) = repo.pipegen(&["plan", "--since", "HEAD~1"]);
    assert_eq!(code, 0, "{err}");
    for (image, why) in [
        ("whole", "vendor/inner changed (input vendor/inner/**)"),
        ("below", "vendor/inner/docker changed (input vendor/inner/docker/*)"),
        ("any-depth", "vendor/inner changed (input vendor/**/*.txt)"),
        ("one-level", "vendor/inner changed (input vendor/*/notes.txt)"),
        ("from-root", "vendor/inner changed (input */*/notes.txt)"),
    ] {
        let line = out.lines().find(|l| l.contains(&format!("build {image} "))).unwrap_or_default();
        assert!(line.ends_with(&format!(" {why}")), "{image}:\n{out}");
    }
    let reused = out.split("Reused").nth(1).unwrap_or_default();
    assert!(reused.contains("build unreached"), "{out}");
}

/// GitHub's checkout leaves files stored in Git LFS as pointer files unless asked (GitLab's
/// runner fetches them unless told not to): a build whose context or Dockerfile a
/// `.gitattributes` with `filter=lfs` governs (at the root, on the way to the context or the
/// Dockerfile, or in the context) fetches them; on GitLab the others skip them. A Dockerfile
/// that is itself a pointer is named by `pipegen tags`: its base images cannot be looked up.
#[test]
fn builds_whose_context_holds_git_lfs_files_fetch_them_on_github() {
    let repo = Repo::new();
    let root = repo.path();
    std::fs::write(
        root.join("pipegen.yaml"),
        "pipegen: 1\nname: lfs\nregistry: registry.example.com/lfs\nimages:\n  assets:\n    context: assets/models\n  around:\n    context: .\n    dockerfile: tool/Dockerfile\n  pointer:\n    context: pointer\n  plain:\n    context: tool\njobs:\n  test:\n    image: plain\n    script: [make test]\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("assets/models")).unwrap();
    std::fs::write(root.join("assets/.gitattributes"), "# weights\n*.bin filter=lfs diff=lfs merge=lfs -text\n")
        .unwrap();
    std::fs::write(root.join("assets/models/Dockerfile"), "FROM scratch\nCOPY . /models\n").unwrap();
    std::fs::create_dir_all(root.join("pointer")).unwrap();
    std::fs::write(root.join("pointer/.gitattributes"), "Dockerfile filter=lfs diff=lfs merge=lfs -text\n").unwrap();
    let pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";
    std::fs::write(root.join("pointer/Dockerfile"), pointer).unwrap();
    repo.commit_all("files in LFS");

    let fetches = |yaml: &str| -> Vec<String> {
        let workflow: pipegen::yaml::Value = pipegen::yaml::from_str(yaml).expect("generated YAML parses");
        let mut fetching = Vec::new();
        for (id, job) in workflow["jobs"].as_mapping().expect("jobs") {
            let checkout = &job["steps"][0];
            assert!(checkout["uses"].as_str().is_some_and(|u| u.starts_with("actions/checkout@")), "{yaml}");
            if checkout["with"]["lfs"].as_bool() == Some(true) {
                fetching.push(id.as_str().unwrap().to_string());
            }
        }
        fetching.sort();
        fetching
    };
    // GitLab's runner fetches LFS files unless a job says not to: the builds that read none do.
    let skips = |yaml: &str| -> Vec<String> {
        let pipeline: pipegen::yaml::Value = pipegen::yaml::from_str(yaml).expect("generated YAML parses");
        let mut skipping: Vec<String> = pipeline
            .as_mapping()
            .expect("a mapping")
            .iter()
            .filter(|(_, job)| job["variables"]["GIT_LFS_SKIP_SMUDGE"].as_str() == Some("1"))
            .map(|(name, _)| name.as_str().unwrap().to_string())
            .collect();
        skipping.sort();
        skipping
    };
    let (code, yaml, err) = repo.pipegen(&["emit", "--target", "github"]);
    assert_eq!(code, 0, "{err}");
    // A job of the model may read any file: it fetches them, as GitLab's runner does.
    assert_eq!(fetches(&yaml), ["build_around", "build_assets", "build_pointer", "test"], "{yaml}");
    let (code, yaml, err) = repo.pipegen(&["emit", "--target", "gitlab"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(skips(&yaml), ["build:plain"], "{yaml}");

    // A Dockerfile under LFS rules may be stored there, though its context is elsewhere.
    std::fs::write(
        root.join("pipegen.yaml"),
        std::fs::read_to_string(root.join("pipegen.yaml")).unwrap().replace(
            "  plain:\n    context: tool\n",
            "  plain:\n    context: tool\n  outside:\n    context: tool\n    dockerfile: assets/outside.Dockerfile\n",
        ),
    )
    .unwrap();
    let (_, yaml, _) = repo.pipegen(&["emit", "--target", "github"]);
    assert_eq!(fetches(&yaml), ["build_around", "build_assets", "build_outside", "build_pointer", "test"], "{yaml}");
    let (_, yaml, _) = repo.pipegen(&["emit", "--target", "gitlab"]);
    assert_eq!(skips(&yaml), ["build:plain"], "{yaml}");

    // LFS rules at the root govern every context.
    std::fs::write(root.join(".gitattributes"), "*.psd filter=lfs diff=lfs merge=lfs -text\n").unwrap();
    let (_, yaml, _) = repo.pipegen(&["emit", "--target", "github"]);
    assert_eq!(
        fetches(&yaml),
        ["build_around", "build_assets", "build_outside", "build_plain", "build_pointer", "test"],
        "{yaml}"
    );
    let (_, yaml, _) = repo.pipegen(&["emit", "--target", "gitlab"]);
    assert_eq!(skips(&yaml), Vec::<String>::new(), "{yaml}");
    std::fs::remove_file(root.join(".gitattributes")).unwrap();

    let (code, out, err) = repo.pipegen(&["tags"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("build pointer: the dockerfile `pointer/Dockerfile` is stored in Git LFS"), "{out}{err}");
    assert_eq!(err.matches("stored in Git LFS").count(), 1, "{err}");

    // A repository that stores nothing in LFS: no job fetches.
    for rules in ["assets/.gitattributes", "pointer/.gitattributes"] {
        std::fs::write(root.join(rules), "*.txt text eol=lf\n").unwrap();
    }
    let (_, yaml, _) = repo.pipegen(&["emit", "--target", "github"]);
    assert_eq!(fetches(&yaml), Vec::<String>::new(), "{yaml}");
    let (_, yaml, _) = repo.pipegen(&["emit", "--target", "gitlab"]);
    assert_eq!(skips(&yaml), Vec::<String>::new(), "nothing to skip in a repository without LFS: {yaml}");

    // Rules deep inside a context (`git lfs track` run in a subdirectory writes them there),
    // once git tracks them: the builds whose context holds them fetch, and the model's jobs.
    std::fs::create_dir_all(root.join("tool/vendor/blobs")).unwrap();
    std::fs::write(
        root.join("tool/vendor/blobs/.gitattributes"),
        "*.tar filter=lfs diff=lfs merge=lfs -text
",
    )
    .unwrap();
    repo.git(&["add", "tool/vendor/blobs/.gitattributes"]);
    let (_, yaml, _) = repo.pipegen(&["emit", "--target", "github"]);
    assert_eq!(fetches(&yaml), ["build_around", "build_outside", "build_plain", "test"], "{yaml}");
    let (_, yaml, _) = repo.pipegen(&["emit", "--target", "gitlab"]);
    assert_eq!(skips(&yaml), ["build:assets", "build:pointer"], "{yaml}");
}

/// A context that is a symbolic link into a directory under LFS rules is that directory, as
/// the builder's file system follows it: it fetches LFS files on both platforms, as the
/// directory named directly does, and a context outside the rules does not.
#[test]
fn a_context_linked_into_a_directory_under_lfs_rules_fetches_lfs_files() {
    let repo = Repo::new();
    let root = repo.path();
    std::fs::write(
        root.join("pipegen.yaml"),
        "pipegen: 1\nname: lfs\nregistry: registry.example.com/lfs\nimages:\n  vialink:\n    context: app\n  direct:\n    context: data/app\n  other:\n    context: other\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("data/app")).unwrap();
    std::fs::create_dir_all(root.join("other")).unwrap();
    std::fs::write(root.join("data/.gitattributes"), "*.bin filter=lfs diff=lfs merge=lfs -text\n").unwrap();
    std::fs::write(root.join("data/app/Dockerfile"), "FROM scratch\nCOPY m.bin /\n").unwrap();
    let pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";
    std::fs::write(root.join("data/app/m.bin"), pointer).unwrap();
    std::fs::write(root.join("other/Dockerfile"), "FROM scratch\n").unwrap();
    std::os::unix::fs::symlink("data/app", root.join("app")).unwrap();
    repo.commit_all("a linked context under LFS rules");

    let (code, yaml, err) = repo.pipegen(&["emit", "--target", "github"]);
    assert_eq!(code, 0, "{err}");
    let workflow: pipegen::yaml::Value = pipegen::yaml::from_str(&yaml).expect("generated YAML parses");
    for (job, fetches) in [("build_vialink", true), ("build_direct", true), ("build_other", false)] {
        let checkout = &workflow["jobs"][job]["steps"][0];
        assert!(checkout["uses"].as_str().is_some_and(|u| u.starts_with("actions/checkout@")), "{yaml}");
        assert_eq!(checkout["with"]["lfs"].as_bool() == Some(true), fetches, "{job}: {yaml}");
    }
    let (code, yaml, err) = repo.pipegen(&["emit", "--target", "gitlab"]);
    assert_eq!(code, 0, "{err}");
    let pipeline: pipegen::yaml::Value = pipegen::yaml::from_str(&yaml).expect("generated YAML parses");
    for (job, skips) in [("build:vialink", false), ("build:direct", false), ("build:other", true)] {
        assert!(pipeline[job].as_mapping().is_some(), "{job}: {yaml}");
        assert_eq!(pipeline[job]["variables"]["GIT_LFS_SKIP_SMUDGE"].as_str() == Some("1"), skips, "{job}: {yaml}");
    }
}

#[test]
fn tags_warn_of_a_dockerfile_that_is_a_directory() {
    let repo = Repo::new();
    std::fs::remove_file(repo.path().join("images/component.Dockerfile")).unwrap();
    std::fs::create_dir(repo.path().join("images/component.Dockerfile")).unwrap();
    std::fs::write(repo.path().join("images/component.Dockerfile/f"), "x\n").unwrap();
    repo.commit_all("a directory where the Dockerfile was");
    let (code, _, err) = repo.pipegen(&["tags"]);
    assert_eq!(code, 0, "the tags are still what the pipeline computes: {err}");
    let warnings: Vec<&str> = err.lines().collect();
    assert_eq!(warnings.len(), 2, "one per variant of the component: {err}");
    assert!(
        warnings[0].starts_with(
            "pipegen: warning: build component [version=1.0]: the dockerfile `images/component.Dockerfile` is a directory, not a file, in git at "
        ),
        "{err}"
    );
    assert!(warnings[0].ends_with("; the build would fail"), "{err}");
}

#[test]
fn plan_says_what_the_working_tree_is_missing() {
    let repo = Repo::new();
    let (code, _, err) = repo.pipegen(&["plan"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err, "", "nothing is missing in the fixture");
    std::fs::remove_file(repo.path().join("tool/Dockerfile")).unwrap();
    let mut model = std::fs::read_to_string(repo.path().join("pipegen.yaml")).unwrap();
    model = model.replace("  tool:\n    context: tool\n", "  tool:\n    context: tool\n  ghost:\n    context: ghost\n");
    std::fs::write(repo.path().join("pipegen.yaml"), model).unwrap();
    let (code, out, err) = repo.pipegen(&["plan"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("build ghost"), "{out}");
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [
            "pipegen: warning: build ghost: the dockerfile `ghost/Dockerfile` is not in the working tree; the build would fail",
            "pipegen: warning: build ghost: the context `ghost` is not in the working tree; the build would fail",
            "pipegen: warning: build tool: the dockerfile `tool/Dockerfile` is not in the working tree; the build would fail",
        ],
        "the same warnings as `tags`, about the working tree"
    );
}

/// A content-tagged child of a commit-tagged image gets a new tag in every pipeline, as its
/// parent does: `plan` lists it as rebuilt because of that parent, also when nothing changed
/// (both sides of the comparison hash one stand-in commit, so their tags were equal and the
/// child was "reused").
#[test]
fn a_child_of_a_commit_tagged_image_is_rebuilt_in_every_pipeline() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "pipegen.yaml",
        "pipegen: 1\nname: t\nregistry: registry.example.com/t\nimages:\n  a:\n    tag: commit\n  b:\n    from: [a]\n  c:\n    from: [b]\n  d: {}\n",
    );
    write("a/Dockerfile", "FROM scratch\n");
    write("b/Dockerfile", "ARG A_IMAGE\nFROM ${A_IMAGE}\n");
    write("c/Dockerfile", "ARG B_IMAGE\nFROM ${B_IMAGE}\n");
    write("d/Dockerfile", "FROM scratch\n");
    let repo = Repo { dir };
    repo.git(&["init", "-q", "-b", "main"]);
    repo.commit_all("initial");
    let plan = repo.pipegen_json(&["plan", "--format", "json"]);
    assert_eq!(verdict(&plan, "build a")["reasons"][0]["kind"], "commit-tag", "{plan:#}");
    for (child, parent) in [("build b", "build a"), ("build c", "build b")] {
        let verdict = verdict(&plan, child);
        assert_eq!(verdict["rebuilt"], true, "{plan:#}");
        assert_eq!(verdict["reasons"][0]["kind"], "parent", "{plan:#}");
        assert_eq!(verdict["reasons"][0]["id"], parent, "{plan:#}");
    }
    assert_eq!(verdict(&plan, "build d")["rebuilt"], false, "{plan:#}");
}

/// A revision a shallow clone does not reach (GitLab clones 20 commits deep by default, GitHub
/// one) is said to be beyond the history fetched, with how to fetch more; an unborn branch in a
/// repository with commits is not "a repository with no commit yet"; an empty revision is
/// named as such, not as "`` names no commit".
#[test]
fn a_revision_past_a_shallow_clone_and_an_unborn_branch_are_named_as_such() {
    let repo = Repo::new();
    std::fs::write(repo.path().join("tool/Dockerfile"), "FROM scratch\nLABEL t=1\n").unwrap();
    repo.commit_all("second");
    let clone = tempfile::tempdir().expect("temp dir");
    let source = format!("file://{}", repo.path().display());
    let (code, _, err) =
        support::run(Command::new("git").args(["clone", "-q", "--depth", "1", &source]).arg(clone.path().join("c")));
    assert_eq!(code, 0, "{err}");
    let shallow = Repo { dir: clone };
    for args in [&["plan", "--since", "HEAD~1"][..], &["tags", "--rev", "HEAD~1"]] {
        let (code, _, err) = support::run(support::pipegen().args(args).current_dir(shallow.path().join("c")));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("`HEAD~1` names no commit") && err.contains("a shallow clone"), "{args:?}: {err}");
        assert!(err.contains("git fetch --unshallow"), "{args:?}: {err}");
    }
    for args in [&["plan", "--since", ""][..], &["tags", "--rev", " "]] {
        let (code, _, err) = repo.pipegen(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("an empty revision names no commit"), "{args:?}: {err}");
    }
    repo.git(&["checkout", "-q", "--orphan", "fresh"]);
    let (code, _, err) = repo.pipegen(&["tags"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is a branch with no commit yet (its other branches have some)"), "{err}");
}

/// A repository of its own, not the fixture: `files` written and committed.
fn repo_with(files: &[(&str, &str)]) -> Repo {
    let repo = Repo { dir: tempfile::tempdir().expect("temp dir") };
    repo.git(&["init", "-q", "-b", "main"]);
    for (path, text) in files {
        let at = repo.path().join(path);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::fs::write(at, text).unwrap();
    }
    repo.commit_all("files");
    repo
}

/// A `.gitattributes` outside the context changes how the runner's checkout writes the files a
/// build reads (`eol=crlf`, `ident`, `filter=`…), so the image: the root's, and those of the
/// directories on the way to the context, the Dockerfile, each input and each glob's directory,
/// are in the tag, in `pipegen tags` and the pipeline alike; one beside them is not.
#[test]
fn a_gitattributes_on_the_way_to_what_a_build_reads_changes_its_tag() {
    let repo = repo_with(&[
        (
            "pipegen.yaml",
            "pipegen: 1\nname: attrs\nregistry: registry.example.com/tags\nimages:\n  base:\n    context: app\n    inputs: [\"sub/deep/f\", \"lib/*.txt\"]\n",
        ),
        ("app/Dockerfile", "FROM scratch\nCOPY run.sh /\n"),
        ("app/run.sh", "#!/bin/sh\necho hi\n"),
        ("sub/deep/f", "f\n"),
        ("lib/a.txt", "a\n"),
        ("other/x", "x\n"),
    ]);
    let tag = |repo: &Repo| {
        let tags = cli_tags(repo);
        assert_eq!(pipeline_tags(repo).into_iter().map(|(_, t)| t).collect::<Vec<_>>(), [tags[0].1.clone()]);
        tags[0].1.clone()
    };
    let mut tags = vec![tag(&repo)];
    for (path, text, changes) in [
        (".gitattributes", "*.sh text eol=crlf\n", true),
        (".gitattributes", "*.sh text eol=lf\n", true),
        ("sub/.gitattributes", "* ident\n", true),
        ("sub/deep/.gitattributes", "f -text\n", true),
        ("lib/.gitattributes", "*.txt eol=crlf\n", true),
        ("other/.gitattributes", "* eol=crlf\n", false),
        ("lib/nested/.gitattributes", "* eol=crlf\n", false),
    ] {
        std::fs::create_dir_all(repo.path().join(path).parent().unwrap()).unwrap();
        std::fs::write(repo.path().join(path), text).unwrap();
        repo.commit_all(&format!("write {path}"));
        let now = tag(&repo);
        assert_eq!(&now != tags.last().unwrap(), changes, "{path} ({text:?}) changes the tag: {changes}");
        let plan = repo.pipegen_json(&["plan", "--since", "HEAD~1", "--format", "json"]);
        assert_eq!(verdict(&plan, "build base")["rebuilt"], changes, "{path}: {plan}");
        if changes {
            let reasons = verdict(&plan, "build base")["reasons"].to_string();
            assert!(reasons.contains(path) && reasons.contains(&format!("attributes {path}")), "{reasons}");
        }
        tags.push(now);
    }
    // Removing a rule rebuilds too.
    std::fs::remove_file(repo.path().join(".gitattributes")).unwrap();
    repo.commit_all("no root .gitattributes");
    assert!(!tags.contains(&tag(&repo)), "a tag of its own once the root's is gone");
}

/// An input reached through a symbolic link git cannot follow (`./real`): `tags` warns, as for
/// a context or a Dockerfile, where the pipeline's tag step stops.
#[test]
fn tags_warn_of_an_input_through_a_link_git_cannot_follow() {
    for input in ["dotlink/*", "dotlink/a", "dotlink"] {
        let repo = repo_with(&[
            (
                "pipegen.yaml",
                &format!(
                    "pipegen: 1\nname: links\nregistry: registry.example.com/tags\nimages:\n  gl:\n    context: real\n    inputs: [\"{input}\"]\n"
                ),
            ),
            ("real/Dockerfile", "FROM scratch\n"),
            ("real/a", "a\n"),
        ]);
        std::os::unix::fs::symlink("./real", repo.path().join("dotlink")).unwrap();
        repo.commit_all("a link git cannot follow");
        let (code, _, err) = repo.pipegen(&["tags"]);
        assert_eq!(code, 0, "{err}");
        // A glob is looked up by its directory.
        let (shown, looked) = match input {
            "dotlink/*" => ("`dotlink/*` (its directory `dotlink`)".to_string(), "dotlink"),
            _ => (format!("`{input}`"), input),
        };
        assert!(err.starts_with(&format!("pipegen: warning: build gl: the input {shown} is not in git at ")), "{err}");
        assert!(
            err.contains(", but the working tree has it: an untracked file, or a symbolic link git cannot follow"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        let message = std::panic::catch_unwind(|| pipeline_tags(&repo))
            .expect_err("the pipeline's tag step fails")
            .downcast::<String>()
            .expect("a message");
        assert!(
            message
                .contains(&format!("gl: {looked} goes through a symbolic link that leads to a name git cannot follow")),
            "{input}: {message}"
        );
    }
}

/// A path git lacks in a directory that holds a submodule (`vendor/missing` beside
/// `vendor/inner`) is absent, not in the submodule, in a pipeline that reads the submodule: its
/// look-up of the gitlinks on the path takes none `git ls-tree` lists beside it, and agrees with
/// `pipegen tags`.
#[test]
fn a_missing_path_beside_a_submodule_is_absent_in_the_pipeline_too() {
    let (repo, _upstream) = submodule_repo();
    let model = "pipegen: 1\nname: sub\nregistry: registry.example.com/sub\nimages:\n  inner:\n    context: vendor/inner/docker\n  beside:\n    context: app\n    inputs: [vendor/missing]\n";
    std::fs::write(repo.path().join("pipegen.yaml"), model).unwrap();
    repo.commit_all("an input beside the submodule");
    assert_eq!(tag_values(&pipeline_tags(&repo)), tag_values(&cli_tags(&repo)), "the pipeline agrees");
}
