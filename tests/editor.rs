//! What an editor shows while a model is typed: the real yaml-language-server (the server behind
//! VS Code's Red Hat YAML extension, Neovim's yamlls, Helix, Emacs lsp-mode), driven over LSP on
//! stdio, with `schema/pipegen.schema.json` associated the two ways docs/editor-and-precommit.md
//! describes: the `# yaml-language-server: $schema=…` modeline and the `yaml.schemas` setting.
//!
//! The server reads its settings only through `workspace/configuration` requests (it ignores
//! `initializationOptions`), so the client answers those; the schema store is turned off so
//! nothing is fetched from the network.

// Needs external tools: in the full tier (scripts/test.sh), not in the offline `cargo test`.
#![cfg(feature = "external-tests")]

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Longest wait for any answer; a hung server fails the test instead of blocking it.
const TIMEOUT: Duration = Duration::from_secs(30);
/// How long the server must stay silent before the diagnostics of a document count as final.
const QUIET: Duration = Duration::from_millis(800);

/// A yaml-language-server process and the JSON-RPC conversation with it.
struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    /// The `yaml` section answered to `workspace/configuration`.
    settings: Value,
    /// Every publishDiagnostics, by document URI, latest last.
    diagnostics: Vec<(String, Vec<Value>)>,
}

impl Server {
    fn start(settings: Value) -> Server {
        let mut child = Command::new(support::tool("yaml-language-server"))
            .arg("--stdio")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start yaml-language-server");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        let mut server = Server { child, stdin, messages, next_id: 0, settings, diagnostics: Vec::new() };
        let root = file_url(&support::repo());
        let initialized = server.request(
            "initialize",
            json!({
                "processId": std::process::id(),
                "rootUri": root,
                "workspaceFolders": [{ "uri": root, "name": "pipegen" }],
                "capabilities": {
                    "workspace": { "configuration": true, "didChangeConfiguration": { "dynamicRegistration": true } },
                    "textDocument": {
                        "completion": { "completionItem": { "snippetSupport": true, "documentationFormat": ["markdown", "plaintext"] } },
                        "hover": { "contentFormat": ["markdown", "plaintext"] },
                        "publishDiagnostics": {}
                    }
                }
            }),
        );
        assert_eq!(initialized["serverInfo"]["name"], "yaml-language-server", "{initialized}");
        server.notify("initialized", json!({}));
        // Settings first: the server asks for them once initialized, and documents opened
        // before the answer would be validated without the `yaml.schemas` associations.
        server.wait_for("the settings request", |m| {
            m["method"] == "workspace/configuration"
                && m["params"]["items"].as_array().is_some_and(|i| i.iter().any(|i| i["section"] == "yaml"))
        });
        server
    }

    fn send(&mut self, message: &Value) {
        let body = serde_json::to_vec(message).expect("serialize");
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).expect("write to the server");
        self.stdin.write_all(&body).expect("write to the server");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let answer = self.wait_for(method, |m| m["id"] == id && m.get("method").is_none());
        assert!(answer.get("error").is_none(), "{method} failed: {answer}");
        answer["result"].clone()
    }

    /// The next message, answering the server's own requests on the way. `None` after `wait`.
    fn next(&mut self, wait: Duration) -> Option<Value> {
        let message = match self.messages.recv_timeout(wait) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => return None,
            Err(RecvTimeoutError::Disconnected) => panic!("yaml-language-server exited: {:?}", self.child.try_wait()),
        };
        if let (Some(method), Some(id)) = (message["method"].as_str(), message.get("id")) {
            let result = match method {
                // One answer per item asked for; only the `yaml` section is set.
                "workspace/configuration" => Value::Array(
                    message["params"]["items"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|item| if item["section"] == "yaml" { self.settings.clone() } else { Value::Null })
                        .collect(),
                ),
                // client/registerCapability, window/workDoneProgress/create, …: acknowledged.
                _ => Value::Null,
            };
            let answer = json!({ "jsonrpc": "2.0", "id": id.clone(), "result": result });
            self.send(&answer);
        }
        if message["method"] == "textDocument/publishDiagnostics" {
            let uri = message["params"]["uri"].as_str().unwrap_or_default().to_string();
            let list = message["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
            self.diagnostics.push((uri, list));
        }
        Some(message)
    }

    fn wait_for(&mut self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left) {
                Some(message) if matches(&message) => return message,
                Some(_) => {}
                None => panic!("no {what} from yaml-language-server within {TIMEOUT:?}"),
            }
        }
    }

    fn open(&mut self, uri: &str, text: &str) {
        self.diagnostics.retain(|(u, _)| u != uri);
        let document = json!({ "uri": uri, "languageId": "yaml", "version": 1, "text": text });
        self.notify("textDocument/didOpen", json!({ "textDocument": document }));
    }

    fn change(&mut self, uri: &str, version: i64, text: &str) {
        self.diagnostics.retain(|(u, _)| u != uri);
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
        );
    }

    /// The diagnostics of `uri` once the server has published some and then gone quiet (it may
    /// publish again when its settings arrive).
    fn settled_diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let deadline = Instant::now() + TIMEOUT;
        while !self.diagnostics.iter().any(|(u, _)| u == uri) {
            let left = deadline.saturating_duration_since(Instant::now());
            if self.next(left).is_none() {
                panic!("no diagnostics for {uri} within {TIMEOUT:?}");
            }
        }
        while self.next(QUIET).is_some() {
            assert!(Instant::now() < deadline, "yaml-language-server never went quiet");
        }
        self.diagnostics.iter().rev().find(|(u, _)| u == uri).map(|(_, d)| d.clone()).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A polite shutdown when the server still answers; killed either way.
        if !std::thread::panicking() {
            self.next_id += 1;
            let id = self.next_id;
            self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": "shutdown" }));
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                match self.messages.recv_timeout(Duration::from_millis(200)) {
                    Ok(m) if m["id"] == id => break,
                    Ok(_) | Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
            self.send(&json!({ "jsonrpc": "2.0", "method": "exit" }));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `Content-Length`-framed JSON-RPC message, or `None` at the end of the stream.
fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn file_url(path: &Path) -> String {
    // The repository path has no characters a file URL would need to escape.
    let text = path.to_str().expect("a UTF-8 path");
    assert!(text.chars().all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c)), "escape {text} for a URL");
    format!("file://{text}")
}

/// Settings as an editor would send them: validation, hovers and completion on; the schema
/// store off (it would download a catalog).
fn settings(schemas: Value) -> Value {
    json!({
        "validate": true,
        "hover": true,
        "completion": true,
        "format": { "enable": false },
        "schemaStore": { "enable": false },
        "schemas": schemas
    })
}

/// A URI for a document in the repository that only exists in the editor.
fn document_uri(relative: &str) -> String {
    file_url(&support::repo().join(relative))
}

/// 0-based line numbers of the diagnostics.
fn lines(diagnostics: &[Value]) -> BTreeSet<u64> {
    diagnostics.iter().map(|d| d["range"]["start"]["line"].as_u64().expect("a line")).collect()
}

fn messages(diagnostics: &[Value]) -> String {
    diagnostics
        .iter()
        .map(|d| format!("line {}: {}", d["range"]["start"]["line"], d["message"].as_str().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A model with two mistakes: `form:` for `from:` (line 9) and `timeout: 5 minutes` (line 16).
fn model_with_typos(modeline: &str) -> String {
    format!(
        "{modeline}pipegen: 1
name: demo
registry: registry.example.com/demo
images:
  base:
    context: images/base
  app:
    context: app
    form: base
    tag: commit
jobs:
  qa:
    image: app
    script: [make test]
    retry: 2
    timeout: 5 minutes
"
    )
}

fn line_of(text: &str, needle: &str) -> u64 {
    text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("no `{needle}` in the text")) as u64
}

#[test]
fn a_typo_and_a_bad_duration_are_flagged_on_their_lines_only() {
    let schema = file_url(&support::repo().join("schema/pipegen.schema.json"));
    let mut server = Server::start(settings(json!({})));
    let uri = document_uri("model/editor-typos.yaml");
    let text = model_with_typos(&format!("# yaml-language-server: $schema={schema}\n"));
    server.open(&uri, &text);
    let diagnostics = server.settled_diagnostics(&uri);
    let expected = BTreeSet::from([line_of(&text, "form: base"), line_of(&text, "timeout: 5 minutes")]);
    assert_eq!(lines(&diagnostics), expected, "diagnostics:\n{}", messages(&diagnostics));
    let all = messages(&diagnostics);
    assert!(all.contains("Property form is not allowed"), "{all}");
    // The schema's patternErrorMessage, not the bare regular expression.
    assert!(all.contains("write a duration of more than zero: numbers with units h, m, s in that order"), "{all}");
    assert!(!all.contains("^(["), "a raw pattern reached the user:\n{all}");

    // Fixing both clears them: the server re-validates the edited text.
    let fixed = text.replace("form: base", "from: base").replace("5 minutes", "5m");
    server.change(&uri, 2, &fixed);
    let after = server.settled_diagnostics(&uri);
    assert!(after.is_empty(), "after the fix:\n{}", messages(&after));
}

#[test]
fn the_models_of_this_repository_are_clean_through_their_relative_modeline() {
    let mut server = Server::start(settings(json!({})));
    let models = support::models();
    assert!(models.len() >= 4, "the models under model/");
    // All open at once (as in an editor's tabs); the server validates them side by side.
    for model in &models {
        let text = std::fs::read_to_string(model).expect("read the model");
        // The file's own URI, so `$schema=../schema/pipegen.schema.json` resolves as in an editor.
        server.open(&file_url(model), &text);
    }
    for model in &models {
        let diagnostics = server.settled_diagnostics(&file_url(model));
        assert!(diagnostics.is_empty(), "{}:\n{}", support::relative(model), messages(&diagnostics));
    }

    // The same modeline does validate: a wrong tag mode in gdk.yaml is caught on its line.
    let gdk = support::repo().join("model/gdk.yaml");
    let text = std::fs::read_to_string(&gdk).expect("read gdk.yaml");
    assert!(text.contains("tag: commit"), "model/gdk.yaml changed; pick another edit");
    let broken = text.replacen("tag: commit", "tag: comit", 1);
    let uri = file_url(&gdk);
    server.change(&uri, 2, &broken);
    let diagnostics = server.settled_diagnostics(&uri);
    assert_eq!(lines(&diagnostics), BTreeSet::from([line_of(&broken, "tag: comit")]), "{}", messages(&diagnostics));
    assert!(messages(&diagnostics).contains(r#""content" | "commit""#), "{}", messages(&diagnostics));
}

#[test]
fn an_alias_tag_starting_with_a_dash_or_a_dot_is_flagged() {
    let schema = file_url(&support::repo().join("schema/pipegen.schema.json"));
    let mut server = Server::start(settings(json!({})));
    let uri = document_uri("model/editor-alias.yaml");
    let text = format!(
        "# yaml-language-server: $schema={schema}\npipegen: 1\nname: demo\nregistry: registry.example.com/demo\n\
         images:\n  app:\n    aliases:\n      - latest\n      - \"-x\"\n      - {{ tag: .v1, when: git-tag }}\n"
    );
    server.open(&uri, &text);
    let diagnostics = server.settled_diagnostics(&uri);
    let expected = BTreeSet::from([line_of(&text, "\"-x\""), line_of(&text, "tag: .v1")]);
    assert_eq!(lines(&diagnostics), expected, "{}", messages(&diagnostics));
    assert!(messages(&diagnostics).contains("not starting with `.` or `-`"), "{}", messages(&diagnostics));
}

#[test]
fn anchors_merge_keys_and_x_keys_are_clean_in_the_editor() {
    let schema = file_url(&support::repo().join("schema/pipegen.schema.json"));
    let mut server = Server::start(settings(json!({})));
    let uri = document_uri("model/editor-anchors.yaml");
    let text = format!(
        "# yaml-language-server: $schema={schema}\npipegen: 1\nname: demo\nregistry: registry.example.com/demo\n\
         x-build: &build\n  context: images/shared\n  args: {{ DEBIAN: \"12\" }}\n\
         images:\n  base:\n    <<: *build\n  app:\n    <<: *build\n    from: base\n"
    );
    server.open(&uri, &text);
    let diagnostics = server.settled_diagnostics(&uri);
    assert!(diagnostics.is_empty(), "{}", messages(&diagnostics));
    // A typo in a shared mapping is still one.
    let typo = text.replace("  context: images/shared", "  contxt: images/shared");
    server.change(&uri, 2, &typo);
    let diagnostics = server.settled_diagnostics(&uri);
    assert!(messages(&diagnostics).contains("contxt"), "{}", messages(&diagnostics));
}

/// A model that merges a shared mapping (`<<: *…`) into every mapping keyed by names: axes, an
/// axis entry's fields, caches, images, an image's args, services, a service's env, jobs, a
/// job's env, runners. Each `<<` is a key of the document as the editor sees it.
const MERGES_INTO_EVERY_NAME_MAP: &str = r#"pipegen: 1
name: demo
registry: registry.example.com/demo
x-axes: &axes { ruby: ["3.3"] }
x-fields: &fields { major: "16" }
x-caches: &caches { gems: { key: [Gemfile.lock], paths: [vendor/ruby] } }
x-images: &images { base: { context: images/base } }
x-args: &args { DEBIAN: "12" }
x-services: &services { db: { image: "postgres:16", port: 5432 } }
x-env: &env { LANG: C.UTF-8 }
x-jobs: &jobs { lint: { image: base, script: [make lint] } }
x-runners: &runners { linux/arm64: { github: ubuntu-24.04-arm } }
axes:
  <<: *axes
  pg:
    - { <<: *fields, value: "16.13" }
caches:
  <<: *caches
  npm: { key: [package-lock.json], paths: [node_modules] }
images:
  <<: *images
  app:
    from: base
    args: { <<: *args, EXTRA: "1" }
services:
  <<: *services
  web:
    image: app
    port: 8080
    env: { <<: *env, PORT: "8080" }
jobs:
  <<: *jobs
  qa:
    image: app
    script: [make test]
    env: { <<: *env, TEST_MODE: "1" }
runners:
  <<: *runners
  linux/amd64: { github: ubuntu-latest }
"#;

#[test]
fn merge_keys_are_clean_in_every_mapping_keyed_by_names() {
    let schema = file_url(&support::repo().join("schema/pipegen.schema.json"));
    let mut server = Server::start(settings(json!({})));
    let uri = document_uri("model/editor-merges.yaml");
    let text = format!("# yaml-language-server: $schema={schema}\n{MERGES_INTO_EVERY_NAME_MAP}");
    assert_eq!(text.matches("<<: *").count(), 10, "a merge into each mapping keyed by names");
    server.open(&uri, &text);
    let diagnostics = server.settled_diagnostics(&uri);
    assert!(diagnostics.is_empty(), "{}", messages(&diagnostics));

    // Only `<<` is let through: a bad name beside a merge is still flagged, with its message.
    let typo = text.replace("EXTRA: \"1\"", "extra-arg: \"1\"");
    server.change(&uri, 2, &typo);
    let diagnostics = server.settled_diagnostics(&uri);
    assert_eq!(lines(&diagnostics), BTreeSet::from([line_of(&typo, "extra-arg")]), "{}", messages(&diagnostics));
    assert!(messages(&diagnostics).contains("use letters, digits and `_`"), "{}", messages(&diagnostics));
}

#[test]
fn the_yaml_schemas_setting_associates_pipegen_yaml_without_a_modeline() {
    // As in VS Code's settings.json: a path relative to the workspace folder, and a file glob.
    // (Editors send it as the `yaml` section of `workspace/configuration`.)
    let mut server = Server::start(settings(json!({ "./schema/pipegen.schema.json": ["pipegen.yaml"] })));
    let uri = document_uri("pipegen.yaml");
    let text = model_with_typos("");
    server.open(&uri, &text);
    let diagnostics = server.settled_diagnostics(&uri);
    let expected = BTreeSet::from([line_of(&text, "form: base"), line_of(&text, "timeout: 5 minutes")]);
    assert_eq!(lines(&diagnostics), expected, "diagnostics:\n{}", messages(&diagnostics));

    // The glob matches in any directory (yaml-language-server prefixes it with `**/`).
    let nested = document_uri("ci/pipegen.yaml");
    server.open(&nested, &text);
    assert_eq!(lines(&server.settled_diagnostics(&nested)), expected, "ci/pipegen.yaml");

    // A YAML file the setting does not name gets no pipegen checks.
    let other = document_uri("docs/other.yaml");
    server.open(&other, &text);
    let unrelated = server.settled_diagnostics(&other);
    assert!(unrelated.is_empty(), "docs/other.yaml was checked against the pipegen schema:\n{}", messages(&unrelated));
}

#[test]
fn completion_in_an_image_offers_the_image_fields_and_hover_documents_them() {
    let schema = file_url(&support::repo().join("schema/pipegen.schema.json"));
    let mut server = Server::start(settings(json!({})));
    let uri = document_uri("model/editor-completion.yaml");
    let text = format!(
        "# yaml-language-server: $schema={schema}\npipegen: 1\nname: demo\nregistry: registry.example.com/demo\nimages:\n  x:\n    \n"
    );
    server.open(&uri, &text);
    server.settled_diagnostics(&uri);
    let cursor = json!({ "line": line_of(&text, "  x:") + 1, "character": 4 });
    let result =
        server.request("textDocument/completion", json!({ "textDocument": { "uri": uri }, "position": cursor }));
    let items = result.get("items").unwrap_or(&result).as_array().cloned().unwrap_or_default();
    let offered: BTreeSet<&str> = items.iter().filter_map(|i| i["label"].as_str()).collect();
    let fields: BTreeSet<&str> = [
        "context",
        "dockerfile",
        "from",
        "args",
        "axes",
        "tag",
        "target",
        "inputs",
        "caches",
        "stage",
        "aliases",
        "platforms",
        "timeout",
    ]
    .into();
    assert_eq!(offered, fields, "completion inside an image");
    // The schema's own list, so a new field cannot be forgotten here.
    let schema_fields = pipegen::model::schema::fields_at(&["images".into(), "x".into()]);
    assert_eq!(schema_fields.iter().map(String::as_str).collect::<BTreeSet<_>>(), fields);
    for item in &items {
        let documentation =
            item["documentation"]["value"].as_str().or(item["documentation"].as_str()).unwrap_or_default();
        assert!(!documentation.is_empty(), "completion of {} has no documentation", item["label"]);
    }

    // A value of an enumerated field: exactly its values.
    let text = text.replace("  x:\n    \n", "  x:\n    tag: \n");
    server.change(&uri, 2, &text);
    server.settled_diagnostics(&uri);
    let cursor = json!({ "line": line_of(&text, "tag: "), "character": 9 });
    let result =
        server.request("textDocument/completion", json!({ "textDocument": { "uri": uri }, "position": cursor }));
    let items = result.get("items").unwrap_or(&result).as_array().cloned().unwrap_or_default();
    let values: BTreeSet<&str> = items.iter().filter_map(|i| i["label"].as_str()).collect();
    assert_eq!(values, BTreeSet::from(["content", "commit"]), "completion of `tag: `");

    // Inside a `from` entry written as a mapping: its fields, documented.
    let entry = text.replace("    tag: \n", "    from:\n      - image: x\n        \n");
    server.change(&uri, 3, &entry);
    server.settled_diagnostics(&uri);
    let cursor = json!({ "line": line_of(&entry, "- image: x") + 1, "character": 8 });
    let result =
        server.request("textDocument/completion", json!({ "textDocument": { "uri": uri }, "position": cursor }));
    let items = result.get("items").unwrap_or(&result).as_array().cloned().unwrap_or_default();
    let offered: BTreeSet<&str> = items.iter().filter_map(|i| i["label"].as_str()).collect();
    assert_eq!(offered, BTreeSet::from(["arg"]), "completion inside a `from` entry: {result}");
    let documentation = items[0]["documentation"]["value"].as_str().or(items[0]["documentation"].as_str());
    assert!(documentation.is_some_and(|d| d.contains("Default: `<NAME>_IMAGE`")), "{result}");

    // Hovering a field shows its description with its default, as Markdown.
    let text = text.replace("    tag: \n", "    context: images/x\n");
    server.change(&uri, 4, &text);
    server.settled_diagnostics(&uri);
    let position = json!({ "line": line_of(&text, "context: images/x"), "character": 6 });
    let hover = server.request("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": position }));
    let shown = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(shown.contains("Build context, relative to the repository root"), "{hover}");
    assert!(shown.contains("Default: `.`"), "the default is shown as code: {hover}");
}

/// A model that sets every field whose schema wraps a named type (`allOf: [$ref]`, or
/// `anyOf: [$ref, null]` when optional), each on a line of its own.
const WRAPPED_FIELDS: &str = r#"pipegen: 1
name: demo
registry: registry.example.com/demo
outputs:
  gitlab: .gitlab-ci.yml
axes:
  pg:
    - value: "16.13"
      major: "16"
limits:
  gitlab:
    needs: 100
push:
  tags: true
refresh:
  schedule: "0 4 * * 1"
runners:
  linux/arm64:
    github: ubuntu-24.04-arm
images:
  a:
    context: images/a
  b:
    stage: base
    from: a
    tag: commit
    timeout: 3h
    aliases:
      - tag: latest
        when: default-branch
  c:
    from:
      - image: a
services:
  db:
    image: "postgres:16"
    port: 5432
    health:
      tcp: true
      timeout: 60s
      interval: 5s
jobs:
  qa:
    stage: qa
    image: b
    script: [make]
    timeout: 30m
    artifacts:
      paths: [x]
      when: always
"#;

#[test]
fn hover_shows_the_fields_own_description_not_its_types() {
    let schema = file_url(&support::repo().join("schema/pipegen.schema.json"));
    let mut server = Server::start(settings(json!({})));
    let uri = document_uri("model/editor-hover.yaml");
    let text = format!("# yaml-language-server: $schema={schema}\n{WRAPPED_FIELDS}");
    server.open(&uri, &text);
    let diagnostics = server.settled_diagnostics(&uri);
    assert!(diagnostics.is_empty(), "{}", messages(&diagnostics));
    // The line that sets each field (the first from `after` on), and the field's model path.
    let fields: [(&str, &str, &[&str]); 21] = [
        ("", "outputs:", &["outputs"]),
        ("", "limits:", &["limits"]),
        ("", "push:", &["push"]),
        ("", "refresh:", &["refresh"]),
        ("", "- value: \"16.13\"", &["axes", "pg", "0", "value"]),
        ("  b:", "stage: base", &["images", "b", "stage"]),
        ("  b:", "from: a", &["images", "b", "from"]),
        ("  b:", "tag: commit", &["images", "b", "tag"]),
        ("  b:", "timeout: 3h", &["images", "b", "timeout"]),
        ("  c:", "- image: a", &["images", "c", "from", "0", "image"]),
        ("aliases:", "- tag: latest", &["images", "b", "aliases", "0", "tag"]),
        ("aliases:", "when: default-branch", &["images", "b", "aliases", "0", "when"]),
        ("", "health:", &["services", "db", "health"]),
        ("health:", "timeout: 60s", &["services", "db", "health", "timeout"]),
        ("health:", "interval: 5s", &["services", "db", "health", "interval"]),
        ("jobs:", "stage: qa", &["jobs", "qa", "stage"]),
        ("jobs:", "timeout: 30m", &["jobs", "qa", "timeout"]),
        ("jobs:", "artifacts:", &["jobs", "qa", "artifacts"]),
        ("artifacts:", "when: always", &["jobs", "qa", "artifacts", "when"]),
        ("limits:", "gitlab:", &["limits", "gitlab"]),
        ("runners:", "github: ubuntu-24.04-arm", &["runners", "linux/arm64", "github"]),
    ];
    let lines: Vec<&str> = text.lines().collect();
    for (after, setting, path) in fields {
        let start = if after.is_empty() { 0 } else { line_of(&text, after) as usize };
        let line = start + lines[start..].iter().position(|l| l.contains(setting)).expect("the field's line");
        let key = setting.trim_start_matches("- ").split(':').next().expect("a key");
        let character = lines[line].find(key).expect("the key") + 1;
        let position = json!({ "line": line, "character": character });
        let hover =
            server.request("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": position }));
        let shown = hover["contents"]["value"].as_str().unwrap_or_default();
        let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        let field = pipegen::model::schema::schema_at(&path).expect("the field's schema");
        let own = field["markdownDescription"].as_str().expect("the field's description");
        // Its own text, with its default, and the text of no other schema after it.
        assert!(shown.contains(own), "hover over `{}` shows another text than {own:?}:\n{shown}", path.join("."));
        assert!(!shown.contains("||"), "hover over `{}` joins descriptions:\n{shown}", path.join("."));
        for example in field["examples"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            assert!(shown.contains(example), "hover over `{}` lacks the example {example}:\n{shown}", path.join("."));
        }
    }
    // What the tester saw instead, for the record: a duration's generic text had no default.
    let line = line_of(&text, "timeout: 3h");
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": 5 } }),
    );
    let shown = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(shown.contains("How long the image's build job may take") && shown.contains("Default: `1h`"), "{shown}");
    assert!(!shown.contains("A duration:"), "{shown}");
}
