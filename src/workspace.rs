//! Where a model lives: its file, and the repository root every path in it is relative to.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::model::{self, LoadedModel, printable};
use crate::plan::{self, Plan};

/// The model file pipegen reads without `--model`.
pub const DEFAULT_MODEL: &str = "pipegen.yaml";

/// A model file larger than this is refused before it is read: real models are a few
/// kilobytes, and a bound keeps `--model /dev/zero`-like mistakes from eating memory.
pub const MAX_MODEL_BYTES: u64 = 8 * 1024 * 1024;

/// `path` written as models write paths: components joined by `/` whatever the platform.
pub fn slash_path(path: &Path) -> String {
    path.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// A model file and its repository.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The model file as the user named it (for messages they can click).
    pub model_arg: PathBuf,
    /// The repository root: the enclosing git work tree, or the model's directory outside git.
    pub root: PathBuf,
    /// The model file relative to the root, with `/` separators (for headers).
    pub model_in_repo: String,
}

/// `path` with each `dir/..` taken out where `dir` is a real directory (not a symbolic link), as
/// the file system would resolve it: the model's path in the generated headers is then one
/// spelling, from whatever directory pipegen ran (`sub/x/../pipegen.yaml` is `sub/pipegen.yaml`).
/// A `..` after a symbolic link stays: it leads to the link target's parent.
fn without_parent_steps(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                let is_real_dir = std::fs::symlink_metadata(&out).is_ok_and(|m| m.is_dir());
                let can_pop = matches!(out.components().next_back(), Some(Component::Normal(_)));
                if is_real_dir && can_pop {
                    out.pop();
                } else {
                    out.push(component);
                }
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

impl Workspace {
    pub fn locate(model: Option<&Path>) -> Result<Self, Error> {
        let model_arg = model.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(DEFAULT_MODEL));
        let absolute =
            std::path::absolute(&model_arg).map_err(|source| Error::Read { path: model_arg.clone(), source })?;
        let absolute = without_parent_steps(&absolute);
        let metadata = match std::fs::metadata(&absolute) {
            Ok(metadata) => metadata,
            Err(_) if model.is_none() => {
                // From a subdirectory of a repository whose model is further up, say where it is.
                let above = absolute.parent().and_then(model_above);
                let hint = match above.as_deref().and_then(relative_to_current) {
                    Some(relative) => format!("the model above is {0}: pass --model {0}", shown(&relative)),
                    None => "pass --model PATH (docs/model.md describes the format)".to_string(),
                };
                return Err(Error::Usage(format!("no {DEFAULT_MODEL} here; {hint}")));
            }
            Err(error) => {
                let why = match error.raw_os_error() {
                    // ELOOP: the name is a symbolic link that leads back to itself.
                    Some(40) => "is a loop of symbolic links".to_string(),
                    _ if error.kind() == std::io::ErrorKind::NotFound => {
                        if std::fs::symlink_metadata(&absolute).is_ok() {
                            "is a symbolic link to nothing".to_string()
                        } else {
                            return Err(Error::Usage(format!("no model file at {}", shown(&model_arg))));
                        }
                    }
                    _ => format!("cannot be read: {error}"),
                };
                return Err(Error::Usage(format!("{} {why}; pass --model PATH to the model file", shown(&model_arg))));
            }
        };
        if !metadata.is_file() {
            return Err(Error::Usage(format!(
                "{} is not a regular file; a model is a YAML file (docs/model.md describes the format)",
                shown(&model_arg)
            )));
        }
        let directory = absolute.parent().unwrap_or(Path::new("/")).to_path_buf();
        // /dev/stdin, /dev/fd/N and /proc/self/fd/N are the kernel's links to open files: the file
        // is not in their directory, so the root found from there would be wrong (outputs were
        // written under /dev).
        let real_directory = std::fs::canonicalize(&directory).unwrap_or_else(|_| directory.clone());
        if real_directory == Path::new("/dev") || ["/dev/fd", "/proc"].iter().any(|d| real_directory.starts_with(d)) {
            return Err(Error::Usage(format!(
                "{} is an open file (standard input or a file descriptor), not a model in a repository; \
                 pipegen finds the repository root from the model's path, so pass the model file's own path",
                shown(&model_arg)
            )));
        }
        let root =
            directory.ancestors().find(|dir| dir.join(".git").exists()).map(Path::to_path_buf).unwrap_or(directory);
        let in_repo = absolute.strip_prefix(&root).unwrap_or(&absolute);
        // The model's path is written into every generated header and the commands they show.
        for shown in [model_arg.as_path(), in_repo] {
            let Some(text) = shown.to_str() else {
                return Err(Error::Usage(format!(
                    "the model's path {} is not UTF-8; pipegen writes it into the generated files, so rename the file",
                    shown.display()
                )));
            };
            if let Some(c) = text.chars().find(|c| printable::is_unprintable(*c)) {
                return Err(Error::Usage(format!(
                    "the model's path `{}` holds the character {}; pipegen writes it into the generated files, so rename the file",
                    printable::escape(text),
                    printable::describe(c)
                )));
            }
        }
        let model_in_repo = slash_path(in_repo);
        Ok(Workspace { model_arg, root, model_in_repo })
    }

    /// Read and check the model.
    pub fn load(&self) -> Result<LoadedModel, Error> {
        let bytes = read_bounded(&self.model_arg, MAX_MODEL_BYTES)?;
        Ok(model::load_bytes(&self.model_arg.display().to_string(), &bytes)?)
    }

    /// Read the model and plan its pipeline, without the platforms' limits: for the commands
    /// that only read the plan (`tags`, `plan`, `graph`), which a pipeline too large for a
    /// platform must not stop.
    pub fn plan_without_limits(&self) -> Result<(LoadedModel, Plan), Error> {
        let loaded = self.load()?;
        let plan = plan::build(&loaded, &self.model_in_repo)?;
        Ok((loaded, plan))
    }

    /// Read the model and plan its pipeline.
    pub fn plan(&self) -> Result<(LoadedModel, Plan), Error> {
        self.plan_rendered(None).map(|(loaded, plan, _)| (loaded, plan))
    }

    /// Read the model, plan its pipeline and render it for `only` that platform, or else for
    /// the platforms of the model's outputs (every one when it lists none), each once: a
    /// pipeline a platform would refuse is never written, so each is checked before anything
    /// is printed or written. `emit --target` asks for its platform alone: it neither waits
    /// for nor fails on a platform whose pipeline it does not print.
    pub fn plan_rendered(&self, only: Option<crate::emit::Target>) -> Result<(LoadedModel, Plan, Rendered), Error> {
        let loaded = self.load()?;
        let mut plan = plan::build(&loaded, &self.model_in_repo)?;
        read_repository(&self.root, &mut plan);
        let targets = match only {
            Some(target) => vec![target],
            None => crate::emit::targets_of(&loaded.model),
        };
        let (rendered, over_limits) = crate::emit::render_checked(&plan, &targets);
        if !over_limits.is_empty() {
            let errors = crate::model::ModelErrors::new(loaded.source.clone(), over_limits);
            // The command stops with this error and the process ends: freeing a plan too large
            // for a platform, allocation by allocation, would only delay the message.
            std::mem::forget(plan);
            return Err(errors.into());
        }
        Ok((loaded, plan, Rendered(rendered)))
    }

    /// A path of the model (relative to the root) on disk.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }
}

/// Complete output files of a plan, by platform, as [`Workspace::plan_rendered`] rendered them.
#[derive(Debug, Clone, Default)]
pub struct Rendered(pub Vec<(crate::emit::Target, String)>);

impl Rendered {
    /// The file for `target`: the one already rendered and checked. Every caller asks for a
    /// platform [`Workspace::plan_rendered`] rendered; rendering it here is only a fallback.
    pub fn take(&mut self, plan: &Plan, target: crate::emit::Target) -> String {
        match self.0.iter().position(|(t, _)| *t == target) {
            Some(at) => self.0.swap_remove(at).1,
            None => crate::emit::render(plan, target),
        }
    }
}

/// Fill in what a pipeline depends on in the repository at `root` besides the model, as `emit`
/// reads it: the ignore files ([`Plan::ignore_files`]), the submodules ([`Plan::submodules`])
/// and the directories whose `.gitattributes` stores files in Git LFS
/// ([`Plan::lfs_attributes`]).
pub fn read_repository(root: &Path, plan: &mut Plan) {
    plan.ignore_files = ignore_files(root, plan);
    plan.submodules = crate::checkout::submodules(root);
    plan.link_targets = link_targets(root, plan);
    plan.lfs_attributes = crate::checkout::lfs_attributes(root, plan);
}

/// The builds' contexts and Dockerfiles that lead elsewhere in the repository through symbolic
/// links in the working tree, each with where it leads ([`Plan::link_targets`]).
pub fn link_targets(root: &Path, plan: &Plan) -> std::collections::BTreeMap<String, String> {
    leading_elsewhere(root, plan.builds.iter().flat_map(|b| [b.context.as_str(), b.dockerfile.as_str()]))
}

/// Those of the repository paths `paths` that lead elsewhere in the repository through symbolic
/// links in the working tree, each with where it leads ([`leads_to`]). Variants of an image
/// share its paths: each is resolved once.
pub fn leading_elsewhere<'p>(
    root: &Path,
    paths: impl IntoIterator<Item = &'p str>,
) -> std::collections::BTreeMap<String, String> {
    let Ok(real_root) = std::fs::canonicalize(root) else { return Default::default() };
    let mut targets = std::collections::BTreeMap::new();
    let mut asked = foldhash::HashSet::default();
    // Whether each directory on the way is a link (`None`: missing), looked at once: most paths
    // go through no link, and resolving each from the root would look at every directory again.
    let mut links: foldhash::HashMap<&str, Option<bool>> = foldhash::HashMap::default();
    for path in paths {
        if !asked.insert(path) || !through_a_link(root, path, &mut links) {
            continue;
        }
        if let Some(leads_to) = leads_to(&real_root, root, path) {
            targets.insert(path.to_string(), leads_to);
        }
    }
    targets
}

/// Whether the repository path `path` (or a directory on its way) is a symbolic link in the
/// working tree; a missing one is not (nothing to follow). `links` remembers each path looked at.
fn through_a_link<'p>(root: &Path, path: &'p str, links: &mut foldhash::HashMap<&'p str, Option<bool>>) -> bool {
    let ends = path.match_indices('/').map(|(at, _)| at).chain([path.len()]);
    for end in ends {
        let on_the_way = &path[..end];
        let link = *links.entry(on_the_way).or_insert_with(|| {
            std::fs::symlink_metadata(root.join(on_the_way)).ok().map(|m| m.file_type().is_symlink())
        });
        match link {
            Some(true) => return true,
            Some(false) => {}
            None => return false,
        }
    }
    false
}

/// Where the repository path `path` leads through the symbolic links on its way in the working
/// tree (as the builder's file system follows them; `real_root` is `root` canonicalized), when
/// that is elsewhere in the repository: `None` when it goes through no link, is missing, or
/// leads out of the repository.
fn leads_to(real_root: &Path, root: &Path, path: &str) -> Option<String> {
    let real = std::fs::canonicalize(root.join(path)).ok()?;
    let leads_to = slash_path(real.strip_prefix(real_root).ok()?);
    (!leads_to.is_empty() && leads_to != path).then_some(leads_to)
}

/// The ignore files either platform's builder would read for a content-tagged build of `plan`
/// (repository-relative): what decides whether a pipeline embeds the `.dockerignore` filter
/// ([`Plan::ignore_files`]). A candidate counts when git tracks it (the index: committed or
/// staged, so one a sparse checkout leaves out of the working tree counts too, as the pipeline's
/// checkout has it) or when it is a file under `root` now (one not yet added; outside git, the
/// working tree alone).
pub fn ignore_files(root: &Path, plan: &Plan) -> std::collections::BTreeSet<String> {
    let mut found = std::collections::BTreeSet::new();
    let tracked: foldhash::HashSet<String> = crate::git::tracked_ending(root, &[".dockerignore", ".containerignore"])
        .unwrap_or_default()
        .into_iter()
        .collect();
    // Variants of an image share its context and Dockerfile: each pair is looked at once.
    let mut seen = foldhash::HashSet::default();
    // Builders and images share candidates (`<context>/.dockerignore`): each path is asked once.
    let mut asked = foldhash::HashSet::default();
    // Each candidate's path on disk, written after the root's in one buffer (a root that is not
    // UTF-8 is joined to each candidate instead).
    let mut on_disk = root.to_str().map(|root| format!("{root}/"));
    let root_len = on_disk.as_ref().map_or(0, String::len);
    let mut is_file = |candidate: &str| match &mut on_disk {
        Some(path) => {
            path.truncate(root_len);
            path.push_str(candidate);
            Path::new(path.as_str()).is_file()
        }
        None => root.join(candidate).is_file(),
    };
    for build in plan.builds.iter().filter(|b| b.this.tag == plan::TagMode::Content) {
        if !seen.insert((build.context.as_str(), build.dockerfile.as_str())) {
            continue;
        }
        for target in crate::emit::Target::ALL {
            for candidate in target.builder().ignore_file_candidates(&build.context, &build.dockerfile) {
                if asked.insert(candidate.clone()) && (tracked.contains(&candidate) || is_file(&candidate)) {
                    found.insert(candidate);
                }
            }
        }
    }
    found
}

/// The bytes of the regular file at `path` (a link to one counts), refused when it is larger
/// than `limit` or not a regular file.
pub(crate) fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, Error> {
    let read_error = |source| Error::Read { path: path.to_path_buf(), source };
    let not_regular = || Error::Usage(format!("{} is not a regular file", path.display()));
    // Opening a FIFO waits for a writer, forever: look before opening, and again at what was
    // opened (it may have been replaced in between).
    if !std::fs::metadata(path).map_err(read_error)?.is_file() {
        return Err(not_regular());
    }
    let file = std::fs::File::open(path).map_err(read_error)?;
    if !file.metadata().map_err(read_error)?.is_file() {
        return Err(not_regular());
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(read_error)?;
    if bytes.len() as u64 > limit {
        return Err(Error::Usage(format!(
            "{} is larger than {} MiB; that is no model (real ones are a few kilobytes)",
            path.display(),
            limit / 1024 / 1024
        )));
    }
    Ok(bytes)
}

/// The model of the repository `dir` is in, in a directory above `dir` up to the repository's
/// root (none when `dir` is the root, or not in a repository).
fn model_above(dir: &Path) -> Option<PathBuf> {
    let root = dir.ancestors().find(|above| above.join(".git").exists())?;
    dir.ancestors()
        .skip(1)
        .take_while(|above| above.starts_with(root))
        .map(|above| above.join(DEFAULT_MODEL))
        .find(|candidate| candidate.is_file())
}

/// A path as messages show it: characters a terminal would act on escaped.
fn shown(path: &Path) -> String {
    crate::model::printable::escape(&path.display().to_string()).into_owned()
}

/// `path` relative to the current directory, through `..` steps (`../../pipegen.yaml`).
fn relative_to_current(path: &Path) -> Option<PathBuf> {
    let here = std::env::current_dir().ok()?;
    let up = here.ancestors().position(|dir| path.starts_with(dir))?;
    let base = here.ancestors().nth(up)?;
    let mut relative: PathBuf = std::iter::repeat_n("..", up).collect();
    relative.push(path.strip_prefix(base).ok()?);
    Some(relative)
}
