//! One ignore pattern, compiled the way each builder compiles it, and matched against a path.
//!
//! Both builders turn a pattern into a Go regular expression character by character. BuildKit
//! (moby/patternmatcher) escapes `.+()|{}$`, answers some patterns without the regular expression
//! (an exact name, a prefix before a trailing `**`, a suffix after a leading `**`) and anchors the
//! rest as `^…$`. buildah (containers/storage fileutils) escapes only `.` and `$` and anchors as
//! `^…(/.*)?$`, so a pattern also matches everything under what it names. Whatever a pattern may
//! mean only through an accident of that translation (a `\d` that is a digit class, a `*` inside
//! `[…]`, an anchor `^`, buildah's `+` repetition) is refused rather than guessed.

use super::Builder;
use super::go::runes;

/// How a compiled pattern decides whether it matches a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matcher {
    /// The path is exactly these bytes.
    Exact(Vec<u8>),
    /// The path starts with these bytes (BuildKit's `name**`, `dir/**`).
    Prefix(Vec<u8>),
    /// The path ends with these bytes, or is them without their leading `/` (BuildKit's `**name`).
    Suffix(Vec<u8>),
    /// The whole path, as runes, is matched by this sequence.
    Program(Vec<Token>),
}

/// One step of a pattern's regular expression, over runes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// This rune.
    Rune(u32),
    /// `?`, `[^/]`: one rune other than `/`.
    NotSlash,
    /// `*`, `[^/]*`: any runes other than `/`.
    Star,
    /// `**` before more pattern, `(.*/)?`: nothing, or runes other than a newline ending in `/`.
    AnyDirs,
    /// `**` at the end, `.*`: any runes other than a newline.
    AnyTail,
    /// `[…]`: one rune in (or, negated, not in) these inclusive ranges; `/` and newline included.
    Class { negated: bool, ranges: Vec<(u32, u32)> },
    /// buildah's `(/.*)?` after every pattern: nothing, or `/` and runes other than a newline.
    SubPath,
}

/// Why a pattern is refused: the part of it that is at fault, and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub snippet: String,
    pub message: String,
}

fn refuse(snippet: impl Into<String>, message: impl Into<String>) -> Refusal {
    Refusal { snippet: snippet.into(), message: message.into() }
}

fn text(rune: u32) -> String {
    char::from_u32(rune).map(String::from).unwrap_or_default()
}

/// Compile `cleaned` (a pattern after the builder's reader and `filepath.Clean`, without its `!`,
/// valid UTF-8, accepted by `filepath.Match`) as `builder` does.
pub fn compile(cleaned: &[u8], builder: Builder) -> Result<Matcher, Refusal> {
    #[derive(PartialEq)]
    enum Detected {
        Exact,
        Prefix,
        Suffix,
        Regexp,
    }
    let rs = runes(cleaned);
    let mut tokens = Vec::new();
    let mut detected = Detected::Exact;
    let mut j = 0;
    let mut first = true;
    while j < rs.len() {
        let c = rs[j];
        j += 1;
        match char::from_u32(c).unwrap_or('\u{FFFD}') {
            '*' if rs.get(j) == Some(&u32::from('*')) => {
                j += 1;
                if rs.get(j) == Some(&u32::from('/')) {
                    j += 1;
                }
                if j == rs.len() {
                    if builder == Builder::BuildKit && detected == Detected::Exact {
                        detected = Detected::Prefix;
                    } else {
                        tokens.push(Token::AnyTail);
                        detected = Detected::Regexp;
                    }
                } else {
                    tokens.push(Token::AnyDirs);
                    detected = Detected::Regexp;
                }
                if first {
                    detected = Detected::Suffix;
                }
            }
            '*' => {
                tokens.push(Token::Star);
                detected = Detected::Regexp;
            }
            '?' => {
                tokens.push(Token::NotSlash);
                detected = Detected::Regexp;
            }
            '\\' => {
                let escaped = rs[j];
                j += 1;
                literal_escape(escaped)?;
                tokens.push(Token::Rune(escaped));
                detected = Detected::Regexp;
            }
            '[' => {
                let (token, next) = class(&rs, j)?;
                tokens.push(token);
                j = next;
                detected = Detected::Regexp;
            }
            ']' => {
                tokens.push(Token::Rune(c));
                detected = Detected::Regexp;
            }
            '^' => {
                return Err(refuse(
                    "^",
                    "both builders pass `^` into a regular expression, where it is an anchor, not a character",
                ));
            }
            '+' | '(' | ')' | '|' | '{' | '}' if builder == Builder::Buildah => {
                let op = text(c);
                return Err(refuse(
                    op.clone(),
                    format!(
                        "buildah passes `{op}` into a regular expression as an operator; write `\\{op}` to mean the character `{op}` (BuildKit reads it the same)"
                    ),
                ));
            }
            _ => tokens.push(Token::Rune(c)),
        }
        first = false;
    }
    if builder == Builder::Buildah {
        tokens.push(Token::SubPath);
        return Ok(Matcher::Program(tokens));
    }
    Ok(match detected {
        Detected::Exact => Matcher::Exact(cleaned.to_vec()),
        Detected::Prefix => Matcher::Prefix(cleaned[..cleaned.len() - 2].to_vec()),
        Detected::Suffix => Matcher::Suffix(cleaned[2..].to_vec()),
        Detected::Regexp => Matcher::Program(tokens),
    })
}

/// An escaped rune is a literal only when it is ASCII punctuation or space: Go's regexp reads `\d`,
/// `\w`, `\b`, `\Q`, `\x41`… as classes, anchors and codes, and rejects other escapes.
fn literal_escape(escaped: u32) -> Result<(), Refusal> {
    let c = char::from_u32(escaped).unwrap_or('\u{FFFD}');
    if c.is_ascii() && !c.is_ascii_alphanumeric() {
        return Ok(());
    }
    Err(refuse(
        format!("\\{c}"),
        format!(
            "both builders pass `\\{c}` into a Go regular expression, where it is not the character `{c}`; write `{c}` without the `\\`"
        ),
    ))
}

/// The class starting after its `[` at `j` (well formed: `filepath.Match` accepted it), and the
/// index after its `]`.
fn class(rs: &[u32], mut j: usize) -> Result<(Token, usize), Refusal> {
    let negated = rs[j] == u32::from('^');
    if negated {
        j += 1;
    }
    let mut ranges = Vec::new();
    loop {
        if rs[j] == u32::from(']') && !ranges.is_empty() {
            return Ok((Token::Class { negated, ranges }, j + 1));
        }
        let lo = class_char(rs, &mut j)?;
        let mut hi = lo;
        if rs[j] == u32::from('-') {
            j += 1;
            hi = class_char(rs, &mut j)?;
        }
        if lo > hi {
            return Err(refuse(
                format!("{}-{}", text(lo), text(hi)),
                "this range runs backwards: Go's regexp rejects it, and BuildKit fails the build",
            ));
        }
        ranges.push((lo, hi));
    }
}

fn class_char(rs: &[u32], j: &mut usize) -> Result<u32, Refusal> {
    let c = rs[*j];
    *j += 1;
    match char::from_u32(c).unwrap_or('\u{FFFD}') {
        '\\' => {
            let escaped = rs[*j];
            *j += 1;
            literal_escape(escaped)?;
            Ok(escaped)
        }
        '*' | '?' => Err(refuse(
            text(c),
            format!(
                "inside `[…]` both builders turn `{}` into a class of their own, so the brackets stop meaning one character; write `\\{}`",
                text(c),
                text(c)
            ),
        )),
        '[' if rs.get(*j) == Some(&u32::from(':')) => Err(refuse(
            "[:",
            "`[:` inside `[…]` starts a POSIX class in Go's regexp, not in filepath.Match; write `\\[:`",
        )),
        _ => Ok(c),
    }
}

impl Matcher {
    /// Whether the pattern matches `path` (slash-separated, relative to the context).
    pub fn matches(&self, path: &[u8], path_runes: &[u32]) -> bool {
        match self {
            Matcher::Exact(name) => path == name.as_slice(),
            Matcher::Prefix(prefix) => path.starts_with(prefix),
            Matcher::Suffix(suffix) => {
                path.ends_with(suffix) || (suffix.first() == Some(&b'/') && path == &suffix[1..])
            }
            Matcher::Program(tokens) => run(tokens, path_runes),
        }
    }
}

const SLASH: u32 = '/' as u32;
const NEWLINE: u32 = '\n' as u32;

/// Whether `tokens` match all of `input`: the set of positions reachable after each token, each
/// token applied in one pass (a regular expression without alternation inside tokens needs no
/// backtracking).
fn run(tokens: &[Token], input: &[u32]) -> bool {
    let n = input.len();
    let mut at = vec![false; n + 1];
    at[0] = true;
    let mut next = vec![false; n + 1];
    for token in tokens {
        next.iter_mut().for_each(|b| *b = false);
        match token {
            Token::Rune(r) => step(&at, &mut next, input, |c| c == *r),
            Token::NotSlash => step(&at, &mut next, input, |c| c != SLASH),
            Token::Class { negated, ranges } => {
                step(&at, &mut next, input, |c| ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&c)) != *negated)
            }
            Token::Star => spread(&at, &mut next, input, SLASH),
            Token::AnyTail => spread(&at, &mut next, input, NEWLINE),
            Token::AnyDirs => {
                let mut any = vec![false; n + 1];
                spread(&at, &mut any, input, NEWLINE);
                for p in 0..=n {
                    next[p] = at[p] || (p > 0 && input[p - 1] == SLASH && any[p - 1]);
                }
            }
            Token::SubPath => {
                let mut after_slash = vec![false; n + 1];
                step(&at, &mut after_slash, input, |c| c == SLASH);
                spread(&after_slash, &mut next, input, NEWLINE);
                for p in 0..=n {
                    next[p] = next[p] || at[p];
                }
            }
        }
        std::mem::swap(&mut at, &mut next);
        if !at.iter().any(|&b| b) {
            return false;
        }
    }
    at[n]
}

/// One rune that satisfies `ok`.
fn step(at: &[bool], next: &mut [bool], input: &[u32], ok: impl Fn(u32) -> bool) {
    for p in 0..input.len() {
        if at[p] && ok(input[p]) {
            next[p + 1] = true;
        }
    }
}

/// Any number of runes other than `stop`.
fn spread(at: &[bool], next: &mut [bool], input: &[u32], stop: u32) {
    let mut carry = false;
    for p in 0..at.len() {
        carry |= at[p];
        next[p] = carry;
        if p < input.len() && input[p] == stop {
            carry = false;
        }
    }
}

/// Whether `rune` is one a pattern may not hold: Go's text/scanner, which both builders read
/// patterns with, reports NUL and drops a leading byte-order mark that the exact-name comparison
/// keeps.
pub fn forbidden_rune(rune: u32) -> bool {
    rune == 0 || rune == 0xFEFF
}
