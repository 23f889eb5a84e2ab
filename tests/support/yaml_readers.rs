//! The YAML 1.1 readers GitLab and many tools use, as long-running processes: Ruby's Psych
//! (GitLab reads its configuration with it) and PyYAML. Each document goes to them as a line of
//! JSON (the YAML text and the data it must read as), and each answers with a line, so one
//! process of each serves a whole test binary. Used by `tests/yaml_meaning.rs` and the property
//! test over hostile models (`tests/hostile_values.rs`).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use pipegen::yaml;
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
    READER.get_or_init(|| Reader::spawn("Psych (YAML 1.1)", Command::new(super::tool("ruby")).args(["-e", PSYCH])))
}

fn pyyaml() -> &'static Mutex<Reader> {
    static READER: OnceLock<Mutex<Reader>> = OnceLock::new();
    READER.get_or_init(|| Reader::spawn("PyYAML (YAML 1.1)", Command::new(super::tool("python")).args(["-c", PYYAML])))
}

/// Every reader's verdict on `text`, which must read as `expected`.
pub fn readings(text: &str, expected: &Json, github: bool) -> Result<(), String> {
    let serde_yaml: Json = yaml::from_str(text).map_err(|e| format!("serde_yaml (YAML 1.2): {e}"))?;
    if serde_yaml != *expected {
        return Err(format!("serde_yaml (YAML 1.2): read as {serde_yaml}"));
    }
    psych().lock().unwrap_or_else(|e| e.into_inner()).check(text, expected, github)?;
    pyyaml().lock().unwrap_or_else(|e| e.into_inner()).check(text, expected, github)
}
