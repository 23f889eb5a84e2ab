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

use pipegen::emit::{Target, github, gitlab, scripts};
use pipegen::plan::{Plan, TagMode};

/// A model of this test's own: a content-tagged parent with an axis whose entries carry named
/// fields, one of them choosing its context; build arguments with a literal `$`, quotes, a
/// newline and non-ASCII text (the recipe counts bytes); a plain input, glob inputs (one at the
/// root, one under a directory, one whose directory is missing); a tool whose context has a
/// `.dockerignore` that BuildKit and buildah read differently (`**foo`); a child of the root
/// context with its Dockerfile's own ignore file, a target, two parents and arguments that refer
/// to them; a commit-tagged grandchild; a context written with a trailing `/`.
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

/// Ignore files and the files they judge, written into every test repository.
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
    let computed = pipegen::commands::tags::compute(repo, plan, commit, target).expect("git answers");
    computed.builds.into_iter().map(|b| b.tag).collect()
}

/// `target`'s build script's functions, then one build's tag computation.
fn script(target: Target) -> String {
    let platform = match target {
        Target::Gitlab => gitlab::PLATFORM,
        Target::Github => github::PLATFORM,
    };
    let library = scripts::build_library(platform, &pipegen::plan::Policy::default());
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
        // Each platform's script, by its builder's ignore rules; the shells agree with Rust.
        let mut want = Vec::new();
        for target in Target::ALL {
            let file = dir.path().join(format!("tag-{target}.sh"));
            std::fs::write(&file, script(target)).expect("write the script");
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
    let base = plan.builds.iter().position(|b| b.this.id.image == "base").expect("base");
    let tool = plan.builds.iter().position(|b| b.this.id.image == "tool").expect("tool");
    let app = plan.builds.iter().position(|b| b.this.id.image == "app").expect("app");
    assert_ne!(before[base], after[base], "a file a glob input matches is part of the tag");
    assert_ne!(before[app], after[app], "a parent's new tag changes its child's");
    assert_eq!(before[tool], after[tool], "an unrelated image keeps its tag");

    let changed = OWN_MODEL.replace("naïve", "naive");
    let other = plan_of("pipegen.yaml", &changed);
    let with_other_arg = expected(&repo, &other, &commit, Target::Gitlab);
    assert_ne!(after[base], with_other_arg[base], "a build argument is part of the tag");
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
    let tool = plan.builds.iter().position(|b| b.this.id.image == "tool").expect("tool");
    let app = plan.builds.iter().position(|b| b.this.id.image == "app").expect("app");
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
    let file = dir.path().join("tag.sh");
    std::fs::write(&file, script(Target::Gitlab)).expect("write the script");
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

#[test]
fn a_parent_tag_that_did_not_arrive_is_named() {
    let plan = plan_of("pipegen.yaml", OWN_MODEL);
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("tag.sh");
    std::fs::write(&file, script(Target::Gitlab)).expect("write the script");
    let repo = dir.path().join("repo");
    let commit = repository(&repo, &plan);
    let app = plan.builds.iter().position(|b| b.this.id.image == "app").expect("app");
    let mut env = job_env(&plan, app, &vec!["x".to_string(); plan.builds.len()], &commit);
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
        std::fs::write(&stand_in, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done >> \"$ARGUMENTS\"\n")
            .expect("write a stand-in");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&stand_in, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let app = plan.builds.iter().position(|b| b.this.id.image == "app").expect("app");
    let tags: Vec<String> = (0..plan.builds.len()).map(|i| format!("tag{i}")).collect();
    let base = plan.builds.iter().position(|b| b.this.id.image == "base").expect("base");
    let tool = plan.builds.iter().position(|b| b.this.id.image == "tool").expect("tool");
    let registry = "registry.example.com/tags";
    for target in Target::ALL {
        let platform = match target {
            Target::Gitlab => gitlab::PLATFORM,
            Target::Github => github::PLATFORM,
        };
        let library = scripts::build_library(platform, &pipegen::plan::Policy::default());
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
    let base = plan.builds.iter().position(|b| b.this.id.image == "base").expect("base");
    // The tag, as the tag script alone computes it.
    let tag_file = dir.path().join("tag.sh");
    std::fs::write(&tag_file, script(Target::Gitlab)).expect("write the tag script");
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
            let library = scripts::build_library(platform, &pipegen::plan::Policy::default());
            let file = dir.path().join("step.sh");
            std::fs::write(&file, format!("set -u\n{library}\npipegen_tag_step\n")).expect("write the step");
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
