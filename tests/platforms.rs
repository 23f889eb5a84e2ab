//! Images built for several platforms (issue 10): the jobs both backends emit for a split build
//! (one per platform on its runner, one merge job keeping the contract's name), the runner
//! defaults, the content tag over the platform set, and the limits counting the extra jobs.

mod support;

use pipegen::content_tags::{TreeFacts, compute};
use pipegen::emit::{Target, render};
use pipegen::plan::Plan;
use serde_yaml::Value;

const MODEL: &str = r#"
pipegen: 1
name: platforms
registry: registry.example.com/platforms
platforms: [linux/arm64, linux/amd64]
runners:
  linux/arm64: { gitlab: [saas-linux-medium-arm64, arm] }
axes:
  ruby: ["3.2", "3.3"]
images:
  base:
    axes: [ruby]
    args: { RUBY_VERSION: "${ruby}" }
  app:
    from: base
  tool:
    from: base
    platforms: [linux/amd64]
jobs:
  test:
    image: app
    script: [make test]
"#;

fn plan_of(text: &str) -> Plan {
    let loaded = pipegen::model::load("pipegen.yaml", text).unwrap_or_else(|e| panic!("does not load: {e:?}"));
    pipegen::plan::build(&loaded, "pipegen.yaml").unwrap_or_else(|e| panic!("does not plan: {e:?}"))
}

fn emitted(text: &str, target: Target) -> Value {
    serde_yaml::from_str(&render(&plan_of(text), target)).expect("the pipeline is YAML")
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_sequence()
        .map(|s| {
            s.iter()
                .map(|v| v.as_str().map_or_else(|| v["job"].as_str().unwrap().to_string(), str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn gitlab_splits_a_build_into_its_platforms_and_a_merge_job_with_the_contract_name() {
    let p = emitted(MODEL, Target::Gitlab);
    // What the platform jobs and the merge job share is written once, in a hidden job they extend.
    let shared = &p[".build:base:3.2"];
    assert_eq!(shared["extends"].as_str(), Some(".pipegen:build"));
    assert_eq!(shared["variables"]["PIPEGEN_PLATFORMS"].as_str(), Some("linux/amd64\nlinux/arm64"));
    assert_eq!(shared["variables"]["PIPEGEN_IMAGE"].as_str(), Some("base"));
    for platform in ["linux-amd64", "linux-arm64"] {
        let job = &p[format!("build:base:3.2@{platform}").as_str()];
        assert_eq!(job["extends"].as_str(), Some(".build:base:3.2"), "{platform}");
        assert!(job["variables"]["PIPEGEN_IMAGE"].is_null(), "{platform}: written once, in the hidden job");
        assert_eq!(job["variables"]["PIPEGEN_SPLIT"].as_str(), Some("platform"));
        assert_eq!(job["variables"]["PIPEGEN_PLATFORM"].as_str(), Some(platform.replacen('-', "/", 1).as_str()));
        assert_eq!(
            job["variables"]["PIPEGEN_DIGEST_VARIABLE"].as_str(),
            Some(format!("PIPEGEN_DIGEST_BASE__3_2__{}", platform.to_uppercase().replace('-', "_")).as_str())
        );
        assert!(strings(&job["needs"]).is_empty());
    }
    // The runner tags of arm64 only; amd64 has none, so any untagged runner takes it.
    assert_eq!(strings(&p["build:base:3.2@linux-arm64"]["tags"]), ["saas-linux-medium-arm64", "arm"]);
    assert!(p["build:base:3.2@linux-amd64"]["tags"].is_null());
    let merge = &p["build:base:3.2"];
    assert_eq!(merge["extends"].as_str(), Some(".build:base:3.2"));
    assert_eq!(merge["variables"]["PIPEGEN_SPLIT"].as_str(), Some("merge"));
    assert_eq!(
        merge["variables"]["PIPEGEN_DIGESTS"].as_str(),
        Some("linux/amd64=PIPEGEN_DIGEST_BASE__3_2__LINUX_AMD64\nlinux/arm64=PIPEGEN_DIGEST_BASE__3_2__LINUX_ARM64")
    );
    assert_eq!(strings(&merge["needs"]), ["build:base:3.2@linux-amd64", "build:base:3.2@linux-arm64"]);
    assert!(merge["tags"].is_null(), "the merge job runs anywhere");
    // A child's platform jobs and its users need the merge job only.
    assert_eq!(strings(&p["build:app:3.2@linux-arm64"]["needs"]), ["build:base:3.2"]);
    assert_eq!(strings(&p["test:3.2"]["needs"]), ["build:app:3.2"]);
    // One platform: one job, no `@`, built with --platform on that platform's runner.
    let tool = &p["build:tool:3.2"];
    assert_eq!(tool["variables"]["PIPEGEN_PLATFORM"].as_str(), Some("linux/amd64"));
    assert!(tool["variables"]["PIPEGEN_SPLIT"].is_null());
    assert!(p["build:tool:3.2@linux-amd64"].is_null());
    assert_eq!(strings(&tool["needs"]), ["build:base:3.2"]);
}

#[test]
fn github_splits_a_build_into_its_platforms_and_a_merge_job_reading_their_digests() {
    let w = emitted(MODEL, Target::Github);
    let jobs = &w["jobs"];
    let arm = &jobs["build_base_3-2__linux-arm64"];
    assert_eq!(arm["name"].as_str(), Some("build:base:3.2@linux-arm64"));
    assert_eq!(arm["runs-on"].as_str(), Some("ubuntu-24.04-arm"), "GitHub's hosted arm64 runner by default");
    assert_eq!(arm["outputs"]["digest"].as_str(), Some("${{ steps.tag.outputs.digest }}"));
    assert_eq!(jobs["build_base_3-2__linux-amd64"]["runs-on"].as_str(), Some("ubuntu-latest"));
    let merge = &jobs["build_base_3-2"];
    assert_eq!(merge["name"].as_str(), Some("build:base:3.2"));
    assert_eq!(strings(&merge["needs"]), ["build_base_3-2__linux-amd64", "build_base_3-2__linux-arm64"]);
    assert_eq!(
        merge["env"]["PIPEGEN_DIGEST_BASE__3_2__LINUX_ARM64"].as_str(),
        Some("${{ needs.build_base_3-2__linux-arm64.outputs.digest }}")
    );
    assert_eq!(merge["outputs"]["tag"].as_str(), Some("${{ steps.tag.outputs.tag }}"));
    assert_eq!(strings(&jobs["build_app_3-3__linux-amd64"]["needs"]), ["build_base_3-3"]);
    assert_eq!(
        jobs["build_app_3-3__linux-amd64"]["env"]["PIPEGEN_PARENT_1"].as_str(),
        Some("BASE__3_3=${{ needs.build_base_3-3.outputs.tag }}@linux-amd64"),
    );
    assert_eq!(strings(&jobs["test_3-2"]["needs"]), ["build_app_3-2"]);
    assert_eq!(jobs["build_tool_3-2"]["runs-on"].as_str(), Some("ubuntu-latest"));
}

#[test]
fn runners_from_the_model_replace_the_defaults() {
    let model = MODEL.replace(
        "linux/arm64: { gitlab: [saas-linux-medium-arm64, arm] }",
        "linux/arm64: { github: my-arm-runner }\n  linux/amd64: { github: my-x86-runner, gitlab: [x86] }",
    );
    let w = emitted(&model, Target::Github);
    assert_eq!(w["jobs"]["build_base_3-2__linux-arm64"]["runs-on"].as_str(), Some("my-arm-runner"));
    assert_eq!(w["jobs"]["build_base_3-2__linux-amd64"]["runs-on"].as_str(), Some("my-x86-runner"));
    assert_eq!(w["jobs"]["build_tool_3-2"]["runs-on"].as_str(), Some("my-x86-runner"));
    // Jobs of the model and merge jobs stay on the default runner.
    assert_eq!(w["jobs"]["build_base_3-2"]["runs-on"].as_str(), Some("ubuntu-latest"));
    assert_eq!(w["jobs"]["test_3-2"]["runs-on"].as_str(), Some("ubuntu-latest"));
    let p = emitted(&model, Target::Gitlab);
    assert!(p["build:base:3.2@linux-arm64"]["tags"].is_null(), "no GitLab tags unless given");
    assert_eq!(strings(&p["build:tool:3.2"]["tags"]), ["x86"]);
}

#[test]
fn without_platforms_nothing_is_split() {
    let model =
        MODEL.replace("platforms: [linux/arm64, linux/amd64]\n", "").replace("    platforms: [linux/amd64]\n", "");
    let p = emitted(&model, Target::Gitlab);
    let names: Vec<&str> = p.as_mapping().unwrap().keys().filter_map(Value::as_str).collect();
    assert!(!names.iter().any(|n| n.contains('@')), "{names:?}");
    assert!(p["build:base:3.2"]["variables"]["PIPEGEN_PLATFORMS"].is_null());
    assert!(p["build:base:3.2"]["variables"]["PIPEGEN_PLATFORM"].is_null());
}

/// Every build's content tag, by label, from an empty tree (the recipe alone decides here).
fn tags(text: &str) -> Vec<(String, String)> {
    let plan = plan_of(text);
    compute(&plan, "0000000000000000000000000000000000000000", &TreeFacts::default())
        .into_iter()
        .map(|(id, tag)| (format!("{} {}", id.image, id.variant.suffix()), tag))
        .collect()
}

#[test]
fn the_content_tag_covers_the_platform_set_not_its_order() {
    let both = tags(MODEL);
    let reordered = tags(&MODEL.replace("[linux/arm64, linux/amd64]", "[linux/amd64, linux/arm64]"));
    assert_eq!(both, reordered, "the order written does not matter");
    let one = tags(&MODEL.replace("platforms: [linux/arm64, linux/amd64]", "platforms: [linux/amd64]"));
    let none = tags(
        &MODEL.replace("platforms: [linux/arm64, linux/amd64]\n", "").replace("    platforms: [linux/amd64]\n", ""),
    );
    for (i, (build, tag)) in both.iter().enumerate() {
        // The tool is built for amd64 in all three but one (none); its parent's tag differs anyway.
        assert_ne!(tag, &one[i].1, "{build}: two platforms and one give different tags");
        assert_ne!(tag, &none[i].1, "{build}: two platforms and none give different tags");
    }
    let recipe = plan_of(MODEL).builds[0].recipe().unwrap();
    let text = recipe.text(|_| None, |_| Vec::new(), |_, _| None, |_| String::new(), |_| Vec::new());
    assert!(text.starts_with("pipegen content tag v5\n"), "{text}");
    assert!(text.contains("\nplatforms linux/amd64 linux/arm64\n"), "{text}");
}

/// A model whose image `all` has `parents` parents, every image built for two platforms.
fn many_parents(parents: usize) -> String {
    let mut model = String::from(
        "pipegen: 1\nname: t\nregistry: r.example.com/t\nplatforms: [linux/amd64, linux/arm64]\nimages:\n",
    );
    let names: Vec<String> = (1..=parents).map(|i| format!("p{i:02}")).collect();
    for name in &names {
        model.push_str(&format!("  {name}: {{}}\n"));
    }
    model.push_str(&format!("  all: {{ from: [{}] }}\n", names.join(", ")));
    model
}

#[test]
fn a_merge_jobs_needs_count_its_platforms() {
    let dir = tempfile::tempdir().unwrap();
    // 49 parents and two platforms: the merge job needs 51 jobs; GitLab allows 50.
    std::fs::write(dir.path().join("pipegen.yaml"), many_parents(49)).unwrap();
    let (code, out, err) = support::pipegen_in(dir.path(), &["emit", "--target", "gitlab"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("error[too-many-needs]") && err.contains("51"), "{err}");
    assert!(err.contains("images.all"), "{err}");
    // One parent fewer and it fits.
    std::fs::write(dir.path().join("pipegen.yaml"), many_parents(48)).unwrap();
    let (code, out, err) = support::pipegen_in(dir.path(), &["emit", "--target", "gitlab"]);
    assert_eq!(code, 0, "{out}{err}");
}

/// `plan --format json` says which platforms each build is built for, by which jobs, and its
/// alias tags with when they are set.
#[test]
fn the_plan_lists_each_builds_platforms_platform_jobs_and_aliases() {
    let model = MODEL.replace(
        "    platforms: [linux/amd64]\n",
        "    platforms: [linux/amd64]\n    aliases: [\"${ruby}-latest\", { tag: \"${ruby}\", when: git-tag }]\n",
    );
    let plan = plan_of(&model);
    let verdicts = pipegen::changes::verdicts(&plan, &[], &[("gitlab", &|_, _| true)]);
    let json = serde_json::to_value(&verdicts).expect("JSON");
    let of =
        |id: &str| json.as_array().unwrap().iter().find(|v| v["id"] == id).unwrap_or_else(|| panic!("{id}")).clone();
    let base = of("build base [ruby=3.2]");
    assert_eq!(base["platforms"], serde_json::json!(["linux/amd64", "linux/arm64"]));
    assert_eq!(
        base["platform_jobs"],
        serde_json::json!(["build base [ruby=3.2] for linux/amd64", "build base [ruby=3.2] for linux/arm64"])
    );
    assert_eq!(base["aliases"], serde_json::json!([]));
    let tool = of("build tool [ruby=3.3]");
    assert_eq!(tool["platforms"], serde_json::json!(["linux/amd64"]));
    assert_eq!(tool["platform_jobs"], serde_json::json!([]), "one platform: one job");
    assert_eq!(tool["aliases"], serde_json::json!(["3.3-latest always", "3.3 git-tag"]));
}

const CACHED: &str = r#"
pipegen: 1
name: cached
registry: registry.example.com/cached
platforms: [linux/amd64, linux/arm64]
runners:
  linux/arm64: { gitlab: [arm], github: ubuntu-24.04-arm }
axes: { pg: ["16.9", "17.5"] }
caches: { apt: { key: [Gemfile.lock], paths: [".apt-${pg}"] } }
images:
  base: { stage: build, axes: [pg], caches: [apt] }
  tool: { stage: build, axes: [pg], caches: [apt], platforms: [linux/arm64] }
jobs:
  test: { stage: test, axes: [pg], caches: [apt], script: [make] }
"#;

/// The keys of a GitLab job's cache entries, in order.
fn gitlab_cache_keys(job: &Value) -> Vec<String> {
    job["cache"]
        .as_sequence()
        .unwrap_or_else(|| panic!("no cache: {job:?}"))
        .iter()
        .map(|c| c["key"].as_str().map_or_else(|| c["key"]["prefix"].as_str().unwrap().to_string(), str::to_string))
        .collect()
}

/// The keys and restore keys of a GitHub job's `actions/cache` steps.
fn github_cache_keys(job: &Value) -> Vec<(String, String)> {
    job["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter(|s| s["name"].as_str().is_some_and(|n| n.starts_with("Cache ")))
        .map(|s| {
            (s["with"]["key"].as_str().unwrap().to_string(), s["with"]["restore-keys"].as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn image_caches_are_keyed_by_the_platform_each_job_builds() {
    let p = emitted(CACHED, Target::Gitlab);
    for platform in ["linux-amd64", "linux-arm64"] {
        assert_eq!(
            gitlab_cache_keys(&p[format!("build:base:16.9@{platform}").as_str()]),
            [format!("apt@build+16.9@{platform}"), format!("apt@build+16.9@{platform}-latest")],
        );
    }
    assert!(p["build:base:16.9"]["cache"].is_null(), "the merge job builds nothing");
    // One platform: its job names it too, so it never shares a cache with another architecture.
    assert_eq!(
        gitlab_cache_keys(&p["build:tool:17.5"]),
        ["apt@build+17.5@linux-arm64", "apt@build+17.5@linux-arm64-latest"]
    );
    // Jobs have no platforms: their keys are as before.
    assert_eq!(gitlab_cache_keys(&p["test:16.9"]), ["apt@test+16.9", "apt@test+16.9-latest"]);

    let w = emitted(CACHED, Target::Github);
    let jobs = &w["jobs"];
    for platform in ["linux-amd64", "linux-arm64"] {
        let prefix = format!("apt@build+16.9@{platform}~");
        assert_eq!(
            github_cache_keys(&jobs[format!("build_base_16-9__{platform}").as_str()]),
            [(format!("{prefix}${{{{ hashFiles('Gemfile.lock') }}}}"), prefix)],
        );
    }
    assert_eq!(github_cache_keys(&jobs["build_tool_17-5"])[0].1, "apt@build+17.5@linux-arm64~");
    assert_eq!(github_cache_keys(&jobs["test_16-9"])[0].1, "apt@test+16.9~");
}

#[test]
fn without_platforms_image_cache_keys_name_none() {
    let model = CACHED.replace("platforms: [linux/amd64, linux/arm64]\n", "").replace(", platforms: [linux/arm64]", "");
    let p = emitted(&model, Target::Gitlab);
    assert_eq!(gitlab_cache_keys(&p["build:base:16.9"]), ["apt@build+16.9", "apt@build+16.9-latest"]);
    let w = emitted(&model, Target::Github);
    assert_eq!(github_cache_keys(&w["jobs"]["build_base_16-9"])[0].1, "apt@build+16.9~");
}
