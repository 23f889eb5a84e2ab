//! The shell scripts a pipeline runs, one per job (GitLab) or step (GitHub), as the runner
//! runs them, checked with shellcheck; findings point at the pipeline file, job and line.
//!
//! GitLab: `extends` is resolved (a list or string, nearest definition wins; `default:` last),
//! `before_script` and `script` are concatenated into one bash script behind the runner's
//! `set -eo pipefail`; `after_script` runs in a shell of its own. pipegen's own scripts (the
//! hidden `.pipegen:` jobs a job extends) may run in an image without bash, so a job that
//! extends one is checked as POSIX sh as well.
//! GitHub: every `run:` of a bash or sh step, behind `set -e` (GitHub's `bash -e {0}`), with
//! each `${{ … }}` replaced by a placeholder variable (plain text inside single quotes). A step
//! that runs `eval "$PIPEGEN_…"` runs that script of the workflow's `env`: it is checked in its
//! place, in the step's shell, and as POSIX sh.
//! Variables the platform sets from `variables:`/`env:` are declared with `export`, so using
//! them is not "referenced but not assigned".

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use pipegen::yaml::Value;
use serde::Deserialize;

use crate::locate::{Step, value_line};
use crate::support;

/// A shellcheck dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Bash,
    Sh,
}

impl Dialect {
    fn name(self) -> &'static str {
        match self {
            Dialect::Bash => "bash",
            Dialect::Sh => "sh",
        }
    }
}

/// One script as a shell runs it.
#[derive(Debug)]
pub struct JobScript {
    /// The pipeline, for messages.
    pub pipeline: String,
    /// The job (GitLab) or `job / step N` (GitHub).
    pub job: String,
    pub dialect: Dialect,
    pub text: String,
    /// Where each line of `text` comes from.
    pub origins: Vec<Origin>,
}

/// Where one line of a script comes from.
#[derive(Debug, Clone)]
pub struct Origin {
    /// `before_script[0] of .pipegen:build`, `run`, or the test's own preamble.
    pub what: String,
    /// 1-based line inside that item.
    pub line_in_item: usize,
    /// 1-based line in the pipeline file, when it could be located.
    pub file_line: Option<usize>,
}

/// One shellcheck finding, located.
#[derive(Debug, Clone)]
pub struct Finding {
    pub pipeline: String,
    pub job: String,
    pub code: u32,
    pub file_line: Option<usize>,
    /// The whole finding, for messages.
    pub message: String,
}

struct Builder {
    text: String,
    origins: Vec<Origin>,
}

impl Builder {
    fn new(preamble: &[String]) -> Self {
        let mut builder = Builder { text: String::new(), origins: Vec::new() };
        for line in preamble {
            builder.push_line(
                line,
                Origin { what: "preamble added by the test".into(), line_in_item: 1, file_line: None },
            );
        }
        builder
    }

    fn push_line(&mut self, line: &str, origin: Origin) {
        self.text.push_str(line);
        self.text.push('\n');
        self.origins.push(origin);
    }

    /// Add an item; its first line is at `file_line` in the pipeline file.
    fn push_item(&mut self, item: &str, what: &str, file_line: Option<usize>) {
        for (i, line) in item.strip_suffix('\n').unwrap_or(item).split('\n').enumerate() {
            let origin = Origin { what: what.to_string(), line_in_item: i + 1, file_line: file_line.map(|l| l + i) };
            self.push_line(line, origin);
        }
    }
}

fn preamble(set: &str, variables: &[String]) -> Vec<String> {
    let mut lines = vec![set.to_string()];
    if !variables.is_empty() {
        lines.push(format!("export {}", variables.join(" ")));
    }
    lines
}

fn key_names(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_mapping)
        .map(|m| m.keys().filter_map(|k| k.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

// ------------------------------------------------------------------------------------ GitLab

/// Top-level keys of `.gitlab-ci.yml` that are not jobs.
const GITLAB_GLOBAL_KEYWORDS: &[&str] = &[
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "types",
    "spec",
];

/// GitLab allows 11 levels of `extends`.
const MAX_EXTENDS_DEPTH: usize = 11;

/// Every script of every (visible) job of a GitLab pipeline.
pub fn gitlab(pipeline: &str, text: &str) -> Result<Vec<JobScript>, String> {
    let doc: Value = pipegen::yaml::from_str(text).map_err(|e| format!("{pipeline}: not YAML: {e}"))?;
    let top = doc.as_mapping().ok_or_else(|| format!("{pipeline}: not a mapping"))?;
    let global_variables = key_names(doc.get("variables"));
    let mut scripts = Vec::new();
    for (key, job) in top {
        let Some(name) = key.as_str() else { continue };
        if name.starts_with('.') || GITLAB_GLOBAL_KEYWORDS.contains(&name) || !job.is_mapping() {
            continue;
        }
        let mut variables = global_variables.clone();
        variables.extend(inherited_variables(&doc, name, 0));
        if let Some(matrix) = job.get("parallel").and_then(|p| p.get("matrix")).and_then(Value::as_sequence) {
            variables.extend(matrix.iter().flat_map(|m| key_names(Some(m))));
        }
        variables.sort();
        variables.dedup();
        let mut dialects = vec![Dialect::Bash];
        if extends(job).iter().any(|parent| parent.starts_with(".pipegen:")) {
            dialects.push(Dialect::Sh);
        }

        let sections: &[&[&str]] = &[&["before_script", "script"], &["after_script"]];
        for (section_group, dialect) in sections.iter().flat_map(|g| dialects.iter().map(move |d| (*g, *d))) {
            let set = match dialect {
                Dialect::Bash => "set -eo pipefail",
                Dialect::Sh => "set -e",
            };
            let mut builder = Builder::new(&preamble(set, &variables));
            let mut any = false;
            for section in section_group {
                let Some((origin, value)) = section_provider(&doc, name, section) else { continue };
                let section_path = [Step::Key(&origin), Step::Key(section)];
                // (item, its path in the file, how findings name it)
                let items: Vec<(&Value, Vec<Step<'_>>, String)> = match &value {
                    Value::Sequence(items) => items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| {
                            let path = [section_path.as_slice(), &[Step::Index(i)]].concat();
                            (item, path, format!("{section}[{i}] of {origin}"))
                        })
                        .collect(),
                    single => vec![(single, section_path.to_vec(), format!("{section} of {origin}"))],
                };
                for (item, path, what) in items {
                    match item {
                        Value::String(line) => builder.push_item(line, &what, value_line(text, &path)),
                        nested => {
                            let pieces =
                                flatten(nested).map_err(|e| format!("{pipeline}: job `{name}`, {what}: {e}"))?;
                            pieces.iter().for_each(|piece| builder.push_item(piece, &what, None));
                        }
                    }
                    any = true;
                }
            }
            if any {
                let job =
                    if section_group == ["after_script"] { format!("{name} (after_script)") } else { name.to_string() };
                scripts.push(JobScript {
                    pipeline: pipeline.to_string(),
                    job,
                    dialect,
                    text: builder.text,
                    origins: builder.origins,
                });
            }
        }
    }
    Ok(scripts)
}

/// Where a job gets `key` from, honouring `extends` (later entries win, the job itself first)
/// but not `default:`.
fn provider(doc: &Value, job: &str, key: &str, depth: usize) -> Option<(String, Value)> {
    if depth > MAX_EXTENDS_DEPTH {
        return None;
    }
    let definition = doc.get(job)?;
    if let Some(value) = definition.get(key) {
        return Some((job.to_string(), value.clone()));
    }
    extends(definition).iter().rev().find_map(|parent| provider(doc, parent, key, depth + 1))
}

/// `before_script`/`script`/`after_script` of a job: its own or inherited, else `default:`'s
/// (unless `inherit: default` leaves it out).
fn section_provider(doc: &Value, job: &str, section: &str) -> Option<(String, Value)> {
    if let Some(found) = provider(doc, job, section, 0) {
        return Some(found);
    }
    if section == "script" {
        return None;
    }
    let inherit = provider(doc, job, "inherit", 0).and_then(|(_, i)| i.get("default").cloned());
    let inherited = match inherit {
        Some(Value::Bool(inherit)) => inherit,
        Some(Value::Sequence(keys)) => keys.iter().any(|k| k.as_str() == Some(section)),
        _ => true,
    };
    let value = doc.get("default")?.get(section)?.clone();
    inherited.then(|| ("default".to_string(), value))
}

fn extends(definition: &Value) -> Vec<String> {
    match definition.get("extends") {
        Some(Value::String(parent)) => vec![parent.clone()],
        Some(Value::Sequence(parents)) => parents.iter().filter_map(|p| p.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

/// Variables of the job and of everything it extends (mappings merge along `extends`).
fn inherited_variables(doc: &Value, job: &str, depth: usize) -> Vec<String> {
    let Some(definition) = doc.get(job).filter(|_| depth <= MAX_EXTENDS_DEPTH) else { return Vec::new() };
    let mut names = key_names(definition.get("variables"));
    for parent in extends(definition) {
        names.extend(inherited_variables(doc, &parent, depth + 1));
    }
    names
}

/// Script items are strings or (nested) lists of strings; anything else GitLab rejects.
fn flatten(item: &Value) -> Result<Vec<String>, String> {
    match item {
        Value::String(line) => Ok(vec![line.clone()]),
        Value::Sequence(items) => Ok(items.iter().map(flatten).collect::<Result<Vec<_>, _>>()?.concat()),
        other => Err(format!("a script item must be a string, not {other:?}")),
    }
}

// ------------------------------------------------------------------------------------ GitHub

/// Every `run:` step of a GitHub workflow that runs in bash or sh.
pub fn github(pipeline: &str, text: &str) -> Result<Vec<JobScript>, String> {
    let doc: Value = pipegen::yaml::from_str(text).map_err(|e| format!("{pipeline}: not YAML: {e}"))?;
    let jobs = doc.get("jobs").and_then(Value::as_mapping).ok_or_else(|| format!("{pipeline}: no `jobs:`"))?;
    let shell_of = |v: Option<&Value>| v?.get("defaults")?.get("run")?.get("shell")?.as_str().map(str::to_string);
    let mut scripts = Vec::new();
    for (id, job) in jobs {
        let Some(id) = id.as_str() else { continue };
        let Some(steps) = job.get("steps").and_then(Value::as_sequence) else { continue };
        let windows = job.get("runs-on").and_then(Value::as_str).is_some_and(|r| r.contains("windows"));
        for (index, step) in steps.iter().enumerate() {
            let Some(run) = step.get("run").and_then(Value::as_str) else { continue };
            let shell = step
                .get("shell")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| shell_of(Some(job)))
                .or_else(|| shell_of(Some(&doc)));
            // Unset: `bash -e {0}` (`pwsh` on Windows); `bash`: `bash --noprofile --norc -eo pipefail {0}`.
            let (dialect, set) = match shell.as_deref() {
                None if windows => continue,
                None => (Dialect::Bash, "set -e"),
                Some("bash") => (Dialect::Bash, "set -eo pipefail"),
                Some("sh") => (Dialect::Sh, "set -e"),
                Some(custom) if custom.starts_with("bash ") => (Dialect::Bash, ""),
                Some(custom) if custom.starts_with("sh ") => (Dialect::Sh, ""),
                Some(_) => continue,
            };
            let mut variables: Vec<String> =
                [doc.get("env"), job.get("env"), step.get("env")].into_iter().flat_map(key_names).collect();
            variables.sort();
            variables.dedup();
            let path = [Step::Key("jobs"), Step::Key(id), Step::Key("steps"), Step::Index(index), Step::Key("run")];
            let job = match step.get("name").and_then(Value::as_str) {
                Some(name) => format!("{id} / step {} ({name})", index + 1),
                None => format!("{id} / step {}", index + 1),
            };
            let library = run.strip_prefix("eval \"$").and_then(|rest| {
                let (name, after) = rest.split_once('"')?;
                let script = doc.get("env")?.get(name)?.as_str()?;
                Some((name, script, after.trim_start().trim_start_matches("&&").trim_start()))
            });
            let mut dialects = vec![(dialect, set)];
            if library.is_some() && dialect == Dialect::Bash {
                dialects.push((Dialect::Sh, "set -e"));
            }
            for (dialect, set) in dialects {
                let mut builder = Builder::new(&preamble(set, &variables));
                match library {
                    Some((name, script, after)) => {
                        let env_path = [Step::Key("env"), Step::Key(name)];
                        builder.push_item(script, &format!("env.{name}"), value_line(text, &env_path));
                        if !after.is_empty() {
                            builder.push_item(after, "run", value_line(text, &path));
                        }
                    }
                    None => builder.push_item(&replace_expressions(run), "run", value_line(text, &path)),
                }
                scripts.push(JobScript {
                    pipeline: pipeline.to_string(),
                    job: job.clone(),
                    dialect,
                    text: builder.text,
                    origins: builder.origins,
                });
            }
        }
    }
    Ok(scripts)
}

/// The placeholder for `${{ … }}`: GitHub pastes the expression's value into the script.
pub const EXPRESSION_PLACEHOLDER: &str = "PIPEGEN_EXPR";

/// `${{ … }}` → `${PIPEGEN_EXPR}`, or plain `PIPEGEN_EXPR` inside single quotes (where a
/// variable would only draw "expressions don't expand in single quotes").
pub fn replace_expressions(script: &str) -> String {
    let mut out = String::new();
    let (mut single, mut double, mut escaped) = (false, false, false);
    let mut rest = script;
    while let Some(c) = rest.chars().next() {
        if let Some(end) = rest.find("}}").filter(|_| !escaped && rest.starts_with("${{")) {
            if single {
                out.push_str(EXPRESSION_PLACEHOLDER);
            } else {
                out.push_str(&format!("${{{EXPRESSION_PLACEHOLDER}}}"));
            }
            // Keep the line count when an expression spans lines.
            out.extend(rest[..end].matches('\n').map(|_| "\n"));
            rest = &rest[end + 2..];
            continue;
        }
        match c {
            _ if escaped => escaped = false,
            '\\' if !single => escaped = true,
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            _ => {}
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

// ------------------------------------------------------------------------------------ shellcheck

#[derive(Deserialize)]
struct Json1 {
    comments: Vec<Comment>,
}

#[derive(Deserialize)]
struct Comment {
    file: String,
    line: usize,
    column: usize,
    level: String,
    code: u32,
    message: String,
}

/// Run shellcheck over every script and locate each finding. Identical scripts (variants of a
/// job often are) are checked once; the scripts are split among one shellcheck per core.
pub fn shellcheck(scripts: &[JobScript], dir: &Path) -> Vec<Finding> {
    let mut unique: Vec<&JobScript> = Vec::new();
    for script in scripts {
        if !unique.iter().any(|u| u.dialect == script.dialect && u.text == script.text) {
            unique.push(script);
        }
    }
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut runs = Vec::new();
    for dialect in [Dialect::Bash, Dialect::Sh] {
        let files: Vec<(PathBuf, &JobScript)> = unique
            .iter()
            .enumerate()
            .filter(|(_, s)| s.dialect == dialect)
            .map(|(i, script)| {
                let file = dir.join(format!("{i:04}.{}", dialect.name()));
                std::fs::write(&file, &script.text).expect("write a script for shellcheck");
                (file, *script)
            })
            .collect();
        for chunk in files.chunks(files.len().div_ceil(workers).max(1)) {
            let mut command = Command::new(support::tool("shellcheck"));
            command.args(["--norc", "--format", "json1", "--shell", dialect.name()]).args(chunk.iter().map(|(f, _)| f));
            let child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("run shellcheck");
            runs.push((command, child, chunk.to_vec()));
        }
    }
    let mut findings = Vec::new();
    for (command, child, files) in runs {
        let output = child.wait_with_output().expect("wait for shellcheck");
        let code = output.status.code().unwrap_or(-1);
        let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(
            code == 0 || code == 1,
            "shellcheck failed to run:\n{}",
            crate::corpus::describe_run(&command, code, &stdout, &stderr)
        );
        let json: Json1 = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("shellcheck json1: {e}\n{stdout}"));
        assert_eq!(code == 1, !json.comments.is_empty(), "shellcheck's exit status disagrees with its findings");
        for comment in json.comments {
            let (_, checked) = files
                .iter()
                .find(|(f, _)| Path::new(&comment.file) == f.as_path())
                .unwrap_or_else(|| panic!("shellcheck reported an unknown file {}", comment.file));
            let same = scripts.iter().filter(|s| s.dialect == checked.dialect && s.text == checked.text);
            findings.extend(same.map(|script| locate(script, &comment)));
        }
    }
    findings
}

fn locate(script: &JobScript, comment: &Comment) -> Finding {
    let origin = script.origins.get(comment.line - 1).cloned().unwrap_or(Origin {
        what: "?".into(),
        line_in_item: comment.line,
        file_line: None,
    });
    let source = script.text.lines().nth(comment.line - 1).unwrap_or_default();
    let at_file = origin.file_line.map(|l| format!(", file line {l}")).unwrap_or_default();
    let message = format!(
        "{pipeline}: job `{job}` ({shell}), {what} line {n}{at_file}, column {column}: SC{code} ({level}): {text}\n    | {source}",
        pipeline = script.pipeline,
        job = script.job,
        shell = script.dialect.name(),
        what = origin.what,
        n = origin.line_in_item,
        column = comment.column,
        code = comment.code,
        level = comment.level,
        text = comment.message,
    );
    Finding {
        pipeline: script.pipeline.clone(),
        job: script.job.clone(),
        code: comment.code,
        file_line: origin.file_line,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_become_a_variable_except_inside_single_quotes() {
        assert_eq!(
            replace_expressions("echo \"${{ github.sha }}\" '${{ x }}' ${{ y }} \\'${{ z }}"),
            "echo \"${PIPEGEN_EXPR}\" 'PIPEGEN_EXPR' ${PIPEGEN_EXPR} \\'${PIPEGEN_EXPR}"
        );
        assert_eq!(replace_expressions("a ${{\n b }} c"), "a ${PIPEGEN_EXPR}\n c");
    }
}
