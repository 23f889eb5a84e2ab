//! `pipegen init [DIR]`: find the repository's Dockerfiles, infer a starting model, check it,
//! and write it to DIR/pipegen.yaml (or print it).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::Error;
use crate::exit::ExitStatus;
use crate::init::{self, infer, render};
use crate::model::{self, printable};
use crate::outputs;
use crate::plan;
use crate::workspace::DEFAULT_MODEL;

pub fn run(dir: &Path, force: bool, stdout: bool) -> Result<ExitStatus, Error> {
    if !dir.is_dir() {
        return Err(Error::Usage(format!("{} is not a directory", dir.display())));
    }
    let model_path = dir.join(DEFAULT_MODEL);
    // The name is taken whatever it is: a link to nothing is a name too (`exists` follows it).
    let existing = std::fs::symlink_metadata(&model_path).ok();
    // Not even `--force` replaces a directory.
    if !stdout && existing.as_ref().is_some_and(std::fs::Metadata::is_dir) {
        return Err(Error::Usage(format!(
            "{} is a directory; init writes the model to a file of that name, so move the directory, or pass --stdout to print the model instead",
            model_path.display()
        )));
    }
    if !stdout && !force && existing.is_some() {
        return Err(Error::Usage(format!(
            "{} exists; pass --force to replace it, or --stdout to print the inferred model instead",
            model_path.display()
        )));
    }
    let absolute = dir.canonicalize().map_err(|source| Error::Read { path: dir.to_path_buf(), source })?;
    // Model paths are relative to the repository root, found as `pipegen` finds it from the
    // model: the closest directory with `.git`, else the model's own directory.
    let root = absolute.ancestors().find(|d| d.join(".git").exists()).unwrap_or(&absolute).to_path_buf();
    let within = relative_path(&absolute, &root);

    let files = list_files(&root)?;
    let mut dockerfiles = Vec::new();
    let mut linked_out = Vec::new();
    let mut templates = Vec::new();
    let mut scripts = Vec::new();
    for path in &files {
        let under_dir = within.is_empty() || path.starts_with(&format!("{within}/"));
        let file_name = path.rsplit('/').next().unwrap_or(path);
        if init::is_skipped(path) {
            continue;
        }
        // As the rest of pipegen reads the tree: a path through a symbolic link that leads out
        // of the repository is not read (its target is none of the repository's business, nor
        // the model's); what stays inside is read where the links lead.
        let on_disk = match within_repository(&root, path) {
            Ok(on_disk) => on_disk,
            Err(link) => {
                if under_dir && init::is_dockerfile_name(file_name) && !init::is_template_name(file_name) {
                    linked_out.push((path.clone(), link));
                }
                continue;
            }
        };
        if init::scripts::is_build_script(path) {
            // Scripts anywhere may tag the images under DIR (a root Makefile, the workflows).
            if let Some(text) = read_text(&on_disk, MAX_SCRIPT_BYTES)? {
                scripts.push((path.clone(), text));
            }
        }
        if !under_dir {
            continue;
        }
        if init::is_template_name(file_name) {
            templates.push(path.clone());
        } else if init::is_dockerfile_name(file_name)
            && let Some(text) = read_text(&on_disk, u64::MAX)?
        {
            dockerfiles.push((path.clone(), text));
        }
    }

    let directory_name = absolute.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // The name is also the placeholder registry's path: a long directory name is cut, so that
    // the registry leaves room for the images' names (a sanitized name is ASCII).
    let mut name = init::sanitize_name(&directory_name);
    name.truncate(MAX_MODEL_NAME_LEN);
    let name = Some(name.trim_end_matches('-').to_string()).filter(|n| !n.is_empty()).unwrap_or("images".to_string());
    let mut inference = infer::infer(infer::Input {
        name: &name,
        dockerfiles: &dockerfiles,
        files: &files,
        scripts: &scripts,
        templates: &templates,
        linked_out: &linked_out,
    });
    let model_in_repo = if within.is_empty() { DEFAULT_MODEL.to_string() } else { format!("{within}/{DEFAULT_MODEL}") };
    let outputs = &mut inference.model.outputs;
    for (key, output) in [("gitlab", &mut outputs.gitlab), ("github", &mut outputs.github)] {
        if let Some(path) = output {
            let (chosen, message) = choose_output(&root, &within, &model_in_repo, key, path);
            *path = chosen;
            if let Some(message) = message {
                super::print_stderr(&message);
            }
        }
    }
    let (schema, schema_note) = schema(&root, &absolute);
    let text = checked_model(&mut inference, &model_path, &schema)?;

    report(&inference);
    if let Some(note) = schema_note {
        super::print_stderr(&note);
    }
    let summary = format!(
        "{} image(s) from {} Dockerfile(s){}",
        inference.model.images.len(),
        // Templates found by their content were read as Dockerfiles first.
        dockerfiles.len() + linked_out.len() - (inference.templates.len() - templates.len()),
        match inference.unresolved.len() {
            0 => String::new(),
            n => format!("; {n} not inferred, listed in it as comments"),
        }
    );
    if dockerfiles.is_empty() && linked_out.is_empty() && templates.is_empty() {
        super::print_stderr(&format!("pipegen: no Dockerfiles found under {}\n", dir.display()));
    }
    if stdout {
        super::print_stdout(&text)?;
        super::print_stderr(&format!("pipegen: inferred {summary}\n"));
    } else {
        outputs::write_atomically(&model_path, &text)
            .map_err(|source| Error::Write { path: model_path.clone(), source })?;
        super::print_stderr(&format!("pipegen: wrote {}: {summary}\n", model_path.display()));
    }
    Ok(ExitStatus::Success)
}

/// The model `inference` renders to, once pipegen accepts it up to planning its pipeline. An
/// image its check refuses (a name that makes its repository too long for a registry, …) is left
/// out of the model, into the not-inferred block with the check's message, and with it the images
/// built on it: one odd Dockerfile costs its image, not the model. A refusal that names no image
/// of the model would be a bug here, not the user's, and is the command's error.
fn checked_model(
    inference: &mut infer::Inference,
    model_path: &Path,
    schema: &render::Schema,
) -> Result<String, Error> {
    loop {
        let text = render::render(inference, schema);
        let errors = match model::load(&model_path.display().to_string(), &text) {
            Ok(loaded) => match plan::build(&loaded, DEFAULT_MODEL) {
                Ok(_) => return Ok(text),
                Err(errors) => errors,
            },
            Err(errors) => errors,
        };
        let mut left_out = false;
        for diagnostic in &errors.diagnostics {
            if let ["images", image, ..] = diagnostic.path.key_names().as_slice() {
                let image = image.to_string();
                let reason = format!("pipegen's check refuses it ({}): {}", diagnostic.code, diagnostic.message);
                left_out |= inference.leave_out(&image, &reason);
            }
        }
        if !left_out {
            return Err(errors.into());
        }
    }
}

/// The output path for `outputs.KEY` of the model at `model_in_repo`, from the `default` path,
/// and what to say about it. A file there that pipegen did not write keeps the path (adopting a
/// repository means replacing its hand-written pipeline, once it is moved away), with a warning
/// that `emit` refuses to replace it until then. A file another model generated is that model's:
/// the pipeline goes beside this model instead (`DIR/.gitlab-ci.yml`, or a numbered name when
/// that is taken too), with a note.
fn choose_output(root: &Path, within: &str, model_in_repo: &str, key: &str, default: &str) -> (String, Option<String>) {
    // As `emit` reads an output: what it cannot compare (not a regular file, unreadable, too
    // large) is not pipegen's.
    let owner = |relative: &str| -> Option<outputs::Author> {
        match super::files::read_output(&root.join(relative)) {
            Ok(super::files::OnDisk::Missing) => None,
            Ok(super::files::OnDisk::Bytes(bytes)) => Some(outputs::author(&bytes, model_in_repo)),
            Ok(super::files::OnDisk::TooLarge(_)) | Err(_) => Some(outputs::Author::NotPipegen),
        }
    };
    let other = match owner(default) {
        None | Some(outputs::Author::ThisModel) => return (default.to_string(), None),
        Some(outputs::Author::NotPipegen) => {
            let message = format!(
                "pipegen: warning: {default} exists and was not generated by pipegen; the model names it as `outputs.{key}`, and `pipegen emit` will refuse to replace it until you move it away (or give `outputs.{key}` another path, or pass `pipegen emit --force`)\n"
            );
            return (default.to_string(), Some(message));
        }
        Some(outputs::Author::OtherModel(other)) => other,
    };
    let prefix = if within.is_empty() { String::new() } else { format!("{within}/") };
    let (stem, extension) = default.rsplit('/').next().unwrap_or(default).rsplit_once('.').unwrap_or((default, "yml"));
    let candidates = std::iter::once(format!("{prefix}{stem}.{extension}"))
        .chain((2..).map(|n| format!("{prefix}{stem}.{n}.{extension}")))
        .filter(|candidate| candidate != default)
        .take(100);
    let mut chosen = None;
    for candidate in candidates {
        if matches!(owner(&candidate), None | Some(outputs::Author::ThisModel)) {
            chosen = Some(candidate);
            break;
        }
    }
    let chosen = chosen.unwrap_or_else(|| format!("{prefix}{stem}.pipegen.{extension}"));
    let message = format!(
        "pipegen: note: {default} was generated from another model, {other}; this model's pipeline goes to {chosen} (`outputs.{key}`), for that pipeline to include or for you to move\n"
    );
    (chosen, Some(message))
}

/// The schema the modeline of the model in `model_dir` names: the nearest
/// `schema/pipegen.schema.json` at or above the model's directory, up to the repository root.
/// Without one, the root's, and a note on stderr with the command that writes it, from where
/// pipegen runs: an editor cannot load a schema that is not there.
fn schema(root: &Path, model_dir: &Path) -> (render::Schema, Option<String>) {
    let depth = |dir: &Path| model_dir.strip_prefix(dir).map_or(0, |below| below.components().count());
    let up = |n: usize| "../".repeat(n);
    let found = model_dir
        .ancestors()
        .take_while(|dir| dir.starts_with(root))
        .find(|dir| dir.join(render::SCHEMA_PATH).is_file())
        .unwrap_or(root);
    let schema = render::Schema {
        from_model: format!("{}{}", up(depth(found)), render::SCHEMA_PATH),
        from_root: match relative_path(found, root) {
            within if within.is_empty() => render::SCHEMA_PATH.to_string(),
            within => format!("{within}/{}", render::SCHEMA_PATH),
        },
    };
    let file = found.join(render::SCHEMA_PATH);
    if file.is_file() {
        return (schema, None);
    }
    // As the user would type it: relative to the directory pipegen runs in.
    let here = std::env::current_dir().ok().and_then(|d| d.canonicalize().ok());
    let shown = |path: &Path| -> String {
        let path = here.as_deref().map_or_else(|| path.to_path_buf(), |here| relative_to(path, here));
        crate::shell::quote(&crate::workspace::slash_path(&path))
    };
    let directory = file.parent().expect("a file in a directory");
    let mkdir = if directory.is_dir() { String::new() } else { format!("mkdir -p {} && ", shown(directory)) };
    let note = format!(
        "pipegen: note: the model names its JSON Schema, {}, for your editor's checks; create it with: {mkdir}pipegen schema > {}\n",
        schema.from_root,
        shown(&file)
    );
    (schema, Some(note))
}

/// `path` relative to directory `base` (both absolute): `../schema/x` from a sibling of `schema`.
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let path: Vec<_> = path.components().collect();
    let base: Vec<_> = base.components().collect();
    let common = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
    let mut relative: PathBuf = std::iter::repeat_n(std::path::Component::ParentDir, base.len() - common).collect();
    relative.extend(&path[common..]);
    relative
}

/// The longest model name init derives from the directory's name.
const MAX_MODEL_NAME_LEN: usize = 63;

/// Build scripts larger than this are not read: generated files, not scripts.
const MAX_SCRIPT_BYTES: u64 = 1 << 20;

/// How many templates stderr names before it only counts the rest (the model lists them all).
const TEMPLATES_SHOWN: usize = 5;

/// Where the repository path `path` is on disk, with every symbolic link on its way followed
/// (`root` is canonical), or the first link on its way that leads out of the repository
/// (repository-relative). A path that cannot be followed (missing, a loop) is returned as it is,
/// for the reader to find gone.
fn within_repository(root: &Path, path: &str) -> Result<PathBuf, String> {
    let on_disk = root.join(path);
    let Ok(real) = on_disk.canonicalize() else { return Ok(on_disk) };
    if real.starts_with(root) {
        return Ok(real);
    }
    let ends = path.match_indices('/').map(|(at, _)| at).chain([path.len()]);
    for end in ends {
        let on_the_way = &path[..end];
        let is_link = std::fs::symlink_metadata(root.join(on_the_way)).is_ok_and(|m| m.file_type().is_symlink());
        if is_link && root.join(on_the_way).canonicalize().is_ok_and(|real| !real.starts_with(root)) {
            return Err(on_the_way.to_string());
        }
    }
    Err(path.to_string())
}

/// A file's text (invalid UTF-8 replaced), or `None` when it is gone from the working tree
/// (tracked, but deleted) or larger than `limit`.
fn read_text(path: &Path, limit: u64) -> Result<Option<String>, Error> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() <= limit => {}
        _ => return Ok(None),
    }
    let bytes = std::fs::read(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// What init left out or needs from the user, on stderr: the templates it did not read (once),
/// the images it could not infer, every reference it left external, and the build arguments
/// without a default.
fn report(inference: &infer::Inference) {
    if !inference.templates.is_empty() {
        let listed: Vec<String> =
            inference.templates.iter().take(TEMPLATES_SHOWN).map(|t| printable::escape(t).into_owned()).collect();
        let more = match inference.templates.len().saturating_sub(TEMPLATES_SHOWN) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        super::print_stderr(&format!(
            "pipegen: {} templated Dockerfile(s) not read: {}{more}; render them first, or point an image's `dockerfile` at the rendered output (listed in the model)\n",
            inference.templates.len(),
            listed.join(", ")
        ));
    }
    // Paths and Dockerfile text reach the terminal escaped: a file name may hold a newline or
    // an escape sequence.
    let shown = |text: &str| printable::escape(text).into_owned();
    for unresolved in &inference.unresolved {
        for reason in &unresolved.reasons {
            super::print_stderr(&format!(
                "pipegen: not inferred: image `{}` ({}): {}\n",
                unresolved.name,
                shown(&unresolved.dockerfile),
                shown(reason)
            ));
        }
    }
    for external in &inference.external {
        super::print_stderr(&format!(
            "pipegen: external: {} {}: {}\n",
            shown(&external.dockerfile),
            shown(&external.what),
            shown(&external.reason)
        ));
    }
    for (image, summary) in &inference.args {
        if summary.required.is_empty() || !inference.model.images.contains_key(image) {
            continue;
        }
        let written = &inference.model.images[image];
        // The model's paths double every `$` (template::literal).
        let dockerfile = match (&written.dockerfile, written.context.as_deref()) {
            (Some(dockerfile), _) => dockerfile.replace("$$", "$"),
            (None, None | Some(".")) => "Dockerfile".to_string(),
            (None, Some(context)) => format!("{}/Dockerfile", context.replace("$$", "$")),
        };
        super::print_stderr(&format!(
            "pipegen: image `{image}` ({}): build argument(s) without a default: {}; set them in `args` (a commented entry is in the model)\n",
            shown(&dockerfile),
            shown(&summary.required.join(", "))
        ));
    }
}

/// `path` relative to `root`, with `/` separators (empty for the root itself).
fn relative_path(path: &Path, root: &Path) -> String {
    crate::workspace::slash_path(path.strip_prefix(root).unwrap_or(Path::new("")))
}

/// Every file of the repository, relative to its root, sorted: what git tracks or would track
/// (so `.gitignore` counts) in a git work tree, otherwise a walk that skips
/// [`init::SKIPPED_DIRECTORIES`].
fn list_files(root: &Path) -> Result<Vec<String>, Error> {
    if root.join(".git").exists() {
        match git_files(root) {
            Ok(files) => return Ok(files),
            Err(why) => super::print_stderr(&format!(
                "pipegen: cannot list files with git ({why}); walking {} instead\n",
                root.display()
            )),
        }
    }
    let mut files = Vec::new();
    let mut stack: Vec<PathBuf> = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| Error::Read { path: dir.clone(), source })?;
        for entry in entries {
            let entry = entry.map_err(|source| Error::Read { path: dir.clone(), source })?;
            let kind = entry.file_type().map_err(|source| Error::Read { path: entry.path(), source })?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else { continue };
            if kind.is_dir() {
                if !init::SKIPPED_DIRECTORIES.contains(&name.as_str()) {
                    stack.push(entry.path());
                }
            } else if kind.is_file() || kind.is_symlink() && entry.path().is_file() {
                let path = relative_path(&entry.path(), root);
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn git_files(root: &Path) -> Result<Vec<String>, String> {
    let output = Command::new("git")
        .current_dir(root)
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .output()
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_string());
    }
    let mut files: Vec<String> = output
        .stdout
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .filter_map(|p| std::str::from_utf8(p).ok().map(str::to_string))
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
}
