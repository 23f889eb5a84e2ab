//! What a plain scalar means: YAML 1.2's core schema, as editors and JSON Schema validators
//! read it. The model loader builds its value tree from the same events that locate the
//! model's nodes ([`crate::model::source`]) instead of parsing the text a second time. It reads
//! every scalar as serde_yaml would but one kind: decimal digits after a leading zero (`010`,
//! `-007`), which serde_yaml keeps as a string and the core schema reads as an integer
//! (`[-+]?[0-9]+`, so `010` is 10). A model is checked by editors against its JSON Schema, and
//! must mean to pipegen what it means to them. Tests compare the two readings on every string of
//! a small alphabet and on every YAML file of the repository.

use super::Value;

/// The value the core schema reads from the plain scalar `text`, or `None` where a `Value` cannot
/// hold the number (integers of 65 to 128 bits, which serde_yaml refuses): the caller then
/// leaves the whole text to serde_yaml.
pub fn plain_scalar_value(text: &str) -> Option<Value> {
    if text.is_empty() || matches!(text, "null" | "Null" | "NULL" | "~") {
        return Some(Value::Null);
    }
    match text {
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    // Every number starts with a digit, a sign or a dot; most model strings do not.
    if !text.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.')) {
        return Some(Value::String(text.to_string()));
    }
    if let Some(int) = unsigned_int(text, u64::from_str_radix) {
        return Some(Value::Number(int.into()));
    }
    if let Some(int) = negative_int(text, i64::from_str_radix) {
        return Some(Value::Number(int.into()));
    }
    if unsigned_int(text, u128::from_str_radix).is_some() || negative_int(text, i128::from_str_radix).is_some() {
        return None;
    }
    if let Some(float) = float(text) {
        return Some(Value::Number(float.into()));
    }
    Some(Value::String(text.to_string()))
}

/// Whether the plain scalar `text` is written as an integer (`[-+]?[0-9]+`, or `0x`, `0o`, `0b`
/// after an optional sign, as [`plain_scalar_value`] reads them) that no 64-bit number holds:
/// serde_yaml refuses one of 65 to 128 bits and reads a longer one as an approximate float
/// (`1e+41`), so the model could not say it as written.
pub fn integer_past_64_bits(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (digits, radix) = [("0x", 16), ("0o", 8), ("0b", 2)]
        .into_iter()
        .find_map(|(prefix, radix)| unsigned.strip_prefix(prefix).map(|rest| (rest, radix)))
        .unwrap_or((unsigned, 10));
    let integer = !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix));
    integer && unsigned_int(text, u64::from_str_radix).is_none() && negative_int(text, i64::from_str_radix).is_none()
}

type Radix<T> = fn(&str, u32) -> Result<T, std::num::ParseIntError>;

/// `017`, `-00`: decimal digits after a leading zero, which serde_yaml reads as a string and
/// YAML 1.2's core schema as a decimal integer (not octal, which it writes `0o17`).
pub fn leading_zero_digits(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    digits.len() > 1 && digits.starts_with('0') && digits[1..].bytes().all(|b| b.is_ascii_digit())
}

/// `0x`, `0o` and `0b` after an optional `+`, else decimal; no sign after the prefix.
fn unsigned_int<T>(text: &str, parse: Radix<T>) -> Option<T> {
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(rest) = unsigned.strip_prefix(prefix) {
            if rest.starts_with(['+', '-']) {
                return None;
            }
            if let Ok(int) = parse(rest, radix) {
                return Some(int);
            }
        }
    }
    if unsigned.starts_with(['+', '-']) {
        return None;
    }
    parse(unsigned, 10).ok()
}

/// `-0x`, `-0o`, `-0b` or a decimal with its sign.
fn negative_int<T>(text: &str, parse: Radix<T>) -> Option<T> {
    for (prefix, radix) in [("-0x", 16), ("-0o", 8), ("-0b", 2)] {
        if let Some(rest) = text.strip_prefix(prefix)
            && let Ok(int) = parse(&format!("-{rest}"), radix)
        {
            return Some(int);
        }
    }
    parse(text, 10).ok()
}

/// `.inf`, `-.inf`, `.nan` in three spellings, else a finite float as Rust reads it.
fn float(text: &str) -> Option<f64> {
    let unsigned = match text.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return None,
        Some(rest) => rest,
        None => text,
    };
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return Some(f64::INFINITY);
    }
    if matches!(text, "-.inf" | "-.Inf" | "-.INF") {
        return Some(f64::NEG_INFINITY);
    }
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Some(f64::NAN);
    }
    unsigned.parse::<f64>().ok().filter(|f| f.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde_yaml's own reading of `text` as a plain scalar, as a mapping value; `None` where
    /// it refuses the document.
    fn serde_yaml_reads(text: &str) -> Option<Value> {
        let mapping: super::super::Mapping = serde_yaml::from_str(&format!("k: {text}\n")).ok()?;
        mapping.get("k").cloned()
    }

    /// What the core schema reads from `text`: serde_yaml's reading, but for decimal digits
    /// after a leading zero, which are an integer.
    fn core_schema_reads(text: &str) -> Option<Value> {
        let theirs = serde_yaml_reads(text)?;
        if !leading_zero_digits(text) {
            return Some(theirs);
        }
        let unsigned = text.strip_prefix('+').unwrap_or(text);
        let int = unsigned.parse::<u64>().map(Value::from).or_else(|_| unsigned.parse::<i64>().map(Value::from));
        Some(int.expect("digits after a leading zero that fit 64 bits"))
    }

    #[test]
    fn reads_digits_after_a_leading_zero_as_a_decimal_integer() {
        // serde_yaml keeps these as strings; the core schema (and so editors) reads integers.
        for (text, int) in [("010", 10), ("05432", 5432), ("-007", -7), ("+01", 1), ("00", 0), ("08", 8)] {
            assert_eq!(plain_scalar_value(text), Some(Value::from(int)), "{text}");
        }
        assert_eq!(plain_scalar_value("0o10"), Some(Value::from(8)));
        assert_eq!(plain_scalar_value("010.5"), Some(Value::from(10.5)));
    }

    fn same(ours: &Option<Value>, theirs: &Option<Value>) -> bool {
        match (ours, theirs) {
            (Some(Value::Number(a)), Some(Value::Number(b))) if a.is_f64() && b.is_f64() => {
                let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
                a == b || (a.is_nan() && b.is_nan())
            }
            _ => ours == theirs,
        }
    }

    #[test]
    fn reads_plain_scalars_as_the_core_schema_does() {
        let cases = [
            "",
            "~",
            "null",
            "Null",
            "NULL",
            "nULL",
            "true",
            "True",
            "TRUE",
            "tRue",
            "false",
            "yes",
            "no",
            "on",
            "y",
            "0",
            "1",
            "-1",
            "+1",
            "007",
            "-007",
            "+0",
            "-0",
            "00",
            "0x1F",
            "0X1F",
            "-0x1F",
            "+0x1F",
            "0x-1",
            "0o17",
            "-0o17",
            "0b101",
            "-0b101",
            "0b2",
            "1_000",
            "1e3",
            "1E3",
            "-1e3",
            "+1.5",
            "1.",
            ".5",
            "-.5",
            "1.2.3",
            ".inf",
            "-.inf",
            "+.inf",
            ".Inf",
            ".INF",
            ".nan",
            ".NaN",
            "nan",
            "inf",
            "infinity",
            "-inf",
            "+-1",
            "++1",
            "--1",
            "18446744073709551615",
            "-9223372036854775808",
            "1e400",
            "0x",
            "0o",
            "0b",
            "10m",
            "3.10",
            "1.0",
            "v1",
            "-x",
            ".",
            "+",
            "-",
            "0.0.0",
            "1:20",
            "2024-01-01",
            "0e0",
            "-0.0",
        ];
        for case in cases {
            // `-` alone is no plain scalar but a sequence entry: the events never hold it.
            let Some(theirs) = core_schema_reads(case) else { continue };
            let ours = plain_scalar_value(case);
            assert!(same(&ours, &Some(theirs.clone())), "{case:?}: we read {ours:?}, serde_yaml {theirs:?}");
        }
    }

    #[test]
    fn finds_integers_past_64_bits() {
        for case in [
            "18446744073709551616",
            "-9223372036854775809",
            "+18446744073709551616",
            "100000000000000000000000000000000000000000",
            "-99999999999999999999999",
            "0x10000000000000000",
            "-0x8000000000000001",
            "0b10000000000000000000000000000000000000000000000000000000000000000",
        ] {
            assert!(integer_past_64_bits(case), "{case}");
        }
        for case in [
            "18446744073709551615",
            "-9223372036854775808",
            "05432",
            "1e41",
            "1.5",
            "0x",
            "0xg",
            "-",
            "",
            "1_000",
            "99999999999999999999.0",
            "v99999999999999999999",
        ] {
            assert!(!integer_past_64_bits(case), "{case}");
        }
    }

    #[test]
    fn leaves_integers_serde_yaml_refuses_to_it() {
        for case in [
            "18446744073709551616",
            "-9223372036854775809",
            "340282366920938463463374607431768211455",
            "0x10000000000000000",
        ] {
            assert!(serde_yaml_reads(case).is_none(), "{case}");
            assert_eq!(plain_scalar_value(case), None, "{case}");
        }
    }

    #[test]
    fn reads_every_short_string_of_number_characters_as_the_core_schema_does() {
        // Every string of up to four characters from the characters numbers are made of.
        let alphabet: Vec<char> = "0127x.o-b+eEfn_".chars().collect();
        let mut strings = vec![String::new()];
        let mut all = Vec::new();
        for _ in 0..4 {
            strings = strings.iter().flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}"))).collect();
            all.extend(strings.iter().cloned());
        }
        for case in all {
            // Strings YAML would not read as one plain scalar (`- x`, `-`) are not plain scalars.
            let Some(theirs) = core_schema_reads(&case) else { continue };
            let ours = plain_scalar_value(&case);
            assert!(same(&ours, &Some(theirs.clone())), "{case:?}: we read {ours:?}, serde_yaml {theirs:?}");
        }
    }
}
