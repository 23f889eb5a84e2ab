//! The image graph: `from` edges as a petgraph DAG, its stable topological order, the axes each
//! image varies over and the variants it is built in.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap};

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::model::Model;
use crate::variant::Variant;

/// Images as nodes, parent → child edges. Parents that are not images of the model are left
/// out (validation reports them); so are self-edges (reported as "its own parent").
pub struct ImageGraph<'m> {
    model: &'m Model,
    graph: DiGraph<&'m str, ()>,
    nodes: HashMap<&'m str, NodeIndex>,
    /// Each image's parents that are images of the model, in `from` order, by node index.
    parents: Vec<Vec<&'m str>>,
    /// Each image's axes and depth, computed once: walking up the DAG per question would take
    /// time exponential in its depth (every path to the roots, not every image).
    inherited: HashMap<&'m str, Inherited>,
}

/// What an image inherits from its ancestors.
#[derive(Debug, Clone, Default)]
struct Inherited {
    axes: Vec<String>,
    depth: usize,
}

impl<'m> ImageGraph<'m> {
    pub fn new(model: &'m Model) -> Self {
        let mut graph = DiGraph::new();
        let mut nodes = HashMap::with_capacity(model.images.len());
        for name in model.images.keys() {
            nodes.insert(name.as_str(), graph.add_node(name.as_str()));
        }
        let mut parents = Vec::with_capacity(model.images.len());
        for (name, image) in &model.images {
            let child = nodes[name.as_str()];
            let mut seen = BTreeSet::new();
            let mut own = Vec::new();
            for (_, parent) in image.from.iter().flat_map(|f| f.iter()) {
                if parent == name || !seen.insert(parent) {
                    continue;
                }
                if let Some((&parent, &p)) = nodes.get_key_value(parent) {
                    graph.add_edge(p, child, ());
                    own.push(parent);
                }
            }
            parents.push(own);
        }
        let mut image_graph = ImageGraph { model, graph, nodes, parents, inherited: HashMap::new() };
        // Parents first, so that each image finds its parents done; then, in model order, the
        // images on or below a cycle, which only an invalid model has.
        for name in image_graph.topological() {
            image_graph.inherit(name, &mut BTreeSet::new());
        }
        let mut visiting = BTreeSet::new();
        for name in model.images.keys() {
            image_graph.inherit(name, &mut visiting);
        }
        image_graph
    }

    /// Compute (once) the axes and depth of `image` from its parents'. An image met again while
    /// its own ancestors are being computed is on a cycle: it counts as having no parents there
    /// (validation reports the cycle; nothing is built from such a graph).
    fn inherit(&mut self, image: &'m str, visiting: &mut BTreeSet<&'m str>) -> Inherited {
        if let Some(done) = self.inherited.get(image) {
            return done.clone();
        }
        if !visiting.insert(image) {
            return Inherited { axes: Vec::new(), depth: 1 };
        }
        let mut inherited = Inherited { axes: Vec::new(), depth: 1 };
        for parent in self.parents(image) {
            let from_parent = self.inherit(parent, visiting);
            inherited.depth = inherited.depth.max(from_parent.depth + 1);
            for axis in from_parent.axes {
                if !inherited.axes.contains(&axis) {
                    inherited.axes.push(axis);
                }
            }
        }
        for axis in &self.model.images[image].axes {
            if !inherited.axes.contains(&axis.0) {
                inherited.axes.push(axis.0.clone());
            }
        }
        visiting.remove(image);
        self.inherited.insert(image, inherited.clone());
        inherited
    }

    /// A cycle of `from` edges, as the names along it with the first repeated at the end
    /// (`a → b → a` is `["a", "b", "a"]`), starting from the smallest name on it.
    pub fn cycle(&self) -> Option<Vec<String>> {
        first_cycle(&self.graph)
    }

    /// Every image, parents before children, ties broken by name (so output is stable).
    /// Call only on an acyclic graph; images on a cycle are left out.
    pub fn topological(&self) -> Vec<&'m str> {
        let mut indegree: HashMap<NodeIndex, usize> = self
            .graph
            .node_indices()
            .map(|n| (n, self.graph.neighbors_directed(n, Direction::Incoming).count()))
            .collect();
        let mut ready: BinaryHeap<Reverse<&str>> =
            indegree.iter().filter(|(_, d)| **d == 0).map(|(n, _)| Reverse(self.graph[*n])).collect();
        let mut order = Vec::with_capacity(self.graph.node_count());
        while let Some(Reverse(name)) = ready.pop() {
            order.push(name);
            let node = self.nodes[name];
            for child in self.graph.neighbors_directed(node, Direction::Outgoing) {
                let d = indegree.get_mut(&child).expect("every node has an in-degree");
                *d -= 1;
                if *d == 0 {
                    ready.push(Reverse(self.graph[child]));
                }
            }
        }
        order
    }

    /// Parents of `image` that are images of the model, in the order `from` lists them.
    pub fn parents(&self, image: &str) -> Vec<&'m str> {
        self.nodes.get(image).map(|node| self.parents[node.index()].clone()).unwrap_or_default()
    }

    /// Parents of `image` as [`ImageGraph::parents`] lists them, each with the build argument that
    /// carries its reference (`<NAME>_IMAGE`, or the `arg` its `from` entry names).
    pub fn parents_with_args(&self, image: &str) -> Vec<(&'m str, String)> {
        let refs = self.model.images[image].from.iter().flat_map(|f| f.refs()).collect::<Vec<_>>();
        self.parents(image)
            .into_iter()
            .map(|parent| {
                let arg = refs.iter().find(|r| r.image == parent).map(|r| r.build_arg());
                (parent, arg.unwrap_or_else(|| crate::naming::parent_arg(parent)))
            })
            .collect()
    }

    /// The axes `image` varies over: its parents' axes first (in `from` order, each in its own
    /// order), then its own that are not inherited already.
    pub fn axes(&self, image: &str) -> Vec<String> {
        self.axes_of(image).to_vec()
    }

    /// [`ImageGraph::axes`], borrowed.
    pub fn axes_of(&self, image: &str) -> &[String] {
        self.inherited.get(image).map(|i| i.axes.as_slice()).unwrap_or_default()
    }

    /// Depth of `image` in the graph: 1 for an image without parents, 1 + the deepest parent
    /// otherwise.
    pub fn depth(&self, image: &str) -> usize {
        self.inherited.get(image).map_or(1, |i| i.depth)
    }

    /// Every variant `image` is built in: one per combination of the values of its axes, in the
    /// order the axes and values are declared. An image without axes has one, empty, variant.
    pub fn variants(&self, image: &str) -> Vec<Variant> {
        Variant::product(self.axes_of(image), &self.model.axes)
    }
}

/// A cycle of `graph`'s edges (image `from` edges, job `needs`), as the names along it with the
/// first repeated at the end (`a → b → a` is `["a", "b", "a"]`), starting from the smallest name
/// on it; of several, the first by their names.
pub fn first_cycle(graph: &DiGraph<&str, ()>) -> Option<Vec<String>> {
    // Kosaraju's walk keeps its own stack; Tarjan's (petgraph's) recurses once per image
    // along a chain, and a chain of 100,000 images overflowed the main thread's stack.
    let sccs = petgraph::algo::kosaraju_scc(graph);
    let mut cycles: Vec<Vec<String>> =
        sccs.into_iter().filter(|scc| scc.len() > 1).map(|scc| cycle_within(graph, &scc)).collect();
    cycles.sort();
    cycles.into_iter().next()
}

/// A simple cycle through the smallest-named node of a strongly connected component.
fn cycle_within(graph: &DiGraph<&str, ()>, scc: &[NodeIndex]) -> Vec<String> {
    let members: BTreeSet<NodeIndex> = scc.iter().copied().collect();
    let start = *scc.iter().min_by_key(|n| graph[**n]).expect("an SCC is never empty");
    // Breadth-first from `start` back to itself inside the component: the shortest cycle.
    let mut previous: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        let mut next: Vec<NodeIndex> =
            graph.neighbors_directed(node, Direction::Outgoing).filter(|n| members.contains(n)).collect();
        next.sort_by_key(|n| graph[*n]);
        for n in next {
            if n == start {
                let mut path = vec![graph[node].to_string()];
                let mut at = node;
                while at != start {
                    at = previous[&at];
                    path.push(graph[at].to_string());
                }
                path.reverse();
                path.push(graph[start].to_string());
                return path;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = previous.entry(n) {
                e.insert(node);
                queue.push_back(n);
            }
        }
    }
    vec![graph[start].to_string(), graph[start].to_string()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load;

    fn model(images: &str) -> Model {
        let text = format!(
            "pipegen: 1\nname: t\nregistry: r.example/t\naxes:\n  a: [\"1\", \"2\"]\n  b: [x, y]\nimages:\n{images}"
        );
        match load::load("t.yaml", &text) {
            Ok(loaded) => loaded.model,
            Err(errors) => panic!("{errors}"),
        }
    }

    fn raw_model(images: &str) -> Model {
        let text = format!("pipegen: 1\nname: t\nregistry: r.example/t\nimages:\n{images}");
        crate::yaml::from_str(&text).expect("parses")
    }

    #[test]
    fn orders_parents_first_and_ties_by_name() {
        let m = model("  z: {}\n  c: { from: z }\n  b: { from: z }\n  a: { from: [b, c] }\n");
        assert_eq!(ImageGraph::new(&m).topological(), ["z", "b", "c", "a"]);
    }

    #[test]
    fn inherits_axes_parents_first() {
        let m = model("  base: { axes: [b] }\n  mid: { from: base, axes: [a] }\n  top: { from: mid, axes: [b] }\n");
        let g = ImageGraph::new(&m);
        assert_eq!(g.axes("top"), ["b", "a"]);
        assert_eq!(g.variants("top").len(), 4);
        assert_eq!(g.depth("top"), 3);
    }

    #[test]
    fn axis_less_image_has_one_variant() {
        let m = model("  infra: {}\n  svc: { from: infra, axes: [a] }\n");
        let g = ImageGraph::new(&m);
        assert_eq!(g.variants("infra"), vec![Variant::default()]);
        assert_eq!(g.variants("svc").len(), 2);
    }

    #[test]
    fn parents_come_with_the_argument_that_carries_them() {
        let m = model(
            "  base: {}\n  tools: {}\n  lib: {}\n  app: { from: [{ image: base, arg: BASE_CONTAINER }, tools, { image: lib }] }\n  one: { from: { image: base, arg: PARENT } }\n",
        );
        let g = ImageGraph::new(&m);
        assert_eq!(
            g.parents_with_args("app"),
            [
                ("base", "BASE_CONTAINER".to_string()),
                ("tools", "TOOLS_IMAGE".to_string()),
                ("lib", "LIB_IMAGE".to_string())
            ]
        );
        assert_eq!(g.parents_with_args("one"), [("base", "PARENT".to_string())]);
        assert_eq!(g.depth("app"), 2);
    }

    #[test]
    fn finds_the_cycle_path() {
        let m = raw_model("  a: { from: c }\n  b: { from: a }\n  c: { from: b }\n  d: { from: a }\n");
        assert_eq!(ImageGraph::new(&m).cycle(), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
    }
}
