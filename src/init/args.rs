//! The build arguments of an inferred image. `pipegen init` never copies an ARG default into
//! `args`: the pipeline would pass it on every build and override a later bump in the Dockerfile.
//! The model only mentions the defaults; an ARG without one is listed as required, for the user
//! to set in `args`.

use std::collections::{BTreeMap, BTreeSet};

use super::infer::File;

/// Build arguments BuildKit sets itself: passing them would override the platform.
pub(super) const AUTOMATIC_ARGS: &[&str] = &[
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
];

/// An image's own build arguments, which stay in its Dockerfile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArgSummary {
    /// ARGs with a default, as written (`PG_VERSION`, `17.5`); one entry per distinct default.
    pub defaults: Vec<(String, String)>,
    /// ARGs without a default in any stage the image builds: its build must set them.
    pub required: Vec<String>,
}

impl ArgSummary {
    pub fn is_empty(&self) -> bool {
        self.defaults.is_empty() && self.required.is_empty()
    }
}

/// The ARGs of `stages` (and the global ARGs their FROM lines use), less the ones that carry or
/// chose a parent and the ones BuildKit sets.
pub(super) fn summarize(file: &File, stages: &[usize], carriers: &BTreeSet<String>) -> ArgSummary {
    let mut declared: BTreeMap<String, BTreeSet<Option<String>>> = BTreeMap::new();
    for &t in stages {
        let stage = &file.stages[t];
        let globals = stage.from_globals.iter().map(|g| (g.clone(), file.global_args.get(g).cloned().flatten()));
        for (name, default) in globals.chain(stage.args.iter().cloned()) {
            declared.entry(name).or_default().insert(default);
        }
    }
    let mut summary = ArgSummary::default();
    for (name, defaults) in declared {
        if carriers.contains(&name) || AUTOMATIC_ARGS.contains(&name.as_str()) || name.starts_with("BUILDKIT_") {
            continue;
        }
        let written: Vec<String> = defaults.into_iter().flatten().collect();
        if written.is_empty() {
            summary.required.push(name);
        } else {
            summary.defaults.extend(written.into_iter().map(|d| (name.clone(), d)));
        }
    }
    summary
}
