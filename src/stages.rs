//! Which stage each build and job is shown in, and the order of stages.
//!
//! Stages only group jobs for display: every job `needs` exactly what it uses. They still have to
//! agree with the graph, because GitLab refuses a job that needs a job of a later stage.

use std::collections::HashMap;

use crate::graph::ImageGraph;
use crate::model::{Model, model_image};

/// The stage of jobs that do not say.
pub const DEFAULT_JOB_STAGE: &str = "test";

/// The stage of an image that does not say: `build-<depth>`.
pub fn default_image_stage(depth: usize) -> String {
    format!("build-{depth}")
}

/// Stages in order, and the stage of every image and job.
#[derive(Debug, Clone)]
pub struct StageLayout {
    pub order: Vec<String>,
    pub images: HashMap<String, String>,
    pub jobs: HashMap<String, String>,
}

impl StageLayout {
    pub fn new(model: &Model, graph: &ImageGraph<'_>) -> Self {
        let images: HashMap<String, String> = model
            .images
            .iter()
            .map(|(name, image)| {
                let stage =
                    image.stage.as_ref().map(|s| s.0.clone()).unwrap_or_else(|| default_image_stage(graph.depth(name)));
                (name.clone(), stage)
            })
            .collect();
        let jobs: HashMap<String, String> = model
            .jobs
            .iter()
            .map(|(name, job)| {
                let stage = job.stage.as_ref().map(|s| s.0.clone()).unwrap_or_else(|| DEFAULT_JOB_STAGE.to_string());
                (name.clone(), stage)
            })
            .collect();
        let order = match &model.stages {
            Some(declared) => declared.iter().map(|s| s.0.clone()).collect(),
            None => derive_order(model, graph, &images, &jobs),
        };
        StageLayout { order, images, jobs }
    }

    /// Position of `stage` in the order, if it is in it.
    pub fn position(&self, stage: &str) -> Option<usize> {
        self.order.iter().position(|s| s == stage)
    }
}

/// Without declared stages: order stages by how deep in the graph their members sit (images by
/// depth, jobs one below the deepest image they use), ties by first appearance in the model.
fn derive_order(
    model: &Model,
    graph: &ImageGraph<'_>,
    images: &HashMap<String, String>,
    jobs: &HashMap<String, String>,
) -> Vec<String> {
    let mut rank: Vec<(String, usize, usize)> = Vec::new();
    let mut note = |stage: &str, r: usize| match rank.iter_mut().find(|(s, _, _)| s == stage) {
        Some(entry) => entry.1 = entry.1.min(r),
        None => {
            let appearance = rank.len();
            rank.push((stage.to_string(), r, appearance));
        }
    };
    for name in model.images.keys() {
        note(&images[name], graph.depth(name));
    }
    for (name, job) in &model.jobs {
        let used =
            job.image.iter().chain(job.services.iter().filter_map(|s| model.services.get(&s.0)).map(|s| &s.image));
        let deepest = used.filter_map(|i| model_image(model, i)).map(|i| graph.depth(i)).max().unwrap_or(0);
        note(&jobs[name], deepest + 1);
    }
    rank.sort_by_key(|(_, r, appearance)| (*r, *appearance));
    rank.into_iter().map(|(s, _, _)| s).collect()
}
