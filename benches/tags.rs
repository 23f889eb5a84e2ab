//! `cargo bench --bench tags`: what content tags cost, in the pipeline and in `pipegen tags`, for
//! a 1,000-image model in a 20,000-file repository. Fails when a target in
//! docs/performance.md ("Content tags") is missed.
//!
//! In the pipeline each build job computes its own tag. The bench runs every build's
//! computation (`pipegen_tag_of` of the build script, with the job's own variables and its
//! parents' tags) one after the other in one `dash`, as each job's shell would, and sums them;
//! then `pipegen tags` on the same commit, whose tags must be the same.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use pipegen::emit::{gitlab, scripts};
use pipegen::plan::Plan;

const IMAGES: usize = 1000;
const FILES: usize = 20_000;
const PIPELINE_TARGET: Duration = Duration::from_secs(2);
const CLI_TARGET: Duration = Duration::from_secs(1);

/// 1,000 images in layers of ten, each built from two of the layer before; every tenth also
/// hashes a glob under `shared/`.
fn model() -> String {
    let mut text = String::from("pipegen: 1\nname: big\nregistry: registry.example.com/big\nimages:\n");
    for i in 0..IMAGES {
        let _ = writeln!(text, "  img{i}:\n    context: images/img{i}\n    args: {{ N: \"{i}\" }}");
        if i >= 10 {
            let layer = i / 10;
            let _ =
                writeln!(text, "    from: [img{}, img{}]", (layer - 1) * 10 + i % 10, (layer - 1) * 10 + (i + 1) % 10);
        }
        if i % 10 == 0 {
            let _ = writeln!(text, "    inputs: [\"shared/g{}/**/*.txt\", .tool-versions]", i / 10);
        }
    }
    text
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(["-c", "user.name=bench", "-c", "user.email=bench@pipegen.invalid", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git");
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The repository: every image's context holds a Dockerfile and files, `shared/` the rest, in
/// all `FILES` files.
fn repository(dir: &Path) -> String {
    let per_image = (FILES - 2_000) / IMAGES;
    for i in 0..IMAGES {
        let context = dir.join(format!("images/img{i}"));
        std::fs::create_dir_all(&context).unwrap();
        std::fs::write(context.join("Dockerfile"), format!("FROM scratch\nLABEL n={i}\n")).unwrap();
        for f in 1..per_image {
            std::fs::write(context.join(format!("f{f}.txt")), format!("{i}/{f}\n")).unwrap();
        }
    }
    for f in 0..2_000 {
        let path = dir.join(format!("shared/g{}/d{}/s{f}.txt", f % 100, f % 7));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, format!("{f}\n")).unwrap();
    }
    std::fs::write(dir.join(".tool-versions"), "busybox 1.37\n").unwrap();
    std::fs::write(dir.join("pipegen.yaml"), model()).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "a big repository"]);
    let tracked = git(dir, &["ls-files"]).lines().count();
    assert!(tracked >= FILES, "{tracked} files tracked");
    git(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

/// One shell script that computes every build's tag in plan order, each with only its own
/// job's variables (set, used, unset), and prints them.
fn driver(dir: &Path, plan: &Plan, commit: &str) -> String {
    // The script the model's pipeline embeds: what the repository holds decides its parts.
    let mut plan = plan.clone();
    pipegen::workspace::read_repository(dir, &mut plan);
    let uses = scripts::Uses::of(&plan, gitlab::PLATFORM.builder);
    let mut text = scripts::build_library(gitlab::PLATFORM, &plan.policy, &uses);
    let _ = writeln!(text, "CI_COMMIT_SHA={commit}");
    for build in &plan.builds {
        let mut names = Vec::new();
        for (name, value) in scripts::build_variables(build) {
            let _ = writeln!(text, "{name}={}", pipegen::shell::quote(&value));
            names.push(name);
        }
        let _ = writeln!(text, "pipegen_tag_of || exit 1");
        let _ = writeln!(text, "printf '%s\\n' \"$pipegen_tag\"");
        // The reference its build job publishes, for its children.
        let key = pipegen::naming::ref_variable(&build.this.key);
        let _ = writeln!(text, "{key}=\"registry.invalid/{}:$pipegen_tag\"", build.this.id.image);
        let _ = writeln!(text, "unset {} PIPEGEN_DOCKERFILE", names.join(" "));
    }
    text
}

fn main() {
    // `cargo test --benches` runs this once as a smoke test; `cargo bench` measures.
    let measure = std::env::args().any(|a| a == "--bench");
    let dir = tempfile::tempdir().expect("temporary directory");
    let commit = repository(dir.path());
    let loaded = pipegen::model::load("pipegen.yaml", &model()).unwrap_or_else(|e| panic!("{e}"));
    let plan = pipegen::plan::build(&loaded, "pipegen.yaml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plan.builds.len(), IMAGES);

    let script = dir.path().join("tags.sh");
    std::fs::write(&script, driver(dir.path(), &plan, &commit)).unwrap();
    let started = Instant::now();
    let output = Command::new("dash").arg(&script).current_dir(dir.path()).output().expect("run dash");
    let in_pipeline = started.elapsed();
    assert!(output.status.success(), "the tag script failed: {}", String::from_utf8_lossy(&output.stderr));
    let from_pipeline: Vec<String> = String::from_utf8_lossy(&output.stdout).lines().map(str::to_string).collect();

    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_pipegen"))
        .args(["tags", "--format", "json"])
        .current_dir(dir.path())
        .output()
        .expect("run pipegen tags");
    let cli = started.elapsed();
    assert!(output.status.success(), "pipegen tags failed: {}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let from_cli: Vec<String> =
        json.as_array().unwrap().iter().map(|t| t["tag"].as_str().unwrap().to_string()).collect();
    assert_eq!(from_pipeline, from_cli, "the pipeline and pipegen tags agree");

    // What the machine charges for the two programs each job runs (git, sha256sum), alone.
    let started = Instant::now();
    let floor = Command::new("dash")
        .arg("-c")
        .arg(format!(
            "i=0; while [ $i -lt {IMAGES} ]; do git --version > /dev/null; : | sha256sum > /dev/null; i=$((i+1)); done"
        ))
        .output()
        .expect("run dash");
    assert!(floor.status.success());
    let spawn_floor = started.elapsed();

    // PIPEGEN_BENCH_KEEP=1 keeps the repository and its tags.sh, to study one job's script.
    if std::env::var_os("PIPEGEN_BENCH_KEEP").is_some() {
        eprintln!("kept the repository and tags.sh in {}", dir.keep().display());
    }
    println!("{IMAGES} images, {FILES} files: every tag in the pipeline {in_pipeline:>9.2?} (sum over the build jobs)");
    println!("{IMAGES} images, {FILES} files: pipegen tags           {cli:>9.2?}");
    println!("starting git and sha256sum {IMAGES} times alone:      {spawn_floor:>9.2?} (this machine's floor)");
    if measure {
        let mut missed = Vec::new();
        if in_pipeline > PIPELINE_TARGET {
            missed.push(format!("tags in the pipeline: {in_pipeline:?} > {PIPELINE_TARGET:?}"));
        }
        if cli > CLI_TARGET {
            missed.push(format!("pipegen tags: {cli:?} > {CLI_TARGET:?}"));
        }
        if !missed.is_empty() {
            eprintln!("missed performance targets:\n  {}", missed.join("\n  "));
            std::process::exit(1);
        }
    }
}
