//! A small Dockerfile parser: only what `pipegen init` needs to infer a model — the stages and
//! what each starts from, build arguments, environment variables, and the sources and `--from`
//! of COPY and ADD. Everything else is read (so that line continuations, comments and heredocs
//! are skipped correctly) and dropped.
//!
//! It follows BuildKit's reading of the syntax: parser directives (`# syntax=`, `# escape=`) at
//! the very top, case-insensitive instructions, `\` (or the `escape` character) continuing a
//! line, comment and empty lines inside a continued instruction dropped, heredocs (`<<EOF`) on
//! RUN, COPY and ADD whose bodies are not instructions, and COPY/ADD in shell or JSON form.

use std::collections::BTreeMap;

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    /// `ARG`s before the first `FROM`: the only variables `FROM` lines can use.
    pub global_args: Vec<Arg>,
    /// The build stages, in order. There is at least one.
    pub stages: Vec<Stage>,
}

/// `ARG NAME[=default]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    pub name: String,
    pub default: Option<String>,
    pub line: usize,
}

/// One `FROM` and the instructions after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// 1-based line of the `FROM`.
    pub line: usize,
    /// What the stage starts from, as written (variables not expanded).
    pub base: String,
    /// `AS name`, lowercased: BuildKit compares stage names without case.
    pub name: Option<String>,
    /// `ARG`, `ENV`, `COPY` and `ADD`, in order (the order decides which variables a COPY sees).
    pub items: Vec<Item>,
}

/// An instruction of a stage that matters to `pipegen init`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Arg(Arg),
    /// `ENV` with its pairs (values as written, unexpanded).
    Env(Vec<(String, String)>),
    Copy(Copy),
    /// `RUN --mount=…,from=NAME,…`: BuildKit builds (or pulls) what `from` names, as for
    /// `COPY --from`.
    MountFrom(MountFrom),
}

/// The `from=` of one `RUN --mount`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountFrom {
    pub line: usize,
    /// `from=…`, as written.
    pub from: String,
}

/// `COPY` or `ADD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    pub line: usize,
    /// `COPY` or `ADD`, for messages.
    pub instruction: &'static str,
    /// `--from=…`, as written.
    pub from: Option<String>,
    /// The sources, as written; heredoc sources (inline files) are left out.
    pub sources: Vec<String>,
}

/// Why a text is not a Dockerfile pipegen can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Every instruction BuildKit knows; anything else is an error, as it is for `docker build`.
const INSTRUCTIONS: &[&str] = &[
    "add",
    "arg",
    "cmd",
    "copy",
    "entrypoint",
    "env",
    "expose",
    "from",
    "healthcheck",
    "label",
    "maintainer",
    "onbuild",
    "run",
    "shell",
    "stopsignal",
    "user",
    "volume",
    "workdir",
];

/// One instruction after continuations are joined.
struct Logical {
    line: usize,
    keyword: String,
    args: String,
}

pub fn parse(text: &str) -> Result<Dockerfile, ParseError> {
    let text = crate::directives::without_byte_order_mark(text);
    let lines: Vec<&str> = text.lines().collect();
    let mut index = 0;
    let escape = read_directives(&lines, &mut index)?;
    let mut global_args = Vec::new();
    let mut stages: Vec<Stage> = Vec::new();
    while let Some(logical) = next_instruction(&lines, &mut index, escape)? {
        let Logical { line, keyword, args } = logical;
        if !INSTRUCTIONS.contains(&keyword.as_str()) {
            return Err(ParseError { line, message: format!("unknown instruction `{}`", keyword.to_uppercase()) });
        }
        match keyword.as_str() {
            "from" => {
                let stage = parse_from(line, &args)?;
                if let Some(name) = &stage.name
                    && stages.iter().any(|s| s.name.as_ref() == Some(name))
                {
                    return Err(ParseError { line, message: format!("stage name `{name}` is used twice") });
                }
                stages.push(stage);
            }
            "arg" => {
                let args = parse_arg(line, &args)?;
                match stages.last_mut() {
                    Some(stage) => stage.items.extend(args.into_iter().map(Item::Arg)),
                    None => global_args.extend(args),
                }
            }
            _ if stages.is_empty() => {
                return Err(ParseError {
                    line,
                    message: format!("`{}` before the first FROM (only ARG may come first)", keyword.to_uppercase()),
                });
            }
            "env" => {
                let pairs = parse_env(line, &args)?;
                stages.last_mut().expect("checked above").items.push(Item::Env(pairs));
            }
            "copy" | "add" => {
                let instruction = if keyword == "copy" { "COPY" } else { "ADD" };
                let copy = parse_copy(line, instruction, &args)?;
                stages.last_mut().expect("checked above").items.push(Item::Copy(copy));
            }
            "run" => {
                let stage = stages.last_mut().expect("checked above");
                stage
                    .items
                    .extend(mounts_from(&args).into_iter().map(|from| Item::MountFrom(MountFrom { line, from })));
            }
            _ => {}
        }
    }
    if stages.is_empty() {
        return Err(ParseError { line: lines.len().max(1), message: "no FROM instruction".to_string() });
    }
    Ok(Dockerfile { global_args, stages })
}

/// Parser directives ([`crate::directives`]): only `escape` changes how the rest is read.
fn read_directives(lines: &[&str], index: &mut usize) -> Result<char, ParseError> {
    let directives =
        crate::directives::read(lines.iter().copied()).map_err(|e| ParseError { line: e.line, message: e.message })?;
    *index = directives.lines;
    Ok(directives.escape)
}

fn is_comment_or_empty(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.is_empty() || trimmed.starts_with('#')
}

/// The next instruction, with its continuation lines joined and any heredoc bodies consumed.
fn next_instruction(lines: &[&str], index: &mut usize, escape: char) -> Result<Option<Logical>, ParseError> {
    while lines.get(*index).is_some_and(|l| is_comment_or_empty(l)) {
        *index += 1;
    }
    let Some(first) = lines.get(*index) else { return Ok(None) };
    let line = *index + 1;
    let mut joined = String::new();
    let mut current = *first;
    loop {
        *index += 1;
        let trimmed = current.trim_end();
        match trimmed.strip_suffix(escape) {
            Some(before) => {
                joined.push_str(before);
                // Comment and empty lines inside a continued instruction are dropped.
                while lines.get(*index).is_some_and(|l| is_comment_or_empty(l)) {
                    *index += 1;
                }
                match lines.get(*index) {
                    Some(next) => current = next,
                    None => break,
                }
            }
            None => {
                joined.push_str(current);
                break;
            }
        }
    }
    let joined = joined.trim();
    let (keyword, args) = match joined.find(char::is_whitespace) {
        Some(at) => (&joined[..at], joined[at..].trim()),
        None => (joined, ""),
    };
    let keyword = keyword.to_ascii_lowercase();
    for heredoc in crate::heredoc::opened_by(joined) {
        skip_heredoc(lines, index, &heredoc, line)?;
    }
    Ok(Some(Logical { line, keyword, args: args.to_string() }))
}

/// Past the body of `heredoc`, which the instruction at line `opened` opens.
fn skip_heredoc(
    lines: &[&str],
    index: &mut usize,
    heredoc: &crate::heredoc::Heredoc,
    opened: usize,
) -> Result<(), ParseError> {
    while let Some(line) = lines.get(*index) {
        *index += 1;
        if heredoc.ends_at(line.strip_suffix('\r').unwrap_or(line)) {
            return Ok(());
        }
    }
    Err(ParseError { line: opened, message: format!("heredoc <<{} is never closed", heredoc.terminator) })
}

/// A word of shell-like text: `raw` as written, `text` with quotes removed.
pub(super) struct Word {
    pub(super) raw: String,
    pub(super) text: String,
}

/// Split on unquoted whitespace; single quotes keep everything, double quotes allow `\"`.
pub(super) fn shell_words(text: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut raw = String::new();
    let mut unquoted = String::new();
    let mut quote: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => {
                quote = None;
                raw.push(c);
            }
            Some('"') if c == '\\' && chars.peek().is_some_and(|n| *n == '"' || *n == '\\') => {
                let next = chars.next().expect("peeked");
                raw.push(c);
                raw.push(next);
                unquoted.push(next);
            }
            Some(_) => {
                raw.push(c);
                unquoted.push(c);
            }
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                raw.push(c);
            }
            None if c.is_whitespace() => {
                if !raw.is_empty() {
                    words.push(Word { raw: std::mem::take(&mut raw), text: std::mem::take(&mut unquoted) });
                }
            }
            None => {
                raw.push(c);
                unquoted.push(c);
            }
        }
    }
    if !raw.is_empty() {
        words.push(Word { raw, text: unquoted });
    }
    words
}

/// `FROM [--platform=…] image [AS name]`.
fn parse_from(line: usize, args: &str) -> Result<Stage, ParseError> {
    let words: Vec<&str> = args.split_whitespace().skip_while(|w| w.starts_with("--")).collect();
    let error = |message: String| ParseError { line, message };
    let (base, name) = match words.as_slice() {
        [] => return Err(error("FROM names no image".to_string())),
        [base] => (*base, None),
        [base, as_, name] if as_.eq_ignore_ascii_case("as") => (*base, Some(name.to_ascii_lowercase())),
        _ => return Err(error(format!("FROM takes an image and an optional `AS name`, not `{args}`"))),
    };
    if let Some(name) = &name
        && !is_stage_name(name)
    {
        return Err(error(format!("`{name}` is not a valid stage name")));
    }
    Ok(Stage { line, base: base.to_string(), name, items: Vec::new() })
}

/// BuildKit's stage names: a letter, then letters, digits, `-`, `_` and `.` (lowercased).
fn is_stage_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

/// `ARG NAME[=default] …`.
fn parse_arg(line: usize, args: &str) -> Result<Vec<Arg>, ParseError> {
    let words = shell_words(args);
    if words.is_empty() {
        return Err(ParseError { line, message: "ARG names no argument".to_string() });
    }
    Ok(words
        .into_iter()
        .map(|word| match word.text.split_once('=') {
            Some((name, default)) => Arg { name: name.to_string(), default: Some(default.to_string()), line },
            None => Arg { name: word.text, default: None, line },
        })
        .collect())
}

/// `ENV KEY=value …`, or the legacy `ENV KEY value with spaces`.
fn parse_env(line: usize, args: &str) -> Result<Vec<(String, String)>, ParseError> {
    let words = shell_words(args);
    let Some(first) = words.first() else {
        return Err(ParseError { line, message: "ENV sets no variable".to_string() });
    };
    if !first.text.contains('=') {
        let value = args.trim_start()[first.raw.len()..].trim();
        let value = shell_words(value).into_iter().map(|w| w.text).collect::<Vec<_>>().join(" ");
        return Ok(vec![(first.text.clone(), value)]);
    }
    words
        .into_iter()
        .map(|word| match word.text.split_once('=') {
            Some((name, value)) => Ok((name.to_string(), value.to_string())),
            None => Err(ParseError { line, message: format!("ENV expects KEY=value, not `{}`", word.raw) }),
        })
        .collect()
}

/// `COPY|ADD [--flag…] src… dest` or `COPY|ADD [--flag…] ["src", …, "dest"]`.
fn parse_copy(line: usize, instruction: &'static str, args: &str) -> Result<Copy, ParseError> {
    let mut rest = args.trim_start();
    let mut from = None;
    while rest.starts_with("--") {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let flag = &rest[..end];
        if let Some(value) = flag.strip_prefix("--from=") {
            from = Some(value.to_string());
        }
        rest = rest[end..].trim_start();
    }
    // The JSON form when it is valid JSON; otherwise, like BuildKit, the shell form.
    let parts: Vec<String> = match serde_json::from_str::<Vec<String>>(rest) {
        Ok(parts) if rest.starts_with('[') => parts,
        _ => rest.split_whitespace().map(str::to_string).collect(),
    };
    if parts.len() < 2 {
        return Err(ParseError { line, message: format!("{instruction} needs a source and a destination") });
    }
    let sources = parts[..parts.len() - 1].iter().filter(|s| !s.starts_with("<<")).cloned().collect();
    Ok(Copy { line, instruction, from, sources })
}

/// The `from=` of each `--mount` flag of a RUN: its leading `--flag=value` words; a mount's
/// options are comma-separated `key=value` fields (CSV, so a field may be double-quoted), keys
/// without case, `from` anywhere among them.
fn mounts_from(args: &str) -> Vec<String> {
    let mut found = Vec::new();
    for word in shell_words(args) {
        let Some(flag) = word.text.strip_prefix("--") else { break };
        let Some((name, value)) = flag.split_once('=') else { continue };
        if !name.eq_ignore_ascii_case("mount") {
            continue;
        }
        for field in csv_fields(value) {
            if let Some((key, value)) = field.split_once('=')
                && key.trim().eq_ignore_ascii_case("from")
                && !value.is_empty()
            {
                found.push(value.to_string());
            }
        }
    }
    found
}

/// The fields of one CSV record: split on commas outside double quotes, `""` inside quotes
/// being one `"`.
fn csv_fields(text: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// Variables in scope while reading a Dockerfile: declared names with their value, or `None`
/// for a declared argument without a default (its value comes from the build command).
pub type Scope = BTreeMap<String, Option<String>>;

/// Why a text could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpandError {
    /// The variable is not declared, or is an `ARG` without a default.
    Unset(String),
    /// A `${…}` form pipegen does not evaluate (`${X#prefix}` and the like).
    Unsupported(String),
}

impl std::fmt::Display for ExpandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExpandError::Unset(name) => write!(f, "`{name}` has no default value"),
            ExpandError::Unsupported(text) => write!(f, "`{text}` is a substitution pipegen init does not evaluate"),
        }
    }
}

/// Expand `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`, `${NAME:+word}` and
/// `${NAME+word}` as BuildKit does; `\$` is a literal `$`.
pub fn expand(text: &str, scope: &Scope) -> Result<String, ExpandError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && chars.get(i + 1) == Some(&'$') {
            out.push('$');
            i += 2;
            continue;
        }
        if c != '$' {
            out.push(c);
            i += 1;
            continue;
        }
        if chars.get(i + 1) == Some(&'{') {
            let Some(close) = matching_brace(&chars, i + 1) else {
                return Err(ExpandError::Unsupported(chars[i..].iter().collect()));
            };
            let inner: String = chars[i + 2..close].iter().collect();
            out.push_str(&expand_braced(&inner, scope)?);
            i = close + 1;
            continue;
        }
        let name: String = chars[i + 1..].iter().take_while(|c| c.is_ascii_alphanumeric() || **c == '_').collect();
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
            out.push('$');
            i += 1;
            continue;
        }
        i += 1 + name.len();
        match scope.get(&name) {
            Some(Some(value)) => out.push_str(value),
            _ => return Err(ExpandError::Unset(name)),
        }
    }
    Ok(out)
}

/// The index of the `}` that closes the `{` at `open`.
fn matching_brace(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0;
    for (i, c) in chars.iter().enumerate().skip(open) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn expand_braced(inner: &str, scope: &Scope) -> Result<String, ExpandError> {
    let name_end = inner.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(inner.len());
    let (name, modifier) = inner.split_at(name_end);
    if name.is_empty() {
        return Err(ExpandError::Unsupported(format!("${{{inner}}}")));
    }
    let value = scope.get(name).cloned().flatten();
    let (operator, word) = match modifier {
        "" => return value.ok_or_else(|| ExpandError::Unset(name.to_string())),
        m if m.starts_with(":-") || m.starts_with(":+") => m.split_at(2),
        m if m.starts_with('-') || m.starts_with('+') => m.split_at(1),
        _ => return Err(ExpandError::Unsupported(format!("${{{inner}}}"))),
    };
    let empty_is_unset = operator.starts_with(':');
    let set = value.as_ref().is_some_and(|v| !(empty_is_unset && v.is_empty()));
    match (operator.ends_with('-'), set) {
        (true, true) => Ok(value.unwrap_or_default()),
        (true, false) => expand(word, scope),
        (false, true) => expand(word, scope),
        (false, false) => Ok(String::new()),
    }
}

/// The variables `text` refers to, in order (for telling which arguments a FROM line uses).
pub fn variables(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && (i == 0 || bytes[i - 1] != b'\\') {
            let start = if bytes.get(i + 1) == Some(&b'{') { i + 2 } else { i + 1 };
            let end = text[start..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(text.len(), |at| start + at);
            if end > start && !bytes[start].is_ascii_digit() {
                names.push(text[start..end].to_string());
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    names
}

/// The one variable `text` consists of (`$X`, `${X}`, `${X:-…}`), if that is all it is.
pub fn sole_variable(text: &str) -> Option<String> {
    let name = |s: &str| {
        (!s.is_empty()
            && !s.starts_with(|c: char| c.is_ascii_digit())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then(|| s.to_string())
    };
    if let Some(inner) = text.strip_prefix("${").and_then(|t| t.strip_suffix('}')) {
        let end = inner.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(inner.len());
        let (n, modifier) = inner.split_at(end);
        if modifier.is_empty() || modifier.starts_with(":-") || modifier.starts_with('-') {
            return name(n);
        }
        return None;
    }
    text.strip_prefix('$').and_then(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(df: &Dockerfile, i: usize) -> &Stage {
        &df.stages[i]
    }

    fn copies(stage: &Stage) -> Vec<&Copy> {
        stage
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Copy(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn reads_stages_args_and_copies() {
        let df = parse(
            "# syntax=docker/dockerfile:1\n\
             ARG BASE_IMAGE\n\
             ARG GO=1.22\n\
             FROM ${BASE_IMAGE} AS Builder\n\
             ARG GO\n\
             COPY go.mod go.sum ./\n\
             from --platform=$BUILDPLATFORM debian:12\n\
             copy --from=builder /out /usr/bin/\n",
        )
        .unwrap();
        assert_eq!(
            df.global_args,
            [
                Arg { name: "BASE_IMAGE".into(), default: None, line: 2 },
                Arg { name: "GO".into(), default: Some("1.22".into()), line: 3 }
            ]
        );
        assert_eq!(df.stages.len(), 2);
        assert_eq!(stage(&df, 0).base, "${BASE_IMAGE}");
        assert_eq!(stage(&df, 0).name.as_deref(), Some("builder"));
        assert_eq!(stage(&df, 0).items[0], Item::Arg(Arg { name: "GO".into(), default: None, line: 5 }));
        assert_eq!(copies(stage(&df, 0))[0].sources, ["go.mod", "go.sum"]);
        assert_eq!(stage(&df, 1).base, "debian:12");
        assert_eq!(stage(&df, 1).name, None);
        assert_eq!(stage(&df, 1).line, 7);
        assert_eq!(copies(stage(&df, 1))[0].from.as_deref(), Some("builder"));
        assert_eq!(copies(stage(&df, 1))[0].sources, ["/out"]);
    }

    #[test]
    fn joins_continuations_and_drops_comments_inside_them() {
        let df = parse(
            "FROM alpine\n\
             # a comment\n\
             \n\
             COPY a \\\n\
             # a comment inside the instruction\n\
             \n\
               b \\   \n\
               /dest/\n\
             RUN echo \\\n\
               COPY not-an-instruction /x\n",
        )
        .unwrap();
        let c = copies(stage(&df, 0));
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].sources, ["a", "b"]);
        assert_eq!(c[0].line, 4);
    }

    #[test]
    fn honours_the_escape_directive() {
        let df = parse("# escape=`\nFROM windows\nCOPY a `\n  b C:\\dest\\\n").unwrap();
        assert_eq!(copies(stage(&df, 0))[0].sources, ["a", "b"]);
    }

    #[test]
    fn directives_end_at_the_first_other_line() {
        // After a comment, `# escape=` is a comment: `\` still continues lines.
        let df = parse("# hello\n# escape=`\nFROM alpine\nCOPY a \\\n b /c\n").unwrap();
        assert_eq!(copies(stage(&df, 0))[0].sources, ["a", "b"]);
        // An unknown directive ends them too, as in BuildKit.
        let df = parse("# foo=bar\n# escape=`\nFROM alpine\nCOPY a \\\n b /c\n").unwrap();
        assert_eq!(copies(stage(&df, 0))[0].sources, ["a", "b"]);
    }

    #[test]
    fn a_byte_order_mark_is_no_part_of_the_first_instruction() {
        let df = parse("\u{feff}FROM alpine\nCOPY a /b\n").unwrap();
        assert_eq!(copies(stage(&df, 0))[0].sources, ["a"]);
        let df = parse("\u{feff}# escape=`\nFROM windows\nCOPY a `\n  b C:\\dest\\\n").unwrap();
        assert_eq!(copies(stage(&df, 0))[0].sources, ["a", "b"]);
    }

    #[test]
    fn skips_heredoc_bodies() {
        let df = parse(
            "FROM alpine\n\
             RUN <<EOF\n\
             FROM not-a-stage\n\
             # not a comment either \\\n\
             EOF\n\
             COPY <<-\"END\" <<two /etc/\n\
             \tCOPY x /y\n\
             \tEND\n\
             second body\n\
             two\n\
             RUN cat <<EOT >/etc/motd\n\
             hello\n\
             EOT\n\
             COPY real /dest\n",
        )
        .unwrap();
        assert_eq!(df.stages.len(), 1);
        let c = copies(stage(&df, 0));
        assert_eq!(c.len(), 2);
        assert!(c[0].sources.is_empty(), "heredoc sources are inline files: {:?}", c[0].sources);
        assert_eq!(c[1].sources, ["real"]);
        assert_eq!(c[1].line, 14);
    }

    #[test]
    fn an_unclosed_heredoc_is_an_error() {
        let error = parse("FROM alpine\nRUN <<EOF\necho\n").unwrap_err();
        assert_eq!(error, ParseError { line: 2, message: "heredoc <<EOF is never closed".into() });
    }

    #[test]
    fn reads_the_json_form_and_flags() {
        let df = parse(
            "FROM alpine\n\
             COPY --chown=1:1 --from=build [\"a b\", \"c\", \"/d/\"]\n\
             ADD --link https://example.com/x.tgz /x\n\
             COPY [not json /x\n",
        )
        .unwrap();
        let c = copies(stage(&df, 0));
        assert_eq!(c[0].from.as_deref(), Some("build"));
        assert_eq!(c[0].sources, ["a b", "c"]);
        assert_eq!(c[1].instruction, "ADD");
        assert_eq!(c[1].sources, ["https://example.com/x.tgz"]);
        assert_eq!(c[2].sources, ["[not", "json"]);
    }

    #[test]
    fn reads_the_from_of_run_mounts() {
        let df = parse(
            "FROM alpine\n\
             RUN --mount=from=b,target=/b true\n\
             RUN --network=none --mount=type=cache,target=/c,FROM=deps,sharing=locked \\\n\
               --mount=type=secret,id=x make\n\
             RUN --mount='type=bind,\"target=/a,from=x\",from=img:1' --mount=\"from=q\" echo --mount=from=no\n\
             RUN echo --mount=from=not-a-flag-either\n",
        )
        .unwrap();
        let mounts: Vec<(usize, &str)> = stage(&df, 0)
            .items
            .iter()
            .filter_map(|item| match item {
                Item::MountFrom(m) => Some((m.line, m.from.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(mounts, [(2, "b"), (3, "deps"), (5, "img:1"), (5, "q")]);
    }

    #[test]
    fn reads_arg_and_env_forms() {
        let df = parse(
            "ARG A=1 B \"C=two words\"\n\
             FROM alpine\n\
             ENV X=1 Y=\"a b\"\n\
             ENV LEGACY some value\n",
        )
        .unwrap();
        let names: Vec<(&str, Option<&str>)> =
            df.global_args.iter().map(|a| (a.name.as_str(), a.default.as_deref())).collect();
        assert_eq!(names, [("A", Some("1")), ("B", None), ("C", Some("two words"))]);
        assert_eq!(
            stage(&df, 0).items,
            [
                Item::Env(vec![("X".into(), "1".into()), ("Y".into(), "a b".into())]),
                Item::Env(vec![("LEGACY".into(), "some value".into())])
            ]
        );
    }

    #[test]
    fn rejects_what_docker_rejects() {
        let cases = [
            ("RUN echo\n", 1, "`RUN` before the first FROM (only ARG may come first)"),
            ("# just a comment\n", 1, "no FROM instruction"),
            ("FROM\n", 1, "FROM names no image"),
            ("FROM a AS b c\n", 1, "FROM takes an image and an optional `AS name`, not `a AS b c`"),
            ("FROM a AS 1x\n", 1, "`1x` is not a valid stage name"),
            ("FROM a AS x\nFROM b AS X\n", 2, "stage name `x` is used twice"),
            ("FROM a\nCOPY onlyone\n", 2, "COPY needs a source and a destination"),
            ("FROM a\nFOO bar\n", 2, "unknown instruction `FOO`"),
            ("# This is a README\n\nSome text.\n", 3, "unknown instruction `SOME`"),
        ];
        for (text, line, message) in cases {
            assert_eq!(parse(text).unwrap_err(), ParseError { line, message: message.into() }, "{text:?}");
        }
    }

    #[test]
    fn expands_variables_like_buildkit() {
        let scope: Scope = [
            ("A".to_string(), Some("x".to_string())),
            ("EMPTY".to_string(), Some(String::new())),
            ("NODEFAULT".to_string(), None),
        ]
        .into();
        assert_eq!(expand("$A/${A}-\\$A", &scope).unwrap(), "x/x-$A");
        assert_eq!(expand("${MISSING:-d}${EMPTY:-e}${EMPTY-f}", &scope).unwrap(), "de");
        assert_eq!(expand("${A:+set}${MISSING:+no}${EMPTY+y}", &scope).unwrap(), "sety");
        assert_eq!(expand("${NODEFAULT:-${A}}", &scope).unwrap(), "x");
        assert_eq!(expand("cost $5", &scope).unwrap(), "cost $5");
        assert_eq!(expand("${NODEFAULT}", &scope).unwrap_err(), ExpandError::Unset("NODEFAULT".into()));
        assert_eq!(expand("$MISSING", &scope).unwrap_err(), ExpandError::Unset("MISSING".into()));
        assert_eq!(expand("${A#x}", &scope).unwrap_err(), ExpandError::Unsupported("${A#x}".into()));
    }

    #[test]
    fn finds_variables() {
        assert_eq!(variables("${A}/$B_C:${D:-$E}\\$F $1"), ["A", "B_C", "D", "E"]);
        assert_eq!(sole_variable("${BASE_IMAGE}").as_deref(), Some("BASE_IMAGE"));
        assert_eq!(sole_variable("$BASE").as_deref(), Some("BASE"));
        assert_eq!(sole_variable("${BASE:-debian:12}").as_deref(), Some("BASE"));
        assert_eq!(sole_variable("${BASE}:tag"), None);
        assert_eq!(sole_variable("debian"), None);
    }
}
