//! Reading an ignore file into patterns, line by line, as each builder does before matching.
//!
//! BuildKit (moby/patternmatcher's `ignorefile.ReadAll`, then `patternmatcher.New`): lines split at
//! `\n` with one trailing `\r` dropped, a UTF-8 byte-order mark dropped from the first line, lines
//! starting with `#` skipped, white space trimmed, a leading `!` taken off, the rest trimmed and
//! cleaned (`filepath.Clean`) with one leading `/` dropped, then trimmed and cleaned again.
//! buildah (openshift/imagebuilder's `ParseIgnore`, then containers/storage's
//! `NewPatternMatcher`): lines split at `\n`, empty lines and lines starting with `#` skipped,
//! every leading and trailing `/` trimmed, then white space trimmed and the line cleaned; after a
//! `!` the rest is cleaned again and loses a leading `/`.

use super::go::{clean, match_syntax_error, trim_space, valid_utf8};
use super::pattern::{Matcher, compile, forbidden_rune};
use super::{Builder, IgnoreError};

/// Longer patterns are refused: no path in a repository is that long, and BuildKit's line reader
/// stops at 64 KiB.
pub const MAX_PATTERN_BYTES: usize = 4096;

/// One pattern of an ignore file, compiled.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// Its line in the file, from 1.
    pub line: usize,
    /// `!`: a path it matches is sent again.
    pub exception: bool,
    /// The pattern as the builder keeps it (cleaned, without `!`).
    pub cleaned: Vec<u8>,
    pub matcher: Matcher,
}

/// A line of the file: its number and its bytes (without the line end).
struct Line<'a> {
    number: usize,
    bytes: &'a [u8],
}

/// The patterns of `content` as `builder` reads them, or every error of the file.
pub fn read(file: &str, content: &[u8], builder: Builder) -> Result<Vec<Pattern>, Vec<IgnoreError>> {
    let lines = match builder {
        Builder::BuildKit => buildkit_lines(content),
        Builder::Buildah => buildah_lines(content),
    };
    let mut patterns = Vec::new();
    let mut errors = Vec::new();
    for line in lines {
        let error = |column: usize, message: String, help: &str| IgnoreError {
            file: file.to_string(),
            line: line.number,
            column,
            message,
            help: help.to_string(),
        };
        let Some(raw) = pattern_text(line.bytes, builder) else { continue };
        if raw.len() > MAX_PATTERN_BYTES {
            errors.push(error(1, format!("a pattern of {} bytes", raw.len()), "keep patterns under 4096 bytes"));
            continue;
        }
        if !valid_utf8(line.bytes) || line.bytes.contains(&0) || contains_bom(line.bytes) {
            errors.push(error(
                1,
                "this line is not plain UTF-8 text (an invalid byte, a NUL or a byte-order mark)".to_string(),
                "save the ignore file as UTF-8 without byte-order marks inside it",
            ));
            continue;
        }
        let Some((exception, cleaned)) = builder_pattern(&raw, builder) else { continue };
        let column = column_of(line.bytes, &cleaned);
        if cleaned.is_empty() {
            errors.push(error(
                column,
                "`!` with no pattern after it: both builders stop with `illegal exclusion pattern: \"!\"`".to_string(),
                "remove the line, or name what to send again after the `!`",
            ));
            continue;
        }
        if let Some((offset, why)) = match_syntax_error(&cleaned) {
            let at = String::from_utf8_lossy(&cleaned[offset..]).chars().take(1).collect::<String>();
            errors.push(error(
                column_of(line.bytes, at.as_bytes()).max(column),
                format!("`{}` is not a valid pattern: {why}", String::from_utf8_lossy(&cleaned)),
                "both builders stop the build with `syntax error in pattern`",
            ));
            continue;
        }
        match compile(&cleaned, builder) {
            Ok(matcher) => patterns.push(Pattern { line: line.number, exception, cleaned, matcher }),
            Err(refusal) => errors.push(error(
                column_of(line.bytes, refusal.snippet.as_bytes()).max(column),
                format!("`{}`: {}", String::from_utf8_lossy(&cleaned), refusal.message),
                "pipegen refuses what it cannot hash exactly as the builder sends it",
            )),
        }
    }
    if errors.is_empty() { Ok(patterns) } else { Err(errors) }
}

fn contains_bom(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|s| s.chars().any(|c| forbidden_rune(u32::from(c))))
}

/// The 1-based column where `needle` first appears in `line`, else 1.
fn column_of(line: &[u8], needle: &[u8]) -> usize {
    if needle.is_empty() {
        return 1;
    }
    let at = line.windows(needle.len()).position(|w| w == needle).unwrap_or(0);
    String::from_utf8_lossy(&line[..at]).chars().count() + 1
}

/// bufio.ScanLines: split at `\n`, one trailing `\r` dropped, no empty last line; the first
/// line loses a byte-order mark.
fn buildkit_lines(content: &[u8]) -> Vec<Line<'_>> {
    let mut lines: Vec<Line<'_>> = Vec::new();
    let mut rest = content;
    while !rest.is_empty() {
        let (mut line, tail) = match rest.iter().position(|&b| b == b'\n') {
            Some(end) => (&rest[..end], &rest[end + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        if let Some(stripped) = line.strip_suffix(b"\r") {
            line = stripped;
        }
        if lines.is_empty()
            && let Some(stripped) = line.strip_prefix(b"\xEF\xBB\xBF")
        {
            line = stripped;
        }
        lines.push(Line { number: lines.len() + 1, bytes: line });
        rest = tail;
    }
    lines
}

/// strings.Split at `\n`, every piece a line.
fn buildah_lines(content: &[u8]) -> Vec<Line<'_>> {
    content.split(|&b| b == b'\n').enumerate().map(|(i, bytes)| Line { number: i + 1, bytes }).collect()
}

/// What the builder's file reader hands on for one line, or None for a line it skips.
fn pattern_text(line: &[u8], builder: Builder) -> Option<Vec<u8>> {
    match builder {
        Builder::BuildKit => {
            if line.starts_with(b"#") {
                return None;
            }
            let trimmed = trim_space(line);
            if trimmed.is_empty() {
                return None;
            }
            let (invert, body) = match trimmed.strip_prefix(b"!") {
                Some(rest) => (true, trim_space(rest)),
                None => (false, trimmed),
            };
            let mut pattern = body.to_vec();
            if !pattern.is_empty() {
                pattern = clean(&pattern);
                if pattern.len() > 1 && pattern[0] == b'/' {
                    pattern.remove(0);
                }
            }
            if invert {
                pattern.insert(0, b'!');
            }
            Some(pattern)
        }
        Builder::Buildah => {
            if line.is_empty() || line[0] == b'#' {
                return None;
            }
            let start = line.iter().position(|&b| b != b'/')?;
            let end = line.iter().rposition(|&b| b != b'/')? + 1;
            Some(line[start..end].to_vec())
        }
    }
}

/// What the builder's pattern matcher keeps of one pattern: whether it is an exception, and the
/// cleaned pattern (empty for a lone `!`, which both refuse); None when it skips it.
fn builder_pattern(text: &[u8], builder: Builder) -> Option<(bool, Vec<u8>)> {
    let trimmed = trim_space(text);
    if trimmed.is_empty() {
        return None;
    }
    let cleaned = clean(trimmed);
    let Some(rest) = cleaned.strip_prefix(b"!") else { return Some((false, cleaned)) };
    let rest = match builder {
        Builder::BuildKit => rest.to_vec(),
        Builder::Buildah => {
            if rest.is_empty() {
                return Some((true, Vec::new()));
            }
            let again = clean(rest);
            again.strip_prefix(b"/").map(<[u8]>::to_vec).unwrap_or(again)
        }
    };
    Some((true, rest))
}
