//! Variants through the library (`pipegen::model::load`, `pipegen::plan::build`): what each seed
//! system needs of the image graph, job by job and edge by edge, and Vitess' shards, retries,
//! timeouts and artifacts in both generated pipelines.

mod support;

use std::collections::BTreeMap;

use pipegen::emit::gitlab::names;
use pipegen::emit::{self, Target};
use pipegen::model;
use pipegen::plan::{self, Build, JobId, Plan};
use pipegen::yaml::Value;

/// The plan of a model file, by its path relative to the repository root.
fn plan_of(relative: &str) -> Plan {
    let text = std::fs::read_to_string(support::repo().join(relative)).expect("read the model");
    plan_text(relative, &text)
}

fn plan_text(name: &str, text: &str) -> Plan {
    let loaded = model::load(name, text).unwrap_or_else(|errors| panic!("{errors}"));
    plan::build(&loaded, name).unwrap_or_else(|errors| panic!("{errors}"))
}

/// GitLab names of the builds of `image`, in plan order.
fn builds_of(plan: &Plan, image: &str) -> Vec<String> {
    plan.builds.iter().filter(|b| &*b.this.id.image == image).map(|b| names::build(&b.this.id)).collect()
}

fn build<'p>(plan: &'p Plan, name: &str) -> &'p Build {
    plan.builds.iter().find(|b| names::build(&b.this.id) == name).unwrap_or_else(|| panic!("no build job {name}"))
}

fn needs_of_build(plan: &Plan, name: &str) -> Vec<String> {
    build(plan, name).needs.iter().map(|n| names::job(&n.job)).collect()
}

fn needs_of_job(plan: &Plan, name: &str) -> Vec<String> {
    let run = plan.runs.iter().find(|r| names::job(&r.id()) == name).unwrap_or_else(|| panic!("no job {name}"));
    run.needs.iter().map(|n| names::job(&n.job)).collect()
}

fn names(prefix: &str, suffixes: &[&str]) -> Vec<String> {
    suffixes.iter().map(|s| format!("{prefix}:{s}")).collect()
}

const DISTROS: [&str; 3] = ["debian", "ubuntu", "rocky"];
const DISTRO_TYPES: [&str; 6] =
    ["debian-binary", "debian-source", "ubuntu-binary", "ubuntu-source", "rocky-binary", "rocky-source"];

#[test]
fn kolla_infra_images_are_built_once_per_distro_never_per_install_type() {
    let plan = plan_of("model/kolla.yaml");
    for infra in ["cron", "rabbitmq", "fluentd", "mariadb"] {
        assert_eq!(builds_of(&plan, infra), names(&format!("build:{infra}"), &DISTROS), "{infra}");
        for distro in DISTROS {
            assert_eq!(needs_of_build(&plan, &format!("build:{infra}:{distro}")), [format!("build:base:{distro}")],);
        }
    }
    assert_eq!(builds_of(&plan, "base"), names("build:base", &DISTROS));
}

#[test]
fn kolla_service_images_are_built_once_per_distro_and_install_type() {
    let plan = plan_of("model/kolla.yaml");
    for service in ["openstack-base", "keystone", "glance-api", "nova-base", "nova-api"] {
        assert_eq!(builds_of(&plan, service), names(&format!("build:{service}"), &DISTRO_TYPES), "{service}");
    }
    // 3 base + 4 × 3 infra + 5 × 6 service builds, nothing else.
    assert_eq!(plan.builds.len(), 3 + 12 + 30);
    for variant in DISTRO_TYPES {
        let distro = variant.split('-').next().expect("a distro");
        assert_eq!(needs_of_build(&plan, &format!("build:openstack-base:{variant}")), [format!("build:base:{distro}")]);
        assert_eq!(needs_of_build(&plan, &format!("build:nova-api:{variant}")), [format!("build:nova-base:{variant}")]);
    }
}

#[test]
fn kolla_both_install_types_share_the_infra_services_of_their_distro() {
    let plan = plan_of("model/kolla.yaml");
    for variant in DISTRO_TYPES {
        let distro = variant.split('-').next().expect("a distro");
        assert_eq!(
            needs_of_job(&plan, &format!("smoke:{variant}")),
            [
                format!("build:keystone:{variant}"),
                format!("build:mariadb:{distro}"),
                format!("build:rabbitmq:{distro}"),
            ]
        );
    }
}

#[test]
fn citus_builds_stylechecker_once_and_each_tester_once_per_postgres_version() {
    let plan = plan_of("model/citus.yaml");
    let versions = ["15.13", "16.9", "17.5"];
    assert_eq!(builds_of(&plan, "stylechecker"), ["build:stylechecker"]);
    assert!(needs_of_build(&plan, "build:stylechecker").is_empty());
    for image in ["extbuilder", "exttester", "failtester", "pgupgradetester", "citusupgradetester"] {
        assert_eq!(builds_of(&plan, image), names(&format!("build:{image}"), &versions), "{image}");
    }
    let chain = [
        ("exttester", "extbuilder"),
        ("failtester", "exttester"),
        ("pgupgradetester", "exttester"),
        ("citusupgradetester", "pgupgradetester"),
    ];
    for version in versions {
        assert!(needs_of_build(&plan, &format!("build:extbuilder:{version}")).is_empty());
        for (child, parent) in chain {
            assert_eq!(
                needs_of_build(&plan, &format!("build:{child}:{version}")),
                [format!("build:{parent}:{version}")],
            );
        }
        // The Postgres version and, from a field of the same axis entry, its major version reach
        // the Dockerfile as build arguments.
        let args = &build(&plan, &format!("build:extbuilder:{version}")).args;
        let major = version.split('.').next().unwrap().to_string();
        assert_eq!(args, &[("PG_VERSION".to_string(), version.to_string()), ("PG_MAJOR".to_string(), major)]);
        // And the Citus `build` of the same version, whose files it uses (`needs: [build]`).
        assert_eq!(
            needs_of_job(&plan, &format!("check-citus-upgrade:{version}")),
            [format!("build:citusupgradetester:{version}"), format!("build:{version}")]
        );
    }
    assert_eq!(needs_of_job(&plan, "check-style"), ["build:stylechecker"]);
}

#[test]
fn an_axis_less_parent_is_one_build_shared_by_every_variant() {
    let plan = plan_text(
        "shared.yaml",
        "pipegen: 1\nname: shared\nregistry: r.example/shared\naxes:\n  a: [\"1\", \"2\", \"3\"]\n  b: [x, y]\n\
         images:\n  infra: {}\n  svc: { from: infra, axes: [a] }\n  top: { from: [svc, infra], axes: [b] }\n",
    );
    assert_eq!(builds_of(&plan, "infra"), ["build:infra"]);
    assert_eq!(builds_of(&plan, "svc").len(), 3);
    assert_eq!(builds_of(&plan, "top").len(), 6);
    for top in builds_of(&plan, "top") {
        let values = top.trim_start_matches("build:top:");
        let a = values.split('-').next().expect("a value of a");
        assert_eq!(needs_of_build(&plan, &top), [format!("build:svc:{a}"), "build:infra".into()]);
    }
}

/// For every model and valid fixture: an image is built once per combination of its axes'
/// values, and each build needs exactly the parent builds whose values are its own (restricted to
/// the parent's axes), taking their tags.
#[test]
fn every_child_needs_exactly_the_parent_builds_of_its_own_values() {
    for path in support::models().iter().chain(&support::valid_fixtures()) {
        let relative = support::relative(path);
        let plan = plan_of(&relative);
        let mut per_image: BTreeMap<&str, Vec<&Build>> = BTreeMap::new();
        for b in &plan.builds {
            per_image.entry(&*b.this.id.image).or_default().push(b);
        }
        for b in &plan.builds {
            let mut expected = Vec::new();
            for parent in &b.parents {
                let candidates = &per_image[&*parent.build.id.image];
                let axes: Vec<String> =
                    candidates[0].this.id.variant.pairs().iter().map(|(axis, _)| axis.clone()).collect();
                let wanted = b.this.id.variant.restrict(&axes);
                let matching: Vec<&&Build> = candidates.iter().filter(|c| c.this.id.variant == wanted).collect();
                assert_eq!(
                    matching.len(),
                    1,
                    "{relative}: {} has no single parent build of {}",
                    b.id(),
                    parent.build.id.image
                );
                assert_eq!(
                    parent.build,
                    matching[0].this,
                    "{relative}: {} uses the wrong build of {}",
                    b.id(),
                    parent.build.id.image
                );
                expected.push(JobId::Build(matching[0].this.id.clone()));
            }
            let needs: Vec<&JobId> = b.needs.iter().map(|n| &n.job).collect();
            assert_eq!(needs, expected.iter().collect::<Vec<_>>(), "{relative}: needs of {}", b.id());
            assert!(b.needs.iter().all(|n| n.takes_tag), "{relative}: {} must read its parents' tags", b.id());
        }
        let text = std::fs::read_to_string(path).expect("read the model");
        let declared = model::load(&relative, &text).expect("loads").model.axes;
        for (image, builds) in &per_image {
            let combinations: usize =
                builds[0].this.id.variant.pairs().iter().map(|(axis, _)| declared[axis.as_str()].len()).product();
            assert_eq!(builds.len(), combinations, "{relative}: builds of {image}");
        }
    }
}

fn parse(text: &str) -> Value {
    pipegen::yaml::from_str(text).expect("the generated pipeline is YAML")
}

fn get<'v>(value: &'v Value, path: &[&str]) -> &'v Value {
    path.iter().fold(value, |v, key| v.get(*key).unwrap_or_else(|| panic!("no `{}` in {v:?}", path.join("."))))
}

#[test]
fn vitess_shards_retries_timeouts_and_failure_logs_are_in_the_gitlab_pipeline() {
    let plan = plan_of("model/vitess.yaml");
    let pipeline = parse(&emit::render(&plan, Target::Gitlab));
    for flavor in ["mysql57", "mysql80", "mariadb103"] {
        let job = get(&pipeline, &[&format!("integration:{flavor}")]);
        assert_eq!(get(job, &["parallel"]).as_u64(), Some(8));
        assert_eq!(get(job, &["retry", "max"]).as_u64(), Some(2));
        let when: Vec<&str> =
            get(job, &["retry", "when"]).as_sequence().expect("a list").iter().filter_map(Value::as_str).collect();
        assert!(when.contains(&"script_failure") && when.contains(&"job_execution_timeout"), "{when:?}");
        // 30 minutes for the tests after up to a minute waiting for etcd.
        assert_eq!(get(job, &["timeout"]).as_str(), Some("31m"));
        assert_eq!(get(job, &["artifacts", "when"]).as_str(), Some("on_failure"));
        assert_eq!(get(job, &["artifacts", "paths"]).as_sequence().map(Vec::len), Some(1));
        assert_eq!(get(job, &["artifacts", "paths"])[0].as_str(), Some("_test/logs/"));
        assert_eq!(get(job, &["variables", "flavor"]).as_str(), Some(flavor));
        let image = get(job, &["image", "name"]).as_str().expect("an image");
        assert_eq!(image, format!("${{PIPEGEN_REF_BASE__{}}}", flavor.to_uppercase()));
    }
}

#[test]
fn vitess_shards_retries_timeouts_and_failure_logs_are_in_the_github_workflow() {
    let plan = plan_of("model/vitess.yaml");
    let workflow = parse(&emit::render(&plan, Target::Github));
    for flavor in ["mysql57", "mysql80", "mariadb103"] {
        let job = get(&workflow, &["jobs", &format!("integration_{flavor}")]);
        let shards: Vec<u64> = get(job, &["strategy", "matrix", "shard"])
            .as_sequence()
            .expect("a list of shards")
            .iter()
            .filter_map(Value::as_u64)
            .collect();
        assert_eq!(shards, (1..=8).collect::<Vec<u64>>());
        // Three attempts of at most 30 minutes each fit in the job's own limit.
        let minutes = get(job, &["timeout-minutes"]).as_u64().expect("timeout-minutes");
        assert!(minutes >= 90, "timeout-minutes {minutes}");
        let steps = get(job, &["steps"]).as_sequence().expect("steps");
        let scripts: Vec<&str> = steps.iter().filter_map(|s| s.get("run")).filter_map(Value::as_str).collect();
        assert!(
            scripts.iter().any(|s| s.starts_with("eval \"$PIPEGEN_RUN_SH\"")),
            "no step runs the script:\n{scripts:#?}"
        );
        assert_eq!(get(job, &["env", "PIPEGEN_TIMEOUT"]).as_str(), Some("1800"), "30 minutes per attempt");
        assert_eq!(get(job, &["env", "PIPEGEN_ATTEMPTS"]).as_str(), Some("3"), "three attempts");
        let upload = steps
            .iter()
            .find(|s| s.get("uses").and_then(Value::as_str).is_some_and(|u| u.starts_with("actions/upload-artifact@")))
            .expect("an artifact upload step");
        assert_eq!(get(upload, &["if"]).as_str(), Some("failure()"));
        assert_eq!(get(upload, &["with", "path"]).as_str().map(str::trim), Some("_test/logs/"));
    }
}

/// GitLab's job `timeout:` covers `before_script`, where the job waits for its services one after
/// another: it is the model's timeout plus their health timeouts, so that a slow service fails
/// with its own message and the script keeps its time. Without a model timeout the project's
/// default applies and nothing is written.
#[test]
fn a_gitlab_jobs_timeout_leaves_its_script_the_models_time_after_the_service_waits() {
    let plan = plan_text(
        "waits.yaml",
        r#"pipegen: 1
name: t
registry: registry.example.com/t
services:
  db: { image: "postgres:16.4", port: 5432, health: { tcp: true, timeout: 10m } }
  cache: { image: "redis:7.4", port: 6379, health: { tcp: true, timeout: 90s } }
  plain: { image: "nginx:1.27", port: 80 }
jobs:
  waits:
    services: [db, cache, plain]
    timeout: 5m
    retry: 1
    script: [make test]
  untimed:
    services: [db]
    script: [make test]
"#,
    );
    let pipeline = parse(&emit::render(&plan, Target::Gitlab));
    assert_eq!(get(&pipeline, &["waits", "timeout"]).as_str(), Some("16m30s"));
    assert!(get(&pipeline, &["untimed"]).get("timeout").is_none());
}
