//! The content-tag script (`shell::compute_tags`) is POSIX sh: GitLab runs it in `alpine/git`,
//! whose only shell is BusyBox's. For every model and valid fixture (and one model of this
//! test's own), the script passes `shellcheck -s sh`, and `dash` and `busybox sh` running it in a
//! throwaway git repository print the same tags, which are those the recipe defines
//! (`pipegen::content_tags`). When git fails, both shells stop with a non-zero status and print
//! no tag.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use pipegen::plan::{CONTENT_TAG_HEADER, ComputedCacheKey, Plan, TagKind, TagsJob};
use pipegen::shell::FILE_LINE_FORMAT;

/// A model of this test's own: a content-tagged parent with an axis, a literal `$` in a build
/// argument and a glob input; a commit-tagged child; a cache key hashed by the tags job.
const OWN_MODEL: &str = r#"
pipegen: 1
name: tags-under-test
registry: registry.example.com/tags
axes:
  os: [debian, alpine]
caches:
  deps: { key: [a.lock, b.lock, c.lock], paths: [vendor] }
images:
  base:
    context: images/base
    axes: [os]
    inputs: ["scripts/*.sh"]
    args: { OS: "${os}", PRICE: "$$5 it's" }
  app:
    from: base
    context: .
    dockerfile: images/app/Dockerfile
    target: runtime
    tag: commit
jobs:
  test:
    image: app
    caches: [deps]
    script: [bin/test]
"#;

const SHELLS: [&str; 2] = ["dash", "busybox"];

fn plan_of(name: &str, text: &str) -> Plan {
    let loaded = pipegen::model::load(name, text).unwrap_or_else(|e| panic!("{name} does not load: {e:?}"));
    pipegen::plan::build(&loaded, name).unwrap_or_else(|e| panic!("{name} does not plan: {e:?}"))
}

/// Every model with a tags job: `(name, plan)`.
fn plans() -> Vec<(String, Plan)> {
    let mut plans = vec![("own model (tests/tags_script.rs)".to_string(), plan_of("pipegen.yaml", OWN_MODEL))];
    for path in support::models().into_iter().chain(support::valid_fixtures()) {
        let name = support::relative(&path);
        let text = std::fs::read_to_string(&path).expect("read the model");
        plans.push((name.clone(), plan_of(&name, &text)));
    }
    plans.retain(|(_, plan)| plan.tags.is_some());
    plans
}

/// The script alone, then one `VAR=value` line per tag and cache key: the script's purpose is to
/// set those variables, and each platform's tags job prints them the same way.
fn script(tags: &TagsJob) -> String {
    let mut lines = pipegen::shell::compute_tags(tags, "${CI_COMMIT_SHA}");
    let variables = tags.tags.iter().map(|t| &t.variable).chain(tags.cache_keys.iter().map(|k| &k.variable));
    lines.extend(variables.map(|v| format!("printf '%s=%s\\n' {v} \"${v}\"")));
    lines.join("\n") + "\n"
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

/// A repository with a file in every context, Dockerfile, input and cache key file of `tags`.
fn repository(dir: &Path, tags: &TagsJob) -> String {
    std::fs::create_dir_all(dir).expect("create the repository");
    git(dir, &["init", "-q", "-b", "main"]);
    let mut paths: Vec<String> = vec!["README".into()];
    for tag in &tags.tags {
        if let TagKind::Content(recipe) = &tag.kind {
            paths.push(format!("{}/context-file", recipe.context));
            paths.push(recipe.dockerfile.clone());
            // A file each glob matches: `**` a directory, `*` a name.
            paths.extend(recipe.inputs.iter().map(|i| i.replace("**", "deep/er").replace('*', "x")));
        }
    }
    paths.extend(tags.cache_keys.iter().flat_map(|k| k.files.clone()));
    for path in paths {
        let file = dir.join(&path);
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

/// The tags and cache keys by the recipe, computed in Rust from `git ls-files` at HEAD.
fn expected(repo: &Path, tags: &TagsJob, commit: &str) -> BTreeMap<String, String> {
    let files = |specs: &[String]| -> Result<Vec<String>, String> {
        let mut args = vec!["ls-files".to_string(), format!("--format={FILE_LINE_FORMAT}"), "--".to_string()];
        args.extend(specs.iter().cloned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Ok(git(repo, &args).lines().map(str::to_string).collect())
    };
    let mut values: BTreeMap<String, String> =
        pipegen::content_tags::compute(tags, commit, files).expect("git ls-files").into_iter().collect();
    for ComputedCacheKey { variable, files: keys } in &tags.cache_keys {
        let specs: Vec<String> = keys.iter().map(|f| format!(":(literal){f}")).collect();
        let lines = files(&specs).expect("git ls-files");
        values.insert(variable.clone(), pipegen::content_tags::content_tag(&[CONTENT_TAG_HEADER.to_string()], &lines));
    }
    values
}

/// Run `script` with `shell` (`dash` or `busybox`) in `dir`: (exit code, stdout, stderr).
fn run_with(shell: &str, script: &Path, dir: &Path, env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = Command::new(support::tool(shell));
    if shell == "busybox" {
        command.arg("sh");
    }
    command.arg(script).current_dir(dir).env_remove("CI_COMMIT_SHA").env_remove("GIT_DIR").env_remove("GIT_WORK_TREE");
    command.envs(env.iter().copied());
    support::run(&mut command)
}

fn parse(stdout: &str) -> BTreeMap<String, String> {
    stdout
        .lines()
        .map(|l| l.split_once('=').unwrap_or_else(|| panic!("not VAR=value: {l:?}")))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_tags_script_is_posix_sh() {
    let plans = plans();
    let dir = tempfile::tempdir().expect("temporary directory");
    let files: Vec<PathBuf> = plans
        .iter()
        .enumerate()
        .map(|(i, (_, plan))| {
            let file = dir.path().join(format!("{i:02}.sh"));
            std::fs::write(&file, script(plan.tags.as_ref().expect("kept above"))).expect("write the script");
            file
        })
        .collect();
    let mut command = Command::new(support::tool("shellcheck"));
    command.args(["--norc", "--shell", "sh"]).args(&files);
    let (code, stdout, stderr) = support::run(&mut command);
    let legend: String =
        files.iter().zip(&plans).map(|(f, (name, _))| format!("  {} = tags script of {name}\n", f.display())).collect();
    assert_eq!(code, 0, "shellcheck -s sh finds problems in the tags script:\n{stdout}{stderr}\n{legend}");
}

#[test]
fn dash_and_busybox_compute_the_recipes_tags() {
    let dir = tempfile::tempdir().expect("temporary directory");
    for (i, (name, plan)) in plans().iter().enumerate() {
        let tags = plan.tags.as_ref().expect("kept above");
        let repo = dir.path().join(format!("repo-{i}"));
        let commit = repository(&repo, tags);
        let file = dir.path().join(format!("{i:02}.sh"));
        std::fs::write(&file, script(tags)).expect("write the script");
        let want = expected(&repo, tags, &commit);
        assert_eq!(want.len(), tags.tags.len() + tags.cache_keys.len(), "{name}: a variable is set twice");
        for shell in SHELLS {
            let (code, stdout, stderr) = run_with(shell, &file, &repo, &[("CI_COMMIT_SHA", &commit)]);
            assert_eq!(code, 0, "{name}: the tags script fails under {shell}:\n{stderr}");
            assert_eq!(parse(&stdout), want, "{name}: {shell} computes other tags than the recipe\n{stderr}");
        }
        let content = tags.tags.iter().filter(|t| matches!(t.kind, TagKind::Content(_))).count();
        let distinct: std::collections::BTreeSet<&String> =
            tags.tags.iter().filter(|t| matches!(t.kind, TagKind::Content(_))).map(|t| &want[&t.variable]).collect();
        assert!(content < 2 || distinct.len() > 1, "{name}: every content tag is the same: {want:?}");
    }
}

#[test]
fn the_tags_script_fails_loudly_when_git_fails() {
    let plan = plan_of("pipegen.yaml", OWN_MODEL);
    let tags = plan.tags.as_ref().expect("the own model has builds");
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("tags.sh");
    std::fs::write(&file, script(tags)).expect("write the script");
    let repo = dir.path().join("repo");
    let commit = repository(&repo, tags);
    let outside = dir.path().join("not-a-repository");
    std::fs::create_dir_all(&outside).expect("create a directory");
    // So git does not find a repository above the temporary directory.
    let ceiling = dir.path().to_str().expect("UTF-8 path").to_string();

    // A git whose `ls-files` fails, after `read-tree` worked: the failure is inside `$(...)`.
    let shim = dir.path().join("shim");
    std::fs::create_dir_all(&shim).expect("create the shim directory");
    let real_git = support::tool("git");
    std::fs::write(
        shim.join("git"),
        format!(
            "#!/bin/sh\nif [ \"$1\" = ls-files ]; then echo 'git: simulated ls-files failure' >&2; exit 128; fi\nexec {} \"$@\"\n",
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

    let with_commit = |extra: (&'static str, String)| vec![("CI_COMMIT_SHA", commit.clone()), extra];
    let cases = [
        Failure {
            case: "outside a git repository",
            cwd: &outside,
            env: with_commit(("GIT_CEILING_DIRECTORIES", ceiling)),
            says: "not a git repository",
        },
        Failure {
            case: "git ls-files fails",
            cwd: &repo,
            env: with_commit(("PATH", path)),
            says: "simulated ls-files failure",
        },
        // `set -u` stops at the unset variable, naming it; an empty one gets pipegen's message.
        Failure { case: "the commit SHA is unset", cwd: &repo, env: vec![], says: "CI_COMMIT_SHA" },
        Failure {
            case: "the commit SHA is empty",
            cwd: &repo,
            env: vec![("CI_COMMIT_SHA", String::new())],
            says: "the commit SHA is not set",
        },
    ];
    for shell in SHELLS {
        for Failure { case, cwd, env, says } in &cases {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (code, stdout, stderr) = run_with(shell, &file, cwd, &env);
            assert_ne!(code, 0, "{shell}, {case}: the tags script succeeded\nstdout:\n{stdout}\nstderr:\n{stderr}");
            assert!(stderr.contains(says), "{shell}, {case}: stderr does not say {says:?}:\n{stderr}");
            assert_eq!(stdout, "", "{shell}, {case}: the tags script printed tags although it failed");
        }
    }
}

/// A way for git to fail, and what the script's error must say.
struct Failure<'a> {
    case: &'a str,
    cwd: &'a Path,
    env: Vec<(&'a str, String)>,
    says: &'a str,
}
