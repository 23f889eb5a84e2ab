//! Deliberate choices that linters' heuristics report, written into the workflow as comments.

use crate::yaml::Commented;

/// A deliberate choice that a linter's heuristic reports, written into the workflow as comments:
/// why, and the ignore directives of jactionlint and zizmor, which pipegen's YAML writer puts
/// above the key it concerns and after its value ([`Commented`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Waiver {
    /// Why superseded runs are cancelled everywhere but on the default branch (a note only).
    CancelSupersededRuns,
    /// `actions/cache` restored in an image build (the BuildKit cache dance).
    BuildCache,
    /// A model image in `container:` or `services:`, named by an expression.
    OwnImage,
    /// An external image that the model pins by a tag (the contract allows `postgres:16.4`).
    ModelTagPin,
    /// An external image beside model images, named by an expression that is empty when the run
    /// does not push (a step then starts it).
    PushOnlyImage,
}

impl Waiver {
    /// The comment lines above the concerned key.
    fn comments(self) -> &'static [&'static str] {
        match self {
            Waiver::CancelSupersededRuns => &[
                "A newer run of the same ref cancels a superseded one, except a run that pushes,",
                "which is never cancelled running; a pending one gives way to a newer.",
            ],
            Waiver::BuildCache => &[
                "Image builds restore their caches by design; GitHub restores only caches saved by runs of",
                "this ref or of the default branch.",
                "jactionlint ignore=cache-poisoning",
                "zizmor: ignore[cache-poisoning]",
            ],
            Waiver::OwnImage => {
                &["An image of this workflow, named by its content or commit tag in the run's registry."]
            }
            Waiver::ModelTagPin => &[
                "The model pins this image by tag; pin it by digest there (name:tag@sha256:...) to make it immutable.",
                "jactionlint ignore=unpinned-images",
            ],
            Waiver::PushOnlyImage => &[
                "The model's image; empty when the run does not push, where a step starts it beside the run's",
                "local images. The model pins it; pin it by digest there (name:tag@sha256:...) to make it immutable.",
            ],
        }
    }

    /// A directive that must stand on the concerned line itself (zizmor reads no other).
    fn same_line(self) -> Option<&'static str> {
        match self {
            Waiver::OwnImage | Waiver::PushOnlyImage => Some("zizmor: ignore[unpinned-images]"),
            _ => None,
        }
    }

    /// `value` with this waiver's comment lines above its key and its same-line directive
    /// after it. The value's own trailing comment, if any, must not compete with a directive.
    pub(super) fn on<T>(self, mut value: Commented<T>) -> Commented<T> {
        for line in self.comments() {
            value = value.above(*line);
        }
        if let Some(directive) = self.same_line() {
            debug_assert!(value.trailing().is_none(), "a waiver's directive would replace a comment");
            value = value.after(directive);
        }
        value
    }

    /// [`Waiver::on`] when there is a waiver.
    pub(super) fn on_optional<T>(waiver: Option<Waiver>, value: Commented<T>) -> Commented<T> {
        match waiver {
            Some(waiver) => waiver.on(value),
            None => value,
        }
    }
}
