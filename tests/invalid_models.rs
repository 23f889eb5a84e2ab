//! Every invalid fixture, through the real binary: exit code 2, nothing on stdout, and each
//! problem reported as `FILE:LINE:COL: error[code]: …` at the place its fixture names, with the
//! model path, then the whole rendered report as a snapshot.
//!
//! Each fixture in `tests/fixtures/invalid/` starts with one line per expected problem, in the
//! order pipegen reports them (file order):
//!
//! ```text
//! # expect: 11:18 unknown-parent at images.gdk.from[1]
//! ```

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// One expected problem: where, which code, which model path.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Expected {
    line: usize,
    column: usize,
    code: String,
    path: String,
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{} {} at {}", self.line, self.column, self.code, self.path)
    }
}

fn invalid_fixtures() -> Vec<PathBuf> {
    let dir = support::repo().join("tests/fixtures/invalid");
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read tests/fixtures/invalid")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    fixtures.sort();
    assert!(!fixtures.is_empty(), "no fixtures in {}", dir.display());
    fixtures
}

fn stem(path: &Path) -> String {
    path.file_stem().expect("a file name").to_string_lossy().into_owned()
}

/// The `# expect:` lines at the top of a fixture.
fn expectations(fixture: &Path) -> Vec<Expected> {
    // Lossy: one fixture is deliberately not UTF-8.
    let bytes = std::fs::read(fixture).expect("read the fixture");
    let text = String::from_utf8_lossy(&bytes);
    let expected: Vec<Expected> = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("# expect: "))
        .map(|spec| {
            let parse = || -> Option<Expected> {
                let (place, rest) = spec.split_once(' ')?;
                let (line, column) = place.split_once(':')?;
                let (code, path) = rest.split_once(" at ")?;
                Some(Expected {
                    line: line.parse().ok()?,
                    column: column.parse().ok()?,
                    code: code.to_string(),
                    path: path.to_string(),
                })
            };
            parse().unwrap_or_else(|| panic!("{}: cannot read `# expect: {spec}`", fixture.display()))
        })
        .collect();
    assert!(!expected.is_empty(), "{} has no `# expect:` line", fixture.display());
    expected
}

/// What the binary reported: each `FILE:LINE:COL: error[code]: …` header with the `× at PATH`
/// line that follows it.
fn reported(stderr: &str, file: &str) -> Vec<Expected> {
    let mut found = Vec::new();
    let mut lines = stderr.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(rest) = line.strip_prefix(&format!("{file}:")) else { continue };
        let Some((place, tail)) = rest.split_once(": error[") else { continue };
        let (line_no, column) = place.split_once(':').expect("LINE:COL");
        let code = tail.split_once("]: ").expect("error[code]: message").0;
        let path = lines
            .next()
            .and_then(|l| l.strip_prefix("  × at "))
            .unwrap_or_else(|| panic!("no `× at PATH` line after {line:?}"));
        found.push(Expected {
            line: line_no.parse().expect("a line number"),
            column: column.parse().expect("a column number"),
            code: code.to_string(),
            path: path.to_string(),
        });
    }
    found
}

/// Run `pipegen check` on a fixture from the repository root, as users name it: it checks the
/// model against every platform (`emit --target` checks only the one it prints).
fn run(fixture: &Path) -> (i32, String, String) {
    let relative = support::relative(fixture);
    support::run(
        support::pipegen().args(["check", "--model", &relative]).current_dir(support::repo()).env("NO_COLOR", "1"),
    )
}

#[test]
fn every_invalid_fixture_is_reported_where_it_expects() {
    let mut failures = Vec::new();
    for fixture in invalid_fixtures() {
        let file = support::relative(&fixture);
        let expected = expectations(&fixture);
        let (code, stdout, stderr) = run(&fixture);
        let mut problems = Vec::new();
        if code != 2 {
            problems.push(format!("exit code {code}, expected 2"));
        }
        if !stdout.is_empty() {
            problems.push(format!("stdout is not empty:\n{stdout}"));
        }
        let first = &expected[0];
        let head = format!("{file}:{}:{}: error[{}]: ", first.line, first.column, first.code);
        if !stderr.starts_with(&head) {
            problems.push(format!("stderr does not start with {head:?}"));
        }
        let got = reported(&stderr, &file);
        if got != expected {
            let show = |list: &[Expected]| list.iter().map(|e| format!("    {e}\n")).collect::<String>();
            problems.push(format!("expected\n{}reported\n{}", show(&expected), show(&got)));
        }
        let count = expected.len();
        let footer = format!("{file}: {count} error{} in the model\n", if count == 1 { "" } else { "s" });
        if !stderr.ends_with(&footer) {
            problems.push(format!("stderr does not end with {footer:?}"));
        }
        if stderr.contains("panicked") || stderr.contains('\u{1b}') {
            problems.push("stderr has a panic or colour codes".to_string());
        }
        if !problems.is_empty() {
            failures.push(format!("{file}:\n  {}\n--- stderr ---\n{stderr}", problems.join("\n  ")));
        }
    }
    assert!(failures.is_empty(), "{} fixture(s) reported wrongly:\n\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_invalid_fixture_renders_as_its_snapshot() {
    for fixture in invalid_fixtures() {
        let (_, _, stderr) = run(&fixture);
        insta::assert_snapshot!(stem(&fixture), stderr);
    }
}

#[test]
fn several_independent_errors_are_reported_in_one_run() {
    let fixture = support::repo().join("tests/fixtures/invalid/several-errors.yaml");
    let (code, _, stderr) = run(&fixture);
    assert_eq!(code, 2);
    let codes: Vec<String> = reported(&stderr, &support::relative(&fixture)).into_iter().map(|e| e.code).collect();
    assert_eq!(
        codes,
        ["unknown-axis", "unknown-parent", "unknown-image", "duplicate-reference", "unknown-cache", "reserved-name"]
    );
    assert!(stderr.ends_with("6 errors in the model\n"), "{stderr}");
}

#[test]
fn unknown_names_suggest_what_was_meant() {
    let cases = [
        ("unknown-parent", "did you mean `gitaly`?"),
        ("unknown-service", "did you mean `postgres`?"),
        ("unknown-cache", "did you mean `gems`?"),
        ("unknown-axis", "did you mean `ruby`?"),
        ("unknown-axis-substitution", "did you mean `ruby`?"),
        ("unknown-image", "did you mean `gdk`?"),
        ("unknown-field", "did you mean `from`?"),
        ("unknown-field-top-level", "did you mean `services`?"),
        ("unknown-stage", "did you mean `build`?"),
        ("invalid-value", "did you mean `on_failure`?"),
    ];
    for (name, hint) in cases {
        let (_, _, stderr) = run(&support::repo().join(format!("tests/fixtures/invalid/{name}.yaml")));
        assert!(stderr.contains(&format!("help: {hint}")), "{name}: no `help: {hint}` in\n{stderr}");
    }
}

#[test]
fn suggestions_fit_the_value_written() {
    // `tags: [docker, linux]` is a list, and `tag` takes `content` or `commit`: no suggestion.
    let (_, _, stderr) = run(&support::repo().join("tests/fixtures/invalid/unknown-field-every.yaml"));
    assert!(!stderr.contains("did you mean"), "{stderr}");
    assert_eq!(stderr.matches("help: declared fields here: `stage`, `context`").count(), 3, "{stderr}");
    // `tags: commit` is a string `tag` takes: a misspelling.
    let dir = tempfile::tempdir().expect("tempdir");
    let model = "pipegen: 1\nname: t\nregistry: r.example.com/t\nimages:\n  app:\n    tags: commit\n";
    std::fs::write(dir.path().join("pipegen.yaml"), model).expect("write");
    let (code, _, stderr) = support::pipegen_in(dir.path(), &["emit", "--target", "gitlab"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("help: did you mean `tag`?"), "{stderr}");
}

#[test]
fn a_cycle_prints_its_path() {
    let (_, _, stderr) = run(&support::repo().join("tests/fixtures/invalid/cycle.yaml"));
    // a is built from c, c from b, b from a.
    assert!(stderr.contains("images depend on each other in a cycle: a → c → b → a"), "{stderr}");
}

/// Codes that no model can produce: guards for the schema and the types disagreeing.
const UNREACHABLE: &[(&str, &str)] = &[
    ("invalid-model", "the schema accepted a value the types reject (load.rs); every known case has its own check"),
    ("schema", "a JSON Schema error kind the model's schema cannot produce (schema_errors.rs fallback)"),
    ("too-many-shards", "the schema bounds `parallel` to 200, within both platforms' limits (emit/*/limits.rs guard)"),
    ("too-many-retries", "the schema bounds `retry` to 2, GitLab's limit (emit/gitlab/limits.rs guard)"),
];

/// Codes chosen at run time in `schema_errors::pattern_violation` (not in a `Diagnostic::new`).
fn pattern_codes(source: &str) -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    for piece in source.split("=> (").skip(1) {
        let piece = piece.trim_start();
        if let Some(rest) = piece.strip_prefix('"') {
            let code = rest.split('"').next().unwrap_or_default();
            if !code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
                codes.insert(code.to_string());
            }
        }
    }
    codes
}

/// Every `Diagnostic::new("code", …)` in `src/`.
fn diagnostic_codes() -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    let mut stack = vec![support::repo().join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).expect("read a source file");
            for piece in source.split("Diagnostic::new(").skip(1) {
                if let Some(rest) = piece.trim_start().strip_prefix('"') {
                    codes.insert(rest.split('"').next().unwrap_or_default().to_string());
                }
            }
            if path.ends_with("schema_errors.rs") {
                codes.extend(pattern_codes(&source));
            }
            // `check_references(…, "unknown-cache")`: the code is the call's last argument.
            for call in source.split("check_references(").skip(1) {
                let arguments = call.split(");").next().unwrap_or_default();
                if let Some(code) = arguments.rsplit('"').nth(1).filter(|c| c.starts_with("unknown-")) {
                    codes.insert(code.to_string());
                }
            }
        }
    }
    codes
}

#[test]
fn every_diagnostic_code_has_a_fixture() {
    let codes = diagnostic_codes();
    for (code, _) in UNREACHABLE {
        assert!(codes.contains(*code), "`{code}` is listed as unreachable but no longer exists in src/");
    }
    let covered: BTreeSet<String> = invalid_fixtures().iter().flat_map(|f| expectations(f)).map(|e| e.code).collect();
    let unreachable: BTreeSet<String> = UNREACHABLE.iter().map(|(c, _)| c.to_string()).collect();
    let missing: Vec<&String> = codes.iter().filter(|c| !covered.contains(*c) && !unreachable.contains(*c)).collect();
    assert!(missing.is_empty(), "diagnostic codes without an invalid fixture: {missing:?}");
    let unknown: Vec<&String> = covered.iter().filter(|c| !codes.contains(*c)).collect();
    assert!(unknown.is_empty(), "fixtures expect codes that src/ never reports: {unknown:?}");
}
