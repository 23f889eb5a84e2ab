//! Which variants of a needed job each variant of a job waits for: those that agree with it on
//! the axes both have ([`Variant::agrees_with`]), every one of them when the two share no axis.
//!
//! The needed job's variants are grouped once, by their values of the shared axes, so each
//! variant of the job finds its matches with one look-up. Comparing every variant with every
//! variant of the needed job instead costs the product of the two counts: within the variant
//! cap that is 25,000 × 25,000 comparisons, seconds of work before any limit could refuse the
//! model.

use crate::variant::Variant;

/// The variants of one needed job, grouped by their values of the axes the needing job shares.
pub struct NeedIndex<'v> {
    /// The needed job's axes that the needing job has too, in the needed job's order, each with
    /// a number for each of its values that the needed job's variants take.
    shared: Vec<(&'v str, foldhash::HashMap<&'v str, usize>)>,
    /// The needed job's variants, by the numbers of their values of `shared` (in that order),
    /// each group in the needed job's variant order.
    groups: foldhash::HashMap<Vec<usize>, Vec<&'v Variant>>,
}

impl<'v> NeedIndex<'v> {
    /// `needed`: every variant of the needed job (all over the same axes); `own_axes`: the axes
    /// of the job that needs it.
    pub fn new(own_axes: &[String], needed: &'v [Variant]) -> Self {
        let mut shared: Vec<(&'v str, foldhash::HashMap<&'v str, usize>)> = needed
            .first()
            .map(|v| {
                v.pairs()
                    .iter()
                    .map(|(axis, _)| axis.as_str())
                    .filter(|a| own_axes.iter().any(|o| o == a))
                    .map(|a| (a, Default::default()))
                    .collect()
            })
            .unwrap_or_default();
        let mut groups: foldhash::HashMap<Vec<usize>, Vec<&'v Variant>> = Default::default();
        for variant in needed {
            let key = shared
                .iter_mut()
                .map(|(axis, numbers)| {
                    let next = numbers.len();
                    *numbers.entry(variant.get(axis).unwrap_or_default()).or_insert(next)
                })
                .collect();
            groups.entry(key).or_default().push(variant);
        }
        NeedIndex { shared, groups }
    }

    /// The variants of the needed job that `variant` (of the needing job) waits for, in the
    /// needed job's variant order.
    pub fn matching(&self, variant: &Variant) -> &[&'v Variant] {
        // Every variant of the needing job has each shared axis (they are its axes); a value no
        // variant of the needed job has matches none.
        let key: Option<Vec<usize>> =
            self.shared.iter().map(|(axis, numbers)| numbers.get(variant.get(axis)?).copied()).collect();
        key.and_then(|key| self.groups.get(&key)).map(Vec::as_slice).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use indexmap::IndexMap;

    use super::*;
    use crate::model::{AxisEntry, AxisValue};

    fn declared(axes: &[(&str, usize)]) -> IndexMap<String, Vec<AxisEntry>> {
        axes.iter()
            .map(|(axis, count)| {
                let values = (0..*count).map(|i| AxisEntry::Value(AxisValue(format!("{axis}{i}")))).collect();
                (axis.to_string(), values)
            })
            .collect()
    }

    fn axes(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    /// The grouped look-up gives exactly what comparing every pair with `agrees_with` gives, in
    /// the same order: shared axes in another order, some shared, none shared, a job without axes.
    #[test]
    fn grouped_matching_is_pairwise_agreement() {
        let declared = declared(&[("a", 3), ("b", 2), ("c", 4), ("d", 2)]);
        let shapes: [&[&str]; 6] = [&["a", "b"], &["b", "a"], &["a", "c"], &["c", "d"], &["a", "b", "c", "d"], &[]];
        for own in shapes {
            for needed in shapes {
                let own_axes = axes(own);
                let own_variants = Variant::product(&own_axes, &declared);
                let needed_variants = Variant::product(&axes(needed), &declared);
                let index = NeedIndex::new(&own_axes, &needed_variants);
                for variant in &own_variants {
                    let expected: Vec<&Variant> = needed_variants.iter().filter(|v| variant.agrees_with(v)).collect();
                    assert_eq!(index.matching(variant), expected.as_slice(), "{own:?} needing {needed:?}, {variant:?}");
                }
            }
        }
    }

    /// The size the variant cap allows on each side: 25,000 variants needing 25,000. Compared
    /// pair by pair that is 625 million comparisons; grouped, one look-up per variant.
    #[test]
    fn matches_twenty_five_thousand_variants_each_way() {
        let declared = declared(&[("a", 10), ("b", 10), ("c", 10), ("d", 25)]);
        let all = axes(&["a", "b", "c", "d"]);
        let variants = Variant::product(&all, &declared);
        assert_eq!(variants.len(), 25_000);
        // Every axis shared: each variant waits for its one twin.
        let index = NeedIndex::new(&all, &variants);
        for variant in &variants {
            assert_eq!(index.matching(variant), [variant]);
        }
        // Two axes shared of the needed job's four: each waits for the 100 with its values of them.
        let own = axes(&["d", "a", "e"]);
        let declared_e = {
            let mut d = declared.clone();
            d.extend(self::declared(&[("e", 100)]));
            d
        };
        let own_variants = Variant::product(&own, &declared_e);
        assert_eq!(own_variants.len(), 25_000);
        let index = NeedIndex::new(&own, &variants);
        let matched: usize = own_variants.iter().map(|v| index.matching(v).len()).sum();
        assert_eq!(matched, 25_000 * 100);
        assert!(own_variants.iter().take(500).all(|v| index.matching(v).iter().all(|m| v.agrees_with(m))));
    }
}
