//! Content tags computed in Rust from the recipe ([`crate::plan::recipe`]), the same text the
//! pipeline's script hashes (`emit::scripts::tag`): `pipegen tags` and `pipegen plan` must agree
//! with the pipeline.

use std::collections::{BTreeSet, HashMap};

use sha2::{Digest, Sha256};

use crate::dockerignore::{Builder, IgnoreFile};
use crate::plan::recipe::{Glob, Upstream};
use crate::plan::{BuildId, CONTENT_TAG_LEN, Plan, TagMode};

/// What the commit holds, as far as the recipes ask: each path's object id (`None`: absent),
/// each glob's file lines, and, per context and Dockerfile whose ignore file applies, the
/// listing lines of the files the builder receives; the bytes of each Dockerfile that is a file
/// at the commit, and the digest of each external base image their `FROM`s name.
#[derive(Debug, Default)]
pub struct TreeFacts {
    pub objects: HashMap<String, Option<String>>,
    pub globs: HashMap<String, Vec<String>>,
    pub sent: HashMap<(String, String), Vec<String>>,
    pub dockerfiles: HashMap<String, Vec<u8>>,
    /// Resolved digests by reference; a reference missing here (`pipegen tags --offline`) is
    /// hashed as [`UNRESOLVED`].
    pub digests: HashMap<String, String>,
}

/// What an unresolved base image's digest reads as (`pipegen tags --offline`): never what the
/// pipeline hashes, which fails rather than hash a digest it does not have.
pub const UNRESOLVED: &str = "unresolved";

/// The external base images of a recipe's Dockerfile at the commit (none when it is not a file).
pub fn bases(upstream: &Upstream, facts: &TreeFacts) -> Vec<String> {
    match facts.dockerfiles.get(&upstream.dockerfile) {
        Some(text) => crate::upstream::from::bases(text, &upstream.args, &upstream.parent_args),
        None => Vec::new(),
    }
}

/// The base images of every content-tagged build of `plan` whose digest must be asked of a
/// registry (those not pinned by digest), each once, sorted.
pub fn lookups(plan: &Plan, facts: &TreeFacts) -> Vec<String> {
    let mut out = BTreeSet::new();
    for recipe in plan.builds.iter().filter_map(|b| b.recipe()) {
        if let Some(upstream) = recipe.upstream() {
            out.extend(bases(upstream, facts).into_iter().filter(|b| crate::upstream::pinned_digest(b).is_none()));
        }
    }
    out.into_iter().collect()
}

/// A base image and its digest: the one it is pinned by, else the resolved one.
fn with_digest(image: String, facts: &TreeFacts) -> (String, String) {
    let digest = match crate::upstream::pinned_digest(&image) {
        Some(pinned) => pinned.to_string(),
        None => facts.digests.get(&image).cloned().unwrap_or_else(|| UNRESOLVED.to_string()),
    };
    (image, digest)
}

/// What the recipes of `plan` ask of the tree when `builder` builds: every path whose object id
/// they hash (with the ignore files the builder may read), and every glob (each once, sorted, so
/// git can answer them in one batch).
pub fn questions(plan: &Plan, builder: Builder) -> (Vec<String>, Vec<Glob>) {
    let mut paths = BTreeSet::new();
    let mut globs: Vec<Glob> = Vec::new();
    for recipe in plan.builds.iter().filter_map(|b| b.recipe()) {
        paths.extend(recipe.objects().map(str::to_string));
        if let Some((context, dockerfile)) = recipe.context() {
            paths.extend(builder.ignore_file_candidates(context, dockerfile));
        }
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

/// The ignore file the builder applies to a context, as (path, blob id): the first of its
/// candidates that is a file at the commit, when the context is a directory. `None`: the whole
/// context is sent.
pub fn ignore_file(facts: &TreeFacts, builder: Builder, context: &str, dockerfile: &str) -> Option<(String, String)> {
    let is_tree = facts.objects.get(context).cloned().flatten().is_some_and(|o| o.starts_with("tree "));
    if !is_tree {
        return None;
    }
    builder.ignore_file_candidates(context, dockerfile).into_iter().find_map(|candidate| {
        let object = facts.objects.get(&candidate).cloned().flatten()?;
        let id = object.strip_prefix("blob ")?.to_string();
        Some((candidate, id))
    })
}

/// The lines of a context's `git ls-tree -r` listing (paths relative to the context) whose file
/// the build receives, in order.
pub fn sent_lines(ignore: &IgnoreFile, listing: &[String]) -> Vec<String> {
    let paths: Vec<Vec<u8>> = listing.iter().map(|line| crate::listing::path_of(line)).collect();
    let sent = ignore.sent(paths.iter().map(Vec::as_slice));
    let mut sent = sent.into_iter().peekable();
    let mut out = Vec::with_capacity(listing.len());
    for (line, path) in listing.iter().zip(&paths) {
        // `sent` keeps the listing's order, so one pass pairs them.
        if sent.peek().is_some_and(|p| std::ptr::eq(*p, path.as_slice())) {
            sent.next();
            out.push(line.clone());
        }
    }
    out
}

/// The tag of a recipe text: the first [`CONTENT_TAG_LEN`] hex digits of its SHA-256 (what
/// `sha256sum` prints in the pipeline).
pub fn content_tag(text: &str) -> String {
    let digest = format!("{:x}", Sha256::digest(text.as_bytes()));
    digest[..CONTENT_TAG_LEN].to_string()
}

/// One build's tag at a commit, with the recipe parts it hashed (`None` for a commit tag).
#[derive(Debug, Clone)]
pub struct BuildTag {
    pub id: BuildId,
    pub tag: String,
    /// Each part's key ([`crate::plan::recipe::Part::key`]) and text.
    pub parts: Option<Vec<(String, String)>>,
}

/// Every build's tag at `commit`, in plan order.
pub fn compute(plan: &Plan, commit: &str, facts: &TreeFacts) -> Vec<(BuildId, String)> {
    explain(plan, commit, facts).into_iter().map(|b| (b.id, b.tag)).collect()
}

/// Every build's tag at `commit`, in plan order, with what each hashed.
pub fn explain(plan: &Plan, commit: &str, facts: &TreeFacts) -> Vec<BuildTag> {
    let mut tags: HashMap<&BuildId, String> = HashMap::new();
    let mut out = Vec::with_capacity(plan.builds.len());
    for build in &plan.builds {
        let (tag, parts) = match &build.this.tag {
            TagMode::Commit { suffix: Some(s) } => (format!("{commit}-{s}"), None),
            TagMode::Commit { suffix: None } => (commit.to_string(), None),
            TagMode::Content => {
                let recipe = build.recipe().expect("a content-tagged build has a recipe");
                let rendered = recipe.rendered(
                    |path| facts.objects.get(path).cloned().flatten(),
                    |glob| facts.globs.get(&glob.pattern).cloned().unwrap_or_default(),
                    |context, dockerfile| facts.sent.get(&(context.to_string(), dockerfile.to_string())).cloned(),
                    |parent| tags.get(&parent.build.id).cloned().unwrap_or_default(),
                    |upstream| bases(upstream, facts).into_iter().map(|b| with_digest(b, facts)).collect(),
                );
                let text = rendered.iter().fold(String::new(), |mut text, part| {
                    text.push_str(&part.text);
                    text.push('\n');
                    text
                });
                let parts = rendered.into_iter().map(|r| (r.part.key(), r.text)).collect();
                (content_tag(&text), Some(parts))
            }
        };
        tags.insert(&build.this.id, tag.clone());
        out.push(BuildTag { id: build.this.id.clone(), tag, parts });
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
