//! Content tags computed in Rust, by the same recipe as the pipeline's shell script
//! (`shell::compute_tags`): `pipegen tags` and `pipegen plan` must agree with the pipeline.

use indexmap::IndexMap;
use sha2::{Digest, Sha256};

use crate::plan::{CONTENT_TAG_LEN, TagKind, TagsJob};

/// The tag of a recipe: the first [`CONTENT_TAG_LEN`] hex digits of the SHA-256 of its header
/// lines followed by its file lines, each ended by a newline (what `sha256sum` hashes in the
/// pipeline).
pub fn content_tag(header: &[String], files: &[String]) -> String {
    let mut hasher = Sha256::new();
    for line in header.iter().chain(files) {
        hasher.update(line.as_bytes());
        hasher.update(b"\n");
    }
    let digest = format!("{:x}", hasher.finalize());
    digest[..CONTENT_TAG_LEN].to_string()
}

/// Every tag of `tags`, by variable name, in plan order. `files` lists the git file lines
/// (`file <mode> <blob> <path>`) of some pathspecs at the commit, as the pipeline's
/// `git ls-files` prints them; `commit` is the commit SHA.
pub fn compute<E>(
    tags: &TagsJob,
    commit: &str,
    mut files: impl FnMut(&[String]) -> Result<Vec<String>, E>,
) -> Result<IndexMap<String, String>, E> {
    let mut computed: IndexMap<String, String> = IndexMap::new();
    for tag in &tags.tags {
        let value = match &tag.kind {
            TagKind::Commit { suffix } => match suffix {
                Some(s) => format!("{commit}-{s}"),
                None => commit.to_string(),
            },
            TagKind::Content(recipe) => {
                let header = recipe.header_lines(|variable| computed.get(variable).cloned().unwrap_or_default());
                content_tag(&header, &files(&recipe.pathspecs())?)
            }
        };
        computed.insert(tag.variable.clone(), value);
    }
    Ok(computed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_lines_with_trailing_newlines() {
        // printf 'a\nfile 100644 x p\n' | sha256sum
        let tag = content_tag(&["a".to_string()], &["file 100644 x p".to_string()]);
        let mut hasher = Sha256::new();
        hasher.update(b"a\nfile 100644 x p\n");
        assert_eq!(tag, format!("{:x}", hasher.finalize())[..24]);
        assert_eq!(tag.len(), CONTENT_TAG_LEN);
    }
}
