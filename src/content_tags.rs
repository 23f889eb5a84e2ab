//! Content tags computed in Rust from the recipe ([`crate::plan::recipe`]), the same text the
//! pipeline's script hashes (`emit::scripts::tag`): `pipegen tags` and `pipegen plan` must agree
//! with the pipeline.

use std::collections::{BTreeSet, HashMap};

use sha2::{Digest, Sha256};

use crate::plan::recipe::Glob;
use crate::plan::{BuildId, CONTENT_TAG_LEN, Plan, TagMode};

/// What the commit holds, as far as the recipes ask: each path's object id (`None`: absent) and
/// each glob's file lines.
#[derive(Debug, Default)]
pub struct TreeFacts {
    pub objects: HashMap<String, Option<String>>,
    pub globs: HashMap<String, Vec<String>>,
}

/// What the recipes of `plan` ask of the tree: every path whose object id they hash, and every
/// glob (each once, sorted, so git can answer them in one batch).
pub fn questions(plan: &Plan) -> (Vec<String>, Vec<Glob>) {
    let mut paths = BTreeSet::new();
    let mut globs: Vec<Glob> = Vec::new();
    for recipe in plan.builds.iter().filter_map(|b| b.recipe()) {
        paths.extend(recipe.objects().map(str::to_string));
        for glob in recipe.globs() {
            if !globs.iter().any(|g| g.pattern == glob.pattern) {
                globs.push(glob.clone());
            }
        }
        // A glob's prefix is looked up first: a missing prefix matches nothing.
        paths.extend(recipe.globs().map(|g| g.prefix.clone()));
    }
    (paths.into_iter().collect(), globs)
}

/// The tag of a recipe text: the first [`CONTENT_TAG_LEN`] hex digits of its SHA-256 (what
/// `sha256sum` prints in the pipeline).
pub fn content_tag(text: &str) -> String {
    let digest = format!("{:x}", Sha256::digest(text.as_bytes()));
    digest[..CONTENT_TAG_LEN].to_string()
}

/// Every build's tag at `commit`, in plan order.
pub fn compute(plan: &Plan, commit: &str, facts: &TreeFacts) -> Vec<(BuildId, String)> {
    let mut tags: HashMap<&BuildId, String> = HashMap::new();
    let mut out = Vec::with_capacity(plan.builds.len());
    for build in &plan.builds {
        let tag = match &build.this.tag {
            TagMode::Commit { suffix: Some(s) } => format!("{commit}-{s}"),
            TagMode::Commit { suffix: None } => commit.to_string(),
            TagMode::Content => {
                let recipe = build.recipe().expect("a content-tagged build has a recipe");
                content_tag(&recipe.text(
                    |path| facts.objects.get(path).cloned().flatten(),
                    |glob| facts.globs.get(&glob.pattern).cloned().unwrap_or_default(),
                    |parent| tags.get(&parent.build.id).cloned().unwrap_or_default(),
                ))
            }
        };
        tags.insert(&build.this.id, tag.clone());
        out.push((build.this.id.clone(), tag));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_the_text_as_sha256sum_does() {
        // printf 'a\nb\n' | sha256sum
        let mut hasher = Sha256::new();
        hasher.update(b"a\nb\n");
        assert_eq!(content_tag("a\nb\n"), format!("{:x}", hasher.finalize())[..CONTENT_TAG_LEN]);
    }
}
