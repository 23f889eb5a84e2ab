//! The tag script (`emit::scripts`, run by every build job) is POSIX sh: GitLab runs it in the
//! builder's image, whose shell may be BusyBox's, GitHub in bash. For every model and valid
//! fixture (and one model of this test's own, with odd values), `dash`, `busybox sh` and `bash`
//! running each build's `pipegen_tag_of` with that build's own variables, in a throwaway git
//! repository, print the same tags, which are those `pipegen tags` computes in Rust from the
//! recipe. When git fails, every shell stops with a non-zero status and prints no tag.

// Needs external tools: in the full tier (scripts/test.sh), not in the offline `cargo test`.
#![cfg(feature = "external-tests")]

mod support;

use support::git;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use pipegen::commands::tags::Bases;
use pipegen::emit::{Target, github, gitlab, scripts};
use pipegen::plan::{Plan, TagMode};

/// A model of this test's own: a content-tagged parent with an axis whose entries carry named
/// fields, one of them choosing its context; build arguments with a literal `$`, quotes, a
/// newline and non-ASCII text (the recipe counts bytes); a plain input, glob inputs (one at the
/// root, one under a directory, one whose directory is missing); a tool whose context has a
/// `.dockerignore` that BuildKit and buildah read differently (`**foo`); a child of the root
/// context with its Dockerfile's own ignore file, a target, two parents and arguments that refer
/// to them; a commit-tagged grandchild; a context written with a trailing `/`; a context that is
/// a symbolic link to a directory, spelled `./…/` (inputs through the link too), and a context
/// whose Dockerfile is a link to a file elsewhere (see `LINKS`).
const OWN_MODEL: &str = r#"
pipegen: 1
name: tags-under-test
registry: registry.example.com/tags
axes:
  os: [{ value: debian, dir: deb, release: "12" }, { value: alpine, dir: alp, release: "3.20" }]
images:
  base:
    context: images/base-${os.dir}
    axes: [os]
    inputs: ["scripts/*.sh", "*.lock", .tool-versions, "absent/**"]
    args: { OS: "${os}", RELEASE: "${os.release}", PRICE: "$$5 it's \"quoted\"", NOTE: "naïve\nsecond line\n" }
  tool:
    context: tool
  slashed:
    context: slashed/
  linked:
    context: ./linked-context/
    inputs: ["./linked-context//more", "./linked-context/*.txt"]
  pointing:
    context: pointing
  app:
    from: [base, tool]
    context: .
    dockerfile: images/app/Dockerfile
    target: runtime
    args: { BASE_TAG: "${parent:base.tag}", TOOL: "from ${parent:tool} at $$HOME for ${os.release}" }
  release:
    from: app
    context: release
    tag: commit
"#;

/// Ignore files and the files they judge, and `.gitattributes`, written into every test
/// repository.
const IGNORED_TREE: &[(&str, &str)] = &[
    ("tool/.dockerignore", "# the tool's\n*.md\n!keep.md\nsub/\n**foo\n"),
    ("tool/notes.md", "ignored\n"),
    ("tool/keep.md", "sent\n"),
    ("tool/sub/x", "ignored\n"),
    ("tool/barfoo", "BuildKit ignores it, buildah sends it\n"),
    ("tool/été.txt", "a name git quotes\n"),
    ("images/app/Dockerfile.dockerignore", "**/*.tmp\n"),
    ("scratch.tmp", "ignored by app\n"),
    ("deep/er/scratch.tmp", "ignored by app\n"),
    // `.gitattributes` on the way to what builds read (the recipe's `attributes` lines): the
    // root's, a context's parent directory's, a glob's directory's, and one behind a link on
    // the way to an input (`linked-context/more`).
    (".gitattributes", "*.sh text eol=lf\n"),
    ("images/.gitattributes", "* -text\n"),
    ("scripts/.gitattributes", "*.sh ident\n"),
    ("real-context/.gitattributes", "more eol=crlf\n"),
];

/// Symbolic links written into every test repository before its files, each with the file or
/// directory it points to: `(link, target, file to create at the target or "" for a directory)`.
const LINKS: &[(&str, &str, &str)] = &[
    ("linked-context", "real-context", ""),
    ("pointing/Dockerfile", "../shared-dockerfiles/Dockerfile", "shared-dockerfiles/Dockerfile"),
];

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

/// A repository with a file in every context, Dockerfile and input of `plan` (a glob gets a file
/// it matches), except under `absent/`.
fn repository(dir: &Path, plan: &Plan) -> String {
    repository_in_format(dir, plan, "sha1")
}

/// [`repository`] with git's object format `format` (`sha1` or `sha256`).
fn repository_in_format(dir: &Path, plan: &Plan, format: &str) -> String {
    std::fs::create_dir_all(dir).expect("create the repository");
    git(dir, &["init", "-q", "-b", "main", &format!("--object-format={format}")]);
    for (link, target, file) in LINKS {
        let at = dir.join(link);
        std::fs::create_dir_all(at.parent().expect("a parent")).expect("create a directory");
        let pointed = at.parent().expect("a parent").join(target);
        if file.is_empty() {
            std::fs::create_dir_all(&pointed).expect("create the linked directory");
        } else {
            std::fs::create_dir_all(dir.join(file).parent().expect("a parent")).expect("create a directory");
            std::fs::write(dir.join(file), format!("FROM scratch\nLABEL behind={link}\n")).expect("write");
        }
        std::os::unix::fs::symlink(target, &at).expect("symlink");
    }
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
    for (path, text) in IGNORED_TREE {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().expect("a parent")).expect("create a directory");
        std::fs::write(&file, text).expect("write a file");
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "files the tags hash"]);
    git(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

/// The tags by the recipe, computed in Rust by `pipegen tags` for `target`'s builder.
fn expected(repo: &Path, plan: &Plan, commit: &str, target: Target) -> Vec<String> {
    let computed = pipegen::commands::tags::compute(repo, plan, commit, target, Bases::Resolve).expect("git answers");
    computed.builds.into_iter().map(|b| b.tag).collect()
}

fn platform(target: Target) -> scripts::Platform {
    match target {
        Target::Gitlab => gitlab::PLATFORM,
        Target::Github => github::PLATFORM,
    }
}

/// `plan` as `pipegen emit` plans it in `repo`: with the ignore files and submodules it holds.
fn emitted_in(plan: &Plan, repo: &Path) -> Plan {
    let mut plan = plan.clone();
    pipegen::workspace::read_repository(repo, &mut plan);
    plan
}

/// The build script's functions `target`'s pipeline of `plan` embeds.
fn library(target: Target, plan: &Plan) -> String {
    let platform = platform(target);
    scripts::build_library(platform, &plan.policy, &scripts::Uses::of(plan, platform.builder))
}

/// `target`'s build script's functions for `plan`, then one build's tag computation.
fn script(target: Target, plan: &Plan) -> String {
    let library = library(target, plan);
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

/// The variables a build job has: its own, its parents' tags as each platform hands them on
/// (GitLab: `PIPEGEN_REF_<KEY>`, the reference; GitHub: `PIPEGEN_PARENT_<n>`, `<KEY>=<tag>`), the
/// commit.
fn job_env(plan: &Plan, index: usize, tags: &[String], commit: &str) -> Vec<(String, String)> {
    let build = &plan.builds[index];
    let mut env = scripts::build_variables(build);
    for (n, parent) in build.parents.iter().enumerate() {
        let at = plan.builds.iter().position(|b| b.this.id == parent.build.id).expect("a parent is planned first");
        let reference = format!("registry.example.com/tags/{}:{}", parent.build.id.image, tags[at]);
        env.push((pipegen::naming::ref_variable(&parent.build.key), reference));
        env.push((format!("PIPEGEN_PARENT_{}", n + 1), format!("{}={}", parent.build.key, tags[at])));
    }
    env.push(("CI_COMMIT_SHA".to_string(), commit.to_string()));
    env.push(("GITHUB_SHA".to_string(), commit.to_string()));
    env.push(("PIPEGEN_REGISTRY".to_string(), "registry.example.com/tags".to_string()));
    env
}

#[test]
fn dash_busybox_and_bash_compute_the_recipes_tags() {
    let dir = tempfile::tempdir().expect("temporary directory");
    for (i, (name, plan)) in plans().iter().enumerate() {
        let repo = dir.path().join(format!("repo-{i}"));
        let commit = repository(&repo, plan);
        let plan = &emitted_in(plan, &repo);
        // Each platform's script, by its builder's ignore rules; the shells agree with Rust.
        let mut want = Vec::new();
        for target in Target::ALL {
            let file = dir.path().join(format!("tag-{target}.sh"));
            std::fs::write(&file, script(target, plan)).expect("write the script");
            want = expected(&repo, plan, &commit, target);
            // Busybox is slow to fork: the other platform's script is run by dash and bash.
            let shells: &[&str] = if target == Target::Gitlab { &SHELLS } else { &["dash", "bash"] };
            for shell in shells {
                for (b, build) in plan.builds.iter().enumerate() {
                    let (code, stdout, stderr) = run_with(shell, &file, &repo, &job_env(plan, b, &want, &commit));
                    assert_eq!(code, 0, "{name}: {} fails under {shell} ({target}):\n{stderr}", build.id());
                    assert_eq!(
                        stdout.trim_end(),
                        want[b],
                        "{name}: {shell} computes another tag for {} ({target})\n{stderr}",
                        build.id()
                    );
                }
            }
        }
        let content: Vec<&String> =
            plan.builds.iter().zip(&want).filter(|(b, _)| b.this.tag == TagMode::Content).map(|(_, t)| t).collect();
        let distinct: BTreeSet<&&String> = content.iter().collect();
        assert!(content.len() < 2 || distinct.len() > 1, "{name}: every content tag is the same: {want:?}");
    }
}

/// In a SHA-256 repository (64-digit ids, where the script cannot take the SHA-1 empty tree's
/// id as known), the shells and `pipegen tags` still agree, glob inputs included.
#[test]
fn a_sha256_repository_gets_the_same_tags_from_the_script_and_pipegen() {
    let plan = plan_of("pipegen.yaml", OWN_MODEL);
    let dir = tempfile::tempdir().expect("temporary directory");
    let repo = dir.path().join("repo");
    let commit = repository_in_format(&repo, &plan, "sha256");
    assert_eq!(commit.len(), 64, "a SHA-256 commit id: {commit}");
    let plan = &emitted_in(&plan, &repo);
    for target in Target::ALL {
        let file = dir.path().join(format!("tag-{target}.sh"));
        std::fs::write(&file, script(target, plan)).expect("write the script");
        let want = expected(&repo, plan, &commit, target);
        let mut tags_seen = BTreeSet::new();
        for (b, build) in plan.builds.iter().enumerate() {
            let (code, stdout, stderr) = run_with("dash", &file, &repo, &job_env(plan, b, &want, &commit));
            assert_eq!(code, 0, "{} fails in a SHA-256 repository ({target}):\n{stderr}", build.id());
            assert_eq!(stdout.trim_end(), want[b], "{} ({target})\n{stderr}", build.id());
            tags_seen.insert(stdout);
        }
        assert!(tags_seen.len() > 1, "the builds' tags differ: {tags_seen:?}");
    }
}

/// Paths in a submodule, which git calls missing, are hashed by the submodule's pinned commit:
/// every shell's script finds it as `pipegen tags` does, and a new pin moves exactly the tags of
/// the builds that read the submodule.
#[test]
fn paths_in_a_submodule_are_hashed_by_its_pinned_commit_in_every_shell() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let repo = dir.path().join("repo");
    support::submodule::create(&repo, &dir.path().join("inner"));
    let plan = emitted_in(&plan_of("pipegen.yaml", support::submodule::MODEL), &repo);
    assert_eq!(plan.submodules.iter().collect::<Vec<_>>(), ["vendor/inner"]);

    let tags_at = |commit: &str| -> Vec<String> {
        let mut tags = Vec::new();
        for target in Target::ALL {
            let file = dir.path().join(format!("tag-{target}.sh"));
            std::fs::write(&file, script(target, &plan)).expect("write the script");
            let want = expected(&repo, &plan, commit, target);
            for shell in SHELLS {
                for (b, build) in plan.builds.iter().enumerate() {
                    let (code, stdout, stderr) = run_with(shell, &file, &repo, &job_env(&plan, b, &want, commit));
                    assert_eq!(code, 0, "{shell}: {} ({target}):\n{stderr}", build.id());
                    assert_eq!(stdout.trim_end(), want[b], "{shell}: {} ({target})\n{stderr}", build.id());
                }
            }
            tags = want;
        }
        tags
    };
    let before = tags_at(git(&repo, &["rev-parse", "HEAD"]).trim());
    support::submodule::move_pin(&repo);
    let after = tags_at(git(&repo, &["rev-parse", "HEAD"]).trim());
    let moved: Vec<String> = plan
        .builds
        .iter()
        .zip(before.iter().zip(&after))
        .filter(|(_, (b, a))| b != a)
        .map(|(build, _)| build.this.id.image.to_string())
        .collect();
    assert_eq!(moved, support::submodule::READERS);
}

/// A glob input whose directory is a submodule or lies in one, or which reaches a submodule's
/// gitlink through a leading part of its pattern (`vendor/**/*.txt`, `vendor/*/notes.txt`), is
/// hashed by the submodule's pinned commit in every shell as in `pipegen tags`: a new pin moves
/// exactly their tags, and not that of a build whose globs cannot reach the submodule.
#[test]
fn a_glob_that_reaches_into_a_submodule_is_hashed_by_its_pin_in_every_shell() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let repo = dir.path().join("repo");
    support::submodule::reach(&repo, &dir.path().join("inner"));
    let plan = emitted_in(&plan_of("pipegen.yaml", support::submodule::REACH_MODEL), &repo);
    assert_eq!(plan.submodules.iter().collect::<Vec<_>>(), ["vendor/inner"]);
    let before = shells_agree(dir.path(), &repo, &plan, git(&repo, &["rev-parse", "HEAD"]).trim(), &[]);
    support::submodule::move_pin(&repo);
    let after = shells_agree(dir.path(), &repo, &plan, git(&repo, &["rev-parse", "HEAD"]).trim(), &[]);
    for (target, (before, after)) in Target::ALL.iter().zip(before.iter().zip(&after)) {
        let moved: Vec<String> = plan
            .builds
            .iter()
            .zip(before.iter().zip(after))
            .filter(|(_, (b, a))| b != a)
            .map(|(build, _)| build.this.id.image.to_string())
            .collect();
        assert_eq!(moved, support::submodule::REACHERS, "{target}");
    }
}

#[test]
fn a_changed_input_file_or_argument_changes_the_tag() {
    let plan = plan_of("pipegen.yaml", OWN_MODEL);
    let dir = tempfile::tempdir().expect("temporary directory");
    let repo = dir.path().join("repo");
    let commit = repository(&repo, &plan);
    let before = expected(&repo, &plan, &commit, Target::Gitlab);
    std::fs::write(repo.join("scripts/x.sh"), "changed\n").expect("change a glob's file");
    git(&repo, &["commit", "-q", "-am", "change"]);
    let commit = git(&repo, &["rev-parse", "HEAD"]).trim().to_string();
    let after = expected(&repo, &plan, &commit, Target::Gitlab);
    let base = plan.builds.iter().position(|b| &*b.this.id.image == "base").expect("base");
    let tool = plan.builds.iter().position(|b| &*b.this.id.image == "tool").expect("tool");
    let app = plan.builds.iter().position(|b| &*b.this.id.image == "app").expect("app");
    assert_ne!(before[base], after[base], "a file a glob input matches is part of the tag");
    assert_ne!(before[app], after[app], "a parent's new tag changes its child's");
    assert_eq!(before[tool], after[tool], "an unrelated image keeps its tag");

    let changed = OWN_MODEL.replace("naïve", "naive");
    let other = plan_of("pipegen.yaml", &changed);
    let with_other_arg = expected(&repo, &other, &commit, Target::Gitlab);
    assert_ne!(after[base], with_other_arg[base], "a build argument is part of the tag");

    // Behind a symbolic link: the file a linked Dockerfile names, a file in a linked context.
    for (file, image) in [("shared-dockerfiles/Dockerfile", "pointing"), ("real-context/more", "linked")] {
        let before = expected(&repo, &plan, git(&repo, &["rev-parse", "HEAD"]).trim(), Target::Gitlab);
        std::fs::write(repo.join(file), "FROM scratch\nLABEL changed=yes\n").expect("change a linked file");
        git(&repo, &["commit", "-q", "-am", "change behind a link"]);
        let after = expected(&repo, &plan, git(&repo, &["rev-parse", "HEAD"]).trim(), Target::Gitlab);
        let moved: Vec<&str> = plan
            .builds
            .iter()
            .zip(before.iter().zip(&after))
            .filter(|(_, (b, a))| b != a)
            .map(|(b, _)| &*b.this.id.image)
            .collect();
        // (`app` hashes the whole repository, `release` is tagged by commit.)
        let others: Vec<&str> = moved.iter().copied().filter(|i| ![image, "app", "release"].contains(i)).collect();
        assert!(moved.contains(&image) && others.is_empty(), "{file} is hashed through its link: {moved:?}");
    }
}

/// What the `.dockerignore` of a context leaves out is not part of its tag, on either platform;
/// what it sends is. The two builders read `**foo` differently, so the tool's tag differs
/// between platforms, and a change to `barfoo` changes only buildah's (GitLab's).
#[test]
fn ignored_files_change_no_tag() {
    let plan = plan_of("pipegen.yaml", OWN_MODEL);
    let dir = tempfile::tempdir().expect("temporary directory");
    let repo = dir.path().join("repo");
    let first = repository(&repo, &plan);
    let tool = plan.builds.iter().position(|b| &*b.this.id.image == "tool").expect("tool");
    let app = plan.builds.iter().position(|b| &*b.this.id.image == "app").expect("app");
    let tags = |commit: &str| Target::ALL.map(|target| expected(&repo, &plan, commit, target));
    let before = tags(&first);
    assert_ne!(before[0][tool], before[1][tool], "buildah sends barfoo, BuildKit does not");
    let commit = |message: &str| {
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", message]);
        git(&repo, &["rev-parse", "HEAD"]).trim().to_string()
    };

    // The tool's context leaves these out; the app's (the root) sends them.
    std::fs::write(repo.join("tool/notes.md"), "edited\n").unwrap();
    std::fs::write(repo.join("tool/sub/y"), "new\n").unwrap();
    let after = tags(&commit("edit files the tool's context ignores"));
    for platform in 0..2 {
        assert_eq!(before[platform][tool], after[platform][tool], "the tool's ignored files are not hashed");
        assert_ne!(before[platform][app], after[platform][app], "the app's context sends them");
    }
    // Every content tag stays: only the app's ignore file judges them, and it leaves them out.
    let before = after;
    std::fs::write(repo.join("deep/er/scratch.tmp"), "edited\n").unwrap();
    std::fs::write(repo.join("new.tmp"), "new\n").unwrap();
    let after = tags(&commit("edit files the app's ignore file leaves out"));
    let content = |tags: &[Vec<String>; 2]| tags.iter().map(|t| t[..5].to_vec()).collect::<Vec<_>>();
    assert_eq!(content(&before), content(&after), "no content tag changes");

    std::fs::write(repo.join("tool/barfoo"), "edited\n").unwrap();
    let after = tags(&commit("edit a file only buildah sends"));
    assert_ne!(before[0][tool], after[0][tool], "GitLab's buildah sends barfoo");
    assert_eq!(before[1][tool], after[1][tool], "GitHub's BuildKit does not");

    std::fs::write(repo.join("tool/keep.md"), "edited\n").unwrap();
    let later = tags(&commit("edit a sent file"));
    for platform in 0..2 {
        assert_ne!(after[platform][tool], later[platform][tool], "keep.md is sent");
        assert_ne!(after[platform][app], later[platform][app], "and the child's tag follows");
    }
}

#[test]
fn the_tag_script_fails_loudly_when_git_fails() {
    let plan = plan_of("pipegen.yaml", OWN_MODEL);
    let dir = tempfile::tempdir().expect("temporary directory");
    let repo = dir.path().join("repo");
    let commit = repository(&repo, &plan);
    let plan = emitted_in(&plan, &repo);
    let file = dir.path().join("tag.sh");
    std::fs::write(&file, script(Target::Gitlab, &plan)).expect("write the script");
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
            "#!/bin/sh\ncase \" $* \" in *' diff-tree '*) echo 'git: simulated diff-tree failure' >&2; exit 128 ;; esac\nexec {} \"$@\"\n",
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

/// The tag script of `target` for the own model's `app` build, in a repository of its files,
/// with that job's variables (every parent tag `x`): the directory (kept while it lives), the
/// script, the repository and the variables.
fn app_tag_job(target: Target) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf, Vec<(String, String)>) {
    let plan = plan_of("pipegen.yaml", OWN_MODEL);
    let dir = tempfile::tempdir().expect("temporary directory");
    let repo = dir.path().join("repo");
    let commit = repository(&repo, &plan);
    let plan = emitted_in(&plan, &repo);
    let file = dir.path().join("tag.sh");
    std::fs::write(&file, script(target, &plan)).expect("write the script");
    let app = plan.builds.iter().position(|b| &*b.this.id.image == "app").expect("app");
    let env = job_env(&plan, app, &vec!["x".to_string(); plan.builds.len()], &commit);
    (dir, file, repo, env)
}

#[test]
fn a_parent_tag_that_did_not_arrive_is_named() {
    let (_dir, file, repo, mut env) = app_tag_job(Target::Gitlab);
    env.retain(|(k, _)| !k.starts_with("PIPEGEN_REF_TOOL"));
    for shell in SHELLS {
        let (code, stdout, stderr) = run_with(shell, &file, &repo, &env);
        assert_ne!(code, 0, "{shell}: a missing parent tag went unnoticed: {stdout}");
        assert!(
            stderr.contains("the reference of tool (PIPEGEN_REF_TOOL) did not come from its build job"),
            "{shell}: {stderr}"
        );
    }
}

/// On GitHub a parent's tag arrives empty when the runner dropped its build job's output for
/// holding a secret's value: the message names that cause.
#[test]
fn a_parent_tag_github_dropped_is_named_with_its_cause() {
    let (_dir, file, repo, mut env) = app_tag_job(Target::Github);
    for (name, value) in env.iter_mut() {
        if name.starts_with("PIPEGEN_PARENT_") && value.starts_with("TOOL=") {
            *value = "TOOL=".to_string();
        }
    }
    for shell in SHELLS {
        let (code, stdout, stderr) = run_with(shell, &file, &repo, &env);
        assert_ne!(code, 0, "{shell}: an empty parent tag went unnoticed: {stdout}");
        assert!(
            stderr.contains("did not come from its build job")
                && stderr.contains("GitHub dropped the output because it contains the value of a secret"),
            "{shell}: {stderr}"
        );
    }
}

/// The build step hands the builder every argument the tag hashed, with each `${parent:…}` of
/// an argument replaced by that parent's reference or tag, under every shell and for both
/// builders (a stand-in `buildah` and `docker` record their arguments).
#[test]
fn the_build_step_fills_in_parent_references() {
    let plan = plan_of("pipegen.yaml", OWN_MODEL);
    let dir = tempfile::tempdir().expect("temporary directory");
    let repo = dir.path().join("repo");
    let commit = repository(&repo, &plan);
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("create the stand-ins' directory");
    for tool in ["buildah", "docker"] {
        let stand_in = bin.join(tool);
        // A push writes its digest, which the step reads (buildah's file, BuildKit's metadata).
        let text = "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done >> \"$ARGUMENTS\"\n\
            while [ \"$#\" -gt 0 ]; do case \"$1\" in --digestfile|--metadata-file) \
            echo '\"containerimage.digest\": \"sha256:00\"' > \"$2\" ;; esac; shift; done\n";
        std::fs::write(&stand_in, text).expect("write a stand-in");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&stand_in, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let app = plan.builds.iter().position(|b| &*b.this.id.image == "app").expect("app");
    let tags: Vec<String> = (0..plan.builds.len()).map(|i| format!("tag{i}")).collect();
    let base = plan.builds.iter().position(|b| &*b.this.id.image == "base").expect("base");
    let tool = plan.builds.iter().position(|b| &*b.this.id.image == "tool").expect("tool");
    let registry = "registry.example.com/tags";
    for target in Target::ALL {
        let library = library(target, &emitted_in(&plan, &repo));
        let file = dir.path().join(format!("build-{target}.sh"));
        // What the tag step decides first: the tag, and (in a pipeline that pushes) the
        // registry's reference.
        let decided = "pipegen_tag=new\npipegen_push=true\npipegen_ref=\"$PIPEGEN_REGISTRY/$PIPEGEN_IMAGE:new\"";
        std::fs::write(&file, format!("set -u\n{library}\n{decided}\npipegen_build_step\n")).expect("write");
        for shell in SHELLS {
            let arguments = dir.path().join(format!("arguments-{target}-{shell}"));
            let mut env = job_env(&plan, app, &tags, &commit);
            env.retain(|(k, _)| k != "PIPEGEN_REGISTRY");
            env.push(("PIPEGEN_REGISTRY".to_string(), registry.to_string()));
            env.push(("ARGUMENTS".to_string(), arguments.display().to_string()));
            env.push(("PATH".to_string(), format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default())));
            let (code, _, stderr) = run_with(shell, &file, &repo, &env);
            assert_eq!(code, 0, "{target} under {shell}: {stderr}");
            let recorded = std::fs::read(&arguments).expect("the builder ran");
            let words: Vec<String> =
                recorded.split(|&b| b == 0).map(|w| String::from_utf8_lossy(w).into_owned()).collect();
            let build_args: Vec<&str> =
                words.windows(2).filter(|w| w[0] == "--build-arg").map(|w| w[1].as_str()).collect();
            assert_eq!(
                build_args,
                [
                    format!("BASE_TAG={}", tags[base]),
                    format!("TOOL=from {registry}/tool:{} at $HOME for 12", tags[tool]),
                    format!("BASE_IMAGE={registry}/base:{}", tags[base]),
                    format!("TOOL_IMAGE={registry}/tool:{}", tags[tool]),
                ],
                "{target} under {shell}"
            );
        }
    }
}

// ------------------------------------------------------------------------------------------
// Upstream base images (recipe v4)
// ------------------------------------------------------------------------------------------

/// Debian's docker-registry on 127.0.0.1, on a port it picks itself (no lock: no other test
/// knows it); killed when dropped.
struct LocalRegistry {
    child: std::process::Child,
    addr: String,
}

impl LocalRegistry {
    fn start(root: &Path) -> LocalRegistry {
        std::fs::create_dir_all(root.join("data")).unwrap();
        let config = root.join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:0\n",
                root.join("data").display()
            ),
        )
        .unwrap();
        let log = root.join("registry.log");
        let child = Command::new(support::tool("docker-registry"))
            .arg("serve")
            .arg(&config)
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start docker-registry");
        let mut registry = LocalRegistry { child, addr: String::new() };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while registry.addr.is_empty() {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(at) = text.find("msg=\"listening on ") {
                let rest = &text[at + "msg=\"listening on ".len()..];
                registry.addr = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':').collect();
            } else {
                assert!(std::time::Instant::now() < deadline, "docker-registry did not say where it listens:\n{text}");
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
        registry
    }

    /// Push an image without layers whose config carries `label` to `reference` (so each label
    /// gives another manifest), through an OCI layout and skopeo; returns its manifest digest.
    fn push(&self, dir: &Path, reference: &str, label: &str) -> String {
        use sha2::{Digest, Sha256};
        let layout = dir.join(format!("oci-{label}"));
        let blobs = layout.join("blobs/sha256");
        std::fs::create_dir_all(&blobs).unwrap();
        let blob = |bytes: &[u8]| {
            let digest = format!("{:x}", Sha256::digest(bytes));
            std::fs::write(blobs.join(&digest), bytes).unwrap();
            (format!("sha256:{digest}"), bytes.len())
        };
        let config = format!(
            r#"{{"architecture":"amd64","os":"linux","config":{{"Labels":{{"version":"{label}"}}}},"rootfs":{{"type":"layers","diff_ids":[]}}}}"#
        );
        let (config_digest, config_size) = blob(config.as_bytes());
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{config_size}}},"layers":[]}}"#
        );
        let (manifest_digest, manifest_size) = blob(manifest.as_bytes());
        std::fs::write(layout.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        std::fs::write(
            layout.join("index.json"),
            format!(
                r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{manifest_digest}","size":{manifest_size},"annotations":{{"org.opencontainers.image.ref.name":"{label}"}}}}]}}"#
            ),
        )
        .unwrap();
        let (code, out, err) = support::run(Command::new(support::tool("skopeo")).args([
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
            &format!("oci:{}:{label}", layout.display()),
            &format!("docker://{reference}"),
        ]));
        assert_eq!(code, 0, "skopeo copy to {reference}\n{out}{err}");
        manifest_digest
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Images on an upstream image in a local registry: `base` starts from it through global
/// arguments (one the model passes) and a stage; `child` from `base` (its argument names the
/// parent: not looked up) and `scratch`; `pinned` from a reference pinned by digest (not looked
/// up: the registry does not even hold it); `other` from `scratch` only.
const UPSTREAM_MODEL: &str = r#"
pipegen: 1
name: upstream-under-test
registry: registry.example.com/up
images:
  base:
    context: base
    args: { FLAVOUR: "1" }
  child:
    from: base
    context: child
  pinned:
    context: pinned
  other:
    context: other
"#;

const PINNED: &str = "sha256:00000000000000000000000000000000000000000000000000000000000000aa";

fn upstream_repository(dir: &Path, addr: &str) -> String {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    let files = [
        (
            "base/Dockerfile",
            format!(
                "# the upstream\nARG REGISTRY={addr}\nARG FLAVOUR=0\nFROM --platform=$BUILDPLATFORM \\\n  ${{REGISTRY}}/upstream:${{FLAVOUR}} AS up\nfrom up\n"
            ),
        ),
        ("child/Dockerfile", "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nFROM scratch AS out\n".to_string()),
        ("pinned/Dockerfile", format!("FROM {addr}/gone@{PINNED}\n")),
        ("other/Dockerfile", "FROM scratch\n".to_string()),
        ("pipegen.yaml", UPSTREAM_MODEL.to_string()),
    ];
    for (path, text) in files {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "images on an upstream image"]);
    git(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

/// A `docker` for GitHub's script on this machine: the kit's buildx 0.13 (the runner image's) when
/// the real-engine set-up unpacked it, else skopeo answering `buildx imagetools inspect --raw`.
fn docker_stand_in(bin: &Path) {
    std::fs::create_dir_all(bin).unwrap();
    let env = std::fs::read_to_string(support::repo().join(".tools/real-engines.env")).unwrap_or_default();
    let work = env.lines().find_map(|l| l.strip_prefix("work=")).unwrap_or("/nonexistent");
    let buildx = Path::new(work).join("x/docker-buildx/usr/libexec/docker/cli-plugins/docker-buildx");
    let script = if buildx.is_file() {
        format!("#!/bin/sh\n[ \"$1\" = buildx ] && shift\nexec {} \"$@\"\n", buildx.display())
    } else {
        format!(
            "#!/bin/sh\n# docker buildx imagetools inspect --raw REF\nexec {} inspect --raw --tls-verify=false \"docker://$5\"\n",
            support::tool("skopeo").display()
        )
    };
    std::fs::write(bin.join("docker"), script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(bin.join("docker"), std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Every shell's tag of every build of `plan` for both platforms' scripts, checked against the
/// Rust tags (which are returned, GitLab's first).
fn shells_agree(dir: &Path, repo: &Path, plan: &Plan, commit: &str, extra: &[(String, String)]) -> [Vec<String>; 2] {
    let mut all = Vec::new();
    for target in Target::ALL {
        let file = dir.join(format!("tag-{target}.sh"));
        std::fs::write(&file, script(target, plan)).expect("write the script");
        let want = expected(repo, plan, commit, target);
        for shell in SHELLS {
            for (b, build) in plan.builds.iter().enumerate() {
                let mut env = job_env(plan, b, &want, commit);
                env.extend(extra.iter().cloned());
                let (code, stdout, stderr) = run_with(shell, &file, repo, &env);
                assert_eq!(code, 0, "{} fails under {shell} ({target}):\n{stderr}", build.id());
                assert_eq!(stdout.trim_end(), want[b], "{shell} computes another tag for {} ({target})", build.id());
            }
        }
        all.push(want);
    }
    [all.remove(0), all.remove(0)]
}

/// The upstream image's digest is part of the tags of the images on it, alike in Rust and in
/// both platforms' scripts (GitLab's asks skopeo, GitHub's `docker buildx imagetools`); a new
/// upstream image changes exactly those tags (and their children's); a digest-pinned base needs
/// no registry; a base the registry does not have fails both, naming it.
#[test]
fn upstream_digests_are_hashed_alike_and_rebuild_exactly_the_images_above() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let registry = LocalRegistry::start(&dir.path().join("registry"));
    let addr = registry.addr.clone();
    let upstream = format!("{addr}/upstream:1");
    let first = registry.push(dir.path(), &upstream, "1");
    let plan = plan_of("pipegen.yaml", UPSTREAM_MODEL);
    let repo = dir.path().join("repo");
    let commit = upstream_repository(&repo, &addr);
    let conf = dir.path().join("registries.conf");
    std::fs::write(
        &conf,
        format!("unqualified-search-registries = []\n[[registry]]\nlocation = \"{addr}\"\ninsecure = true\n"),
    )
    .unwrap();
    let bin = dir.path().join("bin");
    docker_stand_in(&bin);
    let extra = vec![
        ("CONTAINERS_REGISTRIES_CONF".to_string(), conf.display().to_string()),
        ("PATH".to_string(), format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default())),
    ];
    let index = |image: &str| plan.builds.iter().position(|b| &*b.this.id.image == image).expect(image);
    let (base, child, pinned, other) = (index("base"), index("child"), index("pinned"), index("other"));

    // What the recipe hashes: the resolved digest, the pinned one, nothing for scratch and parents.
    let computed = pipegen::commands::tags::compute(&repo, &plan, &commit, Target::Gitlab, Bases::Resolve).unwrap();
    let upstream_part =
        |i: usize| computed.builds[i].parts.as_ref().unwrap().iter().find(|(k, _)| k == "upstream").unwrap().1.clone();
    assert_eq!(upstream_part(base), format!("from base/Dockerfile\nupstream {upstream} {first}"));
    assert_eq!(upstream_part(child), "from child/Dockerfile");
    assert_eq!(upstream_part(pinned), format!("from pinned/Dockerfile\nupstream {addr}/gone@{PINNED} {PINNED}"));
    assert_eq!(upstream_part(other), "from other/Dockerfile");

    let before = shells_agree(dir.path(), &repo, &plan, &commit, &extra);
    let again = registry.push(dir.path(), &upstream, "1-rebuilt");
    assert_ne!(first, again, "the new upstream image is another manifest");
    let after = shells_agree(dir.path(), &repo, &plan, &commit, &extra);
    for platform in 0..2 {
        assert_ne!(before[platform][base], after[platform][base], "base is on the upstream image");
        assert_ne!(before[platform][child], after[platform][child], "child is on base");
        assert_eq!(before[platform][pinned], after[platform][pinned], "pinned is not on it");
        assert_eq!(before[platform][other], after[platform][other], "other is not on it");
    }

    // `--offline` asks no registry and says which tags are not the pipeline's.
    let (code, stdout, stderr) =
        support::pipegen_in(&repo, &["tags", "--offline", "--target", "gitlab", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(&format!("--offline: the digests of {upstream} are not asked")), "{stderr}");
    let lines: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let offline: Vec<&str> = lines
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["offline"] == true)
        .map(|l| l["image"].as_str().unwrap())
        .collect();
    assert_eq!(offline, ["base", "child"]);
    let (code, stdout, stderr) = support::pipegen_in(&repo, &["tags", "--target", "gitlab", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&after[0][base]) && !stdout.contains("offline"), "{stdout}");

    // A base image the registry does not have: both fail and name it.
    let missing = plan_of("pipegen.yaml", &UPSTREAM_MODEL.replace("FLAVOUR: \"1\"", "FLAVOUR: \"9\""));
    let error = pipegen::commands::tags::compute(&repo, &missing, &commit, Target::Gitlab, Bases::Resolve)
        .err()
        .expect("an unknown base image is an error")
        .to_string();
    assert!(error.contains(&format!("cannot resolve the base image {addr}/upstream:9")), "{error}");
    for target in Target::ALL {
        let file = dir.path().join(format!("tag-{target}.sh"));
        std::fs::write(&file, script(target, &missing)).unwrap();
        let mut env = job_env(&missing, index("base"), &[], &commit);
        env.extend(extra.iter().cloned());
        for shell in SHELLS {
            let (code, stdout, stderr) = run_with(shell, &file, &repo, &env);
            assert_ne!(code, 0, "{shell} ({target}) hashed a base image it could not resolve: {stdout}");
            assert_eq!(stdout, "", "{shell} ({target}) printed a tag");
            assert!(
                stderr
                    .contains(&format!("cannot resolve the base image {addr}/upstream:9 (a FROM of base/Dockerfile)")),
                "{shell} ({target}): {stderr}"
            );
        }
    }
}

/// A pipeline emitted when no content-tagged build's context had an ignore file embeds no
/// `.dockerignore` filter. When a commit adds one, the build stops, on both platforms and under
/// every shell, and asks for the pipeline to be emitted again, rather than hash files its
/// builder does not receive (a tag `pipegen tags` would not compute); emitted again, the
/// pipeline has the filter and computes `pipegen tags`' tag.
#[test]
fn an_ignore_file_that_appeared_after_emit_stops_the_tag_step() {
    let plan = plan_of(
        "pipegen.yaml",
        "pipegen: 1\nname: t\nregistry: registry.example.com/t\nimages:\n  tool: { context: tool }\n",
    );
    let dir = tempfile::tempdir().expect("temporary directory");
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join("tool")).expect("create the context");
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("tool/Dockerfile"), "FROM scratch\n").expect("write the Dockerfile");
    std::fs::write(repo.join("tool/notes.md"), "notes\n").expect("write a file");
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "no ignore file"]);
    let first = git(&repo, &["rev-parse", "HEAD"]).trim().to_string();
    let emitted = emitted_in(&plan, &repo);
    assert!(emitted.ignore_files.is_empty(), "{:?}", emitted.ignore_files);

    std::fs::write(repo.join("tool/.dockerignore"), "*.md\n").expect("write the ignore file");
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "an ignore file"]);
    let second = git(&repo, &["rev-parse", "HEAD"]).trim().to_string();
    let again = emitted_in(&plan, &repo);
    assert_eq!(again.ignore_files.iter().collect::<Vec<_>>(), ["tool/.dockerignore"]);

    for target in Target::ALL {
        let without = script(target, &emitted);
        assert!(!without.contains("awk -v builder="), "{target}: a pipeline without ignore files embeds the filter");
        let with = script(target, &again);
        assert!(with.contains("awk -v builder="), "{target}: the pipeline emitted again has no filter");
        let file = dir.path().join(format!("without-{target}.sh"));
        std::fs::write(&file, &without).expect("write the script");
        let refreshed = dir.path().join(format!("with-{target}.sh"));
        std::fs::write(&refreshed, &with).expect("write the script");
        for shell in SHELLS {
            let (code, stdout, stderr) = run_with(shell, &file, &repo, &job_env(&emitted, 0, &[], &first));
            assert_eq!(code, 0, "{target} under {shell}, before the ignore file: {stderr}");
            assert_eq!(stdout.trim_end(), expected(&repo, &emitted, &first, target)[0], "{target} under {shell}");

            let (code, stdout, stderr) = run_with(shell, &file, &repo, &job_env(&emitted, 0, &[], &second));
            assert_ne!(
                code, 0,
                "{target} under {shell}: the tag step hashed a context with an ignore file it cannot apply"
            );
            assert_eq!(stdout, "", "{target} under {shell}: a tag was printed");
            assert!(
                stderr.contains("tool has an ignore file: regenerate with pipegen emit (tool/.dockerignore"),
                "{target} under {shell}: {stderr}"
            );

            let (code, stdout, stderr) = run_with(shell, &refreshed, &repo, &job_env(&again, 0, &[], &second));
            assert_eq!(code, 0, "{target} under {shell}, emitted again: {stderr}");
            assert_eq!(stdout.trim_end(), expected(&repo, &again, &second, target)[0], "{target} under {shell}");
        }
    }
}

/// Issue 10: where the tag step of a pipeline that does not push puts an image the registry
/// lacks, under every shell. GitLab: the scratch path, under the `scratch-` tag prefix, published
/// as the full reference (an image already in the registry stays there, read-only); without a
/// scratch path (the project has no registry) it stops and says so. GitHub: the registry's name,
/// for a local image. A registry stand-in (`skopeo`, `docker`) knows only `KNOWN`.
#[test]
fn a_pipeline_that_does_not_push_builds_into_scratch_or_a_local_image() {
    let plan = plan_of("pipegen.yaml", OWN_MODEL);
    let dir = tempfile::tempdir().expect("temporary directory");
    let repo = dir.path().join("repo");
    let commit = repository(&repo, &plan);
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("create the stand-ins' directory");
    // `skopeo … inspect --raw docker://REF` and `docker buildx imagetools inspect --raw REF`.
    let lookup = "#!/bin/sh\nfor a in \"$@\"; do last=\"$a\"; done\ncase \"${last#docker://}\" in \"$KNOWN\") exit 0 ;; esac\necho 'manifest unknown' >&2\nexit 1\n";
    for tool in ["skopeo", "docker"] {
        std::fs::write(bin.join(tool), lookup).expect("write a stand-in");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(bin.join(tool), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let base = plan.builds.iter().position(|b| &*b.this.id.image == "base").expect("base");
    // The tag, as the tag script alone computes it.
    let tag_file = dir.path().join("tag.sh");
    std::fs::write(&tag_file, script(Target::Gitlab, &plan)).expect("write the tag script");
    let (code, tag, err) = run_with("dash", &tag_file, &repo, &job_env(&plan, base, &[], &commit));
    assert_eq!(code, 0, "{err}");
    let tag = tag.trim().to_string();
    let registry = "registry.example.com/tags";
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    for shell in SHELLS {
        for (target, scratch, known, says) in [
            (
                Target::Gitlab,
                "project.example.com/p/pipegen-scratch",
                "nothing",
                format!("PIPEGEN_REF_BASE__DEBIAN=project.example.com/p/pipegen-scratch/base:scratch-{tag}"),
            ),
            (
                Target::Gitlab,
                "project.example.com/p/pipegen-scratch",
                &*format!("{registry}/base:{tag}"),
                format!("PIPEGEN_REF_BASE__DEBIAN={registry}/base:{tag}"),
            ),
            (Target::Gitlab, "/pipegen-scratch", "nothing", "has no scratch path for its images".to_string()),
            (
                Target::Github,
                "",
                "nothing",
                format!("building it as a local image for the jobs that need it: {registry}/base:"),
            ),
        ] {
            let platform = match target {
                Target::Gitlab => gitlab::PLATFORM,
                Target::Github => github::PLATFORM,
            };
            let library = scripts::build_library(
                platform,
                &pipegen::plan::Policy::default(),
                &scripts::Uses::of(&plan, platform.builder),
            );
            let file = dir.path().join("step.sh");
            std::fs::write(&file, format!("set -u\n{library}\npipegen_tag_step && pipegen_publish\n"))
                .expect("write the step");
            let mut env = job_env(&plan, base, &[], &commit);
            env.retain(|(k, _)| k != "PIPEGEN_REGISTRY");
            let output = dir.path().join("out");
            env.extend(
                [
                    ("PIPEGEN_REGISTRY", registry),
                    ("PIPEGEN_PUSH", "false"),
                    ("PIPEGEN_SCRATCH", scratch),
                    ("KNOWN", known),
                    ("GITHUB_OUTPUT", &*output.display().to_string()),
                    ("PATH", &path),
                ]
                .map(|(k, v)| (k.to_string(), v.to_string())),
            );
            let (code, stdout, stderr) = run_with(shell, &file, &repo, &env);
            let report = std::fs::read_to_string(repo.join("pipegen-tag.env")).unwrap_or_default();
            let _ = std::fs::remove_file(repo.join("pipegen-tag.env"));
            let all = format!("{stdout}{stderr}{report}");
            assert!(
                all.contains(&says),
                "{shell}, {target}, scratch {scratch:?}, known {known}: expected {says:?} in\n{all}"
            );
            assert_eq!(code != 0, says.contains("no scratch path"), "{shell}, {target}: exit {code}\n{all}");
        }
    }
}

/// Images whose Dockerfiles name their base images the ways BuildKit's parser and lexer read
/// (and the base-image reader once misread), every base pinned by digest so that no registry is
/// asked and the reference read is what the recipe hashes: a line continued inside a global
/// argument, an escaped escape character that continues none, nested defaults, quotes and
/// escapes, form feeds and vertical tabs between a `FROM`'s words.
const READER_MODEL: &str = r#"
pipegen: 1
name: reader-under-test
registry: registry.example.com/reader
images:
  continued: { context: continued }
  nested: { context: nested, args: { TAG: "12" } }
  quoted: { context: quoted }
  blanks: { context: blanks }
"#;

/// `(context, Dockerfile, the upstream lines its recipe hashes)`; `@D` stands for `@PINNED`.
const READER_CASES: &[(&str, &str, &str)] = &[
    (
        "continued",
        "ARG W=debian\\\n@D\nFROM $W AS a\nRUN dir C:\\\\\nFROM alpine@D\nFROM a\n",
        "upstream debian@D D\nupstream alpine@D D",
    ),
    ("nested", "ARG TAG=latest D=D\nARG X=${Z:-${D}}\nFROM img:${TAG}@${X}\n", "upstream img:12@D D"),
    (
        "quoted",
        "ARG D=D\nARG Q='$D' E=\\$D\nFROM \"r/q:1@${D}\"\nFROM r/s@$Q\nFROM r/e@$E\n",
        "upstream r/q:1@D D\nupstream r/s@$D $D\nupstream r/e@$D $D",
    ),
    (
        "blanks",
        "FROM debian@D\x0cAS x\nFROM x\nFROM alpine@D\x0bas y\nFROM y\n",
        "upstream debian@D D\nupstream alpine@D D",
    ),
];

/// The base images of [`READER_CASES`] as BuildKit reads them, alike in `pipegen tags` and in
/// both platforms' tag scripts under dash with gawk, mawk and busybox awk.
#[test]
fn base_images_are_read_as_buildkit_reads_them_by_rust_and_every_awk() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("pipegen.yaml"), READER_MODEL).unwrap();
    for (context, dockerfile, _) in READER_CASES {
        std::fs::create_dir_all(repo.join(context)).unwrap();
        std::fs::write(
            repo.join(context).join("Dockerfile"),
            dockerfile.replace("@D", &format!("@{PINNED}")).replace("=D", &format!("={PINNED}")),
        )
        .unwrap();
    }
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "base images read as BuildKit reads them"]);
    let commit = git(&repo, &["rev-parse", "HEAD"]).trim().to_string();
    let plan = plan_of("pipegen.yaml", READER_MODEL);

    let computed = pipegen::commands::tags::compute(&repo, &plan, &commit, Target::Gitlab, Bases::Resolve).unwrap();
    for (context, _, upstream) in READER_CASES {
        let build = plan.builds.iter().position(|b| &*b.this.id.image == *context).expect(context);
        let part =
            computed.builds[build].parts.as_ref().unwrap().iter().find(|(k, _)| k == "upstream").unwrap().1.clone();
        let want = format!(
            "from {context}/Dockerfile\n{}",
            upstream.replace(" D", &format!(" {PINNED}")).replace("@D", &format!("@{PINNED}"))
        );
        assert_eq!(part, want, "{context}");
    }

    // An `awk` on PATH for each implementation.
    let awks: [(&str, String); 3] = [
        ("gawk", format!("exec {} \"$@\"", support::tool("gawk").display())),
        ("mawk", format!("exec {} \"$@\"", support::tool("mawk").display())),
        ("busybox awk", format!("exec {} awk \"$@\"", support::tool("busybox").display())),
    ];
    for (name, exec) in &awks {
        let bin = dir.path().join(name.replace(' ', "-"));
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("awk"), format!("#!/bin/sh\n{exec}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(bin.join("awk"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
        for target in Target::ALL {
            let want = expected(&repo, &plan, &commit, target);
            let file = dir.path().join(format!("tag-{target}.sh"));
            std::fs::write(&file, script(target, &plan)).expect("write the script");
            for (b, build) in plan.builds.iter().enumerate() {
                let mut env = job_env(&plan, b, &want, &commit);
                env.push(("PATH".to_string(), path.clone()));
                let (code, stdout, stderr) = run_with("dash", &file, &repo, &env);
                assert_eq!(code, 0, "{} fails under dash with {name} ({target}):\n{stderr}", build.id());
                assert_eq!(
                    stdout.trim_end(),
                    want[b],
                    "dash with {name} computes another tag for {} ({target})",
                    build.id()
                );
            }
        }
    }
}
