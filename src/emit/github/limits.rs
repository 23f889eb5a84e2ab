//! What GitHub refuses, checked on the plan and the rendered workflow in one place, so a
//! workflow over a limit is never written. Source: GitHub docs, "Actions limits" (workflow file
//! size, job matrix), "Usage limits" (job execution time on GitHub-hosted runners) and "Usage
//! limits for self-hosted runners", and the workflow syntax reference (job ids).

use std::collections::HashMap;

use super::names;
use crate::emit::Rendering;
use crate::model::{Diagnostic, ModelPath};
use crate::plan::{JobId, Plan};

/// A workflow file larger than 500 KB does not start runs.
pub const MAX_WORKFLOW_BYTES: usize = 512_000;
/// A job matrix generates at most this many jobs.
pub const MAX_MATRIX: u32 = 256;
/// GitHub refuses a workflow holding an expression longer than this ("Exceeded max expression
/// length 21000"; the runner's `ExpressionConstants.MaxLength`).
pub const MAX_EXPRESSION: usize = 21_000;
/// A job on a GitHub-hosted runner runs for at most six hours ("Usage limits").
pub const MAX_JOB_MINUTES: u64 = 360;
/// A job on a self-hosted runner runs for at most five days ("Usage limits for self-hosted
/// runners").
pub const MAX_SELF_HOSTED_JOB_MINUTES: u64 = 5 * 24 * 60;

/// Whether a `runs-on` label names a GitHub-hosted runner: `ubuntu-*`, `windows-*`, `macos-*`
/// (the hosted arm64 labels `ubuntu-24.04-arm`, `windows-11-arm` among them). Any other label is
/// a self-hosted runner's (a larger hosted runner's own name is taken for one too).
pub fn hosted(label: &str) -> bool {
    ["ubuntu-", "windows-", "macos-"].iter().any(|prefix| label.starts_with(prefix))
}

/// The `runs-on` labels of a build's jobs that build: its one job, or each platform job of a
/// split build (the merge job, on a hosted runner, only merges; its timeout stays within
/// [`MAX_JOB_MINUTES`]).
fn build_labels(plan: &Plan, build: &crate::plan::Build) -> Vec<String> {
    if build.split() {
        build.platforms.iter().map(|p| super::runs_on(plan, Some(*p))).collect()
    } else {
        vec![super::runs_on(plan, build.single_platform())]
    }
}

/// Every limit `plan` or its rendered `file` crosses.
pub fn check(plan: &Plan, file: &Rendering) -> Vec<Diagnostic> {
    let text = &file.text;
    let mut problems = Vec::new();
    // Job ids are case-insensitive (`needs` and expressions match them so).
    let ids = plan.job_ids();
    let mut seen: foldhash::HashMap<String, &JobId> = HashMap::with_capacity_and_hasher(ids.len(), Default::default());
    for id in &ids {
        let mut github = names::id(id);
        github.make_ascii_lowercase();
        if let Some(first) = seen.insert(github, id) {
            let github = names::id(id);
            problems.push(
                Diagnostic::new(
                    "name-collision",
                    id.origin(),
                    format!("{first} and {id} would both get the GitHub job id `{github}`{}", if names::id(first) == github { "" } else { " (GitHub ignores case in job ids)" }),
                )
                .at_key()
                .label("generated name collides")
                .related(first.origin(), "with the job generated here")
                .help("rename an image, a job or an axis value so the generated names differ in more than case or punctuation"),
            );
        }
    }
    for build in &plan.builds {
        let minutes = build.timeout.as_minutes_ceil();
        if minutes <= MAX_JOB_MINUTES {
            continue;
        }
        // Only a written timeout exceeds a limit: the default is far below it.
        let labels = build_labels(plan, build);
        let (limit, runners, fix) = match labels.iter().find(|l| hosted(l)) {
            Some(label) => (
                MAX_JOB_MINUTES,
                format!("GitHub-hosted runners (`{label}`)"),
                "set the image's `timeout` to at most 6h, or build its platforms on self-hosted runners (`runners:`)",
            ),
            None => (
                MAX_SELF_HOSTED_JOB_MINUTES,
                "self-hosted runners".to_string(),
                "set the image's `timeout` to at most 120h",
            ),
        };
        if minutes > limit {
            problems.push(at_timeout(
                over(
                    &build.id(),
                    Diagnostic::new(
                        "timeout-too-long",
                        build.id().origin(),
                        format!(
                            "a build may take {minutes} minutes (its image's `timeout: {}`); {runners} stop a job after {limit} minutes",
                            build.timeout
                        ),
                    ),
                    fix,
                ),
                true,
            ));
        }
    }
    let mut reported_ports = std::collections::HashSet::new();
    for run in &plan.runs {
        let id = run.id();
        if let Some(shards) = run.shards
            && shards > MAX_MATRIX
        {
            problems.push(over(
                &id,
                Diagnostic::new(
                    "too-many-shards",
                    id.origin(),
                    format!("`parallel: {shards}`; a GitHub matrix has at most {MAX_MATRIX} jobs"),
                ),
                "split the job",
            ));
        }
        if run.image.is_none() && reported_ports.insert(run.job.as_str()) {
            port_clashes(run, &mut problems);
        }
        let minutes = super::run_minutes(plan, run);
        if minutes > MAX_JOB_MINUTES {
            problems.push(at_timeout(
                over(&id, Diagnostic::new("timeout-too-long", id.origin(),
                    format!("its attempts, service waits and set-up may take {minutes} minutes; GitHub-hosted runners stop a job after {MAX_JOB_MINUTES}")),
                    "shorten `timeout`, lower `retry`, or shorten the services' health timeouts",
                ),
                run.timeout.is_some(),
            ));
        }
    }
    if let Some(long) = longest_expression(text)
        && long.length > MAX_EXPRESSION
    {
        problems.push(long.diagnostic(plan));
    }
    let size = match file.stopped {
        // Writing stopped once the workflow was certain to pass the limit.
        Some(stopped) => Some(format!("over {MAX_WORKFLOW_BYTES} bytes ({})", stopped.describe("bytes"))),
        None => (text.len() > MAX_WORKFLOW_BYTES).then(|| format!("{} bytes", text.len())),
    };
    if let Some(size) = size {
        problems.push(
            Diagnostic::new(
                "pipeline-too-large",
                crate::emit::jobs_section(plan),
                format!("the GitHub workflow would be {size}; GitHub does not start a workflow file over {MAX_WORKFLOW_BYTES}"),
            )
            .at_key()
            .label("too many builds and jobs for one workflow")
            .help("split the model into several models (one workflow each)"),
        );
    }
    problems
}

/// The longest expression of a workflow: how long, and the scalar that compiles to it.
#[derive(Debug, PartialEq, Eq)]
pub struct LongExpression {
    /// Its length as GitHub measures it ([`compiled_length`]).
    pub length: usize,
    /// The keys and indices down to the scalar, from the workflow's top.
    pub path: Vec<String>,
    /// The scalar's beginning, to quote.
    pub start: String,
    /// Whether the scalar holds a model's text with a literal `${{` ([`super::literal`]).
    pub literal: bool,
}

/// The scalars longer than this in the workflow's text are the only ones that can compile to
/// an expression over [`MAX_EXPRESSION`]: an expression is never longer than twice its scalar's
/// text (see [`could_be_over`]).
const CANDIDATE_BYTES: usize = (MAX_EXPRESSION - 10) / 2;

/// The scalar of `text` (a workflow pipegen wrote) that compiles to the longest expression, when
/// one could be over [`MAX_EXPRESSION`]. One pass over the lines finds whether a scalar holding
/// `${{` is long enough to be; only then are the scalars read as YAML and each measured.
pub fn longest_expression(text: &str) -> Option<LongExpression> {
    if !could_be_over(text) {
        return None;
    }
    longest_in_scalars(text)
}

/// Whether `text` has a scalar holding `${{` written in more than [`CANDIDATE_BYTES`] bytes.
/// Its compiled form is at most twice as long plus `format('')`: each byte of literal text is
/// at most two UTF-16 units (a brace or quote, doubled), each `${{ e }}` at most twice its own
/// bytes (`{N}, e`), and escapes and indentation only make the text longer than its value.
/// pipegen writes a scalar on its key's line, or as a literal block (`|`, `|-`, `|2+` …) whose
/// lines are indented more than its key's line.
fn could_be_over(text: &str) -> bool {
    // The open block: its key line's indentation, its bytes, whether it holds `${{`.
    let mut block: Option<(usize, usize, bool)> = None;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let blank = line.trim().is_empty();
        if let Some((key_indent, bytes, holds)) = &mut block {
            if blank || indent > *key_indent {
                *bytes += line.len();
                *holds |= line.contains("${{");
                continue;
            }
            if *holds && *bytes > CANDIDATE_BYTES {
                return true;
            }
            block = None;
        }
        if line.len() > CANDIDATE_BYTES && line.contains("${{") {
            return true;
        }
        let last = line.trim_end().rsplit(' ').next().unwrap_or("");
        if last.starts_with('|') && last[1..].bytes().all(|b| b.is_ascii_digit() || b == b'+' || b == b'-') {
            block = Some((indent, 0, false));
        }
    }
    block.is_some_and(|(_, bytes, holds)| holds && bytes > CANDIDATE_BYTES)
}

/// Every scalar of `text` read as YAML, measured; the longest.
fn longest_in_scalars(text: &str) -> Option<LongExpression> {
    use saphyr_parser::{Event, Parser};
    // Each open collection: a mapping's last key (and whether a key comes next), a sequence's
    // next index.
    enum Open {
        Mapping { key: String, expect_key: bool },
        Sequence(usize),
    }
    fn path(open: &[Open]) -> Vec<String> {
        open.iter()
            .map(|o| match o {
                Open::Mapping { key, .. } => key.clone(),
                Open::Sequence(i) => i.to_string(),
            })
            .collect()
    }
    // After a value: the mapping expects a key, the sequence's index moves on.
    fn advance(open: &mut [Open]) {
        match open.last_mut() {
            Some(Open::Mapping { expect_key, .. }) => *expect_key = true,
            Some(Open::Sequence(i)) => *i += 1,
            None => {}
        }
    }
    let mut open: Vec<Open> = Vec::new();
    let mut longest: Option<LongExpression> = None;
    let mut parser = Parser::new_from_str(text);
    while let Some(Ok((event, _))) = parser.next_event() {
        match event {
            Event::Scalar(value, ..) => {
                if let Some(Open::Mapping { key, expect_key }) = open.last_mut()
                    && *expect_key
                {
                    *key = value.into_owned();
                    *expect_key = false;
                    continue;
                }
                if let Some(length) = compiled_length(&value)
                    && longest.as_ref().is_none_or(|l| length > l.length)
                {
                    longest = Some(LongExpression {
                        length,
                        path: path(&open),
                        start: value.chars().take(60).collect(),
                        literal: value.contains(super::literal::OPEN),
                    });
                }
                advance(&mut open);
            }
            Event::Alias(_) => advance(&mut open),
            Event::MappingStart(..) => open.push(Open::Mapping { key: String::new(), expect_key: true }),
            Event::SequenceStart(..) => open.push(Open::Sequence(0)),
            Event::MappingEnd | Event::SequenceEnd => {
                open.pop();
                advance(&mut open);
            }
            _ => {}
        }
    }
    longest
}

/// The length GitHub's expression parser checks against [`MAX_EXPRESSION`] for a scalar `value`
/// of the workflow, in UTF-16 code units (.NET's `String.Length`). Measured as actions/runner's
/// `TemplateReader.ParseScalar` compiles a scalar holding `${{`: each expression runs from `${{`
/// to the first `}}` outside a single-quoted string, and is trimmed; a scalar that is one
/// expression is that expression; any other becomes `format('<literal>', <expr>, …)`, whose
/// literal text has every `'`, `{` and `}` doubled and `{0}`, `{1}`, … where the expressions
/// stood. Each expression is also parsed alone, but never longer than the whole. `None` for a
/// scalar without `${{` (a literal) or with one left open (which GitHub refuses for itself).
pub fn compiled_length(value: &str) -> Option<usize> {
    const OPEN: &str = "${{";
    let mut rest = value.find(OPEN).map(|at| (at, &value[at..]))?.1;
    let units = |text: &str| text.chars().map(char::len_utf16).sum::<usize>();
    let escaped = |text: &str| units(text) + text.bytes().filter(|b| matches!(b, b'\'' | b'{' | b'}')).count();
    let mut literal = escaped(&value[..value.len() - rest.len()]);
    let (mut expressions, mut longest, mut arguments, mut segments) = (0usize, 0usize, 0usize, 0usize);
    if literal > 0 {
        segments += 1;
    }
    loop {
        let inside = &rest[OPEN.len()..];
        let bytes = inside.as_bytes();
        let mut in_string = false;
        let mut end = None;
        for (i, b) in bytes.iter().enumerate() {
            match b {
                b'\'' => in_string = !in_string,
                b'}' if !in_string && i > 0 && bytes[i - 1] == b'}' => {
                    end = Some(i - 1);
                    break;
                }
                _ => {}
            }
        }
        let end = end?;
        let expression = units(inside[..end].trim());
        longest = longest.max(expression);
        // `{N}` in the format string, `, <expr>` among its arguments.
        arguments += 2 + expressions.to_string().len() + 2 + expression;
        expressions += 1;
        segments += 1;
        rest = &inside[end + 2..];
        let next = rest.find(OPEN).unwrap_or(rest.len());
        let text = escaped(&rest[..next]);
        if text > 0 {
            // Literal text next to literal text is one segment.
            segments += 1;
            literal += text;
        }
        if next == rest.len() {
            break;
        }
        rest = &rest[next..];
    }
    // One segment: the expression itself (`format` is not called).
    if segments == 1 {
        return Some(longest);
    }
    // `format('` … `'` … `)`.
    Some((10 + literal + arguments).max(longest))
}

impl LongExpression {
    /// The error, at the model's field whose value the scalar holds.
    fn diagnostic(&self, plan: &Plan) -> Diagnostic {
        let keys: Vec<&str> = self.path.iter().map(String::as_str).collect();
        let job = match keys.as_slice() {
            ["jobs", id, ..] => plan.job_ids().into_iter().find(|job| names::id(job) == *id),
            _ => None,
        };
        let help = if self.literal {
            "shorten the value, or write it without `${{`: GitHub compiles a value holding `${{` into one expression, with each of its braces and quotes doubled"
        } else if job.is_some() {
            "use fewer key files or shorter names for what this expression lists"
        } else {
            "name fewer branches: a prefix and `*` (`release/*`) stands for many"
        };
        let origin = match &job {
            Some(id) => model_field(plan, id, &keys[2..]),
            None if self.literal => ModelPath::keys(["jobs"]),
            None => ModelPath::keys(["push", "branches"]),
        };
        Diagnostic::new(
            "expression-too-long",
            origin,
            format!(
                "GitHub limit: `{}` of the workflow would be an expression of {} characters (`{}…`); GitHub refuses a workflow with an expression over {MAX_EXPRESSION}",
                self.path.join("."),
                self.length,
                self.start
            ),
        )
        .at_key()
        .label("over a GitHub limit")
        .help(help)
    }
}

/// The model's field that the workflow's `keys` below the job `id` come from: a job's `env`
/// entry or `script`, a service's `env` entry or health check, an image's build argument; the
/// job or image itself otherwise.
fn model_field(plan: &Plan, id: &JobId, keys: &[&str]) -> ModelPath {
    let origin = id.origin();
    let (name, service) = match keys {
        ["services", alias, rest @ ..] => (rest.last().copied().unwrap_or(""), Some(*alias)),
        [.., "env", name] => (*name, None),
        _ => return origin,
    };
    if let Some(alias) = service {
        let at = ModelPath::keys(["services", alias]);
        return match keys {
            [_, _, "env", name] => at.key("env").key(*name),
            [_, _, "options"] => at.key("health"),
            _ => at,
        };
    }
    match id {
        JobId::Run { job, .. } => {
            let run = plan.runs.iter().find(|r| r.job == *job);
            if name == "PIPEGEN_SCRIPT" {
                origin.key("script")
            } else if let Some(wait) = name.strip_prefix("PIPEGEN_WAIT_") {
                // A service's health check, on a runner without a job container.
                let service = run.and_then(|r| {
                    r.services.iter().find(|s| {
                        s.health
                            .as_ref()
                            .is_some_and(|h| crate::emit::scripts::wait_variable(s, h, &plan.policy).0 == wait)
                    })
                });
                service.map_or_else(
                    || origin.key("services"),
                    |s| ModelPath::keys(["services", s.alias.as_str(), "health"]),
                )
            } else if let Some(rest) = name.strip_prefix("PIPEGEN_LOCAL_SERVICE_") {
                // `<n>_<NAME>`: the env entry NAME of the job's n-th service.
                let (n, env) = rest.split_once('_').unwrap_or((rest, ""));
                let service = n.parse::<usize>().ok().and_then(|n| run?.services.get(n.checked_sub(1)?));
                match service {
                    Some(s) if !env.is_empty() => ModelPath::keys(["services", s.alias.as_str(), "env", env]),
                    Some(s) => ModelPath::keys(["services", s.alias.as_str()]),
                    None => origin.key("services"),
                }
            } else if run.is_some_and(|r| r.env.iter().any(|(k, _)| k == name)) {
                origin.key("env").key(name)
            } else {
                origin
            }
        }
        _ => match name.strip_prefix("PIPEGEN_ARG_") {
            Some(arg) => origin.key("args").key(arg),
            None => origin,
        },
    }
}
/// A job without an `image` runs on the runner itself, and GitHub maps each service's port to
/// the same port of the runner (`ports: [5432:5432]`): two services on one port cannot both
/// start ("port is already allocated"). In a job's container each service has its own address.
fn port_clashes(run: &crate::plan::Run, problems: &mut Vec<Diagnostic>) {
    let mut first_on: HashMap<u16, (usize, &str)> = HashMap::new();
    for (i, service) in run.services.iter().enumerate() {
        if let Some((first, alias)) = first_on.get(&service.port) {
            let at = ModelPath::keys(["jobs", run.job.as_str(), "services"]);
            problems.push(
                Diagnostic::new(
                    "port-clash",
                    at.index(i),
                    format!(
                        "GitHub limit: job `{}` has no `image`, so its services publish their ports on the runner, and `{}` and `{alias}` both use port {}",
                        run.job, service.alias, service.port
                    ),
                )
                .label("second service on the port")
                .related(at.index(*first), "the first")
                .help("give the job an `image` (each service then has its own address), or run the services on different ports"),
            );
        } else {
            first_on.insert(service.port, (i, service.alias.as_str()));
        }
    }
}

/// A timeout diagnostic at the `timeout` value that causes it, when the model writes one; at
/// the job or image otherwise (a default timeout with retries or service waits).
fn at_timeout(diagnostic: Diagnostic, written: bool) -> Diagnostic {
    if written { diagnostic.at_value_of("timeout") } else { diagnostic }
}

/// `diagnostic`, said as a GitHub limit of the job `id`, with its fix.
fn over(id: &JobId, diagnostic: Diagnostic, fix: &str) -> Diagnostic {
    let message = format!("GitHub limit: {} ({id}): {}", names::display(id), diagnostic.message);
    Diagnostic { message, ..diagnostic }.at_key().label("over a GitHub limit").help(fix.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scalar_compiles_as_the_runner_compiles_it() {
        // No `${{`: a literal, no expression.
        assert_eq!(compiled_length("echo {a} 'b'"), None);
        // One expression alone is itself, trimmed.
        assert_eq!(compiled_length("${{  github.ref  }}"), Some("github.ref".len()));
        // `format('a{{b}}''{0}', github.ref)`: the literal's braces and quote doubled.
        let compiled = "format('a{{b}}''{0}', github.ref)";
        assert_eq!(compiled_length("a{b}'${{ github.ref }}"), Some(compiled.len()));
        // pipegen's literal `${{`: `format('{0} x }}}}', '${{')`; a `}}` inside a string of the
        // expression does not end it.
        assert_eq!(compiled_length("${{ '${{' }} x }}"), Some("format('{0} x }}}}', '${{')".len()));
        assert_eq!(compiled_length("${{ 'a}}b' }}c"), Some("format('{0}c', 'a}}b')".len()));
        // Eleven expressions: `{10}` is four characters.
        let many = "${{ a }}-".repeat(11);
        let placeholders: String = (0..11).map(|i| format!("{{{i}}}-")).collect();
        let arguments = ", a".repeat(11);
        assert_eq!(compiled_length(&many), Some(format!("format('{placeholders}'{arguments})").len()));
        // .NET counts UTF-16 units: one for `é`, two for `😀`.
        assert_eq!(compiled_length("é😀${{ a }}"), Some("format('xxx{0}', a)".len()));
        // Left open: GitHub refuses it for itself.
        assert_eq!(compiled_length("${{ a } b"), None);
    }

    #[test]
    fn only_scalars_long_enough_to_be_over_are_read() {
        let long = "x".repeat(CANDIDATE_BYTES);
        // A short line with `${{`, and a long block without one: nothing to read.
        assert!(!could_be_over(&format!("a: ${{{{ b }}}}\nc: |\n  {long}\n  {long}\nd: e\n")));
        // A long line with `${{`, or a long block that holds one anywhere.
        assert!(could_be_over(&format!("a: \"${{{{ b }}}}{long}\"\n")));
        assert!(could_be_over(&format!("a:\n  c: |-\n    {long}\n\n      ${{{{ b }}}}\n  d: e\n")));
        assert!(could_be_over(&format!("- |2+\n   ${{{{ b }}}}\n  {long}\n")));
    }

    #[test]
    fn the_seed_models_workflows_are_not_read_again() {
        // The cost stays one pass over lines for ordinary workflows.
        for text in [
            include_str!("../../../generated/gdk/github-workflow.yml"),
            include_str!("../../../generated/citus/github-workflow.yml"),
            include_str!("../../../generated/kolla/github-workflow.yml"),
            include_str!("../../../generated/vitess/github-workflow.yml"),
            include_str!("../../../generated/pipegen/github-workflow.yml"),
        ] {
            assert!(!could_be_over(text));
        }
    }

    #[test]
    fn the_longest_scalar_is_found_with_its_path() {
        let text = format!(
            "env:\n  A: ${{{{ github.ref }}}}\njobs:\n  j:\n    steps:\n    - env:\n        B: \"{}${{{{ '${{{{' }}}}\"\n",
            "{".repeat(10_600)
        );
        let long = longest_expression(&text).expect("a scalar over the limit");
        assert_eq!(long.path, ["jobs", "j", "steps", "0", "env", "B"]);
        assert_eq!(long.length, "format('{0}', '${{')".len() + 2 * 10_600);
        assert!(long.literal);
    }
}
