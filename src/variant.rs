//! Variants: one value per axis, and `${axis}` substitution.

use std::sync::Arc;

use indexmap::IndexMap;

use crate::model::AxisValue;

/// One combination of axis values, in axis order (ancestors' axes first). Shared, not copied:
/// a plan holds the variant of every build and job many times over (names, references, keys).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Variant(Arc<[(String, String)]>);

impl Variant {
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Variant(pairs.into())
    }

    /// Every combination of the values of `axes`, the first axis varying slowest.
    pub fn product(axes: &[String], declared: &IndexMap<String, Vec<AxisValue>>) -> Vec<Variant> {
        let mut combinations: Vec<Vec<(String, String)>> = vec![Vec::new()];
        for axis in axes {
            let values = declared.get(axis).map(Vec::as_slice).unwrap_or_default();
            combinations = combinations
                .into_iter()
                .flat_map(|pairs| {
                    values.iter().map(move |value| {
                        let mut next = pairs.clone();
                        next.push((axis.clone(), value.0.clone()));
                        next
                    })
                })
                .collect();
        }
        combinations.into_iter().map(Variant::new).collect()
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, axis: &str) -> Option<&str> {
        self.0.iter().find(|(a, _)| a == axis).map(|(_, v)| v.as_str())
    }

    /// The values of `axes` only, in the order of `axes`: the variant of a parent or of an image
    /// a job uses.
    pub fn restrict(&self, axes: &[String]) -> Variant {
        if axes.len() == self.0.len() && axes.iter().zip(self.0.iter()).all(|(a, (b, _))| a == b) {
            return self.clone();
        }
        Variant(axes.iter().filter_map(|a| self.get(a).map(|v| (a.clone(), v.to_string()))).collect())
    }

    /// The values joined by `-`: the `:<v1>-<v2>` suffix of job names.
    pub fn suffix(&self) -> String {
        self.0.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join("-")
    }

    /// `axis=value` pairs joined by `, `, for messages and comments.
    pub fn describe(&self) -> String {
        self.0.iter().map(|(a, v)| format!("{a}={v}")).collect::<Vec<_>>().join(", ")
    }
}

/// A `${…}` that cannot be substituted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubstitutionError {
    /// `${` without a closing `}`.
    Unterminated,
    /// `${name}` where `name` is not an axis of the variant.
    NotInScope(String),
}

/// The names referenced as `${name}` in `text` (`$$` escapes a dollar).
pub fn references(text: &str) -> Result<Vec<String>, SubstitutionError> {
    let mut names = Vec::new();
    walk(text, |piece| {
        if let Piece::Reference(name) = piece {
            names.push(name.to_string());
        }
        Ok(())
    })?;
    Ok(names)
}

/// Replace each `${axis}` in `text` by the variant's value; `$$` becomes `$`.
pub fn substitute(text: &str, variant: &Variant) -> Result<String, SubstitutionError> {
    let mut out = String::with_capacity(text.len());
    walk(text, |piece| {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Dollar => out.push('$'),
            Piece::Reference(name) => match variant.get(name) {
                Some(value) => out.push_str(value),
                None => return Err(SubstitutionError::NotInScope(name.to_string())),
            },
        }
        Ok(())
    })?;
    Ok(out)
}

enum Piece<'a> {
    Text(&'a str),
    Dollar,
    Reference(&'a str),
}

fn walk<'a>(
    text: &'a str,
    mut visit: impl FnMut(Piece<'a>) -> Result<(), SubstitutionError>,
) -> Result<(), SubstitutionError> {
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        visit(Piece::Text(&rest[..at]))?;
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            visit(Piece::Dollar)?;
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('{') {
            let end = inner.find('}').ok_or(SubstitutionError::Unterminated)?;
            visit(Piece::Reference(&inner[..end]))?;
            rest = &inner[end + 1..];
        } else {
            visit(Piece::Text("$"))?;
            rest = after;
        }
    }
    visit(Piece::Text(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(pairs: &[(&str, &str)]) -> Variant {
        Variant::new(pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect())
    }

    #[test]
    fn products_vary_the_last_axis_fastest() {
        let mut declared = IndexMap::new();
        declared.insert("a".to_string(), vec![AxisValue("1".into()), AxisValue("2".into())]);
        declared.insert("b".to_string(), vec![AxisValue("x".into()), AxisValue("y".into())]);
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
        assert_eq!(references("${a}-${b}").unwrap(), ["a", "b"]);
    }
}
