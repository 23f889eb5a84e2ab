//! The one place that names the YAML crate.
//!
//! `serde_yaml` is archived upstream. Everything else in pipegen goes through this module, so
//! switching to a maintained fork (for example `serde_yaml_ng`) is a one-line change here.
//! Never `serde_yml`: it is unsound (RUSTSEC-2025-0068).

pub use serde_yaml::{Error, Mapping, Value};

/// Deserialize a value from YAML text.
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Error> {
    serde_yaml::from_str(text)
}

/// Convert an already-parsed YAML value into a typed value.
pub fn from_value<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, Error> {
    serde_yaml::from_value(value)
}

/// Serialize a value as YAML text that YAML 1.1 readers read the same way.
///
/// serde_yaml writes YAML 1.2, where `yes`, `no`, `on` and `off` are plain strings; GitLab
/// (Ruby's Psych) and other YAML 1.1 readers take them for booleans, so a service variable
/// `ALLOW_NONE_AUTHENTICATION: "yes"` would arrive as `true`. Such values are single-quoted.
pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    serde_yaml::to_string(value).map(|text| quote_yaml11_booleans(&text))
}

/// What YAML 1.1 reads as a boolean, beyond YAML 1.2's `true` and `false`.
fn is_yaml11_boolean(text: &str) -> bool {
    ["yes", "no", "on", "off"].iter().any(|word| text.eq_ignore_ascii_case(word))
}

/// Single-quote every plain scalar *value* that YAML 1.1 reads as a boolean. Keys are left alone
/// (GitHub's trigger key is `on:`; model names that would be keys are validated instead).
fn quote_yaml11_booleans(text: &str) -> String {
    use saphyr_parser::{Event, Parser, ScalarStyle};

    // Per open collection: `Some(true)` a mapping expecting a key, `Some(false)` expecting a
    // value, `None` a sequence.
    let mut open: Vec<Option<bool>> = Vec::new();
    let mut spans = Vec::new();
    let next_node = |open: &mut Vec<Option<bool>>| {
        if let Some(Some(expecting_key)) = open.last_mut() {
            *expecting_key = !*expecting_key;
        }
    };
    let mut parser = Parser::new_from_str(text);
    while let Some(Ok((event, span))) = parser.next_event() {
        match event {
            Event::MappingStart(..) => open.push(Some(true)),
            Event::SequenceStart(..) => open.push(None),
            Event::MappingEnd | Event::SequenceEnd => {
                open.pop();
                next_node(&mut open);
            }
            Event::Scalar(value, style, ..) => {
                let is_key = matches!(open.last(), Some(Some(true)));
                if !is_key && style == ScalarStyle::Plain && is_yaml11_boolean(&value) {
                    spans.push((span.start.index(), span.end.index()));
                }
                next_node(&mut open);
            }
            Event::Alias(_) => next_node(&mut open),
            _ => {}
        }
    }
    if spans.is_empty() {
        return text.to_string();
    }
    // The parser counts characters; the text is indexed by bytes.
    let offsets: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
    let mut out = text.to_string();
    for (start, end) in spans.into_iter().rev() {
        let (start, end) = (offsets[start], offsets[end]);
        let quoted = format!("'{}'", &text[start..end]);
        out.replace_range(start..end, &quoted);
    }
    out
}

/// Where a YAML error happened, as a 1-based line and column, when the parser knows.
pub fn error_location(error: &Error) -> Option<(usize, usize)> {
    error.location().map(|l| (l.line(), l.column()))
}

#[cfg(test)]
mod tests {
    use indexmap::IndexMap;

    use super::*;

    #[test]
    fn quotes_values_that_yaml_1_1_reads_as_booleans() {
        let mut env = IndexMap::new();
        env.insert("on", vec!["yes", "No", "OFF", "maybe", "→ on"]);
        env.insert("script", vec!["echo yes\nno\n"]);
        let text = to_string(&env).unwrap();
        assert_eq!(text, "on:\n- 'yes'\n- 'No'\n- 'OFF'\n- maybe\n- → on\nscript:\n- |\n  echo yes\n  no\n");
        let back: IndexMap<String, Vec<String>> = from_str(&text).unwrap();
        assert_eq!(back["on"], ["yes", "No", "OFF", "maybe", "→ on"]);
    }

    #[test]
    fn leaves_other_text_as_serde_yaml_writes_it() {
        let value: Value = from_str("a: [1, 'true', x]\nb: {c: onward}\n").unwrap();
        assert_eq!(to_string(&value).unwrap(), serde_yaml::to_string(&value).unwrap());
    }
}
