//! Every pipeline the conformance checks run on: the files checked in under `generated/`, the
//! root `.gitlab-ci.yml`, and what `pipegen emit --target …` prints for every model in `model/`
//! and every valid fixture. Collected once per test binary; identical texts are checked once.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use pipegen::emit::Target;

use crate::support;

/// One pipeline text and everything it came from.
#[derive(Debug)]
pub struct Pipeline {
    pub target: Target,
    /// Where the text comes from: repository files and `pipegen emit` commands.
    pub sources: Vec<String>,
    pub text: String,
    /// The repository file holding this text, when there is one (tools then name that file).
    pub file: Option<PathBuf>,
    /// The model it was generated from, relative to the repository root.
    pub model: Option<String>,
}

impl Pipeline {
    /// How findings name this pipeline.
    pub fn name(&self) -> String {
        self.sources.join(" = ")
    }
}

/// Every distinct pipeline, GitLab first.
pub fn all() -> &'static [Pipeline] {
    static ALL: OnceLock<Vec<Pipeline>> = OnceLock::new();
    ALL.get_or_init(collect)
}

/// The pipelines for one platform; panics when there are none, so a check cannot pass by
/// looking at nothing.
pub fn of(target: Target) -> Vec<&'static Pipeline> {
    let found: Vec<&Pipeline> = all().iter().filter(|p| p.target == target).collect();
    assert!(!found.is_empty(), "no {target} pipeline to check: are there models in model/?");
    found
}

fn collect() -> Vec<Pipeline> {
    let repo = support::repo();
    let mut found: Vec<Pipeline> = Vec::new();
    let mut add =
        |target: Target, source: String, text: String, file: Option<PathBuf>, model: Option<String>| match found
            .iter_mut()
            .find(|p| p.target == target && p.text == text)
        {
            Some(same) => {
                same.sources.push(source);
                same.file = same.file.take().or(file);
                same.model = same.model.take().or(model);
            }
            None => found.push(Pipeline { target, sources: vec![source], text, file, model }),
        };

    let mut files = Vec::new();
    yaml_files_under(&repo.join("generated"), &mut files);
    files.sort();
    let root_pipeline = repo.join(".gitlab-ci.yml");
    if root_pipeline.is_file() {
        files.push(root_pipeline);
    }
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let target = classify(&path, &text);
        let model = model_in_header(&text);
        add(target, support::relative(&path), text, Some(path), model);
    }

    // Every emit runs at once; reading them in turn lets the others finish meanwhile.
    let models: Vec<PathBuf> = support::models().into_iter().chain(support::valid_fixtures()).collect();
    let runs: Vec<_> = models
        .iter()
        .flat_map(|model| Target::ALL.map(|target| (model, target)))
        .map(|(model, target)| {
            let child = support::pipegen()
                .args(["emit", "--target", target.name(), "--model"])
                .arg(model)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("run pipegen emit");
            (model, target, child)
        })
        .collect();
    for (model, target, child) in runs {
        let output = child.wait_with_output().expect("wait for pipegen emit");
        let command = format!("pipegen emit --target {target} --model {}", support::relative(model));
        assert!(
            output.status.success(),
            "`{command}` failed ({}) on a model that should be valid:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8(output.stdout).expect("pipegen prints UTF-8");
        add(target, command, text, None, Some(support::relative(model)));
    }
    // A repository with submodules and files in Git LFS: build jobs that check them out.
    let with_submodules = tempfile::tempdir().expect("temporary directory");
    let fixture = repo.join(CHECKOUT_FIXTURE);
    std::fs::create_dir_all(with_submodules.path().join(".git")).expect("a repository root");
    for (from, to) in
        [("gitmodules", ".gitmodules"), ("gitattributes", ".gitattributes"), ("pipegen.yaml", "pipegen.yaml")]
    {
        std::fs::copy(fixture.join(from), with_submodules.path().join(to)).expect("copy the fixture");
    }
    for target in Target::ALL {
        let output = support::pipegen()
            .args(["emit", "--target", target.name()])
            .current_dir(with_submodules.path())
            .output()
            .expect("run pipegen emit");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let text = String::from_utf8(output.stdout).expect("pipegen prints UTF-8");
        let checkouts = match target {
            Target::Gitlab => text.contains("GIT_SUBMODULE_STRATEGY: recursive"),
            Target::Github => text.contains("submodules: recursive") && text.contains("lfs: true"),
        };
        assert!(checkouts, "{target}: no job checks submodules or LFS files out:\n{text}");
        let command = format!("pipegen emit --target {target} (in a repository like {CHECKOUT_FIXTURE})");
        add(target, command, text, None, Some(format!("{CHECKOUT_FIXTURE}/pipegen.yaml")));
    }
    found.sort_by_key(|p| p.target);
    found
}

/// A model whose builds read a submodule and files in Git LFS, and the `.gitmodules` and
/// `.gitattributes` of its repository.
const CHECKOUT_FIXTURE: &str = "tests/fixtures/repos/checkout";

fn yaml_files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries {
        let path = entry.expect("read generated/").path();
        if path.is_dir() {
            yaml_files_under(&path, out);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
}

/// GitHub workflows are named so (`github-workflow.yml`, `.github/workflows/…`) or have `on:`
/// and `jobs:`; everything else under `generated/` is GitLab CI.
fn classify(path: &Path, text: &str) -> Target {
    let name = support::relative(path);
    if name.contains("github") {
        return Target::Github;
    }
    if name.contains("gitlab") {
        return Target::Gitlab;
    }
    let value: pipegen::yaml::Value = pipegen::yaml::from_str(text).unwrap_or(pipegen::yaml::Value::Null);
    if value.get("on").is_some() && value.get("jobs").is_some() { Target::Github } else { Target::Gitlab }
}

/// The model a generated file names in its first line (`# Generated by pipegen from M. …`).
pub fn model_in_header(text: &str) -> Option<String> {
    let rest = text.lines().next()?.strip_prefix("# Generated by pipegen from ")?;
    Some(rest.split_once(". Do not edit")?.0.to_string())
}

/// Where the tools read each pipeline: its repository file, or a copy written to `dir`.
pub fn materialize(pipelines: &[&Pipeline], dir: &Path) -> Vec<PathBuf> {
    pipelines
        .iter()
        .enumerate()
        .map(|(i, pipeline)| match &pipeline.file {
            Some(file) => file.clone(),
            None => {
                let model = pipeline.model.as_deref().unwrap_or("pipeline");
                let stem = Path::new(model).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                let path = dir.join(format!("{i:02}-{stem}.{}.yml", pipeline.target));
                std::fs::write(&path, &pipeline.text).expect("write a pipeline for the tools");
                path
            }
        })
        .collect()
}

/// "file = sources" lines, so a tool's finding in a temporary copy can be traced back.
pub fn legend(pipelines: &[&Pipeline], paths: &[PathBuf]) -> String {
    pipelines.iter().zip(paths).map(|(p, path)| format!("  {} = {}\n", path.display(), p.name())).collect()
}

/// Build the plan of a model through the library, as `pipegen emit` does.
pub fn plan_of(model: &str) -> pipegen::plan::Plan {
    let path = support::repo().join(model);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {model}: {e}"));
    let loaded = pipegen::model::load(model, &text).unwrap_or_else(|e| panic!("{model} does not load: {e:?}"));
    pipegen::plan::build(&loaded, model).unwrap_or_else(|e| panic!("{model} does not plan: {e:?}"))
}

/// A command's output for messages: the command, its exit status, stdout and stderr.
pub fn describe_run(command: &Command, code: i32, stdout: &str, stderr: &str) -> String {
    format!("$ {command:?}\nexit status {code}\n--- stdout\n{stdout}--- stderr\n{stderr}")
}
