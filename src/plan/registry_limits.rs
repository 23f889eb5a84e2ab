//! What every registry refuses, checked on the plan for every backend: a tag has at most 128
//! characters and a repository name, with its registry's host, at most 255 (the reference
//! grammar of the OCI distribution spec, which `docker`, `buildah` and `skopeo` all enforce
//! before they send anything). Without this a pipeline is written whose builds fail at their
//! first push. Alias tags are checked with the model (`model::alias_tags`), since part of them
//! is only known in the pipeline.

use std::fmt::Write as _;

use super::push::SCRATCH_TAG_PREFIX;
use super::{Build, CONTENT_TAG_LEN, Plan, TagMode};
use crate::alias_tags::MAX_TAG_LEN;
use crate::model::Diagnostic;

/// A repository name, host included, has at most this many characters.
pub const MAX_REPOSITORY_LEN: usize = 255;
/// A commit SHA as both platforms give it (SHA-1, hex).
const COMMIT_LEN: usize = 40;
/// What names one platform's image of a split build before the merge: `<tag>-platform-<slug>`.
pub const PLATFORM_TAG_INFIX: &str = "-platform-";

/// The length of `build`'s own tag: the content tag, or the commit SHA with the variant's
/// values.
fn own_tag_len(build: &Build) -> usize {
    match &build.this.tag {
        TagMode::Content => CONTENT_TAG_LEN,
        TagMode::Commit { suffix: None } => COMMIT_LEN,
        TagMode::Commit { suffix: Some(suffix) } => COMMIT_LEN + 1 + suffix.len(),
    }
}

/// [`own_tag_len`]'s tag written out with placeholders, for messages.
fn own_tag_shape(build: &Build) -> String {
    match &build.this.tag {
        TagMode::Content => "<content tag>".to_string(),
        TagMode::Commit { suffix: None } => "<commit>".to_string(),
        TagMode::Commit { suffix: Some(suffix) } => format!("<commit>-{suffix}"),
    }
}

/// What a split build's per-platform names add (`-linux-arm64`, its longest platform's), empty
/// for a build of one job.
fn platform_part(build: &Build) -> String {
    match longest_platform(build) {
        Some(platform) => format!("-{}", platform.name().replace('/', "-")),
        None => String::new(),
    }
}

fn longest_platform(build: &Build) -> Option<crate::model::Platform> {
    build.platforms.iter().copied().max_by_key(|p| p.name().len()).filter(|_| build.split())
}

/// The length of [`longest_tag`], without writing it.
fn longest_tag_len(build: &Build) -> usize {
    // `-platform` then the platform part's own `-<slug>`.
    let platform = longest_platform(build).map_or(0, |p| PLATFORM_TAG_INFIX.len() + p.name().len());
    SCRATCH_TAG_PREFIX.len() + own_tag_len(build) + platform
}

/// The longest tag `build`'s image can get in a pipeline, written out with placeholders for
/// messages: the scratch prefix of a pipeline that does not push, its own tag, and the
/// platform part of a split build's temporary tags.
pub fn longest_tag(build: &Build) -> (usize, String) {
    let mut shape = format!("{SCRATCH_TAG_PREFIX}{}", own_tag_shape(build));
    let platform = platform_part(build);
    if !platform.is_empty() {
        let _ = write!(shape, "{}{platform}", PLATFORM_TAG_INFIX.trim_end_matches('-'));
    }
    (longest_tag_len(build), shape)
}

/// Every build whose image would get a tag or a repository name a registry refuses; one
/// problem per image (its longest variant), so that a long axis value is reported once.
pub fn check(plan: &Plan) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let mut reported_tag: Vec<&str> = Vec::new();
    let mut reported_repository: Vec<&str> = Vec::new();
    for build in &plan.builds {
        let image = &*build.this.id.image;
        if longest_tag_len(build) > MAX_TAG_LEN && !reported_tag.contains(&image) {
            reported_tag.push(image);
            let (len, shape) = longest_tag(build);
            let values = if build.this.id.variant.is_empty() {
                String::new()
            } else {
                format!(" for {}", build.this.id.variant.describe())
            };
            let help = match build.this.tag {
                TagMode::Commit { .. } => {
                    "a commit-tagged image's tag holds the commit SHA and its axis values: shorten the values (a field of the axis can carry the long text), or tag it by content"
                }
                TagMode::Content => "shorten the platform names the image is built for",
            };
            problems.push(
                Diagnostic::new(
                    "tag-too-long",
                    build.id().origin(),
                    format!(
                        "image `{image}`{values} would be tagged `{shape}`, {len} characters; a registry takes tags of at most {MAX_TAG_LEN}"
                    ),
                )
                .at_key()
                .label("its tag would be too long")
                .help(help),
            );
        }
        let repository_len = plan.registry.len() + 1 + image.len() + plan.policy.layer_cache_suffix.len();
        if repository_len > MAX_REPOSITORY_LEN && !reported_repository.contains(&image) {
            reported_repository.push(image);
            let repository = format!("{}/{image}{}", plan.registry, plan.policy.layer_cache_suffix);
            problems.push(
                Diagnostic::new(
                    "repository-too-long",
                    build.id().origin(),
                    format!(
                        "image `{image}` would be pushed to `{repository}` (its layer cache), {repository_len} characters; a registry takes repository names of at most {MAX_REPOSITORY_LEN}, host included"
                    ),
                )
                .at_key()
                .label("its repository name would be too long")
                .help("shorten the image's name or the model's `registry`"),
            );
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(model: &str) -> Result<Plan, crate::model::ModelErrors> {
        let loaded = crate::model::load("m.yaml", model).unwrap_or_else(|e| panic!("{e}"));
        crate::plan::build(&loaded, "m.yaml")
    }

    fn codes(model: &str) -> Vec<&'static str> {
        match plan_of(model) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.diagnostics.iter().map(|d| d.code).collect(),
        }
    }

    fn model(value: &str, platforms: &str, registry: &str, image: &str) -> String {
        format!(
            "pipegen: 1\nname: t\nregistry: {registry}\naxes:\n  v: [\"{value}\"]\nimages:\n  {image}:\n    tag: commit\n    axes: [v]\n    platforms: {platforms}\n"
        )
    }

    #[test]
    fn a_commit_tag_with_its_values_fits_in_128_characters_or_is_refused() {
        let one = "[linux/amd64]";
        // scratch- (8) + commit (40) + - (1) + value: 79 characters of value fit, 80 do not.
        assert!(codes(&model(&"v".repeat(79), one, "r.example.com/t", "a")).is_empty());
        assert_eq!(codes(&model(&"v".repeat(80), one, "r.example.com/t", "a")), ["tag-too-long"]);
        // A split build's temporary tags add `-platform-linux-arm64` (21).
        let two = "[linux/amd64, linux/arm64]";
        assert!(codes(&model(&"v".repeat(58), two, "r.example.com/t", "a")).is_empty());
        assert_eq!(codes(&model(&"v".repeat(59), two, "r.example.com/t", "a")), ["tag-too-long"]);
    }

    #[test]
    fn the_longest_tag_is_spelled_out() {
        let plan = plan_of(&model("3.2", "[linux/amd64, linux/ppc64le, linux/arm/v7]", "r.example.com/t", "a"))
            .expect("a plan");
        let (len, shape) = longest_tag(&plan.builds[0]);
        assert_eq!(shape, "scratch-<commit>-3.2-platform-linux-ppc64le");
        assert_eq!(len, shape.len() - "<commit>".len() + COMMIT_LEN);
    }

    #[test]
    fn a_repository_name_fits_in_255_characters_or_is_refused() {
        let one = "[linux/amd64]";
        // registry + / + image + /cache
        let registry = format!("r.example.com/{}", "p".repeat(200));
        let fits = 255 - registry.len() - "/".len() - "/cache".len();
        assert!(codes(&model("1", one, &registry, &"a".repeat(fits))).is_empty());
        assert_eq!(codes(&model("1", one, &registry, &"a".repeat(fits + 1))), ["repository-too-long"]);
    }
}
