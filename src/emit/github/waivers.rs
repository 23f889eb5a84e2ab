//! Deliberate choices that linters' heuristics report, written into the workflow as comments.

use serde::Serialize;

/// A deliberate choice that a linter's heuristic reports, written into the workflow as comments:
/// why, and the ignore directives of jactionlint and zizmor. Serialized as a pseudo-key
/// (`__pipegen_waiver__`) right before the key it concerns, then turned into comment lines by
/// [`write_waivers`]; serde cannot write comments itself.
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

impl Serialize for Waiver {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl Waiver {
    const KEY: &'static str = "__pipegen_waiver__: ";
    const ALL: [Waiver; 5] = [
        Waiver::CancelSupersededRuns,
        Waiver::BuildCache,
        Waiver::OwnImage,
        Waiver::ModelTagPin,
        Waiver::PushOnlyImage,
    ];

    fn name(self) -> &'static str {
        match self {
            Waiver::CancelSupersededRuns => "cancel-superseded-runs",
            Waiver::BuildCache => "build-cache",
            Waiver::OwnImage => "own-image",
            Waiver::ModelTagPin => "model-tag-pin",
            Waiver::PushOnlyImage => "push-only-image",
        }
    }

    /// The comment lines above the concerned key.
    fn comments(self) -> &'static [&'static str] {
        match self {
            Waiver::CancelSupersededRuns => &[
                "A newer run of the same ref cancels a superseded one, except on the default branch,",
                "where every run finishes so that the images it publishes are complete.",
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

    fn from_name(text: &str) -> Option<Waiver> {
        Waiver::ALL.into_iter().find(|w| w.name() == text)
    }
}

/// Replace each waiver pseudo-key by its comment lines, at its indentation, and put its
/// same-line directive after the next line.
pub(super) fn write_waivers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending: Option<&'static str> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(waiver) = trimmed.strip_prefix(Waiver::KEY).and_then(Waiver::from_name) {
            let indent = &line[..line.len() - trimmed.len()];
            for comment in waiver.comments() {
                out.push_str(&format!("{indent}# {comment}\n"));
            }
            pending = waiver.same_line();
            continue;
        }
        out.push_str(line);
        if let Some(directive) = pending.take() {
            out.push_str(&format!(" # {directive}"));
        }
        out.push('\n');
    }
    out
}
