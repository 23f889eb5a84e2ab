//! Issue 7, GitHub: the workflows pipegen emits, run unmodified by act (the kit's pinned actions,
//! its BuildKit through docker buildx, a Debian `ubuntu-latest`), against a registry on
//! 127.0.0.1 whose contents are checked with skopeo.
//!
//! - Images (tests/fixtures/real-engines/images): the first run builds and pushes everything
//!   under the contract's tags and the final image runs; a run with nothing changed skips every
//!   content-tagged build with unchanged digests; a changed component rebuilds exactly it and its
//!   dependents from the layer cache; a new branch without changes rebuilds nothing; the registry
//!   can be changed per run (the `registry` input of a manual run, the `PIPEGEN_REGISTRY`
//!   repository variable) without regenerating. Alias tags: set by digest on the default branch
//!   (`latest`, `commit-<short sha>`), also by a skipped build; `latest` moves when its image
//!   changes; a feature branch sets its own alias and no `latest`.
//! - Services (tests/fixtures/real-engines/services): health checks with timeouts, http, tcp and
//!   cmd, in busybox-only and Debian images.
//! - Shards (tests/fixtures/real-engines/shards): Vitess's promises, a failing shard retried and
//!   its logs kept as an artifact (act's artifact server).
//!
//! Each scenario also runs a deliberately broken copy of its workflow (the functions under
//! "Broken workflows", one per defect) and shows that the scenario's check then fails.
//! The scenarios share the machine's registry port, so each holds its lock for its whole run.

// Needs external tools: in the full tier (scripts/test.sh), not in the offline `cargo test`.
#![cfg(feature = "external-tests")]

mod support;

use std::fs;
use std::path::Path;

use serde_yaml::Value;
use support::real_engines::{self as re, Ledger, LocalImages, Registry, Repo, Run, Tags, aliases_point};

/// The images of the image scenario, parents first, with the images each is built from.
const IMAGES: [(&str, &[&str]); 4] =
    [("base", &[]), ("alpha", &["base"]), ("beta", &["base"]), ("app", &["base", "alpha", "beta"])];
const IMAGES_WORKFLOW: &str = ".github/workflows/images.yml";

const APP_V1: &str = "app built from:\nalpha v1\nbeta v1\nbeta says hello\n";
const APP_V2: &str = "app built from:\nalpha v2\nbeta v1\nbeta says hello\n";

// ------------------------------------------------------------------------------------------
// Images
// ------------------------------------------------------------------------------------------

#[test]
fn github_images_build_skip_rebuild_and_push_elsewhere_under_act() {
    let kit = re::kit();
    let registry = Registry::start(kit);
    let local = LocalImages::new();
    let main = registry.path("images");
    local.remove_later(&main);
    let repo = Repo::create("images", &[("@REGISTRY@", &main)], &["images/base"]);
    let mut ledger = Ledger::default();
    let workflow = fs::read(repo.dir.join(IMAGES_WORKFLOW)).unwrap();

    // 1. The first run builds and pushes every image under its tag; the components are built
    // at the same time, each build after the builds it is built from; the final image runs.
    // The default branch sets the alias tags, each naming its image's manifest.
    let tags1 = repo.tags(&main);
    let aliases1 = [("base", "latest".to_string()), ("base", commit_alias(&repo)), ("alpha", "latest".to_string())];
    let run = re::act(kit, &repo, "first run", "push", &[]);
    run.must(all_passed(&run));
    run.must(builds(&run, &tags1, &["base", "alpha", "beta", "app"]));
    run.must(in_parallel(&run, "build:alpha", "build:beta"));
    run.must(ledger.record(
        &registry,
        &repositories(&main),
        &[references(&tags1, &["base", "alpha", "beta", "app"]), re::alias_references(&tags1, &aliases1)].concat(),
        &[],
    ));
    run.must(aliases_point(&registry, &tags1, &aliases1));
    assert_eq!(re::run_image(&tags1.reference("app")), APP_V1);

    // 2. Nothing changed: every content-tagged build is skipped and says so, digests stay; the
    // commit-tagged app is built in every run (contract 4), under the same tag.
    let run = re::act(kit, &repo, "nothing changed", "push", &[]);
    run.must(all_passed(&run));
    run.must(builds(&run, &tags1, &["app"]));
    run.must(ledger.record(&registry, &repositories(&main), &[], &references(&tags1, &["app"])));

    // The check bites: with beta's skip logic removed, beta is built again. (Not base: a new
    // base would also invalidate alpha's layer cache, which step 3 shows.)
    let broken = repo.write_broken("no-skip.yml", &without_skip(repo.yaml(IMAGES_WORKFLOW), "build:beta"));
    let job = job_id(&repo.yaml(IMAGES_WORKFLOW), "build:beta");
    let run = re::act(kit, &repo, "beta's skip logic removed", "push", &args(&["-W", &broken, "-j", &job]));
    run.must(run.passed("build:beta"));
    run.must_fail(re::skipped(&run, "beta", &tags1.reference("beta")), "build:beta has no skip logic");
    run.must_fail(
        ledger.record(&registry, &repositories(&main), &[], &[]),
        "build:beta pushed beta again under its content tag",
    );

    // 3. A commit changing alpha's message: alpha and the app get new tags and are built, alpha
    // from the layer cache up to the changed step; base and beta are skipped.
    repo.write("components/alpha/message.txt", "alpha v2\n");
    repo.commit("alpha: v2");
    let tags3 = repo.tags(&main);
    for (image, _) in IMAGES {
        let changed = ["alpha", "app"].contains(&image);
        assert_eq!(tags3.tags[image] != tags1.tags[image], changed, "{image}'s tag changed: {changed}");
    }

    // The alias check bites: without its alias step, the skipped build of base sets no alias for
    // the new commit.
    let base_commit = vec![("base", commit_alias(&repo))];
    let broken = repo.write_broken("no-aliases.yml", &without_alias_step(repo.yaml(IMAGES_WORKFLOW), "build:base"));
    let job = job_id(&repo.yaml(IMAGES_WORKFLOW), "build:base");
    let run = re::act(kit, &repo, "base's alias step removed", "push", &args(&["-W", &broken, "-j", &job]));
    run.must(run.passed("build:base"));
    run.must_fail(aliases_point(&registry, &tags3, &base_commit), "build:base has no alias step");

    // The order check bites: with the app no longer needing alpha, it is built before alpha
    // (and fails: alpha's new tag is not in the registry yet). Nothing is pushed but base's alias
    // for the new commit: act runs base, which the app needs, and base, skipped, still sets it.
    let broken = repo
        .write_broken("app-without-alpha.yml", &without_need(repo.yaml(IMAGES_WORKFLOW), "build:app", "build:alpha"));
    let job = job_id(&repo.yaml(IMAGES_WORKFLOW), "build:app");
    let run = re::act(kit, &repo, "the app does not need alpha", "push", &args(&["-W", &broken, "-j", &job]));
    run.must_fail(builds(&run, &tags3, &["alpha", "app"]), "build:app does not need build:alpha");
    run.must(ledger.record(&registry, &repositories(&main), &re::alias_references(&tags3, &base_commit), &[]));
    run.must(aliases_point(&registry, &tags3, &base_commit));

    // alpha's `latest` moves to the new alpha; base, skipped, keeps its commit's alias and its
    // `latest` where they were.
    let run = re::act(kit, &repo, "alpha changed", "push", &[]);
    run.must(all_passed(&run));
    run.must(builds(&run, &tags3, &["alpha", "app"]));
    run.must(reused_layers(&registry, &tags1.reference("alpha"), &tags3.reference("alpha")));
    run.must(ledger.record(
        &registry,
        &repositories(&main),
        &references(&tags3, &["alpha", "app"]),
        &re::alias_references(&tags3, &[("alpha", "latest".to_string())]),
    ));
    run.must(aliases_point(
        &registry,
        &tags3,
        &[base_commit.clone(), vec![("base", "latest".to_string()), ("alpha", "latest".to_string())]].concat(),
    ));
    assert_eq!(re::run_image(&tags3.reference("app")), APP_V2);

    // 4. A manual run with the `registry` input, on a new branch without changes: the same
    // content tags, so nothing is rebuilt (rules:changes-style logic would see "everything
    // changed"), and the app is built and pushed to the other path only. That path already holds
    // the content-tagged images (copied with skopeo, as a registry mirroring the first would), so
    // the run only builds what it must, from the images there.
    repo.git(&["checkout", "-q", "-b", "feature/no-changes"]);
    assert_eq!(repo.tags(&main), tags3, "a new branch without changes has the same tags");
    let other = registry.path("other");
    local.remove_later(&other);
    let at_other = tags3.at(&other);
    for image in ["base", "alpha", "beta"] {
        registry.copy(&tags3.reference(image), &at_other.reference(image));
    }
    let every_repository = [repositories(&main), repositories(&other)].concat();
    run_must(ledger.record(&registry, &every_repository, &references(&at_other, &["base", "alpha", "beta"]), &[]));
    // The branch sets its own alias and the per-commit one, no `latest` (the ledger checks that
    // the repositories hold no other tag).
    let branch_aliases = [("base", commit_alias(&repo)), ("alpha", "feature-no-changes".to_string())];
    let run =
        re::act(kit, &repo, "registry input", "workflow_dispatch", &args(&["--input", &format!("registry={other}")]));
    run.must(all_passed(&run));
    run.must(builds(&run, &at_other, &["app"]));
    run.must(ledger.record(
        &registry,
        &every_repository,
        &[references(&at_other, &["app"]), re::alias_references(&at_other, &branch_aliases)].concat(),
        &[],
    ));
    run.must(aliases_point(&registry, &at_other, &branch_aliases));
    assert_eq!(re::run_image(&at_other.reference("app")), APP_V2);

    // 5. The repository variable PIPEGEN_REGISTRY instead: the same.
    let run = re::act(kit, &repo, "registry variable", "push", &args(&["--var", &format!("PIPEGEN_REGISTRY={other}")]));
    run.must(all_passed(&run));
    run.must(builds(&run, &at_other, &["app"]));
    run.must(ledger.record(&registry, &every_repository, &[], &references(&at_other, &["app"])));

    assert_eq!(fs::read(repo.dir.join(IMAGES_WORKFLOW)).unwrap(), workflow, "the workflow was not regenerated");
    let (code, out, err) = support::pipegen_in(&repo.dir, &["check", "--model", "pipegen.yaml"]);
    assert_eq!(code, 0, "pipegen check: the emitted workflow is still current\n{out}{err}");
}

/// Every job of the run ended, and passed.
/// Upstream refresh (tests/fixtures/real-engines/upstream): each build job resolves the digest
/// of the upstream image its Dockerfile starts from (`docker buildx imagetools inspect --raw` in
/// the runner) and hashes it. A new upstream image under the same tag rebuilds exactly the images
/// on it (base, and child through base's tag) with new digests, and nothing else.
#[test]
fn github_upstream_refresh_rebuilds_exactly_the_images_above_under_act() {
    const WORKFLOW: &str = ".github/workflows/upstream.yml";
    let kit = re::kit();
    let registry = Registry::start(kit);
    let local = LocalImages::new();
    let path = registry.path("upstream");
    local.remove_later(&path);
    let upstream = format!("{path}/upstream/base:1");
    re::push_upstream(&local, &upstream, "v1");
    let repo = Repo::create("upstream", &[("@REGISTRY@", &path), ("@UPSTREAM@", &upstream)], &[]);
    let tags1 = repo.tags(&path);
    let repositories: Vec<String> = re::UPSTREAM_IMAGES.iter().map(|(i, _)| tags1.repository(i)).collect();
    let mut ledger = Ledger::default();

    // 1. Everything is built.
    let run = re::act(kit, &repo, "upstream: first run", "push", &[]);
    run.must(all_passed(&run));
    for (image, _) in re::UPSTREAM_IMAGES {
        run.must(re::built(&run, image, &tags1.reference(image)));
    }
    run.must(ledger.record(&registry, &repositories, &references(&tags1, &["base", "child", "other"]), &[]));

    // 2. A new upstream image under the same tag: base and child get new tags and are built
    // (new manifests), other is skipped and its manifest stays.
    re::push_upstream(&local, &upstream, "v2");
    let tags2 = repo.tags(&path);
    let run = re::act(kit, &repo, "upstream: a new upstream image", "push", &[]);
    run.must(all_passed(&run));
    run.must(re::rebuilt_exactly_above_upstream(&run, &tags1, &tags2));
    run.must(ledger.record(&registry, &repositories, &references(&tags2, &["base", "child"]), &[]));

    // The check bites: with a tag script that leaves the upstream lines out of the recipe, base's
    // job builds once under its tag without them, then skips the next upstream image.
    let broken = repo.write_broken("no-upstream.yml", &re::without_upstream_lines(repo.yaml(WORKFLOW)));
    let job = job_id(&repo.yaml(WORKFLOW), "build:base");
    let run = re::act(kit, &repo, "upstream lines left out", "push", &args(&["-W", &broken, "-j", &job]));
    run.must(run.passed("build:base"));
    re::push_upstream(&local, &upstream, "v3");
    let tags3 = repo.tags(&path);
    let run = re::act(
        kit,
        &repo,
        "upstream lines left out, a new upstream image",
        "push",
        &args(&["-W", &broken, "-j", &job]),
    );
    run.must_fail(re::rebuilt_under_new_tag(&run, "base", &tags2, &tags3), "the recipe has no upstream lines");
}

fn all_passed(run: &Run) -> Result<(), String> {
    if run.code != 0 {
        return Err(format!("act exited with {}", run.code));
    }
    match run.outcomes.iter().find(|(_, outcome)| **outcome != re::Outcome::Passed) {
        Some((job, _)) => Err(format!("{job} failed")),
        None => Ok(()),
    }
}

/// Exactly the images in `built` were built and pushed under their tags, each after the builds
/// of its parents that this run built too; every other image was skipped.
fn builds(run: &Run, tags: &Tags, built: &[&str]) -> Result<(), String> {
    for (image, parents) in IMAGES {
        let reference = tags.reference(image);
        if built.contains(&image) {
            re::built(run, image, &reference)?;
            let before: Vec<String> =
                parents.iter().filter(|p| built.contains(p)).map(|p| format!("build:{p}")).collect();
            run.started_after(&format!("build:{image}"), &before)?;
        } else {
            re::skipped(run, image, &reference)?;
        }
    }
    Ok(())
}

/// Both jobs ran at the same time for a while.
fn in_parallel(run: &Run, a: &str, b: &str) -> Result<(), String> {
    let (a_start, a_end) = run.span(a).ok_or(format!("{a} did not run"))?;
    let (b_start, b_end) = run.span(b).ok_or(format!("{b} did not run"))?;
    if a_start < b_end && b_start < a_end {
        Ok(())
    } else {
        Err(format!("{a} ({a_start:.1}-{a_end:.1} s) and {b} ({b_start:.1}-{b_end:.1} s) did not overlap"))
    }
}

/// The image `after` shares every layer but its last with `before`, and not the last one: the
/// steps before the one that changed came from the layer cache (each job has a new builder, so
/// only the registry's cache can have had them), and their layers, which differ whenever a step
/// runs again (file times, the date the fixture's step writes), are the same.
fn reused_layers(registry: &Registry, before: &str, after: &str) -> Result<(), String> {
    let (old, new) = (registry.layers(before), registry.layers(after));
    let (Some((old_last, old_rest)), Some((new_last, new_rest))) = (old.split_last(), new.split_last()) else {
        return Err(format!("{before} and {after} have layers"));
    };
    if old_rest == new_rest && old_last != new_last {
        Ok(())
    } else {
        Err(format!("{after} does not reuse the layers of {before} up to its last one: {old:?} / {new:?}"))
    }
}

fn run_must(result: Result<(), String>) {
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The fixture's per-commit alias at HEAD: `commit-${short_commit}`.
fn commit_alias(repo: &Repo) -> String {
    format!("commit-{}", re::short(&repo.head()))
}

fn repositories(path: &str) -> Vec<String> {
    IMAGES.iter().map(|(image, _)| format!("{path}/{image}")).collect()
}

fn references(tags: &Tags, images: &[&str]) -> Vec<String> {
    images.iter().map(|image| tags.reference(image)).collect()
}

fn args(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

// ------------------------------------------------------------------------------------------
// Services
// ------------------------------------------------------------------------------------------

#[test]
fn github_services_wait_for_health_with_timeouts_under_act() {
    let kit = re::kit();
    let registry = Registry::start(kit);
    let local = LocalImages::new();
    let path = registry.path("services");
    local.remove_later(&path);
    let debian_web = format!("pipegen-re/debian-web:{}", std::process::id());
    local.build(
        &debian_web,
        &support::repo().join("tests/fixtures/real-engines/services/images/debian-web"),
        &[("DEBIAN_IMAGE", &kit.debian_image)],
    );
    let repo = Repo::create(
        "services",
        &[("@REGISTRY@", &path), ("@DEBIAN_IMAGE@", &kit.debian_image), ("@DEBIAN_WEB@", &debian_web)],
        &["images/busybox", "images/web"],
    );
    const WORKFLOW: &str = ".github/workflows/services.yml";

    // The waits sleep most of the time: run them all at once.
    let run = re::act(kit, &repo, "services", "push", &args(&["--concurrent-jobs", "12"]));
    for job in re::service_jobs() {
        if job.late {
            // act words it (GitHub's runner says "<alias> service is unhealthy").
            run.must(re::gave_up_on_service(&run, &job, "unhealthy"));
        } else {
            run.must(re::waited_for_service(&run, &job));
        }
    }

    // The check bites: without its health check the job does not wait, and its script finds
    // nothing listening yet.
    let job = re::service_jobs().into_iter().find(|j| j.job == "wait-http-busybox").unwrap();
    let broken = repo.write_broken("no-health.yml", &without_health_checks(repo.yaml(WORKFLOW), &job.job));
    let id = job_id(&repo.yaml(WORKFLOW), &job.job);
    let run = re::act(kit, &repo, "a service without health check", "push", &args(&["-W", &broken, "-j", &id]));
    run.must_fail(re::reached_service_in_time(&run, &job), "the job does not wait for its service");
}

// ------------------------------------------------------------------------------------------
// Push policy
// ------------------------------------------------------------------------------------------

/// Issue 10, the push policy: a pull request (act's `pull_request` event, no registry secret)
/// pushes nothing to the registry; its builds leave local images that later jobs restore from
/// the run's cache: web is built from base's local image, and the job runs in base beside web,
/// both started by the job itself (a runner cannot start a service from a local image). A push
/// to the default branch pushes both, and the job runs in its container beside its service as
/// usual. A workflow whose builds push whatever the policy says fails the check. A job run again
/// in a later attempt of the run ("Re-run failed jobs") finds the images its builds saved in an
/// earlier one. The job's secret (the model's `secrets`) reaches its script either way, and
/// does not without the step's variable.
#[test]
fn github_pull_request_pushes_nothing_and_still_tests_under_act() {
    let kit = re::kit();
    let registry = Registry::start(kit);
    let local = LocalImages::new();
    let path = registry.path("push");
    local.remove_later(&path);
    let repo = Repo::create("push", &[("@REGISTRY@", &path)], &["images/base"]);
    const WORKFLOW: &str = ".github/workflows/push.yml";
    let tags = repo.tags(&path);
    let repositories = [tags.repository("base"), tags.repository("web")];
    let pull_request = event(
        &repo,
        "pull-request.json",
        r#"{"pull_request": {"number": 1, "head": {"ref": "feature"}, "base": {"ref": "main"}}, "repository": {"default_branch": "main"}}"#,
    );
    let mut ledger = Ledger::default();

    // 1. A pull request: nothing in the registry, and the job ran in base beside web, with the
    // secret it names passed into its container.
    let secret = ["-s", "CHECK_TOKEN=pipegen-secret"];
    let run =
        re::act(kit, &repo, "a pull request", "pull_request", &args(&[&["-e", &pull_request][..], &secret].concat()));
    run.must(all_passed(&run));
    run.must(ledger.record(&registry, &repositories, &[], &[]));
    run.must(checked_web(&run));
    run.must(said(&run, "build:web", "pipegen: loading the local image BASE"));
    run.must(said(&run, "check", "pipegen: starting service 'web'"));
    run.must(said(&run, "check", "pipegen: running the script in"));
    run.must(said(&run, "check", "check: the secret arrived"));

    // The check bites: without the step's variable the job's container gets no secret.
    let broken = repo.write_broken("no-secret.yml", &without_secret(repo.yaml(WORKFLOW), "check", "CHECK_TOKEN"));
    let run = re::act(
        kit,
        &repo,
        "a pull request whose job reads no secret",
        "pull_request",
        &args(&[&["-e", &pull_request, "-W", &broken][..], &secret].concat()),
    );
    run.must(checked_web(&run));
    run.must_fail(said(&run, "check", "check: the secret arrived"), "the job reads no secret");

    // 1b. "Re-run failed jobs": the job runs in a later attempt of the run than the builds it
    // needs, which saved their local images in the first, and finds them all the same.
    let rerun = repo.write_broken("rerun.yml", &in_a_later_attempt(repo.yaml(WORKFLOW), "check"));
    let again = args(&["-e", &pull_request, "-W", &rerun]);
    let run = re::act(kit, &repo, "a pull request's job in a later attempt", "pull_request", &again);
    run.must(all_passed(&run));
    run.must(checked_web(&run));
    run.must(said(&run, "check", "pipegen: loading the local image BASE"));
    run.must(said(&run, "check", "pipegen: loading the local image WEB"));
    run.must(said(&run, "check", "pipegen: starting service 'web'"));
    // The check bites: without `restore-keys` the later attempt restores no local image (act's
    // jobs share one docker engine, where the builds of this run left theirs, so the job itself
    // may still pass here; on GitHub each job has a machine of its own and would fail).
    let broken = repo.write_broken(
        "rerun-exact.yml",
        &without_restore_keys(in_a_later_attempt(repo.yaml(WORKFLOW), "check"), "check"),
    );
    let again = args(&["-e", &pull_request, "-W", &broken]);
    let run =
        re::act(kit, &repo, "a later attempt that restores its own attempt's images only", "pull_request", &again);
    run.must_fail(
        said(&run, "check", "pipegen: loading the local image BASE"),
        "the job finds no image an earlier attempt saved",
    );

    // 2. The default branch pushes both; the job runs in its container, with the secret.
    let run = re::act(kit, &repo, "the default branch", "push", &args(&secret));
    run.must(all_passed(&run));
    run.must(ledger.record(&registry, &repositories, &[tags.reference("base"), tags.reference("web")], &[]));
    run.must(checked_web(&run));
    run.must_fail(said(&run, "check", "pipegen: running the script in"), "the job runs in its container");
    run.must(said(&run, "check", "check: the secret arrived"));

    // The check bites: builds that push whatever the policy says put a pull request's base
    // into the registry (a fresh path, where it is not yet).
    let fresh = registry.path("push-fresh");
    local.remove_later(&fresh);
    let broken = repo.write_broken("push-always.yml", &pushing_regardless(repo.yaml(WORKFLOW), "build:base"));
    let job = job_id(&repo.yaml(WORKFLOW), "build:base");
    let run = re::act(
        kit,
        &repo,
        "a pull request whose build pushes regardless",
        "pull_request",
        &args(&["-e", &pull_request, "-W", &broken, "-j", &job, "--var", &format!("PIPEGEN_REGISTRY={fresh}")]),
    );
    let fresh_tags = tags.at(&fresh);
    run.must_fail(
        Ledger::default().record(&registry, &[fresh_tags.repository("base")], &[], &[]),
        "the build pushes regardless",
    );
}

/// `job` printed a line that starts with `text`.
fn said(run: &Run, job: &str, text: &str) -> Result<(), String> {
    if run.job_lines(job).into_iter().map(re::output).any(|l| l.trim().starts_with(text)) {
        Ok(())
    } else {
        Err(format!("{job} did not say `{text}`"))
    }
}

/// An event file for act, outside the repository; its path.
fn event(repo: &Repo, name: &str, json: &str) -> String {
    let path = repo.root.join(name);
    fs::write(&path, json).unwrap();
    path.display().to_string()
}

/// The job ran in base and reached web, its service.
fn checked_web(run: &Run) -> Result<(), String> {
    run.passed("check")?;
    if !run.job_lines("check").into_iter().map(re::output).any(|l| l.trim() == "check: web says healthy") {
        return Err("check did not reach web".to_string());
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------
// Shards
// ------------------------------------------------------------------------------------------

#[test]
fn github_sharded_job_retries_and_keeps_failed_logs_under_act() {
    let kit = re::kit();
    // No image is built, but the scenario takes the registry (and so the engines) to itself.
    let registry = Registry::start(kit);
    let path = registry.path("shards");
    let repo = Repo::create("shards", &[("@REGISTRY@", &path), ("@JOB_IMAGE@", &kit.runner_image)], &[]);
    const WORKFLOW: &str = ".github/workflows/shards.yml";

    let artifacts = repo.root.join("artifacts");
    let server = args(&["--artifact-server-path", artifacts.to_str().unwrap()]);
    let run = re::act(kit, &repo, "shards", "push", &server);
    run.must(shards_retried_and_logs_kept(&run, &artifacts));

    // The check bites: without its retries, the flaky shard fails too.
    let broken = repo.write_broken("no-retry.yml", &without_retries(repo.yaml(WORKFLOW), "integration"));
    let artifacts = repo.root.join("artifacts-no-retry");
    let server = args(&["-W", &broken, "--artifact-server-path", artifacts.to_str().unwrap()]);
    let run = re::act(kit, &repo, "shards without retries", "push", &server);
    run.must_fail(shards_retried_and_logs_kept(&run, &artifacts), "the job has no retries");
}

/// Shard 1 (flaky) failed once, was retried and passed, and kept no artifact; shard 2 (broken)
/// ran all three attempts, failed, and its log with the three attempts is the one artifact (of
/// its logs/ directory, only what the glob `logs/*.log` matches).
fn shards_retried_and_logs_kept(run: &Run, artifacts: &Path) -> Result<(), String> {
    run.passed("integration-1")?;
    run.failed("integration-2")?;
    for (shard, attempts) in [(1, 2), (2, 3)] {
        let job = format!("integration-{shard}");
        let said: Vec<&str> = run.job_lines(&job).into_iter().filter(|l| l.starts_with("shard ")).collect();
        let expected: Vec<String> = (1..=attempts).map(|a| format!("shard {shard} of 2, attempt {a}")).collect();
        if said != expected {
            return Err(format!("{job} said {said:?}, not {expected:?}"));
        }
    }
    let zips: Vec<_> = walk(artifacts).into_iter().filter(|p| p.extension().is_some_and(|e| e == "zip")).collect();
    let [zip] = zips.as_slice() else {
        return Err(format!("one artifact, of the failed shard, not {zips:?}"));
    };
    if !zip.to_string_lossy().contains("integration.shard-2.attempt-1") {
        return Err(format!("the artifact {} is the failed shard's", zip.display()));
    }
    let log = re::unzip_file(zip, "shard-2.log").ok_or(format!("{} holds shard-2.log", zip.display()))?;
    let names = re::zip_names(zip);
    if names != ["shard-2.log"] {
        return Err(format!(
            "{} holds {names:?}: only shard-2.log, of what the glob logs/*.log matches",
            zip.display()
        ));
    }
    let expected = "shard 2 of 2, attempt 1\nshard 2 of 2, attempt 2\nshard 2 of 2, attempt 3\n";
    if log != expected {
        return Err(format!("shard-2.log holds {log:?}, not {expected:?}"));
    }
    Ok(())
}

/// Every file under `dir` (none when it does not exist).
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else { return Vec::new() };
    entries
        .flat_map(|entry| {
            let path = entry.unwrap().path();
            if path.is_dir() { walk(&path) } else { vec![path] }
        })
        .collect()
}

// ------------------------------------------------------------------------------------------
// Broken workflows: one function per defect, the only code here that knows the YAML's layout.
// ------------------------------------------------------------------------------------------

/// The id of the job whose `name:` is `name` (the contract's job name).
fn job_id(workflow: &Value, name: &str) -> String {
    workflow["jobs"]
        .as_mapping()
        .unwrap()
        .iter()
        .find(|(_, job)| job["name"].as_str() == Some(name))
        .map(|(id, _)| id.as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("a job named {name}"))
}

fn job_mut<'a>(workflow: &'a mut Value, name: &str) -> &'a mut serde_yaml::Mapping {
    let id = job_id(workflow, name);
    workflow["jobs"][id.as_str()].as_mapping_mut().unwrap()
}

/// Skip logic removed: the build job's registry lookup always answers "not there" (the step
/// that runs the build functions redefines `pipegen_exists` before the build).
fn without_skip(mut workflow: Value, build: &str) -> Value {
    let steps = job_mut(&mut workflow, build).get_mut("steps").unwrap().as_sequence_mut().unwrap();
    let step = steps
        .iter_mut()
        .find(|s| s["run"].as_str().is_some_and(|r| r.contains("pipegen_build_job")))
        .expect("the step that runs the build");
    let run = step["run"]
        .as_str()
        .unwrap()
        .replace("pipegen_build_job", "pipegen_exists() { return 1; } && pipegen_build_job");
    step["run"] = Value::from(run);
    workflow
}

/// The local-image restores of `job` (`actions/cache/restore` of a `pipegen-image-` key).
fn image_restores<'a>(workflow: &'a mut Value, job: &str) -> Vec<&'a mut serde_yaml::Mapping> {
    let steps = job_mut(workflow, job).get_mut("steps").unwrap().as_sequence_mut().unwrap();
    let restores: Vec<_> = steps
        .iter_mut()
        .filter(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/cache/restore@")))
        .filter(|s| s["with"]["key"].as_str().is_some_and(|k| k.starts_with("pipegen-image-")))
        .map(|s| s.get_mut("with").unwrap().as_mapping_mut().unwrap())
        .collect();
    assert!(!restores.is_empty(), "{job} restores local images");
    restores
}

/// `job` as GitHub runs it after "Re-run failed jobs": in attempt 2 of the run, while the builds
/// it needs ran, and saved their images, in attempt 1.
fn in_a_later_attempt(mut workflow: Value, job: &str) -> Value {
    for with in image_restores(&mut workflow, job) {
        let key = with.get("key").and_then(Value::as_str).unwrap().replace("${{ github.run_attempt }}", "2");
        with.insert(Value::from("key"), Value::from(key));
    }
    workflow
}

/// A restore of `job`'s local images that takes its own attempt's entry or nothing.
fn without_restore_keys(mut workflow: Value, job: &str) -> Value {
    for with in image_restores(&mut workflow, job) {
        with.remove("restore-keys").expect("a restore with restore-keys");
    }
    workflow
}

/// No secret: the steps of `job` that run its script no longer read `secret` from GitHub's
/// secrets context.
fn without_secret(mut workflow: Value, job: &str, secret: &str) -> Value {
    let steps = job_mut(&mut workflow, job).get_mut("steps").unwrap().as_sequence_mut().unwrap();
    let mut removed = 0;
    for step in steps.iter_mut() {
        if let Some(env) = step.get_mut("env").and_then(Value::as_mapping_mut) {
            removed += usize::from(env.remove(secret).is_some());
        }
    }
    assert!(removed > 0, "{job} read {secret} in some step");
    workflow
}

/// Pushing whatever the policy says: the build step of `build` sets `PIPEGEN_PUSH=true`.
fn pushing_regardless(mut workflow: Value, build: &str) -> Value {
    let steps = job_mut(&mut workflow, build).get_mut("steps").unwrap().as_sequence_mut().unwrap();
    let step = steps
        .iter_mut()
        .find(|s| s["run"].as_str().is_some_and(|r| r.contains("pipegen_build_job")))
        .expect("the step that runs the build");
    let run = step["run"].as_str().unwrap().replace("pipegen_build_job", "PIPEGEN_PUSH=true pipegen_build_job");
    step["run"] = Value::from(run);
    workflow
}

/// No alias step: the build job's step that moves its alias tags is gone.
fn without_alias_step(mut workflow: Value, build: &str) -> Value {
    let steps = job_mut(&mut workflow, build).get_mut("steps").unwrap().as_sequence_mut().unwrap();
    let before = steps.len();
    steps.retain(|s| !s["run"].as_str().is_some_and(|r| r.contains("pipegen_aliases")));
    assert_eq!(steps.len(), before - 1, "{build} had an alias step");
    workflow
}

/// A wrong `needs`: `job` no longer waits for `needed`.
fn without_need(mut workflow: Value, job: &str, needed: &str) -> Value {
    let needed_id = job_id(&workflow, needed);
    let needs = job_mut(&mut workflow, job).get_mut("needs").unwrap().as_sequence_mut().unwrap();
    let before = needs.len();
    needs.retain(|n| n.as_str() != Some(needed_id.as_str()));
    assert_eq!(needs.len(), before - 1, "{job} needed {needed}");
    workflow
}

/// A health wait that does not wait: the job's services lose their health checks, so the
/// runner starts the steps as soon as the containers run.
fn without_health_checks(mut workflow: Value, job: &str) -> Value {
    let services = job_mut(&mut workflow, job).get_mut("services").unwrap().as_mapping_mut().unwrap();
    for (_, service) in services.iter_mut() {
        service.as_mapping_mut().unwrap().remove("options").expect("a service with a health check");
    }
    workflow
}

/// No retries: the step that runs the job's script (`PIPEGEN_SCRIPT`) runs it once.
fn without_retries(mut workflow: Value, job: &str) -> Value {
    let steps = job_mut(&mut workflow, job).get_mut("steps").unwrap().as_sequence_mut().unwrap();
    let step = steps
        .iter_mut()
        .find(|s| s["run"].as_str().is_some_and(|r| r.contains("PIPEGEN_RUN_SH")))
        .expect("the script step");
    step["run"] = Value::from("sh -e -c \"$PIPEGEN_SCRIPT\"\n");
    workflow
}

// ------------------------------------------------------------------------------------------
// Platforms
// ------------------------------------------------------------------------------------------

const PLATFORMS_WORKFLOW: &str = ".github/workflows/platforms.yml";

#[test]
fn github_two_platforms_merge_a_manifest_list_under_act() {
    let kit = re::kit();
    let registry = Registry::start(kit);
    let local = LocalImages::new();
    let path = registry.path("platforms");
    local.remove_later(&path);
    let repo = Repo::create("platforms", &[("@REGISTRY@", &path)], &[]);
    let tags = repo.tags(&path);
    let repositories = [tags.repository("base"), tags.repository("app")];
    // The arm64 jobs run on `ubuntu-24.04-arm`: here the same local runner image (no QEMU: the
    // fixture's Dockerfiles have no RUN step, so any platform builds on this amd64 machine).
    let arm = format!("ubuntu-24.04-arm={}", kit.runner_image);

    // The check bites: a merge job that merges only linux/amd64 pushes a list without arm64.
    let broken =
        repo.write_broken("one-platform.yml", &merging_one_platform(repo.yaml(PLATFORMS_WORKFLOW), "build:base"));
    let job = job_id(&repo.yaml(PLATFORMS_WORKFLOW), "build:base");
    let run = re::act(kit, &repo, "base merges one platform", "push", &args(&["-P", &arm, "-W", &broken, "-j", &job]));
    run.must(run.passed("build:base"));
    run.must_fail(
        re::manifest_list_of(&registry, &tags.reference("base"), &re::PLATFORMS),
        "build:base merged only linux/amd64",
    );

    // 1. One job per platform pushes by digest; the merge job pushes the manifest list under the
    // content tag; the app's platforms are built from the base's same platform. The base's list
    // in the registry lacks arm64, so it is not skipped but built again.
    let run = re::act(kit, &repo, "two platforms", "push", &args(&["-P", &arm]));
    run.must(all_passed(&run));
    run.must(re::rebuilt_incomplete_list(&run, "build:base"));
    for image in ["base", "app"] {
        for platform in re::PLATFORMS {
            let job = format!("build:{image}@{}", platform.replace('/', "-"));
            run.must(run.passed(&job));
        }
        run.must(re::manifest_list_of(&registry, &tags.reference(image), &re::PLATFORMS));
    }
    run.must(re::built_from_same_platform(&registry, &tags.reference("app"), &tags.reference("base")));
    let mut ledger = Ledger::default();
    let mut pushed = Vec::new();
    for image in ["base", "app"] {
        pushed.push(tags.reference(image));
        pushed.extend(re::platform_references(&tags.reference(image)));
    }
    run.must(ledger.record(&registry, &repositories, &pushed, &[]));

    // 2. Again: the lists hold every platform, so every job of both images skips.
    let run = re::act(kit, &repo, "two platforms again", "push", &args(&["-P", &arm]));
    run.must(all_passed(&run));
    for image in ["base", "app"] {
        run.must(re::skipped(&run, image, &tags.reference(image)));
    }
    run.must(ledger.record(&registry, &repositories, &[], &[]));
}

/// A merge job that merges only the first platform: its list of digests loses the others.
fn merging_one_platform(mut workflow: Value, build: &str) -> Value {
    re::merge_only_the_first_platform(job_mut(&mut workflow, build).get_mut("env").unwrap().as_mapping_mut().unwrap());
    workflow
}
