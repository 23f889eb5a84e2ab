//! Text from a model, made safe to print: a value may hold terminal escape sequences, control
//! characters or a hundred kilobytes on one line, and none of that may reach a terminal as it is.
//!
//! Every message pipegen prints about a model goes through [`for_terminal`], with or without
//! colour; the source lines under a message go through [`escape_except_tab`] (see `excerpt`).

use std::borrow::Cow;
use std::fmt::Write;

/// Values quoted in a message (`like this`) are cut to about this many characters.
const MAX_QUOTED_CHARS: usize = 120;

/// A whole message is cut to about this many characters.
const MAX_MESSAGE_CHARS: usize = 2_000;

/// Characters that act on a terminal, change how the text around them reads, or cannot be seen:
/// controls (C0, DEL, C1), line and paragraph separators, every format character (Unicode
/// category Cf: direction marks, overrides and isolates, zero-width spaces and joiners, the soft
/// hyphen, the byte order mark, tags, …) and every default-ignorable code point (variation
/// selectors, fillers, invisible vowels). `a\u{200b}` printed raw reads as `a`.
pub fn is_unprintable(c: char) -> bool {
    c.is_control()
        || crate::yaml::is_invisible(c)
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                // Format characters that are not default-ignorable (they show as a sign, or not).
                | '\u{600}'..='\u{605}'
                | '\u{6dd}'
                | '\u{70f}'
                | '\u{890}'..='\u{891}'
                | '\u{8e2}'
                | '\u{110bd}'
                | '\u{110cd}'
                // The rest of the default-ignorable plane-14 block, past the tags and selectors.
                | '\u{e0000}'..='\u{e0fff}'
        )
}

/// How an unprintable character is written: `\n`, `\t`, `\r`, `\0`, or `\u{1b}`.
pub fn escaped(c: char) -> String {
    match c {
        '\n' => "\\n".to_string(),
        '\t' => "\\t".to_string(),
        '\r' => "\\r".to_string(),
        '\0' => "\\0".to_string(),
        other => format!("\\u{{{:x}}}", u32::from(other)),
    }
}

/// `text` with every unprintable character escaped.
pub fn escape(text: &str) -> Cow<'_, str> {
    escape_where(text, is_unprintable)
}

/// `text` with every unprintable character but the tab escaped (for source lines, where the
/// renderer expands tabs itself).
pub fn escape_except_tab(text: &str) -> Cow<'_, str> {
    escape_where(text, |c| c != '\t' && is_unprintable(c))
}

/// `text` with every unprintable character but the newline escaped (for messages of several
/// lines, such as git's own).
pub fn escape_keeping_lines(text: &str) -> Cow<'_, str> {
    escape_where(text, |c| c != '\n' && is_unprintable(c))
}

/// A unified diff with every unprintable character escaped but its line ends and tabs: two
/// lines that differ only in an invisible character (a byte order mark) are seen to differ.
pub fn escape_diff(text: &str) -> Cow<'_, str> {
    escape_where(text, |c| c != '\n' && c != '\t' && is_unprintable(c))
}

fn escape_where(text: &str, unprintable: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&unprintable) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unprintable(c) {
            out.push_str(&escaped(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The name of a character for messages: `U+001B (escape)`.
pub fn describe(c: char) -> String {
    let name = match c {
        '\0' => Some("NUL"),
        '\t' => Some("tab"),
        '\n' => Some("newline"),
        '\r' => Some("carriage return"),
        '\u{1b}' => Some("escape"),
        '\u{7f}' => Some("delete"),
        '\u{85}' => Some("next line"),
        '\u{2028}' => Some("line separator"),
        '\u{2029}' => Some("paragraph separator"),
        '\u{feff}' => Some("zero-width no-break space"),
        '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
            Some("bidirectional text control")
        }
        _ => None,
    };
    let mut text = String::new();
    let _ = write!(text, "U+{:04X}", u32::from(c));
    if let Some(name) = name {
        let _ = write!(text, " ({name})");
    }
    text
}

/// A message as it may be printed: unprintable characters escaped, each value quoted in
/// backticks cut to its start and end when it is long, and the whole bounded.
pub fn for_terminal(message: &str) -> String {
    let escaped = escape(message);
    let mut out = String::with_capacity(escaped.len().min(MAX_MESSAGE_CHARS * 4));
    // Split on backticks: odd pieces are quoted values.
    for (i, piece) in escaped.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 {
            out.push_str(&shorten(piece, MAX_QUOTED_CHARS));
        } else {
            out.push_str(piece);
        }
    }
    shorten(&out, MAX_MESSAGE_CHARS).into_owned()
}

/// `text` cut to about `max` characters: its start, `…`, and its end.
pub fn shorten(text: &str, max: usize) -> Cow<'_, str> {
    let count = text.chars().count();
    if count <= max {
        return Cow::Borrowed(text);
    }
    let head = max * 2 / 3;
    let tail = max - head - 1;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(count - tail).collect();
    Cow::Owned(format!("{start}…{end}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidirectional_overrides() {
        assert_eq!(escape("a\u{1b}[31mred\u{7}"), "a\\u{1b}[31mred\\u{7}");
        assert_eq!(escape("x\ny\tz\0"), "x\\ny\\tz\\0");
        assert_eq!(escape("evil\u{202e}txt"), "evil\\u{202e}txt");
        assert_eq!(escape("é → ok"), "é → ok");
        assert_eq!(escape_except_tab("a\tb\u{9b}"), "a\tb\\u{9b}");
    }

    #[test]
    fn escapes_what_cannot_be_seen() {
        // Format characters (Cf), default-ignorable code points, variation selectors.
        for (c, shown) in [
            ('\u{200b}', "\\u{200b}"),
            ('\u{ad}', "\\u{ad}"),
            ('\u{fe0f}', "\\u{fe0f}"),
            ('\u{2066}', "\\u{2066}"),
            ('\u{2060}', "\\u{2060}"),
            ('\u{600}', "\\u{600}"),
            ('\u{e0041}', "\\u{e0041}"),
            ('\u{e0100}', "\\u{e0100}"),
            ('\u{e0fff}', "\\u{e0fff}"),
            ('\u{3164}', "\\u{3164}"),
        ] {
            assert_eq!(escape(&format!("a{c}")), format!("a{shown}"), "{c:?}");
        }
        assert_eq!(for_terminal("`a\u{200b}` is not valid"), "`a\\u{200b}` is not valid");
        assert_eq!(escape_diff("-\u{feff}# x\n+\t# x\r\n"), "-\\u{feff}# x\n+\t# x\\r\n");
        assert_eq!(escape("e\u{301} ü 日本"), "e\u{301} ü 日本");
    }

    #[test]
    fn long_quoted_values_are_cut_and_the_rest_kept() {
        let long = "x".repeat(10_000);
        let message = for_terminal(&format!("unknown parent image `{long}` of image `gdk`"));
        assert!(message.starts_with("unknown parent image `xxx"), "{message}");
        assert!(message.ends_with("xxx` of image `gdk`"), "{message}");
        assert!(message.chars().count() < 200, "{message}");
        assert!(message.contains('…'));
    }

    #[test]
    fn whole_messages_are_bounded() {
        let message = for_terminal(&"word ".repeat(10_000));
        assert!(message.chars().count() <= MAX_MESSAGE_CHARS);
    }

    #[test]
    fn names_characters() {
        assert_eq!(describe('\u{1b}'), "U+001B (escape)");
        assert_eq!(describe('\u{1}'), "U+0001");
    }
}
