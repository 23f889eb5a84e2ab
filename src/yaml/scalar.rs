//! How one string is written: plain, single-quoted, double-quoted with escapes, or as a literal
//! block, so that YAML 1.1 and 1.2 readers both read back exactly that string.
//!
//! The choice follows libyaml's emitter (what serde_yaml used), so output stays as it was,
//! with four differences: scalars that YAML 1.1 reads as something else are quoted (see
//! [`super::resolve`]); the line and paragraph separators U+2028 and U+2029, line breaks to
//! YAML 1.1 and content to 1.2, are escaped instead of written raw inside single quotes;
//! invisible characters (see [`is_invisible`]) are escaped, so that a reader of the file sees
//! every character a value holds and bidirectional overrides cannot reorder what the file
//! seems to say; and a key never becomes a literal block (a key with a line break is
//! double-quoted).

use std::fmt::Write as _;

use super::resolve::reads_as_non_string;

/// The ways pipegen writes a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    /// `|` with the indentation and chomping indicators the text needs.
    Literal,
}

/// Whether the string is a mapping key or a value; keys have no literal blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Key,
    Value,
}

/// The style `text` is written in.
pub fn style(text: &str, role: Role) -> Style {
    let facts = Facts::of(text);
    if facts.special {
        return Style::DoubleQuoted;
    }
    if facts.line_break {
        let literal_allowed = role == Role::Value && !facts.trailing_space && !facts.space_before_break;
        return if literal_allowed { Style::Literal } else { Style::DoubleQuoted };
    }
    if facts.indicator || facts.leading_space || facts.trailing_space || reads_as_non_string(text) {
        Style::SingleQuoted
    } else {
        Style::Plain
    }
}

/// What the style depends on, found in one pass over the text.
#[derive(Debug, Default)]
struct Facts {
    /// A character that only a double-quoted scalar can hold: a control character (tab and
    /// carriage return included), DEL, C1 controls (NEL included), U+2028, U+2029, U+FFFE or
    /// U+FFFF; or one written escaped so that it can be seen ([`is_invisible`]).
    special: bool,
    /// A `\n`.
    line_break: bool,
    /// Something that ends or changes a plain scalar in block context: an indicator character
    /// at the start, `: ` or a final `:`, ` #`, or a document marker `---` or `...` at the start.
    indicator: bool,
    leading_space: bool,
    trailing_space: bool,
    /// A space right before a line break, which a literal block cannot keep reliably.
    space_before_break: bool,
}

impl Facts {
    fn of(text: &str) -> Facts {
        let bytes = text.as_bytes();
        let mut facts = Facts {
            leading_space: bytes.first() == Some(&b' '),
            trailing_space: bytes.last() == Some(&b' '),
            indicator: bytes.starts_with(b"---") || bytes.starts_with(b"..."),
            ..Facts::default()
        };
        if let Some(&first) = bytes.first() {
            let followed_by_blank = matches!(bytes.get(1), None | Some(b' ' | b'\t' | b'\n' | b'\r'));
            facts.indicator |= match first {
                b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%'
                | b'@' | b'`' => true,
                b'?' | b':' | b'-' => followed_by_blank,
                _ => false,
            };
        }
        for (i, &byte) in bytes.iter().enumerate() {
            if !NOTABLE[usize::from(byte)] {
                continue;
            }
            let previous = if i == 0 { b'\n' } else { bytes[i - 1] };
            match byte {
                b'\n' => {
                    facts.line_break = true;
                    facts.space_before_break |= previous == b' ';
                }
                b':' => facts.indicator |= i > 0 && matches!(bytes.get(i + 1), None | Some(b' ' | b'\n')),
                b'#' => facts.indicator |= i > 0 && matches!(previous, b' ' | b'\n'),
                b'\0'..=0x1F | 0x7F => facts.special = true,
                _ => facts.special |= text[i..].chars().next().is_some_and(needs_escape),
            }
        }
        facts
    }
}

/// The bytes the scan must look at: line breaks, `:` and `#`, control characters, and the
/// first byte of every non-ASCII character (whether it needs escaping is asked of the character).
const NOTABLE: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = byte < 0x20 || byte == 0x7F || matches!(byte, 0xC2..=0xF4);
        byte += 1;
    }
    table[b':' as usize] = true;
    table[b'#' as usize] = true;
    table
};

/// Whether `c` is a character a quoted or literal scalar cannot hold raw: a C1 control
/// (U+0080 to U+009F, NEL among them), U+2028, U+2029, U+FFFE or U+FFFF; or one that is
/// written escaped because it cannot be seen ([`is_invisible`]).
fn needs_escape(c: char) -> bool {
    matches!(c, '\u{80}'..='\u{9F}' | '\u{2028}' | '\u{2029}' | '\u{FFFE}' | '\u{FFFF}') || is_invisible(c)
}

/// Characters that take no room or change the direction of the text around them: format
/// characters (soft hyphen, zero-width spaces and joiners, direction marks, embeddings,
/// overrides and isolates, the byte order mark, tags), variation selectors, fillers and
/// invisible vowels. A file that holds them raw can read differently from what it does (the
/// "Trojan Source" attacks); written as escapes, they are seen. The set is the one GitHub
/// linters (jactionlint's `invisible-characters`) report, which holds Unicode's format
/// characters that render as nothing.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{AD}'
            | '\u{34F}'
            | '\u{61C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E01FF}'
    )
}

/// Append `text` single-quoted.
pub fn write_single_quoted(out: &mut String, text: &str) {
    out.push('\'');
    let mut rest = text;
    while let Some(at) = rest.find('\'') {
        out.push_str(&rest[..=at]);
        out.push('\'');
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
    out.push('\'');
}

/// Append `text` double-quoted, escaping what cannot stand raw.
pub fn write_double_quoted(out: &mut String, text: &str) {
    out.push('"');
    let mut plain_from = 0;
    for (at, c) in text.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\0' => "\\0",
            '\u{7}' => "\\a",
            '\u{8}' => "\\b",
            '\t' => "\\t",
            '\n' => "\\n",
            '\u{B}' => "\\v",
            '\u{C}' => "\\f",
            '\r' => "\\r",
            '\u{1B}' => "\\e",
            '\u{85}' => "\\N",
            '\u{2028}' => "\\L",
            '\u{2029}' => "\\P",
            c if c.is_ascii_control() || needs_escape(c) => "",
            _ => continue,
        };
        out.push_str(&text[plain_from..at]);
        if escape.is_empty() {
            let code = u32::from(c);
            let _ = match code {
                0..=0xFF => write!(out, "\\x{code:02X}"),
                0x100..=0xFFFF => write!(out, "\\u{code:04X}"),
                _ => write!(out, "\\U{code:08X}"),
            };
        } else {
            out.push_str(escape);
        }
        plain_from = at + c.len_utf8();
    }
    out.push_str(&text[plain_from..]);
    out.push('"');
}

/// The header of a literal block for `text`: `|`, an indentation indicator when the first line
/// starts with a space or is empty (the reader could not guess the indentation), and the
/// chomping indicator that keeps exactly the final line breaks `text` has.
pub fn literal_header(text: &str) -> &'static str {
    let bytes = text.as_bytes();
    let needs_indent = matches!(bytes.first(), Some(b' ' | b'\n'));
    let chomp = match bytes {
        [.., b'\n', b'\n'] | [b'\n'] => Chomp::Keep,
        [.., b'\n'] => Chomp::Clip,
        _ => Chomp::Strip,
    };
    match (needs_indent, chomp) {
        (false, Chomp::Clip) => "|",
        (false, Chomp::Strip) => "|-",
        (false, Chomp::Keep) => "|+",
        (true, Chomp::Clip) => "|2",
        (true, Chomp::Strip) => "|2-",
        (true, Chomp::Keep) => "|2+",
    }
}

enum Chomp {
    Clip,
    Strip,
    Keep,
}

/// Append the lines of a literal block, each non-empty one indented by `indent` spaces, each
/// ended by a line break. The header is written already.
pub fn write_literal_body(out: &mut String, text: &str, indent: usize) {
    // The final line break belongs to the block (clip or keep); without one, the block is stripped.
    let body = text.strip_suffix('\n').unwrap_or(text);
    for line in body.split('\n') {
        if !line.is_empty() {
            super::writer::push_spaces(out, indent);
            out.push_str(line);
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles() {
        let cases = [
            ("plain", Style::Plain),
            ("a: b", Style::SingleQuoted),
            ("a:", Style::SingleQuoted),
            ("a:b", Style::Plain),
            ("a #b", Style::SingleQuoted),
            ("a#b", Style::Plain),
            ("-a", Style::Plain),
            ("- a", Style::SingleQuoted),
            ("-", Style::SingleQuoted),
            ("?a", Style::Plain),
            ("? a", Style::SingleQuoted),
            (":a", Style::SingleQuoted),
            ("---", Style::SingleQuoted),
            ("...x", Style::SingleQuoted),
            ("@a", Style::SingleQuoted),
            ("`a", Style::SingleQuoted),
            ("%a", Style::SingleQuoted),
            (" a", Style::SingleQuoted),
            ("a ", Style::SingleQuoted),
            ("", Style::SingleQuoted),
            ("yes", Style::SingleQuoted),
            ("1_000", Style::SingleQuoted),
            ("a\tb", Style::DoubleQuoted),
            ("a\rb", Style::DoubleQuoted),
            ("a\u{85}b", Style::DoubleQuoted),
            ("a\u{2028}b", Style::DoubleQuoted),
            ("\u{FEFF}a", Style::DoubleQuoted),
            ("a\u{7F}", Style::DoubleQuoted),
            ("a\u{AD}b", Style::DoubleQuoted),
            ("ab\u{202E}cd", Style::DoubleQuoted),
            ("a\u{200B}\nb", Style::DoubleQuoted),
            ("\u{E0041}", Style::DoubleQuoted),
            ("🚀 é\u{A0}\u{3000}ÿ\u{FFFD}", Style::Plain),
            ("a\nb", Style::Literal),
            ("a \nb", Style::DoubleQuoted),
            ("a\nb ", Style::DoubleQuoted),
            ("a\n b", Style::Literal),
            ("\n", Style::Literal),
        ];
        for (text, expected) in cases {
            assert_eq!(style(text, Role::Value), expected, "{text:?}");
        }
        assert_eq!(style("a\nb", Role::Key), Style::DoubleQuoted);
    }

    #[test]
    fn escapes() {
        let mut out = String::new();
        write_double_quoted(&mut out, "\"\\\0\t\n\r\u{1}\u{7F}\u{85}\u{9F}\u{2028}\u{2029}\u{FEFF}\u{FFFF}é🚀");
        assert_eq!(out, r#""\"\\\0\t\n\r\x01\x7F\N\x9F\L\P\uFEFF\uFFFFé🚀""#);
        let mut out = String::new();
        write_single_quoted(&mut out, "it's 'x'");
        assert_eq!(out, "'it''s ''x'''");
    }

    #[test]
    fn invisible_characters_are_escaped_and_read_back() {
        let text = "a\u{AD}\u{34F}\u{61C}\u{200B}\u{202E}\u{2066}\u{3164}\u{FE0F}\u{FFA0}\u{1D173}\u{E0001}\u{E01EF}b";
        let mut out = String::new();
        write_double_quoted(&mut out, text);
        assert_eq!(out, r#""a\xAD\u034F\u061C\u200B\u202E\u2066\u3164\uFE0F\uFFA0\U0001D173\U000E0001\U000E01EFb""#);
        assert!(out.is_ascii());
        let back: String = serde_yaml::from_str(&out).expect("a YAML string");
        assert_eq!(back, text);
        // Neighbours of the set stay raw: visible spaces, a visible format character, emoji.
        for c in ['\u{A0}', '\u{2000}', '\u{202F}', '\u{600}', '\u{110BD}', '\u{1F680}', '\u{FFFC}'] {
            assert!(!needs_escape(c), "{c:?}");
        }
    }

    #[test]
    fn literal_headers() {
        assert_eq!(literal_header("a\nb"), "|-");
        assert_eq!(literal_header("a\nb\n"), "|");
        assert_eq!(literal_header("a\nb\n\n"), "|+");
        assert_eq!(literal_header("\n"), "|2+");
        assert_eq!(literal_header(" a\nb"), "|2-");
        assert_eq!(literal_header("\na\n"), "|2");
    }
}
