//! The GitLab cache-key job (`pipegen:cache-key:<cache>`, for a cache with more key files than
//! `cache:key:files` takes), run as the emitted pipeline writes it: its script, and the variables
//! of the template and the job. Key files whose names start with `-` are hashed as files, as
//! GitHub's `hashFiles` hashes them, not read as options of `sha256sum`.

mod support;

use std::fs;
use std::process::Command;

use pipegen::emit::{Target, rendering};

const MODEL: &str = r#"
pipegen: 1
name: cache-keys
registry: registry.example.com/a
caches:
  odd: { key: [-k.lock, --version, plain.lock], paths: [.cache] }
jobs:
  test:
    image: alpine:3.20
    caches: [odd]
    script: [echo hi]
"#;

/// The cache-key job's script and variables (the template's, then the job's own), as emitted.
fn emitted_job() -> (String, Vec<(String, String)>) {
    let loaded = pipegen::model::load("pipegen.yaml", MODEL).unwrap_or_else(|e| panic!("{}", e.render(false)));
    let plan = pipegen::plan::build(&loaded, "pipegen.yaml").unwrap_or_else(|e| panic!("{}", e.render(false)));
    let text = rendering(&plan, Target::Gitlab).text;
    let pipeline: pipegen::yaml::Value = pipegen::yaml::from_str(&text).expect("the pipeline is YAML");
    let job = &pipeline["pipegen:cache-key:odd"];
    let template = &pipeline[job["extends"].as_str().expect("the job extends the template")];
    let script = template["script"].as_sequence().expect("a script").iter().map(|l| l.as_str().unwrap()).collect();
    let mut variables = Vec::new();
    for source in [template, job] {
        for (name, value) in source["variables"].as_mapping().into_iter().flatten() {
            variables.push((name.as_str().unwrap().to_string(), value.as_str().unwrap().to_string()));
        }
    }
    (script, variables)
}

/// Runs the job in a checkout holding `files` with `shell` (its first word the program) and
/// `sha256sum` found in `path`: its status, what it printed and the key it reported.
fn run(shell: &[&str], path: &str, files: &[(&str, &str)]) -> (i32, String, String) {
    let (script, variables) = emitted_job();
    let tmp = tempfile::tempdir().unwrap();
    for (name, content) in files {
        fs::write(tmp.path().join(name), content).unwrap();
    }
    let mut command = Command::new(shell[0]);
    command.args(&shell[1..]).arg("-c").arg(&script).current_dir(tmp.path()).env_clear().env("PATH", path);
    command.env("TMPDIR", tmp.path());
    for (name, value) in &variables {
        command.env(name, value);
    }
    let (code, out, err) = support::run(&mut command);
    let report = variables.iter().find(|(n, _)| n == "PIPEGEN_KEY_REPORT").map(|(_, v)| v.clone()).unwrap();
    let key = fs::read_to_string(tmp.path().join(report)).unwrap_or_default();
    (code, format!("{out}{err}"), key)
}

/// The key changes with the content of every key file, whatever its name, and the job passes.
fn keys_follow_every_file(shell: &[&str], path: &str) {
    let files = [("-k.lock", "one\n"), ("--version", "two\n"), ("plain.lock", "three\n")];
    let (code, out, key) = run(shell, path, &files);
    assert_eq!(code, 0, "{shell:?}: the cache-key job failed:\n{out}");
    assert!(key.starts_with("PIPEGEN_CACHE_KEY_"), "{shell:?}: no key reported:\n{key}\n{out}");
    for changed in 0..files.len() {
        let mut other = files;
        other[changed].1 = "changed\n";
        let (code, out, other_key) = run(shell, path, &other);
        assert_eq!(code, 0, "{shell:?}: the cache-key job failed:\n{out}");
        assert_ne!(key, other_key, "{shell:?}: the key ignores the content of {}", files[changed].0);
    }
}

#[test]
fn key_files_named_like_options_are_hashed_as_files() {
    keys_follow_every_file(&["sh"], &std::env::var("PATH").unwrap_or_default());
}

/// The GitLab helper image's `sha256sum` is BusyBox's.
#[cfg(feature = "external-tests")]
#[test]
fn busybox_hashes_key_files_named_like_options() {
    let busybox = support::tool("busybox");
    let bin = tempfile::tempdir().unwrap();
    for applet in ["sh", "sha256sum", "cat", "printf"] {
        std::os::unix::fs::symlink(&busybox, bin.path().join(applet)).unwrap();
    }
    let sh = bin.path().join("sh");
    keys_follow_every_file(&[sh.to_str().unwrap()], bin.path().to_str().unwrap());
}
