//! `pipegen plan`: which builds a pipeline rebuilds, why, which are new or gone, and which jobs
//! run. From git (uncommitted changes, or everything since a revision) it compares the tags of
//! both sides, each computed with its own revision's model; for paths given on the command line
//! it matches them against what each build is made of.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::changes::{self, BuildVerdict, Changed, Entry, Reason};
use crate::emit::Target;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::git;
use crate::model;
use crate::plan::Plan;
use crate::tag_changes::{self, Removed, Side};
use crate::workspace::Workspace;

use super::OutputFormat;
use super::tags;

#[derive(Serialize)]
struct JobLine {
    /// The job, platform-neutral: `run qa [ruby=3.2]`.
    id: String,
    stage: String,
    shards: Option<u32>,
    needs: Vec<String>,
}

#[derive(Serialize)]
struct Report {
    changed: Vec<String>,
    builds: Vec<BuildVerdict>,
    /// Builds of the earlier revision's model that the current one no longer has.
    removed: Vec<Removed>,
    jobs: Vec<JobLine>,
}

/// Where the changes come from.
pub enum ChangedPaths {
    /// Given on the command line: relative to the current directory, resolved lexically to
    /// repository-relative paths ([`repository_path`]).
    Given(Vec<PathBuf>),
    /// From git: the working tree against a revision (`HEAD` without `since`).
    Git { since: Option<String> },
}

pub fn run(
    model: Option<&Path>,
    changed: ChangedPaths,
    target: Option<Target>,
    format: OutputFormat,
) -> Result<ExitStatus, Error> {
    let workspace = Workspace::locate(model)?;
    let (loaded, plan) = workspace.plan_without_limits()?;
    let targets = match target {
        Some(target) => vec![target],
        None => crate::emit::targets_of(&loaded.model),
    };
    let (report, origin) = match changed {
        ChangedPaths::Given(paths) => {
            let changed = paths.iter().map(|p| repository_path(&workspace.root, p)).collect::<Result<Vec<_>, _>>()?;
            let kinds = as_pathspecs(&workspace.root, &changed);
            let seen = through_links(&workspace.root, &plan, &kinds);
            // Every platform planned: their builders read different ignore files.
            let sent: Vec<_> = targets.iter().map(|&target| sent_at_head(&workspace, &plan, target)).collect();
            let platforms: Vec<(&str, changes::Sent)> =
                targets.iter().zip(&sent).map(|(target, sent)| (target.name(), sent as changes::Sent)).collect();
            let builds = changes::verdicts(&plan, &seen, &platforms);
            (Report { builds, removed: Vec::new(), jobs: jobs(&plan), changed }, "given".to_string())
        }
        ChangedPaths::Git { since } => {
            let rev = since.clone().unwrap_or_else(|| "HEAD".to_string());
            let origin = match &since {
                Some(rev) => format!("changed since {rev}"),
                None => "uncommitted changes".to_string(),
            };
            // The commit first: a wrong `--since` is named as such, not as a failed diff, and
            // git is asked about the commit's id from then on.
            let old_commit = git::commit(&workspace.root, &rev)?;
            let changed = git::changed_paths(&workspace.root, &old_commit)?;
            let (builds, removed) = compare(&workspace, &plan, (&rev, &old_commit), &targets)?;
            (Report { builds, removed, jobs: jobs(&plan), changed }, origin)
        }
    };
    match format {
        OutputFormat::Json => {
            super::print_stdout(&format!("{}\n", serde_json::to_string_pretty(&report).expect("a plan serializes")))?
        }
        OutputFormat::Text => super::print_stdout(&text(&report, &origin))?,
    }
    Ok(ExitStatus::Success)
}

/// The tags of the working tree (with the current model) against those of `rev`, the commit
/// `old_commit` (with the model as it had it), for each platform; a build counts as rebuilt
/// when its tag differs on any.
fn compare(
    workspace: &Workspace,
    plan: &Plan,
    (rev, old_commit): (&str, &str),
    targets: &[Target],
) -> Result<(Vec<BuildVerdict>, Vec<Removed>), Error> {
    let root = &workspace.root;
    let new_tree = git::working_tree(root)?;
    let old_plan = match git::file_at(root, old_commit, &workspace.model_in_repo)? {
        Some(text) => {
            let name = format!("{rev}:{}", workspace.model_in_repo);
            let loaded = model::load(&name, &text)?;
            Some(crate::plan::build(&loaded, &workspace.model_in_repo)?)
        }
        None => None,
    };
    let mut merged: Option<(Vec<BuildVerdict>, Vec<Removed>)> = None;
    for &target in targets {
        let computed = tags::compute(root, plan, &new_tree, target, tags::Bases::Offline)?;
        if merged.is_none() {
            // As `tags` warns: what a build's context or Dockerfile misses in the working tree.
            for warning in tags::missing_from_tree(root, plan, &computed.facts, "in the working tree") {
                super::print_stderr(&format!("pipegen: warning: {warning}\n"));
            }
        }
        let new = computed.builds;
        let old = match &old_plan {
            Some(old_plan) => Some(tags::compute(root, old_plan, old_commit, target, tags::Bases::Offline)?.builds),
            None => None,
        };
        let old_side = old_plan.as_ref().zip(old.as_deref()).map(|(plan, tags)| Side { plan, tags });
        let files = |path: &str, was: Option<&str>, is: Option<&str>| {
            changed_files(root, (old_commit, was), (&new_tree, is), path)
        };
        let (verdicts, removed) = tag_changes::compare(old_side.as_ref(), &Side { plan, tags: &new }, files);
        merged = Some(match merged {
            None => (verdicts, removed),
            Some((mut all, gone)) => {
                for (verdict, other) in all.iter_mut().zip(verdicts) {
                    if !verdict.rebuilt && other.rebuilt {
                        verdict.status = other.status;
                        verdict.rebuilt = true;
                    }
                    for reason in other.reasons {
                        if !verdict.reasons.contains(&reason) {
                            verdict.reasons.push(reason);
                        }
                    }
                }
                (all, gone)
            }
        });
    }
    Ok(merged.unwrap_or_default())
}

/// For paths given on the command line: whether a build receives a path of its context, by the
/// ignore file its builder reads at HEAD. Outside git, or before the first commit, every path
/// counts.
fn sent_at_head<'p>(
    workspace: &Workspace,
    plan: &'p Plan,
    target: Target,
) -> impl Fn(&crate::plan::Build, &str) -> bool + 'p {
    let ignore_files = (|| -> Option<Vec<(String, String, crate::dockerignore::IgnoreFile)>> {
        let commit = git::commit(&workspace.root, "HEAD").ok()?;
        let builder = target.builder();
        let (paths, _) = crate::content_tags::questions(plan, builder);
        let facts =
            git::tree_facts(&workspace.root, &commit, &paths, &[], &crate::content_tags::TreeFacts::default()).ok()?;
        let mut found = Vec::new();
        for build in &plan.builds {
            let Some((path, _)) = crate::content_tags::ignore_file(&facts, builder, &build.context, &build.dockerfile)
            else {
                continue;
            };
            let text = git::file_at(&workspace.root, &commit, &path).ok()??;
            let file = crate::dockerignore::IgnoreFile::parse(&path, text.as_bytes(), builder).ok()?;
            found.push((build.context.clone(), build.dockerfile.clone(), file));
        }
        Some(found)
    })()
    .unwrap_or_default();
    move |build, path| {
        let Some((context, _, file)) =
            ignore_files.iter().find(|(c, d, _)| *c == build.context && *d == build.dockerfile)
        else {
            return true;
        };
        let relative = if context == "." { Some(path) } else { path.strip_prefix(&format!("{context}/")) };
        relative.is_none_or(|r| file.is_sent(r.as_bytes()))
    }
}

/// The files under `path` that differ between two revisions, each given with the object the
/// path named there. Two trees are compared by id and a file that differs is the path itself,
/// so a path through a symbolic link lists what changed where the link points.
fn changed_files(root: &Path, old: (&str, Option<&str>), new: (&str, Option<&str>), path: &str) -> Vec<String> {
    fn tree(object: Option<&str>) -> Option<&str> {
        object.and_then(|o| o.strip_prefix("tree "))
    }
    if let (Some(was), Some(is)) = (tree(old.1), tree(new.1)) {
        let inside = git::changed_files(root, was, is, ".").unwrap_or_default();
        return match path {
            "." => inside,
            _ => inside.into_iter().map(|file| format!("{path}/{file}")).collect(),
        };
    }
    let files = git::changed_files(root, old.0, new.0, path).unwrap_or_default();
    if files.is_empty() && old.1 != new.1 { vec![path.to_string()] } else { files }
}

/// Each changed path as a git pathspec reads it: a directory (in HEAD's tree, the index or the
/// working tree) with the files under it, or one file (which may be absent). A directory reached
/// through a symbolic link on its way lists the files of the directory it leads to. Outside git,
/// the working tree's files.
fn as_pathspecs(root: &Path, changed: &[String]) -> Vec<Changed> {
    let known = git::known_files(root);
    let under = |dir: &str| -> Vec<Entry> {
        let Some(known) = &known else { return walk(root, dir) };
        let listed = |at: &str| -> Vec<Entry> {
            known
                .iter()
                .filter(|(path, gitlink)| changes::covers(at, path) || (*gitlink && path == at))
                .map(|(path, gitlink)| Entry { path: path.clone(), gitlink: *gitlink })
                .collect()
        };
        let mut found = listed(dir);
        // `a-link/sub` is where `a-link` leads: git lists the files there. A link itself is a
        // file, as git holds it.
        let real = crate::workspace::leading_elsewhere(root, [dir]).remove(dir);
        let link = std::fs::symlink_metadata(root.join(dir)).is_ok_and(|m| m.file_type().is_symlink());
        if let Some(real) = real.filter(|_| !link) {
            for entry in listed(&real) {
                let rest = entry.path.strip_prefix(real.as_str()).unwrap_or_default();
                found.push(Entry { path: format!("{dir}{rest}"), gitlink: entry.gitlink });
            }
        }
        found
    };
    changed
        .iter()
        .map(|path| {
            let on_disk = std::fs::metadata(root.join(path)).is_ok_and(|m| m.is_dir())
                && !std::fs::symlink_metadata(root.join(path)).is_ok_and(|m| m.file_type().is_symlink());
            let files = under(path);
            let listed_below = files.iter().any(|f| f.path != *path);
            if path == "." || on_disk || listed_below { Changed::directory(path, files) } else { Changed::file(path) }
        })
        .collect()
}

/// The files under `dir` in the working tree, without following symbolic links (a link is a
/// file, as git holds it).
fn walk(root: &Path, dir: &str) -> Vec<Entry> {
    let mut found = Vec::new();
    let mut pending = vec![if dir == "." { String::new() } else { dir.to_string() }];
    while let Some(at) = pending.pop() {
        let Ok(listing) = std::fs::read_dir(root.join(&at)) else { continue };
        for entry in listing.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if at.is_empty() && name == ".git" {
                continue;
            }
            let path = if at.is_empty() { name } else { format!("{at}/{name}") };
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => pending.push(path),
                _ => found.push(Entry { path, gitlink: false }),
            }
        }
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

/// The changed paths, each also under every path of a build that leads to it through a
/// symbolic link in the working tree: a Dockerfile that is a link to `docker/Dockerfile`
/// changes when that file does (or the directory `docker`), as the build reads it.
fn through_links(root: &Path, plan: &Plan, changed: &[Changed]) -> Vec<Changed> {
    let mut paths: Vec<String> = Vec::new();
    for build in &plan.builds {
        let inputs = build.inputs.iter().map(|input| crate::plan::recipe::Glob::literal_part(input));
        paths.extend([build.context.clone(), build.dockerfile.clone()].into_iter().chain(inputs));
    }
    let links = crate::workspace::leading_elsewhere(root, paths.iter().map(String::as_str));
    // `from` and what lies under it, renamed to `to`.
    let moved = |entries: &[Entry], from: &str, to: &str| -> Vec<Entry> {
        entries
            .iter()
            .filter_map(|e| {
                let rest =
                    if e.path == from { Some("") } else { e.path.strip_prefix(from).filter(|r| r.starts_with('/')) };
                rest.map(|rest| Entry { path: format!("{to}{rest}"), gitlink: e.gitlink })
            })
            .collect()
    };
    let mut seen = changed.to_vec();
    for change in changed {
        for (link, leads_to) in &links {
            let through = Some(link.clone());
            let path = &change.path;
            let alias = if path == leads_to {
                Some(link.clone())
            } else {
                path.strip_prefix(leads_to.as_str())
                    .and_then(|r| r.strip_prefix('/'))
                    .map(|rest| format!("{link}/{rest}"))
            };
            let found = match (alias, &change.under) {
                (Some(alias), under) => {
                    let under = under.as_ref().map(|entries| moved(entries, path, &alias));
                    Some(Changed { path: alias, under, through })
                }
                // A changed directory that holds what the link leads to.
                (None, Some(entries)) if changes::covers(path, leads_to) => {
                    let reached = moved(entries, leads_to, link);
                    let below = reached.iter().any(|e| e.path != *link);
                    match (below, reached.is_empty()) {
                        (_, true) => None,
                        (true, false) => Some(Changed { path: link.clone(), under: Some(reached), through }),
                        (false, false) => Some(Changed { path: link.clone(), under: None, through }),
                    }
                }
                _ => None,
            };
            if let Some(found) = found.filter(|f| !seen.contains(f)) {
                seen.push(found);
            }
        }
    }
    seen
}

/// A path given on the command line as the model writes paths: relative to the repository root,
/// with `/`, normalized. The path is relative to the current directory (as git's are), and `.`
/// and `..` are resolved lexically, without following symbolic links (a changed path need not
/// exist: it may have been deleted). A path outside the repository is refused.
fn repository_path(root: &Path, path: &Path) -> Result<String, Error> {
    let outside = || {
        Error::Usage(format!(
            "--changed {}: the path is outside the repository at {}; give paths inside it, relative to the \
             current directory (or absolute)",
            path.display(),
            root.display()
        ))
    };
    let cwd = std::env::current_dir()
        .map_err(|e| Error::Usage(format!("--changed {}: cannot read the current directory: {e}", path.display())))?;
    let absolute = lexical(&cwd.join(path));
    let inside = match absolute.strip_prefix(lexical(root)) {
        Ok(inside) => inside.to_path_buf(),
        // The root as the model's path spelled it may run through a symbolic link that the
        // current directory (as the system gives it) does not.
        Err(_) => match std::fs::canonicalize(root)
            .ok()
            .and_then(|real| absolute.strip_prefix(real).ok().map(Path::to_path_buf))
        {
            Some(inside) => inside,
            None => return Err(outside()),
        },
    };
    let inside = crate::workspace::slash_path(&inside);
    Ok(if inside.is_empty() { ".".to_string() } else { inside })
}

/// `path` with `.` components dropped and each `..` taking away the component before it
/// (`/..` is `/`), as a shell's `cd -L` does.
fn lexical(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn jobs(plan: &Plan) -> Vec<JobLine> {
    plan.runs
        .iter()
        .map(|r| JobLine {
            id: r.id().to_string(),
            stage: r.stage.clone(),
            shards: r.shards,
            needs: r.needs.iter().map(|n| n.job.to_string()).collect(),
        })
        .collect()
}

/// A value in a message: on one line, and short.
fn shown(value: &str) -> String {
    let one_line: String = value.escape_debug().collect();
    if one_line.chars().count() > 60 {
        format!("`{}…`", one_line.chars().take(57).collect::<String>())
    } else {
        format!("`{one_line}`")
    }
}

/// The reasons of one build as text; the files of one part are listed together, a few of them.
fn reasons_text(reasons: &[Reason]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut files: Vec<(String, Vec<&str>)> = Vec::new();
    for reason in reasons {
        match reason {
            Reason::Changed { path, via, platform } => {
                let via = match platform {
                    Some(platform) => format!("{via}, on {platform}"),
                    None => via.clone(),
                };
                match files.iter_mut().find(|(v, _)| *v == via) {
                    Some((_, paths)) => paths.push(path),
                    None => files.push((via, vec![path])),
                }
            }
            Reason::Parent { id } => out.push(format!("parent {id} is rebuilt")),
            Reason::CommitTag => out.push("tagged by commit: built in every pipeline".to_string()),
            Reason::Model { field, before, after } => out.push(match (before, after) {
                (Some(before), Some(after)) => format!("model {field}: {} → {}", shown(before), shown(after)),
                (None, Some(after)) => format!("model {field}: {} added", shown(after)),
                (Some(before), None) => format!("model {field}: {} removed", shown(before)),
                (None, None) => format!("model {field} changed"),
            }),
            Reason::Recipe { .. } => out.push("pipegen's tag recipe changed".to_string()),
        }
    }
    let mut text: Vec<String> = files
        .into_iter()
        .map(|(via, paths)| {
            const SHOWN: usize = 3;
            let listed = paths
                .iter()
                .take(SHOWN)
                .map(|path| crate::model::printable::escape(path))
                .collect::<Vec<_>>()
                .join(", ");
            let more = paths.len().saturating_sub(SHOWN);
            let more = if more > 0 { format!(" and {more} more") } else { String::new() };
            format!("{listed}{more} changed ({via})")
        })
        .collect();
    text.extend(out);
    text.join("; ")
}

fn text(report: &Report, origin: &str) -> String {
    let mut out = format!("Changed paths ({}, {origin}):\n", report.changed.len());
    for path in &report.changed {
        // A file name may hold a newline or a terminal's escape: shown escaped, one a line.
        out.push_str(&format!("  {}\n", crate::model::printable::escape(path)));
    }
    let width = report.builds.iter().map(|b| b.id.len()).max().unwrap_or(0);
    let of = |status: &str| report.builds.iter().filter(|b| b.status == status).collect::<Vec<_>>();
    let rebuilt = of("rebuilt");
    out.push_str(&format!("\nRebuilt ({}):\n", rebuilt.len()));
    for build in rebuilt {
        out.push_str(&format!("  {:width$}  {}\n", build.id, reasons_text(&build.reasons)));
    }
    let new = of("new");
    if !new.is_empty() {
        out.push_str(&format!("\nNew, not in the earlier revision's model ({}):\n", new.len()));
        for build in new {
            out.push_str(&format!("  {}\n", build.id));
        }
    }
    if !report.removed.is_empty() {
        out.push_str(&format!("\nRemoved from the model ({}):\n", report.removed.len()));
        for build in &report.removed {
            out.push_str(&format!("  {}\n", build.id));
        }
    }
    let reused = of("unchanged");
    out.push_str(&format!("\nReused, already in the registry when built before ({}):\n", reused.len()));
    for build in reused {
        out.push_str(&format!("  {}\n", build.id));
    }
    out.push_str(&format!("\nJobs, all run in every pipeline ({}):\n", report.jobs.len()));
    let width = report.jobs.iter().map(|j| j.id.len()).max().unwrap_or(0);
    for job in &report.jobs {
        let shards = job.shards.map(|n| format!(", {n} shard{}", if n == 1 { "" } else { "s" })).unwrap_or_default();
        out.push_str(&format!("  {:width$}  stage {}{shards}; needs {}\n", job.id, job.stage, needs_text(&job.needs)));
    }
    out
}

fn needs_text(needs: &[String]) -> String {
    if needs.is_empty() { "nothing".to_string() } else { needs.join(", ") }
}
