//! `${…}` in model values: the pieces of a text and what each reference names.
//!
//! - `${axis}`: the variant's value of an axis;
//! - `${axis.field}`: a named field of that value's entry (`${axis.value}` is the value);
//! - `${parent:image}`, `${parent:image.tag}`: a parent's full reference or its tag (only in an
//!   image's `args`; `:` appears in no axis name, so the forms never meet);
//! - `$$`: a literal `$`; a `$` followed by anything else stays as it is.
//!
//! Scripts are shell text and keep `${…}` for the shell: only `${axis.field}`, which no shell
//! reads, is rewritten there into the variable that holds the field ([`script_fields`]).

/// The prefix of a parent reference.
pub const PARENT_PREFIX: &str = "parent:";

/// What a `${…}` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference<'a> {
    /// `${axis}` or `${axis.field}`.
    Axis { axis: &'a str, field: Option<&'a str> },
    /// `${parent:image}` or `${parent:image.part}`.
    Parent { image: &'a str, part: Option<&'a str> },
}

impl Reference<'_> {
    fn read(inner: &str) -> Reference<'_> {
        match inner.strip_prefix(PARENT_PREFIX) {
            Some(rest) => match rest.split_once('.') {
                Some((image, part)) => Reference::Parent { image, part: Some(part) },
                None => Reference::Parent { image: rest, part: None },
            },
            None => match inner.split_once('.') {
                Some((axis, field)) => Reference::Axis { axis, field: Some(field) },
                None => Reference::Axis { axis: inner, field: None },
            },
        }
    }
}

/// One piece of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    /// `$$`: one `$`.
    Dollar,
    /// `${…}`: `written` is the whole `${…}` as written.
    Reference {
        written: &'a str,
        reference: Reference<'a>,
    },
}

/// The model text that stands for `text` exactly, in a field that reads `${…}`: every `$`
/// doubled, so that a directory named `a$$b` or `r${s}` stays itself.
pub fn literal(text: &str) -> String {
    text.replace('$', "$$")
}

/// `${` without its `}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unterminated;

/// The pieces of `text`, in order.
pub fn pieces(text: &str) -> Result<Vec<Piece<'_>>, Unterminated> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        if at > 0 {
            out.push(Piece::Text(&rest[..at]));
        }
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push(Piece::Dollar);
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('{') {
            let end = inner.find('}').ok_or(Unterminated)?;
            let written = &rest[at..at + end + 3];
            out.push(Piece::Reference { written, reference: Reference::read(&inner[..end]) });
            rest = &inner[end + 1..];
        } else {
            out.push(Piece::Text("$"));
            rest = after;
        }
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

/// Every reference of `text`.
pub fn references(text: &str) -> Result<Vec<Reference<'_>>, Unterminated> {
    Ok(pieces(text)?
        .into_iter()
        .filter_map(|piece| match piece {
            Piece::Reference { reference, .. } => Some(reference),
            _ => None,
        })
        .collect())
}

/// Whether `text` holds a `${…}` (or a `$$`) at all: a value without one is used as written.
pub fn is_template(text: &str) -> bool {
    text.contains('$')
}

/// A `${axis.field}` in a shell script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScriptField<'a> {
    pub axis: &'a str,
    pub field: &'a str,
    /// Where the `${` starts and the `}` ends (exclusive), in bytes.
    pub span: (usize, usize),
}

/// The `${axis.field}` references of a shell script. `$$` (the shell's process id) is skipped,
/// so `$${a.b}` stays the shell's.
pub fn script_references(script: &str) -> Vec<ScriptField<'_>> {
    let mut found = Vec::new();
    let bytes = script.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'$') => i += 2,
            Some(b'{') => {
                let inner_start = i + 2;
                let Some(len) = script[inner_start..].find('}') else { break };
                let inner = &script[inner_start..inner_start + len];
                if let Some((axis, field)) = inner.split_once('.')
                    && is_identifier(axis)
                    && is_identifier(field)
                {
                    found.push(ScriptField { axis, field, span: (i, inner_start + len + 1) });
                }
                i = inner_start + len + 1;
            }
            _ => i += 1,
        }
    }
    found
}

/// A script with each `${axis.field}` written as `${<variable>}`, the variable `name(axis,
/// field)` returns. The variable holds the field's value in the job's environment, so the value
/// never becomes shell text.
pub fn script_fields(script: &str, name: impl Fn(&str, &str) -> String) -> String {
    let mut out = String::with_capacity(script.len());
    let mut done = 0;
    for reference in script_references(script) {
        out.push_str(&script[done..reference.span.0]);
        out.push_str(&format!("${{{}}}", name(reference.axis, reference.field)));
        done = reference.span.1;
    }
    out.push_str(&script[done..]);
    out
}

/// An axis or field name as the model allows it: `^[a-z][a-z0-9_]*$`.
fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_form() {
        let got = references("${pg}-${pg.major}-${parent:base}-${parent:base.tag}").unwrap();
        assert_eq!(
            got,
            [
                Reference::Axis { axis: "pg", field: None },
                Reference::Axis { axis: "pg", field: Some("major") },
                Reference::Parent { image: "base", part: None },
                Reference::Parent { image: "base", part: Some("tag") },
            ]
        );
        assert_eq!(
            pieces("a$$b$c").unwrap(),
            [Piece::Text("a"), Piece::Dollar, Piece::Text("b"), Piece::Text("$"), Piece::Text("c")]
        );
        assert_eq!(pieces("${pg"), Err(Unterminated));
    }

    #[test]
    fn rewrites_only_axis_fields_in_scripts() {
        let script = r#"echo $${pg.major} "${pg.major}" ${pg} ${HOME:-x.y} ${a.b.c} '${pg.major}'"#;
        let found: Vec<(&str, &str)> = script_references(script).iter().map(|r| (r.axis, r.field)).collect();
        assert_eq!(found, [("pg", "major"), ("pg", "major")]);
        assert_eq!(
            script_fields(script, |a, f| format!("{a}_{f}")),
            r#"echo $${pg.major} "${pg_major}" ${pg} ${HOME:-x.y} ${a.b.c} '${pg_major}'"#
        );
    }
}
