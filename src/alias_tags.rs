//! Alias tags (`images.<name>.aliases`): the pipeline values their templates may name, what a
//! template becomes once a variant's axis values are in place, and the docker tag grammar that
//! every rendered alias must satisfy.
//!
//! A template mixes values known when pipegen runs (axis values and fields) with values only the
//! pipeline knows (the branch, the git tag, the commit and its time). The plan puts the axis
//! values in; the pipeline values stay `${name}` placeholders, which the alias script
//! (`emit/scripts/alias.rs`) fills from the platform's variables at run time, as data.

use crate::template::{self, Piece, Reference};
use crate::variant::{self, SubstitutionError, Variant};

/// The pipeline values a template may name, with what each is (for messages and docs).
pub const PIPELINE_VALUES: &[(&str, &str)] = &[
    ("branch", "the pipeline's branch, `/` and other characters a tag cannot hold written `-`"),
    ("git_tag", "the pipeline's git tag, sanitized like `${branch}`"),
    ("semver", "the git tag's semantic version without a leading `v` (`v1.2.3-rc.1` → `1.2.3-rc.1`)"),
    ("semver.major", "the major version of a release git tag (`v1.2.3` → `1`)"),
    ("semver.minor", "the minor version of a release git tag (`v1.2.3` → `2`)"),
    ("semver.patch", "the patch version of a release git tag (`v1.2.3` → `3`)"),
    ("date", "the commit's date, UTC, `YYYYMMDD`"),
    ("timestamp", "the commit's date and time, UTC, `YYYYMMDDHHMM`"),
    ("commit", "the commit SHA"),
    ("short_commit", "the first 8 characters of the commit SHA"),
];

/// The longest docker tag.
pub const MAX_TAG_LEN: usize = 128;

/// The pipeline value `${name}` / `${name.field}` names, written `name` or `name.field`.
pub fn pipeline_value(name: &str, field: Option<&str>) -> Option<&'static str> {
    let written = match field {
        Some(field) => format!("{name}.{field}"),
        None => name.to_string(),
    };
    PIPELINE_VALUES.iter().map(|(n, _)| *n).find(|n| *n == written)
}

/// Whether `name` is the first part of some pipeline value (`semver` for `${semver.major}`).
pub fn is_pipeline_name(name: &str) -> bool {
    PIPELINE_VALUES.iter().any(|(n, _)| n.split('.').next() == Some(name))
}

/// A template with the variant's axis values and fields in place and its pipeline values kept
/// as `${name}` placeholders. Each axis reference goes through [`variant::substitute`], the one
/// substitution of model values.
pub fn substitute_axes(text: &str, variant: &Variant) -> Result<String, SubstitutionError> {
    let mut out = String::with_capacity(text.len());
    for piece in template::pieces(text).map_err(|_| SubstitutionError::Unterminated)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Dollar => out.push('$'),
            Piece::Reference { reference: Reference::Axis { axis, field }, written }
                if pipeline_value(axis, field).is_some() =>
            {
                out.push_str(written)
            }
            Piece::Reference { written, .. } => out.push_str(&variant::substitute(written, variant)?),
        }
    }
    Ok(out)
}

/// The literal characters of a tag: letters, digits, `_`, `.` and `-`.
pub fn is_tag_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// Why `tag` is not a docker tag (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`), if it is not.
pub fn tag_problem(tag: &str) -> Option<String> {
    if tag.is_empty() {
        return Some("it is empty".to_string());
    }
    if let Some(c) = tag.chars().find(|c| !is_tag_char(*c)) {
        return Some(format!("a tag cannot hold `{c}` (letters, digits, `_`, `.` and `-` only)"));
    }
    if tag.starts_with(['.', '-']) {
        return Some("a tag cannot start with `.` or `-`".to_string());
    }
    if tag.len() > MAX_TAG_LEN {
        return Some(format!("it is {} characters long, and a tag has at most {MAX_TAG_LEN}", tag.len()));
    }
    None
}

/// The parts of a template (after [`substitute_axes`]) that are fixed: its text with each
/// pipeline placeholder removed, and whether it starts with a placeholder.
pub fn fixed_parts(text: &str) -> (String, bool) {
    let mut fixed = String::new();
    let mut starts_with_placeholder = false;
    let Ok(pieces) = template::pieces(text) else { return (text.to_string(), false) };
    for (i, piece) in pieces.iter().enumerate() {
        match piece {
            Piece::Text(t) => fixed.push_str(t),
            Piece::Dollar => fixed.push('$'),
            Piece::Reference { .. } => starts_with_placeholder |= i == 0,
        }
    }
    (fixed, starts_with_placeholder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_pipeline_values_and_substitutes_axes() {
        let variant = Variant::new(vec![("pg".into(), "16.4".into())]);
        assert_eq!(substitute_axes("${pg}-dev-${timestamp}", &variant).unwrap(), "16.4-dev-${timestamp}");
        assert_eq!(
            substitute_axes("${semver.major}.${semver.minor}-${pg}", &variant).unwrap(),
            "${semver.major}.${semver.minor}-16.4"
        );
        assert_eq!(substitute_axes("${ruby}", &variant), Err(SubstitutionError::NotInScope("ruby".into())));
        assert_eq!(pipeline_value("semver", Some("major")), Some("semver.major"));
        assert_eq!(pipeline_value("semver", Some("value")), None);
        assert!(is_pipeline_name("semver") && !is_pipeline_name("pg"));
    }

    #[test]
    fn checks_the_tag_grammar() {
        assert_eq!(tag_problem("16.4-dev-202612021213"), None);
        assert_eq!(tag_problem(&"a".repeat(128)), None);
        assert!(tag_problem(&"a".repeat(129)).unwrap().contains("129"));
        assert!(tag_problem("-x").unwrap().contains("start"));
        assert!(tag_problem(".x").unwrap().contains("start"));
        assert!(tag_problem("a/b").unwrap().contains("`/`"));
        assert!(tag_problem("").is_some());
        assert_eq!(tag_problem("_x"), None);
    }

    #[test]
    fn fixed_parts_leave_out_placeholders() {
        assert_eq!(fixed_parts("${branch}-x"), ("-x".to_string(), true));
        assert_eq!(fixed_parts("v${semver}"), ("v".to_string(), false));
    }
}
