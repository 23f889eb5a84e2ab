//! `pipegen graph`: the planned builds (every variant) and jobs, grouped by stage, as Mermaid
//! (which GitHub and GitLab render in Markdown) or Graphviz dot.

use std::collections::{HashMap, HashSet};

use crate::plan::{JobId, Plan};

/// Output formats of `pipegen graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
}

struct Node {
    id: String,
    label: String,
    stage: String,
    is_job: bool,
}

struct Edge {
    from: String,
    to: String,
    /// A job running in or beside an image, rather than an image built from a parent.
    uses: bool,
}

/// The renderers' node ids: a job's name with every character neither format takes in a bare id
/// made `_`, and a number added where that makes two names one (`1.5` and `1_5`), so that no node
/// stands for two jobs.
struct NodeIds {
    by_job: HashMap<String, String>,
    taken: HashSet<String>,
}

impl NodeIds {
    fn of_plan(plan: &Plan) -> NodeIds {
        let mut ids = NodeIds { by_job: HashMap::new(), taken: HashSet::new() };
        for job in plan.builds.iter().map(|b| b.id().to_string()).chain(plan.runs.iter().map(|r| r.id().to_string())) {
            ids.assign(job);
        }
        for stage in &plan.stages {
            ids.assign(Self::stage_key(stage));
        }
        ids
    }

    /// Stages share the id space (a Mermaid subgraph's id must differ from every node's), under
    /// a key no job's name can be: job names have no space.
    fn stage_key(stage: &str) -> String {
        format!("stage {stage}")
    }

    fn of_stage(&self, stage: &str) -> String {
        self.by_job.get(&Self::stage_key(stage)).cloned().unwrap_or_default()
    }

    fn assign(&mut self, job: String) {
        if self.by_job.contains_key(&job) {
            return;
        }
        let base: String = job.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        let mut id = base.clone();
        let mut n = 2;
        while self.taken.contains(&id) {
            id = format!("{base}_{n}");
            n += 1;
        }
        self.taken.insert(id.clone());
        self.by_job.insert(job, id);
    }

    fn of(&self, job: &JobId) -> String {
        self.by_job.get(&job.to_string()).cloned().unwrap_or_default()
    }
}

fn collect(plan: &Plan, ids: &NodeIds) -> (Vec<Node>, Vec<Edge>) {
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for build in &plan.builds {
        let id = ids.of(&build.id());
        nodes.push(Node {
            id: id.clone(),
            label: crate::naming::label(&build.this.id.image, &build.this.id.variant),
            stage: build.stage.clone(),
            is_job: false,
        });
        for parent in &build.parents {
            let from = ids.of(&JobId::Build(parent.build.id.clone()));
            edges.push(Edge { from, to: id.clone(), uses: false });
        }
    }
    for run in &plan.runs {
        let id = ids.of(&run.id());
        let shards = run.shards.map(|n| format!(" ×{n}")).unwrap_or_default();
        nodes.push(Node {
            id: id.clone(),
            label: format!("{}{shards}", crate::naming::label(&run.job, &run.variant)),
            stage: run.stage.clone(),
            is_job: true,
        });
        for build in run.model_images() {
            edges.push(Edge { from: ids.of(&JobId::Build(build.id.clone())), to: id.clone(), uses: true });
        }
    }
    edges.dedup_by(|a, b| a.from == b.from && a.to == b.to);
    (nodes, edges)
}

/// Render the plan's graph.
pub fn render(plan: &Plan, format: GraphFormat) -> String {
    let ids = NodeIds::of_plan(plan);
    let (nodes, edges) = collect(plan, &ids);
    match format {
        GraphFormat::Mermaid => mermaid(plan, &ids, &nodes, &edges),
        GraphFormat::Dot => dot(plan, &nodes, &edges),
    }
}

fn escape_mermaid(text: &str) -> String {
    text.replace('"', "#quot;")
}

fn mermaid(plan: &Plan, ids: &NodeIds, nodes: &[Node], edges: &[Edge]) -> String {
    let mut out = String::from("flowchart LR\n");
    for stage in &plan.stages {
        let members: Vec<&Node> = nodes.iter().filter(|n| &n.stage == stage).collect();
        if members.is_empty() {
            continue;
        }
        out.push_str(&format!("  subgraph {}[\"stage: {}\"]\n", ids.of_stage(stage), escape_mermaid(stage)));
        for node in members {
            let (open, close) = if node.is_job { ("([\"", "\"])") } else { ("[\"", "\"]") };
            out.push_str(&format!("    {}{open}{}{close}\n", node.id, escape_mermaid(&node.label)));
        }
        out.push_str("  end\n");
    }
    for edge in edges {
        let arrow = if edge.uses { "-.->" } else { "-->" };
        out.push_str(&format!("  {} {arrow} {}\n", edge.from, edge.to));
    }
    out
}

fn escape_dot(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

fn dot(plan: &Plan, nodes: &[Node], edges: &[Edge]) -> String {
    let mut out = format!("digraph \"{}\" {{\n  rankdir=LR;\n  node [shape=box];\n", escape_dot(&plan.name));
    for (i, stage) in plan.stages.iter().enumerate() {
        let members: Vec<&Node> = nodes.iter().filter(|n| &n.stage == stage).collect();
        if members.is_empty() {
            continue;
        }
        out.push_str(&format!("  subgraph cluster_{i} {{\n    label=\"stage: {}\";\n", escape_dot(stage)));
        for node in members {
            let shape = if node.is_job { ", shape=ellipse" } else { "" };
            out.push_str(&format!("    {} [label=\"{}\"{shape}];\n", node.id, escape_dot(&node.label)));
        }
        out.push_str("  }\n");
    }
    for edge in edges {
        let style = if edge.uses { " [style=dashed]" } else { "" };
        out.push_str(&format!("  {} -> {}{style};\n", edge.from, edge.to));
    }
    out.push_str("}\n");
    out
}
