//! What pipegen writes means the same to YAML 1.1 and YAML 1.2 readers: GitLab reads its
//! configuration with Ruby's Psych (YAML 1.1), GitHub and serde_yaml read YAML 1.2, and many
//! tools use PyYAML (YAML 1.1). Every string pipegen writes, as a key or a value, must read back
//! as that same string in all three.
//!
//! One Psych and one PyYAML process serve the whole test run: each document goes to them as a
//! line of JSON (the YAML text and the data it must read as), and each answers with a line.

// Needs external tools: in the full tier (scripts/test.sh), not in the offline `cargo test`.
#![cfg(feature = "external-tests")]

mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use indexmap::IndexMap;
use pipegen::yaml;
use proptest::prelude::*;
use serde_json::{Value as Json, json};

/// Reads each document with Psych as GitLab does (`aliases: true`), but without limiting the
/// classes it may build, so a date, a number or a symbol shows instead of raising. GitHub's
/// trigger key `on`, which stays plain by design, reads as `true`: put back as `on` when asked.
const PSYCH: &str = r#"
require "json"
require "psych"
STDOUT.sync = true
STDIN.each_line do |line|
  request = JSON.parse(line)
  begin
    got = Psych.unsafe_load(request["yaml"])
    got["on"] = got.delete(true) if request["github"] && got.is_a?(Hash) && got.key?(true)
    puts(got == request["expected"] ? "ok" : "read as #{got.inspect}")
  rescue Exception => e
    puts "error: #{e.class}: #{e.message.gsub("\n", " ")}"
  end
end
"#;

/// The same with PyYAML's safe loader (YAML 1.1: booleans, numbers, dates, timestamps).
const PYYAML: &str = r#"
import json, sys, yaml
for line in sys.stdin.buffer:
    request = json.loads(line.decode("utf-8"))
    try:
        got = yaml.safe_load(request["yaml"])
        if request["github"] and isinstance(got, dict) and True in got:
            got["on"] = got.pop(True)
        print("ok" if got == request["expected"] else "read as %r" % (got,), flush=True)
    except Exception as e:
        print(("error: %s: %s" % (type(e).__name__, e)).replace("\n", " "), flush=True)
"#;

/// A long-running reader process, asked one document at a time.
struct Reader {
    name: &'static str,
    _child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl Reader {
    fn spawn(name: &'static str, command: &mut Command) -> Mutex<Reader> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let input = child.stdin.take().expect("stdin is piped");
        let output = BufReader::new(child.stdout.take().expect("stdout is piped"));
        Mutex::new(Reader { name, _child: child, input, output })
    }

    /// `Ok` when `text` reads as `expected`, else what the reader saw.
    fn check(&mut self, text: &str, expected: &Json, github: bool) -> Result<(), String> {
        let request = json!({ "yaml": text, "expected": expected, "github": github });
        writeln!(self.input, "{request}").expect("write to the reader");
        let mut answer = String::new();
        self.output.read_line(&mut answer).expect("read from the reader");
        match answer.trim_end() {
            "ok" => Ok(()),
            "" => panic!("{} stopped", self.name),
            other => Err(format!("{}: {other}", self.name)),
        }
    }
}

fn psych() -> &'static Mutex<Reader> {
    static READER: OnceLock<Mutex<Reader>> = OnceLock::new();
    READER.get_or_init(|| Reader::spawn("Psych (YAML 1.1)", Command::new(support::tool("ruby")).args(["-e", PSYCH])))
}

fn pyyaml() -> &'static Mutex<Reader> {
    static READER: OnceLock<Mutex<Reader>> = OnceLock::new();
    READER
        .get_or_init(|| Reader::spawn("PyYAML (YAML 1.1)", Command::new(support::tool("python")).args(["-c", PYYAML])))
}

/// Every reader's verdict on `text`, which must read as `expected`.
fn readings(text: &str, expected: &Json, github: bool) -> Result<(), String> {
    let serde_yaml: Json = yaml::from_str(text).map_err(|e| format!("serde_yaml (YAML 1.2): {e}"))?;
    if serde_yaml != *expected {
        return Err(format!("serde_yaml (YAML 1.2): read as {serde_yaml}"));
    }
    psych().lock().unwrap_or_else(|e| e.into_inner()).check(text, expected, github)?;
    pyyaml().lock().unwrap_or_else(|e| e.into_inner()).check(text, expected, github)
}

/// `text` as a value and a key, at the root, in a mapping, in a sequence, and in a mapping in
/// a sequence in a mapping; and what that must read as.
fn document(text: &str) -> (String, Json) {
    let entry = |value: Json| Json::Object([(text.to_string(), value)].into_iter().collect());
    let mut root = IndexMap::new();
    root.insert("value".to_string(), json!(text));
    root.insert("list".to_string(), json!([text, entry(json!(text))]));
    root.insert("nested".to_string(), json!({ "k": [entry(json!([text]))] }));
    root.insert(text.to_string(), json!(text));
    let expected = serde_json::to_value(&root).expect("JSON");
    (yaml::to_string(&root).expect("writes"), expected)
}

const TRICKY: &[&str] = &[
    "yes",
    "No",
    "ON",
    "off",
    "y",
    "Y",
    "n",
    "N",
    "True",
    "FALSE",
    "nULL",
    "~",
    "",
    "1_000",
    "1,000",
    "1,2",
    "0o17",
    "017",
    "0x1F",
    "0x_",
    "0b101",
    "+1",
    "-0",
    "1:20",
    "190:20:30",
    "190:20:30.15",
    ".5",
    "5.",
    "1e3",
    "1.0e+3",
    ".e+5",
    ".inf",
    "-.Inf",
    ".NaN",
    "2024-01-01",
    "2024-1-5",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10 -5",
    "=",
    "<<",
    ":symbol",
    "::",
    ":",
    "-",
    "?",
    "- item",
    "? key",
    "*alias",
    "&anchor",
    "!tag",
    "!!str x",
    "#comment",
    "|",
    ">",
    "@at",
    "`tick",
    "%directive",
    "[flow]",
    "{flow}",
    "'quoted'",
    "\"quoted\"",
    "a: b",
    "a:",
    "a #b",
    "---",
    "...",
    "--- x",
    " lead",
    "trail ",
    "tab\there",
    "\ttab",
    "bell\u{7}",
    "nul\0",
    "cr\rlf",
    "crlf\r\n",
    "nel\u{85}",
    "ls\u{2028}",
    "ps\u{2029}",
    "\u{FEFF}bom",
    "esc\u{1B}[31m",
    "del\u{7F}",
    "c1\u{9A}",
    "nbsp\u{A0}",
    "space \nbreak",
    "line\ntrail ",
    "\n",
    "\n\n",
    "a\n",
    "a\n\n",
    "\nlead",
    " lead\nline",
    "a\n b\n  c",
    "echo a\necho b\n",
    "a\n\n\nb",
    "1.2.3",
    ".",
    "a:b",
    "a#b",
    "-a",
    "?a",
    "on_success",
    "yes-please",
    "v1.0",
    "${{ github.sha }}",
    "$CI_JOB_TOKEN",
    "naïve 🚀",
    "\u{FFFD}",
];

#[test]
fn tricky_strings_mean_the_same_to_yaml_1_1_and_1_2() {
    let mut failures = Vec::new();
    for text in TRICKY {
        let (yaml_text, expected) = document(text);
        if let Err(why) = readings(&yaml_text, &expected, false) {
            failures.push(format!("{text:?}: {why}\n{yaml_text}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Keys over 128 bytes are written as explicit keys (`? key` then `: value`).
#[test]
fn long_keys_mean_the_same_to_yaml_1_1_and_1_2() {
    let long = "k".repeat(130);
    let mut failures = Vec::new();
    for text in
        [long.clone(), format!("yes{long}"), format!(" {long} "), format!("{long}\n{long}"), format!("- {long}")]
    {
        let (yaml_text, expected) = document(&text);
        assert!(yaml_text.contains("\n? "), "an explicit key:\n{yaml_text}");
        if let Err(why) = readings(&yaml_text, &expected, false) {
            failures.push(format!("{text:?}: {why}\n{yaml_text}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Comments change nothing that is read: lines above keys and items, comments after scalars,
/// literal blocks and empty collections, in mappings and sequences.
#[test]
fn comments_are_only_comments_to_every_reader() {
    use yaml::Commented;
    let long = "k".repeat(130);
    let note = |value: Json| Commented::new(value).above("why: a note").above("").after("v5.0.0 # twice");
    let mut root: IndexMap<String, Commented<Json>> = IndexMap::new();
    root.insert("scalar".into(), note(json!("actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8")));
    root.insert("literal".into(), note(json!("echo a\necho b\n")));
    root.insert("empty".into(), note(json!({})));
    root.insert(long.clone(), note(json!("yes")));
    let mut items: Vec<Commented<Json>> =
        vec![note(json!("- item")), Commented::new(json!({ "a": 1 })).above("map item")];
    items.push(Commented::new(json!([1, 2])).above("list item"));
    let text = format!(
        "{}{}",
        yaml::to_string(&root).expect("writes"),
        yaml::to_string(&IndexMap::from([("items", items)])).expect("writes")
    );
    let expected = json!({
        "scalar": "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8",
        "literal": "echo a\necho b\n",
        "empty": {},
        long: "yes",
        "items": ["- item", { "a": 1 }, [1, 2]],
    });
    assert_eq!(text.matches("# v5.0.0 # twice").count(), 5, "{text}");
    if let Err(why) = readings(&text, &expected, false) {
        panic!("{why}\n{text}");
    }
}

#[test]
fn every_generated_pipeline_means_the_same_to_yaml_1_1_and_1_2() {
    let mut models = support::models();
    models.extend(support::valid_fixtures());
    let mut checked = 0;
    for path in models {
        let text = std::fs::read_to_string(&path).expect("read the model");
        let name = support::relative(&path);
        let loaded = pipegen::model::load(&name, &text).unwrap_or_else(|e| panic!("{e}"));
        let plan = pipegen::plan::build(&loaded, &name).unwrap_or_else(|e| panic!("{e}"));
        for target in pipegen::emit::Target::ALL {
            let output = pipegen::emit::render(&plan, target);
            // What serde_yaml reads, every other reader must read too.
            let expected: Json = yaml::from_str(&output).expect("YAML 1.2");
            // Psych and PyYAML read GitHub's plain `on:` as `true`; the readers put it back.
            let github = target == pipegen::emit::Target::Github;
            if let Err(why) = readings(&output, &expected, github) {
                panic!("{name} ({target}): {why}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} outputs were checked");
}

/// Strings built from what makes writing YAML hard, besides anything at all.
fn tricky_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(TRICKY.to_vec()).prop_map(str::to_string),
        prop::sample::select(vec![
            "1", "0", "_", ",", ".", ":", "-", "+", "e", "x", "o", "b", "T", " ", "  ", "\t", "\n", "\r", "#", "'",
            "\"", "\\", "inf", "nan", "12:30:45",
        ])
        .prop_map(str::to_string),
        "[a-zA-Z0-9]{1,4}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..6).prop_map(|pieces| pieces.concat())
}

/// 1,000 cases by default; `PROPTEST_CASES=100000 cargo test --test yaml_meaning` for a long run.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(1000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_mean_the_same_to_yaml_1_1_and_1_2(text in tricky_string()) {
        let (yaml_text, expected) = document(&text);
        if let Err(why) = readings(&yaml_text, &expected, false) {
            return Err(TestCaseError::fail(format!("{text:?}: {why}\n{yaml_text}")));
        }
    }
}
