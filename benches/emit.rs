//! `cargo bench`: how long pipegen takes and how much memory it uses, on the seed models and on
//! synthetic models far larger than any of them. It fails, naming each miss, when a target in
//! docs/performance.md is missed. `cargo test --benches` runs every case once, on smaller
//! synthetic models, without targets (a smoke test).
//!
//! `pipegen emit` is measured as users run it: the real binary, one process per run, its CPU
//! time and peak memory read from the kernel (`wait4`). The phases inside (load, graph, stages,
//! plan, render, the YAML writer alone) are measured in this process, to show where time goes.
//!
//! Targets are checked against CPU time (user + system), the median of repeated runs: on the
//! 2-core machines this runs on, other work inflates wall time but barely CPU time, and for a
//! single-threaded program that waits on nothing they are the same on an idle machine. Wall
//! time is printed beside it. No benchmark framework is needed for numbers this coarse.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use serde::Serialize;

use pipegen::emit::{self, Target};
use pipegen::graph::ImageGraph;
use pipegen::stages::StageLayout;

/// Targets (see docs/performance.md).
const SEED_MODEL_TARGET: Duration = Duration::from_millis(50);
const EMIT_1K_TARGET: Duration = Duration::from_millis(100);
const EMIT_1K_MEMORY_TARGET_MIB: u64 = 100;
const EMIT_10K_TARGET: Duration = Duration::from_secs(1);
const CHAIN_STAGES_TARGET: Duration = Duration::from_millis(50);
const WRITER_TARGET_MIB_PER_S: f64 = 100.0;

/// A model of `images` images in layers of ten, each image built from two of the layer before.
/// With `axes`, the first layer varies over two axes of three values, so every image is built
/// in nine variants; every image has a job (two shards, a retry, a timeout, a cache).
fn layered_model(images: usize, axes: bool) -> String {
    let mut text = String::from(
        "pipegen: 1\nname: synthetic\nregistry: registry.example.com/synthetic\naxes:\n  a: [\"1\", \"2\", \"3\"]\n  b: [x, y, z]\ncaches:\n  deps: { key: [deps.lock], paths: [.deps] }\nimages:\n",
    );
    for i in 0..images {
        let layer = i / 10;
        let _ = writeln!(text, "  img{i}:");
        let _ = writeln!(text, "    context: images/img{i}");
        let _ = writeln!(text, "    inputs: [\"shared/**\", \"lib{i}/*.lock\"]");
        if layer == 0 {
            if axes {
                let _ = writeln!(text, "    axes: [a, b]\n    args: {{ A: \"${{a}}\", B: \"${{b}}\" }}");
            }
        } else {
            let parents: Vec<String> = (0..2).map(|k| format!("img{}", (layer - 1) * 10 + (i + k) % 10)).collect();
            let _ = writeln!(text, "    from: [{}]", parents.join(", "));
        }
    }
    text.push_str("jobs:\n");
    for i in 0..images {
        let _ = writeln!(
            text,
            "  job{i}:\n    image: img{i}\n    caches: [deps]\n    parallel: 2\n    retry: 1\n    timeout: 10m\n    script: [make test]"
        );
    }
    text
}

/// Two jobs over the same four axes (`last` values on the fourth, ten on the others), the second
/// needing the first: each variant waits for its twin. Matching them pair by pair cost
/// 25,000 × 25,000 comparisons at `last = 25`, seconds before the model was refused for size.
fn needs_model(last: usize) -> String {
    let values = |axis: &str, n: usize| (0..n).map(|i| format!("{axis}{i}")).collect::<Vec<_>>().join(", ");
    format!(
        "pipegen: 1\nname: needs\nregistry: registry.example.com/needs\naxes:\n  a: [{}]\n  b: [{}]\n  c: [{}]\n  d: [{}]\njobs:\n  j1: {{ image: \"alpine:3\", axes: [a, b, c, d], script: [x] }}\n  j3: {{ image: \"alpine:3\", axes: [a, b, c, d], needs: [j1], script: [x] }}\n",
        values("a", 10),
        values("b", 10),
        values("c", 10),
        values("d", last)
    )
}

/// `images` images, each built from the one before, and no stages declared: the deepest graph.
fn chain_model(images: usize) -> String {
    let mut text = String::from("pipegen: 1\nname: chain\nregistry: registry.example.com/chain\nimages:\n  c0: {}\n");
    for i in 1..images {
        let _ = writeln!(text, "  c{i}: {{ from: c{} }}", i - 1);
    }
    text
}

fn median(runs: usize, mut run: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..runs).map(|_| run()).collect();
    times.sort();
    times[runs / 2]
}

/// The CPU time this thread has used.
fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime only writes the timespec it is given.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0, "clock_gettime: {}", std::io::Error::last_os_error());
    Duration::new(u64::try_from(now.tv_sec).unwrap_or(0), u32::try_from(now.tv_nsec).unwrap_or(0))
}

/// The CPU time `work` takes, and what it returns.
fn timed<T>(work: impl FnOnce() -> T) -> (Duration, T) {
    let start = thread_cpu_time();
    let out = black_box(work());
    (thread_cpu_time() - start, out)
}

/// One run of the real `pipegen emit --target`.
struct EmitRun {
    /// Exit 2: pipegen refused the model as over a platform's limit (issue 8), after planning and
    /// rendering every platform of the model to measure it: the work a user waits for.
    refused: bool,
    cpu: Duration,
    wall: Duration,
    peak_mib: u64,
    bytes: u64,
}

fn emit_process(model: &Path, target: Target) -> EmitRun {
    let start = Instant::now();
    // Reaped by wait4 in wait_with_usage, which std's Child cannot do.
    #[allow(clippy::zombie_processes)]
    let mut child = Command::new(env!("CARGO_BIN_EXE_pipegen"))
        .args(["emit", "--target", target.name(), "--model"])
        .arg(model)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start pipegen");
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let bytes = std::io::copy(&mut stdout, &mut std::io::sink()).expect("read pipegen's output");
    let (status, usage) = wait_with_usage(child.id());
    let wall = start.elapsed();
    assert!(status == 0 || status == 2, "pipegen emit --target {target} exited with {status}");
    let time = |t: libc::timeval| {
        Duration::new(u64::try_from(t.tv_sec).unwrap_or(0), u32::try_from(t.tv_usec).unwrap_or(0) * 1000)
    };
    EmitRun {
        refused: status == 2,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        wall,
        peak_mib: u64::try_from(usage.ru_maxrss).unwrap_or(0) / 1024,
        bytes,
    }
}

/// Wait for the child `pid`: its exit status and its resource usage (CPU time, peak resident
/// set in KiB), which only `wait4` reports per child.
fn wait_with_usage(pid: u32) -> (i32, libc::rusage) {
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value, and wait4 only writes into the two
    // out-parameters, which live for the whole call.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = libc::pid_t::try_from(pid).expect("a pid fits pid_t");
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4: {}", std::io::Error::last_os_error());
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    (code, usage)
}

struct Bench {
    full: bool,
    dir: PathBuf,
    missed: Vec<String>,
}

impl Bench {
    fn runs(&self, full: usize) -> usize {
        if self.full { full } else { 1 }
    }

    fn check(&mut self, what: &str, measured: Duration, target: Duration) {
        if self.full && measured > target {
            self.missed.push(format!("{what}: {measured:.2?}, target {target:?}"));
        }
    }

    fn write_model(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, text).expect("write the model");
        path
    }

    fn seed_models(&mut self) {
        println!("\n== seed models: load + plan + render both platforms, in process");
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut models: Vec<_> =
            std::fs::read_dir(root.join("model")).expect("model/").map(|e| e.unwrap().path()).collect();
        models.sort();
        for path in models {
            let text = std::fs::read_to_string(&path).expect("model");
            let name = format!("model/{}", path.file_name().unwrap().to_string_lossy());
            let mut size = 0;
            let time = median(self.runs(21), || {
                let (time, bytes) = timed(|| {
                    let loaded = pipegen::model::load(&name, &text).unwrap_or_else(|e| panic!("{e}"));
                    let plan = pipegen::plan::build(&loaded, &name).unwrap_or_else(|e| panic!("{e}"));
                    Target::ALL.iter().map(|t| emit::render(&plan, *t).len()).sum::<usize>()
                });
                size = bytes;
                time
            });
            println!("{name:<30} {time:>10.2?}  {size:>10} bytes");
            self.check(&name, time, SEED_MODEL_TARGET);
        }
    }

    /// `pipegen emit --target` as a process, for each platform.
    fn emit(&mut self, label: &str, text: &str, runs: usize, target_time: Duration, target_mib: Option<u64>) {
        self.emit_for(&Target::ALL, label, text, runs, target_time, target_mib);
    }

    fn emit_for(
        &mut self,
        targets: &[Target],
        label: &str,
        text: &str,
        runs: usize,
        target_time: Duration,
        target_mib: Option<u64>,
    ) {
        let model = self.write_model(&format!("{}.yaml", label.replace([' ', ','], "-")), text);
        for &target in targets {
            let mut peak = 0;
            let mut bytes = 0;
            let mut walls = Vec::new();
            let mut refused = false;
            let cpu = median(self.runs(runs), || {
                let run = emit_process(&model, target);
                refused = run.refused;
                peak = peak.max(run.peak_mib);
                bytes = run.bytes;
                walls.push(run.wall);
                run.cpu
            });
            walls.sort();
            let wall = walls[walls.len() / 2];
            let output = if refused {
                "refused: over a platform's limit".to_string()
            } else {
                format!("{:>6.1} MB of YAML", bytes as f64 / 1e6)
            };
            println!("{label:<30} {target:<7} {cpu:>10.2?} CPU {wall:>10.2?} wall {peak:>5} MiB  {output}");
            self.check(&format!("pipegen emit, {label}, {target}"), cpu, target_time);
            if let Some(limit) = target_mib
                && self.full
                && peak > limit
            {
                self.missed
                    .push(format!("pipegen emit, {label}, {target}: peak memory {peak} MiB, target {limit} MiB"));
            }
        }
    }

    /// Where the time of one compile goes, in process.
    fn phases(&mut self, label: &str, text: &str) {
        let runs = self.runs(5);
        let name = "synthetic.yaml";
        let load = median(runs, || timed(|| pipegen::model::load(name, text).map(|_| ()).is_ok()).0);
        let loaded = pipegen::model::load(name, text).unwrap_or_else(|e| panic!("{e}"));
        let model = &loaded.model;
        let graph = median(runs, || timed(|| ImageGraph::new(model).topological().len()).0);
        let image_graph = ImageGraph::new(model);
        let stages = median(runs, || timed(|| StageLayout::new(model, &image_graph).order.len()).0);
        let plan_time =
            median(runs, || timed(|| pipegen::plan::build(&loaded, name).map(|p| p.builds.len()).is_ok()).0);
        let plan = pipegen::plan::build(&loaded, name).unwrap_or_else(|e| panic!("{e}"));
        print!(
            "{label:<30} load {load:.1?}, graph {graph:.1?}, stages {stages:.1?}, plan (with graph and stages) {plan_time:.1?}"
        );
        for target in Target::ALL {
            let render = median(runs, || timed(|| emit::render(&plan, target).len()).0);
            print!(", render {target} {render:.1?}");
        }
        println!();
    }

    /// The YAML writer alone, on a document shaped like a pipeline: `jobs` jobs with needs,
    /// variables, caches and multi-line scripts.
    fn writer(&mut self, jobs: usize) {
        let document = pipeline_document(jobs);
        let mut bytes = 0;
        let time = median(self.runs(5), || {
            let (time, out) = timed(|| pipegen::yaml::to_string(&document).expect("writes"));
            bytes = out.len();
            time
        });
        let rate = bytes as f64 / (1024.0 * 1024.0) / time.as_secs_f64();
        println!("{:<30} {time:>10.2?} CPU  {:>6.1} MB  {rate:.0} MiB/s", format!("{jobs} jobs"), bytes as f64 / 1e6);
        if self.full && rate < WRITER_TARGET_MIB_PER_S {
            self.missed.push(format!("YAML writer: {rate:.0} MiB/s, target {WRITER_TARGET_MIB_PER_S} MiB/s"));
        }
    }

    fn chain_stages(&mut self, images: usize) {
        let text = chain_model(images);
        let loaded = pipegen::model::load("chain.yaml", &text).unwrap_or_else(|e| panic!("{e}"));
        let graph = ImageGraph::new(&loaded.model);
        let time = median(self.runs(5), || timed(|| StageLayout::new(&loaded.model, &graph).order.len()).0);
        let label = format!("chain of {images} images");
        println!("{label:<30} {time:>10.2?}  deriving {images} stages");
        self.check(&format!("stages of a {label}"), time, CHAIN_STAGES_TARGET);
    }
}

#[derive(Serialize)]
struct Job {
    stage: String,
    image: String,
    needs: Vec<Need>,
    variables: IndexMap<String, String>,
    cache: Vec<Cache>,
    script: Vec<String>,
    retry: u32,
    interruptible: bool,
}

#[derive(Serialize)]
struct Need {
    job: String,
    artifacts: bool,
}

#[derive(Serialize)]
struct Cache {
    key: String,
    paths: Vec<String>,
    fallback_keys: Vec<String>,
}

/// A pipeline-shaped document of `jobs` jobs, about 1.2 kB each.
fn pipeline_document(jobs: usize) -> IndexMap<String, Job> {
    (0..jobs)
        .map(|i| {
            let job = Job {
                stage: format!("build-{}", i / 100 + 1),
                image: "quay.io/buildah/stable:v1.42.2".to_string(),
                needs: (0..2)
                    .map(|k| Need { job: format!("build:img{}:{}-{}", i.saturating_sub(10 + k), k + 1, "x"), artifacts: k == 0 })
                    .collect(),
                variables: IndexMap::from([
                    ("PIPEGEN_IMAGE".to_string(), format!("img{i}")),
                    ("PIPEGEN_CONTEXT".to_string(), format!("images/img{i}")),
                    ("A".to_string(), "1".to_string()),
                    ("B".to_string(), "yes".to_string()),
                ]),
                cache: vec![Cache {
                    key: format!("deps-build-{}-1-x", i / 100 + 1),
                    paths: vec![".deps".to_string()],
                    fallback_keys: vec!["deps-main".to_string()],
                }],
                script: vec![
                    format!(
                        "set -eu\nreference=\"${{PIPEGEN_REGISTRY}}/img{i}:${{PIPEGEN_TAG_IMG{i}__1_X}}\"\n\
                         if pipegen_exists \"$reference\"; then\n  echo \"pipegen: $reference exists; skipping the build\"\n  exit 0\nfi\n\
                         buildah build --layers --cache-from \"$PIPEGEN_REGISTRY/cache\" --build-arg A=1 --build-arg B=x \\\n  \
                         --file images/img{i}/Dockerfile --tag \"$reference\" images/img{i}\nbuildah push \"$reference\"\n"
                    ),
                    "echo done".to_string(),
                ],
                retry: 2,
                interruptible: true,
            };
            (format!("build:img{i}:1-x"), job)
        })
        .collect()
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once as a smoke test.
    let full = std::env::args().any(|a| a == "--bench");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut bench = Bench { full, dir: dir.path().to_path_buf(), missed: Vec::new() };
    // The smoke test keeps the shapes and shrinks the sizes.
    let (thousand, ten_thousand, chain) = if full { (1000, 10_000, 2000) } else { (50, 200, 100) };

    bench.seed_models();

    println!("\n== pipegen emit --target, the real binary: median wall time, peak memory, output");
    let wide = layered_model(thousand, true);
    bench.emit(&format!("{thousand} images, 9 variants"), &wide, 11, EMIT_1K_TARGET, Some(EMIT_1K_MEMORY_TARGET_MIB));
    // Both platforms refuse that model, and pipegen stops writing once a file is certain to be
    // over the limit. For the record, the whole GitLab pipeline, written for an instance whose
    // administrator raised max_yaml_size_bytes (GitHub's limit cannot be raised): no target.
    let raised = format!("{wide}limits:\n  gitlab:\n    config_bytes: 1000000000\n");
    bench.emit_for(
        &[Target::Gitlab],
        &format!("{thousand} images, 9 variants, raised"),
        &raised,
        5,
        Duration::MAX,
        None,
    );
    let large = layered_model(ten_thousand, false);
    bench.emit(&format!("{ten_thousand} images, 1 variant"), &large, 3, EMIT_10K_TARGET, None);
    bench.emit(&format!("chain of {chain} images"), &chain_model(chain), 3, EMIT_10K_TARGET, None);
    let needs_last = if full { 25 } else { 2 };
    bench.emit(
        &format!("{} variants needing as many", 1000 * needs_last),
        &needs_model(needs_last),
        3,
        EMIT_10K_TARGET,
        None,
    );

    println!("\n== where the time goes, in process (median)");
    bench.phases(&format!("{thousand} images, 9 variants"), &wide);
    bench.phases(&format!("{ten_thousand} images, 1 variant"), &large);
    bench.phases(&format!("chain of {chain} images"), &chain_model(chain));

    println!("\n== stage derivation, in process");
    bench.chain_stages(chain);

    println!("\n== the YAML writer alone, on a pipeline-shaped document of typed structs");
    bench.writer(if full { 20_000 } else { 200 });

    if !bench.missed.is_empty() {
        eprintln!("\nmissed performance targets (docs/performance.md):\n  {}", bench.missed.join("\n  "));
        std::process::exit(1);
    }
}
