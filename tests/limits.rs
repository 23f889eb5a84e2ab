//! Issue 8: the pipelines fit what GitLab and GitHub accept, measured on the output.
//!
//! - The dotenv reports of a 210-build pipeline that runs: tests/limits_dotenv.rs (full tier).
//! - Every generated file (the models' and the valid fixtures' outputs) is read back as YAML and
//!   checked against every limit, independently of pipegen's own checks.
//! - A model of 1,000 images either fits both platforms or is refused with exit 2 and a message
//!   naming the limit; a raised GitLab limit in the model is honoured.

mod support;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use pipegen::yaml::Value;

const GITLAB_MAX_NEEDS: usize = 50;
const GITLAB_MAX_JOB_NAME: usize = 255;
const GITLAB_MAX_PARALLEL: u64 = 200;
const GITLAB_MAX_RETRY: u64 = 2;
const GITLAB_MAX_CACHES: usize = 4;
const GITLAB_MAX_KEY_FILES: usize = 2;
const GITLAB_MAX_CONFIG_BYTES: usize = 2 * 1024 * 1024;
const GITHUB_MAX_WORKFLOW_BYTES: usize = 512_000;
const GITHUB_MAX_MATRIX: usize = 256;
const GITHUB_MAX_JOB_MINUTES: u64 = 360;
/// actions/cache refuses a key (or restore key) over 512 characters, or with a comma.
const GITHUB_MAX_CACHE_KEY: usize = 512;
/// GitLab Runner keeps a cache under a directory named by its key: one file name.
const GITLAB_MAX_CACHE_KEY_BYTES: usize = 255;
const GITLAB_MAX_PIPELINE_NAME: usize = 255;
/// GitHub cuts a check run's name past this many characters.
const GITHUB_MAX_CHECK_NAME: usize = 100;
/// A CI/CD variable's name, also one a dotenv report hands on (GitLab's `HasVariable`).
const GITLAB_MAX_VARIABLE_NAME: usize = 255;
/// A registry tag (the OCI distribution spec's reference grammar).
const REGISTRY_MAX_TAG: usize = 128;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("create a directory");
    std::fs::write(path, text).expect("write a file");
}

/// The names a build job derives from its variables (`PIPEGEN_IMAGE`, `PIPEGEN_KEY`, …), on
/// either platform: every mapping that sets `PIPEGEN_IMAGE` is a build's. The reference
/// variable and each platform's digest variable of its dotenv reports (GitLab), the tag a
/// pipeline that does not push gives a commit-tagged image (`scratch-<commit>-<values>`, and
/// `-platform-<slug>` for one platform of a split build), and BuildKit's cache tag
/// (`<key>-<slug>`, GitHub).
fn check_build_names(name: &str, value: &Value, problems: &mut Vec<String>) {
    match value {
        Value::Mapping(map) => {
            let text = |key: &str| map.get(key).and_then(Value::as_str).unwrap_or_default();
            // A platform's job of a split build hands on its digest.
            let digest = text("PIPEGEN_DIGEST_VARIABLE");
            if digest.len() > GITLAB_MAX_VARIABLE_NAME {
                problems.push(format!("{name}: a job hands on the variable {digest} ({} characters)", digest.len()));
            }
            if let Some(image) = map.get("PIPEGEN_IMAGE").and_then(Value::as_str) {
                let key = match text("PIPEGEN_KEY") {
                    "" => image.to_ascii_uppercase().replace('-', "_"),
                    key => key.to_string(),
                };
                let platforms: Vec<&str> = text("PIPEGEN_PLATFORMS").lines().collect();
                let slug = platforms.iter().map(|p| p.len()).max().filter(|_| platforms.len() > 1).map_or(0, |n| n + 1);
                let mut variables = vec![format!("PIPEGEN_REF_{key}")];
                variables.extend(
                    text("PIPEGEN_DIGESTS").lines().filter_map(|l| l.split_once('=')).map(|(_, v)| v.to_string()),
                );
                for variable in variables {
                    if variable.len() > GITLAB_MAX_VARIABLE_NAME {
                        problems.push(format!(
                            "{name}: {image} hands on the variable {variable} ({} characters)",
                            variable.len()
                        ));
                    }
                }
                if text("PIPEGEN_TAG_MODE") == "commit" {
                    let suffix = text("PIPEGEN_TAG_SUFFIX");
                    let tag = "scratch-".len() + 40 + if suffix.is_empty() { 0 } else { 1 + suffix.len() };
                    let tag = tag + if slug > 0 { "-platform".len() + slug } else { 0 };
                    if tag > REGISTRY_MAX_TAG {
                        problems.push(format!("{name}: {image} gets a tag of {tag} characters"));
                    }
                }
                if key.len() + slug > REGISTRY_MAX_TAG {
                    problems.push(format!("{name}: {image}'s cache tag {key} has {} characters", key.len() + slug));
                }
            }
            for child in map.values() {
                check_build_names(name, child, problems);
            }
        }
        Value::Sequence(items) => items.iter().for_each(|item| check_build_names(name, item, problems)),
        _ => {}
    }
}

/// How long a key written with expressions or variables gets once they are filled in: each
/// `${{ … }}` or `${…}` counted as 64 characters (a SHA-256 in hex, the longest value pipegen
/// puts there: `hashFiles`, a cache-key job's digest, a tag).
fn expanded_length(key: &str) -> usize {
    let literal = literal_text(key);
    literal.chars().count() + (key.matches("${").count()) * 64
}

/// `key` without its `${{ … }}` and `${…}` parts: what it says word for word.
fn literal_text(key: &str) -> String {
    let mut literal = String::new();
    let mut rest = key;
    while let Some(start) = rest.find("${") {
        literal.push_str(&rest[..start]);
        let close = if rest[start..].starts_with("${{") { "}}" } else { "}" };
        rest = rest[start..].find(close).map_or("", |end| &rest[start + end + close.len()..]);
    }
    literal.push_str(rest);
    literal
}

/// A limit crossed in one generated file.
fn check_gitlab(name: &str, text: &str, problems: &mut Vec<String>) {
    let doc: Value = pipegen::yaml::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    check_build_names(name, &doc, problems);
    let pipeline_name = doc["workflow"]["name"].as_str().unwrap_or_default();
    if pipeline_name.chars().count() > GITLAB_MAX_PIPELINE_NAME {
        problems.push(format!("{name}: a pipeline name of {} characters", pipeline_name.chars().count()));
    }
    let size = pipegen::emit::gitlab::limits::parsed_size(text);
    if size > GITLAB_MAX_CONFIG_BYTES {
        problems.push(format!("{name}: the parsed configuration takes about {size} bytes"));
    }
    for (key, job) in doc.as_mapping().expect("a mapping") {
        let job_name = key.as_str().expect("a string key");
        if ["workflow", "stages", "variables", "default"].contains(&job_name) {
            continue;
        }
        if job_name.chars().count() > GITLAB_MAX_JOB_NAME {
            problems.push(format!("{name}: job name of {} characters", job_name.chars().count()));
        }
        let needs = job.get("needs").and_then(Value::as_sequence).map_or(0, Vec::len);
        if needs > GITLAB_MAX_NEEDS {
            problems.push(format!("{name}: {job_name} needs {needs} jobs"));
        }
        if job.get("parallel").and_then(Value::as_u64).is_some_and(|p| p > GITLAB_MAX_PARALLEL) {
            problems.push(format!("{name}: {job_name} has parallel over {GITLAB_MAX_PARALLEL}"));
        }
        if job.get("retry").and_then(|r| r.get("max")).and_then(Value::as_u64).is_some_and(|r| r > GITLAB_MAX_RETRY) {
            problems.push(format!("{name}: {job_name} retries more than {GITLAB_MAX_RETRY} times"));
        }
        let caches = job.get("cache").and_then(Value::as_sequence).cloned().unwrap_or_default();
        if caches.len() > GITLAB_MAX_CACHES {
            problems.push(format!("{name}: {job_name} has {} caches", caches.len()));
        }
        for cache in &caches {
            let files = cache.get("key").and_then(|k| k.get("files")).and_then(Value::as_sequence).map_or(0, Vec::len);
            if files > GITLAB_MAX_KEY_FILES {
                problems.push(format!("{name}: {job_name} has a cache key of {files} files"));
            }
            // The runner keeps a cache in a directory named by its key: one file name.
            let prefix = cache.get("key").and_then(|k| k.get("prefix")).and_then(Value::as_str);
            let keys = cache.get("key").and_then(Value::as_str).into_iter().chain(prefix);
            let fallbacks = cache.get("fallback_keys").and_then(Value::as_sequence).cloned().unwrap_or_default();
            for key in keys.chain(fallbacks.iter().filter_map(Value::as_str)) {
                let length = expanded_length(key) + if prefix == Some(key) { "-".len() + 40 } else { 0 };
                if length > GITLAB_MAX_CACHE_KEY_BYTES {
                    problems.push(format!("{name}: {job_name} has a cache key of {length} bytes: {key}"));
                }
            }
        }
    }
}

fn check_github(name: &str, text: &str, problems: &mut Vec<String>) {
    if text.len() > GITHUB_MAX_WORKFLOW_BYTES {
        problems.push(format!("{name}: {} bytes", text.len()));
    }
    let doc: Value = pipegen::yaml::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    check_build_names(name, &doc, problems);
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
    for (id, job) in doc["jobs"].as_mapping().expect("jobs") {
        let id = id.as_str().expect("an id");
        if !ids.insert(id.to_ascii_lowercase()) {
            problems.push(format!("{name}: job id {id} differs from another only in case"));
        }
        let matrix = job.get("strategy").and_then(|s| s.get("matrix")).and_then(|m| m.get("shard"));
        // The check run's name: GitHub cuts it past 100 characters, a matrix job's with ` (N)`.
        let shown = job["name"].as_str().expect("a name").chars().count()
            + matrix.and_then(Value::as_sequence).map_or(0, |s| " ()".len() + s.len().to_string().len());
        if shown > GITHUB_MAX_CHECK_NAME {
            problems.push(format!("{name}: {id}'s check run is named with {shown} characters"));
        }
        if !names.insert(job["name"].as_str().expect("a name").to_string()) {
            problems.push(format!("{name}: two jobs are named {:?}", job["name"]));
        }
        if matrix.and_then(Value::as_sequence).is_some_and(|s| s.len() > GITHUB_MAX_MATRIX) {
            problems.push(format!("{name}: {id} has a matrix over {GITHUB_MAX_MATRIX} jobs"));
        }
        match job.get("timeout-minutes").and_then(Value::as_u64) {
            Some(minutes) if minutes <= GITHUB_MAX_JOB_MINUTES => {}
            other => problems.push(format!("{name}: {id} has timeout-minutes {other:?}")),
        }
        for step in job.get("steps").and_then(Value::as_sequence).into_iter().flatten() {
            let with = step.get("with");
            let key = with.and_then(|w| w.get("key")).and_then(Value::as_str);
            let restore = with.and_then(|w| w.get("restore-keys")).and_then(Value::as_str).unwrap_or_default();
            for key in key.into_iter().chain(restore.lines()) {
                let length = expanded_length(key);
                if length > GITHUB_MAX_CACHE_KEY || literal_text(key).contains(',') {
                    problems.push(format!("{name}: {id} has a cache key of {length} characters: {key}"));
                }
            }
        }
        if job.get("outputs").and_then(Value::as_mapping).is_some_and(|o| o.len() > 1) {
            problems.push(format!("{name}: {id} has more than one output: outputs must not grow with the model"));
        }
    }
}

#[test]
fn every_generated_file_is_within_every_limit() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for model in support::models().iter().chain(&support::valid_fixtures()) {
        let relative = support::relative(model);
        for target in ["gitlab", "github"] {
            let (code, text, err) = support::run(
                support::pipegen()
                    .args(["emit", "--target", target, "--model", &relative])
                    .current_dir(support::repo()),
            );
            assert_eq!(code, 0, "{relative}: {err}");
            let name = format!("{relative} ({target})");
            match target {
                "gitlab" => check_gitlab(&name, &text, &mut problems),
                _ => check_github(&name, &text, &mut problems),
            }
            checked += 1;
        }
    }
    assert!(checked >= 26, "{checked} files checked");
    assert!(problems.is_empty(), "over a limit:\n{}", problems.join("\n"));
}

/// The jobs GitLab would create for a pipeline, counted on the file: every top-level job that
/// is not hidden, each shard of a `parallel` job.
fn gitlab_jobs(text: &str) -> usize {
    let doc: Value = pipegen::yaml::from_str(text).expect("YAML");
    doc.as_mapping()
        .expect("a mapping")
        .iter()
        .filter(|(key, _)| {
            let key = key.as_str().expect("a string key");
            !key.starts_with('.') && !["workflow", "stages", "variables", "default", "include"].contains(&key)
        })
        .map(|(_, job)| job.get("parallel").and_then(Value::as_u64).map_or(1, |n| n as usize))
        .sum()
}

/// A pipeline size the model declares (`limits.gitlab.jobs`, an instance's `ci_pipeline_size`)
/// is checked against every job GitLab creates: a model whose pipeline has exactly that many is
/// accepted, one more is refused naming the limit. On every valid fixture and seed model.
#[test]
fn a_declared_pipeline_size_counts_every_job_gitlab_creates() {
    let mut checked = 0;
    for model in support::models().iter().chain(&support::valid_fixtures()) {
        let text = std::fs::read_to_string(model).expect("read the model");
        if text.lines().any(|l| l.starts_with("limits:")) {
            continue;
        }
        let relative = support::relative(model);
        let (code, pipeline, err) = support::run(
            support::pipegen().args(["emit", "--target", "gitlab", "--model", &relative]).current_dir(support::repo()),
        );
        assert_eq!(code, 0, "{relative}: {err}");
        let jobs = gitlab_jobs(&pipeline);
        if jobs < 2 {
            continue;
        }
        let dir = tempfile::tempdir().expect("temporary directory");
        for (limit, accepted) in [(jobs, true), (jobs - 1, false)] {
            write(&dir.path().join("pipegen.yaml"), &format!("{text}\nlimits: {{ gitlab: {{ jobs: {limit} }} }}\n"));
            let (code, _, err) =
                support::run(support::pipegen().args(["emit", "--target", "gitlab"]).current_dir(dir.path()));
            if accepted {
                assert_eq!(code, 0, "{relative} with jobs: {limit} (its {jobs} jobs): {err}");
            } else {
                assert_eq!(code, 2, "{relative} with jobs: {limit} (its {jobs} jobs) was accepted");
                assert!(
                    err.contains("error[too-many-jobs]") && err.contains(&format!("would have {jobs} jobs")),
                    "{relative}: {err}"
                );
            }
        }
        checked += 1;
    }
    assert!(checked >= 10, "{checked} models checked");
}

/// 1,000 images in a layered graph (each layer built from two images of the one before), one
/// job each: what a large monorepo might declare.
fn thousand_images() -> String {
    let mut text = String::from("pipegen: 1\nname: big\nregistry: registry.example.com/big\nimages:\n");
    for i in 0..1000 {
        let _ = writeln!(text, "  img{i}:\n    context: images/img{i}");
        if i >= 10 {
            let layer = i / 10;
            let _ =
                writeln!(text, "    from: [img{}, img{}]", (layer - 1) * 10 + i % 10, (layer - 1) * 10 + (i + 1) % 10);
        }
    }
    text.push_str("jobs:\n");
    for i in (0..1000).step_by(10) {
        let _ = writeln!(text, "  test{i}:\n    image: img{i}\n    script: [make test]");
    }
    text
}

#[test]
fn a_model_of_1000_images_fits_both_platforms_or_is_refused_naming_the_limit() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let model = dir.path().join("pipegen.yaml");
    write(&model, &thousand_images());
    for target in ["gitlab", "github"] {
        let (code, text, err) =
            support::run(support::pipegen().args(["emit", "--target", target]).current_dir(dir.path()));
        match code {
            0 => {
                let mut problems = Vec::new();
                match target {
                    "gitlab" => check_gitlab(target, &text, &mut problems),
                    _ => check_github(target, &text, &mut problems),
                }
                assert!(problems.is_empty(), "accepted, but over a limit: {problems:?}");
                eprintln!("1,000 images: the {target} pipeline fits, {} bytes", text.len());
            }
            2 => {
                assert!(text.is_empty(), "nothing is printed when the model is refused");
                assert!(err.contains("error[pipeline-too-large]"), "{err}");
                assert!(
                    err.contains("GitHub does not start a workflow file over 512000") || err.contains("GitLab allows"),
                    "{err}"
                );
                eprintln!("1,000 images: refused for {target}: {}", err.lines().next().unwrap_or_default());
            }
            other => panic!("exit {other}: {err}"),
        }
    }
}

#[test]
fn a_raised_gitlab_limit_in_the_model_is_honoured() {
    let mut model = String::from("pipegen: 1\nname: t\nregistry: registry.example.com/t\nimages:\n");
    for i in 0..51 {
        let _ = writeln!(model, "  i{i}: {{}}");
    }
    model.push_str("services:\n");
    for i in 0..51 {
        let _ = writeln!(model, "  s{i}: {{ image: i{i}, port: 80 }}");
    }
    let services: Vec<String> = (0..51).map(|i| format!("s{i}")).collect();
    let _ = writeln!(model, "jobs:\n  e2e:\n    services: [{}]\n    script: [make e2e]", services.join(", "));
    let dir = tempfile::tempdir().expect("temporary directory");
    write(&dir.path().join("pipegen.yaml"), &model);
    let (code, _, err) = support::run(support::pipegen().args(["emit", "--target", "gitlab"]).current_dir(dir.path()));
    assert_eq!(code, 2, "51 needs are over GitLab's default");
    assert!(err.contains("it would need 51 jobs; GitLab allows 50"), "{err}");
    write(&dir.path().join("pipegen.yaml"), &format!("{model}limits:\n  gitlab: {{ needs: 60 }}\n"));
    let (code, text, err) =
        support::run(support::pipegen().args(["emit", "--target", "gitlab"]).current_dir(dir.path()));
    assert_eq!(code, 0, "{err}");
    let doc: Value = pipegen::yaml::from_str(&text).expect("YAML");
    assert_eq!(doc["e2e"]["needs"].as_sequence().map(Vec::len), Some(51));
}

/// Kolla's size: 187 images built from one base. The workflow stays far under GitHub's limit
/// (issue 8: under 200 KB), because a build job costs a few hundred bytes: measured as what the
/// 186 images after the base add, so that the scripts every workflow carries once (the tag
/// script with its awk programs) count in the total, not per job.
#[test]
fn the_workflow_of_187_images_is_under_200_kb() {
    let model = |images: usize| {
        let mut model = String::from(
            "pipegen: 1\nname: kolla\nregistry: registry.example.com/kolla\nimages:\n  base:\n    context: docker/base\n",
        );
        for i in 0..images - 1 {
            let _ = writeln!(model, "  service-number-{i}:\n    from: base\n    context: docker/service-number-{i}");
        }
        model
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    for (target, most) in [("github", 200_000), ("gitlab", 200_000)] {
        let mut sizes = Vec::new();
        for images in [1, 187] {
            write(&dir.path().join("pipegen.yaml"), &model(images));
            let (code, text, err) =
                support::run(support::pipegen().args(["emit", "--target", target]).current_dir(dir.path()));
            assert_eq!(code, 0, "{err}");
            sizes.push(text.len());
        }
        assert!(sizes[1] < most, "the {target} pipeline of 187 images is {} bytes", sizes[1]);
        let per_build = (sizes[1] - sizes[0]) / 186;
        assert!(per_build < 700, "a {target} build job costs {per_build} bytes");
    }
}

/// GitLab's parsed-size estimate, measured on the parser's events, is the one a parsed tree
/// gives (this test's oracle): on every committed pipeline, every valid fixture's pipeline, a
/// 1,000-image pipeline and a document with anchors, aliases, tags and non-string scalars.
#[test]
fn the_parsed_size_estimate_is_the_trees() {
    fn tree_size(value: &Value) -> usize {
        use pipegen::yaml::tree_size::{OBJECT, array_size, hash_size, string_size};
        match value {
            Value::String(s) => string_size(s.len()),
            Value::Sequence(items) => array_size(items.len()) + items.iter().map(tree_size).sum::<usize>(),
            Value::Mapping(map) => {
                hash_size(map.len()) + map.iter().map(|(k, v)| tree_size(k) + tree_size(v)).sum::<usize>()
            }
            Value::Tagged(tagged) => tree_size(&tagged.value),
            _ => OBJECT,
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts: Vec<(String, String)> = Vec::new();
    for path in [
        ".gitlab-ci.yml",
        "generated/citus/gitlab-ci.yml",
        "generated/gdk/gitlab-ci.yml",
        "generated/kolla/gitlab-ci.yml",
        "generated/vitess/gitlab-ci.yml",
    ] {
        texts.push((path.to_string(), std::fs::read_to_string(root.join(path)).expect(path)));
    }
    for entry in std::fs::read_dir(root.join("tests/fixtures/valid")).expect("the valid fixtures") {
        let path = entry.expect("an entry").path();
        let model = std::fs::read_to_string(&path).expect("a fixture");
        let loaded =
            pipegen::model::load("pipegen.yaml", &model).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        let plan =
            pipegen::plan::build(&loaded, "pipegen.yaml").unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        texts.push((path.display().to_string(), pipegen::emit::render(&plan, pipegen::emit::Target::Gitlab)));
    }
    let loaded = pipegen::model::load("pipegen.yaml", &thousand_images()).expect("loads");
    let plan = pipegen::plan::build(&loaded, "pipegen.yaml").expect("plans");
    texts.push(("1,000 images".to_string(), pipegen::emit::render(&plan, pipegen::emit::Target::Gitlab)));
    texts.push((
        "anchors".to_string(),
        "a: &a\n  k: [1, true, ~, '1', \"x\", null]\n  e:\nb: *a\nc: !reference [a, k]\nd: &s text\ne: *s\n"
            .to_string(),
    ));
    assert!(texts.iter().any(|(_, t)| t.contains(" *")), "no output shares a node");
    for (name, text) in &texts {
        let tree: Value = pipegen::yaml::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(pipegen::emit::gitlab::limits::parsed_size(text), tree_size(&tree), "{name}");
    }

    // What GitLab's limits use: the size the writer measures while writing, on the pipeline of
    // every seed model, every valid fixture and the 1,000-image model.
    let mut models: Vec<(String, String)> = support::models()
        .iter()
        .chain(&support::valid_fixtures())
        .map(|path| (path.display().to_string(), std::fs::read_to_string(path).expect("a model")))
        .collect();
    models.push(("1,000 images".to_string(), thousand_images()));
    for (name, model) in &models {
        let loaded = pipegen::model::load("pipegen.yaml", model).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let plan = pipegen::plan::build(&loaded, "pipegen.yaml").unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let file = pipegen::emit::rendering(&plan, pipegen::emit::Target::Gitlab);
        let tree: Value = pipegen::yaml::from_str(&file.text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(file.tree_size, Some(tree_size(&tree)), "{name}: measured while writing");
    }
}

proptest::proptest! {
    /// The writer's measure is the parser's on any strings, numbers, booleans and nulls, as keys
    /// and values at any depth, in whatever style the writer picks for them.
    #[test]
    fn the_writers_tree_size_is_the_parsers(
        strings in proptest::collection::vec("(\\PC|[\\n\\t '\"#:&*!|>%@`-]){0,12}", 1..6),
        numbers in proptest::collection::vec(proptest::num::i64::ANY, 0..3),
        flags in proptest::collection::vec(proptest::bool::ANY, 0..3),
    ) {
        use serde_json::{Value as Json, json};
        let mut leaves: Vec<Json> = strings.iter().map(|s| json!(s)).collect();
        leaves.extend(numbers.iter().map(|n| json!(n)));
        leaves.extend(flags.iter().map(|b| json!(b)));
        leaves.push(Json::Null);
        leaves.push(json!([]));
        leaves.push(json!({}));
        let mut inner = serde_json::Map::new();
        for (key, value) in strings.iter().zip(leaves.iter().cycle()) {
            inner.insert(key.clone(), value.clone());
        }
        let mut root = serde_json::Map::new();
        root.insert("leaves".to_string(), Json::Array(leaves.clone()));
        root.insert("nested".to_string(), json!([{ "k": Json::Object(inner.clone()) }, [leaves]]));
        for key in &strings {
            root.insert(key.clone(), Json::Object(inner.clone()));
        }
        let (text, measured) = pipegen::yaml::to_string_measured(&root).expect("writes");
        proptest::prop_assert_eq!(measured, pipegen::emit::gitlab::limits::parsed_size(&text), "{}", text);
    }
}

/// `emit --target` checks the platform it prints, whatever platforms the model's `outputs`
/// name, and only that one; `emit` and `check` check every platform of the outputs.
#[test]
fn emit_for_one_platform_checks_that_platforms_limits() {
    // Seven hours: GitLab allows a month, GitHub-hosted runners six hours.
    let model = |outputs: &str| {
        format!(
            "pipegen: 1\nname: t\nregistry: registry.example.com/t\n{outputs}images:\n  app: {{}}\njobs:\n  soak:\n    image: app\n    timeout: 7h\n    script: [make soak]\n"
        )
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    let emit =
        |target: &str| support::run(support::pipegen().args(["emit", "--target", target]).current_dir(dir.path()));

    write(&dir.path().join("pipegen.yaml"), &model("outputs: { gitlab: .gitlab-ci.yml }\n"));
    let (code, text, err) = emit("github");
    assert_eq!(code, 2, "a workflow GitHub refuses is printed although the outputs name only GitLab: {err}");
    assert!(text.is_empty(), "{text}");
    assert!(err.contains("GitHub-hosted runners stop a job after 360"), "{err}");
    let (code, text, err) = emit("gitlab");
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("timeout: 7h"), "{text}");

    write(&dir.path().join("pipegen.yaml"), &model(""));
    let (code, _, err) = emit("gitlab");
    assert_eq!(code, 0, "the GitLab pipeline fits GitLab; GitHub's limits are not its concern: {err}");

    write(&dir.path().join("pipegen.yaml"), &model("outputs: { gitlab: .gitlab-ci.yml, github: ci.yml }\n"));
    for command in ["emit", "check"] {
        let (code, _, err) = support::run(support::pipegen().arg(command).current_dir(dir.path()));
        assert_eq!(code, 2, "`{command}` checks every platform of the outputs: {err}");
        assert!(err.contains("GitHub-hosted runners stop a job after 360"), "{err}");
        assert!(!dir.path().join(".gitlab-ci.yml").exists(), "nothing is written when one platform refuses");
    }
}

/// `images` images in a layered graph, one job every other image: a model whose pipelines grow
/// with `images` and repeat much (what sharing shortens).
fn layered_images(images: usize) -> String {
    let mut text = String::from("pipegen: 1\nname: big\nregistry: registry.example.com/big\nimages:\n");
    for i in 0..images {
        let _ = writeln!(text, "  img{i}:\n    context: images/img{i}");
        if i >= 10 {
            let layer = i / 10;
            let _ = writeln!(text, "    from: [img{}]", (layer - 1) * 10 + i % 10);
        }
    }
    text.push_str("jobs:\n");
    for i in (0..images).step_by(2) {
        let _ = writeln!(text, "  test{i}:\n    image: img{i}\n    script: [make test]");
    }
    text
}

/// pipegen stops writing a pipeline once it is certain to pass the platform's size limit. That
/// shortcut must never change the verdict: around both limits, a file is refused exactly when
/// its whole text (the one `emit::render` writes) is over the limit, and a file accepted is the
/// whole text, byte for byte. GitHub's limit applies to the shared text, which can be half the
/// text written, so the sizes include workflows whose unshared text is over the limit and whose
/// file is not.
#[test]
fn writing_stops_early_only_when_the_whole_file_would_be_refused() {
    use pipegen::emit::{self, Target};
    let mut stopped_early = BTreeSet::new();
    let mut accepted_over_unshared = false;
    for images in [40, 416, 424, 1410, 1420, 3000] {
        let loaded = pipegen::model::load("pipegen.yaml", &layered_images(images)).expect("loads");
        let plan = pipegen::plan::build(&loaded, "pipegen.yaml").expect("plans");
        for target in Target::ALL {
            let whole = emit::rendering(&plan, target);
            let too_large =
                |problems: &[pipegen::model::Diagnostic]| problems.iter().any(|p| p.code == "pipeline-too-large");
            let whole_refused = too_large(&(target.backend().limits)(&plan, &whole));
            let (files, problems) = emit::render_checked(&plan, &[target]);
            let unshared = pipegen::yaml::to_string(&pipegen::yaml::from_str::<Value>(&whole.text).expect("reads"))
                .expect("writes")
                .len();
            eprintln!(
                "{images} images, {target}: whole {} bytes ({unshared} unshared, tree {:?}), refused {whole_refused}, written {}",
                whole.text.len(),
                whole.tree_size,
                files[0].1.len()
            );
            assert_eq!(too_large(&problems), whole_refused, "{images} images, {target}");
            if whole_refused {
                // Far over the limit, writing stops after a little more than the limit's worth.
                if images == 3000 {
                    assert!(files[0].1.len() * 10 < unshared * 6, "{images} images, {target}: written to the end");
                    stopped_early.insert(target);
                }
            } else {
                assert!(files[0].1 == whole.text, "{images} images, {target}: the file accepted is the whole text");
                if target == Target::Github && unshared > GITHUB_MAX_WORKFLOW_BYTES {
                    accepted_over_unshared = true;
                }
            }
        }
    }
    assert_eq!(stopped_early.len(), 2, "both platforms stop writing a file far over their limit");
    assert!(accepted_over_unshared, "a workflow whose unshared text is over the limit and whose file is not");
}

/// A job of 400 script lines of 100 bytes over one axis: each value adds about 64 KB to GitLab's
/// parsed size (its lines are shared through an alias, which GitLab counts once per use). With
/// 31 values Ruby 3.1 measures the pipeline below 2 MiB, but GitLab on Ruby 3.2+ (GitLab 17 and
/// 18) counts each line's string as its 160-byte slot, not 141 bytes, and refuses it: pipegen
/// refuses it too; with 30 values every Ruby measures it below the limit.
#[test]
fn a_pipeline_that_ruby_32_measures_over_the_limit_is_refused() {
    let model = |values: usize| {
        let mut text = String::from("pipegen: 1\nname: t\nregistry: registry.example.com/t\naxes:\n  x: [");
        text.push_str(&(0..values).map(|i| format!("v{i}")).collect::<Vec<_>>().join(", "));
        text.push_str("]\nimages:\n  base: {}\njobs:\n  j:\n    image: base\n    axes: [x]\n    script:\n");
        for line in 0..400 {
            let _ = writeln!(text, "      - echo {} {line}", "x".repeat(90));
        }
        text
    };
    let refused = |values: usize| {
        let loaded = pipegen::model::load("pipegen.yaml", &model(values)).expect("loads");
        let plan = pipegen::plan::build(&loaded, "pipegen.yaml").expect("plans");
        let (_, problems) = pipegen::emit::render_checked(&plan, &[pipegen::emit::Target::Gitlab]);
        problems.iter().any(|p| p.code == "pipeline-too-large")
    };
    assert!(!refused(30), "30 values fit on every Ruby");
    assert!(refused(31), "31 values are over the limit on Ruby 3.2+");
}
