//! Which plain scalars a YAML reader takes for something other than a string.
//!
//! GitLab reads its configuration with Ruby's Psych, a YAML 1.1 reader; GitHub, serde_yaml and
//! most tools read YAML 1.2. A plain scalar that either reads as a boolean, a null, a number, a
//! date, a Ruby symbol or a YAML 1.1 merge or value key must be quoted. The rules are the union
//! of:
//!
//! - YAML 1.2's core schema as serde_yaml applies it (`true`, `null`, `0x1F`, `0o17`, `1e3`,
//!   `.inf`, and every all-digit string, since `017` is octal to some readers);
//! - the YAML 1.1 type repository (`yes`, `on`, `y`, `~`, `1_000`, `0b101`, `017`, `1:20`,
//!   `190:20:30.15`, `.5`, `2001-12-14t21:59:43.10-05:00`, `<<`, `=`);
//! - Psych's own reading of it: booleans and `null` in any case, `1,000` and `1,2` as integers,
//!   one-digit months and days in dates, and `:name` as a symbol.
//!
//! The type repository's float pattern also matches `.` and `1.2.3` (`[0-9.]*` after the dot);
//! no YAML 1.1 reader takes them for floats (Psych, PyYAML and SnakeYAML all read strings), so
//! they stay plain.

/// Whether a YAML 1.1 or 1.2 reader takes `text`, written as a plain scalar, for anything but
/// this string. Indicators and spacing are the scalar writer's concern, not this function's.
pub fn reads_as_non_string(text: &str) -> bool {
    let bytes = text.as_bytes();
    let Some(&first) = bytes.first() else { return true };
    match first {
        b'0'..=b'9' | b'+' | b'-' | b'.' => is_number(bytes) || is_timestamp(bytes),
        // Psych reads `:name` as a Ruby symbol.
        b':' => bytes.len() > 1,
        _ => bytes.len() <= 5 && is_keyword(text),
    }
}

/// Booleans, nulls and the YAML 1.1 merge (`<<`) and value (`=`) keys, in any case.
fn is_keyword(text: &str) -> bool {
    const KEYWORDS: [&str; 12] = ["y", "n", "yes", "no", "true", "false", "on", "off", "null", "~", "<<", "="];
    KEYWORDS.iter().any(|word| text.eq_ignore_ascii_case(word))
}

/// Integers and floats of either version, in any base, with `_` or `,` separators, in base 60,
/// infinities and NaN, with an optional sign.
fn is_number(bytes: &[u8]) -> bool {
    let rest = match bytes {
        [b'+' | b'-', rest @ ..] => rest,
        _ => bytes,
    };
    if rest.is_empty() {
        return false;
    }
    if let Some(special) = rest.strip_prefix(b".")
        && (special.eq_ignore_ascii_case(b"inf") || special.eq_ignore_ascii_case(b"nan"))
    {
        return true;
    }
    if let Some(digits) = rest.strip_prefix(b"0x") {
        return !digits.is_empty() && digits.iter().all(|b| b.is_ascii_hexdigit() || matches!(b, b'_' | b','));
    }
    if let Some(digits) = rest.strip_prefix(b"0o") {
        return !digits.is_empty() && digits.iter().all(|b| matches!(b, b'0'..=b'7'));
    }
    if let Some(digits) = rest.strip_prefix(b"0b") {
        return !digits.is_empty() && digits.iter().all(|b| matches!(b, b'0' | b'1' | b'_' | b','));
    }
    is_decimal(rest)
}

/// `[0-9][0-9_,]*` (an integer), optionally followed by `.[0-9_]*` (a float; the integer part
/// may then be missing, but not everything: `.` alone is a string), then optionally by an
/// exponent `[eE][-+]?[0-9]+`; or a base 60 number `[0-9][0-9_]*(:[0-5]?[0-9])+(.[0-9_]*)?`.
fn is_decimal(bytes: &[u8]) -> bool {
    let mut at = 0;
    let leading_digit = bytes[0].is_ascii_digit();
    if leading_digit {
        at = span(bytes, at, |b| b.is_ascii_digit() || matches!(b, b'_' | b','));
        if at == bytes.len() {
            return true;
        }
        if bytes[at] == b':' {
            return is_base_60(bytes);
        }
    }
    if bytes[at] == b'.' {
        at = span(bytes, at + 1, |b| b.is_ascii_digit() || b == b'_');
        if at == bytes.len() {
            return bytes.len() > 1;
        }
    } else if !leading_digit {
        return false;
    }
    is_exponent(&bytes[at..])
}

/// `[eE][-+]?[0-9]+`
fn is_exponent(bytes: &[u8]) -> bool {
    let rest = match bytes {
        [b'e' | b'E', b'+' | b'-', rest @ ..] | [b'e' | b'E', rest @ ..] => rest,
        _ => return false,
    };
    !rest.is_empty() && rest.iter().all(u8::is_ascii_digit)
}

/// `[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?` (the sign is already stripped).
fn is_base_60(bytes: &[u8]) -> bool {
    let mut at = span(bytes, 0, |b| b.is_ascii_digit() || b == b'_');
    if at == 0 {
        return false;
    }
    let mut groups = 0;
    while bytes.get(at) == Some(&b':') {
        let digits = span(bytes, at + 1, |b| b.is_ascii_digit()) - (at + 1);
        let valid = match digits {
            1 => true,
            2 => bytes[at + 1] <= b'5',
            _ => false,
        };
        if !valid {
            return false;
        }
        at += 1 + digits;
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    match bytes.get(at) {
        None => true,
        Some(b'.') => span(bytes, at + 1, |b| b.is_ascii_digit() || b == b'_') == bytes.len(),
        Some(_) => false,
    }
}

/// Dates `[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}`, alone or followed by a time (`T`, `t` or blanks, then
/// `[0-9]{1,2}:[0-9]{2}:[0-9]{2}` and anything after it), with Psych's optional leading `-`.
fn is_timestamp(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"-").unwrap_or(bytes);
    let Some(mut at) = digits(bytes, 0, 4, 4) else { return false };
    for _ in 0..2 {
        if bytes.get(at) != Some(&b'-') {
            return false;
        }
        let Some(next) = digits(bytes, at + 1, 1, 2) else { return false };
        at = next;
    }
    let time_at = match bytes.get(at) {
        None => return true,
        Some(b'T' | b't') => at + 1,
        Some(b' ' | b'\t') => span(bytes, at, |b| b == b' ' || b == b'\t'),
        Some(_) => return false,
    };
    let Some(at) = digits(bytes, time_at, 1, 2) else { return false };
    let Some(at) = bytes.get(at).filter(|b| **b == b':').and_then(|_| digits(bytes, at + 1, 2, 2)) else {
        return false;
    };
    bytes.get(at) == Some(&b':') && digits(bytes, at + 1, 2, 2).is_some()
}

/// The end of a run of `min..=max` ASCII digits starting at `at`, if there is one.
fn digits(bytes: &[u8], at: usize, min: usize, max: usize) -> Option<usize> {
    let end = span(bytes, at, |b| b.is_ascii_digit());
    (end - at >= min && end - at <= max).then_some(end)
}

/// The end of the run of bytes matching `keep` that starts at `at`.
fn span(bytes: &[u8], at: usize, keep: impl Fn(u8) -> bool) -> usize {
    at + bytes.get(at..).unwrap_or_default().iter().take_while(|b| keep(**b)).count()
}

#[cfg(test)]
mod tests {
    use super::reads_as_non_string;

    #[test]
    fn booleans_nulls_and_keys_of_either_version_in_any_case() {
        for text in [
            "", "y", "Y", "n", "yes", "Yes", "YES", "yEs", "no", "NO", "true", "True", "tRUE", "false", "on", "On",
            "ON", "off", "Off", "null", "Null", "NULL", "nUll", "~", "<<", "=",
        ] {
            assert!(reads_as_non_string(text), "{text:?}");
        }
        for text in ["yess", "o", "onn", "nil", "none", "=>", "<", "<<<", "truth", "Y2"] {
            assert!(!reads_as_non_string(text), "{text:?}");
        }
    }

    #[test]
    fn numbers_of_either_version() {
        for text in [
            "0",
            "7",
            "-1",
            "+1",
            "017",
            "-017",
            "0o17",
            "0x1F",
            "0x1f_ff",
            "-0x1F",
            "0b101",
            "0b1_0,1",
            "1_000",
            "1,000",
            "1,2",
            "123456789012345678901234567890123456789",
            ".5",
            "-.5",
            "+.5",
            "5.",
            "1.5",
            "1_0.5_0",
            "1,0.5",
            "1e3",
            "1E3",
            "1e+3",
            "1e-3",
            "1.5e-3",
            "1.e5",
            ".5e5",
            ".e+5",
            ".inf",
            "-.Inf",
            "+.INF",
            ".iNf",
            ".nan",
            ".NaN",
            ".NAN",
            "1:20",
            "190:20:30",
            "-1:20",
            "1_0:20",
            "190:20:30.15",
            "1:20.",
            "1:5",
        ] {
            assert!(reads_as_non_string(text), "{text:?}");
        }
        for text in [
            "+", "-", ".", "+.", "-.", "1.2.3", "3.2.2", "0x", "0o", "0o8", "0b", "0b2", "1a", "1e", "1e+", "e3",
            "1:60", "1:", "1::2", "1:2:3a", "1-2", "v1.2", "1.5a", ".info", "._a", "--1", "+-1", "1 2",
        ] {
            assert!(!reads_as_non_string(text), "{text:?}");
        }
    }

    #[test]
    fn dates_and_times() {
        for text in [
            "2024-01-01",
            "2024-1-5",
            "-2024-01-01",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14T21:59:43Z",
            "2001-12-14 21:59:43.10 -5",
            "2001-12-14\t1:59:43",
        ] {
            assert!(reads_as_non_string(text), "{text:?}");
        }
        for text in ["2024-01", "202-01-01", "2024-001-01", "2024-01-01x", "2024-01-01 release", "2024-01-01T1:2:3"] {
            assert!(!reads_as_non_string(text), "{text:?}");
        }
    }

    #[test]
    fn ruby_symbols() {
        assert!(reads_as_non_string(":name"));
        assert!(reads_as_non_string("::"));
        assert!(!reads_as_non_string("a:b"));
    }
}
