//! Issue 7, GitLab: the pipelines pipegen emits, run by gitlab-ci-local's docker executor (no
//! `--force-shell-executor`): every job in the image the pipeline names, the build jobs in the
//! buildah image (privileged, through the kit's proxy), services as real containers on the job's
//! network under their alias, against a registry on 127.0.0.1 whose contents are checked with
//! skopeo.
//!
//! - Services (tests/fixtures/real-engines/services): builds in the builder image, then health
//!   checks with timeouts, http, tcp and cmd, from a busybox-only job image and a Debian one; a
//!   second run skips the builds. Alias tags: set by digest on the default branch (`latest`,
//!   `commit-<short sha>`), also by a skipped build; `latest` moves when its image changes on
//!   the next commit; a feature branch sets its own alias and no `latest`.
//! - Shards (tests/fixtures/real-engines/shards): what gitlab-ci-local does with Vitess's
//!   sharded, retried job that keeps its logs on failure.
//!
//! The build skipping, rebuilding, registry override, logins and image caches of the GitLab
//! pipeline are covered by tests/e2e_gitlab.rs (shell executor, every job on this machine).
//! Each scenario here also runs a deliberately broken copy of its pipeline (the functions under
//! "Broken pipelines", one per defect) and shows that the scenario's check then fails.

// Needs external tools: in the full tier (scripts/test.sh), not in the offline `cargo test`.
#![cfg(feature = "external-tests")]

mod support;

use serde_yaml::Value;
use support::real_engines::{self as re, Ledger, LocalImages, Registry, Repo, Run, aliases_point};

const PIPELINE: &str = ".gitlab-ci.yml";

#[test]
fn gitlab_builds_and_services_under_the_docker_executor() {
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
    let tags = repo.tags(&path);
    let repositories = [tags.repository("busybox"), tags.repository("web")];
    let mut ledger = Ledger::default();
    let latest = |image| (image, "latest".to_string());
    let aliases1 = [latest("busybox"), ("busybox", commit_alias(&repo)), latest("web")];

    // 1. The builds run in the builder image and push; each job waits for its service, then
    // reaches it under its alias; a late service fails its jobs, which name it and the timeout.
    let run = re::gitlab_ci_local(kit, &repo, "services", &[]);
    for image in ["busybox", "web"] {
        run.must(re::built(&run, image, &tags.reference(image)));
        run.must(ran_in_a_container(&run, &format!("build:{image}")));
    }
    run.must(ledger.record(
        &registry,
        &repositories,
        &[vec![tags.reference("busybox"), tags.reference("web")], re::alias_references(&tags, &aliases1)].concat(),
        &[],
    ));
    run.must(aliases_point(&registry, &tags, &aliases1));
    for job in re::service_jobs() {
        run.must(ran_in_a_container(&run, &job.job));
        if job.late {
            let why = format!("pipegen: service '{}' did not become healthy within 3s", job.service);
            run.must(re::gave_up_on_service(&run, &job, &why));
        } else {
            run.must(re::waited_for_service(&run, &job));
        }
    }

    // 2. The builds again: their content tags are in the registry, so both skip and say so.
    let builds = strings(&["build:busybox", "build:web"]);
    let run = re::gitlab_ci_local(kit, &repo, "the builds again", &builds);
    for image in ["busybox", "web"] {
        run.must(re::skipped(&run, image, &tags.reference(image)));
    }
    run.must(ledger.record(&registry, &repositories, &[], &[]));

    // The check bites: with web's skip logic removed, web is built and pushed again. (From
    // buildah's layer cache, every layer and so the manifest are the same: only the job's own
    // words tell a rebuild from a skip here.)
    let broken = repo.write_broken("no-skip.yml", &without_skip(repo.yaml(PIPELINE), "build:web"));
    let run = re::gitlab_ci_local(kit, &repo, "web's skip logic removed", &strings(&["--file", &broken, "build:web"]));
    run.must(run.passed("build:web"));
    run.must_fail(re::skipped(&run, "web", &tags.reference("web")), "build:web has no skip logic");

    // The check bites: without its wait, the job's script runs before the service listens.
    let job = re::service_jobs().into_iter().find(|j| j.job == "wait-http-busybox").unwrap();
    let broken = repo.write_broken("no-wait.yml", &without_service_wait(repo.yaml(PIPELINE), &job.job));
    let run = re::gitlab_ci_local(kit, &repo, "a job that does not wait", &strings(&["--file", &broken, &job.job]));
    run.must_fail(re::reached_service_in_time(&run, &job), "the job does not wait for its service");

    // The check bites: with a wrong `needs`, the job starts at once, before its images are built
    // (in a registry path of its own, where they are not yet).
    let mut broken = repo.yaml(PIPELINE);
    for build in ["build:busybox", "build:web"] {
        broken = without_need(broken, &job.job, build);
    }
    let broken = repo.write_broken("no-needs.yml", &broken);
    let fresh = registry.path("fresh");
    local.remove_later(&fresh);
    let args = strings(&["--file", &broken, "--variable", &format!("PIPEGEN_REGISTRY={fresh}"), "--needs", &job.job]);
    let run = re::gitlab_ci_local(kit, &repo, "a job that does not need its images", &args);
    run.must_fail(re::after_its_builds(&run, &job), "the job does not need the builds of its images");

    // 3. The next commit changes web: web's `latest` moves to the new web; busybox, skipped,
    // still sets the new commit's alias and leaves its `latest` where it was.
    let health = std::fs::read_to_string(repo.dir.join("images/web/health")).unwrap();
    repo.write("images/web/health", &format!("{health}version 2\n"));
    repo.commit("web: version 2");
    let tags2 = repo.tags(&path);
    assert_eq!(tags2.tags["busybox"], tags.tags["busybox"], "busybox did not change");
    assert_ne!(tags2.tags["web"], tags.tags["web"], "web changed");
    let busybox_commit = vec![("busybox", commit_alias(&repo))];

    // The alias check bites: without its alias step, the skipped build sets no alias.
    let broken = repo.write_broken("no-aliases.yml", &without_alias_step(repo.yaml(PIPELINE), "build:busybox"));
    let run = re::gitlab_ci_local(
        kit,
        &repo,
        "busybox's alias step removed",
        &strings(&["--file", &broken, "build:busybox"]),
    );
    run.must(run.passed("build:busybox"));
    run.must_fail(aliases_point(&registry, &tags2, &busybox_commit), "build:busybox has no alias step");

    let run = re::gitlab_ci_local(kit, &repo, "web changed", &builds);
    run.must(re::skipped(&run, "busybox", &tags2.reference("busybox")));
    run.must(re::built(&run, "web", &tags2.reference("web")));
    run.must(ledger.record(
        &registry,
        &repositories,
        &[vec![tags2.reference("web")], re::alias_references(&tags2, &busybox_commit)].concat(),
        &re::alias_references(&tags2, &[latest("web")]),
    ));
    run.must(aliases_point(
        &registry,
        &tags2,
        &[busybox_commit.clone(), vec![latest("busybox"), latest("web")]].concat(),
    ));

    // 4. A feature branch: both builds skip; web gets the branch's alias, no `latest` moves.
    repo.git(&["checkout", "-q", "-b", "feature/aliases"]);
    let branch_alias = [("web", "feature-aliases".to_string())];
    let run = re::gitlab_ci_local(kit, &repo, "a feature branch", &builds);
    run.must(re::skipped(&run, "web", &tags2.reference("web")));
    run.must(ledger.record(&registry, &repositories, &re::alias_references(&tags2, &branch_alias), &[]));
    run.must(aliases_point(&registry, &tags2, &branch_alias));
}

/// The fixture's per-commit alias at HEAD: `commit-${short_commit}`.
fn commit_alias(repo: &Repo) -> String {
    format!("commit-{}", re::short(&repo.head()))
}

/// Issue 10, the push policy: a merge-request pipeline (`CI_PIPELINE_SOURCE=merge_request_event`,
/// no registry secret) pushes nothing to the registry, keeps its images in the scratch path of
/// the project's registry (`CI_REGISTRY_IMAGE`, here in the local registry), builds the child
/// from its parent's scratch image and runs its job in the images it built, beside the service it
/// built. The default branch then pushes; a merge request after it reuses the unchanged images
/// from the registry, read-only. A pipeline that pushes whatever the policy says fails the check.
/// The job's secret (the model's `secrets`: a CI/CD variable on GitLab) reaches its script.
#[test]
fn gitlab_merge_request_pushes_nothing_and_still_tests() {
    let kit = re::kit();
    let registry = Registry::start(kit);
    let local = LocalImages::new();
    let path = registry.path("push");
    let project = registry.path("push-project");
    local.remove_later(&path);
    local.remove_later(&project);
    let repo = Repo::create("push", &[("@REGISTRY@", &path)], &["images/base"]);
    let tags = repo.tags(&path);
    let repositories = [tags.repository("base"), tags.repository("web")];
    let scratch = tags.at(&format!("{project}/pipegen-scratch"));
    // The job's secret is a CI/CD variable of the project, which GitLab gives every job.
    let secret = "CHECK_TOKEN=pipegen-secret";
    let merge_request = |project: &str| {
        strings(&[
            "--variable",
            "CI_PIPELINE_SOURCE=merge_request_event",
            "--variable",
            &format!("CI_REGISTRY_IMAGE={project}"),
            "--variable",
            secret,
        ])
    };
    let mut ledger = Ledger::default();

    // 1. A merge request: both images built into the scratch path, none into the registry, and
    // the job ran in base beside web.
    let run = re::gitlab_ci_local(kit, &repo, "a merge request", &merge_request(&project));
    run.must(ledger.record(&registry, &repositories, &[], &[]));
    run.must(in_scratch(&registry, &scratch, &["base", "web"]));
    run.must(checked_web(&run));
    run.must(secret_arrived(&run));

    // 2. The default branch pushes both.
    let run = re::gitlab_ci_local(
        kit,
        &repo,
        "the default branch",
        &strings(&["--variable", &format!("CI_REGISTRY_IMAGE={project}"), "--variable", secret]),
    );
    run.must(ledger.record(&registry, &repositories, &[tags.reference("base"), tags.reference("web")], &[]));
    run.must(checked_web(&run));
    run.must(secret_arrived(&run));

    // 3. A merge request again: the registry holds both, so both builds skip and the job runs
    // in the registry's images; nothing new anywhere.
    let run = re::gitlab_ci_local(kit, &repo, "a merge request after the default branch", &merge_request(&project));
    for image in ["base", "web"] {
        run.must(re::skipped(&run, image, &tags.reference(image)));
    }
    run.must(ledger.record(&registry, &repositories, &[], &[]));
    run.must(checked_web(&run));

    // The check bites: a pipeline whose builds push whatever the policy says puts a merge
    // request's images into the registry (a fresh path, where they are not yet).
    let fresh = registry.path("push-fresh");
    local.remove_later(&fresh);
    let broken = repo.write_broken("push-always.yml", &pushing_regardless(repo.yaml(PIPELINE)));
    let mut args = merge_request(&project);
    args.extend(strings(&["--file", &broken, "--variable", &format!("PIPEGEN_REGISTRY={fresh}")]));
    let run = re::gitlab_ci_local(kit, &repo, "a merge request whose builds push regardless", &args);
    let fresh_tags = tags.at(&fresh);
    let fresh_repositories = [fresh_tags.repository("base"), fresh_tags.repository("web")];
    run.must_fail(Ledger::default().record(&registry, &fresh_repositories, &[], &[]), "the builds push regardless");
}

/// Each of `images` is in the scratch path under `scratch-<its content tag>`, and nothing else is.
fn in_scratch(registry: &Registry, scratch: &re::Tags, images: &[&str]) -> Result<(), String> {
    for image in images {
        let tags = registry.tags(&scratch.repository(image));
        let expected = std::collections::BTreeSet::from([format!("scratch-{}", scratch.tags[*image].tag)]);
        if tags != expected {
            return Err(format!("{} holds {tags:?}, not {expected:?}", scratch.repository(image)));
        }
    }
    Ok(())
}

/// The job's script read the secret the pipeline was given.
fn secret_arrived(run: &Run) -> Result<(), String> {
    if run.job_lines("check").into_iter().map(re::output).any(|l| l == "check: the secret arrived") {
        Ok(())
    } else {
        Err("check did not read its secret".to_string())
    }
}

/// The job ran in base and reached web, its service.
fn checked_web(run: &Run) -> Result<(), String> {
    run.passed("check")?;
    if !run.job_lines("check").into_iter().map(re::output).any(|l| l == "check: web says healthy") {
        return Err("check did not reach web".to_string());
    }
    Ok(())
}

/// gitlab-ci-local 4.64.1 runs each shard of a `parallel` job with its CI_NODE_INDEX and
/// CI_NODE_TOTAL, as GitLab does. It has no `retry` (src/job.js has no such code) and keeps the
/// artifacts of a failed job only for `when: always` (src/job.js, copyArtifactsOut: "TODO:
/// update the condition to support when:on_success / when:on_failure"), so the flaky shard fails
/// its only attempt and the failed shards' logs are not kept: what GitLab itself does with the
/// same pipeline cannot be shown here. The test pins what gitlab-ci-local does, so that it fails
/// (and should grow) when gitlab-ci-local learns either.
#[test]
fn gitlab_sharded_job_under_the_docker_executor() {
    let kit = re::kit();
    // No image is built, but the scenario takes the registry (and so the engines) to itself.
    let registry = Registry::start(kit);
    let path = registry.path("shards");
    let repo = Repo::create("shards", &[("@REGISTRY@", &path), ("@JOB_IMAGE@", &kit.runner_image)], &[]);

    let run = re::gitlab_ci_local(kit, &repo, "shards", &[]);
    run.must(shards_ran_once_each(&run, &repo));

    // The check bites: without `parallel`, there is one job and no shard.
    let broken = repo.write_broken("no-shards.yml", &without_shards(repo.yaml(PIPELINE), "integration"));
    let run = re::gitlab_ci_local(kit, &repo, "the job without shards", &strings(&["--file", &broken]));
    run.must_fail(shards_ran_once_each(&run, &repo), "the job has no shards");
}

/// Shards 1 and 2 of 2 each ran one attempt and failed, and left no artifact behind.
fn shards_ran_once_each(run: &Run, repo: &Repo) -> Result<(), String> {
    for shard in [1, 2] {
        let job = format!("integration: [{shard}/2]");
        run.failed(&job)?;
        let said: Vec<&str> =
            run.job_lines(&job).into_iter().map(re::output).filter(|l| l.starts_with("shard ")).collect();
        let expected = [format!("shard {shard} of 2, attempt 1")];
        if said != expected {
            return Err(format!("{job} said {said:?}, not {expected:?}"));
        }
    }
    let artifacts = repo.dir.join(".gitlab-ci-local/artifacts");
    let kept: Vec<_> = std::fs::read_dir(&artifacts)
        .map(|entries| entries.flat_map(|e| walk(&e.unwrap().path())).collect())
        .unwrap_or_default();
    if !kept.is_empty() {
        return Err(format!("gitlab-ci-local kept artifacts of failed jobs: {kept:?}"));
    }
    Ok(())
}

fn walk(path: &std::path::Path) -> Vec<std::path::PathBuf> {
    match std::fs::read_dir(path) {
        Ok(entries) => entries.flat_map(|e| walk(&e.unwrap().path())).collect(),
        Err(_) => vec![path.to_path_buf()],
    }
}

/// The job ran in a container (gitlab-ci-local says `starting <image> (<stage>)`; its shell
/// executor says `starting shell`).
fn ran_in_a_container(run: &Run, job: &str) -> Result<(), String> {
    match run.job_lines(job).first() {
        Some(first) if first.starts_with("starting ") && !first.starts_with("starting shell") => Ok(()),
        first => Err(format!("{job} did not start in a container: {first:?}")),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

// ------------------------------------------------------------------------------------------
// Broken pipelines: one function per defect, the only code here that knows the YAML's layout.
// ------------------------------------------------------------------------------------------

fn job_mut<'a>(pipeline: &'a mut Value, job: &str) -> &'a mut serde_yaml::Mapping {
    pipeline[job].as_mapping_mut().unwrap_or_else(|| panic!("a job {job}"))
}

/// Skip logic removed: the build job's registry lookup always answers "not there" (its script,
/// the template's, redefines `pipegen_exists` first).
fn without_skip(mut pipeline: Value, build: &str) -> Value {
    let template = pipeline[build]["extends"].as_str().expect("the build extends the build template").to_string();
    let mut script = pipeline[template.as_str()]["script"].as_sequence().expect("the template's script").clone();
    script.insert(0, Value::from("pipegen_exists() { return 1; }"));
    job_mut(&mut pipeline, build).insert(Value::from("script"), Value::Sequence(script));
    pipeline
}

/// No alias step: the build job's own script, the template's without the line that moves its
/// alias tags.
fn without_alias_step(mut pipeline: Value, build: &str) -> Value {
    let template = pipeline[build]["extends"].as_str().expect("the build extends the build template").to_string();
    let mut script = pipeline[template.as_str()]["script"].as_sequence().expect("the template's script").clone();
    let before = script.len();
    script.retain(|line| !line.as_str().is_some_and(|l| l.contains("pipegen_aliases")));
    assert_eq!(script.len(), before - 1, "the template moves alias tags");
    job_mut(&mut pipeline, build).insert(Value::from("script"), Value::Sequence(script));
    pipeline
}

/// A health wait that does not wait: the job's own empty `before_script` replaces the one that
/// waits for its services.
fn without_service_wait(mut pipeline: Value, job: &str) -> Value {
    job_mut(&mut pipeline, job).insert(Value::from("before_script"), Value::Sequence(Vec::new()));
    pipeline
}

/// A wrong `needs`: `job` no longer waits for `needed`.
fn without_need(mut pipeline: Value, job: &str, needed: &str) -> Value {
    let needs = job_mut(&mut pipeline, job).get_mut("needs").unwrap().as_sequence_mut().unwrap();
    let before = needs.len();
    needs.retain(|n| n.as_str().or(n["job"].as_str()) != Some(needed));
    assert_eq!(needs.len(), before - 1, "{job} needed {needed}");
    pipeline
}

/// Pushing whatever the policy says: the build template's script sets `PIPEGEN_PUSH=true`
/// before the build runs.
fn pushing_regardless(mut pipeline: Value) -> Value {
    let template = ".pipegen:build";
    let mut script = pipeline[template]["script"].as_sequence().expect("the template's script").clone();
    script.insert(0, Value::from("PIPEGEN_PUSH=true"));
    pipeline[template].as_mapping_mut().unwrap().insert(Value::from("script"), Value::Sequence(script));
    pipeline
}

/// No shards: the job runs once, without `parallel`.
fn without_shards(mut pipeline: Value, job: &str) -> Value {
    job_mut(&mut pipeline, job).remove("parallel").expect("the job has shards");
    pipeline
}

/// Two platforms (tests/fixtures/real-engines/platforms): one buildah job per platform pushes
/// by digest, the merge job pushes the manifest list, the app's platforms are built from the
/// base's same platform, and a second run skips every job.
#[test]
fn gitlab_two_platforms_merge_a_manifest_list_under_the_docker_executor() {
    let kit = re::kit();
    let registry = Registry::start(kit);
    let local = LocalImages::new();
    let path = registry.path("platforms");
    local.remove_later(&path);
    let repo = Repo::create("platforms", &[("@REGISTRY@", &path)], &[]);
    let tags = repo.tags(&path);
    let repositories = [tags.repository("base"), tags.repository("app")];

    // The check bites: a merge job that merges only linux/amd64 pushes a list without arm64.
    let broken = repo.write_broken("one-platform.yml", &merging_one_platform(repo.yaml(PIPELINE), "build:base"));
    let run = re::gitlab_ci_local(
        kit,
        &repo,
        "base merges one platform",
        &strings(&["--file", &broken, "--needs", "build:base"]),
    );
    run.must(run.passed("build:base"));
    run.must_fail(
        re::manifest_list_of(&registry, &tags.reference("base"), &re::PLATFORMS),
        "build:base merged only linux/amd64",
    );

    // 1. Both images for both platforms; the base's list lacks arm64, so it is built again.
    let run = re::gitlab_ci_local(kit, &repo, "two platforms", &[]);
    run.must(re::rebuilt_incomplete_list(&run, "build:base"));
    for image in ["base", "app"] {
        for platform in re::PLATFORMS {
            let job = format!("build:{image}@{}", platform.replace('/', "-"));
            run.must(run.passed(&job));
            run.must(ran_in_a_container(&run, &job));
        }
        run.must(run.passed(&format!("build:{image}")));
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
    let run = re::gitlab_ci_local(kit, &repo, "two platforms again", &[]);
    for image in ["base", "app"] {
        run.must(re::skipped(&run, image, &tags.reference(image)));
    }
    run.must(ledger.record(&registry, &repositories, &[], &[]));
}

/// A merge job that merges only the first platform: its list of digests loses the others.
fn merging_one_platform(mut pipeline: Value, build: &str) -> Value {
    re::merge_only_the_first_platform(
        job_mut(&mut pipeline, build).get_mut("variables").unwrap().as_mapping_mut().unwrap(),
    );
    pipeline
}

/// Upstream refresh (tests/fixtures/real-engines/upstream): each build job resolves the digest
/// of the upstream image its Dockerfile starts from (skopeo, in the buildah image) and hashes
/// it. A new upstream image under the same tag rebuilds exactly the images on it (base, and
/// child through base's tag) with new digests, and nothing else.
#[test]
fn gitlab_upstream_refresh_rebuilds_exactly_the_images_above_under_the_docker_executor() {
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
    let references = |tags: &re::Tags, which: &[&str]| which.iter().map(|i| tags.reference(i)).collect::<Vec<_>>();
    let mut ledger = Ledger::default();

    // 1. Everything is built.
    let run = re::gitlab_ci_local(kit, &repo, "upstream: first run", &[]);
    for (image, _) in re::UPSTREAM_IMAGES {
        run.must(re::built(&run, image, &tags1.reference(image)));
    }
    run.must(ledger.record(&registry, &repositories, &references(&tags1, &["base", "child", "other"]), &[]));

    // 2. A new upstream image under the same tag: base and child get new tags and are built
    // (new manifests), other is skipped and its manifest stays.
    re::push_upstream(&local, &upstream, "v2");
    let tags2 = repo.tags(&path);
    let run = re::gitlab_ci_local(kit, &repo, "upstream: a new upstream image", &[]);
    run.must(re::rebuilt_exactly_above_upstream(&run, &tags1, &tags2));
    run.must(ledger.record(&registry, &repositories, &references(&tags2, &["base", "child"]), &[]));

    // The check bites: with a tag script that leaves the upstream lines out of the recipe, base's
    // job builds once under its tag without them, then skips the next upstream image.
    let broken = repo.write_broken("no-upstream.yml", &re::without_upstream_lines(repo.yaml(PIPELINE)));
    let args = strings(&["--file", &broken, "build:base"]);
    let run = re::gitlab_ci_local(kit, &repo, "upstream lines left out", &args);
    run.must(run.passed("build:base"));
    re::push_upstream(&local, &upstream, "v3");
    let tags3 = repo.tags(&path);
    let run = re::gitlab_ci_local(kit, &repo, "upstream lines left out, a new upstream image", &args);
    run.must_fail(re::rebuilt_under_new_tag(&run, "base", &tags2, &tags3), "the recipe has no upstream lines");
}
