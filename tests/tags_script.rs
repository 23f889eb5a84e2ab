//! The tag script (`emit::scripts`, run by every build job) is POSIX sh: GitLab runs it in the
//! builder's image, whose shell may be BusyBox's, GitHub in bash. For every model and valid
//! fixture (and one model of this test's own, with odd values), `dash`, `busybox sh` and `bash`
//! running each build's `pipegen_tag_of` with that build's own variables, in a throwaway git
//! repository, print the same tags, which are those `pipegen tags` computes in Rust from the
//! recipe. When git fails, every shell stops with a non-zero status and prints no tag.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use pipegen::emit::{gitlab, scripts};
use pipegen::plan::{Plan, TagMode};

/// A model of this test's own: a content-tagged parent with an axis, build arguments with a
/// literal `$`, quotes, a newline and non-ASCII text (the recipe counts bytes), a plain input,
/// glob inputs (one at the root, one under a directory, one whose directory is missing); a
/// commit-tagged child; a child with a target and two parents.
const OWN_MODEL: &str = r#"
pipegen: 1
name: tags-under-test
registry: registry.example.com/tags
axes:
  os: [debian, alpine]
images:
  base:
    context: images/base
    axes: [os]
    inputs: ["scripts/*.sh", "*.lock", .tool-versions, "absent/**"]
    args: { OS: "${os}", PRICE: "$$5 it's \"quoted\"", NOTE: "naïve\nsecond line\n" }
  tool:
    context: tool
  app:
    from: [base, tool]
    context: .
    dockerfile: images/app/Dockerfile
    target: runtime
  release:
    from: app
    context: release
    tag: commit
"#;

const SHELLS: [&str; 3] = ["dash", "busybox", "bash"];

fn plan_of(name: &str, text: &str) -> Plan {
    let loaded = pipegen::model::load(name, text).unwrap_or_else(|e| panic!("{name} does not load: {e:?}"));
    pipegen::plan::build(&loaded, name).unwrap_or_else(|e| panic!("{name} does not plan: {e:?}"))
}

/// Every model with builds: `(name, plan)`.
fn plans() -> Vec<(String, Plan)> {
    let mut plans = vec![("own model (tests/tags_script.rs)".to_string(), plan_of("pipegen.yaml", OWN_MODEL))];
    for path in support::models().into_iter().chain(support::valid_fixtures()) {
        let name = support::relative(&path);
        let text = std::fs::read_to_string(&path).expect("read the model");
        plans.push((name.clone(), plan_of(&name, &text)));
    }
    plans.retain(|(_, plan)| !plan.builds.is_empty());
    plans
}

fn git(repo: &Path, args: &[&str]) -> String {
    let mut command = Command::new(support::tool("git"));
    command
        .args(["-c", "user.name=pipegen test", "-c", "user.email=test@pipegen.invalid", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(repo);
    let (code, stdout, stderr) = support::run(&mut command);
    assert_eq!(code, 0, "git {args:?} failed: {stderr}");
    stdout
}

/// A repository with a file in every context, Dockerfile and input of `plan` (a glob gets a file
/// it matches), except under `absent/`.
fn repository(dir: &Path, plan: &Plan) -> String {
    std::fs::create_dir_all(dir).expect("create the repository");
    git(dir, &["init", "-q", "-b", "main"]);
    let mut paths: Vec<String> = vec!["README".into()];
    for build in &plan.builds {
        paths.push(format!("{}/context-file", build.context));
        paths.push(build.dockerfile.clone());
        paths.extend(build.inputs.iter().map(|i| i.replace("**", "deep/er").replace('*', "x")));
    }
    for path in paths.iter().filter(|p| !p.starts_with("absent/")) {
        let file = dir.join(path);
        if file.is_dir() || file.parent().is_some_and(Path::is_file) {
            continue; // a path that is a directory elsewhere in the model
        }
        std::fs::create_dir_all(file.parent().expect("a parent")).expect("create a directory");
        std::fs::write(&file, format!("contents of {path}\n")).expect("write a file");
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "files the tags hash"]);
    git(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

/// The tags by the recipe, computed in Rust as `pipegen tags` does.
fn expected(repo: &Path, plan: &Plan, commit: &str) -> Vec<String> {
    let (paths, globs) = pipegen::content_tags::questions(plan);
    let facts = pipegen::git::tree_facts(repo, commit, &paths, &globs).expect("git answers");
    pipegen::content_tags::compute(plan, commit, &facts).into_iter().map(|(_, tag)| tag).collect()
}

/// The build script's functions, then one build's tag computation.
fn script() -> String {
    let library = scripts::build_library(gitlab::PLATFORM, &pipegen::plan::Policy::default());
    format!("set -u\n{library}\npipegen_tag_of || exit 1\nprintf '%s\\n' \"$pipegen_tag\"\n")
}

/// Run `script` with `shell` in `dir` with `env` only (and PATH): (exit code, stdout, stderr).
fn run_with(shell: &str, script: &Path, dir: &Path, env: &[(String, String)]) -> (i32, String, String) {
    let mut command = Command::new(support::tool(shell));
    if shell == "busybox" {
        command.arg("sh");
    }
    command.arg(script).current_dir(dir).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    // A UTF-8 locale, where bash counts characters unless the script asks for bytes.
    command.env("LANG", "C.UTF-8");
    command.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    support::run(&mut command)
}

/// The variables a build job has: its own, its parents' tags, the commit.
fn job_env(plan: &Plan, index: usize, tags: &[String], commit: &str) -> Vec<(String, String)> {
    let build = &plan.builds[index];
    let mut env = scripts::build_variables(build);
    for parent in &build.parents {
        let at = plan.builds.iter().position(|b| b.this.id == parent.build.id).expect("a parent is planned first");
        env.push((pipegen::naming::tag_variable(&parent.build.key), tags[at].clone()));
    }
    env.push(("CI_COMMIT_SHA".to_string(), commit.to_string()));
    env
}

#[test]
fn dash_busybox_and_bash_compute_the_recipes_tags() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("tag.sh");
    std::fs::write(&file, script()).expect("write the script");
    for (i, (name, plan)) in plans().iter().enumerate() {
        let repo = dir.path().join(format!("repo-{i}"));
        let commit = repository(&repo, plan);
        let want = expected(&repo, plan, &commit);
        for shell in SHELLS {
            for (b, build) in plan.builds.iter().enumerate() {
                let (code, stdout, stderr) = run_with(shell, &file, &repo, &job_env(plan, b, &want, &commit));
                assert_eq!(code, 0, "{name}: {} fails under {shell}:\n{stderr}", build.id());
                assert_eq!(
                    stdout.trim_end(),
                    want[b],
                    "{name}: {shell} computes another tag for {}\n{stderr}",
                    build.id()
                );
            }
        }
        let content: Vec<&String> =
            plan.builds.iter().zip(&want).filter(|(b, _)| b.this.tag == TagMode::Content).map(|(_, t)| t).collect();
        let distinct: BTreeSet<&&String> = content.iter().collect();
        assert!(content.len() < 2 || distinct.len() > 1, "{name}: every content tag is the same: {want:?}");
    }
}

#[test]
fn a_changed_input_file_or_argument_changes_the_tag() {
    let plan = plan_of("pipegen.yaml", OWN_MODEL);
    let dir = tempfile::tempdir().expect("temporary directory");
    let repo = dir.path().join("repo");
    let commit = repository(&repo, &plan);
    let before = expected(&repo, &plan, &commit);
    std::fs::write(repo.join("scripts/x.sh"), "changed\n").expect("change a glob's file");
    git(&repo, &["commit", "-q", "-am", "change"]);
    let commit = git(&repo, &["rev-parse", "HEAD"]).trim().to_string();
    let after = expected(&repo, &plan, &commit);
    let base = plan.builds.iter().position(|b| b.this.id.image == "base").expect("base");
    let tool = plan.builds.iter().position(|b| b.this.id.image == "tool").expect("tool");
    let app = plan.builds.iter().position(|b| b.this.id.image == "app").expect("app");
    assert_ne!(before[base], after[base], "a file a glob input matches is part of the tag");
    assert_ne!(before[app], after[app], "a parent's new tag changes its child's");
    assert_eq!(before[tool], after[tool], "an unrelated image keeps its tag");

    let changed = OWN_MODEL.replace("naïve", "naive");
    let other = plan_of("pipegen.yaml", &changed);
    let with_other_arg = expected(&repo, &other, &commit);
    assert_ne!(after[base], with_other_arg[base], "a build argument is part of the tag");
}

#[test]
fn the_tag_script_fails_loudly_when_git_fails() {
    let plan = plan_of("pipegen.yaml", OWN_MODEL);
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("tag.sh");
    std::fs::write(&file, script()).expect("write the script");
    let repo = dir.path().join("repo");
    let commit = repository(&repo, &plan);
    let outside = dir.path().join("not-a-repository");
    std::fs::create_dir_all(&outside).expect("create a directory");
    // So git does not find a repository above the temporary directory.
    let ceiling = dir.path().to_str().expect("UTF-8 path").to_string();

    // A git whose `diff-tree` fails, after `cat-file` worked: the failure is inside a function.
    let shim = dir.path().join("shim");
    std::fs::create_dir_all(&shim).expect("create the shim directory");
    let real_git = support::tool("git");
    std::fs::write(
        shim.join("git"),
        format!(
            "#!/bin/sh\nif [ \"$1\" = diff-tree ]; then echo 'git: simulated diff-tree failure' >&2; exit 128; fi\nexec {} \"$@\"\n",
            real_git.display()
        ),
    )
    .expect("write the git shim");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(shim.join("git"), std::fs::Permissions::from_mode(0o755)).expect("chmod the shim");
    }
    let path = format!("{}:{}", shim.display(), std::env::var("PATH").unwrap_or_default());

    let base = job_env(&plan, 0, &[], &commit);
    let with = |extra: Vec<(&str, String)>| {
        let mut env = base.clone();
        for (k, v) in extra {
            env.retain(|(name, _)| name != k);
            env.push((k.to_string(), v));
        }
        env
    };
    let cases = [
        (
            "outside a git repository",
            outside.as_path(),
            with(vec![("GIT_CEILING_DIRECTORIES", ceiling)]),
            "not a git repository",
        ),
        ("git diff-tree fails", repo.as_path(), with(vec![("PATH", path)]), "simulated diff-tree failure"),
        (
            "the commit SHA is empty",
            repo.as_path(),
            with(vec![("CI_COMMIT_SHA", String::new())]),
            "the commit SHA is not set",
        ),
    ];
    for shell in SHELLS {
        for (case, cwd, env, says) in &cases {
            let (code, stdout, stderr) = run_with(shell, &file, cwd, env);
            assert_ne!(code, 0, "{shell}, {case}: the tag script succeeded\nstdout:\n{stdout}\nstderr:\n{stderr}");
            assert!(stderr.contains(says), "{shell}, {case}: stderr does not say {says:?}:\n{stderr}");
            assert_eq!(stdout, "", "{shell}, {case}: the tag script printed a tag although it failed");
        }
    }
}

#[test]
fn a_parent_tag_that_did_not_arrive_is_named() {
    let plan = plan_of("pipegen.yaml", OWN_MODEL);
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("tag.sh");
    std::fs::write(&file, script()).expect("write the script");
    let repo = dir.path().join("repo");
    let commit = repository(&repo, &plan);
    let app = plan.builds.iter().position(|b| b.this.id.image == "app").expect("app");
    let mut env = job_env(&plan, app, &vec!["x".to_string(); plan.builds.len()], &commit);
    env.retain(|(k, _)| !k.starts_with("PIPEGEN_TAG_TOOL"));
    for shell in SHELLS {
        let (code, stdout, stderr) = run_with(shell, &file, &repo, &env);
        assert_ne!(code, 0, "{shell}: a missing parent tag went unnoticed: {stdout}");
        assert!(
            stderr.contains("the tag of tool (PIPEGEN_TAG_TOOL) did not come from its build job"),
            "{shell}: {stderr}"
        );
    }
}
