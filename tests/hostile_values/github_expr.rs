//! Just enough of GitHub's expression language to read the values a workflow hands to its
//! steps (`env:`, `with:`, job `outputs:`): `${{ … }}` holding string literals (`'it''s'`),
//! context paths (`needs.build_a.outputs.tag`, `github.token`), `||` and `format(…)`. A context the run does
//! not have reads as the empty string, as in GitHub (`vars.X` unset). Anything else (a function
//! call) is an error: the test must not guess what a value would be.
//!
//! Also the runner's split of a service's `options:` into `docker create` arguments, which .NET
//! does (System.Diagnostics.Process on Unix: `ParseArgumentsIntoList`): blanks separate,
//! double quotes group, `""` inside quotes is one quote, backslashes are literal unless they
//! precede a quote (2n backslashes and a quote: n backslashes and the quote groups; 2n+1: n
//! backslashes and a literal quote).

use std::collections::BTreeMap;

/// The values of context paths (`needs.x.outputs.tag` → …).
pub type Contexts = BTreeMap<String, String>;

/// `text` with every `${{ … }}` replaced by its value.
pub fn evaluate(text: &str, contexts: &Contexts) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("${{") {
        out.push_str(&rest[..at]);
        let inner = &rest[at + 3..];
        let end = expression_end(inner).ok_or_else(|| format!("`${{{{` without `}}}}` in {text:?}"))?;
        out.push_str(&expression(inner[..end].trim(), contexts)?);
        rest = &inner[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Where the `}}` that closes an expression is: outside string literals.
fn expression_end(inner: &str) -> Option<usize> {
    let mut quoted = false;
    let bytes = inner.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            b'}' if !quoted && bytes.get(i + 1) == Some(&b'}') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// One expression: `format('…{0}…', a, b)`, whose arguments are expressions, or operands
/// separated by `||`, the first non-empty one wins.
fn expression(expr: &str, contexts: &Contexts) -> Result<String, String> {
    if let Some(args) = expr.strip_prefix("format(").and_then(|e| e.strip_suffix(')')) {
        return format_call(args, contexts);
    }
    let mut operands = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    let bytes = expr.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            b'|' if !quoted && bytes.get(i + 1) == Some(&b'|') => {
                operands.push(&expr[start..i]);
                start = i + 2;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    operands.push(&expr[start..]);
    let mut value = String::new();
    for operand in operands {
        value = operand_value(operand.trim(), contexts)?;
        if !value.is_empty() {
            break;
        }
    }
    Ok(value)
}

/// GitHub's `format`: `{N}` is the N-th argument after the template, `{{` and `}}` are braces.
fn format_call(args: &str, contexts: &Contexts) -> Result<String, String> {
    let mut parts = Vec::new();
    let (mut quoted, mut depth, mut start) = (false, 0usize, 0);
    for (i, c) in args.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            ',' if !quoted && depth == 0 => {
                parts.push(&args[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&args[start..]);
    let template = operand_value(parts[0].trim(), contexts)?;
    let values: Vec<String> = parts[1..].iter().map(|a| expression(a.trim(), contexts)).collect::<Result<_, _>>()?;
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let index: String = chars.by_ref().take_while(|c| *c != '}').collect();
                let index: usize = index.parse().map_err(|_| format!("format: {{{index}}} in {template:?}"))?;
                out.push_str(values.get(index).ok_or_else(|| format!("format: no argument {index}"))?);
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

fn operand_value(operand: &str, contexts: &Contexts) -> Result<String, String> {
    if let Some(body) = operand.strip_prefix('\'').and_then(|o| o.strip_suffix('\'')) {
        if body.replace("''", "").contains('\'') {
            return Err(format!("a string literal with a lone quote: {operand}"));
        }
        return Ok(body.replace("''", "'"));
    }
    let is_path = !operand.is_empty()
        && operand
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
    if is_path {
        return Ok(contexts.get(operand).cloned().unwrap_or_default());
    }
    Err(format!("an expression this test does not evaluate: {operand}"))
}

/// The string literals of `hashFiles('a', 'b')` inside `text` (a cache key), read back.
pub fn hash_files_arguments(text: &str) -> Result<Vec<String>, String> {
    let start = text.find("hashFiles(").ok_or_else(|| format!("no hashFiles in {text:?}"))? + "hashFiles(".len();
    let mut out = Vec::new();
    let mut rest = &text[start..];
    loop {
        rest = rest.trim_start();
        let Some(body) = rest.strip_prefix('\'') else { return Err(format!("not a string literal: {rest:?}")) };
        let mut value = String::new();
        let mut chars = body.char_indices().peekable();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().map(|&(_, n)| n) == Some('\'') {
                    chars.next();
                    value.push('\'');
                } else {
                    end = Some(i + 1);
                    break;
                }
            } else {
                value.push(c);
            }
        }
        let end = end.ok_or("an unterminated string literal")?;
        out.push(value);
        rest = body[end..].trim_start();
        if let Some(next) = rest.strip_prefix(',') {
            rest = next;
        } else if rest.starts_with(')') {
            return Ok(out);
        } else {
            return Err(format!("after a hashFiles argument: {rest:?}"));
        }
    }
}

/// The arguments .NET makes of a command-line string.
pub fn dotnet_arguments(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t') {
            i += 1;
        }
        if i == chars.len() {
            break;
        }
        let mut current = String::new();
        let mut quoted = false;
        while i < chars.len() {
            let mut backslashes = 0;
            while i < chars.len() && chars[i] == '\\' {
                backslashes += 1;
                i += 1;
            }
            if backslashes > 0 {
                if i < chars.len() && chars[i] == '"' {
                    current.push_str(&"\\".repeat(backslashes / 2));
                    if backslashes % 2 == 1 {
                        current.push('"');
                        i += 1;
                    }
                } else {
                    current.push_str(&"\\".repeat(backslashes));
                }
                continue;
            }
            let c = chars[i];
            if c == '"' {
                if quoted && chars.get(i + 1) == Some(&'"') {
                    current.push('"');
                    i += 1;
                } else {
                    quoted = !quoted;
                }
                i += 1;
                continue;
            }
            if (c == ' ' || c == '\t') && !quoted {
                break;
            }
            current.push(c);
            i += 1;
        }
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_literals_paths_and_or() {
        let contexts: Contexts = [("needs.a.outputs.tag".to_string(), "t1".to_string())].into_iter().collect();
        assert_eq!(evaluate("x ${{ '${{' }} secrets.X }} y", &contexts).unwrap(), "x ${{ secrets.X }} y");
        assert_eq!(evaluate("${{ 'it''s' }}", &contexts).unwrap(), "it's");
        assert_eq!(evaluate("${{ needs.a.outputs.tag }}", &contexts).unwrap(), "t1");
        assert_eq!(evaluate("${{ inputs.r || vars.R || 'reg/x' }}", &contexts).unwrap(), "reg/x");
        assert_eq!(
            evaluate("${{ format('{0}/b:{1}{{x}}', inputs.r || 'reg', needs.a.outputs.tag) }}", &contexts).unwrap(),
            "reg/b:t1{x}"
        );
        assert!(evaluate("${{ startsWith(github.ref, 'refs/tags/') }}", &contexts).is_err());
        assert_eq!(hash_files_arguments("k~${{ hashFiles('a''b', 'c') }}").unwrap(), ["a'b", "c"]);
    }

    #[test]
    fn splits_like_dotnet() {
        assert_eq!(
            dotnet_arguments(r#"--a "b c" d\e "f\"g" "h\\" "i""j""#),
            ["--a", "b c", r"d\e", "f\"g", "h\\", "i\"j"]
        );
    }
}
