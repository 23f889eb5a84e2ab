//! A model's text where GitHub evaluates expressions (`env:`, `with:`, service options): written
//! so that it stays that text. GitHub has no escape for `${{`; the only way to write one is an
//! expression whose value it is, `${{ '${{' }}`. Linters report such a constant expression as
//! obfuscation (jactionlint's `obfuscation` rule asks to write the value itself, which here
//! cannot be done), so every value holding one gets a comment above its key that says why and
//! silences that rule for it alone. The value is then written double-quoted on its key's line:
//! jactionlint applies the comment to that line, and in a literal block a line of the value that
//! starts with `#` would read to it as a comment and end the comment's reach.

use indexmap::IndexMap;
use serde::{Serialize, Serializer};

use crate::yaml::{Commented, DoubleQuoted};

/// What a literal `${{` becomes.
pub(super) const OPEN: &str = "${{ '${{' }}";

/// `text` kept literal: every `${{` written as [`OPEN`].
pub fn literal(text: &str) -> String {
    text.replace("${{", OPEN)
}

/// Why a value holds [`OPEN`], and the ignore comment that applies to its key's line.
const WHY: &str = "a literal ${{ of the model, written the only way GitHub allows";
const IGNORE: &str = "jactionlint ignore=obfuscation";

/// Serializes a string, with the comments above its key when it holds an escaped `${{`. Only
/// [`literal`] writes [`OPEN`] (pipegen's own expressions never hold it), so the text tells.
pub struct Text<'a>(pub &'a str);

impl Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.contains(OPEN) {
            Commented::new(DoubleQuoted(self.0)).above(WHY).above(IGNORE).serialize(serializer)
        } else {
            serializer.serialize_str(self.0)
        }
    }
}

/// `serialize_with` for a string field that may hold a model's text.
pub fn text<S: Serializer>(value: &str, serializer: S) -> Result<S::Ok, S::Error> {
    Text(value).serialize(serializer)
}

/// `serialize_with` for an optional string field that may hold a model's text.
pub fn optional_text<S: Serializer>(value: &Option<String>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => serializer.serialize_some(&Text(value)),
        None => serializer.serialize_none(),
    }
}

/// `serialize_with` for a map (`env:`) whose values may hold a model's text.
pub fn map<K: Serialize, S: Serializer>(map: &IndexMap<K, String>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_map(map.iter().map(|(key, value)| (key, Text(value))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_literal_open_gets_its_reason_and_the_ignore_comment_and_nothing_else_does() {
        let mut env = IndexMap::new();
        env.insert("PLAIN", literal("echo ${HOME} {{ x }} $ {{"));
        env.insert("SCRIPT", literal("echo one\n#${{ github.token }}\n"));
        #[derive(Serialize)]
        struct Job {
            #[serde(serialize_with = "map")]
            env: IndexMap<&'static str, String>,
        }
        let text = crate::yaml::to_string(&Job { env }).unwrap();
        assert_eq!(
            text,
            "env:\n  PLAIN: echo ${HOME} {{ x }} $ {{\n  # a literal ${{ of the model, written the only way GitHub allows\n  # jactionlint ignore=obfuscation\n  SCRIPT: \"echo one\\n#${{ '${{' }} github.token }}\\n\"\n"
        );
    }
}
