//! Which stage each build and job is shown in, and the order of stages.
//!
//! Stages only group jobs for display: every job `needs` exactly what it uses. They still have to
//! agree with the graph, because GitLab refuses a job that needs a job of a later stage.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap};

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
    /// Each stage's position in `order`.
    positions: HashMap<String, usize>,
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
        let mut positions = HashMap::with_capacity(order.len());
        for (at, stage) in order.iter().enumerate() {
            positions.entry(stage.clone()).or_insert(at);
        }
        StageLayout { order, images, jobs, positions }
    }

    /// Position of `stage` in the order, if it is in it.
    pub fn position(&self, stage: &str) -> Option<usize> {
        self.positions.get(stage).copied()
    }
}

/// Without declared stages: an order in which every stage comes after the stages of what its
/// members need (parents' builds, the images a job runs, the jobs a job `needs`). Among stages that may come next, the
/// one whose members sit shallowest in the graph goes first (images by depth, jobs one below the
/// deepest image they use), then the one that appears first in the model. Stage names the model
/// set by hand can contradict each other (a cycle); the rest then follows that ranking and
/// validation reports the contradiction.
///
/// Kahn's algorithm with a priority queue: O((s + c) log s) for s stages and c constraints.
fn derive_order(
    model: &Model,
    graph: &ImageGraph<'_>,
    images: &HashMap<String, String>,
    jobs: &HashMap<String, String>,
) -> Vec<String> {
    let mut stages = Stages::default();
    // Stages are numbered as they first appear: images' in model order, then jobs'.
    for name in model.images.keys() {
        stages.note(&images[name], graph.depth(name));
    }
    let used_by_job: Vec<(&str, Vec<&str>)> = model
        .jobs
        .iter()
        .map(|(name, job)| {
            let used = job
                .image
                .iter()
                .chain(job.services.iter().filter_map(|s| model.services.get(&s.0)).map(|s| &s.image))
                .filter_map(|i| model_image(model, i))
                .collect();
            (jobs[name].as_str(), used)
        })
        .collect();
    for (stage, used) in &used_by_job {
        let deepest = used.iter().map(|i| graph.depth(i)).max().unwrap_or(0);
        stages.note(stage, deepest + 1);
    }
    for name in model.images.keys() {
        for parent in graph.parents(name) {
            stages.constrain(&images[parent], &images[name]);
        }
    }
    for (stage, used) in &used_by_job {
        for image in used {
            stages.constrain(&images[*image], stage);
        }
    }
    // A job's stage comes no earlier than the stages of the jobs it needs.
    for (name, job) in &model.jobs {
        for needed in job.needs.iter().filter_map(|n| jobs.get(&n.0)) {
            stages.constrain(needed, &jobs[name]);
        }
    }
    stages.order()
}

/// The stages met so far, with what orders them; a stage's id is the order it appeared in.
#[derive(Default)]
struct Stages<'a> {
    names: Vec<&'a str>,
    ids: HashMap<&'a str, usize>,
    /// The shallowest depth of each stage's members.
    rank: Vec<usize>,
    /// Stages that must come after each stage.
    after: Vec<Vec<usize>>,
    /// How many constraints on each stage are not met yet.
    waiting_for: Vec<usize>,
}

impl<'a> Stages<'a> {
    /// Note a member of `stage` at `rank`: the stage's rank is its shallowest member's.
    fn note(&mut self, stage: &'a str, rank: usize) {
        match self.ids.get(stage) {
            Some(&id) => self.rank[id] = self.rank[id].min(rank),
            None => {
                self.ids.insert(stage, self.names.len());
                self.names.push(stage);
                self.rank.push(rank);
                self.after.push(Vec::new());
                self.waiting_for.push(0);
            }
        }
    }

    /// Stage `before` must not come after stage `after` (both noted already).
    fn constrain(&mut self, before: &str, after: &str) {
        let (before, after) = (self.ids[before], self.ids[after]);
        if before != after {
            self.after[before].push(after);
            self.waiting_for[after] += 1;
        }
    }

    fn order(mut self) -> Vec<String> {
        // (rank, first appearance): the next stage is the smallest ready one.
        let key = |id: usize, rank: &[usize]| Reverse((rank[id], id));
        let mut ready: BinaryHeap<Reverse<(usize, usize)>> =
            (0..self.names.len()).filter(|&id| self.waiting_for[id] == 0).map(|id| key(id, &self.rank)).collect();
        // Every stage not placed yet, to break a cycle of hand-set stages by the same ranking.
        let mut left: BTreeSet<(usize, usize)> = (0..self.names.len()).map(|id| (self.rank[id], id)).collect();
        let mut order = Vec::with_capacity(self.names.len());
        while let Some(&first_left) = left.first() {
            let (rank, id) = match ready.pop() {
                Some(Reverse(next)) if left.contains(&next) => next,
                Some(_) => continue,
                None => first_left,
            };
            left.remove(&(rank, id));
            order.push(self.names[id].to_string());
            for next in std::mem::take(&mut self.after[id]) {
                self.waiting_for[next] -= 1;
                if self.waiting_for[next] == 0 {
                    ready.push(key(next, &self.rank));
                }
            }
        }
        order
    }
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

    #[test]
    fn a_job_stage_comes_after_the_stages_of_the_jobs_it_needs() {
        // Without `needs`, `check` (first seen, same rank) would come before `compile`.
        let layout = layout(
            "pipegen: 1\nname: t\nregistry: r.example/t\n\
             jobs:\n  test: { stage: check, needs: [build], script: [x] }\n  build: { stage: compile, script: [x] }\n",
        );
        assert_eq!(layout.order, ["compile", "check"]);
    }
}

/// The derived order agrees with the straightforward quadratic algorithm it replaced, on random
/// graphs with hand-set stages that may contradict each other.
#[cfg(test)]
mod same_as_the_quadratic_order {
    use proptest::prelude::*;

    use super::*;

    /// Repeatedly take the smallest (rank, first appearance) stage none of whose constraints is
    /// still open; with none, the smallest of all.
    fn reference(model: &Model, graph: &ImageGraph<'_>, layout: &StageLayout) -> Vec<String> {
        let mut rank: Vec<(String, usize, usize)> = Vec::new();
        let mut note = |stage: &str, r: usize| match rank.iter_mut().find(|(s, _, _)| s == stage) {
            Some(entry) => entry.1 = entry.1.min(r),
            None => {
                let appearance = rank.len();
                rank.push((stage.to_string(), r, appearance));
            }
        };
        let mut constraints: Vec<(String, String)> = Vec::new();
        for name in model.images.keys() {
            note(&layout.images[name], graph.depth(name));
            for parent in graph.parents(name) {
                constraints.push((layout.images[parent].clone(), layout.images[name].clone()));
            }
        }
        for (name, job) in &model.jobs {
            let used: Vec<&str> = job.image.iter().filter_map(|i| model_image(model, i)).collect();
            let deepest = used.iter().map(|i| graph.depth(i)).max().unwrap_or(0);
            note(&layout.jobs[name], deepest + 1);
            constraints.extend(used.iter().map(|image| (layout.images[*image].clone(), layout.jobs[name].clone())));
        }
        constraints.retain(|(before, after)| before != after);
        let mut order = Vec::new();
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

    /// A model of `images` (each with parents among the earlier ones and maybe a hand-set stage
    /// out of a few) and `jobs` (each on an image, maybe with a stage).
    fn model_text(images: &[(Vec<usize>, Option<u8>)], jobs: &[(usize, Option<u8>)]) -> String {
        let mut text = String::from("pipegen: 1\nname: t\nregistry: r.example/t\nimages:\n");
        for (i, (parents, stage)) in images.iter().enumerate() {
            let from: Vec<String> = parents.iter().filter(|p| **p < i).map(|p| format!("i{p}")).collect();
            text.push_str(&format!("  i{i}: {{ from: [{}]", from.join(", ")));
            if let Some(stage) = stage {
                text.push_str(&format!(", stage: s{stage}"));
            }
            text.push_str(" }\n");
        }
        text.push_str("jobs:\n");
        for (j, (image, stage)) in jobs.iter().enumerate() {
            text.push_str(&format!("  j{j}: {{ image: i{}, script: [x]", image % images.len()));
            if let Some(stage) = stage {
                text.push_str(&format!(", stage: s{stage}"));
            }
            text.push_str(" }\n");
        }
        text
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn on_random_models(
            images in prop::collection::vec((prop::collection::vec(0..12usize, 0..3), prop::option::weighted(0.4, 0..4u8)), 1..12),
            jobs in prop::collection::vec((0..12usize, prop::option::weighted(0.4, 0..4u8)), 0..6),
        ) {
            let text = model_text(&images, &jobs);
            let model: Model = crate::yaml::from_str(&text).expect("parses");
            let graph = ImageGraph::new(&model);
            let layout = StageLayout::new(&model, &graph);
            prop_assert_eq!(&layout.order, &reference(&model, &graph, &layout), "{}", text);
            for (at, stage) in layout.order.iter().enumerate() {
                prop_assert_eq!(layout.position(stage), Some(at));
            }
        }
    }
}
