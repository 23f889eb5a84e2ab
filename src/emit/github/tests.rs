//! Tests of the GitHub emitter: the rendered workflow, parsed back.

use super::*;
use crate::model::load;
use crate::yaml::Value;

/// A GDK-like model: a base varying over `ruby`, children per variant, a commit-tagged
/// final image, a sharded, retried job with services, caches and artifacts.
const GDK: &str = r#"
pipegen: 1
name: gdk
registry: ghcr.io/example/gdk
axes:
  ruby: ["3.2", "3.3"]
stages: [base, components, image, test]
caches:
  gems: { key: [Gemfile.lock], paths: [vendor/ruby] }
  go: { key: [go.sum], paths: [.go/pkg/mod] }
  node: { key: [package.json, yarn.lock, go.sum], paths: [node_modules] }
images:
  base: { stage: base, context: images/base, args: { RUBY_VERSION: "${ruby}" }, axes: [ruby] }
  gitaly: { stage: components, from: base, context: gitaly, caches: [go] }
  gdk: { stage: image, from: [base, gitaly], target: runtime, tag: commit }
services:
  gdk: { image: gdk, port: 3000, health: { http: /-/readiness, timeout: 5m, interval: 5s } }
  postgres:
    image: postgres:16.4
    port: 5432
    health: { cmd: "pg_isready -h \"$PIPEGEN_SERVICE_HOST\" -U postgres", timeout: 60s }
  redis: { image: redis:7.4, port: 6379, health: { tcp: true, timeout: 30s, interval: 2s } }
jobs:
  qa:
    stage: test
    image: gdk
    services: [gdk, postgres, redis]
    caches: [gems, node]
    parallel: 4
    script: [bundle exec rspec]
    retry: 2
    timeout: 30m
    artifacts: { paths: [qa/tmp/], when: on_failure }
    env: { LITERAL: "$${{ github.token }}" }
    needs: [lint]
  lint:
    image: ruby:3.3
    script: [rubocop]
    artifacts: { paths: [lint/report.json] }
"#;

/// Kolla: `infra` has no axes and is shared; `svc` varies by install type; `api` by distro too.
const KOLLA: &str = r#"
pipegen: 1
name: kolla
registry: registry.example.com/kolla
axes:
  install_type: [binary, source]
  distro: [debian, rocky]
stages: [infra, svc, api, test]
images:
  infra: { stage: infra, context: infra }
  svc: { stage: svc, from: infra, context: svc, axes: [install_type] }
  api: { stage: api, from: [svc, infra], context: api, axes: [distro] }
services:
  db: { image: mariadb:11.4, port: 3306, health: { tcp: true } }
jobs:
  functional: { stage: test, services: [db], script: [./run.sh], artifacts: { paths: [out/], when: always } }
"#;

fn plan(text: &str) -> Plan {
    let loaded = load::load("t.yaml", text).unwrap_or_else(|e| panic!("{e}"));
    crate::plan::build(&loaded, "t.yaml").unwrap_or_else(|e| panic!("{e}"))
}

fn workflow(text: &str) -> Value {
    crate::yaml::from_str(&render(&plan(text), Extent::Whole).text).expect("the workflow is YAML")
}

fn jobs(workflow: &Value) -> Vec<(String, &Value)> {
    workflow["jobs"]
        .as_mapping()
        .expect("jobs")
        .iter()
        .map(|(k, v)| (k.as_str().expect("job id").to_string(), v))
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value.as_sequence().map(|s| s.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

fn steps(job: &Value) -> &Vec<Value> {
    job["steps"].as_sequence().expect("steps")
}

#[test]
fn a_job_downloads_the_artifacts_of_the_jobs_it_needs_after_its_checkout() {
    let w = workflow(GDK);
    let qa = steps(&w["jobs"]["qa_3-2"]);
    assert_eq!(qa[0]["name"].as_str(), Some("Check out"));
    assert_eq!(qa[1]["uses"].as_str(), Some(DOWNLOAD_ARTIFACT.uses().as_str()));
    // Every shard and attempt of `lint`'s uploads (`lint.attempt-<n>`, `lint.shard-<n>.…`).
    assert_eq!(qa[1]["with"]["pattern"].as_str(), Some("lint.*"));
    assert_eq!(qa[1]["with"]["merge-multiple"].as_bool(), Some(true));
    assert!(qa[1]["with"]["path"].is_null(), "into the workspace");
    // `lint`'s archive is rooted at the repository root, so `lint/report.json` arrives there.
    let upload = steps(&w["jobs"]["lint"]).iter().find(|s| s["name"] == "Upload artifacts").expect("upload");
    assert_eq!(upload["with"]["path"].as_str(), Some("lint/report.json\n.pipegen-artifact-root\n"));
    // `qa` keeps its files on failure alone: a job needing it would have nothing to download,
    // and no job needs it, so its upload lists its own paths alone.
    let upload = steps(&w["jobs"]["qa_3-2"]).iter().find(|s| s["name"] == "Upload artifacts").expect("upload");
    assert_eq!(upload["with"]["path"].as_str(), Some("qa/tmp/\n"));
}

#[test]
fn each_variant_build_needs_only_its_own_parent_variant() {
    let w = workflow(GDK);
    assert_eq!(strings(&w["jobs"]["build_gitaly_3-2"]["needs"]), ["build_base_3-2"]);
    assert_eq!(strings(&w["jobs"]["build_gitaly_3-3"]["needs"]), ["build_base_3-3"]);
    assert_eq!(strings(&w["jobs"]["build_gdk_3-3"]["needs"]), ["build_base_3-3", "build_gitaly_3-3"]);
    assert_eq!(strings(&w["jobs"]["qa_3-2"]["needs"]), ["build_gdk_3-2", "lint"]);
    // The parent's tag comes from the same variant's build job, and only that.
    let env = &w["jobs"]["build_gitaly_3-3"]["env"];
    assert_eq!(env["PIPEGEN_PARENTS"].as_str(), Some("BASE_IMAGE=base=BASE__3_3"));
    assert_eq!(env["PIPEGEN_PARENT_1"].as_str(), Some("BASE__3_3=${{ needs.build_base_3-3.outputs.tag }}"));
    assert!(env["PIPEGEN_PARENT_2"].is_null());
}

#[test]
fn an_axis_less_parent_is_built_once_and_shared() {
    let w = workflow(KOLLA);
    let ids: Vec<String> = jobs(&w).into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids.iter().filter(|id| id.starts_with("build_infra")).count(), 1, "{ids:?}");
    assert_eq!(strings(&w["jobs"]["build_svc_binary"]["needs"]), ["build_infra"]);
    assert_eq!(strings(&w["jobs"]["build_svc_source"]["needs"]), ["build_infra"]);
    assert_eq!(strings(&w["jobs"]["build_api_source-rocky"]["needs"]), ["build_svc_source", "build_infra"]);
}

#[test]
fn build_jobs_always_run_and_publish_only_their_own_tag() {
    let w = workflow(GDK);
    for (id, job) in jobs(&w) {
        assert!(job["if"].is_null(), "{id}: a build job is never skipped, so its output exists");
        if id.starts_with("build_") {
            let outputs = job["outputs"].as_mapping().expect("outputs");
            assert_eq!(outputs.len(), 1, "{id}: {outputs:?}");
            assert_eq!(job["outputs"]["tag"].as_str(), Some("${{ steps.tag.outputs.tag }}"));
        } else {
            assert!(job["outputs"].is_null(), "{id}");
        }
    }
    // The steps of builds without image caches are written once and shared.
    let text = render(&plan(GDK), Extent::Whole).text;
    assert_eq!(text.matches("steps: &steps-1\n").count(), 1, "{text}");
    assert!(text.contains("    steps: *steps-1\n"));
    let build = steps(&w["jobs"]["build_base_3-3"]);
    assert_eq!(build.len(), 3, "checkout, the build script, saving the local image of a run that does not push");
    assert_eq!(build[1]["run"].as_str(), Some("eval \"$PIPEGEN_BUILD_SH\" && pipegen_build_job"));
    assert_eq!(build[1]["id"].as_str(), Some("tag"));
    assert_eq!(build[1]["env"]["PIPEGEN_REGISTRY_PASSWORD"].as_str(), Some("${{ secrets.PIPEGEN_REGISTRY_PASSWORD }}"));
}

#[test]
fn only_build_jobs_may_write_packages() {
    for model in [GDK, KOLLA] {
        let w = workflow(model);
        assert_eq!(w["permissions"].as_mapping().map(|m| m.len()), Some(0), "top-level permissions: {{}}");
        for (id, job) in jobs(&w) {
            let packages = job["permissions"]["packages"].as_str();
            if id.starts_with("build_") {
                assert_eq!(packages, Some("write"), "{id}");
            } else {
                assert_ne!(packages, Some("write"), "{id}");
            }
            assert_eq!(job["permissions"]["contents"].as_str(), Some("read"), "{id}");
        }
    }
}

#[test]
fn every_action_is_pinned_by_a_full_sha_with_its_version() {
    let text = render(&plan(GDK), Extent::Whole).text;
    let w: Value = crate::yaml::from_str(&text).unwrap();
    let mut seen = 0;
    for (id, job) in jobs(&w) {
        for step in steps(job) {
            if let Some(uses) = step["uses"].as_str() {
                let (_, sha) = uses.split_once('@').unwrap_or_else(|| panic!("{id}: {uses}"));
                assert!(sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit()), "{id}: {uses}");
                let action = ACTIONS.iter().find(|a| a.uses() == uses).unwrap_or_else(|| panic!("unknown {uses}"));
                assert!(text.contains(&format!("uses: {uses} # {}\n", action.version)));
                seen += 1;
            }
        }
    }
    assert!(seen > 10);
    for action in ACTIONS {
        assert!(text.contains(&action.uses()), "the GDK-like model uses {}", action.name);
    }
}

#[test]
fn no_expression_is_pasted_into_a_script() {
    for model in [GDK, KOLLA] {
        let w = workflow(model);
        for (id, job) in jobs(&w) {
            for step in steps(job) {
                if let Some(run) = step["run"].as_str() {
                    assert!(!run.contains("${{"), "{id}: {run}");
                }
            }
        }
    }
}

#[test]
fn every_job_has_a_timeout_and_retries_fit_in_it() {
    for model in [GDK, KOLLA] {
        let w = workflow(model);
        for (id, job) in jobs(&w) {
            assert!(job["timeout-minutes"].as_u64().is_some_and(|m| m > 0), "{id}");
        }
    }
    let w = workflow(GDK);
    // 3 attempts of 30 minutes, 10 minutes around them, the service waits one after another
    // (5m + 60s + 30s: 7 minutes, rounded up), as a job starting its own services waits.
    assert_eq!(w["jobs"]["qa_3-2"]["timeout-minutes"].as_u64(), Some(3 * 30 + 10 + 7));
    let qa = &w["jobs"]["qa_3-2"];
    assert_eq!(qa["env"]["PIPEGEN_ATTEMPTS"].as_str(), Some("3"));
    assert_eq!(qa["env"]["PIPEGEN_TIMEOUT"].as_str(), Some("1800"));
    let run = steps(qa).iter().find(|s| s["name"].as_str() == Some("Run the script (up to 3 attempts)")).unwrap();
    assert_eq!(run["run"].as_str(), Some("eval \"$PIPEGEN_RUN_SH\""));
    assert_eq!(run["if"].as_str(), Some("env.PIPEGEN_PUSH == 'true'"));
    let library = w["env"]["PIPEGEN_RUN_SH"].as_str().unwrap();
    assert!(library.contains("set -- timeout \"$PIPEGEN_TIMEOUT\" \"$@\""), "{library}");
    assert!(library.contains("if [ \"$pipegen_attempt\" -ge \"$pipegen_attempts\" ]; then"), "{library}");
}

/// Without a `timeout`, each attempt of a job that retries is stopped after the hour
/// `timeout-minutes` counts for it, as GitLab's default job timeout ends an attempt that `retry`
/// retries: a stuck first attempt used all the minutes and was never retried.
#[test]
fn without_a_timeout_each_attempt_gets_the_hour_the_job_counts_for_it() {
    let w = workflow(
        "pipegen: 1\nname: t\nregistry: ghcr.io/e/t\njobs:\n  a: { image: alpine:3, retry: 2, script: [make] }\n  b: { image: alpine:3, script: [make] }\n",
    );
    let a = &w["jobs"]["a"];
    assert_eq!(a["timeout-minutes"].as_u64(), Some(3 * 60 + 10));
    assert_eq!(a["env"]["PIPEGEN_TIMEOUT"].as_str(), Some("3600"));
    assert_eq!(a["env"]["PIPEGEN_TIMEOUT_TEXT"].as_str(), Some("1h"));
    assert_eq!(a["env"]["PIPEGEN_TIMEOUT_DEFAULT"].as_str(), Some("true"));
    let b = &w["jobs"]["b"];
    assert_eq!(b["timeout-minutes"].as_u64(), Some(60 + 10), "one attempt: the job's minutes bound it");
    assert!(b["env"].get("PIPEGEN_TIMEOUT").is_none(), "{:?}", b["env"]);
}

#[test]
fn checkouts_do_not_persist_credentials() {
    let w = workflow(GDK);
    let mut checkouts = 0;
    for (id, job) in jobs(&w) {
        for step in steps(job).iter().filter(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/checkout@")))
        {
            assert_eq!(step["with"]["persist-credentials"].as_bool(), Some(false), "{id}");
            checkouts += 1;
        }
    }
    assert_eq!(checkouts, jobs(&w).len());
}

#[test]
fn shards_services_artifacts_and_env_map_to_github_keywords() {
    let w = workflow(GDK);
    let qa = &w["jobs"]["qa_3-3"];
    assert_eq!(qa["strategy"]["fail-fast"].as_bool(), Some(false));
    let shards: Vec<u64> =
        qa["strategy"]["matrix"]["shard"].as_sequence().unwrap().iter().filter_map(Value::as_u64).collect();
    assert_eq!(shards, [1, 2, 3, 4]);
    assert_eq!(qa["env"]["CI_NODE_INDEX"].as_str(), Some("${{ matrix.shard }}"));
    assert_eq!(qa["env"]["CI_NODE_TOTAL"].as_str(), Some("4"));
    assert_eq!(qa["env"]["ruby"].as_str(), Some("3.3"));
    assert_eq!(qa["env"]["LITERAL"].as_str(), Some("${{ '${{' }} github.token }}"), "a model's `${{{{` stays literal");
    assert!(qa["container"]["image"].as_str().unwrap().ends_with("needs.build_gdk_3-3.outputs.tag) || '' }}"));
    assert_eq!(
        qa["container"]["credentials"]["password"].as_str(),
        Some(
            "${{ secrets.PIPEGEN_REGISTRY_PASSWORD || startsWith(format('{0}/', inputs.registry || vars.PIPEGEN_REGISTRY || 'ghcr.io/example/gdk'), 'ghcr.io/') && github.token || 'anonymous' }}"
        ),
        "never empty; the job token for ghcr.io only"
    );

    let services = &qa["services"];
    let http = services["gdk"]["options"].as_str().unwrap();
    assert!(http.starts_with("--health-cmd \"pipegen_ip=\\\"$(hostname -i 2> /dev/null)"), "{http}");
    assert!(http.contains("pipegen_url=\\\"http://$pipegen_ip:3000\\\"/-/readiness;"), "{http}");
    assert!(http.contains("curl -fsSg -o /dev/null --max-time 5 -H 'Host: gdk:3000' "), "{http}");
    assert!(
        http.ends_with("--health-interval 5s --health-timeout 5s --health-retries 1 --health-start-period 300s"),
        "{http}"
    );
    let cmd = services["postgres"]["options"].as_str().unwrap();
    assert!(cmd.starts_with(r#"--health-cmd "pg_isready -h \"$PIPEGEN_SERVICE_HOST\" -U postgres""#), "{cmd}");
    assert_eq!(services["postgres"]["env"]["PIPEGEN_SERVICE_HOST"].as_str(), Some("localhost"));
    assert_eq!(services["postgres"]["env"]["PIPEGEN_SERVICE_PORT"].as_str(), Some("5432"));
    let tcp = services["redis"]["options"].as_str().unwrap();
    assert!(tcp.contains("[0-9A-F]+:18EB [0-9A-F]+:0000 0A ' /proc/net/tcp /proc/net/tcp6"), "{tcp}");
    assert!(tcp.contains("--health-start-period 30s"), "{tcp}");
    // In a container job the services are reached by alias; nothing is published.
    assert!(services["gdk"]["ports"].is_null());

    let upload = steps(qa)
        .iter()
        .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/upload-artifact@")))
        .unwrap();
    assert_eq!(upload["if"].as_str(), Some("failure()"));
    assert_eq!(
        upload["with"]["name"].as_str(),
        Some("qa_3-3.shard-${{ matrix.shard }}.attempt-${{ github.run_attempt }}"),
        "a job run again uploads under a name of its own"
    );
    assert_eq!(
        upload["with"]["include-hidden-files"].as_bool(),
        Some(true),
        "`.reports/` or `.coverage` are uploaded, as GitLab archives them"
    );
}

/// A run that does not push hands its images on through the run's cache, one entry per attempt;
/// a job restores its own attempt's, else an earlier attempt's: after "Re-run failed jobs" the
/// builds it needs saved their images in the first attempt.
#[test]
fn local_images_are_found_by_a_later_attempt_of_the_run() {
    let w = workflow(GDK);
    let uses = |step: &Value, action: &str| step["uses"].as_str().is_some_and(|u| u.starts_with(action));
    let save = steps(&w["jobs"]["build_base_3-3"]).iter().find(|s| uses(s, "actions/cache/save@")).expect("a save");
    assert_eq!(
        save["with"]["key"].as_str(),
        Some(
            "pipegen-image-${{ github.run_id }}-${{ steps.tag.outputs.key }}=${{ steps.tag.outputs.tag }}-${{ github.run_attempt }}"
        )
    );
    let mut restores = 0;
    for (_, job) in jobs(&w) {
        for step in steps(job).iter().filter(|s| uses(s, "actions/cache/restore@")) {
            let key = step["with"]["key"].as_str().unwrap();
            if !key.starts_with("pipegen-image-") {
                continue;
            }
            restores += 1;
            let prefix = key.strip_suffix("${{ github.run_attempt }}").expect("the attempt ends the key");
            assert!(prefix.ends_with("}-"), "the image's name, then `-`: {key}");
            assert_eq!(step["with"]["restore-keys"].as_str(), Some(prefix), "{step:?}");
        }
    }
    assert!(restores >= 3, "parents' and jobs' images are restored: {restores}");
}

#[test]
fn a_job_on_the_runner_publishes_service_ports_and_resolves_aliases() {
    let w = workflow(KOLLA);
    let job = &w["jobs"]["functional"];
    assert!(job["container"].is_null());
    assert_eq!(strings(&job["services"]["db"]["ports"]), ["3306:3306"]);
    assert_eq!(job["env"]["PIPEGEN_ALIASES"].as_str(), Some("db"));
    assert!(steps(job).iter().any(|s| s["run"].as_str() == Some("eval \"$PIPEGEN_ALIASES_SH\"")));
    assert!(w["env"]["PIPEGEN_ALIASES_SH"].as_str().unwrap().contains("/etc/hosts"));
    let upload = steps(job)
        .iter()
        .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/upload-artifact@")))
        .unwrap();
    assert_eq!(upload["if"].as_str(), Some("always()"));
}

#[test]
fn caches_key_on_their_files_and_fall_back_to_their_prefix() {
    let w = workflow(GDK);
    let qa = steps(&w["jobs"]["qa_3-2"]);
    let cache = |name: &str| {
        qa.iter()
            .find(|s| s["name"].as_str() == Some(&format!("Cache {name}")))
            .unwrap_or_else(|| panic!("cache {name}"))
    };
    assert_eq!(cache("gems")["with"]["key"].as_str(), Some("gems@test+3.2~${{ hashFiles('Gemfile.lock') }}"));
    assert_eq!(cache("gems")["with"]["restore-keys"].as_str(), Some("gems@test+3.2~"));
    assert_eq!(
        cache("node")["with"]["key"].as_str(),
        Some("node@test+3.2~${{ hashFiles('package.json', 'yarn.lock', 'go.sum') }}")
    );
    assert_eq!(cache("node")["with"]["path"].as_str(), Some("node_modules"));
}

#[test]
fn an_image_cache_is_restored_before_the_build_and_danced_in_the_script() {
    let w = workflow(GDK);
    let job = &w["jobs"]["build_gitaly_3-2"];
    let build = steps(job);
    let names: Vec<&str> = build.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(
        names,
        ["Check out", "Cache go", "Restore the local image of parent 1", "Build", "Save the local image"]
    );
    assert_eq!(build[1]["with"]["path"].as_str(), Some(".go/pkg/mod"));
    assert_eq!(build[1]["with"]["key"].as_str(), Some("go@components+3.2~${{ hashFiles('go.sum') }}"));
    assert_eq!(job["env"]["PIPEGEN_CACHES"].as_str(), Some("go\n.go/pkg/mod"));
    let library = w["env"]["PIPEGEN_BUILD_SH"].as_str().unwrap();
    assert!(library.contains(
        "RUN --mount=type=cache,id=%s,target=/pipegen-cache --mount=type=bind,source=.,target=/pipegen-restored"
    ));
    assert!(
        library
            .contains("--cache-from \"type=registry,ref=$PIPEGEN_REGISTRY/$PIPEGEN_IMAGE/cache:$pipegen_cache_tag\""),
        "{library}"
    );
    // One cache per build, and per platform for the jobs of a build split by platform.
    assert!(library.contains("\npipegen_cache_tag=\"$PIPEGEN_KEY\"\n"), "{library}");
    assert!(library.contains("\npipegen_cache_tag=\"$PIPEGEN_KEY-$pipegen_slug\"\n"), "{library}");
    assert!(library.contains("mode=max,ignore-error=true"), "{library}");
}

#[test]
fn the_registry_is_the_models_unless_overridden_for_the_run() {
    let w = workflow(GDK);
    assert_eq!(
        w["env"]["PIPEGEN_REGISTRY"].as_str(),
        Some("${{ inputs.registry || vars.PIPEGEN_REGISTRY || 'ghcr.io/example/gdk' }}")
    );
    assert_eq!(w["on"]["workflow_dispatch"]["inputs"]["registry"]["required"].as_bool(), Some(false));
    assert!(w["on"]["push"].is_mapping() && w["on"]["pull_request"].is_mapping());
    assert_eq!(
        w["concurrency"]["group"].as_str(),
        Some(
            "${{ github.workflow }}-${{ github.event_name == 'merge_group' && 'merge_group-' || '' }}${{ github.ref }}"
        )
    );
    assert_eq!(
        w["concurrency"]["cancel-in-progress"].as_str(),
        Some(format!("${{{{ !({DEFAULT_PUSH}) }}}}").as_str()),
        "superseded runs are cancelled, but never a run that pushes"
    );
    let library = w["env"]["PIPEGEN_BUILD_SH"].as_str().unwrap();
    assert!(library.contains("pipegen_commit=\"${GITHUB_SHA:-}\""), "{library}");
    assert!(library.contains("docker buildx imagetools inspect --raw \"$1\""));
    assert!(library.contains("*\"MANIFEST_UNKNOWN\"*"), "{library}");
}

/// Whether a run of the default push policy pushes (PIPEGEN_PUSH).
const DEFAULT_PUSH: &str = "github.event_name == 'schedule' || (github.event_name == 'push' || github.event_name == 'workflow_dispatch') && (github.ref_type == 'tag' || github.ref_type == 'branch' && (github.ref_name == github.event.repository.default_branch))";

/// A run that pushes is never cancelled running, whichever branch it publishes: the exemption is
/// the condition that sets PIPEGEN_PUSH (a published image's aliases must move), and a default
/// branch that does not push is cancelled like any other.
#[test]
fn no_run_that_pushes_is_cancelled() {
    let model = r#"
pipegen: 1
name: t
registry: ghcr.io/o/t
push: { default_branch: false, branches: ["release/*"] }
images:
  app: {}
"#;
    let w = workflow(model);
    let push = "(github.event_name == 'push' || github.event_name == 'workflow_dispatch') && (github.ref_type == 'tag' || github.ref_type == 'branch' && (startsWith(github.ref_name, 'release/')))";
    assert_eq!(w["env"]["PIPEGEN_PUSH"].as_str(), Some(format!("${{{{ ({push}) && 'true' || 'false' }}}}").as_str()));
    assert_eq!(w["concurrency"]["cancel-in-progress"].as_str(), Some(format!("${{{{ !({push}) }}}}").as_str()));
}

#[test]
fn waivers_become_comments_and_leave_no_pseudo_key() {
    let text = render(&plan(GDK), Extent::Whole).text;
    assert!(!text.contains("__pipegen_waiver__"));
    assert!(
        text.contains(
            "  # which is never cancelled running; a pending one gives way to a newer.\n  cancel-in-progress: "
        )
    );
    assert!(!text.contains("concurrency-cancels-release"), "cancelling is not waived, it is scoped");
    assert!(text.contains("      # zizmor: ignore[cache-poisoning]\n      uses: actions/cache@"));
    let image_lines: Vec<&str> = text.lines().filter(|l| l.trim_start().starts_with("image: ${{")).collect();
    assert!(!image_lines.is_empty());
    assert!(image_lines.iter().all(|l| l.ends_with(" # zizmor: ignore[unpinned-images]")), "{image_lines:?}");
    // Beside model images, an external image is empty when the run does not push.
    assert!(text.contains(
        "        # local images. The model pins it; pin it by digest there (name:tag@sha256:...) to make it immutable.\n        image: ${{ ("
    ));
}

#[test]
fn tag_pinned_external_images_carry_the_models_choice() {
    let external = |r: &str| image_waiver(&ImageUse::External(r.to_string()));
    assert_eq!(external("postgres:16.4"), Some(Waiver::ModelTagPin));
    assert_eq!(external("localhost:5000/team/db:1"), Some(Waiver::ModelTagPin));
    assert_eq!(external("postgres:16.4@sha256:0123"), None);
    assert_eq!(external("localhost:5000/team/db"), None, "a registry port is not a tag");
    assert_eq!(external("postgres:latest"), None, "latest is left to the linters");
}

#[test]
fn waivers_turn_into_indented_comments_and_directives() {
    let mut a = IndexMap::new();
    a.insert("image", Waiver::OwnImage.on(Commented::new("x")));
    a.insert("uses", Waiver::BuildCache.on(Commented::new("u").after("v1")));
    a.insert("plain", Waiver::on_optional(None, Commented::new("z")));
    let mut doc = IndexMap::new();
    doc.insert("a", a);
    assert_eq!(
        crate::yaml::to_string(&doc).unwrap(),
        "a:\n  # An image of this workflow, named by its content or commit tag in the run's registry.\n  image: x # zizmor: ignore[unpinned-images]\n  # Image builds restore their caches by design; GitHub restores only caches saved by runs of\n  # this ref or of the default branch.\n  # jactionlint ignore=cache-poisoning\n  # zizmor: ignore[cache-poisoning]\n  uses: u # v1\n  plain: z\n"
    );
}

#[test]
fn output_is_deterministic() {
    assert_eq!(render(&plan(GDK), Extent::Whole).text, render(&plan(GDK), Extent::Whole).text);
    assert_eq!(render(&plan(KOLLA), Extent::Whole).text, render(&plan(KOLLA), Extent::Whole).text);
}

/// A run that does not push (the model's `push:`, evaluated by GitHub into `PIPEGEN_PUSH`)
/// needs no registry: builds save local images to the run's cache, consumers restore and load
/// them, and a job using model images starts its container and services itself.
#[test]
fn a_run_that_does_not_push_hands_on_local_images() {
    let w = workflow(GDK);
    let push = w["env"]["PIPEGEN_PUSH"].as_str().unwrap();
    assert!(
        push.starts_with("${{ (github.event_name == 'schedule' || ") && push.ends_with(") && 'true' || 'false' }}"),
        "{push}"
    );
    let build = steps(&w["jobs"]["build_gitaly_3-2"]);
    let restore = &build[2];
    assert_eq!(restore["if"].as_str(), Some("env.PIPEGEN_PUSH != 'true'"));
    assert!(
        restore["uses"].as_str().unwrap().starts_with("actions/cache/restore@0057852bfaa89a56745cba8c7296529d2fc39830")
    );
    assert_eq!(
        restore["with"]["path"].as_str(),
        Some("${{ runner.temp }}/pipegen-images/${{ env.PIPEGEN_PARENT_1 }}.tar")
    );
    assert_eq!(
        restore["with"]["key"].as_str(),
        Some("pipegen-image-${{ github.run_id }}-${{ env.PIPEGEN_PARENT_1 }}-${{ github.run_attempt }}")
    );
    assert_eq!(
        w["jobs"]["build_gitaly_3-2"]["env"]["PIPEGEN_PARENT_1"].as_str(),
        Some("BASE__3_2=${{ needs.build_base_3-2.outputs.tag }}")
    );
    let save = build.last().unwrap();
    assert_eq!(save["if"].as_str(), Some("env.PIPEGEN_PUSH != 'true' && steps.tag.outputs.build == 'true'"));
    assert_eq!(
        save["with"]["path"].as_str(),
        Some("${{ runner.temp }}/pipegen-images/${{ steps.tag.outputs.key }}=${{ steps.tag.outputs.tag }}.tar")
    );
    let qa = &w["jobs"]["qa_3-2"];
    let local =
        steps(qa).iter().find(|s| s["run"].as_str().is_some_and(|r| r.contains("PIPEGEN_LOCAL_RUN_SH"))).unwrap();
    assert_eq!(local["if"].as_str(), Some("env.PIPEGEN_PUSH != 'true'"));
    let pass: Vec<&str> = qa["env"]["PIPEGEN_PASS"].as_str().unwrap().lines().collect();
    for name in ["PIPEGEN_SCRIPT", "PIPEGEN_ATTEMPTS", "PIPEGEN_TIMEOUT", "PIPEGEN_RUN_SH", "CI"] {
        assert!(pass.contains(&name), "{name} in {pass:?}");
    }
    let library = w["env"]["PIPEGEN_BUILD_SH"].as_str().unwrap();
    assert!(library.contains("docker save --output \"$PIPEGEN_LOCAL_IMAGES/$pipegen_saved.tar\" \"$pipegen_ref\""));
    assert!(library.contains("printf 'tag=%s\\nbuild=%s\\nkey=%s\\n'"), "{library}");
}

/// Writing up to the limit grows its budget from what the shares of the text written so far
/// say. Started small, it must take several attempts and still reach the verdict and the text
/// of the whole workflow: a file accepted is the whole file, byte for byte, and a file refused
/// is one whose whole text is over the limit.
#[test]
fn a_small_first_budget_grows_to_the_verdict_of_the_whole_file() {
    use std::fmt::Write as _;
    for images in [424, 432] {
        let mut text = String::from("pipegen: 1\nname: big\nregistry: registry.example.com/big\nimages:\n");
        for i in 0..images {
            let _ = writeln!(text, "  img{i}:\n    context: images/img{i}");
            if i >= 10 {
                let _ = writeln!(text, "    from: [img{}]", i - 10);
            }
        }
        text.push_str("jobs:\n");
        for i in (0..images).step_by(2) {
            let _ = writeln!(text, "  test{i}:\n    image: img{i}\n    script: [make test]");
        }
        let plan = plan(&text);
        let whole = render(&plan, Extent::Whole);
        let whole_refused = whole.text.len() > limits::MAX_WORKFLOW_BYTES;
        for first_budget in [20_000, 150_000, 1_000_000] {
            let written = render_from(&plan, Extent::UpToLimit, first_budget);
            let refused = written.stopped.is_some() || written.text.len() > limits::MAX_WORKFLOW_BYTES;
            assert_eq!(refused, whole_refused, "{images} images from {first_budget} bytes");
            if !refused {
                assert!(written.text == whole.text, "{images} images from {first_budget} bytes: the whole file");
            }
        }
        assert_eq!(whole_refused, images == 432, "the sizes stand on both sides of the limit");
    }
}

/// A job's secrets reach only the steps that run its script: each reads GitHub's `secrets`
/// context there, no build step or action sees it, the job's variables do not hold it, and a
/// job that runs in its local images passes it into its container by name.
#[test]
fn a_jobs_secrets_reach_only_the_steps_that_run_its_script() {
    let w = workflow(
        r#"
pipegen: 1
name: t
registry: registry.example.com/t
images:
  app: { context: . }
jobs:
  plain:
    image: node:22
    script: [make upload]
    secrets: [UPLOAD_TOKEN]
  local:
    image: app
    script: [make e2e]
    secrets: [E2E_KEY, OTHER_KEY]
"#,
    );
    let reads = |step: &Value, name: &str| step["env"][name].as_str() == Some(&format!("${{{{ secrets.{name} }}}}"));
    let runs_script = |step: &Value| step["run"].as_str().is_some_and(|r| r.contains("RUN_SH\""));
    for (job, names) in [("plain", &["UPLOAD_TOKEN"][..]), ("local", &["E2E_KEY", "OTHER_KEY"])] {
        let job = &w["jobs"][job];
        let script_steps: Vec<&Value> = steps(job).iter().filter(|s| runs_script(s)).collect();
        assert!(!script_steps.is_empty());
        for name in names {
            assert!(script_steps.iter().all(|s| reads(s, name)), "{name}: {script_steps:?}");
            assert!(steps(job).iter().filter(|s| !runs_script(s)).all(|s| s["env"][*name].is_null()), "{name}");
            assert!(job["env"][*name].is_null(), "{name} in the job's variables");
        }
    }
    let pass: Vec<&str> = w["jobs"]["local"]["env"]["PIPEGEN_PASS"].as_str().unwrap().lines().collect();
    assert!(pass.contains(&"E2E_KEY") && pass.contains(&"OTHER_KEY"), "{pass:?}");
    assert!(w["jobs"]["plain"]["env"]["PIPEGEN_PASS"].is_null());
    for build in w["jobs"].as_mapping().unwrap().iter().filter(|(id, _)| id.as_str().unwrap().starts_with("build_")) {
        assert!(!crate::yaml::to_string(build.1).unwrap().contains("secrets.E2E_KEY"));
    }
}

/// Artifact names are the run's: shard 1 of `test` and a job named `test-shard-1` must not
/// upload under one name (upload-artifact refuses the second), nor must a job whose id was
/// shortened for GitHub's 100-character limit lose its own.
#[test]
fn every_job_uploads_its_artifacts_under_a_name_of_its_own() {
    let long = "l".repeat(120);
    let w = workflow(&format!(
        r#"
pipegen: 1
name: t
registry: ghcr.io/example/t
jobs:
  test:
    parallel: 2
    script: [make]
    artifacts: {{ paths: [out/] }}
  test-shard-1:
    script: [make]
    artifacts: {{ paths: [out/] }}
  test-attempt-1:
    script: [make]
    artifacts: {{ paths: [out/] }}
  {long}:
    script: [make]
    artifacts: {{ paths: [out/] }}
"#
    ));
    let mut names = Vec::new();
    for (id, job) in jobs(&w) {
        assert!(id.len() < 100, "GitHub refuses the id {id}");
        for step in steps(job) {
            if step["uses"].as_str().is_some_and(|u| u.starts_with("actions/upload-artifact@")) {
                let name = step["with"]["name"].as_str().unwrap().replace("${{ matrix.shard }}", "1");
                names.push(name.replace("${{ github.run_attempt }}", "1"));
            }
        }
    }
    names.sort();
    let before = names.len();
    names.dedup();
    assert_eq!((before, names.len()), (4, 4), "{names:?}");
}

/// GitHub refuses a workflow holding an expression over 21,000 characters. The push condition
/// grows with the branches that push, a cache key's `hashFiles` with its key files: each is
/// refused where the model writes what makes it long.
#[test]
fn an_expression_github_would_refuse_for_its_length_is_refused_where_the_model_makes_it() {
    let codes = |text: &str| -> Vec<(String, String)> {
        let plan = plan(text);
        let rendering = render(&plan, Extent::Whole);
        limits::check(&plan, &rendering).into_iter().map(|d| (d.code.to_string(), d.path.to_string())).collect()
    };
    let branches: Vec<String> = (0..120).map(|i| format!("\"release/{i:03}-{}\"", "x".repeat(160))).collect();
    let pushing = format!(
        "pipegen: 1\nname: t\nregistry: ghcr.io/o/t\npush:\n  branches: [{}]\nimages:\n  app: {{}}\n",
        branches.join(", ")
    );
    assert_eq!(codes(&pushing), [("expression-too-long".to_string(), "push.branches".to_string())]);
    let fewer = pushing.replace(&format!(", {}", branches[1..].join(", ")), "");
    assert_eq!(codes(&fewer), []);

    let keys: Vec<String> = (0..700).map(|i| format!("\"dir{i:04}/some/long/path/go.sum\"")).collect();
    let hashing = format!(
        "pipegen: 1\nname: t\nregistry: ghcr.io/o/t\ncaches:\n  go: {{ key: [{}], paths: [.go] }}\njobs:\n  test:\n    caches: [go]\n    script: [make]\n",
        keys.join(", ")
    );
    assert_eq!(codes(&hashing), [("expression-too-long".to_string(), "jobs.test".to_string())]);
}

/// A scheduled run's event has no `repository` (github/codeql-action#1211), so
/// `github.event.repository.default_branch` is empty there. GitHub runs schedules on the
/// default branch: a scheduled run must neither cancel nor be cancelled as a superseded run of
/// another branch (it shares its group with the default branch's pushes), and its alias step
/// must see the default branch, or no `when: default-branch` alias moves in a refresh.
#[test]
fn a_scheduled_run_counts_as_the_default_branch() {
    let model = r#"
pipegen: 1
name: t
registry: ghcr.io/o/t
refresh: { schedule: "0 4 * * 1" }
images:
  app: { aliases: [{ tag: latest, when: default-branch }] }
"#;
    let w = workflow(model);
    assert_eq!(w["on"]["schedule"][0]["cron"].as_str(), Some("0 4 * * 1"));
    assert_eq!(w["concurrency"]["cancel-in-progress"].as_str(), Some(format!("${{{{ !({DEFAULT_PUSH}) }}}}").as_str()));
    let alias = steps(&w["jobs"]["build_app"]).iter().find(|s| s["name"].as_str() == Some("Alias tags")).unwrap();
    assert_eq!(
        alias["env"]["PIPEGEN_DEFAULT_BRANCH"].as_str(),
        Some("${{ github.event_name == 'schedule' && github.ref_name || github.event.repository.default_branch }}")
    );
    // Without a schedule no run is a scheduled one: the expressions stay as short as they were.
    let w = workflow(&model.replace("refresh: { schedule: \"0 4 * * 1\" }\n", ""));
    assert!(w["on"]["schedule"].is_null());
    let alias = steps(&w["jobs"]["build_app"]).iter().find(|s| s["name"].as_str() == Some("Alias tags")).unwrap();
    assert_eq!(alias["env"]["PIPEGEN_DEFAULT_BRANCH"].as_str(), Some("${{ github.event.repository.default_branch }}"));
}

#[test]
fn one_health_check_takes_as_long_as_on_gitlab_whatever_the_interval() {
    // A check that needs 1.5 s, every second: the per-probe bound is min(timeout, 5 s) on both
    // platforms, not the interval.
    let text = r#"
pipegen: 1
name: probes
registry: ghcr.io/example/probes
images:
  app: {}
services:
  slow: { image: postgres:16.4, port: 5432, health: { cmd: "sleep 1.5", timeout: 60s, interval: 1s } }
  web: { image: nginx:1.27, port: 80, health: { http: /, timeout: 3s, interval: 1s } }
jobs:
  t: { image: app, services: [slow, web], script: [make] }
"#;
    let p = plan(text);
    let w = workflow(text);
    let (_, job) = jobs(&w).into_iter().find(|(id, _)| id == "t").expect("the job");
    for (alias, probe) in [("slow", 5), ("web", 3)] {
        let options = job["services"][alias]["options"].as_str().unwrap();
        assert!(options.contains(&format!("--health-interval 1s --health-timeout {probe}s ")), "{options}");
        let run = &p.runs[0];
        let service = run.services.iter().find(|s| s.alias == alias).unwrap();
        let (_, wait) = scripts::wait_variable(service, service.health.as_ref().unwrap(), &p.policy);
        // `<kind> <seconds> <timeout as written> <interval> <probe limit> …`: GitLab's bound.
        assert_eq!(wait.split(' ').nth(4), Some(probe.to_string().as_str()), "{wait}");
    }
    let web = job["services"]["web"]["options"].as_str().unwrap();
    assert!(web.contains("--max-time 3 "), "curl's bound is the probe's: {web}");
}

/// GitHub stops a job on a GitHub-hosted runner after 6 hours and one on a self-hosted runner
/// after 5 days ("Usage limits for self-hosted runners"): a long build is refused only where its
/// jobs run on a hosted label.
#[test]
fn a_build_timeout_is_bounded_by_the_runner_its_jobs_use() {
    let codes = |text: &str| -> Vec<(String, String, String)> {
        let plan = plan(text);
        let rendering = render(&plan, Extent::Whole);
        limits::check(&plan, &rendering)
            .into_iter()
            .map(|d| (d.code.to_string(), d.path.to_string(), d.message.clone()))
            .collect()
    };
    let model = r#"
pipegen: 1
name: t
registry: ghcr.io/o/t
platforms: [linux/ppc64le]
runners: { linux/ppc64le: { github: my ppc runner, gitlab: [ppc] } }
images:
  app: { timeout: 8h }
"#;
    assert_eq!(codes(model), [], "a self-hosted runner may run a job for 5 days");
    let w = workflow(model);
    assert_eq!(w["jobs"]["build_app"]["runs-on"].as_str(), Some("my ppc runner"));
    assert_eq!(w["jobs"]["build_app"]["timeout-minutes"].as_u64(), Some(480));

    let too_long = codes(&model.replace("8h", "121h"));
    assert_eq!(too_long.len(), 1, "{too_long:?}");
    assert_eq!((too_long[0].0.as_str(), too_long[0].1.as_str()), ("timeout-too-long", "images.app.timeout"));
    assert!(too_long[0].2.contains("self-hosted runners stop a job after 7200 minutes"), "{}", too_long[0].2);

    // A hosted label keeps the 6 hours, whether written or the default runner.
    for hosted in [
        model.replace("my ppc runner", "ubuntu-24.04"),
        model.replace("linux/ppc64le", "linux/arm64").replace("my ppc runner", "ubuntu-24.04-arm"),
        model.replace(
            "platforms: [linux/ppc64le]\nrunners: { linux/ppc64le: { github: my ppc runner, gitlab: [ppc] } }\n",
            "",
        ),
    ] {
        let found = codes(&hosted);
        assert_eq!(found.len(), 1, "{hosted}: {found:?}");
        let message = &found[0].2;
        assert!(
            message.contains("GitHub-hosted runners (`") && message.ends_with("stop a job after 360 minutes"),
            "{message}"
        );
    }

    // A split build: its platform jobs run on their runners, the merge job on a hosted one,
    // where it only merges: its timeout stays within the hosted limit.
    let split = model
        .replace("platforms: [linux/ppc64le]", "platforms: [linux/ppc64le, linux/s390x]")
        .replace("gitlab: [ppc] } }", "gitlab: [ppc] }, linux/s390x: { github: my s390x runner } }");
    assert_eq!(codes(&split), []);
    let w = workflow(&split);
    assert_eq!(w["jobs"]["build_app"]["timeout-minutes"].as_u64(), Some(360));
    let platform_timeouts: Vec<u64> = jobs(&w)
        .into_iter()
        .filter(|(id, _)| id.starts_with("build_app__"))
        .filter_map(|(_, job)| job["timeout-minutes"].as_u64())
        .collect();
    assert_eq!(platform_timeouts, [480, 480]);
    let one_hosted = split.replace("my s390x runner", "ubuntu-latest");
    assert_eq!(codes(&one_hosted).len(), 1, "one platform job on a hosted runner is enough");
}

/// `parallel: 1` is one shard, which sees CI_NODE_INDEX=1 and CI_NODE_TOTAL=1 on both platforms
/// (GitLab's `parallel` takes 1..200); without `parallel` neither is set.
#[test]
fn one_shard_sees_its_index_and_total_on_both_platforms() {
    let model = r#"
pipegen: 1
name: t
registry: ghcr.io/o/t
jobs:
  qa: { parallel: 1, script: [make] }
"#;
    let p = plan(model);
    assert_eq!(p.runs[0].shards, Some(1));
    let w = workflow(model);
    let qa = &w["jobs"]["qa"];
    let shards: Vec<u64> =
        qa["strategy"]["matrix"]["shard"].as_sequence().unwrap().iter().filter_map(Value::as_u64).collect();
    assert_eq!(shards, [1]);
    assert_eq!(qa["env"]["CI_NODE_INDEX"].as_str(), Some("${{ matrix.shard }}"));
    assert_eq!(qa["env"]["CI_NODE_TOTAL"].as_str(), Some("1"));
    let gitlab: Value = crate::yaml::from_str(&crate::emit::render(&p, crate::emit::Target::Gitlab)).unwrap();
    assert_eq!(gitlab["qa"]["parallel"].as_u64(), Some(1), "GitLab sets CI_NODE_INDEX and CI_NODE_TOTAL itself");

    let without = model.replace("parallel: 1, ", "");
    let p = plan(&without);
    assert_eq!(p.runs[0].shards, None);
    let w = workflow(&without);
    assert!(w["jobs"]["qa"]["strategy"].is_null() && w["jobs"]["qa"]["env"]["CI_NODE_TOTAL"].is_null());
    let gitlab: Value = crate::yaml::from_str(&crate::emit::render(&p, crate::emit::Target::Gitlab)).unwrap();
    assert!(gitlab["qa"]["parallel"].is_null());
}

/// The merge queue runs the workflow (`merge_group`) as a pull request: nothing pushes, and the
/// `push` GitHub also sends for the queue's branch does not share (and cancel) its group.
#[test]
fn the_merge_queue_runs_the_workflow_without_pushing() {
    let w = workflow(GDK);
    assert!(w["on"]["merge_group"].is_mapping(), "{:?}", w["on"]);
    let group = w["concurrency"]["group"].as_str().unwrap();
    assert!(group.contains("github.event_name == 'merge_group' && 'merge_group-'"), "{group}");
    let push = w["env"]["PIPEGEN_PUSH"].as_str().unwrap();
    assert!(!push.contains("merge_group") && !push.contains("pull_request"), "only named events push: {push}");
    let empty = workflow("pipegen: 1\nname: e\nregistry: r.example.com/e\n");
    assert!(empty["on"]["merge_group"].is_null(), "a workflow that only runs when asked");
}
