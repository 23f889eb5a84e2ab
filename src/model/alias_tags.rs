//! What can be known of `images.<name>.aliases` before a pipeline runs: every placeholder names
//! an axis of the image (with a field its entries have) or a pipeline value; the text that is
//! fixed once the axis values are in place can be part of a tag; and no two variants of the
//! image would move the same alias (the last build to finish would win), nor a tag of one of its
//! variants (a commit-tagged variant's `<commit>-<values>`, which its own build pushes). What only the pipeline
//! knows (its branch, its git tag) is checked by the alias script, which fails the job before it
//! tags anything.

use std::collections::HashMap;

use super::diagnostic::Diagnostic;
use super::path::ModelPath;
use super::suggest;
use super::types::{Alias, Model, TagMode};
use crate::alias_tags::{self, MAX_TAG_LEN, PIPELINE_VALUES};
use crate::graph::ImageGraph;
use crate::template::{self, Piece, Reference};
use crate::variant::Variant;

/// Every problem of the model's alias tags.
pub fn check(model: &Model, graph: &ImageGraph<'_>, unsound: &super::withheld::Unsound<'_>) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (name, image) in &model.images {
        if image.aliases.is_empty() || unsound.image(name) {
            continue;
        }
        let axes = graph.axes(name);
        let variants = graph.variants(name);
        // Each tag an alias entry renders to: which entry and variant gave it first.
        let mut taken: HashMap<String, (usize, Variant)> = HashMap::new();
        for (i, alias) in image.aliases.iter().enumerate() {
            let at = match alias {
                Alias::Always(_) => ModelPath::keys(["images", name.as_str(), "aliases"]).index(i),
                Alias::When(_) => ModelPath::keys(["images", name.as_str(), "aliases"]).index(i).key("tag"),
            };
            let text = alias.template();
            let before = found.len();
            references(model, name, &axes, &at, text, &mut found);
            if found.len() == before {
                let commit_tags = matches!(image.tag, TagMode::Commit);
                rendered(name, &variants, commit_tags, &at, text, &mut found);
            }
            if found.len() == before {
                let entries = AliasEntries { image: name, aliases: &image.aliases };
                entries.another_gives_the_same_tag(i, &variants, &at, &mut taken, &mut found);
            }
        }
    }
    found
}

/// The alias entries of one image.
struct AliasEntries<'a> {
    image: &'a str,
    aliases: &'a [Alias],
}

impl AliasEntries<'_> {
    /// Two entries of one image that give one tag (`latest` and `{ tag: latest, when: … }`, or
    /// `${v}-x` and `1-x`) would both move it, each by its own rule: the later one is refused.
    /// Tags still holding a pipeline value compare as written: they are the same in every run.
    fn another_gives_the_same_tag(
        &self,
        entry: usize,
        variants: &[Variant],
        at: &ModelPath,
        taken: &mut HashMap<String, (usize, Variant)>,
        found: &mut Vec<Diagnostic>,
    ) {
        let text = self.aliases[entry].template();
        for variant in variants {
            let Ok(result) = alias_tags::substitute_axes(text, variant) else { return };
            match taken.get(&result) {
                Some((first, other)) if *first != entry => {
                    let first_text = self.aliases[*first].template();
                    found.push(
                        Diagnostic::new(
                            "alias-collision",
                            at.clone(),
                            format!(
                                "alias tag `{text}` of image `{}` is `{result}`{}, as its alias {} (`{first_text}`) is{}: both would move it",
                                self.image,
                                for_variant(variant),
                                first + 1,
                                for_variant(other)
                            ),
                        )
                        .label("the same tag as another alias")
                        .help("give each tag one alias entry: remove this one, or make the tags differ"),
                    );
                    return;
                }
                Some(_) => {}
                None => {
                    taken.insert(result, (entry, variant.clone()));
                }
            }
        }
    }
}

/// Each `${…}` names a pipeline value or an axis of the image with a field its entries have.
fn references(model: &Model, image: &str, axes: &[String], at: &ModelPath, text: &str, found: &mut Vec<Diagnostic>) {
    let Ok(pieces) = template::pieces(text) else { return };
    for piece in pieces {
        let Piece::Reference { written, reference } = piece else { continue };
        let Reference::Axis { axis, field } = reference else { continue };
        let owner = format!("alias tag `{text}` of image `{image}`");
        if alias_tags::is_pipeline_name(axis) {
            if model.axes.contains_key(axis) {
                found.push(
                    Diagnostic::new(
                        "ambiguous-alias-value",
                        at.clone(),
                        format!("`{written}` in {owner} could be the axis `{axis}` or the pipeline value `{axis}`"),
                    )
                    .label("both an axis and a pipeline value")
                    .help(format!("rename the axis `{axis}`: alias tags read `${{{axis}}}` as a pipeline value")),
                );
            } else if alias_tags::pipeline_value(axis, field).is_none() {
                let names = PIPELINE_VALUES.iter().map(|(n, _)| *n);
                let wrong = written.trim_start_matches("${").trim_end_matches('}');
                let listed: Vec<String> = names.clone().map(|n| format!("`${{{n}}}`")).collect();
                found.push(
                    Diagnostic::new(
                        "unknown-alias-value",
                        at.clone(),
                        format!("`{written}` in {owner} names no value"),
                    )
                    .label("not a pipeline value")
                    .help(
                        suggest::did_you_mean(wrong, names)
                            .unwrap_or_else(|| format!("pipeline values: {}", listed.join(", "))),
                    ),
                );
            }
            continue;
        }
        if !axes.iter().any(|a| a == axis) {
            let diagnostic = if model.axes.contains_key(axis) {
                Diagnostic::new(
                    "axis-not-in-scope",
                    at.clone(),
                    format!("`{written}` is used in {owner}, which does not vary over axis `{axis}`"),
                )
                .label("not an axis of this image")
                .help(format!("add `{axis}` to the image's `axes` (or to a parent's), or remove `{written}`"))
            } else {
                let candidates = axes.iter().map(String::as_str).chain(PIPELINE_VALUES.iter().map(|(n, _)| *n));
                Diagnostic::new("unknown-axis", at.clone(), format!("`{written}` in {owner} names no axis or value"))
                    .label("neither an axis nor a pipeline value")
                    .help(suggest::help_for(axis, "axis or pipeline value", candidates))
            };
            found.push(diagnostic);
            continue;
        }
        let Some(field) = field else { continue };
        let own = model.axes.get(axis).and_then(|entries| entries.first());
        let fields: Vec<&str> =
            std::iter::once("value").chain(own.into_iter().flat_map(|e| e.fields().map(|(k, _)| k))).collect();
        if !fields.contains(&field) {
            found.push(
                Diagnostic::new(
                    "unknown-axis-field",
                    at.clone(),
                    format!("`{written}` in {owner}: axis `{axis}` has no field `{field}`"),
                )
                .label("no such field")
                .help(suggest::help_for(field, "field", fields.iter().copied())),
            );
        }
    }
}

/// ` for <variant>` in a message about an alias, or nothing for an image without variants.
fn for_variant(variant: &Variant) -> String {
    if variant.is_empty() { String::new() } else { format!(" for {}", variant.describe()) }
}

/// The part of a commit tag after `${commit}` for `variant`: `<commit>` for an image without
/// variants, `<commit>-<values>` otherwise (the plan's `PIPEGEN_TAG_SUFFIX`).
fn commit_tag_rest(variant: &Variant) -> String {
    if variant.is_empty() { String::new() } else { format!("-{}", variant.suffix()) }
}

/// What follows `${commit}` in an alias (after [`alias_tags::substitute_axes`]) that starts
/// with it and holds no other pipeline value: such an alias is a commit tag's text for every
/// commit when that rest is the tag's. (A commit is 40 hexadecimal digits and a commit tag's
/// rest starts with `-`, so an alias with text before `${commit}` never equals one.)
fn after_commit(result: &str) -> Option<String> {
    let pieces = template::pieces(result).ok()?;
    let (first, rest) = pieces.split_first()?;
    if !matches!(first, Piece::Reference { reference: Reference::Axis { axis: "commit", field: None }, .. }) {
        return None;
    }
    let mut out = String::new();
    for piece in rest {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Dollar => out.push('$'),
            Piece::Reference { .. } => return None,
        }
    }
    Some(out)
}

/// Per variant, with the axis values in place: the fixed text can be part of a tag, no other
/// variant gets the same alias, and no alias is a variant's own tag (`commit_tags`: the image's
/// tags are commit tags). One problem per alias.
fn rendered(
    image: &str,
    variants: &[Variant],
    commit_tags: bool,
    at: &ModelPath,
    text: &str,
    found: &mut Vec<Diagnostic>,
) {
    let mut seen: HashMap<String, &Variant> = HashMap::new();
    let tag_of: HashMap<String, &Variant> =
        if commit_tags { variants.iter().map(|v| (commit_tag_rest(v), v)).collect() } else { HashMap::new() };
    for variant in variants {
        // A value the schema refused is reported there once, not again in every alias.
        if variant.pairs().iter().any(|(_, value)| !super::patterns::is_axis_value(value)) {
            continue;
        }
        let Ok(result) = alias_tags::substitute_axes(text, variant) else { return };
        let (fixed, starts_with_placeholder) = alias_tags::fixed_parts(&result);
        let has_placeholders = result != fixed || starts_with_placeholder;
        let problem = if !has_placeholders {
            alias_tags::tag_problem(&result)
        } else if let Some(c) = fixed.chars().find(|c| !alias_tags::is_tag_char(*c)) {
            Some(format!("a tag cannot hold `{c}` (letters, digits, `_`, `.` and `-` only)"))
        } else if !starts_with_placeholder && result.starts_with(['.', '-']) {
            Some("a tag cannot start with `.` or `-`".to_string())
        } else if fixed.len() > MAX_TAG_LEN {
            Some(format!(
                "its fixed text alone is {} characters long, and a tag has at most {MAX_TAG_LEN}",
                fixed.len()
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            found.push(
                Diagnostic::new(
                    "invalid-alias",
                    at.clone(),
                    format!("alias tag `{text}` of image `{image}` is `{result}`{}: {problem}", for_variant(variant)),
                )
                .label("not a valid tag")
                .help("the axis values and fields an alias uses must keep it a tag: letters, digits, `_`, `.` and `-`, at most 128, not starting with `.` or `-`"),
            );
            return;
        }
        if let Some(owner) = after_commit(&result).and_then(|rest| tag_of.get(&rest)) {
            let (whose, why) = if *owner == variant {
                (
                    if variant.is_empty() { "the image's own commit tag" } else { "that variant's own commit tag" }
                        .to_string(),
                    "the alias would only name the tag its build already pushes".to_string(),
                )
            } else {
                (
                    format!("the commit tag of {}", owner.describe()),
                    format!("the build for {} would move the image of {}", variant.describe(), owner.describe()),
                )
            };
            found.push(
                Diagnostic::new(
                    "alias-collision",
                    at.clone(),
                    format!(
                        "alias tag `{text}` of image `{image}` is `{result}`{}, {whose}: {why}",
                        for_variant(variant)
                    ),
                )
                .label("an alias equal to a variant's own tag")
                .help("an alias must differ from every tag of the image: add text that a commit tag never has, e.g. `${commit}-latest` or `sha-${short_commit}`"),
            );
            return;
        }
        if let Some(other) = seen.insert(result.clone(), variant) {
            found.push(
                Diagnostic::new(
                    "alias-collision",
                    at.clone(),
                    format!(
                        "alias tag `{text}` of image `{image}` is `{result}` for {} and for {}: both builds would move it",
                        other.describe(),
                        variant.describe()
                    ),
                )
                .label("the same alias for two variants")
                .help("put an axis that tells the variants apart in the alias, e.g. `${axis}-latest`"),
            );
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alias_is_a_commit_tag_only_when_it_is_commit_and_the_tags_rest() {
        assert_eq!(after_commit("${commit}-y").as_deref(), Some("-y"));
        assert_eq!(after_commit("${commit}").as_deref(), Some(""));
        assert_eq!(after_commit("c-${commit}"), None);
        assert_eq!(after_commit("${commit}-${branch}"), None);
        assert_eq!(after_commit("${short_commit}-y"), None);
        let x = Variant::new(vec![("a".into(), "x".into())]);
        assert_eq!(commit_tag_rest(&x), "-x");
        assert_eq!(commit_tag_rest(&Variant::default()), "");
    }
}
