//! Checks of the platforms an image is built for: a child builds each of its platforms from its
//! parent's image of the same platform, so every parent must be built for each of them.

use super::diagnostic::Diagnostic;
use super::path::ModelPath;
use super::types::{Model, Platform};

impl Model {
    /// The platforms `image` is built for: its own, else the model's; `None` when neither says
    /// (one build for the runner's own platform).
    pub fn platforms_of(&self, image: &str) -> Option<&[Platform]> {
        self.images.get(image).and_then(|i| i.platforms.as_deref()).or(self.platforms.as_deref())
    }
}

/// Where an image's platforms are written: its own `platforms`, or the model's.
fn written_at(model: &Model, image: &str) -> ModelPath {
    if model.images.get(image).is_some_and(|i| i.platforms.is_some()) {
        ModelPath::keys(["images", image, "platforms"])
    } else {
        ModelPath::keys(["platforms"])
    }
}

/// Every child platform its parents lack, parents without platforms under a child with some,
/// and parents without the default runners' platform under a child without platforms.
/// (The schema checks the values, and that `runners` names platforms.)
pub fn check(model: &Model) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (name, image) in &model.images {
        let Some(from) = &image.from else { continue };
        for parent in from.refs() {
            if !model.images.contains_key(parent.image) || parent.image == name {
                continue; // reported by the graph checks
            }
            let Some(platforms) = model.platforms_of(name) else {
                found.extend(default_platform_missing(model, name, parent.image, parent.path(name)));
                continue;
            };
            let parent_platforms = model.platforms_of(parent.image).unwrap_or_default();
            let missing: Vec<&str> =
                platforms.iter().filter(|p| !parent_platforms.contains(p)).map(|p| p.name()).collect();
            if missing.is_empty() {
                continue;
            }
            let listed = missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ");
            let parent_at = ModelPath::keys(["images", parent.image]);
            let (related, note) = if model.platforms_of(parent.image).is_some() {
                (written_at(model, parent.image), format!("`{}` is built for these", parent.image))
            } else {
                (parent_at, format!("`{}` has no platforms: one build for its runner's own", parent.image))
            };
            found.push(
                Diagnostic::new(
                    "platform-without-parent",
                    written_at(model, name),
                    format!(
                        "image `{name}` is built for {listed}, which its parent `{}` is not built for",
                        parent.image
                    ),
                )
                .label("a child builds each platform from its parent's image of that platform")
                .related(related, note)
                .help(format!(
                    "add {listed} to the platforms of `{}`, or give `{name}` its own `platforms` without them",
                    parent.image
                )),
            );
        }
    }
    found
}

/// A child without platforms is built once, on the default runner (GitHub's `ubuntu-latest`,
/// GitLab's untagged runners: amd64), from its parent's image of that runner's platform: a
/// parent built for other platforms only has none, and every `RUN` of the child would fail
/// with `exec format error`. The child must name platforms of its parent's instead.
fn default_platform_missing(model: &Model, name: &str, parent: &str, entry: ModelPath) -> Option<Diagnostic> {
    let parent_platforms = model.platforms_of(parent)?;
    if parent_platforms.contains(&DEFAULT_RUNNER_PLATFORM) {
        return None;
    }
    let mut names: Vec<&str> = parent_platforms.iter().map(|p| p.name()).collect();
    names.sort_unstable();
    let listed = names.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ");
    Some(
        Diagnostic::new(
            "platform-without-parent",
            entry,
            format!(
                "image `{name}` has no platforms, so it is built for the default runner's `{}`, which its parent `{parent}` is not built for",
                DEFAULT_RUNNER_PLATFORM.name()
            ),
        )
        .label("a child builds from its parent's image of the platform it is built for")
        .related(written_at(model, parent), format!("`{parent}` is built for {listed} only"))
        .help(format!(
            "give `{name}` platforms its parent has, `platforms: [{}]`, or add `{}` to the platforms of `{parent}`",
            names.join(", "),
            DEFAULT_RUNNER_PLATFORM.name()
        )),
    )
}

/// The platform of the runners that build an image without platforms.
const DEFAULT_RUNNER_PLATFORM: Platform = Platform::LinuxAmd64;
