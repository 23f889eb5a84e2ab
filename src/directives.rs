//! A Dockerfile's parser directives, as BuildKit reads them (its parser's `DirectiveParser`):
//! lines `# key=value` at the very top, where key is `escape`, `syntax` or `check` in any case.
//! A shebang line (`#!…`) may come first. The first other line, a blank one included, ends them;
//! after it `# escape=` is a comment. Of the directives only `escape` changes how the rest is
//! read: its character (`` ` `` or `\`) continues a line. A byte-order mark before the first line
//! is no part of it: readers drop it first ([`without_byte_order_mark`]).
//!
//! `upstream::from.awk` follows the same rules; `upstream::awk`'s tests compare the two.

/// The directives BuildKit knows; any other `# key=value` ends the directives.
const KNOWN: [&str; 3] = ["escape", "syntax", "check"];

/// What separates the parts of a directive (the awk twin knows no other blanks).
const BLANKS: [char; 2] = [' ', '\t'];

/// `text` (a whole Dockerfile) without the byte-order mark BuildKit drops from its first line.
pub fn without_byte_order_mark(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// What the directives at the top of a Dockerfile say, and where they end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directives {
    /// The character that continues a line: `\` unless `# escape=` says `` ` ``.
    pub escape: char,
    /// How many lines the directives (and a leading shebang) take.
    pub lines: usize,
}

/// A directive BuildKit refuses, with its line (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectiveError {
    pub line: usize,
    pub message: String,
}

/// The directives at the top of `lines` (a Dockerfile's lines, without their line breaks and
/// without a byte-order mark).
pub fn read<'a>(lines: impl IntoIterator<Item = &'a str>) -> Result<Directives, DirectiveError> {
    let mut found = Directives { escape: '\\', lines: 0 };
    let mut seen: Vec<String> = Vec::new();
    for (index, line) in lines.into_iter().enumerate() {
        let line = line.trim_start_matches(BLANKS);
        if index == 0 && line.starts_with("#!") {
            found.lines += 1;
            continue;
        }
        let Some((key, value)) = directive(line) else { break };
        if seen.contains(&key) {
            return Err(DirectiveError {
                line: index + 1,
                message: format!("only one {key} parser directive can be used"),
            });
        }
        if key == "escape" {
            found.escape = match value {
                "\\" => '\\',
                "`" => '`',
                other => {
                    return Err(DirectiveError {
                        line: index + 1,
                        message: format!("escape directive must be ` or \\, not `{other}`"),
                    });
                }
            };
        }
        seen.push(key);
        found.lines += 1;
    }
    Ok(found)
}

/// The escape character of `text` (a whole Dockerfile, without a byte-order mark); `\` when its
/// directives are refused, as the build then fails whatever is read.
pub fn escape_of(text: &str) -> char {
    read(text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l))).map_or('\\', |d| d.escape)
}

/// `# key = value` with a known key (lower-cased) and its value (trimmed), or `None`.
fn directive(line: &str) -> Option<(String, &str)> {
    let rest = line.strip_prefix('#')?.trim_start_matches(BLANKS);
    let key_end = rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
    let key = &rest[..key_end];
    if !key.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let value = rest[key_end..].trim_start_matches(BLANKS).strip_prefix('=')?.trim_matches(BLANKS);
    let key = key.to_ascii_lowercase();
    (!value.is_empty() && KNOWN.contains(&key.as_str())).then_some((key, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a reader of the whole text sees.
    fn escape(text: &str) -> char {
        escape_of(without_byte_order_mark(text))
    }

    #[test]
    fn escape_changes_the_continuation_character() {
        assert_eq!(escape("# escape=`\nFROM windows\n"), '`');
        assert_eq!(escape("#escape = `\nFROM windows\n"), '`');
        assert_eq!(escape("# ESCAPE=\\\nFROM x\n"), '\\');
        assert_eq!(escape("FROM x\n"), '\\');
    }

    #[test]
    fn directives_are_only_the_lines_at_the_very_top() {
        assert_eq!(escape("# syntax=docker/dockerfile:1\n# check=skip=all\n# escape=`\nFROM x\n"), '`');
        assert_eq!(escape("#!/usr/bin/env buildctl\n# escape=`\nFROM x\n"), '`');
        assert_eq!(escape("\u{feff}# escape=`\r\nFROM x\r\n"), '`');
        assert_eq!(escape("  # escape=`\nFROM x\n"), '`');
        // A blank line, a comment, an unknown directive or an instruction ends them.
        assert_eq!(escape("\n# escape=`\nFROM x\n"), '\\');
        assert_eq!(escape("# hello\n# escape=`\nFROM x\n"), '\\');
        assert_eq!(escape("# foo=bar\n# escape=`\nFROM x\n"), '\\');
        assert_eq!(escape("FROM x\n# escape=`\n"), '\\');
        // A shebang counts only on the first line.
        assert_eq!(escape("# syntax=x\n#!/bin/sh\n# escape=`\nFROM x\n"), '\\');
    }

    #[test]
    fn refused_directives_name_their_line() {
        let lines = ["# escape=`", "# escape=\\", "FROM x"];
        assert_eq!(read(lines).unwrap_err().line, 2);
        let error = read(["# syntax=x", "# escape=a"]).unwrap_err();
        assert_eq!(error.line, 2);
        assert!(error.message.contains("must be ` or \\"), "{}", error.message);
        assert_eq!(read(["# syntax=x", "# escape=`", "FROM x"]).unwrap(), Directives { escape: '`', lines: 2 });
    }
}
