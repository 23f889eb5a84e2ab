//! `cargo bench`: how long pipegen takes to load, plan and emit, and how much memory it uses,
//! on the seed models and on a synthetic model far larger than any of them. It fails when a
//! target in docs/performance.md is missed.
//!
//! Plain `std::time` with a median over repeated runs: no benchmark framework is needed for
//! numbers this coarse, and the targets are generous on purpose.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use pipegen::emit::{self, Target};

/// Targets, per model size (see docs/performance.md).
const SEED_MODEL_TARGET: Duration = Duration::from_millis(50);
const LARGE_MODEL_TARGET: Duration = Duration::from_secs(2);
const PEAK_MEMORY_TARGET_MIB: u64 = 256;

/// A model with `images` images in a layered DAG (each layer built from the previous one), two
/// axes of three values on the first layer, and one job per image.
fn synthetic_model(images: usize) -> String {
    let mut text = String::from(
        "pipegen: 1\nname: synthetic\nregistry: registry.example.com/synthetic\naxes:\n  a: [\"1\", \"2\", \"3\"]\n  b: [x, y, z]\ncaches:\n  deps: { key: [deps.lock], paths: [.deps] }\nimages:\n",
    );
    for i in 0..images {
        let layer = i / 10;
        let _ = writeln!(text, "  img{i}:");
        let _ = writeln!(text, "    context: images/img{i}");
        let _ = writeln!(text, "    inputs: [\"shared/**\", \"lib{i}/*.lock\"]");
        if layer == 0 {
            let _ = writeln!(text, "    axes: [a, b]\n    args: {{ A: \"${{a}}\", B: \"${{b}}\" }}");
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

/// Load, plan and render both platforms once; the rendered sizes, so nothing is optimized away.
fn compile(name: &str, text: &str) -> usize {
    let loaded = pipegen::model::load(name, text).unwrap_or_else(|e| panic!("{e}"));
    let plan = pipegen::plan::build(&loaded, name).unwrap_or_else(|e| panic!("{e}"));
    Target::ALL.iter().map(|t| emit::render(&plan, *t).len()).sum()
}

fn median(name: &str, text: &str, runs: usize) -> (Duration, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut size = 0;
    for _ in 0..runs {
        let start = Instant::now();
        size = black_box(compile(name, black_box(text)));
        times.push(start.elapsed());
    }
    times.sort();
    (times[runs / 2], size)
}

/// Peak resident memory of this process (Linux: VmHWM), in MiB.
fn peak_memory_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once as a smoke test.
    let quick = !std::env::args().any(|a| a == "--bench");
    let runs = if quick { 1 } else { 21 };
    let mut missed = Vec::new();

    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut models: Vec<_> =
        std::fs::read_dir(root.join("model")).expect("model/").map(|e| e.unwrap().path()).collect();
    models.sort();
    for path in models {
        let text = std::fs::read_to_string(&path).expect("model");
        let name = format!("model/{}", path.file_name().unwrap().to_string_lossy());
        let (time, size) = median(&name, &text, runs);
        println!("{name:<28} {:>9.2?} median of {runs}, {size} bytes emitted", time);
        if !quick && time > SEED_MODEL_TARGET {
            missed.push(format!("{name}: {time:?} > {SEED_MODEL_TARGET:?}"));
        }
    }

    let images = 200;
    let text = synthetic_model(images);
    let (time, size) = median("synthetic.yaml", &text, if quick { 1 } else { 5 });
    println!("synthetic, {images} images      {:>9.2?} median, {size} bytes emitted", time);
    if !quick && time > LARGE_MODEL_TARGET {
        missed.push(format!("synthetic model: {time:?} > {LARGE_MODEL_TARGET:?}"));
    }

    if let Some(peak) = peak_memory_mib() {
        println!("peak resident memory        {peak:>6} MiB");
        if !quick && peak > PEAK_MEMORY_TARGET_MIB {
            missed.push(format!("peak memory {peak} MiB > {PEAK_MEMORY_TARGET_MIB} MiB"));
        }
    }
    if !missed.is_empty() {
        eprintln!("missed performance targets:\n  {}", missed.join("\n  "));
        std::process::exit(1);
    }
}
