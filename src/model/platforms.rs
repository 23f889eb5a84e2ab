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

/// Every child platform its parents lack, and parents without platforms under a child with some.
/// (The schema checks the values, and that `runners` names platforms.)
pub fn check(model: &Model) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (name, image) in &model.images {
        let Some(platforms) = model.platforms_of(name) else { continue };
        let Some(from) = &image.from else { continue };
        for parent in from.refs() {
            if !model.images.contains_key(parent.image) || parent.image == name {
                continue; // reported by the graph checks
            }
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
