//! The model: its types, how it is loaded and checked, and how its problems are reported.

mod alias_tags;
mod characters;
pub mod cron;
mod diagnostic;
mod duration;
mod env_names;
mod excerpt;
pub(crate) mod image_reference;
pub mod load;
mod merge;
pub mod output_paths;
mod path;
pub mod patterns;
mod platforms;
pub mod printable;
pub mod schema;
mod schema_errors;
mod set_aside;
mod source;
mod substitutions;
mod suggest;
mod types;
mod validate;
mod variant_count;
mod withheld;

pub use characters::unfit_in_plain_path;
pub use diagnostic::{Anchor, Diagnostic, ModelErrors};
pub use duration::{Duration, DurationError};
pub use load::{LoadedModel, load, load_bytes};
pub use path::{ModelPath, Segment, Walk};
pub use source::{Location, SourceFile};
pub use suggest::{closest, did_you_mean};
pub use types::*;
pub use validate::GITLAB_MAX_CACHES_PER_JOB;

/// Whether `reference` names an image outside the model: external references carry a tag, a
/// digest or a registry path (`postgres:16.4`, `ghcr.io/o/i`, `i@sha256:…`).
pub fn is_external_reference(reference: &str) -> bool {
    reference.contains([':', '/', '@'])
}

/// The model image `reference` names, if it names one.
pub fn model_image<'m>(model: &'m Model, reference: &str) -> Option<&'m str> {
    model.images.get_key_value(reference).map(|(name, _)| name.as_str())
}
