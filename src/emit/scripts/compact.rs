//! Embedding scripts compactly: every generated file holds the shared scripts once, and their
//! bytes are most of a small model's output (issue 8). The readable sources in this folder keep
//! their comments and indentation; what a pipeline embeds is [`embed`]ded: functions nothing
//! calls are dropped ([`prune`]), then comment lines, blank lines and leading indentation
//! ([`minify`]). Both work on any script written the way these sources are, so a new script part
//! gets the same treatment without knowing about it.

/// `script` as a pipeline embeds it: without the functions that neither its top-level code nor
/// `roots` reach, then minified.
pub fn embed(script: &str, roots: &[&str]) -> String {
    minify(&prune(script, roots))
}

/// `script` without comment lines (except `# shellcheck` directives, which the conformance tests
/// need), blank lines and leading indentation, where that cannot change what it does: only lines
/// that start in plain code are touched. A line that starts inside a quoted string, a here-document
/// or a command substitution spanning lines, or after a line ending in a backslash, is kept as it
/// is, byte for byte.
pub fn minify(script: &str) -> String {
    let mut out = String::with_capacity(script.len());
    let mut lexer = Lexer::default();
    for line in script.split_inclusive('\n') {
        let at_code = lexer.at_top_level();
        let kept = if at_code { line.trim_start_matches([' ', '\t']) } else { line };
        lexer.line(line);
        if at_code {
            let body = kept.trim_end_matches('\n');
            if body.trim().is_empty() {
                continue;
            }
            if body.starts_with('#') && !body.starts_with("# shellcheck ") {
                continue;
            }
        }
        out.push_str(kept);
    }
    out
}

/// Where a line of shell starts: the innermost construct still open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    /// Code inside `$( … )` (or `$(( … ))`), with the parentheses opened in it.
    Substitution(usize),
    /// `"…"`.
    Double,
    /// `${…}`, where quotes nest.
    Parameter,
    /// `'…'`.
    Single,
}

#[derive(Default)]
struct Lexer {
    /// Open constructs, outermost first; empty: top-level code.
    stack: Vec<Context>,
    /// Here-document delimiters waiting for their bodies, in order, and whether tabs are stripped.
    pending: Vec<(String, bool)>,
    /// The here-document whose body the next line belongs to.
    heredoc: Option<(String, bool)>,
    /// The last line ended with a backslash in code: the next one continues it.
    continued: bool,
}

impl Lexer {
    fn at_top_level(&self) -> bool {
        self.stack.is_empty() && self.heredoc.is_none() && !self.continued
    }

    fn line(&mut self, line: &str) {
        let text = line.strip_suffix('\n').unwrap_or(line);
        if let Some((delimiter, strip_tabs)) = &self.heredoc {
            let end = if *strip_tabs { text.trim_start_matches('\t') } else { text };
            if end == delimiter {
                self.heredoc = None;
                self.next_heredoc();
            }
            return;
        }
        self.continued = false;
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            match self.stack.last().copied() {
                Some(Context::Single) => {
                    if c == b'\'' {
                        self.stack.pop();
                    }
                }
                Some(Context::Double) => match c {
                    b'\\' => i += 1,
                    b'"' => {
                        self.stack.pop();
                    }
                    b'$' => i += self.dollar(bytes, i),
                    _ => {}
                },
                Some(Context::Parameter) => match c {
                    b'\\' => i += 1,
                    b'}' => {
                        self.stack.pop();
                    }
                    b'"' => self.stack.push(Context::Double),
                    // Inside double quotes a single quote in `${…}` is a plain character.
                    b'\'' if !self.stack.iter().rev().nth(1).is_some_and(|c| *c == Context::Double) => {
                        self.stack.push(Context::Single)
                    }
                    b'$' => i += self.dollar(bytes, i),
                    _ => {}
                },
                None | Some(Context::Substitution(_)) => match c {
                    b'\\' if i + 1 == bytes.len() => self.continued = true,
                    b'\\' => i += 1,
                    b'\'' => self.stack.push(Context::Single),
                    b'"' => self.stack.push(Context::Double),
                    b'$' => i += self.dollar(bytes, i),
                    b'#' if i == 0 || b" \t;&|(".contains(&bytes[i - 1]) => break,
                    b'(' => {
                        if let Some(Context::Substitution(depth)) = self.stack.last_mut() {
                            *depth += 1;
                        }
                    }
                    b')' => match self.stack.last_mut() {
                        Some(Context::Substitution(0)) => {
                            self.stack.pop();
                        }
                        Some(Context::Substitution(depth)) => *depth -= 1,
                        _ => {}
                    },
                    b'<' if bytes.get(i + 1) == Some(&b'<') && bytes.get(i + 2) != Some(&b'<') => {
                        i += 1 + self.heredoc_operator(&bytes[i + 2..]);
                    }
                    _ => {}
                },
            }
            i += 1;
        }
        if self.heredoc.is_none() {
            self.next_heredoc();
        }
    }

    /// After a `$` at `i`: opens `$(`, `$((` or `${`; returns how many bytes it consumed after `$`.
    fn dollar(&mut self, bytes: &[u8], i: usize) -> usize {
        match bytes.get(i + 1) {
            Some(b'(') => {
                self.stack.push(Context::Substitution(0));
                1
            }
            Some(b'{') => {
                self.stack.push(Context::Parameter);
                1
            }
            _ => 0,
        }
    }

    /// Reads the delimiter after `<<` (`rest` starts right after it); returns the bytes consumed.
    fn heredoc_operator(&mut self, rest: &[u8]) -> usize {
        let mut j = 0;
        let strip_tabs = rest.first() == Some(&b'-');
        if strip_tabs {
            j += 1;
        }
        while rest.get(j).is_some_and(|c| *c == b' ' || *c == b'\t') {
            j += 1;
        }
        let mut delimiter = Vec::new();
        while let Some(&c) = rest.get(j) {
            if b" \t;&|<>()".contains(&c) {
                break;
            }
            if c != b'\'' && c != b'"' && c != b'\\' {
                delimiter.push(c);
            }
            j += 1;
        }
        if !delimiter.is_empty() {
            self.pending.push((String::from_utf8_lossy(&delimiter).into_owned(), strip_tabs));
        }
        j
    }

    fn next_heredoc(&mut self) {
        if !self.pending.is_empty() {
            self.heredoc = Some(self.pending.remove(0));
        }
    }
}

/// `script` without the shell functions that nothing reaches. A function is a definition
/// `name() {` at the start of a line up to the next line that is `}` alone; it is reached when
/// its name appears as a word in the script's top-level code (outside every definition), in
/// `roots`, or in a reached function. Names are matched as words anywhere, comments and strings
/// included, so a doubt keeps a function: pruning never removes one that runs.
pub fn prune(script: &str, roots: &[&str]) -> String {
    struct Function<'a> {
        name: &'a str,
        start: usize,
        end: usize,
    }
    let mut functions: Vec<Function> = Vec::new();
    let mut offset = 0;
    let mut open: Option<(&str, usize)> = None;
    for line in script.split_inclusive('\n') {
        let text = line.trim_end_matches('\n');
        match open {
            None => {
                if let Some(name) = text.strip_suffix("() {").filter(|n| is_name(n)) {
                    open = Some((name, offset));
                }
            }
            Some((name, start)) => {
                if text == "}" {
                    functions.push(Function { name, start, end: offset + line.len() });
                    open = None;
                }
            }
        }
        offset += line.len();
    }
    if functions.is_empty() {
        return script.to_string();
    }
    let mut top_level = String::new();
    let mut last = 0;
    for function in &functions {
        top_level.push_str(&script[last..function.start]);
        last = function.end;
    }
    top_level.push_str(&script[last..]);
    let mut reached = vec![false; functions.len()];
    let mut queue: Vec<String> = words(&top_level).into_iter().chain(roots.iter().map(|r| r.to_string())).collect();
    while let Some(word) = queue.pop() {
        for (i, function) in functions.iter().enumerate() {
            if !reached[i] && function.name == word {
                reached[i] = true;
                queue.extend(words(&script[function.start..function.end]));
            }
        }
    }
    let mut out = String::with_capacity(script.len());
    let mut last = 0;
    for (function, reached) in functions.iter().zip(reached) {
        out.push_str(&script[last..function.start]);
        if reached {
            out.push_str(&script[function.start..function.end]);
        }
        last = function.end;
    }
    out.push_str(&script[last..]);
    out
}

fn is_name(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_blank_lines_and_indentation_go() {
        let script = "# about\nf() {\n  # why\n  echo a   # kept\n\n  if x; then\n    y\n  fi\n}\n";
        assert_eq!(minify(script), "f() {\necho a   # kept\nif x; then\ny\nfi\n}\n");
    }

    #[test]
    fn shellcheck_directives_stay() {
        let script = "  # shellcheck disable=SC2086 # words\n  set -- $x\n";
        assert_eq!(minify(script), "# shellcheck disable=SC2086 # words\nset -- $x\n");
    }

    #[test]
    fn quoted_text_over_several_lines_is_kept_as_written() {
        let script = "x='\n  # not a comment\n\n  indented'\n  y=\"a\n  b $(c \"d\n  e\")\n\"\n  IFS='\n'\n  z\n";
        assert_eq!(
            minify(script),
            "x='\n  # not a comment\n\n  indented'\ny=\"a\n  b $(c \"d\n  e\")\n\"\nIFS='\n'\nz\n"
        );
    }

    #[test]
    fn here_documents_are_kept_as_written() {
        let script = "  a=\"$(cat <<EOF\n  # body\n\n  EOF x\nEOF\n)\" || b\n  cat <<-'X' <<Y\n\t  one\n\tX\n  two\nY\n  # gone\n";
        assert_eq!(
            minify(script),
            "a=\"$(cat <<EOF\n  # body\n\n  EOF x\nEOF\n)\" || b\ncat <<-'X' <<Y\n\t  one\n\tX\n  two\nY\n"
        );
    }

    #[test]
    fn parameters_and_substitutions_nest_quotes() {
        let script = "  a=\"${b%%\"$c\"*}\"\n  # gone\n  d=\"$(e '\"' \"${f:-x}\" \"${g:-'}\")\"\n  # gone too\n  g=$((1 + (2)))\n  # and\n";
        assert_eq!(minify(script), "a=\"${b%%\"$c\"*}\"\nd=\"$(e '\"' \"${f:-x}\" \"${g:-'}\")\"\ng=$((1 + (2)))\n");
    }

    #[test]
    fn a_continued_line_keeps_its_indentation() {
        assert_eq!(minify("  a \\\n    b\n  c\n"), "a \\\n    b\nc\n");
    }

    #[test]
    fn hashes_inside_words_are_no_comments() {
        assert_eq!(minify("  echo $# a#b '\n  x'\n  y\n"), "echo $# a#b '\n  x'\ny\n");
    }

    #[test]
    fn unreached_functions_go_and_reached_ones_stay() {
        let script =
            "# lib\nused() {\n  helper\n}\nhelper() {\n  :\n}\nunused() {\n  helper\n}\nroot() {\n  :\n}\nused\n";
        assert_eq!(
            prune(script, &["root"]),
            "# lib\nused() {\n  helper\n}\nhelper() {\n  :\n}\nroot() {\n  :\n}\nused\n"
        );
        assert_eq!(prune(script, &[]), "# lib\nused() {\n  helper\n}\nhelper() {\n  :\n}\nused\n");
    }

    #[test]
    fn a_name_inside_a_longer_word_does_not_reach() {
        let script = "f() {\n  :\n}\nf_more() {\n  :\n}\nf_more\n";
        assert_eq!(prune(script, &[]), "f_more() {\n  :\n}\nf_more\n");
    }
}
