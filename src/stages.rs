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

/// Without declared stages: an order in which every stage comes after the stages of what its
/// members need (parents' builds, the images a job runs). Among stages that may come next, the
/// one whose members sit shallowest in the graph goes first (images by depth, jobs one below the
/// deepest image they use), then the one that appears first in the model. Stage names the model
/// set by hand can contradict each other (a cycle); the rest then follows that ranking and
/// validation reports the contradiction.
fn derive_order(
    model: &Model,
    graph: &ImageGraph<'_>,
    images: &HashMap<String, String>,
    jobs: &HashMap<String, String>,
) -> Vec<String> {
    // (stage, rank, first appearance)
    let mut rank: Vec<(String, usize, usize)> = Vec::new();
    let mut note = |stage: &str, r: usize| match rank.iter_mut().find(|(s, _, _)| s == stage) {
        Some(entry) => entry.1 = entry.1.min(r),
        None => {
            let appearance = rank.len();
            rank.push((stage.to_string(), r, appearance));
        }
    };
    // Stage `before` must not come after stage `after`.
    let mut constraints: Vec<(String, String)> = Vec::new();
    for name in model.images.keys() {
        note(&images[name], graph.depth(name));
        for parent in graph.parents(name) {
            constraints.push((images[parent].clone(), images[name].clone()));
        }
    }
    for (name, job) in &model.jobs {
        let used: Vec<&str> = job
            .image
            .iter()
            .chain(job.services.iter().filter_map(|s| model.services.get(&s.0)).map(|s| &s.image))
            .filter_map(|i| model_image(model, i))
            .collect();
        let deepest = used.iter().map(|i| graph.depth(i)).max().unwrap_or(0);
        note(&jobs[name], deepest + 1);
        constraints.extend(used.iter().map(|image| (images[*image].clone(), jobs[name].clone())));
    }
    constraints.retain(|(before, after)| before != after);

    let mut order = Vec::with_capacity(rank.len());
    let mut left = rank;
    while !left.is_empty() {
        let ready = |stage: &str| {
            !constraints.iter().any(|(before, after)| after == stage && left.iter().any(|(s, _, _)| s == before))
        };
        let pick = left
            .iter()
            .enumerate()
            .filter(|(_, (stage, _, _))| ready(stage))
            .min_by_key(|(_, (_, r, appearance))| (*r, *appearance))
            .or_else(|| left.iter().enumerate().min_by_key(|(_, (_, r, appearance))| (*r, *appearance)))
            .map(|(i, _)| i)
            .expect("a stage is left");
        order.push(left.remove(pick).0);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(text: &str) -> StageLayout {
        let loaded = crate::model::load("t.yaml", text).unwrap_or_else(|e| panic!("{e}"));
        let graph = ImageGraph::new(&loaded.model);
        StageLayout::new(&loaded.model, &graph)
    }

    #[test]
    fn a_stage_comes_after_the_stages_its_members_need() {
        // `test` holds a job on the first image and one on the third: it must follow build-3.
        let layout = layout(
            "pipegen: 1\nname: t\nregistry: r.example/t\nimages:\n  a: {}\n  b: { from: a }\n  c: { from: b }\n\
             jobs:\n  early: { image: a, script: [x] }\n  late: { image: c, script: [x] }\n",
        );
        assert_eq!(layout.order, ["build-1", "build-2", "build-3", "test"]);
    }

    #[test]
    fn shallow_stages_come_first_among_those_that_may() {
        let layout = layout(
            "pipegen: 1\nname: t\nregistry: r.example/t\nimages:\n  a: {}\n  b: { from: a }\n\
             jobs:\n  lint: { stage: lint, script: [x] }\n  unit: { image: b, script: [x] }\n",
        );
        assert_eq!(layout.order, ["build-1", "lint", "build-2", "test"]);
    }
}
