//! `pipegen graph`: the planned builds (every variant) and jobs, grouped by stage, as Mermaid
//! (which GitHub and GitLab render in Markdown) or Graphviz dot.

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

fn node_id(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}

fn collect(plan: &Plan) -> (Vec<Node>, Vec<Edge>) {
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for build in &plan.builds {
        let id = node_id(&build.id().to_string());
        nodes.push(Node {
            id: id.clone(),
            label: crate::naming::label(&build.this.id.image, &build.this.id.variant),
            stage: build.stage.clone(),
            is_job: false,
        });
        for parent in &build.parents {
            let from = node_id(&JobId::Build(parent.build.id.clone()).to_string());
            edges.push(Edge { from, to: id.clone(), uses: false });
        }
    }
    for run in &plan.runs {
        let id = node_id(&run.id().to_string());
        let shards = run.shards.map(|n| format!(" ×{n}")).unwrap_or_default();
        nodes.push(Node {
            id: id.clone(),
            label: format!("{}{shards}", crate::naming::label(&run.job, &run.variant)),
            stage: run.stage.clone(),
            is_job: true,
        });
        for build in run.model_images() {
            edges.push(Edge { from: node_id(&JobId::Build(build.id.clone()).to_string()), to: id.clone(), uses: true });
        }
    }
    edges.dedup_by(|a, b| a.from == b.from && a.to == b.to);
    (nodes, edges)
}

/// Render the plan's graph.
pub fn render(plan: &Plan, format: GraphFormat) -> String {
    let (nodes, edges) = collect(plan);
    match format {
        GraphFormat::Mermaid => mermaid(plan, &nodes, &edges),
        GraphFormat::Dot => dot(plan, &nodes, &edges),
    }
}

fn escape_mermaid(text: &str) -> String {
    text.replace('"', "#quot;")
}

fn mermaid(plan: &Plan, nodes: &[Node], edges: &[Edge]) -> String {
    let mut out = String::from("flowchart LR\n");
    for stage in &plan.stages {
        let members: Vec<&Node> = nodes.iter().filter(|n| &n.stage == stage).collect();
        if members.is_empty() {
            continue;
        }
        out.push_str(&format!("  subgraph stage_{}[\"stage: {}\"]\n", node_id(stage), escape_mermaid(stage)));
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
