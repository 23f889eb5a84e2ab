//! Quoting for the shell: the one way a value becomes part of shell text. Model values reach
//! the generated scripts through variables instead (`emit::scripts`); what is quoted here are
//! the few literal words pipegen writes itself (messages, the health command of a service).

/// `text` as one shell word: unchanged when it is plainly safe, otherwise quoted.
pub fn quote(text: &str) -> String {
    let safe = !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if safe { text.to_string() } else { quoted(text) }
}

/// `text` in quotes: single quotes, or double quotes (with `\`, `"`, `$` and `` ` `` escaped)
/// when it holds `$` or a backtick. Both are the same literal word, but shellcheck reads a `$`
/// inside single quotes as a forgotten expansion (SC2016): `--build-arg "PRICE=\$5"`.
fn quoted(text: &str) -> String {
    if !text.contains(['$', '`']) {
        return format!("'{}'", text.replace('\'', r"'\''"));
    }
    let mut word = String::from("\"");
    for c in text.chars() {
        if matches!(c, '\\' | '"' | '$' | '`') {
            word.push('\\');
        }
        word.push(c);
    }
    word.push('"');
    word
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(quote("images/base"), "images/base");
        assert_eq!(quote(":(glob)gitaly/**"), "':(glob)gitaly/**'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
    }

    #[test]
    fn dollars_and_backticks_are_double_quoted() {
        assert_eq!(quote("PRICE=$5"), r#""PRICE=\$5""#);
        assert_eq!(quote(r#"(`pg_isready -h "$HOST"`) \ it's"#), r#""(\`pg_isready -h \"\$HOST\"\`) \\ it's""#);
    }
}
