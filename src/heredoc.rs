//! Here-documents in a Dockerfile, as BuildKit reads them (its parser's `heredocsFromLine`): a
//! `RUN`, `COPY` or `ADD` (also behind `ONBUILD`), not in JSON form, opens one per word of the
//! form `[n]<<[-]WORD`, where WORD holds no `<`; the word is split from the line at blanks outside
//! quotes, and blanks right after an unquoted `<<` belong to it (`<< EOF`). The body is every line
//! after the instruction up to one that is WORD without its quotes and escaping backslashes
//! (after leading tabs, for `<<-`), the bodies of one instruction one after the other. A body
//! is text, not instructions: `COPY <<EOF /init.sql` may hold a line `FROM users;`.
//!
//! `upstream::from.awk` follows the same rules; `upstream::awk`'s tests compare the two.

/// One here-document an instruction opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The line that ends its body.
    pub terminator: String,
    /// `<<-`: leading tabs of a line go before it is compared with the terminator.
    pub strip_tabs: bool,
}

impl Heredoc {
    /// Whether `line` (without its line break) ends this here-document's body.
    pub fn ends_at(&self, line: &str) -> bool {
        let line = if self.strip_tabs { line.trim_start_matches('\t') } else { line };
        line == self.terminator
    }
}

/// The here-documents `instruction` (a logical line: continuations joined) opens, in order.
pub fn opened_by(instruction: &str) -> Vec<Heredoc> {
    if !instruction.contains("<<") {
        return Vec::new();
    }
    let words = words(instruction);
    // `ONBUILD RUN <<EOF` opens one too: the keyword is the word after it.
    let first = if words.first().is_some_and(|(raw, _)| raw.eq_ignore_ascii_case("ONBUILD")) { 2 } else { 1 };
    let opens = words
        .get(first - 1)
        .is_some_and(|(keyword, _)| ["RUN", "COPY", "ADD"].iter().any(|k| keyword.eq_ignore_ascii_case(k)));
    if !opens {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (raw, plain) in words.iter().skip(first) {
        let Some(rest) = raw.trim_start_matches(|c: char| c.is_ascii_digit()).strip_prefix("<<") else { continue };
        let (strip_tabs, rest) = match rest.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, rest),
        };
        let rest = rest.trim_start_matches([' ', '\t']);
        // The part before `rest` holds no quote or backslash: the plain word starts alike.
        let terminator = &plain[raw.len() - rest.len()..];
        if !rest.contains('<') && !terminator.is_empty() {
            out.push(Heredoc { terminator: terminator.to_string(), strip_tabs });
        }
    }
    out
}

/// The words of a line, split at blanks outside single and double quotes: each as written and
/// without its quotes and escaping backslashes (a backslash outside single quotes escapes the
/// next character); blanks right after an unquoted `<<` stay in the word.
fn words(line: &str) -> Vec<(String, String)> {
    let mut words = Vec::new();
    let (mut raw, mut plain) = (String::new(), String::new());
    let mut quote: Option<char> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, ' ' | '\t') => {
                if !raw.is_empty() {
                    words.push((std::mem::take(&mut raw), std::mem::take(&mut plain)));
                }
                continue;
            }
            (None, '<') if chars.peek() == Some(&'<') => {
                chars.next();
                raw.push_str("<<");
                plain.push_str("<<");
                while let Some(blank) = chars.next_if(|c| *c == ' ' || *c == '\t') {
                    raw.push(blank);
                    plain.push(blank);
                }
                continue;
            }
            (Some('\''), '\'') | (Some('"'), '"') => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None | Some('"'), '\\') => {
                raw.push(c);
                if let Some(next) = chars.next() {
                    raw.push(next);
                    plain.push(next);
                }
                continue;
            }
            _ => plain.push(c),
        }
        raw.push(c);
    }
    if !raw.is_empty() {
        words.push((raw, plain));
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terminators(instruction: &str) -> Vec<(String, bool)> {
        opened_by(instruction).into_iter().map(|h| (h.terminator, h.strip_tabs)).collect()
    }

    #[test]
    fn the_words_that_open_here_documents() {
        let t = |s: &str, strip| (s.to_string(), strip);
        assert_eq!(terminators("RUN <<EOF"), [t("EOF", false)]);
        assert_eq!(terminators("run <<-'SH' bash && cat 2<<\"DATA\" >x"), [t("SH", true), t("DATA", false)]);
        assert_eq!(terminators("COPY << EOF <<  \"E F\" /x"), [t("EOF", false), t("E F", false)]);
        assert_eq!(terminators("ADD <<A\\\"B <<'C D' /x"), [t("A\"B", false), t("C D", false)]);
        assert_eq!(terminators("ONBUILD RUN <<EOF"), [t("EOF", false)]);
        assert_eq!(terminators("RUN cat <<\"EOF"), [t("EOF", false)]);
        // `<<   -X` is a terminator `-X`; `<<- X` opens none (the blank ends the word).
        assert_eq!(terminators("RUN <<   -X"), [t("-X", false)]);
        assert!(terminators("RUN <<- X").is_empty());
        for none in [
            "RUN echo \"use <<EOF\" '<<EOF' x<<EOF $((1<<3)) <<<EOF <<",
            "LABEL x=<<EOF",
            "RUN [\"<<EOF\"]",
            "ONBUILD LABEL <<EOF",
            "RUN echo \"x <<EOF",
            "RUN cat<<EOF",
        ] {
            assert!(terminators(none).is_empty(), "{none}: {:?}", terminators(none));
        }
    }

    #[test]
    fn a_body_ends_at_its_terminator() {
        let heredoc = Heredoc { terminator: "EOF".into(), strip_tabs: true };
        assert!(heredoc.ends_at("\t\tEOF") && heredoc.ends_at("EOF"));
        assert!(!heredoc.ends_at(" EOF") && !heredoc.ends_at("EOF "));
        let heredoc = Heredoc { terminator: "EOF".into(), strip_tabs: false };
        assert!(!heredoc.ends_at("\tEOF"));
    }
}
