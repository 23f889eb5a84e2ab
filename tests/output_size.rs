//! Issue 8: every seed model's output is smaller than when the issue was filed (eight still miss
//! it since issue 10: see `MISSES`), and a pipeline
//! embeds only the script parts its model uses (the `.dockerignore` filter, 10 KB, only when a
//! content-tagged build's context has an ignore file).

mod support;

use std::path::Path;

/// The size in bytes of each committed output at commit d92a5aa, when issue 8 was filed (`git
/// show d92a5aa:<path> | wc -c`), from the brief of the compact-output work.
const WHEN_FILED: &[(&str, usize)] = &[
    ("generated/citus/gitlab-ci.yml", 34_676),
    ("generated/citus/github-workflow.yml", 91_110),
    ("generated/gdk/gitlab-ci.yml", 24_499),
    ("generated/gdk/github-workflow.yml", 48_038),
    ("generated/kolla/gitlab-ci.yml", 89_485),
    ("generated/kolla/github-workflow.yml", 180_124),
    ("generated/vitess/gitlab-ci.yml", 23_366),
    ("generated/vitess/github-workflow.yml", 55_059),
    (".gitlab-ci.yml", 7_038),
    ("generated/pipegen/github-workflow.yml", 18_646),
];

/// Outputs that miss the issue's target, each with the bound it is held to instead and why
/// (docs/performance.md, "Output size"). Issue 10's release features (alias tags, the push
/// policy's local images and self-run services, platform and merge jobs, base-image lookups)
/// put every seed over it; writing each repeated node once (YAML anchors) and a split build's
/// shared variables once (a hidden job on GitLab) brought four back under it, and repeated
/// literal blocks (platform, argument and parent lists) kept Kolla's workflow under it after
/// later fixes grew every workflow. What is left over
/// is the shared build script, which every file carries once: most of a small model's file.
/// These bounds only keep outputs from growing unnoticed: lower them as the scripts shrink;
/// never raise them without saying why.
const MISSES: &[(&str, usize, &str)] = &[
    (
        "generated/kolla/github-workflow.yml",
        180_852,
        "under its d92a5aa size (by 1.8 KB) until every command of the build job's functions whose failure matters stopped its function and named what failed, as errexit is off in them (1 KB), in a run that does not push the job image started without its entrypoint (16 bytes), and the `tcp` checks of its smoke test's services refused listeners on loopback only, which jobs cannot reach (about 0.15 KB each, twelve of them); the local-run step asks for each image before starting it and names an image the run's cache did not hand on (0.24 KB)",
    ),
    (
        "generated/kolla/gitlab-ci.yml",
        90_363,
        "under its d92a5aa size (by 70 bytes) until every command of the build job's functions whose failure matters stopped its function and named what failed, as errexit is off in them (0.9 KB)",
    ),
    (
        "generated/gdk/github-workflow.yml",
        53_462,
        "under its d92a5aa size (48,038 bytes) until the base-image reader read FROM images and ARG defaults as BuildKit's shell lexer does (quotes, escapes, nested defaults: 1.3 KB); the local-images step logs in to the registry, in a docker configuration of its own, before it starts containers whose image may have to be pulled (0.4 KB); in a run that does not push, a `cmd` health check runs in its service's container, with `docker exec` from the runner, as when the run pushes (0.2 KB); the script runner names a missing `timeout` in the job image at once (0.2 KB); in a run that does not push, every platform job of a split build saves its own local image and a child restores its parent's of the same platform (0.2 KB); on GitHub, the local-run script passes every docker argument as one word and checks variable names, ports and images (0.4 KB), a child build names why a parent's tag may not arrive (GitHub drops an output holding a secret: 0.2 KB), the merge queue's trigger and concurrency group and hidden artifact files (0.1 KB); curl's `-g` in health probes and no run that pushes cancelled, whatever its branch (`cancel-in-progress` negates the push condition: 0.2 KB); the `.gitattributes` on the way to what a build reads, in its content tag (recipe v5: 0.8 KB); every command of the build job's functions whose failure matters stops its function and names what failed, as errexit is off in them (0.8 to 1 KB); in a run that does not push, the job image started without its entrypoint (16 bytes), the hour each attempt of a job that retries gets without a `timeout` (0.2 KB), and the `http` and `tcp` checks asking the service's own address as jobs reach it (0.3 KB); the local-run step asks for each image before starting it and names an image the run's cache did not hand on (0.24 KB)",
    ),
    (
        "generated/citus/gitlab-ci.yml",
        42_252,
        "the build script with the alias script (Citus's dev and release tags) and the push policy; skipping here-document bodies in the base-image reader (1.2 KB) and reading its parser directives and byte-order mark (0.3 KB); the default branch's pipelines never auto-cancelled (43 bytes); reading FROM images and ARG defaults as BuildKit's shell lexer does (quotes, escapes, nested defaults: 1.3 KB); job images started without their entrypoint, as on GitHub (`entrypoint: [\"\"]`, 18 bytes a job); its check-* jobs need the `build` of their Postgres version, whose files they use (12 needs, 0.1 KB); the `.gitattributes` on the way to what a build reads, in its content tag (recipe v5: 0.8 KB); every command of the build job's functions whose failure matters stops its function and names what failed, as errexit is off in them (0.8 to 1 KB)",
    ),
    (
        "generated/gdk/gitlab-ci.yml",
        34_350,
        "the build script: the push policy, the upstream base-image lookup, following symbolic links (0.6 KB) and skipping here-document bodies in the base-image reader (1.2 KB) and reading its parser directives and byte-order mark (0.3 KB); the default branch's pipelines never auto-cancelled (43 bytes); a `cmd` health check bounded by `timeout`, whose absence from the job image is named at once (68 bytes); curl's `-g` (1 byte); the cache helper image as a pipeline variable users can point at a mirror (0.2 KB); reading FROM images and ARG defaults as BuildKit's shell lexer does (quotes, escapes, nested defaults: 1.3 KB); job images started without their entrypoint, as on GitHub (`entrypoint: [\"\"]`, 18 bytes a job); the `.gitattributes` on the way to what a build reads, in its content tag (recipe v5: 0.8 KB); every command of the build job's functions whose failure matters stops its function and names what failed, as errexit is off in them (0.8 to 1 KB); the cache-key job's `sha256sum --`, for key files named like options (3 bytes)",
    ),
    (
        "generated/vitess/gitlab-ci.yml",
        43_356,
        "its root context has a .dockerignore here, so it embeds the filter (about 10.5 KB), which d92a5aa did not have; the push policy; skipping here-document bodies in the base-image reader (1.2 KB) and reading its parser directives and byte-order mark (0.3 KB); reading FROM images and ARG defaults as BuildKit's shell lexer does (quotes, escapes, nested defaults: 1.3 KB); job images started without their entrypoint, as on GitHub (`entrypoint: [\"\"]`, 18 bytes a job); the `.gitattributes` on the way to what a build reads, in its content tag (recipe v5: 0.8 KB); every command of the build job's functions whose failure matters stops its function and names what failed, as errexit is off in them (0.8 to 1 KB)",
    ),
    (
        "generated/vitess/github-workflow.yml",
        70_062,
        "the .dockerignore filter (about 10.5 KB), the push policy's self-run services and skipping here-document bodies in the base-image reader (1.2 KB) and reading its parser directives and byte-order mark (0.3 KB), and local images found by a later attempt of the run and artifacts named by attempt (0.9 KB: a `restore-keys` per restore, six of them); reading FROM images and ARG defaults as BuildKit's shell lexer does (quotes, escapes, nested defaults: 1.3 KB); the local-images step logs in to the registry, in a docker configuration of its own, before it starts containers whose image may have to be pulled (0.4 KB); in a run that does not push, a `cmd` health check runs in its service's container, with `docker exec` from the runner, as when the run pushes (0.2 KB); the script runner names a missing `timeout` in the job image at once (0.2 KB); in a run that does not push, every platform job of a split build saves its own local image and a child restores its parent's of the same platform (0.2 KB); on GitHub, the local-run script passes every docker argument as one word and checks variable names, ports and images (0.4 KB), a child build names why a parent's tag may not arrive (GitHub drops an output holding a secret: 0.2 KB), the merge queue's trigger and concurrency group and hidden artifact files (0.1 KB); curl's `-g` in health probes and no run that pushes cancelled, whatever its branch (`cancel-in-progress` negates the push condition: 0.2 KB); the `.gitattributes` on the way to what a build reads, in its content tag (recipe v5: 0.8 KB); every command of the build job's functions whose failure matters stops its function and names what failed, as errexit is off in them (0.8 to 1 KB); in a run that does not push, the job image started without its entrypoint (16 bytes), the hour each attempt of a job that retries gets without a `timeout` (0.2 KB), and the `http` check asking the service's own address as jobs reach it (0.3 KB); the local-run step asks for each image before starting it and names an image the run's cache did not hand on (0.24 KB)",
    ),
    (
        ".gitlab-ci.yml",
        24_129,
        "two builds: the build script is most of it (following symbolic links: 0.6 KB; skipping here-document bodies in the base-image reader: 1.2 KB; its parser directives: 0.3 KB; the default branch's pipelines never auto-cancelled: 43 bytes); d92a5aa's tags job was smaller and hashed less; reading FROM images and ARG defaults as BuildKit's shell lexer does (quotes, escapes, nested defaults: 1.3 KB); the `.gitattributes` on the way to what a build reads, in its content tag (recipe v5: 0.8 KB); every command of the build job's functions whose failure matters stops its function and names what failed, as errexit is off in them (0.8 to 1 KB)",
    ),
    (
        "generated/pipegen/github-workflow.yml",
        38_474,
        "two builds: the build script is most of it, with the push policy's steps (skipping here-document bodies in the base-image reader: 1.2 KB; its parser directives: 0.3 KB; local images found by a later attempt of the run: 0.3 KB); reading FROM images and ARG defaults as BuildKit's shell lexer does (quotes, escapes, nested defaults: 1.3 KB); the local-images step logs in to the registry, in a docker configuration of its own, before it starts containers whose image may have to be pulled (0.4 KB); in a run that does not push, a `cmd` health check runs in its service's container, with `docker exec` from the runner, as when the run pushes (0.2 KB); the script runner names a missing `timeout` in the job image at once (0.2 KB); in a run that does not push, every platform job of a split build saves its own local image and a child restores its parent's of the same platform (0.2 KB); on GitHub, the local-run script passes every docker argument as one word and checks variable names, ports and images (0.4 KB), a child build names why a parent's tag may not arrive (GitHub drops an output holding a secret: 0.2 KB), the merge queue's trigger and concurrency group and hidden artifact files (0.1 KB); curl's `-g` in health probes and no run that pushes cancelled, whatever its branch (`cancel-in-progress` negates the push condition: 0.2 KB); the `.gitattributes` on the way to what a build reads, in its content tag (recipe v5: 0.8 KB); every command of the build job's functions whose failure matters stops its function and names what failed, as errexit is off in them (0.8 to 1 KB); in a run that does not push, the job image started without its entrypoint (16 bytes), and the hour each attempt of a job that retries gets without a `timeout` (0.2 KB); the local-run step asks for each image before starting it and names an image the run's cache did not hand on (0.24 KB)",
    ),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_seed_models_output_is_smaller_than_when_issue_8_was_filed_or_within_its_bound() {
    let mut problems = Vec::new();
    for (path, then) in WHEN_FILED {
        let size = std::fs::metadata(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}")).len() as usize;
        match MISSES.iter().find(|(p, _, _)| p == path) {
            Some((_, bound, why)) => {
                if size > *bound {
                    problems.push(format!("{path}: {size} bytes, over its bound {bound} ({why})"));
                }
                eprintln!("{path}: {size} bytes, {then} at d92a5aa: misses the target ({why})");
            }
            None => {
                if size > *then {
                    problems.push(format!("{path}: {size} bytes, more than {then} at d92a5aa"));
                }
                eprintln!("{path}: {size} bytes, {}% of {then} at d92a5aa", size * 100 / then);
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The committed outputs embed the `.dockerignore` filter exactly when the repository has an
/// ignore file for a content-tagged build of their model (here: only vitess, whose root context is
/// this repository's root, which has a `.dockerignore`).
#[test]
fn only_outputs_whose_contexts_have_an_ignore_file_embed_the_filter() {
    let mut with_filter = Vec::new();
    for (path, _) in WHEN_FILED {
        let text = std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        if text.contains("awk -v builder=") {
            with_filter.push(*path);
        }
    }
    assert_eq!(with_filter, ["generated/vitess/gitlab-ci.yml", "generated/vitess/github-workflow.yml"]);
}

/// `pipegen emit` in a repository: a context without an ignore file gets no filter (and the
/// builder image installs no awk); once the context has one, `pipegen check` says the output is
/// stale, and emitting again embeds the filter.
#[test]
fn an_ignore_file_decides_the_filter_and_makes_the_output_stale() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let repo = dir.path();
    std::fs::create_dir_all(repo.join(".git")).expect("a repository root");
    std::fs::create_dir_all(repo.join("app")).expect("a context");
    std::fs::write(repo.join("app/Dockerfile"), "FROM scratch\n").expect("a Dockerfile");
    std::fs::write(
        repo.join("pipegen.yaml"),
        "pipegen: 1\nname: t\nregistry: registry.example.com/t\noutputs:\n  gitlab: .gitlab-ci.yml\n  github: .github/workflows/images.yml\nimages:\n  app: { context: app }\n",
    )
    .expect("a model");
    let pipegen = |args: &[&str]| support::run(support::pipegen().args(args).current_dir(repo));
    let outputs = || {
        [".gitlab-ci.yml", ".github/workflows/images.yml"]
            .map(|p| std::fs::read_to_string(repo.join(p)).unwrap_or_else(|e| panic!("{p}: {e}")))
    };

    let (code, _, err) = pipegen(&["emit"]);
    assert_eq!(code, 0, "{err}");
    for text in outputs() {
        assert!(!text.contains("awk -v builder="), "no ignore file, yet the output has the filter:\n{text}");
        assert!(text.contains("has an ignore file: regenerate with pipegen emit"), "no run-time guard:\n{text}");
    }
    let (code, _, err) = pipegen(&["check"]);
    assert_eq!(code, 0, "{err}");

    std::fs::write(repo.join("app/.dockerignore"), "*.md\n").expect("an ignore file");
    let (code, out, err) = pipegen(&["check"]);
    assert_ne!(code, 0, "check did not notice the ignore file:\n{out}{err}");
    let (code, _, err) = pipegen(&["emit"]);
    assert_eq!(code, 0, "{err}");
    for text in outputs() {
        assert!(text.contains("awk -v builder="), "the output emitted again has no filter:\n{text}");
    }
    let (code, _, err) = pipegen(&["check"]);
    assert_eq!(code, 0, "{err}");
}

/// Service probes: a pipeline holds the probe code of the health-check kinds its services use.
#[test]
fn the_wait_script_holds_only_the_probe_kinds_used() {
    let model = |probe: &str| {
        format!(
            "pipegen: 1\nname: t\nregistry: registry.example.com/t\nservices:\n  db:\n    image: redis:7.4\n    port: 6379\n    health: {{ {probe}, timeout: 30s }}\njobs:\n  j:\n    stage: test\n    image: alpine:3.20\n    services: [db]\n    script: [\"true\"]\n"
        )
    };
    for (probe, present, absent) in [
        ("tcp: true", "/dev/tcp", ["curl", "PIPEGEN_SERVICE_HOST"]),
        ("http: /health", "curl", ["/dev/tcp", "PIPEGEN_SERVICE_HOST"]),
        ("cmd: redis-cli ping", "PIPEGEN_SERVICE_HOST", ["curl", "/dev/tcp"]),
    ] {
        let text = model(probe);
        let loaded = pipegen::model::load("pipegen.yaml", &text).unwrap_or_else(|e| panic!("{probe}: {e:?}"));
        let plan = pipegen::plan::build(&loaded, "pipegen.yaml").unwrap_or_else(|e| panic!("{probe}: {e:?}"));
        let gitlab = pipegen::emit::render(&plan, pipegen::emit::Target::Gitlab);
        assert!(gitlab.contains(present), "{probe}: no {present}:\n{gitlab}");
        for word in absent {
            assert!(!gitlab.contains(word), "{probe}: {word} although no service uses it:\n{gitlab}");
        }
    }
}
