//! Which of the checks that read the whole model (`${…}` scopes, alias tags, stage order) must
//! wait, given the errors the other checks found: a check waits only when an error broke what
//! it reads, so that one run reports every error whose inputs are sound (a zero timeout or an
//! unknown cache hides no `${rubi}`).
//!
//! What reads what:
//! - every one of them reads the image graph (`from`): an error in a `from`, or a cycle, holds
//!   them all back;
//! - the variant count, `${…}` and alias tags read `axes`: an error under the top-level `axes`
//!   holds those back;
//! - `${…}` and alias tags of an image read its axes and its ancestors'; of a job, its `axes`,
//!   its `image` and its `services` (which bring it their images' axes): an error in one of
//!   those holds back the checks of that image (and the images built from it) or job alone;
//! - stage order reads `stages`, every `stage` and the jobs' `needs`.

use std::collections::HashSet;

use super::diagnostic::Diagnostic;
use super::path::Segment;
use super::types::Model;
use crate::graph::ImageGraph;

/// The inputs that the errors found so far broke.
#[derive(Debug, Default)]
pub(super) struct Broken {
    pub graph: bool,
    pub axes: bool,
    pub stages: bool,
    images: HashSet<String>,
    jobs: HashSet<String>,
    services: HashSet<String>,
}

impl Broken {
    pub fn of(found: &[Diagnostic]) -> Self {
        let mut broken = Broken::default();
        for diagnostic in found {
            match diagnostic.code {
                "cycle" => broken.graph = true,
                "need-cycle" => broken.stages = true,
                _ => {}
            }
            let keys: Vec<&str> = diagnostic
                .path
                .segments()
                .iter()
                .map(|s| match s {
                    Segment::Key(key) => &**key,
                    Segment::Index(_) => "",
                })
                .collect();
            match keys.as_slice() {
                ["axes", ..] => broken.axes = true,
                ["stages", ..] => broken.stages = true,
                ["images", _, "from", ..] => broken.graph = true,
                ["images", name, "axes", ..] => {
                    broken.images.insert(name.to_string());
                }
                ["images", _, "stage", ..] | ["jobs", _, "stage" | "needs", ..] => broken.stages = true,
                ["jobs", name, "axes" | "image" | "services", ..] => {
                    broken.jobs.insert(name.to_string());
                }
                ["services", name, "image", ..] => {
                    broken.services.insert(name.to_string());
                }
                _ => {}
            }
        }
        broken
    }

    /// The images and jobs whose scope (the axes their `${…}` may name) an error broke. Call
    /// only when the graph is sound.
    pub fn unsound<'m>(&self, model: &'m Model, graph: &ImageGraph<'m>) -> Unsound<'m> {
        let mut images: HashSet<&'m str> = HashSet::new();
        // Parents first, so a broken ancestor is known when its children are reached.
        for name in graph.topological() {
            if self.images.contains(name) || graph.parents(name).iter().any(|p| images.contains(p)) {
                images.insert(name);
            }
        }
        let jobs = model
            .jobs
            .iter()
            .filter(|(name, job)| {
                let services = job.services.iter().filter_map(|s| Some((s.0.as_str(), model.services.get(&s.0)?)));
                self.jobs.contains(name.as_str())
                    || job
                        .image
                        .as_deref()
                        .and_then(|i| crate::model::model_image(model, i))
                        .is_some_and(|i| images.contains(i))
                    || services.into_iter().any(|(service_name, service)| {
                        self.services.contains(service_name)
                            || crate::model::model_image(model, &service.image).is_some_and(|i| images.contains(i))
                    })
            })
            .map(|(name, _)| name.as_str())
            .collect();
        Unsound { images, jobs }
    }
}

/// Images and jobs whose `${…}` cannot be checked in this run.
#[derive(Debug, Default)]
pub struct Unsound<'m> {
    images: HashSet<&'m str>,
    jobs: HashSet<&'m str>,
}

impl Unsound<'_> {
    pub fn image(&self, name: &str) -> bool {
        self.images.contains(name)
    }

    pub fn job(&self, name: &str) -> bool {
        self.jobs.contains(name)
    }
}
