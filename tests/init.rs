//! `pipegen init` through the real binary, on repositories shaped like the seed systems
//! (tests/fixtures/init/): the image graph it infers, exactly; what it lists instead of guessing;
//! and that what it writes is a model `pipegen emit` and `pipegen check` accept.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use pretty_assertions::assert_eq;
use tempfile::TempDir;

/// A copy of a fixture tree in a directory named after it (the model's name comes from there).
struct Tree {
    _dir: TempDir,
    path: PathBuf,
}

/// Not a Dockerfile: read as one, it would show up as an image that cannot be inferred.
const JUNK: &str = "this is not a Dockerfile\n";

/// Copy `tests/fixtures/init/<fixture>`, with Dockerfiles in places init must skip: installed
/// packages and build output, and, in a git work tree, a directory `.gitignore` ignores.
fn tree(fixture: &str, git: bool) -> Tree {
    let dir = tempfile::Builder::new().prefix("pipegen-init-").tempdir().expect("create a temporary directory");
    let path = dir.path().join(fixture);
    support::copy_dir(&support::repo().join("tests/fixtures/init").join(fixture), &path);
    write(&path.join("node_modules/leftpad/Dockerfile"), JUNK);
    write(&path.join("target/release/Dockerfile"), JUNK);
    if git {
        git_init(&path);
        write(&path.join(".gitignore"), "/ignored/\n");
        write(&path.join("ignored/Dockerfile"), JUNK);
    }
    Tree { _dir: dir, path }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("create a directory");
    std::fs::write(path, text).expect("write a file");
}

fn git_init(path: &Path) {
    let (code, _, stderr) =
        support::run(Command::new("git").args(["-c", "init.defaultBranch=main", "init", "-q"]).current_dir(path));
    assert_eq!(code, 0, "git init: {stderr}");
}

/// `pipegen init` in `dir`, which must succeed; the model it wrote and its stderr.
fn init(dir: &Path) -> (String, String) {
    let (code, stdout, stderr) = support::pipegen_in(dir, &["init"]);
    assert_eq!(code, 0, "pipegen init failed:\n{stderr}");
    assert_eq!(stdout, "", "pipegen init writes the model, it does not print it");
    let text = std::fs::read_to_string(dir.join("pipegen.yaml")).expect("pipegen init wrote pipegen.yaml");
    (text, stderr)
}

/// One line per image of the model, in model order:
/// `name: from=[…] context=… [dockerfile=…] [target=…]`, a parent passed in an argument of its
/// own shown as `parent as ARG`. pipegen init never writes `args`.
fn graph(text: &str) -> Vec<String> {
    let loaded = pipegen::model::load("pipegen.yaml", text)
        .unwrap_or_else(|e| panic!("pipegen init wrote a model pipegen rejects:\n{}\n{text}", e.render(false)));
    loaded
        .model
        .images
        .iter()
        .map(|(name, image)| {
            assert!(image.args.is_empty(), "pipegen init wrote args for {name}:\n{text}");
            let from: Vec<String> = image
                .from
                .iter()
                .flat_map(|f| f.refs())
                .map(|r| match r.arg {
                    Some(arg) => format!("{} as {arg}", r.image),
                    None => r.image.to_string(),
                })
                .collect();
            let mut line =
                format!("{name}: from=[{}] context={}", from.join(", "), image.context.as_deref().unwrap_or("-"));
            if let Some(dockerfile) = &image.dockerfile {
                line.push_str(&format!(" dockerfile={dockerfile}"));
            }
            if let Some(target) = &image.target {
                line.push_str(&format!(" target={target}"));
            }
            line
        })
        .collect()
}

/// The written model is one pipegen accepts: `emit` writes its outputs, `check` then finds them
/// current.
fn assert_emits_and_checks(dir: &Path, model: &str) {
    let (code, _, stderr) = support::pipegen_in(dir, &["emit", "--model", model]);
    assert_eq!(code, 0, "pipegen emit on the inferred model:\n{stderr}");
    let (code, stdout, stderr) = support::pipegen_in(dir, &["check", "--model", model]);
    assert_eq!(code, 0, "pipegen check after emit:\n{stdout}{stderr}");
}

/// Every seed-shaped tree, walked and through git: the same model, emitted and checked. The
/// model and what init said on stderr.
fn infer_repository(fixture: &str, expected: &[&str]) -> (String, String) {
    let walked = tree(fixture, false);
    let (text, stderr) = init(&walked.path);
    assert_eq!(graph(&text), expected, "{text}");
    assert!(!stderr.contains("not inferred"), "{stderr}");
    assert_emits_and_checks(&walked.path, "pipegen.yaml");

    let tracked = tree(fixture, true);
    let (git_text, git_stderr) = init(&tracked.path);
    assert_eq!(git_text, text, "git's file list and the walk find the same Dockerfiles and sources");
    assert_eq!(git_stderr, stderr);
    assert_emits_and_checks(&tracked.path, "pipegen.yaml");
    (text, stderr)
}

fn infer_seed(fixture: &str, expected: &[&str]) -> String {
    infer_repository(fixture, expected).0
}

/// The `pipegen: external: …` lines of init's stderr.
fn externals(stderr: &str) -> Vec<&str> {
    stderr.lines().filter_map(|l| l.strip_prefix("pipegen: external: ")).collect()
}

#[test]
fn gdk_base_components_and_a_final_multi_stage_image() {
    let text = infer_seed(
        "gdk",
        &[
            "base: from=[] context=images/base",
            "gems: from=[base] context=gems dockerfile=images/gems.Dockerfile",
            "gitaly: from=[base] context=gitaly dockerfile=images/gitaly.Dockerfile",
            "workhorse: from=[base] context=workhorse dockerfile=images/workhorse.Dockerfile",
            "gdk: from=[base, gems, gitaly, workhorse] context=. dockerfile=images/gdk.Dockerfile",
            "runtime: from=[base, gems, gitaly, workhorse] context=. dockerfile=images/gdk.Dockerfile target=runtime",
            "qa: from=[runtime] context=qa dockerfile=images/qa.Dockerfile",
        ],
    );
    // Workhorse is a parent, but the Dockerfile copies from a fixed tag: the model says so.
    assert!(
        text.contains(
            "  gdk:\n    # line 13: COPY --from=registry.gitlab.com/gitlab-org/gdk/workhorse:main names image `workhorse`\n"
        ),
        "{text}"
    );
    assert!(text.contains("    # Its context is the whole repository, so every commit gives it a new content tag;"));
}

#[test]
fn citus_builders_testers_and_an_independent_stylechecker() {
    let text = infer_seed(
        "citus",
        &[
            "extbuilder: from=[] context=circleci/images/extbuilder",
            "stylechecker: from=[] context=circleci/images/stylechecker",
            "exttester: from=[extbuilder] context=circleci/images/exttester",
            "failtester: from=[exttester as BASE] context=circleci/images/failtester",
        ],
    );
    // failtester reads exttester from `ARG BASE=citus/exttester:17.5`: pipegen passes it there.
    assert!(text.contains("    from: { image: exttester, arg: BASE }\n"), "{text}");
    // The Postgres versions stay in the Dockerfiles, where a bump takes effect; the model lists them.
    assert!(
        text.contains(
            "  extbuilder:\n    # External: line 2: FROM buildpack-deps:bookworm: not built in this repository.\n    # Build arguments with defaults, kept in the Dockerfile (set one in `args` only to override it):\n    # `PG_MAJOR=17`, `PG_VERSION=17.5`.\n    context: circleci/images/extbuilder\n"
        ),
        "{text}"
    );
}

#[test]
fn kolla_base_openstack_base_services_and_infra_images() {
    infer_seed(
        "kolla",
        &[
            "base: from=[] context=docker/base",
            "cron: from=[base] context=docker/cron",
            "fluentd: from=[base] context=docker/fluentd dockerfile=docker/fluentd/Containerfile",
            "mariadb-server: from=[base] context=docker/mariadb/mariadb-server",
            "openstack-base: from=[base] context=docker/openstack-base",
            "rabbitmq: from=[base] context=docker/rabbitmq",
            "glance-api: from=[openstack-base] context=docker/glance/glance-api",
            "keystone: from=[openstack-base] context=docker/keystone/keystone",
            "nova-base: from=[openstack-base] context=docker/nova/nova-base",
            "nova-api: from=[nova-base] context=docker/nova/nova-api",
        ],
    );
}

#[test]
fn vitess_bootstrap_base_and_the_lite_stage() {
    let text = infer_seed(
        "vitess",
        &[
            "bootstrap: from=[] context=docker/bootstrap",
            "base: from=[bootstrap] context=. dockerfile=docker/base/Dockerfile",
            "lite: from=[base] context=docker/lite target=lite",
            "vtgate: from=[lite] context=docker/k8s/vtgate",
            "vttablet: from=[lite] context=docker/k8s/vttablet",
        ],
    );
    insta::assert_snapshot!("vitess_model", text);
}

#[test]
fn buildpack_deps_tags_spell_suite_and_variant_directories() {
    // `FROM buildpack-deps:bookworm-curl` is the image built from debian/bookworm/curl: the
    // repository is buildpack-deps, and the tag spells the directory.
    let (text, stderr) = infer_repository(
        "buildpack-deps",
        &[
            "bookworm-curl: from=[] context=debian/bookworm/curl",
            "jammy-curl: from=[] context=ubuntu/jammy/curl",
            "noble-curl: from=[] context=ubuntu/noble/curl",
            "trixie-curl: from=[] context=debian/trixie/curl",
            "bookworm-scm: from=[bookworm-curl] context=debian/bookworm/scm",
            "jammy-scm: from=[jammy-curl] context=ubuntu/jammy/scm",
            "noble-scm: from=[noble-curl] context=ubuntu/noble/scm",
            "trixie-scm: from=[trixie-curl] context=debian/trixie/scm",
            "bookworm: from=[bookworm-scm] context=debian/bookworm",
            "jammy: from=[jammy-scm] context=ubuntu/jammy",
            "noble: from=[noble-scm] context=ubuntu/noble",
            "trixie: from=[trixie-scm] context=debian/trixie",
        ],
    );
    assert_eq!(
        externals(&stderr),
        [
            "debian/bookworm/curl/Dockerfile line 7: FROM debian:bookworm: not built in this repository",
            "debian/trixie/curl/Dockerfile line 7: FROM debian:trixie: not built in this repository",
            "ubuntu/jammy/curl/Dockerfile line 7: FROM ubuntu:jammy: not built in this repository",
            "ubuntu/noble/curl/Dockerfile line 7: FROM ubuntu:noble: not built in this repository",
        ]
    );
    // The templates the Dockerfiles are generated from: one line, not a parse error each.
    let templates: Vec<&str> = stderr.lines().filter(|l| l.contains("template")).collect();
    assert_eq!(
        templates,
        [
            "pipegen: 3 templated Dockerfile(s) not read: Dockerfile-curl.template, Dockerfile-scm.template, Dockerfile.template; render them first, or point an image's `dockerfile` at the rendered output (listed in the model)"
        ]
    );
    assert!(
        text.contains(
            "  #   - Dockerfile-curl.template\n  #   - Dockerfile-scm.template\n  #   - Dockerfile.template\n"
        ),
        "{text}"
    );
    // The tag is written out, so the build would pull the published image: the note says how to
    // let the pipeline pass its own build instead.
    assert!(
        text.contains("    # `ARG BOOKWORM_CURL_IMAGE=buildpack-deps:bookworm-curl` before the first FROM and\n    # `FROM ${BOOKWORM_CURL_IMAGE}`.\n    from: bookworm-curl\n"),
        "{text}"
    );
}

#[test]
fn docker_stacks_parents_arrive_as_base_image() {
    // Every image reads its parent as `ARG BASE_IMAGE=$REGISTRY/$OWNER/<parent>` /
    // `FROM $BASE_IMAGE`; the model passes each parent there, and leaves the Dockerfiles alone.
    let (text, stderr) = infer_repository(
        "docker-stacks",
        &[
            "docker-stacks-foundation: from=[] context=images/docker-stacks-foundation",
            "pinned-base: from=[] context=docs/using/recipe_code dockerfile=docs/using/recipe_code/pinned_base.dockerfile",
            "base-notebook: from=[docker-stacks-foundation as BASE_IMAGE] context=images/base-notebook",
            "mamba-install: from=[base-notebook as BASE_IMAGE] context=docs/using/recipe_code dockerfile=docs/using/recipe_code/mamba_install.dockerfile",
            "minimal-notebook: from=[base-notebook as BASE_IMAGE] context=images/minimal-notebook",
            "julia-notebook: from=[minimal-notebook as BASE_IMAGE] context=images/julia-notebook",
            "r-notebook: from=[minimal-notebook as BASE_IMAGE] context=images/r-notebook",
            "scipy-notebook: from=[minimal-notebook as BASE_IMAGE] context=images/scipy-notebook",
            "cuda: from=[scipy-notebook as BASE_IMAGE] context=images/tensorflow-notebook/cuda",
            "cuda12: from=[scipy-notebook as BASE_IMAGE] context=images/pytorch-notebook/cuda12",
            "datascience-notebook: from=[scipy-notebook as BASE_IMAGE] context=images/datascience-notebook",
            "pyspark-notebook: from=[scipy-notebook as BASE_IMAGE] context=images/pyspark-notebook",
            "pytorch-notebook: from=[scipy-notebook as BASE_IMAGE] context=images/pytorch-notebook",
            "tensorflow-notebook: from=[scipy-notebook as BASE_IMAGE] context=images/tensorflow-notebook",
            "all-spark-notebook: from=[pyspark-notebook as BASE_IMAGE] context=images/all-spark-notebook",
        ],
    );
    assert!(text.contains("  minimal-notebook:\n    from: { image: base-notebook, arg: BASE_IMAGE }\n"), "{text}");
    // A published release pinned by digest is never this repository's build, whatever its name.
    assert_eq!(
        externals(&stderr),
        [
            "docs/using/recipe_code/pinned_base.dockerfile line 2: FROM quay.io/jupyter/base-notebook:2026-07-28@sha256:3b1fbb4fbc6ed4df9ba9c7bd8c8a2d15b7a7a8e8d69a7cb4b5b1e1f1c0a9d8e7: pinned by digest: a published image, never this pipeline's build",
            "images/docker-stacks-foundation/Dockerfile line 7: FROM $ROOT_IMAGE: `ubuntu:24.04` is not built in this repository",
        ]
    );
    // ARG defaults stay in the Dockerfiles (a bump there takes effect); an ARG without one is
    // required: on stderr, and as an entry to fill in.
    assert!(
        text.contains("    # `NB_GID=100`, `NB_UID=1000`, `NB_USER=jovyan`, `PYTHON_VERSION=3.12`,\n    # `ROOT_IMAGE=ubuntu:24.04`.\n"),
        "{text}"
    );
    assert!(
        stderr.contains(
            "pipegen: image `pyspark-notebook` (images/pyspark-notebook/Dockerfile): build argument(s) without a default: spark_checksum; set them in `args` (a commented entry is in the model)\n"
        ),
        "{stderr}"
    );
    assert!(
        text.contains("    context: images/pyspark-notebook\n    # Build arguments without a default in the Dockerfile: set them here.\n    # args:\n    #   spark_checksum: \"\"\n"),
        "{text}"
    );
}

#[test]
fn osrf_tags_resolve_through_makefiles_and_directories() {
    // `FROM ros:humble-ros-base-jammy` is built from ros/humble/ubuntu/jammy/ros-base: humble's and
    // noetic's Makefiles say so (`docker build --tag=ros:… ros-base/.`, continued lines included);
    // jazzy has no Makefile, and its tags spell its directories.
    let (_, stderr) = infer_repository(
        "docker_images",
        &[
            "focal-ros-core: from=[] context=ros/noetic/ubuntu/focal/ros-core",
            "gzserver11: from=[] context=gazebo/11/ubuntu/focal/gzserver11",
            "jammy-ros-core: from=[] context=ros/humble/ubuntu/jammy/ros-core",
            "noble-ros-core: from=[] context=ros/jazzy/ubuntu/noble/ros-core",
            "focal-ros-base: from=[focal-ros-core] context=ros/noetic/ubuntu/focal/ros-base",
            "jammy-ros-base: from=[jammy-ros-core] context=ros/humble/ubuntu/jammy/ros-base",
            "libgazebo11: from=[gzserver11] context=gazebo/11/ubuntu/focal/libgazebo11",
            "noble-ros-base: from=[noble-ros-core] context=ros/jazzy/ubuntu/noble/ros-base",
            "focal-perception: from=[focal-ros-base] context=ros/noetic/ubuntu/focal/perception",
            "gzweb11: from=[libgazebo11] context=gazebo/11/ubuntu/focal/gzweb11",
            "jammy-desktop: from=[jammy-ros-base] context=ros/humble/ubuntu/jammy/desktop",
            "jammy-perception: from=[jammy-ros-base] context=ros/humble/ubuntu/jammy/perception",
            "jammy-simulation: from=[jammy-ros-base] context=ros/humble/ubuntu/jammy/simulation",
            "noble-desktop: from=[noble-ros-base] context=ros/jazzy/ubuntu/noble/desktop",
            "noble-perception: from=[noble-ros-base] context=ros/jazzy/ubuntu/noble/perception",
            "noble-simulation: from=[noble-ros-base] context=ros/jazzy/ubuntu/noble/simulation",
            "robot: from=[focal-ros-base] context=ros/noetic/ubuntu/focal/robot",
            "focal-desktop: from=[robot] context=ros/noetic/ubuntu/focal/desktop",
            "jammy-desktop-full: from=[jammy-desktop] context=ros/humble/ubuntu/jammy/desktop-full",
            "noble-desktop-full: from=[noble-desktop] context=ros/jazzy/ubuntu/noble/desktop-full",
            "focal-desktop-full: from=[focal-desktop] context=ros/noetic/ubuntu/focal/desktop-full",
        ],
    );
    assert_eq!(
        externals(&stderr),
        [
            "gazebo/11/ubuntu/focal/gzserver11/Dockerfile line 3: FROM ubuntu:focal: not built in this repository",
            "ros/humble/ubuntu/jammy/ros-core/Dockerfile line 3: FROM ubuntu:jammy: not built in this repository",
            "ros/jazzy/ubuntu/noble/ros-core/Dockerfile line 3: FROM ubuntu:noble: not built in this repository",
            "ros/noetic/ubuntu/focal/ros-core/Dockerfile line 3: FROM ubuntu:focal: not built in this repository",
        ]
    );
}

#[test]
fn templated_dockerfiles_are_reported_once() {
    let dir = tempfile::Builder::new().prefix("pipegen-init-").tempdir().unwrap();
    let repo = dir.path().join("kolla");
    write(
        &repo.join("docker/base/Dockerfile.j2"),
        "FROM {{ base_image }}:{{ base_distro_tag }}\n{% block base_header %}{% endblock %}\n",
    );
    write(&repo.join("docker/nova/nova-api/Dockerfile.j2"), "FROM {{ namespace }}/nova-base:{{ tag }}\n");
    // No template extension, but template syntax that does not parse: a template too.
    write(
        &repo.join("docker/keystone/Dockerfile"),
        "FROM {{ namespace }}/openstack-base:{{ tag }}\n{% import \"macros.j2\" as macros %}\n",
    );
    write(&repo.join("docker/cron/Dockerfile"), "FROM debian:bookworm\n");
    let (text, stderr) = init(&repo);
    assert_eq!(graph(&text), ["cron: from=[] context=docker/cron"]);
    assert_eq!(
        stderr,
        "\
pipegen: 3 templated Dockerfile(s) not read: docker/base/Dockerfile.j2, docker/keystone/Dockerfile, docker/nova/nova-api/Dockerfile.j2; render them first, or point an image's `dockerfile` at the rendered output (listed in the model)
pipegen: external: docker/cron/Dockerfile line 1: FROM debian:bookworm: not built in this repository
pipegen: note: the model names its JSON Schema, schema/pipegen.schema.json, for your editor's checks; create it with: mkdir -p schema && pipegen schema > schema/pipegen.schema.json
pipegen: wrote ./pipegen.yaml: 1 image(s) from 1 Dockerfile(s)
"
    );
    assert_emits_and_checks(&repo, "pipegen.yaml");
}

#[test]
fn the_model_is_written_with_the_permissions_the_umask_gives() {
    for (umask, mode) in [("022", 0o644), ("027", 0o640)] {
        let kolla = tree("kolla", false);
        let (code, _, stderr) = support::run(
            Command::new("sh")
                .args(["-c", &format!("umask {umask} && exec \"$0\" init"), env!("CARGO_BIN_EXE_pipegen")])
                .current_dir(&kolla.path),
        );
        assert_eq!(code, 0, "{stderr}");
        let written = std::fs::metadata(kolla.path.join("pipegen.yaml")).unwrap().permissions();
        assert_eq!(std::os::unix::fs::PermissionsExt::mode(&written) & 0o777, mode, "umask {umask}");
    }
}

/// `--force` over a `pipegen.yaml` that is a link replaces the link with a new file, which gets
/// a new file's mode: it took the mode of the link's target (0666 through a link to /dev/null).
#[test]
fn a_model_forced_over_a_link_gets_a_new_files_mode() {
    let kolla = tree("kolla", false);
    let target = kolla.path.join("shared.yaml");
    write(&target, "# shared\n");
    std::fs::set_permissions(&target, std::os::unix::fs::PermissionsExt::from_mode(0o666)).unwrap();
    std::os::unix::fs::symlink("shared.yaml", kolla.path.join("pipegen.yaml")).unwrap();
    let (code, _, stderr) = support::run(
        Command::new("sh")
            .args(["-c", "umask 022 && exec \"$0\" init --force", env!("CARGO_BIN_EXE_pipegen")])
            .current_dir(&kolla.path),
    );
    assert_eq!(code, 0, "{stderr}");
    let written = std::fs::symlink_metadata(kolla.path.join("pipegen.yaml")).unwrap();
    assert!(written.is_file(), "the link is replaced by a file");
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&written.permissions()) & 0o777, 0o644);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "# shared\n", "the link's target is left alone");
}

#[test]
fn lists_what_it_cannot_resolve_instead_of_guessing() {
    let broken = tree("broken", true);
    let (text, stderr) = init(&broken.path);
    assert_eq!(
        graph(&text),
        ["base: from=[] context=. dockerfile=base.Dockerfile", "app: from=[base] context=. dockerfile=app.Dockerfile"]
    );
    assert_eq!(
        stderr,
        "\
pipegen: not inferred: image `child` (child.Dockerfile): its parent `typo` is not inferred
pipegen: not inferred: image `missing-parent` (missing-parent.Dockerfile): line 2: FROM ${NOPE_IMAGE}: `NOPE_IMAGE` has no default value, and no image `nope` was found in the repository
pipegen: not inferred: image `typo` (typo.Dockerfile): line 3: COPY --from=bsae: `bsae` is no stage of this Dockerfile and no image found in the repository
pipegen: not inferred: image `undefined` (undefined.Dockerfile): line 1: FROM ${UNDEFINED}: `UNDEFINED` has no default value
pipegen: not inferred: image `unfinished` (Dockerfile.unfinished): it cannot be read as a Dockerfile: line 2: heredoc <<EOF is never closed
pipegen: external: base.Dockerfile line 1: FROM alpine:3.20: not built in this repository
pipegen: note: the model names its JSON Schema, schema/pipegen.schema.json, for your editor's checks; create it with: mkdir -p schema && pipegen schema > schema/pipegen.schema.json
pipegen: wrote ./pipegen.yaml: 2 image(s) from 7 Dockerfile(s); 5 not inferred, listed in it as comments
"
    );
    // In the model they are comments: what is known, and why the rest is not.
    let block = "\
  # typo (typo.Dockerfile):
  #   - line 3: COPY --from=bsae: `bsae` is no stage of this Dockerfile and no image found in the
  #     repository
  # typo:
  #   from: base
  #   context: .
  #   dockerfile: typo.Dockerfile
";
    assert!(text.contains(block), "{text}");
    for name in ["child", "missing-parent", "typo", "undefined", "unfinished"] {
        assert!(text.contains(&format!("\n  # {name}:\n")), "{name} is not listed in the model:\n{text}");
    }
    assert_emits_and_checks(&broken.path, "pipegen.yaml");
}

#[test]
fn a_written_model_is_kept_unless_forced() {
    let kolla = tree("kolla", false);
    let (text, _) = init(&kolla.path);
    let model = kolla.path.join("pipegen.yaml");
    std::fs::write(&model, "# mine\n").unwrap();

    let (code, stdout, stderr) = support::pipegen_in(&kolla.path, &["init"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        "error: ./pipegen.yaml exists; pass --force to replace it, or --stdout to print the inferred model instead\n"
    );
    assert_eq!(std::fs::read_to_string(&model).unwrap(), "# mine\n");

    let (code, stdout, stderr) = support::pipegen_in(&kolla.path, &["init", "--stdout"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, text, "--stdout prints what init writes");
    assert_eq!(std::fs::read_to_string(&model).unwrap(), "# mine\n", "--stdout writes nothing");

    let (code, _, stderr) = support::pipegen_in(&kolla.path, &["init", "--force"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read_to_string(&model).unwrap(), text);
    // No temporary file is left beside it.
    let mut entries: Vec<String> = std::fs::read_dir(&kolla.path)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert_eq!(entries, ["README.md", "docker", "node_modules", "pipegen.yaml", "target"]);
}

/// What init lists on stderr is a report, not its work: a stderr that cannot be written (full,
/// or a pipe whose reader went away) still gets the model written, and no panic (exit 101
/// before the model was written).
#[test]
fn a_stderr_that_cannot_be_written_still_gets_the_model_written() {
    let dir = tempfile::Builder::new().prefix("pipegen-init-").tempdir().unwrap();
    // Two external base images: init lists both on stderr before it writes the model.
    write(&dir.path().join("a/Dockerfile"), "FROM debian:12\n");
    write(&dir.path().join("b/Dockerfile"), "FROM debian:11\n");
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
    let (code, _, _) = support::run(support::pipegen().arg("init").current_dir(dir.path()).stderr(full));
    assert_eq!(code, 0, "init with stderr on /dev/full");
    let written = std::fs::read_to_string(dir.path().join("pipegen.yaml")).expect("init wrote pipegen.yaml");
    assert_eq!(graph(&written), ["a: from=[] context=a", "b: from=[] context=b"]);
    std::fs::remove_file(dir.path().join("pipegen.yaml")).unwrap();
    assert_eq!(support::exit_code_with_stderr_closed(dir.path(), &["init"]), Some(0), "init with stderr a closed pipe");
    assert_eq!(std::fs::read_to_string(dir.path().join("pipegen.yaml")).unwrap(), written);
}

/// A `pipegen.yaml` that links to nothing is a name taken all the same: init without `--force`
/// replaced the link.
#[test]
fn a_link_to_nothing_is_kept_unless_forced() {
    let kolla = tree("kolla", false);
    let model = kolla.path.join("pipegen.yaml");
    std::os::unix::fs::symlink("nowhere.yaml", &model).unwrap();
    let (code, _, stderr) = support::pipegen_in(&kolla.path, &["init"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(
        stderr,
        "error: ./pipegen.yaml exists; pass --force to replace it, or --stdout to print the inferred model instead\n"
    );
    assert_eq!(std::fs::read_link(&model).unwrap(), Path::new("nowhere.yaml"), "the link is left alone");
    let (code, _, stderr) = support::pipegen_in(&kolla.path, &["init", "--force"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(std::fs::symlink_metadata(&model).unwrap().is_file(), "--force replaces the link");
}

/// A directory named `pipegen.yaml` is said to be one, with or without `--force`: the write
/// failed with "the source path is neither a regular file nor a symlink to a regular file".
#[test]
fn a_directory_named_like_the_model_is_refused() {
    let kolla = tree("kolla", false);
    std::fs::create_dir(kolla.path.join("pipegen.yaml")).unwrap();
    for args in [&["init"][..], &["init", "--force"]] {
        let (code, _, stderr) = support::pipegen_in(&kolla.path, args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert_eq!(
            stderr,
            "error: ./pipegen.yaml is a directory; init writes the model to a file of that name, so move the \
             directory, or pass --stdout to print the model instead\n",
            "{args:?}"
        );
    }
    assert!(kolla.path.join("pipegen.yaml").is_dir());
    let (code, _, stderr) = support::pipegen_in(&kolla.path, &["init", "--stdout"]);
    assert_eq!(code, 0, "{stderr}");
}

/// A hand-written `.gitlab-ci.yml` keeps its path in the model (adopting the repository means
/// replacing it), with a warning that `emit` refuses to replace it until it is moved (tester: init
/// named it without a word and emit replaced it).
#[test]
fn an_existing_hand_written_pipeline_is_named_with_a_warning() {
    let dir = tempfile::Builder::new().prefix("pipegen-init-").tempdir().unwrap();
    write(&dir.path().join("images/base/Dockerfile"), "FROM debian:12\n");
    write(&dir.path().join(".gitlab-ci.yml"), "test:\n  script: [make]\n");
    git_init(dir.path());
    let (text, stderr) = init(dir.path());
    assert!(text.contains("\n  gitlab: .gitlab-ci.yml\n"), "{text}");
    assert!(
        stderr.starts_with("pipegen: warning: .gitlab-ci.yml exists and was not generated by pipegen; the model names it as `outputs.gitlab`, and `pipegen emit` will refuse to replace it until you move it away"),
        "{stderr}"
    );
    let (code, _, stderr) = support::pipegen_in(dir.path(), &["emit"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(std::fs::read_to_string(dir.path().join(".gitlab-ci.yml")).unwrap(), "test:\n  script: [make]\n");
}

/// `init DIR` does not name an output another model generated: its pipeline goes beside it,
/// with a note (tester: `init services` took the root model's `.gitlab-ci.yml`).
#[test]
fn an_output_of_another_model_is_not_taken() {
    let dir = tempfile::Builder::new().prefix("pipegen-init-").tempdir().unwrap();
    write(&dir.path().join("images/base/Dockerfile"), "FROM debian:12\n");
    write(&dir.path().join("services/api/Dockerfile"), "FROM alpine:3\n");
    git_init(dir.path());
    init(dir.path());
    assert_eq!(support::pipegen_in(dir.path(), &["emit"]).0, 0);
    let (code, _, stderr) = support::pipegen_in(dir.path(), &["init", "services"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.starts_with("pipegen: note: .gitlab-ci.yml was generated from another model, pipegen.yaml; this model's pipeline goes to services/.gitlab-ci.yml"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(dir.path().join("services/pipegen.yaml")).unwrap();
    assert!(text.contains("\n  gitlab: services/.gitlab-ci.yml\n"), "{text}");
    assert_emits_and_checks(dir.path(), "services/pipegen.yaml");
    // Run again, the model keeps its own output (not a numbered one beside it).
    let (code, _, stderr) = support::pipegen_in(dir.path(), &["init", "services", "--force"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        std::fs::read_to_string(dir.path().join("services/pipegen.yaml"))
            .unwrap()
            .contains("gitlab: services/.gitlab-ci.yml")
    );
}

#[test]
fn a_directory_inside_a_repository_gets_paths_from_the_repository_root() {
    let dir = tempfile::Builder::new().prefix("pipegen-init-").tempdir().unwrap();
    let repo = dir.path().join("mono");
    support::copy_dir(&support::repo().join("tests/fixtures/init/vitess"), &repo.join("deploy/vitess"));
    git_init(&repo);
    // Run from elsewhere: DIR is all that counts.
    let (code, _, stderr) = support::pipegen_in(dir.path(), &["init", "mono/deploy/vitess"]);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(repo.join("deploy/vitess/pipegen.yaml")).unwrap();
    assert_eq!(
        graph(&text),
        [
            "bootstrap: from=[] context=deploy/vitess/docker/bootstrap",
            "base: from=[bootstrap] context=deploy/vitess dockerfile=deploy/vitess/docker/base/Dockerfile",
            "lite: from=[base] context=deploy/vitess/docker/lite target=lite",
            "vtgate: from=[lite] context=deploy/vitess/docker/k8s/vtgate",
            "vttablet: from=[lite] context=deploy/vitess/docker/k8s/vttablet",
        ]
    );
    assert!(text.contains("\nname: vitess\n"), "{text}");
    assert_emits_and_checks(&repo, "deploy/vitess/pipegen.yaml");
    assert!(repo.join(".gitlab-ci.yml").is_file(), "outputs are relative to the repository root");
}

#[test]
fn a_repository_without_dockerfiles_gets_an_empty_model() {
    let dir = tempfile::Builder::new().prefix("pipegen-init-").tempdir().unwrap();
    let empty = dir.path().join("Empty_Repo");
    write(&empty.join("README.md"), "nothing to build\n");
    let (text, stderr) = init(&empty);
    assert_eq!(graph(&text), Vec::<String>::new());
    assert!(text.contains("\nname: empty-repo\n"), "{text}");
    assert!(stderr.contains("pipegen: no Dockerfiles found under ."), "{stderr}");
    assert_emits_and_checks(&empty, "pipegen.yaml");
}

#[test]
fn help_describes_init() {
    let (code, stdout, _) = support::run(support::pipegen().args(["init", "--help"]));
    assert_eq!(code, 0);
    for wanted in ["--force", "--stdout", "docs/init.md", "[DIR]", "[default: .]"] {
        assert!(stdout.contains(wanted), "init --help does not mention {wanted}:\n{stdout}");
    }
    // As docs/init.md says: `args` is never written, ARG defaults are only comments.
    let words = stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("It never writes `args`: ARG defaults are listed as comments"), "{stdout}");
    assert!(!words.contains("args from ARG defaults"), "{stdout}");
    let (_, stdout, _) = support::run(support::pipegen().arg("--help"));
    assert!(stdout.contains("  init "), "--help does not list init:\n{stdout}");
}

#[test]
fn dir_must_be_a_directory() {
    let dir = tempfile::Builder::new().prefix("pipegen-init-").tempdir().unwrap();
    let (code, _, stderr) = support::pipegen_in(dir.path(), &["init", "nowhere"]);
    assert_eq!(code, 2);
    assert_eq!(stderr, "error: nowhere is not a directory\n");
}

/// Directory names a model path cannot hold as they are: `$` is written `$$` (a model reads
/// `${…}` in paths), so `a$$b` and `r$x` stay themselves; a newline, a glob character or an
/// escape sequence cannot be in a model's path at all, so those images are listed as not
/// inferred, with the path escaped on stderr, and the model is still one pipegen accepts.
#[test]
fn paths_a_model_cannot_hold_as_they_are_are_escaped_or_listed() {
    let dir = tempfile::Builder::new().prefix("pipegen-init-").tempdir().expect("create a temporary directory");
    let root = dir.path().join("odd");
    for (directory, from) in [
        ("a$$b", "alpine:3.20"),
        ("r$x", "alpine:3.20"),
        ("c[1]", "alpine:3.20"),
        ("weird\nname", "alpine:3.20"),
        ("esc\u{1b}[31m", "alpine:3.20"),
        ("child", "c-1"),
    ] {
        write(&root.join(directory).join("Dockerfile"), &format!("FROM {from}\n"));
    }
    git_init(&root);
    let (text, stderr) = init(&root);
    assert_eq!(graph(&text), ["a-b: from=[] context=a$$$$b", "r-x: from=[] context=r$$x"], "{text}");
    // What the model's contexts read as: the directories themselves.
    let loaded = pipegen::model::load("pipegen.yaml", &text).expect("a model");
    let plan = pipegen::plan::build(&loaded, "pipegen.yaml").expect("a plan");
    let contexts: Vec<&str> = plan.builds.iter().map(|b| b.context.as_str()).collect();
    assert_eq!(contexts, ["a$$b", "r$x"]);
    for (image, shown, reason) in [
        ("c-1", "c[1]/Dockerfile", "its path holds `[`"),
        ("weird-name", "weird\\nname/Dockerfile", "its path holds U+000A (newline)"),
        ("esc-31m", "esc\\u{1b}[31m/Dockerfile", "its path holds U+001B (escape)"),
        ("child", "child/Dockerfile", "its parent `c-1` is not inferred"),
    ] {
        let line = format!("pipegen: not inferred: image `{image}` ({shown}): {reason}");
        assert!(stderr.lines().any(|l| l.starts_with(&line)), "no {line:?} in:\n{stderr}");
    }
    assert!(!stderr.contains('\u{1b}'), "an escape sequence reached the terminal:\n{stderr}");
    assert!(text.contains("#   context: \"c[1]\""), "{text}");
    assert_emits_and_checks(&root, "pipegen.yaml");
}

/// An image whose model entry pipegen's own check would refuse (here a 250-character directory
/// name, too long for a registry's repository name) goes to the not-inferred block with the
/// check's reason, and with it the images built on it; the rest of the model is written, and
/// accepted. A long repository directory gives a shortened model name.
#[test]
fn an_image_the_check_refuses_is_left_out_not_the_model() {
    let dir = tempfile::Builder::new().prefix("pipegen-init-").tempdir().expect("create a temporary directory");
    let path = dir.path().join("r".repeat(100));
    let long = "n".repeat(250);
    write(&path.join(format!("long/{long}/Dockerfile")), "FROM alpine\n");
    write(
        &path.join("child/Dockerfile"),
        &format!("ARG {}_IMAGE=x\nFROM ${{{}_IMAGE}}\n", long.to_uppercase(), long.to_uppercase()),
    );
    write(&path.join("ok/Dockerfile"), "FROM alpine\n");
    git_init(&path);
    let (text, stderr) = init(&path);
    let written: Vec<&str> = text.lines().filter(|l| !l.trim_start().starts_with('#')).collect();
    assert!(written.contains(&"  ok:"), "{text}");
    assert!(!written.iter().any(|l| l.contains(&long)), "the long image is not in the model: {text}");
    assert!(!written.contains(&"  child:"), "its child is not either: {text}");
    assert!(text.contains(&format!("name: {}\n", "r".repeat(63))), "{text}");
    assert!(
        stderr.contains(&format!("pipegen: not inferred: image `{long}` (long/{long}/Dockerfile): pipegen's check refuses it (repository-too-long): ")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "pipegen: not inferred: image `child` (child/Dockerfile): its parent `{long}` is not inferred"
        )),
        "{stderr}"
    );
    assert!(text.contains("repository-too-long"), "the model's comment says why: {text}");
    let (code, _, stderr) = support::pipegen_in(&path, &["emit"]);
    assert_eq!(code, 0, "pipegen emit accepts what init wrote: {stderr}");
    std::fs::remove_file(path.join(".gitlab-ci.yml")).expect("emit wrote the pipeline");
    let (code, stdout, stderr) = support::pipegen_in(&path, &["init", "--stdout"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, text, "--stdout prints the same model");
}

/// A Dockerfile reached through a symbolic link that leads out of the repository (the file
/// itself, or a directory on its path) is listed as not inferred, in the walk and through git;
/// what the link leads to is never read, nor quoted on stderr or in the model.
#[cfg(unix)]
#[test]
fn a_dockerfile_behind_a_link_out_of_the_repository_is_not_read() {
    let dir = tempfile::Builder::new().prefix("pipegen-init-").tempdir().unwrap();
    let outside = dir.path().join("outside");
    write(&outside.join("Dockerfile"), "FROM alpine:3.20\nRUN echo SECRET-OUTSIDE\n");
    write(&outside.join("passwd"), "root:x:0:0:SECRET-PASSWD:/root:/bin/sh\n");
    for git in [false, true] {
        let repo = dir.path().join(if git { "tracked" } else { "walked" });
        write(&repo.join("app/Dockerfile"), "FROM alpine:3.20\n");
        // A directory that git tracks, replaced by a link out after the commit.
        write(&repo.join("moved/Dockerfile"), "FROM alpine:3.20\n");
        std::os::unix::fs::symlink(outside.join("passwd"), repo.join("Dockerfile")).unwrap();
        std::os::unix::fs::symlink(outside.join("Dockerfile"), repo.join("other.Dockerfile")).unwrap();
        if git {
            git_init(&repo);
            support::git(&repo, &["add", "-A"]);
            support::git(&repo, &["commit", "-q", "-m", "x"]);
        }
        std::fs::remove_dir_all(repo.join("moved")).unwrap();
        std::os::unix::fs::symlink(&outside, repo.join("moved")).unwrap();
        let (text, stderr) = init(&repo);
        assert_eq!(graph(&text), ["app: from=[] context=app"], "{text}");
        let name = if git { "tracked" } else { "walked" };
        let because = |link: &str| {
            format!(
                "its path goes through the symbolic link `{link}`, which leads out of the repository: pipegen does not read it (a build would read what git does not hold); make the link name a file of the repository, relative to the link's own directory"
            )
        };
        let mut expected = Vec::new();
        if git {
            // The walk does not go into linked directories; git lists what it tracks there.
            expected.push(format!("pipegen: not inferred: image `moved` (moved/Dockerfile): {}", because("moved")));
        }
        expected
            .push(format!("pipegen: not inferred: image `other` (other.Dockerfile): {}", because("other.Dockerfile")));
        expected.push(format!("pipegen: not inferred: image `{name}` (Dockerfile): {}", because("Dockerfile")));
        let not_inferred: Vec<&str> = stderr.lines().filter(|l| l.starts_with("pipegen: not inferred")).collect();
        assert_eq!(not_inferred, expected, "{stderr}");
        for secret in ["SECRET", "secret", "alpine:3.20\nRUN"] {
            assert!(!stderr.contains(secret) && !text.contains(secret), "{stderr}\n{text}");
        }
        assert!(!stderr.contains("outside"), "the link's target is not shown:\n{stderr}");
        assert_emits_and_checks(&repo, "pipegen.yaml");
    }
}

/// BuildKit builds every stage a `RUN --mount=…,from=` names and pulls every image it names,
/// as for `COPY --from`: a parent used only through a mount is still a parent.
#[test]
fn a_parent_used_only_through_a_run_mount_is_a_parent() {
    let dir = tempfile::Builder::new().prefix("pipegen-init-").tempdir().expect("create a temporary directory");
    let path = dir.path().join("mounts");
    write(&path.join("x/Dockerfile"), "FROM alpine:3.20\n");
    write(&path.join("deps/Dockerfile"), "FROM alpine:3.20\n");
    write(
        &path.join("y/Dockerfile"),
        "ARG X_IMAGE\nFROM ${X_IMAGE} AS b\nFROM alpine:3.20\nRUN --mount=from=b,target=/b true\n",
    );
    write(
        &path.join("z/Dockerfile"),
        "FROM alpine:3.20\nRUN --mount=type=cache,target=/root/.cache,from=deps,sharing=locked true\n",
    );
    write(&path.join("typo/Dockerfile"), "FROM alpine:3.20\nRUN --mount=type=bind,from=dpes,target=/d true\n");
    git_init(&path);
    let (text, stderr) = init(&path);
    assert_eq!(
        graph(&text),
        ["deps: from=[] context=deps", "x: from=[] context=x", "y: from=[x] context=y", "z: from=[deps] context=z",],
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "pipegen: not inferred: image `typo` (typo/Dockerfile): line 2: RUN --mount=from=dpes: `dpes` is no stage of this Dockerfile and no image found in the repository"
        ),
        "{stderr}"
    );
    // `deps` is named literally: the note says how to let pipegen pass this pipeline's build.
    assert!(
        text.contains("line 2: RUN --mount=from=deps names image `deps` literally, so its build mounts `deps`"),
        "{text}"
    );
    assert!(text.contains("and `RUN --mount=from=deps,…`."), "{text}");
    assert_emits_and_checks(&path, "pipegen.yaml");
}

/// A one-component reference with a version tag (`python:3.12-slim`) is Docker Hub's official
/// image unless a build here gives it that tag: a directory named `python` does not make it this
/// repository's image, neither written out nor as the default of `ARG PYTHON_IMAGE`. Without a
/// version (`FROM python`, a local `docker build -t python`) or with a registry of its own, the
/// name still names the image.
#[test]
fn an_official_image_with_a_version_is_not_a_directory_of_its_name() {
    let dir = tempfile::Builder::new().prefix("pipegen-init-").tempdir().expect("create a temporary directory");
    let path = dir.path().join("official");
    write(&path.join("images/python/Dockerfile"), "FROM debian:12\n");
    write(&path.join("services/app/Dockerfile"), "FROM python:3.12-slim\n");
    write(&path.join("services/conv/Dockerfile"), "ARG PYTHON_IMAGE=python:3.12-slim\nFROM ${PYTHON_IMAGE}\n");
    write(&path.join("services/hub/Dockerfile"), "FROM docker.io/library/python:3.12\n");
    write(&path.join("services/local/Dockerfile"), "FROM python\n");
    write(&path.join("services/ours/Dockerfile"), "FROM registry.example.com/official/python:main\n");
    git_init(&path);
    let (text, stderr) = init(&path);
    assert_eq!(
        graph(&text),
        [
            "app: from=[] context=services/app",
            "conv: from=[] context=services/conv",
            "hub: from=[] context=services/hub",
            "python: from=[] context=images/python",
            "local: from=[python] context=services/local",
            "ours: from=[python] context=services/ours",
        ],
        "{stderr}"
    );
    assert_eq!(
        externals(&stderr),
        [
            "images/python/Dockerfile line 1: FROM debian:12: not built in this repository",
            "services/app/Dockerfile line 1: FROM python:3.12-slim: Docker Hub's official image `docker.io/library/python`, not this repository's image `python`: no build script tags `python:3.12-slim` (if it is meant, tag it so in a build script, or read it from `${PYTHON_IMAGE}`)",
            "services/conv/Dockerfile line 2: FROM ${PYTHON_IMAGE}: `python:3.12-slim`: Docker Hub's official image `docker.io/library/python`, not this repository's image `python`: no build script tags `python:3.12-slim` (if it is meant, tag it so in a build script, or read it from `${PYTHON_IMAGE}`)",
            "services/hub/Dockerfile line 1: FROM docker.io/library/python:3.12: Docker Hub's official image `docker.io/library/python`, not this repository's image `python`: no build script tags `python:3.12` (if it is meant, tag it so in a build script, or read it from `${PYTHON_IMAGE}`)",
        ]
    );
    assert_emits_and_checks(&path, "pipegen.yaml");

    // A build that gives the image that tag makes it the repository's.
    write(&path.join("Makefile"), "python:\n\tdocker build -t python:3.12-slim images/python\n");
    let (code, stdout, stderr) = support::pipegen_in(&path, &["init", "--stdout"]);
    assert_eq!(code, 0, "{stderr}");
    let graph = graph(&stdout);
    assert!(graph.contains(&"app: from=[python] context=services/app".to_string()), "{graph:?}");
    assert!(graph.contains(&"conv: from=[python] context=services/conv".to_string()), "{graph:?}");
}

/// A build script that builds a Dockerfile with a context of its own says what the build uses:
/// that context, not the Dockerfile's directory its sources suggest; scripts that disagree get a
/// note.
#[test]
fn a_context_a_build_script_states_is_the_context() {
    let dir = tempfile::Builder::new().prefix("pipegen-init-").tempdir().expect("create a temporary directory");
    let path = dir.path().join("stated");
    write(&path.join("services/api/Dockerfile"), "FROM alpine:3.20\nCOPY . /src/\n");
    write(&path.join("services/web/Dockerfile"), "FROM alpine:3.20\nCOPY . /src/\n");
    write(&path.join("Makefile"), "api:\n\tdocker build -f services/api/Dockerfile -t $(REGISTRY)/api:latest .\n");
    write(&path.join("services/build.sh"), "docker build -t web:1 web\ndocker build -f web/Dockerfile -t web:2 ..\n");
    git_init(&path);
    let (text, stderr) = init(&path);
    assert_eq!(
        graph(&text),
        ["api: from=[] context=. dockerfile=services/api/Dockerfile", "web: from=[] context=services/web",],
        "{stderr}"
    );
    assert!(
        text.contains("# Its context, `.`, is the one Makefile:2 builds it with (its sources alone would give\n    # `services/api`)."),
        "{text}"
    );
    assert!(
        text.contains("# Build scripts build it with different contexts: `services/web` (services/build.sh:1), `.`\n    # (services/build.sh:2); this model takes `services/web`."),
        "{text}"
    );
    assert_emits_and_checks(&path, "pipegen.yaml");
}

/// The modeline names a schema an editor can load: the nearest `schema/pipegen.schema.json` at
/// or above the model, relative to the model; without one, the root's, with the command that
/// writes it (from where pipegen runs) on stderr.
#[test]
fn the_schema_line_names_a_schema_relative_to_the_model() {
    let dir = tempfile::Builder::new().prefix("pipegen-init-").tempdir().expect("create a temporary directory");
    let repo = dir.path().join("mono");
    write(&repo.join("services/api/Dockerfile"), "FROM alpine:3.20\n");
    git_init(&repo);
    let (code, _, stderr) = support::pipegen_in(dir.path(), &["init", "mono/services"]);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(repo.join("services/pipegen.yaml")).unwrap();
    assert!(text.starts_with("# yaml-language-server: $schema=../schema/pipegen.schema.json\n"), "{text}");
    assert!(
        stderr.contains(
            "pipegen: note: the model names its JSON Schema, schema/pipegen.schema.json, for your editor's checks; create it with: mkdir -p mono/schema && pipegen schema > mono/schema/pipegen.schema.json\n"
        ),
        "{stderr}"
    );

    // Once it exists, no note; the root's schema is found from a model deeper down.
    write(&repo.join("schema/pipegen.schema.json"), "{}\n");
    let (code, _, stderr) = support::pipegen_in(&repo, &["init", "--force", "services/api"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("JSON Schema"), "{stderr}");
    let text = std::fs::read_to_string(repo.join("services/api/pipegen.yaml")).unwrap();
    assert!(text.starts_with("# yaml-language-server: $schema=../../schema/pipegen.schema.json\n"), "{text}");

    // A schema nearer the model wins.
    write(&repo.join("services/schema/pipegen.schema.json"), "{}\n");
    let (code, _, stderr) = support::pipegen_in(&repo, &["init", "--force", "services/api"]);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(repo.join("services/api/pipegen.yaml")).unwrap();
    assert!(text.starts_with("# yaml-language-server: $schema=../schema/pipegen.schema.json\n"), "{text}");
    let comments: Vec<&str> = text.lines().map(|l| l.trim_start().trim_start_matches('#').trim()).collect();
    assert!(comments.join(" ").contains("pipegen schema > services/schema/pipegen.schema.json"), "{text}");
}
