//! What a build job's checkout must fetch beyond the platforms' defaults, read from the
//! repository when a pipeline is emitted (as the ignore files are): the submodules
//! `.gitmodules` lists, and the directories whose `.gitattributes` stores files in Git LFS.
//! [`crate::plan::Plan::checks_out_submodules`] and [`crate::plan::Plan::checks_out_lfs`] decide
//! per build from them.

use std::collections::BTreeSet;
use std::path::Path;

use crate::plan::Plan;
use crate::workspace::{MAX_MODEL_BYTES, read_bounded};

/// A `.gitmodules` or `.gitattributes` larger than this is not read (a model's bound: real ones
/// are a few kilobytes).
const MAX_FILE_BYTES: u64 = MAX_MODEL_BYTES;

/// The paths of the submodules that `.gitmodules` at `root` lists (what a checkout clones), as
/// repository paths: what decides which build jobs check submodules out
/// ([`Plan::checks_out_submodules`]). No file, or one that cannot be read: none.
pub fn submodules(root: &Path) -> BTreeSet<String> {
    let Ok(bytes) = read_bounded(&root.join(".gitmodules"), MAX_FILE_BYTES) else { return Default::default() };
    gitmodules_paths(&String::from_utf8_lossy(&bytes))
}

/// The directories whose `.gitattributes` sends files to Git LFS (a `filter=lfs` attribute): what
/// decides which build jobs fetch LFS files ([`Plan::checks_out_lfs`]). Looked for in every
/// `.gitattributes` git tracks (the index: committed or staged, at any depth), and in the working
/// tree at the root, in every build context and on the way to each (so that one not yet added
/// counts where it matters most), a context reached through symbolic links also as the directory
/// it leads to ([`Plan::link_targets`], filled in first). An untracked one deeper inside a
/// context counts once it is added: walking every context at every emit would cost a large
/// repository seconds.
pub fn lfs_attributes(root: &Path, plan: &Plan) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut asked = foldhash::HashSet::default();
    let mut ask = |directory: &str| {
        if !asked.insert(directory.to_string()) {
            return;
        }
        let file =
            if directory == "." { root.join(".gitattributes") } else { root.join(directory).join(".gitattributes") };
        let Ok(bytes) = read_bounded(&file, MAX_FILE_BYTES) else { return };
        if String::from_utf8_lossy(&bytes).lines().any(sends_to_lfs) {
            found.insert(directory.to_string());
        }
    };
    ask(".");
    for tracked in crate::git::tracked_named(root, ".gitattributes").unwrap_or_default() {
        match tracked.rsplit_once('/') {
            Some((directory, _)) => ask(directory),
            None => ask("."),
        }
    }
    // A context reached through a symbolic link also counts as the directory it leads to.
    let contexts = plan.builds.iter().flat_map(|b| [Some(&b.context), plan.link_targets.get(&b.context)]).flatten();
    for context in contexts {
        let mut on_the_way = String::new();
        for component in context.split('/').filter(|c| *c != ".") {
            if !on_the_way.is_empty() {
                on_the_way.push('/');
            }
            on_the_way.push_str(component);
            ask(&on_the_way);
        }
    }
    found
}

/// Whether a `.gitattributes` line gives some pattern the attribute `filter=lfs`.
fn sends_to_lfs(line: &str) -> bool {
    let line = line.trim();
    !line.starts_with('#') && line.split_whitespace().skip(1).any(|attribute| attribute == "filter=lfs")
}

/// The `path` values of a `.gitmodules` text (git's config format: `[section "name"]` headers,
/// `key = value` lines, `#` and `;` comments, values optionally in double quotes with `\"` and
/// `\\` escapes), normalized as the model's paths are.
fn gitmodules_paths(text: &str) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    let mut in_submodule = false;
    for line in text.lines() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[') {
            in_submodule = header.trim_start().to_ascii_lowercase().starts_with("submodule");
            continue;
        }
        let Some((key, value)) = line.split_once('=') else { continue };
        if !in_submodule || !key.trim().eq_ignore_ascii_case("path") {
            continue;
        }
        let path = crate::plan::repo_path::normalized(&config_value(value));
        if !path.is_empty() && path != "." {
            paths.insert(path);
        }
    }
    paths
}

/// A git config value: quoted parts unquoted, escapes resolved, an unquoted comment dropped,
/// outer blanks trimmed.
fn config_value(raw: &str) -> String {
    let mut value = String::new();
    let mut quoted = false;
    let mut chars = raw.trim().chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' => match chars.next() {
                Some('n') => value.push('\n'),
                Some('t') => value.push('\t'),
                Some(other) => value.push(other),
                None => {}
            },
            '#' | ';' if !quoted => break,
            _ => value.push(c),
        }
    }
    if quoted { value } else { value.trim_end().to_string() }
}

#[cfg(test)]
mod tests {
    use super::gitmodules_paths;

    #[test]
    fn lfs_attributes_are_lines_that_filter_through_lfs() {
        assert!(super::sends_to_lfs("*.bin filter=lfs diff=lfs merge=lfs -text"));
        assert!(super::sends_to_lfs("  models/** -text filter=lfs"));
        assert!(!super::sends_to_lfs("# *.bin filter=lfs"));
        assert!(!super::sends_to_lfs("*.bin -filter"));
        assert!(!super::sends_to_lfs("filter=lfs"));
        assert!(!super::sends_to_lfs("*.txt text eol=lf"));
    }

    #[test]
    fn gitmodules_give_their_submodules_paths() {
        let text = "# vendored code\n[submodule \"lib\"]\n\tpath = vendor/lib\n\turl = ../lib.git\n[submodule \"odd\"]\n  PATH = \"third party/a \\\"b\\\"\" ; where\n  url = x\n[core]\n\tpath = not/a/submodule\n[submodule \"dot\"]\n\tpath = ./tools//gen/\n\tbranch = main\n[submodule \"root\"]\n\tpath = .\n";
        let paths: Vec<String> = gitmodules_paths(text).into_iter().collect();
        assert_eq!(paths, ["third party/a \"b\"", "tools/gen", "vendor/lib"]);
    }
}
