//! The README shows what pipegen really does: its example model is valid and plans as the text
//! says, and its GDK graph is what `pipegen graph` prints.

mod support;

use pretty_assertions::assert_eq;

/// The fenced blocks of `lang` in the README, in order.
fn blocks(lang: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(support::repo().join("README.md")).expect("README.md");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match &mut current {
            None if line == format!("```{lang}") => current = Some(String::new()),
            Some(text) if line == "```" => {
                blocks.push(std::mem::take(text));
                current = None;
            }
            Some(text) => {
                text.push_str(line);
                text.push('\n');
            }
            None => {}
        }
    }
    blocks
}

#[test]
fn the_example_model_is_valid_and_plans_as_described() {
    let example =
        blocks("yaml").into_iter().find(|b| b.starts_with("# yaml-language-server")).expect("an example model");
    let loaded = pipegen::model::load("README.md", &example).unwrap_or_else(|e| panic!("{e}"));
    let plan = pipegen::plan::build(&loaded, "pipegen.yaml").unwrap_or_else(|e| panic!("{e}"));
    let name = pipegen::emit::gitlab::names::job;
    let builds: Vec<String> = plan.builds.iter().map(|b| name(&b.id())).collect();
    assert_eq!(builds, ["build:base:3.2", "build:base:3.3", "build:app:3.2", "build:app:3.3"]);
    let jobs: Vec<(String, Option<u32>)> = plan.runs.iter().map(|r| (name(&r.id()), r.shards)).collect();
    assert_eq!(jobs, [("rspec:3.2".to_string(), Some(4)), ("rspec:3.3".to_string(), Some(4))]);
    let app = plan.builds.iter().find(|b| name(&b.id()) == "build:app:3.3").unwrap();
    let needs: Vec<String> = app.needs.iter().map(|n| name(&n.job)).collect();
    assert_eq!(needs, ["build:base:3.3"]);
    let rspec = plan.runs.iter().find(|r| name(&r.id()) == "rspec:3.3").unwrap();
    let needs: Vec<String> = rspec.needs.iter().map(|n| name(&n.job)).collect();
    assert_eq!(needs, ["build:app:3.3"]);
}

#[test]
fn the_gdk_graph_is_what_pipegen_graph_prints() {
    let shown = blocks("mermaid").into_iter().next().expect("a mermaid block");
    let (code, printed, err) =
        support::run(support::pipegen().args(["graph", "--model", "model/gdk.yaml"]).current_dir(support::repo()));
    assert_eq!(code, 0, "{err}");
    assert_eq!(shown, printed, "update the README's graph with `pipegen graph --model model/gdk.yaml`");
}
