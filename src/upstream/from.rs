//! The external base images a Dockerfile starts from: every `FROM` whose image is neither
//! `scratch`, nor an earlier stage, nor a parent's build argument. Its twin in awk
//! (`from.awk`, run by the build job's tag step) follows the same rules line by line, and
//! `tests/tags_script.rs` compares the tags the two give:
//!
//! - lines are joined at a trailing `\`, or a backtick when a parser directive at the top says
//!   `# escape=` with one ([`crate::directives`]), blanks after it allowed; comment lines (first
//!   non-blank `#`) and blank lines inside a continuation are dropped; a trailing `\r` is dropped,
//!   and a byte-order mark before the first line;
//! - the instruction is the first word, in any case; only `ARG` before the first `FROM` and
//!   `FROM` itself matter;
//! - `ARG A[=default] B[=default]…` before the first `FROM` declares global arguments: a value
//!   the build passes (the model's `args`) wins over the default; a default in quotes loses its
//!   quotes; a default may use earlier global arguments;
//! - `FROM [--flag=…]… IMAGE [AS NAME]`: words starting with `--` are flags; IMAGE is skipped
//!   when it mentions a parent's argument (its parent's tag is hashed already), otherwise its
//!   `$NAME`, `${NAME}`, `${NAME:-word}` and `${NAME:+word}` are replaced by the global
//!   arguments (an undeclared one is empty, as in Docker), then it is skipped when it is empty,
//!   `scratch` or an earlier stage's NAME (both in any case);
//! - the bodies of here-documents ([`crate::heredoc`]: `RUN`, `COPY` and `ADD` with `<<WORD`,
//!   `<<-WORD`, quoted or not, several per instruction) are skipped up to their terminator line;
//! - each image once, in order of first appearance.
//!
//! Not followed: `COPY --from=IMAGE` and `RUN --mount=from=IMAGE` (images, not bases; pin them
//! by digest to have them in the tag), and the escape character inside words (quoting in `ARG`
//! defaults and here-document words keeps `\`).

use std::collections::HashMap;

/// The external base images of `dockerfile` (its bytes), built with `args` (name, value),
/// skipping images that mention any of `parent_args`.
pub fn bases(dockerfile: &[u8], args: &[(String, String)], parent_args: &[String]) -> Vec<String> {
    let text = String::from_utf8_lossy(dockerfile);
    let passed: HashMap<&str, &str> = args.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let mut globals: HashMap<String, String> = HashMap::new();
    let mut stages: Vec<String> = Vec::new();
    let mut out: Vec<String> = Vec::new();
    let mut seen_from = false;
    for instruction in instructions(&text) {
        let mut words = instruction.split([' ', '\t']).filter(|w| !w.is_empty());
        let Some(keyword) = words.next() else { continue };
        let keyword = keyword.to_ascii_uppercase();
        if keyword == "ARG" && !seen_from {
            for word in words {
                let (name, default) = match word.split_once('=') {
                    Some((name, default)) => (name, Some(unquote(default))),
                    None => (word, None),
                };
                let value = match (passed.get(name), default) {
                    (Some(value), _) => Some(value.to_string()),
                    (None, Some(default)) => Some(substitute(default, &globals)),
                    (None, None) => None,
                };
                match value {
                    Some(value) => globals.insert(name.to_string(), value),
                    None => globals.remove(name),
                };
            }
        } else if keyword == "FROM" {
            seen_from = true;
            let mut rest = words.skip_while(|w| w.starts_with("--"));
            let Some(image) = rest.next() else { continue };
            let stage = match (rest.next(), rest.next()) {
                (Some(as_), Some(name)) if as_.eq_ignore_ascii_case("as") => Some(name.to_ascii_lowercase()),
                _ => None,
            };
            let mentions_parent = variables(image).iter().any(|v| parent_args.iter().any(|p| p == v));
            if !mentions_parent {
                let image = substitute(image, &globals);
                let lower = image.to_ascii_lowercase();
                if !image.is_empty() && lower != "scratch" && !stages.contains(&lower) && !out.contains(&image) {
                    out.push(image);
                }
            }
            if let Some(stage) = stage {
                stages.push(stage);
            }
        }
    }
    out
}

/// The instructions of a Dockerfile: continuation lines joined (without their `\`), comment and
/// blank lines dropped, and the bodies of here-documents (`RUN <<EOF` … `EOF`) skipped: their
/// lines are the document's text, not instructions (a SQL file's `FROM users;` is no base image).
fn instructions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    // The here-documents whose bodies come next, in order.
    let mut bodies: std::collections::VecDeque<crate::heredoc::Heredoc> = Default::default();
    let text = crate::directives::without_byte_order_mark(text);
    let escape = crate::directives::escape_of(text);
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(heredoc) = bodies.front() {
            if heredoc.ends_at(line) {
                bodies.pop_front();
            }
            continue;
        }
        let trimmed = line.trim_start_matches([' ', '\t']);
        if trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        let end = line.trim_end_matches([' ', '\t']);
        let (body, continues) = match end.strip_suffix(escape) {
            Some(body) => (body, true),
            None => (line, false),
        };
        let joined = match current.take() {
            Some(mut before) => {
                before.push(' ');
                before.push_str(body);
                before
            }
            None => body.to_string(),
        };
        if continues {
            current = Some(joined);
        } else {
            bodies.extend(crate::heredoc::opened_by(&joined));
            out.push(joined);
        }
    }
    out.extend(current);
    out
}

/// `"x"` or `'x'` without its quotes.
fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            return &value[1..value.len() - 1];
        }
    }
    value
}

fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_name(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// An argument reference: its name, the operator (`-`, `+`) and word of `${NAME:-word}` or
/// `${NAME:+word}`, and its length in bytes.
type Reference<'t> = (&'t str, Option<(u8, &'t str)>, usize);

/// The reference at the start of `text` (which starts with `$`). `None`: a lone `$`.
fn reference(text: &[u8]) -> Option<Reference<'_>> {
    fn as_str(b: &[u8]) -> &str {
        // Cut at ASCII bytes only, out of a `str`.
        std::str::from_utf8(b).expect("a slice of a str cut at ASCII bytes")
    }
    if text.get(1) == Some(&b'{') {
        let close = text.iter().position(|&c| c == b'}')?;
        let inner = &text[2..close];
        let name_len = inner.iter().take_while(|&&c| is_name(c)).count();
        if name_len == 0 || !is_name_start(inner[0]) {
            return None;
        }
        let name = as_str(&inner[..name_len]);
        let rest = &inner[name_len..];
        let op = match rest {
            [] => None,
            [b':', op @ (b'-' | b'+'), word @ ..] => Some((*op, as_str(word))),
            _ => return None,
        };
        Some((name, op, close + 1))
    } else {
        let len = text[1..].iter().take_while(|&&c| is_name(c)).count();
        if len == 0 || !is_name_start(text[1]) {
            return None;
        }
        Some((as_str(&text[1..1 + len]), None, 1 + len))
    }
}

/// The argument names `text` refers to.
fn variables(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$'
            && let Some((name, _, len)) = reference(&bytes[i..])
        {
            out.push(name);
            i += len;
            continue;
        }
        i += 1;
    }
    out
}

/// `text` with its argument references replaced (an unknown argument is empty).
fn substitute(text: &str, globals: &HashMap<String, String>) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut literal = 0;
    while i < bytes.len() {
        if bytes[i] == b'$'
            && let Some((name, op, len)) = reference(&bytes[i..])
        {
            out.push_str(&text[literal..i]);
            let value = globals.get(name).map(String::as_str).unwrap_or("");
            match op {
                None => out.push_str(value),
                Some((b'-', word)) => out.push_str(if value.is_empty() { word } else { value }),
                Some((_, word)) => out.push_str(if value.is_empty() { "" } else { word }),
            }
            i += len;
            literal = i;
            continue;
        }
        i += 1;
    }
    out.push_str(&text[literal..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(text: &str, args: &[(&str, &str)], parents: &[&str]) -> Vec<String> {
        let args: Vec<(String, String)> = args.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        let parents: Vec<String> = parents.iter().map(|p| p.to_string()).collect();
        bases(text.as_bytes(), &args, &parents)
    }

    #[test]
    fn plain_froms_in_order_once_each() {
        let text = "FROM debian:bookworm\nRUN true\nFROM alpine:3.20\nFROM debian:bookworm\n";
        assert_eq!(of(text, &[], &[]), ["debian:bookworm", "alpine:3.20"]);
    }

    #[test]
    fn global_args_are_substituted_and_the_builds_values_win() {
        let text = "ARG OS=debian\nARG RELEASE=\"bookworm\" REG=${OS:+docker.io/library/}\nFROM ${REG}$OS:${RELEASE}-slim\nARG LATE=x\nFROM ${LATE:-busybox}\n";
        assert_eq!(of(text, &[], &[]), ["docker.io/library/debian:bookworm-slim", "busybox"]);
        assert_eq!(
            of(text, &[("OS", "ubuntu"), ("RELEASE", "noble")], &[]),
            ["docker.io/library/ubuntu:noble-slim", "busybox"]
        );
        // A value the build passes for an argument the Dockerfile does not declare changes nothing.
        assert_eq!(of("FROM base:${V}\n", &[("V", "1")], &[]), ["base:"]);
    }

    #[test]
    fn stages_scratch_and_parents_are_skipped() {
        let text = "ARG BASE_IMAGE\nFROM ${BASE_IMAGE} AS build\nFROM scratch\nFROM SCRATCH as Out\nFROM build\nFROM out\nFROM $BASE_IMAGE\nFROM golang:1.22\n";
        assert_eq!(of(text, &[], &["BASE_IMAGE"]), ["golang:1.22"]);
        // Without the parent, the argument is an ordinary one (empty: skipped).
        assert_eq!(of(text, &[("BASE_IMAGE", "x:1")], &[]), ["x:1", "golang:1.22"]);
    }

    #[test]
    fn digest_pinned_platform_flags_continuations_comments_and_case() {
        let text = "# syntax=docker/dockerfile:1\r\nfrom --platform=$BUILDPLATFORM \\\r\n  # a comment inside\n\n   golang@sha256:abc \\  \n  As builder\nFrOm --platform=linux/arm64 --foo=bar alpine\n";
        assert_eq!(of(text, &[], &[]), ["golang@sha256:abc", "alpine"]);
    }

    #[test]
    fn the_escape_directive_picks_the_continuation_character() {
        // Windows paths end in `\`: with a backtick escape that ends no line.
        let text = "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nCOPY x C:\\\nFROM other:1 `\n  AS build\nRUN dir C:\\\nFROM build\nFROM last\n";
        assert_eq!(of(text, &[], &[]), ["mcr.microsoft.com/windows/servercore:ltsc2022", "other:1", "last"]);
        // Not a directive after a comment: a backslash continues, a backtick does not.
        let text = "# a comment\n# escape=`\nFROM a\nRUN x \\\nFROM b\nFROM c `\nFROM d\n";
        assert_eq!(of(text, &[], &[]), ["a", "c", "d"]);
        // A byte-order mark is no part of the first line.
        assert_eq!(of("\u{feff}FROM a\nFROM b\n", &[], &[]), ["a", "b"]);
        assert_eq!(of("\u{feff}# escape=`\nFROM a\nRUN x \\\nFROM b\n", &[], &[]), ["a", "b"]);
    }

    #[test]
    fn here_document_bodies_are_no_instructions() {
        let text = "FROM alpine:3.20 AS base\nCOPY <<EOF /init.sql\nSELECT name\nFROM users;\nEOF\nRUN <<-'SH' bash && cat 2<<\"DATA\" >x\n\tFROM tabbed\n\tSH\nFROM data \\\nDATA\nFROM debian:bookworm\n";
        assert_eq!(of(text, &[], &[]), ["alpine:3.20", "debian:bookworm"]);
        // Quoted, here-strings and shifts open none; only RUN, COPY and ADD open any.
        let text = "FROM a\nRUN echo \"use <<EOF\" '<<EOF' x<<EOF $((1<<3)) <<<EOF <<\nFROM b\nLABEL x=<<EOF\nFROM c\nrun cat <<E\"O\"F\nFROM in-body\nEOF\nFROM d\n";
        assert_eq!(of(text, &[], &[]), ["a", "b", "c", "d"]);
        // A body that never ends takes the rest of the file.
        assert_eq!(of("FROM a\nRUN <<END\nFROM b\n", &[], &[]), ["a"]);
        // Escaped and quoted terminators, one body after the other.
        let text = "FROM a\nADD <<A\\\"B <<'C D' /x\nFROM e\nA\"B\nFROM f\nC D\nFROM g\n";
        assert_eq!(of(text, &[], &[]), ["a", "g"]);
        // Blanks after `<<`, ONBUILD, and what opens none.
        let text = "FROM a\nCOPY << EOF <<  \"E F\" /x\nFROM b\nEOF\nFROM c\nE F\nFROM d\nONBUILD RUN <<-X\nFROM e\n\t\tX\nFROM f\nRUN <<   -Y <<- Z cat<<W\nFROM g\n-Y\nFROM h\nRUN [\"<<J\"]\nonbuild label <<K\nFROM i\n";
        assert_eq!(of(text, &[], &[]), ["a", "d", "f", "h", "i"]);
    }

    #[test]
    fn odd_references_stay_literal() {
        assert_eq!(
            of("FROM a$\nFROM b${\nFROM c${1x}\nFROM d${X:=y}\n", &[], &[]),
            ["a$", "b${", "c${1x}", "d${X:=y}"]
        );
        assert_eq!(of("FROM\nFROM --platform=x\n", &[], &[]), Vec::<String>::new());
    }
}
