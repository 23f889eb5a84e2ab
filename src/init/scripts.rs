//! Build scripts: the tags a repository gives the images it builds, and from which Dockerfile.
//!
//! `pipegen init` reads the scripts that run builds: Makefiles and shell scripts
//! (`docker build -t NAME:TAG -f FILE CONTEXT`, also `docker buildx build`, `podman build`,
//! `buildah bud`), docker-bake files (`target` blocks with `context`, `dockerfile`, `tags`) and
//! GitHub workflows (`docker/build-push-action`'s `tags`, `context`, `file`, and `run:` steps).
//! A tag counts only when the Dockerfile it builds is one of the repository's; a value it cannot
//! know (an undefined variable, a `${{ … }}` expression) leaves that tag out.

use std::collections::{BTreeMap, BTreeSet};

use super::dockerfile::shell_words;

/// A tag a build script gives an image built from one of the repository's Dockerfiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The reference as the script writes it: `ros:humble-ros-core-jammy`.
    pub reference: String,
    /// The Dockerfile it is built from, relative to the repository root.
    pub dockerfile: String,
    /// `--target`, when given.
    pub target: Option<String>,
    /// Where the script says so: `ros/humble/ubuntu/jammy/Makefile:13`.
    pub source: String,
}

/// The build context a build script gives one of the repository's Dockerfiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatedContext {
    /// The Dockerfile, relative to the repository root.
    pub dockerfile: String,
    /// The context, relative to the repository root (`""` for the root itself).
    pub context: String,
    /// Where the script says so: `Makefile:3`.
    pub source: String,
}

/// What the build scripts say about the repository's Dockerfiles.
#[derive(Debug, Default)]
pub struct Builds {
    /// Every tag they give one, in script order.
    pub published: Vec<Published>,
    /// Every build context they build one with, in script order.
    pub contexts: Vec<StatedContext>,
}

/// Whether a repository path is a build script `pipegen init` reads.
pub fn is_build_script(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let workflow = path.starts_with(".github/workflows/") && (name.ends_with(".yml") || name.ends_with(".yaml"));
    let bake = name.starts_with("docker-bake") && (name.ends_with(".hcl") || name.ends_with(".json"));
    let make = name == "makefile" || name == "gnumakefile" || name.ends_with(".mk");
    let shell = name.ends_with(".sh") || name.ends_with(".bash");
    workflow || bake || make || shell
}

/// One build a script runs, as written.
#[derive(Debug, Default)]
struct Build {
    line: usize,
    tags: Vec<String>,
    context: String,
    /// The Dockerfile as given (`-f`, `file:`, bake's `dockerfile`).
    file: Option<String>,
    /// Bake reads `dockerfile` relative to the context; the others relative to where they run.
    file_in_context: bool,
    target: Option<String>,
    /// Where the build may run, most likely first: the script's directory, the repository root.
    bases: Vec<String>,
}

/// Every tag the scripts give a Dockerfile of `dockerfiles`, in script order.
#[cfg(test)]
fn published(scripts: &[(String, String)], dockerfiles: &BTreeSet<String>) -> Vec<Published> {
    read(scripts, dockerfiles).published
}

/// The tags and build contexts the scripts give the Dockerfiles of `dockerfiles`.
pub fn read(scripts: &[(String, String)], dockerfiles: &BTreeSet<String>) -> Builds {
    let mut found = Builds::default();
    for (path, text) in scripts {
        let dir = parent_dir(path);
        let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
        let mut builds = if path.starts_with(".github/workflows/") {
            workflow_builds(text)
        } else if name.starts_with("docker-bake") && name.ends_with(".json") {
            bake_json_builds(text)
        } else if name.starts_with("docker-bake") {
            bake_hcl_builds(text)
        } else {
            let make = name == "makefile" || name == "gnumakefile" || name.ends_with(".mk");
            shell_builds(text, make, &[dir.to_string(), String::new()])
        };
        for build in &mut builds {
            if build.bases.is_empty() {
                build.bases.push(dir.to_string());
            }
        }
        for build in builds {
            let Some((dockerfile, context)) = locate(&build, dockerfiles) else { continue };
            if let Some(context) = context {
                found.contexts.push(StatedContext {
                    dockerfile: dockerfile.clone(),
                    context,
                    source: format!("{path}:{}", build.line),
                });
            }
            for tag in build.tags.iter().filter(|t| !t.contains('$') && !t.is_empty()) {
                found.published.push(Published {
                    reference: tag.clone(),
                    dockerfile: dockerfile.clone(),
                    target: build.target.clone().filter(|t| !t.contains('$')),
                    source: format!("{path}:{}", build.line),
                });
            }
        }
    }
    found
}

/// The repository's Dockerfile a build uses, trying each place it may run from, and its context
/// from there (`None` when that leaves the repository).
fn locate(build: &Build, dockerfiles: &BTreeSet<String>) -> Option<(String, Option<String>)> {
    let context = &build.context;
    if context.contains("://") || context.starts_with("git@") || context == "-" || context.contains('$') {
        return None;
    }
    build.bases.iter().find_map(|base| {
        let context_dir = join(base, context);
        let candidates = match &build.file {
            Some(file) if file.contains('$') || file == "-" => return None,
            Some(file) if build.file_in_context => vec![join(&context_dir, file)],
            // Relative to where it runs, as the docker CLI reads it; podman and older docker
            // also look in the context.
            Some(file) => vec![join(base, file), join(&context_dir, file)],
            None => vec![join(&context_dir, "Dockerfile"), join(&context_dir, "Containerfile")],
        };
        let dockerfile = candidates.iter().filter_map(|f| normalize(f)).find(|f| dockerfiles.contains(f))?;
        Some((dockerfile, normalize(&context_dir)))
    })
}

// ----- Makefiles and shell scripts -----

/// `docker build` and its kin in a Makefile or shell script. Backslash continuations are joined,
/// comments skipped, Makefile recipe prefixes (`@`, `-`, `+`) dropped, and variables assigned in
/// the same file (`X := v`, `X ?= v`, `X=v`) expanded.
fn shell_builds(text: &str, make: bool, bases: &[String]) -> Vec<Build> {
    let variables = assignments(text, make);
    let mut builds = Vec::new();
    for (line, logical) in logical_lines(text) {
        let trimmed = logical.trim_start().trim_start_matches(['@', '-', '+']).trim_start();
        if trimmed.starts_with('#') {
            continue;
        }
        let expanded = expand(trimmed, &variables, make);
        let words: Vec<String> = shell_words(&expanded).into_iter().map(|w| w.text).collect();
        for command in commands(&words) {
            if let Some(mut build) = docker_build(command) {
                build.line = line;
                build.bases = bases.iter().fold(Vec::new(), |mut all, b| {
                    if !all.contains(b) {
                        all.push(b.clone());
                    }
                    all
                });
                builds.push(build);
            }
        }
    }
    builds
}

/// Lines with their backslash continuations joined, each with its first line's number.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut lines = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let (start, mut joined) = current.take().unwrap_or((i + 1, String::new()));
        match line.trim_end().strip_suffix('\\') {
            Some(before) => {
                joined.push_str(before);
                joined.push(' ');
                current = Some((start, joined));
            }
            None => {
                joined.push_str(line);
                lines.push((start, joined));
            }
        }
    }
    lines.extend(current);
    lines
}

/// Simple variable assignments: `NAME := value`, `NAME ?= value`, `NAME = value` in a Makefile
/// (outside recipes), `NAME=value` or `export NAME=value` in a shell script. The first wins.
fn assignments(text: &str, make: bool) -> BTreeMap<String, String> {
    let mut variables = BTreeMap::new();
    for (_, line) in logical_lines(text) {
        if make && line.starts_with('\t') {
            continue;
        }
        let line = line.trim();
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let name_end = line.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(line.len());
        let (name, rest) = line.split_at(name_end);
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let value = if make {
            let rest = rest.trim_start();
            ["::=", ":=", "?=", "="].iter().find_map(|op| rest.strip_prefix(op)).map(|v| v.trim().to_string())
        } else {
            rest.strip_prefix('=').map(|v| {
                let words = shell_words(v);
                words.first().map(|w| w.text.clone()).unwrap_or_default()
            })
        };
        if let Some(value) = value {
            variables.entry(name.to_string()).or_insert_with(|| value.to_string());
        }
    }
    variables
}

/// `$(NAME)`, `${NAME}` and `$NAME` replaced by known values; unknown ones stay (a word with a `$`
/// left in it is not used). In a Makefile `$$` is a `$` for the shell.
fn expand(text: &str, variables: &BTreeMap<String, String>, make: bool) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '$' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        if make && chars.get(i + 1) == Some(&'$') {
            out.push('$');
            i += 2;
            continue;
        }
        let (name, end) = match chars.get(i + 1) {
            Some(open @ ('(' | '{')) => {
                let close = if *open == '(' { ')' } else { '}' };
                match chars[i + 2..].iter().position(|c| *c == close) {
                    Some(at) => (chars[i + 2..i + 2 + at].iter().collect::<String>(), i + 3 + at),
                    None => (String::new(), i + 1),
                }
            }
            _ => {
                let name: String =
                    chars[i + 1..].iter().take_while(|c| c.is_ascii_alphanumeric() || **c == '_').collect();
                let end = i + 1 + name.len();
                (name, end)
            }
        };
        match variables.get(&name) {
            Some(value) if !name.is_empty() => out.push_str(value),
            _ => out.extend(&chars[i..end.max(i + 1)]),
        }
        i = end.max(i + 1);
    }
    out
}

/// The commands of a line of words, split at `&&`, `||`, `;`, `|` and `&`.
fn commands(words: &[String]) -> Vec<&[String]> {
    let mut commands = Vec::new();
    let mut start = 0;
    for (i, word) in words.iter().enumerate() {
        if matches!(word.as_str(), "&&" | "||" | ";" | "|" | "&") || word.ends_with(';') {
            commands.push(&words[start..i]);
            start = i + 1;
        }
    }
    commands.push(&words[start..]);
    commands
}

/// Flags of `docker build` (and buildx, podman, buildah) that take a value as the next word.
const VALUE_FLAGS: &[&str] = &[
    "--add-host",
    "--allow",
    "--annotation",
    "--arch",
    "--attest",
    "--authfile",
    "--build-arg",
    "--build-context",
    "--builder",
    "--cache-from",
    "--cache-to",
    "--call",
    "--cgroup-parent",
    "--cpu-period",
    "--cpu-quota",
    "--cpu-shares",
    "--cpuset-cpus",
    "--cpuset-mems",
    "--creds",
    "--format",
    "--iidfile",
    "--isolation",
    "--label",
    "--memory",
    "--memory-swap",
    "--metadata-file",
    "--network",
    "--os",
    "--output",
    "--platform",
    "--progress",
    "--provenance",
    "--sbom",
    "--secret",
    "--shm-size",
    "--ssh",
    "--ulimit",
    "--variant",
    "--volume",
    "-m",
    "-o",
    "-v",
];

/// The build a command runs, if it is `docker build` or one of its kin.
fn docker_build(words: &[String]) -> Option<Build> {
    let program = words.iter().position(|w| {
        let base = w.rsplit('/').next().unwrap_or(w);
        matches!(base, "docker" | "podman" | "buildah")
    })?;
    let rest = &words[program + 1..];
    let skip = match rest {
        [a, b, ..] if a == "buildx" && b == "build" => 2,
        [a, b, ..] if a == "image" && b == "build" => 2,
        [a, ..] if a == "build" || a == "bud" => 1,
        _ => return None,
    };
    let mut build = Build::default();
    let mut positional = Vec::new();
    let mut args = rest[skip..].iter();
    while let Some(word) = args.next() {
        let (flag, inline) = match word.split_once('=') {
            Some((flag, value)) if word.starts_with('-') => (flag, Some(value.to_string())),
            _ => (word.as_str(), None),
        };
        let takes_value = matches!(flag, "-t" | "--tag" | "-f" | "--file" | "--target") || VALUE_FLAGS.contains(&flag);
        if !flag.starts_with('-') || flag == "-" {
            positional.push(word.clone());
            continue;
        }
        let value = match (takes_value, inline) {
            (_, Some(value)) => Some(value),
            (true, None) => args.next().cloned(),
            (false, None) => None,
        };
        match (flag, value) {
            ("-t" | "--tag", Some(tag)) => build.tags.push(tag),
            ("-f" | "--file", Some(file)) => build.file = Some(file),
            ("--target", Some(target)) => build.target = Some(target),
            _ => {}
        }
    }
    build.context = positional.into_iter().next()?;
    Some(build)
}

// ----- GitHub workflows -----

/// `docker/build-push-action` steps (their `tags`, `context`, `file`, `target`) and `run:` steps
/// of every job. Tags and paths with `${{ … }}` are left out.
fn workflow_builds(text: &str) -> Vec<Build> {
    let Ok(workflow) = crate::yaml::from_str::<crate::yaml::Value>(text) else { return Vec::new() };
    let mut builds = Vec::new();
    let jobs = workflow.get("jobs").and_then(|j| j.as_mapping());
    for job in jobs.into_iter().flat_map(|jobs| jobs.values()) {
        let steps = job.get("steps").and_then(|s| s.as_sequence());
        for step in steps.into_iter().flatten() {
            let text_of = |key: &str| step.get(key).and_then(|v| v.as_str());
            if text_of("uses").is_some_and(|u| u.starts_with("docker/build-push-action@")) {
                let with = |key: &str| step.get("with").and_then(|w| w.get(key)).and_then(yaml_text);
                // A build without tags still says which context it builds with.
                let tags: Vec<String> = with("tags")
                    .unwrap_or_default()
                    .split(['\n', ','])
                    .map(str::trim)
                    .filter(|t| !t.is_empty() && !t.contains("${{"))
                    .map(str::to_string)
                    .collect();
                let line = match tags.first() {
                    Some(tag) => line_of(text, tag),
                    None => line_of(text, text_of("uses").unwrap_or_default()),
                };
                builds.push(Build {
                    line,
                    tags,
                    context: with("context").unwrap_or_else(|| ".".to_string()),
                    file: with("file"),
                    file_in_context: false,
                    target: with("target"),
                    bases: vec![String::new()],
                });
            } else if let Some(run) = text_of("run") {
                let base = text_of("working-directory").filter(|d| !d.contains("${{")).unwrap_or("");
                let first = line_of(text, run.lines().next().unwrap_or_default());
                for mut build in shell_builds(run, false, &[base.trim_matches('/').to_string()]) {
                    build.line += first - 1;
                    builds.push(build);
                }
            }
        }
    }
    builds
}

/// A YAML scalar or list of scalars as text (`tags:` may be either), one per line.
fn yaml_text(value: &crate::yaml::Value) -> Option<String> {
    match value {
        crate::yaml::Value::String(s) => Some(s.clone()),
        crate::yaml::Value::Sequence(items) => {
            Some(items.iter().filter_map(|i| i.as_str()).collect::<Vec<_>>().join("\n"))
        }
        _ => None,
    }
}

/// The 1-based line where `needle` first occurs (1 when it does not).
fn line_of(text: &str, needle: &str) -> usize {
    text.find(needle).map_or(1, |at| text[..at].matches('\n').count() + 1)
}

// ----- docker-bake files -----

/// A bake target's attributes that matter here.
#[derive(Debug, Default)]
struct BakeTarget {
    line: usize,
    context: Option<String>,
    dockerfile: Option<String>,
    tags: Vec<String>,
    target: Option<String>,
}

impl BakeTarget {
    fn build(self) -> Build {
        Build {
            line: self.line,
            tags: self.tags,
            context: self.context.unwrap_or_else(|| ".".to_string()),
            file: Some(self.dockerfile.unwrap_or_else(|| "Dockerfile".to_string())),
            file_in_context: true,
            target: self.target,
            bases: Vec::new(),
        }
    }
}

/// `target "name" { context = …, dockerfile = …, tags = […], target = … }` blocks of an HCL bake
/// file, with `${VAR}` taken from `variable "VAR" { default = … }` blocks.
fn bake_hcl_builds(text: &str) -> Vec<Build> {
    let tokens = hcl_tokens(text);
    let mut variables = BTreeMap::new();
    let mut targets = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let (Hcl::Ident(kind), line) = &tokens[i] else {
            i += 1;
            continue;
        };
        let label = match tokens.get(i + 1) {
            Some((Hcl::Str(label), _)) => label.clone(),
            _ => {
                i += 1;
                continue;
            }
        };
        if !matches!(tokens.get(i + 2), Some((Hcl::Sym('{'), _))) {
            i += 1;
            continue;
        }
        let (attributes, next) = hcl_body(&tokens, i + 3);
        match kind.as_str() {
            "variable" => {
                if let Some(HclValue::Str(default)) = attributes.get("default") {
                    variables.insert(label, default.clone());
                }
            }
            "target" => {
                let text = |key: &str| match attributes.get(key) {
                    Some(HclValue::Str(s)) => Some(s.clone()),
                    _ => None,
                };
                let tags = match attributes.get("tags") {
                    Some(HclValue::List(tags)) => tags.clone(),
                    _ => Vec::new(),
                };
                targets.push(BakeTarget {
                    line: *line,
                    context: text("context"),
                    dockerfile: text("dockerfile"),
                    tags,
                    target: text("target"),
                });
            }
            _ => {}
        }
        i = next;
    }
    let expand_bake = |s: String| expand(&s, &variables, false);
    targets
        .into_iter()
        .map(|mut t| {
            t.context = t.context.map(expand_bake);
            t.dockerfile = t.dockerfile.map(expand_bake);
            t.tags = t.tags.into_iter().map(expand_bake).collect();
            t.build()
        })
        .collect()
}

/// The same from a JSON bake file (`{"target": {"name": {…}}}`).
fn bake_json_builds(text: &str) -> Vec<Build> {
    let Ok(bake) = serde_json::from_str::<serde_json::Value>(text) else { return Vec::new() };
    let mut variables = BTreeMap::new();
    for (name, variable) in bake.get("variable").and_then(|v| v.as_object()).into_iter().flatten() {
        if let Some(default) = variable.get("default").and_then(|d| d.as_str()) {
            variables.insert(name.clone(), default.to_string());
        }
    }
    let targets = bake.get("target").and_then(|t| t.as_object());
    targets
        .into_iter()
        .flatten()
        .map(|(name, target)| {
            let text_of = |key: &str| target.get(key).and_then(|v| v.as_str()).map(|s| expand(s, &variables, false));
            let tags = target.get("tags").and_then(|t| t.as_array()).into_iter().flatten();
            BakeTarget {
                line: line_of(text, &format!("\"{name}\"")),
                context: text_of("context"),
                dockerfile: text_of("dockerfile"),
                tags: tags.filter_map(|t| t.as_str()).map(|t| expand(t, &variables, false)).collect(),
                target: text_of("target"),
            }
            .build()
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq)]
enum Hcl {
    Ident(String),
    Str(String),
    Sym(char),
}

#[derive(Debug, Clone, PartialEq)]
enum HclValue {
    Str(String),
    List(Vec<String>),
    Other,
}

/// HCL's tokens, enough for bake files: identifiers, strings, punctuation; comments dropped.
fn hcl_tokens(text: &str) -> Vec<(Hcl, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    line += usize::from(chars[i] == '\n');
                    i += 1;
                }
                i += 2;
            }
            '"' => {
                let start_line = line;
                let mut value = String::new();
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        i += 1;
                    }
                    line += usize::from(chars[i] == '\n');
                    value.push(chars[i]);
                    i += 1;
                }
                i += 1;
                tokens.push((Hcl::Str(value), start_line));
            }
            c if c.is_alphanumeric() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '-' | '.')) {
                    i += 1;
                }
                tokens.push((Hcl::Ident(chars[start..i].iter().collect()), line));
            }
            c if c.is_whitespace() => i += 1,
            c => {
                tokens.push((Hcl::Sym(c), line));
                i += 1;
            }
        }
    }
    tokens
}

/// The attributes of a block whose `{` came just before `start`, and the index after its `}`.
fn hcl_body(tokens: &[(Hcl, usize)], start: usize) -> (BTreeMap<String, HclValue>, usize) {
    let mut attributes = BTreeMap::new();
    let mut i = start;
    while i < tokens.len() {
        match &tokens[i].0 {
            Hcl::Sym('}') => return (attributes, i + 1),
            Hcl::Ident(name) | Hcl::Str(name) if matches!(tokens.get(i + 1), Some((Hcl::Sym('=' | ':'), _))) => {
                let (value, next) = hcl_value(tokens, i + 2);
                attributes.insert(name.clone(), value);
                i = next;
            }
            Hcl::Sym('{') => i = skip_balanced(tokens, i),
            _ => i += 1,
        }
    }
    (attributes, i)
}

fn hcl_value(tokens: &[(Hcl, usize)], start: usize) -> (HclValue, usize) {
    match tokens.get(start).map(|t| &t.0) {
        Some(Hcl::Str(s)) => (HclValue::Str(s.clone()), start + 1),
        Some(Hcl::Sym('[')) => {
            let end = skip_balanced(tokens, start);
            let inner = &tokens[start + 1..end.saturating_sub(1).max(start + 1)];
            let strings: Vec<String> = inner
                .iter()
                .filter_map(|(t, _)| match t {
                    Hcl::Str(s) => Some(s.clone()),
                    _ => None,
                })
                .collect();
            let only_strings = inner.iter().all(|(t, _)| matches!(t, Hcl::Str(_) | Hcl::Sym(',')));
            (if only_strings { HclValue::List(strings) } else { HclValue::Other }, end)
        }
        Some(Hcl::Sym('{' | '(')) => (HclValue::Other, skip_balanced(tokens, start)),
        Some(Hcl::Ident(_)) if matches!(tokens.get(start + 1), Some((Hcl::Sym('('), _))) => {
            (HclValue::Other, skip_balanced(tokens, start + 1))
        }
        Some(_) => (HclValue::Other, start + 1),
        None => (HclValue::Other, start),
    }
}

/// The index after the bracket that closes the one at `open`.
fn skip_balanced(tokens: &[(Hcl, usize)], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, (token, _)) in tokens.iter().enumerate().skip(open) {
        match token {
            Hcl::Sym('{' | '[' | '(') => depth += 1,
            Hcl::Sym('}' | ']' | ')') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

// ----- paths -----

fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn join(dir: &str, path: &str) -> String {
    if dir.is_empty() || path.starts_with('/') { path.to_string() } else { format!("{dir}/{path}") }
}

/// `a/./b/../c/` → `a/c`; `None` for a path that leaves the repository or is absolute.
fn normalize(path: &str) -> Option<String> {
    if path.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for component in path.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dockerfiles(paths: &[&str]) -> BTreeSet<String> {
        paths.iter().map(|p| p.to_string()).collect()
    }

    fn found(scripts: &[(&str, &str)], paths: &[&str]) -> Vec<String> {
        let scripts: Vec<(String, String)> = scripts.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect();
        published(&scripts, &dockerfiles(paths))
            .into_iter()
            .map(|p| {
                let target = p.target.map(|t| format!(" --target {t}")).unwrap_or_default();
                format!("{} <- {}{target} ({})", p.reference, p.dockerfile, p.source)
            })
            .collect()
    }

    #[test]
    fn reads_the_contexts_builds_state_tagged_or_not() {
        let scripts: Vec<(String, String)> = [
            ("Makefile", "api:\n\tdocker build -f services/api/Dockerfile -t $(REGISTRY)/api:latest .\n"),
            ("services/build.sh", "docker build -t api:1 api\ndocker build -f api/Dockerfile -t api:2 ..\n"),
            (
                ".github/workflows/ci.yml",
                "jobs:\n  b:\n    steps:\n      - uses: docker/build-push-action@v6\n        with:\n          file: services/api/Dockerfile\n",
            ),
        ]
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect();
        let contexts: Vec<String> = read(&scripts, &dockerfiles(&["services/api/Dockerfile"]))
            .contexts
            .into_iter()
            .map(|c| format!("{} <- {:?} ({})", c.dockerfile, c.context, c.source))
            .collect();
        assert_eq!(
            contexts,
            [
                r#"services/api/Dockerfile <- "" (Makefile:2)"#,
                r#"services/api/Dockerfile <- "services/api" (services/build.sh:1)"#,
                r#"services/api/Dockerfile <- "" (services/build.sh:2)"#,
                r#"services/api/Dockerfile <- "" (.github/workflows/ci.yml:4)"#,
            ]
        );
    }

    #[test]
    fn reads_makefile_recipes_with_continuations_and_variables() {
        let makefile = "REPO ?= ros\nDISTRO := humble\n\nbuild:\n\t@docker build --tag=$(REPO):$(DISTRO)-ros-core-jammy\t\tros-core/.\n\t# @docker build --tag=osrf/ros:humble-desktop-jammy desktop/.\n\t-docker build -t ros:humble-ros-base-jammy \\\n\t\t--build-arg X=1 ros-base && echo done\n\t@docker build --tag=ros:$(UNKNOWN) ros-base/.\n\t@docker buildx build --pull --push \\\n\t\t--cache-from=type=registry,ref=osrf/ros:humble-desktop-jammy \\\n\t\t--tag=osrf/ros:humble-desktop-jammy \\\n\t\tdesktop/.\n";
        let paths = [
            "ros/humble/ubuntu/jammy/ros-core/Dockerfile",
            "ros/humble/ubuntu/jammy/ros-base/Dockerfile",
            "ros/humble/ubuntu/jammy/desktop/Dockerfile",
        ];
        assert_eq!(
            found(&[("ros/humble/ubuntu/jammy/Makefile", makefile)], &paths),
            [
                "ros:humble-ros-core-jammy <- ros/humble/ubuntu/jammy/ros-core/Dockerfile (ros/humble/ubuntu/jammy/Makefile:5)",
                "ros:humble-ros-base-jammy <- ros/humble/ubuntu/jammy/ros-base/Dockerfile (ros/humble/ubuntu/jammy/Makefile:7)",
                "osrf/ros:humble-desktop-jammy <- ros/humble/ubuntu/jammy/desktop/Dockerfile (ros/humble/ubuntu/jammy/Makefile:10)",
            ]
        );
    }

    #[test]
    fn reads_shell_scripts_from_their_directory_or_the_root() {
        let script = "#!/bin/sh\nset -e\nOWNER=jupyter\nfor x in a; do docker build -t \"$OWNER/app:1\" -f docker/app.Dockerfile --target runtime . ; done\npodman build --file=Containerfile --tag tools:2 tools\nbuildah bud -t x:1 missing/\ndocker run --rm x:1\n";
        assert_eq!(
            found(&[("scripts/build.sh", script)], &["docker/app.Dockerfile", "scripts/tools/Containerfile"]),
            [
                "jupyter/app:1 <- docker/app.Dockerfile --target runtime (scripts/build.sh:4)",
                "tools:2 <- scripts/tools/Containerfile (scripts/build.sh:5)",
            ]
        );
    }

    #[test]
    fn reads_bake_files() {
        let hcl = "variable \"TAG\" {\n  default = \"1.0\"\n}\n// a comment\ntarget \"base\" {\n  context = \"images/base\"\n  tags = [\"registry.example.com/x/base:${TAG}\", \"x/base:latest\"]\n  args = { A = \"1\" }\n}\ntarget \"app\" {\n  context = \".\"\n  dockerfile = \"images/app.Dockerfile\"\n  target = \"runtime\"\n  tags = [\"x/app:${UNSET}\"]\n}\ntarget \"remote\" {\n  context = \"https://github.com/x/y.git#main:images\"\n  tags = [\"remote\"]\n}\n";
        assert_eq!(
            found(&[("docker-bake.hcl", hcl)], &["images/base/Dockerfile", "images/app.Dockerfile"]),
            [
                "registry.example.com/x/base:1.0 <- images/base/Dockerfile (docker-bake.hcl:5)",
                "x/base:latest <- images/base/Dockerfile (docker-bake.hcl:5)",
            ]
        );
        let json = r#"{"target": {"base": {"context": "images/base", "tags": ["x/base:2"]}}}"#;
        assert_eq!(
            found(&[("docker-bake.json", json)], &["images/base/Dockerfile"]),
            ["x/base:2 <- images/base/Dockerfile (docker-bake.json:1)"]
        );
    }

    #[test]
    fn reads_github_workflow_steps() {
        let workflow = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: docker/build-push-action@v6\n        with:\n          context: images/base\n          tags: |\n            x/base:1\n            ${{ steps.meta.outputs.tags }}\n      - uses: docker/build-push-action@v6\n        with:\n          file: images/app.Dockerfile\n          tags: x/app:1,x/app:latest\n      - run: docker build -t x/tool:1 tool\n        working-directory: images\n";
        assert_eq!(
            found(
                &[(".github/workflows/images.yml", workflow)],
                &["images/base/Dockerfile", "images/app.Dockerfile", "images/tool/Dockerfile"]
            ),
            [
                "x/base:1 <- images/base/Dockerfile (.github/workflows/images.yml:11)",
                "x/app:1 <- images/app.Dockerfile (.github/workflows/images.yml:16)",
                "x/app:latest <- images/app.Dockerfile (.github/workflows/images.yml:16)",
                "x/tool:1 <- images/tool/Dockerfile (.github/workflows/images.yml:17)",
            ]
        );
    }

    #[test]
    fn knows_build_scripts_by_name() {
        for path in ["Makefile", "a/GNUmakefile", "x.mk", "build.sh", "docker-bake.hcl", ".github/workflows/ci.yaml"] {
            assert!(is_build_script(path), "{path}");
        }
        for path in ["README.md", "a/.github/workflows/ci.yml", "Dockerfile", "bake.hcl"] {
            assert!(!is_build_script(path), "{path}");
        }
    }

    #[test]
    fn normalizes_paths() {
        assert_eq!(normalize("./a/./b/../c/").as_deref(), Some("a/c"));
        assert_eq!(normalize("../x"), None);
        assert_eq!(normalize("/abs"), None);
    }
}
