//! How pipegen embeds its awk programs (the `.dockerignore` filter, the base-image reader) in
//! the scripts it generates: every workflow carries each program once, so each is written as
//! short as awk reads the same way, and as one single-quoted shell word.

/// `source` as a pipeline embeds it: without its comment lines, blank lines, leading
/// indentation and the spaces between tokens that awk does not need (`squeeze`). No string
/// or regular expression of pipegen's programs spans lines, so leading blanks are never data.
pub fn compact(source: &str) -> String {
    source.lines().map(str::trim_start).filter(|line| !line.starts_with('#') && !line.is_empty()).fold(
        String::new(),
        |mut out, line| {
            out.push_str(&squeeze(line));
            out.push('\n');
            out
        },
    )
}

/// `program` as one single-quoted shell word: the shortest, as the programs have many `"`, `\`
/// and `$`, which double quotes would escape, and hardly a `'`. shellcheck reads the `$` fields
/// in single quotes as forgotten expansions (SC2016): a script that embeds the word says it is
/// awk with a `# shellcheck disable=SC2016` line.
pub fn single_quoted(program: &str) -> String {
    format!("'{}'", program.replace('\'', r"'\''"))
}

/// One line of awk without the spaces it does not need. A space stays inside a string or a
/// regular expression, between two word characters (`x in A`, `print line`), between a name
/// other than `if`, `while`, `for` and `return` and `(` (a call has none, a concatenation needs it), between two characters that would
/// read as another operator together (`- -`, `> >`, `< =`, `& &`), next to a `/` (division or
/// a regular expression: the space keeps the reading as it was) and before a comment.
fn squeeze(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    // The last character written outside a space: what a `/` follows.
    let mut last = ' ';
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' => {
                let end = literal_end(&chars, i, '"');
                out.extend(&chars[i..end]);
                last = '"';
                i = end;
                continue;
            }
            '/' if !(last.is_ascii_alphanumeric() || matches!(last, '_' | ')' | ']' | '$' | '.')) => {
                let end = literal_end(&chars, i, '/');
                out.extend(&chars[i..end]);
                last = '/';
                i = end;
                continue;
            }
            '#' => {
                out.extend(&chars[i..]);
                break;
            }
            ' ' | '\t' => {
                let mut j = i;
                while j < chars.len() && matches!(chars[j], ' ' | '\t') {
                    j += 1;
                }
                let before = out.chars().last();
                let after = chars.get(j).copied();
                let keyword = ["if", "while", "for", "return"].iter().any(|k| {
                    out.strip_suffix(k)
                        .is_some_and(|rest| !rest.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
                });
                let keep = match (before, after) {
                    (None, _) | (_, None) => false,
                    (Some(_), Some('(')) if keyword => false,
                    (Some(a), Some(b)) => needs_space(a, b),
                };
                if keep {
                    out.push(' ');
                }
                i = j;
                continue;
            }
            _ => {}
        }
        out.push(c);
        last = c;
        i += 1;
    }
    out
}

fn needs_space(a: char, b: char) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '$' || !c.is_ascii();
    (word(a) && (word(b) || b == '('))
        || (a == b && !matches!(a, '(' | ')' | '{' | '}' | '[' | ']' | ',' | ';' | '"'))
        || (matches!(a, '+' | '-') && matches!(b, '+' | '-'))
        || (b == '=' && matches!(a, '<' | '>' | '!' | '=' | '+' | '-' | '*' | '/' | '%' | '^'))
        || (a == '!' && b == '~')
        || a == '/'
        || b == '/'
        || b == '#'
}

/// The index after the string or regular expression that starts at `start` with `quote`
/// (`\` escapes the next character; a `/` inside `[...]` does not end a regular expression).
fn literal_end(chars: &[char], start: usize, quote: char) -> usize {
    let mut i = start + 1;
    let mut in_class = false;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '[' if quote == '/' => in_class = true,
            ']' if quote == '/' => in_class = false,
            c if c == quote && !in_class => return i + 1,
            _ => {}
        }
        i += 1;
    }
    chars.len()
}

#[cfg(test)]
mod tests {
    use super::{single_quoted, squeeze};

    #[test]
    fn spaces_between_tokens_go() {
        assert_eq!(squeeze("if (a == 1 && b != \"x y\") { c = d \"z\" }"), "if(a==1&&b!=\"x y\"){c=d\"z\"}");
    }

    #[test]
    fn spaces_that_keep_a_reading_stay() {
        assert_eq!(squeeze("x = a - -b; y = n + +m"), "x=a- -b;y=n+ +m");
        assert_eq!(squeeze("print line > \"/dev/stderr\""), "print line>\"/dev/stderr\"");
        assert_eq!(squeeze("for (k in A) s = s (k) f(x)"), "for(k in A)s=s (k)f(x)");
        assert_eq!(squeeze("a = b / c; sub(/^ +\\/ [/ ]x/, \"\", s)"), "a=b / c;sub(/^ +\\/ [/ ]x/,\"\",s)");
        assert_eq!(squeeze("x = $ 1 ; y = a < = b"), "x=$ 1;y=a< =b");
        assert_eq!(squeeze("a = 1 # note"), "a=1 # note");
    }

    #[test]
    fn a_quote_in_the_program_is_closed_escaped_and_reopened() {
        assert_eq!(single_quoted("print \"it's\""), r#"'print "it'\''s"'"#);
    }
}
