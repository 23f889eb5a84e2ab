//! The pieces of Go's standard library that decide what an ignore file means, reproduced byte for
//! byte: both builders are Go programs, and their patterns pass through `filepath.Clean`,
//! `strings.TrimSpace`, UTF-8 decoding (one invalid byte is one U+FFFD rune) and
//! `filepath.Match`'s syntax check before anything is matched.

/// The rune Go's decoder yields for a byte that starts no valid UTF-8 sequence.
pub const RUNE_ERROR: u32 = 0xFFFD;

/// The rune at the start of `bytes` and its width, as Go's `utf8.DecodeRune` reads it: an
/// invalid or truncated sequence is `RUNE_ERROR` of width 1. `bytes` must not be empty.
pub fn decode_rune(bytes: &[u8]) -> (u32, usize) {
    let b0 = bytes[0];
    if b0 < 0x80 {
        return (u32::from(b0), 1);
    }
    let cont = |i: usize, lo: u8, hi: u8| bytes.get(i).is_some_and(|&b| (lo..=hi).contains(&b));
    let tail = |i: usize| u32::from(bytes[i] & 0x3F);
    match b0 {
        0xC2..=0xDF if cont(1, 0x80, 0xBF) => ((u32::from(b0 & 0x1F) << 6) | tail(1), 2),
        0xE0..=0xEF => {
            let (lo, hi) = match b0 {
                0xE0 => (0xA0, 0xBF),
                0xED => (0x80, 0x9F),
                _ => (0x80, 0xBF),
            };
            if cont(1, lo, hi) && cont(2, 0x80, 0xBF) {
                ((u32::from(b0 & 0x0F) << 12) | (tail(1) << 6) | tail(2), 3)
            } else {
                (RUNE_ERROR, 1)
            }
        }
        0xF0..=0xF4 => {
            let (lo, hi) = match b0 {
                0xF0 => (0x90, 0xBF),
                0xF4 => (0x80, 0x8F),
                _ => (0x80, 0xBF),
            };
            if cont(1, lo, hi) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) {
                ((u32::from(b0 & 0x07) << 18) | (tail(1) << 12) | (tail(2) << 6) | tail(3), 4)
            } else {
                (RUNE_ERROR, 1)
            }
        }
        _ => (RUNE_ERROR, 1),
    }
}

/// Every rune of `bytes`, decoded as Go's regexp engine steps through a string.
pub fn runes(bytes: &[u8]) -> Vec<u32> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let (rune, width) = decode_rune(&bytes[i..]);
        out.push(rune);
        i += width;
    }
    out
}

/// Whether `bytes` is valid UTF-8 (Go's `utf8.Valid`).
pub fn valid_utf8(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok()
}

/// Go's `unicode.IsSpace`.
fn is_space(rune: u32) -> bool {
    matches!(
        rune,
        0x09..=0x0D | 0x20 | 0x85 | 0xA0 | 0x1680 | 0x2000..=0x200A | 0x2028 | 0x2029 | 0x202F | 0x205F | 0x3000
    )
}

/// Go's `strings.TrimSpace`: leading and trailing white-space runes removed; an invalid byte is
/// never space.
pub fn trim_space(bytes: &[u8]) -> &[u8] {
    let mut start = 0;
    while start < bytes.len() {
        let (rune, width) = decode_rune(&bytes[start..]);
        if !is_space(rune) || (rune == RUNE_ERROR && width == 1) {
            break;
        }
        start += width;
    }
    let mut end = bytes.len();
    while end > start {
        // The last rune: step back over continuation bytes (at most 3), then decode forward.
        let mut begin = end - 1;
        while begin > start && end - begin < 4 && bytes[begin] & 0xC0 == 0x80 {
            begin -= 1;
        }
        let (rune, width) = decode_rune(&bytes[begin..end]);
        let (rune, width) = if begin + width == end { (rune, width) } else { (RUNE_ERROR, 1) };
        if !is_space(rune) || (rune == RUNE_ERROR && width == 1) {
            break;
        }
        end -= width;
    }
    &bytes[start..end]
}

/// Go's `filepath.Clean` on a slash-separated path: the shortest equivalent path, `.` for empty.
pub fn clean(path: &[u8]) -> Vec<u8> {
    if path.is_empty() {
        return b".".to_vec();
    }
    let rooted = path[0] == b'/';
    let n = path.len();
    let mut out: Vec<u8> = Vec::with_capacity(n);
    let (mut r, mut dotdot) = (0, 0);
    if rooted {
        out.push(b'/');
        r = 1;
        dotdot = 1;
    }
    while r < n {
        // An empty element, or `.`: dropped.
        if path[r] == b'/' || (path[r] == b'.' && (r + 1 == n || path[r + 1] == b'/')) {
            r += 1;
        } else if path[r] == b'.' && path[r + 1] == b'.' && (r + 2 == n || path[r + 2] == b'/') {
            r += 2;
            if out.len() > dotdot {
                out.pop();
                while out.len() > dotdot && out[out.len() - 1] != b'/' {
                    out.pop();
                }
                // Go backs up to, not past, the slash before the element it removes.
                if out.len() > dotdot && out[out.len() - 1] == b'/' {
                    out.pop();
                }
            } else if !rooted {
                if !out.is_empty() {
                    out.push(b'/');
                }
                out.extend_from_slice(b"..");
                dotdot = out.len();
            }
        } else {
            if (rooted && out.len() != 1) || (!rooted && !out.is_empty()) {
                out.push(b'/');
            }
            while r < n && path[r] != b'/' {
                out.push(path[r]);
                r += 1;
            }
        }
    }
    if out.is_empty() { b".".to_vec() } else { out }
}

/// Why `filepath.Match` rejects a pattern (`ErrBadPattern`), with the byte offset where it saw it.
pub fn match_syntax_error(pattern: &[u8]) -> Option<(usize, &'static str)> {
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'\\' => {
                if i + 1 == pattern.len() {
                    return Some((i, "a `\\` at the end escapes nothing"));
                }
                i += 2;
            }
            b'[' => {
                let start = i;
                i += 1;
                if pattern.get(i) == Some(&b'^') {
                    i += 1;
                }
                let mut ranges = 0;
                loop {
                    if pattern.get(i) == Some(&b']') && ranges > 0 {
                        i += 1;
                        break;
                    }
                    let Some(next) = class_char(pattern, i) else { return Some((start, UNCLOSED_OR_EMPTY)) };
                    i = next;
                    if pattern.get(i) == Some(&b'-') {
                        let Some(next) = class_char(pattern, i + 1) else { return Some((start, UNCLOSED_OR_EMPTY)) };
                        i = next;
                    }
                    ranges += 1;
                }
            }
            _ => i += 1,
        }
    }
    None
}

const UNCLOSED_OR_EMPTY: &str =
    "this `[` class is empty, not closed, or starts a range with `-` or `]` (escape them with `\\`)";

/// Go's `getEsc`: one class character (escaped or not) at `i`; the index after it, or None when
/// `filepath.Match` calls the pattern bad. A character must be followed by more pattern.
fn class_char(pattern: &[u8], mut i: usize) -> Option<usize> {
    let first = *pattern.get(i)?;
    if first == b'-' || first == b']' {
        return None;
    }
    if first == b'\\' {
        i += 1;
        if i == pattern.len() {
            return None;
        }
    }
    let (rune, width) = decode_rune(&pattern[i..]);
    if rune == RUNE_ERROR && width == 1 {
        return None;
    }
    i += width;
    (i < pattern.len()).then_some(i)
}
