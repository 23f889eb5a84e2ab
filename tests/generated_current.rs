//! The checked-in generated files are what this code produces: `schema/pipegen.schema.json`,
//! and every output of every model under `model/` (files under `generated/`, the root
//! `.gitlab-ci.yml`). A stale file fails with its diff and the command that fixes it;
//! `PIPEGEN_BLESS=1 cargo test --test generated_current` rewrites them.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use pipegen::outputs;
use pipegen::workspace::Workspace;

const SCHEMA: &str = "schema/pipegen.schema.json";

fn bless() -> bool {
    std::env::var_os("PIPEGEN_BLESS").is_some_and(|v| v == "1")
}

/// Every generated file the repository holds: (path relative to the root, content, how to
/// regenerate it by hand).
fn expected() -> Vec<(String, String, String)> {
    let mut files =
        vec![(SCHEMA.to_string(), pipegen::model::schema::json_schema_text(), format!("pipegen schema > {SCHEMA}"))];
    for model in support::models() {
        let workspace = Workspace::locate(Some(&model)).expect("locate the model");
        let (loaded, plan) = workspace.plan().unwrap_or_else(|e| panic!("{}", e.render(false)));
        let listed = outputs::expected(&loaded.model, &plan);
        assert!(
            listed.len() == 2,
            "{} must list both outputs (gitlab and github), so both pipelines are checked in",
            workspace.model_in_repo
        );
        for output in listed {
            files.push((output.path, output.content, format!("pipegen emit --model {}", workspace.model_in_repo)));
        }
    }
    files
}

/// Every file under `generated/`.
fn generated_files(root: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut stack = vec![root.join("generated")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.insert(path.strip_prefix(root).expect("inside").to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found
}

#[test]
fn generated_files_are_current() {
    let root = support::repo();
    let files = expected();
    let mut stale = Vec::new();
    let mut fixes = BTreeSet::new();
    for (path, content, fix) in &files {
        let on_disk = root.join(path);
        let current = std::fs::read_to_string(&on_disk).ok();
        if current.as_deref() == Some(content.as_str()) {
            continue;
        }
        if bless() {
            outputs::write_atomically(&on_disk, content).unwrap_or_else(|e| panic!("write {path}: {e}"));
            eprintln!("blessed {path}");
            continue;
        }
        let diff = match &current {
            Some(old) => outputs::unified_diff(old, content, path),
            None => outputs::creation_diff(content, path),
        };
        stale.push(format!("{path} is {}:\n{diff}", if current.is_some() { "stale" } else { "missing" }));
        fixes.insert(fix.clone());
    }

    // A file under generated/ that no model writes any more is a leftover.
    let wanted: BTreeSet<&str> = files.iter().map(|(p, _, _)| p.as_str()).collect();
    let orphans: Vec<String> = generated_files(&root).into_iter().filter(|f| !wanted.contains(f.as_str())).collect();
    for orphan in &orphans {
        if bless() {
            std::fs::remove_file(root.join(orphan)).unwrap_or_else(|e| panic!("remove {orphan}: {e}"));
            eprintln!("removed {orphan}");
        } else {
            stale.push(format!("{orphan} is not an output of any model under model/"));
            fixes.insert(format!("git rm {orphan}"));
        }
    }

    assert!(
        stale.is_empty(),
        "{}\nTo update them all: PIPEGEN_BLESS=1 cargo test --test generated_current\nor one by one:\n  {}\n",
        stale.join("\n"),
        fixes.into_iter().collect::<Vec<_>>().join("\n  ")
    );
}

#[test]
fn every_model_declares_the_schema_it_is_checked_against() {
    for model in support::models() {
        let text = std::fs::read_to_string(&model).expect("read the model");
        assert!(
            text.starts_with("# yaml-language-server: $schema=../schema/pipegen.schema.json\n"),
            "{} does not start with the yaml-language-server schema comment",
            support::relative(&model)
        );
    }
    assert!(support::repo().join(SCHEMA).is_file() || bless(), "{SCHEMA} is missing");
}

#[test]
fn pipegen_generates_its_own_root_pipeline() {
    let workspace = Workspace::locate(Some(&support::repo().join("model/pipegen.yaml"))).expect("locate");
    let (loaded, _) = workspace.plan().unwrap_or_else(|e| panic!("{}", e.render(false)));
    assert_eq!(loaded.model.outputs.gitlab.as_deref(), Some(".gitlab-ci.yml"));
}
