//! The starting model as YAML, written by hand so that it can carry comments: what to set, what
//! each image's Dockerfile should change, and the images that could not be inferred (as a
//! commented block, never as data). Every scalar goes through [`scalar`], which quotes whatever
//! YAML would not read back as the same string.

use super::infer::{Inference, Unresolved};
use crate::model::{Image, Parents};
use crate::yaml;

/// Where a repository keeps pipegen's JSON Schema, relative to a directory at or above its
/// model (the repository root, by convention): docs/editor-and-precommit.md.
pub const SCHEMA_PATH: &str = "schema/pipegen.schema.json";

/// The JSON Schema the model's modeline names.
pub struct Schema {
    /// Relative to the model's directory, as yaml-language-server reads it: `../schema/…`.
    pub from_model: String,
    /// Relative to the repository root, for the comment that says how to refresh it.
    pub from_root: String,
}

/// Comments are wrapped to this width, like the models in the repository.
const WIDTH: usize = 100;

/// Flow mappings longer than this are written as blocks.
const FLOW_LIMIT: usize = 100;

pub fn render(inference: &Inference, schema: &Schema) -> String {
    let model = &inference.model;
    let mut out = String::new();
    out.push_str(&format!("# yaml-language-server: $schema={}\n#\n", schema.from_model));
    comment(
        &mut out,
        0,
        "A starting model written by `pipegen init` from this repository's Dockerfiles: review it, \
         then run `pipegen emit`. docs/init.md says how each value was inferred.",
    );
    comment(
        &mut out,
        0,
        "Build contexts: the one a build script builds the image with; otherwise, as COPY/ADD sources \
         are relative to the build context, where its sources exist: the deepest of its Dockerfile's directory and that directory's \
         ancestors, or, when sources are missing there, a directory named like the image \
         (`gitaly` for images/gitaly.Dockerfile) that holds more of them.",
    );
    comment(
        &mut out,
        0,
        "Build arguments stay in the Dockerfiles: their defaults are listed above each image, not \
         copied into `args`, so a change to a default in a Dockerfile takes effect. A build argument \
         without a default gets a commented `args` entry to fill in.",
    );
    comment(
        &mut out,
        0,
        &format!(
            "For checks while you edit, the first line names pipegen's JSON Schema (relative to this file); \
             write or refresh it from the repository root with: pipegen schema > {}",
            crate::shell::quote(&schema.from_root)
        ),
    );
    out.push_str("pipegen: 1\n");
    out.push_str(&format!("name: {}\n", scalar(&model.name)));
    comment(
        &mut out,
        0,
        "Set the registry (and path) the images are pushed to; PIPEGEN_REGISTRY overrides it at run time.",
    );
    out.push_str(&format!("registry: {}\n\n", scalar(&model.registry)));
    out.push_str("outputs:\n");
    for (key, path) in [("gitlab", &model.outputs.gitlab), ("github", &model.outputs.github)] {
        if let Some(path) = path {
            out.push_str(&format!("  {key}: {}\n", scalar(path)));
        }
    }
    out.push('\n');
    comment(
        &mut out,
        0,
        "No `stages`: pipegen derives them from the image graph (build-1, build-2, …). No `axes`, \
         `caches` or `services` yet: docs/model.md describes them.",
    );
    if model.images.is_empty() {
        out.push_str("images: {}\n");
    } else {
        out.push_str("images:\n");
    }
    for (name, image) in &model.images {
        out.push_str(&format!("  {}:\n", scalar(name)));
        for external in inference.external.iter().filter(|e| e.images.contains(name)) {
            comment(&mut out, 4, &format!("External: {}: {}.", external.what, external.reason));
        }
        for note in inference.notes.get(name).into_iter().flatten() {
            comment(&mut out, 4, note);
        }
        let args = inference.args.get(name);
        if let Some(args) = args.filter(|a| !a.defaults.is_empty()) {
            let defaults: Vec<String> = args.defaults.iter().map(|(k, v)| format!("`{k}={v}`")).collect();
            comment(
                &mut out,
                4,
                &format!(
                    "Build arguments with defaults, kept in the Dockerfile (set one in `args` only to override it): {}.",
                    defaults.join(", ")
                ),
            );
        }
        image_fields(&mut out, image);
        if let Some(args) = args.filter(|a| !a.required.is_empty()) {
            comment(&mut out, 4, "Build arguments without a default in the Dockerfile: set them here.");
            out.push_str("    # args:\n");
            for arg in &args.required {
                out.push_str(&format!("    #   {}: \"\"\n", scalar(arg)));
            }
        }
    }
    if !inference.templates.is_empty() {
        out.push('\n');
        comment(
            &mut out,
            2,
            "Templated Dockerfiles, not read: render them first (then run `pipegen init --force` \
             again), or add an image whose `dockerfile` is the rendered output.",
        );
        for template in &inference.templates {
            comment(&mut out, 2, &format!("  - {template}"));
        }
    }
    if !inference.unresolved.is_empty() {
        out.push('\n');
        comment(
            &mut out,
            2,
            "Not inferred: pipegen init could not resolve what these images build from, and lists \
             them rather than guess. Fix what each says, then uncomment it.",
        );
        for unresolved in &inference.unresolved {
            unresolved_block(&mut out, unresolved);
        }
    }
    out.push('\n');
    comment(&mut out, 0, "Jobs run scripts in the images. For example:");
    let example_image = model.images.keys().last().map_or("alpine:3.20".to_string(), |n| scalar(n));
    out.push_str(&format!("# jobs:\n#   test:\n#     image: {example_image}\n#     script:\n#       - make test\n"));
    out
}

fn image_fields(out: &mut String, image: &Image) {
    if let Some(from) = &image.from {
        let entries: Vec<String> = from
            .refs()
            .iter()
            .map(|parent| match (parent.mapping, parent.arg) {
                (false, _) => scalar(parent.image),
                (true, None) => format!("{{ image: {} }}", scalar(parent.image)),
                (true, Some(arg)) => format!("{{ image: {}, arg: {} }}", scalar(parent.image), scalar(arg)),
            })
            .collect();
        match from {
            Parents::Many(_) => out.push_str(&format!("    from: [{}]\n", entries.join(", "))),
            _ => out.push_str(&format!("    from: {}\n", entries.join(", "))),
        }
    }
    if let Some(context) = &image.context {
        out.push_str(&format!("    context: {}\n", scalar(context)));
    }
    if let Some(dockerfile) = &image.dockerfile {
        out.push_str(&format!("    dockerfile: {}\n", scalar(dockerfile)));
    }
    if let Some(target) = &image.target {
        out.push_str(&format!("    target: {}\n", scalar(target)));
    }
    if !image.args.is_empty() {
        let pairs: Vec<String> = image.args.iter().map(|(k, v)| format!("{}: {}", scalar(k), scalar(v))).collect();
        let flow = format!("    args: {{ {} }}", pairs.join(", "));
        if flow.len() <= FLOW_LIMIT {
            out.push_str(&flow);
            out.push('\n');
        } else {
            out.push_str("    args:\n");
            for pair in pairs {
                out.push_str(&format!("      {pair}\n"));
            }
        }
    }
}

fn unresolved_block(out: &mut String, unresolved: &Unresolved) {
    comment(out, 2, &format!("{} ({}):", unresolved.name, unresolved.dockerfile));
    for reason in &unresolved.reasons {
        comment(out, 2, &format!("  - {reason}"));
    }
    let image = Image {
        context: Some(crate::template::literal(&unresolved.context)),
        dockerfile: Some(crate::template::literal(&unresolved.dockerfile)),
        target: unresolved.target.clone(),
        from: match unresolved.from.as_slice() {
            [] => None,
            [one] => Some(Parents::One(crate::model::Name(one.clone()))),
            many => Some(Parents::Many(
                many.iter().cloned().map(|n| crate::model::Parent::Name(crate::model::Name(n))).collect(),
            )),
        },
        ..Image::default()
    };
    let mut fields = String::new();
    image_fields(&mut fields, &image);
    out.push_str(&format!("  # {}:\n", scalar(&unresolved.name)));
    for line in fields.lines() {
        out.push_str(&format!("  # {}\n", &line[2..]));
    }
}

/// `text` as comment lines at `indent`, wrapped at [`WIDTH`]; a leading run of spaces (a list
/// item) is kept on continuation lines.
fn comment(out: &mut String, indent: usize, text: &str) {
    // Paths and Dockerfile text in a comment: a newline would end it, a control character is
    // no YAML at all.
    let text = &*crate::model::printable::escape(text);
    let prefix = format!("{}# ", " ".repeat(indent));
    let body = text.trim_start();
    let lead = text.len() - body.len();
    let hanging = if body.starts_with("- ") { lead + 2 } else { lead };
    let mut line = " ".repeat(lead);
    let mut empty = true;
    for word in unbreakable_words(body) {
        if !empty && prefix.len() + line.len() + 1 + word.len() > WIDTH {
            out.push_str(&format!("{prefix}{line}\n"));
            line = " ".repeat(hanging);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(&word);
        empty = false;
    }
    out.push_str(&format!("{prefix}{line}\n"));
}

/// The words of `text`, a `code span` with spaces being one word: it is not split across lines.
fn unbreakable_words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut open = false;
    for word in text.split_whitespace() {
        match words.last_mut() {
            Some(last) if open => {
                last.push(' ');
                last.push_str(word);
            }
            _ => words.push(word.to_string()),
        }
        if word.matches('`').count() % 2 == 1 {
            open = !open;
        }
    }
    words
}

/// A YAML scalar for `text`: plain when that reads back as the same string (and YAML 1.1
/// readers would not take it for a boolean), otherwise double-quoted. JSON's string syntax is
/// YAML's double-quoted syntax.
pub fn scalar(text: &str) -> String {
    let plain_chars = !text.is_empty()
        && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '_' | '-'))
        && !text.starts_with('-');
    let yaml_1_1_boolean =
        ["y", "n", "yes", "no", "on", "off", "true", "false"].iter().any(|b| text.eq_ignore_ascii_case(b));
    let reads_back = || matches!(yaml::from_str::<yaml::Value>(text), Ok(yaml::Value::String(s)) if s == text);
    if plain_chars && !yaml_1_1_boolean && reads_back() {
        text.to_string()
    } else {
        serde_json::to_string(text).expect("a string serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::infer::{Input, infer};
    use crate::{model, plan};

    /// Whatever the Dockerfiles say, even cut off anywhere, the model loads and plans.
    #[test]
    fn every_inference_is_a_valid_model() {
        let app = "# syntax=docker/dockerfile:1\n\
                   ARG BASE_IMAGE=registry.example.com/x/base:1\n\
                   ARG MSG=\"hello: world # not a comment\"\n\
                   ARG EMPTY=\n\
                   ARG ÜBER=1 yes=no\n\
                   FROM --platform=$BUILDPLATFORM ${BASE_IMAGE} AS Build_Stage\n\
                   ARG MSG\n\
                   COPY [\"a b\", \"*.lock\", \"/src/\"]\n\
                   RUN <<EOF\n\
                   echo \"$MSG\"\n\
                   EOF\n\
                   FROM registry.example.com/x/tool:2 AS runtime\n\
                   COPY --from=build_stage /out /out\n\
                   COPY --from=other /x /x\n\
                   FROM runtime\n";
        let base = "FROM debian:12\nARG VERSION=1.0\nCOPY ./install.sh /\n";
        let files: Vec<String> =
            ["a b/c", "install.sh", "x.lock", "images/install.sh"].iter().map(|f| f.to_string()).collect();
        let cuts: Vec<usize> = app.char_indices().map(|(i, _)| i).chain([app.len()]).collect();
        for cut in cuts {
            let dockerfiles = vec![
                ("images/base/Dockerfile".to_string(), base.to_string()),
                ("images/app.Dockerfile".to_string(), app[..cut].to_string()),
                ("tool/Dockerfile".to_string(), "FROM ${BASE_IMAGE}\n".to_string()),
                ("yes/Dockerfile".to_string(), app[cut..].to_string()),
                // Parents in arguments of their own, by tags a script gives and tags that spell
                // directories.
                (
                    "true/one/Dockerfile".to_string(),
                    "ARG PARENT=registry.example.com/x/app:2\nFROM $PARENT AS p\nFROM ${BASE_IMAGE:-x}\nCOPY --from=p /a /a\n"
                        .to_string(),
                ),
                ("true/one/two/Dockerfile".to_string(), "FROM true:one\n".to_string()),
                ("images/x/Dockerfile".to_string(), "FROM true:tool\nCOPY --from=true:one /x /x\n".to_string()),
            ];
            let scripts = [("Makefile".to_string(), "build:\n\tdocker build -t true:tool tool\n".to_string())];
            let inference = infer(Input {
                name: "true",
                dockerfiles: &dockerfiles,
                files: &files,
                scripts: &scripts,
                templates: &[],
                linked_out: &[],
            });
            let text = render(&inference, &Schema { from_model: SCHEMA_PATH.into(), from_root: SCHEMA_PATH.into() });
            let loaded = model::load("pipegen.yaml", &text)
                .unwrap_or_else(|e| panic!("cut at {cut}:\n{}\n{text}", e.render(false)));
            plan::build(&loaded, "pipegen.yaml").unwrap_or_else(|e| panic!("cut at {cut}: {e:?}\n{text}"));
            // One image per Dockerfile at least, each either in the model or listed, never both.
            let listed: Vec<&str> = inference.unresolved.iter().map(|u| u.name.as_str()).collect();
            assert!(loaded.model.images.len() + listed.len() >= dockerfiles.len(), "{text}");
            assert!(listed.iter().all(|n| !loaded.model.images.contains_key(*n)), "{text}");
        }
    }

    #[test]
    fn quotes_what_yaml_would_read_otherwise() {
        assert_eq!(scalar("images/base"), "images/base");
        assert_eq!(scalar(".gitlab-ci.yml"), ".gitlab-ci.yml");
        assert_eq!(scalar("3.3.6"), "3.3.6");
        for (text, quoted) in [
            ("17.5", "\"17.5\""),
            ("1", "\"1\""),
            ("yes", "\"yes\""),
            ("null", "\"null\""),
            ("golang:1.22", "\"golang:1.22\""),
            ("", "\"\""),
            ("a b", "\"a b\""),
            ("-x", "\"-x\""),
            ("say \"hi\"", "\"say \\\"hi\\\"\""),
            (".inf", "\".inf\""),
        ] {
            assert_eq!(scalar(text), quoted, "{text}");
            let back: String = yaml::from_str(&scalar(text)).unwrap();
            assert_eq!(back, text);
        }
    }

    #[test]
    fn wraps_comments() {
        let mut out = String::new();
        comment(&mut out, 4, &"word ".repeat(30));
        for line in out.lines() {
            assert!(line.len() <= WIDTH, "{line:?}");
            assert!(line.starts_with("    # word"), "{line:?}");
        }
        let mut out = String::new();
        comment(&mut out, 2, &format!("  - {}", "item ".repeat(30)));
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("  #   - item"), "{out}");
        assert!(lines[1].starts_with("  #     item"), "{out}");
        let mut out = String::new();
        comment(&mut out, 0, &format!("{} write `FROM ${{A_IMAGE}}` now", "x".repeat(85)));
        assert_eq!(out, format!("# {} write\n# `FROM ${{A_IMAGE}}` now\n", "x".repeat(85)));
    }
}
