//! The external base images a Dockerfile starts from: every `FROM` whose image is neither
//! `scratch`, nor an earlier stage, nor a parent's build argument. Its twin in awk
//! (`from.awk`, run by the build job's tag step) follows the same rules line by line, and
//! `tests/tags_script.rs` compares the tags the two give. The rules are BuildKit's (its
//! `frontend/dockerfile/parser` and `shell` lexer), which buildah's parser shares:
//!
//! - lines are joined at a trailing escape character (`\`, or a backtick when a parser directive
//!   at the top says `# escape=` with one: [`crate::directives`]), blanks after it allowed, unless
//!   it is itself escaped (`C:\\` ends the instruction); the escape character goes and nothing
//!   replaces it: the next line follows at once, its leading blanks kept (`ARG W=debian\` then
//!   `:12` is `ARG W=debian:12`); comment lines (first non-blank `#`) and blank lines inside a
//!   continuation are dropped; trailing `\r`s are dropped, and a byte-order mark before the first
//!   line;
//! - blanks are space, tab, vertical tab, form feed and carriage return (BuildKit splits `FROM`
//!   at `[\t\v\f\r ]+`); the instruction is the first word, in any case; only `ARG` before the
//!   first `FROM` and `FROM` itself matter;
//! - `ARG A[=default] B[=default]…` before the first `FROM` declares global arguments: its words
//!   are split at blanks outside quotes (an escaped blank splits none); a value the build passes
//!   (the model's `args`) wins over the default; a default is read by the shell lexer (below),
//!   with the global arguments declared before it;
//! - `FROM [--flag=…]… IMAGE [AS NAME]`: words starting with `--` are flags; IMAGE is read by the
//!   shell lexer; it is skipped when it refers to a parent's argument (its parent's tag is hashed
//!   already), when it is empty, `scratch` or an earlier stage's NAME (both in any case);
//! - the shell lexer: `'…'` is literal; `"…"` is literal but for references and the escape
//!   character before `"`, `$` or itself; elsewhere the escape character makes the next character
//!   literal (`\$X` is `$X`); quotes go. A reference is `$NAME`, `${NAME}`, `${NAME-word}`,
//!   `${NAME:-word}`, `${NAME+word}`, `${NAME:+word}`, `${NAME?word}` or `${NAME:?word}`, whose
//!   word is itself read by the lexer (quotes, escapes and references, nested to any depth); an
//!   argument not declared is unset (empty), `:` counts an empty one as unset too; `$` before no
//!   name is itself, `$1`, `$@` and the like are empty;
//! - a word the lexer refuses (an unclosed quote or `${`, `${}`, `${X?}` with X unset, an unknown
//!   modifier such as `${X:=y}`) or one pipegen does not follow (`${X#pattern}`, `${X%pattern}`,
//!   `${X/pattern/text}`) is kept as written: BuildKit fails such a build, and a reference with
//!   `$`, `{` or a quote in it is no image reference, so the tag step fails naming it rather
//!   than hash another image's digest;
//! - the bodies of here-documents ([`crate::heredoc`]: `RUN`, `COPY` and `ADD` with `<<WORD`,
//!   `<<-WORD`, quoted or not, several per instruction) are skipped up to their terminator line;
//! - each image once, in order of first appearance.
//!
//! Not followed: `COPY --from=IMAGE` and `RUN --mount=from=IMAGE` (images, not bases; pin them
//! by digest to have them in the tag), BuildKit's own arguments (`TARGETARCH` and the like: unset
//! here), names and blanks outside ASCII (BuildKit takes Unicode letters into names and Unicode
//! spaces as blanks in `ARG`).

use std::collections::HashMap;

/// What BuildKit splits a `FROM` at (its `[\t\v\f\r ]+`), and the ASCII blanks it trims lines of.
const BLANKS: [char; 5] = [' ', '\t', '\x0b', '\x0c', '\r'];

/// The external base images of `dockerfile` (its bytes), built with `args` (name, value),
/// skipping images that mention any of `parent_args`.
pub fn bases(dockerfile: &[u8], args: &[(String, String)], parent_args: &[String]) -> Vec<String> {
    let text = String::from_utf8_lossy(dockerfile);
    let escape = crate::directives::escape_of(crate::directives::without_byte_order_mark(&text));
    let passed: HashMap<&str, &str> = args.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let mut globals: HashMap<String, String> = HashMap::new();
    let mut stages: Vec<String> = Vec::new();
    let mut out: Vec<String> = Vec::new();
    let mut seen_from = false;
    for instruction in instructions(&text) {
        let instruction = instruction.trim_matches(BLANKS);
        let (keyword, rest) = instruction.split_once(BLANKS).unwrap_or((instruction, ""));
        if keyword.is_empty() {
            continue;
        }
        let keyword = keyword.to_ascii_uppercase();
        if keyword == "ARG" && !seen_from {
            for word in arg_words(rest, escape) {
                let (name, default) = match word.split_once('=') {
                    Some((name, default)) => (name, Some(default)),
                    None => (word.as_str(), None),
                };
                let value = match (passed.get(name), default) {
                    (Some(value), _) => Some(value.to_string()),
                    (None, Some(default)) => Some(expand(default, &globals, escape).0),
                    (None, None) => None,
                };
                match value {
                    Some(value) => globals.insert(name.to_string(), value),
                    None => globals.remove(name),
                };
            }
        } else if keyword == "FROM" {
            seen_from = true;
            let mut rest = rest.split(BLANKS).filter(|w| !w.is_empty()).skip_while(|w| w.starts_with("--"));
            let Some(image) = rest.next() else { continue };
            let stage = match (rest.next(), rest.next()) {
                (Some(as_), Some(name)) if as_.eq_ignore_ascii_case("as") => Some(name.to_ascii_lowercase()),
                _ => None,
            };
            let (image, names) = expand(image, &globals, escape);
            if !names.iter().any(|v| parent_args.contains(v)) {
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

/// The instructions of a Dockerfile: continuation lines joined (without their escape character,
/// and nothing in its place), comment and blank lines dropped, and the bodies of here-documents
/// (`RUN <<EOF` … `EOF`) skipped: their lines are the document's text, not instructions (a SQL
/// file's `FROM users;` is no base image).
fn instructions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    // The here-documents whose bodies come next, in order.
    let mut bodies: std::collections::VecDeque<crate::heredoc::Heredoc> = Default::default();
    let text = crate::directives::without_byte_order_mark(text);
    let escape = crate::directives::escape_of(text);
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        if let Some(heredoc) = bodies.front() {
            if heredoc.ends_at(line) {
                bodies.pop_front();
            }
            continue;
        }
        let trimmed = line.trim_start_matches(BLANKS);
        if trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        let end = line.trim_end_matches([' ', '\t']);
        let (body, continues) = match end.strip_suffix(escape) {
            // An escaped escape character ends no line.
            Some(body) if !body.ends_with(escape) => (body, true),
            _ => (line, false),
        };
        let joined = match current.take() {
            Some(before) => before + body,
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

/// The words of an `ARG` instruction's arguments as BuildKit's parser splits them: at blanks
/// outside quotes, an escaped character kept with its escape character, quotes kept (the lexer
/// reads both); an escape character that ends the text goes.
fn arg_words(text: &str, escape: char) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    // Whether the word has quotes, so that `""` is a word.
    let mut quoted = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            None if BLANKS.contains(&c) => {
                if quoted || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                quoted = false;
                continue;
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                quoted = true;
            }
            Some(q) if c == q => quote = None,
            Some('\'') => {}
            _ if c == escape => match chars.next() {
                Some(next) => {
                    word.push(c);
                    word.push(next);
                    continue;
                }
                None => {
                    quote = None;
                    continue;
                }
            },
            _ => {}
        }
        word.push(c);
    }
    if quoted || !word.is_empty() {
        words.push(word);
    }
    words
}

/// `word` as BuildKit's shell lexer reads it with the global arguments `globals` (see the module
/// comment), with the names of the arguments it looked up; a word it refuses, or one with a
/// modifier pipegen does not follow, as written.
fn expand(word: &str, globals: &HashMap<String, String>, escape: char) -> (String, Vec<String>) {
    let mut lexer = Lexer { chars: word.chars().collect(), at: 0, escape, globals, names: Vec::new() };
    let text = lexer.word(None).unwrap_or_else(|Refused| word.to_string());
    (text, lexer.names)
}

/// A word the lexer refuses or pipegen does not follow.
struct Refused;

struct Lexer<'g> {
    chars: Vec<char>,
    at: usize,
    escape: char,
    globals: &'g HashMap<String, String>,
    names: Vec<String>,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        self.at += 1;
        c
    }

    /// The text up to `stop` (consumed; `None`: the end), read.
    fn word(&mut self, stop: Option<char>) -> Result<String, Refused> {
        let mut out = String::new();
        while let Some(c) = self.peek() {
            if Some(c) == stop {
                self.at += 1;
                return Ok(out);
            }
            if c == '$' {
                out.push_str(&self.dollar()?);
            } else if c == '\'' {
                self.at += 1;
                loop {
                    match self.next() {
                        None => return Err(Refused),
                        Some('\'') => break,
                        Some(c) => out.push(c),
                    }
                }
            } else if c == '"' {
                self.at += 1;
                loop {
                    match self.peek() {
                        None => return Err(Refused),
                        Some('"') => {
                            self.at += 1;
                            break;
                        }
                        Some('$') => out.push_str(&self.dollar()?),
                        Some(c) => {
                            self.at += 1;
                            match self.peek() {
                                Some(n) if c == self.escape && (n == '"' || n == '$' || n == self.escape) => {
                                    self.at += 1;
                                    out.push(n);
                                }
                                // An escape character that ends the word goes (and the quote is unclosed).
                                None if c == self.escape => {}
                                _ => out.push(c),
                            }
                        }
                    }
                }
            } else if c == self.escape {
                self.at += 1;
                match self.next() {
                    Some(n) => out.push(n),
                    None => break,
                }
            } else {
                self.at += 1;
                out.push(c);
            }
        }
        match stop {
            Some(_) => Err(Refused),
            None => Ok(out),
        }
    }

    /// A name after `$`: digits, or one special parameter (`@*#?-$!`), or letters, digits and `_`.
    fn name(&mut self) -> String {
        let start = self.at;
        match self.peek() {
            Some(c) if c.is_ascii_digit() => {
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.at += 1;
                }
            }
            Some(c) if "@*#?-$!".contains(c) => self.at += 1,
            _ => {
                while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                    self.at += 1;
                }
            }
        }
        self.chars[start..self.at].iter().collect()
    }

    fn value(&mut self, name: &str) -> Option<&str> {
        self.names.push(name.to_string());
        self.globals.get(name).map(String::as_str)
    }

    /// The reference at `$`, replaced.
    fn dollar(&mut self) -> Result<String, Refused> {
        self.at += 1;
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return Ok("$".to_string());
            }
            return Ok(self.value(&name).unwrap_or_default().to_string());
        }
        self.at += 1;
        if matches!(self.peek(), None | Some('{' | '}' | ':')) {
            return Err(Refused);
        }
        let name = self.name();
        let c = self.next();
        if c == Some('}') {
            return Ok(self.value(&name).unwrap_or_default().to_string());
        }
        let colon = c == Some(':');
        let op = if colon { self.next() } else { c };
        if !colon && !matches!(op, Some('-' | '+' | '?' | '#' | '%')) {
            return Err(Refused);
        }
        let word = self.word(Some('}'))?;
        let value = self.value(&name).map(str::to_string);
        let unset = value.as_deref().is_none_or(|v| colon && v.is_empty());
        match op {
            Some('-') if unset => Ok(word),
            Some('-') => Ok(value.unwrap_or_default()),
            Some('+') if unset => Ok(String::new()),
            Some('+') => Ok(word),
            Some('?') if !unset => Ok(value.unwrap_or_default()),
            _ => Err(Refused),
        }
    }
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
    fn continued_lines_are_joined_with_nothing_between() {
        // BuildKit drops the escape character and appends the next line as it is.
        assert_eq!(of("ARG W=debian\\\n:12\nFROM $W\n", &[], &[]), ["debian:12"]);
        assert_eq!(of("FROM deb\\\nian:1\\  \r\n  AS b\nFROM b\n", &[], &[]), ["debian:1"]);
        // Its leading blanks are kept: here they end the default.
        assert_eq!(of("ARG W=a\\\n  b\nFROM $W\n", &[], &[]), ["a"]);
        // An escaped escape character continues no line.
        assert_eq!(of("FROM a\nRUN dir C:\\\\\nFROM b\n", &[], &[]), ["a", "b"]);
        assert_eq!(of("# escape=`\nFROM a\nRUN dir ``\nFROM b `\n AS c\nFROM c\n", &[], &[]), ["a", "b"]);
    }

    #[test]
    fn defaults_nest_as_in_buildkits_lexer() {
        assert_eq!(of("ARG Y=deb\nARG X=${Z:-${Y}}\nFROM img:${X}\n", &[], &[]), ["img:deb"]);
        let text = "ARG Y=deb\nARG X=${A:-${B:-${Y:+c-$Y}}} W=${Y:+\"${X}\"x}\nFROM $X\nFROM $W\n";
        assert_eq!(of(text, &[], &[]), ["c-deb", "c-debx"]);
        // Without `:`, only an unset argument takes the word; an undeclared one is unset.
        let text = "ARG E=\nARG U\nFROM a${E-x}b${E:-y}c${U-z}d${E+w}e${E:+v}\n";
        assert_eq!(of(text, &[], &[]), ["abyczdwe"]);
        // `${X?}` is X when set; `$` before no name is itself, `$1` and the like are empty.
        assert_eq!(of("ARG X=x\nFROM ${X?unset}${X:?empty}:$-$1$@$\n", &[], &[]), ["xx:$"]);
        // A parent's argument in a default's word is a mention.
        assert_eq!(of("FROM ${NOPE:-$BASE}\nFROM b\n", &[], &["BASE"]), ["b"]);
    }

    #[test]
    fn quotes_and_escapes_as_in_buildkits_lexer() {
        let text = "ARG Y=no\nARG S='$Y' E=\\$Y D=\"a\\\"${Y}\\q\" B=a\\ b \"\" T=\"x y\"z\nFROM i:$S\nFROM i:$E\nFROM $D\nFROM $B\nFROM $T\nFROM \"quoted:1\"\n";
        assert_eq!(of(text, &[], &[]), ["i:$Y", "a\"no\\q", "a b", "x yz", "quoted:1"]);
        // With a backtick escape, a backslash is a character like another.
        assert_eq!(of("# escape=`\nARG X=a`$Y\\b\nFROM $X\n", &[], &[]), ["a$Y\\b"]);
    }

    #[test]
    fn form_feeds_and_vertical_tabs_are_blanks() {
        let text = "FROM debian:12\x0cAS x\nFROM x\nFROM\x0ba\x0b\x0bAS\x0cy\r\nFROM Y\n\x0c# a comment\n";
        assert_eq!(of(text, &[], &[]), ["debian:12", "a"]);
        assert_eq!(of("ARG\x0cV=1\x0bW=2\nFROM a:$V$W\n", &[], &[]), ["a:12"]);
    }

    #[test]
    fn odd_references_stay_literal() {
        assert_eq!(
            of("FROM a$\nFROM b${\nFROM c${1x}\nFROM d${X:=y}\n", &[], &[]),
            ["a$", "b${", "c${1x}", "d${X:=y}"]
        );
        // Refused by BuildKit, or not followed by pipegen: as written, no image reference.
        let text =
            "ARG V=v1\nARG P=${V#v} R=${U?no} Q='x\nFROM a:$P\nFROM b:$Q\nFROM c:$R\nFROM d${}\nFROM e${V/1/2}\n";
        assert_eq!(of(text, &[], &[]), ["a:${V#v}", "b:'x", "c:${U?no}", "d${}", "e${V/1/2}"]);
        assert_eq!(of("FROM\nFROM --platform=x\n", &[], &[]), Vec::<String>::new());
    }
}
