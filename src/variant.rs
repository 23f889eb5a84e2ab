//! Variants: one value per axis (with its entry's named fields), and `${…}` substitution.

use std::sync::Arc;

use indexmap::IndexMap;

use crate::model::AxisEntry;
use crate::template::{self, Piece, Reference};

/// One combination of axis values, in axis order (ancestors' axes first). Shared, not copied:
/// a plan holds the variant of every build and job many times over (names, references, keys).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Variant(Arc<Values>);

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Values {
    pairs: Vec<(String, String)>,
    /// Per entry of `pairs`, the named fields of the value's axis entry.
    fields: Vec<Vec<(String, String)>>,
}

impl Variant {
    /// A variant of plain values (no named fields).
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        let fields = vec![Vec::new(); pairs.len()];
        Variant(Arc::new(Values { pairs, fields }))
    }

    /// Every combination of the values of `axes`, the first axis varying slowest.
    pub fn product(axes: &[String], declared: &IndexMap<String, Vec<AxisEntry>>) -> Vec<Variant> {
        let mut combinations = vec![Values::default()];
        for axis in axes {
            let entries = declared.get(axis).map(Vec::as_slice).unwrap_or_default();
            combinations = combinations
                .into_iter()
                .flat_map(|values| {
                    entries.iter().map(move |entry| {
                        let mut next = values.clone();
                        next.pairs.push((axis.clone(), entry.value().to_string()));
                        next.fields.push(entry.fields().map(|(k, v)| (k.to_string(), v.to_string())).collect());
                        next
                    })
                })
                .collect();
        }
        combinations.into_iter().map(|values| Variant(Arc::new(values))).collect()
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0.pairs
    }

    pub fn is_empty(&self) -> bool {
        self.0.pairs.is_empty()
    }

    /// Whether `other` has the same value as this variant on every axis both have: a job's
    /// variant needs exactly the variants of a needed job that agree with it (all of them when
    /// the two share no axis).
    pub fn agrees_with(&self, other: &Variant) -> bool {
        other.0.pairs.iter().all(|(axis, value)| self.get(axis).is_none_or(|own| own == value))
    }

    pub fn get(&self, axis: &str) -> Option<&str> {
        self.0.pairs.iter().find(|(a, _)| a == axis).map(|(_, v)| v.as_str())
    }

    /// A named field of the axis's entry; `value` is the value itself.
    pub fn field(&self, axis: &str, field: &str) -> Option<&str> {
        let index = self.0.pairs.iter().position(|(a, _)| a == axis)?;
        if field == "value" {
            return Some(&self.0.pairs[index].1);
        }
        self.0.fields[index].iter().find(|(f, _)| f == field).map(|(_, v)| v.as_str())
    }

    /// The variant as environment variables of a job: each axis (`ruby=3.2`), then each named
    /// field as `<axis>_<field>` (`pg_major=16`).
    pub fn variables(&self) -> Vec<(String, String)> {
        let mut out = self.0.pairs.clone();
        for ((axis, _), fields) in self.0.pairs.iter().zip(&self.0.fields) {
            out.extend(fields.iter().map(|(field, value)| (field_variable(axis, field), value.clone())));
        }
        out
    }

    /// The values of `axes` only, in the order of `axes`: the variant of a parent or of an image
    /// a job uses.
    pub fn restrict(&self, axes: &[String]) -> Variant {
        if axes.len() == self.0.pairs.len() && axes.iter().zip(&self.0.pairs).all(|(a, (b, _))| a == b) {
            return self.clone();
        }
        let mut out = Values::default();
        for axis in axes {
            if let Some(index) = self.0.pairs.iter().position(|(a, _)| a == axis) {
                out.pairs.push(self.0.pairs[index].clone());
                out.fields.push(self.0.fields[index].clone());
            }
        }
        Variant(Arc::new(out))
    }

    /// The values joined by `-`: the `:<v1>-<v2>` suffix of job names.
    pub fn suffix(&self) -> String {
        let mut out = String::new();
        self.push_suffix(&mut out);
        out
    }

    /// [`Variant::suffix`], written at the end of `out`.
    pub fn push_suffix(&self, out: &mut String) {
        for (i, (_, value)) in self.0.pairs.iter().enumerate() {
            if i > 0 {
                out.push('-');
            }
            out.push_str(value);
        }
    }

    /// `axis=value` pairs joined by `, `, for messages and comments.
    pub fn describe(&self) -> String {
        self.0.pairs.iter().map(|(a, v)| format!("{a}={v}")).collect::<Vec<_>>().join(", ")
    }
}

/// The environment variable that holds a named field of an axis in a job: `pg`, `major` →
/// `pg_major`. Scripts read `${pg.major}` as `${pg_major}`.
pub fn field_variable(axis: &str, field: &str) -> String {
    format!("{axis}_{field}")
}

/// A `${…}` that cannot be substituted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubstitutionError {
    /// `${` without a closing `}`.
    Unterminated,
    /// `${name}` where `name` is not an axis of the variant.
    NotInScope(String),
    /// `${axis.field}` where the axis's entries have no such field.
    UnknownField { axis: String, field: String },
    /// `${parent:…}`, which only an image's build arguments can hold.
    Parent(String),
}

/// The axis names referenced as `${name}` or `${name.field}` in `text` (`$$` escapes a dollar).
pub fn references(text: &str) -> Result<Vec<String>, SubstitutionError> {
    let references = template::references(text).map_err(|_| SubstitutionError::Unterminated)?;
    Ok(references
        .into_iter()
        .filter_map(|r| match r {
            Reference::Axis { axis, .. } => Some(axis.to_string()),
            Reference::Parent { .. } => None,
        })
        .collect())
}

/// Replace each `${axis}` and `${axis.field}` in `text` by the variant's value or field; `$$`
/// becomes `$`. The one substitution of model values: args, env, paths, tag templates.
pub fn substitute(text: &str, variant: &Variant) -> Result<String, SubstitutionError> {
    // Most values have no `${…}` (nor `$$`): nothing to substitute.
    if !text.contains('$') {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    for piece in template::pieces(text).map_err(|_| SubstitutionError::Unterminated)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Dollar => out.push('$'),
            Piece::Reference { reference, written } => out.push_str(axis_value(variant, reference, written)?),
        }
    }
    Ok(out)
}

/// A build argument after substitution of its axes: plain text, or, when it refers to parents,
/// a template the build job completes with their references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgValue {
    Text(String),
    /// `$$` for each literal `$`, `${parent:<image>}` / `${parent:<image>.tag}` for each parent
    /// reference; axis values already in place.
    WithParents(String),
}

/// Substitute the axes of a build argument, keeping its `${parent:…}` references.
pub fn substitute_arg(text: &str, variant: &Variant) -> Result<ArgValue, SubstitutionError> {
    if !text.contains('$') {
        return Ok(ArgValue::Text(text.to_string()));
    }
    let pieces = template::pieces(text).map_err(|_| SubstitutionError::Unterminated)?;
    if !pieces.iter().any(|p| matches!(p, Piece::Reference { reference: Reference::Parent { .. }, .. })) {
        return substitute(text, variant).map(ArgValue::Text);
    }
    let mut out = String::with_capacity(text.len());
    for piece in pieces {
        match piece {
            Piece::Text(t) => out.push_str(&t.replace('$', "$$")),
            Piece::Dollar => out.push_str("$$"),
            Piece::Reference { reference: Reference::Parent { .. }, written } => out.push_str(written),
            Piece::Reference { reference, written } => {
                out.push_str(&axis_value(variant, reference, written)?.replace('$', "$$"))
            }
        }
    }
    Ok(ArgValue::WithParents(out))
}

fn axis_value<'v>(variant: &'v Variant, reference: Reference<'_>, written: &str) -> Result<&'v str, SubstitutionError> {
    match reference {
        Reference::Axis { axis, field: None } => {
            variant.get(axis).ok_or_else(|| SubstitutionError::NotInScope(axis.to_string()))
        }
        Reference::Axis { axis, field: Some(field) } => {
            if variant.get(axis).is_none() {
                return Err(SubstitutionError::NotInScope(axis.to_string()));
            }
            variant
                .field(axis, field)
                .ok_or_else(|| SubstitutionError::UnknownField { axis: axis.to_string(), field: field.to_string() })
        }
        Reference::Parent { .. } => Err(SubstitutionError::Parent(written.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(pairs: &[(&str, &str)]) -> Variant {
        Variant::new(pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect())
    }

    #[test]
    fn variants_agree_on_the_axes_both_have() {
        let needing = v(&[("pg", "16"), ("os", "deb")]);
        // The same values, or fewer axes with the same values: needed.
        assert!(needing.agrees_with(&v(&[("pg", "16")])));
        assert!(needing.agrees_with(&v(&[("os", "deb"), ("pg", "16")])));
        // An axis the needing variant lacks does not separate them: every value of it is needed.
        assert!(needing.agrees_with(&v(&[("pg", "16"), ("arch", "arm64")])));
        assert!(needing.agrees_with(&v(&[])));
        assert!(v(&[]).agrees_with(&v(&[("pg", "15")])));
        // A shared axis with another value: not needed.
        assert!(!needing.agrees_with(&v(&[("pg", "15")])));
        assert!(!needing.agrees_with(&v(&[("pg", "16"), ("os", "alpine")])));
    }

    #[test]
    fn products_vary_the_last_axis_fastest() {
        let mut declared = IndexMap::new();
        let plain = |v: &str| AxisEntry::Value(crate::model::AxisValue(v.into()));
        declared.insert("a".to_string(), vec![plain("1"), plain("2")]);
        declared.insert("b".to_string(), vec![plain("x"), plain("y")]);
        let all = Variant::product(&["a".into(), "b".into()], &declared);
        let suffixes: Vec<String> = all.iter().map(Variant::suffix).collect();
        assert_eq!(suffixes, ["1-x", "1-y", "2-x", "2-y"]);
    }

    #[test]
    fn restricts_to_a_parents_axes() {
        let child = v(&[("a", "1"), ("b", "x")]);
        assert_eq!(child.restrict(&["b".into()]), v(&[("b", "x")]));
        assert!(child.restrict(&[]).is_empty());
    }

    #[test]
    fn substitutes_axes_and_escapes() {
        let variant = v(&[("ruby", "3.2")]);
        assert_eq!(substitute("ruby-${ruby}", &variant).unwrap(), "ruby-3.2");
        assert_eq!(substitute("$${ruby} $HOME", &variant).unwrap(), "${ruby} $HOME");
        assert_eq!(substitute("${go}", &variant), Err(SubstitutionError::NotInScope("go".into())));
        assert_eq!(substitute("${ruby", &variant), Err(SubstitutionError::Unterminated));
        assert_eq!(references("${a}-${b.c}-${parent:x}").unwrap(), ["a", "b"]);
        assert_eq!(substitute("${parent:x}", &variant), Err(SubstitutionError::Parent("${parent:x}".into())));
    }

    #[test]
    fn substitutes_named_fields() {
        let mut declared = IndexMap::new();
        let entry = |value: &str, major: &str| {
            AxisEntry::Fields(crate::model::AxisFields {
                value: crate::model::AxisValue(value.into()),
                fields: [("major".to_string(), major.to_string())].into_iter().collect(),
            })
        };
        declared.insert("pg".to_string(), vec![entry("16.13", "16"), entry("17.9", "17")]);
        let variants = Variant::product(&["pg".into()], &declared);
        assert_eq!(substitute("${pg}/${pg.major}/${pg.value}", &variants[1]).unwrap(), "17.9/17/17.9");
        assert_eq!(
            substitute("${pg.minor}", &variants[0]),
            Err(SubstitutionError::UnknownField { axis: "pg".into(), field: "minor".into() })
        );
        assert_eq!(variants[0].suffix(), "16.13", "job names and tags use the value");
        assert_eq!(variants[0].variables(), [("pg".into(), "16.13".into()), ("pg_major".into(), "16".into())]);
        assert_eq!(variants[0].restrict(&["pg".into()]).field("pg", "major"), Some("16"));
    }

    #[test]
    fn keeps_parent_references_of_arguments() {
        let variant = v(&[("ruby", "3.2")]);
        assert_eq!(substitute_arg("${ruby}-$$x", &variant).unwrap(), ArgValue::Text("3.2-$x".into()));
        assert_eq!(
            substitute_arg("${parent:base.tag}-${ruby} $x $$y", &variant).unwrap(),
            ArgValue::WithParents("${parent:base.tag}-3.2 $$x $$y".into())
        );
    }
}
